package mailbox

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"slices"
	"strings"
	"time"

	"almanac/auth"
	"almanac/internal/api"
	"almanac/internal/fault"
	"almanac/notify"
	"almanac/storage"
)

type serviceJSON struct {
	ID           string    `json:"id"`
	Org          string    `json:"org"`
	Domain       string    `json:"domain"`
	Plan         string    `json:"plan"`
	AliasDomains []string  `json:"alias_domains"`
	Created      time.Time `json:"created"`
}

func serviceView(s *storage.MailService) serviceJSON {
	v := serviceJSON{ID: s.ID, Org: s.Org, Domain: s.Domain, Plan: s.Plan, AliasDomains: s.AliasDomains, Created: s.Created}
	if v.AliasDomains == nil {
		v.AliasDomains = []string{}
	}
	return v
}

func (a *API) listServices(w http.ResponseWriter, r *http.Request) error {
	acc := auth.AccountFrom(r.Context())
	org := r.PathValue("org")
	ctx := r.Context()
	if _, err := a.role(ctx, acc, org); err != nil {
		return err
	}
	ss, err := a.store.MailServices(ctx, org)
	if err != nil {
		return err
	}
	out := []serviceJSON{}
	for i := range ss {
		out = append(out, serviceView(&ss[i]))
	}
	api.WriteJSON(w, http.StatusOK, map[string]any{"services": out})
	return nil
}

type serviceRequest struct {
	Domain       string    `json:"domain"`
	Plan         string    `json:"plan"`
	AliasDomains *[]string `json:"alias_domains"`
}

func checkDomains(req *serviceRequest) ([]string, error) {
	if req.AliasDomains == nil {
		return nil, nil
	}
	var out []string
	for _, d := range *req.AliasDomains {
		d = strings.ToLower(strings.TrimSpace(d))
		if reason, ok := ValidDomain(d); !ok {
			return nil, fault.Invalidf("alias_domains", "%s: %s", d, reason)
		}
		if !slices.Contains(out, d) {
			out = append(out, d)
		}
	}
	return out, nil
}

func (a *API) createService(w http.ResponseWriter, r *http.Request) error {
	acc := auth.AccountFrom(r.Context())
	org := r.PathValue("org")
	var req serviceRequest
	if err := api.Decode(r, &req); err != nil {
		return err
	}
	ctx := r.Context()
	role, err := a.role(ctx, acc, org)
	if err != nil {
		return err
	}
	if role != storage.RoleOwner {
		return fault.New(fault.Forbidden, "not_owner", "only the organization's owner creates mail services")
	}
	domain := strings.ToLower(strings.TrimSpace(req.Domain))
	if reason, ok := ValidDomain(domain); !ok {
		return fault.Invalidf("domain", "%s", reason)
	}
	if req.Plan == "" {
		req.Plan = PlanStandard
	}
	if req.Plan != PlanFree && req.Plan != PlanStandard {
		return fault.Invalidf("plan", "plan must be free or standard")
	}
	aliases, err := checkDomains(&req)
	if err != nil {
		return err
	}
	s := &storage.MailService{Org: org, Domain: domain, Plan: req.Plan, AliasDomains: aliases}
	if err := a.store.CreateMailService(ctx, s); err != nil {
		if errors.Is(err, storage.ErrExists) {
			return &fault.Error{Kind: fault.Conflict, Code: "domain_taken", Field: "domain", Message: "this domain (or an alias domain) already has a mail service"}
		}
		return err
	}
	a.exportLater(r.Context())
	api.WriteJSON(w, http.StatusCreated, serviceView(s))
	return nil
}

