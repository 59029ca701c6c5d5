package storage

import (
	"context"
	"time"
)

// Stats is what a store holds, for monitoring: read on a metrics scrape,
// so a backend answers from counts it keeps or cheap walks, never by
// reading object data.
type Stats struct {
	// Bytes is the size of the database; FreeBytes the part of it that
	// holds nothing and is reused by later writes.
	Bytes, FreeBytes int64
	Accounts         int64
	Collections      int64 // calendars and address books
	Objects          int64 // members of all collections
	Links            int64 // public links
}

// CommitObserver is told about every write transaction a store commits:
// how many writes it carried (a group commit carries several) and how
// long it took, fsync included. A transaction that rolls back (a failed
// precondition, a write that is not made) is not reported. It is called
// on the store's own goroutines and must not block.
type CommitObserver interface {
	Committed(writes int, d time.Duration)
}

// Observable is what a store offers to monitoring beyond Store. It is
// optional: the server reports what a store implements.
type Observable interface {
	Stats(ctx context.Context) (Stats, error)
	// ObserveCommits reports later commits to o (nil: to nobody).
	ObserveCommits(o CommitObserver)
}
