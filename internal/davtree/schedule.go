package davtree

import (
	"context"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"almanac/internal/dav"
	"almanac/storage"
)

// Scheduler does implicit scheduling (RFC 6638 3.2) for the writes into
// calendars (the kind whose StorageKind is storage.KindCalendar): the
// tree hands it PUT and DELETE of their members, and it stores them with
// what they send in one transaction. Package schedule implements it.
type Scheduler interface {
	// Put stores p (complete: owner, collection, name, data, the
	// client's precondition) written by writer into owner's calendar.
	Put(ctx context.Context, writer, owner *storage.Account, p storage.PutObject, tag ScheduleTagMatch) (*ScheduledPut, error)
	// Delete deletes a member of owner's calendar coll.
	Delete(ctx context.Context, owner *storage.Account, coll, name string, cond storage.Precondition, tag ScheduleTagMatch) error
	// Addresses are acc's calendar user addresses, mailto: URIs.
	Addresses(ctx context.Context, acc *storage.Account) ([]string, error)
	// Inbox is the stored name of every account's scheduling inbox
	// (storage.KindScheduleInbox); EnsureInbox creates acc's.
	Inbox() string
	EnsureInbox(ctx context.Context, acc string) error
	// Outbox is the URL segment of every account's scheduling outbox
	// in its calendar home; OutboxPost answers an iCalendar message
	// POSTed there (a VFREEBUSY request, a COUNTER or DECLINECOUNTER)
	// with a CALDAV:schedule-response body.
	Outbox() string
	OutboxPost(ctx context.Context, acc *storage.Account, data []byte) ([]byte, error)
	// People are the accounts acc may find by principal search: acc,
	// then those sharing an organization with acc or a collection to
	// acc, each once, at most a bounded number.
	People(ctx context.Context, acc *storage.Account) ([]storage.Account, error)
	// DefaultCalendar is where acc's invitations are filed; nil when
	// acc has no calendar for events.
	DefaultCalendar(ctx context.Context, acc string) (*storage.Collection, error)
}

// ScheduleTagMatch is a request's If-Schedule-Tag-Match (RFC 6638 8.3).
type ScheduleTagMatch struct {
	Set bool
	Tag string
}

// ScheduledPut is what a Scheduler's Put stored.
type ScheduledPut struct {
	Meta    *storage.ObjectMeta
	Created bool
	// Rewritten: the stored bytes are not the request's (the server
	// added SCHEDULE-STATUS or kept replies), so the response carries
	// no ETag and the client reads the object back (RFC 4791 5.3.4).
	Rewritten bool
}

var (
	pScheduleTag         = dav.Name(dav.NSCalDAV, "schedule-tag")
	pScheduleInboxURL    = dav.Name(dav.NSCalDAV, "schedule-inbox-URL")
	pScheduleOutboxURL   = dav.Name(dav.NSCalDAV, "schedule-outbox-URL")
	pCalendarUserAddrSet = dav.Name(dav.NSCalDAV, "calendar-user-address-set")
	pCalendarUserType    = dav.Name(dav.NSCalDAV, "calendar-user-type")
	pEmailAddressSet     = dav.Name(dav.NSCalendarServer, "email-address-set")
	pScheduleDefaultCal  = dav.Name(dav.NSCalDAV, "schedule-default-calendar-URL")
	rtScheduleInbox      = dav.Name(dav.NSCalDAV, "schedule-inbox")
)

// scheduleTagMatch reads If-Schedule-Tag-Match: one opaque tag, a
// quoted string (RFC 6638 8.3).
func scheduleTagMatch(r *http.Request) (ScheduleTagMatch, error) {
	vs := r.Header.Values("If-Schedule-Tag-Match")
	if len(vs) == 0 {
		return ScheduleTagMatch{}, nil
	}
	v := strings.TrimSpace(vs[0])
	if len(vs) > 1 || len(v) < 2 || v[0] != '"' || v[len(v)-1] != '"' || strings.ContainsAny(v[1:len(v)-1], "\"\r\n") {
		return ScheduleTagMatch{}, dav.BadRequest("If-Schedule-Tag-Match must be one quoted schedule tag")
	}
	return ScheduleTagMatch{Set: true, Tag: v}, nil
}

// schedules reports whether writes into t's collection go through the
// scheduler.
func (tr *Tree) schedules(t *Target) bool {
	return tr.sched != nil && t.Kind != nil && t.Kind.Spec().StorageKind == storage.KindCalendar
}

// isInbox reports whether t's collection is a scheduling inbox.
func (t *Target) isInbox() bool {
	return t.Coll != nil && t.Coll.Kind == storage.KindScheduleInbox
}

// ownerAccount is the account whose calendar t's member is in: the user,
// or the sharer of a calendar shared with them. Scheduling acts as the
// calendar's owner (RFC 6638 3.2: the calendar user is the owner of the
// calendar the object is in).
func (tr *Tree) ownerAccount(ctx context.Context, t *Target) (*storage.Account, error) {
	if t.Owner == t.Account.ID {
		return t.Account, nil
	}
	return tr.store.Account(ctx, t.Owner)
}

