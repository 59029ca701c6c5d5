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
//   - A leading UTF-8 byte order mark is passed over (contentline), as
//     sabre/vobject does; Radicale's python-vobject refuses it. RFC 5545
//     3.1.4 says the data is UTF-8 and nothing of a BOM; RFC 3629 6 reads
//     a leading U+FEFF as a signature, and exports from Outlook, Android
//     and Windows editors carry one. The bytes are stored as sent and GET
//     serves them so; where stored data is embedded in another document
//     (calendar-data in a multistatus, a feed) the BOM is left out
//     (davtree, publish), since inside XML or a feed it would read as a
//     ZERO WIDTH NO-BREAK SPACE before BEGIN. A BOM elsewhere, two of
//     them, or a UTF-16 one are refused like any other stray bytes.
//   - The data must be valid UTF-8 (RFC 5545 3.1.4) and contain no control
//     characters other than HTAB (RFC 5545 3.1, 3.3.11): other clients
//     choke on them.
//   - Lines end in CRLF or, leniently, a bare LF (RFC 5545 3.1 wants
//     CRLF; scripts and Unix tools write LF, and sabre/vobject and
//     python-vobject read it); a final CR without LF also ends a line.
//     Folding (a line end followed by one space or tab) is undone. Empty
//     lines are skipped, as go-ical does. Data with LF line ends is
//     stored and served as sent; what the server writes from it (partial
//     retrieval, expansion, feeds) has CRLF.
//   - Property, parameter and component names are RFC 5545 iana-token or
//     x-name characters (ALPHA, DIGIT, "-"), plus "_" which some producers
//     use. Parameter values are quoted-string or paramtext; a line that
//     ends inside a parameter, a quote inside an unquoted value and text
//     after a closing quote are errors (these are the go-ical panics).
//     RFC 6868 caret escapes are decoded (^n a line break, ^' a double
//     quote, ^^ a caret, any other caret left as written;
//     contentline.DecodeParam), which go-ical does not do: every reader of
//     the model — TZID resolution, param-filter text-match — compares the
//     value the client meant, and the writer encodes it again. Node lines
//     keep the escapes as written.
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
//     accepted by its shape. A DURATION with a final "T" and no time
//     ("P1DT", which 3.3.6's grammar forbids and older libraries write)
//     is accepted and read as P1D everywhere (see ParseDuration); the
//     object is stored as sent.
//   - Every TZID parameter, in any component, names a VTIMEZONE of the
//     object or a zone Zones resolves by name (IANA, Windows, vendor
//     prefix, a "(UTC+hh:mm)" display name). RFC 5545 3.2.19 wants a
//     VTIMEZONE; clients rely on servers knowing zone names, so a known
//     name will do. Anything else would silently read as UTC.
//   - Recurrence data, in every component (VTIMEZONE observances too),
//     as "Recurrence rules" below says: RRULE and EXRULE values, RDATE
//     (DATE, DATE-TIME, PERIOD) and EXDATE (DATE, DATE-TIME) values that
//     parse, at most 16 RRULEs per component (RFC 5545: "SHOULD NOT occur
//     more than once"), and RRULEs within the work limits ("Cost").
//   - All of it, and the Span stored with the object, within one Budget
//     of ObjectWork (ValidateObjectWithin; "Cost at PUT"): an object
//     whose rules and zones cost more to check is refused (InvalidData,
//     "too costly to check").
//
// Not checked, on purpose (lenient): VTIMEZONE contents, that DTEND is
// after DTSTART or of the same value type, property value types other
// than the dates above.
//
// # Recurrence rules (RFC 5545 3.3.10, RFC 7529)
//
// An RRULE or EXRULE is refused (InvalidData, naming the rule part) for:
// a FREQ missing, repeated or not one of the seven; a rule part that is
// unknown (BYEASTER, an extension of rrule-go's, included), repeated or
// empty; INTERVAL or COUNT not a whole number from 1 (INTERVAL at most
// 100,000, where rrule-go's arithmetic ends); UNTIL and COUNT together; an
// UNTIL that is no DATE or DATE-TIME; BY* values out of their ranges
// (seconds 0-60, minutes 0-59, hours 0-23, month days ±1-31, year days
// ±1-366, weeks ±1-53, months 1-12, BYSETPOS ±1-366, BYDAY [±1-53]SU..SA);
// a BYDAY week number with FREQ other than MONTHLY or YEARLY, or with
// BYWEEKNO; BYWEEKNO without FREQ=YEARLY; BYYEARDAY with DAILY, WEEKLY or
// MONTHLY; BYMONTHDAY with WEEKLY; BYSETPOS without another BY* part;
// SKIP without RSCALE. Accepted although the RFC says otherwise, because
// producers write it and its meaning is plain: names and values in any
// case, empty parts ("FREQ=DAILY;"), leading zeros, and an UNTIL whose
// value type is not DTSTART's (Outlook writes a UTC UNTIL on all-day
// series, iOS a floating one on zoned series; see "Recurrence" for how
// each is read). RFC 7529 RSCALE rules are checked (RSCALE a name, SKIP
// OMIT/BACKWARD/FORWARD, leap months "5L", months to 13 and year days to
// 385) and stored, but not expanded. A rule that can never produce an
// occurrence (FREQ=HOURLY;INTERVAL=2;BYHOUR=1 from an even hour) is valid
// and stored; queries return its object.
//
// # Dates, zones, durations
//
// DateTime reads UTC values as UTC even with a TZID, TZID values in the
// zone the TZID resolves to, floating and DATE values in a caller-given
// zone (the query's, RFC 4791 9.9). A wall-clock time that a DST change
// skips is read with the offset before the gap, one it repeats as its
// first occurrence (RFC 5545 3.3.5; time.Date alone picks the second in
// zones east of UTC). LoadLocation caches IANA lookups, refuses "Local",
// and embeds time/tzdata so a bare machine resolves zones. ParseDuration is
// exact; AddDuration treats weeks and days as nominal calendar days
// (RFC 5545 3.3.6). Both accept letters in any case, weeks mixed with
// days, and a final "T" without a time after a day or week part ("P1DT"
// is P1D, as sabre/vobject, Apple's pycalendar and python-vobject read
// it); "P" and "PT" alone are refused.
//
// # Time zones (RFC 5545 3.2.19, 3.6.5)
//
// Zones resolves the TZIDs of one object; ZonesOf builds it once per
// parsed calendar, and its methods DateTime, DateList and Recurrence are
// the package functions with its resolver (the package functions use a
// nil *Zones: every step below but the object's VTIMEZONE). The chain:
//
//  1. IANA names.
//  2. Windows zone IDs through CLDR's windowsZones (territory 001 rows,
//     windowszones.go): "W. Europe Standard Time", case-insensitive, with
//     Outlook's numeric suffix ("Eastern Standard Time 1") or Exchange's
//     "tzone://Microsoft/" prefix; and the Windows display names CLDR
//     lists, "(UTC+01:00) Amsterdam, Berlin, ...", matched on their
//     places so older "(GMT+01.00) Amsterdam / Berlin / ..." forms match
//     too.
//  3. Vendor prefixes: a TZID starting with "/" is tried suffix by
//     suffix, longest first, from its last four parts (no zone name has
//     more: "right/America/Argentina/Buenos_Aires"), as every suffix
//     tried costs a zone file lookup ("/freeassociation.sourceforge.net/
//     Tzfile/Europe/Berlin", "/mozilla.org/20050126_1/Europe/Berlin",
//     "/citadel.org/...", "/softwarestudio.org/Olson_.../...").
//  4. The object's VTIMEZONE with that TZID, else the first whose TZID
//     matches it case-insensitively (strings.EqualFold) once trimmed:
//     its X-LIC-LOCATION through 1-3, else a
//     *time.Location built from its STANDARD/DAYLIGHT sub-components:
//     onsets from DTSTART, RRULE (UNTIL read as the UTC instant of the
//     last onset) and RDATE, local times in TZOFFSETFROM, generated up to
//     2100 (at most 4000), encoded as TZif for time.LoadLocationFromTZData
//     with, when the open-ended rules are one STANDARD and one DAYLIGHT of
//     the FREQ=YEARLY;BYMONTH=m;BYDAY=nDD kind (or BYDAY with a seven-day
//     BYMONTHDAY range), a POSIX TZ footer for all later years. Before the
//     first onset its TZOFFSETFROM holds; a VTIMEZONE with one offset is a
//     fixed zone. Built zones are cached by TZID and a SHA-256 of the
//     VTIMEZONE (TZIDs up to 256 bytes), not by its text, which can be
//     megabytes.
//  5. A display name nobody knows: the fixed offset of its "(UTC+hh:mm)".
//  6. Anything else is refused by ValidateObject; in objects stored
//     before that check it reads as UTC, so that the value keeps a
//     definite wall-clock reading and the stored object stays readable.
//
// IANA names win over an object's VTIMEZONE of the same name, by choice:
// IANA knows the zone's history, while clients' VTIMEZONEs often hold only
// recent rules.
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
//   - Unparsable RDATE/EXDATE values (stored before PUT checked them) are
//     skipped; an RRULE rrule-go cannot parse (including RFC 7529
//     RSCALE/SKIP) is an error. An RRULE beyond the work limits ("Cost")
//     is left out and reported by Recurrence.Cut.
//   - Before rrule-go sees a rule, duplicate BY* values are removed (they
//     change nothing but multiply its work), BYSECOND=60 is dropped (a
//     leap second never occurs in Go's time scale) and BYDAY week numbers
//     beyond ±5 that count within a month (MONTHLY, YEARLY with BYMONTH)
//     are dropped: no month has them, and rrule-go indexes out of range
//     on them. A rule left without BYSECOND or BYDAY values has no
//     occurrence.
//   - Safety: rrule-go loops forever when INTERVAL steps can never reach
//     BYHOUR/BYMINUTE/BYSECOND (FREQ=HOURLY;INTERVAL=2;BYHOUR=1 from an even
//     hour); such rules are refused. A DAILY-or-finer rule whose day filters
//     no date satisfies would be walked day by day to year 9999; evaluating
//     the filters over the 400-year Gregorian cycle ("Cost") finds that
//     first and drops the rule.
//     INTERVAL above 100000 is refused. rrule-go panics are recovered.
//   - A walk that starts at a given time restarts each rule near it
//     (skipAhead: DTSTART moved to an aligned period with the
//     DTSTART-derived defaults written out, which yields the same
//     occurrences; TestSkipAhead checks every frequency), so a daily series
//     from 1970 costs the same as one from last week. A rule with COUNT
//     (up to 200,000) is first turned into the same rule with UNTIL at its
//     last occurrence, found by one walk and remembered for rules in UTC
//     or an IANA zone. A walk that ends at a
//     given time gives the rules that UNTIL, so rrule-go never searches past
//     it for an occurrence of a sparse rule.
//
// # Instances and Span (RFC 5545 3.6.1, 3.8.4.4, 3.8.5; RFC 4791 9.9)
//
// Instances walks the instances of one calendar object in a window, in
// order of start, as Instance values (start, end, RECURRENCE-ID, the
// component that defines them, Override, Cancelled). It is the one place
// that knows recurrence; caldav/filter's time ranges and alarms and
// caldav's expand, limit-recurrence-set and free-busy all use it.
//
//   - End: DTEND; DTSTART+DURATION (nominal); a DATE lasts a day; a
//     DATE-TIME has no length (RFC 5545 3.6.1). VTODO: DUE, DTSTART+
//     DURATION, else no length; without DTSTART an instant at DUE. VJOURNAL:
//     the DATE's day or the instant. An end before the start reads as no
//     length. Instances of a master keep its length: DTEND's exact
//     distance (whole days for all-day series, so that they keep their
//     dates across DST), DURATION's nominal one, an RDATE PERIOD its own.
//   - The window: start < To AND end > From; an instance of no length when
//     From <= start < To. Zero bounds are open.
//   - Overrides (same UID and component name, RECURRENCE-ID) replace the
//     instance they name, matched as an instant, or by date when one of
//     RECURRENCE-ID and DTSTART is a DATE and the other not; they appear at
//     their own time, moved ones included, and also when their
//     RECURRENCE-ID is not in the set or there is no master (a client
//     invited to one instance).
//   - RANGE=THISANDFUTURE (RFC 5545 3.8.4.4): every later instance (up to
//     the next THISANDFUTURE override) is shifted by the override's change
//     of start, counted in calendar days and wall-clock time in the series'
//     zone (so instances keep their local time across DST), lasts as long
//     as the override, and is defined by the override: its properties
//     replace the master's (Instance.Component is the override, Override
//     false). Single overrides after it still replace their instances.
//   - STATUS:CANCELLED on the defining component sets Cancelled; the
//     instance is still yielded, the caller decides.
//   - Cost: Max (default DefaultMaxInstances, 10,000) caps instances
//     yielded, 10 x Max caps occurrences walked (only a rule with a
//     COUNT above 200,000 is walked from DTSTART), WalkWork (scaled
//     with Max above the default) caps the work, and the request's
//     Budget, when given, caps the work of all walks of one request
//     ("Cost"); truncated reports any of them, and a rule left out for
//     its cost, so that the caller can tell the client its answer is
//     incomplete.
//     Everything that can fail to parse is parsed before the first yield.
//
// Span is a conservative [start, end) around every instance, for the
// storage index: masters with their RDATEs and lengths, every override at
// its own time, THISANDFUTURE shifts (plus three hours for DST), lengths
// plus two hours (nominal days across DST). A rule without COUNT or UNTIL
// is open; a COUNT rule walked more than 100,000 occurrences or WalkWork
// falls back to its UNTIL or is open; a series with a rule left out for
// its cost is open. When any value is floating or a DATE the span is
// widened by 14 hours on both sides, since a query may read it in any zone
// (UTC-12 to UTC+14). ok is false when nothing can be computed; the object
// is then always a candidate.
//
// # Timeline
//
// Timeline (ObjectInfo.Timeline, TimelineOf) lists an object's instances
// as [Start, End) periods in UTC, for the calendars' time index (caldav
// doc.go, "Time-range queries without reading"). It is the walk Instances
// makes for a query read in UTC, the same code, so a period overlaps a
// range exactly when the matcher's instance does. Floating and DATE
// values are read in UTC and the Timeline says so (Floating): a caller
// that reads them in another zone must allow for the offset. Bounded by
// TimelineOptions: From leaves out what ends before it, Horizon stops
// the list at the first instance starting at or after it, Max caps the
// periods, and the walk is charged to the caller's Budget. Until then
// says up to where the list is complete (Capped when Max or the budget,
// not the Horizon, set it). Known is false when the instances cannot be
// listed (a rule left out for its cost, a zone the budget left unread,
// nothing parsable): the object must be read. Unplaced marks a component
// with no time at all (a VTODO without DTSTART and DUE, which RFC 4791
// 9.9 matches by other properties).
//
// # Privacy (RFC 5545 3.8.1.3)
//
// One policy decides what each viewer sees of a calendar object; every
// view asks it (Viewer.Sees, ReadOutline) and reads no CLASS itself:
// davtree's read-only sharees through Redact (everyone else davtree
// serves is ViewerAll and gets the stored bytes), publish's feeds through
// their renderer. A view decides only the form of each level (the feed's
// allowlists, Redact's busy form that keeps CLASS).
//
//	viewer                              PUBLIC   CONFIDENTIAL  PRIVATE
//	owner, read-write sharee,
//	read-only sharee with show_private  full     full          full
//	read-only sharee                    full     busy          hidden
//	link, full tier                     full     busy          hidden
//	link, limited tier                  limited  busy          hidden
//	link, busy tier                     busy     busy          hidden
//
// Rules:
//
//   - CLASS values are compared trimmed and ASCII case-insensitively;
//     x-name and unknown iana-token values, and an empty one, are
//     PRIVATE, as 3.8.1.3 requires; with several CLASS properties the
//     most restrictive wins. Only a top-level component's own CLASS
//     counts, not a VALARM's or the VCALENDAR's.
//   - A series is never more visible than its master: an override takes
//     its master's class when that is more restrictive than its own.
//     RFC 5545 leaves it open; we decide so because clients leave CLASS
//     off overrides or write CLASS:PUBLIC on every component, and neither
//     means the owner opened one instance of a confidential or private
//     series. An override more restrictive than its master hides or
//     reduces that instance only.
//   - VTIMEZONEs are always shown: they name a zone, nothing of an event.
//   - The zero Viewer, and any value out of range, sees nothing, so a
//     view that forgets to say who reads fails closed.
//
// # Cost (issue 12)
//
// rrule-go builds all candidate instants of a period (days kept by the
// BY* day filters x BYHOUR x BYMINUTE x BYSECOND) before it returns the
// first, and steps HOURLY, MINUTELY and SECONDLY rules one INTERVAL at a
// time until a BYHOUR/BYMINUTE/BYSECOND value comes up; neither can be
// interrupted. A 631-byte rule asking for every second of every day
// built 31.6 million instants per year (755 MiB for a one-week query,
// 4.4 GiB and 13 s for a thousand years); one second a day as SECONDLY
// steps 86,400 times per occurrence (3.4 s for 10,000 instances), on
// leap days only 126 million (80 s over a thousand years). So the cost of
// every rule is estimated from its options (budget.go), before rrule-go
// sees it:
//
//   - candidates: the instants one period builds, an upper bound (the
//     smallest bound of the day filters times the time lists, plus
//     BYSETPOS's pass over the days). At most 100,000 per component, all
//     RRULEs together (rrule-go holds a period of each at once): about
//     2.4 MB and 10 ms. Real rules build a few hundred; the largest
//     plausible one, every hour of every day as FREQ=YEARLY, 8,784.
//   - steps: for HOURLY, MINUTELY and SECONDLY, the steps between two
//     occurrences: (the longest run of INTERVAL steps between two allowed
//     times of day + 1) x (the longest run of days the day filters skip,
//     found over a 400-year Gregorian cycle, + 1). At most 1,000,000,
//     about 4 ms. FREQ=SECONDLY;INTERVAL=30 costs 4; every minute of
//     office hours on weekdays 3,848; one second a day 172,802.
//
// A rule beyond either limit is refused at PUT (InvalidData, saying which
// and by how much) and, when stored earlier, left out of expansion
// (Recurrence.Cut): its object then has the instances of DTSTART, RDATE
// and overrides, and every answer says it is incomplete. Each walk
// (Instances, Span's, a COUNT rule's conversion, a VTIMEZONE's onsets)
// charges its work, worked out after each occurrence from the periods
// rrule-go generated (days set up and candidates per period; for fine
// rules steps, four to a unit, as a step costs a few ns and a candidate
// with its garbage tens, and a day the filters skip costs one jump, not a
// day of steps), against a budget, WalkWork = 2,000,000 (walking 100,000
// occurrences of a daily or weekly rule costs 200,000 to 250,000), and
// stops when it is spent. With both, no stored object makes one
// expansion cost more than a few MB and about 100 ms (measured on two
// busy cores): over a thousand years, the bomb costs nothing, a rule just
// under the candidate limit allocates 14 MiB, one second a day as
// SECONDLY stops after 92 instances.
//
// One request, though, walks many objects: a calendar-query's time-range
// tests and expansion, a multiget's expansion and a free-busy query walk
// every member, so 200 stored objects of one walk's budget each cost one
// report 200 walks (8 s for an expanded multiget, 14 s for free-busy on
// two busy cores). So a request has one Budget (NewRequestBudget) that
// every walk it makes charges besides its own WalkWork:
//
//   - Size: RequestWork = 16 x WalkWork = 32,000,000 units, scaled with
//     max-instances above its default like WalkWork. A report over
//     objects that each cost a whole walk, of the dearest kind (stepping
//     rules), then takes about a second however many there are (1.2 s
//     for 50 or 200 objects, measured as above). Ordinary data is far
//     below it: 3,000 recurring events (daily, weekdays, weekly, monthly,
//     yearly) cost a calendar-query expanding a month 3 million units
//     and a year of free-busy 8.1 million, reading their rules
//     included (1.8 and 7.5 million before reading was charged).
//   - What is charged: every walk's work, as above; each occurrence a
//     walk takes, 16 units (occurrenceWork: about 500 ns of merging,
//     overrides and the caller's own work, which WalkWork leaves to the
//     occurrence cap but which a request over many objects multiplies:
//     10,000 instances of a daily event cost 2 units each in rrule-go and
//     5 ms in all); a COUNT rule's conversion to UNTIL; the onsets of
//     each VTIMEZONE built for the request (ZonesWithin), another walk
//     per object whose zone nothing has built before; and reading rules
//     and zones ("Cost of reading"). Work a cache saves (a remembered
//     COUNT end, a VTIMEZONE built before, a zone name looked up before)
//     is not charged.
//   - Deterministic: the budget counts units, not time, so the same
//     request over the same data (and the same caches) is cut at the
//     same place on any machine. A walk stops after the occurrence that
//     spent the budget, so a request may overrun it by one occurrence.
//   - When it is spent: the walk under way stops and reports itself
//     truncated; later walks of the request report truncated before they
//     read a rule (an object with no recurrence property is still
//     answered; one whose rules spend it while they are read is cut
//     before its walk); a VTIMEZONE not yet built, or a zone name not
//     looked up before, is read as UTC and Zones.Cut says so, which
//     Instances and the callers report as truncated too;
//     a COUNT end or zone left unfinished is not remembered. The caller
//     reports these objects as cut short, like any other (caldav,
//     "Answers cut short"): never dropped, never passed off as complete.
//
// # Cost of reading
//
// Reading recurrence data is work too, charged to the budget it runs
// under (a PUT's, a request's; nil outside them) in the same units,
// measured against a stepping walk on the same machine
// (BenchmarkReadingInUnits):
//
//   - each RRULE read (parseRule, also a VTIMEZONE observance's):
//     ruleWork, 200 (a weekly rule measures 150 to 250), and a unit a
//     byte of the rule for its values;
//   - evaluating a DAILY-or-finer rule's day filters (BYMONTH,
//     BYMONTHDAY, BYYEARDAY, BYWEEKNO, BYDAY), which both the "no date
//     ever passes" check and the steps estimate need: probeWork, 400.
//     Whether a date passes depends only on its place in its year and
//     the year's kind (length, weekday of January 1, the last year's
//     length for BYWEEKNO), 21 kinds in a 400-year cycle; daysOf ANDs bit
//     sets of the year's days per filter for each kind and walks the
//     cycle on their summaries: 10 to 50 us, 150 to 350 units. It
//     replaces a YEARLY rule with the same filters walked through
//     rrule-go over the cycle, uncharged: 2 to 200 ms (rrule-go tests
//     each of 146,097 days against every listed value), so that 320
//     rules with long BYYEARDAY lists cost one 250 KB PUT 7 to 40 s. Its
//     answers are rrule-go's, week numbering quirks included
//     (TestDaysOf_MatchesRRule, FuzzDaysOf). It needs no cache: the old
//     one held 4,096 filter sets and stopped storing when full, so
//     anybody could fill it and make every later rule probe again; now
//     what a rule costs to read depends on nothing earlier requests
//     left behind;
//   - each VTIMEZONE built: zoneWork, 100, besides its onsets' walk;
//   - each zone name looked up that no earlier lookup cached: loadWork,
//     4,000 (time.LoadLocation tries the zone files on disk and the
//     embedded database, 0.1 ms for a name that is none). A Zones
//     remembers every TZID it resolved, so each distinct TZID of an
//     object is resolved once per request.
//
// Reading the rules of 3,000 ordinary recurring events
// (TestReports_OrdinaryCalendarInFull) costs a calendar-query, whose
// filter and expansion each read them, 1.2 million units, 4% of
// RequestWork.
//
// # Cost at PUT
//
// A PUT's checks (ValidateObjectWithin: every component's rules, the
// TZIDs, the VTIMEZONEs they name, and the master's walk for its Span)
// run under one Budget of ObjectWork, a request's worth (RequestWork, 32
// million units, about a second). Before, a PUT had no bound but its
// size: 320 rules to probe cost 7 to 40 s; 17 VTIMEZONEs whose onsets
// cost a walk each, 17 walks; a 10 MiB object of 20,000 components with
// 16 rules each, 2 to 7 s, growing with the size limit. Now the first is
// accepted in 20 to 60 ms, and the others are refused once they have
// spent the budget: the 10 MiB object after 0.9 to 2 s, 20,000 zone
// names nobody looked up before after 0.9 s, whatever the size limit
// (BenchmarkValidateObject_*, two busy cores). Ordinary objects cost a
// few thousand units (one rule, one or two zones); a master whose span
// takes a whole walk, WalkWork more. An object its budget cannot pay for
// is refused as InvalidData ("the recurrence rules and time zones of this
// object are too costly to check"): nothing is stored yet, and an object
// that costs more to check than a request may spend would cost every
// request that reads it about as much. The check stops at the first component after the budget is
// spent, so a PUT overruns it by at most one component's rules. The
// budget is deterministic like a request's: the same object (and
// caches) is accepted or refused the same way on any machine; a zone
// built or a name looked up earlier costs nothing. No cap on VTIMEZONEs,
// TZIDs or components per object is needed besides it: what each costs
// is charged, and an unreferenced VTIMEZONE costs nothing but its bytes.
//
// # Writing (RFC 5545 3.1, 3.2)
//
// AppendLine folds one content line into physical lines of at most 75
// octets ending in CRLF, continuation lines starting with one space, and
// never cuts a UTF-8 sequence (bytes that are not UTF-8 count as one
// character each). AppendProp/FormatProp write NAME;PARAM=v:value with
// parameters in name order; a parameter value is quoted when it holds ":",
// ";" or ",", and RFC 6868-encoded (^^, ^', ^n; contentline.AppendParam),
// the inverse of Parse's decoding; in property values a line break
// becomes the TEXT escape \n; other control characters but HTAB are
// dropped, so no value can end or forge a line. Encode writes a go-ical
// calendar (properties in name order: go-ical's model keeps no order
// across names); what Parse accepted, Encode writes and Parse reads back
// to the same calendar (FuzzWrite).
//
// ParseTree parses like Parse and also returns a Node tree: each
// component's content lines in their original order, kept as the client
// wrote them (unfolded), paired with the go-ical component. Partial
// retrieval and expansion (caldav) build their answers from Nodes, so
// that untouched lines keep their parameter order and quoting and the
// object reads like the one stored.
//
// # Split: a file into objects (RFC 4791 4.1)
//
// Split cuts a whole iCalendar file (an export or feed, several
// VCALENDARs one after another) into what a CalDAV client would PUT: the
// components of one UID, master and overrides, in one VCALENDAR with the
// calendar properties of the one they came from, without METHOD (a
// stored object is no iTIP message), and with a copy of each VTIMEZONE
// its components name, found as Zones finds one (exact TZID first, then
// folded). A VTIMEZONE nobody names is dropped. Split checks structure
// and content lines only; each object is then validated as a PUT of it
// (fileimport). A bad content line refuses only its UID's object, as
// does one TZID defined differently by two VCALENDARs that one object
// draws on: which was meant is unknown. An object component without UID
// gets one derived from its content lines but DTSTAMP (DeriveUID,
// "almanac-import-" and 26 base32 characters of SHA-256), so that the
// file imported again finds it; a component repeated line for line is
// dropped and counted. Copying zones multiplies a file (one large
// VTIMEZONE named by many events), so SplitWithin caps the objects'
// bytes together, and their number, before it makes them.
//
// # Departures from RFC 5545 on ingest
//
// Deliberate, each because real clients write it and its meaning is plain
// (details above): a leading UTF-8 BOM; bare LF line ends; "_" in names;
// a DURATION with a final "T" ("P1DT"); weeks mixed with days and
// lower-case letters in durations; PRODID and VERSION missing; a DATE
// without VALUE=DATE; TZIDs without a VTIMEZONE when the name is known;
// RRULE names and values in any case, empty parts, leading zeros and an
// UNTIL of another value type than DTSTART; VTIMEZONE contents and
// DTEND-after-DTSTART not checked. Everything accepted is stored as the
// client sent it.
//
// Left out: RFC 7529 RSCALE/SKIP (such RRULEs are an error, so queries
// return the object), EXRULE, VTIMEZONE rules other than the usual yearly
// kind past 2100 (the last offset then holds), RANGE=THISAND PRIOR
// (deprecated, ignored), and recurring VAVAILABILITY/AVAILABLE (RFC 7953)
// beyond their own DTSTART..DTEND.
package ical
