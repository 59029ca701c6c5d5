package storage

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"time"
)

// Account is a user of the server. ID is the stable handle used in URLs;
// Login (an email address) may change without moving any URL.
type Account struct {
	ID           string
	Login        string // stored in the case the user gave; unique case-insensitively
	DisplayName  string
	PasswordHash string // PHC-encoded argon2id; never logged
	Created      time.Time

	// Account security. Records written before these fields existed read
	// back with their zero values.
	RecoveryEmail string // where recovery links go; "" none
	Mobile        string // E.164 number for recovery SMS; "" none
	// TOTPSecret is the base32 RFC 6238 secret, stored as is (verifying a
	// code needs it); "" when 2FA was never set up. Never logged.
	TOTPSecret   string
	TOTPEnabled  bool  // the secret was confirmed and 2FA is on
	TOTPLastStep int64 // last accepted TOTP time step (replay protection)
	// RecoveryCodes holds hashes of the unused 2FA recovery codes; an empty
	// list reads back as nil.
	RecoveryCodes   []string
	PasswordChanged time.Time

	// Admin lets the account manage other accounts over /api/v1/admin.
	Admin bool
	// Disabled accounts cannot log in by any means (password, app
	// password, session); their data stays until they are re-enabled or
	// deleted.
	Disabled bool
}

// Kind tells calendars from address books.
type Kind uint8

const (
	KindCalendar Kind = iota + 1
	KindAddressBook
	// KindScheduleInbox is an account's scheduling inbox (RFC 6638
	// 2.2): the iTIP messages delivered to it. Several messages may be
	// about one event, so its members are written without a UID (the
	// collection's UID index stays empty).
	KindScheduleInbox
)

func (k Kind) String() string {
	switch k {
	case KindCalendar:
		return "calendar"
	case KindAddressBook:
		return "addressbook"
	case KindScheduleInbox:
		return "schedule-inbox"
	}
	return "unknown"
}

// Collection is a calendar or address book owned by one account.
type Collection struct {
	Owner string // Account.ID
	Name  string // URL segment, unique per owner across both kinds
	Kind  Kind
	// Incarnation is random per creation, so sync tokens of a deleted
	// collection never validate against a new one of the same name.
	Incarnation string
	// Seq is the per-collection change counter: getctag and sync token.
	Seq uint64
	// Pruned is the lowest sequence a sync token may carry; older tokens
	// get ErrInvalidSyncToken.
	Pruned uint64
	// Components restricts the component types a calendar accepts
	// (VEVENT, VTODO, ...). Empty means all.
	Components []string
	// Props holds dead and writable properties keyed by Clark notation
	// "{namespace}local", each value the inner XML of the property as the
	// client sent it.
	Props    map[string]string
	Created  time.Time
	Modified time.Time // last member write, move or delete, or property change (feeds' Last-Modified)
}

// Span is the stretch of time an object's instances occupy, computed on
// write so calendar-query can skip objects outside a time range without
// reading or parsing them (RFC 4791 9.9). It is conservative: every
// instance lies within it, but not every moment within it has one.
type Span struct {
	Known bool      // false: no span recorded (address books, old data); always a candidate
	Start time.Time // UTC, inclusive
	End   time.Time // UTC, exclusive; zero when Open
	Open  bool      // the object recurs without end
}

// Overlaps reports whether the span may have an instance in [start, end);
// a zero start or end is unbounded on that side.
func (s Span) Overlaps(start, end time.Time) bool {
	if !s.Known {
		return true
	}
	if !end.IsZero() && !s.Start.Before(end) {
		return false
	}
	// End == start still overlaps: a zero-length instance at the range
	// start matches (RFC 4791 9.9), and a prefilter may over-include.
	if !start.IsZero() && !s.Open && s.End.Before(start) {
		return false
	}
	return true
}

// Timeline is when a calendar object's instances take place, stored on
// write beside the object (and kept in the same transaction by every
// write: Put, PutBatch, Transfer, Delete) so that a time-range query reads only the
// objects whose instances reach into its range, and answers from the
// index alone when it asks for metadata only (Between). The calendar
// layer computes it and decides what its periods mean; the store keeps
// them and finds them by time.
type Timeline struct {
	// Known is false when the writer could not list the instances: the
	// object is then reported as incomplete by every Between.
	Known bool
	// Periods are the instances' [Start, End), UTC, in order of start;
	// End equals Start for an instant. Stores keep whole seconds: a start
	// is rounded down, an end up.
	Periods []Period
	// From and Until bound what Periods holds: every instance overlapping
	// [From, Until) is there. Zero From: since the first instance; zero
	// Until: up to the last. A time-range reaching outside them is not
	// answered by the periods alone (Between reports the member
	// incomplete).
	From, Until time.Time
	// Tag is the writer's, stored and handed back with every period: the
	// calendar layer records the component type and whether times float.
	Tag uint8
	// Renew asks for the timeline to be computed again: once Until is
	// before the time DueTimelines is asked about (a series without end
	// recorded up to a horizon that time overtakes) or, when not Known,
	// at the next DueTimelines.
	Renew bool
}

