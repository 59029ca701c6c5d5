package davtree_test

import (
	"encoding/xml"
	"maps"
	"net/http"
	"slices"
	"strings"
	"testing"

	"almanac/internal/dav"
	"almanac/internal/davtest"
)

func TestPropfindDepth(t *testing.T) {
	e := newEnv(t)
	a := e.alice
	e.mkbook(a, "work")
	e.mustPut(a, note(a, "work", "b.txt"), "uid-b\n")
	e.mustPut(a, note(a, "work", "a.txt"), "uid-a\n")
	for _, tc := range []struct {
		path, depth string
		want        []string
	}{
		{book(a, "work"), "0", []string{book(a, "work")}},
		{book(a, "work"), "1", []string{book(a, "work"), note(a, "work", "a.txt"), note(a, "work", "b.txt")}},
		{note(a, "work", "a.txt"), "1", []string{note(a, "work", "a.txt")}},
		// The home lists the notebooks, not the user's lists ("default").
		{home(a), "1", []string{home(a), book(a, "contacts"), book(a, "work")}},
		{home(a), "0", []string{home(a)}},
		{"/dav/lists/" + a.ID + "/", "1", []string{"/dav/lists/" + a.ID + "/", "/dav/lists/" + a.ID + "/default/"}},
	} {
		if got := e.propfind(a, tc.path, tc.depth, "D:getetag").Hrefs(); !slices.Equal(got, tc.want) {
			t.Errorf("PROPFIND %s Depth %s: %v, want %v", tc.path, tc.depth, got, tc.want)
		}
	}
	// Depth infinity, and no Depth (which means infinity), are refused
	// (RFC 4918 9.1); other values are malformed.
	for _, d := range []string{"infinity", "Infinity", ""} {
		for _, p := range []string{"/dav/", home(a), book(a, "work"), note(a, "work", "a.txt")} {
			rec := e.do(a, "PROPFIND", p, propfindBody("D:getetag"), "Depth", d)
			davtest.WantError(t, rec, http.StatusForbidden, "propfind-finite-depth")
		}
	}
	for _, d := range []string{"2", "one", "-1"} {
		davtest.WantError(t, e.do(a, "PROPFIND", book(a, "work"), "", "Depth", d), http.StatusBadRequest, "")
	}
}

