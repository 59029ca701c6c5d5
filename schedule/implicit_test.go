package schedule_test

import (
	"context"
	"errors"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"almanac/schedule"
	"almanac/server/servertest"
	"almanac/storage"
)

// ics joins lines into a calendar object.
func ics(lines ...string) string {
	return strings.Join(append(append([]string{"BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//test//EN"}, lines...), "END:VCALENDAR"), "\r\n") + "\r\n"
}

func unfold(s string) string { return strings.ReplaceAll(s, "\r\n ", "") }

// meeting is Alice's weekly meeting with Bob, Carol and an outside guest.
func meeting(summary string, bob, carol string, extra ...string) string {
	lines := []string{"BEGIN:VEVENT", "UID:weekly-1", "DTSTAMP:20260101T000000Z", "SEQUENCE:0",
		"DTSTART:20260310T090000Z", "DTEND:20260310T100000Z", "RRULE:FREQ=WEEKLY;COUNT=4", "SUMMARY:" + summary,
		"ORGANIZER;CN=Alice:mailto:alice@example.com",
		"ATTENDEE;CN=Alice;PARTSTAT=ACCEPTED:mailto:alice@example.com",
		"ATTENDEE;CN=Bob;PARTSTAT=" + bob + ";RSVP=TRUE:mailto:bob@example.com",
		"ATTENDEE;CN=Carol;PARTSTAT=" + carol + ";RSVP=TRUE:mailto:carol@example.com",
		"ATTENDEE;PARTSTAT=NEEDS-ACTION;RSVP=TRUE:mailto:guest@outside.test",
	}
	return ics(append(append(lines, extra...), "END:VEVENT")...)
}

type world struct {
	t                *testing.T
	env              *servertest.Env
	alice, bob, carl *storage.Account
}

func newWorld(t *testing.T) *world {
	env := servertest.New(t)
	return &world{t: t, env: env, alice: env.Account("alice@example.com"), bob: env.Account("bob@example.com"), carl: env.Account("carol@example.com")}
}

func (w *world) href(acc *storage.Account, name string) string {
	return "/dav/calendars/" + acc.ID + "/default/" + name
}

// copyOf returns acc's stored copy of event uid, failing when there is
// none.
func (w *world) copyOf(acc *storage.Account, uid string) *storage.Object {
	w.t.Helper()
	ms, err := w.env.Store.FindUID(context.Background(), acc.ID, uid)
	if err != nil || len(ms) != 1 {
		w.t.Fatalf("copies of %s for %s: %v, %v", uid, acc.Login, ms, err)
	}
	obj, err := w.env.Store.Get(context.Background(), acc.ID, ms[0].Collection, ms[0].Meta.Name)
	if err != nil {
		w.t.Fatal(err)
	}
	return obj
}

func (w *world) inbox(acc *storage.Account) []string {
	w.t.Helper()
	var out []string
	err := w.env.Store.Walk(context.Background(), acc.ID, schedule.InboxName, func(o *storage.Object) error {
		out = append(out, unfold(string(o.Data)))
		return nil
	})
	if err != nil && !errors.Is(err, storage.ErrNotFound) {
		w.t.Fatal(err)
	}
	return out
}

func mustContain(t *testing.T, what, s string, subs ...string) {
	t.Helper()
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			t.Errorf("%s lacks %q:\n%s", what, sub, s)
		}
	}
}

func mustLack(t *testing.T, what, s string, subs ...string) {
	t.Helper()
	for _, sub := range subs {
		if strings.Contains(s, sub) {
			t.Errorf("%s has %q:\n%s", what, sub, s)
		}
	}
}