// MaxTimelinePeriods bounds the periods a store keeps of one timeline,
// so that an object's index cannot grow with what its rules ask for. A
// store may keep fewer (bolt also bounds the weeks they cover): it then
// sets Until to the start of the first period it drops and Renew to
// false, as if the writer had stopped there.
const MaxTimelinePeriods = 1024

// Period is one stretch of a Timeline: [Start, End), or the instant
// Start when End equals it.
type Period struct{ Start, End time.Time }

// Overlaps is RFC 4791 9.9's test of p against [from, to), a zero side
// unbounded: from < End and to > Start; for an instant, from <= Start and
// to > Start.
func (p Period) Overlaps(from, to time.Time) bool {
	if !to.IsZero() && !to.After(p.Start) {
		return false
	}
	if from.IsZero() {
		return true
	}
	if p.End.After(p.Start) {
		return from.Before(p.End)
	}
	return !from.After(p.Start)
}

// Take is what TimeQuery.Want decides for a member offered to it.
type Take uint8

const (
	// TakeNo passes: Between goes on offering the member's other
	// periods, then, if they leave the range unanswered, the member
	// itself as incomplete.
	TakeNo Take = iota
	// TakeRead reports the member with its metadata; the caller reads
	// and matches its bytes.
	TakeRead
	// TakeMatch reports the member as matching, with its metadata, or
	// its name and ETag alone when the query asks for no more
	// (TimeQuery.ETags).
	TakeMatch
)

// Rule is what TimeQuery.Want answers for every stored period of one
// tag, decided ahead (TimeQuery.Rules).
type Rule uint8

const (
	RuleAsk   Rule = iota // no rule: call Want
	RuleNo                // TakeNo
	RuleRead              // TakeRead
	RuleExact             // TakeMatch when the period overlaps Exact (Period.Overlaps), else TakeNo
)

// TimeQuery is what Between looks for.
type TimeQuery struct {
	// From and To are the range [From, To); a zero side is unbounded.
	From, To time.Time
	// Want decides which members Between reports and how. It is called
	// inside a read transaction, so it must be quick and do no I/O, and
	// name is valid only during the call: for each stored period of a
	// member that overlaps [From, To)
	// (Period.Overlaps), with the timeline's Tag and incomplete false;
	// then, when the member's periods do not answer for all of [From,
	// To) (no timeline known, or From before its From or To after its
	// Until), with a zero period and incomplete true. Between stops
	// offering a member at the first answer that is not TakeNo, and
	// reports each member at most once, with that answer.
	Want func(name []byte, p Period, tag uint8, incomplete bool) Take
	// Rules, when set, tell what Want answers for a stored period of
	// each tag (Want must answer the same), so that a store may decide
	// without calling Want for each period: at 100,000 events a week's
	// query offers ten thousand periods, and the calls were a seventh
	// of its cost. Exact.Start and Exact.End are the range RuleExact
	// tests a period against (Period.Overlaps; a zero side unbounded).
	Rules *[256]Rule
	Exact Period
	// ETags, when set, tells Between that of a member taken with
	// TakeMatch the caller needs only the name and ETag: Between may then
	// call ETags with them instead of its fn, without reading the
	// member's metadata, outside any transaction. name and etag are
	// valid only during the call. A week's answer at 100,000 events
	// names thousands of members; this way it costs no metadata lookup
	// and no allocation per member. Only members whose name and ETag are
	// PlainMember come this way, so that the caller may write them into
	// its answer without escaping; others go to fn with their metadata.
	ETags func(name, etag []byte) error
}

// TimelineDue is a member whose timeline should be computed again
// (DueTimelines).
type TimelineDue struct {
	Owner, Collection, Name, ETag string
}

// TimelineSet replaces the timeline of member Name when its ETag is
// still ETag (SetTimelines).
type TimelineSet struct {
	Name, ETag string
	Timeline   Timeline
}

// ObjectMeta is everything about an object except its bytes; listing it
// never touches object data.
type ObjectMeta struct {
	Name        string // member name, e.g. "abc.ics"
	UID         string
	Component   string // VEVENT, VTODO, VCARD, ...
	ContentType string // media type without parameters, e.g. text/calendar
	ETag        string // strong, quoted: "\"...\""
	Size        int64
	Modified    time.Time
	Seq         uint64 // collection sequence of the last write
	Span        Span
	// ScheduleTag is the CALDAV:schedule-tag of a scheduling object
	// resource (RFC 6638 3.2.10), "" for any other object: the writer
	// chooses it, and Transfer carries it along.
	ScheduleTag string
}

// Object is a stored calendar object or vCard with its exact bytes.
type Object struct {
	ObjectMeta
	Data []byte
}

// Precondition is evaluated inside the write transaction against the
// current state of the target: exists tells whether an object is stored
// under the name, etag is its current ETag (empty when it does not exist).
// Returning false makes the write fail with ErrPreconditionFailed and
// change nothing. A nil Precondition always holds.
type Precondition func(exists bool, etag string) bool

// PutObject describes one object write.
type PutObject struct {
	Owner, Collection, Name string
	UID                     string
	Component               string
	ContentType             string
	Span                    Span
	ScheduleTag             string // stored as given; "" for none
	// Timeline is indexed in calendar collections (Between); the zero
	// value is an unknown one.
	Timeline Timeline
	Data     []byte
	If       Precondition
}

