package schedule_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"almanac/caldav"
	"almanac/schedule"
	"almanac/storage"
)

// counterCal is a COUNTER or DECLINECOUNTER about Alice's weekly
// meeting proposing a later start.
func counterCal(method, uid, organizer string, attendees ...string) string {
	lines := []string{"METHOD:" + method, "BEGIN:VEVENT", "UID:" + uid, "DTSTAMP:20260301T000000Z", "SEQUENCE:0",
		"DTSTART:20260310T110000Z", "DTEND:20260310T120000Z", "SUMMARY:Sync", "ORGANIZER:mailto:" + organizer}
	for _, a := range attendees {
		lines = append(lines, "ATTENDEE;PARTSTAT=NEEDS-ACTION:mailto:"+a)
	}
	return ics(append(lines, "END:VEVENT")...)
}

func counterMail(from, cal string) []byte {
	return []byte("From: <" + from + ">\r\nTo: alice@example.com\r\nSubject: New Time Proposed: Sync\r\nMIME-Version: 1.0\r\n" +
		"Content-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n--b1\r\nContent-Type: text/plain\r\n\r\nHow about 11?\r\n" +
		"--b1\r\nContent-Type: text/calendar; method=COUNTER; charset=utf-8\r\n\r\n" + cal + "\r\n--b1--\r\n")
}

// state is what a refused message must leave alone: every copy of the
// meeting, every inbox, the mail sent.
func (w *world) state(extra ...*storage.Account) string {
	w.t.Helper()
	var b strings.Builder
	for _, acc := range append([]*storage.Account{w.alice, w.bob, w.carl}, extra...) {
		if ms, err := w.env.Store.FindUID(context.Background(), acc.ID, "weekly-1"); err == nil && len(ms) == 1 {
			b.WriteString(string(w.copyOf(acc, "weekly-1").Data))
		}
		b.WriteString(strings.Join(w.inbox(acc), "\n"))
	}
	b.WriteString(strings.Repeat("mail\n", len(w.env.Post.Mail())))
	return b.String()
}

// TestCounterByMail: an outside guest's COUNTER by mail (RFC 5546
// 3.2.7, here with several attendees, as the RFC allows) lands in the organizer's inbox and changes no event; forged and
// stray ones are refused and change nothing.
func TestCounterByMail(t *testing.T) {
	w := newWorld(t)
	env := w.env
	if rec := env.Do("PUT", w.href(w.alice, "weekly.ics"), w.alice.Login, meeting("Sync", "NEEDS-ACTION", "NEEDS-ACTION"), "Content-Type", "text/calendar"); rec.Code != http.StatusCreated {
		t.Fatalf("organizer PUT: %d %s", rec.Code, rec.Body)
	}
	svc := schedule.New(env.Store, schedule.Options{Ingest: caldav.New(env.Store, caldav.Options{}).Ingest})
	ctx := context.Background()
	all := []string{"alice@example.com", "bob@example.com", "guest@outside.test"}
	before := w.state()
	for _, tc := range []struct {
		name, from, envelope string
		cal                  string
		want                 error
	}{
		{"forged: From is not an attendee", "mallory@outside.test", "", counterCal("COUNTER", "weekly-1", "alice@example.com", all...), schedule.ErrIMIPSender},
		{"forged: envelope is not From", "guest@outside.test", "mallory@outside.test", counterCal("COUNTER", "weekly-1", "alice@example.com", all...), schedule.ErrIMIPSender},
		{"a local attendee by mail", "bob@example.com", "", counterCal("COUNTER", "weekly-1", "alice@example.com", all...), schedule.ErrIMIPLocal},
		{"not invited", "stranger@outside.test", "", counterCal("COUNTER", "weekly-1", "alice@example.com", "stranger@outside.test"), schedule.ErrIMIPNoEvent},
		{"no such event", "guest@outside.test", "", counterCal("COUNTER", "other-1", "alice@example.com", all...), schedule.ErrIMIPNoEvent},
		{"organizer elsewhere", "guest@outside.test", "", counterCal("COUNTER", "weekly-1", "boss@outside.test", all...), schedule.ErrIMIPOrganizer},
		{"bob named as organizer", "guest@outside.test", "", counterCal("COUNTER", "weekly-1", "bob@example.com", all...), schedule.ErrIMIPNoEvent},
		{"a DECLINECOUNTER by mail", "guest@outside.test", "", counterCal("DECLINECOUNTER", "weekly-1", "alice@example.com", all...), schedule.ErrIMIPMethod},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := svc.Deliver(ctx, counterMail(tc.from, tc.cal), tc.envelope); !errors.Is(err, tc.want) {
				t.Fatalf("Deliver: %v, want %v", err, tc.want)
			}
			if got := w.state(); got != before {
				t.Errorf("something changed:\n%s", got)
			}
		})
	}

	org := string(w.copyOf(w.alice, "weekly-1").Data)
	line, err := svc.Deliver(ctx, counterMail("Guest@outside.test", counterCal("COUNTER", "weekly-1", "alice@example.com", all...)), "guest@outside.test")
	if err != nil {
		t.Fatalf("Deliver: %v", err)
	}
	mustContain(t, "the log line", line, "guest@outside.test", "weekly-1")
	if got := string(w.copyOf(w.alice, "weekly-1").Data); got != org {
		t.Errorf("the COUNTER changed the organizer's event:\n%s", got)
	}
	if in := w.inbox(w.alice); len(in) != 1 || !strings.Contains(in[0], "METHOD:COUNTER") || !strings.Contains(in[0], "DTSTART:20260310T110000Z") {
		t.Errorf("alice's inbox: %q", in)
	}
}