// schedulingPrincipalProps are RFC 6638 2.4's principal properties of
// acc (and calendar-user-address-set with every address, RFC 6638
// 2.4.1), replacing the kind's simpler ones of the same names. own
// false leaves out the inbox and outbox, which only their owner reaches.
func (tr *Tree) schedulingPrincipalProps(ctx context.Context, acc *storage.Account, own bool) ([]dav.Prop, error) {
	addrs, err := tr.sched.Addresses(ctx, acc)
	if err != nil {
		return nil, err
	}
	var emails strings.Builder
	for _, a := range addrs {
		emails.WriteString("<CS:email-address>" + dav.EscapeText(strings.TrimPrefix(a, "mailto:")) + "</CS:email-address>")
	}
	props := []dav.Prop{
		dav.HrefProp(pCalendarUserAddrSet, append(addrs, PrincipalHref(acc.ID))...),
		dav.TextProp(pCalendarUserType, "INDIVIDUAL"),
		dav.XMLProp(pEmailAddressSet, emails.String()),
	}
	if own {
		if href := tr.CollectionHref(storage.KindCalendar, acc.ID, tr.sched.Inbox()); href != "" {
			props = append(props, dav.HrefProp(pScheduleInboxURL, href),
				dav.HrefProp(pScheduleOutboxURL, tr.CollectionHref(storage.KindCalendar, acc.ID, tr.sched.Outbox())))
		}
	}
	return props, nil
}

// mergeProps puts first before rest, leaving out those of rest that
// first names.
func mergeProps(first, rest []dav.Prop) []dav.Prop {
	out := first
	for _, p := range rest {
		dup := false
		for _, f := range first {
			if f.Name == p.Name {
				dup = true
				break
			}
		}
		if !dup {
			out = append(out, p)
		}
	}
	return out
}

// inboxProp serves what a scheduling inbox has besides a collection's
// properties: its resource type and schedule-default-calendar-URL (RFC
// 6638 2.2, 9.2).
func (s *collectionSource) inboxProp(ctx context.Context, n string) (dav.Prop, bool, error) {
	t := s.t
	switch n {
	case "resourcetype":
		return dav.XMLProp(pResourceType, "<D:collection/>"+dav.EmptyElement(rtScheduleInbox)), true, nil
	case "default":
		c, err := t.tree.sched.DefaultCalendar(ctx, t.Owner)
		if err != nil || c == nil {
			return dav.Prop{}, false, err
		}
		return dav.HrefProp(pScheduleDefaultCal, t.tree.CollectionHref(storage.KindCalendar, t.Owner, c.Name)), true, nil
	}
	return dav.Prop{}, false, nil
}

// isOutbox reports whether t names the user's scheduling outbox.
func (tr *Tree) isOutbox(t *Target) bool {
	return tr.schedules(t) && t.Type == Collection && t.Coll == nil && t.Grant == nil && t.CollName == tr.sched.Outbox()
}

// outboxPost serves an iTIP message POSTed to the outbox (RFC 6638 5:
// free-busy; COUNTER and DECLINECOUNTER, which have no implicit form):
// an iCalendar body, not XML.
func (tr *Tree) outboxPost(w http.ResponseWriter, r *http.Request, t *Target) error {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != "text/calendar" {
			return dav.Precondition(http.StatusForbidden, dav.Name(dav.NSCalDAV, "supported-calendar-data"), "a scheduling request is sent as text/calendar")
		}
	}
	if r.ContentLength > dav.MaxXMLBody {
		return dav.NewError(http.StatusRequestEntityTooLarge, "the request is too large")
	}
	data, err := io.ReadAll(io.LimitReader(r.Body, dav.MaxXMLBody+1))
	if err != nil {
		return dav.BodyError(err)
	}
	if int64(len(data)) > dav.MaxXMLBody {
		return dav.NewError(http.StatusRequestEntityTooLarge, "the request is too large")
	}
	out, err := tr.sched.OutboxPost(r.Context(), t.Account, data)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/xml; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(len(out)))
	w.WriteHeader(http.StatusOK)
	_, err = w.Write(out)
	return err
}

// outboxProps are the properties of the scheduling outbox (RFC 6638
// 2.1), which is no stored collection: what a client checks before it
// POSTs a free-busy request, with the privilege to send them (6.1).
func outboxProps(t *Target) []dav.Prop {
	return []dav.Prop{
		dav.XMLProp(pResourceType, "<D:collection/><C:schedule-outbox/>"),
		dav.HrefProp(pCurrentUser, PrincipalHref(t.Account.ID)),
		dav.HrefProp(pOwner, PrincipalHref(t.Account.ID)),
		dav.XMLProp(pPrivileges, "<D:privilege><D:read/></D:privilege><D:privilege><C:schedule-send/></D:privilege>"+
			"<D:privilege><C:schedule-send-freebusy/></D:privilege>"),
	}
}
