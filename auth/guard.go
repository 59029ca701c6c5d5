package auth

import (
	"almanac/internal/fault"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"almanac/storage"
)

// Kind is a kind of secret whose checks a Guard throttles. Each kind has
// its own failure tables; what they count and how many failures they
// allow is listed in doc.go (# Throttling).
type Kind uint8

const (
	// kindPassword is the account password. Only the Authenticator
	// checks it (Basic, LoginPassword, ConfirmPassword), because its
	// global per-login rule lets app passwords and known devices through.
	kindPassword Kind = iota
	// KindMailboxPassword is a mailbox password proven to link the
	// mailbox to the account making the attempt.
	KindMailboxPassword
	// KindTOTP is a six-digit TOTP code.
	KindTOTP
	// KindRecoveryCode is a single-use two-factor recovery code.
	KindRecoveryCode
	// KindCode is a one-time code mailed to the account holder, such as
	// the confirmation of a login ID change.
	KindCode
	// KindResetToken is a password-reset token, presented without login.
	KindResetToken
	numKinds
)

var kindNames = [numKinds]string{"password", "mailbox password", "TOTP code", "recovery code", "confirmation code", "reset token"}

func (k Kind) String() string {
	if k < numKinds {
		return kindNames[k]
	}
	return fmt.Sprintf("kind(%d)", uint8(k))
}

// Attempt is one check of a secret, described by what its kind's rules
// count it under.
type Attempt struct {
	Kind Kind
	// Subject is whose secret is guessed: the account ID for codes, the
	// mailbox for KindMailboxPassword (its service and local part, or the
	// address as given when there is no such mailbox).
	Subject string
	// Actor is the logged-in account making the attempt, if any.
	Actor string
	// Addr is the client's address, "host:port" or "host"; it is counted
	// by IPv4 host or IPv6 /64, like logins.
	Addr string
}

// ThrottledError refuses a check without making it: the attempt's kind
// has seen too many failures for one of its keys. It unwraps to a
// fault.Throttled, which every protocol's renderer answers with 429 and
// Retry-After, with one generic message: its own text names what was
// guessed and is for the log.
type ThrottledError struct {
	Kind       Kind
	RetryAfter time.Duration
}

func (e *ThrottledError) Error() string {
	return fmt.Sprintf("auth: too many failed %s attempts; retry in %d s", e.Kind, e.RetryAfterSeconds())
}

// RetryAfterSeconds is RetryAfter rounded up to whole seconds, at least 1.
func (e *ThrottledError) RetryAfterSeconds() int64 { return retrySeconds(e.RetryAfter) }

// Unwrap is the refusal in domain terms, for the renderers.
func (e *ThrottledError) Unwrap() error {
	return &fault.Error{Kind: fault.Throttled, Code: "too_many_requests",
		Message: "too many failed attempts; try again later", RetryAfter: e.RetryAfter}
}

// rule is one limit of a kind: at most limit failures per window for the
// key that key derives from an attempt.
type rule struct {
	name   string // what it counts, for logs
	limit  int
	window time.Duration
	key    func(Attempt) string
	// spread marks the limit on one subject's failures from everywhere
	// together. A spread rule that is reached refuses only attempts that
	// cannot show an earlier success (the Authenticator's known devices);
	// every other rule refuses everyone.
	spread bool
}

type table struct {
	rule
	w counter
}

// Keys. NUL separates parts: logins with control characters are refused
// before they get here, and addrKey never yields one.
func bySubject(a Attempt) string       { return a.Subject }
func byActor(a Attempt) string         { return a.Actor }
func byAddr(a Attempt) string          { return addrKey(a.Addr) }
func byActorSubject(a Attempt) string  { return a.Actor + "\x00" + a.Subject }
func bySubjectAtAddr(a Attempt) string { return a.Subject + "\x00" + addrKey(a.Addr) }

