package schedule

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/emersion/go-ical"

	"almanac/internal/dav"
	aical "almanac/internal/ical"
	"almanac/storage"
)

// Busy is one stretch of a user's busy time, with its FBTYPE.
type Busy struct {
	Start, End time.Time
	Type       string
}

// BusyFunc returns owner's busy time in [start, end) (caldav's
// ScheduleBusy).
type BusyFunc func(ctx context.Context, owner string, start, end time.Time) ([]Busy, error)

// MaxFreeBusyRange caps the time range of one free-busy request: a year
// is more than any client asks (they ask for days or weeks), and the work
// grows with it.
const MaxFreeBusyRange = 366 * 24 * time.Hour

var (
	condValidMessage   = dav.Name(dav.NSCalDAV, "valid-scheduling-message")
	condOrganizerAllow = dav.Name(dav.NSCalDAV, "organizer-allowed")
	condRecipientLimit = dav.Name(dav.NSCalDAV, "max-attendees-per-instance")
)

func badMessage(msg string) error {
	return dav.Precondition(http.StatusForbidden, condValidMessage, msg)
}

// FreeBusy answers a VFREEBUSY REQUEST POSTed to acc's outbox (RFC 6638
// 5): for each ATTENDEE a local user acc may see (Visible), their busy
// time in the range; for anyone else a request status saying why not.
// It returns the CALDAV:schedule-response body.
func (s *Service) FreeBusy(ctx context.Context, acc *storage.Account, data []byte) ([]byte, error) {
	if s.busy == nil {
		return nil, dav.NewError(http.StatusForbidden, "free-busy lookup is not configured")
	}
	req, err := parseFreeBusyRequest(data, s.maxAttendees)
	if err != nil {
		return nil, err
	}
	fb, start, end, org, recipients := req.fb, req.start, req.end, req.org, req.recipients
	me, _, err := s.matcher(ctx, acc)
	if err != nil {
		return nil, err
	}
	if !me(fb.Lines[org].Prop.Value) {
		return nil, dav.Precondition(http.StatusForbidden, condOrganizerAllow, "the ORGANIZER must be one of your addresses")
	}
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="utf-8"?>` + "\n" + `<C:schedule-response xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">`)
	var seen []string
	for _, i := range recipients {
		addr := normAddr(fb.Lines[i].Prop.Value)
		if slices.Contains(seen, addr) {
			continue
		}
		seen = append(seen, addr)
		status, cal := "3.7;Invalid calendar user", []byte(nil)
		who, err := s.Lookup(ctx, addr)
		if err != nil {
			return nil, err
		}
		if who != nil {
			ok, err := s.Visible(ctx, acc.ID, who.ID)
			if err != nil {
				return nil, err
			}
			if !ok {
				status = "3.8;No authority"
			} else {
				periods, err := s.busy(ctx, who.ID, start, end)
				if err != nil {
					return nil, err
				}
				status, cal = "2.0;Success", freeBusyReply(fb, org, i, periods, s.now())
			}
		}
		b.WriteString("<C:response><C:recipient><D:href>" + dav.EscapeText(fb.Lines[i].Prop.Value) + "</D:href></C:recipient>")
		b.WriteString("<C:request-status>" + dav.EscapeText(status) + "</C:request-status>")
		if cal != nil {
			b.WriteString("<C:calendar-data>" + dav.EscapeText(string(cal)) + "</C:calendar-data>")
		}
		b.WriteString("</C:response>")
	}
	b.WriteString("</C:schedule-response>\n")
	return []byte(b.String()), nil
}

// freeBusyRequest is a parsed VFREEBUSY REQUEST: its component, range,
// and the indexes of its ORGANIZER and ATTENDEE lines.
type freeBusyRequest struct {
	fb         *aical.Node
	start, end time.Time
	org        int
	recipients []int
}

// parseFreeBusyRequest checks a free-busy request (RFC 6638 5, RFC 5546
// 3.3.2): METHOD:REQUEST, one VFREEBUSY (timezones aside) with UTC
// DTSTART before DTEND at most MaxFreeBusyRange apart, an ORGANIZER and
// 1 to max ATTENDEEs. Refusals are CALDAV:valid-scheduling-message, too
// many recipients max-attendees-per-instance.
func parseFreeBusyRequest(data []byte, max int) (*freeBusyRequest, error) {
	_, root, err := aical.ParseTree(data)
	if err != nil || root.Name != "VCALENDAR" {
		return nil, badMessage("the body is not an iCalendar object")
	}
	if m := strings.ToUpper(strings.TrimSpace(value(root, propMethod))); m != MethodRequest {
		return nil, badMessage("a free-busy request has METHOD:REQUEST")
	}
	var fb *aical.Node
	for _, c := range root.Children {
		switch c.Name {
		case aical.CompTimezone:
		case aical.CompFreeBusy:
			if fb != nil {
				return nil, badMessage("a free-busy request has one VFREEBUSY")
			}
			fb = c
		default:
			return nil, badMessage("a free-busy request has only a VFREEBUSY")
		}
	}
	if fb == nil {
		return nil, badMessage("a free-busy request has one VFREEBUSY")
	}
	start, err1 := utcTime(fb, propDTStart)
	end, err2 := utcTime(fb, propDTEnd)
	if err1 != nil || err2 != nil || !end.After(start) {
		return nil, badMessage("DTSTART and DTEND must be UTC times, DTSTART first")
	}
	if end.Sub(start) > MaxFreeBusyRange {
		return nil, badMessage("the range is longer than a year")
	}
	org := -1
	var recipients []int
	for i, l := range fb.Lines {
		switch l.Prop.Name {
		case propOrganizer:
			if org >= 0 {
				return nil, badMessage("a free-busy request has one ORGANIZER")
			}
			org = i
		case propAttendee:
			recipients = append(recipients, i)
		}
	}
	if org < 0 {
		return nil, dav.Precondition(http.StatusForbidden, condOrganizerAllow, "the ORGANIZER must be one of your addresses")
	}
	if len(recipients) == 0 {
		return nil, badMessage("name at least one ATTENDEE")
	}
	if len(recipients) > max {
		return nil, dav.Precondition(http.StatusForbidden, condRecipientLimit, fmt.Sprintf("at most %d recipients", max))
	}
	return &freeBusyRequest{fb: fb, start: start, end: end, org: org, recipients: recipients}, nil
}

