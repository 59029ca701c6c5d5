// Package schedule is calendar scheduling: meeting invitations between
// the server's users (RFC 6638 implicit scheduling of iTIP, RFC 5546),
// by email with everyone else (iMIP, RFC 6047), free-busy lookup and
// finding people to invite.
//
// # Who is who
//
// A user's calendar user addresses (RFC 6638 2.4.1,
// calendar-user-address-set) are mailto: URIs: their login when it is
// an email address, and every address of each mailbox linked to their
// account (local part and aliases, at the service's domain and each
// alias domain), at most 256. An address belongs to a local user when
// it is a login, or a mailbox address linked to exactly one account; a
// mailbox several accounts manage has no one calendar user behind it and
// counts as outside (its mail still arrives). Addresses compare without
// case.
//
// # Implicit scheduling (RFC 6638 3.2)
//
// davtree hands every PUT and DELETE of a calendar member to
// Service.Put and Service.Delete. An object is the user's scheduling
// object when its ORGANIZER (the same in every component, else
// CALDAV:same-organizer-in-all-components) is one of their addresses
// (organizer) or, when it is someone else's, one of its ATTENDEEs is
// (attendee). Any other object is stored as it is and sends nothing
// (RFC 6638 3.1), with one exception: when its ORGANIZER is another
// user of this server and the user is not an attendee, it is refused
// with CALDAV:valid-organizer, since it would show a meeting in that
// colleague's name that they never sent (a sharee writing their own
// meeting into a calendar shared with them is the writer, and may). An
// outside organizer's event (an import, RFC 4791 Appendix B's examples)
// is stored. An attendee's changes to their copy other than their
// participation (a summary, a time) are kept there and sent nowhere:
// the RFC's allowed-attendee-scheduling-object-change is not enforced,
// since clients that re-serialize times and zones would be refused an
// answer. SCHEDULE-AGENT
// CLIENT or NONE on the ORGANIZER leaves the whole object to the
// client; on an ATTENDEE, that attendee (RFC 6638 7.1). More than 100
// attendees in a component or in the whole event is
// CALDAV:max-attendees-per-instance: each costs a lookup and a write in
// the one transaction. A new scheduling object whose UID another of the
// user's calendars holds is CALDAV:unique-scheduling-object-resource.
//
// The organizer's write sends each attendee what RFC 6638 3.2.1 tables
// (itip.go): REQUEST to a new or changed attendee, ADD when an attendee
// invited to single instances only gains instances, CANCEL for the
// whole event when they are removed or it is deleted, and per instance
// for an instance removed (EXDATE, or an override they are no longer
// on); nothing for an inconsequential change (other attendees'
// replies, DTSTAMP, the organizer's alarms) unless
// SCHEDULE-FORCE-SEND=REQUEST asks. An attendee's write sends the
// organizer a REPLY per instance whose PARTSTAT changed, a DECLINED for
// each instance they EXDATE, and a DECLINED for the whole event when
// they delete it. An attendee under several addresses of one account
// gets one delivery; an address that is the organizer's own gets none,
// so nothing loops back.
//
// A local recipient's message is applied to their copy of the event
// (found by UID in any of their calendars; a new one is filed in their
// default calendar, named after the UID when it is a plain name, so
// that clients writing UID.ics update it), keeping their alarms and
// transparency, and put into their scheduling inbox. The user's own
// object gets SCHEDULE-STATUS on each attendee messaged (1.2 delivered,
// 1.1 handed to mail, 5.1 not deliverable, 5.3 refused by the
// recipient's calendar) or on the ORGANIZER of an attendee's copy.
//
// Everything one write does is one storage.Scheduling WriteBatch: the
// user's object, every copy and inbox item, or none of them. Each object
// read for planning is pinned by its ETag in the batch; when a
// concurrent write changed one, the whole write is planned again (three
// times at most, then 409).
//
// # Schedule tags (RFC 6638 3.2.10, 8.3)
//
// Every client write of a scheduling object and every REQUEST applied
// to an attendee's copy gives the object a new Schedule-Tag; a reply
// merged into the organizer's copy keeps it. If-Schedule-Tag-Match
// must name the stored tag (else 412); an organizer writing with it
// keeps the stored PARTSTAT and SCHEDULE-STATUS of every other attendee
// on each instance whose timing the write does not change, so that a
// client that missed the replies does not undo them. PUT answers the
// tag, and the ETag only when the stored bytes are the request's (RFC
// 4791 5.3.4): after the server added SCHEDULE-STATUS the client reads
// the object back.
//
// # The inbox
//
// Each user's scheduling inbox is a collection of kind schedule-inbox,
// schedule-inbox-URL /dav/calendars/{user}/schedule-inbox/, created on
// first use, readable and deletable, refusing PUT, COPY and MOVE into
// it. Its members are named after the event and the sender, so a newer
// message about the same event from the same sender replaces the older
// one: the inbox holds what is pending, one item per event and sender,
// and never grows with updates. The server has already applied every
// message to the calendars; the inbox is for clients that show it.
//
// # Counter-proposals (RFC 5546 3.2.7, 3.2.8)
//
// RFC 6638 has no implicit COUNTER: nothing in an attendee's copy says
// "I propose another time", and writing the copy with other times only
// changes the attendee's own view (see above). So a proposal is an
// explicit iTIP message, as CalDAV scheduling drafts before RFC 6638
// (draft-desruisseaux-caldav-sched) and CalendarServer offer it: an
// attendee POSTs a METHOD:COUNTER iCalendar to their outbox, the
// organizer a METHOD:DECLINECOUNTER to theirs (Service.OutboxPost), and
// the answer is a CALDAV:schedule-response with a request-status per
// recipient. Outside attendees send their COUNTER by mail (a mail
// program's "propose new time"), which `almanac imip deliver` takes.
//
// Neither message changes any event: a COUNTER is filed into the
// organizer's scheduling inbox (a local organizer) or mailed (an outside
// one); the organizer accepts it by updating the event, which sends the
// usual REQUEST, or declines it with a DECLINECOUNTER, filed into each
// local attendee's inbox or mailed. The poster of a COUNTER must be one
// of its ATTENDEEs in every component, and have an event with its UID
// that the message's ORGANIZER (not the poster) organizes and that names
// the poster as attendee; else CALDAV:originator-allowed (not the
// poster's address, or the poster's own meeting) or
// CALDAV:valid-scheduling-message (no such event). The poster of a
// DECLINECOUNTER must be its ORGANIZER (CALDAV:organizer-allowed) and
// organize an event with that UID naming every ATTENDEE of the message
// (CALDAV:valid-scheduling-message). Components other than VEVENT or
// VTODO (and timezones), several UIDs or organizers, or more attendees
// than a meeting may have are refused as for a PUT. The body is capped
// like every outbox POST. The inbox keeps one item per event and sender,
// so a proposal replaces the sender's earlier reply there (which the
// calendar already holds).
//
// By mail, a COUNTER passes the same checks as a REPLY (below) except
// that it may list several attendees (RFC 5546 3.2.7): the From address
// must be one of them in every component.
//
// # Free-busy (RFC 6638 5)
//
// A VFREEBUSY REQUEST POSTed to /dav/calendars/{user}/schedule-outbox/
// (schedule-outbox-URL; nothing is stored there) answers each ATTENDEE
// in a CALDAV:schedule-response: busy periods of a local user the
// caller may see (2.0), 3.8 for a local user they may not, 3.7 for
// anyone else. Busy time is what the free-busy-query report computes
// (caldav), over the user's calendars but those whose
// schedule-calendar-transp is transparent: TRANSP:TRANSPARENT and
// cancelled events are free, CLASS hides nothing more since only times
// are returned. The ORGANIZER must be the caller's
// (CALDAV:organizer-allowed), the range at most a year
// (CALDAV:valid-scheduling-message).
//
// A user may see (free-busy, principal search, reading the principal)
// the members of their organizations and the accounts that share a
// collection with them (Visible, People; one way, as a sharer's
// principal was readable before): the relations the server already
// has, not the whole directory.
//
// # iMIP (RFC 6047)
//
// Messages to addresses outside the server go through the server's
// notify.Mailer (Mail): From the server's address, which the operator's
// mail domain authenticates, Reply-To the organizer or attendee,
// multipart/alternative with a readable text part and the text/calendar
// part (method parameter). Mail is sent after the batch committed; a
// send failure is logged and the write stands (SCHEDULE-STATUS 1.1 says
// handed on, not arrived).
//
// Replies come back through `almanac imip deliver`, which the mail
// server pipes inbound mail to (Service.Deliver). It reads at most 1 MiB
// and 32 MIME parts, 4 levels deep; refuses automatic mail
// (Auto-Submitted other than "no", RFC 3834: vacation notices, bounces,
// which is also how a loop would start; the invitations themselves are
// sent Auto-Submitted: auto-generated so that robots do not answer
// them); accepts only METHOD:REPLY naming one attendee and one
// organizer, or METHOD:COUNTER (filed, see above); and applies it only
// when the From address
// (and the envelope sender, when given) is that attendee, the attendee
// is not a local user (they answer through CalDAV, authenticated), the
// organizer is local, and the organizer's event under that address
// names the attendee. Anything else is refused with a reason and
// changes nothing. From is only as trustworthy as the mail server's
// checks of it (SPF, DKIM, DMARC): pipe only mail it accepted.
package schedule
