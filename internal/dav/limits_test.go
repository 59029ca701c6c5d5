package dav

import (
	"encoding/xml"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// names returns n distinct names in namespace "urn:x" ("p0", "p1", ...).
func names(n int) []xml.Name {
	out := make([]xml.Name, n)
	for i := range out {
		out[i] = Name("urn:x", "p"+strconv.Itoa(i))
	}
	return out
}

// propElems renders names as empty elements with the prefix X bound to
// urn:x on some ancestor.
func propElems(ns []xml.Name) string {
	var sb strings.Builder
	for _, n := range ns {
		sb.WriteString("<X:" + n.Local + "/>")
	}
	return sb.String()
}

func TestPropNames_Add(t *testing.T) {
	longLocal := "l" + strings.Repeat("x", MaxRequestPropBytes)
	tests := []struct {
		name   string
		add    []xml.Name
		want   int // distinct names kept
		status int // 0: no error
	}{
		{"empty", nil, 0, 0},
		{"duplicates collapse", slices.Repeat([]xml.Name{dGetETag, dDisplayName, dGetETag}, 10000), 2, 0},
		{"same local name, other namespace", []xml.Name{Name("urn:a", "x"), Name("urn:b", "x")}, 2, 0},
		{"at the cap", names(MaxRequestProps), MaxRequestProps, 0},
		{"at the cap, repeated", slices.Repeat(names(MaxRequestProps), 3), MaxRequestProps, 0},
		{"one over the cap", names(MaxRequestProps + 1), MaxRequestProps, 413},
		{"one name over the byte budget", []xml.Name{Name("", longLocal)}, 0, 413},
		{"byte budget spent by a few names", []xml.Name{
			Name("urn:x", strings.Repeat("a", MaxRequestPropBytes/2)),
			Name("urn:x", strings.Repeat("b", MaxRequestPropBytes/2)),
		}, 1, 413},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var p PropNames
			var err error
			for _, n := range tt.add {
				if err = p.Add(n); err != nil {
					break
				}
			}
			if tt.status == 0 && err != nil {
				t.Fatalf("error %v", err)
			}
			if tt.status != 0 {
				e := wantError(t, err, tt.status, CondTooManyProps)
				if e.Message == "" {
					t.Error("no message")
				}
			}
			if len(p.Names) != tt.want {
				t.Fatalf("%d names kept, want %d", len(p.Names), tt.want)
			}
			seen := map[xml.Name]bool{}
			for _, n := range p.Names {
				if seen[n] {
					t.Fatalf("%v kept twice", n)
				}
				seen[n] = true
			}
		})
	}
}

