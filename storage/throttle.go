package storage

import (
	"context"
	"time"
)

// ThrottleRule is one limit on failed checks of a secret: at most Limit
// failures per Window for one key. Name tells rules apart in the store
// (keys of different rules never meet); the caller chooses it and keeps
// it stable, since a renamed rule starts counting afresh.
type ThrottleRule struct {
	Name   string
	Limit  int
	Window time.Duration
}

// ThrottleKey is one key of one rule.
type ThrottleKey struct {
	Rule ThrottleRule
	Key  []byte
}

// ThrottleHold is how long a reserved attempt counts against its key
// when it is never released (its server died during the check).
const ThrottleHold = 2 * time.Minute

// Throttle counts failed checks of secrets for every server sharing the
// store, so that a guesser meets the same limits whichever server a load
// balancer sends it to (package auth, doc.go # Throttling). It is an
// optional role: a store that serves one process (bolt) does not offer
// it, and the counters then stay in that process's memory.
//
// Keys are opaque bytes (the caller's, NUL included). Times are the
// caller's clock; each method's now is the time of the event.
type Throttle interface {
	// ReserveAttempt holds one attempt for key under r, atomically with
	// respect to every other caller on every server: when the failures
	// of key less than r.Window old and the attempts still held number
	// r.Limit or more together, it holds nothing (hold is 0) and returns
	// the time until the oldest of the newest r.Limit failures leaves the
	// window, at least a second (held attempts end within seconds).
	// Otherwise it returns the hold's id, which counts against key until
	// ReleaseAttempt or for ThrottleHold.
	ReserveAttempt(ctx context.Context, r ThrottleRule, key []byte, now time.Time) (hold int64, retry time.Duration, err error)
	// ReleaseAttempt ends a hold of ReserveAttempt, recording a failure
	// at now when failed. reached reports that this failure is the one
	// that brought key to r.Limit failures within r.Window.
	ReleaseAttempt(ctx context.Context, r ThrottleRule, key []byte, hold int64, now time.Time, failed bool) (reached bool, err error)
	// RecordFailure records a failure that held nothing; reached as for
	// ReleaseAttempt.
	RecordFailure(ctx context.Context, r ThrottleRule, key []byte, now time.Time) (reached bool, err error)
	// ThrottleWait returns, for each of keys, the time until one more
	// failure fits in its rule's window (held attempts not counted); 0
	// when it fits now. Several keys are read at once because every
	// request with a password asks about each rule of its kind.
	ThrottleWait(ctx context.Context, now time.Time, keys ...ThrottleKey) ([]time.Duration, error)
}
