// Package caldav serves calendars over CalDAV (RFC 4791) on top of the
// protocol core in internal/dav and the domain store in storage.
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
// (calendar-home-set, calendar-user-address-set), 7.8 calendar-query and
// 7.9 calendar-multiget, RFC 6578 sync-collection, RFC 3744 5.4
// current-user-privilege-set and 3.1 supported-report-set, RFC 4918 9.8
// and 9.9 COPY and MOVE of objects between the user's calendars, and the
// CalendarServer getctag property Apple clients poll.
//
// Choices:
//
//   - Another user's namespace answers 404 whether or not it exists, so
//     handles cannot be probed (sharing will open specific collections).
//   - Precondition failures answer 403 with the RFC's DAV:error element
//     plus a human-readable message, except an oversized body (413 with
//     CALDAV:max-resource-size) and a wrong media type (415 with
//     CALDAV:supported-calendar-data).
//   - A PUT without Content-Type is accepted (curl -T and some scripts
//     send none); any other media type than text/calendar is refused.
//   - MKCALENDAR or MKCOL whose set-props fail answers 403 with
//     DAV:cannot-modify-protected-property or CALDAV:valid-calendar-data
//     naming the property; nothing is created.
//   - calendar-data in REPORTs is the stored bytes; partial retrieval
//     (comp/prop selection, expand) belongs to the calendar engine and is
//     not applied yet: clients receive the whole object.
//   - Address books are not served yet (CardDAV is its own issue), so the
//     DAV header does not advertise "addressbook".
package caldav
