package davtree_test

import (
	"net/http"
	"strings"
	"testing"

	"almanac/auth"
	"almanac/internal/davtree"
)

// cutKind is the notes kind whose <N:note-data lines="n"/> rendering
// reports a note longer than n lines as cut short (LimitedRenderer).
type cutKind struct{ *noteKind }

func (k cutKind) DataRequest(r *http.Request, t *davtree.Target, body []byte) (davtree.Renderer, error) {
	rd, err := k.noteKind.DataRequest(r, t, body)
	if n, ok := rd.(firstLines); ok {
		return cutLines(n), err
	}
	return rd, err
}

type cutLines int

func (n cutLines) Render(data []byte) []byte { out, _ := n.RenderLimited(data); return out }

func (n cutLines) RenderLimited(data []byte) ([]byte, bool) {
	return firstLines(n).Render(data), strings.Count(string(data), "\n") > int(n)
}

// TestReportCut: multiget and sync-collection end with one 507 for the
// request-URI, DAV:number-of-matches-within-limits and a description
// naming the members whose data the kind's renderer cut short, and with
// none when it cut nothing.
func TestReportCut(t *testing.T) {
	e := newEnv(t)
	e.tree = davtree.New(e.store, davtree.Options{MaxResourceSize: testMaxSize, Principal: auth.AccountFrom}, cutKind{e.notes}, e.lists)
	a := e.alice
	w := book(a, "work")
	e.mkbook(a, "work")
	long, short := note(a, "work", "long.txt"), note(a, "work", "short.txt")
	e.mustPut(a, long, "uid-l\n2\n3\n")
	e.mustPut(a, short, "uid-s\n")

	for name, body := range map[string]string{
		"multiget": multigetBody(`<N:note-data lines="1"/>`, long, short),
		"sync":     syncBody("", `<N:note-data lines="1"/>`),
	} {
		rec := e.do(a, "REPORT", w, body)
		if rec.Code != http.StatusMultiStatus {
			t.Fatalf("%s: %d %s", name, rec.Code, rec.Body)
		}
		b := rec.Body.String()
		resp := b[strings.Index(b, "<response><href>"+w+"</href>"):]
		resp = resp[:strings.Index(resp, "</response>")]
		for _, want := range []string{"HTTP/1.1 507 Insufficient Storage", "<error><number-of-matches-within-limits/></error>",
			"<responsedescription>incomplete: the server's limits cut short the answer for " + long + "</responsedescription>"} {
			if !strings.Contains(resp, want) {
				t.Errorf("%s: the response for %s lacks %s:\n%s", name, w, want, b)
			}
		}
		if strings.Count(b, "507") != 1 || strings.Contains(resp, short) {
			t.Errorf("%s:\n%s", name, b)
		}
	}
	if b := e.do(a, "REPORT", w, multigetBody(`<N:note-data lines="5"/>`, long, short)).Body.String(); strings.Contains(b, "507") {
		t.Errorf("nothing cut, yet:\n%s", b)
	}
}