// TestImplicitScheduling plays a meeting between local users: the
// organizer's PUT files copies and inbox items, the attendees' answers
// come back into the organizer's copy without changing its schedule tag,
// If-Schedule-Tag-Match keeps them over the organizer's stale edit, a
// moved and a cancelled instance reach the copies, and deleting cancels.
func TestImplicitScheduling(t *testing.T) {
	w := newWorld(t)
	env := w.env
	rec := env.Do("PUT", w.href(w.alice, "weekly.ics"), w.alice.Login, meeting("Sync", "NEEDS-ACTION", "NEEDS-ACTION"), "Content-Type", "text/calendar")
	if rec.Code != http.StatusCreated {
		t.Fatalf("organizer PUT: %d %s", rec.Code, rec.Body)
	}
	orgTag := rec.Header().Get("Schedule-Tag")
	if orgTag == "" || rec.Header().Get("ETag") != "" {
		t.Errorf("organizer PUT: Schedule-Tag %q, ETag %q; want a tag and no ETag (the server rewrote the data)", orgTag, rec.Header().Get("ETag"))
	}
	org := unfold(string(w.copyOf(w.alice, "weekly-1").Data))
	mustContain(t, "organizer's copy", org,
		"SCHEDULE-STATUS=1.2:mailto:bob@example.com", "SCHEDULE-STATUS=1.2:mailto:carol@example.com",
		"SCHEDULE-STATUS=1.1:mailto:guest@outside.test")
	mustLack(t, "organizer's copy", org, "SCHEDULE-STATUS=1.2:mailto:alice@example.com")

	bobCopy := w.copyOf(w.bob, "weekly-1")
	mustContain(t, "bob's copy", unfold(string(bobCopy.Data)), "SUMMARY:Sync", "PARTSTAT=NEEDS-ACTION;RSVP=TRUE:mailto:bob@example.com")
	if bobCopy.ScheduleTag == "" {
		t.Error("bob's copy has no schedule tag")
	}
	if in := w.inbox(w.bob); len(in) != 1 || !strings.Contains(in[0], "METHOD:REQUEST") {
		t.Fatalf("bob's inbox: %q", in)
	}
	// The inbox is readable through DAV at the principal's
	// schedule-inbox-URL.
	rec = env.Do("PROPFIND", "/dav/principals/"+w.bob.ID+"/", w.bob.Login, `<propfind xmlns="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><prop><C:schedule-inbox-URL/><C:calendar-user-address-set/></prop></propfind>`, "Depth", "0")
	mustContain(t, "bob's principal", rec.Body.String(), "/dav/calendars/"+w.bob.ID+"/schedule-inbox/", "mailto:bob@example.com")
	rec = env.Do("PROPFIND", "/dav/calendars/"+w.bob.ID+"/schedule-inbox/", w.bob.Login, `<propfind xmlns="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><prop><resourcetype/><C:schedule-default-calendar-URL/></prop></propfind>`, "Depth", "1")
	mustContain(t, "bob's inbox", rec.Body.String(), "schedule-inbox", "/dav/calendars/"+w.bob.ID+"/default/", ".ics</")

	// Bob accepts, carol declines: each PUT of their copy with its
	// schedule tag sends a REPLY into alice's copy.
	accept := func(acc *storage.Account, from, to string) {
		t.Helper()
		cp := w.copyOf(acc, "weekly-1")
		body := strings.Replace(string(cp.Data), "PARTSTAT="+from+";RSVP=TRUE:mailto:"+acc.Login, "PARTSTAT="+to+";RSVP=TRUE:mailto:"+acc.Login, 1)
		if body == string(cp.Data) {
			t.Fatalf("%s's copy does not name them as %s:\n%s", acc.Login, from, cp.Data)
		}
		rec := env.Do("PUT", w.href(acc, cp.Name), acc.Login, body, "Content-Type", "text/calendar", "If-Schedule-Tag-Match", cp.ScheduleTag)
		if rec.Code != http.StatusNoContent {
			t.Fatalf("%s answers: %d %s", acc.Login, rec.Code, rec.Body)
		}
	}
	accept(w.bob, "NEEDS-ACTION", "ACCEPTED")
	accept(w.carl, "NEEDS-ACTION", "DECLINED")
	orgObj := w.copyOf(w.alice, "weekly-1")
	org = unfold(string(orgObj.Data))
	mustContain(t, "organizer's copy after the replies", org,
		"PARTSTAT=ACCEPTED;RSVP=TRUE;SCHEDULE-STATUS=2.0:mailto:bob@example.com", "PARTSTAT=DECLINED;RSVP=TRUE;SCHEDULE-STATUS=2.0:mailto:carol@example.com")
	if orgObj.ScheduleTag != orgTag {
		t.Errorf("a reply changed the organizer's schedule tag: %s -> %s", orgTag, orgObj.ScheduleTag)
	}
	if in := w.inbox(w.alice); len(in) != 2 || !strings.Contains(in[0]+in[1], "METHOD:REPLY") {
		t.Errorf("alice's inbox after two replies: %q", in)
	}
	mustContain(t, "bob's copy after accepting", unfold(string(w.copyOf(w.bob, "weekly-1").Data)), "SCHEDULE-STATUS=1.2:mailto:alice@example.com")

	// Alice's client still has the first version: with
	// If-Schedule-Tag-Match her edit goes through and the replies stay.
	rec = env.Do("PUT", w.href(w.alice, "weekly.ics"), w.alice.Login, meeting("Sync (room 4)", "NEEDS-ACTION", "NEEDS-ACTION"), "Content-Type", "text/calendar", "If-Schedule-Tag-Match", orgTag)
	if rec.Code != http.StatusNoContent {
		t.Fatalf("organizer's stale edit: %d %s", rec.Code, rec.Body)
	}
	org = unfold(string(w.copyOf(w.alice, "weekly-1").Data))
	mustContain(t, "organizer's copy after the stale edit", org, "SUMMARY:Sync (room 4)", "PARTSTAT=ACCEPTED", "PARTSTAT=DECLINED")
	mustContain(t, "bob's copy after the edit", unfold(string(w.copyOf(w.bob, "weekly-1").Data)), "SUMMARY:Sync (room 4)")
	// The old tag is spent.
	rec = env.Do("PUT", w.href(w.alice, "weekly.ics"), w.alice.Login, meeting("Sync", "NEEDS-ACTION", "NEEDS-ACTION"), "Content-Type", "text/calendar", "If-Schedule-Tag-Match", orgTag)
	if rec.Code != http.StatusPreconditionFailed {
		t.Errorf("PUT with a spent schedule tag: %d, want 412", rec.Code)
	}

	// One instance moves, another is cancelled.
	moved := meeting("Sync (room 4)", "ACCEPTED", "DECLINED", "EXDATE:20260324T090000Z")
	moved = strings.Replace(moved, "END:VEVENT\r\n", "END:VEVENT\r\nBEGIN:VEVENT\r\nUID:weekly-1\r\nDTSTAMP:20260101T000000Z\r\nRECURRENCE-ID:20260317T090000Z\r\nDTSTART:20260317T140000Z\r\nDTEND:20260317T150000Z\r\nSUMMARY:Sync (moved)\r\nORGANIZER;CN=Alice:mailto:alice@example.com\r\nATTENDEE;CN=Bob;PARTSTAT=ACCEPTED:mailto:bob@example.com\r\nATTENDEE;CN=Carol;PARTSTAT=DECLINED:mailto:carol@example.com\r\nEND:VEVENT\r\n", 1)
	rec = env.Do("PUT", w.href(w.alice, "weekly.ics"), w.alice.Login, moved, "Content-Type", "text/calendar")
	if rec.Code != http.StatusNoContent {
		t.Fatalf("organizer moves and cancels instances: %d %s", rec.Code, rec.Body)
	}
	bob := unfold(string(w.copyOf(w.bob, "weekly-1").Data))
	mustContain(t, "bob's copy after the move", bob, "RECURRENCE-ID:20260317T090000Z", "DTSTART:20260317T140000Z", "EXDATE:20260324T090000Z")

	// Bob declines the moved instance alone.
	cp := w.copyOf(w.bob, "weekly-1")
	parts := strings.SplitN(string(cp.Data), "RECURRENCE-ID", 2)
	body := parts[0] + "RECURRENCE-ID" + strings.Replace(parts[1], "PARTSTAT=ACCEPTED:mailto:bob@example.com", "PARTSTAT=DECLINED:mailto:bob@example.com", 1)
	rec = env.Do("PUT", w.href(w.bob, cp.Name), w.bob.Login, body, "Content-Type", "text/calendar", "If-Schedule-Tag-Match", cp.ScheduleTag)
	if rec.Code != http.StatusNoContent {
		t.Fatalf("bob declines one instance: %d %s", rec.Code, rec.Body)
	}
	org = unfold(string(w.copyOf(w.alice, "weekly-1").Data))
	over := org[strings.Index(org, "RECURRENCE-ID"):]
	mustContain(t, "organizer's override after bob's single-instance reply", over, "PARTSTAT=DECLINED;SCHEDULE-STATUS=2.0:mailto:bob@example.com")
	master := org[:strings.Index(org, "RECURRENCE-ID")]
	mustContain(t, "organizer's master after bob's single-instance reply", master, "PARTSTAT=ACCEPTED")

	// Bob's stale tag is refused.
	rec = env.Do("PUT", w.href(w.bob, cp.Name), w.bob.Login, string(cp.Data), "Content-Type", "text/calendar", "If-Schedule-Tag-Match", cp.ScheduleTag)
	if rec.Code != http.StatusPreconditionFailed {
		t.Errorf("bob's PUT with a spent tag: %d, want 412", rec.Code)
	}

	// Deleting the meeting cancels it for everyone.
	rec = env.Do("DELETE", w.href(w.alice, "weekly.ics"), w.alice.Login, "")
	if rec.Code != http.StatusNoContent {
		t.Fatalf("organizer DELETE: %d %s", rec.Code, rec.Body)
	}
	mustContain(t, "bob's copy after the cancel", unfold(string(w.copyOf(w.bob, "weekly-1").Data)), "STATUS:CANCELLED")
	mustContain(t, "carol's copy after the cancel", unfold(string(w.copyOf(w.carl, "weekly-1").Data)), "STATUS:CANCELLED")
	// One pending item per event and sender: the inbox does not grow
	// with every update.
	if in := w.inbox(w.bob); len(in) != 1 || !strings.Contains(in[0], "METHOD:CANCEL") {
		t.Errorf("bob's inbox after the cancel: %q", in)
	}
	// Inbox items are deletable.
	rec = env.Do("PROPFIND", "/dav/calendars/"+w.bob.ID+"/schedule-inbox/", w.bob.Login, `<propfind xmlns="DAV:"><prop><getetag/></prop></propfind>`, "Depth", "1")
	m := regexp.MustCompile(`/schedule-inbox/([0-9a-f]+\.ics)<`).FindStringSubmatch(rec.Body.String())
	if m == nil {
		t.Fatalf("no inbox item listed:\n%s", rec.Body)
	}
	item := m[1]
	if rec := env.Do("DELETE", "/dav/calendars/"+w.bob.ID+"/schedule-inbox/"+item, w.bob.Login, ""); rec.Code != http.StatusNoContent {
		t.Errorf("delete inbox item: %d %s", rec.Code, rec.Body)
	}
	if in := w.inbox(w.bob); len(in) != 0 {
		t.Errorf("bob's inbox after deleting: %q", in)
	}
	// What scheduling wrote keeps every invariant almanac check knows.
	if _, err := env.Store.Check(context.Background(), func(p storage.Problem) { t.Errorf("check: %+v", p) }); err != nil {
		t.Fatal(err)
	}
}

