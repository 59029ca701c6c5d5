package storage

import (
	"context"
	"io"
)

// Maintenance is what an operator runs on the whole store: a consistent
// copy for backups and a check of the store's own invariants. A backend
// keeps both to itself, since what a consistent copy is and which
// invariants hold depend on how it stores things.
type Maintenance interface {
	// Snapshot starts a copy of the whole store as it is now. Writers
	// go on meanwhile and the copy does not see them; the caller writes
	// it out with WriteTo and must Close it, also after an error.
	Snapshot(ctx context.Context) (Snapshot, error)
	// Check verifies the store: the backend's own structure (a bbolt
	// file's pages) and the invariants its methods keep (every object in
	// its indexes, every counter ahead of its change records, every
	// index entry pointing at its record, every reference pointing at
	// something that exists). It calls report for each problem, in a
	// stable order, reads one consistent state, and may run while
	// writers go on. The error is for a check that could not run, not
	// for what it found.
	Check(ctx context.Context, report func(Problem)) (CheckStats, error)
}

// Snapshot is a copy of a store being taken.
type Snapshot interface {
	// Info describes what WriteTo writes, read from the same state.
	Info() SnapshotInfo
	// WriteTo writes the copy, exactly Info().Size bytes; it may be
	// called once. The caller stops it by failing a Write.
	io.WriterTo
	// Close releases what the copy holds.
	Close() error
}

// SnapshotInfo describes a snapshot.
type SnapshotInfo struct {
	// Backend names the format of the copy, which only that backend's
	// restore reads: "bolt" is a bbolt database file.
	Backend string
	// Schema is the backend's schema version of the copy.
	Schema string
	// Size is the number of bytes WriteTo writes.
	Size int64
	// Counts of what the copy holds, for the operator to see at a glance.
	Accounts, Collections, Objects int
}

// Problem is one thing Check found wrong, in words for an operator.
type Problem struct {
	// Where names the record or part of the store: "file",
	// "collection jane/default", "link abc".
	Where string
	// What says what is wrong with it.
	What string
}

func (p Problem) String() string { return p.Where + ": " + p.What }

// CheckStats counts what Check went through.
type CheckStats struct {
	Accounts, Collections, Objects int
	Links, Grants                  int
	Organizations, MailServices    int
	Mailboxes                      int
}
