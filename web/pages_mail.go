package web

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

type mailboxJSON struct {
	Address         string    `json:"address"`
	Service         string    `json:"service"`
	Aliases         []string  `json:"aliases"`
	Created         time.Time `json:"created"`
	PasswordChanged time.Time `json:"password_changed"`
	Rights          []string  `json:"rights"`
}

// Can tells whether the caller's link carries right.
func (m mailboxJSON) Can(right string) bool { return slices.Contains(m.Rights, right) }

func (h *Handler) mailView(w http.ResponseWriter, r *http.Request, p *page) error {
	var out struct {
		Mailboxes []mailboxJSON `json:"mailboxes"`
	}
	if err := h.call(nil, r, p, http.MethodGet, "/api/v1/mailboxes", nil, &out); err != nil {
		return err
	}
	p.Title, p.Nav, p.Data = p.T("mail.title"), "mail", out.Mailboxes
	return h.render(w, p, "mail")
}

func (h *Handler) linkMailbox(w http.ResponseWriter, r *http.Request, p *page) (string, error) {
	f := r.PostForm
	in := map[string]string{"address": strings.TrimSpace(f.Get("address")), "password": f.Get("password")}
	if err := h.call(nil, r, p, http.MethodPost, "/api/v1/mailboxes/link", in, nil); err != nil {
		return "", err
	}
	return "/mail/" + url.PathEscape(in["address"]) + "?done=linked", nil
}

type mailboxData struct {
	M       mailboxJSON
	Aliases []string
	Limit   int
	Free    int
	// AliasErr is why the aliases cannot be listed (the right was
	// removed, the plan has none), shown in their section.
	AliasErr string
}

// mailbox finds the caller's linked mailbox the path names; another
// account's mailbox is missing, like one that does not exist.
func (h *Handler) mailbox(r *http.Request, p *page) (mailboxJSON, error) {
	var out struct {
		Mailboxes []mailboxJSON `json:"mailboxes"`
	}
	if err := h.call(nil, r, p, http.MethodGet, "/api/v1/mailboxes", nil, &out); err != nil {
		return mailboxJSON{}, err
	}
	addr := strings.ToLower(r.PathValue("address"))
	for _, m := range out.Mailboxes {
		if strings.ToLower(m.Address) == addr {
			return m, nil
		}
	}
	return mailboxJSON{}, errNotFound
}

func (h *Handler) mailboxView(w http.ResponseWriter, r *http.Request, p *page) error {
	m, err := h.mailbox(r, p)
	if err != nil {
		return err
	}
	d := mailboxData{M: m}
	var al struct {
		Aliases []string `json:"aliases"`
		Limit   int      `json:"limit"`
	}
	if err := h.call(nil, r, p, http.MethodGet, "/api/v1/mailboxes/"+url.PathEscape(m.Address)+"/aliases", nil, &al); err != nil {
		ae := asAPIError(err)
		if ae == nil || ae.Status >= 500 {
			return err
		}
		d.AliasErr = p.cat.errorText(ae)
	}
	d.Aliases, d.Limit, d.Free = al.Aliases, al.Limit, al.Limit-len(al.Aliases)
	p.Title, p.Nav, p.Data = m.Address, "mail", d
	return h.render(w, p, "mailbox")
}

func (h *Handler) mailboxPassword(w http.ResponseWriter, r *http.Request, p *page) (string, error) {
	addr := r.PathValue("address")
	f := r.PostForm
	in := map[string]string{"password": f.Get("password"), "password_confirm": f.Get("password_confirm")}
	if err := h.call(nil, r, p, http.MethodPut, "/api/v1/mailboxes/"+url.PathEscape(addr)+"/password", in, nil); err != nil {
		return "", err
	}
	return "/mail/" + url.PathEscape(addr) + "?done=mail_password", nil
}

func (h *Handler) addAlias(w http.ResponseWriter, r *http.Request, p *page) (string, error) {
	addr := r.PathValue("address")
	if err := h.call(nil, r, p, http.MethodPost, "/api/v1/mailboxes/"+url.PathEscape(addr)+"/aliases",
		map[string]string{"alias": r.PostForm.Get("alias")}, nil); err != nil {
		return "", err
	}
	return "/mail/" + url.PathEscape(addr) + "?done=alias_added", nil
}

func (h *Handler) removeAliasView(w http.ResponseWriter, r *http.Request, p *page) error {
	addr, alias := r.PathValue("address"), r.PathValue("alias")
	if _, err := h.mailbox(r, p); err != nil {
		return err
	}
	p.Title, p.Nav = p.T("alias.remove.title"), "mail"
	p.Data = confirmData{Question: p.T("alias.remove.question", alias), Consequence: p.T("alias.remove.consequence", alias),
		Action: "/mail/" + url.PathEscape(addr) + "/aliases/" + url.PathEscape(alias) + "/remove", Button: p.T("alias.remove.button"),
		Back: "/mail/" + url.PathEscape(addr)}
	return h.render(w, p, "confirm")
}

func (h *Handler) removeAlias(w http.ResponseWriter, r *http.Request, p *page) (string, error) {
	addr := r.PathValue("address")
	if err := h.call(nil, r, p, http.MethodDelete, "/api/v1/mailboxes/"+url.PathEscape(addr)+"/aliases/"+url.PathEscape(r.PathValue("alias")), nil, nil); err != nil {
		return "", err
	}
	return "/mail/" + url.PathEscape(addr) + "?done=alias_removed", nil
}
