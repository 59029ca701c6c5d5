package auth

import (
	"context"
	"encoding/base64"
	"errors"
	"io"
	"log/slog"
	"math"
	"net/http"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"almanac/storage"
)

// AccountLookup finds an account by login, case-insensitively, returning
// an error wrapping storage.ErrNotFound when there is none.
// storage.Store satisfies it.
type AccountLookup interface {
	AccountByLogin(ctx context.Context, login string) (*storage.Account, error)
}

// Options configures an Authenticator. The zero value is usable.
type Options struct {
	// Realm is sent in the Basic challenge. Default "almanac".
	Realm string
	// Logger receives failed attempts (Info), lockouts (Warn) and lookup
	// or stored-hash errors (Error). Default: discard.
	Logger *slog.Logger
	// Limits configures failed-login throttling.
	Limits Limits
	// Now is the clock, replaceable in tests. Default time.Now.
	Now func() time.Time

	// CacheTTL is how long a verified credential is remembered. Default
	// 10 minutes; negative disables the cache.
	CacheTTL time.Duration
	// CacheSize bounds the number of remembered credentials. Default 10000.
	CacheSize int
	// MaxConcurrentVerifications bounds argon2 runs in progress, each of
	// which holds 19 MiB: without it a burst of bad logins from many
	// addresses turns into a memory exhaustion. Further verifications
	// queue. Default GOMAXPROCS, beyond which argon2 (p=1) gains no
	// throughput anyway.
	MaxConcurrentVerifications int
	// ClientAddr returns the client's address ("host:port" or "host") for
	// throttling and logs. Default r.RemoteAddr. Behind a reverse proxy,
	// set it to read the proxy's trusted header, or every client shares
	// the proxy's address budget.
	ClientAddr func(*http.Request) string
}

// Authenticator is HTTP Basic authentication middleware backed by an
// AccountLookup. It is safe for concurrent use.
type Authenticator struct {
	lookup     AccountLookup
	log        *slog.Logger
	now        func() time.Time
	challenge  string
	clientAddr func(*http.Request) string
	throttle   *throttle
	cache      *credCache
	keyer      keyer
	sem        chan struct{}
	dummyHash  string
	// verify is VerifyPassword; tests swap it to count argon2 runs.
	verify func(encoded, pw string) (bool, error)

	mu      sync.Mutex
	flights map[credKey]*flight

	touches touches // last app-password use written, per ID
}

// maxLoginLen is generous for an e-mail address (RFC 5321 caps a path at
// 256 octets) and keeps attacker-chosen throttle keys and log lines small.
const maxLoginLen = 256

// New returns an Authenticator. It computes the dummy hash for unknown
// logins on first use in the process, which takes one argon2 run.
func New(lookup AccountLookup, opts Options) *Authenticator {
	a := &Authenticator{
		lookup:     lookup,
		log:        opts.Logger,
		now:        opts.Now,
		clientAddr: opts.ClientAddr,
		throttle:   newThrottle(opts.Limits),
		cache:      newCredCache(opts.CacheTTL, opts.CacheSize),
		keyer:      newKeyer(),
		dummyHash:  dummyHash(),
		verify:     VerifyPassword,
		flights:    make(map[credKey]*flight),
	}
	if a.log == nil {
		a.log = slog.New(slog.DiscardHandler)
	}
	if a.now == nil {
		a.now = time.Now
	}
	if a.clientAddr == nil {
		a.clientAddr = func(r *http.Request) string { return r.RemoteAddr }
	}
	realm := opts.Realm
	if realm == "" {
		realm = "almanac"
	}
	a.challenge = `Basic realm=` + quote(realm) + `, charset="UTF-8"`
	n := opts.MaxConcurrentVerifications
	if n <= 0 {
		n = runtime.GOMAXPROCS(0)
	}
	a.sem = make(chan struct{}, n)
	return a
}

var dummy struct {
	once sync.Once
	hash string
}