func TestPropfindForms(t *testing.T) {
	e := newEnv(t)
	a := e.alice
	e.mkbook(a, "work", `<D:displayname>Work</D:displayname><N:color>#112233</N:color><X:dead xmlns:X="urn:x">kept</X:dead>`)
	e.mustPut(a, note(a, "work", "a.txt"), "uid-a\nbody\n")
	b, n := book(a, "work"), note(a, "work", "a.txt")

	names := func(m *davtest.Multistatus, href string) []string {
		var out []string
		for _, r := range m.Responses {
			if r.Href != href {
				continue
			}
			for _, ps := range r.Propstats {
				for _, p := range ps.Prop.Any {
					out = append(out, dav.Clark(p.XMLName))
				}
			}
		}
		slices.Sort(out)
		return out
	}
	collLive := []string{"{DAV:}resourcetype", "{DAV:}owner", "{DAV:}current-user-principal", "{DAV:}current-user-privilege-set",
		"{DAV:}supported-report-set", "{http://calendarserver.org/ns/}getctag", "{DAV:}sync-token",
		"{" + nsNotes + "}supported-note-types", "{" + nsNotes + "}supported-note-data", "{" + nsNotes + "}max-resource-size",
		"{DAV:}displayname", "{" + nsNotes + "}color", "{urn:x}dead"}
	slices.Sort(collLive)
	memberLive := []string{"{DAV:}getetag", "{DAV:}getcontenttype", "{DAV:}getcontentlength", "{DAV:}getlastmodified",
		"{DAV:}resourcetype", "{DAV:}owner", "{DAV:}current-user-privilege-set"}
	slices.Sort(memberLive)

	for _, body := range []string{"", `<D:propfind xmlns:D="DAV:"><D:allprop/></D:propfind>`} {
		m := davtest.ParseMS(t, e.do(a, "PROPFIND", b, body, "Depth", "1"))
		// allprop leaves out the data property (RFC 4791 9.6, RFC 6352
		// 10.4): it is asked for by name only.
		if got := names(m, b); !slices.Equal(got, collLive) {
			t.Errorf("allprop collection %q:\n%v\nwant\n%v", body, got, collLive)
		}
		if got := names(m, n); !slices.Equal(got, memberLive) {
			t.Errorf("allprop member %q:\n%v\nwant\n%v", body, got, memberLive)
		}
		if txt, _, _ := m.Prop(b, "dead"); txt != "kept" {
			t.Errorf("dead property %q", txt)
		}
		if txt, _, _ := m.Prop(n, "getcontentlength"); txt != "11" {
			t.Errorf("getcontentlength %q", txt)
		}
		if txt, _, _ := m.Prop(n, "getcontenttype"); txt != "text/plain; charset=utf-8" {
			t.Errorf("getcontenttype %q", txt)
		}
	}
	// allprop with include answers for the included name too: the data
	// property is a REPORT's, so PROPFIND has none (404).
	m := davtest.ParseMS(t, e.do(a, "PROPFIND", n, `<D:propfind`+xmlns+`><D:allprop/><D:include><N:note-data/></D:include></D:propfind>`, "Depth", "0"))
	var included []string
	for _, ps := range m.Responses[0].Propstats {
		for _, p := range ps.Prop.Any {
			if p.XMLName == pNoteData {
				included = append(included, ps.Status)
			}
		}
	}
	if _, _, ok := m.Prop(n, "getetag"); !ok || len(included) != 1 || status(included[0]) != 404 {
		t.Errorf("allprop with include: note-data %v: %s", included, m.Hrefs())
	}

	// propname: the same names, without values.
	m = davtest.ParseMS(t, e.do(a, "PROPFIND", b, `<D:propfind xmlns:D="DAV:"><D:propname/></D:propfind>`, "Depth", "0"))
	if got := names(m, b); !slices.Equal(got, collLive) {
		t.Errorf("propname: %v", got)
	}
	if txt, inner, _ := m.Prop(b, "getctag"); txt != "" || inner != "" {
		t.Errorf("propname carries a value: %q %q", txt, inner)
	}

	// Unknown properties are 404 in their own propstat; Prefer:
	// return=minimal drops that propstat (RFC 8144).
	rec := e.do(a, "PROPFIND", b, propfindBody("D:displayname", "N:nothing", "D:getetag"), "Depth", "0")
	m = davtest.ParseMS(t, rec)
	var found, missing []string
	for _, ps := range m.Responses[0].Propstats {
		for _, p := range ps.Prop.Any {
			switch status(ps.Status) {
			case 200:
				found = append(found, p.XMLName.Local)
			case 404:
				missing = append(missing, p.XMLName.Local)
			}
		}
	}
	// A collection has no getetag property; its entity tag is its ctag.
	if !slices.Equal(found, []string{"displayname"}) || !slices.Equal(missing, []string{"nothing", "getetag"}) {
		t.Errorf("found %v, missing %v", found, missing)
	}
	for _, prefer := range [][]string{{"Prefer", "return=minimal"}, {"Prefer", `return="minimal"`}, {"Brief", "t"}} {
		rec = e.do(a, "PROPFIND", b, propfindBody("D:displayname", "N:nothing"), "Depth", "0", prefer[0], prefer[1])
		m = davtest.ParseMS(t, rec)
		if len(m.Responses[0].Propstats) != 1 || strings.Contains(rec.Body.String(), "nothing") {
			t.Errorf("%s: %s", prefer, rec.Body)
		}
		if prefer[0] == "Prefer" && rec.Header().Get("Preference-Applied") != "return=minimal" {
			t.Errorf("%s: Preference-Applied %q", prefer, rec.Header().Get("Preference-Applied"))
		}
	}
	// A body that is not a propfind is malformed.
	for _, body := range []string{`<D:prop xmlns:D="DAV:"/>`, `<D:propfind xmlns:D="DAV:"/>`, `<D:propfind xmlns:D="DAV:"><D:prop>`,
		`<D:propfind xmlns:D="DAV:"><D:allprop/><D:propname/></D:propfind>`, `<!DOCTYPE x [<!ENTITY a "b">]><x/>`} {
		davtest.WantError(t, e.do(a, "PROPFIND", b, body, "Depth", "0"), http.StatusBadRequest, "")
	}
}

