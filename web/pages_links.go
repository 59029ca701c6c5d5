package web

import (
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	qrcode "github.com/skip2/go-qrcode"

	"almanac/internal/api"
)

// linkRequest reads the link form into the API's request: empty fields
// are left out, so that the API's defaults and rules apply.
func linkRequest(f url.Values, p *page) (map[string]any, error) {
	in := map[string]any{"label": strings.TrimSpace(f.Get("label"))}
	if t := f.Get("tier"); t != "" {
		in["tier"] = t
	}
	window := map[string]any{}
	for _, k := range []string{"past_days", "future_days"} {
		v := strings.TrimSpace(f.Get(k))
		if v == "" {
			continue
		}
		n, err := strconv.Atoi(v)
		if err != nil {
			return nil, &api.Error{Status: http.StatusBadRequest, Code: "invalid_field", Field: k, Message: "a number of days"}
		}
		window[k] = n
	}
	if len(window) > 0 {
		in["window"] = window
	}
	if e := strings.TrimSpace(f.Get("expires")); e != "" {
		day, err := time.ParseInLocation("2006-01-02", e, p.zone)
		if err != nil {
			return nil, &api.Error{Status: http.StatusBadRequest, Code: "invalid_field", Field: "expires", Message: "a date such as 2027-01-31"}
		}
		// The link works through the whole day it expires on.
		in["expires"] = day.AddDate(0, 0, 1)
	}
	return in, nil
}

func (h *Handler) createLink(w http.ResponseWriter, r *http.Request, p *page) (string, error) {
	c, err := h.ownCollection(r, p)
	if err != nil {
		return "", err
	}
	in, err := linkRequest(r.PostForm, p)
	if err != nil {
		return "", err
	}
	in["collection"] = c.Name
	var l linkJSON
	if err := h.call(nil, r, p, http.MethodPost, "/api/v1/links", in, &l); err != nil {
		return "", err
	}
	return "/links/" + url.PathEscape(l.ID) + "?done=link_created", nil
}

type linkData struct {
	L     linkJSON
	HTML  string // the agenda page
	Embed string // the iframe snippet
	QR    template.HTML
	Tiers []string
}

func (h *Handler) linkView(w http.ResponseWriter, r *http.Request, p *page) error {
	var l linkJSON
	if err := h.call(nil, r, p, http.MethodGet, "/api/v1/links/"+url.PathEscape(r.PathValue("id")), nil, &l); err != nil {
		return err
	}
	d := linkData{L: l, Tiers: []string{"full", "limited", "busy"}}
	if l.Kind == "calendar" {
		d.HTML = strings.TrimSuffix(l.URL, ".ics") + ".html"
		d.Embed = `<iframe src="` + template.HTMLEscapeString(d.HTML+"?tz="+url.QueryEscape(p.Zone())) +
			`" title="` + template.HTMLEscapeString(l.Label) + `" width="100%" height="600" style="border:0"></iframe>`
	}
	qr, err := qrSVG(l.URL, p.T("link.qr_label"))
	if err != nil {
		return err
	}
	d.QR = qr
	p.Title, p.Nav, p.Data = p.T("link.title"), "calendars", d
	if len(p.Form) == 0 {
		p.Form.Set("label", l.Label)
		p.Form.Set("tier", l.Tier)
		if l.Window != nil {
			if l.Window.PastDays != nil {
				p.Form.Set("past_days", strconv.Itoa(*l.Window.PastDays))
			}
			if l.Window.FutureDays != nil {
				p.Form.Set("future_days", strconv.Itoa(*l.Window.FutureDays))
			}
		}
		if l.Expires != nil {
			p.Form.Set("expires", l.Expires.In(p.zone).AddDate(0, 0, -1).Format("2006-01-02"))
		}
	}
	return h.render(w, p, "link")
}