// dummyHash is verified against for logins that do not exist, so that
// they cost the same argon2 run as a wrong password for a real account.
// It uses the current default parameters: accounts still on older
// parameters take a different time, which reveals only that the account
// is old, and only to someone who already knows it exists.
func dummyHash() string {
	dummy.once.Do(func() {
		h, err := HashPassword(GeneratePassword())
		if err != nil {
			panic("auth: dummy hash: " + err.Error()) // unreachable: the password is never empty
		}
		dummy.hash = h
	})
	return dummy.hash
}

type ctxKey struct{}

// WithAccount returns ctx carrying acc as the authenticated principal.
func WithAccount(ctx context.Context, acc *storage.Account) context.Context {
	return context.WithValue(ctx, ctxKey{}, acc)
}

// AccountFrom returns the authenticated account, or nil for an anonymous
// request.
func AccountFrom(ctx context.Context) *storage.Account {
	acc, _ := ctx.Value(ctxKey{}).(*storage.Account)
	return acc
}

// Middleware authenticates every request with HTTP Basic and calls next
// with the account in the context. A request whose context already
// carries an account (another auth path ran first) passes straight
// through. The Authorization header is removed from the request next
// sees, so no later logging can leak it.
func (a *Authenticator) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if AccountFrom(r.Context()) != nil {
			next.ServeHTTP(w, r)
			return
		}
		a.basic(w, r, func(w http.ResponseWriter, r *http.Request) {
			// With two-factor authentication on, the account password
			// alone no longer opens calendars and contacts: clients use
			// app passwords, as with Nextcloud and Apple.
			if acc := AccountFrom(r.Context()); acc.TOTPEnabled && CredentialFrom(r.Context()).Method == MethodPassword {
				a.log.LogAttrs(r.Context(), slog.LevelInfo, "auth: account password refused on DAV with two-factor authentication on",
					slog.String("login", logLogin(acc.Login)))
				w.Header().Set("WWW-Authenticate", a.challenge)
				writePlain(w, http.StatusUnauthorized)
				return
			}
			next.ServeHTTP(w, r)
		})
	})
}

// basic authenticates r with HTTP Basic and calls next with the account
// and credential in the context, or answers the failure.
func (a *Authenticator) basic(w http.ResponseWriter, r *http.Request, next http.HandlerFunc) {
	res := a.authenticate(r)
	switch res.kind {
	case resOK:
		ctx := WithCredential(WithAccount(r.Context(), res.acc), res.cred)
		r2 := r.WithContext(ctx)
		r2.Header = r.Header.Clone()
		r2.Header.Del("Authorization")
		next(w, r2)
	case resThrottled:
		w.Header().Set("Retry-After", strconv.FormatInt(retrySeconds(res.retry), 10))
		writePlain(w, http.StatusTooManyRequests)
	case resError:
		writePlain(w, http.StatusInternalServerError)
	case resGone:
		writePlain(w, http.StatusServiceUnavailable)
	default:
		// The one response for every credential failure: no header,
		// header we cannot parse, unknown login, wrong password.
		w.Header().Set("WWW-Authenticate", a.challenge)
		writePlain(w, http.StatusUnauthorized)
	}
}

func writePlain(w http.ResponseWriter, code int) {
	h := w.Header()
	h.Set("Content-Type", "text/plain; charset=utf-8")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	io.WriteString(w, strconv.Itoa(code)+" "+http.StatusText(code)+"\n")
}

// retrySeconds rounds up: a client retrying after a rounded-down value
// would be refused again.
func retrySeconds(d time.Duration) int64 {
	s := int64(math.Ceil(d.Seconds()))
	return max(s, 1)
}

type resKind int

const (
	resUnauthorized resKind = iota
	resOK
	resThrottled
	resError
	resGone
)

type authResult struct {
	kind  resKind
	acc   *storage.Account
	cred  *Credential
	retry time.Duration
}

// target is what a password is verified against. Unknown logins and
// accounts without a password get the dummy hash and an empty id, which
// never authenticates.
type target struct{ id, hash string }

type verifyResult struct {
	ok    bool
	err   error         // the stored hash is unusable
	retry time.Duration // > 0: refused by the throttle, nothing verified
	gone  error         // the request's context ended while waiting
}

