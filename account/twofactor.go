package account

import (
	"context"
	"net/http"
	"strings"
	"unicode/utf8"

	"almanac/auth"
	"almanac/internal/api"
	"almanac/internal/fault"
	"almanac/storage"
)

// RecoveryCodeCount is how many 2FA recovery codes an account gets.
const RecoveryCodeCount = 10

// enroll starts 2FA: a new secret, not yet in force.
func (a *API) enroll(w http.ResponseWriter, r *http.Request, acc *storage.Account) error {
	var req struct {
		Password string `json:"password"`
	}
	if err := api.Decode(r, &req); err != nil {
		return err
	}
	if acc.TOTPEnabled {
		return fault.New(fault.Conflict, "already_enabled", "two-factor authentication is already on; turn it off first to change the authenticator")
	}
	if err := a.requirePassword(r, acc, "password", req.Password); err != nil {
		return err
	}
	secret := auth.NewTOTPSecret()
	acc, err := a.store.ModifyAccount(r.Context(), acc.ID, func(a *storage.Account) error {
		if a.TOTPEnabled {
			return fault.New(fault.Conflict, "already_enabled", "two-factor authentication is already on")
		}
		a.TOTPSecret, a.TOTPLastStep = secret, 0
		return nil
	})
	if err != nil {
		return err
	}
	api.WriteJSON(w, http.StatusOK, map[string]string{
		"secret":      acc.TOTPSecret,
		"otpauth_uri": auth.TOTPURI(a.opts.Issuer, acc.Login, acc.TOTPSecret),
		"next":        "scan the URI as a QR code, then POST a current code to " + AccountPath + "/2fa/confirm",
	})
	return nil
}

// confirm2FA turns 2FA on with a first code from the authenticator and
// returns the recovery codes, once.
func (a *API) confirm2FA(w http.ResponseWriter, r *http.Request, acc *storage.Account) error {
	var req struct {
		Code string `json:"code"`
	}
	if err := api.Decode(r, &req); err != nil {
		return err
	}
	if acc.TOTPEnabled {
		return fault.New(fault.Conflict, "already_enabled", "two-factor authentication is already on")
	}
	if acc.TOTPSecret == "" {
		return fault.New(fault.Conflict, "not_enrolled", "start with POST "+AccountPath+"/2fa")
	}
	var step int64
	ok, err := a.guard.Check(r.Context(), auth.Attempt{Kind: auth.KindTOTP, Subject: acc.ID, Addr: a.clientAddr(r)}, func() (bool, error) {
		var ok bool
		step, ok = auth.VerifyTOTP(acc.TOTPSecret, req.Code, a.opts.Now(), acc.TOTPLastStep)
		return ok, nil
	})
	if err != nil {
		return err
	}
	if !ok {
		return &fault.Error{Kind: fault.Invalid, Code: "wrong_code", Field: "code", Message: "the code does not match; check the authenticator's clock"}
	}
	codes, hashes := auth.NewRecoveryCodes(RecoveryCodeCount)
	_, err = a.store.ModifyAccount(r.Context(), acc.ID, func(a *storage.Account) error {
		if a.TOTPSecret != acc.TOTPSecret || a.TOTPEnabled {
			return fault.New(fault.Conflict, "enrolment_changed", "two-factor authentication changed meanwhile; start again")
		}
		a.TOTPEnabled, a.TOTPLastStep, a.RecoveryCodes = true, step, hashes
		return nil
	})
	if err != nil {
		return err
	}
	// Sessions opened with the password alone end: from now on a session
	// needs both factors. The one making this request stays.
	keep := ""
	if c := auth.CredentialFrom(r.Context()); c != nil && c.Method == auth.MethodSession {
		keep = c.SessionID
	}
	if err := a.store.DeleteSessions(r.Context(), acc.ID, keep); err != nil {
		return err
	}
	api.WriteJSON(w, http.StatusOK, map[string]any{
		"enabled":        true,
		"recovery_codes": codes,
		"note":           "keep these codes somewhere safe: each opens the account once without the authenticator. Calendar and contacts apps now need app passwords.",
	})
	return nil
}

