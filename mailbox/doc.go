// Package mailbox holds the rules for mailbox names and the exporters
// that turn almanac's mailboxes and aliases into the files a real mail
// server reads.
//
// It has no storage dependency: callers load accounts, mailboxes and
// aliases themselves and pass plain values in.
//
// # Names
//
// ValidLocalPart and ValidDomain decide which addresses almanac accepts:
// RFC 5321 dot-atom local parts of at most 64 octets (ASCII only, no
// quoted strings, no leading '#') and lower-cased DNS names of at least
// two labels. Their reasons are meant to be shown to the user.
// FallbackUsername makes a username such as "jd4821" for an account
// whose login mailbox was deleted.
//
// # Export
//
// PasswdFile renders a Dovecot passwd-file. Password hashes are the PHC
// argon2id strings auth.HashPassword produces, written with the
// "{ARGON2ID}" scheme prefix; Dovecot 2.3 (Debian 12's 2.3.19) verifies
// them directly through libsodium, so no second hash is stored. A
// matching dovecot.conf fragment:
//
//	passdb {
//	  driver = passwd-file
//	  args = scheme=ARGON2ID /etc/dovecot/almanac.passwd
//	}
//
// The file must be readable by Dovecot's auth process (by default the
// "dovecot" user), so write it with mode 0640 and group dovecot, or
// 0644 if the directory is private. Dovecot re-reads a passwd-file when
// its mtime changes; no reload is needed.
//
// VirtualMap renders a Postfix virtual(5) alias table, with catch-all
// "@alias.tld @domain.xyz" lines. Postfix reads the compiled form, so
// after writing the table run "postmap hash:/path/to/virtual" (Debian's
// default_database_type is hash; lmdb needs the postfix-lmdb package)
// and point virtual_alias_maps at the same type:path.
//
// WriteAtomic replaces a file so that the mail server never sees a
// partial one.
//
// # Keeping the files up to date
//
// The server's Exporter writes the files in the background, never on a
// request's path: an API call that changes mailboxes or aliases stores
// the change, marks the files stale (Exporter.Changed) and answers about
// what it stored, which is true whatever becomes of the files. The
// exporter then
//
//   - writes at once at start (catching up on changes made while the
//     server was down, or a restore), then 1 s after a change, so that a
//     burst of changes is one write; each write renders the store as it
//     is then, so it covers every change marked before it;
//   - leaves a file whose content is already right untouched, so that a
//     mail server watching its mtime is not woken for nothing;
//   - runs -mail-reload-cmd with /bin/sh -c after a write (and once at
//     the first export of the process, making up for a run lost to a
//     crash), with ALMANAC_DOVECOT_PASSWD and ALMANAC_POSTFIX_VIRTUAL set
//     to the files, so that `postmap "$ALMANAC_POSTFIX_VIRTUAL"` rebuilds
//     Postfix's table; the first 4 KiB of its output are logged, and a
//     run still going after 1 minute is killed with its process group;
//   - treats a failed write or a failed command alike: logged at Error,
//     retried after 2 s, doubling up to 5 minutes (a missing directory
//     or a permission takes an operator; the wait bounds the log without
//     leaving the files behind for long once fixed), counted by the
//     Observer (the server's metrics), and reported by Health, which the
//     server's /readyz shows as "mail-export": "failing", without the
//     error text, until a write succeeds;
//   - writes what is still stale once more when the server stops.
//
// serve checks at start that the files' directories exist and take new
// files, so that most failures are found before the first change.
//
// # Responders
//
// A mailbox keeps up to 20 saved automatic replies ("out of office"),
// at most one active: activating one deactivates the others in the same
// transaction (storage.Responders). The user reaches them through a
// link with the responder right (403 right_removed naming the manager
// when it was taken), a manager of the Mail Service through the
// service's path. Limits, each refused with the field named and nothing
// stored: a name of at most 100 characters, a one-line subject of at
// most 200, a message (required: it is the reply's text/plain part) and
// an optional HTML alternative of at most 64 KiB each, at most 200
// exclusions, each an address or "@domain". Start and end are wall-clock
// times in an IANA zone the user names (default: the zone of their
// default calendar, else UTC); a date alone means the whole day, so an
// end date is included; the end must be after the start. Weekdays are
// English names, full or three letters.
//
// The reply's From is the mailbox's own address or one of its aliases
// (at any alias domain), or a sending address the caller proved theirs:
// POST /api/v1/account/senders mails a code to it, valid 24 hours and
// used up by the confirmation, whose wrong guesses count against the
// account like any mailed code (auth.KindCode). Anything else is 422
// unverified_from. The check is made when the From is set or changed,
// so a user editing the message of a responder a manager set up keeps
// the manager's From; removing a sending address does not rewrite the
// responders that already use it.
//
// Templates (at most 50 a service) are copied into all or some
// mailboxes of the service in one transaction, {name} (the owner's
// display name, else the local part) and {address} filled per mailbox,
// HTML-escaped in the HTML part; a template marked default is copied,
// inactive, into every new mailbox.
//
// Dovecot runs the replies: the Exporter writes one Sieve script per
// mailbox into -sieve-dir, DIR/<domain>/<local-part>.sieve, atomically
// and only when it changed (internal/sieve says what it tests and how
// user text is quoted). A mailbox without an active responder gets a
// script of comments only, so that Dovecot finds a script for every
// user. Each sender is answered once per 7 days (vacation :days 7,
// RFC 5230 4.2, the guide's rule); reset gives the responder a new
// :handle, and Pigeonhole, which keys its memory on the handle, answers
// everyone afresh. The zone's offset changes (daylight saving time) are
// followed for 10 years after the start or the last change: Sieve's
// currentdate knows only fixed offsets. "answering" in the API is the
// same rule evaluated by the server at the time of the request.
//
// An active responder with a start and an end, and no weekdays, puts an
// opaque "Out of office" event over its period (in UTC; the message is
// not in it) into the default calendar of the mailbox's owner: the
// account whose login is the mailbox's address, else the account linked
// to it first. It goes in through the CalDAV layer's checks
// (Options.Calendars) and the store's object write, like a client's PUT,
// so sync, free-busy and busy feeds see it; deactivating, another
// responder becoming active, deleting the responder or the mailbox
// removes it. A responder with weekdays blocks nothing, as one event for
// its whole period would mark the other days busy too. A failure to
// write the event is logged and does not fail the request: the
// responder is stored, and its next change writes the event again.
//
// # Linking and passwords
//
// POST /api/v1/mailboxes/link checks a mailbox password through the
// server's auth.Guard (Options.Guard), which counts guesses per account
// and mailbox, per mailbox and per account (limits in auth/doc.go) and
// answers 429 past them; the argon2 of linking, and of setting a mailbox
// password, waits for the server's one argon2 limit.
package mailbox
