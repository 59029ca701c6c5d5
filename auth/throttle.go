package auth

import (
	"net"
	"net/netip"
	"strings"
	"sync"
	"time"
)

// Limits configures the throttling of account passwords (HTTP Basic,
// session login, current-password confirmations). Zero fields take
// defaults; a negative failure count switches that rule off. The limits
// of the other kinds of secret are fixed (see doc.go).
type Limits struct {
	// LoginFailures is how many failed attempts one login may collect
	// from one client address within Window before further attempts for
	// that login from that address are refused. Default 10.
	LoginFailures int
	// AddressFailures is how many failed attempts one client address
	// (IPv4 host or IPv6 /64) may collect, whatever the logins. Default
	// 30: higher than per login because a household or office shares one
	// address.
	AddressFailures int
	// GlobalLoginFailures is how many failed attempts one login may
	// collect from all addresses together, bounding a guessing attack
	// spread over many addresses. Default 100. Reaching it does not
	// refuse app passwords, nor the password from an address where it
	// has worked before (see doc.go).
	GlobalLoginFailures int
	// Window is the sliding window the failures are counted in.
	// Default 15 minutes.
	Window time.Duration
	// MaxEntries bounds each table of counters. Default 100000.
	MaxEntries int
}

const (
	defaultLoginFailures       = 10
	defaultAddressFailures     = 30
	defaultGlobalLoginFailures = 100
	defaultWindow              = 15 * time.Minute
	defaultMaxEntries          = 100_000
	// evictSample is how many entries are looked at to pick a victim when
	// a table is full: enough that a locked-out key is practically never
	// the one dropped while cheap ones are around.
	evictSample = 16
)

func (l Limits) withDefaults() Limits {
	if l.LoginFailures == 0 {
		l.LoginFailures = defaultLoginFailures
	}
	if l.AddressFailures == 0 {
		l.AddressFailures = defaultAddressFailures
	}
	if l.GlobalLoginFailures == 0 {
		l.GlobalLoginFailures = defaultGlobalLoginFailures
	}
	if l.Window <= 0 {
		l.Window = defaultWindow
	}
	if l.MaxEntries <= 0 {
		l.MaxEntries = defaultMaxEntries
	}
	return l
}

// failWindow counts failures per key in a sliding window: an exact log of
// the last `limit` failure times. Once `limit` failures fall within the
// window the key is refused until the oldest of them is `window` old.
// That is the plain reading of "at most N failures per 15 minutes", gives
// a Retry-After that is exact, and costs at most limit×8 bytes per key.
type failWindow struct {
	mu        sync.Mutex
	limit     int
	window    int64 // ns
	max       int
	m         map[string]*failBucket
	lastSweep int64
}

type failBucket struct {
	fails    []int64 // unix ns, ascending, at most limit long, newest kept
	inflight int
}

func newFailWindow(limit int, window time.Duration, maxEntries int) *failWindow {
	return &failWindow{limit: limit, window: int64(window), max: maxEntries, m: make(map[string]*failBucket)}
}

// prune drops failures that have left the window.
func (w *failWindow) prune(b *failBucket, now int64) {
	i := 0
	for i < len(b.fails) && b.fails[i] <= now-w.window {
		i++
	}
	if i > 0 {
		b.fails = append(b.fails[:0], b.fails[i:]...)
	}
}

// wait is how long until one more failure fits in the window.
func (w *failWindow) wait(b *failBucket, now int64) time.Duration {
	if len(b.fails) < w.limit {
		return 0
	}
	return time.Duration(b.fails[len(b.fails)-w.limit] + w.window - now)
}

