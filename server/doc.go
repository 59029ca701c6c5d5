// Package server is the composition root: it builds the features on one
// store and wires them into one http.Handler, so it stands above every
// package it imports (nothing imports it but cmd/almanac and tests).
//
//   - /.well-known/caldav and /.well-known/carddav, with or without a
//     trailing slash: RFC 6764 5 redirects (301 for every method) to
//     /dav/;
//   - /dav/: the authenticated DAV tree (internal/davtree) with the
//     calendar and address-book Kinds (caldav, carddav);
//   - /api/v1/: the JSON API, one internal/api.Router on which account,
//     sharing (links and shares), mailbox and admin register their
//     routes; authentication (auth.Authenticator.APIMiddleware) wraps
//     every route not registered as public, account.LoginChangeGate
//     holds back an account that must choose a new login ID, and
//     admin.IsAdmin decides who sees the routes registered AdminOnly;
//   - /ics/ and /vcf/: public feeds (publish), no login;
//   - mail client discovery (clientsetup), no login: GET
//     /.well-known/autoconfig/mail/config-v1.1.xml and
//     /mail/config-v1.1.xml (Mozilla autoconfig), POST
//     /autodiscover/autodiscover.xml in any case (Outlook); 405 with
//     Allow for other methods;
//   - /healthz, /readyz, and /metrics when configured (below);
//   - / answers GET and HEAD with a short page, and PROPFIND and OPTIONS
//     through the DAV tree (clients given only the server's address look
//     for current-user-principal there).
//
// On /, /healthz, /readyz and /metrics a method the path does not serve
// is 405 with Allow (RFC 9110 15.5.6), and OPTIONS answers the same list;
// the DAV tree, the API and the feeds answer their own. Any other path is
// 404 whatever the method.
//
// # Health
//
// /healthz is liveness: 200 {"status":"ok"} whenever the process answers,
// whatever the database, since a restart does not mend a database. /readyz
// is readiness: it runs every check registered with AddReadyCheck (the
// database's always: a database server's Ping, bounded to 1 s, else a
// read transaction; "mail-export" when mail server
// files are configured, failing while their writes fail: the
// mailbox.Exporter retries them in the background, run by Run) under one
// 2 s deadline, and answers 200, or 503 with
// {"status":"unavailable","checks":{"database":"failing"}}. A failing
// check's error is logged, never sent: both paths need no login.
//
// A database that cannot be reached (storage.ErrUnavailable, from a
// database server that went away or a statement past its timeout) is 503
// with Retry-After (storage.RetryUnavailable) in every protocol's one
// error renderer: davtree.MapError for DAV, api.WriteError for the API
// and, through api.Classify, the web pages; auth's Basic check, the feeds
// and the client set-up documents, which answer in plain text or XML of
// their own, map it alike. It is not 500: nothing is wrong with the
// request or the server, and clients retry. The store reconnects by
// itself, so the server needs no restart.
//
// # Metrics
//
// The server counts in the Prometheus format on a registry of its own
// (metrics.go; never the global one, so that servers in one process do
// not share counters). Feature packages do not import Prometheus: auth,
// publish and mailbox take an Observer, the store a
// storage.CommitObserver and storage.Observable.Stats, and the adapters
// here turn those into counters. What is counted:
//
//   - almanac_http_requests_total{route,method,status} and
//     almanac_http_request_duration_seconds{route,method}: every request
//     once, when its answer is done. route is the API route's pattern
//     ("/api/v1/links/{id}"; "api" when none matches), the DAV resource
//     type ("dav:principal", "dav:home", "dav:collection", "dav:member",
//     "dav:root", ...; "dav" when the URL was not resolved: 401, or 404
//     outside the user's tree), "feed", "well-known", "autoconfig", "autodiscover", "home" (/),
//     "/healthz", "/readyz", "/metrics", or "other" (404). method is one
//     the server knows, or "other": the labels are bounded whatever
//     clients send, never a path, a name or an ID.
//   - almanac_auth_failures_total and almanac_auth_throttled_total by kind
//     of secret (password, TOTP_code, ...).
//   - almanac_feed_fetches_total by outcome (served, not_modified,
//     not_found, throttled, failed) and almanac_feed_cache_total by result
//     (hit: no rendering by this request, miss).
//   - almanac_mail_exports_total by result, and almanac_job_runs_total,
//     almanac_job_duration_seconds and
//     almanac_job_last_success_timestamp_seconds by job (prune,
//     timelines: the renewal of the calendars' time index).
//   - almanac_dav_report_pool_total by outcome (run, queued, full,
//     timeout): what the pool of expensive REPORTs (-report-slots,
//     davtree ReportPool) did; full and timeout were answered 503.
//   - almanac_db_commit_duration_seconds and almanac_db_commit_writes for
//     every committed write transaction; almanac_db_size_bytes,
//     almanac_db_free_bytes, almanac_accounts, almanac_collections,
//     almanac_objects and almanac_public_links, read from the store on
//     each scrape (a walk of page headers: about 75 µs per 10,000
//     objects, so no cache).
//   - almanac_build_info{version,revision,goversion}, and the Go runtime
//     and process collectors.
//
// /metrics is never public by default. Config.MetricsToken serves it on
// this handler to requests with "Authorization: Bearer TOKEN" (RFC 6750
// 2.1), compared in constant time, and 401 with a Bearer challenge to
// others; without a token there is no /metrics here (404). MetricsHandler
// serves the same on a listener of its own (almanac serve
// -metrics-listen), with or without a token. A token has at least 16
// characters (CheckMetricsToken): 96 bits at the least, which no rate of
// guessing finds, so failures are not throttled.
//
// # Clients behind proxies
//
// Before anything else, internal/remote settles who the client is and
// which scheme and host it used, believing X-Forwarded-For (or RFC 7239
// Forwarded), X-Forwarded-Proto and X-Forwarded-Host only from
// Config.TrustedProxies; throttling, the log, public link URLs, the
// session cookie's Secure flag and the MOVE/COPY Destination check all
// read that one answer.
//
// # Logs
//
// Run does the background work: feed statistics, change-log pruning and,
// with Config.Backup.Dir, scheduled backups (backup.go): an archive
// (internal/backup) every Config.Backup.Every, named by its UTC start
// time, written through a temporary file and linked into place, the
// newest Config.Backup.Keep kept. Each outcome is a log line ("backup
// written" at info, "backup failed" at error) and a call of
// Config.Backup.Done, which is where metrics hook in. A restart keeps
// the rhythm: the next backup is due Every after the newest archive.
//
// Every request gets one log line (request id, principal, method, path,
// status, bytes, duration, client address) through log/slog.
// The request id, also sent as
// X-Request-Id, rides in the request's context, and LogHandler adds it as
// "req" to every record logged with that context, in every package and in
// either format (text or JSON): the error lines of the DAV and API
// renderers, the authenticator's, the feeds', all carry the id of the
// request that caused them. Packages log on the request path with the
// request's context (LogAttrs, ErrorContext, ...) for that reason.
// Nothing secret is logged: not the Authorization header, not query
// strings, and public feed tokens in paths only by their first
// characters.
//
// # Several servers
//
// Several servers may share one PostgreSQL store behind a load balancer
// (storage/postgres). Every piece of state a server keeps outside the
// store is listed here, shared through the store or kept per server on
// purpose; package twoservers tests the shared ones with two servers on
// one database.
//
// Shared through the store (New finds the optional roles on the store;
// a bbolt store has none of them and serves one process):
//
//   - Failure counts of every secret check and of the Guard's limiters
//     (storage.Throttle, auth doc.go # Throttling): passwords, TOTP and
//     recovery codes, mailed codes, reset tokens, mailbox passwords,
//     unknown feed tokens, recovery requests, failed import source
//     logins. A reservation is a row, inserted under a per-key advisory
//     lock only while failures and holds stay under the limit, so
//     parallel guesses through different servers cannot all slip past.
//     A check whose counts cannot be read is refused (500), not made
//     unthrottled.
//   - Sessions, app passwords, accounts (with their password hash, the
//     TOTP step and recovery codes) and links are read from the store
//     by every request, so a password change, a revoked app password, an
//     ended session or a revoked link takes effect on every server at
//     once; no notification is needed.
//   - Feed fetch counts: each server counts in memory and adds its
//     counts to the stored ones every 30 s (AddFetches adds).
//   - Work one server must do alone (storage.Exclusive, a session
//     advisory lock): the scheduled backups and the mail import runner.
//     Two runners would resume the same jobs and copy them twice, and
//     backups of one database by every server are the same backup many
//     times. Only servers configured for the work seek the lock; when
//     the holder dies its connection and the lock go with it, and
//     another takes over within seconds. A job asked for, or cancelled,
//     through any server is signalled to the runner
//     (storage.Signals, NOTIFY), which reads the unfinished jobs again;
//     a running job sees a cancellation at its next checkpoint.
//   - An upload previewed on the import page (web) waits for its
//     confirmation in the store (storage.Stash), the one file of its
//     session, 15 minutes, within four times the largest file for all
//     sessions together, so the confirmation may reach any server.
//   - The mail server files (Dovecot passwd-file, Postfix virtual table,
//     Sieve scripts): every server configured with them writes them
//     (each host its own files), and a change made through any server is
//     signalled to all (mailbox.ExportTopic), so each writes it soon
//     after. Writes are atomic renames of a rendering of the store, so
//     servers writing files on one shared directory are safe too.
//
// Per server on purpose:
//
//   - The verified-credential cache (auth): a hit needs the account read
//     for this request to carry the hash the entry was verified against
//     (app passwords and sessions are never cached), so it cannot outlive
//     a change made elsewhere; sharing it would only move argon2 runs.
//   - Known devices (auth): remembered by HMAC of login, password and
//     address under a key of the process. A shared table needs a key
//     every server holds, and with it a stolen table could be tested
//     against passwords at HMAC speed rather than argon2's. During a
//     lockout of a login from every address, its owner's device is
//     therefore let in only by servers it logged in through; a load
//     balancer that keeps a client address on one server avoids that.
//   - Coalescing of identical concurrent verifications, the argon2
//     slots and the pool of expensive REPORTs: they bound this
//     process's memory and CPU.
//   - The app-password last-use write, at most once a minute per
//     password per server (TouchAppPassword keeps the latest).
//   - The feed render cache (publish): keyed by the link's version and
//     the collection's incarnation, sequence and modification time, read
//     from the store by every request, so every server renders the same
//     bytes (the same strong ETag) for one state, and Last-Modified
//     comes from those stored times, not from the rendering: polls
//     alternating between servers get 304s, and a revoked link is 404
//     everywhere at once (its renderings on the other servers are never
//     served again and leave their caches as the least recently used).
//   - Change-log pruning and the renewal of the time index: every server
//     runs them; both are idempotent (PruneChanges moves each horizon
//     under the collection's row lock, SetTimelines replaces a timeline
//     only while the member's ETag is unchanged), so a second server
//     costs work, not correctness, and each server's job metrics (last
//     success) stay meaningful for alerting on it.
//   - Metrics, /readyz checks, the mail export status and the request
//     log: each describes its server; so does the admin socket of
//     cmd/almanac, whose commands act on the shared store from any
//     server's host.
//   - Caches of pure functions (time zones, recurrence counts in
//     internal/ical).
//
// What the serve command must give every server alike: the same store
// URL, the same link key file (-link-key; a server creating its own
// would mint feed URLs the others refuse) and import key file
// (-import-key), and the same limits.
package server
