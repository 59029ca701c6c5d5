// Package sieve writes the Sieve scripts (RFC 5228) that make a mail
// server answer mail automatically: one script per mailbox, with the
// vacation action of RFC 5230, run by Dovecot's Pigeonhole when it
// delivers. It knows nothing of almanac's storage; the caller (package
// mailbox) turns a responder into a Vacation.
//
// # Text from users
//
// Everything a user wrote (subject, message, addresses, handle) reaches
// the script only as an RFC 5228 2.4.2 quoted string, written by String:
// '\' and '"' are escaped, every line break (CRLF, CR or LF) becomes
// CRLF, the only line break a quoted string may hold, and NUL, which no
// Sieve string can carry, becomes U+FFFD, as does invalid UTF-8. Strings
// are never multi-line "text:" blocks, so dot-stuffing never matters, and
// the script requires neither "variables" nor "encoded-character", so
// "${...}" in a message is just text. One-line values (subject, handle)
// have their control characters replaced by spaces: the subject becomes
// a header. Addresses must be plain local@domain in ASCII (Pigeonhole
// refuses anything else in :from at compile time). A script is therefore
// the same sequence of commands and tests whatever the user wrote; the
// package's fuzz test checks that property and has sievec compile every
// script.
//
// # What the script tests
//
// Before the vacation action, and besides what Pigeonhole checks itself
// (RFC 5230 4.5, RFC 3834 2 and 5), the script refuses to answer:
//
//   - mail from a list (RFC 2369 List-* and RFC 2919 List-Id headers) or
//     sent in bulk (Precedence: bulk, list or junk);
//   - automatic mail (an Auto-Submitted header other than "no", RFC
//     3834 5);
//   - bounces and robots: an empty return path, MAILER-DAEMON, LISTSERV,
//     majordomo, owner-* and *-request senders;
//   - the user's own addresses (Vacation.Addresses) and the excluded
//     senders and domains, by envelope sender and by From.
//
// The period and the weekdays are tests of the current date (RFC 5260
// "currentdate" with "relational" comparisons). Sieve only knows fixed
// UTC offsets, so the caller splits the period at the zone's offset
// changes into Windows: each is a span of UTC time with the offset that
// holds in it, and the weekday test reads the day at that offset.
//
// The action is "vacation :days N" (or ":seconds N" of RFC 6131, for
// tests) with ":handle", which the caller changes to answer every sender
// afresh, ":addresses" (the user's other addresses, so that mail to an
// alias is answered) and ":from". An HTML message makes the reason a
// multipart/alternative MIME entity (":mime") with both parts in
// quoted-printable, so the script stays 7-bit in the body and no line of
// it is long; its boundary starts with "=_", which quoted-printable
// output cannot contain.
package sieve
