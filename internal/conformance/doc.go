// Package conformance plays the request and response examples of the
// CalDAV, CardDAV and WebDAV collection synchronization RFCs against the
// whole server (server/servertest) and compares the answers with the
// RFCs' own.
//
// testdata holds the examples as the RFCs print them (indentation and
// page breaks removed): RFC 4791 4.1, 5.1.1, 5.2.1 to 5.2.9, 5.3.1.2,
// 5.3.2, 6.2.1, 7.1, 7.5.1, 7.8.1 to 7.8.10, 7.9.1, 7.10.1, 8.2.1.3 and
// Appendix B (whose listing is the calendar the section 7 examples query,
// and each of whose resources is also read back with GET); RFC 6352
// 6.1.1, 6.2.1 to 6.2.3, 6.3.1.1, 6.3.2, 7.1.1, 7.1.2, 8.1, 8.3.1, 8.6.3
// to 8.6.5, 8.7.1 and 8.7.2; RFC 6578 3.8 to 3.13, 5.1 and 5.2; RFC 3253
// 3.8.1, the DAV:expand-property report RFC 4791 7.1 and RFC 6352 8.1
// require. Where an RFC gives a property value without an exchange
// (5.2.x, 6.2.x, 7.1.x), the file composes the PROPFIND (and PROPPATCH)
// around it and says so; RFC 4791 7.1 and RFC 6352 8.1 require
// expand-property without showing it, and their files compose a report
// that expands DAV:owner into 6.2.1's and 7.1.1's home sets.
//
// Each example runs on a fresh server loaded with its data set, the
// RFC's URLs mapped onto the server's (/bernard/work/ is
// /dav/calendars/bernard/work/). An answer matches when the status is
// the same; headers the example shows have the same value (Date and
// Content-Length aside; DAV and Allow need the example's entries, not
// only them; application/xml and text/xml are one type, RFC 4918 8.2;
// an ETag is strong); a multistatus has the same hrefs, each with the
// same status, DAV:error conditions and properties by propstat status;
// property values are equal as XML, calendar and address data equal in
// meaning (lines unfolded, properties and components in any order,
// FREEBUSY periods as start and end), DAV:getetag and DAV:sync-token
// present (their values are the server's), and values the RFC gives only
// as an example of a server's limit (max-resource-size, min-date-time,
// max-date-time, max-instances) present.
//
// The table in rfcexamples_test.go records, with a reason, every way the
// expected answer differs from the RFC's text. `go test -v` prints them.
//
// # Inconsistencies in the RFCs' text, corrected
//
//   - RFC 4791 Appendix B lists abcd2.ics without its second overridden
//     instance and abcd3.ics without X-ABC-GUID, which the section 7
//     examples return; the data set has both.
//   - RFC 4791 7.8.2, 7.8.3 and 7.8.4 show DAV:getetag they did not ask
//     for; 7.8.1 shows a PRODID its calendar-data selection leaves out.
//   - RFC 4791 7.8.3's expanded instances lack the Z of their UTC times.
//   - RFC 4791 7.8.4 shows abcd8.ics with other DTSTART and DTEND than
//     Appendix B.
//   - RFC 4791 7.8.5 answers with a to-do that Appendix B does not hold
//     (abcd4.ics as Task #2 due at a local time); the example's own to-do
//     replaces Appendix B's two.
//   - RFC 4791 7.10.1's request ends on January 5 where its text and
//     answer mean January 4.
//   - RFC 6352 8.6.4 gives v102.vcf the FN "David Boo", 8.6.3 and 8.7.1
//     "Cyrus Daboo"; 8.6.5 needs a third card matching "daboo".
//
// # Where the server deliberately departs from an RFC
//
//   - Dead properties are kept on collections only: PROPPATCH of a
//     calendar object or vCard is 403 DAV:cannot-modify-protected-property
//     (RFC 4918 9.2 lets a server refuse a property), so RFC 6578 3.8's
//     R:bigbox on a member is 404.
//   - No locking (WebDAV class 2, LOCK, UNLOCK), no ACL method and no
//     TRACE: privileges follow ownership and sharing, and
//     current-user-privilege-set tells a client what it may do (RFC 4791
//     2 and RFC 6352 3 ask for RFC 3744 support; the server implements
//     its properties, not client-written ACLs).
//   - sync-level infinite is 403 with almanac's DAV:supported-sync-level:
//     calendars and address books hold no collections, so level 1
//     reports every member (RFC 6578 3.3 leaves infinite to servers that
//     support it).
//   - Untagged lists of an If header are matched against the
//     request-URI only, not also against a COPY or MOVE destination
//     (RFC 4918 10.4.1); a client that cares tags the destination
//     (internal/davtree doc.go).
//
// # Where the server answers otherwise than an example, as the RFC allows
//
//   - A home serves OPTIONS, PROPFIND, REPORT (queries and multiget over
//     its collections) and POST, and the creation of its members; the
//     examples' Allow lists are their servers' methods.
//   - Queries on non-standard properties are supported (RFC 4791 7.7:
//     MAY), so 7.8.10 gets an answer rather than supported-filter.
//   - max-attendees-per-instance (RFC 4791 5.2.9) and principal-address
//     (RFC 6352 7.1.2) are not defined: no attendee limit, no directory
//     of principals' cards.
//   - The collation and address-data sets are larger than the examples'
//     (i;unicode-casemap for calendars, vCard 4.0).
//   - vCards convert between 3.0 and 4.0 in both directions, so RFC 6352
//     8.7.2's CARDDAV:supported-address-data-conversion cannot arise.
//   - An extended MKCOL answers 201 without a body (RFC 5689 3 makes the
//     DAV:mkcol-response body optional).
//   - A sync answer is cut only at the client's DAV:limit, which is always
//     honoured: RFC 6578 3.10's server-chosen cut and 3.12's 507 for an
//     unsupported limit do not arise.
//   - A calendar collection holds calendar object resources only (RFC
//     4791 4.2): RFC 6578's examples' members are iCalendar objects.
//   - No RFC 3253 versioning (CalDAV and CardDAV require only its
//     expand-property report): 3.8.1's DAV:version-history is 404 on the
//     calendar object resource that stands for /foo.html.
//
// The package has no non-test code.
package conformance