// flight is one argon2 run that concurrent requests with identical
// credentials share: clients open several connections at once when they
// start syncing, and without this each would pay 30 ms and 19 MiB.
type flight struct {
	done    chan struct{}
	target  target
	waiters int // observed by tests
	res     verifyResult
}

func (a *Authenticator) authenticate(r *http.Request) authResult {
	ctx := r.Context()
	unauthorized := authResult{kind: resUnauthorized}
	hdr := r.Header.Values("Authorization")
	if len(hdr) != 1 {
		return unauthorized
	}
	login, pw, ok := parseBasic(hdr[0])
	if !ok || len(login) > maxLoginLen || len(pw) > MaxPasswordLen {
		// Not counted as a failure: nothing was verified, so there is
		// nothing to learn from repeating it.
		return unauthorized
	}
	remote := a.clientAddr(r)
	lk, ak := loginKey(login), addrKey(remote)
	if d := a.throttle.blocked(lk, ak, a.now()); d > 0 {
		a.log.LogAttrs(ctx, slog.LevelDebug, "auth: attempt refused while throttled",
			slog.String("login", logLogin(login)), slog.String("addr", addrHost(remote)))
		return authResult{kind: resThrottled, retry: d}
	}

	acc, err := a.lookup.AccountByLogin(ctx, login)
	if errors.Is(err, storage.ErrNotFound) {
		acc, err = nil, nil
	}
	if err != nil {
		a.log.LogAttrs(ctx, slog.LevelError, "auth: account lookup failed",
			slog.String("login", logLogin(login)), slog.String("err", err.Error()))
		return authResult{kind: resError}
	}
	if acc != nil {
		if cred, ok := a.appPassword(ctx, acc, pw, r.UserAgent()); ok {
			return authResult{kind: resOK, acc: acc, cred: cred}
		}
	}
	t := target{hash: a.dummyHash}
	if acc != nil && acc.PasswordHash != "" {
		t = target{id: acc.ID, hash: acc.PasswordHash}
	}

	key := a.keyer.key(login, pw)
	if t.id != "" && a.cache.hit(key, t.id, t.hash, a.now()) {
		return authResult{kind: resOK, acc: acc, cred: &Credential{Method: MethodPassword, Scope: ScopeFull}}
	}

	vr, reserved, shared := a.verifyShared(ctx, key, t, pw, lk, ak)
	switch {
	case vr.retry > 0:
		return authResult{kind: resThrottled, retry: vr.retry}
	case vr.gone != nil:
		return authResult{kind: resGone}
	}
	success := vr.ok && vr.err == nil && t.id != ""
	now := a.now()
	var loginLocked, addrLocked bool
	if reserved {
		loginLocked, addrLocked = a.throttle.release(lk, ak, now, !success)
	} else if !success {
		loginLocked, addrLocked = a.throttle.fail(lk, ak, now)
	}
	if success {
		a.cache.put(key, t.id, t.hash, now)
		return authResult{kind: resOK, acc: acc, cred: &Credential{Method: MethodPassword, Scope: ScopeFull}}
	}

	reason := "wrong password"
	switch {
	case acc == nil:
		reason = "unknown login"
	case t.id == "":
		reason = "no password set"
	case vr.err != nil:
		reason = "unusable password hash"
		if !shared {
			a.log.LogAttrs(ctx, slog.LevelError, "auth: stored password hash unusable",
				slog.String("account", acc.ID), slog.String("err", vr.err.Error()))
		}
	}
	a.log.LogAttrs(ctx, slog.LevelInfo, "auth: login failed",
		slog.String("login", logLogin(login)), slog.String("addr", addrHost(remote)),
		slog.String("reason", reason))
	if loginLocked {
		a.log.LogAttrs(ctx, slog.LevelWarn, "auth: too many failed logins, throttling login",
			slog.String("login", logLogin(login)))
	}
	if addrLocked {
		a.log.LogAttrs(ctx, slog.LevelWarn, "auth: too many failed logins, throttling address",
			slog.String("addr", ak))
	}
	return unauthorized
}