func (a *API) updateService(w http.ResponseWriter, r *http.Request) error {
	acc := auth.AccountFrom(r.Context())
	id := r.PathValue("service")
	var req serviceRequest
	if err := api.Decode(r, &req); err != nil {
		return err
	}
	ctx := r.Context()
	s, err := a.store.MailService(ctx, id)
	if err != nil {
		return err
	}
	role, err := a.role(ctx, acc, s.Org)
	if err != nil {
		return err
	}
	if role != storage.RoleOwner {
		return fault.New(fault.Forbidden, "not_owner", "only the organization's owner changes a mail service")
	}
	if req.Domain != "" {
		return fault.Invalidf("domain", "a mail service's domain cannot change")
	}
	if req.Plan != "" {
		if req.Plan != PlanFree && req.Plan != PlanStandard {
			return fault.Invalidf("plan", "plan must be free or standard")
		}
		s.Plan = req.Plan
	}
	if req.AliasDomains != nil {
		if s.AliasDomains, err = checkDomains(&req); err != nil {
			return err
		}
	}
	if err := a.store.UpdateMailService(ctx, s); err != nil {
		if errors.Is(err, storage.ErrExists) {
			return &fault.Error{Kind: fault.Conflict, Code: "domain_taken", Field: "alias_domains", Message: "an alias domain already belongs to a mail service"}
		}
		return err
	}
	a.exportLater(r.Context())
	api.WriteJSON(w, http.StatusOK, serviceView(s))
	return nil
}

type mailboxJSON struct {
	Address         string    `json:"address"`
	Service         string    `json:"service"`
	Aliases         []string  `json:"aliases"`
	Created         time.Time `json:"created"`
	PasswordChanged time.Time `json:"password_changed"`
	Rights          []string  `json:"rights,omitempty"` // of the caller's link
}

func mailboxView(s *storage.MailService, m *storage.Mailbox) mailboxJSON {
	v := mailboxJSON{Address: m.LocalPart + "@" + s.Domain, Service: s.ID, Aliases: m.Aliases, Created: m.Created, PasswordChanged: m.PasswordChanged}
	if v.PasswordChanged.IsZero() {
		// Mailboxes made before creation set it got their password then.
		v.PasswordChanged = m.Created
	}
	if v.Aliases == nil {
		v.Aliases = []string{}
	}
	return v
}

func (a *API) listMailboxes(w http.ResponseWriter, r *http.Request) error {
	acc := auth.AccountFrom(r.Context())
	id := r.PathValue("service")
	ctx := r.Context()
	s, err := a.manages(ctx, acc, id)
	if err != nil {
		return err
	}
	ms, err := a.store.Mailboxes(ctx, s.ID)
	if err != nil {
		return err
	}
	out := []mailboxJSON{}
	for i := range ms {
		out = append(out, mailboxView(s, &ms[i]))
	}
	api.WriteJSON(w, http.StatusOK, map[string]any{"mailboxes": out})
	return nil
}

// passwordPair reads a new mailbox password given twice and checks the
// account password rule against the address.
func passwordPair(pw, confirm, address string) error {
	if pw == "" {
		return fault.Invalidf("password", "password is required")
	}
	if pw != confirm {
		return fault.Invalidf("password_confirm", "the two passwords differ")
	}
	if p := auth.PasswordProblem(pw, address); p != "" {
		return fault.Invalidf("password", "%s", p)
	}
	return nil
}

func (a *API) createMailbox(w http.ResponseWriter, r *http.Request) error {
	acc := auth.AccountFrom(r.Context())
	id := r.PathValue("service")
	var req struct {
		LocalPart       string `json:"local_part"`
		Password        string `json:"password"`
		PasswordConfirm string `json:"password_confirm"`
	}
	if err := api.Decode(r, &req); err != nil {
		return err
	}
	ctx := r.Context()
	s, err := a.manages(ctx, acc, id)
	if err != nil {
		return err
	}
	if reason, ok := ValidLocalPart(req.LocalPart); !ok {
		return fault.Invalidf("local_part", "%s", reason)
	}
	address := req.LocalPart + "@" + s.Domain
	if err := passwordPair(req.Password, req.PasswordConfirm, address); err != nil {
		return err
	}
	hash, err := a.guard.HashPassword(ctx, req.Password)
	if err != nil {
		return err
	}
	now := time.Now().UTC()
	m := &storage.Mailbox{Service: s.ID, LocalPart: req.LocalPart, PasswordHash: hash, Created: now, PasswordChanged: now}
	if err := a.store.CreateMailbox(ctx, m); err != nil {
		if errors.Is(err, storage.ErrExists) {
			return &fault.Error{Kind: fault.Conflict, Code: "address_taken", Field: "local_part", Message: address + " is already a mailbox or an alias"}
		}
		return err
	}
	a.defaultTemplate(ctx, acc, s, m)
	a.exportLater(r.Context())
	api.WriteJSON(w, http.StatusCreated, mailboxView(s, m))
	return nil
}