func (h *Handler) updateLink(w http.ResponseWriter, r *http.Request, p *page) (string, error) {
	in, err := linkRequest(r.PostForm, p)
	if err != nil {
		return "", err
	}
	if _, ok := in["window"]; !ok {
		in["window"] = nil
	}
	if _, ok := in["expires"]; !ok {
		in["expires"] = nil
	}
	id := r.PathValue("id")
	if err := h.call(nil, r, p, http.MethodPatch, "/api/v1/links/"+url.PathEscape(id), in, nil); err != nil {
		return "", err
	}
	return "/links/" + url.PathEscape(id) + "?done=saved", nil
}

// confirmView asks before a destructive step; what it names comes from
// the page's Data.
type confirmData struct {
	Question, Consequence, Action, Button, Back string
}

func (h *Handler) linkConfirmView(what string) view {
	return func(w http.ResponseWriter, r *http.Request, p *page) error {
		var l linkJSON
		id := r.PathValue("id")
		if err := h.call(nil, r, p, http.MethodGet, "/api/v1/links/"+url.PathEscape(id), nil, &l); err != nil {
			return err
		}
		label := l.Label
		if label == "" {
			label = l.Collection
		}
		p.Title, p.Nav = p.T(what+".title"), "calendars"
		p.Data = confirmData{Question: p.T(what+".question", label), Consequence: p.T(what+".consequence", l.FetchCount),
			Action: "/links/" + url.PathEscape(id) + "/" + what, Button: p.T(what + ".button"), Back: "/links/" + url.PathEscape(id)}
		return h.render(w, p, "confirm")
	}
}

func (h *Handler) revokeLink(w http.ResponseWriter, r *http.Request, p *page) (string, error) {
	var l linkJSON
	id := r.PathValue("id")
	if err := h.call(nil, r, p, http.MethodGet, "/api/v1/links/"+url.PathEscape(id), nil, &l); err != nil {
		return "", err
	}
	if err := h.call(nil, r, p, http.MethodDelete, "/api/v1/links/"+url.PathEscape(id), nil, nil); err != nil {
		return "", err
	}
	return "/calendars/" + url.PathEscape(l.Collection) + "?done=link_revoked", nil
}

func (h *Handler) rotateLink(w http.ResponseWriter, r *http.Request, p *page) (string, error) {
	var l linkJSON
	if err := h.call(nil, r, p, http.MethodPost, "/api/v1/links/"+url.PathEscape(r.PathValue("id"))+"/rotate", nil, &l); err != nil {
		return "", err
	}
	return "/links/" + url.PathEscape(l.ID) + "?done=link_rotated", nil
}

// qrSVG draws text as a QR code in SVG, one path of dark modules, so
// that it scales sharply and needs no image route of its own.
func qrSVG(text, label string) (template.HTML, error) {
	q, err := qrcode.New(text, qrcode.Medium)
	if err != nil {
		return "", err
	}
	q.DisableBorder = false
	bits := q.Bitmap()
	n := len(bits)
	var b strings.Builder
	b.WriteString(`<svg xmlns="http://www.w3.org/2000/svg" class="qr" role="img" aria-label="` + template.HTMLEscapeString(label) + `" viewBox="0 0 ` + strconv.Itoa(n) + " " + strconv.Itoa(n) +
		`" shape-rendering="crispEdges"><rect width="100%" height="100%" fill="#fff"/><path fill="#000" d="`)
	for y, row := range bits {
		for x, dark := range row {
			if dark {
				b.WriteString("M" + strconv.Itoa(x) + " " + strconv.Itoa(y) + "h1v1h-1z")
			}
		}
	}
	b.WriteString(`"/></svg>`)
	// Numbers and the escaped label only: nothing of text reaches the
	// markup.
	return template.HTML(b.String()), nil
}

// Shares

