package dav

import (
	"encoding/xml"
	"errors"
	"io"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

// mustDavError fails unless err is a *Error with a 4xx status: parsers
// of untrusted input never produce 5xx or foreign errors.
func mustDavError(t *testing.T, err error) {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v (%T) is not a *dav.Error", err, err)
	}
	if e.Status < 400 || e.Status > 499 {
		t.Fatalf("status %d for untrusted input", e.Status)
	}
}

func FuzzCheckXML(f *testing.F) {
	for _, c := range checkXMLCases {
		f.Add([]byte(c.doc))
	}
	for _, c := range propfindCases {
		f.Add([]byte(c.body))
	}
	f.Fuzz(func(t *testing.T, doc []byte) {
		err := CheckXML(doc)
		if err != nil {
			mustDavError(t, err)
			return
		}
		// Accepted documents decode with encoding/xml, have one root
		// element and no directive.
		d := xml.NewDecoder(strings.NewReader(string(doc)))
		depth, roots := 0, 0
		for {
			tok, err := d.Token()
			if err != nil {
				if err == io.EOF {
					break
				}
				t.Fatalf("accepted document fails to decode: %v", err)
			}
			switch tok.(type) {
			case xml.StartElement:
				if depth == 0 {
					roots++
				}
				depth++
				if depth > MaxXMLDepth {
					t.Fatalf("accepted depth %d", depth)
				}
			case xml.EndElement:
				depth--
			case xml.Directive:
				t.Fatal("accepted a directive")
			}
		}
		if roots != 1 || depth != 0 {
			t.Fatalf("accepted document with %d roots, final depth %d", roots, depth)
		}
		if _, err := RootName(doc); err != nil {
			t.Fatalf("RootName of accepted document: %v", err)
		}
		var raw RawXML
		if err := xml.Unmarshal(doc, &raw); err != nil {
			t.Fatalf("RawXML of accepted document: %v", err)
		}
		checkInnerParses(t, raw)
		// ReadXML agrees with CheckXML.
		if _, err := ReadXML(httptest.NewRequest("REPORT", "/", strings.NewReader(string(doc))), MaxXMLBody); err != nil {
			t.Fatalf("ReadXML refused what CheckXML accepted: %v", err)
		}
	})
}

// checkInnerParses asserts that a captured value replays as well-formed
// XML without duplicate attributes and that Text and Children work on it.
func checkInnerParses(t *testing.T, raw RawXML) {
	t.Helper()
	wrapped := "<w>" + raw.Inner + "</w>"
	root, err := parseTreeErr([]byte(wrapped))
	if err != nil {
		t.Fatalf("captured inner XML does not parse: %v\n%q", err, raw.Inner)
	}
	var walk func(n *node)
	walk = func(n *node) {
		seen := map[xml.Name]bool{}
		for _, a := range n.Attr {
			if seen[a.Name] {
				t.Fatalf("duplicate attribute %v in %q", a.Name, raw.Inner)
			}
			seen[a.Name] = true
		}
		for _, k := range n.Kids {
			walk(k)
		}
	}
	walk(root)
	_ = raw.Text()
	if got := raw.Children(); len(got) != len(root.Kids) {
		t.Fatalf("Children = %v, want %v", got, root.kidNames())
	}
	// Capturing the replay again yields the same inner XML.
	var again RawXML
	if err := xml.Unmarshal([]byte(wrapped), &again); err != nil {
		t.Fatalf("re-capture: %v", err)
	}
	if again.Inner != raw.Inner {
		t.Fatalf("inner XML not stable:\n%q\n%q", raw.Inner, again.Inner)
	}
}

// checkPropNames asserts what PropNames guarantees: each name once,
// within the count and size limits.
func checkPropNames(t *testing.T, names []xml.Name) {
	t.Helper()
	if len(names) > MaxRequestProps {
		t.Fatalf("%d names", len(names))
	}
	seen, size := map[xml.Name]bool{}, 0
	for _, n := range names {
		if seen[n] {
			t.Fatalf("%v named twice", n)
		}
		seen[n] = true
		size += len(n.Space) + len(n.Local)
	}
	if size > MaxRequestPropBytes {
		t.Fatalf("names of %d bytes", size)
	}
}

