package schedule

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"almanac/internal/dav"
	"almanac/internal/davtree"
	aical "almanac/internal/ical"
	"almanac/storage"
)

// InboxName is the stored name of an account's scheduling inbox. It is
// not a name clients pick for calendars, and a calendar already called so
// keeps its name: the inbox is then not created (EnsureInbox says so).
const InboxName = "schedule-inbox"

// OutboxName is the URL segment of an account's scheduling outbox under
// its calendar home. Nothing is stored there: it only answers free-busy
// requests (RFC 6638 2.1), so it is no collection of the store.
const OutboxName = "schedule-outbox"

// DefaultMaxAttendees caps the attendees of one component (RFC 4791
// 5.2.9 max-attendees-per-instance). Every attendee may cost a store
// lookup and a write in the same transaction; a hundred covers every
// meeting room and keeps one PUT's work small.
const DefaultMaxAttendees = 100

// maxAddresses caps the calendar user addresses one account has: its
// login and mailbox addresses with their aliases and alias domains.
const maxAddresses = 256

// maxRetries bounds how often a scheduling write is replanned when a
// concurrent write changed one of the objects it read.
const maxRetries = 3

// Store is what scheduling reads and writes.
type Store interface {
	storage.DAV
	storage.Scheduling
	storage.Accounts
	storage.Mail
	storage.Sharing
}

// Ingest validates calendar data for collection c as a PUT would and
// returns the write's indexed fields (caldav's Kind.Ingest).
type Ingest func(c *storage.Collection, data []byte) (storage.PutObject, error)

// Options configures a Service.
type Options struct {
	Logger       *slog.Logger
	MaxAttendees int // 0: DefaultMaxAttendees
	// Ingest is required: the copies the server writes into attendees'
	// calendars are validated and indexed like a client's PUT.
	Ingest Ingest
	// Now is the clock of DTSTAMPs; nil: time.Now.
	Now func() time.Time
	// IMIP sends messages to calendar users outside the server; nil
	// marks them undeliverable (SCHEDULE-STATUS 5.1).
	IMIP Sender
	// Busy reads a user's busy time for free-busy requests; nil
	// refuses them.
	Busy BusyFunc
}

// Sender sends one iTIP message by email (RFC 6047).
type Sender interface {
	SendIMIP(ctx context.Context, m Outgoing) error
}

// Outgoing is one iTIP message to one outside calendar user.
type Outgoing struct {
	From     string // the sender's calendar user address, mailto:
	FromName string // their display name, "" for none
	To       string // the recipient's email address
	Method   string
	Summary  string
	Data     []byte // the text/calendar body
}

// Service does implicit scheduling (RFC 6638 3.2) for calendar writes.
type Service struct {
	store        Store
	logger       *slog.Logger
	maxAttendees int
	ingest       Ingest
	now          func() time.Time
	imip         Sender
	busy         BusyFunc
}

// New returns the scheduling service.
func New(store Store, opts Options) *Service {
	if opts.Ingest == nil {
		panic("schedule: Options.Ingest is required")
	}
	s := &Service{store: store, logger: opts.Logger, maxAttendees: opts.MaxAttendees, ingest: opts.Ingest, now: opts.Now, imip: opts.IMIP, busy: opts.Busy}
	if s.logger == nil {
		s.logger = slog.New(slog.DiscardHandler)
	}
	if s.maxAttendees <= 0 {
		s.maxAttendees = DefaultMaxAttendees
	}
	if s.now == nil {
		s.now = time.Now
	}
	return s
}

// CalDAV preconditions of scheduling (RFC 6638 3.2.4, RFC 4791 5.3.2.1).
var (
	condSameOrganizer    = dav.Name(dav.NSCalDAV, "same-organizer-in-all-components")
	condValidOrganizer   = dav.Name(dav.NSCalDAV, "valid-organizer")
	condMaxAttendees     = dav.Name(dav.NSCalDAV, "max-attendees-per-instance")
	condAttendeeChange   = dav.Name(dav.NSCalDAV, "allowed-attendee-scheduling-object-change")
	condUniqueScheduling = dav.Name(dav.NSCalDAV, "unique-scheduling-object-resource")
)

