// Package publish serves public feeds: GET/HEAD /ics/{token} (also
// {token}.ics) as one RFC 5545 VCALENDAR, {token}.json or Accept:
// application/calendar+json as RFC 7265 jCal, and /vcf/{token} as the
// address book's vCards. No login: the token (package sharing) is the
// credential.
//
// What a calendar feed holds (Feed.Render):
//
//   - VERSION, PRODID, CALSCALE, METHOD:PUBLISH, X-WR-CALNAME (the
//     calendar's displayname), X-WR-TIMEZONE (its calendar-timezone, as
//     an IANA name), REFRESH-INTERVAL;VALUE=DURATION and X-PUBLISHED-TTL
//     (RFC 7986 5.7; -feed-ttl, default PT1H).
//   - One VTIMEZONE per TZID used, deduplicated: the stored definition
//     when the objects carry one under that name, otherwise generated
//     from the tz database (internal/ical VTimezone, 1970 to twenty years
//     ahead). Windows ("W. Europe Standard Time") and vendor-prefixed
//     names are rewritten to their IANA names, which every subscriber
//     knows.
//   - The components the link's component filter and window admit (the
//     window is checked against each object's stored span, so objects
//     outside it are not read; a recurring event is published whole when
//     any instance may fall in the window).
//   - Tiers: full publishes components as stored minus VALARMs; limited
//     keeps an allowlist (UID, times and recurrence, status, SUMMARY,
//     LOCATION, GEO) and no subcomponents, so that no client's extension
//     property leaks; busy publishes VEVENTs only, with their times and
//     SUMMARY:Busy. Which of these each component gets is internal/ical's
//     privacy policy, the one read-only sharees see through too: the
//     tier, capped by CLASS — PRIVATE (and any CLASS value but PUBLIC and
//     CONFIDENTIAL) never published, CONFIDENTIAL busy in every tier, an
//     override never more visible than its master.
//   - Lines are CRLF and folded at 75 octets by our own writer; stored
//     lines are copied, not re-encoded, with two exceptions for what the
//     ingest accepts that RFC 5545 does not (internal/ical doc.go): a
//     stored byte order mark is not copied, and a DURATION with a final
//     "T" and no time ("P1DT") is published as what it means ("P1D"),
//     since subscribers we do not know read the feed. A TZID parameter
//     names its zone by its RFC 6868-decoded value, as its VTIMEZONE's
//     TZID reads.
//   - The /vcf/ feed concatenates the stored cards as they are, less a
//     leading byte order mark, which would be text in the middle of the
//     file.
//
// HTTP (Handler):
//
//   - A rendered feed is cached per link version, collection incarnation,
//     sequence and Modified (a property change, such as a new
//     displayname, leaves the sequence alone), window day and the year
//     generated zones count from; variants (gzip, jCal) are made once per
//     entry. A request reads the link and the collection record only, so
//     a 304 touches no event data. The cache is bounded (64 MiB by
//     default), least recently used out.
//   - ETag is strong: a hash of the link version and the published bytes
//     (plus the variant), so it changes exactly when what a subscriber
//     would receive changes — an edit the tier hides (an alarm, a private
//     event) keeps it. If-None-Match, else If-Modified-Since, answer 304.
//   - Last-Modified comes from the data, the same on every server and
//     after a restart: the latest of the collection's Modified (every
//     member write and property change), the link's Updated, and for
//     calendars the dates the rendering reads (the window's day, the
//     zones' year). An edit the tier hides moves it too: a needless 200
//     for date-only clients, never a missed change. A date has whole
//     seconds and a second can hold two versions, so a date is a weak
//     validator (RFC 9110 8.8.2.2): Last-Modified is the whole second at
//     or after the change, never later than now (8.8.2.1), and
//     If-Modified-Since validates only when the change is at or before
//     it, to the nanosecond. A copy served within the second of its
//     change carries the second before it and is never validated by date;
//     the ETag still validates it. Without a recorded time of change no
//     Last-Modified is sent.
//   - Cache-Control: public, max-age=0, must-revalidate: shared caches may
//     keep a copy but ask every time, so a revoked link is closed for
//     every cache in the same second, and asking costs a 304.
//   - Access-Control-Allow-Origin: * (websites fetch feeds from the
//     browser), Content-Disposition: inline, gzip when accepted.
//   - A token that was never issued (its MAC fails) counts against the
//     client address (internal/remote: the one a trusted proxy names, else
//     the connection's): 20 per 10 minutes, then 429 with Retry-After,
//     counted where the server's Guard counts (Options.Guard: in the
//     store every server shares, when there are several). Real
//     tokens, including revoked ones that subscribers keep polling, never
//     count and are never slowed. Revoked, expired and deleted-collection
//     links are 404.
//   - Fetch counts, last fetch time and User-Agent are kept in memory and
//     written every 30 s (server.Server.Run), so a poll costs no disk
//     write; the API shows stored plus pending counts.
//   - Tokens are masked in the request log (package server).
//   - Options.Observer is told the outcome of every GET and HEAD (served,
//     not modified, not found, throttled, failed) and, for each answered
//     one, whether the cache held its rendering; the server's metrics
//     count them.
package publish
