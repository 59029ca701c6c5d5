package web

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// serverJSON is one server of clientsetup's settings.
type serverJSON struct {
	Host     string `json:"host"`
	Port     int    `json:"port"`
	Security string `json:"security"`
	Username string `json:"username"`
	Password string `json:"password"`
	URL      string `json:"url"`
}

type settingsJSON struct {
	Address        string      `json:"address"`
	Login          string      `json:"login"`
	IMAP           *serverJSON `json:"imap"`
	SMTP           *serverJSON `json:"smtp"`
	CalDAV         serverJSON  `json:"caldav"`
	CardDAV        serverJSON  `json:"carddav"`
	MailConfigured *bool       `json:"mail_configured"`
}

type setupData struct {
	S settingsJSON
	// Page is this page; API the settings' API path, whose
	// profile.mobileconfig the downloads fetch.
	Page, Back string
	Servers    []setupServer
	// MailMissing: the operator has not said where the mail is served.
	MailMissing bool
}

type setupServer struct {
	Name string
	S    serverJSON
}

// setupAPI is the API path of the settings a setup page shows: a
// mailbox's (linked to the caller, or managed) or the account's.
func setupAPI(r *http.Request) (apiPath, page, back string) {
	if a := r.PathValue("address"); a != "" {
		a = url.PathEscape(a)
		return "/api/v1/mailboxes/" + a, "/mail/" + a + "/setup", "/mail/" + a
	}
	return "/api/v1/account", "/account/setup", "/account"
}

// setupView shows how to set up mail, calendar and contacts apps, with
// a configuration profile to download; the API says what and to whom
// (another account's mailbox is 404).
func (h *Handler) setupView(w http.ResponseWriter, r *http.Request, p *page) error {
	apiPath, page, back := setupAPI(r)
	var s settingsJSON
	if err := h.call(nil, r, p, http.MethodGet, apiPath+"/settings", nil, &s); err != nil {
		return err
	}
	d := setupData{S: s, Page: page, Back: back, MailMissing: s.MailConfigured != nil && !*s.MailConfigured}
	if s.IMAP != nil {
		d.Servers = append(d.Servers, setupServer{"IMAP", *s.IMAP})
	}
	if s.SMTP != nil {
		d.Servers = append(d.Servers, setupServer{"SMTP", *s.SMTP})
	}
	d.Servers = append(d.Servers, setupServer{"CalDAV", s.CalDAV}, setupServer{"CardDAV", s.CardDAV})
	if p.Form.Get("app_password_name") == "" {
		p.Form.Set("app_password_name", p.T("setup.default_device"))
	}
	title := s.Address
	if title == "" {
		title = s.Login
	}
	p.Title, p.Data = p.T("setup.title", title), d
	p.Nav = "mail"
	if s.Address == "" {
		p.Nav = "account"
	}
	return h.render(w, p, "setup")
}

// profile passes the API's configuration profile to the browser as a
// download: GET without a password, POST (a form with the CSRF token)
// with a new app password in it, which is in the file only.
func (h *Handler) profile(w http.ResponseWriter, r *http.Request, p *page) (string, error) {
	apiPath, _, _ := setupAPI(r)
	var body io.Reader
	ct := ""
	if r.Method == http.MethodPost {
		js, err := json.Marshal(map[string]string{"app_password_name": strings.TrimSpace(r.PostForm.Get("app_password_name"))})
		if err != nil {
			return "", fmt.Errorf("web: encode the profile request: %w", err)
		}
		body, ct = bytes.NewReader(js), "application/json"
	}
	method := r.Method
	rep, err := h.send(nil, r, p, method, apiPath+"/profile.mobileconfig", ct, body)
	if err != nil {
		return "", err
	}
	if rep.status >= 400 {
		return "", rep.apiError(method, apiPath+"/profile.mobileconfig")
	}
	hd := w.Header()
	for _, k := range []string{"Content-Type", "Content-Disposition", "Cache-Control"} {
		hd.Set(k, rep.header.Get(k))
	}
	w.WriteHeader(http.StatusOK)
	w.Write(rep.body.Bytes())
	return "", nil
}

func (h *Handler) profileGet(w http.ResponseWriter, r *http.Request, p *page) error {
	_, err := h.profile(w, r, p)
	return err
}
