package mailbox_test

import (
	"context"
	"strings"
	"testing"

	"almanac/storage"
)

// TestAdminCreatesOrganization: a server admin creates an organization
// for another account, which is its owner and sees it; refusals store
// nothing; to anyone else the route does not exist.
func TestAdminCreatesOrganization(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	if _, err := e.store.ModifyAccount(ctx, e.manager.ID, func(a *storage.Account) error {
		a.Admin = true
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	admin := e.manager

	r := e.call(admin, "POST", "/api/v1/admin/orgs", `{"name":"  Domain XYZ ","owner":"ANNA@domain.xyz"}`)
	owner, _ := r.json["owner"].(map[string]any)
	if r.code != 201 || r.json["name"] != "Domain XYZ" || owner["id"] != e.member.ID || owner["login"] != "anna@domain.xyz" {
		t.Fatalf("create: %d %s", r.code, r.body)
	}
	id := r.json["id"].(string)
	if m, err := e.store.Member(ctx, id, e.member.ID); err != nil || m.Role != storage.RoleOwner {
		t.Fatalf("owner membership: %+v %v", m, err)
	}
	if _, err := e.store.Member(ctx, id, admin.ID); err == nil {
		t.Error("the admin became a member of an organization made for someone else")
	}
	if r := e.call(e.member, "GET", "/api/v1/orgs/"+id+"/members", ""); r.code != 200 {
		t.Errorf("the owner lists its members: %d %s", r.code, r.body)
	}
	if r := e.call(admin, "POST", "/api/v1/admin/orgs", `{"name":"Mine","owner":"me"}`); r.code != 201 {
		t.Errorf("for oneself: %d %s", r.code, r.body)
	}

	count := func() int {
		n := 0
		for _, acc := range []*storage.Account{e.owner, e.manager, e.member} {
			orgs, err := e.store.OrganizationsOf(ctx, acc.ID)
			if err != nil {
				t.Fatal(err)
			}
			n += len(orgs)
		}
		return n
	}
	before := count()
	for _, tc := range []struct {
		name, body, code, field string
		status                  int
	}{
		{"no owner", `{"name":"X"}`, "invalid_field", "owner", 400},
		{"unknown owner", `{"name":"X","owner":"nobody@example.com"}`, "invalid_field", "owner", 400},
		{"no name", `{"owner":"anna@domain.xyz"}`, "invalid_field", "name", 400},
		{"blank name", `{"name":"   ","owner":"anna@domain.xyz"}`, "invalid_field", "name", 400},
		{"long name", `{"name":"` + strings.Repeat("é", 101) + `","owner":"anna@domain.xyz"}`, "invalid_field", "name", 400},
		{"unknown field", `{"name":"X","owner":"anna@domain.xyz","role":"owner"}`, "invalid_field", "role", 400},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := e.call(admin, "POST", "/api/v1/admin/orgs", tc.body)
			errObj, _ := r.json["error"].(map[string]any)
			if r.code != tc.status || errObj["code"] != tc.code || errObj["field"] != tc.field {
				t.Fatalf("%d %s; want %d %s on %s", r.code, r.body, tc.status, tc.code, tc.field)
			}
		})
	}
	r = e.call(e.owner, "POST", "/api/v1/admin/orgs", `{"name":"X","owner":"owner@example.com"}`)
	if errObj, _ := r.json["error"].(map[string]any); r.code != 404 || errObj["message"] != "no such API endpoint" {
		t.Errorf("as a user: %d %s, want the 404 of a missing endpoint", r.code, r.body)
	}
	if n := count(); n != before {
		t.Errorf("refused requests made %d organizations", n-before)
	}
}
