package auth

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
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

	"almanac/internal/fault"
	"almanac/internal/remote"
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
	// queue. The bound is the Guard's, so it covers every password the
	// server verifies or hashes, not only HTTP Basic. Default GOMAXPROCS,
	// beyond which argon2 (p=1) gains no throughput anyway.
	MaxConcurrentVerifications int
	// Verify checks a password against a stored hash. Default
	// VerifyPassword; tests replace it to count or hold argon2 runs.
	// Every verification the Guard makes goes through it, under the
	// MaxConcurrentVerifications bound.
	Verify func(encoded, pw string) (bool, error)
	// ClientAddr returns the client's address ("host:port" or "host") for
	// throttling and logs. Default remote.Of(r).Addr: the address the
	// server's trusted proxies name, else the connection's.
	ClientAddr func(*http.Request) string
	// Observer, when set, is told of every wrong secret and every
	// throttled attempt, of every kind the Guard checks.
	Observer Observer
	// Throttle, when set, holds the failure counts of every rule and of
	// the Guard's limiters, so that several servers on one store count
	// together (doc.go # Several servers); nil counts in this process.
	Throttle storage.Throttle
}

// Authenticator is HTTP Basic authentication middleware backed by a
// Store. It is safe for concurrent use.
type Authenticator struct {
	store      Store
	log        *slog.Logger
	now        func() time.Time
	challenge  string
	clientAddr func(*http.Request) string
	guard      *Guard
	cache      *credCache
	keyer      keyer
	// devices remembers (login, password, address) triples that have
	// logged in, for the global per-login limit (see knownDevice).
	devices     *credCache
	deviceKeyer keyer

	mu      sync.Mutex
	flights map[credKey]*flight

	touches touches // last app-password use written, per ID
}

// maxLoginLen is generous for an e-mail address (RFC 5321 caps a path at
// 256 octets) and keeps attacker-chosen throttle keys and log lines small.
const maxLoginLen = 256

// A known device is a (login, password, client address) that logged in
// within knownDeviceTTL; knownDevices bounds how many are remembered.
const (
	knownDeviceTTL = 30 * 24 * time.Hour
	knownDevices   = 100_000
)

// New returns an Authenticator. It computes the dummy hash for unknown
// logins on first use in the process, which takes one argon2 run.
func New(store Store, opts Options) *Authenticator {
	a := &Authenticator{
		store:       store,
		log:         opts.Logger,
		now:         opts.Now,
		clientAddr:  opts.ClientAddr,
		cache:       newCredCache(opts.CacheTTL, opts.CacheSize),
		keyer:       newKeyer(),
		devices:     newCredCache(knownDeviceTTL, knownDevices),
		deviceKeyer: newKeyer(),
		flights:     make(map[credKey]*flight),
	}
	if a.log == nil {
		a.log = slog.New(slog.DiscardHandler)
	}
	if a.now == nil {
		a.now = time.Now
	}
	if a.clientAddr == nil {
		a.clientAddr = func(r *http.Request) string { return remote.Of(r).Addr }
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
	verify := opts.Verify
	if verify == nil {
		verify = VerifyPassword
	}
	a.guard = newGuard(opts.Limits, opts.Throttle, n, verify, a.now, a.log, opts.Observer)
	return a
}

// Guard is the throttle and argon2 limit every check of a secret goes
// through; features that check secrets get this one from the server.
func (a *Authenticator) Guard() *Guard { return a.guard }

// ClientAddr is the client address of r as throttling counts it
// (Options.ClientAddr).
func (a *Authenticator) ClientAddr(r *http.Request) string { return a.clientAddr(r) }

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
		if errors.Is(res.err, storage.ErrUnavailable) {
			// The database is away: a client retries instead of asking
			// its user for the password again.
			w.Header().Set("Retry-After", strconv.FormatInt(retrySeconds(storage.RetryUnavailable), 10))
			writePlain(w, http.StatusServiceUnavailable)
			return
		}
		writePlain(w, http.StatusInternalServerError)
	case resGone:
		writePlain(w, http.StatusServiceUnavailable)
	default:
		// The one response for every credential failure: no header,
		// header we cannot parse, unknown login, wrong password, and a
		// disabled account, which a client should treat alike (ask
		// again) rather than as a server fault.
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
	resDisabled // the secret was right; the account is disabled
)

