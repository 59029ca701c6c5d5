// Package caldav serves calendars over CalDAV (RFC 4791) as a Kind of the
// shared DAV tree (internal/davtree), on top of the protocol core in
// internal/dav and the domain store in storage. The tree serves what
// calendars and address books have in common (PROPFIND, PROPPATCH, MKCOL,
// GET/PUT/DELETE with conditions, COPY/MOVE, multiget, sync-collection);
// this package adds the calendar properties, PUT validation,
// calendar-query, free-busy-query and calendar-data rendering.
//
// URL layout (DESIGN.md §1), {user} being the stable account handle and
// never the login ID, so a login change moves no URL:
//
//	/dav/                                  context path (RFC 6764 target)
//	/dav/principals/{user}/                principal (RFC 3744 2, RFC 4791 6.2.1)
//	/dav/calendars/{user}/                 calendar home
//	/dav/calendars/{user}/{calendar}/      calendar collection
//	/dav/calendars/{user}/{calendar}/{obj} calendar object resource
//
// Implemented: RFC 4791 4 (calendar object resources, one UID and one
// component type per resource), 5.2 (collection properties), 5.3.1
// MKCALENDAR and RFC 5689 extended MKCOL with their set-props applied
// atomically, 5.3.2 PUT with the 5.3.2.1 preconditions, 6.2
// (calendar-home-set, calendar-user-address-set), 7.5.1
// supported-collation-set on calendars, 7.8 calendar-query and
// 7.9 calendar-multiget with 9.6 partial retrieval (calendar-data comp and
// prop selection, expand, limit-recurrence-set, limit-freebusy-set), 7.10
// free-busy-query, 5.2.6-5.2.8 (min-date-time, max-date-time,
// max-instances), RFC 6578 sync-collection, RFC 3744 5.4
// current-user-privilege-set and 3.1 supported-report-set, RFC 4918 9.8
// and 9.9 COPY and MOVE of objects between the user's calendars, and the
// CalendarServer getctag property Apple clients poll.
//
// Choices:
//
//   - Another user's namespace answers 404 whether or not it exists, so
//     handles cannot be probed (sharing will open specific collections).
//   - Precondition failures answer 403 with the RFC's element inside
//     DAV:error plus a human-readable message (RFC 4791 1.3), an oversized
//     body and a media type other than text/calendar too, where plain
//     HTTP would say 413 and 415: the element tells the client which
//     limit it hit. See Preconditions.
//   - A PUT without Content-Type is accepted (curl -T and some scripts
//     send none); any other media type than text/calendar is refused.
//   - MKCALENDAR or MKCOL whose set-props fail answers 403 with
//     DAV:cannot-modify-protected-property or CALDAV:valid-calendar-data
//     naming the property; nothing is created.
//   - calendar-data in REPORTs is rendered as the request's
//     CALDAV:calendar-data asks (see below); without children it is the
//     stored bytes, unchanged.
//
// # Preconditions (RFC 4791 1.3, 5.3.1, 5.3.2.1)
//
// Every precondition answers 403 with its element (TestCalDAVPreconditions
// walks them all). PUT, and COPY or MOVE of a calendar object resource
// into a calendar (the tree's, davtree doc.go, with this package's checks):
//
//   - supported-calendar-data: a Content-Type other than text/calendar
//     (none at all is taken for text/calendar), or a COPY or MOVE of an
//     address object into a calendar.
//   - valid-calendar-data, valid-calendar-object-resource: internal/ical's
//     validation (its doc.go). A COPY or MOVE carries stored data, which
//     passed it, so for them these cannot arise.
//   - supported-calendar-component: the calendar's component set, on PUT
//     and on a COPY or MOVE into another calendar.
//   - no-uid-conflict, with the DAV:href of the member in the way: the UID
//     is another member's, or the write would give an existing member
//     another UID.
//   - max-resource-size: the tree's limit, on PUT and on what a COPY or
//     MOVE would store (a member written before the limit was lowered).
//   - min-date-time, max-date-time: on PUT, see Date limits. Every
//     calendar has the same limits, so a COPY or MOVE cannot violate them.
//   - max-instances: advertised as the expansion cap but no limit on PUT,
//     a deliberate departure (Date limits).
//   - max-attendees-per-instance: not advertised (5.2.9 makes it
//     optional), so there is nothing to violate.
//   - calendar-collection-location-ok: COPY and MOVE of a whole calendar
//     (davtree doc.go).
//
// MKCALENDAR (5.3.1): DAV:resource-must-be-null on any existing resource
// (a calendar, the home, the root); calendar-collection-location-ok inside
// a calendar, outside the calendar home, or on the name of an address
// book (names are unique per account); valid-calendar-data for a
// calendar-timezone that is not one VTIMEZONE; and DAV:need-privileges
// (RFC 3744 7.1.1, which RFC 4791 calls needs-privilege) inside a
// calendar shared read-only. Another user's home is 404 whether or not it
// exists rather than 403 need-privileges, so that handles cannot be
// probed.
//
// Deliberate departures, each because real calendars need it: a rule
// with more instances than max-instances is stored (5.3.2.1 says refuse);
// a rule without end is stored though its instances would pass
// max-date-time; min-date-time and max-date-time bound the instances'
// times, not DTSTAMP or VTIMEZONE onsets (5.3.2.1 says every DATE and
// DATE-TIME value).
//
// # calendar-query (RFC 4791 7.8)
//
// Time zone. Floating DATE-TIME and DATE values in time-range tests are
// read in the query's CALDAV:timezone (9.8: an iCalendar object with one
// VTIMEZONE) or its RFC 7809 CALDAV:timezone-id (a bare TZID), else in the
// calendar's CALDAV:calendar-timezone property (5.2.2), else in UTC
// (9.9). The VTIMEZONE's TZID resolves like any TZID (internal/ical
// Zones: known zone names first, then the definition's own rules). A
// CALDAV:timezone that is not exactly one VTIMEZONE with a TZID is 403
// CALDAV:valid-calendar-data, an unknown timezone-id 403
// CALDAV:valid-timezone, both elements at once 400. A stored
// calendar-timezone that no longer reads means UTC, with a warning logged.
//
// Prefilter. PUT stores each object's span with its metadata
// (storage.Span, computed by internal/ical Span: from the first instance
// start to the last instance end over masters, RDATEs and overrides; open
// for a rule without end; widened by 14 hours each side when the object
// has floating or DATE values, since the query decides their zone; unknown
// when it cannot be computed). MOVE and COPY keep it. When every
// comp-filter directly under VCALENDAR names VEVENT, VTODO, VJOURNAL or
// VFREEBUSY and carries a time-range, no object outside the union of those
// ranges can match; the query then lists metadata only and reads, parses
// and matches just the members whose span overlaps that window. The window
// is closed at its end, because 9.9's VTODO rows let a range ending at DUE
// match (end >= DUE). Members with an unknown span (no span computed, or
// written before spans were stored) are always read. Every other query
// (no time-range, is-not-defined, a comp-filter without time-range next to
// one with, VAVAILABILITY, whose 9.9 rule matches a component without
// DTSTART and DTEND at any time) reads every member. Sibling comp-filters
// are ANDed (9.7.1), so one time-ranged child would already bound the
// answer; requiring all keeps the rule simple and costs only unusual
// queries a full scan.
//
// # Time-range queries without reading
//
// PUT also stores each object's timeline (timeline.go, internal/ical
// Timeline): the periods of its instances, walked by the same code the
// matcher walks, in UTC, with the bounds within which the list is
// complete. A rule without end is recorded up to two years after the
// write and renewed in the background (RenewTimelines, at start and
// hourly) once less than a year is left; a series with more than
// storage.MaxTimelinePeriods (1024) instances is recorded from a year
// before the write instead, and past what is recorded the object is
// read. So an object's index is bounded whatever its rules ask, and a
// range outside what was recorded costs a read, never a wrong answer.
// MOVE and COPY carry the timeline; objects stored before timelines
// were get theirs from the renewal. VFREEBUSY, VAVAILABILITY and a
// VTODO without DTSTART and DUE get none and are read as before.
//
// A windowed query searches the calendar's time index (storage
// Between) over its window widened by 15 hours (floatSlack: a floating
// time or DATE recorded in UTC lies within UTC-12..UTC+14 of the same
// value read in the query's zone, plus an hour in a DST gap). When
// the filter is one VEVENT or VJOURNAL comp-filter with only a
// time-range and no calendar-data is asked for, a member one of whose
// periods overlaps the range (9.9's test) is answered from its metadata
// without reading its bytes; floating periods answer so only for a query
// read in UTC. Every other member the index offers (a VTODO, whose 9.9
// table is not one overlap test; a filter with prop-filters or nested
// comp-filters; calendar-data asked for; a floating period in another
// zone; a timeline unknown or not covering the range) is read, parsed and
// matched if its span overlaps the window, as below. When the request
// asks for DAV:getetag alone, as clients ask for a time range, a member
// answered from its periods is written from the name and ETag its index
// entry carries (storage.TimeQuery.ETags, dav's ETagResponse): no
// metadata lookup, no allocation per member. TestTimeIndexSound
// proves the answers equal the matcher's over random objects in zones
// with DST, floating and all-day, with overrides and EXDATEs (run it
// with a large -count: each run checks other objects).
//
// Filters. The CALDAV:filter is checked against RFC 4791 9.7 and 9.9
// before anything is searched (caldav/filter doc.go, which also lists
// where the filters depart from the RFC on purpose): 403
// CALDAV:valid-filter for what the RFCs forbid (a VEVENT in a VEVENT, a
// time-range on SUMMARY), 403 CALDAV:supported-filter naming the
// comp-filters the server cannot evaluate (a time-range on an
// x-component), 403 CALDAV:supported-collation, 400 for XML that does not
// parse. Depth: without the header the query is about the members (RFC
// 4791 7.8 would assume 0, which answers nothing; scripts and some clients
// omit it); Depth 0 on a calendar or the home matches nothing, as neither
// is a calendar object.
//
// # REPORTs on the calendar home (RFC 4791 7.2, 7.9)
//
// calendar-query with Depth 1 (or infinity) on /dav/calendars/{user}/
// searches every calendar in the home, those shared with the user
// included (each seen as at its own URL: a read-only sharee's redacted
// view, its ETags), as Apple's clients and CalendarServer do; the answer
// names each member by its URL in its calendar. Floating times are read
// in each calendar's calendar-timezone unless the query names a zone.
// calendar-multiget on the home takes hrefs of members of any calendar in
// it (7.9: "members (not necessarily internal members)"): an href outside
// the home is 403, one in a calendar that does not exist 404. The limits
// hold for the request as a whole, not per calendar: the request's one
// work budget (see "Answers cut short") pays for the expansions in every
// calendar, the hrefs a multiget may name are dav.MaxRequestHrefs, and
// one 507 names the members of every calendar whose answer was cut short;
// max-instances is per object, as everywhere. free-busy-query and
// sync-collection stay per calendar (403 DAV:supported-report on the
// home). The home's supported-report-set lists calendar-multiget and
// calendar-query.
//
// # calendar-data in REPORTs (RFC 4791 9.6)
//
// calendar-multiget, calendar-query and sync-collection read the
// CALDAV:calendar-data element of their DAV:prop (ParseCalendarDataRequest)
// and render every object through it (CalendarDataRequest.Render).
//
//   - Media type: content-type and version default to text/calendar and
//     2.0; anything else (jCal, xCal, version 1.0) is 403
//     CALDAV:supported-calendar-data, before any response is streamed.
//   - Bytes: with nothing to select, expand or limit, the stored bytes go
//     out exactly, and so they do when a limit changes nothing in an
//     object. Otherwise internal/ical writes the result: CRLF, lines folded
//     at 75 octets on character boundaries, properties in the object's own
//     order, unchanged lines as the client wrote them (parameter order and
//     quoting included). An object the engine cannot read or expand is
//     sent as stored.
//   - comp/prop (9.6.1-9.6.4): the outermost comp must be VCALENDAR (400
//     otherwise). A comp lists the properties it wants (allprop: all;
//     novalue="yes": "NAME;PARAMS:" without value) and the subcomponents
//     (allcomp: all, whole); a comp without any child element returns its
//     component whole, as RFC 4791's own example 7.8.1 does for VTIMEZONE,
//     so VTIMEZONEs come back when asked for by name or through allcomp.
//     Names compare case-insensitively. A name repeated in one comp counts
//     once (a repeated comp: the first one); more than
//     dav.MaxRequestProps (256) comp and prop selections in one
//     calendar-data is 413 with almanac's too-many-properties condition,
//     since every object rendered is matched against the selection.
//   - expand (9.6.5): every VEVENT, VTODO and VJOURNAL instance overlapping
//     [start, end) (the 9.9 rule) becomes its own component, ordered by
//     start; no RRULE, RDATE, EXDATE or EXRULE, no VTIMEZONE. DTSTART,
//     DTEND, DUE and RECURRENCE-ID are the instance's, in UTC
//     ("RECURRENCE-ID:20260310T090000Z"); every instance of a recurring set
//     has a RECURRENCE-ID (the RFC requires it except on the first one;
//     sabre/dav sends it on all), an object that does not recur has none.
//     Overrides keep their own properties. Floating times are converted
//     with the zone a calendar-query names (CALDAV:timezone or
//     timezone-id), else the calendar-timezone, else UTC. All-day
//     instances keep DATE values, RECURRENCE-ID;VALUE=DATE included: the
//     9.6.5 conversion applies to "date and local time with reference to
//     time zone information", which a DATE is not, and a UTC midnight would
//     shift the day for clients west of Greenwich (the bug Radicale had).
//     sabre/dav (Nextcloud) does the same, and clients such as DAVx5 match
//     overrides of all-day series by date. A DURATION
//     stays unless, counted from the UTC start, it would end elsewhere
//     (P1D across a DST change); then DTEND (DUE) is written. Other
//     properties with a TZID are rewritten in UTC. Cancelled overrides are
//     instances like any other (STATUS:CANCELLED tells the client).
//     Expansion stops at internal/ical's cap (DefaultMaxInstances, 10,000
//     per object, what max-instances advertises) or its work budgets, the
//     walk's and the request's: a rule without end gives a bounded
//     answer, never an error, and the report says it was cut short (see
//     "Answers cut short").
//   - limit-recurrence-set (9.6.6): masters stay; an override stays when
//     its current time or its original time (RECURRENCE-ID plus the
//     master's length) overlaps the range, or when it is
//     RANGE=THISANDFUTURE with a RECURRENCE-ID before the range end.
//   - limit-freebusy-set (9.6.7): FREEBUSY periods of VFREEBUSY components
//     outside the range are removed; a FREEBUSY left empty goes.
//   - expand and limit-recurrence-set together, missing or non-UTC
//     start/end, end not after start, comp without name: 400 (a malformed
//     body; 9.6 names no precondition). Times before min-date-time: 403
//     CALDAV:min-date-time; after max-date-time: 403 CALDAV:max-date-time.
//
// # Date limits (RFC 4791 5.2.6-5.2.8)
//
// min-date-time is 00010101T000000Z and max-date-time 99991231T235959Z,
// the first and last times iCalendar's four-digit years (and rrule-go)
// reach; max-instances is 10,000 (the expansion cap). They are protected
// live properties listed by allprop. The start is not the RFC example's
// 19000101T000000Z: a server that advertises a limit must refuse data
// beyond it (5.3.2.1), and real calendars hold earlier dates (Apple's
// birthdays without a year fall in 1604, history and genealogy calendars
// further back). A PUT is held to both limits over the times its
// instances occupy (its span, see Prefilter: floating and all-day times
// at their earliest and latest zone), not over times that describe no
// instance (DTSTAMP, or the 1601 onsets of Outlook's VTIMEZONEs): 403
// CALDAV:min-date-time or CALDAV:max-date-time. A rule without end is
// stored although its instances would run past max-date-time, since the
// engine generates none there; refusing it would refuse every birthday.
// max-instances is advisory: a PUT whose rule has more instances
// is accepted (the cap bounds answers, not data). A rule whose expansion
// would exceed internal/ical's work limits (candidate times per period,
// steps between occurrences) is not: 403 CALDAV:valid-calendar-data, as
// is recurrence data RFC 5545 forbids and a TZID that names no VTIMEZONE
// of the object and no zone the server knows (internal/ical doc.go).
// Checking a PUT has a work budget of its own, a request's worth
// (internal/ical ObjectWork, "Cost at PUT"), for reading its rules,
// resolving its TZIDs, building the VTIMEZONEs they name and walking its
// master for the span stored with it; an object that costs more is 403
// CALDAV:valid-calendar-data too ("too costly to check"), and nothing is
// stored. It would cost every report that reads it as much.
//
// # Answers cut short
//
// Each REPORT that expands recurrences has one work budget
// (internal/ical NewRequestBudget: RequestWork, 16 walks' worth, about a
// second; see its doc.go, "Cost"), made once per request and shared by
// every expansion it makes: a calendar-query's time-range tests and its
// calendar-data's expand or limit-recurrence-set, a multiget's or
// sync-collection's calendar-data, a free-busy query. Each walk keeps its
// own budget too. Without it a request over N stored objects cost N
// walks: 200 objects of one walk's worth each took an expanded multiget
// 8 s and a free-busy query 14 s; with it, 1.2 s. Once it is spent, the
// members not yet decided are still answered, each as far as it got
// (a time-range test that cannot tell matches, an expansion keeps the
// instances it found, possibly none), and reported as below.
//
// An expansion that max-instances or internal/ical's work budgets stop,
// or that leaves out a rule beyond the work limits (stored before PUT
// checked them), keeps what it found and is reported, never silent:
//
//   - calendar-query, calendar-multiget, sync-collection: after the
//     members, one DAV:response for the request-URI with status 507, a
//     DAV:error holding DAV:number-of-matches-within-limits and a
//     DAV:responsedescription naming the members concerned (up to ten),
//     as RFC 5323 5.6 and RFC 6578 3.6 report truncated results. It names
//     members whose calendar-data expand (or limit-recurrence-set, which
//     then keeps the overrides it could not place) was cut short, and in
//     a calendar-query also members that match only because a time-range
//     test was (the engine cannot tell, so they match; caldav/filter). In
//     sync-collection the same response also stands for a truncated
//     change list, which RFC 6578 3.6 reports with a 507 too.
//   - free-busy-query (a text/calendar answer): a COMMENT in the
//     VFREEBUSY (RFC 5545 3.8.1.4 allows it there), "incomplete: the
//     server's limits cut short the recurrence expansion of N object(s)",
//     without names: free-busy may be shown to others than the owner.
//
// # free-busy-query (RFC 4791 7.10)
//
// On a calendar collection only (an object URL is 403, as 7.10 says; the
// home is not a calendar, 403 DAV:supported-report). Depth is ignored:
// RFC 4791 assumes 0 without the header, which would report nothing,
// and Apple and others send 1 (sabre/dav ignores it too). The body must
// hold exactly one CALDAV:time-range with valid UTC values (400
// otherwise, 7.10 names no precondition); a missing start or end means
// min-date-time or max-date-time. Only the owner reaches a calendar, so
// the read-free-busy check is the ownership check. Members are listed by
// metadata; only those holding VEVENT or VFREEBUSY whose stored span
// overlaps the range are read. The answer is 200 text/calendar: one
// VCALENDAR with one VFREEBUSY (DTSTAMP, DTSTART and DTEND the range, one
// FREEBUSY per period with FBTYPE always written), built from
//
//   - every VEVENT instance in the range, clipped to it, with the
//     override's own properties for overridden instances: TRANSP:TRANSPARENT
//     and STATUS:CANCELLED are free (left out), STATUS:TENTATIVE is
//     BUSY-TENTATIVE, anything else BUSY; an instance of no length is no
//     busy time; all-day and floating events are read in the
//     calendar-timezone (UTC without one);
//   - the FREEBUSY periods of stored VFREEBUSY components with their FBTYPE
//     (default BUSY; FREE left out).
//
// Periods of one type that overlap or touch are merged; periods of
// different types may overlap, as 7.10 allows. VTODO and VJOURNAL are not
// busy time; VAVAILABILITY (RFC 7953) is ignored: the free-busy it implies
// outside available slots is not computed.
//
// # Scheduling (RFC 6638)
//
// Implicit scheduling, the inbox and outbox and iMIP are package
// schedule's (its doc.go); this package gives it Ingest, so that the
// copies the server files in attendees' calendars are validated like a
// PUT, and ScheduleBusy, the free-busy-query computation over every
// calendar of a user but those whose schedule-calendar-transp (RFC 6638
// 9.1, written by PROPPATCH, one CALDAV:opaque or CALDAV:transparent,
// opaque when unset) is transparent.
package caldav
