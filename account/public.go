package account

import (
	"errors"
	"net/http"
	"strings"

	"almanac/auth"
	"almanac/internal/api"
	"almanac/internal/fault"
	"almanac/internal/remote"
	"almanac/notify"
	"almanac/storage"
)

// limit counts one recovery request against its target and the client
// address; over either budget the answer is 429.
func (a *API) limit(r *http.Request, target string) error {
	now := a.opts.Now()
	ctx := r.Context()
	addr := auth.AddrKey(a.clientAddr(r))
	byTarget, err := a.byTarget.RetryAfter(ctx, target, now)
	if err != nil {
		return err
	}
	byAddr, err := a.byAddr.RetryAfter(ctx, addr, now)
	if err != nil {
		return err
	}
	if wait := max(byTarget, byAddr); wait > 0 {
		return &fault.Error{Kind: fault.Throttled, Code: "too_many_requests", Message: "too many recovery requests; try again later", RetryAfter: wait}
	}
	if err := a.byTarget.Fail(ctx, target, now); err != nil {
		return err
	}
	return a.byAddr.Fail(ctx, addr, now)
}

// sameAnswer is what recovery requests answer whatever happened, so that
// they do not tell which accounts exist.
func sameAnswer(w http.ResponseWriter) {
	api.WriteJSON(w, http.StatusAccepted, map[string]string{
		"status": "if an account matches, a message is on its way",
	})
}

func (a *API) recoverPassword(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		Login string `json:"login"`
	}
	if err := api.Decode(r, &req); err != nil {
		return err
	}
	login := strings.ToLower(strings.TrimSpace(req.Login))
	if login == "" {
		return fault.Invalidf("login", "login is required")
	}
	if err := a.limit(r, "reset:"+login); err != nil {
		return err
	}
	ctx := r.Context()
	acc, err := a.store.AccountByLogin(ctx, login)
	switch {
	case errors.Is(err, storage.ErrNotFound):
		sameAnswer(w)
		return nil
	case err != nil:
		return err
	}
	if acc.RecoveryEmail != "" {
		token, hash := auth.NewToken()
		// A new link voids the older ones.
		if err := a.store.DeleteTokens(ctx, acc.ID, purposeReset); err != nil {
			return err
		}
		if err := a.store.CreateToken(ctx, &storage.Token{Hash: hash, Account: acc.ID, Purpose: purposeReset, Expires: a.opts.Now().Add(ResetTTL)}); err != nil {
			return err
		}
		msg := notify.Message{To: acc.RecoveryEmail, Subject: "Reset your password",
			Text: "Someone (hopefully you) asked to reset the password of the account " + acc.Login + ".\n\n" +
				"This code works once, for 30 minutes:\n\n    " + token + "\n\n" +
				"Choose a new password on this page:\n\n    " + baseURL(r) + "/reset?token=" + token + "\n\n" +
				"or with the API:\n\n" +
				"    curl -H 'Content-Type: application/json' -d '{\"token\":\"" + token +
				"\",\"new_password\":\"…\",\"new_password_confirm\":\"…\"}' " + baseURL(r) + RecoveryPath + "password/reset\n\n" +
				"If you did not ask for this, ignore this message: your password stays as it is.\n"}
		if err := a.opts.Mailer.Send(ctx, msg); err != nil {
			a.opts.Logger.ErrorContext(ctx, "account: cannot send password reset", "account", acc.ID, "err", err)
		}
	}
	sameAnswer(w)
	return nil
}

func (a *API) resetPassword(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		Token              string `json:"token"`
		NewPassword        string `json:"new_password"`
		NewPasswordConfirm string `json:"new_password_confirm"`
	}
	if err := api.Decode(r, &req); err != nil {
		return err
	}
	if req.NewPassword != req.NewPasswordConfirm {
		return fault.Invalidf("new_password_confirm", "the two new passwords differ")
	}
	ctx := r.Context()
	hash := auth.HashSecret(strings.TrimSpace(req.Token))
	// The strength rule needs the login, which only the token names: a
	// password it refuses gives the token back, so a weak first choice
	// does not cost the user their link.
	var t *storage.Token
	ok, err := a.guard.Check(ctx, auth.Attempt{Kind: auth.KindResetToken, Addr: a.clientAddr(r)}, func() (bool, error) {
		var err error
		t, err = a.store.TakeToken(ctx, hash, purposeReset)
		if errors.Is(err, storage.ErrNotFound) {
			return false, nil
		}
		return err == nil, err
	})
	if err != nil {
		return err
	}
	if !ok {
		return fault.Invalidf("token", "the link is wrong, expired or already used; ask for a new one")
	}
	acc, err := a.store.Account(ctx, t.Account)
	if err != nil {
		return err
	}
	if p := auth.PasswordProblem(req.NewPassword, acc.Login); p != "" || req.NewPassword == "" {
		// Give the token back: the user may try a better password.
		t.Hash = hash
		if err := a.store.CreateToken(ctx, t); err != nil {
			return err
		}
		if p == "" {
			p = "new_password is required"
		}
		return fault.Invalidf("new_password", "%s", p)
	}
	if err := a.setPassword(ctx, acc, req.NewPassword); err != nil {
		return err
	}
	api.WriteJSON(w, http.StatusOK, map[string]string{"status": "password_changed", "login": acc.Login})
	return nil
}

