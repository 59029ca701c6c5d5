package storage

import "time"

// Moving a store from one backend to another (almanac migrate) cannot go
// through the Store methods: they stamp their own times, counters and
// incarnations, and a client would see every ETag-bearing collection as
// new. A backend that can be moved from instead reads its records as
// they are stored and hands them, decoded, to a Sink, which a backend
// that can be moved to writes as its own rows.

// LoggedChange is one record of a collection's change log as stored: the
// latest write of member Name, a tombstone when Deleted.
type LoggedChange struct {
	Name    string
	Seq     uint64
	Deleted bool
	// Written dates the change for PruneChanges. A backend that did not
	// record it dates it as PruneChanges would (the bolt backend's
	// records from before the time was kept).
	Written time.Time
}

// Sink receives every record of a store, parents before what refers to
// them: accounts; each collection followed by its members and its change
// log; then links, grants, app passwords, sessions, tokens,
// organizations, members, mail services, mailboxes (with their aliases),
// mailbox links, import jobs, responder templates, responders and sending
// addresses. Every value is as stored: Created, Modified, Seq, Pruned,
// Incarnation and the statistics are kept, not stamped anew.
type Sink interface {
	Account(*Account) error
	Collection(*Collection) error
	// Object is a member of the collection last passed to Collection,
	// with its timeline (the zero Timeline outside calendars).
	Object(*Object, Timeline) error
	// Change is a record of the change log of the collection last passed
	// to Collection.
	Change(LoggedChange) error
	Link(*Link) error
	Grant(*Grant) error
	AppPassword(*AppPassword) error
	Session(*Session) error
	Token(*Token) error
	Organization(*Organization) error
	Member(Member) error
	MailService(*MailService) error
	Mailbox(*Mailbox) error
	MailboxLink(*MailboxLink) error
	ImportJob(*ImportJob) error
	ResponderTemplate(*ResponderTemplate) error
	Responder(*Responder) error
	SendingAddress(*SendingAddress) error
}