// DeleteObject describes one object deletion of a WriteBatch.
type DeleteObject struct {
	Owner, Collection, Name string
	If                      Precondition // sees the object as existing with its ETag
}

// BatchOp is one write of a WriteBatch: Put when it is set, else Delete.
type BatchOp struct {
	Put    *PutObject
	Delete *DeleteObject
}

// BatchResult is what one op of a WriteBatch did: for a Put the stored
// metadata and whether the object was new; nothing for a Delete.
type BatchResult struct {
	Meta    *ObjectMeta
	Created bool
}

// PutResult is what PutBatch did with one PutObject: the metadata it
// stored and whether the object was new.
type PutResult struct {
	Meta    *ObjectMeta
	Created bool
}

// UIDMatch is an object found by its UID in one of an account's
// collections.
type UIDMatch struct {
	Collection string
	Kind       Kind
	Meta       ObjectMeta
}

// Transfer describes a MOVE or COPY of one object.
type Transfer struct {
	FromOwner, FromCollection, FromName string
	ToOwner, ToCollection, ToName       string
	If                                  Precondition // on the source
	Overwrite                           bool         // false: an existing destination is ErrPreconditionFailed
	Copy                                bool         // keep the source
}

// Change is one entry of a collection's change log.
type Change struct {
	Name    string
	Seq     uint64
	Deleted bool
	ETag    string // current ETag when not deleted
}

// PruneStats reports what one PruneChanges call did.
type PruneStats struct {
	Collections int // collections whose Pruned moved forward
	Tombstones  int // deletions forgotten
}

// Link is a public, read-only link to a collection (issue: public calendar
// feeds). The token in its URL is derived from ID by package sharing with a
// key that is not in the store; the store holds no token.
type Link struct {
	ID         string    // random, URL-safe, chosen by the caller (sharing); unique
	Owner      string    // account ID
	Collection string    // name of one of Owner's collections
	Label      string    // the owner's name for the link
	Tier       string    // "full", "limited" or "busy" (validated by the caller)
	Components []string  // component types published; nil (or empty) = all
	PastDays   *int      // window start: today minus PastDays; nil = unbounded
	FutureDays *int      // window end: today plus FutureDays; nil = unbounded
	Expires    time.Time // zero = never
	Created    time.Time // set by CreateLink and ReplaceLink
	Updated    time.Time // set by CreateLink, UpdateLink and ReplaceLink
	// Version is 1 on create and grows by one with every UpdateLink; feeds
	// key caches and ETags on it. AddFetches leaves it alone.
	Version uint64
	// Fetch statistics, only changed by AddFetches.
	Fetches       uint64
	LastFetched   time.Time
	LastUserAgent string
}

// FetchStat is a batch of fetches of one link, flushed from memory.
type FetchStat struct {
	ID        string
	Count     uint64
	Last      time.Time
	UserAgent string // of the last fetch
}

// Access levels of a grant.
const (
	AccessRead      = "read"
	AccessReadWrite = "read-write"
)

// Grant opens one account's collection to another account (sharing).
// A grant is identified by (Owner, Collection, Sharee) and, in the
// sharee's home, by (Sharee, Mount).
type Grant struct {
	Owner      string // account ID of the collection's owner
	Collection string // the owner's collection name
	Sharee     string // account ID the collection is shared with
	Access     string // AccessRead or AccessReadWrite (validated by the caller)
	// ShowPrivate lets a read-only sharee see CLASS:PRIVATE and CONFIDENTIAL
	// events as they are (read grants hide them by default).
	ShowPrivate bool
	// Mount is the collection's name in the sharee's home (its URL segment there);
	// unique among the sharee's own collections and mounts.
	Mount string
	// Props holds the sharee's own view of the collection: displayname, color,
	// order, keyed by Clark notation like Collection.Props.
	Props   map[string]string
	Created time.Time // set when PutGrant creates the grant
	Updated time.Time // set by every PutGrant; PatchGrantProps leaves it
}

// App password scopes (validated by the caller).
const (
	ScopeDAV  = "dav"
	ScopeFull = "full"
)

// AppPassword is a password for one client (a phone's calendar), shown once.
type AppPassword struct {
	ID         string    // public lookup part, unique per store
	Owner      string    // account ID
	Name       string    // the owner's name for it
	Hash       string    // hash of the whole password (the caller's scheme); never logged
	Scope      string    // ScopeDAV or ScopeFull (validated by the caller)
	Created    time.Time // set by CreateAppPassword
	LastUsed   time.Time // set by TouchAppPassword; zero = never used
	LastClient string    // set by TouchAppPassword, e.g. a User-Agent
}

// Session is a web or API login, found by its cookie.
type Session struct {
	ID        string    // hash of the cookie value (the caller hashes); unique
	Account   string    // account ID
	CSRF      string    // token state-changing requests must echo
	Created   time.Time // set by CreateSession
	Expires   time.Time // required; from then on the session is gone
	TwoFactor bool      // made with password and second factor
}

// Token is a one-time secret sent to the user: a password-reset link, a
// login-change code.
type Token struct {
	Hash    string    // hash of the secret (the caller hashes); unique
	Account string    // account ID
	Purpose string    // required, e.g. "password-reset", "login-change"
	Data    string    // purpose-specific (the new login)
	Expires time.Time // required; from then on the token is gone
}

