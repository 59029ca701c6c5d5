package api

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// HandleUpload's route tells the server's body limits its own cap
// through BodyLimit, seen after authentication as LargeBody's is; other
// routes keep MaxBody, and a request that authentication turns away
// never reaches the raise.
func TestHandleUpload_BodyLimit(t *testing.T) {
	var seen []int64
	rt := NewRouter(Options{
		Authenticate: func(next http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.Header.Get("X-Test-User") == "" {
					w.WriteHeader(http.StatusUnauthorized)
					return
				}
				// Where the server raises the cap (allowFor(BodyLimit)).
				seen = append(seen, BodyLimit(r))
				next.ServeHTTP(w, r)
			})
		},
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
	if len(seen) != 2 || seen[0] != MaxBody || seen[1] != 5<<20 {
		t.Fatalf("BodyLimit after authentication: %v, want [%d %d]", seen, MaxBody, 5<<20)
	}
}
