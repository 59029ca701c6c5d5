package mailbox

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"almanac/auth"
	"almanac/internal/api"
	"almanac/internal/fault"
	"almanac/notify"
	"almanac/storage"
)

// MaxAliases is how many aliases one mailbox may have.
const MaxAliases = 50

// PlanFree is the plan without aliases; PlanStandard has them.
const (
	PlanFree     = "free"
	PlanStandard = "standard"
)

// Store is what the mail API reads and writes: organizations and mail
// services, their responders, and accounts, whose login a deleted
// mailbox can take away and whose default calendar names the time zone
// a new responder takes.
type Store interface {
	storage.Mail
	storage.Responders
	storage.Accounts
	Collection(ctx context.Context, owner, name string) (*storage.Collection, error)
	// The objects of calendars, for the responders' busy blocks.
	Put(ctx context.Context, p storage.PutObject) (meta *storage.ObjectMeta, created bool, err error)
	Get(ctx context.Context, owner, coll, name string) (*storage.Object, error)
	Delete(ctx context.Context, owner, coll, name string, cond storage.Precondition) error
}

// Options configures the API.
type Options struct {
	Logger *slog.Logger
	Mailer notify.Mailer
	Texter notify.Texter
	// Exports keeps the Dovecot passwd-file and the Postfix virtual
	// table up to date; nil: no files.
	Exports *Exporter
	// Signals, when set, tells the other servers on the store of every
	// change their files show (ExportTopic), so that their Exporters
	// write them too.
	Signals storage.Signals
	// Calendars, if set, lets an active responder with dates put an
	// "Out of office" block into its owner's default calendar
	// (responders_busy.go); the server passes the CalDAV layer.
	Calendars Calendars
	// Guard throttles mailbox-password guesses and runs argon2 (linking,
	// new passwords) under the server's one limit; the server passes the
	// Authenticator's. Required.
	Guard *auth.Guard
}

// Observer is told what the exports of the mail server files
// (ExporterOptions.Observer) come to, for monitoring: the server counts them with its metrics, so that this
// package needs no metrics library. It must not block.
type Observer interface {
	// Exported is one export of the files; err is nil when every file
	// configured was written.
	Exported(err error)
}

// API serves organizations, mail services, mailboxes, aliases and the
// rights of linked accounts under /api/v1.
type API struct {
	store Store
	opts  Options
	guard *auth.Guard
}

// New returns the mail API.
func New(store Store, opts Options) *API {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Guard == nil {
		panic("mailbox: Options.Guard is required")
	}
	return &API{store: store, opts: opts, guard: opts.Guard}
}

// Paths of the API.
const (
	OrgsPath      = "/api/v1/orgs"
	ServicesPath  = "/api/v1/services"
	MailboxesPath = "/api/v1/mailboxes"
	ResolvePath   = "/api/v1/resolve"
)

// Routes registers the mail endpoints. Accounts in paths are named by
// handle, login or "me" (api.ResolveAccount).
func (a *API) Routes(rt *api.Router) {
	rt.Handle("GET "+ResolvePath, a.resolve)
	rt.Handle("GET "+OrgsPath, a.listOrgs)
	rt.Handle("POST "+OrgsPath, a.createOrg)
	rt.Handle("GET "+OrgsPath+"/{org}/members", a.listMembers)
	rt.Handle("POST "+OrgsPath+"/{org}/members", a.addMember)
	rt.Handle("DELETE "+OrgsPath+"/{org}/members/{account}", a.removeMember)
	rt.Handle("GET "+OrgsPath+"/{org}/services", a.listServices)
	rt.Handle("POST "+OrgsPath+"/{org}/services", a.createService)
	rt.Handle("PATCH "+ServicesPath+"/{service}", a.updateService)
	rt.Handle("GET "+ServicesPath+"/{service}/mailboxes", a.listMailboxes)
	rt.Handle("POST "+ServicesPath+"/{service}/mailboxes", a.createMailbox)
	rt.Handle("DELETE "+ServicesPath+"/{service}/mailboxes/{local}", a.deleteMailbox)
	rt.Handle("PUT "+ServicesPath+"/{service}/mailboxes/{local}/password", a.managerPassword)
	rt.Handle("POST "+ServicesPath+"/{service}/mailboxes/{local}/links", a.invite)
	rt.Handle("PATCH "+ServicesPath+"/{service}/mailboxes/{local}/links/{account}", a.setRights)
	rt.Handle("GET "+MailboxesPath, a.myMailboxes)
	rt.Handle("POST "+MailboxesPath+"/link", a.link)
	rt.Handle("PUT "+MailboxesPath+"/{address}/password", a.userPassword)
	rt.Handle("GET "+MailboxesPath+"/{address}/aliases", a.listAliases)
	rt.Handle("POST "+MailboxesPath+"/{address}/aliases", a.addAlias)
	rt.Handle("DELETE "+MailboxesPath+"/{address}/aliases/{alias}", a.removeAlias)
	rt.Handle("POST "+AdminOrgsPath, a.adminCreateOrg, api.AdminOnly)
	a.responderRoutes(rt)
}