// Mail services
//
// An organization holds Mail Services, one per domain; a service holds
// mailboxes, each with aliases, and accounts are linked to mailboxes with
// rights a manager grants. Domains, local parts and aliases compare case-
// insensitively: domains and aliases are stored lower case, a mailbox keeps
// its local part as created.

// Roles in an organization (validated by the caller).
const (
	RoleOwner   = "owner"
	RoleManager = "manager"
	RoleMember  = "member"
)

// Mailbox rights a Mail Service manager grants a linked account.
const (
	RightPassword  = "password"
	RightResponder = "responder"
	RightAliases   = "aliases"
)

// Organization owns Mail Services; accounts belong to it as members.
type Organization struct {
	ID      string // set by CreateOrganization when empty (random, URL-safe)
	Name    string
	Created time.Time // set by CreateOrganization when zero
}

// Member is an account's membership of an organization.
type Member struct {
	Org     string // Organization.ID
	Account string // Account.ID
	Role    string // RoleOwner, RoleManager or RoleMember
}

// MailService is mail hosting for one domain.
type MailService struct {
	ID     string // set by CreateMailService when empty (random, URL-safe)
	Org    string // Organization.ID
	Domain string // lower case, e.g. "domain.xyz"; stored lower case
	Plan   string // "free" or "standard" (validated by the caller)
	// AliasDomains are further domains of the service: x@alias.tld
	// delivers to x@Domain. Stored lower case, without duplicates, in
	// the order given; an empty list reads back as nil.
	AliasDomains []string
	Created      time.Time // set by CreateMailService when zero
	// IMAP and Submission are where this service's users' mail clients
	// connect, when they differ from the server's own settings (package
	// clientsetup): a zero MailEndpoint takes the server's. Stored as
	// given (the caller validates); records written before these fields
	// existed read back zero.
	IMAP, Submission MailEndpoint
}

// MailEndpoint is a server a mail client connects to for one protocol.
type MailEndpoint struct {
	Host     string // lower-case host name; "" means none set
	Port     int    // 0: the default port of Security
	Security string // "tls", "starttls" or "none" (validated by the caller); "" the default
}

// Mailbox is one mailbox of a Mail Service.
type Mailbox struct {
	Service string // MailService.ID
	// LocalPart is kept as created; it is unique case-insensitively
	// among the service's local parts and aliases.
	LocalPart    string
	PasswordHash string // Dovecot-verifiable hash (the caller's scheme); never logged
	// Aliases are further local parts delivering to the mailbox, lower
	// case, in the order added; an empty list reads back as nil.
	Aliases         []string
	Created         time.Time // set by CreateMailbox when zero
	PasswordChanged time.Time
}

// MailboxLink lets an account manage a mailbox within its rights.
type MailboxLink struct {
	Service   string    // MailService.ID
	LocalPart string    // the mailbox's LocalPart as created
	Account   string    // Account.ID
	Rights    []string  // subset of Right*, stored sorted without duplicates; empty reads back as nil
	Created   time.Time // set when PutMailboxLink creates the link
}

// Accounts is the account records: logins, names, password hashes and
// the security fields read at login.
type Accounts interface {
	CreateAccount(ctx context.Context, a *Account) error // ErrExists when the login is taken
	Account(ctx context.Context, id string) (*Account, error)
	AccountByLogin(ctx context.Context, login string) (*Account, error) // case-insensitive
	// UpdateAccount replaces every field of the stored account a.ID but
	// Created (written back into a.Created), keeping logins unique
	// (ErrExists). It writes what the caller read earlier, so a field
	// changed meanwhile by another writer is overwritten: use
	// AcceptTOTPStep and UseRecoveryCode on the login path.
	UpdateAccount(ctx context.Context, a *Account) error
	// ModifyAccount reads account id, calls change on it and writes the
	// result in one transaction (change's error aborts and is returned):
	// the way to change some fields without undoing a concurrent change
	// of others. Login uniqueness is kept as in UpdateAccount.
	ModifyAccount(ctx context.Context, id string, change func(*Account) error) (*Account, error)
	// DeleteAccount removes the account and all its collections, links,
	// grants (as owner and as sharee), app passwords, sessions, tokens,
	// organization memberships, mailbox links and import jobs.
	DeleteAccount(ctx context.Context, id string) error
	ListAccounts(ctx context.Context) ([]Account, error)
	// AccountsByMobile returns the accounts whose Mobile is exactly mobile
	// (the caller normalizes to E.164), ordered by ID; empty when none and
	// for "". It may scan all accounts.
	AccountsByMobile(ctx context.Context, mobile string) ([]Account, error)
}