type authResult struct {
	kind  resKind
	acc   *storage.Account
	cred  *Credential
	retry time.Duration
	err   error // resError, resGone
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
	fault error         // the shared throttle failed: nothing verified
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
	hdr := r.Header.Values("Authorization")
	if len(hdr) != 1 {
		return authResult{kind: resUnauthorized}
	}
	login, pw, ok := parseBasic(hdr[0])
	if !ok || len(login) > maxLoginLen || len(pw) > MaxPasswordLen {
		// Not counted as a failure: nothing was verified, so there is
		// nothing to learn from repeating it.
		return authResult{kind: resUnauthorized}
	}
	return a.checkPassword(r.Context(), passwordCheck{login: login, pw: pw, remote: a.clientAddr(r), apps: true, client: r.UserAgent()})
}

// ErrBadCredentials is a failed password check: an unknown login, an
// account without a password, or a wrong password, which callers answer
// alike.
var ErrBadCredentials = errors.New("auth: wrong login or password")

// ErrAccountDisabled refuses the right secret of a disabled account. It
// is a fault, so that whichever path meets it answers 403 with its code.
var ErrAccountDisabled = &fault.Error{Kind: fault.Forbidden, Code: "account_disabled",
	Message: "this account is disabled; ask the server's administrator"}

// LoginPassword checks the account password of login for a client at
// addr, as HTTP Basic does: the same counters, the same known devices,
// the same argon2 limit. App passwords are not accepted. It returns the
// account, ErrBadCredentials, ErrAccountDisabled, a *ThrottledError, or
// the error of a failed lookup.
func (a *Authenticator) LoginPassword(ctx context.Context, login, pw, addr string) (*storage.Account, error) {
	if !plausibleLogin(login) || len(pw) > MaxPasswordLen {
		// Nothing with such a login exists (ValidateLogin), and nothing
		// is verified, so nothing is counted: as for HTTP Basic.
		return nil, ErrBadCredentials
	}
	return a.checkPassword(ctx, passwordCheck{login: login, pw: pw, remote: addr}).outcome()
}

// ConfirmPassword checks pw as the current password of acc, which a
// client at addr gives to confirm a sensitive change. It counts under
// the same rules as logins: the secret is the same, so a stolen session
// gets no extra guesses. It returns nil, ErrBadCredentials,
// ErrAccountDisabled, a *ThrottledError or the context's error.
func (a *Authenticator) ConfirmPassword(ctx context.Context, acc *storage.Account, pw, addr string) error {
	if len(pw) > MaxPasswordLen {
		return ErrBadCredentials
	}
	_, err := a.checkPassword(ctx, passwordCheck{login: acc.Login, pw: pw, remote: addr, acc: acc}).outcome()
	return err
}

func (r authResult) outcome() (*storage.Account, error) {
	switch r.kind {
	case resOK:
		return r.acc, nil
	case resThrottled:
		return nil, &ThrottledError{Kind: kindPassword, RetryAfter: r.retry}
	case resError, resGone:
		return nil, r.err
	case resDisabled:
		return nil, ErrAccountDisabled
	}
	return nil, ErrBadCredentials
}

// plausibleLogin is what parseBasic lets through as a user-id, for logins
// that arrive another way: not empty, not too long, no control
// characters (which also keeps NUL out of throttle keys).
func plausibleLogin(login string) bool {
	if login == "" || len(login) > maxLoginLen {
		return false
	}
	for i := 0; i < len(login); i++ {
		if c := login[i]; c < 0x20 || c == 0x7f {
			return false
		}
	}
	return true
}

// passwordCheck is one check of an account password.
type passwordCheck struct {
	login, pw string
	remote    string           // client address
	acc       *storage.Account // already looked up; nil: look login up
	apps      bool             // an app password authenticates too (HTTP Basic)
	client    string           // User-Agent, recorded with an app password's use
}

