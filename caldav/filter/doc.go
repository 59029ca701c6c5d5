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
//     Values are compared as internal/ical's Parse decodes them (RFC 6868
//     3: ^' is a double quote, ^n a line break, ^^ a caret), so
//     CN=George ^'Babe^' Ruth contains `"Babe"`.
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
// TZIDs resolve through internal/ical's Zones chain (IANA, Windows names,
// vendor prefixes, X-LIC-LOCATION, the object's own VTIMEZONE rules; an
// unknown one reads as UTC).
//
// VEVENT, VTODO and VJOURNAL are tested instance by instance with
// internal/ical.Instances, restricted to the instances the component
// itself defines (InstanceOptions.Only): a master's instances that no
// override replaces, an override's own instance at its own (possibly
// moved) time, and for a RANGE=THISANDFUTURE override the later instances
// it shifts and redefines. So the time-range and the prop-filters of one
// comp-filter always apply to the same component: a moved instance is
// found at its new time and not its old one, with its own SUMMARY.
// Instances of a master keep its length (see internal/ical). Cancelled
// instances (STATUS:CANCELLED) still match: they are in the data, and a
// syncing client must see the object that holds them.
//
//   - VEVENT: the instance's [start, end), end per RFC 5545 3.6.1 (DTEND,
//     DTSTART+DURATION, a DATE's day, else an instant). A DTEND at or
//     before DTSTART makes an instant, rather than the RFC table's formula
//     that an event with DTEND = DTSTART could never meet.
//   - VTODO: the RFC 4791 9.9 table row by row (DTSTART/DURATION/DUE/
//     COMPLETED/CREATED), its <= and >= kept as written, applied to each
//     instance (DUE and DURATION move with it).
//   - VJOURNAL: a DATE DTSTART covers that day, a DATE-TIME is an instant,
//     no DTSTART never matches.
//   - VFREEBUSY: DTSTART..DTEND (start <= DTEND AND end > DTSTART) if both
//     are present, else any FREEBUSY period overlaps, else no match.
//   - VALARM: (start <= trigger-time) AND (end > trigger-time) for some
//     trigger time: TRIGGER relative to the START (default) or END
//     (RELATED=END; DTEND or DUE) of each instance of the component the
//     alarm is in, nominal days (RFC 5545 3.8.6.3), or absolute
//     (VALUE=DATE-TIME, once); each of REPEAT repetitions DURATION apart
//     is a trigger time too.
//   - Other components (VAVAILABILITY, AVAILABLE, x-components):
//     DTSTART..DTEND or DTSTART+DURATION must overlap; without both they
//     match.
//   - prop-filter time-range (e.g. DTSTAMP, COMPLETED, DUE): the value is an
//     instant tested as above; EXDATE/RDATE lists match if any value does,
//     PERIOD values by overlap. Non-date values (SUMMARY) never match.
//
// Expansion skips ahead: a daily series from 1970 is not walked from 1970
// (see internal/ical). It is capped at MaxInstances (10,000) instances in
// the range and 10 x MaxInstances occurrences walked (a rule with a COUNT
// above 200,000 is walked from its start).
//
// When the data cannot answer — a VEVENT without a parsable DTSTART, a
// date property that does not parse (in any component of the object), an
// RRULE we cannot expand, a VALARM without a TRIGGER or with a relative
// one outside any component, the cap or internal/ical's work budget
// reached before the range ends, the request's budget (Filter.Budget)
// spent before the test could walk the recurrence or build a time zone,
// an RRULE left out for exceeding the work limits — the component
// matches. A client shown one object too many re-checks it itself; one
// that never sees an object loses it from its view. MatchCut reports a match that rests on an expansion cut short, so
// that the report can say so (caldav doc.go, "Answers cut short").
//
// Left out: recurring VAVAILABILITY (RFC 7953) and RFC 7529 RSCALE rules
// (such objects match every range, see above).
package filter