// kindRules is the throttling policy, documented in doc.go: change both
// together.
func kindRules(l Limits) [numKinds][]rule {
	const quarter, day = 15 * time.Minute, 24 * time.Hour
	return [numKinds][]rule{
		kindPassword: {
			{name: "login from address", limit: l.LoginFailures, window: l.Window, key: bySubjectAtAddr},
			{name: "address", limit: l.AddressFailures, window: l.Window, key: byAddr},
			{name: "login from every address", limit: l.GlobalLoginFailures, window: l.Window, key: bySubject, spread: true},
		},
		KindMailboxPassword: {
			{name: "mailbox by account", limit: 10, window: quarter, key: byActorSubject},
			{name: "mailbox", limit: 30, window: quarter, key: bySubject},
			{name: "account", limit: 30, window: quarter, key: byActor},
		},
		KindTOTP: {
			{name: "account", limit: 5, window: quarter, key: bySubject},
			{name: "account per day", limit: 20, window: day, key: bySubject},
		},
		KindRecoveryCode: {{name: "account", limit: 10, window: quarter, key: bySubject}},
		KindCode:         {{name: "account", limit: 10, window: quarter, key: bySubject}},
		KindResetToken:   {{name: "address", limit: 30, window: quarter, key: byAddr}},
	}
}

// Guard throttles every check of a secret and runs argon2 under one
// concurrency limit. The Authenticator owns one (Authenticator.Guard);
// the server hands that one to every feature that checks secrets, so a
// client meets the same counters and the same argon2 queue everywhere.
// It is safe for concurrent use.
type Guard struct {
	kinds     [numKinds][]*table
	sem       chan struct{} // one token per argon2 run in progress
	verify    func(encoded, pw string) (bool, error)
	dummyHash string
	now       func() time.Time
	log       *slog.Logger
	obs       Observer // nil: none
	// shared holds the counts when several servers share a store; nil:
	// each table counts in memory, at most maxEntries keys.
	shared     storage.Throttle
	maxEntries int
}

func newGuard(l Limits, shared storage.Throttle, maxArgon2 int, verify func(string, string) (bool, error), now func() time.Time, log *slog.Logger, obs Observer) *Guard {
	l = l.withDefaults()
	g := &Guard{sem: make(chan struct{}, maxArgon2), verify: verify, dummyHash: dummyHash(), now: now, log: log, obs: obs,
		shared: shared, maxEntries: l.MaxEntries}
	for k, rules := range kindRules(l) {
		for _, r := range rules {
			// The kind and the rule's name are the stored rule's name:
			// every server must use the same, and changing it resets the
			// rule's counts.
			t := &table{rule: r, w: newCounter(shared, Kind(k).String()+"/"+r.name, r.limit, r.window, l.MaxEntries)}
			g.kinds[k] = append(g.kinds[k], t)
		}
	}
	return g
}

// Limiter returns a Limiter of limit failures per window that counts
// where the Guard does: in the store every server shares when the
// server has one (Options.Throttle), else in this process. name tells
// its counts from every other limiter's and must be the same on every
// server.
func (g *Guard) Limiter(name string, limit int, window time.Duration) *Limiter {
	return &Limiter{c: newCounter(g.shared, "limiter/"+name, limit, window, g.maxEntries)}
}

// Check runs verify, the check of one secret, unless at is throttled, and
// counts a false answer as a failure. It returns a *ThrottledError, with
// nothing verified, while one of the kind's limits is reached, and
// verify's own error, which is not counted: a store outage is not a
// guess. A slot is reserved before verify runs, so parallel guesses
// cannot all pass the check before the first failure is recorded.
//
// verify must not check an account password (the Authenticator does
// that); if it runs argon2 it does so through VerifyPassword.
func (g *Guard) Check(ctx context.Context, at Attempt, verify func() (bool, error)) (ok bool, err error) {
	if at.Kind == kindPassword || at.Kind >= numKinds {
		return false, fmt.Errorf("auth: check: %v is not a kind Check serves", at.Kind)
	}
	defer func() {
		var te *ThrottledError
		g.report(at.Kind, err == nil && !ok, errors.As(err, &te))
	}()
	res, err := g.reserve(ctx, at)
	if err != nil {
		return false, err
	}
	if res.spread > 0 {
		res.end(false) // no spread rules outside passwords; refuse like the others
		return false, &ThrottledError{Kind: at.Kind, RetryAfter: res.spread}
	}
	counted := true
	defer func() { res.end(counted && !ok) }()
	ok, err = verify()
	if err != nil {
		ok, counted = false, false
		return false, err
	}
	if !ok {
		g.log.LogAttrs(ctx, slog.LevelInfo, "auth: wrong "+at.Kind.String(), attemptAttrs(at, "")...)
	}
	return ok, nil
}

