package mailbox

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"almanac/storage"
)

// Calendars validates a calendar object for a collection as a CalDAV PUT
// does (caldav.Calendars.Ingest), so that a busy block goes into a
// calendar by the same rules as one a client writes.
type Calendars interface {
	Ingest(c *storage.Collection, data []byte) (storage.PutObject, error)
}

// busyName is the object name of responder id's busy block.
func busyName(id string) string { return "almanac-out-of-office-" + id + ".ics" }

// wantsBusy reports whether r blocks its owner's calendar: it is active
// and has both dates. A responder limited to weekdays blocks nothing, as
// one event for its whole period would mark the other days busy too.
func wantsBusy(r *storage.Responder) bool {
	return r.Active && r.Start != "" && r.End != "" && len(r.Weekdays) == 0
}

// busyEvent is the iCalendar object of r's busy block: an opaque event
// over its period, in UTC, titled "Out of office" and nothing more (the
// message is for the senders, not for whoever sees the calendar). Its
// bytes depend on the stored responder only, so that writing it again
// changes nothing.
func busyEvent(s *storage.MailService, r *storage.Responder) []byte {
	sc := scheduleOf(&r.ResponderSettings)
	const stamp = "20060102T150405Z"
	var b bytes.Buffer
	for _, l := range []string{
		"BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//almanac//out of office//EN", "BEGIN:VEVENT",
		"UID:almanac-out-of-office-" + r.ID + "@" + s.Domain,
		"DTSTAMP:" + r.Updated.UTC().Format(stamp),
		"DTSTART:" + sc.start.UTC().Format(stamp),
		"DTEND:" + sc.end.UTC().Format(stamp),
		"SUMMARY:Out of office", "TRANSP:OPAQUE", "END:VEVENT", "END:VCALENDAR",
	} {
		b.WriteString(l + "\r\n")
	}
	return b.Bytes()
}

// mailboxOwner is the account whose calendar shows the mailbox's busy
// blocks: the account whose login is the mailbox's address, else the
// account linked to it first; nil when there is none.
func (a *API) mailboxOwner(ctx context.Context, s *storage.MailService, m *storage.Mailbox) (*storage.Account, error) {
	acc, err := a.store.AccountByLogin(ctx, strings.ToLower(m.LocalPart)+"@"+s.Domain)
	if err == nil || !errors.Is(err, storage.ErrNotFound) {
		return acc, err
	}
	links, err := a.store.MailboxLinksTo(ctx, s.ID, m.LocalPart)
	if err != nil || len(links) == 0 {
		return nil, err
	}
	first := slices.MinFunc(links, func(x, y storage.MailboxLink) int { return x.Created.Compare(y.Created) })
	acc, err = a.store.Account(ctx, first.Account)
	if errors.Is(err, storage.ErrNotFound) {
		return nil, nil
	}
	return acc, err
}

// syncBusy brings the busy blocks of the mailbox's responders in line
// with them after a change: one in the owner's default calendar for the
// responder that wantsBusy, none for the others and for the responders
// named in removed (deleted ones). A failure is logged: the responders
// are stored, and the next change writes the blocks again.
func (a *API) syncBusy(ctx context.Context, s *storage.MailService, m *storage.Mailbox, removed ...string) {
	if a.opts.Calendars == nil {
		return
	}
	if err := a.writeBusy(ctx, s, m, removed); err != nil {
		a.opts.Logger.ErrorContext(ctx, "mailbox: cannot write the out-of-office block", "service", s.ID, "mailbox", m.LocalPart, "err", err)
	}
}

func (a *API) writeBusy(ctx context.Context, s *storage.MailService, m *storage.Mailbox, removed []string) error {
	owner, err := a.mailboxOwner(ctx, s, m)
	if err != nil || owner == nil {
		return err
	}
	rs, err := a.store.Responders(ctx, s.ID, m.LocalPart)
	if err != nil && !errors.Is(err, storage.ErrNotFound) {
		return err
	}
	var errs []error
	for _, id := range removed {
		errs = append(errs, a.dropBusy(ctx, owner.ID, id))
	}
	for i := range rs {
		r := &rs[i]
		if !wantsBusy(r) {
			errs = append(errs, a.dropBusy(ctx, owner.ID, r.ID))
			continue
		}
		errs = append(errs, a.putBusy(ctx, owner.ID, s, r))
	}
	return errors.Join(errs...)
}

// putBusy writes r's block into the owner's default calendar, unless it
// is there already as it would be written, or the owner has no such
// calendar (deleted: nothing to block).
func (a *API) putBusy(ctx context.Context, owner string, s *storage.MailService, r *storage.Responder) error {
	c, err := a.store.Collection(ctx, owner, defaultCalendar)
	switch {
	case errors.Is(err, storage.ErrNotFound):
		return nil
	case err != nil:
		return err
	case c.Kind != storage.KindCalendar:
		return nil
	}
	data := busyEvent(s, r)
	name := busyName(r.ID)
	if old, err := a.store.Get(ctx, owner, defaultCalendar, name); err == nil && bytes.Equal(old.Data, data) {
		return nil
	}
	put, err := a.opts.Calendars.Ingest(c, data)
	if err != nil {
		return fmt.Errorf("mailbox: out-of-office block of responder %s: %w", r.ID, err)
	}
	put.Owner, put.Collection, put.Name, put.Data = owner, defaultCalendar, name, data
	if _, _, err := a.store.Put(ctx, put); err != nil {
		return fmt.Errorf("mailbox: write the out-of-office block of responder %s: %w", r.ID, err)
	}
	return nil
}

// dropBusy removes responder id's block from the owner's default
// calendar, if it is there.
func (a *API) dropBusy(ctx context.Context, owner, id string) error {
	err := a.store.Delete(ctx, owner, defaultCalendar, busyName(id), nil)
	if err != nil && !errors.Is(err, storage.ErrNotFound) {
		return fmt.Errorf("mailbox: remove the out-of-office block of responder %s: %w", id, err)
	}
	return nil
}

// busyDropper reads the mailbox's busy blocks and returns what removes
// them, for when the mailbox is deleted. Failures are logged.
func (a *API) busyDropper(ctx context.Context, s *storage.MailService, m *storage.Mailbox) func() {
	if a.opts.Calendars == nil {
		return func() {}
	}
	fail := func(err error) {
		a.opts.Logger.ErrorContext(ctx, "mailbox: cannot remove the out-of-office blocks", "service", s.ID, "mailbox", m.LocalPart, "err", err)
	}
	owner, err := a.mailboxOwner(ctx, s, m)
	var rs []storage.Responder
	if err == nil && owner != nil {
		rs, err = a.store.Responders(ctx, s.ID, m.LocalPart)
	}
	if err != nil {
		fail(err)
		return func() {}
	}
	return func() {
		for _, r := range rs {
			if err := a.dropBusy(ctx, owner.ID, r.ID); err != nil {
				fail(err)
			}
		}
	}
}