// role returns acc's role in org, ErrNotFound when none (not a member
// sees the organization as absent).
func (a *API) role(ctx context.Context, acc *storage.Account, org string) (string, error) {
	m, err := a.store.Member(ctx, org, acc.ID)
	if err != nil {
		return "", err
	}
	return m.Role, nil
}

// manages reports whether acc is owner or manager of service's
// organization; not a member at all is ErrNotFound.
func (a *API) manages(ctx context.Context, acc *storage.Account, serviceID string) (*storage.MailService, error) {
	s, err := a.store.MailService(ctx, serviceID)
	if err != nil {
		return nil, err
	}
	role, err := a.role(ctx, acc, s.Org)
	if err != nil {
		return nil, err
	}
	if role != storage.RoleOwner && role != storage.RoleManager {
		return nil, fault.New(fault.Forbidden, "not_manager", "only the organization's owner or a Mail Service manager can do this")
	}
	return s, nil
}

type orgJSON struct {
	ID      string    `json:"id"`
	Name    string    `json:"name"`
	Role    string    `json:"role"`
	Created time.Time `json:"created"`
}

func (a *API) listOrgs(w http.ResponseWriter, r *http.Request) error {
	acc := auth.AccountFrom(r.Context())
	orgs, err := a.store.OrganizationsOf(r.Context(), acc.ID)
	if err != nil {
		return err
	}
	out := []orgJSON{}
	for _, o := range orgs {
		role, _ := a.role(r.Context(), acc, o.ID)
		out = append(out, orgJSON{ID: o.ID, Name: o.Name, Role: role, Created: o.Created})
	}
	api.WriteJSON(w, http.StatusOK, map[string]any{"organizations": out})
	return nil
}

func (a *API) createOrg(w http.ResponseWriter, r *http.Request) error {
	acc := auth.AccountFrom(r.Context())
	var req struct {
		Name string `json:"name"`
	}
	if err := api.Decode(r, &req); err != nil {
		return err
	}
	o, err := CreateOrganization(r.Context(), a.store, req.Name, acc.ID)
	if err != nil {
		return err
	}
	api.WriteJSON(w, http.StatusCreated, orgJSON{ID: o.ID, Name: o.Name, Role: storage.RoleOwner, Created: o.Created})
	return nil
}

type memberJSON struct {
	Account string `json:"account"`
	Login   string `json:"login"`
	Role    string `json:"role"`
}

func (a *API) listMembers(w http.ResponseWriter, r *http.Request) error {
	acc := auth.AccountFrom(r.Context())
	org := r.PathValue("org")
	ctx := r.Context()
	if _, err := a.role(ctx, acc, org); err != nil {
		return err
	}
	ms, err := a.store.Members(ctx, org)
	if err != nil {
		return err
	}
	out := []memberJSON{}
	for _, m := range ms {
		v := memberJSON{Account: m.Account, Role: m.Role}
		if other, err := a.store.Account(ctx, m.Account); err == nil {
			v.Login = other.Login
		}
		out = append(out, v)
	}
	api.WriteJSON(w, http.StatusOK, map[string]any{"members": out})
	return nil
}

