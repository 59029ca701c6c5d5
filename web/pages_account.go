package web

import (
	"net/http"

	"almanac/auth"
	"almanac/internal/api"
	"net/url"
	"strings"
	"time"
)

type appPasswordJSON struct {
	ID         string     `json:"id"`
	Name       string     `json:"name"`
	Scope      string     `json:"scope"`
	Created    time.Time  `json:"created"`
	LastUsed   *time.Time `json:"last_used"`
	LastClient string     `json:"last_client"`
	Password   string     `json:"password"`
}

type accountJSON struct {
	ID            string `json:"id"`
	Login         string `json:"login"`
	DisplayName   string `json:"display_name"`
	RecoveryEmail string `json:"recovery_email"`
	Mobile        string `json:"mobile"`
	TwoFactor     struct {
		Enabled           bool `json:"enabled"`
		RecoveryCodesLeft int  `json:"recovery_codes_left"`
	} `json:"two_factor"`
	AppPasswords        []appPasswordJSON `json:"app_passwords"`
	PrincipalURL        string            `json:"principal_url"`
	LoginChangeRequired bool              `json:"login_change_required"`
}

type accountData struct {
	A accountJSON
	// Shown once, on the answer to the request that made them.
	NewAppPassword *appPasswordJSON
	TOTP           *totpData
	RecoveryCodes  []string
	Zones          []string
}

type totpData struct {
	Secret string
	URI    string
}

// commonZones are offered in the zone setting; any IANA name is taken.
var commonZones = []string{"UTC", "Europe/London", "Europe/Paris", "Europe/Zurich", "Europe/Berlin", "America/New_York",
	"America/Chicago", "America/Los_Angeles", "America/Sao_Paulo", "Asia/Tokyo", "Asia/Kolkata", "Australia/Sydney"}

func (h *Handler) accountView(w http.ResponseWriter, r *http.Request, p *page) error {
	d, _ := p.Data.(*accountData)
	if d == nil {
		d = &accountData{}
	}
	if err := h.call(nil, r, p, http.MethodGet, "/api/v1/account", nil, &d.A); err != nil {
		return err
	}
	d.Zones = commonZones
	d.A.PrincipalURL = absolute(r, d.A.PrincipalURL)
	p.Title, p.Nav, p.Data = p.T("account.title"), "account", d
	for k, v := range map[string]string{"display_name": d.A.DisplayName, "recovery_email": d.A.RecoveryEmail, "lang": p.Lang, "tz": p.Zone()} {
		if !p.Form.Has(k) {
			p.Form.Set(k, v)
		}
	}
	return h.render(w, p, "account")
}

func (h *Handler) saveProfile(w http.ResponseWriter, r *http.Request, p *page) (string, error) {
	f := r.PostForm
	in := map[string]any{"display_name": f.Get("display_name"), "recovery_email": f.Get("recovery_email")}
	// The number is shown masked: an empty field keeps it, "-" removes it.
	if m := strings.TrimSpace(f.Get("mobile")); m == "-" {
		in["mobile"] = ""
	} else if m != "" {
		in["mobile"] = m
	}
	if err := h.call(nil, r, p, http.MethodPatch, "/api/v1/account", in, nil); err != nil {
		return "", err
	}
	return "/account?done=saved", nil
}

func (h *Handler) changePassword(w http.ResponseWriter, r *http.Request, p *page) (string, error) {
	f := r.PostForm
	in := map[string]any{"current_password": f.Get("current_password"), "new_password": f.Get("new_password"),
		"new_password_confirm": f.Get("new_password_confirm"), "end_sessions": f.Get("end_sessions") == "on"}
	if err := h.call(nil, r, p, http.MethodPost, "/api/v1/account/password", in, nil); err != nil {
		return "", err
	}
	return "/account?done=password_changed", nil
}

func (h *Handler) endSessionsView(w http.ResponseWriter, r *http.Request, p *page) error {
	p.Title, p.Nav = p.T("sessions.title"), "account"
	p.Data = confirmData{Question: p.T("sessions.question"), Consequence: p.T("sessions.consequence"),
		Action: "/account/sessions/end", Button: p.T("sessions.end"), Back: "/account"}
	return h.render(w, p, "confirm")
}

func (h *Handler) endSessions(w http.ResponseWriter, r *http.Request, p *page) (string, error) {
	if err := h.call(nil, r, p, http.MethodDelete, "/api/v1/account/sessions/others", nil, nil); err != nil {
		return "", err
	}
	return "/account?done=sessions_ended", nil
}

func (h *Handler) createAppPassword(w http.ResponseWriter, r *http.Request, p *page) (string, error) {
	f := r.PostForm
	var out appPasswordJSON
	if err := h.call(nil, r, p, http.MethodPost, "/api/v1/account/app-passwords", map[string]string{"name": f.Get("name"), "scope": f.Get("scope")}, &out); err != nil {
		return "", err
	}
	p.Data = &accountData{NewAppPassword: &out}
	p.Status = http.StatusCreated
	return "", h.accountView(w, r, p)
}

func (h *Handler) deleteAppPassword(w http.ResponseWriter, r *http.Request, p *page) (string, error) {
	if err := h.call(nil, r, p, http.MethodDelete, "/api/v1/account/app-passwords/"+url.PathEscape(r.PathValue("id")), nil, nil); err != nil {
		return "", err
	}
	return "/account?done=app_password_revoked", nil
}

