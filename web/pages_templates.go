package web

import (
	"almanac/mailbox"
	"net/http"
	"net/url"
	"strings"
)

// templateJSON is a service's responder template as the API shows it.
type templateJSON struct {
	mailbox.ResponderJSON
	From    *string `json:"from"`
	Default bool    `json:"default"`
}

func (h *Handler) templatesPath(r *http.Request) string {
	return h.servicePath(r) + "/responder-templates"
}

func templatesPage(r *http.Request) string {
	return "/manage/services/" + url.PathEscape(r.PathValue("service")) + "/templates"
}

type templatesData struct {
	Service   string
	Page      string
	Templates []templateJSON
	Limit     int
}

// templatesView lists a service's responder templates; the API lets
// only its managers list them.
func (h *Handler) templatesView(w http.ResponseWriter, r *http.Request, p *page) error {
	var out struct {
		Templates []templateJSON `json:"templates"`
		Limit     int            `json:"limit"`
	}
	if err := h.call(nil, r, p, http.MethodGet, h.templatesPath(r), nil, &out); err != nil {
		return err
	}
	p.Title, p.Nav = p.T("templates.title"), "manage"
	p.Data = templatesData{Service: r.PathValue("service"), Page: templatesPage(r), Templates: out.Templates, Limit: out.Limit}
	return h.render(w, p, "templates")
}

func (h *Handler) newTemplateView(w http.ResponseWriter, r *http.Request, p *page) error {
	if err := h.call(nil, r, p, http.MethodGet, h.templatesPath(r), nil, nil); err != nil {
		return err
	}
	return h.templateEditor(w, r, p, nil)
}

func (h *Handler) templateView(w http.ResponseWriter, r *http.Request, p *page) error {
	var t templateJSON
	if err := h.call(nil, r, p, http.MethodGet, h.templatesPath(r)+"/"+url.PathEscape(r.PathValue("id")), nil, &t); err != nil {
		return err
	}
	return h.templateEditor(w, r, p, &t)
}

func (h *Handler) templateEditor(w http.ResponseWriter, r *http.Request, p *page, t *templateJSON) error {
	senders, err := h.senders(r, p)
	if err != nil {
		return err
	}
	// A template replies from each mailbox's own address, or from a
	// sending address the manager confirmed.
	d := responderForm{Template: true, Action: templatesPage(r), Cancel: templatesPage(r), Weekdays: weekdays,
		Froms: []choice{{"{address}", p.T("template.from_own")}}}
	for _, s := range senders {
		if s.Verified {
			d.Froms = append(d.Froms, choice{s.Address, s.Address})
		}
	}
	if t == nil {
		p.Title = p.T("template.new_title")
		if len(p.Form) == 0 {
			p.Form = url.Values{"from": {"{address}"}}
		}
	} else {
		d.ID, d.Action = t.ID, templatesPage(r)+"/"+url.PathEscape(t.ID)
		from := "{address}"
		if t.From != nil {
			from = *t.From
		}
		if from != "{address}" && !strings.Contains(from, "{") {
			found := false
			for _, c := range d.Froms {
				found = found || c.Value == from
			}
			if !found {
				d.Froms = append(d.Froms, choice{from, from})
			}
		}
		if len(p.Form) == 0 {
			p.Form = url.Values{"name": {t.Name}, "subject": {t.Subject}, "message": {t.Message}, "html": {t.HTML},
				"time_zone": {t.TimeZone}, "start": {inputTime(t.Start)}, "end": {inputTime(t.End)}, "from": {from},
				"weekdays": t.Weekdays, "exclusions": {strings.Join(t.Exclusions, "\n")}}
			if t.Default {
				p.Form.Set("default", "1")
			}
		}
		p.Title = p.T("template.edit_title", t.Name)
	}
	p.Nav, p.Data = "manage", d
	return h.render(w, p, "responder")
}

func templateInput(f url.Values) map[string]any {
	in := responderInput(f)
	in["default"] = f.Get("default") != ""
	return in
}

func (h *Handler) createTemplate(w http.ResponseWriter, r *http.Request, p *page) (string, error) {
	if err := h.call(nil, r, p, http.MethodPost, h.templatesPath(r), templateInput(r.PostForm), nil); err != nil {
		return "", err
	}
	return templatesPage(r) + "?done=template_created", nil
}

func (h *Handler) updateTemplate(w http.ResponseWriter, r *http.Request, p *page) (string, error) {
	if err := h.call(nil, r, p, http.MethodPatch, h.templatesPath(r)+"/"+url.PathEscape(r.PathValue("id")), templateInput(r.PostForm), nil); err != nil {
		return "", err
	}
	return templatesPage(r) + "?done=saved", nil
}

func (h *Handler) deleteTemplateView(w http.ResponseWriter, r *http.Request, p *page) error {
	var t templateJSON
	id := r.PathValue("id")
	if err := h.call(nil, r, p, http.MethodGet, h.templatesPath(r)+"/"+url.PathEscape(id), nil, &t); err != nil {
		return err
	}
	p.Title, p.Nav = p.T("template.delete.title"), "manage"
	p.Data = confirmData{Question: p.T("template.delete.question", t.Name), Consequence: p.T("template.delete.consequence"),
		Action: templatesPage(r) + "/" + url.PathEscape(id) + "/delete", Button: p.T("template.delete.button"), Back: templatesPage(r)}
	return h.render(w, p, "confirm")
}

func (h *Handler) deleteTemplate(w http.ResponseWriter, r *http.Request, p *page) (string, error) {
	if err := h.call(nil, r, p, http.MethodDelete, h.templatesPath(r)+"/"+url.PathEscape(r.PathValue("id")), nil, nil); err != nil {
		return "", err
	}
	return templatesPage(r) + "?done=template_deleted", nil
}

type applyData struct {
	Template  templateJSON
	Page      string
	Mailboxes []string
}

// applyView is the form that copies a template into mailboxes, and the
// confirmation of it: activating the copies turns off the replies the
// mailboxes have active.
func (h *Handler) applyView(w http.ResponseWriter, r *http.Request, p *page) error {
	var t templateJSON
	id := r.PathValue("id")
	if err := h.call(nil, r, p, http.MethodGet, h.templatesPath(r)+"/"+url.PathEscape(id), nil, &t); err != nil {
		return err
	}
	var ms struct {
		Mailboxes []mailboxJSON `json:"mailboxes"`
	}
	if err := h.call(nil, r, p, http.MethodGet, h.servicePath(r)+"/mailboxes", nil, &ms); err != nil {
		return err
	}
	d := applyData{Template: t, Page: templatesPage(r)}
	for _, m := range ms.Mailboxes {
		d.Mailboxes = append(d.Mailboxes, m.Address)
	}
	if len(p.Form) == 0 {
		p.Form = url.Values{"to": {"all"}}
	}
	p.Title, p.Nav, p.Data = p.T("template.apply.title", t.Name), "manage", d
	return h.render(w, p, "template_apply")
}

func (h *Handler) applyTemplate(w http.ResponseWriter, r *http.Request, p *page) (string, error) {
	f := r.PostForm
	in := map[string]any{"activate": f.Get("activate") != ""}
	if f.Get("to") != "all" {
		// The API refuses an empty list, next to the mailboxes field.
		mb := f["mailboxes"]
		if mb == nil {
			mb = []string{}
		}
		in["mailboxes"] = mb
	}
	if err := h.call(nil, r, p, http.MethodPost, h.templatesPath(r)+"/"+url.PathEscape(r.PathValue("id"))+"/apply", in, nil); err != nil {
		return "", err
	}
	return templatesPage(r) + "?done=template_applied", nil
}