// Addresses returns acc's calendar user addresses (RFC 6638 2.4.1),
// normalized: its login when it is an email address, and every address
// of each mailbox linked to the account (local part and aliases at the
// service's domain and alias domains). The login comes first.
func (s *Service) Addresses(ctx context.Context, acc *storage.Account) ([]string, error) {
	var out []string
	add := func(a string) {
		a = normAddr("mailto:" + a)
		if mailAddress(a) != "" && !slices.Contains(out, a) && len(out) < maxAddresses {
			out = append(out, a)
		}
	}
	if strings.Contains(acc.Login, "@") {
		add(acc.Login)
	}
	links, err := s.store.MailboxLinksOf(ctx, acc.ID)
	if err != nil {
		return nil, fmt.Errorf("schedule: addresses of %s: %w", acc.ID, err)
	}
	services := map[string]*storage.MailService{}
	for _, l := range links {
		svc, ok := services[l.Service]
		if !ok {
			svc, err = s.store.MailService(ctx, l.Service)
			if errors.Is(err, storage.ErrNotFound) {
				continue
			}
			if err != nil {
				return nil, fmt.Errorf("schedule: addresses of %s: %w", acc.ID, err)
			}
			services[l.Service] = svc
		}
		mb, err := s.store.Mailbox(ctx, l.Service, l.LocalPart)
		if errors.Is(err, storage.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("schedule: addresses of %s: %w", acc.ID, err)
		}
		for _, local := range append([]string{mb.LocalPart}, mb.Aliases...) {
			for _, d := range append([]string{svc.Domain}, svc.AliasDomains...) {
				add(local + "@" + d)
			}
		}
	}
	return out, nil
}

// Lookup returns the local account whose calendar user address addr is
// (Addresses), nil for an address outside the server: an account's
// login, or a mailbox address linked to exactly one account. A mailbox
// shared by several accounts has no one calendar user behind it, so
// scheduling treats it as outside (its mail still arrives).
func (s *Service) Lookup(ctx context.Context, addr string) (*storage.Account, error) {
	email := mailAddress(addr)
	if email == "" {
		return nil, nil
	}
	acc, err := s.store.AccountByLogin(ctx, email)
	if err == nil {
		if acc.Disabled {
			return nil, nil
		}
		return acc, nil
	}
	if !errors.Is(err, storage.ErrNotFound) {
		return nil, fmt.Errorf("schedule: look up %s: %w", email, err)
	}
	svc, mb, _, err := s.store.ResolveAddress(ctx, email)
	if errors.Is(err, storage.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("schedule: look up %s: %w", email, err)
	}
	links, err := s.store.MailboxLinksTo(ctx, svc.ID, mb.LocalPart)
	if err != nil || len(links) != 1 {
		if errors.Is(err, storage.ErrNotFound) {
			err = nil
		}
		return nil, err
	}
	acc, err = s.store.Account(ctx, links[0].Account)
	if errors.Is(err, storage.ErrNotFound) || err == nil && acc.Disabled {
		return nil, nil
	}
	return acc, err
}

var _ davtree.Scheduler = (*Service)(nil)

// EnsureInbox creates acc's scheduling inbox when it is missing.
func (s *Service) EnsureInbox(ctx context.Context, acc string) error {
	err := s.store.CreateCollection(ctx, &storage.Collection{Owner: acc, Name: InboxName, Kind: storage.KindScheduleInbox})
	if errors.Is(err, storage.ErrExists) {
		c, err := s.store.Collection(ctx, acc, InboxName)
		if err != nil {
			return fmt.Errorf("schedule: inbox of %s: %w", acc, err)
		}
		if c.Kind != storage.KindScheduleInbox {
			return fmt.Errorf("schedule: inbox of %s: the name is taken by a %s", acc, c.Kind)
		}
		return nil
	}
	if err != nil {
		return fmt.Errorf("schedule: create inbox of %s: %w", acc, err)
	}
	return nil
}

// TagMatch is a request's If-Schedule-Tag-Match (RFC 6638 8.3).
type TagMatch = davtree.ScheduleTagMatch

// Result is what a scheduling write stored for the client's request.
type Result = davtree.ScheduledPut

// Inbox is InboxName, for davtree.Scheduler.
func (s *Service) Inbox() string { return InboxName }

// Outbox is OutboxName, for davtree.Scheduler.
func (s *Service) Outbox() string { return OutboxName }

// errRetry: an object read for planning changed before the batch
// committed; the write is planned again.
var errRetry = errors.New("schedule: concurrent change")

