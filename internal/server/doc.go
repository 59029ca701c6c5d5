// Package server wires almanac's packages into one http.Handler: the
// RFC 6764 well-known redirects, the authenticated /dav/ tree (caldav),
// the authenticated /api/v1/ JSON API, /healthz, and the request log.
//
// Run keeps the background work going: feed statistics, and with
// Config.SyncRetention the pruning of the change log, once at start and
// then hourly (prune.go). The retention is how long a sync token stays
// valid; a client holding an older one gets 403 DAV:valid-sync-token and
// syncs from scratch.
//
// Every request gets one log line (request id, principal, method, path,
// status, duration, bytes) through log/slog. Nothing secret is logged:
// not the Authorization header, not query strings (public feed tokens
// will travel in paths and are masked by their package).
package server