// checkPassword is the one path every account password takes, so it is
// where a disabled account is refused: by HTTP Basic with its password
// or an app password, by the session login, by a password confirmation.
// The secret is checked first, as for any account, so that neither the
// answer's timing nor the throttle tells a guesser the account is
// disabled: only a right password or app password learns it.
func (a *Authenticator) checkPassword(ctx context.Context, c passwordCheck) (out authResult) {
	defer func() { a.guard.report(kindPassword, out.kind == resUnauthorized, out.kind == resThrottled) }()
	res := a.checkSecret(ctx, c)
	if res.kind == resOK && res.acc.Disabled {
		a.log.LogAttrs(ctx, slog.LevelInfo, "auth: login refused: account disabled",
			slog.String("login", logLogin(c.login)), slog.String("addr", addrHost(c.remote)))
		return authResult{kind: resDisabled}
	}
	return res
}

// checkSecret checks an account password or app password: throttle, app
// passwords, known devices, the credential cache, argon2.
func (a *Authenticator) checkSecret(ctx context.Context, c passwordCheck) authResult {
	unauthorized := authResult{kind: resUnauthorized}
	at := Attempt{Kind: kindPassword, Subject: loginKey(c.login), Addr: c.remote}
	hard, spread, err := a.guard.blocked(ctx, at)
	if err != nil {
		a.log.LogAttrs(ctx, slog.LevelError, "auth: throttle unavailable", slog.String("err", err.Error()))
		return authResult{kind: resError, err: err}
	}
	// App passwords are 120 random bits: no number of guesses finds one,
	// so no lock stands in their way, and trying one while locked reveals
	// nothing. Anything else waits out a lock on the login from this
	// address, or on the address, without being looked at.
	_, appShaped := AppPasswordID(c.pw)
	appShaped = appShaped && c.apps
	if hard > 0 && !appShaped {
		a.log.LogAttrs(ctx, slog.LevelDebug, "auth: attempt refused while throttled",
			slog.String("login", logLogin(c.login)), slog.String("addr", addrHost(c.remote)))
		return authResult{kind: resThrottled, retry: hard}
	}

	acc := c.acc
	if acc == nil {
		var err error
		acc, err = a.store.AccountByLogin(ctx, c.login)
		if errors.Is(err, storage.ErrNotFound) {
			acc, err = nil, nil
		}
		if err != nil {
			a.log.LogAttrs(ctx, slog.LevelError, "auth: account lookup failed",
				slog.String("login", logLogin(c.login)), slog.String("err", err.Error()))
			return authResult{kind: resError, err: fmt.Errorf("auth: look up login: %w", err)}
		}
	}
	if appShaped && acc != nil {
		if cred, ok := a.appPassword(ctx, acc, c.pw, c.client); ok {
			return authResult{kind: resOK, acc: acc, cred: cred}
		}
	}
	if hard > 0 {
		return authResult{kind: resThrottled, retry: hard}
	}
	t := target{hash: a.guard.dummyHash}
	if acc != nil && acc.PasswordHash != "" {
		t = target{id: acc.ID, hash: acc.PasswordHash}
	}
	if spread > 0 {
		return a.knownDevice(ctx, at, c.pw, acc, t, spread)
	}

	key := a.keyer.key(c.login, c.pw)
	if t.id != "" && a.cache.hit(key, t.id, t.hash, a.now()) {
		a.rememberDevice(at, c.pw, t)
		return authResult{kind: resOK, acc: acc, cred: &Credential{Method: MethodPassword, Scope: ScopeFull}}
	}

	vr, res, shared := a.verifyShared(ctx, key, t, c.pw, at)
	switch {
	case vr.retry > 0:
		return authResult{kind: resThrottled, retry: vr.retry}
	case vr.fault != nil:
		a.log.LogAttrs(ctx, slog.LevelError, "auth: throttle unavailable", slog.String("err", vr.fault.Error()))
		return authResult{kind: resError, err: vr.fault}
	case vr.gone != nil:
		return authResult{kind: resGone, err: fmt.Errorf("auth: verify password: %w", vr.gone)}
	}
	success := vr.ok && vr.err == nil && t.id != ""
	if res != nil {
		res.end(!success)
	} else if !success {
		a.guard.fail(ctx, at)
	}
	if success {
		a.cache.put(key, t.id, t.hash, a.now())
		a.rememberDevice(at, c.pw, t)
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
		slog.String("login", logLogin(c.login)), slog.String("addr", addrHost(c.remote)),
		slog.String("reason", reason))
	return unauthorized
}