func utcTime(n *aical.Node, name string) (time.Time, error) {
	v := value(n, name)
	return time.Parse("20060102T150405Z", strings.TrimSpace(v))
}

// freeBusyReply is the VFREEBUSY REPLY of attendee line att of request
// fb (RFC 5546 3.3.3): the request's range and identity, the organizer,
// that attendee, and the busy periods.
func freeBusyReply(fb *aical.Node, org, att int, periods []Busy, now time.Time) []byte {
	c := &aical.Node{Name: aical.CompFreeBusy}
	c.Lines = append(c.Lines, aical.NewLine(ical.Prop{Name: propDTStamp, Params: ical.Params{}, Value: stamp(now)}))
	for _, name := range []string{propUID, propDTStart, propDTEnd} {
		if i := lineIndex(fb, name); i >= 0 {
			c.Lines = append(c.Lines, fb.Lines[i])
		}
	}
	c.Lines = append(c.Lines, fb.Lines[org], fb.Lines[att])
	for _, p := range periods {
		c.Lines = append(c.Lines, aical.NewLine(ical.Prop{Name: "FREEBUSY", Params: ical.Params{"FBTYPE": {p.Type}},
			Value: stamp(p.Start) + "/" + stamp(p.End)}))
	}
	return calendar(MethodReply, nil, []*aical.Node{c})
}

// Visible reports whether user may see other for scheduling: find them
// as a principal, ask their free-busy. They are the same account, share
// an organization, or other shares a collection with user: the rule by
// which the principal of a sharer was already readable, one way only.
func (s *Service) Visible(ctx context.Context, user, other string) (bool, error) {
	if user == other {
		return true, nil
	}
	mine, err := s.store.OrganizationsOf(ctx, user)
	if err != nil {
		return false, err
	}
	if len(mine) > 0 {
		theirs, err := s.store.OrganizationsOf(ctx, other)
		if err != nil {
			return false, err
		}
		for _, o := range mine {
			for _, t := range theirs {
				if o.ID == t.ID {
					return true, nil
				}
			}
		}
	}
	grants, err := s.store.GrantsTo(ctx, user)
	if err != nil {
		return false, err
	}
	for _, g := range grants {
		if g.Owner == other {
			return true, nil
		}
	}
	return false, nil
}

// MaxPeople caps the accounts one principal search looks at: a
// directory of colleagues, not the whole server.
const MaxPeople = 1000

// People returns the accounts user may find (Visible): user first, then
// the members of user's organizations, then the accounts that share a
// collection with user, each once, enabled ones only, at most
// MaxPeople.
func (s *Service) People(ctx context.Context, user *storage.Account) ([]storage.Account, error) {
	out := []storage.Account{*user}
	seen := map[string]bool{user.ID: true}
	add := func(id string) error {
		if seen[id] || len(out) >= MaxPeople {
			return nil
		}
		seen[id] = true
		a, err := s.store.Account(ctx, id)
		if errors.Is(err, storage.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		if !a.Disabled {
			out = append(out, *a)
		}
		return nil
	}
	orgs, err := s.store.OrganizationsOf(ctx, user.ID)
	if err != nil {
		return nil, fmt.Errorf("schedule: people: %w", err)
	}
	for _, o := range orgs {
		members, err := s.store.Members(ctx, o.ID)
		if err != nil {
			return nil, fmt.Errorf("schedule: people: %w", err)
		}
		for _, m := range members {
			if err := add(m.Account); err != nil {
				return nil, fmt.Errorf("schedule: people: %w", err)
			}
		}
	}
	grants, err := s.store.GrantsTo(ctx, user.ID)
	if err != nil {
		return nil, fmt.Errorf("schedule: people: %w", err)
	}
	for _, g := range grants {
		if err := add(g.Owner); err != nil {
			return nil, fmt.Errorf("schedule: people: %w", err)
		}
	}
	return out, nil
}
