package mailbox

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"almanac/auth"
	"almanac/internal/api"
	"almanac/internal/fault"
	"almanac/notify"
	"almanac/storage"
)

// Paths of the responder API (doc.go, # Responders).
const (
	// SendersPath holds the caller's sending addresses.
	SendersPath = "/api/v1/account/senders"
	// SenderCodeTTL is how long the code mailed to a sending address
	// stays valid.
	SenderCodeTTL = 24 * time.Hour
)

// responderRoutes registers the responder endpoints: a mailbox's
// responders through a linked mailbox (the user) and through its service
// (a manager), the service's templates, and the caller's sending
// addresses.
func (a *API) responderRoutes(rt *api.Router) {
	for _, p := range []struct {
		prefix string
		find   func(*http.Request) (*storage.MailService, *storage.Mailbox, error)
	}{
		{MailboxesPath + "/{address}/responders", a.userMailbox},
		{ServicesPath + "/{service}/mailboxes/{local}/responders", a.managerMailbox},
	} {
		with := func(h func(http.ResponseWriter, *http.Request, *storage.MailService, *storage.Mailbox) error) api.Handler {
			return func(w http.ResponseWriter, r *http.Request) error {
				s, m, err := p.find(r)
				if err != nil {
					return err
				}
				return h(w, r, s, m)
			}
		}
		rt.Handle("GET "+p.prefix, with(a.listResponders))
		rt.Handle("POST "+p.prefix, with(a.createResponder), api.LargeBody)
		rt.Handle("GET "+p.prefix+"/{id}", with(a.getResponder))
		rt.Handle("PATCH "+p.prefix+"/{id}", with(a.updateResponder), api.LargeBody)
		rt.Handle("DELETE "+p.prefix+"/{id}", with(a.deleteResponder))
		rt.Handle("POST "+p.prefix+"/{id}/activate", with(a.activateResponder))
		rt.Handle("POST "+p.prefix+"/{id}/deactivate", with(a.deactivateResponder))
		rt.Handle("POST "+p.prefix+"/{id}/reset", with(a.resetResponder))
	}
	tp := ServicesPath + "/{service}/responder-templates"
	rt.Handle("GET "+tp, a.listTemplates)
	rt.Handle("POST "+tp, a.createTemplate, api.LargeBody)
	rt.Handle("GET "+tp+"/{id}", a.getTemplate)
	rt.Handle("PATCH "+tp+"/{id}", a.updateTemplate, api.LargeBody)
	rt.Handle("DELETE "+tp+"/{id}", a.deleteTemplate)
	rt.Handle("POST "+tp+"/{id}/apply", a.applyTemplate)
	rt.Handle("GET "+SendersPath, a.listSenders)
	rt.Handle("POST "+SendersPath, a.addSender)
	rt.Handle("POST "+SendersPath+"/{address}/confirm", a.confirmSender)
	rt.Handle("DELETE "+SendersPath+"/{address}", a.deleteSender)
}

// userMailbox is the mailbox of a user's path, reached through a link
// with the responder right (or as a manager of its service).
func (a *API) userMailbox(r *http.Request) (*storage.MailService, *storage.Mailbox, error) {
	return a.linked(r.Context(), auth.AccountFrom(r.Context()), r.PathValue("address"), storage.RightResponder)
}

// managerMailbox is the mailbox of a manager's path.
func (a *API) managerMailbox(r *http.Request) (*storage.MailService, *storage.Mailbox, error) {
	return a.managedMailbox(r.Context(), auth.AccountFrom(r.Context()), r.PathValue("service"), r.PathValue("local"))
}

// ResponderJSON is a responder as the API answers it (the web pages
// read the same answer).
type ResponderJSON struct {
	ID         string    `json:"id"`
	Address    string    `json:"address"`
	Name       string    `json:"name"`
	Subject    string    `json:"subject"`
	Message    string    `json:"message"`
	HTML       string    `json:"html"`
	TimeZone   string    `json:"time_zone"`
	Start      *string   `json:"start"`
	End        *string   `json:"end"`
	Weekdays   []string  `json:"weekdays"`
	From       string    `json:"from"`
	Exclusions []string  `json:"exclusions"`
	Active     bool      `json:"active"`
	Answering  bool      `json:"answering"`
	Template   *string   `json:"template"`
	Created    time.Time `json:"created"`
	Updated    time.Time `json:"updated"`
}

