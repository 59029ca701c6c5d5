// Command almanac is a CalDAV/CardDAV server with an embedded database.
//
//	almanac serve [flags]
//	almanac user add|passwd|list|delete [-data DIR] [LOGIN]
//	almanac mail export|org [-data DIR] ...
//	almanac backup [-data DIR] [-link-key FILE] -o FILE
//	almanac restore -i FILE [-data DIR] [-link-key FILE]
//	almanac check [-data DIR]
//
// # Configuration
//
// Every setting is a flag; most have an ALMANAC_* environment variable as
// fallback (ALMANAC_LISTEN for -listen, ...). A flag on the command line
// wins over the variable, a variable that is set and not empty over the
// default. Whichever source a value comes from, the same parser checks it,
// and serve checks all of them (and the combinations, such as -smtp-host
// without -smtp-from) before it binds, opens or writes anything: a value
// that does not parse is never ignored or replaced by the default. The
// message names the source first and the other name after it:
//
//	almanac: ALMANAC_FEED_TTL="abc" (flag -feed-ttl): not a duration (e.g. 30m, 1h, 2h30m)
//	almanac: -public-url="cal.example.com" (env ALMANAC_PUBLIC_URL): must start with https:// or http://
//
// Ranges: -feed-ttl 1m to 168h (under a minute makes subscribers poll
// for nothing; past a week, what a link stops showing, or the whole
// calendar once the link is revoked, stays in subscribed calendars until
// their next poll, longer than anyone would expect); -max-instances 1 to 1,000,000 (a hundred times the
// default: the cap is a work budget per request, and a larger one would
// amount to none); ports 0 to 65535. -public-url is an absolute http or https URL with a host, an
// optional path prefix, no credentials, query or fragment; trailing
// slashes are dropped, since links append /ics/TOKEN. Files the server
// replaces atomically (-dovecot-passwd, -postfix-virtual) need an
// existing directory: the write goes through a temporary file beside them.
//
// # Exit status
//
// 0: done, or help asked for with -h (printed to stdout, as `almanac help`).
// 1: the command failed while doing its work (database in use or missing,
// address in use, account exists, password refused).
// 2: usage error, printed to stderr with the synopsis: unknown command or
// flag, wrong number of arguments, or a flag or environment value that is
// invalid. This is the flag package's convention for a bad flag, extended
// to bad values from the environment, so that the same mistake gets the
// same status from either source.
//
// # Order of serve
//
// serve checks its configuration, then binds the listen address, then
// opens the database and creates the first account. A port in use or a
// bad value therefore fails before anything is written.
//
// # What creates a database
//
// serve and user add create the data directory and database when missing,
// restore only from an archive. user list, mail export, backup and check
// only read, and open the file read-only; user passwd, user delete and
// mail org change only what exists. All of these fail with "no database
// in DIR" and create nothing when there is none.
//
// # Backups
//
// backup writes an archive (internal/backup) of a snapshot of the
// database and the link key; it opens the database read-only, so it runs
// beside other readers but, like every command, not beside a server
// holding the file. It refuses an existing FILE rather than replace a
// backup. A missing -link-key is an error, a missing DATA/link.key (a
// server that never ran has none) only a note in the output. restore
// verifies the whole archive before it writes anything and refuses a
// data directory that holds anything, even lost+found, and a key file
// that exists: it never merges into or overwrites data. check exits 1
// when it finds a problem and prints at most 1000 of them. serve's
// -backup-dir must exist and take a file when serve starts (a probe file
// is made and removed), since a backup failing hours later in the
// background is easy to miss; -backup-every (1m to 8784h, default 24h)
// and -backup-keep (1 to 100000, default 7) without it are usage errors.
//
// # Passwords
//
// user add and user passwd apply auth.PasswordProblem, the rule the API
// applies to new passwords, so an account cannot get from the command
// line a password the web would refuse.
package main
