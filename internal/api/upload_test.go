package api

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// HandleUpload raises the body cap through Options.AllowBody only once
// authentication let the request through; Handle never does.
func TestHandleUpload_RaisesAfterAuthentication(t *testing.T) {
	type call struct {
		max  int64
		user string
	}
	var calls []call
	rt := NewRouter(Options{
		Authenticate: func(next http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.Header.Get("X-Test-User") == "" {
					w.WriteHeader(http.StatusUnauthorized)
					return
				}
				next.ServeHTTP(w, r)
			})
		},
		AllowBody: func(r *http.Request, max int64) { calls = append(calls, call{max, r.Header.Get("X-Test-User")}) },
	})
	ok := func(w http.ResponseWriter, r *http.Request) error { w.WriteHeader(http.StatusNoContent); return nil }
	rt.HandleUpload("POST /api/v1/files", 5<<20, ok)
	rt.Handle("POST /api/v1/json", ok)
	for _, tc := range []struct {
		path, user string
		status     int
	}{
		{"/api/v1/files", "", http.StatusUnauthorized},
		{"/api/v1/json", "jane", http.StatusNoContent},
		{"/api/v1/files", "jane", http.StatusNoContent},
	} {
		req := httptest.NewRequest(http.MethodPost, tc.path, nil)
		if tc.user != "" {
			req.Header.Set("X-Test-User", tc.user)
		}
		rec := httptest.NewRecorder()
		rt.ServeHTTP(rec, req)
		if rec.Code != tc.status {
			t.Fatalf("POST %s as %q: %d, want %d", tc.path, tc.user, rec.Code, tc.status)
		}
	}
	if len(calls) != 1 || calls[0] != (call{5 << 20, "jane"}) {
		t.Fatalf("AllowBody calls %+v, want one for jane's upload of up to 5 MiB", calls)
	}
}