func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func responderView(s *storage.MailService, m *storage.Mailbox, r *storage.Responder, now time.Time) ResponderJSON {
	v := ResponderJSON{ID: r.ID, Address: m.LocalPart + "@" + s.Domain, Name: r.Name, Subject: r.Subject, Message: r.Text,
		HTML: r.HTML, TimeZone: r.TimeZone, Start: optional(r.Start), End: optional(r.End), Weekdays: weekdayList(r.Weekdays),
		From: r.From, Exclusions: r.Exclusions, Active: r.Active, Answering: Answering(r, now), Template: optional(r.Template),
		Created: r.Created, Updated: r.Updated}
	if v.From == "" {
		v.From = strings.ToLower(m.LocalPart) + "@" + s.Domain
	}
	if v.Exclusions == nil {
		v.Exclusions = []string{}
	}
	return v
}

// settingsRequest is a responder or template in a request body.
type settingsRequest struct {
	Name       *string   `json:"name"`
	Subject    *string   `json:"subject"`
	Message    *string   `json:"message"`
	HTML       *string   `json:"html"`
	TimeZone   *string   `json:"time_zone"`
	Start      *string   `json:"start"`
	End        *string   `json:"end"`
	Weekdays   *[]string `json:"weekdays"`
	From       *string   `json:"from"`
	Exclusions *[]string `json:"exclusions"`
}

func (q *settingsRequest) input() settingsInput {
	return settingsInput{Name: q.Name, Subject: q.Subject, Message: q.Message, HTML: q.HTML, TimeZone: q.TimeZone,
		Start: q.Start, End: q.End, From: q.From, Weekdays: q.Weekdays, Exclusions: q.Exclusions}
}

// defaultZone fills an absent time zone with the caller's: the zone of
// their default calendar, else UTC.
func (a *API) defaultZone(ctx context.Context, acc *storage.Account, q *settingsRequest) {
	if q.TimeZone == nil {
		if tz := calendarTimeZone(ctx, a.store, acc.ID); tz != "" {
			q.TimeZone = &tz
		}
	}
}

// checkFrom refuses a sending address the caller has not proved theirs:
// the mailbox's own addresses are always allowed, any other must be
// among the caller's verified sending addresses (422 unverified_from).
func (a *API) checkFrom(ctx context.Context, acc *storage.Account, s *storage.MailService, m *storage.Mailbox, from string) error {
	if from == "" || ownAddress(s, m, from) {
		return nil
	}
	return a.verifiedSender(ctx, acc, from)
}

// verifiedSender refuses an address that is not one of acc's verified
// sending addresses.
func (a *API) verifiedSender(ctx context.Context, acc *storage.Account, from string) error {
	senders, err := a.store.SendingAddresses(ctx, acc.ID)
	if err != nil {
		return err
	}
	for _, sa := range senders {
		if sa.Address == from && !sa.Verified.IsZero() {
			return nil
		}
	}
	return &fault.Error{Kind: fault.Unprocessable, Code: "unverified_from", Field: "from",
		Message: from + " is not an address of this mailbox nor one of your verified sending addresses; add it under " + SendersPath + " and confirm the code mailed to it"}
}

func (a *API) listResponders(w http.ResponseWriter, r *http.Request, s *storage.MailService, m *storage.Mailbox) error {
	rs, err := a.store.Responders(r.Context(), s.ID, m.LocalPart)
	if err != nil {
		return err
	}
	now := time.Now()
	out := []ResponderJSON{}
	var active *string
	for i := range rs {
		out = append(out, responderView(s, m, &rs[i], now))
		if rs[i].Active {
			active = &rs[i].ID
		}
	}
	api.WriteJSON(w, http.StatusOK, map[string]any{"responders": out, "active": active, "limit": MaxResponders})
	return nil
}

