package storage

import (
	"errors"
	"fmt"
	"time"
)

// Sentinel errors. Backends wrap them with %w so callers can use errors.Is.
var (
	// ErrNotFound: the account, collection, object, link, grant, app
	// password, session, token, organization, member, mail service,
	// mailbox, alias or mailbox link does not exist (an expired session
	// or token counts as gone).
	ErrNotFound = errors.New("storage: not found")
	// ErrExists: an account login, collection name, mount name, link ID,
	// app password ID, session ID, token hash, organization or mail
	// service ID, mail domain, or mailbox local part or alias is already
	// taken.
	ErrExists = errors.New("storage: already exists")
	// ErrPreconditionFailed: the caller's If-Match / If-None-Match
	// condition did not hold against the stored state, or a TOTP step was
	// not newer than the last accepted one (AcceptTOTPStep).
	ErrPreconditionFailed = errors.New("storage: precondition failed")
	// ErrInvalidSyncToken: the sync position is unknown to this
	// collection (pruned, from the future, or from an earlier incarnation).
	ErrInvalidSyncToken = errors.New("storage: invalid sync token")
	// ErrLimit: a quota would be exceeded, e.g. a mailbox already has the
	// most aliases its plan allows (AddAlias).
	ErrLimit = errors.New("storage: limit reached")
	// ErrLocked: the database is held by another process.
	ErrLocked = errors.New("storage: database is locked by another process")
	// ErrUnavailable: the database cannot be reached now (a connection
	// refused, broken or timed out, the server shutting down or out of
	// connections, a statement past its time limit). Nothing is known
	// about the state: the operation may be retried once the database is
	// back, which a backend notices by itself.
	ErrUnavailable = errors.New("storage: database unavailable")
)

// RetryUnavailable is the Retry-After every protocol answers with
// ErrUnavailable: long enough for a database restart or fail-over,
// short enough that clients come back soon after it.
const RetryUnavailable = 5 * time.Second

// UIDConflictError reports a write that the no-uid-conflict precondition
// of RFC 4791 5.3.2.1 and RFC 6352 6.3.2.1 forbids: another member of the
// collection already carries the UID being written, or the write would
// replace a member that carries another UID (a resource's UID never
// changes; a new UID is a new resource under a new name). An empty UID is
// never in conflict.
type UIDConflictError struct {
	UID  string // the UID being written
	Name string // member name of the object in the way
	// Held is Name's own UID when the write would replace Name with
	// another UID; empty when Name is another member that holds UID.
	Held string
}

func (e *UIDConflictError) Error() string {
	if e.Held != "" {
		return fmt.Sprintf("storage: %q holds uid %q, not %q", e.Name, e.Held, e.UID)
	}
	return fmt.Sprintf("storage: uid %q already used by %q", e.UID, e.Name)
}

// CheckUIDChange is the no-uid-conflict rule for a write that replaces
// member name, whose UID is held, with an object carrying uid: nil, or
// the *UIDConflictError naming the member. Backends call it inside the
// write transaction.
func CheckUIDChange(name, held, uid string) error {
	if held != "" && uid != "" && held != uid {
		return &UIDConflictError{UID: uid, Name: name, Held: held}
	}
	return nil
}

// BatchError is the error of a WriteBatch whose op Index failed: Err is
// what that op alone would have returned. Nothing of the batch was
// written.
type BatchError struct {
	Index int
	Err   error
}

func (e *BatchError) Error() string {
	return fmt.Sprintf("storage: batch op %d: %v", e.Index, e.Err)
}

func (e *BatchError) Unwrap() error { return e.Err }