func FuzzParsePropfind(f *testing.F) {
	for _, c := range propfindCases {
		f.Add([]byte(c.body))
	}
	f.Add([]byte(`<D:propfind xmlns:D="DAV:"><D:prop>` + strings.Repeat(`<D:getetag/>`, 300) + `</D:prop></D:propfind>`))
	f.Add([]byte(`<propfind xmlns="DAV:"><allprop/><include>` + propElems(names(MaxRequestProps+1)) + `</include></propfind>`))
	f.Fuzz(func(t *testing.T, body []byte) {
		if CheckXML(body) != nil {
			return // callers always run ReadXML first
		}
		pf, err := ParsePropfind(body)
		if err != nil {
			mustDavError(t, err)
			if pf != nil {
				t.Fatal("result with error")
			}
			return
		}
		checkPropNames(t, pf.Props)
		checkPropNames(t, pf.Include)
		switch pf.Kind {
		case FindProp:
			if pf.Include != nil {
				t.Fatal("include with prop")
			}
		case FindAllProp:
			if pf.Props != nil {
				t.Fatal("props with allprop")
			}
		case FindPropName:
			if pf.Props != nil || pf.Include != nil {
				t.Fatal("names with propname")
			}
		default:
			t.Fatalf("kind %d", pf.Kind)
		}
		// Whatever was asked for can be answered with a well-formed
		// multistatus.
		names := append(append([]xml.Name{}, pf.Props...), pf.Include...)
		rec := httptest.NewRecorder()
		m := NewMultistatus(rec, httptest.NewRequest("PROPFIND", "/", nil))
		if err := m.Response("/x", nil, names); err != nil {
			t.Fatal(err)
		}
		if err := m.Close(""); err != nil {
			t.Fatal(err)
		}
		if _, err := parseTreeErr(rec.Body.Bytes()); err != nil {
			t.Fatalf("multistatus for %v does not parse: %v\n%s", names, err, rec.Body.String())
		}
	})
}

var proppatchSeeds = []string{
	`<D:propertyupdate xmlns:D="DAV:"><D:set><D:prop><D:displayname>x</D:displayname></D:prop></D:set></D:propertyupdate>`,
	`<D:propertyupdate xmlns:D="DAV:" xmlns:Z="urn:z"><D:remove><D:prop><Z:a/></D:prop></D:remove><D:set><D:prop><Z:b Z:k="v" k="w"><c xmlns="urn:c">t&amp;</c></Z:b></D:prop></D:set></D:propertyupdate>`,
	`<D:propertyupdate xmlns:D="DAV:"><D:set><X:ext xmlns:X="x"><X:p/></X:ext></D:set></D:propertyupdate>`,
	`<C:mkcalendar xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:set><D:prop><C:supported-calendar-component-set><C:comp name="VTODO"/></C:supported-calendar-component-set></D:prop></D:set></C:mkcalendar>`,
	`<D:propertyupdate xmlns:D="DAV:"><D:set><D:prop><D:x xml:lang="en" xmlns:a="u" a:lang="fr">y</D:x></D:prop></D:set></D:propertyupdate>`,
	`<D:propertyupdate xmlns:D="DAV:"/>`,
	`<D:propertyupdate xmlns:D="DAV:" xml:lang="de"><D:set><D:prop xml:lang="en"><Z:a xmlns:Z="urn:z">x</Z:a><Z:b xmlns:Z="urn:z" xml:lang="">y</Z:b></D:prop></D:set></D:propertyupdate>`,
}

