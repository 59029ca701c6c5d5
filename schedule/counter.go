package schedule

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"almanac/internal/dav"
	aical "almanac/internal/ical"
	"almanac/storage"
)

// condOriginatorAllowed refuses a message the poster may not send for the
// calendar user it names (RFC 6638 6.1 schedule-send, the
// CALDAV:originator-allowed of the caldav-sched drafts' outbox POST).
var condOriginatorAllowed = dav.Name(dav.NSCalDAV, "originator-allowed")

// OutboxPost answers an iCalendar body POSTed to acc's scheduling outbox:
// a VFREEBUSY REQUEST (FreeBusy), or the explicit iTIP messages RFC 6638
// has no implicit form for: an attendee's COUNTER proposal and the
// organizer's DECLINECOUNTER (RFC 5546 3.2.7, 3.2.8). It returns the
// CALDAV:schedule-response body.
func (s *Service) OutboxPost(ctx context.Context, acc *storage.Account, data []byte) ([]byte, error) {
	_, root, err := aical.ParseTree(data)
	if err != nil || root.Name != "VCALENDAR" {
		return nil, badMessage("the body is not an iCalendar object")
	}
	switch m := strings.ToUpper(strings.TrimSpace(value(root, propMethod))); m {
	case MethodCounter, MethodDeclineCounter:
		return s.counter(ctx, acc, data, m)
	case MethodRequest:
		return s.FreeBusy(ctx, acc, data)
	default:
		// Invitations, replies and cancellations are implicit (RFC 6638
		// 3.2): they follow from writing the calendar object.
		return nil, badMessage("the outbox takes a VFREEBUSY REQUEST, a COUNTER or a DECLINECOUNTER")
	}
}

// counterMessage checks the shape of a COUNTER or DECLINECOUNTER (RFC
// 5546 3.2.7, 3.2.8): only VEVENT or VTODO components (and timezones),
// one UID, one ORGANIZER in every component, 1 to max ATTENDEEs each.
func counterMessage(data []byte, method string, max int) (*object, string, error) {
	msg, err := parseObject(data)
	if err != nil || msg.method != method {
		return nil, "", badMessage("a " + method + " has a VEVENT or VTODO with a UID")
	}
	if msg.kind != aical.CompEvent && msg.kind != aical.CompToDo {
		return nil, "", badMessage("a " + method + " is about a VEVENT or VTODO")
	}
	for _, n := range msg.root.Children {
		if n.Name != aical.CompTimezone && n.Name != msg.kind {
			return nil, "", badMessage("a " + method + " has components of one kind")
		}
	}
	var org string
	for _, c := range msg.comps {
		if value(c.node, propUID) != msg.uid {
			return nil, "", badMessage("a " + method + " is about one UID")
		}
		p, ok := c.organizer()
		if !ok || mailAddress(p.addr) == "" || org != "" && p.addr != org {
			return nil, "", dav.Precondition(http.StatusForbidden, condSameOrganizer, "every component names the same ORGANIZER, a mailto: address")
		}
		org = p.addr
		n := len(c.attendees())
		if n == 0 {
			return nil, "", badMessage("a " + method + " names its ATTENDEE")
		}
		if n > max {
			return nil, "", dav.Precondition(http.StatusForbidden, condRecipientLimit, fmt.Sprintf("at most %d attendees", max))
		}
	}
	return msg, org, nil
}