// Put stores p, written by writer into owner's calendar (the same
// account unless the calendar is shared with writer), and what it sends: the
// attendees' copies and inbox items when owner organizes, the reply into
// the organizer's copy when owner attends, all in one transaction. p's
// If is the client's precondition; p holds the indexed fields Ingest
// gave for the request's bytes.
func (s *Service) Put(ctx context.Context, writer, owner *storage.Account, p storage.PutObject, tag TagMatch) (*Result, error) {
	for range maxRetries {
		res, mails, err := s.put(ctx, writer, owner, p, tag)
		if errors.Is(err, errRetry) {
			continue
		}
		if err != nil {
			return nil, err
		}
		s.send(ctx, mails)
		return res, nil
	}
	return nil, &dav.Error{Status: http.StatusConflict, Message: "the event changed while it was being scheduled; try again"}
}

// Delete deletes owner's object and sends what deleting it means: a
// CANCEL to the attendees when owner organizes, a REPLY declining when
// owner attends (RFC 6638 3.2.1.4, 3.2.2.3).
func (s *Service) Delete(ctx context.Context, owner *storage.Account, coll, name string, cond storage.Precondition, tag TagMatch) error {
	for range maxRetries {
		mails, err := s.delete(ctx, owner, coll, name, cond, tag)
		if errors.Is(err, errRetry) {
			continue
		}
		if err != nil {
			return err
		}
		s.send(ctx, mails)
		return nil
	}
	return &dav.Error{Status: http.StatusConflict, Message: "the event changed while it was being scheduled; try again"}
}

// write is one scheduling write being planned: the batch and the mail to
// send once it committed.
type write struct {
	s      *Service
	owner  *storage.Account
	me     func(string) bool
	myAddr string // the address the owner acts under in this object
	ops    []storage.BatchOp
	mails  []Outgoing
	now    time.Time
	inbox  map[string]bool
}

// exactly is the precondition that the object is as it was read.
func exactly(exists bool, etag string) storage.Precondition {
	return func(ex bool, et string) bool { return ex == exists && (!exists || et == etag) }
}

func (s *Service) matcher(ctx context.Context, owner *storage.Account) (func(string) bool, []string, error) {
	addrs, err := s.Addresses(ctx, owner)
	if err != nil {
		return nil, nil, err
	}
	return func(a string) bool { return slices.Contains(addrs, normAddr(a)) }, addrs, nil
}

// role is what owner is in an object: its organizer, an attendee, or
// neither (not a scheduling object resource of theirs).
type role int

const (
	roleNone role = iota
	roleOrganizer
	roleAttendee
	roleForeign // organized by someone else, the user not attending
)

// classify checks o's scheduling properties and finds owner's role:
// roleForeign for an object organized by someone else that names none
// of owner's addresses as attendee (checkForeign).
func (s *Service) classify(o *object, me func(string) bool) (role, string, error) {
	var org string
	hasOrg, hasAttendees := false, false
	for i, c := range o.comps {
		p, ok := c.organizer()
		if i > 0 && (ok != hasOrg || ok && p.addr != org) {
			return roleNone, "", dav.Precondition(http.StatusForbidden, condSameOrganizer, "every component of a scheduled event must name the same ORGANIZER")
		}
		if ok {
			hasOrg, org = true, p.addr
			if c.agent(p.line) != agentServer {
				// The client schedules (SCHEDULE-AGENT on the
				// ORGANIZER, RFC 6638 7.1): nothing for the server.
				return roleNone, "", nil
			}
		}
		n := 0
		for _, a := range c.attendees() {
			if a.addr != org {
				hasAttendees = true
			}
			n++
		}
		if n > s.maxAttendees {
			return roleNone, "", dav.Precondition(http.StatusForbidden, condMaxAttendees,
				"a component has "+strconv.Itoa(n)+" attendees; at most "+strconv.Itoa(s.maxAttendees)+" are allowed")
		}
	}
	if !hasOrg || !hasAttendees {
		return roleNone, "", nil
	}
	if me(org) {
		return roleOrganizer, org, nil
	}
	for _, c := range o.comps {
		if _, ok := c.find(me); ok {
			return roleAttendee, org, nil
		}
	}
	return roleForeign, org, nil
}

