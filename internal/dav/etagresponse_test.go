package dav

import (
	"encoding/xml"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"

	"almanac/storage"
)

func TestETagOnly(t *testing.T) {
	for _, tt := range []struct {
		pf   Propfind
		want bool
	}{
		{Propfind{Kind: FindProp, Props: []xml.Name{dGetETag}}, true},
		{Propfind{Kind: FindProp, Props: []xml.Name{dGetETag, dGetETag}}, true},
		{Propfind{Kind: FindProp}, false},
		{Propfind{Kind: FindProp, Props: []xml.Name{dGetETag, dGetCT}}, false},
		{Propfind{Kind: FindProp, Props: []xml.Name{{Space: "urn:x", Local: "getetag"}}}, false},
		{Propfind{Kind: FindAllProp}, false},
		{Propfind{Kind: FindPropName}, false},
	} {
		if got := ETagOnly(&tt.pf); got != tt.want {
			t.Errorf("ETagOnly(%+v) = %v, want %v", tt.pf, got, tt.want)
		}
	}
}

// How etagResponses writes its response.
const (
	viaPropfind = iota
	viaChecked  // ETagResponse, checking name and ETag
	viaPlain    // ETagResponse, vouching for them (the caller has checked storage.PlainMember)
)

// etagResponses writes one response for name with ETag etag into a
// multistatus, through Propfind or ETagResponse (via), and returns the
// body.
func etagResponses(collHref, name, etag string, props int, via int, hdr ...string) string {
	rec := httptest.NewRecorder()
	method := "REPORT"
	if len(hdr) > 0 && hdr[0] == "HEAD" {
		method, hdr = "HEAD", hdr[1:]
	}
	m := NewMultistatus(rec, newReq(method, hdr...))
	pf := &Propfind{Kind: FindProp}
	for range props {
		pf.Props = append(pf.Props, dGetETag)
	}
	var err error
	if via != viaPropfind {
		err = m.ETagResponse(collHref, []byte(name), []byte(etag), via == viaPlain, pf)
	} else {
		err = m.Propfind(collHref+EscapePath(name), pf, &fakeSource{props: []Prop{TextProp(dGetETag, etag)}})
	}
	if err == nil {
		err = m.Close("")
	}
	if err != nil {
		return "error: " + err.Error()
	}
	return rec.Body.String()
}

// TestETagResponseIsPropfind: ETagResponse writes byte for byte what
// Propfind writes for a getetag-only request, whatever the names and
// ETags hold, with Prefer: return=minimal and for HEAD; and so it does
// unchecked for every name and ETag storage.PlainMember lets through.
func TestETagResponseIsPropfind(t *testing.T) {
	colls := []string{"/dav/calendars/u/cal/", "/dav/calendars/u%20x/c&l<>/"}
	names := []string{"a.ics", "a b.ics", "ü/ö.ics", "x&y<z>\".ics", "", "%41.ics", "A-z_0.9~.ics", "a/b.ics", "a+b.ics"}
	etags := []string{`"abc"`, `"a<b&c>"`, "", "\"\x01\xff\"", storage.ETagOf([]byte("x")), `W/"a b'c"`}
	headers := [][]string{nil, {"Prefer", "return=minimal"}, {"HEAD"}}
	n, plain := 0, 0
	for _, c := range colls {
		for _, name := range names {
			for _, etag := range etags {
				for _, props := range []int{1, 2} {
					for _, h := range headers {
						want := etagResponses(c, name, etag, props, viaPropfind, h...)
						if got := etagResponses(c, name, etag, props, viaChecked, h...); got != want {
							t.Fatalf("%q %q %q ×%d %v:\nETagResponse %s\nPropfind     %s", c, name, etag, props, h, got, want)
						}
						n++
						if !storage.PlainMember(name, etag) {
							continue
						}
						if got := etagResponses(c, name, etag, props, viaPlain, h...); got != want {
							t.Fatalf("%q %q %q ×%d %v, unchecked:\nETagResponse %s\nPropfind     %s", c, name, etag, props, h, got, want)
						}
						plain++
					}
				}
			}
		}
	}
	if n == 0 || plain == 0 {
		t.Fatalf("%d compared, %d of them unchecked", n, plain)
	}
}