// counter sends a COUNTER or DECLINECOUNTER acc POSTed. A COUNTER goes
// from an attendee (one of its ATTENDEEs is acc's) to the organizer of an
// event acc attends; a DECLINECOUNTER from the organizer (acc's
// ORGANIZER) of an event acc organizes to attendees of it. Neither
// changes any event: the organizer accepts a proposal by updating the
// event, which sends the usual REQUEST. A local recipient gets the
// message in their scheduling inbox, anyone else by iMIP.
func (s *Service) counter(ctx context.Context, acc *storage.Account, data []byte, method string) ([]byte, error) {
	msg, org, err := counterMessage(data, method, s.maxAttendees)
	if err != nil {
		return nil, err
	}
	me, _, err := s.matcher(ctx, acc)
	if err != nil {
		return nil, err
	}
	_, cur, err := s.findCopy(ctx, acc.ID, msg.uid)
	if err != nil {
		return nil, err
	}
	var event *object
	if cur != nil {
		if event, err = parseObject(cur.Data); err != nil {
			event = nil
		}
	}
	attends := func(addr string) bool {
		for _, c := range event.comps {
			if _, ok := c.find(is(addr)); ok {
				return true
			}
		}
		return false
	}
	var from string
	var recipients []string
	if method == MethodCounter {
		if me(org) {
			return nil, dav.Precondition(http.StatusForbidden, condOriginatorAllowed, "you organize this event: change it instead of proposing")
		}
		for _, c := range msg.comps {
			p, ok := c.find(me)
			if !ok || from != "" && p.addr != from {
				return nil, dav.Precondition(http.StatusForbidden, condOriginatorAllowed, "a COUNTER names you, one of your addresses, as ATTENDEE in every component")
			}
			from = p.addr
		}
		if event == nil || !event.organizedBy(org) || !attends(from) {
			return nil, badMessage("you have no event with this UID and ORGANIZER that you attend")
		}
		recipients = []string{org}
	} else {
		if !me(org) {
			return nil, dav.Precondition(http.StatusForbidden, condOrganizerAllow, "the ORGANIZER must be one of your addresses")
		}
		from = org
		if event == nil || !event.organizedBy(org) {
			return nil, badMessage("you organize no event with this UID")
		}
		for _, c := range msg.comps {
			for _, a := range c.attendees() {
				if a.addr == org || me(a.addr) {
					return nil, badMessage("a DECLINECOUNTER is sent to the attendee who proposed, not to you")
				}
				if !attends(a.addr) {
					return nil, badMessage(strings.TrimPrefix(a.addr, "mailto:") + " does not attend this event")
				}
				if !slices.Contains(recipients, a.addr) {
					recipients = append(recipients, a.addr)
				}
			}
		}
	}

	w := &write{s: s, owner: acc, me: me, myAddr: from, now: s.now().UTC(), inbox: map[string]bool{}}
	statuses := make([]string, len(recipients))
	for i, r := range recipients {
		who, err := s.Lookup(ctx, r)
		if err != nil {
			return nil, err
		}
		switch {
		case who != nil && who.ID == acc.ID:
			statuses[i] = "3.7;Invalid calendar user"
		case who != nil:
			if err := w.toInbox(ctx, who.ID, msg.uid, from, msg.kind, data); err != nil {
				return nil, err
			}
			statuses[i] = statusDelivered + ";Delivered"
		default:
			if email := mailAddress(r); s.imip != nil && email != "" {
				w.mails = append(w.mails, Outgoing{From: from, FromName: acc.DisplayName, To: email, Method: method,
					Summary: summaryOf(nodesOf(msg.comps)), Data: data})
				statuses[i] = statusSent + ";Sent by mail"
			} else {
				statuses[i] = statusNoDelivery + ";Could not deliver"
			}
		}
	}
	if len(w.ops) > 0 {
		if _, err := s.store.WriteBatch(ctx, w.ops); err != nil {
			return nil, fmt.Errorf("schedule: %s: %w", strings.ToLower(method), err)
		}
	}
	s.send(ctx, w.mails)
	return scheduleResponse(recipients, statuses), nil
}

func nodesOf(cs []*comp) []*aical.Node {
	out := make([]*aical.Node, len(cs))
	for i, c := range cs {
		out[i] = c.node
	}
	return out
}

// scheduleResponse is the CALDAV:schedule-response of an outbox POST
// (RFC 6638 10.1 shape): each recipient with its request status.
func scheduleResponse(recipients, statuses []string) []byte {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="utf-8"?>` + "\n" + `<C:schedule-response xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">`)
	for i, r := range recipients {
		b.WriteString("<C:response><C:recipient><D:href>" + dav.EscapeText(r) + "</D:href></C:recipient>")
		b.WriteString("<C:request-status>" + dav.EscapeText(statuses[i]) + "</C:request-status></C:response>")
	}
	b.WriteString("</C:schedule-response>\n")
	return []byte(b.String())
}
