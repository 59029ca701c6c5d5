// Package contentline holds what iCalendar (RFC 5545 3.1) and vCard
// (RFC 6350 3.2, RFC 2425 5.8.1) share: the content-line envelope. It
// reads logical lines out of physical ones (unfolding) and writes them
// back folded, and quotes client data for error messages. internal/ical
// and internal/vcard parse what is inside the lines, each by its own
// grammar.
//
// Choices: physical lines end at LF with an optional CR before it (a bare
// LF is accepted, as every real parser does), a final line without LF
// ends the data; one leading space or tab marks a continuation and is
// removed; folds are written at 75 octets (CRLF excluded) and never split
// a UTF-8 sequence, so the folded text stays valid UTF-8 line by line.
package contentline
