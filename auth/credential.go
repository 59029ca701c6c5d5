package auth

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"almanac/internal/api"
	"almanac/internal/fault"
	"almanac/storage"
)

// Ways a request authenticates (Credential.Method).
const (
	MethodPassword    = "password"
	MethodAppPassword = "app-password"
	MethodSession     = "session"
)

// Scopes of an app password (Credential.Scope).
const (
	ScopeFull = "full"
	ScopeDAV  = "dav" // CalDAV and CardDAV only
)

// Credential says how a request was authenticated.
type Credential struct {
	Method        string
	Scope         string
	TwoFactor     bool   // a second factor was presented
	AppPasswordID string // for MethodAppPassword
	SessionID     string // for MethodSession: the stored (hashed) ID
}

type credKeyCtx struct{}

// WithCredential returns ctx carrying c.
func WithCredential(ctx context.Context, c *Credential) context.Context {
	return context.WithValue(ctx, credKeyCtx{}, c)
}

// CredentialFrom returns how the request authenticated, or nil.
func CredentialFrom(ctx context.Context) *Credential {
	c, _ := ctx.Value(credKeyCtx{}).(*Credential)
	return c
}

// Store is what authentication reads and writes: accounts by login,
// app passwords, sessions, and the TOTP step and recovery codes of an
// account. storage.Store satisfies it.
type Store interface {
	AccountLookup
	Account(ctx context.Context, id string) (*storage.Account, error)
	UpdateAccount(ctx context.Context, a *storage.Account) error
	AppPassword(ctx context.Context, id string) (*storage.AppPassword, error)
	TouchAppPassword(ctx context.Context, id string, when time.Time, client string) error
	Session(ctx context.Context, id string) (*storage.Session, error)
	AcceptTOTPStep(ctx context.Context, id string, step int64) error
	UseRecoveryCode(ctx context.Context, id, hash string) error
}

// SessionCookie is the name of the session cookie.
const SessionCookie = "almanac_session"

// OTPHeader carries a TOTP or recovery code with Basic authentication on
// the API, for accounts with two-factor authentication.
const OTPHeader = "X-Almanac-OTP"

// CSRFHeader carries the session's CSRF token on state-changing requests
// authenticated by the session cookie.
const CSRFHeader = "X-CSRF-Token"

// appPassword checks pw as one of acc's app passwords. handled is false
// when pw is not one, so the caller goes on with the account password.
func (a *Authenticator) appPassword(ctx context.Context, acc *storage.Account, pw, client string) (*Credential, bool) {
	st := a.store
	id, ok := AppPasswordID(pw)
	if !ok {
		return nil, false
	}
	p, err := st.AppPassword(ctx, id)
	if err != nil || p.Owner != acc.ID || subtle.ConstantTimeCompare([]byte(HashSecret(pw)), []byte(p.Hash)) != 1 {
		return nil, false
	}
	a.touch(ctx, st, p.ID, client)
	return &Credential{Method: MethodAppPassword, Scope: p.Scope, AppPasswordID: p.ID}, true
}

// touches limits last-use writes to one per app password per minute: a
// syncing phone makes dozens of requests a minute.
type touches struct {
	sync.Mutex
	last map[string]time.Time
}

func (a *Authenticator) touch(ctx context.Context, st Store, id, client string) {
	now := a.now()
	a.touches.Lock()
	if a.touches.last == nil {
		a.touches.last = map[string]time.Time{}
	}
	due := now.Sub(a.touches.last[id]) >= time.Minute
	if due {
		a.touches.last[id] = now
	}
	a.touches.Unlock()
	if due {
		if err := st.TouchAppPassword(context.WithoutCancel(ctx), id, now, client); err != nil && !errors.Is(err, storage.ErrNotFound) {
			a.log.WarnContext(ctx, "auth: cannot record app password use", "err", err)
		}
	}
}

