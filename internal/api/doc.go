// Package api holds what every JSON endpoint under /api/v1 shares: the
// one Router, with Go's method patterns, that every feature registers
// its routes on; one error shape, {"error": {"code", "message",
// "field"}}, rendered in one place (WriteError) from domain faults
// (internal/fault) and storage sentinels; strict decoding of request
// bodies with a size cap; JSON responses that caches do not keep; and
// the reading of accounts named in paths (a handle, a login or "me").
//
// Handlers return errors, never statuses: domain code says what went
// wrong in fault kinds, and the mapping to HTTP is here, once:
//
//	fault.Invalid        400     storage.ErrNotFound            404
//	fault.Unauthenticated 401    storage.ErrExists              409
//	fault.Forbidden      403     storage.ErrPreconditionFailed  412
//	fault.NotFound       404     storage.ErrLimit               409
//	fault.Conflict       409     anything else                  500, logged,
//	fault.Limit          409                                    text not sent
//	fault.Throttled      429 with Retry-After
//
// A path that exists with other methods answers 405 with Allow; one that
// does not, 404; a trailing slash is ignored. A route registered
// AdminOnly answers a caller who is not a server admin (Options.Admin)
// with that same 404, after authentication: the routes are listed in
// docs/openapi.yaml, but a user is not told that one exists they may not
// use. Its other methods still answer 405, which names only what the
// public document names.
package api