// checkForeign decides about an object organized by someone else that
// does not name the user as attendee (RFC 6638 3.1: no scheduling object
// of theirs, so nothing is sent for it). When the organizer is another
// user of this server, storing it would put a meeting in that colleague's
// name into the user's calendar that the colleague never sent: refused
// (CALDAV:valid-organizer). An outside organizer's event (an import, RFC
// 4791's own examples) is stored as any object.
func (s *Service) checkForeign(ctx context.Context, writer *storage.Account, org string) error {
	acc, err := s.Lookup(ctx, org)
	if err != nil {
		return err
	}
	// A sharee's own meeting in a calendar shared with them is theirs
	// to write; it is stored, and not scheduled (the calendar's owner
	// is the calendar user, RFC 6638 3.1).
	if acc != nil && acc.ID != writer.ID {
		return dav.Precondition(http.StatusForbidden, condValidOrganizer,
			"the ORGANIZER "+strings.TrimPrefix(org, "mailto:")+" is another user's address, and you are not an attendee")
	}
	return nil
}

func (s *Service) put(ctx context.Context, writer, owner *storage.Account, p storage.PutObject, tag TagMatch) (*Result, []Outgoing, error) {
	if !tag.Set && !hasOrganizer(p.Data) {
		// Most writes: no meeting. They are stored exactly as without
		// scheduling, the client's precondition checked in the write.
		// (An organizer who strips ORGANIZER from a meeting sends
		// nothing by it; deleting the event cancels.)
		meta, created, err := s.store.Put(ctx, p)
		if err != nil {
			return nil, nil, err
		}
		return &Result{Meta: meta, Created: created}, nil, nil
	}
	old, err := s.store.Get(ctx, owner.ID, p.Collection, p.Name)
	if errors.Is(err, storage.ErrNotFound) {
		old = nil
	} else if err != nil {
		return nil, nil, err
	}
	var oldETag string
	if old != nil {
		oldETag = old.ETag
	}
	if p.If != nil && !p.If(old != nil, oldETag) {
		return nil, nil, storage.ErrPreconditionFailed
	}
	if err := checkTag(old, tag); err != nil {
		return nil, nil, err
	}
	me, _, err := s.matcher(ctx, owner)
	if err != nil {
		return nil, nil, err
	}
	newObj, err := parseObject(p.Data)
	if err != nil {
		// Nothing to schedule (a timezone-only body cannot pass
		// Ingest, so this is defensive): store it as is.
		return s.plainPut(ctx, p, old)
	}
	r, org, err := s.classify(newObj, me)
	if err != nil {
		return nil, nil, err
	}
	if r == roleForeign {
		if err := s.checkForeign(ctx, writer, org); err != nil {
			return nil, nil, err
		}
		r = roleNone
	}
	var oldObj *object
	if old != nil {
		if o, err := parseObject(old.Data); err == nil {
			if or, oorg, err := s.classify(o, me); err == nil && or == r && oorg == org {
				oldObj = o
			}
		}
	}
	if old == nil && r != roleNone {
		if err := s.unique(ctx, owner.ID, p.Collection, newObj.uid); err != nil {
			return nil, nil, err
		}
	}
	w := &write{s: s, owner: owner, me: me, now: s.now().UTC(), inbox: map[string]bool{}}
	switch r {
	case roleNone:
		return s.plainPut(ctx, p, old)
	case roleOrganizer:
		if tag.Set && oldObj != nil {
			keepReplies(newObj, oldObj, me)
		}
		w.myAddr = org
		if err := w.organize(ctx, oldObj, newObj); err != nil {
			return nil, nil, err
		}
	case roleAttendee:
		if oldObj != nil && oldObj.uid != newObj.uid {
			return nil, nil, dav.Precondition(http.StatusForbidden, condAttendeeChange, "an invitation's UID cannot change")
		}
		if a, ok := firstAttendee(newObj, me); ok {
			w.myAddr = a
		}
		if err := w.reply(ctx, org, oldObj, newObj); err != nil {
			return nil, nil, err
		}
	}
	dropForceSend(newObj)
	data := newObj.encode()
	rewritten := !bytes.Equal(data, p.Data)
	p.Data = data
	p.ScheduleTag = quoted(newTag())
	p.If = exactly(old != nil, oldETag)
	res, err := w.commit(ctx, storage.BatchOp{Put: &p})
	if err != nil {
		return nil, nil, err
	}
	return &Result{Meta: res[0].Meta, Created: res[0].Created, Rewritten: rewritten}, w.mails, nil
}

