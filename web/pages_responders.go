package web

import (
	"almanac/mailbox"
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// weekdays are the API's weekday names in the order the forms show them.
var weekdays = []string{"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"}

// responderScope is where a mailbox's responders are reached: through
// the user's linked mailbox, or through its service on a manager's
// path. The same pages serve both; the API decides who may do what.
type responderScope struct {
	API     string // the API's responders collection
	Page    string // the pages' responders path
	Back    string // the mailbox's (or service's) page
	Manager bool
}

func responderScopeOf(r *http.Request) responderScope {
	if svc := r.PathValue("service"); svc != "" {
		s, l := url.PathEscape(svc), url.PathEscape(r.PathValue("local"))
		return responderScope{API: "/api/v1/services/" + s + "/mailboxes/" + l + "/responders",
			Page: "/manage/services/" + s + "/mailboxes/" + l + "/responders", Back: "/manage/services/" + s, Manager: true}
	}
	a := url.PathEscape(r.PathValue("address"))
	return responderScope{API: "/api/v1/mailboxes/" + a + "/responders", Page: "/mail/" + a + "/responders", Back: "/mail/" + a}
}

// responderMailbox is the mailbox a responder page names, with its
// aliases: the caller's linked one, or on a manager's path one of the
// service's. Another account's mailbox answers like a missing one.
func (h *Handler) responderMailbox(r *http.Request, p *page, sc responderScope) (mailboxJSON, error) {
	if !sc.Manager {
		return h.mailbox(r, p)
	}
	var ms struct {
		Mailboxes []mailboxJSON `json:"mailboxes"`
	}
	if err := h.call(nil, r, p, http.MethodGet, h.servicePath(r)+"/mailboxes", nil, &ms); err != nil {
		return mailboxJSON{}, err
	}
	local := strings.ToLower(r.PathValue("local"))
	for _, m := range ms.Mailboxes {
		if l, _, _ := strings.Cut(strings.ToLower(m.Address), "@"); l == local {
			return m, nil
		}
	}
	return mailboxJSON{}, errNotFound
}

type respondersData struct {
	Scope      responderScope
	Address    string
	Responders []mailbox.ResponderJSON
	Limit      int
	Senders    []mailbox.SenderJSON
	// Pending are the sending addresses waiting for their code.
	Pending []string
}

// respondersView lists a mailbox's responders, which one is active and
// whether it answers now, and the caller's sending addresses.
func (h *Handler) respondersView(w http.ResponseWriter, r *http.Request, p *page) error {
	sc := responderScopeOf(r)
	// The API checks the responder right (403 naming the manager when
	// it was taken) and answers 404 for a mailbox that is not the
	// caller's.
	var list struct {
		Responders []mailbox.ResponderJSON `json:"responders"`
		Limit      int                     `json:"limit"`
	}
	if err := h.call(nil, r, p, http.MethodGet, sc.API, nil, &list); err != nil {
		return err
	}
	m, err := h.responderMailbox(r, p, sc)
	if err != nil {
		return err
	}
	senders, err := h.senders(r, p)
	if err != nil {
		return err
	}
	d := respondersData{Scope: sc, Address: m.Address, Responders: list.Responders, Limit: list.Limit, Senders: senders}
	for _, s := range senders {
		if !s.Verified {
			d.Pending = append(d.Pending, s.Address)
		}
	}
	p.Title, p.Nav, p.Data = p.T("responders.title", m.Address), navOf(sc), d
	return h.render(w, p, "responders")
}

func navOf(sc responderScope) string {
	if sc.Manager {
		return "manage"
	}
	return "mail"
}

func (h *Handler) senders(r *http.Request, p *page) ([]mailbox.SenderJSON, error) {
	var out struct {
		Senders []mailbox.SenderJSON `json:"senders"`
	}
	if err := h.call(nil, r, p, http.MethodGet, "/api/v1/account/senders", nil, &out); err != nil {
		return nil, err
	}
	return out.Senders, nil
}

// responderForm is the editor of a responder or of a service's
// template, which share their settings.
type responderForm struct {
	Action, Cancel string
	// Template: the editor of a template (a default box, no activation).
	Template bool
	ID       string // "" for a new one
	Froms    []choice
	Weekdays []string
	Answer   *mailbox.ResponderJSON
}

// choice is an option of a select.
type choice struct{ Value, Label string }

// newResponderView is the editor of a new responder.
func (h *Handler) newResponderView(w http.ResponseWriter, r *http.Request, p *page) error {
	return h.editor(w, r, p, nil)
}

// responderView is the editor of a saved responder.
func (h *Handler) responderView(w http.ResponseWriter, r *http.Request, p *page) error {
	sc := responderScopeOf(r)
	var rj mailbox.ResponderJSON
	if err := h.call(nil, r, p, http.MethodGet, sc.API+"/"+url.PathEscape(r.PathValue("id")), nil, &rj); err != nil {
		return err
	}
	return h.editor(w, r, p, &rj)
}

func (h *Handler) editor(w http.ResponseWriter, r *http.Request, p *page, rj *mailbox.ResponderJSON) error {
	sc := responderScopeOf(r)
	if rj == nil {
		// The right to edit responders, checked by the API.
		if err := h.call(nil, r, p, http.MethodGet, sc.API, nil, nil); err != nil {
			return err
		}
	}
	m, err := h.responderMailbox(r, p, sc)
	if err != nil {
		return err
	}
	senders, err := h.senders(r, p)
	if err != nil {
		return err
	}
	// The addresses a reply may come from: the mailbox's own, its
	// aliases and the caller's verified sending addresses; the API
	// refuses any other.
	froms := append([]string{strings.ToLower(m.Address)}, m.Aliases...)
	for _, s := range senders {
		if s.Verified && !slices.Contains(froms, s.Address) {
			froms = append(froms, s.Address)
		}
	}
	d := responderForm{Action: sc.Page, Cancel: sc.Page, Weekdays: weekdays, Answer: rj}
	if rj != nil {
		d.ID, d.Action = rj.ID, sc.Page+"/"+url.PathEscape(rj.ID)
		if rj.From != "" && !slices.Contains(froms, rj.From) {
			froms = append(froms, rj.From)
		}
		// A failed post shows what was typed; a fresh view, what is saved.
		if len(p.Form) == 0 {
			p.Form = url.Values{"name": {rj.Name}, "subject": {rj.Subject}, "message": {rj.Message}, "html": {rj.HTML},
				"time_zone": {rj.TimeZone}, "start": {inputTime(rj.Start)}, "end": {inputTime(rj.End)}, "from": {rj.From},
				"weekdays": rj.Weekdays, "exclusions": {strings.Join(rj.Exclusions, "\n")}}
		}
		p.Title = p.T("responder.edit_title", rj.Name)
	} else {
		if len(p.Form) == 0 {
			p.Form = url.Values{"from": {froms[0]}}
		}
		p.Title = p.T("responder.new_title", m.Address)
	}
	for _, f := range froms {
		d.Froms = append(d.Froms, choice{f, f})
	}
	p.Nav, p.Data = navOf(sc), d
	return h.render(w, p, "responder")
}

// inputTime is a responder's wall-clock time as a datetime-local input
// takes it: to the minute.
func inputTime(s *string) string {
	if s == nil {
		return ""
	}
	if len(*s) > len("2006-01-02T15:04") {
		return (*s)[:len("2006-01-02T15:04")]
	}
	return *s
}

// responderInput is the editor's form as the API's request: every field
// is sent, so that clearing one (an end date, the exclusions) clears it.
func responderInput(f url.Values) map[string]any {
	wd := f["weekdays"]
	if wd == nil {
		wd = []string{}
	}
	in := map[string]any{"name": f.Get("name"), "subject": f.Get("subject"), "message": textarea(f.Get("message")),
		"html": textarea(f.Get("html")), "start": f.Get("start"), "end": f.Get("end"), "weekdays": wd, "from": f.Get("from"),
		"exclusions": addressList(f.Get("exclusions"))}
	// An empty zone is the API's default: the zone of the caller's
	// default calendar.
	if tz := strings.TrimSpace(f.Get("time_zone")); tz != "" {
		in["time_zone"] = tz
	}
	return in
}

// textarea turns the CRLF line ends a browser sends (HTML's form
// encoding) into the LF the API keeps.
func textarea(s string) string { return strings.ReplaceAll(s, "\r\n", "\n") }

// addressList reads one address or @domain per line (or separated by
// commas or spaces).
func addressList(s string) []string {
	out := strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ';' || r == ' ' || r == '\t' || r == '\r' || r == '\n' })
	if out == nil {
		out = []string{}
	}
	return out
}

