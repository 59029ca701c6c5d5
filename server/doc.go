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
//     sharing (links and shares) and mailbox register their routes;
//     authentication (auth.Authenticator.APIMiddleware) wraps every
//     route not registered as public, and account.LoginChangeGate holds
//     back an account that must choose a new login ID;
//   - /ics/ and /vcf/: public feeds (publish), no login;
//   - /healthz and the request log;
//   - / answers GET and HEAD with a short page, and PROPFIND and OPTIONS
//     through the DAV tree (clients given only the server's address look
//     for current-user-principal there).
//
// On / and /healthz a method the path does not serve is 405 with Allow
// (RFC 9110 15.5.6), and OPTIONS answers the same list; the DAV tree, the
// API and the feeds answer their own. Any other path is 404 whatever the
// method.
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
// status, duration, bytes) through log/slog. Nothing secret is logged:
// not the Authorization header, not query strings, and public feed
// tokens in paths only by their first characters.
package server
