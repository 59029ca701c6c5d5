package auth

import (
	"context"
	"fmt"
	"time"
)

// Limiter counts failures per key in a sliding window, as the login
// throttle does: once limit failures fall within window, RetryAfter is
// the time until the oldest of them leaves it. Public-feed tokens reuse it
// to slow down guessing. It is safe for concurrent use. One made by
// NewLimiter counts in this process and keeps at most maxEntries keys;
// one made by Guard.Limiter counts where the Guard does.
type Limiter struct{ c counter }

// NewLimiter returns a Limiter of limit failures per window, counted in
// this process.
func NewLimiter(limit int, window time.Duration, maxEntries int) *Limiter {
	return &Limiter{c: newFailWindow(limit, window, maxEntries)}
}

// RetryAfter is how long key must wait before its next attempt; 0 when it
// may go on. An error is a shared store's.
func (l *Limiter) RetryAfter(ctx context.Context, key string, now time.Time) (time.Duration, error) {
	d, err := l.c.waiting(ctx, key, now)
	if err != nil {
		return 0, fmt.Errorf("auth: limiter: %w", err)
	}
	return d, nil
}

// Fail records a failure of key.
func (l *Limiter) Fail(ctx context.Context, key string, now time.Time) error {
	if _, err := l.c.failure(ctx, key, now); err != nil {
		return fmt.Errorf("auth: limiter: %w", err)
	}
	return nil
}

// AddrKey is the key client addresses are counted under: the IPv4 host,
// or the IPv6 /64 (see addrKey).
func AddrKey(remote string) string { return addrKey(remote) }