func (a *API) createResponder(w http.ResponseWriter, r *http.Request, s *storage.MailService, m *storage.Mailbox) error {
	var req struct {
		settingsRequest
		Active bool `json:"active"`
	}
	if err := api.Decode(r, &req); err != nil {
		return err
	}
	ctx := r.Context()
	acc := auth.AccountFrom(ctx)
	a.defaultZone(ctx, acc, &req.settingsRequest)
	resp := storage.Responder{Service: s.ID, LocalPart: m.LocalPart, Active: req.Active}
	if err := applyInput(&resp.ResponderSettings, req.input(), false); err != nil {
		return err
	}
	if err := a.checkFrom(ctx, acc, s, m, resp.From); err != nil {
		return err
	}
	rs := []storage.Responder{resp}
	if err := a.store.CreateResponders(ctx, rs, MaxResponders); err != nil {
		return responderLimit(err)
	}
	a.exportLater(r.Context())
	a.syncBusy(ctx, s, m)
	api.WriteJSON(w, http.StatusCreated, responderView(s, m, &rs[0], time.Now()))
	return nil
}

func responderLimit(err error) error {
	if errors.Is(err, storage.ErrLimit) {
		return &fault.Error{Kind: fault.Limit, Code: "too_many_responders",
			Message: fmt.Sprintf("a mailbox keeps at most %d responders; delete one first", MaxResponders), Err: err}
	}
	return err
}

func (a *API) getResponder(w http.ResponseWriter, r *http.Request, s *storage.MailService, m *storage.Mailbox) error {
	resp, err := a.store.Responder(r.Context(), s.ID, m.LocalPart, r.PathValue("id"))
	if err != nil {
		return err
	}
	api.WriteJSON(w, http.StatusOK, responderView(s, m, resp, time.Now()))
	return nil
}

func (a *API) updateResponder(w http.ResponseWriter, r *http.Request, s *storage.MailService, m *storage.Mailbox) error {
	var req settingsRequest
	if err := api.Decode(r, &req); err != nil {
		return err
	}
	ctx := r.Context()
	resp, err := a.store.Responder(ctx, s.ID, m.LocalPart, r.PathValue("id"))
	if err != nil {
		return err
	}
	oldFrom := resp.From
	if err := applyInput(&resp.ResponderSettings, req.input(), false); err != nil {
		return err
	}
	// A sending address is checked when it is set: someone editing the
	// message of a responder a manager set up keeps the manager's from.
	if resp.From != oldFrom {
		if err := a.checkFrom(ctx, auth.AccountFrom(ctx), s, m, resp.From); err != nil {
			return err
		}
	}
	if err := a.store.UpdateResponder(ctx, resp); err != nil {
		return err
	}
	a.exportLater(r.Context())
	a.syncBusy(ctx, s, m)
	api.WriteJSON(w, http.StatusOK, responderView(s, m, resp, time.Now()))
	return nil
}