func TestPropfindCollectionValues(t *testing.T) {
	e := newEnv(t)
	a := e.alice
	e.mkbook(a, "work", `<N:supported-note-types><N:type name="NOTE"/></N:supported-note-types>`)
	b := book(a, "work")
	m := e.propfind(a, b, "0", "D:owner", "D:current-user-principal", "D:current-user-privilege-set",
		"D:supported-report-set", "N:max-resource-size", "N:supported-note-types", "N:supported-note-data")
	if _, inner, _ := m.Prop(b, "owner"); !strings.Contains(inner, "/dav/principals/"+a.ID+"/") {
		t.Errorf("owner %q", inner)
	}
	if txt, _, _ := m.Prop(b, "max-resource-size"); txt != "1024" {
		t.Errorf("max-resource-size %q, want the tree's option", txt)
	}
	if _, inner, _ := m.Prop(b, "supported-note-types"); !strings.Contains(inner, `name="NOTE"`) || strings.Contains(inner, "CHECKLIST") {
		t.Errorf("supported-note-types %q", inner)
	}
	if _, inner, _ := m.Prop(b, "current-user-privilege-set"); !strings.Contains(inner, "write-content") {
		t.Errorf("owner's privileges %q", inner)
	}
}

func TestProppatch(t *testing.T) {
	e := newEnv(t)
	a := e.alice
	e.mkbook(a, "work", `<D:displayname>Work</D:displayname><X:old xmlns:X="urn:x">1</X:old>`)
	b := book(a, "work")
	patch := func(ops string) string {
		return `<D:propertyupdate` + xmlns + ` xmlns:X="urn:x">` + ops + `</D:propertyupdate>`
	}
	set := func(props string) string { return `<D:set><D:prop>` + props + `</D:prop></D:set>` }
	remove := func(props string) string { return `<D:remove><D:prop>` + props + `</D:prop></D:remove>` }

	// Everything valid: all 200 and stored.
	m := davtest.ParseMS(t, e.do(a, "PROPPATCH", b, patch(set(`<D:displayname>Büro</D:displayname><N:color>#a0b0c0</N:color><X:new>2</X:new>`)+remove(`<X:old/>`))))
	for _, ps := range m.Responses[0].Propstats {
		if status(ps.Status) != 200 || len(ps.Prop.Any) != 4 {
			t.Errorf("propstat %s with %d props", ps.Status, len(ps.Prop.Any))
		}
	}
	want := map[string]string{pDisplayName: "Büro", "{" + nsNotes + "}color": "#a0b0c0", "{urn:x}new": "2"}
	if got := e.coll(a, "work").Props; !maps.Equal(got, want) {
		t.Errorf("props %v, want %v", got, want)
	}
	// Instructions apply in order (RFC 4918 9.2): set then remove removes.
	davtest.ParseMS(t, e.do(a, "PROPPATCH", b, patch(set(`<X:tmp>x</X:tmp>`)+remove(`<X:tmp/>`))))
	if _, ok := e.coll(a, "work").Props["{urn:x}tmp"]; ok {
		t.Error("set then remove left the property")
	}

	// One bad instruction fails them all: it gets its 403 and condition,
	// the others 424, and nothing is stored.
	before := e.coll(a, "work")
	for _, tc := range []struct {
		name, ops string
		bad       string
		cond      xml.Name
	}{
		{"kind refuses the value", set(`<D:displayname>x</D:displayname><N:color>red</N:color><X:a>1</X:a>`), "color", condValidColor},
		{"computed by the tree", set(`<D:displayname>x</D:displayname>`) + remove(`<CS:getctag/>`), "getctag", dav.CondCannotModify},
		{"sync-token", set(`<D:sync-token>x</D:sync-token><X:a>1</X:a>`), "sync-token", dav.CondCannotModify},
		{"resourcetype", set(`<D:resourcetype><D:collection/></D:resourcetype><X:a>1</X:a>`), "resourcetype", dav.CondCannotModify},
		{"kind's computed", set(`<N:supported-note-data>x</N:supported-note-data><X:a>1</X:a>`), "supported-note-data", dav.CondCannotModify},
		{"tree's size for the kind", set(`<N:max-resource-size>9</N:max-resource-size><X:a>1</X:a>`), "max-resource-size", dav.CondCannotModify},
		{"creation only", set(`<N:supported-note-types><N:type name="NOTE"/></N:supported-note-types><X:a>1</X:a>`), "supported-note-types", dav.CondCannotModify},
		{"data property", set(`<N:note-data>x</N:note-data><X:a>1</X:a>`), "note-data", dav.CondCannotModify},
		{"member property", set(`<D:getetag>"x"</D:getetag><X:a>1</X:a>`), "getetag", dav.CondCannotModify},
		{"principal property", set(`<N:notes-home-set>x</N:notes-home-set><X:a>1</X:a>`), "notes-home-set", dav.CondCannotModify},
	} {
		rec := e.do(a, "PROPPATCH", b, patch(tc.ops))
		m := davtest.ParseMS(t, rec)
		var failed, dependent []string
		for _, ps := range m.Responses[0].Propstats {
			for _, p := range ps.Prop.Any {
				switch status(ps.Status) {
				case 403:
					failed = append(failed, p.XMLName.Local)
				case 424:
					dependent = append(dependent, p.XMLName.Local)
				default:
					t.Errorf("%s: %s has status %s", tc.name, p.XMLName.Local, ps.Status)
				}
			}
		}
		if !slices.Equal(failed, []string{tc.bad}) || len(dependent) == 0 {
			t.Errorf("%s: 403 %v, 424 %v", tc.name, failed, dependent)
		}
		if !strings.Contains(rec.Body.String(), tc.cond.Local) {
			t.Errorf("%s: condition %s missing: %s", tc.name, tc.cond.Local, rec.Body)
		}
	}
	if after := e.coll(a, "work"); !maps.Equal(after.Props, before.Props) {
		t.Errorf("a failed PROPPATCH changed props: %v → %v", before.Props, after.Props)
	}

	// Only collections have writable properties.
	e.mustPut(a, note(a, "work", "n.txt"), "uid-n\n")
	for _, p := range []string{note(a, "work", "n.txt"), home(a), "/dav/", "/dav/principals/" + a.ID + "/"} {
		davtest.WantError(t, e.do(a, "PROPPATCH", p, patch(set(`<X:a>1</X:a>`))), http.StatusForbidden, "cannot-modify-protected-property")
	}
	for _, p := range []string{book(a, "missing"), note(a, "missing", "n.txt"), book(a, "default")} {
		davtest.WantError(t, e.do(a, "PROPPATCH", p, patch(set(`<X:a>1</X:a>`))), http.StatusNotFound, "")
	}
	for _, body := range []string{"", `<D:propfind xmlns:D="DAV:"/>`, patch(""), `<D:propertyupdate xmlns:D="DAV:"><D:set><D:prop><X:a>`} {
		davtest.WantError(t, e.do(a, "PROPPATCH", b, body), http.StatusBadRequest, "")
	}
}