func (w *failWindow) retryAfter(key string, now time.Time) time.Duration {
	if w == nil {
		return 0
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	b := w.m[key]
	if b == nil {
		return 0
	}
	n := now.UnixNano()
	w.prune(b, n)
	w.dropIfEmpty(key, b)
	return w.wait(b, n)
}

func (w *failWindow) reserve(key string, now time.Time) (time.Duration, bool) {
	if w == nil {
		return 0, true
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	n := now.UnixNano()
	b := w.m[key]
	if b == nil {
		b = w.insert(key, n)
	}
	w.prune(b, n)
	if len(b.fails)+b.inflight >= w.limit {
		retry := w.wait(b, n)
		if retry <= 0 {
			// Refused only because of attempts still in flight; they finish
			// within a second or two either way.
			retry = time.Second
		}
		w.dropIfEmpty(key, b)
		return retry, false
	}
	b.inflight++
	return 0, true
}

func (w *failWindow) release(key string, now time.Time, failed bool) bool {
	if w == nil {
		return false
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	b := w.m[key]
	if b == nil {
		// Evicted while in flight (only when the table is full of other
		// in-flight keys); the failure still counts.
		if !failed {
			return false
		}
		b = w.insert(key, now.UnixNano())
	} else if b.inflight > 0 {
		b.inflight--
	}
	return w.record(key, b, now.UnixNano(), failed)
}

func (w *failWindow) fail(key string, now time.Time) bool {
	if w == nil {
		return false
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	b := w.m[key]
	if b == nil {
		b = w.insert(key, now.UnixNano())
	}
	return w.record(key, b, now.UnixNano(), true)
}

// record appends a failure and reports whether it is the one that reached
// the limit.
func (w *failWindow) record(key string, b *failBucket, now int64, failed bool) bool {
	w.prune(b, now)
	if !failed {
		w.dropIfEmpty(key, b)
		return false
	}
	if k := len(b.fails); k > 0 && b.fails[k-1] > now {
		now = b.fails[k-1] // keep the log sorted if the clock steps back
	}
	// Failures recorded while the key is already locked (attempts that
	// were refused but still count, see Guard) extend the lock without
	// reporting it again.
	reached := len(b.fails) == w.limit-1
	b.fails = append(b.fails, now)
	if len(b.fails) > w.limit {
		// Only the newest `limit` decide when the key is free again.
		b.fails = append(b.fails[:0], b.fails[len(b.fails)-w.limit:]...)
	}
	return reached
}

func (w *failWindow) dropIfEmpty(key string, b *failBucket) {
	if len(b.fails) == 0 && b.inflight == 0 {
		delete(w.m, key)
	}
}

// insert adds an empty bucket, making room first. A sweep of the whole
// table runs once per window to return memory, and when the table is full
// at most every window/16, so the amortised cost stays O(1). Between
// sweeps a full table drops the entry with the least information (fewest
// failures, then oldest last failure) among a random sample, so an
// attacker spraying fresh keys evicts other one-failure keys, not the
// locked one.
func (w *failWindow) insert(key string, now int64) *failBucket {
	since := now - w.lastSweep
	if since >= w.window || (len(w.m) >= w.max && since >= w.window/16) {
		w.sweep(now)
	}
	if len(w.m) >= w.max {
		var victim string
		var vb *failBucket
		seen := 0
		for k, b := range w.m { // map order is randomised
			if b.inflight == 0 && (vb == nil || less(b, vb)) {
				victim, vb = k, b
			}
			if seen++; seen >= evictSample {
				break
			}
		}
		if vb != nil {
			delete(w.m, victim)
		}
		// With every sampled entry in flight the table briefly exceeds
		// max by at most the number of concurrent verifications.
	}
	b := &failBucket{}
	w.m[key] = b
	return b
}

func less(a, b *failBucket) bool {
	if len(a.fails) != len(b.fails) {
		return len(a.fails) < len(b.fails)
	}
	if len(a.fails) == 0 {
		return false
	}
	return a.fails[len(a.fails)-1] < b.fails[len(b.fails)-1]
}

func (w *failWindow) sweep(now int64) {
	w.lastSweep = now
	for k, b := range w.m {
		w.prune(b, now)
		w.dropIfEmpty(k, b)
	}
}

func (w *failWindow) len() int {
	if w == nil {
		return 0
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.m)
}

// loginKey folds case the way the store matches logins, so "Alice" and
// "alice" share one counter.
func loginKey(login string) string { return strings.ToLower(login) }

// addrKey groups client addresses: an IPv4 host is one key, IPv6 is
// grouped by /64 because a single host commonly controls a whole /64
// (SLAAC privacy addresses) and could otherwise rotate through 2^64
// fresh counters. IPv4-mapped IPv6 is folded to IPv4. Anything that does
// not parse (a Unix socket peer) is used verbatim.
func addrKey(remote string) string {
	host := remote
	if h, _, err := net.SplitHostPort(remote); err == nil {
		host = h
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return host
	}
	ip = ip.WithZone("").Unmap()
	if ip.Is4() {
		return ip.String()
	}
	p, err := ip.Prefix(64)
	if err != nil {
		return ip.String()
	}
	return p.String()
}

// addrHost is the client address as logged: the full host, which is what
// fail2ban-style tools match on.
func addrHost(remote string) string {
	if h, _, err := net.SplitHostPort(remote); err == nil {
		return h
	}
	return remote
}