func (a *API) deleteResponder(w http.ResponseWriter, r *http.Request, s *storage.MailService, m *storage.Mailbox) error {
	ctx := r.Context()
	if err := a.store.DeleteResponder(ctx, s.ID, m.LocalPart, r.PathValue("id")); err != nil {
		return err
	}
	a.exportLater(r.Context())
	a.syncBusy(ctx, s, m, r.PathValue("id"))
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (a *API) activateResponder(w http.ResponseWriter, r *http.Request, s *storage.MailService, m *storage.Mailbox) error {
	return a.setActive(w, r, s, m, true)
}

func (a *API) deactivateResponder(w http.ResponseWriter, r *http.Request, s *storage.MailService, m *storage.Mailbox) error {
	return a.setActive(w, r, s, m, false)
}

func (a *API) setActive(w http.ResponseWriter, r *http.Request, s *storage.MailService, m *storage.Mailbox, active bool) error {
	ctx := r.Context()
	resp, err := a.store.SetResponderActive(ctx, s.ID, m.LocalPart, r.PathValue("id"), active)
	if err != nil {
		return err
	}
	a.exportLater(r.Context())
	a.syncBusy(ctx, s, m)
	api.WriteJSON(w, http.StatusOK, responderView(s, m, resp, time.Now()))
	return nil
}

// resetResponder gives the responder a new handle: the mail server then
// answers every sender again, once per 7 days from now.
func (a *API) resetResponder(w http.ResponseWriter, r *http.Request, s *storage.MailService, m *storage.Mailbox) error {
	ctx := r.Context()
	resp, err := a.store.ResetResponder(ctx, s.ID, m.LocalPart, r.PathValue("id"), newHandle())
	if err != nil {
		return err
	}
	a.exportLater(r.Context())
	api.WriteJSON(w, http.StatusOK, responderView(s, m, resp, time.Now()))
	return nil
}

// newHandle is a fresh random handle for a reset.
func newHandle() string {
	token, _ := auth.NewToken()
	return strings.ToLower(strings.Map(func(r rune) rune {
		if r == '-' || r == '_' {
			return 'x'
		}
		return r
	}, token[:16]))
}

// Templates

type templateJSON struct {
	ID         string    `json:"id"`
	Service    string    `json:"service"`
	Name       string    `json:"name"`
	Subject    string    `json:"subject"`
	Message    string    `json:"message"`
	HTML       string    `json:"html"`
	TimeZone   string    `json:"time_zone"`
	Start      *string   `json:"start"`
	End        *string   `json:"end"`
	Weekdays   []string  `json:"weekdays"`
	From       *string   `json:"from"`
	Exclusions []string  `json:"exclusions"`
	Default    bool      `json:"default"`
	Created    time.Time `json:"created"`
	Updated    time.Time `json:"updated"`
}

func templateView(t *storage.ResponderTemplate) templateJSON {
	v := templateJSON{ID: t.ID, Service: t.Service, Name: t.Name, Subject: t.Subject, Message: t.Text, HTML: t.HTML,
		TimeZone: t.TimeZone, Start: optional(t.Start), End: optional(t.End), Weekdays: weekdayList(t.Weekdays),
		From: optional(t.From), Exclusions: t.Exclusions, Default: t.Default, Created: t.Created, Updated: t.Updated}
	if v.Exclusions == nil {
		v.Exclusions = []string{}
	}
	return v
}

func (a *API) listTemplates(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	s, err := a.manages(ctx, auth.AccountFrom(ctx), r.PathValue("service"))
	if err != nil {
		return err
	}
	ts, err := a.store.ResponderTemplates(ctx, s.ID)
	if err != nil {
		return err
	}
	out := []templateJSON{}
	for i := range ts {
		out = append(out, templateView(&ts[i]))
	}
	api.WriteJSON(w, http.StatusOK, map[string]any{"templates": out, "limit": MaxResponderTemplates})
	return nil
}

type templateRequest struct {
	settingsRequest
	Default *bool `json:"default"`
}

// checkTemplateFrom accepts a template's sending address: none,
// "{address}" (each mailbox's own), or one the manager verified.
func (a *API) checkTemplateFrom(ctx context.Context, acc *storage.Account, from string) error {
	if from == "" || from == "{address}" {
		return nil
	}
	return a.verifiedSender(ctx, acc, from)
}

func (a *API) createTemplate(w http.ResponseWriter, r *http.Request) error {
	var req templateRequest
	if err := api.Decode(r, &req); err != nil {
		return err
	}
	ctx := r.Context()
	acc := auth.AccountFrom(ctx)
	s, err := a.manages(ctx, acc, r.PathValue("service"))
	if err != nil {
		return err
	}
	a.defaultZone(ctx, acc, &req.settingsRequest)
	t := &storage.ResponderTemplate{Service: s.ID, Default: req.Default != nil && *req.Default}
	if err := applyInput(&t.ResponderSettings, req.input(), true); err != nil {
		return err
	}
	if err := a.checkTemplateFrom(ctx, acc, t.From); err != nil {
		return err
	}
	if err := a.store.CreateResponderTemplate(ctx, t, MaxResponderTemplates); err != nil {
		if errors.Is(err, storage.ErrLimit) {
			return &fault.Error{Kind: fault.Limit, Code: "too_many_templates",
				Message: fmt.Sprintf("a Mail Service keeps at most %d responder templates", MaxResponderTemplates), Err: err}
		}
		return err
	}
	api.WriteJSON(w, http.StatusCreated, templateView(t))
	return nil
}

// managedTemplate is template id of the path's service, for its managers.
func (a *API) managedTemplate(r *http.Request) (*storage.MailService, *storage.ResponderTemplate, error) {
	ctx := r.Context()
	s, err := a.manages(ctx, auth.AccountFrom(ctx), r.PathValue("service"))
	if err != nil {
		return nil, nil, err
	}
	t, err := a.store.ResponderTemplate(ctx, s.ID, r.PathValue("id"))
	if err != nil {
		return nil, nil, err
	}
	return s, t, nil
}

func (a *API) getTemplate(w http.ResponseWriter, r *http.Request) error {
	_, t, err := a.managedTemplate(r)
	if err != nil {
		return err
	}
	api.WriteJSON(w, http.StatusOK, templateView(t))
	return nil
}

func (a *API) updateTemplate(w http.ResponseWriter, r *http.Request) error {
	var req templateRequest
	if err := api.Decode(r, &req); err != nil {
		return err
	}
	_, t, err := a.managedTemplate(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	oldFrom := t.From
	if err := applyInput(&t.ResponderSettings, req.input(), true); err != nil {
		return err
	}
	if t.From != oldFrom {
		if err := a.checkTemplateFrom(ctx, auth.AccountFrom(ctx), t.From); err != nil {
			return err
		}
	}
	if req.Default != nil {
		t.Default = *req.Default
	}
	if err := a.store.UpdateResponderTemplate(ctx, t); err != nil {
		return err
	}
	api.WriteJSON(w, http.StatusOK, templateView(t))
	return nil
}

func (a *API) deleteTemplate(w http.ResponseWriter, r *http.Request) error {
	s, t, err := a.managedTemplate(r)
	if err != nil {
		return err
	}
	if err := a.store.DeleteResponderTemplate(r.Context(), s.ID, t.ID); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// applyTemplate copies a template into mailboxes of its service, all of
// them or those named, in one transaction: each gets its own responder
// with the placeholders filled, active when asked.
func (a *API) applyTemplate(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		Mailboxes *[]string `json:"mailboxes"`
		Activate  bool      `json:"activate"`
	}
	if err := api.Decode(r, &req); err != nil {
		return err
	}
	s, t, err := a.managedTemplate(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	all, err := a.store.Mailboxes(ctx, s.ID)
	if err != nil {
		return err
	}
	targets := all
	if req.Mailboxes != nil {
		targets = nil
		for _, name := range *req.Mailboxes {
			local := strings.TrimSpace(name)
			if l, domain, ok := strings.Cut(local, "@"); ok {
				if !strings.EqualFold(domain, s.Domain) {
					return fault.Invalidf("mailboxes", "%s is not an address of %s", name, s.Domain)
				}
				local = l
			}
			i := slices.IndexFunc(all, func(m storage.Mailbox) bool { return strings.EqualFold(m.LocalPart, local) })
			if i < 0 {
				return fault.Invalidf("mailboxes", "%s has no mailbox %q", s.Domain, name)
			}
			if !slices.ContainsFunc(targets, func(m storage.Mailbox) bool { return strings.EqualFold(m.LocalPart, local) }) {
				targets = append(targets, all[i])
			}
		}
		if len(targets) == 0 {
			return fault.Invalidf("mailboxes", "name at least one mailbox, or leave mailboxes out for all of them")
		}
	}
	rs, err := a.copies(ctx, auth.AccountFrom(ctx), s, t, targets, req.Activate)
	if err != nil {
		return err
	}
	if err := a.store.CreateResponders(ctx, rs, MaxResponders); err != nil {
		return responderLimit(err)
	}
	a.exportLater(r.Context())
	if req.Activate {
		for i := range targets {
			a.syncBusy(ctx, s, &targets[i])
		}
	}
	now := time.Now()
	out := []ResponderJSON{}
	for i := range rs {
		out = append(out, responderView(s, &targets[i], &rs[i], now))
	}
	api.WriteJSON(w, http.StatusCreated, map[string]any{"responders": out})
	return nil
}

// copies are template t filled in for each of targets, their sending
// address checked as acc's.
func (a *API) copies(ctx context.Context, acc *storage.Account, s *storage.MailService, t *storage.ResponderTemplate, targets []storage.Mailbox, active bool) ([]storage.Responder, error) {
	var rs []storage.Responder
	for i := range targets {
		m := &targets[i]
		address := strings.ToLower(m.LocalPart) + "@" + s.Domain
		name, err := a.ownerName(ctx, s, m, address)
		if err != nil {
			return nil, err
		}
		settings := fill(t.ResponderSettings, name, address)
		if err := a.checkFrom(ctx, acc, s, m, settings.From); err != nil {
			return nil, err
		}
		rs = append(rs, storage.Responder{ResponderSettings: settings, Service: s.ID, LocalPart: m.LocalPart,
			Active: active, Template: t.ID})
	}
	return rs, nil
}

// ownerName is what {name} stands for in a mailbox's copy of a template:
// the display name of the account whose login is the mailbox's address,
// else of the account linked to the mailbox first, else the local part.
func (a *API) ownerName(ctx context.Context, s *storage.MailService, m *storage.Mailbox, address string) (string, error) {
	switch owner, err := a.store.AccountByLogin(ctx, address); {
	case err == nil && owner.DisplayName != "":
		return owner.DisplayName, nil
	case err != nil && !errors.Is(err, storage.ErrNotFound):
		return "", err
	}
	links, err := a.store.MailboxLinksTo(ctx, s.ID, m.LocalPart)
	if err != nil {
		return "", err
	}
	slices.SortStableFunc(links, func(x, y storage.MailboxLink) int { return x.Created.Compare(y.Created) })
	for _, l := range links {
		acc, err := a.store.Account(ctx, l.Account)
		switch {
		case err == nil && acc.DisplayName != "":
			return acc.DisplayName, nil
		case err != nil && !errors.Is(err, storage.ErrNotFound):
			return "", err
		}
	}
	return m.LocalPart, nil
}

// defaultTemplate gives a new mailbox a copy of its service's default
// template, inactive, when there is one. A failure is logged: the
// mailbox exists, and the manager can apply the template again.
func (a *API) defaultTemplate(ctx context.Context, acc *storage.Account, s *storage.MailService, m *storage.Mailbox) {
	ts, err := a.store.ResponderTemplates(ctx, s.ID)
	if err != nil {
		a.opts.Logger.ErrorContext(ctx, "mailbox: cannot read the responder templates", "service", s.ID, "err", err)
		return
	}
	i := slices.IndexFunc(ts, func(t storage.ResponderTemplate) bool { return t.Default })
	if i < 0 {
		return
	}
	rs, err := a.copies(ctx, acc, s, &ts[i], []storage.Mailbox{*m}, false)
	if err == nil {
		err = a.store.CreateResponders(ctx, rs, MaxResponders)
	}
	if err != nil {
		a.opts.Logger.ErrorContext(ctx, "mailbox: cannot copy the default responder template", "service", s.ID, "mailbox", m.LocalPart, "err", err)
	}
}

// Sending addresses

// SenderJSON is a sending address as the API answers it.
type SenderJSON struct {
	Address  string     `json:"address"`
	Verified bool       `json:"verified"`
	Since    *time.Time `json:"verified_at"`
	Created  time.Time  `json:"created"`
}

func senderView(sa *storage.SendingAddress) SenderJSON {
	v := SenderJSON{Address: sa.Address, Verified: !sa.Verified.IsZero(), Created: sa.Created}
	if v.Verified {
		v.Since = &sa.Verified
	}
	return v
}

func (a *API) listSenders(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	list, err := a.store.SendingAddresses(ctx, auth.AccountFrom(ctx).ID)
	if err != nil {
		return err
	}
	out := []SenderJSON{}
	for i := range list {
		out = append(out, senderView(&list[i]))
	}
	api.WriteJSON(w, http.StatusOK, map[string]any{"senders": out, "limit": MaxSendingAddresses})
	return nil
}

// addSender stores an address and mails it a code, which confirmSender
// takes back. Adding it again sends a new code.
func (a *API) addSender(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		Address string `json:"address"`
	}
	if err := api.Decode(r, &req); err != nil {
		return err
	}
	address := strings.ToLower(strings.TrimSpace(req.Address))
	if reason, ok := ValidAddress(address); !ok {
		return fault.Invalidf("address", "address: %s", reason)
	}
	if a.opts.Mailer == nil {
		return errors.New("mailbox: no mailer for the sending address code")
	}
	ctx := r.Context()
	acc := auth.AccountFrom(ctx)
	code, hash := auth.NewToken()
	sa := &storage.SendingAddress{Account: acc.ID, Address: address, CodeHash: hash, CodeExpires: time.Now().Add(SenderCodeTTL)}
	if err := a.store.PutSendingAddress(ctx, sa, MaxSendingAddresses); err != nil {
		if errors.Is(err, storage.ErrLimit) {
			return &fault.Error{Kind: fault.Limit, Code: "too_many_senders", Field: "address",
				Message: fmt.Sprintf("an account has at most %d sending addresses", MaxSendingAddresses), Err: err}
		}
		return err
	}
	msg := notify.Message{To: address, Subject: "Confirm your sending address",
		Text: "The account " + acc.Login + " wants to send automatic replies from " + address + ".\n\n" +
			"To confirm that this address is yours, send this code within 24 hours:\n\n    " + code + "\n\n" +
			"for example:\n\n    curl -u " + acc.Login + " -H 'Content-Type: application/json' -d '{\"code\":\"" + code + "\"}' " +
			requestBase(r) + SendersPath + "/" + address + "/confirm\n\n" +
			"If you did not ask for this, ignore this message: nothing is sent from your address without it.\n"}
	if err := a.opts.Mailer.Send(ctx, msg); err != nil {
		return fmt.Errorf("mailbox: send the sending address code: %w", err)
	}
	api.WriteJSON(w, http.StatusAccepted, map[string]string{"status": "confirmation_sent", "address": address})
	return nil
}

// requestBase is the scheme and host the request came to, for the
// example in a mail.
func requestBase(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// confirmSender verifies an address with the code mailed to it; wrong
// codes count against the account like any mailed code (auth.KindCode).
func (a *API) confirmSender(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		Code string `json:"code"`
	}
	if err := api.Decode(r, &req); err != nil {
		return err
	}
	address := strings.ToLower(r.PathValue("address"))
	code := strings.TrimSpace(req.Code)
	if code == "" {
		return fault.Invalidf("code", "code is required")
	}
	ctx := r.Context()
	acc := auth.AccountFrom(ctx)
	var sa *storage.SendingAddress
	ok, err := a.guard.Check(ctx, auth.Attempt{Kind: auth.KindCode, Subject: acc.ID, Actor: acc.ID}, func() (bool, error) {
		var err error
		sa, err = a.store.VerifySendingAddress(ctx, acc.ID, address, auth.HashSecret(code), time.Now())
		if errors.Is(err, storage.ErrNotFound) {
			return false, nil
		}
		return err == nil, err
	})
	if err != nil {
		return err
	}
	if !ok {
		return fault.Invalidf("code", "the code is wrong, expired or already used")
	}
	api.WriteJSON(w, http.StatusOK, senderView(sa))
	return nil
}

func (a *API) deleteSender(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	if err := a.store.DeleteSendingAddress(ctx, auth.AccountFrom(ctx).ID, r.PathValue("address")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