// hasOrganizer reports whether data, which passed Ingest, has an
// ORGANIZER line in one of its components: a cheap test that lets every
// other write skip planning.
func hasOrganizer(data []byte) bool {
	if !bytes.Contains(bytes.ToUpper(data), []byte(propOrganizer)) {
		return false
	}
	o, err := parseObject(data)
	if err != nil {
		return false
	}
	for _, c := range o.comps {
		if _, ok := c.organizer(); ok {
			return true
		}
	}
	return false
}

// plainPut stores an object that is no scheduling object resource of
// the owner: no tag, the client's bytes.
func (s *Service) plainPut(ctx context.Context, p storage.PutObject, old *storage.Object) (*Result, []Outgoing, error) {
	var oldETag string
	if old != nil {
		oldETag = old.ETag
	}
	p.If = exactly(old != nil, oldETag)
	meta, created, err := s.store.Put(ctx, p)
	if errors.Is(err, storage.ErrPreconditionFailed) {
		return nil, nil, errRetry
	}
	if err != nil {
		return nil, nil, err
	}
	return &Result{Meta: meta, Created: created}, nil, nil
}

func (s *Service) delete(ctx context.Context, owner *storage.Account, coll, name string, cond storage.Precondition, tag TagMatch) ([]Outgoing, error) {
	old, err := s.store.Get(ctx, owner.ID, coll, name)
	if err != nil {
		return nil, err
	}
	if cond != nil && !cond(true, old.ETag) {
		return nil, storage.ErrPreconditionFailed
	}
	if err := checkTag(old, tag); err != nil {
		return nil, err
	}
	me, _, err := s.matcher(ctx, owner)
	if err != nil {
		return nil, err
	}
	w := &write{s: s, owner: owner, me: me, now: s.now().UTC(), inbox: map[string]bool{}}
	if o, err := parseObject(old.Data); err == nil {
		// A stored object that no longer classifies (addresses
		// changed since) is deleted without messages.
		if r, org, err := s.classify(o, me); err == nil {
			switch r {
			case roleOrganizer:
				w.myAddr = org
				if err := w.organize(ctx, o, nil); err != nil {
					return nil, err
				}
			case roleAttendee:
				if a, ok := firstAttendee(o, me); ok {
					w.myAddr = a
				}
				if err := w.reply(ctx, org, o, nil); err != nil {
					return nil, err
				}
			}
		}
	}
	_, err = w.commit(ctx, storage.BatchOp{Delete: &storage.DeleteObject{Owner: owner.ID, Collection: coll, Name: name, If: exactly(true, old.ETag)}})
	return w.mails, err
}

// unique refuses a new scheduling object whose UID another of the
// owner's calendars already holds (RFC 6638 3.2.4.1): one event must have
// one copy, or a REQUEST would update one and leave the other stale.
// Within coll the store's own UID rule answers.
func (s *Service) unique(ctx context.Context, owner, coll, uid string) error {
	matches, err := s.store.FindUID(ctx, owner, uid)
	if err != nil {
		return err
	}
	for _, m := range matches {
		if m.Kind == storage.KindCalendar && m.Collection != coll {
			return dav.Precondition(http.StatusForbidden, condUniqueScheduling,
				"your calendar "+m.Collection+" already holds this event (UID "+uid+")")
		}
	}
	return nil
}

// checkTag applies If-Schedule-Tag-Match (RFC 6638 8.3): the stored
// object must exist and carry exactly that schedule tag.
func checkTag(old *storage.Object, tag TagMatch) error {
	if tag.Set && (old == nil || old.ScheduleTag == "" || old.ScheduleTag != tag.Tag) {
		return storage.ErrPreconditionFailed
	}
	return nil
}

func firstAttendee(o *object, me func(string) bool) (string, bool) {
	for _, c := range o.comps {
		if a, ok := c.find(me); ok {
			return a.addr, true
		}
	}
	return "", false
}

// commit runs the client's own op first and the scheduling ops after it
// in one batch. A precondition that fails on an op the server added (a
// copy changed since it was read) replans the write.
func (w *write) commit(ctx context.Context, own storage.BatchOp) ([]storage.BatchResult, error) {
	ops := append([]storage.BatchOp{own}, w.ops...)
	res, err := w.s.store.WriteBatch(ctx, ops)
	var be *storage.BatchError
	if errors.As(err, &be) && errors.Is(be.Err, storage.ErrPreconditionFailed) {
		return nil, errRetry
	}
	if err != nil {
		if errors.As(err, &be) && be.Index == 0 {
			return nil, be.Err
		}
		return nil, fmt.Errorf("schedule: write: %w", err)
	}
	return res, nil
}

