package web

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
)

type orgJSON struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	Role string `json:"role"`
}

type memberJSON struct {
	Account string `json:"account"`
	Login   string `json:"login"`
	Role    string `json:"role"`
}

type serviceJSON struct {
	ID           string   `json:"id"`
	Domain       string   `json:"domain"`
	Plan         string   `json:"plan"`
	AliasDomains []string `json:"alias_domains"`
}

type orgView struct {
	Org      orgJSON
	Members  []memberJSON
	Services []serviceJSON
	Manages  bool
}

func (h *Handler) manageView(w http.ResponseWriter, r *http.Request, p *page) error {
	var orgs struct {
		Organizations []orgJSON `json:"organizations"`
	}
	if err := h.call(nil, r, p, http.MethodGet, "/api/v1/orgs", nil, &orgs); err != nil {
		return err
	}
	var views []orgView
	for _, o := range orgs.Organizations {
		v := orgView{Org: o, Manages: o.Role == "owner" || o.Role == "manager"}
		if v.Manages {
			var ms struct {
				Members []memberJSON `json:"members"`
			}
			if err := h.call(nil, r, p, http.MethodGet, "/api/v1/orgs/"+url.PathEscape(o.ID)+"/members", nil, &ms); err != nil {
				return err
			}
			var ss struct {
				Services []serviceJSON `json:"services"`
			}
			if err := h.call(nil, r, p, http.MethodGet, "/api/v1/orgs/"+url.PathEscape(o.ID)+"/services", nil, &ss); err != nil {
				return err
			}
			v.Members, v.Services = ms.Members, ss.Services
		}
		views = append(views, v)
	}
	p.Title, p.Nav, p.Data = p.T("manage.title"), "manage", views
	return h.render(w, p, "manage")
}

func (h *Handler) addMember(w http.ResponseWriter, r *http.Request, p *page) (string, error) {
	f := r.PostForm
	if err := h.call(nil, r, p, http.MethodPost, "/api/v1/orgs/"+url.PathEscape(r.PathValue("org"))+"/members",
		map[string]string{"login": strings.TrimSpace(f.Get("login")), "role": f.Get("role")}, nil); err != nil {
		return "", err
	}
	return "/manage?done=member_added", nil
}

func (h *Handler) removeMemberView(w http.ResponseWriter, r *http.Request, p *page) error {
	org, acc := r.PathValue("org"), r.PathValue("account")
	var ms struct {
		Members []memberJSON `json:"members"`
	}
	if err := h.call(nil, r, p, http.MethodGet, "/api/v1/orgs/"+url.PathEscape(org)+"/members", nil, &ms); err != nil {
		return err
	}
	for _, m := range ms.Members {
		if m.Account == acc {
			p.Title, p.Nav = p.T("member.remove.title"), "manage"
			p.Data = confirmData{Question: p.T("member.remove.question", m.Login), Consequence: p.T("member.remove.consequence", m.Login),
				Action: "/manage/orgs/" + url.PathEscape(org) + "/members/" + url.PathEscape(acc) + "/remove", Button: p.T("member.remove.button"), Back: "/manage"}
			return h.render(w, p, "confirm")
		}
	}
	return errNotFound
}

func (h *Handler) removeMember(w http.ResponseWriter, r *http.Request, p *page) (string, error) {
	if err := h.call(nil, r, p, http.MethodDelete, "/api/v1/orgs/"+url.PathEscape(r.PathValue("org"))+"/members/"+url.PathEscape(r.PathValue("account")), nil, nil); err != nil {
		return "", err
	}
	return "/manage?done=member_removed", nil
}

func (h *Handler) createService(w http.ResponseWriter, r *http.Request, p *page) (string, error) {
	f := r.PostForm
	in := map[string]any{"domain": strings.TrimSpace(f.Get("domain")), "plan": f.Get("plan")}
	if ad := strings.TrimSpace(f.Get("alias_domains")); ad != "" {
		in["alias_domains"] = strings.Fields(strings.ReplaceAll(ad, ",", " "))
	}
	var s serviceJSON
	if err := h.call(nil, r, p, http.MethodPost, "/api/v1/orgs/"+url.PathEscape(r.PathValue("org"))+"/services", in, &s); err != nil {
		return "", err
	}
	return "/manage/services/" + url.PathEscape(s.ID) + "?done=service_created", nil
}

type serviceData struct {
	ID        string
	Domain    string
	Mailboxes []managedMailbox
	Rights    []string
}

// managedMailbox is a mailbox as its manager sees it, with the users
// linked to it and their rights.
type managedMailbox struct {
	mailboxJSON
	Local  string
	Linked []linkedUser
}

type linkedUser struct {
	Login  string
	Rights []string
}

// Has tells whether the user holds right.
func (u linkedUser) Has(right string) bool { return slices.Contains(u.Rights, right) }

