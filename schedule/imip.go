package schedule

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"strings"
	"time"

	"almanac/notify"
	"almanac/storage"
)

// Mail sends iTIP messages as iMIP (RFC 6047) through a notify.Mailer:
// from the server's own address (the operator's mail domain signs it),
// with Reply-To the calendar user the message speaks for, a readable
// text part and the text/calendar part.
type Mail struct {
	Mailer notify.Mailer
}

// SendIMIP sends m.
func (s Mail) SendIMIP(ctx context.Context, m Outgoing) error {
	who := m.FromName
	from := strings.TrimPrefix(m.From, "mailto:")
	if who == "" {
		who = from
	}
	subject := m.Summary
	if subject == "" {
		subject = "(no title)"
	}
	var text string
	switch m.Method {
	case MethodCancel:
		subject = "Cancelled: " + subject
		text = who + " cancelled this event."
	case MethodReply:
		subject = "Reply: " + subject
		text = who + " answered your invitation."
	case MethodCounter:
		subject = "New time proposed: " + subject
		text = who + " proposes a change to this event."
	case MethodDeclineCounter:
		subject = "Proposal declined: " + subject
		text = who + " declined your proposed change to this event."
	case MethodAdd:
		subject = "Updated invitation: " + subject
		text = who + " added dates to this event."
	default:
		subject = "Invitation: " + subject
		text = who + " invites you to this event."
	}
	text += "\n\n" + describe(m.Data) + "\nYour calendar program reads the attached invitation; answering it there tells " + who + ".\n"
	msg := notify.Message{To: m.To, Subject: oneLine(subject), Text: text, Calendar: m.Data, CalendarMethod: m.Method}
	if addr := mailAddress(m.From); addr != "" {
		msg.ReplyTo = (&mail.Address{Name: m.FromName, Address: addr}).String()
	}
	if err := s.Mailer.Send(ctx, msg); err != nil {
		return fmt.Errorf("schedule: imip %s to %s: %w", m.Method, m.To, err)
	}
	return nil
}