// Security is what protects an account besides its password: second
// factors used once, app passwords, sessions and one-time tokens.
type Security interface {
	// AcceptTOTPStep atomically records step as account id's
	// TOTPLastStep if it is greater than the stored one, so a TOTP code is
	// accepted once even by concurrent logins. ErrPreconditionFailed when
	// step is not greater (a replayed or older code), ErrNotFound.
	AcceptTOTPStep(ctx context.Context, id string, step int64) error
	// UseRecoveryCode atomically removes hash from account id's
	// RecoveryCodes, so a code is used once even by concurrent logins.
	// ErrNotFound when the account does not exist or hash is not among
	// its codes (already used).
	UseRecoveryCode(ctx context.Context, id, hash string) error

	// App passwords
	// CreateAppPassword stores p, sets Created to now, clears LastUsed and
	// LastClient and writes the stored password back into *p. ErrNotFound
	// without owner account, ErrExists when the ID is taken.
	CreateAppPassword(ctx context.Context, p *AppPassword) error
	AppPassword(ctx context.Context, id string) (*AppPassword, error) // ErrNotFound
	// AppPasswords returns owner's app passwords ordered by Created, then
	// ID; empty when none, ErrNotFound without owner account.
	AppPasswords(ctx context.Context, owner string) ([]AppPassword, error)
	// DeleteAppPassword removes owner's app password id; ErrNotFound also
	// when id belongs to another account.
	DeleteAppPassword(ctx context.Context, owner, id string) error
	// DeleteAppPasswords removes all of owner's app passwords; ErrNotFound
	// without owner account.
	DeleteAppPasswords(ctx context.Context, owner string) error
	// TouchAppPassword records a use: LastUsed becomes when and LastClient
	// client, unless when is before the stored LastUsed (uses reported out
	// of order keep the latest). ErrNotFound, changing nothing, when the
	// password is gone. Callers should throttle it: each call is a write.
	TouchAppPassword(ctx context.Context, id string, when time.Time, client string) error

	// Sessions
	// CreateSession stores s, sets Created to now and writes it back into
	// *s; a zero Expires is refused (no sentinel). ErrNotFound without
	// the account, ErrExists when the ID is taken. It may drop the
	// account's expired sessions.
	CreateSession(ctx context.Context, s *Session) error
	// Session returns the session id; ErrNotFound also when it has
	// expired (Expires not after time.Now()).
	Session(ctx context.Context, id string) (*Session, error)
	DeleteSession(ctx context.Context, id string) error // ErrNotFound
	// DeleteSessions removes all of account's sessions except the one
	// with ID except ("" = none spared); ErrNotFound without the account.
	DeleteSessions(ctx context.Context, account, except string) error

	// One-time tokens
	// CreateToken stores t; a zero Expires or empty Purpose is refused (no
	// sentinel). ErrNotFound without the account, ErrExists when the hash
	// is taken. It may drop the account's expired tokens.
	CreateToken(ctx context.Context, t *Token) error
	// TakeToken atomically deletes and returns the token hash of the given
	// purpose, so exactly one of concurrent callers gets it. ErrNotFound
	// when it is missing, of another purpose (then it stays) or expired
	// (Expires not after time.Now(); then it is deleted).
	TakeToken(ctx context.Context, hash, purpose string) (*Token, error)
	// DeleteTokens removes account's tokens of purpose ("" = of every
	// purpose), e.g. so a new reset link voids the older ones. ErrNotFound
	// without the account.
	DeleteTokens(ctx context.Context, account, purpose string) error
}

