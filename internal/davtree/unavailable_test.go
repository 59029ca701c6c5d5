package davtree_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"almanac/internal/dav"
	"almanac/internal/davtree"
	"almanac/storage"
)

// A database that went away between authentication and the handler is
// 503 with Retry-After, and the cause stays in the log.
func TestMapError_Unavailable(t *testing.T) {
	cause := fmt.Errorf("storage/postgres: get object: %w: dial unix /run/pg: connect refused", storage.ErrUnavailable)
	rec := httptest.NewRecorder()
	dav.WriteError(rec, httptest.NewRequest("GET", "/dav/", nil), nil, davtree.MapError(cause))
	if rec.Code != http.StatusServiceUnavailable || rec.Header().Get("Retry-After") != "5" {
		t.Errorf("status %d, Retry-After %q; want 503 and 5", rec.Code, rec.Header().Get("Retry-After"))
	}
	if strings.Contains(rec.Body.String(), "postgres") || strings.Contains(rec.Body.String(), "refused") {
		t.Errorf("body carries the cause: %q", rec.Body)
	}
}