// TestCounterPost: a local attendee proposes by POSTing a COUNTER to
// their outbox; it reaches the organizer's inbox and changes no event.
// The organizer declines with a DECLINECOUNTER, to a local attendee's
// inbox or by mail to an outside one. Whoever may not send the message
// is refused with the precondition saying why, and nothing changes.
func TestCounterPost(t *testing.T) {
	w := newWorld(t)
	env := w.env
	dave := env.Account("dave@example.com")
	if rec := env.Do("PUT", w.href(w.alice, "weekly.ics"), w.alice.Login, meeting("Sync", "NEEDS-ACTION", "NEEDS-ACTION"), "Content-Type", "text/calendar"); rec.Code != http.StatusCreated {
		t.Fatalf("organizer PUT: %d %s", rec.Code, rec.Body)
	}
	// Dave keeps an event of his own, without ORGANIZER, under the same
	// UID: holding the UID is not being its attendee or organizer.
	if rec := env.Do("PUT", w.href(dave, "weekly.ics"), dave.Login, ics("BEGIN:VEVENT", "UID:weekly-1", "DTSTAMP:20260101T000000Z", "DTSTART:20260310T090000Z", "SUMMARY:Mine", "END:VEVENT"), "Content-Type", "text/calendar"); rec.Code != http.StatusCreated {
		t.Fatalf("dave PUT: %d %s", rec.Code, rec.Body)
	}
	outbox := func(acc *storage.Account) string { return "/dav/calendars/" + acc.ID + "/schedule-outbox/" }
	post := func(acc *storage.Account, body string) (int, string) {
		rec := env.Do("POST", outbox(acc), acc.Login, body, "Content-Type", "text/calendar")
		return rec.Code, rec.Body.String()
	}
	inboxes := func() (a, b, c int) { return len(w.inbox(w.alice)), len(w.inbox(w.bob)), len(w.inbox(w.carl)) }
	a0, b0, c0 := inboxes()

	before := w.state(dave)
	for _, tc := range []struct {
		name string
		who  *storage.Account
		body string
		cond string
	}{
		{"a COUNTER in another attendee's name", w.bob, counterCal("COUNTER", "weekly-1", "alice@example.com", "carol@example.com"), "originator-allowed"},
		{"the organizer counters her own event", w.alice, counterCal("COUNTER", "weekly-1", "alice@example.com", "alice@example.com"), "originator-allowed"},
		{"a COUNTER about an event one does not have", w.bob, counterCal("COUNTER", "other-1", "alice@example.com", "bob@example.com"), "valid-scheduling-message"},
		{"a COUNTER naming another organizer", w.bob, counterCal("COUNTER", "weekly-1", "carol@example.com", "bob@example.com"), "valid-scheduling-message"},
		{"a COUNTER about one's own unscheduled event", dave, counterCal("COUNTER", "weekly-1", "alice@example.com", "dave@example.com"), "valid-scheduling-message"},
		{"a DECLINECOUNTER by an attendee", w.bob, counterCal("DECLINECOUNTER", "weekly-1", "alice@example.com", "bob@example.com"), "organizer-allowed"},
		{"a DECLINECOUNTER to a non-attendee", w.alice, counterCal("DECLINECOUNTER", "weekly-1", "alice@example.com", "stranger@outside.test"), "valid-scheduling-message"},
		{"a DECLINECOUNTER to oneself", w.alice, counterCal("DECLINECOUNTER", "weekly-1", "alice@example.com", "alice@example.com"), "valid-scheduling-message"},
		{"a DECLINECOUNTER about an unknown event", w.alice, counterCal("DECLINECOUNTER", "other-1", "alice@example.com", "bob@example.com"), "valid-scheduling-message"},
		{"a DECLINECOUNTER about an event one does not organize", dave, counterCal("DECLINECOUNTER", "weekly-1", "dave@example.com", "bob@example.com"), "valid-scheduling-message"},
		{"a REPLY", w.bob, counterCal("REPLY", "weekly-1", "alice@example.com", "bob@example.com"), "the outbox takes"},
		{"garbage", w.bob, "BEGIN:VCALENDAR\r\nMETHOD:COUNTER\r\n", "valid-scheduling-message"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, body := post(tc.who, tc.body)
			if code != http.StatusForbidden || !strings.Contains(body, tc.cond) {
				t.Fatalf("POST: %d %s, want 403 %s", code, body, tc.cond)
			}
			if got := w.state(dave); got != before {
				t.Errorf("something changed:\n%s", got)
			}
		})
	}

	// Only the owner reaches an outbox: Bob cannot post in Alice's name.
	if rec := env.Do("POST", outbox(w.alice), w.bob.Login, counterCal("DECLINECOUNTER", "weekly-1", "alice@example.com", "carol@example.com"), "Content-Type", "text/calendar"); rec.Code != http.StatusForbidden && rec.Code != http.StatusNotFound {
		t.Errorf("bob POSTs to alice's outbox: %d %s", rec.Code, rec.Body)
	}
	if got := w.state(dave); got != before {
		t.Errorf("a POST to another's outbox changed something:\n%s", got)
	}

	bobCopy, aliceCopy := string(w.copyOf(w.bob, "weekly-1").Data), string(w.copyOf(w.alice, "weekly-1").Data)
	code, body := post(w.bob, counterCal("COUNTER", "weekly-1", "alice@example.com", "bob@example.com"))
	if code != http.StatusOK {
		t.Fatalf("bob's COUNTER: %d %s", code, body)
	}
	mustContain(t, "the COUNTER's schedule-response", body, "<D:href>mailto:alice@example.com</D:href>", "<C:request-status>1.2;Delivered</C:request-status>")
	if a, _, _ := inboxes(); a != a0+1 {
		t.Errorf("alice's inbox has %d items, want %d", a, a0+1)
	}
	mustContain(t, "alice's inbox", strings.Join(w.inbox(w.alice), "\n"), "METHOD:COUNTER", "DTSTART:20260310T110000Z")
	if string(w.copyOf(w.alice, "weekly-1").Data) != aliceCopy || string(w.copyOf(w.bob, "weekly-1").Data) != bobCopy {
		t.Error("a COUNTER changed an event")
	}

	mails := len(env.Post.Mail())
	code, body = post(w.alice, counterCal("DECLINECOUNTER", "weekly-1", "alice@example.com", "bob@example.com", "guest@outside.test"))
	if code != http.StatusOK {
		t.Fatalf("alice's DECLINECOUNTER: %d %s", code, body)
	}
	mustContain(t, "the DECLINECOUNTER's schedule-response", body,
		"<D:href>mailto:bob@example.com</D:href></C:recipient><C:request-status>1.2;Delivered",
		"<D:href>mailto:guest@outside.test</D:href></C:recipient><C:request-status>1.1;Sent by mail")
	// One inbox item per event and sender: the DECLINECOUNTER takes the
	// place of Alice's invitation, which the calendar already holds.
	if _, b, c := inboxes(); b != b0 || c != c0 {
		t.Errorf("inboxes: bob %d (want %d), carol %d (want %d)", b, b0, c, c0)
	}
	mustContain(t, "bob's inbox", strings.Join(w.inbox(w.bob), "\n"), "METHOD:DECLINECOUNTER")
	if got := env.Post.Mail(); len(got) != mails+1 || got[len(got)-1].CalendarMethod != "DECLINECOUNTER" ||
		got[len(got)-1].To != "guest@outside.test" || !strings.HasPrefix(got[len(got)-1].Subject, "Proposal declined: Sync") {
		t.Errorf("mail: %+v", got[mails:])
	}
	if string(w.copyOf(w.alice, "weekly-1").Data) != aliceCopy || string(w.copyOf(w.bob, "weekly-1").Data) != bobCopy {
		t.Error("a DECLINECOUNTER changed an event")
	}
}