// managedMailbox returns mailbox local of service id when acc manages
// the service.
func (a *API) managedMailbox(ctx context.Context, acc *storage.Account, id, local string) (*storage.MailService, *storage.Mailbox, error) {
	s, err := a.manages(ctx, acc, id)
	if err != nil {
		return nil, nil, err
	}
	m, err := a.store.Mailbox(ctx, s.ID, local)
	if err != nil {
		return nil, nil, err
	}
	return s, m, nil
}

// mailClientNote reminds that mail clients keep the old password.
const mailClientNote = "Update the password in every mail client (Outlook, Thunderbird, phones): they keep using the old one until you do."

func (a *API) managerPassword(w http.ResponseWriter, r *http.Request) error {
	acc := auth.AccountFrom(r.Context())
	id := r.PathValue("service")
	local := r.PathValue("local")
	var req struct {
		Password        string `json:"password"`
		PasswordConfirm string `json:"password_confirm"`
	}
	if err := api.Decode(r, &req); err != nil {
		return err
	}
	ctx := r.Context()
	s, m, err := a.managedMailbox(ctx, acc, id, local)
	if err != nil {
		return err
	}
	return a.setPassword(w, r, s, m, req.Password, req.PasswordConfirm)
}

func (a *API) setPassword(w http.ResponseWriter, r *http.Request, s *storage.MailService, m *storage.Mailbox, pw, confirm string) error {
	address := m.LocalPart + "@" + s.Domain
	if err := passwordPair(pw, confirm, address); err != nil {
		return err
	}
	hash, err := a.guard.HashPassword(r.Context(), pw)
	if err != nil {
		return err
	}
	if err := a.store.SetMailboxPassword(r.Context(), s.ID, m.LocalPart, hash, time.Now().UTC()); err != nil {
		return err
	}
	a.exportLater(r.Context())
	api.WriteJSON(w, http.StatusOK, map[string]string{"status": "password_changed", "address": address, "note": mailClientNote})
	return nil
}

