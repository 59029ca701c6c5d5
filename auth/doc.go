// Package auth authenticates requests, stores passwords, and throttles
// every check of a secret.
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
// # Disabled accounts
//
// A disabled account (storage.Account.Disabled) is refused on the one
// path every account password and app password takes (HTTP Basic on DAV
// and the API, the session login, password confirmations) and by the
// session check. The secret is checked first, exactly as for an account
// that is not disabled: same argon2 run, same throttle counters, and a
// wrong password gets the wrong password's answer. Only a right one
// learns that the account is disabled: HTTP Basic answers it with the
// same 401 as any failure (a DAV client asks for the password again
// rather than report a server fault), the session login with 403
// account_disabled (ErrAccountDisabled), a session with the same 403.
// The credential cache needs no hook: the account is looked up afresh
// on every request, and the flag is read from that lookup.
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
// identical credentials share one argon2 run.
//
// # One argon2 limit
//
// Every argon2 run of the server, to verify or to hash a password, waits
// for one of a fixed number of slots (Options.MaxConcurrentVerifications,
// GOMAXPROCS by default) held by the Authenticator's Guard: HTTP Basic,
// the session login, current-password confirmations, mailbox passwords
// proven for linking, and new account and mailbox passwords alike. At
// 19 MiB a run, a flood of wrong passwords through any door therefore
// costs at most slots × 19 MiB; the rest queue (without memory) and give
// up when their request ends. Features get the Guard from the server
// (account and mailbox Options); no feature calls argon2 itself.
//
// # Throttling
//
// Every check of a secret goes through the Guard: Guard.Check for codes,
// tokens and mailbox passwords, and the Authenticator's one password path
// (Basic, LoginPassword, ConfirmPassword) for account passwords. Failures
// are counted in sliding windows per key (an exact log of the most recent
// failure times); once a key's limit is reached, attempts are refused
// with 429 Too Many Requests and a Retry-After of the seconds until the
// oldest counted failure leaves the window, and the secret is not checked
// at all: answering a right guess during a lockout would make the lockout
// an oracle. The JSON API renders the refusal (*ThrottledError) through
// internal/api. An attempt reserves its slot before it is checked and
// releases it when done, so a burst of parallel guesses cannot all slip
// past the check before the first failure is recorded. A success resets
// nothing (resetting would let a guesser interleave with the owner's own
// clients, which log in every few minutes); errors such as a store outage
// are not failures. Client addresses are keyed by IPv4 host or IPv6 /64,
// because a single host commonly owns a whole /64.
//
// The limits, per kind of secret and key, each within 15 minutes unless
// said otherwise:
//
//   - Account password (Limits; HTTP Basic, session login, the current
//     password that confirms a login, password or 2FA change: one secret,
//     one set of counters): 10 failures per login from one address, 30
//     per address whatever the logins, 100 per login from all addresses
//     together. Logins are lower-cased and counted whether or not the
//     account exists, so a 429 reveals nothing either.
//   - Mailbox password, proven to link a mailbox (POST
//     /api/v1/mailboxes/link): 10 per account and mailbox, 30 per
//     mailbox from all accounts (so that many accounts cannot each take
//     ten guesses), 30 per account over all mailboxes. Mailboxes are
//     counted however they are spelled (alias domains), unknown
//     addresses under the address asked for. Every attempt is made by a
//     logged-in account, so whoever locks a mailbox's linking for 15
//     minutes is named in the log; the mailbox itself keeps working.
//   - TOTP code: 5 per account, and 20 per account a day. A guess hits
//     one of three accepted codes in a million; with the password
//     already known that caps a guesser at about 2% a year instead of
//     a likely hit within hours. A thief of the password can use the
//     budget up; the owner still has recovery codes and app passwords.
//   - Recovery code (50 bits), told from a TOTP code by its shape and
//     counted apart so that a TOTP lockout never blocks it: 10 per
//     account.
//   - Mailed one-time codes (login-change confirmation, 256 bits): 10 per
//     account. Password-reset tokens (256 bits), presented without login:
//     30 per address. Neither can be guessed; counting them keeps every
//     secret check under the same rules at no cost to their owners.
//
// Public-feed tokens are MACs checked by package sharing; unknown ones
// are slowed per address by publish with a Limiter (the same windows).
//
// # Lockouts that strangers cannot cause
//
// A lock on a login alone hands out a denial of service: anyone who knows
// a login could keep its owner out by failing ten times every quarter of
// an hour. So the
// account password is locked per login at one address (a stranger's
// failures lock only the stranger's address), the per-address limit
// catches one address trying many logins, and the limit per login across
// all addresses is ten times higher, bounding a guesser spread over a
// botnet to 9,600 guesses a day. When that global limit is reached, two
// kinds of attempt still get in, as with the big providers:
//
//   - App passwords: 120 random bits, beyond guessing. No lock applies to
//     them, not even at a locked address: accepting one tells a guesser
//     nothing. A throttled request is answered from the store, without
//     argon2, only when it has the shape of an app password.
//   - Known devices: the login's password, from an address (IPv4 host or
//     IPv6 /64) where that same password logged in within the last 30
//     days. That reveals nothing new, since whoever is at that address
//     already had it working. A miss is refused, counted under every rule
//     (so guessing from such an address stays within its 10 per 15
//     minutes) and checked without argon2. The credential cache does not
//     count: a cached password let through from any address would
//     confirm a guess made from anywhere. Devices are remembered by
//     HMAC-SHA256 of login, password and address under a per-process key,
//     bound to the account and its password hash (a password change ends
//     them), at most 100,000, in memory.
//
// A lock on the login at an address, or on the address, holds for
// everyone there but app passwords: letting a known device through there
// would give whoever shares the address (a NAT, a carrier-grade NAT)
// unlimited guesses against the device table. Session cookies are not
// passwords and no password lockout touches them. A request without an
// Authorization header, or with one that does not parse, is not a
// failure: clients send one first to get the challenge.
//
// # Where failures are counted
//
// One process (the bbolt store): in memory. Each table holds at most
// 100,000 keys. Entries whose failures have all left the window are
// swept at least once per window; when a table is still full, the entry
// with the fewest failures (then the oldest) among a random sample is
// evicted, so spraying fresh keys displaces other single failures, not a
// locked-out key.
//
// Several servers on one store (Options.Throttle, a storage.Throttle:
// PostgreSQL): in the store, so that a guesser meets the same limits
// whichever server it reaches, under the same rules. A reservation is a
// held attempt stored under the key's lock, refused while failures and
// holds reach the limit; a hold whose server died stops counting after
// storage.ThrottleHold. Each rule is stored under its kind and name
// ("password/login from address"), so every server must run the same
// build's rules. A key keeps only its newest limit failures and expired
// rows are swept, so the table grows with the keys guessed within a
// window, not with time. A request with a password reads the counts of
// its kind's rules in one round trip before anything else; an attempt
// that is checked reserves and records in each rule (about 1 ms per
// rule on a local database, against argon2's 30 ms). When the counts
// cannot be read or a hold cannot be taken, the check is not made: the
// request fails (500), since checking unthrottled would hand a guesser
// a database outage. A failure that cannot be recorded after its check
// is logged and lost. The Guard's limiters (Guard.Limiter: feed-token
// guesses, recovery requests, import source logins) count where the
// Guard does.
//
// The client address is the one internal/remote settles for the
// request: behind a reverse proxy the server trusts (-trusted-proxies),
// the address the proxy names; otherwise the connection's, so that clients
// behind a proxy the server was not told to trust share its address.
//
// # Secrets
//
// The Authorization header, passwords, password hashes and cache keys are
// never logged, and the header is removed from the request the next
// handler sees. Failed attempts are logged at Info with the login (not a
// secret, truncated) and client address, lockouts at Warn.
//
// # Monitoring
//
// Options.Observer is told of each outcome by kind: Failed for a secret
// checked and wrong (for passwords, an unknown login or an account
// without one too, which the client cannot tell apart), Throttled for an
// attempt refused unchecked. A success, a disabled account's refusal
// (the secret was right) and a request without credentials are neither. The server counts them in its metrics; this
// package stays free of a metrics library.
package auth
