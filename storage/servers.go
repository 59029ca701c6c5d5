package storage

import (
	"context"
	"time"
)

// Exclusive lets one of the servers sharing a store run a task at a
// time: background work that two servers must not do at once (copying
// one mail import twice, two backups of one database). It is an
// optional role: a store one process owns (bolt) does not need it.
type Exclusive interface {
	// Exclusively runs fn while this server alone holds the store-wide
	// lock name, waiting for the lock first. fn's context ends when ctx
	// does, or when the lock is lost (the connection holding it broke:
	// another server may take it at once); the lock is then sought
	// again, and fn run again once it is held, until ctx is done. It
	// returns when ctx is done and fn has returned.
	Exclusively(ctx context.Context, name string, fn func(context.Context))
}

// Signals tells the servers sharing a store that something they keep
// outside it changed: the mail server files one writes after a mailbox
// change made through another, the jobs one runs after an import was
// asked for through another. It is an optional role, like Exclusive.
type Signals interface {
	// Signal tells every server listening to topic, this one included.
	// Call it after the change is stored: a listener reads the store
	// when told.
	Signal(ctx context.Context, topic string) error
	// Listen calls fn after each signal of topic until ctx is done. A
	// signal sent while the listener was not connected is lost, so fn
	// is also called after each (re)connection: fn must not assume a
	// change, only look. fn runs on Listen's goroutine and should not
	// block.
	Listen(ctx context.Context, topic string, fn func())
}

// Stash holds short-lived values for every server sharing a store: a
// file uploaded for a preview through one server and confirmed through
// another. It is an optional role, like Exclusive; without it a server
// keeps such values in its memory.
type Stash interface {
	// PutStash stores value under key with tag until expires, replacing
	// what key held. The values stored together stay within maxBytes:
	// those that expire first are dropped to make room (a value larger
	// than maxBytes alone is kept alone).
	PutStash(ctx context.Context, key string, tag, value []byte, now, expires time.Time, maxBytes int64) error
	// TakeStash removes and returns the value under key when its tag is
	// tag and it has not expired at now; ErrNotFound, changing nothing,
	// when there is none or its tag differs.
	TakeStash(ctx context.Context, key string, tag []byte, now time.Time) ([]byte, error)
}