// knownDevice decides an attempt made while the login's global limit is
// reached: it succeeds only if this password logged in to this login from
// this address (IPv4 host, IPv6 /64) within knownDeviceTTL. That answer
// tells a guesser nothing new: from an address where the password has
// worked, whoever is there already had it working. A cached credential
// does not count, since it would confirm a guess made from anywhere. A
// miss counts as a failure under every rule, so guessing from an address
// stays as limited as ever, and no argon2 runs.
func (a *Authenticator) knownDevice(ctx context.Context, at Attempt, pw string, acc *storage.Account, t target, spread time.Duration) authResult {
	res, err := a.guard.reserve(ctx, at)
	var te *ThrottledError
	switch {
	case errors.As(err, &te):
		return authResult{kind: resThrottled, retry: te.RetryAfter}
	case err != nil:
		a.log.LogAttrs(ctx, slog.LevelError, "auth: throttle unavailable", slog.String("err", err.Error()))
		return authResult{kind: resError, err: err}
	}
	dk := a.deviceKey(at, pw)
	if t.id == "" || !a.devices.hit(dk, t.id, t.hash, a.now()) {
		res.spread = max(res.spread, spread)
		res.end(true)
		a.log.LogAttrs(ctx, slog.LevelInfo, "auth: login refused: global limit of the login reached, not a known device",
			slog.String("login", logLogin(at.Subject)), slog.String("addr", addrHost(at.Addr)))
		return authResult{kind: resThrottled, retry: res.spread}
	}
	res.end(false)
	a.devices.put(dk, t.id, t.hash, a.now())
	return authResult{kind: resOK, acc: acc, cred: &Credential{Method: MethodPassword, Scope: ScopeFull}}
}

func (a *Authenticator) deviceKey(at Attempt, pw string) credKey {
	return a.deviceKeyer.tuple(at.Subject, pw, addrKey(at.Addr))
}

// rememberDevice records a successful login with the account password
// from at's address, or renews the record.
func (a *Authenticator) rememberDevice(at Attempt, pw string, t target) {
	a.devices.put(a.deviceKey(at, pw), t.id, t.hash, a.now())
}

// verifyShared verifies pw against t, joining an identical verification
// already in progress when there is one. res is the caller's throttle
// reservation to end, nil when the result came from another request's
// run (shared) or nothing was verified.
func (a *Authenticator) verifyShared(ctx context.Context, key credKey, t target, pw string, at Attempt) (vr verifyResult, res *reservation, shared bool) {
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
			vr, res = a.verifyAlone(ctx, t, pw, at)
			return vr, res, false
		}
		f.waiters++
		a.mu.Unlock()
		select {
		case <-f.done:
			if f.res.gone == nil {
				return f.res, nil, true
			}
			// The leading request was abandoned; try again ourselves.
		case <-ctx.Done():
			return verifyResult{gone: ctx.Err()}, nil, false
		}
	}
	f := &flight{done: make(chan struct{}), target: t}
	a.flights[key] = f
	a.mu.Unlock()

	f.res, res = a.verifyAlone(ctx, t, pw, at)
	a.mu.Lock()
	delete(a.flights, key)
	a.mu.Unlock()
	close(f.done)
	return f.res, res, false
}

func (a *Authenticator) verifyAlone(ctx context.Context, t target, pw string, at Attempt) (verifyResult, *reservation) {
	res, err := a.guard.reserve(ctx, at)
	var te *ThrottledError
	switch {
	case errors.As(err, &te):
		return verifyResult{retry: te.RetryAfter}, nil
	case err != nil:
		return verifyResult{fault: err}, nil
	}
	if res.spread > 0 {
		// The global limit was reached since blocked looked. Refused
		// unverified: a known device retries into knownDevice.
		res.end(false)
		return verifyResult{retry: res.spread}, nil
	}
	if err := a.guard.acquire(ctx); err != nil {
		res.end(false)
		return verifyResult{gone: err}, nil
	}
	ok, err := a.guard.verify(t.hash, pw)
	a.guard.releaseArgon2()
	return verifyResult{ok: ok, err: err}, res
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