// TestImplicitSchedulingRefusals: what scheduling refuses is refused
// with its precondition and leaves every calendar and inbox as it was.
func TestImplicitSchedulingRefusals(t *testing.T) {
	w := newWorld(t)
	env := w.env
	many := make([]string, 0, schedule.DefaultMaxAttendees+1)
	for i := range schedule.DefaultMaxAttendees + 1 {
		many = append(many, "ATTENDEE:mailto:guest"+strconv.Itoa(i)+"@outside.test")
	}
	event := func(org string, attendees ...string) string {
		return ics(append(append([]string{"BEGIN:VEVENT", "UID:bad-1", "DTSTAMP:20260101T000000Z",
			"DTSTART:20260310T090000Z", "DTEND:20260310T100000Z", "SUMMARY:x", "ORGANIZER:" + org}, attendees...), "END:VEVENT")...)
	}
	for _, tc := range []struct {
		name, login, body, cond string
	}{
		{"organizer not the user's", "bob@example.com", event("mailto:alice@example.com", "ATTENDEE:mailto:carol@example.com"), "valid-organizer"},
		{"too many attendees", "alice@example.com", event("mailto:alice@example.com", many...), "max-attendees-per-instance"},
		{"two organizers", "alice@example.com", ics("BEGIN:VEVENT", "UID:bad-1", "DTSTAMP:20260101T000000Z", "DTSTART:20260310T090000Z",
			"RRULE:FREQ=DAILY;COUNT=3", "ORGANIZER:mailto:alice@example.com", "ATTENDEE:mailto:bob@example.com", "END:VEVENT",
			"BEGIN:VEVENT", "UID:bad-1", "DTSTAMP:20260101T000000Z", "RECURRENCE-ID:20260311T090000Z", "DTSTART:20260311T100000Z",
			"ORGANIZER:mailto:carol@example.com", "ATTENDEE:mailto:bob@example.com", "END:VEVENT"), "same-organizer-in-all-components"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			acc, _ := env.Store.AccountByLogin(context.Background(), tc.login)
			rec := env.Do("PUT", w.href(acc, "bad.ics"), tc.login, tc.body, "Content-Type", "text/calendar")
			if rec.Code != http.StatusForbidden || !strings.Contains(rec.Body.String(), tc.cond) {
				t.Fatalf("PUT: %d %s, want 403 %s", rec.Code, rec.Body, tc.cond)
			}
			for _, a := range []*storage.Account{w.alice, w.bob, w.carl} {
				if ms, err := env.Store.FindUID(context.Background(), a.ID, "bad-1"); err != nil || len(ms) != 0 {
					t.Errorf("%s has %v (%v)", a.Login, ms, err)
				}
				if in := w.inbox(a); len(in) != 0 {
					t.Errorf("%s's inbox: %q", a.Login, in)
				}
			}
		})
	}
}

