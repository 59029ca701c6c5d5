package account

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"almanac/auth"
	"almanac/internal/api"
	"almanac/internal/fault"
	"almanac/internal/remote"
	"almanac/notify"
	"almanac/storage"
)

// Paths of the account API.
const (
	AccountPath  = "/api/v1/account"
	RecoveryPath = "/api/v1/recovery/"
	SessionPath  = "/api/v1/session"
)

// Token lifetimes.
const (
	ResetTTL       = 30 * time.Minute
	LoginChangeTTL = 24 * time.Hour
	SessionTTL     = 30 * 24 * time.Hour
)

// Token purposes in the store.
const (
	purposeReset       = "password-reset"
	purposeLoginChange = "login-change"
)

// Store is what the account API reads and writes: the account and what
// secures it.
type Store interface {
	storage.Accounts
	storage.Security
}

// Hrefs builds the DAV URLs the API shows; the DAV tree is the one place
// that knows them.
type Hrefs interface {
	PrincipalHref(id string) string
}

// Options configures the API.
type Options struct {
	Logger *slog.Logger
	Mailer notify.Mailer
	Texter notify.Texter
	// Issuer names the service in authenticator apps (default "almanac").
	Issuer string
	// ClientAddr returns the client's address for rate limits (default:
	// Auth's, else r.RemoteAddr).
	ClientAddr func(*http.Request) string
	Now        func() time.Time
	// Auth checks passwords and, through its Guard, every other secret
	// the account endpoints take (codes, tokens) and hashes new
	// passwords. The server passes the one that guards HTTP Basic, so
	// that a password has one set of counters and argon2 one limit.
	// Required.
	Auth *auth.Authenticator
}

// API serves the account endpoints: Authenticated (behind
// auth.APIMiddleware) and Public (recovery and session login, no login).
type API struct {
	store      Store
	hrefs      Hrefs
	opts       Options
	byTarget   *auth.Limiter // recovery requests per login or number
	byAddr     *auth.Limiter // recovery requests per client address
	auth       *auth.Authenticator
	guard      *auth.Guard
	clientAddr func(*http.Request) string
}

