package auth

import (
	"context"
	"time"

	"almanac/storage"
)

// counter is where one rule's failures are counted: this process's
// memory (*failWindow, nil when the rule is switched off) or the store
// every server shares (sharedCounter). Both keep the same rules: a hold
// reserves an attempt before its check, failures slide out of the window,
// and only the newest limit of a key's failures decide when it is free.
type counter interface {
	// waiting is how long until one more failure of key fits.
	waiting(ctx context.Context, key string, now time.Time) (time.Duration, error)
	// hold reserves an attempt, or says how long key must wait (ok false).
	hold(ctx context.Context, key string, now time.Time) (id int64, retry time.Duration, ok bool, err error)
	// end releases a hold, recording a failure when failed; reached: this
	// failure locked the key.
	end(ctx context.Context, key string, id int64, now time.Time, failed bool) (reached bool, err error)
	// failure records a failure that held nothing.
	failure(ctx context.Context, key string, now time.Time) (reached bool, err error)
}

func (w *failWindow) waiting(_ context.Context, key string, now time.Time) (time.Duration, error) {
	return w.retryAfter(key, now), nil
}

func (w *failWindow) hold(_ context.Context, key string, now time.Time) (int64, time.Duration, bool, error) {
	retry, ok := w.reserve(key, now)
	return 0, retry, ok, nil
}

func (w *failWindow) end(_ context.Context, key string, _ int64, now time.Time, failed bool) (bool, error) {
	return w.release(key, now, failed), nil
}

func (w *failWindow) failure(_ context.Context, key string, now time.Time) (bool, error) {
	return w.fail(key, now), nil
}

// sharedCounter counts one rule's failures in the store, for every
// server on it (storage.Throttle).
type sharedCounter struct {
	st   storage.Throttle
	rule storage.ThrottleRule
}

func (c sharedCounter) waiting(ctx context.Context, key string, now time.Time) (time.Duration, error) {
	d, err := c.st.ThrottleWait(ctx, now, storage.ThrottleKey{Rule: c.rule, Key: []byte(key)})
	if err != nil {
		return 0, err
	}
	return d[0], nil
}

func (c sharedCounter) hold(ctx context.Context, key string, now time.Time) (int64, time.Duration, bool, error) {
	id, retry, err := c.st.ReserveAttempt(ctx, c.rule, []byte(key), now)
	return id, retry, err == nil && id != 0, err
}

func (c sharedCounter) end(ctx context.Context, key string, id int64, now time.Time, failed bool) (bool, error) {
	return c.st.ReleaseAttempt(ctx, c.rule, []byte(key), id, now, failed)
}

func (c sharedCounter) failure(ctx context.Context, key string, now time.Time) (bool, error) {
	return c.st.RecordFailure(ctx, c.rule, []byte(key), now)
}

// waits is counter.waiting of each table's key for at: the tables in
// the shared store are asked in one call (one round trip), since every
// request with a password asks.
func waits(ctx context.Context, shared storage.Throttle, ts []*table, at Attempt, now time.Time) ([]time.Duration, error) {
	out := make([]time.Duration, len(ts))
	var keys []storage.ThrottleKey
	var of []int
	for i, t := range ts {
		if c, ok := t.w.(sharedCounter); ok {
			keys = append(keys, storage.ThrottleKey{Rule: c.rule, Key: []byte(t.key(at))})
			of = append(of, i)
			continue
		}
		d, err := t.w.waiting(ctx, t.key(at), now)
		if err != nil {
			return nil, err
		}
		out[i] = d
	}
	if len(keys) > 0 {
		ds, err := shared.ThrottleWait(ctx, now, keys...)
		if err != nil {
			return nil, err
		}
		for j, i := range of {
			out[i] = ds[j]
		}
	}
	return out, nil
}

// newCounter is the counter of a rule of limit failures per window:
// in st when it is set, else in memory with at most maxEntries keys.
// A limit of 0 or less switches the rule off.
func newCounter(st storage.Throttle, name string, limit int, window time.Duration, maxEntries int) counter {
	switch {
	case limit <= 0:
		return (*failWindow)(nil)
	case st != nil:
		return sharedCounter{st: st, rule: storage.ThrottleRule{Name: name, Limit: limit, Window: window}}
	}
	return newFailWindow(limit, window, maxEntries)
}