// TestImplicitSchedulingSelfAndAgent: an attendee address that is the
// organizer's own (an alias) gets nothing, so nothing loops back; the
// same account under two addresses gets one copy; SCHEDULE-AGENT=CLIENT
// leaves an attendee to the client.
func TestImplicitSchedulingSelfAndAgent(t *testing.T) {
	w := newWorld(t)
	env := w.env
	ctx := context.Background()
	org := &storage.Organization{Name: "Example"}
	if err := env.Store.CreateOrganization(ctx, org); err != nil {
		t.Fatal(err)
	}
	svc := &storage.MailService{Org: org.ID, Domain: "mail.example", Plan: "standard"}
	if err := env.Store.CreateMailService(ctx, svc); err != nil {
		t.Fatal(err)
	}
	for _, mb := range []struct {
		local string
		acc   *storage.Account
	}{{"alice", w.alice}, {"bob", w.bob}} {
		if err := env.Store.CreateMailbox(ctx, &storage.Mailbox{Service: svc.ID, LocalPart: mb.local, Aliases: []string{mb.local + ".alias"}}); err != nil {
			t.Fatal(err)
		}
		if err := env.Store.PutMailboxLink(ctx, &storage.MailboxLink{Service: svc.ID, LocalPart: mb.local, Account: mb.acc.ID, Rights: []string{}}); err != nil {
			t.Fatal(err)
		}
	}
	body := ics("BEGIN:VEVENT", "UID:self-1", "DTSTAMP:20260101T000000Z", "DTSTART:20260310T090000Z", "DTEND:20260310T100000Z", "SUMMARY:x",
		"ORGANIZER:mailto:alice.alias@mail.example",
		"ATTENDEE:mailto:alice@mail.example",
		"ATTENDEE:mailto:bob@example.com",
		"ATTENDEE:mailto:bob.alias@mail.example",
		"ATTENDEE;SCHEDULE-AGENT=CLIENT:mailto:carol@example.com",
		"END:VEVENT")
	rec := env.Do("PUT", w.href(w.alice, "self.ics"), w.alice.Login, body, "Content-Type", "text/calendar")
	if rec.Code != http.StatusCreated {
		t.Fatalf("PUT: %d %s", rec.Code, rec.Body)
	}
	got := unfold(string(w.copyOf(w.alice, "self-1").Data))
	mustContain(t, "organizer's copy", got, "SCHEDULE-STATUS=1.2:mailto:bob@example.com", "SCHEDULE-STATUS=1.2:mailto:bob.alias@mail.example")
	mustLack(t, "organizer's copy", got, "SCHEDULE-STATUS=1.2:mailto:alice@mail.example", "SCHEDULE-STATUS=1.2:mailto:carol")
	if ms, _ := env.Store.FindUID(ctx, w.carl.ID, "self-1"); len(ms) != 0 {
		t.Errorf("carol, scheduled by the client, got a copy: %v", ms)
	}
	if in := w.inbox(w.alice); len(in) != 0 {
		t.Errorf("the organizer's inbox got her own message: %q", in)
	}
	if in := w.inbox(w.bob); len(in) != 1 {
		t.Errorf("bob's inbox: %d items, want 1", len(in))
	}
	_ = w.copyOf(w.bob, "self-1") // exactly one copy
	rec = env.Do("PROPFIND", "/dav/principals/"+w.alice.ID+"/", w.alice.Login, `<propfind xmlns="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><prop><C:calendar-user-address-set/></prop></propfind>`, "Depth", "0")
	mustContain(t, "alice's addresses", rec.Body.String(), "mailto:alice@example.com", "mailto:alice@mail.example", "mailto:alice.alias@mail.example")
	// An inbox with an item keeps every invariant almanac check knows.
	if _, err := env.Store.Check(ctx, func(p storage.Problem) { t.Errorf("check: %+v", p) }); err != nil {
		t.Fatal(err)
	}
}

