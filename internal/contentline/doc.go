// Package contentline holds what iCalendar (RFC 5545 3.1) and vCard
// (RFC 6350 3.2, RFC 2425 5.8.1) share: the content-line envelope. It
// reads logical lines out of physical ones (unfolding) and writes them
// back folded, decodes and encodes parameter values (RFC 6868), and
// quotes client data for error messages. internal/ical and internal/vcard
// parse what is inside the lines, each by its own grammar.
//
// Choices: physical lines end at LF with an optional CR before it (a bare
// LF is accepted, as every real parser does), a final line without LF
// ends the data; one leading space or tab marks a continuation and is
// removed; folds are written at 75 octets (CRLF excluded) and never split
// a UTF-8 sequence, so the folded text stays valid UTF-8 line by line.
//
// A UTF-8 byte order mark before the first line is passed over, as
// sabre/vobject does: RFC 5545 and RFC 6350 neither allow nor forbid it,
// RFC 3629 6 treats it as a signature of the encoding, not text, and
// exports from Outlook, Android and Windows editors start with one.
// Callers store such data as received; TrimBOM removes the mark where
// stored data is embedded in another document. A BOM anywhere else is a
// character like any other (and no valid start of a property name).
//
// Parameter values (RFC 6868 3): DecodeParam turns ^n into LF, ^' into a
// double quote and ^^ into a caret, reading once from left to right, and
// leaves a caret before anything else (including "^N") as written, as the
// RFC requires. AppendParam writes the inverse and quotes values with ":",
// ";" or ",". sabre/vobject (for every vCard version) and Apple's
// pycalendar decode the same way; Radicale's python-vobject does not
// decode at all.
package contentline