func TestMkcol(t *testing.T) {
	e := newEnv(t)
	a := e.alice

	// Extended MKCOL (RFC 5689) with the kind's resourcetype and set-props,
	// the kind's creation-only property moved out of Props by Prepare.
	rec := e.do(a, "MKCOL", book(a, "work"), mkcolBody("N:notebook",
		`<D:displayname>Work</D:displayname><N:color>#000000</N:color><N:supported-note-types><N:type name="CHECKLIST"/></N:supported-note-types>`))
	if rec.Code != http.StatusCreated || rec.Header().Get("Location") != book(a, "work") {
		t.Fatalf("MKCOL: %d Location %q %s", rec.Code, rec.Header().Get("Location"), rec.Body)
	}
	c := e.coll(a, "work")
	if c.Kind != e.notes.spec.StorageKind || !slices.Equal(c.Components, []string{"CHECKLIST"}) ||
		!maps.Equal(c.Props, map[string]string{pDisplayName: "Work", "{" + nsNotes + "}color": "#000000"}) {
		t.Errorf("created %v %v %v", c.Kind, c.Components, c.Props)
	}
	if rec := e.put(a, note(a, "work", "n.txt"), "uid-n\nplain\n"); rec.Code != http.StatusForbidden || !strings.Contains(rec.Body.String(), "supported-note-type") {
		t.Errorf("a NOTE in a CHECKLIST notebook: %d %s", rec.Code, rec.Body)
	}
	// A kind without its own method creates with extended MKCOL.
	if rec := e.do(a, "MKCOL", "/dav/lists/"+a.ID+"/todo/", mkcolBody("N:list")); rec.Code != http.StatusCreated {
		t.Errorf("MKCOL list: %d %s", rec.Code, rec.Body)
	}

	for _, tc := range []struct {
		name, method, path, body string
		status                   int
		cond                     string
	}{
		{"no body: no resourcetype", "MKCOL", book(a, "x"), "", 403, "valid-resourcetype"},
		{"plain collection", "MKCOL", book(a, "x"), mkcolBody("D:collection"), 403, "valid-resourcetype"},
		{"another kind's resourcetype", "MKCOL", book(a, "x"), mkcolBody("N:list"), 403, "valid-resourcetype"},
		{"kind refuses a value", "MKCOL", book(a, "x"), mkcolBody("N:notebook", `<N:color>blue</N:color>`), 403, "valid-color"},
		{"kind refuses a type", "MKCOL", book(a, "x"), mkcolBody("N:notebook", `<N:supported-note-types><N:type name="POEM"/></N:supported-note-types>`), 403, "supported-note-type"},
		{"computed property", "MKCOL", book(a, "x"), mkcolBody("N:notebook", `<CS:getctag>1</CS:getctag>`), 403, "cannot-modify-protected-property"},
		{"computed kind property", "MKCOL", book(a, "x"), mkcolBody("N:notebook", `<N:supported-note-data>x</N:supported-note-data>`), 403, "cannot-modify-protected-property"},
		{"remove in mkcol", "MKCOL", book(a, "x"), `<D:mkcol xmlns:D="DAV:"><D:remove><D:prop><D:displayname/></D:prop></D:remove></D:mkcol>`, 400, ""},
		{"wrong root", "MKCOL", book(a, "x"), `<D:propertyupdate` + xmlns + `><D:set><D:prop><D:resourcetype><D:collection/><N:notebook/></D:resourcetype></D:prop></D:set></D:propertyupdate>`, 400, ""},
		{"malformed", "MKCOL", book(a, "x"), `<D:mkcol xmlns:D="DAV:"><D:set>`, 400, ""},
		{"name taken", "MKCOL", book(a, "work"), mkcolBody("N:notebook"), 405, ""},
		{"name taken by another kind", "MKCOL", book(a, "default"), mkcolBody("N:notebook"), 403, "notebook-location-ok"},
		{"other kind's name taken by this kind", "MKCOL", "/dav/lists/" + a.ID + "/work/", mkcolBody("N:list"), 403, "list-location-ok"},
		{"parent missing", "MKCOL", book(a, "nope") + "sub/", mkcolBody("N:notebook"), 409, ""},
		{"nested", "MKCOL", book(a, "work") + "sub/", mkcolBody("N:notebook"), 403, "notebook-location-ok"},
		{"on the home", "MKCOL", home(a), mkcolBody("N:notebook"), 405, ""},
		{"on the kinds", "MKCOL", "/dav/notes/", mkcolBody("N:notebook"), 405, ""},
		{"on the root", "MKCOL", "/dav/", mkcolBody("N:notebook"), 405, ""},
		{"on principals", "MKCOL", "/dav/principals/" + a.ID + "/", mkcolBody("N:notebook"), 405, ""},
		{"another kind's method", "MKNOTEBOOK", "/dav/lists/" + a.ID + "/x/", "", 403, "notebook-location-ok"},
		{"no kind's method", "MKCALENDAR", book(a, "x"), "", 501, ""},
	} {
		rec := e.do(a, tc.method, tc.path, tc.body)
		if rec.Code != tc.status || (tc.cond != "" && !strings.Contains(rec.Body.String(), tc.cond)) {
			t.Errorf("%s: %s %s = %d %s, want %d %s", tc.name, tc.method, tc.path, rec.Code, rec.Body, tc.status, tc.cond)
		}
	}
	// Nothing of the refused requests was created.
	colls, err := e.store.ListCollections(t.Context(), a.ID)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, c := range colls {
		names = append(names, c.Name)
	}
	if want := []string{"contacts", "default", "todo", "work"}; !slices.Equal(names, want) {
		t.Errorf("collections %v, want %v", names, want)
	}
}
