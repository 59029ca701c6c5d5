package storage

import (
	"context"
	"time"
)

// Responders
//
// A mailbox has any number of saved automatic replies ("out of office"
// responders), at most one of them active; a Mail Service has templates
// its managers copy into mailboxes; an account has sending addresses it
// proved it receives mail at. What the fields may hold (lengths, dates,
// addresses) is checked by the caller (package mailbox).

// ResponderSettings is what a responder and a template say and when.
type ResponderSettings struct {
	Name    string // the owner's name for it
	Subject string // "" lets the mail server choose
	Text    string // plain-text message
	HTML    string // optional HTML alternative; "" none
	// TimeZone is the IANA zone Start, End and Weekdays are read in.
	TimeZone string
	// Start and End are wall-clock times "2006-01-02T15:04:05" in
	// TimeZone; "" is open on that side. End is exclusive.
	Start, End string
	// Weekdays are the days it answers on; empty: every day. Stored
	// sorted without duplicates; an empty list reads back as nil.
	Weekdays []time.Weekday
	// From is the address the reply is sent from; "" the mailbox's.
	From string
	// Exclusions are senders never answered: addresses, or "@domain"
	// for a whole domain. An empty list reads back as nil.
	Exclusions []string
}

// Responder is one saved automatic reply of a mailbox.
type Responder struct {
	ResponderSettings
	ID        string // set by CreateResponder (random, URL-safe)
	Service   string // MailService.ID
	LocalPart string // the mailbox's LocalPart as created
	Active    bool
	// Handle names the reply to the mail server's once-per-sender
	// memory (RFC 5230 4.7): a new handle answers everyone afresh.
	// CreateResponder sets a random one when empty.
	Handle string
	// Template is the ID of the template it was copied from, if any.
	Template string
	Created  time.Time // set by CreateResponder
	Updated  time.Time // set by every write
}

// ResponderTemplate is a responder a manager saved for a Mail Service,
// to copy into its mailboxes.
type ResponderTemplate struct {
	ResponderSettings
	ID      string // set by CreateResponderTemplate (random, URL-safe)
	Service string // MailService.ID
	// Default templates are copied into every mailbox created in the
	// service; at most one template of a service is the default.
	Default bool
	Created time.Time // set by CreateResponderTemplate
	Updated time.Time // set by every write
}

// SendingAddress is an address an account asked to send automatic
// replies from. It is usable once Verified is set: the account proved it
// reads mail there by sending back the code mailed to it.
type SendingAddress struct {
	Account string // Account.ID
	Address string // stored lower case; unique per account
	// CodeHash is the hash of the code mailed (the caller hashes); ""
	// once verified. Never logged.
	CodeHash    string
	CodeExpires time.Time
	Verified    time.Time // zero: not yet
	Created     time.Time // set by PutSendingAddress on create
}

// Responders is the automatic replies of mailboxes, the templates of
// Mail Services and the sending addresses of accounts.
type Responders interface {
	// CreateResponders stores rs in one transaction, all or none,
	// filling ID, Handle (when empty), Created and Updated, and writes
	// the stored responders back into rs. A responder created Active
	// makes every other responder of its mailbox inactive, so that of
	// several active ones given for one mailbox the last stays active.
	// ErrNotFound when a mailbox is missing; ErrLimit when a mailbox
	// would have more than max responders (max < 0: no limit).
	CreateResponders(ctx context.Context, rs []Responder, max int) error
	// Responder returns responder id of the mailbox; ErrNotFound.
	Responder(ctx context.Context, service, local, id string) (*Responder, error)
	// Responders returns the mailbox's responders ordered by Created,
	// then ID; ErrNotFound without the mailbox.
	Responders(ctx context.Context, service, local string) ([]Responder, error)
	// UpdateResponder replaces the ResponderSettings of the stored
	// responder (r.Service, r.LocalPart, r.ID), keeps the other fields,
	// sets Updated and writes the result back into *r. ErrNotFound.
	UpdateResponder(ctx context.Context, r *Responder) error
	// SetResponderActive makes the responder active, and every other
	// responder of its mailbox inactive, in one transaction; with
	// active false it makes only this one inactive. ErrNotFound.
	SetResponderActive(ctx context.Context, service, local, id string, active bool) (*Responder, error)
	// ResetResponder gives the responder a new Handle. ErrNotFound.
	ResetResponder(ctx context.Context, service, local, id, handle string) (*Responder, error)
	// DeleteResponder removes the responder; ErrNotFound.
	DeleteResponder(ctx context.Context, service, local, id string) error
	// ActiveResponders returns every active responder of the store,
	// ordered by Service, then lower-cased LocalPart, for writing the
	// mail server's scripts.
	ActiveResponders(ctx context.Context) ([]Responder, error)

	// CreateResponderTemplate stores t, filling ID, Created and Updated,
	// and writes it back into *t; a Default template stops being one
	// any other template of the service was. ErrNotFound without the
	// service; ErrLimit when the service has max templates already.
	CreateResponderTemplate(ctx context.Context, t *ResponderTemplate, max int) error
	ResponderTemplate(ctx context.Context, service, id string) (*ResponderTemplate, error) // ErrNotFound
	// ResponderTemplates returns the service's templates ordered by
	// Created, then ID; ErrNotFound without the service.
	ResponderTemplates(ctx context.Context, service string) ([]ResponderTemplate, error)
	// UpdateResponderTemplate replaces the settings and Default of the
	// stored template (t.Service, t.ID) as CreateResponderTemplate
	// would store them, keeps Created, sets Updated and writes the
	// result back into *t. ErrNotFound.
	UpdateResponderTemplate(ctx context.Context, t *ResponderTemplate) error
	DeleteResponderTemplate(ctx context.Context, service, id string) error // ErrNotFound

	// PutSendingAddress stores s.Address (lower-cased) for s.Account
	// with s.CodeHash and s.CodeExpires and no Verified time: a new
	// address, or a new code for one already there (which is then
	// unverified until confirmed again). Created is set on create; the
	// stored record is written back into *s. ErrNotFound without the
	// account; ErrLimit when the account has max addresses already.
	PutSendingAddress(ctx context.Context, s *SendingAddress, max int) error
	// SendingAddresses returns account's addresses ordered by Address;
	// empty when none (also for an unknown account).
	SendingAddresses(ctx context.Context, account string) ([]SendingAddress, error)
	// VerifySendingAddress marks the address verified at when, and
	// forgets its code, if codeHash is its code's hash (compared in
	// constant time) and the code has not expired at when; the code is
	// then used up. ErrNotFound when the address is missing, already
	// verified or the code does not match or has expired.
	VerifySendingAddress(ctx context.Context, account, address, codeHash string, when time.Time) (*SendingAddress, error)
	DeleteSendingAddress(ctx context.Context, account, address string) error // ErrNotFound
}