// deleteMailbox removes a mailbox. When its address is an account's
// login ID, that account gets a fallback username (initials and digits)
// by SMS and recovery email, logs in with it and its unchanged password,
// and must pick a new login ID.
func (a *API) deleteMailbox(w http.ResponseWriter, r *http.Request) error {
	acc := auth.AccountFrom(r.Context())
	id := r.PathValue("service")
	local := r.PathValue("local")
	ctx := r.Context()
	s, m, err := a.managedMailbox(ctx, acc, id, local)
	if err != nil {
		return err
	}
	// The busy blocks go with the responders; whose they are must be
	// read before the mailbox and its links are gone.
	dropBusy := a.busyDropper(ctx, s, m)
	if err := a.store.DeleteMailbox(ctx, s.ID, m.LocalPart); err != nil {
		return err
	}
	dropBusy()
	address := m.LocalPart + "@" + s.Domain
	if owner, err := a.store.AccountByLogin(ctx, address); err == nil {
		if err := a.fallback(ctx, owner, address); err != nil {
			a.opts.Logger.ErrorContext(ctx, "mailbox: fallback username failed", "account", owner.ID, "err", err)
		}
	}
	a.exportLater(r.Context())
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (a *API) fallback(ctx context.Context, owner *storage.Account, address string) error {
	var name string
	for range 10 {
		name = FallbackUsername(owner.DisplayName)
		if _, err := a.store.AccountByLogin(ctx, name); errors.Is(err, storage.ErrNotFound) {
			break
		}
	}
	if _, err := a.store.ModifyAccount(ctx, owner.ID, func(a *storage.Account) error { a.Login = name; return nil }); err != nil {
		return err
	}
	text := "The mailbox " + address + " was deleted, and it was your login ID. Log in with the username " + name +
		" and your usual password, then choose a new login ID."
	if owner.Mobile != "" && a.opts.Texter != nil {
		if err := a.opts.Texter.SendSMS(ctx, notify.SMS{To: owner.Mobile, Text: text}); err != nil {
			a.opts.Logger.ErrorContext(ctx, "mailbox: fallback SMS failed", "account", owner.ID, "err", err)
		}
	}
	if owner.RecoveryEmail != "" && a.opts.Mailer != nil {
		if err := a.opts.Mailer.Send(ctx, notify.Message{To: owner.RecoveryEmail, Subject: "Your new username", Text: text + "\n"}); err != nil {
			a.opts.Logger.ErrorContext(ctx, "mailbox: fallback mail failed", "account", owner.ID, "err", err)
		}
	}
	return nil
}

// invite links a member's account to a mailbox with rights (a manager
// invites a member to manage an address).
func (a *API) invite(w http.ResponseWriter, r *http.Request) error {
	acc := auth.AccountFrom(r.Context())
	id := r.PathValue("service")
	local := r.PathValue("local")
	var req struct {
		Login  string    `json:"login"`
		Rights *[]string `json:"rights"`
	}
	if err := api.Decode(r, &req); err != nil {
		return err
	}
	ctx := r.Context()
	s, m, err := a.managedMailbox(ctx, acc, id, local)
	if err != nil {
		return err
	}
	other, err := a.store.AccountByLogin(ctx, strings.TrimSpace(req.Login))
	if errors.Is(err, storage.ErrNotFound) {
		return fault.Invalidf("login", "no account has the login %q", req.Login)
	}
	if err != nil {
		return err
	}
	if _, err := a.store.Member(ctx, s.Org, other.ID); err != nil {
		return fault.Invalidf("login", "%s is not a member of the organization; add them first", req.Login)
	}
	rights := allRights
	if req.Rights != nil {
		if rights, err = checkRights(*req.Rights); err != nil {
			return err
		}
	}
	l := &storage.MailboxLink{Service: s.ID, LocalPart: m.LocalPart, Account: other.ID, Rights: rights}
	if err := a.store.PutMailboxLink(ctx, l); err != nil {
		return err
	}
	api.WriteJSON(w, http.StatusCreated, linkView(s, l))
	return nil
}

var allRights = []string{storage.RightPassword, storage.RightResponder, storage.RightAliases}

func checkRights(rs []string) ([]string, error) {
	var out []string
	for _, r := range rs {
		if !slices.Contains(allRights, r) {
			return nil, fault.Invalidf("rights", "rights may be password, responder and aliases; %q is none of them", r)
		}
		if !slices.Contains(out, r) {
			out = append(out, r)
		}
	}
	if out == nil {
		out = []string{}
	}
	return out, nil
}

type linkJSON struct {
	Address string   `json:"address"`
	Account string   `json:"account"`
	Rights  []string `json:"rights"`
}

func linkView(s *storage.MailService, l *storage.MailboxLink) linkJSON {
	rs := l.Rights
	if rs == nil {
		rs = []string{}
	}
	return linkJSON{Address: l.LocalPart + "@" + s.Domain, Account: l.Account, Rights: rs}
}

// setRights is how a manager takes rights away from a linked user, or
// gives them back.
func (a *API) setRights(w http.ResponseWriter, r *http.Request) error {
	acc := auth.AccountFrom(r.Context())
	id := r.PathValue("service")
	local := r.PathValue("local")
	var req struct {
		Rights []string `json:"rights"`
	}
	if err := api.Decode(r, &req); err != nil {
		return err
	}
	ctx := r.Context()
	s, err := a.manages(ctx, acc, id)
	if err != nil {
		return err
	}
	linked, err := api.ResolveAccount(ctx, a.store, acc, r.PathValue("account"))
	if err != nil {
		return err
	}
	l, err := a.store.MailboxLink(ctx, s.ID, local, linked.ID)
	if err != nil {
		return err
	}
	if l.Rights, err = checkRights(req.Rights); err != nil {
		return err
	}
	if err := a.store.PutMailboxLink(ctx, l); err != nil {
		return err
	}
	api.WriteJSON(w, http.StatusOK, linkView(s, l))
	return nil
}

// link attaches a mailbox to the caller's account by proving its
// password. The login ID and the mailbox are different credentials even
// when spelled the same: only the mailbox password links.
func (a *API) link(w http.ResponseWriter, r *http.Request) error {
	acc := auth.AccountFrom(r.Context())
	var req struct {
		Address  string `json:"address"`
		Password string `json:"password"`
	}
	if err := api.Decode(r, &req); err != nil {
		return err
	}
	address := strings.TrimSpace(req.Address)
	switch {
	case address == "":
		return fault.Invalidf("address", "address is required")
	case req.Password == "":
		return fault.Invalidf("password", "password is required")
	}
	ctx := r.Context()
	wrong := &fault.Error{Kind: fault.Forbidden, Code: "wrong_mailbox_password", Field: "password", Message: "the address or its mailbox password is wrong"}
	s, m, alias, err := a.store.ResolveAddress(ctx, address)
	found := err == nil && !alias
	if err != nil && !errors.Is(err, storage.ErrNotFound) {
		return err
	}
	// Guesses count per mailbox however it is spelled (alias domains
	// resolve to it); an unknown address or an alias counts under what
	// was asked for and costs the same argon2 run against a dummy hash.
	subject, hash := strings.ToLower(address), ""
	if found {
		subject, hash = s.ID+"/"+m.LocalPart, m.PasswordHash
	}
	ok, err := a.guard.Check(ctx, auth.Attempt{Kind: auth.KindMailboxPassword, Subject: subject, Actor: acc.ID},
		func() (bool, error) {
			ok, err := a.guard.VerifyPassword(ctx, hash, req.Password)
			if errors.Is(err, auth.ErrInvalidHash) {
				a.opts.Logger.ErrorContext(ctx, "mailbox: stored password hash unusable", "service", s.ID, "mailbox", m.LocalPart, "err", err)
				return false, nil
			}
			return ok, err
		})
	if err != nil {
		return err
	}
	if !ok || !found {
		return wrong
	}
	// Linking again keeps the rights a manager set: knowing the mailbox
	// password does not undo a manager's decision.
	l, err := a.store.MailboxLink(ctx, s.ID, m.LocalPart, acc.ID)
	status := http.StatusOK
	if errors.Is(err, storage.ErrNotFound) {
		l = &storage.MailboxLink{Service: s.ID, LocalPart: m.LocalPart, Account: acc.ID, Rights: allRights}
		if err := a.store.PutMailboxLink(ctx, l); err != nil {
			return err
		}
		status = http.StatusCreated
	} else if err != nil {
		return err
	}
	api.WriteJSON(w, status, linkView(s, l))
	return nil
}

func (a *API) myMailboxes(w http.ResponseWriter, r *http.Request) error {
	acc := auth.AccountFrom(r.Context())
	ctx := r.Context()
	links, err := a.store.MailboxLinksOf(ctx, acc.ID)
	if err != nil {
		return err
	}
	out := []mailboxJSON{}
	for _, l := range links {
		s, err := a.store.MailService(ctx, l.Service)
		if err != nil {
			continue
		}
		m, err := a.store.Mailbox(ctx, l.Service, l.LocalPart)
		if err != nil {
			continue
		}
		v := mailboxView(s, m)
		v.Rights = l.Rights
		if v.Rights == nil {
			v.Rights = []string{}
		}
		out = append(out, v)
	}
	api.WriteJSON(w, http.StatusOK, map[string]any{"mailboxes": out})
	return nil
}

// linked finds the mailbox at address and checks the caller may use
// right on it: a linked user with the right, or a manager of its
// service. A linked user without the right gets 403 saying the Mail
// Service manager removed it.
func (a *API) linked(ctx context.Context, acc *storage.Account, address, right string) (*storage.MailService, *storage.Mailbox, error) {
	s, m, alias, err := a.store.ResolveAddress(ctx, address)
	if err != nil || alias {
		return nil, nil, storage.ErrNotFound
	}
	l, err := a.store.MailboxLink(ctx, s.ID, m.LocalPart, acc.ID)
	if err == nil {
		if !slices.Contains(l.Rights, right) {
			return nil, nil, fault.New(fault.Forbidden, "right_removed",
				"the Mail Service manager removed your right to change the %s of %s; ask them to restore it", rightNoun[right], address)
		}
		return s, m, nil
	}
	if !errors.Is(err, storage.ErrNotFound) {
		return nil, nil, err
	}
	if _, err := a.manages(ctx, acc, s.ID); err != nil {
		return nil, nil, storage.ErrNotFound
	}
	return s, m, nil
}

var rightNoun = map[string]string{storage.RightPassword: "password", storage.RightAliases: "aliases", storage.RightResponder: "responder"}

func (a *API) userPassword(w http.ResponseWriter, r *http.Request) error {
	acc := auth.AccountFrom(r.Context())
	address := r.PathValue("address")
	var req struct {
		Password        string `json:"password"`
		PasswordConfirm string `json:"password_confirm"`
	}
	if err := api.Decode(r, &req); err != nil {
		return err
	}
	s, m, err := a.linked(r.Context(), acc, address, storage.RightPassword)
	if err != nil {
		return err
	}
	return a.setPassword(w, r, s, m, req.Password, req.PasswordConfirm)
}

func (a *API) listAliases(w http.ResponseWriter, r *http.Request) error {
	acc := auth.AccountFrom(r.Context())
	address := r.PathValue("address")
	s, m, err := a.linked(r.Context(), acc, address, storage.RightAliases)
	if err != nil {
		return err
	}
	out := []string{}
	for _, al := range m.Aliases {
		out = append(out, al+"@"+s.Domain)
	}
	api.WriteJSON(w, http.StatusOK, map[string]any{"aliases": out, "limit": MaxAliases})
	return nil
}

func (a *API) addAlias(w http.ResponseWriter, r *http.Request) error {
	acc := auth.AccountFrom(r.Context())
	address := r.PathValue("address")
	var req struct {
		Alias string `json:"alias"`
	}
	if err := api.Decode(r, &req); err != nil {
		return err
	}
	ctx := r.Context()
	s, m, err := a.linked(ctx, acc, address, storage.RightAliases)
	if err != nil {
		return err
	}
	if s.Plan == PlanFree {
		return fault.New(fault.Forbidden, "plan_without_aliases", "the free plan has no aliases; upgrade the mail service of %s to add one", s.Domain)
	}
	alias := strings.ToLower(strings.TrimSpace(req.Alias))
	if before, _, found := strings.Cut(alias, "@"); found {
		alias = before
	}
	if reason, ok := ValidLocalPart(alias); !ok {
		return fault.Invalidf("alias", "%s", reason)
	}
	switch err := a.store.AddAlias(ctx, s.ID, m.LocalPart, alias, MaxAliases); {
	case errors.Is(err, storage.ErrExists):
		return &fault.Error{Kind: fault.Conflict, Code: "address_taken", Field: "alias", Message: alias + "@" + s.Domain + " is already a mailbox or an alias"}
	case errors.Is(err, storage.ErrLimit):
		return &fault.Error{Kind: fault.Conflict, Code: "too_many_aliases", Field: "alias", Message: fmt.Sprintf("a mailbox has at most %d aliases", MaxAliases)}
	case err != nil:
		return err
	}
	a.exportLater(r.Context())
	api.WriteJSON(w, http.StatusCreated, map[string]string{"alias": alias + "@" + s.Domain, "delivers_to": m.LocalPart + "@" + s.Domain})
	return nil
}

func (a *API) removeAlias(w http.ResponseWriter, r *http.Request) error {
	acc := auth.AccountFrom(r.Context())
	address := r.PathValue("address")
	alias := r.PathValue("alias")
	ctx := r.Context()
	s, m, err := a.linked(ctx, acc, address, storage.RightAliases)
	if err != nil {
		return err
	}
	alias, _, _ = strings.Cut(strings.ToLower(alias), "@")
	if err := a.store.RemoveAlias(ctx, s.ID, m.LocalPart, alias); err != nil {
		return err
	}
	a.exportLater(r.Context())
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// resolve tells where an address delivers.
func (a *API) resolve(w http.ResponseWriter, r *http.Request) error {
	address := strings.TrimSpace(r.URL.Query().Get("address"))
	if address == "" {
		return fault.Invalidf("address", "address is required")
	}
	s, m, alias, err := a.store.ResolveAddress(r.Context(), address)
	if errors.Is(err, storage.ErrNotFound) {
		api.WriteJSON(w, http.StatusOK, map[string]string{"address": address, "kind": "unknown"})
		return nil
	}
	if err != nil {
		return err
	}
	kind := "mailbox"
	if alias {
		kind = "alias"
	}
	api.WriteJSON(w, http.StatusOK, map[string]string{"address": address, "kind": kind, "mailbox": m.LocalPart + "@" + s.Domain})
	return nil
}

// exportLater marks the Dovecot and Postfix files stale after a change
// the store holds; the server's Exporter writes them in the background,
// retrying until it can, so the request's answer is about what is
// stored, and true. With several servers on one store it tells the
// others too, whose Exporters may write files of their own (a
// signal's failure is logged: the change is stored, and the files
// catch up at the next change or start).
func (a *API) exportLater(ctx context.Context) {
	if a.opts.Exports != nil {
		a.opts.Exports.Changed()
	}
	if a.opts.Signals != nil {
		if err := a.opts.Signals.Signal(context.WithoutCancel(ctx), ExportTopic); err != nil {
			a.opts.Logger.ErrorContext(ctx, "mailbox: cannot tell the other servers to write the mail server files", "err", err)
		}
	}
}

// Export writes the Dovecot passwd-file and the Postfix virtual table
// from the store; "" skips a file.
func Export(ctx context.Context, store storage.Mail, passwdFile, virtualMap string) error {
	_, err := export(ctx, store, passwdFile, virtualMap, false)
	return err
}

// export renders the files from the store and writes them; onlyChanged
// leaves a file alone whose content is already that, so that a mail
// server watching its mtime is not woken for nothing. changed reports
// whether a file was written.
func export(ctx context.Context, store storage.Mail, passwdFile, virtualMap string, onlyChanged bool) (changed bool, err error) {
	if passwdFile == "" && virtualMap == "" {
		return false, nil
	}
	services, boxes, err := store.MailExport(ctx)
	if err != nil {
		return false, fmt.Errorf("mailbox: read mailboxes: %w", err)
	}
	var entries []Entry
	var routes []Route
	for _, s := range services {
		for _, m := range boxes[s.ID] {
			address := strings.ToLower(m.LocalPart) + "@" + s.Domain
			if m.PasswordHash != "" {
				entries = append(entries, Entry{Address: address, Hash: m.PasswordHash})
			}
			routes = append(routes, Route{From: address, To: address})
			for _, al := range m.Aliases {
				routes = append(routes, Route{From: al + "@" + s.Domain, To: address})
			}
		}
		for _, d := range s.AliasDomains {
			routes = append(routes, Route{From: "@" + d, To: "@" + s.Domain})
		}
	}
	write := func(path string, render func() ([]byte, error), mode os.FileMode) error {
		if path == "" {
			return nil
		}
		data, err := render()
		if err != nil {
			return err
		}
		if onlyChanged {
			if old, err := os.ReadFile(path); err == nil && bytes.Equal(old, data) {
				return nil
			}
		}
		if err := WriteAtomic(path, data, mode); err != nil {
			return err
		}
		changed = true
		return nil
	}
	if err := write(passwdFile, func() ([]byte, error) { return PasswdFile(entries) }, 0o640); err != nil {
		return changed, err
	}
	if err := write(virtualMap, func() ([]byte, error) { return VirtualMap(routes) }, 0o644); err != nil {
		return changed, err
	}
	return changed, nil
}