// TestImplicitSchedulingForeign: an outside organizer's event that does
// not name the user (an import, RFC 4791 Appendix B) is stored as sent,
// with no tag and no message to its local attendees.
func TestImplicitSchedulingForeign(t *testing.T) {
	w := newWorld(t)
	body := ics("BEGIN:VEVENT", "UID:import-1", "DTSTAMP:20260101T000000Z", "DTSTART:20260310T090000Z", "SUMMARY:x",
		"ORGANIZER:mailto:cyrus@outside.test", "ATTENDEE:mailto:carol@example.com", "END:VEVENT")
	rec := w.env.Do("PUT", w.href(w.bob, "import.ics"), w.bob.Login, body, "Content-Type", "text/calendar")
	if rec.Code != http.StatusCreated || rec.Header().Get("ETag") == "" || rec.Header().Get("Schedule-Tag") != "" {
		t.Fatalf("PUT: %d, ETag %q, Schedule-Tag %q", rec.Code, rec.Header().Get("ETag"), rec.Header().Get("Schedule-Tag"))
	}
	if got := string(w.copyOf(w.bob, "import-1").Data); got != body {
		t.Errorf("stored %q, want the request's bytes", got)
	}
	if ms, _ := w.env.Store.FindUID(context.Background(), w.carl.ID, "import-1"); len(ms) != 0 || len(w.inbox(w.carl)) != 0 || len(w.env.Post.Mail()) != 0 {
		t.Errorf("an import sent something: carol's copies %v, inbox %q, mail %v", ms, w.inbox(w.carl), w.env.Post.Mail())
	}
}

