package api

import (
	"net/http"
	"testing"
)

// TestAdminOnly: an AdminOnly route answers anyone the Admin hook does
// not accept byte for byte as a path no route serves, even one the Admit
// hook holds back; an admin reaches it; without a hook nobody does.
func TestAdminOnly(t *testing.T) {
	build := func(admin func(*http.Request) bool) *Router {
		rt := testRouter(t)
		rt.opts.Admin = admin
		rt.Handle("GET /api/v1/admin/things", func(w http.ResponseWriter, r *http.Request) error {
			WriteJSON(w, http.StatusOK, map[string]string{"secret": "admins only"})
			return nil
		}, AdminOnly)
		return rt
	}
	isRoot := func(r *http.Request) bool { return r.Context().Value(ctxKey{}) == "root" }
	rt := build(isRoot)

	missing := call(t, rt, "GET", "/api/v1/admin/nothing", "jane")
	if missing.status != http.StatusNotFound {
		t.Fatalf("missing path: %d %s", missing.status, missing.raw)
	}
	for _, user := range []string{"jane", "held"} {
		if got := call(t, rt, "GET", "/api/v1/admin/things", user); got.status != missing.status || got.raw != missing.raw {
			t.Errorf("%s: %d %s; want what a missing path gets, %d %s", user, got.status, got.raw, missing.status, missing.raw)
		}
	}
	if got := call(t, rt, "GET", "/api/v1/admin/things", ""); got.status != http.StatusUnauthorized {
		t.Errorf("not logged in: %d %s, want 401 like every authenticated route", got.status, got.raw)
	}
	if got := call(t, rt, "GET", "/api/v1/admin/things", "root"); got.status != http.StatusOK || got.body["error"] != nil {
		t.Errorf("admin: %d %s", got.status, got.raw)
	}
	if got := call(t, build(nil), "GET", "/api/v1/admin/things", "root"); got.status != missing.status || got.raw != missing.raw {
		t.Errorf("no Admin hook: %d %s; want a missing path's answer", got.status, got.raw)
	}
}