// disable2FA turns 2FA off with the password and a code (TOTP or
// recovery).
func (a *API) disable2FA(w http.ResponseWriter, r *http.Request, acc *storage.Account) error {
	var req struct {
		Password string `json:"password"`
		Code     string `json:"code"`
	}
	if err := api.Decode(r, &req); err != nil {
		return err
	}
	if !acc.TOTPEnabled {
		return fault.New(fault.Conflict, "not_enabled", "two-factor authentication is off")
	}
	if err := a.requirePassword(r, acc, "password", req.Password); err != nil {
		return err
	}
	wrong := &fault.Error{Kind: fault.Invalid, Code: "wrong_code", Field: "code", Message: "the code is wrong or already used"}
	if req.Code == "" {
		return wrong // no attempt, not counted
	}
	ok, err := a.guard.SecondFactor(r.Context(), a.store, acc, req.Code, a.clientAddr(r))
	if err != nil {
		return err
	}
	if !ok {
		return wrong
	}
	_, err = a.store.ModifyAccount(r.Context(), acc.ID, func(a *storage.Account) error {
		a.TOTPEnabled, a.TOTPSecret, a.TOTPLastStep, a.RecoveryCodes = false, "", 0, nil
		return nil
	})
	if err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (a *API) appPasswords(ctx context.Context, acc *storage.Account) ([]AppPasswordJSON, error) {
	list, err := a.store.AppPasswords(ctx, acc.ID)
	if err != nil {
		return nil, err
	}
	out := make([]AppPasswordJSON, 0, len(list))
	for i := range list {
		out = append(out, appPasswordJSON(&list[i]))
	}
	return out, nil
}

func (a *API) listAppPasswords(w http.ResponseWriter, r *http.Request, acc *storage.Account) error {
	pws, err := a.appPasswords(r.Context(), acc)
	if err != nil {
		return err
	}
	api.WriteJSON(w, http.StatusOK, map[string]any{"app_passwords": pws})
	return nil
}

func (a *API) createAppPassword(w http.ResponseWriter, r *http.Request, acc *storage.Account) error {
	var req struct {
		Name  string `json:"name"`
		Scope string `json:"scope"`
	}
	if err := api.Decode(r, &req); err != nil {
		return err
	}
	name := strings.TrimSpace(req.Name)
	if name == "" || utf8.RuneCountInString(name) > 100 || strings.ContainsFunc(name, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
		return fault.Invalidf("name", "name says which device or app this is (1-100 characters)")
	}
	if req.Scope == "" {
		req.Scope = auth.ScopeDAV
	}
	if req.Scope != auth.ScopeDAV && req.Scope != auth.ScopeFull {
		return fault.Invalidf("scope", "scope must be dav (calendars and contacts only) or full")
	}
	if c := auth.CredentialFrom(r.Context()); c != nil && c.Method == auth.MethodAppPassword {
		return fault.New(fault.Forbidden, "app_password", "app passwords cannot make other app passwords; use the account password")
	}
	password, id, hash := auth.NewAppPassword()
	p := &storage.AppPassword{ID: id, Owner: acc.ID, Name: name, Hash: hash, Scope: req.Scope}
	if err := a.store.CreateAppPassword(r.Context(), p); err != nil {
		return err
	}
	v := appPasswordJSON(p)
	v.Password = password
	api.WriteJSON(w, http.StatusCreated, v)
	return nil
}

func (a *API) deleteAppPassword(w http.ResponseWriter, r *http.Request, acc *storage.Account) error {
	if err := a.store.DeleteAppPassword(r.Context(), acc.ID, r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func appPasswordJSON(p *storage.AppPassword) AppPasswordJSON {
	v := AppPasswordJSON{ID: p.ID, Name: p.Name, Scope: p.Scope, Created: p.Created, LastClient: p.LastClient}
	if !p.LastUsed.IsZero() {
		t := p.LastUsed
		v.LastUsed = &t
	}
	return v
}