func FuzzETagResponse(f *testing.F) {
	f.Add("/dav/calendars/u/cal/", "a.ics", `"abc"`, uint8(1))
	f.Add("/c&l/", "x y<z>.ics", "\"\x00\"", uint8(2))
	f.Add("/dav/calendars/u/cal/", "A-z_0.9~.ics", `W/"a b'c"`, uint8(3))
	f.Fuzz(func(t *testing.T, coll, name, etag string, props uint8) {
		n := int(props%3) + 1
		want := etagResponses(coll, name, etag, n, viaPropfind)
		if got := etagResponses(coll, name, etag, n, viaChecked); got != want {
			t.Fatalf("ETagResponse %s\nPropfind     %s", got, want)
		}
		if !storage.PlainMember(name, etag) {
			return
		}
		if got := etagResponses(coll, name, etag, n, viaPlain); got != want {
			t.Fatalf("ETagResponse unchecked %s\nPropfind               %s", got, want)
		}
	})
}

// TestETagResponseCollections: one multistatus answering members of
// several collections (a calendar-query on a home) writes each under its
// own collection.
func TestETagResponseCollections(t *testing.T) {
	pf := &Propfind{Kind: FindProp, Props: []xml.Name{dGetETag}}
	seq := [][2]string{{"/a/", "x.ics"}, {"/b/", "x.ics"}, {"/a/", "y z.ics"}, {"/b&c/", "z.ics"}}
	body := func(fast bool) string {
		rec := httptest.NewRecorder()
		m := NewMultistatus(rec, newReq("REPORT"))
		for _, s := range seq {
			var err error
			if fast {
				err = m.ETagResponse(s[0], []byte(s[1]), []byte(`"e"`), false, pf)
			} else {
				err = m.Propfind(s[0]+EscapePath(s[1]), pf, &fakeSource{props: []Prop{TextProp(dGetETag, `"e"`)}})
			}
			if err != nil {
				t.Fatal(err)
			}
		}
		if err := m.Close(""); err != nil {
			t.Fatal(err)
		}
		return rec.Body.String()
	}
	if got, want := body(true), body(false); got != want {
		t.Fatalf("ETagResponse %s\nPropfind     %s", got, want)
	}
}

// TestETagResponseAcrossFlushes: thousands of responses, some with names
// longer than the write buffer, come out as Propfind writes them, whether
// a response fits in what is left of the buffer, straddles a flush or
// cannot fit in any buffer.
func TestETagResponseAcrossFlushes(t *testing.T) {
	pf := &Propfind{Kind: FindProp, Props: []xml.Name{dGetETag}}
	name := func(i int) string {
		switch {
		case i%997 == 0:
			return strings.Repeat("n", 40<<10) + ".ics" // past the buffer
		case i%89 == 0:
			return strings.Repeat("m", i%4000) + ".ics"
		}
		return fmt.Sprintf("ev%06d.ics", i)
	}
	body := func(fast bool) string {
		rec := httptest.NewRecorder()
		m := NewMultistatus(rec, newReq("REPORT"))
		for i := range 5000 {
			etag := fmt.Sprintf(`"%024d"`, i)
			var err error
			if fast {
				err = m.ETagResponse("/dav/calendars/u/cal/", []byte(name(i)), []byte(etag), storage.PlainMember(name(i), etag), pf)
			} else {
				err = m.Propfind("/dav/calendars/u/cal/"+EscapePath(name(i)), pf, &fakeSource{props: []Prop{TextProp(dGetETag, etag)}})
			}
			if err != nil {
				t.Fatal(err)
			}
		}
		if err := m.Close(""); err != nil {
			t.Fatal(err)
		}
		return rec.Body.String()
	}
	got, want := body(true), body(false)
	if n := strings.Count(got, "<response>"); n != 5000 {
		t.Fatalf("%d responses, want 5000", n)
	}
	if got != want {
		i := 0
		for i < len(got) && i < len(want) && got[i] == want[i] {
			i++
		}
		t.Fatalf("bodies differ at byte %d of %d: ETagResponse …%.80s, Propfind …%.80s", i, len(want), got[i:], want[i:])
	}
}