// organize plans what the organizer's change from old to new (nil:
// deleted) sends each attendee, and sets SCHEDULE-STATUS on new.
func (w *write) organize(ctx context.Context, old, new *object) error {
	var addrs []string
	for _, o := range []*object{old, new} {
		if o == nil {
			continue
		}
		for _, c := range o.comps {
			for _, a := range c.attendees() {
				if !w.me(a.addr) && !slices.Contains(addrs, a.addr) {
					addrs = append(addrs, a.addr)
				}
			}
		}
	}
	if len(addrs) > w.s.maxAttendees {
		return dav.Precondition(http.StatusForbidden, condMaxAttendees,
			"the event has "+strconv.Itoa(len(addrs))+" attendees; at most "+strconv.Itoa(w.s.maxAttendees)+" are allowed")
	}
	delivered := map[string]string{} // account ID → status, one delivery per account
	for _, addr := range addrs {
		msgs := planOrganizer(old, new, is(addr), w.now)
		if len(msgs) == 0 {
			continue
		}
		acc, err := w.s.Lookup(ctx, addr)
		if err != nil {
			return err
		}
		var status string
		switch {
		case acc == nil:
			status = w.outside(addr, new, old, msgs)
		case acc.ID == w.owner.ID:
			// Another address of the organizer's own (an alias):
			// sending to oneself would loop back a copy of the
			// organizer's own event.
			continue
		default:
			st, done := delivered[acc.ID]
			if !done {
				st, err = w.deliver(ctx, acc, old, new, msgs)
				if err != nil {
					return err
				}
				delivered[acc.ID] = st
			}
			status = st
		}
		if new != nil {
			setStatus(new, is(addr), status)
		}
	}
	return nil
}

// Statuses (RFC 6638 3.2.9 and 9.2 of RFC 5546's request-status codes).
const (
	statusSent        = "1.1" // handed to the mail system
	statusDelivered   = "1.2"
	statusNoDelivery  = "5.1" // could not be delivered
	statusNoScheduler = "5.3" // no scheduling support for the user
)

// deliver applies msgs to acc's copy of the event and puts them into
// acc's inbox.
func (w *write) deliver(ctx context.Context, acc *storage.Account, old, new *object, msgs []message) (string, error) {
	src := new
	if src == nil {
		src = old
	}
	copyAt, cur, err := w.s.findCopy(ctx, acc.ID, src.uid)
	if err != nil {
		return "", err
	}
	var copyObj *object
	if cur != nil {
		if copyObj, err = parseObject(cur.Data); err != nil {
			copyObj = nil
		}
	}
	for _, m := range msgs {
		msg, err := parseObject(calendar(m.method, src.timezones(), m.comps))
		if err != nil {
			return "", fmt.Errorf("schedule: message to %s: %w", acc.ID, err)
		}
		msg.method = m.method
		switch m.method {
		case MethodCancel:
			if copyObj != nil {
				copyObj, err = parseObject(applyCancel(copyObj, msg))
			}
		default:
			copyObj, err = parseObject(applyRequest(copyObj, msg))
		}
		if err != nil {
			return "", fmt.Errorf("schedule: copy of %s: %w", acc.ID, err)
		}
		if err := w.toInbox(ctx, acc.ID, src.uid, w.myAddr, src.kind, msg.encode()); err != nil {
			return "", err
		}
	}
	if copyObj == nil {
		return statusDelivered, nil
	}
	coll := copyAt
	name := ""
	var cond storage.Precondition
	if cur != nil {
		name, cond = cur.Name, exactly(true, cur.ETag)
	} else {
		c, err := w.s.defaultCalendar(ctx, acc.ID)
		if err != nil {
			return "", err
		}
		if c == nil {
			// In the inbox only; the attendee's client may still
			// file it.
			return statusDelivered, nil
		}
		coll, name, cond = c, copyName(src.uid), exactly(false, "")
		if _, err := w.s.store.Stat(ctx, acc.ID, c.Name, name); err == nil {
			name = newTag() + ".ics" // the name holds another event
		} else if !errors.Is(err, storage.ErrNotFound) {
			return "", err
		}
	}
	data := copyObj.encode()
	put, err := w.s.ingest(coll, data)
	if err != nil {
		w.s.logger.WarnContext(ctx, "scheduling copy refused by the attendee's calendar", "account", acc.ID, "err", err)
		return statusNoScheduler, nil
	}
	put.Owner, put.Collection, put.Name, put.Data, put.If = acc.ID, coll.Name, name, data, cond
	put.ScheduleTag = quoted(newTag())
	w.ops = append(w.ops, storage.BatchOp{Put: &put})
	return statusDelivered, nil
}