// verifyShared verifies pw against t, joining an identical verification
// already in progress when there is one. reserved reports that the caller
// holds a throttle reservation to release; shared that the result came
// from another request's run.
func (a *Authenticator) verifyShared(ctx context.Context, key credKey, t target, pw, lk, ak string) (vr verifyResult, reserved, shared bool) {
	for {
		a.mu.Lock()
		f, ok := a.flights[key]
		if !ok {
			break // lead, with a.mu held
		}
		if f.target != t {
			// The account changed under a run in progress; do not
			// inherit an answer about another hash.
			a.mu.Unlock()
			vr, reserved = a.verifyAlone(ctx, t, pw, lk, ak)
			return vr, reserved, false
		}
		f.waiters++
		a.mu.Unlock()
		select {
		case <-f.done:
			if f.res.gone == nil {
				return f.res, false, true
			}
			// The leading request was abandoned; try again ourselves.
		case <-ctx.Done():
			return verifyResult{gone: ctx.Err()}, false, false
		}
	}
	f := &flight{done: make(chan struct{}), target: t}
	a.flights[key] = f
	a.mu.Unlock()

	f.res, reserved = a.verifyAlone(ctx, t, pw, lk, ak)
	a.mu.Lock()
	delete(a.flights, key)
	a.mu.Unlock()
	close(f.done)
	return f.res, reserved, false
}

func (a *Authenticator) verifyAlone(ctx context.Context, t target, pw, lk, ak string) (verifyResult, bool) {
	if retry, ok := a.throttle.reserve(lk, ak, a.now()); !ok {
		return verifyResult{retry: retry}, false
	}
	select {
	case a.sem <- struct{}{}:
	case <-ctx.Done():
		a.throttle.release(lk, ak, a.now(), false)
		return verifyResult{gone: ctx.Err()}, false
	}
	ok, err := a.verify(t.hash, pw)
	<-a.sem
	return verifyResult{ok: ok, err: err}, true
}

// parseBasic decodes the credentials of an RFC 7617 Authorization header.
// The scheme is case-insensitive (RFC 9110 section 11.1); the user-id may
// not be empty or contain a colon or control characters (RFC 7617 section
// 2); the password is everything after the first colon, colons included.
// We announce charset="UTF-8", so bytes that are not UTF-8 are refused
// rather than guessed at as Latin-1.
func parseBasic(h string) (login, pw string, ok bool) {
	h = strings.Trim(h, " \t")
	scheme, rest, found := strings.Cut(h, " ")
	if !found || !strings.EqualFold(scheme, "Basic") {
		return "", "", false
	}
	token := strings.TrimLeft(rest, " ")
	if token == "" {
		return "", "", false
	}
	padded := false
	for i := 0; i < len(token); i++ {
		switch c := token[i]; {
		case c >= 'A' && c <= 'Z', c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '+', c == '/':
		case c == '=':
			padded = true
		default:
			// Also catches CR and LF, which the base64 decoder would skip.
			return "", "", false
		}
	}
	enc := base64.StdEncoding
	if !padded && len(token)%4 != 0 {
		enc = base64.RawStdEncoding // some clients drop the padding
	}
	raw, err := enc.DecodeString(token)
	if err != nil || !utf8.Valid(raw) {
		return "", "", false
	}
	login, pw, found = strings.Cut(string(raw), ":")
	if !found || login == "" {
		return "", "", false
	}
	for i := 0; i < len(login); i++ {
		if c := login[i]; c < 0x20 || c == 0x7f {
			return "", "", false
		}
	}
	return login, pw, true
}

// logLogin shortens a login for the log; it is attacker-chosen text.
func logLogin(s string) string {
	const n = 64
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "") + "…"
}

// quote makes an RFC 9110 quoted-string.
func quote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		if s[i] == '"' || s[i] == '\\' {
			b.WriteByte('\\')
		}
		b.WriteByte(s[i])
	}
	b.WriteByte('"')
	return b.String()
}
