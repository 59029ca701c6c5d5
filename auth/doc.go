// Package auth authenticates requests and stores passwords.
//
// # Passwords
//
// Passwords are hashed with argon2id (RFC 9106) and stored as PHC strings,
// "$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>", the form the reference
// implementation, libsodium and Dovecot's ARGON2ID scheme share, so an
// account database can be moved between them. Parameters are the first
// OWASP recommendation (19 MiB, 2 passes, 1 lane, 16-byte salt, 32-byte
// key) rather than RFC 9106's 64 MiB/2 GiB: a DAV server verifies on
// requests, not only at an interactive login, and a burst of verifications
// at 64 MiB each is a memory exhaustion waiting to happen. VerifyPassword
// reads the parameters from the string, so they can be raised later
// without invalidating stored hashes. The parser is strict (one canonical
// spelling) and bounds every parameter, so a corrupt hash cannot make a
// login allocate gigabytes.
//
// GeneratePassword makes 140-bit passwords in four groups of seven
// lower-case base32 characters, for app passwords and initial accounts.
//
// # HTTP Basic
//
// Authenticator.Middleware implements RFC 7617 Basic authentication with
// charset="UTF-8" (section 2.1). Logins are e-mail addresses, matched
// case-insensitively by the store. Passwords are compared byte for byte;
// the RFC 7613 OpaqueString normalisation is not applied (clients send NFC
// in practice, and normalising would need golang.org/x/text).
//
// Every credential failure gets the same 401: same headers, same body.
// For an unknown login (or an account without a password) the submitted
// password is still run through argon2id against a dummy hash with the
// current parameters, so the response takes as long as for a wrong
// password and response timing does not reveal which logins exist.
// A store error other than storage.ErrNotFound is a 500 with a generic
// body; the error goes to the log.
//
// # Verified-credential cache
//
// Clients send Basic credentials with every request, and syncing a
// calendar is hundreds of requests; at ~30 ms per argon2id run that would
// cap a core at ~30 requests per second. Successful verifications are
// therefore remembered for 10 minutes (fixed from the verification, not
// sliding), keyed by HMAC-SHA256 of login and password under a key
// generated at startup, never by the password itself. An entry records
// the account ID and the PasswordHash it was verified against, and a hit
// requires both to match the account as looked up for this request, so a
// password change or a re-created account takes effect on the next
// request. The cache holds at most 10,000 entries; when full, expired
// entries go first, then arbitrary ones. Concurrent requests carrying
// identical credentials share one argon2 run, and the number of argon2
// runs in progress is bounded (GOMAXPROCS by default) so a flood of bad
// logins cannot exhaust memory at 19 MiB a run.
//
// # Throttling
//
// Failed attempts are counted per login (lower-cased, counted whether or
// not the account exists, so a 429 reveals nothing either) and per client
// address (the IPv4 host, or the IPv6 /64 because a single host commonly
// owns a whole /64). Defaults: 10 failures per login and 30 per address
// within a sliding 15-minute window. The window is an exact log of the
// most recent failure times per key: once the limit is reached, attempts
// for that login or from that address get 429 Too Many Requests with a
// Retry-After of the seconds until the oldest counted failure leaves the
// window. The password is not verified while throttled, and a correct
// password is refused too; answering it would turn the lockout into an
// oracle. A request without an Authorization header, or with one that
// does not parse, is not a failure: clients send one first to get the
// challenge, and nothing was verified.
//
// An attempt reserves its slot before argon2 starts and releases it when
// done, so a burst of parallel guesses cannot all slip past the check
// before the first failure is recorded.
//
// A successful login does not reset the login's counter. Resetting would
// let an attacker who interleaves with the owner's clients, which log in
// every few minutes, guess without limit; without it the owner's own
// earlier typos simply age out of the window. A success from an address
// resets nothing either. The flip side of a per-login limit is that
// someone who knows a login can keep its owner locked out by failing
// repeatedly; the window is short and the lockout ends by itself, and
// requests whose credentials match a cached verification are refused like
// any other, because letting them through would reveal a correct guess.
//
// Each table holds at most 100,000 keys. Entries whose failures have all
// left the window are swept at least once per window; when a table is
// still full, the entry with the fewest failures (then the oldest) among
// a random sample is evicted, so spraying fresh logins or addresses
// displaces other single failures, not a locked-out key.
//
// Behind a reverse proxy every client shares the proxy's address; set
// Options.ClientAddr to take the address from the proxy's header.
//
// # Secrets
//
// The Authorization header, passwords, password hashes and cache keys are
// never logged, and the header is removed from the request the next
// handler sees. Failed attempts are logged at Info with the login (not a
// secret, truncated) and client address, lockouts at Warn.
package auth