// addMember adds an account by login: the owner adds managers and
// members, a manager adds members.
func (a *API) addMember(w http.ResponseWriter, r *http.Request) error {
	acc := auth.AccountFrom(r.Context())
	org := r.PathValue("org")
	var req struct {
		Login string `json:"login"`
		Role  string `json:"role"`
	}
	if err := api.Decode(r, &req); err != nil {
		return err
	}
	ctx := r.Context()
	mine, err := a.role(ctx, acc, org)
	if err != nil {
		return err
	}
	if req.Role == "" {
		req.Role = storage.RoleMember
	}
	switch {
	case req.Role != storage.RoleManager && req.Role != storage.RoleMember && req.Role != storage.RoleOwner:
		return fault.Invalidf("role", "role must be owner, manager or member")
	case mine == storage.RoleMember, mine == storage.RoleManager && req.Role != storage.RoleMember:
		return fault.New(fault.Forbidden, "not_allowed", "your role in this organization cannot add a %s", req.Role)
	}
	other, err := a.store.AccountByLogin(ctx, strings.TrimSpace(req.Login))
	if errors.Is(err, storage.ErrNotFound) {
		return fault.Invalidf("login", "no account has the login %q", req.Login)
	}
	if err != nil {
		return err
	}
	// Adding someone again changes their role: only the owner may, so a
	// manager cannot demote the owner or another manager.
	if existing, err := a.store.Member(ctx, org, other.ID); err == nil && mine != storage.RoleOwner && existing.Role != req.Role {
		return fault.New(fault.Forbidden, "not_allowed", "only the owner changes a member's role")
	} else if err != nil && !errors.Is(err, storage.ErrNotFound) {
		return err
	}
	if err := a.lastOwner(ctx, org, other.ID, req.Role); err != nil {
		return err
	}
	if err := a.store.PutMember(ctx, storage.Member{Org: org, Account: other.ID, Role: req.Role}); err != nil {
		return err
	}
	api.WriteJSON(w, http.StatusCreated, memberJSON{Account: other.ID, Login: other.Login, Role: req.Role})
	return nil
}

func (a *API) removeMember(w http.ResponseWriter, r *http.Request) error {
	acc := auth.AccountFrom(r.Context())
	org := r.PathValue("org")
	ctx := r.Context()
	other, err := api.ResolveAccount(ctx, a.store, acc, r.PathValue("account"))
	if err != nil {
		return err
	}
	member := other.ID
	mine, err := a.role(ctx, acc, org)
	if err != nil {
		return err
	}
	if mine != storage.RoleOwner && member != acc.ID {
		return fault.New(fault.Forbidden, "not_allowed", "only the owner removes other members")
	}
	if err := a.lastOwner(ctx, org, member, ""); err != nil {
		return err
	}
	if err := a.store.DeleteMember(ctx, org, member); err != nil {
		return err
	}
	// A member who leaves loses the organization's mailboxes too.
	links, err := a.store.MailboxLinksOf(ctx, member)
	if err != nil {
		return err
	}
	for _, l := range links {
		if s, err := a.store.MailService(ctx, l.Service); err == nil && s.Org == org {
			if err := a.store.DeleteMailboxLink(ctx, l.Service, l.LocalPart, member); err != nil && !errors.Is(err, storage.ErrNotFound) {
				return err
			}
		}
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// lastOwner refuses a change that would leave org without an owner:
// account losing the owner role (newRole "" for removal).
func (a *API) lastOwner(ctx context.Context, org, account, newRole string) error {
	if newRole == storage.RoleOwner {
		return nil
	}
	members, err := a.store.Members(ctx, org)
	if err != nil {
		return err
	}
	owners, isOwner := 0, false
	for _, m := range members {
		if m.Role == storage.RoleOwner {
			owners++
			isOwner = isOwner || m.Account == account
		}
	}
	if isOwner && owners == 1 {
		return fault.New(fault.Conflict, "last_owner", "an organization needs an owner: make someone else owner first")
	}
	return nil
}