// New returns the account API.
func New(store Store, hrefs Hrefs, opts Options) *API {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Issuer == "" {
		opts.Issuer = "almanac"
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	a := &API{store: store, hrefs: hrefs, opts: opts, auth: opts.Auth}
	if a.auth == nil {
		panic("account: Options.Auth is required")
	}
	a.guard = a.auth.Guard()
	a.byTarget = a.guard.Limiter("recovery requests per target", 5, time.Hour)
	a.byAddr = a.guard.Limiter("recovery requests per address", 20, time.Hour)
	a.clientAddr = opts.ClientAddr
	if a.clientAddr == nil {
		a.clientAddr = a.auth.ClientAddr
	}
	return a
}

// Routes registers the account endpoints: the account's own (with a
// fresh read of the account), and recovery and session login, which
// need no login. An account whose login ID was taken away reaches only
// what it needs to choose a new one (LoginChangeGate).
func (a *API) Routes(rt *api.Router) {
	own := func(pattern string, h func(http.ResponseWriter, *http.Request, *storage.Account) error, opts ...api.RouteOption) {
		rt.Handle(pattern, func(w http.ResponseWriter, r *http.Request) error {
			acc, err := a.store.Account(r.Context(), auth.AccountFrom(r.Context()).ID)
			if err != nil {
				return err
			}
			return h(w, r, acc)
		}, opts...)
	}
	own("GET "+AccountPath, a.show, api.DuringLoginChange)
	own("PATCH "+AccountPath, a.patch)
	own("POST "+AccountPath+"/login", a.changeLogin, api.DuringLoginChange)
	own("POST "+AccountPath+"/login/confirm", a.confirmLogin, api.DuringLoginChange)
	own("POST "+AccountPath+"/password", a.changePassword)
	own("POST "+AccountPath+"/2fa", a.enroll)
	own("DELETE "+AccountPath+"/2fa", a.disable2FA)
	own("POST "+AccountPath+"/2fa/confirm", a.confirm2FA)
	own("GET "+AccountPath+"/app-passwords", a.listAppPasswords)
	own("POST "+AccountPath+"/app-passwords", a.createAppPassword)
	own("DELETE "+AccountPath+"/app-passwords/{id}", a.deleteAppPassword)
	own("DELETE "+AccountPath+"/sessions/others", a.endOtherSessions)

	rt.Handle("POST "+RecoveryPath+"password", a.recoverPassword, api.Public)
	rt.Handle("POST "+RecoveryPath+"password/reset", a.resetPassword, api.Public)
	rt.Handle("POST "+RecoveryPath+"login", a.recoverLogin, api.Public)
	rt.Handle("POST "+SessionPath, a.login, api.Public)
	rt.Handle("DELETE "+SessionPath, a.logout, api.Public)
}

// LoginChangeGate holds back an account whose login ID was taken away
// (its mailbox was deleted; it logs in with a fallback username) until
// it has chosen a new one: it is the API router's Admit hook.
func LoginChangeGate(r *http.Request) error {
	if acc := auth.AccountFrom(r.Context()); acc != nil && auth.ValidateLogin(acc.Login) != nil {
		return fault.New(fault.Forbidden, "login_change_required",
			"your login ID was removed with its mailbox: choose a new one with POST "+AccountPath+"/login")
	}
	return nil
}

// AccountJSON is the account as its owner sees it.
type AccountJSON struct {
	ID            string            `json:"id"`
	Login         string            `json:"login"`
	DisplayName   string            `json:"display_name"`
	RecoveryEmail string            `json:"recovery_email"`
	Mobile        string            `json:"mobile"` // masked
	TwoFactor     TwoFactorJSON     `json:"two_factor"`
	AppPasswords  []AppPasswordJSON `json:"app_passwords"`
	PrincipalURL  string            `json:"principal_url"`
	// LoginChangeRequired: the login is a fallback username (its mailbox
	// was deleted) and a new login ID must be chosen.
	LoginChangeRequired bool      `json:"login_change_required"`
	Created             time.Time `json:"created"`
}

// TwoFactorJSON is the account's 2FA state.
type TwoFactorJSON struct {
	Enabled           bool `json:"enabled"`
	RecoveryCodesLeft int  `json:"recovery_codes_left"`
}

// AppPasswordJSON is an app password as listed (never its secret).
type AppPasswordJSON struct {
	ID         string     `json:"id"`
	Name       string     `json:"name"`
	Scope      string     `json:"scope"`
	Created    time.Time  `json:"created"`
	LastUsed   *time.Time `json:"last_used"`
	LastClient string     `json:"last_client"`
	// Password is set once, in the answer to its creation.
	Password string `json:"password,omitempty"`
}

func (a *API) show(w http.ResponseWriter, r *http.Request, acc *storage.Account) error {
	v, err := a.view(r.Context(), acc)
	if err != nil {
		return err
	}
	api.WriteJSON(w, http.StatusOK, v)
	return nil
}

func (a *API) view(ctx context.Context, acc *storage.Account) (*AccountJSON, error) {
	pws, err := a.appPasswords(ctx, acc)
	if err != nil {
		return nil, err
	}
	return &AccountJSON{
		ID: acc.ID, Login: acc.Login, DisplayName: acc.DisplayName, RecoveryEmail: acc.RecoveryEmail,
		Mobile:       MaskMobile(acc.Mobile),
		TwoFactor:    TwoFactorJSON{Enabled: acc.TOTPEnabled, RecoveryCodesLeft: len(acc.RecoveryCodes)},
		AppPasswords: pws, PrincipalURL: a.hrefs.PrincipalHref(acc.ID), Created: acc.Created,
		LoginChangeRequired: auth.ValidateLogin(acc.Login) != nil,
	}, nil
}

// MaskMobile shows a number's last two digits only: "+41 ** *** ** 67"
// style, as recovery screens do.
func MaskMobile(m string) string {
	if len(m) < 4 {
		return m
	}
	return m[:3] + strings.Repeat("•", len(m)-5) + m[len(m)-2:]
}

var e164 = regexp.MustCompile(`^\+[1-9][0-9]{6,14}$`)

func (a *API) patch(w http.ResponseWriter, r *http.Request, acc *storage.Account) error {
	var req struct {
		DisplayName   api.Optional[string] `json:"display_name"`
		RecoveryEmail api.Optional[string] `json:"recovery_email"`
		Mobile        api.Optional[string] `json:"mobile"`
	}
	if err := api.Decode(r, &req); err != nil {
		return err
	}
	var changes []func(*storage.Account)
	if req.DisplayName.Set {
		name := strings.TrimSpace(req.DisplayName.V)
		if utf8.RuneCountInString(name) > 100 || strings.ContainsFunc(name, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
			return fault.Invalidf("display_name", "display_name must be at most 100 characters without control characters")
		}
		changes = append(changes, func(a *storage.Account) { a.DisplayName = name })
	}
	if req.RecoveryEmail.Set {
		email := strings.TrimSpace(req.RecoveryEmail.V)
		if email != "" {
			if err := auth.ValidateLogin(email); err != nil {
				return fault.Invalidf("recovery_email", "recovery_email must be an email address such as jane@example.org")
			}
			if strings.EqualFold(email, acc.Login) {
				return fault.Invalidf("recovery_email", "the recovery email must differ from the login ID: you would need the account to recover the account")
			}
		}
		changes = append(changes, func(a *storage.Account) { a.RecoveryEmail = email })
	}
	if req.Mobile.Set {
		m := strings.NewReplacer(" ", "", "-", "", "(", "", ")", "").Replace(req.Mobile.V)
		if m != "" && !e164.MatchString(m) {
			return fault.Invalidf("mobile", "mobile must be an international number such as +41 79 123 45 67")
		}
		changes = append(changes, func(a *storage.Account) { a.Mobile = m })
	}
	// Only the fields this request sets are written, in one transaction
	// with a fresh read: a concurrent password or 2FA change stays.
	acc, err := a.store.ModifyAccount(r.Context(), acc.ID, func(a *storage.Account) error {
		for _, c := range changes {
			c(a)
		}
		if a.RecoveryEmail != "" && strings.EqualFold(a.RecoveryEmail, a.Login) {
			return fault.Invalidf("recovery_email", "the recovery email must differ from the login ID")
		}
		return nil
	})
	if err != nil {
		return err
	}
	return a.show(w, r, acc)
}

// requirePassword checks the current password a sensitive change carries,
// throttled like logins: whoever holds a session must not get unlimited
// guesses at the password behind it.
func (a *API) requirePassword(r *http.Request, acc *storage.Account, field, pw string) error {
	if pw == "" {
		return fault.Invalidf(field, "%s is required for this change", field)
	}
	err := a.auth.ConfirmPassword(r.Context(), acc, pw, a.clientAddr(r))
	if errors.Is(err, auth.ErrBadCredentials) {
		return &fault.Error{Kind: fault.Forbidden, Code: "wrong_password", Field: field, Message: "the current password is wrong"}
	}
	return err
}

func (a *API) changeLogin(w http.ResponseWriter, r *http.Request, acc *storage.Account) error {
	var req struct {
		NewLogin string `json:"new_login"`
		Password string `json:"password"`
	}
	if err := api.Decode(r, &req); err != nil {
		return err
	}
	login := strings.TrimSpace(req.NewLogin)
	if err := auth.ValidateLogin(login); err != nil {
		return fault.Invalidf("new_login", "%s", err.Error())
	}
	if strings.EqualFold(login, acc.Login) {
		return fault.Invalidf("new_login", "new_login is already your login ID")
	}
	if strings.EqualFold(login, acc.RecoveryEmail) {
		return fault.Invalidf("new_login", "the login ID must differ from the recovery email")
	}
	if err := a.requirePassword(r, acc, "password", req.Password); err != nil {
		return err
	}
	ctx := r.Context()
	if _, err := a.store.AccountByLogin(ctx, login); err == nil {
		return &fault.Error{Kind: fault.Conflict, Code: "login_taken", Field: "new_login", Message: "this login ID is taken"}
	} else if !errors.Is(err, storage.ErrNotFound) {
		return err
	}
	token, hash := auth.NewToken()
	if err := a.store.DeleteTokens(ctx, acc.ID, purposeLoginChange); err != nil {
		return err
	}
	if err := a.store.CreateToken(ctx, &storage.Token{Hash: hash, Account: acc.ID, Purpose: purposeLoginChange, Data: login, Expires: a.opts.Now().Add(LoginChangeTTL)}); err != nil {
		return err
	}
	msg := notify.Message{To: login, Subject: "Confirm your new login ID",
		Text: "Someone (hopefully you) asked to make " + login + " the login ID of the account " + acc.Login + ".\n\n" +
			"To confirm, send this code within 24 hours:\n\n    " + token + "\n\n" +
			"for example:\n\n    curl -u " + acc.Login + " -H 'Content-Type: application/json' -d '{\"code\":\"" + token + "\"}' " + baseURL(r) + AccountPath + "/login/confirm\n\n" +
			"Until then your current login keeps working. If you did not ask for this, ignore this message.\n"}
	if err := a.opts.Mailer.Send(ctx, msg); err != nil {
		return fmt.Errorf("account: send login confirmation: %w", err)
	}
	api.WriteJSON(w, http.StatusAccepted, map[string]string{"status": "confirmation_sent", "new_login": login})
	return nil
}

func (a *API) confirmLogin(w http.ResponseWriter, r *http.Request, acc *storage.Account) error {
	var req struct {
		Code string `json:"code"`
	}
	if err := api.Decode(r, &req); err != nil {
		return err
	}
	code := strings.TrimSpace(req.Code)
	if code == "" {
		return fault.Invalidf("code", "code is required")
	}
	ctx := r.Context()
	var t *storage.Token
	ok, err := a.guard.Check(ctx, auth.Attempt{Kind: auth.KindCode, Subject: acc.ID, Addr: a.clientAddr(r)}, func() (bool, error) {
		var err error
		t, err = a.store.TakeToken(ctx, auth.HashSecret(code), purposeLoginChange)
		if errors.Is(err, storage.ErrNotFound) {
			return false, nil
		}
		if err != nil {
			return false, err
		}
		return t.Account == acc.ID, nil
	})
	if err != nil {
		return err
	}
	if !ok {
		return fault.Invalidf("code", "the code is wrong, expired or already used")
	}
	acc, err = a.store.ModifyAccount(ctx, acc.ID, func(a *storage.Account) error { a.Login = t.Data; return nil })
	if err != nil {
		if errors.Is(err, storage.ErrExists) {
			return &fault.Error{Kind: fault.Conflict, Code: "login_taken", Field: "code", Message: "the new login ID was taken in the meantime"}
		}
		return err
	}
	return a.show(w, r, acc)
}

// newPassword checks a new password given twice.
func newPassword(pw, confirm, login string) error {
	if pw == "" {
		return fault.Invalidf("new_password", "new_password is required")
	}
	if pw != confirm {
		return fault.Invalidf("new_password_confirm", "the two new passwords differ")
	}
	if p := auth.PasswordProblem(pw, login); p != "" {
		return fault.Invalidf("new_password", "%s", p)
	}
	return nil
}

func (a *API) changePassword(w http.ResponseWriter, r *http.Request, acc *storage.Account) error {
	var req struct {
		CurrentPassword    string `json:"current_password"`
		NewPassword        string `json:"new_password"`
		NewPasswordConfirm string `json:"new_password_confirm"`
		EndSessions        bool   `json:"end_sessions"`
	}
	if err := api.Decode(r, &req); err != nil {
		return err
	}
	if err := a.requirePassword(r, acc, "current_password", req.CurrentPassword); err != nil {
		return err
	}
	if err := newPassword(req.NewPassword, req.NewPasswordConfirm, acc.Login); err != nil {
		return err
	}
	if err := a.setPassword(r.Context(), acc, req.NewPassword); err != nil {
		return err
	}
	if req.EndSessions {
		if err := a.endSessions(r, acc); err != nil {
			return err
		}
	}
	api.WriteJSON(w, http.StatusOK, map[string]any{"status": "password_changed", "sessions_ended": req.EndSessions})
	return nil
}

func (a *API) setPassword(ctx context.Context, acc *storage.Account, pw string) error {
	hash, err := a.guard.HashPassword(ctx, pw)
	if err != nil {
		return err
	}
	now := a.opts.Now().UTC()
	_, err = a.store.ModifyAccount(ctx, acc.ID, func(a *storage.Account) error {
		a.PasswordHash, a.PasswordChanged = hash, now
		return nil
	})
	return err
}

// endSessions ends every other session and revokes every app password.
func (a *API) endSessions(r *http.Request, acc *storage.Account) error {
	keep := ""
	if c := auth.CredentialFrom(r.Context()); c != nil && c.Method == auth.MethodSession {
		keep = c.SessionID
	}
	if err := a.store.DeleteSessions(r.Context(), acc.ID, keep); err != nil {
		return err
	}
	return a.store.DeleteAppPasswords(r.Context(), acc.ID)
}

func (a *API) endOtherSessions(w http.ResponseWriter, r *http.Request, acc *storage.Account) error {
	if err := a.endSessions(r, acc); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// baseURL is the scheme and host the client used, through the proxy
// when it came through a trusted one.
func baseURL(r *http.Request) string { return remote.Of(r).BaseURL() }