// outside plans the iMIP messages to an address outside the server.
func (w *write) outside(addr string, new, old *object, msgs []message) string {
	email := mailAddress(addr)
	if w.s.imip == nil || email == "" {
		return statusNoDelivery
	}
	src := new
	if src == nil {
		src = old
	}
	for _, m := range msgs {
		w.mails = append(w.mails, Outgoing{
			From: w.myAddr, FromName: w.owner.DisplayName, To: email, Method: m.method,
			Summary: summaryOf(m.comps), Data: calendar(m.method, src.timezones(), m.comps),
		})
	}
	return statusSent
}

func summaryOf(comps []*aical.Node) string {
	for _, c := range comps {
		if v := value(c, propSummary); v != "" {
			return v
		}
	}
	return ""
}

// reply plans the REPLY an attendee's change from old to new (nil:
// deleted) sends the organizer org, and records its status on new's
// ORGANIZER.
func (w *write) reply(ctx context.Context, org string, old, new *object) error {
	comps := planReply(old, new, w.me, w.now)
	if len(comps) == 0 {
		return nil
	}
	src := new
	if src == nil {
		src = old
	}
	acc, err := w.s.Lookup(ctx, org)
	if err != nil {
		return err
	}
	data := calendar(MethodReply, src.timezones(), comps)
	status := statusDelivered
	switch {
	case acc == nil:
		if w.s.imip == nil || mailAddress(org) == "" {
			status = statusNoDelivery
		} else {
			w.mails = append(w.mails, Outgoing{From: w.myAddr, FromName: w.owner.DisplayName, To: mailAddress(org),
				Method: MethodReply, Summary: summaryOf(comps), Data: data})
			status = statusSent
		}
	case acc.ID == w.owner.ID:
		return nil
	default:
		reply, err := parseObject(data)
		if err != nil {
			return fmt.Errorf("schedule: reply: %w", err)
		}
		if _, err := w.applyReplyTo(ctx, acc.ID, reply, w.me); err != nil {
			return err
		}
		if err := w.toInbox(ctx, acc.ID, src.uid, w.myAddr, src.kind, data); err != nil {
			return err
		}
	}
	if new != nil {
		setOrganizerStatus(new, status)
	}
	return nil
}

// errNoEvent: a reply names an event the organizer does not have.
var errNoEvent = errors.New("schedule: the organizer has no such event")

// applyReplyTo merges reply into organizer's copy of the event, keeping
// its schedule tag (RFC 6638 3.2.10: replies do not change it, so that
// the organizer's client may still write with If-Schedule-Tag-Match).
// attendee matches the replying attendee's addresses. It reports how
// many instances changed.
func (w *write) applyReplyTo(ctx context.Context, organizer string, reply *object, attendee func(string) bool) (int, error) {
	coll, cur, err := w.s.findCopy(ctx, organizer, reply.uid)
	if err != nil {
		return 0, err
	}
	if cur == nil {
		return 0, errNoEvent
	}
	orgObj, err := parseObject(cur.Data)
	if err != nil {
		return 0, errNoEvent
	}
	// The copy must be the organizer's own event under the address the
	// reply names: a reply cannot reach an event the user attends.
	if p, ok := orgObj.comps[0].organizer(); !ok || !reply.organizedBy(p.addr) {
		return 0, errNoEvent
	}
	n := applyReply(orgObj, reply, attendee)
	if n == 0 {
		return 0, nil
	}
	data := orgObj.encode()
	put, err := w.s.ingest(coll, data)
	if err != nil {
		return 0, fmt.Errorf("schedule: organizer's copy after a reply: %w", err)
	}
	put.Owner, put.Collection, put.Name, put.Data, put.If = organizer, coll.Name, cur.Name, data, exactly(true, cur.ETag)
	put.ScheduleTag = cur.ScheduleTag
	w.ops = append(w.ops, storage.BatchOp{Put: &put})
	return n, nil
}

