package web

import (
	"errors"
	"net/http"
	"net/url"
	"strings"

	"almanac/internal/api"
)

func (h *Handler) home(w http.ResponseWriter, r *http.Request, p *page) error {
	if p.Account != nil {
		http.Redirect(w, r, "/calendars", http.StatusSeeOther)
		return nil
	}
	// The address of the server is where people start: it is the login
	// page, with a word on how apps find their way in.
	p.Data = "home"
	return h.loginView(w, r, p)
}

// loginView is the sign-in form; with Data "otp" it is the second step,
// which asks for the password again with the code: the API takes both
// in one request and the server keeps no half-made session.
func (h *Handler) loginView(w http.ResponseWriter, r *http.Request, p *page) error {
	p.Title = p.T("login.title")
	if p.Form.Get("next") == "" {
		p.Form.Set("next", localPath(r.URL.Query().Get("next")))
	}
	if p.Form.Get("login") == "" {
		p.Form.Set("login", r.URL.Query().Get("login"))
	}
	return h.render(w, p, "login")
}

func (h *Handler) login(w http.ResponseWriter, r *http.Request, p *page) (string, error) {
	f := r.PostForm
	in := map[string]string{"login": f.Get("login"), "password": f.Get("password")}
	if otp := strings.TrimSpace(f.Get("otp")); otp != "" {
		in["otp"] = otp
	}
	err := h.call(w, r, nil, http.MethodPost, "/api/v1/session", in, nil)
	var e *api.Error
	if errors.As(err, &e) && (e.Code == "otp_required" || e.Code == "wrong_code") {
		p.Data = "otp"
		if e.Code == "otp_required" {
			// The second step is no failure: it is asked for.
			p.Status = http.StatusOK
			p.Form = url.Values{"login": {f.Get("login")}, "next": {f.Get("next")}}
			return "", h.loginView(w, r, p)
		}
	}
	if err != nil {
		if errors.As(err, &e) && e.Field == "" && e.Code == "wrong_credentials" {
			return "", &api.Error{Status: e.Status, Code: e.Code, Field: "password", Message: e.Message}
		}
		return "", err
	}
	return localPath(f.Get("next")), nil
}

func (h *Handler) logout(w http.ResponseWriter, r *http.Request, p *page) (string, error) {
	if err := h.call(w, r, p, http.MethodDelete, "/api/v1/session", nil, nil); err != nil {
		return "", err
	}
	return "/login?done=logged_out", nil
}

func (h *Handler) forgotPasswordView(w http.ResponseWriter, r *http.Request, p *page) error {
	p.Title = p.T("forgot.password.title")
	return h.render(w, p, "forgot_password")
}

func (h *Handler) forgotPassword(w http.ResponseWriter, r *http.Request, p *page) (string, error) {
	if err := h.call(w, r, nil, http.MethodPost, "/api/v1/recovery/password", map[string]string{"login": r.PostForm.Get("login")}, nil); err != nil {
		return "", err
	}
	return "/forgot/password?done=recovery_sent", nil
}

func (h *Handler) resetView(w http.ResponseWriter, r *http.Request, p *page) error {
	p.Title = p.T("reset.title")
	if p.Form.Get("token") == "" {
		p.Form.Set("token", r.URL.Query().Get("token"))
	}
	return h.render(w, p, "reset")
}

func (h *Handler) reset(w http.ResponseWriter, r *http.Request, p *page) (string, error) {
	f := r.PostForm
	var out struct {
		Login string `json:"login"`
	}
	err := h.call(w, r, nil, http.MethodPost, "/api/v1/recovery/password/reset", map[string]string{
		"token": f.Get("token"), "new_password": f.Get("new_password"), "new_password_confirm": f.Get("new_password_confirm")}, &out)
	if err != nil {
		return "", err
	}
	return "/login?done=password_reset&login=" + url.QueryEscape(out.Login), nil
}

func (h *Handler) forgotLoginView(w http.ResponseWriter, r *http.Request, p *page) error {
	p.Title = p.T("forgot.login.title")
	return h.render(w, p, "forgot_login")
}

func (h *Handler) forgotLogin(w http.ResponseWriter, r *http.Request, p *page) (string, error) {
	f := r.PostForm
	if err := h.call(w, r, nil, http.MethodPost, "/api/v1/recovery/login",
		map[string]string{"mobile": f.Get("mobile"), "recovery_email": f.Get("recovery_email")}, nil); err != nil {
		return "", err
	}
	return "/forgot/login?done=recovery_sent", nil
}

// preferences keeps the reader's language and zone in cookies for a
// year.
func (h *Handler) preferences(w http.ResponseWriter, r *http.Request, p *page) (string, error) {
	f := r.PostForm
	if lang := f.Get("lang"); lang != "" {
		if _, ok := catalogues[lang]; !ok {
			return "", &api.Error{Status: http.StatusBadRequest, Code: "invalid_field", Field: "lang", Message: "unknown language"}
		}
		http.SetCookie(w, &http.Cookie{Name: langCookie, Value: lang, Path: "/", MaxAge: 365 * 24 * 3600, HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: r.TLS != nil})
	}
	if tz := strings.TrimSpace(f.Get("tz")); tz != "" {
		if _, ok := loadZone(tz); !ok {
			return "", &api.Error{Status: http.StatusBadRequest, Code: "invalid_zone", Field: "tz", Message: "unknown time zone; use a name such as Europe/Zurich"}
		}
		http.SetCookie(w, &http.Cookie{Name: zoneCookie, Value: tz, Path: "/", MaxAge: 365 * 24 * 3600, HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: r.TLS != nil})
	}
	return "/account?done=preferences", nil
}