// DAV is calendars and address books: collections, the objects in them
// and each collection's change log (RFC 6578).
type DAV interface {
	// Collections
	// CreateCollection fills Incarnation and Created. ErrNotFound without
	// owner account; ErrExists when the name is taken by one of the owner's
	// collections or by a grant mounted in the owner's home (Grant.Mount).
	CreateCollection(ctx context.Context, c *Collection) error
	Collection(ctx context.Context, owner, name string) (*Collection, error)
	ListCollections(ctx context.Context, owner string) ([]Collection, error)
	// PatchCollection applies all set and remove operations atomically.
	PatchCollection(ctx context.Context, owner, name string, set map[string]string, remove []string) (*Collection, error)
	DeleteCollection(ctx context.Context, owner, name string) error // and its links and grants
	// MoveCollection renames owner's collection from to to in one
	// transaction, with everything that is its: members, change log,
	// properties, Incarnation and Seq (so its sync tokens and ctag stay
	// valid under the new name), its grants (the sharees' mounts keep
	// their names and lead to it) and its public links (same IDs, so the
	// same URLs). Created and Modified stay. ErrNotFound when from does
	// not exist. ErrExists when to is from, or is taken in owner's home
	// by a collection or a grant's mount, unless replace is set and what
	// holds it is a collection of from's Kind or the mount of one: that
	// is then removed first, as DeleteCollection or DeleteGrant would,
	// and replaced is true.
	MoveCollection(ctx context.Context, owner, from, to string, replace bool) (replaced bool, err error)

	// Objects
	// Put writes an object; created reports whether it was new.
	Put(ctx context.Context, p PutObject) (meta *ObjectMeta, created bool, err error)
	// PutBatch writes puts in one transaction, all or none (an import
	// of a file): each as Put would, with its precondition, the UID
	// rules, its bytes and metadata, and a sequence bump and change
	// record of its own, in the order given. Every check is made against
	// the state before the batch, so no two puts may name one object,
	// nor carry one non-empty UID into one collection (refused, no
	// sentinel). The first put that fails its checks fails the batch
	// with Put's error (ErrNotFound, ErrPreconditionFailed,
	// *UIDConflictError), wrapped with its index and name, and nothing
	// is written. An empty batch writes nothing.
	PutBatch(ctx context.Context, puts []PutObject) ([]PutResult, error)
	Get(ctx context.Context, owner, coll, name string) (*Object, error)
	// GetMany reads members of one collection in one read, in the order
	// asked, each as Get would, until maxBytes of their data are held:
	// out[i], for i < n, is names[i]'s object with a copy of its bytes,
	// nil when there is no such member (a name may repeat); names[n:]
	// were not read, for the caller to ask again. A member is read
	// whenever less than maxBytes came before it, so n is at least 1 for
	// any names, and what is held stays under maxBytes (at least 1) plus
	// one member.
	// A missing collection is ErrNotFound. A multiget or a query with
	// data reads its members this way: one read per batch instead of
	// one per member (each a round trip on PostgreSQL).
	GetMany(ctx context.Context, owner, coll string, names []string, maxBytes int64) (out []*Object, n int, err error)
	Stat(ctx context.Context, owner, coll, name string) (*ObjectMeta, error)
	// List calls fn for every object's metadata in name order, without
	// reading object bytes. Returning an error from fn stops the walk.
	List(ctx context.Context, owner, coll string, fn func(*ObjectMeta) error) error
	// Walk calls fn for every object with its bytes, in name order. The
	// Data slice is only valid during the call.
	Walk(ctx context.Context, owner, coll string, fn func(*Object) error) error
	Delete(ctx context.Context, owner, coll, name string, cond Precondition) error
	// Transfer moves or copies one object between names and collections
	// in one transaction: UID uniqueness is checked in the destination,
	// both collections get their change records.
	Transfer(ctx context.Context, t Transfer) (created bool, err error)

	// Timelines (calendar collections only: the others have none)
	// Between calls fn, outside any transaction, with the metadata of
	// each member q.Want took (see TimeQuery) and how it took it, or
	// q.ETags with its name and ETag, once per member, in no particular
	// order. Over a collection written meanwhile it may miss members
	// written after it began; in a collection without timelines (an
	// address book) every member is offered as incomplete.
	Between(ctx context.Context, owner, coll string, q TimeQuery, fn func(m *ObjectMeta, take Take) error) error
	// Timeline returns the timeline stored for a member (the zero
	// Timeline in a collection without them); ErrNotFound.
	Timeline(ctx context.Context, owner, coll, name string) (Timeline, error)
	// DueTimelines calls fn, outside any transaction, with every member
	// of every calendar collection whose timeline asks to be renewed
	// (Timeline.Renew) and is unknown or ends (Until) before before.
	DueTimelines(ctx context.Context, before time.Time, fn func(TimelineDue) error) error
	// SetTimelines replaces, in one transaction, the timelines of the
	// members of a collection whose ETag is still the one given, and
	// returns how many it replaced. It changes nothing else: not the
	// object, not Seq, not the change log. ErrNotFound without the
	// collection; members gone or changed are skipped.
	SetTimelines(ctx context.Context, owner, coll string, sets []TimelineSet) (int, error)

	// Changes returns the change log after sequence since, at most limit
	// entries (0 = no limit) in sequence order, and the sequence the
	// returned set reaches (the collection Seq when not truncated).
	Changes(ctx context.Context, owner, coll, incarnation string, since uint64, limit int) (changes []Change, reached uint64, truncated bool, err error)
	// PruneChanges forgets, in every collection, the history written
	// before cutoff. Each change is dated by its write (the Modified it
	// gives the object and the collection). A collection's Pruned moves
	// forward to the sequence of the newest change in its log (each
	// name's latest change) that was, like every change before it,
	// written before cutoff, and never past a change written at or after
	// cutoff; the tombstones at or below Pruned are dropped. Positions
	// below Pruned then fail with ErrInvalidSyncToken, positions at or
	// above it keep getting exact changes, and a position handed out at
	// or after cutoff therefore stays valid. Live objects and the initial
	// sync are unaffected. The work is split into bounded transactions
	// that leave every collection consistent, so an error (the context
	// ending) keeps what was done.
	PruneChanges(ctx context.Context, cutoff time.Time) (PruneStats, error)
}

// Scheduling is what calendar scheduling (RFC 6638) needs beyond the
// writes of one object: a write that touches several accounts'
// collections at once (an organizer's change with every local
// attendee's copy and inbox), and finding an account's copy of an event
// by its UID, wherever the account keeps it.
type Scheduling interface {
	// WriteBatch applies ops in order in one transaction: each as Put or
	// Delete alone would, seeing the effects of the ops before it, or,
	// when one of them fails (its collection or object missing, its
	// precondition false, a UID conflict), none of them; the error is
	// then a *BatchError naming the op, wrapping what that op alone
	// would have returned. The results are in the order of ops.
	WriteBatch(ctx context.Context, ops []BatchOp) ([]BatchResult, error)
	// FindUID returns the objects whose UID is uid in every collection
	// of owner (at most one per collection, by the UID index) ordered by
	// collection name; empty when there is none or uid is "".
	// ErrNotFound without the account.
	FindUID(ctx context.Context, owner, uid string) ([]UIDMatch, error)
}

