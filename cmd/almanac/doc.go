// Command almanac is a CalDAV/CardDAV server with an embedded database.
//
//	almanac serve [-db URL] [flags]
//	almanac user add|passwd|list|delete|admin|disable|enable [-data DIR | -db URL] [LOGIN] ...
//	almanac mail export|org [-data DIR | -db URL] ...
//	almanac imip deliver [-data DIR | -db URL] [-sender ADDRESS] < MESSAGE
//	almanac version (or -version)
//	almanac backup [-data DIR] [-link-key FILE] -o FILE
//	almanac restore -i FILE [-data DIR] [-link-key FILE]
//	almanac migrate -from DIR -to URL [-to-data DIR]
//	almanac check [-data DIR | -db URL]
//	almanac dns [-data DIR | -db URL] [-public-url URL] [-imap-host HOST] [-submission-host HOST] ... [DOMAIN...]
//	almanac doctor [-data DIR | -db URL] [-public-url URL] [-imap-host HOST] ... [-timeout D] [-ca-file FILE]
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
// amount to none); -report-slots 1 to 1024 (queries run at once; a
// thousand would no longer bound anything on any machine this runs on);
// ports 0 to 65535. -public-url is an absolute http or https URL with a host, an
// optional path prefix, no credentials, query or fragment; trailing
// slashes are dropped, since links append /ics/TOKEN. Files the server
// replaces atomically (-dovecot-passwd, -postfix-virtual, and the
// scripts under -sieve-dir, which must exist itself) need an
// existing directory that takes new files, since the write goes through a
// temporary file beside them: serve and mail export create and remove a
// probe file there, which finds a read-only mount or a sandbox
// (ProtectSystem) that permissions would not show. -mail-reload-cmd
// needs at least one of the files.
//
// -trusted-proxies is a comma-separated list of networks (CIDR) or single
// addresses; a network holding every address (0.0.0.0/0, ::/0) is
// refused, since trusting it would let every client choose the address
// it is throttled under. -proxy-header names the one family of headers
// the proxies set (x-forwarded or forwarded); the other is ignored, as a
// proxy passes it on untouched from the client. See internal/remote.
//
// # Client setup
//
// -imap-host, -imap-port, -imap-security and -submission-host, -port,
// -security say where users' mail apps connect (package clientsetup);
// they are not -smtp-*, the server almanac sends its own mail through,
// and a different name keeps the two from being confused. A host is an
// ASCII DNS name or IPv4 address without port (it is written into public
// documents and zone files); security is tls (the default, RFC 8314),
// starttls or none; port 0 is the mode's default. A port or security
// without its host is a usage error rather than silently ignored. dns
// and doctor take the same flags and -public-url as serve, read the
// database (through a running server's socket like the user commands)
// and print; doctor bounds each probe with -timeout (1s to 2m: a TLS
// handshake across the world takes a second, and waiting minutes on a
// dead host helps nobody), trusts the system's authorities plus
// -ca-file, and exits 1 when any probe fails.
//
// # Version
//
// almanac version, and almanac -version, print one line: the module
// version and the VCS revision (with its time, and "modified" for a dirty
// work tree) that go build recorded, then the Go toolchain and platform
// (internal/buildinfo). serve logs the same version and revision in its
// "almanac listening" line, and /metrics has them in almanac_build_info.
// A build that recorded no revision (go run, -buildvcs=false) says so.
//
// # Logs and metrics
//
// -log-format text (the default, key=value) or json (slog's JSON handler,
// one object per line) applies to every line serve writes; each line a
// request causes carries its id as "req" (server.LogHandler).
//
// /metrics is never served without configuration. -metrics-listen ADDR
// serves it, and nothing else, on a listener of its own, bound with the
// main one before anything is written; without it, a metrics token serves
// /metrics on -listen. The token, at least 16 characters of token68
// (letters, digits, -._~+/ and final =), comes from the file named by
// -metrics-token-file (one line; surrounding spaces dropped) or from
// ALMANAC_METRICS_TOKEN, never from a flag of its own: a command line is
// visible to every user of the machine in the process list, like the
// SMTP password, which is read from the environment only. Both sources
// at once are a usage error, as they could disagree, and no message ever
// shows the token. With -metrics-listen and no token, serve warns when
// the address is not a loopback one.
//
// # TLS and signals
//
// With -tls-cert and -tls-key (both or neither; read, and checked to be a
// matching pair, before serve binds) serve speaks HTTPS itself, TLS 1.2
// at least. SIGHUP reads both files again: new connections get the new
// certificate through tls.Config.GetCertificate, open ones keep theirs,
// and a pair that does not load is logged and leaves the one in use, so
// a certificate renewal hook can run `systemctl reload almanac` (or kill
// -HUP) blindly. Without TLS, SIGHUP is logged and ignored rather than
// ending the process, as it would by default. Serving plain HTTP on an
// address other than loopback logs a warning at start: clients send
// passwords with every request.
//
// SIGINT and SIGTERM stop the server, letting requests in flight finish
// (10 s at most).
//
// # Exit status
//
// 0: done, or help asked for with -h (printed to stdout, as `almanac help`).
// 1: the command failed while doing its work (database in use or missing,
// address in use, account exists, password refused, the admin socket
// refused the user).
// 2: usage error, printed to stderr with the synopsis: unknown command or
// flag, wrong number of arguments, or a flag or environment value that is
// invalid. This is the flag package's convention for a bad flag, extended
// to bad values from the environment, so that the same mistake gets the
// same status from either source.
//
// # Order of serve
//
// serve checks its configuration, then binds the listen address, then
// opens the database, creates the first account (a server admin) and
// opens the admin socket. A port in use or a bad value therefore fails
// before anything is written; a socket that cannot be created is logged
// and the server runs without it.
//
// # While the server runs
//
// The user and mail commands (dbCommands in admin.go) work while a
// server holds the database: they ask the server, through the admin
// socket DATA/admin.sock (internal/adminsock: mode 0600, and only the
// server's uid or root, checked by SO_PEERCRED), to run them. The
// command line is parsed, and passwords read (prompted for on a
// terminal), in the CLI; the server gets the command's name, its
// arguments as parsed (every flag explicit, its environment fallback
// resolved in the CLI's environment, file names made absolute) and the
// password as the command's standard input, never as an argument. It
// runs the same function the CLI runs on a database it opens itself,
// writes to the CLI's stdout and stderr as it goes, and reports errors
// through the same function (report), so the output and exit status are
// the same byte for byte. Files a command writes (mail export) are
// written by the server's process, as its user.
//
// The CLI asks the socket first (no wait), then opens the database; if
// that finds the database locked it asks once more (a server that has
// just started), and otherwise fails within the lock wait (1.5 s) saying
// that another process holds it and no server answers. A stale socket
// (a server that did not stop cleanly) refuses connections and is
// replaced at the next start.
//
// # What creates a database
//
// serve and user add create the data directory and database when missing.
// user list and mail export only read, and open the file read-only; user
// passwd, delete, admin, disable and enable and mail org change only what
// exists. All of these fail with "no database in DIR" and create nothing
// when there is none.
// serve and user add create the data directory and database when missing,
// restore only from an archive. user list, mail export, backup and check
// only read, and open the file read-only; user passwd, user delete and
// mail org change only what exists. All of these fail with "no database
// in DIR" and create nothing when there is none.
//
// # Backups
//
// backup writes an archive (internal/backup) of a snapshot of the
// database and the link key. Like the user and mail commands it runs
// inside a server that holds the database (through the admin socket:
// the snapshot is the server's, writers go on, the key is the server's
// -link-key), or else opens the database read-only itself. check does
// the same; without a server it walks the file's pages before bbolt
// opens it. It refuses an existing FILE rather than replace a
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
// migrate (storage/migrate) opens DIR's database read-only after
// checking it like check, so a server still holding it makes it fail
// fast, and refuses a target database that holds anything. -to takes
// postgres:// (or postgresql://) URLs only, so that a mistyped argument
// is a usage error rather than a connection attempt. With -to-data it
// copies the key files (link.key, import.key, import-master.secret) once
// the source is open and before the database, refusing to replace one
// that differs, so that a failure there leaves the database untouched;
// without it, it names those to copy. A difference found by
// the verification exits 1 with the copy committed: the operator
// inspects it, and empties the database before running migrate again.
//
// -import-imap-host turns mail imports on: the Dovecot that serves the
// mailboxes, which imports write into as the master user
// -import-master-user (a name without spaces, "*", "@", quotes or
// backslashes). Its password and the key that seals source passwords
// while a job runs are files (-import-master-secret, -import-key,
// default in DATA), created with random contents when missing and read
// at start, like the link key: neither is in the database.
// -import-allow-private lets both kinds of import, file URLs and IMAP
// sources, reach loopback and private networks.
//
// # PostgreSQL
//
// -db URL (env ALMANAC_DB; postgres:// or postgresql://) puts the store
// in PostgreSQL (storage/postgres) for serve and every database command;
// without it the store is DATA/almanac.db. The URL's password never
// appears: the setting carries a redact function that parse uses for
// its messages, the start-up line and the marker file show it as
// xxxxx, and parse errors are built without the URL (pgconn's cause
// only). serve's pool flags (-db-max-conns, -db-connect-timeout,
// -db-statement-timeout, -db-conn-lifetime) are postgres.Options and are
// usage errors without -db; -backup-dir is one with it.
//
// A database command with -db opens the database itself, beside any
// running server, and never asks the admin socket: PostgreSQL has no
// lock to wait for, and the servers share the database anyway. A
// command that reads or changes what exists opens it with
// postgres.Options.Existing, so an empty database named by mistake gets
// no schema; user add and serve lay it in. backup and restore have no
// PostgreSQL form (dbCommand.notPostgres; the archive holds a bbolt
// file) and refuse -db, or a server on PostgreSQL refuses them through
// the socket, naming pg_dump and pg_restore.
//
// serve on PostgreSQL writes DATA/postgres.url (the redacted URL) and
// keeps it: from then on every command that would open the bbolt
// database of DATA (serve included) refuses without -db, naming the
// database and the file to remove to go back, so that an operator who
// forgot ALMANAC_DB gets an error instead of a new, empty database.
// -data keeps the server's own files either way (link key, import keys,
// admin socket, outbox). On PostgreSQL serve makes none of the key files
// every server must read alike (the link key, and with imports the
// import key and master secret; checkShared): it names the missing one
// and how to make it, before it binds or opens anything, since a server
// making its own would mint feed URLs or seal passwords the others
// cannot read, and two servers starting on a new database would each
// make one. Two servers starting at once on an empty
// database race for the first account: the loser finds it made
// (fault "exists") and goes on without printing a password.
//
// # Passwords
//
// user add and user passwd apply auth.PasswordProblem, the rule the API
// applies to new passwords, so an account cannot get from the command
// line a password the web would refuse. Both go through package admin,
// as the admin API does.
package main