func FuzzParseProppatch(f *testing.F) {
	for _, s := range proppatchSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		ops, err := ParseProppatch(body)
		_, setOps, setErr := ParseSetProps(body)
		if err != nil {
			mustDavError(t, err)
			if ops != nil {
				t.Fatal("ops with error")
			}
		}
		if setErr != nil {
			mustDavError(t, setErr)
		}
		for _, op := range setOps {
			if op.Remove {
				t.Fatal("ParseSetProps returned a remove")
			}
		}
		if err != nil || CheckXML(body) != nil {
			return
		}
		if len(ops) == 0 {
			t.Fatal("no ops without error")
		}
		var distinct []xml.Name
		for _, op := range ops {
			if !slices.Contains(distinct, op.Prop.Name) {
				distinct = append(distinct, op.Prop.Name)
			}
		}
		checkPropNames(t, distinct)
		for _, op := range ops {
			if op.Prop.Name.Local == "" {
				t.Fatal("property without a name")
			}
			checkInnerParses(t, op.Prop)
			// Stored values replay inside a multistatus.
			rec := httptest.NewRecorder()
			m := NewMultistatus(rec, httptest.NewRequest("PROPFIND", "/", nil))
			m.Response("/x", []Prop{StoredProp(op.Prop.Name, op.Prop.Stored()), TextProp(Name(NSDAV, "t"), op.Prop.Text())}, []xml.Name{op.Prop.Name})
			if err := m.Close(""); err != nil {
				t.Fatal(err)
			}
			root, err := parseTreeErr(rec.Body.Bytes())
			if err != nil {
				t.Fatalf("replayed value does not parse: %v\n%s", err, rec.Body.String())
			}
			// With the language it was set in (RFC 4918 14.26).
			replayed := root.Kids[0].children(Name(NSDAV, "propstat"))[0].child(t, Name(NSDAV, "prop")).Kids[0]
			if lang, _ := replayed.attr(xmlNamespace, "lang"); lang != op.Prop.Lang && xmlChars(op.Prop.Lang) {
				t.Fatalf("xml:lang %q replayed as %q", op.Prop.Lang, lang)
			}
		}
	})
}

func FuzzParseSyncCollection(f *testing.F) {
	for _, c := range syncCases {
		f.Add([]byte(c.body))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		sc, err := ParseSyncCollection(body)
		if err != nil {
			mustDavError(t, err)
			if sc != nil {
				t.Fatal("result with error")
			}
			return
		}
		if sc.Limit < 0 {
			t.Fatalf("limit %d", sc.Limit)
		}
		checkPropNames(t, sc.Props)
		if sc.Token != strings.TrimSpace(sc.Token) {
			t.Fatalf("token %q not trimmed", sc.Token)
		}
		if sc.Token != "" {
			inc, seq, err := ParseSyncToken(sc.Token)
			if err != nil {
				wantError(t, err, 403, CondValidSyncToken)
			} else if inc2, seq2, err := ParseSyncToken(SyncToken(inc, seq)); err != nil || inc2 != inc || seq2 != seq {
				t.Fatalf("token %q parsed as %q %d, which does not round-trip: %q %d %v", sc.Token, inc, seq, inc2, seq2, err)
			}
		}
	})
}

func FuzzParseETagList(f *testing.F) {
	seeds := []string{"*", `"a"`, `W/"a"`, `"a", W/"b"`, `"a,b", "c"`, `, "a",,`, `"a`, `w/"a"`, `"a" b`, ``, `*, "a"`}
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		tags, err := parseETagList(s)
		if err != nil {
			mustDavError(t, err)
			if tags != nil {
				t.Fatal("tags with error")
			}
			return
		}
		if len(tags) == 0 {
			t.Fatal("empty list accepted")
		}
		for _, tag := range tags {
			if tag == "*" {
				if len(tags) != 1 {
					t.Fatalf("* inside a list: %q", tags)
				}
				continue
			}
			opaque := strings.TrimPrefix(tag, "W/")
			if len(opaque) < 2 || opaque[0] != '"' || opaque[len(opaque)-1] != '"' || strings.Contains(opaque[1:len(opaque)-1], `"`) {
				t.Fatalf("malformed tag %q from %q", tag, s)
			}
			if !strings.Contains(s, tag) {
				t.Fatalf("tag %q not in input %q", tag, s)
			}
			// Every accepted tag matches itself weakly and, unless weak,
			// strongly.
			c := Conditions{IfMatch: []string{tag}, IfNoneMatch: []string{tag}}
			if c.WriteAllowed(true, tag) {
				t.Fatalf("If-None-Match %q did not match itself", tag)
			}
			strongOK := Conditions{IfMatch: []string{tag}}.WriteAllowed(true, tag)
			if strongOK == strings.HasPrefix(tag, "W/") {
				t.Fatalf("strong comparison of %q with itself = %v", tag, strongOK)
			}
		}
		// Re-joining the parsed list parses to the same list.
		again, err := parseETagList(strings.Join(tags, ", "))
		if err != nil || strings.Join(again, "|") != strings.Join(tags, "|") {
			t.Fatalf("re-parse of %q gave %q, %v", tags, again, err)
		}
	})
}