// TestImplicitSchedulingMoveCopy: MOVE carries a scheduled event and its
// schedule tag to another calendar and sends nothing; COPY, which would
// leave a second copy behind every update, is refused.
func TestImplicitSchedulingMoveCopy(t *testing.T) {
	w := newWorld(t)
	env := w.env
	rec := env.Do("PUT", w.href(w.alice, "weekly.ics"), w.alice.Login, meeting("Sync", "NEEDS-ACTION", "NEEDS-ACTION"), "Content-Type", "text/calendar")
	if rec.Code != http.StatusCreated {
		t.Fatalf("PUT: %d", rec.Code)
	}
	tag := rec.Header().Get("Schedule-Tag")
	if rec := env.Do("MKCALENDAR", "/dav/calendars/"+w.alice.ID+"/work/", w.alice.Login, ""); rec.Code != http.StatusCreated {
		t.Fatalf("MKCALENDAR: %d", rec.Code)
	}
	dest := "/dav/calendars/" + w.alice.ID + "/work/weekly.ics"
	if rec := env.Do("COPY", w.href(w.alice, "weekly.ics"), w.alice.Login, "", "Destination", dest); rec.Code != http.StatusForbidden || !strings.Contains(rec.Body.String(), "unique-scheduling-object-resource") {
		t.Errorf("COPY: %d %s", rec.Code, rec.Body)
	}
	inbox := len(w.inbox(w.bob))
	if rec := env.Do("MOVE", w.href(w.alice, "weekly.ics"), w.alice.Login, "", "Destination", dest); rec.Code != http.StatusCreated {
		t.Fatalf("MOVE: %d %s", rec.Code, rec.Body)
	}
	if rec := env.Do("GET", dest, w.alice.Login, ""); rec.Header().Get("Schedule-Tag") != tag {
		t.Errorf("after MOVE: Schedule-Tag %q, want %q", rec.Header().Get("Schedule-Tag"), tag)
	}
	if n := len(w.inbox(w.bob)); n != inbox {
		t.Errorf("MOVE sent something: bob's inbox %d -> %d", inbox, n)
	}
	// Deleting it at its new place still cancels.
	if rec := env.Do("DELETE", dest, w.alice.Login, ""); rec.Code != http.StatusNoContent {
		t.Fatalf("DELETE: %d", rec.Code)
	}
	mustContain(t, "bob's copy", unfold(string(w.copyOf(w.bob, "weekly-1").Data)), "STATUS:CANCELLED")
}

