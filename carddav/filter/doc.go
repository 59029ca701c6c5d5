// Package filter parses and evaluates CardDAV addressbook-query filters
// (RFC 6352 8.6, 10.5) against cards parsed by internal/vcard. It has no
// HTTP in it: the REPORT handler decodes the request body, calls Decode for
// CARDDAV:filter and DecodeLimit for CARDDAV:limit, and maps the errors.
//
// # Errors (RFC 6352 8.3, 8.6)
//
// RFC 6352 names three preconditions for addressbook-query:
// CARDDAV:supported-address-data, CARDDAV:supported-filter and
// CARDDAV:supported-collation. So:
//
//   - ErrUnsupportedCollation: a text-match collation other than
//     i;unicode-casemap (also named "default", RFC 4790 3.1 and RFC 6352
//     8.3), i;ascii-casemap and i;octet (names are case-sensitive) → 403
//     CARDDAV:supported-collation.
//   - *UnsupportedError (ErrUnsupportedFilter): a match-type other than
//     equals, contains, starts-with, ends-with → 403
//     CARDDAV:supported-filter, listing each prop-filter (or param-filter,
//     for a text-match inside one) concerned once, up to 16, inside the
//     precondition element as 8.6 asks. Decode reads the whole filter so
//     that all of them are named. Every property and parameter name can
//     be queried, so nothing else is unsupported.
//   - ErrInvalidFilter: a body that breaks the RFC 6352 10.5 DTD → 403
//     CARDDAV:valid-filter: a root other than CARDDAV:filter; a CardDAV
//     element where the DTD does not allow it (anything but prop-filter
//     in filter; a comp-filter or time-range; children of is-not-defined
//     or text-match); a prop-filter or param-filter without a name or with
//     one that is not a vCard name ([group.]name for prop-filter); test
//     other than "anyof"/"allof"; negate-condition other than "yes"/"no";
//     is-not-defined together with other tests in a prop-filter, or a
//     param-filter with more than one test. An invalid filter is reported
//     before an unsupported one.
//   - XML that does not parse is a *dav.XMLError: 400 Bad Request (RFC
//     4918 8.2), whatever element it breaks in.
//   - ErrInvalidLimit: a limit that is not exactly one nresults holding an
//     unsigned integer (surrounding whitespace allowed, up to 2^31-1) →
//     400. Truncating results to the limit, and the 507 with
//     DAV:number-of-matches-within-limits, are the handler's.
//
// CARDDAV:valid-filter is not in RFC 6352, which names no precondition
// for a filter that breaks its DTD. It is the counterpart of RFC 4791
// 7.8's CALDAV:valid-filter, and what Apple's CalendarServer (written by
// the author of both RFCs) answers; a 403 naming the fault tells a client
// more than a bare 400, and CalDAV and CardDAV clients see the same
// answer to the same mistake.
//
// Precondition maps an error to the element name. Elements of other
// namespaces are skipped wherever they appear (RFC 4918 17). Attribute
// defaults follow the DTD: test="anyof", collation="i;unicode-casemap"
// (RFC 6352 8.3; an empty collation attribute and "default" also mean the
// default), match-type="contains", negate-condition="no". Names are
// upper-cased; text-match text is kept exactly, whitespace included.
//
// # Matching (RFC 6352 10.5.1-10.5.4)
//
//   - filter: no prop-filters matches every card (clients send an empty
//     filter to list an address book); otherwise anyof/allof over the
//     prop-filters.
//   - prop-filter: the instances are the properties of that name, compared
//     case-insensitively and in any group (item1.EMAIL is an EMAIL). A
//     prop-filter named GROUP.NAME matches only that group. With
//     is-not-defined it matches when there is no instance; with no tests
//     when there is one; otherwise when some single instance passes its
//     text-matches and param-filters combined by its test (RFC 6352 10.5.1
//     speaks of "a vCard property" matching). Other servers (sabre/dav)
//     let each test pick its own instance; that differs only for test=
//     allof over a property that occurs more than once.
//   - text-match: a property value is compared as written for structured
//     properties (N, ADR, ORG, GENDER, CLIENTPIDMAP), so that "Doe;Jane"
//     finds N:Doe;Jane;;;, and with RFC 6350 3.4 escapes undone for all
//     others, so that "Doe, Jane" finds FN:Doe\, Jane. Negation applies per
//     instance and per parameter value: "EMAIL does not contain
//     example.com" matches a card that has any other address, and never a
//     card without EMAIL.
//   - param-filter: on the same instance; is-not-defined when the
//     parameter is absent, no test when present, a text-match when some
//     value passes. TYPE values are also split at commas
//     (TYPE="work,voice" holds work and voice); other values are compared
//     as parsed, with RFC 6868 3 caret escapes decoded by internal/vcard
//     (^' a double quote, ^n a line break, ^^ a caret). vCard 2.1-style
//     bare types (TEL;CELL) count as TYPE values.
//   - Collations come from internal/collation: i;unicode-casemap is Unicode
//     simple case folding without normalisation ("STRAẞE" equals
//     "straße", "STRASSE" does not; "Σ", "σ" and "ς" are equal; see that
//     package for the full list), i;ascii-casemap folds A-Z only, i;octet
//     compares bytes.
//
// A filter built in code can be checked with Validate; in Match, a
// text-match with an unknown collation or match type matches nothing,
// negated or not.
//
// # Where this package departs from RFC 6352 on purpose
//
//   - CARDDAV:valid-filter, which RFC 6352 does not define (above).
//   - An empty collation attribute means the default, where the DTD's
//     CDATA would make it an unknown collation; "_" is let through in
//     names, as internal/vcard lets it through in data.
//   - test="allof" on a prop-filter asks one property instance to pass
//     every test (see Matching).
//
// Left out: version-independent queries (a prop-filter on KIND does not
// see Apple's X-ADDRESSBOOKSERVER-KIND, TYPE=pref is not PREF=1), RFC 5051
// normalisation, and indexes — the handler matches parsed cards one by
// one.
package filter