func FuzzSplitPath(f *testing.F) {
	for _, s := range []string{
		"/dav/calendars/alice/work/", "/dav/a/b.ics", "/dav", "/dav/", "/dav/../x", "/dav/%2e%2e/x",
		"/dav/a%2Fb", "/dav/a%00b", `/dav/a\b`, "/dav/a//b", "/dav//a", "/dav/%zz", "/davx/a",
		"/dav/%C3%A9v%C3%A9nement.ics", "/dav/%FF", "/dav/.%2E/", "/other",
		"/dav/c/" + strings.Repeat("a", MaxSegmentBytes), "/dav/c/" + strings.Repeat("a", MaxSegmentBytes+1) + "/",
		"/dav/" + strings.Repeat("%C3%A9", MaxSegmentBytes/2) + "/x",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, escaped string) {
		segs, trailing, err := SplitPath(escaped, "/dav")
		if err != nil {
			mustDavError(t, err)
			if segs != nil {
				t.Fatal("segments with error")
			}
			return
		}
		if !strings.HasPrefix(escaped, "/dav") {
			t.Fatalf("accepted %q outside the prefix", escaped)
		}
		if rest := escaped[len("/dav"):]; rest != "" && rest[0] != '/' {
			t.Fatalf("accepted %q without a segment boundary after the prefix", escaped)
		}
		for _, s := range segs {
			if len(s) > MaxSegmentBytes {
				t.Fatalf("segment of %d bytes", len(s))
			}
			if s == "" || s == "." || s == ".." {
				t.Fatalf("segment %q from %q", s, escaped)
			}
			if strings.ContainsAny(s, "/\\\x00") {
				t.Fatalf("segment %q from %q contains a separator or NUL", s, escaped)
			}
			for _, r := range s {
				if r < 0x20 || r == 0x7f {
					t.Fatalf("control character in %q", s)
				}
			}
			if !utf8.ValidString(s) {
				t.Fatalf("invalid UTF-8 segment %q", s)
			}
		}
		// Canonical form: re-escaping the segments gives a path that
		// splits to the same segments.
		canon := "/dav"
		if len(segs) > 0 {
			canon += "/" + EscapePath(strings.Join(segs, "/"))
		}
		if trailing && len(segs) > 0 {
			canon += "/"
		}
		again, tr2, err := SplitPath(canon, "/dav")
		if err != nil || strings.Join(again, "\x00") != strings.Join(segs, "\x00") || (len(segs) > 0 && tr2 != trailing) {
			t.Fatalf("canonical %q of %q gave %q %v %v", canon, escaped, again, tr2, err)
		}
	})
}

func FuzzHrefs(f *testing.F) {
	for _, s := range []string{
		`<C:calendar-multiget xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop><D:getetag/></D:prop><D:href>/a</D:href><D:href> /a </D:href><D:href>/b</D:href></C:calendar-multiget>`,
		`<D:x xmlns:D="DAV:"><D:href><D:href>/nested</D:href></D:href><D:href/></D:x>`,
		`<D:x xmlns:D="DAV:"><D:href>/a&amp;b</D:href><href>/no-ns</href></D:x>`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		if CheckXML(body) != nil {
			return // callers always run ReadXML first
		}
		hrefs, err := Hrefs(body)
		if err != nil {
			mustDavError(t, err)
			if hrefs != nil {
				t.Fatal("hrefs with an error")
			}
			return
		}
		if len(hrefs) > MaxRequestHrefs {
			t.Fatalf("%d hrefs", len(hrefs))
		}
		seen := map[string]bool{}
		for _, h := range hrefs {
			if seen[h] {
				t.Fatalf("href %q twice", h)
			}
			seen[h] = true
			if h != strings.TrimSpace(h) {
				t.Fatalf("href %q not trimmed", h)
			}
		}
	})
}
