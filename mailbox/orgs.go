package mailbox

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"almanac/auth"
	"almanac/internal/api"
	"almanac/internal/fault"
	"almanac/storage"
)

// AdminOrgsPath is where a server admin creates an organization for
// someone else.
const AdminOrgsPath = "/api/v1/admin/orgs"

// maxOrgName bounds an organization's name, in characters.
const maxOrgName = 100

// OrgStore is what creating an organization writes.
type OrgStore interface {
	CreateOrganization(ctx context.Context, o *storage.Organization) error
	PutMember(ctx context.Context, m storage.Member) error
	DeleteOrganization(ctx context.Context, id string) error
}

// CreateOrganization creates an organization named name (trimmed, 1 to
// 100 characters) with account owner as its owner: for POST
// /api/v1/orgs, where the caller is the owner, for a server admin's POST
// /api/v1/admin/orgs and for `almanac mail org`. When the owner cannot
// be made a member (the account was deleted meanwhile), the organization
// is removed again, so that none is left without an owner.
func CreateOrganization(ctx context.Context, st OrgStore, name, owner string) (*storage.Organization, error) {
	name = strings.TrimSpace(name)
	if name == "" || utf8.RuneCountInString(name) > maxOrgName {
		return nil, fault.Invalidf("name", "name is required (at most %d characters)", maxOrgName)
	}
	o := &storage.Organization{Name: name}
	if err := st.CreateOrganization(ctx, o); err != nil {
		return nil, fmt.Errorf("mailbox: create organization: %w", err)
	}
	if err := st.PutMember(ctx, storage.Member{Org: o.ID, Account: owner, Role: storage.RoleOwner}); err != nil {
		if derr := st.DeleteOrganization(context.WithoutCancel(ctx), o.ID); derr != nil {
			err = errors.Join(err, derr)
		}
		return nil, fmt.Errorf("mailbox: make the owner of organization %s: %w", o.ID, err)
	}
	return o, nil
}

// adminOrgJSON is an organization a server admin created, with its owner.
type adminOrgJSON struct {
	ID      string         `json:"id"`
	Name    string         `json:"name"`
	Owner   api.AccountRef `json:"owner"`
	Created time.Time      `json:"created"`
}

// adminCreateOrg creates an organization for the account the body's
// owner names (a login, a handle or "me"); only server admins reach it.
func (a *API) adminCreateOrg(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		Name  string `json:"name"`
		Owner string `json:"owner"`
	}
	if err := api.Decode(r, &req); err != nil {
		return err
	}
	ctx := r.Context()
	ref := strings.TrimSpace(req.Owner)
	if ref == "" {
		return fault.Invalidf("owner", "owner is required: the login or handle of the account that will own the organization")
	}
	owner, err := api.ResolveAccount(ctx, a.store, auth.AccountFrom(ctx), ref)
	if errors.Is(err, storage.ErrNotFound) {
		return fault.Invalidf("owner", "no account has the login or handle %q", ref)
	}
	if err != nil {
		return err
	}
	o, err := CreateOrganization(ctx, a.store, req.Name, owner.ID)
	if err != nil {
		return err
	}
	api.WriteJSON(w, http.StatusCreated, adminOrgJSON{ID: o.ID, Name: o.Name, Created: o.Created,
		Owner: api.AccountRef{ID: owner.ID, Login: owner.Login}})
	return nil
}
