package storage

import (
	"errors"
	"fmt"
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
)

// UIDConflictError reports that another object in the same collection
// already carries the UID of the object being written (RFC 4791 5.3.2.1
// no-uid-conflict, RFC 6352 6.3.2.1).
type UIDConflictError struct {
	UID  string
	Name string // member name of the object that holds the UID
}

func (e *UIDConflictError) Error() string {
	return fmt.Sprintf("storage: uid %q already used by %q", e.UID, e.Name)
}