// TestImplicitSchedulingSharee: a sharee writing their own meeting into
// a calendar shared with them read-write stores it (it is not the
// owner's to schedule), while the owner's colleague's name as organizer
// is still refused.
func TestImplicitSchedulingSharee(t *testing.T) {
	w := newWorld(t)
	env := w.env
	rec := env.Do("POST", "/api/v1/shares", w.carl.Login, `{"collection":"default","login":"bob@example.com","access":"read-write"}`)
	if rec.Code != http.StatusCreated && rec.Code != http.StatusOK {
		t.Fatalf("share: %d %s", rec.Code, rec.Body)
	}
	mount := regexp.MustCompile(`"mount":"([^"]+)"`).FindStringSubmatch(rec.Body.String())
	if mount == nil {
		t.Fatalf("no mount in %s", rec.Body)
	}
	event := func(org string) string {
		return ics("BEGIN:VEVENT", "UID:shared-1", "DTSTAMP:20260101T000000Z", "DTSTART:20260310T090000Z", "SUMMARY:x",
			"ORGANIZER:mailto:"+org, "ATTENDEE:mailto:guest@outside.test", "END:VEVENT")
	}
	path := "/dav/calendars/" + w.bob.ID + "/" + mount[1] + "/shared.ics"
	if rec := env.Do("PUT", path, w.bob.Login, event("alice@example.com"), "Content-Type", "text/calendar"); rec.Code != http.StatusForbidden {
		t.Errorf("sharee writes alice's meeting: %d, want 403", rec.Code)
	}
	if rec := env.Do("PUT", path, w.bob.Login, event("bob@example.com"), "Content-Type", "text/calendar"); rec.Code != http.StatusCreated {
		t.Fatalf("sharee writes their own meeting: %d %s", rec.Code, rec.Body)
	}
	if ms, _ := env.Store.FindUID(context.Background(), w.carl.ID, "shared-1"); len(ms) != 1 {
		t.Errorf("carol's calendar holds %v", ms)
	}
}
