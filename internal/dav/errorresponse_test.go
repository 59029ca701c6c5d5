package dav

import (
	"net/http"
	"strings"
	"testing"
)

// TestMultistatus_ErrorResponse: the 507 that reports results cut short
// (RFC 5323 5.6, RFC 6578 3.6) is href, status, DAV:error, then
// DAV:responsedescription, in RFC 4918 14.24's order, with the text
// escaped.
func TestMultistatus_ErrorResponse(t *testing.T) {
	rec := newRecorderMultistatus(t, "REPORT", func(m *Multistatus) {
		if err := m.ErrorResponse("/dav/c/", http.StatusInsufficientStorage, CondNumberOfMatches, `cut <short> & "more"`); err != nil {
			t.Fatal(err)
		}
	})
	checkMultistatusHeaders(t, rec)
	root := parseTree(t, rec.Body.Bytes())
	if len(root.Kids) != 1 {
		t.Fatalf("%d children", len(root.Kids))
	}
	r := root.Kids[0]
	var names []string
	for _, k := range r.Kids {
		names = append(names, k.Name.Local)
	}
	if got := strings.Join(names, " "); got != "href status error responsedescription" {
		t.Fatalf("children %s", got)
	}
	if r.Kids[1].Text != "HTTP/1.1 507 Insufficient Storage" {
		t.Errorf("status %q", r.Kids[1].Text)
	}
	if e := r.Kids[2]; len(e.Kids) != 1 || e.Kids[0].Name != CondNumberOfMatches {
		t.Errorf("error %+v", e)
	}
	if d := r.Kids[3].Text; d != `cut <short> & "more"` {
		t.Errorf("description %q", d)
	}
}