// Sharing is what opens a collection to others: public links and grants
// between accounts.
type Sharing interface {
	// Links
	// CreateLink stores l under l.ID: ErrNotFound when l.Owner has no
	// collection named l.Collection, ErrExists when the ID is taken. It
	// sets Created and Updated to now, Version to 1 and zero statistics,
	// and writes the stored link back into *l.
	CreateLink(ctx context.Context, l *Link) error
	Link(ctx context.Context, id string) (*Link, error)
	// ListLinks returns owner's links ordered by Created, then ID;
	// ErrNotFound without owner account.
	ListLinks(ctx context.Context, owner string) ([]Link, error)
	// UpdateLink replaces the settings of the stored link l.ID (Label,
	// Tier, Components, PastDays, FutureDays, Expires), keeps its Owner,
	// Collection, Created and statistics, sets Updated, adds one to
	// Version and writes the result back into *l. ErrNotFound.
	UpdateLink(ctx context.Context, l *Link) error
	// ReplaceLink rotates a link in one transaction: it deletes oldID and
	// creates l under its new ID with l's settings, fresh Created and
	// Updated, Version 1 and zero statistics, writing the result back into
	// *l. l.Owner and l.Collection must equal the old link's. ErrNotFound
	// when oldID is missing, ErrExists when l.ID is taken (oldID included).
	ReplaceLink(ctx context.Context, oldID string, l *Link) error
	DeleteLink(ctx context.Context, id string) error // ErrNotFound
	// AddFetches applies fetch statistics in one transaction: for each
	// stored link it adds Count to Fetches and moves LastFetched (with
	// LastUserAgent) forward to Last when Last is newer. Unknown IDs
	// (links revoked meanwhile) are skipped. Version and Updated stay.
	AddFetches(ctx context.Context, stats []FetchStat) error

	// Grants
	// PutGrant creates or updates the grant (g.Owner, g.Collection,
	// g.Sharee) in one transaction and writes the stored grant back into
	// *g. Sharing a collection with its owner fails (no sentinel).
	// Create: ErrNotFound when the owner has no such collection or the
	// sharee account does not exist; ErrExists when g.Mount is taken in
	// the sharee's home, by one of the sharee's collections or another
	// grant's mount. It stores Access, ShowPrivate, Mount and Props and
	// sets Created and Updated to now.
	// Update (the grant exists): changes Access and ShowPrivate only,
	// keeps Mount, Props and Created (g's are ignored) and sets Updated.
	PutGrant(ctx context.Context, g *Grant) error
	Grant(ctx context.Context, owner, coll, sharee string) (*Grant, error) // ErrNotFound
	// GrantByMount finds the grant mounted as mount in sharee's home;
	// ErrNotFound.
	GrantByMount(ctx context.Context, sharee, mount string) (*Grant, error)
	// GrantsOf returns the grants on owner's collection coll ordered by
	// Created, then Sharee; empty when none, ErrNotFound without the
	// collection.
	GrantsOf(ctx context.Context, owner, coll string) ([]Grant, error)
	// GrantsTo returns the grants to sharee ordered by Mount; empty when
	// none, ErrNotFound without the account.
	GrantsTo(ctx context.Context, sharee string) ([]Grant, error)
	DeleteGrant(ctx context.Context, owner, coll, sharee string) error // ErrNotFound; frees the mount name
	// PatchGrantProps applies remove, then set to the Props of the grant
	// mounted as mount in sharee's home, atomically like PatchCollection,
	// and returns the result. The owner's Collection.Props and the grant's
	// Updated stay. ErrNotFound.
	PatchGrantProps(ctx context.Context, sharee, mount string, set map[string]string, remove []string) (*Grant, error)
}