// organizedBy reports whether every component of o names org as
// ORGANIZER.
func (o *object) organizedBy(org string) bool {
	for _, c := range o.comps {
		if p, ok := c.organizer(); !ok || p.addr != org {
			return false
		}
	}
	return true
}

// findCopy returns acc's copy of event uid, the first calendar holding
// it by collection name, and that calendar; nil when there is none.
func (s *Service) findCopy(ctx context.Context, acc, uid string) (*storage.Collection, *storage.Object, error) {
	matches, err := s.store.FindUID(ctx, acc, uid)
	if err != nil {
		return nil, nil, err
	}
	for _, m := range matches {
		if m.Kind != storage.KindCalendar {
			continue
		}
		c, err := s.store.Collection(ctx, acc, m.Collection)
		if err != nil {
			return nil, nil, err
		}
		obj, err := s.store.Get(ctx, acc, m.Collection, m.Meta.Name)
		if err != nil {
			return nil, nil, err
		}
		return c, obj, nil
	}
	return nil, nil, nil
}

// DefaultCalendar is the calendar new invitations are filed in (RFC 6638
// 9.2 schedule-default-calendar-URL): the provisioned "default" when it
// holds events, else the first calendar by name that does; nil when
// there is none.
func (s *Service) DefaultCalendar(ctx context.Context, acc string) (*storage.Collection, error) {
	return s.defaultCalendar(ctx, acc)
}

func (s *Service) defaultCalendar(ctx context.Context, acc string) (*storage.Collection, error) {
	colls, err := s.store.ListCollections(ctx, acc)
	if err != nil {
		return nil, err
	}
	var first *storage.Collection
	for i := range colls {
		c := &colls[i]
		if c.Kind != storage.KindCalendar || len(c.Components) > 0 && !slices.Contains(c.Components, "VEVENT") {
			continue
		}
		if c.Name == "default" {
			return c, nil
		}
		if first == nil {
			first = c
		}
	}
	return first, nil
}

// toInbox puts an iTIP message into acc's scheduling inbox. Its name is
// derived from the event and the sender, so that a newer message about
// the same event from the same sender replaces the older one: the inbox
// holds what is pending, never a growing history (RFC 6638 leaves
// retention to the server; the copies in the calendar already carry
// everything).
func (w *write) toInbox(ctx context.Context, acc, uid, from, comp string, data []byte) error {
	if !w.inbox[acc] {
		if err := w.s.EnsureInbox(ctx, acc); err != nil {
			return err
		}
		w.inbox[acc] = true
	}
	sum := sha256.Sum256([]byte(uid + "\x00" + normAddr(from)))
	w.ops = append(w.ops, storage.BatchOp{Put: &storage.PutObject{
		Owner: acc, Collection: InboxName, Name: hex.EncodeToString(sum[:16]) + ".ics",
		// The component lets calendar-query find it; no span makes it a
		// candidate of every time range.
		Component: comp, ContentType: "text/calendar", Data: data,
	}})
	return nil
}

// send hands the iMIP messages of a committed write to the mail system.
// The write stands whatever happens here: SCHEDULE-STATUS 1.1 says the
// message was handed on, not that it arrived, and a failure is logged
// for the operator.
func (s *Service) send(ctx context.Context, mails []Outgoing) {
	for _, m := range mails {
		if err := s.imip.SendIMIP(ctx, m); err != nil {
			s.logger.WarnContext(ctx, "imip: send failed", "method", m.Method, "err", err)
		}
	}
}

// copyName names a new attendee copy after its UID when the UID is a
// plain name, as clients name the objects they create (python-caldav's
// accept_invite writes the event to UID.ics and so updates this copy),
// else at random.
func copyName(uid string) string {
	if len(uid) == 0 || len(uid) > 200 || uid[0] == '.' {
		return newTag() + ".ics"
	}
	for _, c := range uid {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune("-_.@", c)) {
			return newTag() + ".ics"
		}
	}
	return uid + ".ics"
}

// quoted makes a tag an opaque-tag as Schedule-Tag carries it (RFC
// 6638 8.3: a quoted string, like an entity tag).
func quoted(s string) string { return `"` + s + `"` }

// newTag returns a fresh schedule tag (an opaque quoted string, like an
// entity tag) or member name.
func newTag() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
