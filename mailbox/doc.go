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
// # Linking and passwords
//
// POST /api/v1/mailboxes/link checks a mailbox password through the
// server's auth.Guard (Options.Guard), which counts guesses per account
// and mailbox, per mailbox and per account (limits in auth/doc.go) and
// answers 429 past them; the argon2 of linking, and of setting a mailbox
// password, waits for the server's one argon2 limit.
package mailbox