// Mail is organizations, their members and Mail Services with
// mailboxes, aliases and the links that let accounts manage them.
type Mail interface {
	// Organizations
	// CreateOrganization stores o, filling ID (random) when empty and
	// Created when zero, and writes them back into *o. ErrExists when an
	// explicit ID is taken.
	CreateOrganization(ctx context.Context, o *Organization) error
	Organization(ctx context.Context, id string) (*Organization, error) // ErrNotFound
	// OrganizationsOf returns the organizations account is a member of,
	// ordered by Name, then ID; empty when none (also for an unknown
	// account).
	OrganizationsOf(ctx context.Context, account string) ([]Organization, error)
	// DeleteOrganization removes the organization with its members and
	// Mail Services (their mailboxes and links). ErrNotFound.
	DeleteOrganization(ctx context.Context, id string) error

	// Members
	// PutMember adds account to org as m.Role or changes its role;
	// ErrNotFound when the organization or the account is missing. An
	// empty role is refused (no sentinel).
	PutMember(ctx context.Context, m Member) error
	Member(ctx context.Context, org, account string) (*Member, error) // ErrNotFound
	// Members returns org's members ordered by Account; ErrNotFound
	// without the organization.
	Members(ctx context.Context, org string) ([]Member, error)
	DeleteMember(ctx context.Context, org, account string) error // ErrNotFound

	// Mail Services
	// CreateMailService stores s (its endpoints as given), filling ID
	// (random) when empty and Created when zero, lower-casing Domain and
	// AliasDomains, and writes the stored service back into *s.
	// ErrNotFound without the organization; ErrExists when the ID is
	// taken or Domain or an alias domain is already the domain or an
	// alias domain of any service (or repeats s.Domain): a domain is
	// unique store-wide.
	CreateMailService(ctx context.Context, s *MailService) error
	MailService(ctx context.Context, id string) (*MailService, error) // ErrNotFound
	// MailServiceByDomain finds the service whose Domain or one of whose
	// AliasDomains is domain, case-insensitively; ErrNotFound.
	MailServiceByDomain(ctx context.Context, domain string) (*MailService, error)
	// MailServices returns org's services ordered by Domain; ErrNotFound
	// without the organization.
	MailServices(ctx context.Context, org string) ([]MailService, error)
	// UpdateMailService changes Plan and AliasDomains of the stored
	// service s.ID, keeping the other fields (the endpoints included),
	// with CreateMailService's domain uniqueness (ErrExists), and writes
	// the result back into *s. ErrNotFound.
	UpdateMailService(ctx context.Context, s *MailService) error
	// DeleteMailService removes the service, its mailboxes and their
	// links, freeing its domains. ErrNotFound.
	DeleteMailService(ctx context.Context, id string) error
	// SetMailEndpoints replaces the IMAP and Submission endpoints of the
	// stored service id in one transaction, keeping every other field
	// (UpdateMailService in turn keeps the endpoints), and returns the
	// stored service. ErrNotFound.
	SetMailEndpoints(ctx context.Context, id string, imap, submission MailEndpoint) (*MailService, error)

	// Mailboxes
	// CreateMailbox stores m, filling Created when zero, lower-casing
	// Aliases, and writes the stored mailbox back into *m. ErrNotFound
	// without the service; ErrExists when LocalPart or one of Aliases is,
	// case-insensitively, a local part or an alias in the service (or
	// repeats another of m's names). CreateMailbox applies no alias limit.
	CreateMailbox(ctx context.Context, m *Mailbox) error
	// Mailbox finds a mailbox by local part, case-insensitively (not by
	// alias); ErrNotFound.
	Mailbox(ctx context.Context, service, local string) (*Mailbox, error)
	// Mailboxes returns the service's mailboxes ordered by lower-cased
	// local part; ErrNotFound without the service.
	Mailboxes(ctx context.Context, service string) ([]Mailbox, error)
	// SetMailboxPassword sets the mailbox's PasswordHash to hash and
	// PasswordChanged to when. ErrNotFound.
	SetMailboxPassword(ctx context.Context, service, local, hash string, when time.Time) error
	// DeleteMailbox removes the mailbox, its aliases and its links.
	// ErrNotFound.
	DeleteMailbox(ctx context.Context, service, local string) error

	// Aliases
	// AddAlias adds alias (stored lower case) to the mailbox in one
	// transaction. ErrNotFound without the mailbox; ErrExists when alias
	// is, case-insensitively, a local part or an alias in the service
	// (this mailbox's included); ErrLimit when the mailbox already has
	// max aliases or more (max < 0: no limit). Of concurrent callers no
	// more than max succeed.
	AddAlias(ctx context.Context, service, local, alias string, max int) error
	// RemoveAlias removes alias from the mailbox; ErrNotFound when the
	// mailbox is missing or alias is not one of its aliases.
	RemoveAlias(ctx context.Context, service, local, alias string) error
	// ResolveAddress splits address at its last '@', finds the service by
	// domain or alias domain and then the mailbox by local part (alias
	// false) or by alias (alias true), all case-insensitively.
	// ErrNotFound when nothing matches.
	ResolveAddress(ctx context.Context, address string) (service *MailService, mailbox *Mailbox, alias bool, err error)

	// Mailbox links
	// PutMailboxLink links account l.Account to the mailbox (l.Service,
	// l.LocalPart) with l.Rights, or replaces the rights of the existing
	// link (keeping Created), and writes the stored link back into *l.
	// ErrNotFound when the mailbox or the account is missing. It sets
	// Created to now on create.
	PutMailboxLink(ctx context.Context, l *MailboxLink) error
	MailboxLink(ctx context.Context, service, local, account string) (*MailboxLink, error) // ErrNotFound
	// MailboxLinksOf returns account's links ordered by service ID, then
	// lower-cased local part; empty when none (also for an unknown
	// account).
	MailboxLinksOf(ctx context.Context, account string) ([]MailboxLink, error)
	// MailboxLinksTo returns the links to a mailbox ordered by Account;
	// ErrNotFound without the mailbox.
	MailboxLinksTo(ctx context.Context, service, local string) ([]MailboxLink, error)
	DeleteMailboxLink(ctx context.Context, service, local, account string) error // ErrNotFound

	// MailExport returns every service ordered by Domain and, by service
	// ID, its mailboxes ordered like Mailboxes (an empty list for a
	// service without any), read in one consistent transaction for
	// writing the Dovecot and Postfix files.
	MailExport(ctx context.Context) ([]MailService, map[string][]Mailbox, error)
}

// Store is the persistence interface every backend implements: every
// role in one. Packages ask for the roles they use (or a small interface of
// their own over them), so that what a package can touch shows in its
// constructor. All methods are safe for concurrent use.
type Store interface {
	Accounts
	Security
	DAV
	Sharing
	Mail
	Jobs
	Scheduling
	Responders
	Maintenance
	Close() error
}

// ETagOf returns the strong, quoted entity tag of object bytes.
func ETagOf(data []byte) string {
	sum := sha256.Sum256(data)
	return `"` + base64.RawURLEncoding.EncodeToString(sum[:18]) + `"`
}