func (h *Handler) deleteAppPasswordView(w http.ResponseWriter, r *http.Request, p *page) error {
	var a accountJSON
	if err := h.call(nil, r, p, http.MethodGet, "/api/v1/account", nil, &a); err != nil {
		return err
	}
	for _, ap := range a.AppPasswords {
		if ap.ID == r.PathValue("id") {
			p.Title, p.Nav = p.T("apppw.revoke.title"), "account"
			p.Data = confirmData{Question: p.T("apppw.revoke.question", ap.Name), Consequence: p.T("apppw.revoke.consequence"),
				Action: "/account/app-passwords/" + url.PathEscape(ap.ID) + "/revoke", Button: p.T("apppw.revoke.button"), Back: "/account"}
			return h.render(w, p, "confirm")
		}
	}
	return errNotFound
}

// enroll2FA starts enrolment: the secret as a QR code and as text,
// and the form for the first code.
func (h *Handler) enroll2FA(w http.ResponseWriter, r *http.Request, p *page) (string, error) {
	var out struct {
		Secret string `json:"secret"`
		URI    string `json:"otpauth_uri"`
	}
	if err := h.call(nil, r, p, http.MethodPost, "/api/v1/account/2fa", map[string]string{"password": r.PostForm.Get("password")}, &out); err != nil {
		return "", err
	}
	return "", h.totpView(w, r, p, out.Secret, out.URI)
}

type totpPage struct {
	Secret, URI string
	QR          any
}

func (h *Handler) totpView(w http.ResponseWriter, r *http.Request, p *page, secret, uri string) error {
	qr, err := qrSVG(uri, p.T("totp.qr_label"))
	if err != nil {
		return err
	}
	p.Title, p.Nav, p.Data = p.T("totp.title"), "account", totpPage{Secret: secret, URI: uri, QR: qr}
	return h.render(w, p, "totp")
}

func (h *Handler) confirm2FA(w http.ResponseWriter, r *http.Request, p *page) (string, error) {
	var out struct {
		Codes []string `json:"recovery_codes"`
	}
	if err := h.call(nil, r, p, http.MethodPost, "/api/v1/account/2fa/confirm", map[string]string{"code": r.PostForm.Get("code")}, &out); err != nil {
		return "", err
	}
	p.Data = &accountData{RecoveryCodes: out.Codes}
	return "", h.accountView(w, r, p)
}

// totpRetry is the enrolment page again after a wrong first code. The
// API gives the pending secret once, so the enrolment form carries the
// key and its otpauth URI back, only to show them again to someone who
// had not scanned them yet: they are the page's own text, grant nothing,
// and are shown only when they have the shape the API gives.
func (h *Handler) totpRetry(w http.ResponseWriter, r *http.Request, p *page) error {
	secret, uri := r.PostForm.Get("secret"), r.PostForm.Get("uri")
	if pendingKey(secret, uri) {
		return h.totpView(w, r, p, secret, uri)
	}
	p.Title, p.Nav = p.T("totp.title"), "account"
	p.Data = totpPage{}
	return h.render(w, p, "totp")
}

// pendingKey reports whether secret is a base32 TOTP key and uri an
// otpauth://totp URI carrying it.
func pendingKey(secret, uri string) bool {
	if len(secret) < 16 || len(secret) > 128 || len(uri) > 512 {
		return false
	}
	for _, c := range secret {
		if !(c >= 'A' && c <= 'Z' || c >= '2' && c <= '7') {
			return false
		}
	}
	u, err := url.Parse(uri)
	return err == nil && u.Scheme == "otpauth" && u.Host == "totp" && u.Query().Get("secret") == secret
}

func (h *Handler) disable2FA(w http.ResponseWriter, r *http.Request, p *page) (string, error) {
	f := r.PostForm
	if err := h.call(nil, r, p, http.MethodDelete, "/api/v1/account/2fa", map[string]string{"password": f.Get("password"), "code": f.Get("code")}, nil); err != nil {
		return "", err
	}
	return "/account?done=2fa_off", nil
}

// Login ID change: the code goes to the new address; the account stays
// on its current login until it is confirmed.

type loginChangeData struct {
	Required bool
	Sent     string
	ShowCode bool
}

func (h *Handler) loginChangeView(w http.ResponseWriter, r *http.Request, p *page) error {
	d, _ := p.Data.(*loginChangeData)
	if d == nil {
		d = &loginChangeData{}
	}
	d.Required = validLoginErr(p.Account.Login)
	d.ShowCode = d.Sent != "" || r.URL.Query().Get("step") == "code" || p.Err("code") != ""
	p.Title, p.Nav, p.Data = p.T("loginid.title"), "account", d
	return h.render(w, p, "login_change")
}

func (h *Handler) requestLoginChange(w http.ResponseWriter, r *http.Request, p *page) (string, error) {
	f := r.PostForm
	var out struct {
		NewLogin string `json:"new_login"`
	}
	if err := h.call(nil, r, p, http.MethodPost, "/api/v1/account/login", map[string]string{"new_login": f.Get("new_login"), "password": f.Get("password")}, &out); err != nil {
		return "", err
	}
	p.Data = &loginChangeData{Sent: out.NewLogin}
	p.Status = http.StatusAccepted
	return "", h.loginChangeView(w, r, p)
}

func (h *Handler) confirmLoginChange(w http.ResponseWriter, r *http.Request, p *page) (string, error) {
	if err := h.call(nil, r, p, http.MethodPost, "/api/v1/account/login/confirm", map[string]string{"code": strings.TrimSpace(r.PostForm.Get("code"))}, nil); err != nil {
		if p.Data == nil {
			p.Data = &loginChangeData{Sent: r.PostForm.Get("new_login")}
		}
		return "", err
	}
	return "/account?done=login_changed", nil
}

func validLoginErr(login string) bool { return auth.ValidateLogin(login) != nil }

var errNotFound = &api.Error{Status: http.StatusNotFound, Code: "not_found", Message: "no such resource"}
