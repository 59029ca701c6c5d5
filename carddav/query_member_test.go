package carddav_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"almanac/auth"
	"almanac/internal/davtree"
)

// failingWriter accepts the status line and fails every body write, as a
// connection the client dropped does.
type failingWriter struct{ h http.Header }

func (w *failingWriter) Header() http.Header       { return w.h }
func (w *failingWriter) WriteHeader(int)           {}
func (w *failingWriter) Write([]byte) (int, error) { return 0, errors.New("connection reset") }

// A write failure while answering an addressbook-query on one member must
// abort the response, not end it as if it were complete: the error of the
// member's visit was dropped (staticcheck SA4006).
func TestQueryMemberWriteFailureAborts(t *testing.T) {
	e := newEnv(t, davtree.Options{})
	// Larger than the multistatus buffer, so the answer reaches the writer.
	e.mustPut(e.card("contacts", "a.vcf"), card3("a", "Ann", "NOTE:"+strings.Repeat("x", 100<<10)))
	body := `<C:addressbook-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:carddav"><D:prop><D:getetag/><C:address-data/></D:prop><C:filter/></C:addressbook-query>`
	r := httptest.NewRequest("REPORT", e.card("contacts", "a.vcf"), strings.NewReader(body))
	r.Header.Set("Depth", "0")
	r = r.WithContext(auth.WithAccount(r.Context(), e.alice))
	defer func() {
		if p := recover(); p != http.ErrAbortHandler {
			t.Fatalf("panic %v, want http.ErrAbortHandler (the response must be aborted)", p)
		}
	}()
	e.h.ServeHTTP(&failingWriter{h: http.Header{}}, r)
}