func (h *Handler) share(w http.ResponseWriter, r *http.Request, p *page) (string, error) {
	c, err := h.ownCollection(r, p)
	if err != nil {
		return "", err
	}
	f := r.PostForm
	in := map[string]any{"collection": c.Name, "login": strings.TrimSpace(f.Get("login")), "access": f.Get("access"),
		"show_private": f.Get("show_private") == "on"}
	if err := h.call(nil, r, p, http.MethodPost, "/api/v1/shares", in, nil); err != nil {
		return "", err
	}
	return "/calendars/" + url.PathEscape(c.Name) + "?done=shared", nil
}

func (h *Handler) updateShare(w http.ResponseWriter, r *http.Request, p *page) (string, error) {
	c, err := h.ownCollection(r, p)
	if err != nil {
		return "", err
	}
	f := r.PostForm
	in := map[string]any{"access": f.Get("access"), "show_private": f.Get("show_private") == "on"}
	if err := h.call(nil, r, p, http.MethodPatch, "/api/v1/shares/"+url.PathEscape(c.Name)+"/"+url.PathEscape(r.PathValue("sharee")), in, nil); err != nil {
		return "", err
	}
	return "/calendars/" + url.PathEscape(c.Name) + "?done=saved", nil
}

func (h *Handler) revokeShareView(w http.ResponseWriter, r *http.Request, p *page) error {
	c, err := h.ownCollection(r, p)
	if err != nil {
		return err
	}
	v := h.collection(p, c)
	var s shareJSON
	path := "/api/v1/shares/" + url.PathEscape(c.Name) + "/" + url.PathEscape(r.PathValue("sharee"))
	if err := h.call(nil, r, p, http.MethodGet, path, nil, &s); err != nil {
		return err
	}
	p.Title, p.Nav = p.T("unshare.title"), "calendars"
	p.Data = confirmData{Question: p.T("unshare.question", v.Title, s.Sharee.Login), Consequence: p.T("unshare.consequence", s.Sharee.Login),
		Action: "/calendars/" + url.PathEscape(c.Name) + "/shares/" + url.PathEscape(s.Sharee.ID) + "/revoke", Button: p.T("unshare.button"),
		Back: "/calendars/" + url.PathEscape(c.Name)}
	return h.render(w, p, "confirm")
}

func (h *Handler) revokeShare(w http.ResponseWriter, r *http.Request, p *page) (string, error) {
	c, err := h.ownCollection(r, p)
	if err != nil {
		return "", err
	}
	if err := h.call(nil, r, p, http.MethodDelete, "/api/v1/shares/"+url.PathEscape(c.Name)+"/"+url.PathEscape(r.PathValue("sharee")), nil, nil); err != nil {
		return "", err
	}
	return "/calendars/" + url.PathEscape(c.Name) + "?done=unshared", nil
}

func (h *Handler) leaveView(w http.ResponseWriter, r *http.Request, p *page) error {
	owner, coll := r.PathValue("owner"), r.PathValue("collection")
	var shares sharesJSON
	if err := h.call(nil, r, p, http.MethodGet, "/api/v1/shares", nil, &shares); err != nil {
		return err
	}
	for _, s := range shares.Received {
		if s.Owner.ID == owner && s.Collection == coll {
			p.Title, p.Nav = p.T("leave.title"), "calendars"
			p.Data = confirmData{Question: p.T("leave.question", s.Mount, s.Owner.Login), Consequence: p.T("leave.consequence", s.Owner.Login),
				Action: "/shared/" + url.PathEscape(owner) + "/" + url.PathEscape(coll) + "/leave", Button: p.T("leave.button"), Back: "/calendars"}
			return h.render(w, p, "confirm")
		}
	}
	return &api.Error{Status: http.StatusNotFound, Code: "not_found", Message: "no such resource"}
}

func (h *Handler) leave(w http.ResponseWriter, r *http.Request, p *page) (string, error) {
	path := "/api/v1/shares/received/" + url.PathEscape(r.PathValue("owner")) + "/" + url.PathEscape(r.PathValue("collection"))
	if err := h.call(nil, r, p, http.MethodDelete, path, nil, nil); err != nil {
		return "", err
	}
	return "/calendars?done=left", nil
}
