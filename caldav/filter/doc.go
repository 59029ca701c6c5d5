// Package filter parses and evaluates CalDAV calendar-query filters
// (RFC 4791 9.7) against parsed calendar objects.
//
// # Decoding (RFC 4791 9.7, 9.9; errors 7.5.1, 7.8)
//
// Decode reads a CALDAV:filter with encoding/xml from the caller's decoder.
// Elements of other namespaces are skipped (RFC 4918 17). These are
// ErrInvalidFilter (403 CALDAV:valid-filter), wrapped with the reason:
//
//   - a root other than CALDAV:filter, no or several comp-filters in it,
//     an outermost comp-filter other than VCALENDAR;
//   - a CalDAV element where the RFC 4791 DTD does not allow it (text-match
//     in comp-filter, time-range in param-filter, children of
//     is-not-defined or text-match, unknown names such as the draft-era
//     is-defined);
//   - a comp-filter, prop-filter or param-filter without a name;
//     is-not-defined together with other tests; two time-ranges or two
//     text-matches in one filter element; negate-condition other than
//     "yes"/"no"; comp-filters nested more than 16 deep;
//   - a time-range with neither start nor end, a value that is not exactly
//     a UTC date-time YYYYMMDDTHHMMSSZ, or an end not after the start.
//
// A text-match collation other than i;ascii-casemap (the default), i;octet
// and i;unicode-casemap is ErrUnsupportedCollation (403
// CALDAV:supported-collation). A prop-filter may carry both a time-range
// and a text-match (the DTD allows one); both must hold. text-match text is
// kept exactly, whitespace included.
//
// # Matching (RFC 4791 9.7.1-9.7.5)
//
//   - comp-filter: some component of that name (case-insensitive) among the
//     parent's children passes every prop-filter, every nested comp-filter
//     and the time-range; with is-not-defined, no such component exists.
//   - prop-filter: some instance of the property passes the text-match, the
//     time-range and every param-filter (all on the same instance);
//     is-not-defined: no instance.
//   - param-filter: the parameter is on the property and, with a
//     text-match, one of its values passes; is-not-defined: it is absent.
//   - text-match is a substring test; negate-condition inverts it per value
//     (so a negated match on an absent property is still no match). TEXT
//     values (and x-properties) are compared with RFC 5545 3.3.11 escapes
//     undone, so "a,b" finds SUMMARY:a\,b.
//   - Collations (RFC 4790 9.2, 9.3; RFC 5051): i;ascii-casemap folds A-Z
//     only; i;octet compares bytes; i;unicode-casemap uses Unicode simple
//     case folding without RFC 5051's NFKD step (standard library only).
//
// # Time ranges (RFC 4791 9.9)
//
// A period [s, e) overlaps the range when start < e AND end > s; a period
// of no length when start <= s AND end > s. An unbounded side is open.
// Floating DATE-TIMEs and DATEs are read in Filter.Location, the query's
// CALDAV:timezone or the collection's calendar-timezone (UTC when nil);
// TZIDs resolve as IANA names (time/tzdata is embedded) and unknown ones
// read as UTC.
//
//   - VEVENT: the end is DTEND, else DTSTART+DURATION (nominal days), else
//     DTSTART+1 day for a DATE, else DTSTART itself (an instant). A DTEND
//     at or before DTSTART makes an instant too, rather than the RFC
//     table's formula that an event with DTEND = DTSTART could never meet.
//   - VTODO: the RFC 4791 9.9 table row by row (DTSTART/DURATION/DUE/
//     COMPLETED/CREATED), its <= and >= kept as written.
//   - VJOURNAL: a DATE DTSTART covers that day, a DATE-TIME is an instant,
//     no DTSTART never matches.
//   - VFREEBUSY: DTSTART..DTEND (start <= DTEND AND end > DTSTART) if both
//     are present, else any FREEBUSY period overlaps, else no match.
//   - Other components (VALARM, VAVAILABILITY, AVAILABLE, x-components):
//     DTSTART..DTEND or DTSTART+DURATION must overlap; without both they
//     match.
//   - Recurrence: a master (no RECURRENCE-ID) is expanded with
//     internal/ical (RRULE via rrule-go, RDATE incl. PERIOD, EXDATE lists
//     and repeated properties, DTSTART always included) and matches if one
//     instance overlaps. Instances replaced by an override among the
//     siblings (same UID, RECURRENCE-ID equal as an instant, or as a date
//     for DATE RECURRENCE-IDs) are skipped; the override is tested on its
//     own dates, so a moved instance is found at its new time and not its
//     old one. Instances keep the master's length: DTEND's exact duration,
//     DURATION's nominal one, whole days for all-day series. Expansion
//     stops at the first instance past the range end and after
//     MaxInstances (10,000) instances.
//   - prop-filter time-range (e.g. DTSTAMP, COMPLETED, DUE): the value is an
//     instant tested as above; EXDATE/RDATE lists match if any value does,
//     PERIOD values by overlap. Non-date values (SUMMARY) never match.
//
// When the data cannot answer — a VEVENT without a parsable DTSTART, a
// date property that does not parse, an RRULE we cannot expand, the
// 10,000-instance cap reached before the range ends — the component
// matches. A client shown one object too many re-checks it itself; one
// that never sees an object loses it from its view.
//
// Left for the calendar-engine issue: TZIDs defined only by the object's
// VTIMEZONE and Windows zone names (read as UTC), VALARM time ranges
// (alarms match any range today), RECURRENCE-ID;RANGE=THISANDFUTURE,
// recurring VAVAILABILITY, and expansion that skips ahead instead of
// walking from DTSTART (long-running daily series hit the cap).
package filter
