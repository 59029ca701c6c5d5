// Package filter parses and evaluates CalDAV calendar-query filters
// (RFC 4791 9.7) against parsed calendar objects.
//
// # Decoding (RFC 4791 9.7, 9.9; errors 7.5.1, 7.7, 7.8)
//
// Decode reads a CALDAV:filter with encoding/xml from the caller's decoder
// and checks it with Validate, which Match runs too for filters built in
// code. Elements of other namespaces are skipped (RFC 4918 17). XML that
// does not parse is a *dav.XMLError (RFC 4918 8.2: 400), not a filter
// error. These are ErrInvalidFilter (403 CALDAV:valid-filter), wrapped
// with the reason:
//
//   - a root other than CALDAV:filter, no or several comp-filters in it,
//     an outermost comp-filter other than VCALENDAR;
//   - a CalDAV element where the RFC 4791 DTD does not allow it (text-match
//     in comp-filter, time-range or param-filter in param-filter,
//     param-filter in comp-filter, children of is-not-defined or
//     text-match, unknown names such as the draft-era is-defined);
//   - a comp-filter, prop-filter or param-filter without a name, or whose
//     name is no iCalendar name (RFC 5545 3.1 iana-token or x-name; "_"
//     is let through as internal/ical lets it through in data);
//     is-not-defined together with other tests; two time-ranges or two
//     text-matches in one filter element; a time-range and a text-match
//     in one prop-filter (9.7.2: (time-range | text-match)?);
//     negate-condition other than "yes"/"no"; comp-filters nested more
//     than 16 deep;
//   - a component RFC 5545 (3.4, 3.6) or RFC 7953 (3.1) defines, filtered
//     where it cannot occur, which RFC 4791 7.8 gives as its example of an
//     invalid filter: VCALENDAR below the root; VEVENT, VTODO, VJOURNAL,
//     VFREEBUSY, VTIMEZONE, VAVAILABILITY other than in VCALENDAR (so not
//     VEVENT in VEVENT, nor VEVENT in an x-component); VALARM other than in
//     VEVENT or VTODO; STANDARD and DAYLIGHT other than in VTIMEZONE;
//     AVAILABLE other than in VAVAILABILITY. Other names (x-comp,
//     iana-comp such as RFC 9073's VLOCATION) may be filtered in any
//     component: their place cannot be known;
//   - a time-range on VCALENDAR, VTIMEZONE, STANDARD or DAYLIGHT, for
//     which 9.9 defines none;
//   - a time-range on a property RFC 5545, RFC 7986 or RFC 7953 defines
//     whose value is never a DATE, DATE-TIME or PERIOD (SUMMARY, 7.8's
//     example; DURATION, RRULE, ATTENDEE, COLOR, ...);
//   - a time-range with neither start nor end, a value that is not exactly
//     a UTC date-time YYYYMMDDTHHMMSSZ, or an end not after the start.
//
// A time-range on a component RFC 5545 and RFC 7953 do not define (an
// x-comp, VPOLL) is *UnsupportedError (403 CALDAV:supported-filter, 7.7):
// valid, but when such a component takes place cannot be known. The
// error lists every such comp-filter once, up to 16, for the handler to
// put inside the precondition element as 7.8 asks. An invalid filter is
// reported before an unsupported one.
//
// A time-range is accepted on the date properties of 9.9 (COMPLETED,
// CREATED, DTEND, DTSTAMP, DTSTART, DUE, LAST-MODIFIED) and, beyond 9.9,
// on RECURRENCE-ID, EXDATE, RDATE, TRIGGER and FREEBUSY, and on every
// property RFC 5545, 7986 and 7953 do not define (x-properties such as
// X-MOZ-LASTACK, newer iana-properties such as RFC 9074's ACKNOWLEDGED):
// their values say whether they are dates (VALUE=), and one that is not
// never matches.
//
// A text-match collation other than i;ascii-casemap (the default, also
// named "default": RFC 4791 7.5, RFC 4790 3.1), i;octet and
// i;unicode-casemap is ErrUnsupportedCollation (403
// CALDAV:supported-collation). text-match text is kept exactly,
// whitespace included.
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
//   - VAVAILABILITY and AVAILABLE (RFC 7953): DTSTART..DTEND or
//     DTSTART+DURATION must overlap; without both they match.
//   - prop-filter time-range (e.g. DTSTAMP, COMPLETED, DUE): the value is an
//     instant tested as above; EXDATE/RDATE lists match if any value does,
//     PERIOD values by overlap. Values that are no date (an x-property
//     with VALUE=TEXT, a TRIGGER duration) never match.
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
//
// # Where this package departs from RFC 4791 on purpose
//
//   - Time-ranges on RECURRENCE-ID, EXDATE, RDATE, TRIGGER, FREEBUSY and
//     on properties no RFC we know defines are evaluated, where 9.9 says
//     the semantics are "not defined": their values are dates or say
//     they are not, and refusing them would break no rule worth keeping.
//   - Names may contain "_" (RFC 5545 3.1 allows ALPHA, DIGIT, "-"), as
//     stored data may, so that any name the data holds can be queried.
//   - A VEVENT whose DTEND is not after its DTSTART is an instant, not an
//     event no range can meet; components the data leaves undecidable
//     match (see Time ranges).
package filter
