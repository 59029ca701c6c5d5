// Package davtree serves the /dav/ URL tree over storage: principals, and
// for every kind of collection (calendars in caldav, address books in
// carddav) its homes, collections and members. Everything the two kinds
// share is written once here; a Kind answers only what differs (its
// properties, validation of a PUT body, its own REPORTs, content
// negotiation).
//
// URL layout (DESIGN.md §1), {user} being the stable account handle and
// never the login ID, so a login change moves no URL:
//
//	/dav/                                context path (RFC 6764 target)
//	/dav/principals/{user}/              principal (RFC 3744 2)
//	/dav/{segment}/{user}/               home of a kind ("calendars", "addressbooks")
//	/dav/{segment}/{user}/{collection}/  collection
//	/dav/{segment}/{user}/{collection}/{member}
//
// Implemented here for every kind: RFC 4918 PROPFIND (Depth 0 and 1),
// PROPPATCH all-or-nothing (9.2), GET/HEAD with the stored bytes (or the
// kind's negotiated form), PUT with If-Match/If-None-Match and the size
// cap, DELETE of members and collections, COPY and MOVE of members between
// the user's collections of one kind (9.8, 9.9), MOVE of a whole
// collection to another name in the user's home (9.9); RFC 5689 extended
// MKCOL with
// set-props applied atomically (and the kind's own method, MKCALENDAR);
// RFC 6578 sync-collection; the RFC 4918 10.4 If header on every method,
// with RFC 6578 5's sync tokens; the kind's multiget (RFC 4791 7.9, RFC 6352
// 8.7) with hrefs checked against the collection; RFC 3744 5.4
// current-user-privilege-set and 3.1 supported-report-set; RFC 3253 3.8
// DAV:expand-property (expand.go) on every resource that serves REPORT,
// which RFC 4791 7.1 and RFC 6352 8.1 require; the CalendarServer
// getctag, from the same counter as the sync token; the kind's
// max-resource-size property and precondition (RFC 4791 5.2.5, RFC 6352
// 6.2.3).
//
// Choices:
//
//   - Collection names are unique per account across kinds: a calendar
//     named "work" cannot be reached under /dav/addressbooks/.
//   - Unknown properties set on a collection are dead properties, stored
//     as sent with the language they were set in (dav.RawXML.Stored,
//     RFC 4918 14.26); computed ones are refused with
//     DAV:cannot-modify-protected-property.
//   - Shared collections (storage.Grant) appear in the sharee's home under
//     the grant's mount name, listed with their own collections. The
//     sharee's displayname, calendar-color and calendar-order are their
//     own view; other properties, members and the sync token are the
//     owner's, so a change by either side is in the other's next sync.
//     current-user-privilege-set follows the grant; a read-only sharee's
//     writes (PUT, DELETE of members, PROPPATCH of shared properties, MOVE
//     out, COPY or MOVE in, MKCOL inside) are 403 DAV:need-privileges
//     (RFC 3744 7.1.1). DELETE of the mount leaves the share. The owner's
//     collection shows CS:shared-owner in its resourcetype, the mount
//     CS:shared and CS:shared-url; both carry CS:invite (CalendarServer
//     sharing properties).
//   - Apple Calendar shares and answers shares with the CalendarServer
//     sharing protocol (share.go): POST CS:share or D:share-resource on an
//     owned collection, CS:notification-URL on the principal leading to
//     /dav/notifications/{user}/ with one CS:invite-notification per
//     unanswered grant, and POST CS:invite-reply on the home to accept or
//     decline. The DAV header advertises calendarserver-sharing.
//   - Read-only sharees see members through the kind's Redact (calendars:
//     internal/ical's privacy policy, the one public feeds follow too:
//     CLASS:PRIVATE hidden, CONFIDENTIAL as busy time) in every method —
//     GET, PROPFIND, multiget, query, sync (a member that becomes hidden
//     is reported deleted) — with ETags of what they see. They cannot COPY
//     or MOVE members out, which would hand over the stored bytes. The
//     grant's show_private switch lifts this.
//   - Another user's namespace answers 404 whether or not it exists;
//     revoked, never-shared and nonexistent collections answer alike.
//     The one exception is the principal of someone who shares a
//     collection with the user: readable (name, addresses; not their
//     homes) so that clients can show who shared it.
//   - sync-collection from a token below the collection's pruned horizon
//     (the server prunes change history older than its retention, see
//     storage.Store.PruneChanges) is 403 DAV:valid-sync-token (RFC 6578
//     3.2) with nothing else: never a silent full listing, which a client
//     would take for "nothing was deleted". Tokens at or above the horizon
//     get exact changes; getctag and sync-token are not changed by pruning.
//   - REPORTs on a home (RFC 4791 7.2, RFC 6352 8.2): the kind's
//     multiget, served here, takes hrefs of members of any collection in
//     the home (the user's own and shared mounts, read through the same
//     Target as at their own URLs, so redaction and ETags are the same);
//     the kind's Spec.HomeReports (the queries) search
//     Target.QueryScope: every such collection with Depth 1 or infinity,
//     none with Depth 0. sync-collection and the kind's other reports are
//     per collection: 403 DAV:supported-report on the home, whose
//     supported-report-set lists multiget, HomeReports and
//     expand-property.
//   - Multiget answers each member once, however many hrefs name it
//     (repeated, absolute, differently percent-encoded): dav.Hrefs drops
//     repeated strings and caps them at dav.MaxRequestHrefs, and the
//     tree drops hrefs that resolve to a member already answered. An
//     answer thus holds at most the collection's data.
//   - Names are checked once, in URL resolution (dav.SplitPath): a
//     segment over dav.MaxSegmentBytes is 414 for every method before
//     storage is asked, and 400 in a COPY or MOVE Destination (414 is
//     about the request-target).
//   - MOVE of a collection renames it (move.go): the store keeps it whole
//     under the new name, incarnation and sequence included, so its ctag
//     and sync token do not change and a token from before the move
//     answers exact changes at the new URL; a collection later made under
//     the old name is a new incarnation, where old tokens are 403
//     DAV:valid-sync-token. Grants follow, as Nextcloud keeps shares on a
//     rename: the sharees' mounts keep their names (their URLs and sync
//     tokens do not change) and lead to it; public links keep their IDs
//     and URLs. The destination must be a name directly in the user's
//     home of the kind, else 403 with the kind's location-ok element (RFC
//     4791 5.3.2.1, RFC 6352 6.3.2.1), another account's home included
//     whether it exists or not. An existing collection of the kind there,
//     or a shared one mounted there, is replaced with Overwrite: T, the
//     default, as RFC 4918 9.9.3 requires (deleted as DELETE would: its
//     members, grants and links, or for a mount the user's share), 204;
//     Overwrite: F is 412. A Depth other than infinity is 400 (9.9.2).
//     COPY of a whole collection is 403, a choice RFC 4918 allows and most
//     CalDAV servers make: a copy would hold the same UIDs under new URLs
//     without the shares and links, and clients copy members instead. A
//     sharee cannot move a mount: its name belongs to the grant (DELETE
//     removes it). Both refusals depart from RFC 4918 9.8 and 9.9, which
//     define COPY and MOVE for every collection; so does the 404 for
//     another user's namespace where RFC 3744 would say 403
//     need-privileges (see above).
//   - Preconditions answer 403 with the kind's element (RFC 4791 1.3;
//     RFC 4918 16 for RFC 6352's), a PUT's media type
//     (Conditions.SupportedData) and size (Conditions.MaxSize) included,
//     where HTTP alone would say 415 and 413. COPY and MOVE of a member are
//     held to the preconditions of what they store (RFC 4791 5.3.2.1, RFC
//     6352 6.3.2.1): its size against the current limit, the destination
//     kind's media type (a calendar object into an address book is the
//     address book's SupportedData), what the destination admits
//     (Kind.Admits) and the UID rules.
//   - A kind's own creation method (MKCALENDAR) answers where it cannot
//     create (RFC 4791 5.3.1): DAV:resource-must-be-null on an existing
//     resource, the kind's LocationOK outside its home, inside a
//     collection, or on a name another kind's collection holds. MKCOL on
//     an existing resource is 405 (RFC 4918 9.3.1), and LocationOK on
//     another kind's name, which is not mapped in this home.
//   - A member's UID is unique in its collection and never changes (RFC
//     4791 5.3.2.1, RFC 6352 6.3.2.1 no-uid-conflict): a PUT, COPY or MOVE
//     that would give an existing member another UID is 403 with the
//     kind's no-uid-conflict element naming that member's href, as a UID
//     held by another member names the holder. The store checks both in
//     the write's transaction. A new UID is a new resource: clients PUT it
//     under a new name and DELETE the old one.
//   - A member's UID keys the collection's UID index, so a PUT whose UID
//     exceeds MaxUIDBytes (4 KiB) is 403 with the kind's valid-data
//     condition, not a storage failure.
//   - A report whose answers limits cut short (a kind's LimitedRenderer,
//     a calendar-query's time-range tests) ends with one response for the
//     request-URI: 507, DAV:number-of-matches-within-limits and a
//     description naming the members (ReportCut), as RFC 5323 5.6 and
//     RFC 6578 3.6 report truncated results. A sync-collection cut at the
//     client's DAV:limit ends with the same 507 and condition.
//   - If header (RFC 4918 10.4, RFC 6578 5). The server has no locks: a
//     member's state is its ETag (compared strongly), a collection's its
//     sync token, and a lock token never matches, so (Not <DAV:no-lock>)
//     always holds. A header that does not hold is 412 before the method
//     runs; it is read before the write, not inside its transaction, as
//     sabre/dav and mod_dav do (If-Match and If-None-Match on PUT and
//     DELETE are checked inside it). A tag naming nothing the user may
//     see, another user's collection included, has no state: only Not
//     conditions hold on it. Untagged lists are matched against the
//     request-URI only, not also against a COPY or MOVE destination
//     (10.4.1 asks for every resource the method applies to); a client
//     that cares tags the destination.
//   - GET serves a member's stored bytes exactly, a leading UTF-8 byte
//     order mark included (the kinds accept one, as sabre/vobject does).
//     The kind's data property in a REPORT (calendar-data, address-data)
//     leaves that mark out: inside a multistatus it is no signature but a
//     ZERO WIDTH NO-BREAK SPACE before BEGIN, which clients that read
//     the text (python-vobject among them) refuse. getetag and
//     getcontentlength stay those of the stored bytes, as for partial
//     retrieval.
//   - DAV:expand-property (RFC 3253 3.8) is served on the root, the
//     principals, homes, collections and members, and each lists it in
//     its DAV:supported-report-set (RFC 3253 3.1.5) except members,
//     which carry no supported-report-set: RFC 4791 7.1 and RFC 6352 8.1
//     ask for it on collections. Allow names REPORT on all of them. The
//     notification collection serves no REPORT, but its URL
//     (CS:notification-URL) expands like any other. Without a Depth
//     header the report is about the request-URI (RFC 3253 3.6); Depth:
//     1 applies it to the request-URI and, separately, to each member
//     PROPFIND would list. Depth: infinity is 403
//     DAV:propfind-finite-depth, for PROPFIND's reason (RFC 4918 9.1):
//     RFC 3253 3.6 would have the report walk every descendant, which
//     is a denial-of-service lever and which no client asks for. An href
//     in a value is resolved as a request for it by the same user would
//     be (hrefSource): absolute URLs are reduced to their path, as in
//     multiget; another account's namespace, a missing resource, a
//     mailto: address or any other scheme gets a nested response with
//     status 404 and nothing else, the same whether it exists or not; a
//     read-only sharee's hidden events stay hidden; the principal of
//     someone who shares with the user shows what a PROPFIND shows of
//     it. Properties the server does not define (CalendarServer's
//     calendar-proxy-read-for and -write-for, RFC 3744's
//     group-membership, RFC 3253's versioning properties) are 404, so
//     there is nothing to expand; clients take that as "no delegates".
//     The report's limits (nesting, properties, responses added) are
//     package dav's (dav doc.go).
//   - An error after a multistatus has started streaming cannot change
//     the status: it is logged and the connection cut, so the client
//     sees an incomplete body rather than a silently short listing.
//
// # Scheduling
//
// With Options.Scheduler (package schedule) the DAV header adds
// calendar-auto-schedule, PUT and DELETE of calendar members go through
// the scheduler (If-Schedule-Tag-Match read here: one quoted tag, else
// 400; Schedule-Tag answered on PUT and GET, CALDAV:schedule-tag on
// members), principals carry every calendar user address and the inbox
// and outbox URLs, the inbox (a stored collection of kind
// schedule-inbox) is served under the calendar home and refuses PUT,
// COPY and MOVE into it, a POST to the outbox (its owner's only; body
// capped like an XML body) is a free-busy request, a COUNTER or a
// DECLINECOUNTER that the scheduler answers, and the principal collection answers principal-property-search,
// principal-search-property-set and calendarserver-principal-search
// (search.go: caseless substrings of names and addresses, at most 10
// terms of 256 bytes, 50 results) over Scheduler.People, whose
// principals the user may then read.
//
// # Expensive REPORTs
//
// The kinds' own REPORTs (calendar-query, free-busy-query,
// addressbook-query) cost what the collections they search hold; a
// multiget costs what it names and a sync what changed. So only the
// former take a slot of the server-wide ReportPool (Options.Reports): 4
// run at once by default, 64 more wait up to 10 s each, and a request
// that finds the queue full or waits in vain gets 503 Service
// Unavailable with Retry-After (RFC 9110 15.6.4, 10.2.3: the seconds of
// the longest wait), which CalDAV clients retry. Sixteen clients
// querying at once thus use at most four goroutines' worth of CPU,
// and GET, PUT, PROPFIND, multiget and sync are never queued behind
// them. A request's own cost stays bounded by its work budget
// (internal/ical RequestWork).
package davtree