// VerifyPassword checks pw against a stored argon2id hash once one of the
// server's argon2 slots is free. An empty encoded hash (no such mailbox,
// no password set) runs the same argon2 against a dummy hash and never
// matches, so the answer takes as long as for a real one. It returns the
// context's error if the request ends while waiting.
func (g *Guard) VerifyPassword(ctx context.Context, encoded, pw string) (bool, error) {
	known := encoded != ""
	if !known {
		encoded = g.dummyHash
	}
	if err := g.acquire(ctx); err != nil {
		return false, fmt.Errorf("auth: verify password: %w", err)
	}
	defer g.releaseArgon2()
	ok, err := g.verify(encoded, pw)
	return ok && known, err
}

// HashPassword is HashPassword under the server's argon2 limit: hashing
// a new password costs the same 19 MiB as verifying one.
func (g *Guard) HashPassword(ctx context.Context, pw string) (string, error) {
	switch {
	case pw == "":
		return "", ErrEmptyPassword
	case len(pw) > MaxPasswordLen:
		return "", ErrPasswordTooLong
	}
	if err := g.acquire(ctx); err != nil {
		return "", fmt.Errorf("auth: hash password: %w", err)
	}
	defer g.releaseArgon2()
	return HashPassword(pw)
}

func (g *Guard) acquire(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	select {
	case g.sem <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (g *Guard) releaseArgon2() { <-g.sem }

// SecondFactor checks code for acc: a TOTP code (KindTOTP) or else a
// recovery code (KindRecoveryCode), told apart by their shapes (six
// digits against ten letters and digits) so that the TOTP limit, which a
// thief of the password can exhaust, never stands in the way of the
// owner's recovery codes. Its use is recorded in one store transaction
// (the TOTP step only moves forward, a recovery code is removed), so one
// code is accepted once even when two requests carry it.
func (g *Guard) SecondFactor(ctx context.Context, st Store, acc *storage.Account, code, addr string) (bool, error) {
	kind := KindRecoveryCode
	if _, ok := totpNormaliseCode(code); ok {
		kind = KindTOTP
	}
	return g.Check(ctx, Attempt{Kind: kind, Subject: acc.ID, Addr: addr}, func() (bool, error) {
		fresh, err := st.Account(ctx, acc.ID)
		if err != nil {
			return false, fmt.Errorf("auth: second factor: %w", err)
		}
		if kind == KindTOTP {
			step, ok := VerifyTOTP(fresh.TOTPSecret, code, g.now(), fresh.TOTPLastStep)
			// A concurrent request that took the step first makes this
			// one a replay, which is a wrong code.
			return ok && fresh.TOTPSecret != "" && st.AcceptTOTPStep(ctx, acc.ID, step) == nil, nil
		}
		i, ok := MatchSecret(code, fresh.RecoveryCodes)
		return ok && st.UseRecoveryCode(ctx, acc.ID, fresh.RecoveryCodes[i]) == nil, nil
	})
}

// blocked reports how long at must wait under the rules that refuse
// everyone (hard) and under the spread rules (spread); 0 means not
// blocked. An error is the shared store's: nothing is known then.
func (g *Guard) blocked(ctx context.Context, at Attempt) (hard, spread time.Duration, err error) {
	ts := g.kinds[at.Kind]
	ds, err := waits(ctx, g.shared, ts, at, g.now())
	if err != nil {
		return 0, 0, fmt.Errorf("auth: read failure counts: %w", err)
	}
	for i, t := range ts {
		d := ds[i]
		if t.spread {
			spread = max(spread, d)
		} else {
			hard = max(hard, d)
		}
	}
	return hard, spread, nil
}

// reservation is an attempt in progress: a slot held in each of its
// kind's tables until end.
type reservation struct {
	g    *Guard
	ctx  context.Context
	at   Attempt
	keys []string
	held []bool
	ids  []int64 // the holds' ids in a shared store
	// spread > 0: a spread rule is reached and holds no slot; the attempt
	// may succeed only by showing an earlier success.
	spread time.Duration
}

// reserve claims a slot in every table of at's kind, or returns a
// *ThrottledError, holding nothing, when a rule other than a spread rule
// is reached, or the shared store's error (holding nothing either: a
// check that cannot be counted is not made). When it returns a
// reservation, the caller must end it exactly once.
func (g *Guard) reserve(ctx context.Context, at Attempt) (*reservation, error) {
	now := g.now()
	ts := g.kinds[at.Kind]
	r := &reservation{g: g, ctx: ctx, at: at, keys: make([]string, len(ts)), held: make([]bool, len(ts)), ids: make([]int64, len(ts))}
	for i, t := range ts {
		r.keys[i] = t.key(at)
		id, retry, ok, err := t.w.hold(ctx, r.keys[i], now)
		switch {
		case err != nil:
			r.spread = 0
			r.end(false)
			return nil, fmt.Errorf("auth: reserve attempt: %w", err)
		case ok:
			r.ids[i] = id
			r.held[i] = true
		case t.spread:
			r.spread = max(r.spread, retry)
		default:
			r.spread = 0
			r.end(false)
			g.log.LogAttrs(ctx, slog.LevelDebug, "auth: attempt refused while throttled", attemptAttrs(at, t.name)...)
			return nil, &ThrottledError{Kind: at.Kind, RetryAfter: retry}
		}
	}
	return r, nil
}

// end releases the slots, recording a failure when failed. A failure is
// recorded in the spread tables that refused too, so that guessing keeps
// them locked while it goes on. The answer is given by then, so a shared
// store's error is logged: the failure goes uncounted, and a hold left
// behind expires by itself (storage.ThrottleHold).
func (r *reservation) end(failed bool) {
	now := r.g.now()
	// The request may be over; the record must still be written.
	ctx := context.WithoutCancel(r.ctx)
	for i, t := range r.g.kinds[r.at.Kind] {
		var locked bool
		var err error
		switch {
		case r.held[i]:
			r.held[i] = false
			locked, err = t.w.end(ctx, r.keys[i], r.ids[i], now, failed)
		case failed && r.spread > 0 && t.spread:
			locked, err = t.w.failure(ctx, r.keys[i], now)
		}
		r.g.recorded(ctx, r.at, t, locked, err)
	}
}

// fail records a failure that held no reservation: a request that shared
// the verification of an identical concurrent request.
func (g *Guard) fail(ctx context.Context, at Attempt) {
	now := g.now()
	ctx = context.WithoutCancel(ctx)
	for _, t := range g.kinds[at.Kind] {
		locked, err := t.w.failure(ctx, t.key(at), now)
		g.recorded(ctx, at, t, locked, err)
	}
}

func (g *Guard) recorded(ctx context.Context, at Attempt, t *table, locked bool, err error) {
	switch {
	case err != nil:
		g.log.LogAttrs(ctx, slog.LevelError, "auth: cannot record an attempt", append(attemptAttrs(at, t.name), slog.String("err", err.Error()))...)
	case locked:
		g.logLocked(ctx, at, t)
	}
}

func (g *Guard) logLocked(ctx context.Context, at Attempt, t *table) {
	g.log.LogAttrs(ctx, slog.LevelWarn, "auth: too many failures, throttling "+t.name, attemptAttrs(at, "")...)
}

// attemptAttrs describes an attempt for the log: never a secret, and
// attacker-chosen text shortened.
func attemptAttrs(at Attempt, rule string) []slog.Attr {
	attrs := []slog.Attr{slog.String("kind", at.Kind.String())}
	if rule != "" {
		attrs = append(attrs, slog.String("rule", rule))
	}
	if at.Subject != "" {
		name := "subject"
		if at.Kind == kindPassword {
			name = "login"
		}
		attrs = append(attrs, slog.String(name, logLogin(at.Subject)))
	}
	if at.Actor != "" {
		attrs = append(attrs, slog.String("actor", at.Actor))
	}
	if at.Addr != "" {
		attrs = append(attrs, slog.String("addr", addrHost(at.Addr)))
	}
	return attrs
}

// len is the number of keys the in-memory tables of kind hold (tests).
func (g *Guard) len(kind Kind) int {
	n := 0
	for _, t := range g.kinds[kind] {
		if w, ok := t.w.(*failWindow); ok {
			n += w.len()
		}
	}
	return n
}
