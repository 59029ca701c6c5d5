// Package ical is almanac's lenient-but-safe iCalendar (RFC 5545) layer on
// top of github.com/emersion/go-ical's data model: decoding untrusted bytes,
// checking calendar object resources for the CalDAV PUT handler
// (RFC 4791 4.1, 5.3.2.1), reading DATE/DATE-TIME/PERIOD/DURATION values,
// resolving TZIDs, and expanding recurrence sets for time-range queries.
//
// # Parse (RFC 5545 3.1)
//
// Parse does not use go-ical's Decoder, which panics on parameter lines
// such as "X;P=a" and `X;P="a"b:v`, recurses once per nesting level and
// builds parameter values byte by byte (quadratic: a 300 KB parameter took
// 20 s). Its own iterative scanner yields the same *ical.Calendar go-ical
// yields wherever both accept the input (FuzzParse checks this), with a
// recover as a backstop. Every refusal is a *ValidationError with a line
// number; Kind tells the handler which precondition to report.
//
//   - Size: more than MaxSize bytes (default 10 MiB, 0 = no cap) is
//     TooLarge (CALDAV:max-resource-size, RFC 4791 5.3.2.1).
//   - A leading UTF-8 byte order mark is refused: "calendar data must not
//     start with a byte order mark". We store the client's bytes exactly
//     (DESIGN.md §4) and a BOM breaks other clients that read them back.
//   - The data must be valid UTF-8 (RFC 5545 3.1.4) and contain no control
//     characters other than HTAB (RFC 5545 3.1, 3.3.11): other clients
//     choke on them.
//   - Lines end in CRLF or, leniently, a bare LF; a final CR without LF
//     also ends a line. Folding (CRLF followed by one space or tab) is
//     undone. Empty lines are skipped, as go-ical does.
//   - Property, parameter and component names are RFC 5545 iana-token or
//     x-name characters (ALPHA, DIGIT, "-"), plus "_" which some producers
//     use. Parameter values are quoted-string or paramtext; a line that
//     ends inside a parameter, a quote inside an unquoted value and text
//     after a closing quote are errors (these are the go-ical panics).
//     RFC 6868 caret escapes are left as written, like go-ical does.
//   - Exactly one VCALENDAR: the first line is BEGIN:VCALENDAR, every END
//     closes the innermost BEGIN, and only whitespace may follow
//     END:VCALENDAR. BEGIN/END take no parameters. Components nest at most
//     16 deep, so that recursive walkers over a parsed calendar are safe.
//
// # ValidateObject (RFC 4791 4.1, 5.3.2.1; RFC 5545 3.6)
//
// InvalidData (CALDAV:valid-calendar-data) is for iCalendar that is
// broken; InvalidObject (CALDAV:valid-calendar-object-resource) for valid
// iCalendar that is not one calendar object resource.
//
//   - PRODID and VERSION may be missing: RFC 5545 3.6 requires them, but
//     real clients omit them and nothing we do depends on them. A VERSION
//     that is present must be 2.0 (InvalidData).
//   - No METHOD property (RFC 4791 4.1; InvalidObject): METHOD marks an
//     iTIP message, which a stored resource is not.
//   - At least one component other than VTIMEZONE; all of them of one type
//     among VEVENT, VTODO, VJOURNAL, VFREEBUSY and VAVAILABILITY (RFC 7953);
//     every one with a non-empty UID, the same in all (RFC 4791 4.1;
//     InvalidObject). Whether the collection supports that type is the
//     handler's check (CALDAV:supported-calendar-component).
//   - At most one component without RECURRENCE-ID (the master) and no two
//     with the same RECURRENCE-ID, compared as instants (RFC 4791 4.1,
//     RFC 5545 3.8.4.4; InvalidObject).
//   - UID, DTSTART, DTEND, DUE, DURATION and RECURRENCE-ID occur at most
//     once per component (RFC 5545 3.6.1-3.6.3 "MUST NOT occur more than
//     once"); with two DTSTARTs no query answer would be right.
//   - VEVENT has DTSTART, required for objects without METHOD
//     (RFC 5545 3.6.1), and not both DTEND and DURATION. VTODO has not both
//     DUE and DURATION, and DURATION only with DTSTART (RFC 5545 3.6.2).
//   - DTSTART, DTEND, DUE and RECURRENCE-ID are DATE or DATE-TIME values
//     (UTC, floating or with TZID; RFC 5545 3.3.4, 3.3.5) with real dates
//     and times; DURATION parses (3.3.6). VALUE=DATE without VALUE is
//     accepted by its shape. A TZID that the object does not define and
//     that is no IANA name is tolerated: clients rely on servers knowing
//     zones, and the value still has a definite wall-clock reading.
//
// Not checked, on purpose (lenient): VTIMEZONE contents, that DTEND is
// after DTSTART or of the same value type, RRULE syntax (an RRULE we cannot
// expand makes time-range queries return the object, see caldav/filter),
// property value types other than the dates above.
//
// # Dates, zones, durations
//
// DateTime reads UTC values as UTC even with a TZID, TZID values in the
// named IANA zone (LoadLocation; unknown names fall back to UTC), floating
// and DATE values in a caller-given zone (the query's, RFC 4791 9.9).
// LoadLocation caches lookups, refuses "Local", and embeds time/tzdata so a
// bare machine resolves zones. ParseDuration is exact; AddDuration treats
// weeks and days as nominal calendar days (RFC 5545 3.3.6).
//
// # Recurrence (RFC 5545 3.8.5)
//
// NewRecurrence builds the set DTSTART ∪ RRULE ∪ RDATE − EXDATE and Each
// walks it in ascending order. Choices:
//
//   - DTSTART is always an instance, even when the rule would not produce
//     it (RFC 5545 3.8.5.3); rrule-go leaves it out.
//   - Several RRULEs are merged; EXRULE (deprecated) is ignored.
//   - UNTIL that is floating or DATE is read in DTSTART's zone; a DATE
//     UNTIL on a DATE-TIME series includes that whole day, as its producers
//     mean. A DATE EXDATE on a DATE-TIME series removes that day's
//     instances. RDATE PERIOD values keep their own end.
//   - Unparsable RDATE/EXDATE values are skipped; an RRULE rrule-go cannot
//     parse (including RFC 7529 RSCALE/SKIP) is an error.
//   - Safety: rrule-go loops forever when INTERVAL steps can never reach
//     BYHOUR/BYMINUTE/BYSECOND (FREQ=HOURLY;INTERVAL=2;BYHOUR=1 from an even
//     hour); such rules are refused. A DAILY-or-finer rule whose day filters
//     no date satisfies would be walked day by day to year 9999; a 400-year
//     probe (the Gregorian cycle) finds that first and drops the rule.
//     INTERVAL above 100000 is refused. rrule-go panics are recovered.
//
// Left for the calendar-engine issue: TZIDs defined only by a VTIMEZONE in
// the object, Windows zone names and "/vendor/prefix/Europe/Berlin" style
// names (all read as UTC today), RECURRENCE-ID;RANGE=THISANDFUTURE,
// RFC 7529 RSCALE, RFC 6868 parameter decoding, a folding writer.
package ical