func (a *API) recoverLogin(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		Mobile        string `json:"mobile"`
		RecoveryEmail string `json:"recovery_email"`
	}
	if err := api.Decode(r, &req); err != nil {
		return err
	}
	mobile := strings.NewReplacer(" ", "", "-", "", "(", "", ")", "").Replace(req.Mobile)
	if !e164.MatchString(mobile) {
		return fault.Invalidf("mobile", "mobile must be an international number such as +41 79 123 45 67")
	}
	if err := a.limit(r, "login:"+mobile); err != nil {
		return err
	}
	ctx := r.Context()
	accs, err := a.store.AccountsByMobile(ctx, mobile)
	if err != nil {
		return err
	}
	email := strings.TrimSpace(req.RecoveryEmail)
	var match []storage.Account
	for _, acc := range accs {
		if email == "" || strings.EqualFold(acc.RecoveryEmail, email) {
			match = append(match, acc)
		}
	}
	if len(match) == 1 {
		acc := match[0]
		text := "Your login ID is " + acc.Login + "."
		var err error
		if email != "" {
			err = a.opts.Mailer.Send(ctx, notify.Message{To: acc.RecoveryEmail, Subject: "Your login ID", Text: text + "\n"})
		} else {
			err = a.opts.Texter.SendSMS(ctx, notify.SMS{To: mobile, Text: text})
		}
		if err != nil {
			a.opts.Logger.ErrorContext(ctx, "account: cannot send login reminder", "account", acc.ID, "err", err)
		}
	}
	sameAnswer(w)
	return nil
}

// login makes a session: password, and the second factor when 2FA is on.
func (a *API) login(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		Login    string `json:"login"`
		Password string `json:"password"`
		OTP      string `json:"otp"`
	}
	if err := api.Decode(r, &req); err != nil {
		return err
	}
	ctx := r.Context()
	now := a.opts.Now()
	addr := a.clientAddr(r)
	// The same check as HTTP Basic: one set of counters per password, so
	// that a stranger's failures lock only the stranger's address.
	acc, err := a.auth.LoginPassword(ctx, strings.TrimSpace(req.Login), req.Password, addr)
	if errors.Is(err, auth.ErrBadCredentials) {
		return fault.New(fault.Unauthenticated, "wrong_credentials", "the login or password is wrong")
	}
	if err != nil {
		return err
	}
	twoFactor := false
	if acc.TOTPEnabled {
		if req.OTP == "" {
			return &fault.Error{Kind: fault.Unauthenticated, Code: "otp_required", Field: "otp", Message: "two-factor authentication is on: send a current code as otp"}
		}
		ok, err := a.guard.SecondFactor(ctx, a.store, acc, req.OTP, addr)
		if err != nil {
			return err
		}
		if !ok {
			return &fault.Error{Kind: fault.Unauthenticated, Code: "wrong_code", Field: "otp", Message: "the code is wrong or already used"}
		}
		twoFactor = true
	}
	token, hashed := auth.NewToken()
	csrf, _ := auth.NewToken()
	s := &storage.Session{ID: hashed, Account: acc.ID, CSRF: csrf, Expires: now.Add(SessionTTL), TwoFactor: twoFactor}
	if err := a.store.CreateSession(ctx, s); err != nil {
		return err
	}
	http.SetCookie(w, &http.Cookie{Name: auth.SessionCookie, Value: token, Path: "/", Expires: s.Expires,
		HttpOnly: true, Secure: remote.Of(r).Scheme == "https", SameSite: http.SameSiteStrictMode})
	api.WriteJSON(w, http.StatusOK, map[string]any{"csrf_token": csrf, "expires": s.Expires, "login": acc.Login})
	return nil
}

func (a *API) logout(w http.ResponseWriter, r *http.Request) error {
	c, err := r.Cookie(auth.SessionCookie)
	if err == nil && c.Value != "" {
		if err := a.store.DeleteSession(r.Context(), auth.HashSecret(c.Value)); err != nil && !errors.Is(err, storage.ErrNotFound) {
			return err
		}
	}
	http.SetCookie(w, &http.Cookie{Name: auth.SessionCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, SameSite: http.SameSiteStrictMode})
	w.WriteHeader(http.StatusNoContent)
	return nil
}
