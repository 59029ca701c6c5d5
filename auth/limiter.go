package auth

import "time"

// Limiter counts failures per key in a sliding window, as the login
// throttle does: once limit failures fall within window, RetryAfter is
// the time until the oldest of them leaves it. Public-feed tokens reuse it
// to slow down guessing. It is safe for concurrent use and keeps at most
// maxEntries keys.
type Limiter struct{ w *failWindow }

// NewLimiter returns a Limiter of limit failures per window.
func NewLimiter(limit int, window time.Duration, maxEntries int) *Limiter {
	return &Limiter{w: newFailWindow(limit, window, maxEntries)}
}

// RetryAfter is how long key must wait before its next attempt; 0 when it
// may go on.
func (l *Limiter) RetryAfter(key string, now time.Time) time.Duration {
	return l.w.retryAfter(key, now)
}

// Fail records a failure of key.
func (l *Limiter) Fail(key string, now time.Time) { l.w.fail(key, now) }

// AddrKey is the key client addresses are counted under: the IPv4 host,
// or the IPv6 /64 (see addrKey).
func AddrKey(remote string) string { return addrKey(remote) }