// oneLine keeps a subject on one line: a summary may hold escaped line
// breaks.
func oneLine(s string) string {
	s = strings.NewReplacer("\r", " ", "\n", " ", `\n`, " ", `\N`, " ", `\,`, ",", `\;`, ";", `\\`, `\`).Replace(s)
	if len(s) > 200 {
		s = s[:200]
	}
	return s
}

// describe is the readable text of an iTIP message: what, when, where
// of its first component.
func describe(data []byte) string {
	o, err := parseObject(data)
	if err != nil || len(o.comps) == 0 {
		return ""
	}
	n := o.comps[0].node
	var b strings.Builder
	if v := value(n, propSummary); v != "" {
		fmt.Fprintf(&b, "What:  %s\n", oneLine(v))
	}
	if i := lineIndex(n, propDTStart); i >= 0 {
		if t, allDay, err := o.zones.DateTime(&n.Lines[i].Prop, time.UTC); err == nil {
			if allDay {
				fmt.Fprintf(&b, "When:  %s\n", t.Format("Mon 2 Jan 2006"))
			} else {
				fmt.Fprintf(&b, "When:  %s\n", t.Format("Mon 2 Jan 2006 15:04 MST"))
			}
		}
	}
	if v := value(n, propLocation); v != "" {
		fmt.Fprintf(&b, "Where: %s\n", oneLine(v))
	}
	return b.String()
}

// Limits of an inbound iMIP message: a reply is a few KiB; the caps keep
// a hostile message from costing more than reading it.
const (
	MaxIMIPBytes = 1 << 20
	maxMIMEParts = 32
	maxMIMEDepth = 4
)

// Inbound iMIP refusals; each names why, for the mail server's bounce
// and the operator's log.
var (
	ErrIMIPNoCalendar = errors.New("imip: the message has no text/calendar part")
	ErrIMIPMethod     = errors.New("imip: only METHOD:REPLY and METHOD:COUNTER are accepted by mail")
	ErrIMIPSender     = errors.New("imip: the sender is not the attendee who replies")
	ErrIMIPOrganizer  = errors.New("imip: the organizer is not a user of this server")
	ErrIMIPNoEvent    = errors.New("imip: the organizer has no such event with this attendee")
	ErrIMIPLocal      = errors.New("imip: the attendee is a user of this server and answers through their calendar")
	ErrIMIPTooLarge   = errors.New("imip: the message is too large")
	ErrIMIPMalformed  = errors.New("imip: malformed message")
	ErrIMIPAutomatic  = errors.New("imip: an automatic message (Auto-Submitted) is not a reply")
)

// Deliver applies an iMIP message that arrived by mail (RFC 6047): a
// REPLY or COUNTER from an attendee outside the server to a local
// organizer. The spoofing rules: the From address must be the one
// ATTENDEE of the reply, or one of a COUNTER's (and the envelope, when
// the mail server passes it, too); that attendee must be outside the server (local users reply through CalDAV,
// where they are authenticated) and named in the organizer's event. The
// From header is only as good as the mail server's checks of it (SPF,
// DKIM, DMARC): the operator pipes only mail their server accepted.
// It returns a line for the log.
func (s *Service) Deliver(ctx context.Context, raw []byte, envelope string) (string, error) {
	if len(raw) > MaxIMIPBytes {
		return "", ErrIMIPTooLarge
	}
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return "", fmt.Errorf("%w: %v", ErrIMIPMalformed, err)
	}
	// RFC 3834: a vacation notice or bounce answering an invitation is
	// no answer, and applying robots' mail is how loops start.
	if v := strings.ToLower(strings.TrimSpace(msg.Header.Get("Auto-Submitted"))); v != "" && v != "no" {
		return "", ErrIMIPAutomatic
	}
	from, err := mail.ParseAddress(msg.Header.Get("From"))
	if err != nil {
		return "", fmt.Errorf("%w: From: %v", ErrIMIPMalformed, err)
	}
	sender := normAddr("mailto:" + from.Address)
	if envelope != "" && normAddr("mailto:"+envelope) != sender {
		return "", fmt.Errorf("%w: envelope sender %s, From %s", ErrIMIPSender, envelope, from.Address)
	}
	cal, err := calendarPart(textproto(msg.Header), msg.Body, 0, new(int))
	if err != nil {
		return "", err
	}
	reply, err := parseObject(cal)
	if err != nil {
		return "", fmt.Errorf("%w: %v", ErrIMIPMalformed, err)
	}
	if reply.method == MethodCounter {
		return s.deliverCounter(ctx, reply, sender, cal)
	}
	if reply.method != MethodReply {
		return "", ErrIMIPMethod
	}
	// A REPLY names exactly one attendee, the one replying (RFC 5546
	// 3.2.3), and the same organizer in every component.
	var attendee, organizer string
	for _, c := range reply.comps {
		as := c.attendees()
		if len(as) != 1 || attendee != "" && as[0].addr != attendee {
			return "", fmt.Errorf("%w: a REPLY names exactly one attendee", ErrIMIPMalformed)
		}
		attendee = as[0].addr
		o, ok := c.organizer()
		if !ok || organizer != "" && o.addr != organizer {
			return "", fmt.Errorf("%w: a REPLY names one organizer", ErrIMIPMalformed)
		}
		organizer = o.addr
	}
	if attendee != sender {
		return "", fmt.Errorf("%w: From %s, ATTENDEE %s", ErrIMIPSender, from.Address, strings.TrimPrefix(attendee, "mailto:"))
	}
	org, err := s.outsideToLocal(ctx, attendee, organizer)
	if err != nil {
		return "", err
	}
	for range maxRetries {
		w := &write{s: s, owner: org, now: s.now().UTC(), inbox: map[string]bool{}}
		n, err := w.applyReplyTo(ctx, org.ID, reply, is(attendee))
		if errors.Is(err, errNoEvent) {
			return "", ErrIMIPNoEvent
		}
		if err != nil {
			return "", err
		}
		if n == 0 {
			return "", ErrIMIPNoEvent
		}
		if err := w.toInbox(ctx, org.ID, reply.uid, attendee, reply.kind, cal); err != nil {
			return "", err
		}
		_, err = s.store.WriteBatch(ctx, w.ops)
		var be *storage.BatchError
		if errors.As(err, &be) && errors.Is(be.Err, storage.ErrPreconditionFailed) {
			continue
		}
		if err != nil {
			return "", fmt.Errorf("schedule: imip reply: %w", err)
		}
		return fmt.Sprintf("reply of %s applied to %s's event %s (%d instances)", strings.TrimPrefix(attendee, "mailto:"), org.Login, reply.uid, n), nil
	}
	return "", errors.New("schedule: imip reply: the event kept changing; try again")
}

// outsideToLocal checks the parties of a message by mail: the sender
// is outside the server (local users are authenticated through CalDAV)
// and the organizer is a local user, whom it returns.
func (s *Service) outsideToLocal(ctx context.Context, sender, organizer string) (*storage.Account, error) {
	if local, err := s.Lookup(ctx, sender); err != nil {
		return nil, err
	} else if local != nil {
		return nil, ErrIMIPLocal
	}
	org, err := s.Lookup(ctx, organizer)
	if err != nil {
		return nil, err
	}
	if org == nil {
		return nil, ErrIMIPOrganizer
	}
	return org, nil
}

// deliverCounter files a COUNTER by mail (RFC 5546 3.2.7) into the
// organizer's inbox and changes nothing else: the organizer accepts it
// by updating the event (a new REQUEST) or declines it. RFC 5546 3.2.7
// lets a COUNTER carry several attendees (a client may copy the event it
// received), so the sender must be one of its ATTENDEEs in every
// component, not the only one; the organizer's event must name the
// sender.
func (s *Service) deliverCounter(ctx context.Context, counter *object, sender string, cal []byte) (string, error) {
	var organizer string
	for _, c := range counter.comps {
		o, ok := c.organizer()
		if !ok || organizer != "" && o.addr != organizer {
			return "", fmt.Errorf("%w: a COUNTER names one organizer", ErrIMIPMalformed)
		}
		organizer = o.addr
		if _, ok := c.find(is(sender)); !ok {
			return "", fmt.Errorf("%w: From %s is no ATTENDEE of the COUNTER", ErrIMIPSender, strings.TrimPrefix(sender, "mailto:"))
		}
		if len(c.attendees()) > s.maxAttendees {
			return "", fmt.Errorf("%w: more than %d attendees", ErrIMIPMalformed, s.maxAttendees)
		}
	}
	org, err := s.outsideToLocal(ctx, sender, organizer)
	if err != nil {
		return "", err
	}
	_, cur, err := s.findCopy(ctx, org.ID, counter.uid)
	if err != nil {
		return "", err
	}
	if cur == nil {
		return "", ErrIMIPNoEvent
	}
	event, err := parseObject(cur.Data)
	if err != nil || !event.organizedBy(organizer) {
		return "", ErrIMIPNoEvent
	}
	named := false
	for _, c := range event.comps {
		if _, ok := c.find(is(sender)); ok {
			named = true
		}
	}
	if !named {
		return "", ErrIMIPNoEvent
	}
	w := &write{s: s, owner: org, now: s.now().UTC(), inbox: map[string]bool{}}
	if err := w.toInbox(ctx, org.ID, counter.uid, sender, counter.kind, cal); err != nil {
		return "", err
	}
	if _, err := s.store.WriteBatch(ctx, w.ops); err != nil {
		return "", fmt.Errorf("schedule: imip counter: %w", err)
	}
	return fmt.Sprintf("counter-proposal of %s filed in %s's inbox for event %s", strings.TrimPrefix(sender, "mailto:"), org.Login, counter.uid), nil
}

type textproto map[string][]string

func (h textproto) get(k string) string {
	if v := h[k]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// calendarPart finds the first text/calendar part of a message body with
// header h, walking multiparts to maxMIMEDepth and at most maxMIMEParts
// parts in all, and returns it decoded.
func calendarPart(h textproto, body io.Reader, depth int, parts *int) ([]byte, error) {
	*parts++
	if *parts > maxMIMEParts || depth > maxMIMEDepth {
		return nil, fmt.Errorf("%w: too many MIME parts", ErrIMIPMalformed)
	}
	ct := h.get("Content-Type")
	if ct == "" {
		ct = "text/plain"
	}
	mt, params, err := mime.ParseMediaType(ct)
	if err != nil {
		return nil, fmt.Errorf("%w: Content-Type: %v", ErrIMIPMalformed, err)
	}
	switch {
	case strings.HasPrefix(mt, "multipart/"):
		if params["boundary"] == "" {
			return nil, fmt.Errorf("%w: multipart without boundary", ErrIMIPMalformed)
		}
		mr := multipart.NewReader(body, params["boundary"])
		for {
			p, err := mr.NextRawPart()
			if err == io.EOF {
				return nil, ErrIMIPNoCalendar
			}
			if err != nil {
				return nil, fmt.Errorf("%w: %v", ErrIMIPMalformed, err)
			}
			data, err := calendarPart(textproto(p.Header), p, depth+1, parts)
			if !errors.Is(err, ErrIMIPNoCalendar) {
				return data, err
			}
		}
	case mt == "text/calendar", mt == "application/ics":
		var r io.Reader = body
		switch strings.ToLower(strings.TrimSpace(h.get("Content-Transfer-Encoding"))) {
		case "base64":
			// The decoder skips the line breaks.
			r = base64.NewDecoder(base64.StdEncoding, body)
		case "quoted-printable":
			r = quotedprintable.NewReader(body)
		}
		data, err := io.ReadAll(io.LimitReader(r, MaxIMIPBytes+1))
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrIMIPMalformed, err)
		}
		if len(data) > MaxIMIPBytes {
			return nil, ErrIMIPTooLarge
		}
		return data, nil
	}
	return nil, ErrIMIPNoCalendar
}