func (h *Handler) serviceView(w http.ResponseWriter, r *http.Request, p *page) error {
	id := r.PathValue("service")
	var ms struct {
		Mailboxes []mailboxJSON `json:"mailboxes"`
	}
	if err := h.call(nil, r, p, http.MethodGet, "/api/v1/services/"+url.PathEscape(id)+"/mailboxes", nil, &ms); err != nil {
		return err
	}
	// The API let the caller list the mailboxes: the caller manages the
	// service, and may see who is linked to them.
	d := serviceData{ID: id, Rights: []string{"password", "aliases", "responder"}}
	for _, m := range ms.Mailboxes {
		local, domain, _ := strings.Cut(m.Address, "@")
		d.Domain = domain
		mm := managedMailbox{mailboxJSON: m, Local: local}
		links, err := h.opts.Store.MailboxLinksTo(r.Context(), m.Service, local)
		if err != nil {
			return err
		}
		for _, l := range links {
			acc, err := h.opts.Store.Account(r.Context(), l.Account)
			if err != nil {
				continue // deleted meanwhile
			}
			mm.Linked = append(mm.Linked, linkedUser{Login: acc.Login, Rights: l.Rights})
		}
		d.Mailboxes = append(d.Mailboxes, mm)
	}
	p.Title, p.Nav, p.Data = p.T("service.title"), "manage", d
	return h.render(w, p, "service")
}

func (h *Handler) servicePath(r *http.Request) string {
	return "/api/v1/services/" + url.PathEscape(r.PathValue("service"))
}

func (h *Handler) createMailbox(w http.ResponseWriter, r *http.Request, p *page) (string, error) {
	f := r.PostForm
	in := map[string]string{"local_part": strings.TrimSpace(f.Get("local_part")), "password": f.Get("password"), "password_confirm": f.Get("password_confirm")}
	if err := h.call(nil, r, p, http.MethodPost, h.servicePath(r)+"/mailboxes", in, nil); err != nil {
		return "", err
	}
	return "/manage/services/" + url.PathEscape(r.PathValue("service")) + "?done=mailbox_created", nil
}

func (h *Handler) deleteMailboxView(w http.ResponseWriter, r *http.Request, p *page) error {
	local := r.PathValue("local")
	var ms struct {
		Mailboxes []mailboxJSON `json:"mailboxes"`
	}
	if err := h.call(nil, r, p, http.MethodGet, h.servicePath(r)+"/mailboxes", nil, &ms); err != nil {
		return err
	}
	for _, m := range ms.Mailboxes {
		if l, _, _ := strings.Cut(m.Address, "@"); l == local {
			p.Title, p.Nav = p.T("mailbox.delete.title"), "manage"
			p.Data = confirmData{Question: p.T("mailbox.delete.question", m.Address), Consequence: p.T("mailbox.delete.consequence", len(m.Aliases)),
				Action: "/manage/services/" + url.PathEscape(r.PathValue("service")) + "/mailboxes/" + url.PathEscape(local) + "/delete",
				Button: p.T("mailbox.delete.button"), Back: "/manage/services/" + url.PathEscape(r.PathValue("service"))}
			return h.render(w, p, "confirm")
		}
	}
	return errNotFound
}

func (h *Handler) deleteMailbox(w http.ResponseWriter, r *http.Request, p *page) (string, error) {
	if err := h.call(nil, r, p, http.MethodDelete, h.servicePath(r)+"/mailboxes/"+url.PathEscape(r.PathValue("local")), nil, nil); err != nil {
		return "", err
	}
	return "/manage/services/" + url.PathEscape(r.PathValue("service")) + "?done=mailbox_deleted", nil
}

func (h *Handler) managerPassword(w http.ResponseWriter, r *http.Request, p *page) (string, error) {
	f := r.PostForm
	// Named apart from the new-mailbox form's fields on the same page, so
	// that an error is not shown next to the wrong form.
	in := map[string]string{"password": f.Get("mb_password"), "password_confirm": f.Get("mb_password_confirm")}
	if err := h.call(nil, r, p, http.MethodPut, h.servicePath(r)+"/mailboxes/"+url.PathEscape(r.PathValue("local"))+"/password", in, nil); err != nil {
		return "", err
	}
	return "/manage/services/" + url.PathEscape(r.PathValue("service")) + "?done=mail_password", nil
}

// setRights links a member to a mailbox with the rights ticked, or
// changes the rights of one linked already.
func (h *Handler) setRights(w http.ResponseWriter, r *http.Request, p *page) (string, error) {
	f := r.PostForm
	rights := f["rights"]
	if rights == nil {
		rights = []string{}
	}
	in := map[string]any{"login": strings.TrimSpace(f.Get("login")), "rights": rights}
	if err := h.call(nil, r, p, http.MethodPost, h.servicePath(r)+"/mailboxes/"+url.PathEscape(r.PathValue("local"))+"/links", in, nil); err != nil {
		return "", err
	}
	return "/manage/services/" + url.PathEscape(r.PathValue("service")) + "?done=rights_saved", nil
}
