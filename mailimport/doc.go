// Package mailimport copies whole mailboxes of other providers (Gmail,
// Yahoo, Outlook.com, any IMAP server) into almanac's mailboxes, in
// background jobs that survive restarts.
//
// # API
//
// POST /api/v1/imports takes one or two sources (address, password,
// optional IMAP host, port and security; the host is guessed from the
// domain, see Guess) and a destination mailbox linked to the caller; or
// a text/csv body of at most MaxCSVRows rows (the template is at
// /api/v1/imports/template.csv) whose destinations are mailboxes of a
// Mail Service the caller manages. Every row is checked, and every
// source login tried, before any job starts: a wrong password is a 4xx
// at once, naming the line and column in a CSV. Failed source logins
// are counted per account (loginFailLimit per loginFailWindow) so that
// the server cannot be used to try passwords at other providers; the
// sources' passwords are not ours to throttle beyond that. Sources on
// loopback or private addresses are refused (Config.AllowPrivate
// allows them for tests and closed networks), checked after DNS
// resolution at connect time.
//
// # Jobs
//
// A job is a storage.ImportJob: its record holds all its progress, per
// source and folder. Source passwords are sealed with AES-256-GCM under
// the import key (a file next to the link key, never in the database),
// bound to their job and source, and erased in the write that ends the
// job. The Service runs at most Config.Workers jobs at once, at most
// Config.PerHost reading from one source host and one writing into one
// destination mailbox; a source that fails to connect or disconnects is
// retried after RetryBase, ×4 each time up to an hour, MaxAttempts times,
// while other jobs run. A wrong password, a TLS failure or a private
// address ends the source at once: retrying cannot help. Every command
// must make progress within IdleTimeout (a watchdog on the connection,
// not the library's fixed timeouts), so a stalled server costs a worker
// that long at most; a cancel stops the source at once.
//
// # The copy
//
// Folders are mapped by planFolders: INBOX to INBOX, RFC 6154 special
// uses (or their usual names, Gmail's "[Gmail]/…" ones included, when the
// source announces none) to the destination's folder of that use, every
// other folder keeping its path, with the delimiter translated and every
// missing parent created as a real folder so that no ghost folder is
// left. Gmail's All Mail is copied last, into Archive, with only the
// messages no other folder holds; Starred and Important are views and
// are not copied. Flags (but \Recent) and internal dates are kept;
// messages flagged \Deleted are left out.
//
// A message is known, as imapsync knows it, by the hash of its
// Message-ID and Received fields (headerKey); without a Message-ID, by
// the hash of its content. Before copying a folder the destination
// folder is scanned: what is there already is skipped and counted as
// such, so a second import copies nothing. To resume without duplicates
// after a restart, the job records, per folder, the destination's
// UIDVALIDITY and UIDNEXT before its first append and the source UID up
// to which every message is accounted for; messages at the destination
// from that UIDNEXT on are this job's own appends, counted as copied
// when the resumed job meets them (decide). Progress is saved at least
// every checkpointMessages messages or every second.
//
// The destination is Dovecot, over IMAP, logged in as a master user
// ("mailbox*master", Config.MasterUser and a secret read from a file),
// so no user's password is needed or stored.
//
// # Library
//
// github.com/emersion/go-imap/v2 (v2.0.0-beta.9), not v1.2.1: v2's
// client streams FETCH literals, so a message goes from the source's
// socket into the destination's APPEND without being held whole in
// memory (v1 buffers every literal); it speaks LITERAL+/LITERAL- for
// pipelined APPENDs, SPECIAL-USE (LIST RETURN), NAMESPACE, UIDPLUS,
// UNSELECT and APPEND with flags and internal date natively, where v1
// needs a separate extension module for each. Its one flaw met here (a
// FETCH closed after its connection broke inside a literal races with
// its reader) is worked around in session.abort.
package mailimport