func TestParseRequests_PropLimits(t *testing.T) {
	const nsX = ` xmlns:D="DAV:" xmlns:X="urn:x"`
	propfind := func(inner string) string { return `<D:propfind` + nsX + `><D:prop>` + inner + `</D:prop></D:propfind>` }
	include := func(inner string) string {
		return `<D:propfind` + nsX + `><D:allprop/><D:include>` + inner + `</D:include></D:propfind>`
	}
	sync := func(inner string) string {
		return `<D:sync-collection` + nsX + `><D:sync-token/><D:sync-level>1</D:sync-level><D:prop>` + inner + `</D:prop></D:sync-collection>`
	}
	proppatch := func(inner string) string {
		return `<D:propertyupdate` + nsX + `><D:set><D:prop>` + inner + `</D:prop></D:set></D:propertyupdate>`
	}
	// parse returns the distinct names a request yields.
	parsers := map[string]struct {
		wrap  func(string) string
		parse func([]byte) ([]xml.Name, error)
	}{
		"propfind prop": {propfind, func(b []byte) ([]xml.Name, error) {
			pf, err := ParsePropfind(b)
			if err != nil {
				return nil, err
			}
			return pf.Props, nil
		}},
		"propfind include": {include, func(b []byte) ([]xml.Name, error) {
			pf, err := ParsePropfind(b)
			if err != nil {
				return nil, err
			}
			return pf.Include, nil
		}},
		"sync-collection": {sync, func(b []byte) ([]xml.Name, error) {
			sc, err := ParseSyncCollection(b)
			if err != nil {
				return nil, err
			}
			return sc.Props, nil
		}},
		"proppatch": {proppatch, func(b []byte) ([]xml.Name, error) {
			ops, err := ParseProppatch(b)
			if err != nil {
				return nil, err
			}
			var out []xml.Name
			for _, op := range ops {
				if !slices.Contains(out, op.Prop.Name) {
					out = append(out, op.Prop.Name)
				}
			}
			return out, nil
		}},
	}
	tests := []struct {
		name   string
		inner  string
		want   []xml.Name
		status int
	}{
		{"repeated 10,000 times", strings.Repeat(`<D:getetag/><X:a/>`, 10000), []xml.Name{dGetETag, Name("urn:x", "a")}, 0},
		{"at the cap", propElems(names(MaxRequestProps)), names(MaxRequestProps), 0},
		{"over the cap", propElems(names(MaxRequestProps + 1)), nil, 413},
		{"50,000 distinct", propElems(names(50000)), nil, 413},
		{"one oversized name", `<X:l` + strings.Repeat("x", MaxRequestPropBytes) + `/>`, nil, 413},
	}
	for pname, p := range parsers {
		for _, tt := range tests {
			t.Run(pname+"/"+tt.name, func(t *testing.T) {
				body := []byte(p.wrap(tt.inner))
				if len(body) > MaxXMLBody {
					t.Fatalf("test body of %d bytes would not pass ReadXML", len(body))
				}
				if err := CheckXML(body); err != nil {
					t.Fatal(err)
				}
				got, err := p.parse(body)
				if tt.status != 0 {
					wantError(t, err, tt.status, CondTooManyProps)
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				if !namesEqual(got, tt.want) {
					t.Fatalf("got %d names %v..., want %d", len(got), got[:min(3, len(got))], len(tt.want))
				}
			})
		}
	}
}

// Repeated instructions stay: a PROPPATCH is applied in order, and the
// cap counts distinct names only.
func TestParseProppatch_RepeatedInstructionsKept(t *testing.T) {
	body := `<D:propertyupdate xmlns:D="DAV:">` +
		strings.Repeat(`<D:set><D:prop><D:displayname>a</D:displayname></D:prop></D:set><D:remove><D:prop><D:displayname/></D:prop></D:remove>`, 1000) +
		`</D:propertyupdate>`
	ops, err := ParseProppatch([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	if len(ops) != 2000 || ops[0].Remove || !ops[1999].Remove {
		t.Fatalf("%d ops", len(ops))
	}
	// ParseSetProps (MKCOL, MKCALENDAR) counts the same way.
	_, _, err = ParseSetProps([]byte(`<D:mkcol xmlns:D="DAV:" xmlns:X="urn:x"><D:set><D:prop>` + propElems(names(MaxRequestProps+1)) + `</D:prop></D:set></D:mkcol>`))
	wantError(t, err, http.StatusRequestEntityTooLarge, CondTooManyProps)
}

func TestHrefs_Limits(t *testing.T) {
	hrefs := func(n int) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = "/c/" + strconv.Itoa(i) + ".ics"
		}
		return out
	}
	body := func(hs []string) []byte {
		var sb strings.Builder
		sb.WriteString(`<C:calendar-multiget xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop><D:getetag/></D:prop>`)
		for _, h := range hs {
			sb.WriteString("<D:href>" + h + "</D:href>")
		}
		sb.WriteString("</C:calendar-multiget>")
		return []byte(sb.String())
	}
	tests := []struct {
		name   string
		in     []string
		want   []string
		status int
	}{
		{"one href 5,000 times", slices.Repeat([]string{"/c/a.ics"}, 5000), []string{"/c/a.ics"}, 0},
		{"order of first mention", []string{"/b", "/a", "/b", " /a ", "/c"}, []string{"/b", "/a", "/c"}, 0},
		{"at the cap", hrefs(MaxRequestHrefs), hrefs(MaxRequestHrefs), 0},
		{"at the cap, repeated", slices.Repeat(hrefs(MaxRequestHrefs), 2), hrefs(MaxRequestHrefs), 0},
		{"over the cap", hrefs(MaxRequestHrefs + 1), nil, 413},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Hrefs(body(tt.in))
			if tt.status != 0 {
				wantError(t, err, tt.status, CondTooManyHrefs)
				if got != nil {
					t.Fatal("hrefs with an error")
				}
				return
			}
			if err != nil || !slices.Equal(got, tt.want) {
				t.Fatalf("got %d hrefs, %v; want %d", len(got), err, len(tt.want))
			}
		})
	}
}

func TestTooMany(t *testing.T) {
	rec, _ := writeErr(t, "REPORT", TooMany(CondTooManyHrefs, 10, "distinct hrefs"))
	if rec.Code != http.StatusRequestEntityTooLarge {
		t.Fatalf("status %d", rec.Code)
	}
	root := parseTree(t, rec.Body.Bytes())
	if root.Name != Name(NSDAV, "error") {
		t.Fatalf("root %v", root.Name)
	}
	root.child(t, CondTooManyHrefs)
	if msg := root.child(t, Name(almanacErrNS, "message")).Text; !strings.Contains(msg, "more than 10 distinct hrefs") {
		t.Errorf("message %q", msg)
	}
}
