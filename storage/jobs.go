package storage

import (
	"context"
	"time"
)

// Import jobs
//
// An import job copies one or two mailboxes of other providers, over
// IMAP, into one of almanac's mailboxes, in the background. Its record
// is the whole truth about it: a server that restarts reads the jobs
// that have not ended and carries on from the progress they hold.

// States of an import job and of each of its sources.
const (
	ImportQueued    = "queued"    // waiting for a worker: new, interrupted, or between attempts
	ImportRunning   = "running"   // a worker copies it now
	ImportDone      = "done"      // every message was copied or was there already
	ImportPartial   = "partial"   // it ended with messages or folders not copied
	ImportFailed    = "failed"    // it ended without copying anything
	ImportCancelled = "cancelled" // its owner stopped it
)

// ImportEnded reports whether state is one a job or source ends in.
func ImportEnded(state string) bool {
	switch state {
	case ImportDone, ImportPartial, ImportFailed, ImportCancelled:
		return true
	}
	return false
}

// ImportJob is one import: sources copied one after the other into one
// destination mailbox.
type ImportJob struct {
	ID    string // set by CreateImportJob when empty (random, URL-safe)
	Owner string // Account.ID of who started it
	// Batch is shared by the jobs of one CSV upload; "" for a single
	// import.
	Batch string
	// The destination mailbox, and its address as it was when the job
	// was made (the confirmation mail's recipient).
	Service, LocalPart string
	Destination        string
	State              string // one of the Import* states
	// Cancel is set when the owner asks to stop it; the worker stops at
	// its next step.
	Cancel   bool
	Sources  []ImportSource
	Created  time.Time // set by CreateImportJob when zero
	Updated  time.Time // set by every write
	Finished time.Time // when it ended; zero before
	// Notified is set once the confirmation mail went out, so that a
	// restart does not send it twice.
	Notified bool
}

// ImportSource is one mailbox to copy and how far the copy got.
type ImportSource struct {
	Address  string
	Host     string
	Port     int
	Security string // "tls", "starttls" or "none" (validated by the caller)
	// Secret is the source password sealed with a key that is not in the
	// store; nil once the job has ended. Never logged.
	Secret   []byte
	State    string
	Attempts int       // connections that failed, for the back-off
	RetryAt  time.Time // no new attempt before; zero: at once
	Error    string    // why the last attempt failed, in words for the user
	Folders  []ImportFolder
}

// ImportFolder is the progress of one source folder.
type ImportFolder struct {
	Name        string // on the source
	Destination string // on the destination
	// SpecialUse is the RFC 6154 role the folder was copied for
	// ("\Sent", "\All", ...), "" for an ordinary folder.
	SpecialUse                     string
	Found, Copied, Skipped, Failed int
	Bytes                          int64 // of the messages copied
	// UIDValidity and LastUID are the source's: every message up to
	// LastUID is accounted for in the counts.
	UIDValidity, LastUID uint32
	// DestUIDValidity and DestUIDNext are the destination folder's
	// before the first message was appended to it, so that what was
	// appended before a restart is told from what was there before.
	DestUIDValidity, DestUIDNext uint32
	Done                         bool
	Errors                       []string // the first failures, in words
}

// Jobs is the background work that outlives a request: import jobs.
type Jobs interface {
	// CreateImportJob stores j, filling ID (random) when empty, Created
	// when zero and Updated, and writes them back into *j. ErrNotFound
	// without the owner account; ErrExists when an explicit ID is taken.
	CreateImportJob(ctx context.Context, j *ImportJob) error
	ImportJob(ctx context.Context, id string) (*ImportJob, error) // ErrNotFound
	// ImportJobsOf returns owner's jobs ordered by Created, then ID;
	// empty when none (also for an unknown account).
	ImportJobsOf(ctx context.Context, owner string) ([]ImportJob, error)
	// UnfinishedImportJobs returns every job whose State has not ended,
	// ordered by Created, then ID: what a starting server resumes.
	UnfinishedImportJobs(ctx context.Context) ([]ImportJob, error)
	// UpdateImportJob reads job id, calls change on it and writes the
	// result in one transaction (change's error aborts and is returned),
	// setting Updated; ID, Owner and Created stay. change may run more
	// than once, each time on a fresh read: it must depend only on the
	// job it is given. ErrNotFound.
	UpdateImportJob(ctx context.Context, id string, change func(*ImportJob) error) (*ImportJob, error)
}
