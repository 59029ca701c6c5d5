// Package collation implements the text comparisons that CalDAV and
// CardDAV text-match filters use: the collations of RFC 4790 9.2
// (i;ascii-casemap), 9.3 (i;octet) and RFC 5051 (i;unicode-casemap), and
// the match types equals, contains, starts-with and ends-with
// (RFC 6352 10.5.4; CalDAV's text-match, RFC 4791 9.7.5, is "contains").
//
// The package has no defaults: CalDAV's default collation is
// i;ascii-casemap (RFC 4791 7.5.1) and CardDAV's is i;unicode-casemap
// (RFC 6352 8.3), so the caller fills in its protocol's default and passes
// a name and a match type explicitly. Unknown names are ErrUnsupported and
// ErrUnsupportedMatchType; the CalDAV and CardDAV filter packages map them
// to their supported-collation and supported-filter preconditions.
//
// # Collations
//
//   - i;octet compares bytes.
//   - i;ascii-casemap maps A-Z to a-z and leaves every other byte alone,
//     so "É" and "é" stay different.
//   - i;unicode-casemap maps every rune to a canonical member of its
//     Unicode simple case folding orbit (unicode.SimpleFold, CaseFolding.txt
//     status C and S), so two strings fold equal exactly when
//     strings.EqualFold says so. That equates "STRASSE" with "strasse",
//     "STRAẞE" (U+1E9E) with "straße", "Σ", "σ" and "ς", "ǅ" with "ǆ" and
//     "Ǆ", and K (U+212A KELVIN SIGN) with "k". It does not equate what
//     only full folding (status F) or normalisation would: "ß" is not "ss"
//     (so "straße" does not match "STRASSE"), "ﬁ" is not "fi", "İ" (U+0130)
//     is not "i", and a precomposed "é" is not "e" + U+0301.
//
// RFC 5051 specifies titlecase mapping followed by NFKD normalisation. We
// use simple case folding without normalisation, to stay within the
// standard library (x/text is not a dependency). For the scripts contacts
// and events are written in the two agree except for those cases:
// decomposed accents and compatibility characters (ligatures, full-width
// forms) do not match their composed or plain forms, and the few letters
// whose titlecase and folding differ (ẞ/ß fold together here, RFC 5051
// keeps them apart). Invalid UTF-8, which validated data never holds, is
// compared as U+FFFD per bad byte.
//
// # Match types
//
// equals compares the whole folded strings, contains looks for the folded
// pattern as a substring (the empty pattern is in every string),
// starts-with and ends-with as a prefix and a suffix. All four work on the
// folded forms, which map rune to rune, so a match never splits a
// character.
package collation