func (h *Handler) createResponder(w http.ResponseWriter, r *http.Request, p *page) (string, error) {
	sc := responderScopeOf(r)
	in := responderInput(r.PostForm)
	if r.PostForm.Get("active") != "" {
		in["active"] = true
	}
	if err := h.call(nil, r, p, http.MethodPost, sc.API, in, nil); err != nil {
		return "", err
	}
	return sc.Page + "?done=responder_created", nil
}

func (h *Handler) updateResponder(w http.ResponseWriter, r *http.Request, p *page) (string, error) {
	sc := responderScopeOf(r)
	if err := h.call(nil, r, p, http.MethodPatch, sc.API+"/"+url.PathEscape(r.PathValue("id")), responderInput(r.PostForm), nil); err != nil {
		return "", err
	}
	return sc.Page + "?done=saved", nil
}

func (h *Handler) setResponderActive(active bool) action {
	return func(w http.ResponseWriter, r *http.Request, p *page) (string, error) {
		sc := responderScopeOf(r)
		verb, done := "/deactivate", "responder_off"
		if active {
			verb, done = "/activate", "responder_on"
		}
		if err := h.call(nil, r, p, http.MethodPost, sc.API+"/"+url.PathEscape(r.PathValue("id"))+verb, nil, nil); err != nil {
			return "", err
		}
		return sc.Page + "?done=" + done, nil
	}
}

