package schedule_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"almanac/caldav"
	"almanac/schedule"
)

// replyMail is a REPLY by mail as a calendar client sends it: From the
// attendee, multipart with the text/calendar part in base64 or plain.
func replyMail(from, attendee, partstat, method string) []byte {
	cal := ics("METHOD:"+method, "BEGIN:VEVENT", "UID:weekly-1", "DTSTAMP:20260301T000000Z", "SEQUENCE:0",
		"DTSTART:20260310T090000Z", "ORGANIZER:mailto:alice@example.com",
		"ATTENDEE;PARTSTAT="+partstat+":mailto:"+attendee, "END:VEVENT")
	return []byte("From: Guest <" + from + ">\r\nTo: alice@example.com\r\nSubject: Accepted: Sync\r\nMIME-Version: 1.0\r\n" +
		"Content-Type: multipart/alternative; boundary=\"b1\"\r\n\r\n--b1\r\nContent-Type: text/plain\r\n\r\nAccepted\r\n" +
		"--b1\r\nContent-Type: text/calendar; method=" + method + "; charset=utf-8\r\n\r\n" + cal + "\r\n--b1--\r\n")
}

// TestIMIP: an invitation to an outside guest goes out as iMIP mail
// with the text/calendar part; the guest's reply fed to Deliver updates
// the organizer's copy; forged, stray and malformed replies are refused
// and change nothing.
func TestIMIP(t *testing.T) {
	w := newWorld(t)
	env := w.env
	rec := env.Do("PUT", w.href(w.alice, "weekly.ics"), w.alice.Login, meeting("Sync", "NEEDS-ACTION", "NEEDS-ACTION"), "Content-Type", "text/calendar")
	if rec.Code != http.StatusCreated {
		t.Fatalf("organizer PUT: %d %s", rec.Code, rec.Body)
	}
	m := env.Post.LastMail(t)
	if m.To != "guest@outside.test" || m.CalendarMethod != "REQUEST" || !strings.HasPrefix(m.Subject, "Invitation: Sync") ||
		!strings.Contains(m.ReplyTo, "alice@example.com") || !strings.Contains(m.Text, "What:  Sync") {
		t.Errorf("invitation mail: %+v", m)
	}
	cal := unfold(string(m.Calendar))
	mustContain(t, "the invitation's calendar", cal, "METHOD:REQUEST", "UID:weekly-1", "mailto:guest@outside.test")
	mustLack(t, "the invitation's calendar", cal, "SCHEDULE-STATUS")
	if n := len(env.Post.Mail()); n != 1 {
		t.Errorf("%d mails sent, want 1 (local attendees get none)", n)
	}

	svc := schedule.New(env.Store, schedule.Options{Ingest: caldav.New(env.Store, caldav.Options{}).Ingest})
	ctx := context.Background()
	before := string(w.copyOf(w.alice, "weekly-1").Data)
	for _, tc := range []struct {
		name     string
		msg      []byte
		envelope string
		want     error
	}{
		{"forged: From is not the attendee", replyMail("mallory@outside.test", "guest@outside.test", "ACCEPTED", "REPLY"), "", schedule.ErrIMIPSender},
		{"forged: envelope is not From", replyMail("guest@outside.test", "guest@outside.test", "ACCEPTED", "REPLY"), "mallory@outside.test", schedule.ErrIMIPSender},
		{"a local attendee by mail", replyMail("bob@example.com", "bob@example.com", "DECLINED", "REPLY"), "", schedule.ErrIMIPLocal},
		{"not invited", replyMail("stranger@outside.test", "stranger@outside.test", "ACCEPTED", "REPLY"), "", schedule.ErrIMIPNoEvent},
		{"a REQUEST by mail", replyMail("guest@outside.test", "guest@outside.test", "ACCEPTED", "REQUEST"), "", schedule.ErrIMIPMethod},
		{"an autoresponder", append([]byte("Auto-Submitted: auto-replied\r\n"), replyMail("guest@outside.test", "guest@outside.test", "ACCEPTED", "REPLY")...), "", schedule.ErrIMIPAutomatic},
		{"no calendar", []byte("From: guest@outside.test\r\nSubject: hi\r\n\r\nhello\r\n"), "", schedule.ErrIMIPNoCalendar},
		{"not a message", []byte("garbage"), "", schedule.ErrIMIPMalformed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := svc.Deliver(ctx, tc.msg, tc.envelope); !errors.Is(err, tc.want) {
				t.Fatalf("Deliver: %v, want %v", err, tc.want)
			}
			if got := string(w.copyOf(w.alice, "weekly-1").Data); got != before {
				t.Errorf("the organizer's copy changed:\n%s", got)
			}
			if in := w.inbox(w.alice); len(in) != 0 {
				t.Errorf("alice's inbox: %q", in)
			}
		})
	}

	line, err := svc.Deliver(ctx, replyMail("Guest@Outside.test", "guest@outside.test", "ACCEPTED", "REPLY"), "guest@outside.test")
	if err != nil {
		t.Fatalf("Deliver: %v", err)
	}
	if !strings.Contains(line, "guest@outside.test") {
		t.Errorf("log line %q", line)
	}
	mustContain(t, "the organizer's copy after the mailed reply", unfold(string(w.copyOf(w.alice, "weekly-1").Data)),
		"PARTSTAT=ACCEPTED;RSVP=TRUE;SCHEDULE-STATUS=2.0:mailto:guest@outside.test")
	if in := w.inbox(w.alice); len(in) != 1 || !strings.Contains(in[0], "METHOD:REPLY") {
		t.Errorf("alice's inbox: %q", in)
	}

	// Deleting the meeting sends the guest a CANCEL.
	if rec := env.Do("DELETE", w.href(w.alice, "weekly.ics"), w.alice.Login, ""); rec.Code != http.StatusNoContent {
		t.Fatalf("DELETE: %d", rec.Code)
	}
	if m := env.Post.LastMail(t); m.CalendarMethod != "CANCEL" || !strings.HasPrefix(m.Subject, "Cancelled: Sync") ||
		!strings.Contains(unfold(string(m.Calendar)), "STATUS:CANCELLED") {
		t.Errorf("cancel mail: %+v", m)
	}
}
