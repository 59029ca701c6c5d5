package davtree_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// FuzzRequest sends arbitrary methods, paths below alice's notes home,
// bodies and conditional headers through the tree. Whatever arrives, the
// answer is no server error, and XML answers are namespace-well-formed
// with no internal text (env.do checks both); nothing reaches bob, and
// nothing of his comes back (a multiget on alice's home names members by
// any href).
func FuzzRequest(f *testing.F) {
	e := newEnv(f)
	a, b := e.alice, e.bob
	e.mkbook(a, "work")
	e.mkbook(b, "diary")
	const bobs = "uid-d\nbob's secret 5e1f\n"
	e.mustPut(b, note(b, "diary", "d.txt"), bobs)
	before := e.coll(b, "diary").Seq

	for _, seed := range []struct{ method, path, body, hdr string }{
		{"PROPFIND", "work/", propfindBody("D:getetag", "N:nothing"), "1"},
		{"PROPFIND", "", `<D:propfind xmlns:D="DAV:"><D:allprop/></D:propfind>`, "1"},
		{"PUT", "work/n.txt", "uid-n\n- [ ] x\n", `"x"`},
		{"PUT", "work/../n.txt", "uid-n\n", "*"},
		{"GET", "work/n%2Fx.txt", "", `W/"a"`},
		{"MKCOL", "new/", mkcolBody("N:notebook", `<N:color>#123456</N:color>`), ""},
		{"MKNOTEBOOK", "nb/", `<N:mknotebook` + xmlns + `/>`, ""},
		{"PROPPATCH", "work/", `<D:propertyupdate` + xmlns + `><D:set><D:prop><N:color>x</N:color></D:prop></D:set></D:propertyupdate>`, ""},
		{"REPORT", "work/", multigetBody("<N:note-data lines=\"2\"/>", "/dav/notes/x/work/n.txt", "../diary/d.txt"), ""},
		{"REPORT", "", multigetBody("<N:note-data/>", home(a)+"work/n.txt", note(b, "diary", "d.txt"), home(a)+"diary/d.txt",
			home(a)+"..%2F"+b.ID+"/diary/d.txt", "http://example.com"+home(a)+"work/n.txt", home(a)+"work/"), "0"},
		{"REPORT", "work/", syncBody("urn:almanac:sync:x:1", "limit=2"), ""},
		{"REPORT", "work/n.txt", `<N:note-index` + xmlns + `><D:allprop/></N:note-index>`, ""},
		{"COPY", "work/n.txt", "", "/dav/notes/" + b.ID + "/diary/x.txt"},
		{"MOVE", "work/n.txt", "", "http://example.com/dav/notes/" + a.ID + "/work/m.txt"},
		{"POST", "work/", `<CS:share` + xmlns + `><CS:set><D:href>mailto:bob@example.com</D:href></CS:set></CS:share>`, ""},
		{"DELETE", "work/", "", `"x"`},
	} {
		f.Add(seed.method, seed.path, seed.body, seed.hdr)
	}
	f.Fuzz(func(t *testing.T, method, path, body, hdr string) {
		if len(body) > 4096 || !validToken(method) {
			return
		}
		u, err := url.Parse(home(a) + path)
		if err != nil || u.Host != "" || u.RawQuery != "" || u.Fragment != "" || strings.ContainsAny(path, " \t\r\n") {
			return
		}
		ee := *e
		ee.t = t
		var h []string
		if validHeader(hdr) {
			h = []string{"If-Match", hdr, "Destination", hdr, "Depth", hdr, "Content-Type", "text/plain"}
		}
		rec := ee.do(a, method, u.RequestURI(), body, h...)
		// 501 is the answer to a method the tree does not know (RFC
		// 9110 15.6.2); any other 5xx is the server's fault.
		if rec.Code >= 500 && rec.Code != http.StatusNotImplemented {
			t.Fatalf("%s %s: %d %s", method, path, rec.Code, rec.Body)
		}
		if seq := ee.coll(b, "diary").Seq; seq != before || ee.stored(b, "diary", "d.txt") != bobs {
			t.Fatalf("%s %s changed bob's notebook", method, path)
		}
		if strings.Contains(rec.Body.String(), "secret 5e1f") {
			t.Fatalf("%s %s answered with bob's note: %s", method, path, rec.Body)
		}
	})
}

// validToken: what net/http accepts as a method.
func validToken(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if c > 0x7e || c <= ' ' || strings.ContainsRune(`()<>@,;:\"/[]?={}`, c) {
			return false
		}
	}
	return true
}

// validHeader: what net/http accepts as a header value.
func validHeader(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < ' ' && c != '\t') || c == 0x7f {
			return false
		}
	}
	return true
}