// responderConfirmView asks before a reset (everyone is answered again)
// or a deletion.
func (h *Handler) responderConfirmView(what string) view {
	return func(w http.ResponseWriter, r *http.Request, p *page) error {
		sc := responderScopeOf(r)
		var rj mailbox.ResponderJSON
		id := r.PathValue("id")
		if err := h.call(nil, r, p, http.MethodGet, sc.API+"/"+url.PathEscape(id), nil, &rj); err != nil {
			return err
		}
		consequence := p.T("responder."+what+".consequence", rj.Address)
		if what == "delete" && rj.Active {
			consequence += " " + p.T("responder.delete.active")
		}
		p.Title, p.Nav = p.T("responder."+what+".title"), navOf(sc)
		p.Data = confirmData{Question: p.T("responder."+what+".question", rj.Name), Consequence: consequence,
			Action: sc.Page + "/" + url.PathEscape(id) + "/" + what, Button: p.T("responder." + what + ".button"), Back: sc.Page}
		return h.render(w, p, "confirm")
	}
}

func (h *Handler) resetResponder(w http.ResponseWriter, r *http.Request, p *page) (string, error) {
	sc := responderScopeOf(r)
	if err := h.call(nil, r, p, http.MethodPost, sc.API+"/"+url.PathEscape(r.PathValue("id"))+"/reset", nil, nil); err != nil {
		return "", err
	}
	return sc.Page + "?done=responder_reset", nil
}

func (h *Handler) deleteResponder(w http.ResponseWriter, r *http.Request, p *page) (string, error) {
	sc := responderScopeOf(r)
	if err := h.call(nil, r, p, http.MethodDelete, sc.API+"/"+url.PathEscape(r.PathValue("id")), nil, nil); err != nil {
		return "", err
	}
	return sc.Page + "?done=responder_deleted", nil
}

// The caller's sending addresses belong to the account; the pages offer
// them where they are used, on a mailbox's responders, and come back
// there. The mailbox is checked first, so that another account's path
// answers like a missing one.

func (h *Handler) addSender(w http.ResponseWriter, r *http.Request, p *page) (string, error) {
	sc := responderScopeOf(r)
	if _, err := h.responderMailbox(r, p, sc); err != nil {
		return "", err
	}
	if err := h.call(nil, r, p, http.MethodPost, "/api/v1/account/senders",
		map[string]string{"address": strings.TrimSpace(r.PostForm.Get("address"))}, nil); err != nil {
		return "", err
	}
	return sc.Page + "?done=sender_code_sent", nil
}

func (h *Handler) confirmSender(w http.ResponseWriter, r *http.Request, p *page) (string, error) {
	sc := responderScopeOf(r)
	if _, err := h.responderMailbox(r, p, sc); err != nil {
		return "", err
	}
	f := r.PostForm
	if err := h.call(nil, r, p, http.MethodPost, "/api/v1/account/senders/"+url.PathEscape(strings.ToLower(f.Get("sender")))+"/confirm",
		map[string]string{"code": f.Get("code")}, nil); err != nil {
		return "", err
	}
	return sc.Page + "?done=sender_verified", nil
}

func (h *Handler) removeSenderView(w http.ResponseWriter, r *http.Request, p *page) error {
	sc := responderScopeOf(r)
	if _, err := h.responderMailbox(r, p, sc); err != nil {
		return err
	}
	senders, err := h.senders(r, p)
	if err != nil {
		return err
	}
	addr := strings.ToLower(r.PathValue("sender"))
	if !slices.ContainsFunc(senders, func(s mailbox.SenderJSON) bool { return s.Address == addr }) {
		return errNotFound
	}
	p.Title, p.Nav = p.T("sender.remove.title"), navOf(sc)
	p.Data = confirmData{Question: p.T("sender.remove.question", addr), Consequence: p.T("sender.remove.consequence", addr),
		Action: sc.Page + "/senders/" + url.PathEscape(addr) + "/remove", Button: p.T("sender.remove.button"), Back: sc.Page}
	return h.render(w, p, "confirm")
}

func (h *Handler) removeSender(w http.ResponseWriter, r *http.Request, p *page) (string, error) {
	sc := responderScopeOf(r)
	if _, err := h.responderMailbox(r, p, sc); err != nil {
		return "", err
	}
	if err := h.call(nil, r, p, http.MethodDelete, "/api/v1/account/senders/"+url.PathEscape(strings.ToLower(r.PathValue("sender"))), nil, nil); err != nil {
		return "", err
	}
	return sc.Page + "?done=sender_removed", nil
}