// APIMiddleware authenticates /api/v1 requests: a session cookie (with
// its CSRF token on state-changing methods) or HTTP Basic. A dav-scoped
// app password is refused with 403; an account password of an account
// with two-factor authentication needs the OTPHeader.
func (a *Authenticator) APIMiddleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if c, err := r.Cookie(SessionCookie); err == nil && c.Value != "" {
			a.sessionRequest(w, r, next, c.Value)
			return
		}
		a.basic(w, r, func(w http.ResponseWriter, r *http.Request) {
			ctx := r.Context()
			acc, cred := AccountFrom(ctx), CredentialFrom(ctx)
			switch {
			case cred.Scope == ScopeDAV:
				api.WriteError(w, r, a.log, fault.New(fault.Forbidden, "scope",
					"this app password is for calendars and contacts only; it cannot change the account"))
				return
			case cred.Method == MethodPassword && acc.TOTPEnabled:
				ok, err := a.secondFactor(r, acc)
				if err != nil {
					api.WriteError(w, r, a.log, err)
					return
				}
				if !ok {
					api.WriteError(w, r, a.log, fault.New(fault.Unauthenticated, "otp_required",
						"two-factor authentication is on: send a current code in the "+OTPHeader+" header"))
					return
				}
				cred.TwoFactor = true
			}
			next.ServeHTTP(w, r)
		})
	})
}

func (a *Authenticator) sessionRequest(w http.ResponseWriter, r *http.Request, next http.Handler, token string) {
	acc, s, err := a.session(r.Context(), token)
	if err != nil {
		api.WriteError(w, r, a.log, err)
		return
	}
	switch r.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
	default:
		if !CSRFMatches(s, r.Header.Get(CSRFHeader)) {
			api.WriteError(w, r, a.log, fault.New(fault.Forbidden, "csrf",
				"requests made with the session cookie must send its CSRF token in "+CSRFHeader))
			return
		}
	}
	ctx := WithAccount(r.Context(), acc)
	ctx = WithCredential(ctx, &Credential{Method: MethodSession, Scope: ScopeFull, TwoFactor: s.TwoFactor, SessionID: s.ID})
	next.ServeHTTP(w, r.WithContext(ctx))
}

// ErrSessionEnded is the answer for a session cookie that names no live
// session (expired, logged out, ended from another session).
var ErrSessionEnded = fault.New(fault.Unauthenticated, "session_expired", "the session has ended; log in again")

// Session returns the account and session of the request's session
// cookie: ErrSessionEnded without a cookie or a live session,
// ErrAccountDisabled for a disabled account. The web pages and the API
// share this one check; neither checks the CSRF token for the other.
func (a *Authenticator) Session(r *http.Request) (*storage.Account, *storage.Session, error) {
	c, err := r.Cookie(SessionCookie)
	if err != nil || c.Value == "" {
		return nil, nil, ErrSessionEnded
	}
	return a.session(r.Context(), c.Value)
}

func (a *Authenticator) session(ctx context.Context, token string) (*storage.Account, *storage.Session, error) {
	s, err := a.store.Session(ctx, HashSecret(token))
	if err != nil {
		if !errors.Is(err, storage.ErrNotFound) {
			return nil, nil, fmt.Errorf("auth: read session: %w", err)
		}
		return nil, nil, ErrSessionEnded
	}
	acc, err := a.store.Account(ctx, s.Account)
	if err != nil {
		return nil, nil, ErrSessionEnded
	}
	if acc.Disabled {
		// Disabling ends the account's sessions; this covers one made
		// while it was being disabled.
		return nil, nil, ErrAccountDisabled
	}
	return acc, s, nil
}

// CSRFMatches tells whether token is session s's CSRF token, in
// constant time; a session without one matches nothing.
func CSRFMatches(s *storage.Session, token string) bool {
	return s.CSRF != "" && subtle.ConstantTimeCompare([]byte(token), []byte(s.CSRF)) == 1
}

// secondFactor checks the OTPHeader: a TOTP code (each usable once) or
// one of the account's recovery codes, which it uses up. A missing header
// is no attempt and is not counted.
func (a *Authenticator) secondFactor(r *http.Request, acc *storage.Account) (bool, error) {
	code := r.Header.Get(OTPHeader)
	if code == "" {
		return false, nil
	}
	return a.guard.SecondFactor(r.Context(), a.store, acc, code, a.clientAddr(r))
}
