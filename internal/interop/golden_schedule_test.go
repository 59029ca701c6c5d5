package interop

import (
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"almanac/caldav"
	"almanac/notify"
	"almanac/schedule"
	"almanac/server"
	"almanac/server/servertest"
	"almanac/storage"
)

// Scheduling requests as Apple Calendar (iOS/macOS) and Thunderbird send
// them: the organizer's event with attendees, an attendee's answer with
// If-Schedule-Tag-Match (Apple) or If-Match (Thunderbird), the inbox,
// free-busy on the outbox and principal search for completion.
const (
	appleInvite = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Apple Inc.//macOS 15.0//EN\r\nCALSCALE:GREGORIAN\r\n" +
		"BEGIN:VEVENT\r\nUID:B1A6E0C2-5D7C-4E35-9A37-golden\r\nDTSTAMP:20260301T080000Z\r\nCREATED:20260301T080000Z\r\n" +
		"SEQUENCE:0\r\nDTSTART:20260310T090000Z\r\nDTEND:20260310T100000Z\r\nRRULE:FREQ=WEEKLY;COUNT=4\r\nSUMMARY:Weekly sync\r\n" +
		"ORGANIZER;CN=Alice;EMAIL=alice@example.com:mailto:alice@example.com\r\n" +
		"ATTENDEE;CN=Alice;CUTYPE=INDIVIDUAL;EMAIL=alice@example.com;PARTSTAT=ACCEPTED;ROLE=CHAIR:mailto:alice@example.com\r\n" +
		"ATTENDEE;CN=Bob;CUTYPE=INDIVIDUAL;EMAIL=bob@example.com;PARTSTAT=NEEDS-ACTION;ROLE=REQ-PARTICIPANT;RSVP=TRUE:mailto:bob@example.com\r\n" +
		"ATTENDEE;CN=Carol;CUTYPE=INDIVIDUAL;EMAIL=carol@example.com;PARTSTAT=NEEDS-ACTION;ROLE=REQ-PARTICIPANT;RSVP=TRUE:mailto:carol@example.com\r\n" +
		"ATTENDEE;CN=Guest;CUTYPE=INDIVIDUAL;PARTSTAT=NEEDS-ACTION;ROLE=REQ-PARTICIPANT;RSVP=TRUE:mailto:guest@outside.test\r\n" +
		"BEGIN:VALARM\r\nACTION:DISPLAY\r\nTRIGGER:-PT15M\r\nDESCRIPTION:Reminder\r\nEND:VALARM\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"

	appleFreeBusy = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Apple Inc.//macOS 15.0//EN\r\nMETHOD:REQUEST\r\n" +
		"BEGIN:VFREEBUSY\r\nUID:FB-golden\r\nDTSTAMP:20260301T080000Z\r\nDTSTART:20260310T000000Z\r\nDTEND:20260311T000000Z\r\n" +
		"ORGANIZER:mailto:alice@example.com\r\nATTENDEE:mailto:bob@example.com\r\nATTENDEE:mailto:nobody@outside.test\r\n" +
		"END:VFREEBUSY\r\nEND:VCALENDAR\r\n"

	applePrincipalSearch = `<?xml version="1.0" encoding="UTF-8"?>
<B:calendarserver-principal-search xmlns:A="DAV:" xmlns:B="http://calendarserver.org/ns/" context="attendee">
  <B:search-token>bo</B:search-token>
  <B:limit><B:nresults>50</B:nresults></B:limit>
  <A:prop>
    <A:displayname/>
    <C:calendar-user-address-set xmlns:C="urn:ietf:params:xml:ns:caldav"/>
    <C:calendar-user-type xmlns:C="urn:ietf:params:xml:ns:caldav"/>
    <A:principal-URL/>
  </A:prop>
</B:calendarserver-principal-search>`

	thunderbirdPrincipalSearch = `<?xml version="1.0" encoding="UTF-8"?>
<D:principal-property-search xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav" test="anyof">
  <D:property-search><D:prop><C:calendar-user-address-set/></D:prop><D:match>carol</D:match></D:property-search>
  <D:property-search><D:prop><D:displayname/></D:prop><D:match>carol</D:match></D:property-search>
  <D:prop><C:calendar-user-address-set/><D:displayname/></D:prop>
</D:principal-property-search>`

	inboxPropfind = `<?xml version="1.0" encoding="UTF-8"?>
<A:propfind xmlns:A="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
  <A:prop><A:resourcetype/><A:getcontenttype/><C:schedule-default-calendar-URL/></A:prop>
</A:propfind>`
)

var (
	goldenStamp = regexp.MustCompile(`DTSTAMP:\d{8}T\d{6}Z`)
	goldenTag   = regexp.MustCompile(`"[0-9a-f]{24}"`)
	goldenETag  = regexp.MustCompile(`"[A-Za-z0-9_-]{24}"`)
)

// TestGoldenScheduling plays a meeting between three users of the
// server and an outside guest with Apple Calendar's and Thunderbird's
// requests and compares each exchange with
// testdata/golden/sched-*.txt (-update rewrites them). The server's mail
// goes to a real SMTP listener: the guest's invitation is read back from
// it (and parsed with python3-icalendar when installed), answered by a
// REPLY and a COUNTER through the deliver path of `almanac imip
// deliver`, and the organizer's DECLINECOUNTER reaches the guest by mail
// and a colleague's inbox.
func TestGoldenScheduling(t *testing.T) {
	sink, port := startSMTP(t)
	srv := servertest.New(t, func(c *server.Config) {
		m, err := notify.NewSMTP(notify.SMTPConfig{Host: "127.0.0.1", Port: port, Security: notify.SecurityNone, From: "Almanac <calendar@example.com>"})
		if err != nil {
			t.Fatal(err)
		}
		c.Mailer = m
	})
	base := srv.Start()
	alice := srv.Account("alice@example.com", func(a *storage.Account) { a.DisplayName = "Alice" })
	bob := srv.Account("bob@example.com", func(a *storage.Account) { a.DisplayName = "Bob" })
	carol := srv.Account("carol@example.com", func(a *storage.Account) { a.DisplayName = "Carol" })
	// Alice, Bob and Carol work together.
	ctx := t.Context()
	org := &storage.Organization{Name: "Example"}
	if err := srv.Store.CreateOrganization(ctx, org); err != nil {
		t.Fatal(err)
	}
	for _, a := range []*storage.Account{alice, bob, carol} {
		if err := srv.Store.PutMember(ctx, storage.Member{Org: org.ID, Account: a.ID, Role: "member"}); err != nil {
			t.Fatal(err)
		}
	}
	norm := strings.NewReplacer(base, "{base}", alice.ID, "{alice}", bob.ID, "{bob}", carol.ID, "{carol}")
	calendar := func(acc *storage.Account) string { return "/dav/calendars/" + acc.ID + "/default/" }
	const uid = "B1A6E0C2-5D7C-4E35-9A37-golden"
	tags := map[string]string{}
	etags := map[string]string{}
	step := func(file string, acc *storage.Account, method, path string, hdr map[string]string, body string) string {
		t.Helper()
		var rd io.Reader
		if body != "" {
			rd = strings.NewReader(body)
		}
		req, err := http.NewRequest(method, base+path, rd)
		if err != nil {
			t.Fatal(err)
		}
		req.SetBasicAuth(acc.Login, servertest.Password)
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		respBody, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		if tag := resp.Header.Get("Schedule-Tag"); tag != "" {
			tags[acc.Login] = tag
		}
		if et := resp.Header.Get("ETag"); et != "" {
			etags[acc.Login] = et
		}
		ex := goldenExchange{file: file, method: method, path: path, header: hdr, body: body}
		got := "# as " + acc.Login + "\n" + transcript(t, ex, resp, respBody, norm)
		for _, h := range []string{"If-Schedule-Tag-Match", "If-Match"} {
			if v := hdr[h]; v != "" {
				got += "request " + h + ": " + v + "\n"
			}
		}
		if v := resp.Header.Get("Schedule-Tag"); v != "" {
			got += "response Schedule-Tag: " + v + "\n"
		}
		got = goldenStamp.ReplaceAllString(got, "DTSTAMP:{now}")
		got = goldenTag.ReplaceAllString(got, "{schedule-tag}")
		got = goldenETag.ReplaceAllString(got, "{etag}")
		compareGolden(t, filepath.Join("testdata", "golden", file), got)
		// Clients edit the unfolded lines.
		return strings.ReplaceAll(string(respBody), "\r\n ", "")
	}
	ics := map[string]string{"Content-Type": "text/calendar; charset=utf-8"}
	with := func(k, v string) map[string]string {
		return map[string]string{"Content-Type": "text/calendar; charset=utf-8", k: v}
	}

	// Apple Calendar: Alice invites Bob, Carol and a guest.
	step("sched-01-organizer-put.txt", alice, "PUT", calendar(alice)+uid+".ics", ics, appleInvite)
	step("sched-02-bob-inbox.txt", bob, "PROPFIND", "/dav/calendars/"+bob.ID+"/schedule-inbox/", map[string]string{"Depth": "1", "Content-Type": "text/xml; charset=utf-8"}, inboxPropfind)
	bobCopy := step("sched-03-bob-copy.txt", bob, "GET", calendar(bob)+uid+".ics", nil, "")
	// Bob accepts in Apple Calendar: If-Schedule-Tag-Match.
	accepted := strings.Replace(bobCopy, "PARTSTAT=NEEDS-ACTION;ROLE=REQ-PARTICIPANT;RSVP=TRUE:mailto:bob@example.com", "PARTSTAT=ACCEPTED;ROLE=REQ-PARTICIPANT;RSVP=TRUE:mailto:bob@example.com", 1)
	if accepted == bobCopy {
		t.Fatalf("bob's copy does not invite him:\n%s", bobCopy)
	}
	step("sched-04-bob-accepts.txt", bob, "PUT", calendar(bob)+uid+".ics", with("If-Schedule-Tag-Match", tags[bob.Login]), accepted)
	// Carol declines in Thunderbird: If-Match on the ETag it read.
	carolCopy := step("sched-05-carol-copy.txt", carol, "GET", calendar(carol)+uid+".ics", nil, "")
	declined := strings.Replace(carolCopy, "PARTSTAT=NEEDS-ACTION;ROLE=REQ-PARTICIPANT;RSVP=TRUE:mailto:carol@example.com", "PARTSTAT=DECLINED;ROLE=REQ-PARTICIPANT;RSVP=TRUE:mailto:carol@example.com", 1)
	step("sched-06-carol-declines.txt", carol, "PUT", calendar(carol)+uid+".ics", with("If-Match", etags[carol.Login]), declined)
	orgCopy := step("sched-07-organizer-sees.txt", alice, "GET", calendar(alice)+uid+".ics", nil, "")
	// Alice moves the second meeting and cancels the third.
	moved := strings.Replace(orgCopy, "RRULE:FREQ=WEEKLY;COUNT=4\r\n", "RRULE:FREQ=WEEKLY;COUNT=4\r\nEXDATE:20260324T090000Z\r\n", 1)
	moved = strings.Replace(moved, "END:VCALENDAR\r\n", "BEGIN:VEVENT\r\nUID:"+uid+"\r\nDTSTAMP:20260302T080000Z\r\nRECURRENCE-ID:20260317T090000Z\r\n"+
		"SEQUENCE:1\r\nDTSTART:20260317T140000Z\r\nDTEND:20260317T150000Z\r\nSUMMARY:Weekly sync (moved)\r\n"+
		"ORGANIZER;CN=Alice;EMAIL=alice@example.com:mailto:alice@example.com\r\n"+
		"ATTENDEE;CN=Alice;PARTSTAT=ACCEPTED;ROLE=CHAIR:mailto:alice@example.com\r\n"+
		"ATTENDEE;CN=Bob;PARTSTAT=ACCEPTED;RSVP=TRUE:mailto:bob@example.com\r\n"+
		"ATTENDEE;CN=Carol;PARTSTAT=DECLINED;RSVP=TRUE:mailto:carol@example.com\r\n"+
		"ATTENDEE;CN=Guest;PARTSTAT=NEEDS-ACTION;RSVP=TRUE:mailto:guest@outside.test\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n", 1)
	step("sched-08-organizer-moves-and-cancels.txt", alice, "PUT", calendar(alice)+uid+".ics", with("If-Schedule-Tag-Match", tags[alice.Login]), moved)
	step("sched-09-bob-after-move.txt", bob, "GET", calendar(bob)+uid+".ics", nil, "")

	// The guest's mail program reads the latest invitation from the SMTP
	// listener and answers it; the mail server pipes the answer to
	// `almanac imip deliver`, which runs exactly this (cmd/almanac
	// TestIMIPDeliverWhileServing covers the command's own plumbing).
	invite := guestMail(t, sink, "REQUEST")
	t.Run("python3-icalendar reads the invitation", func(t *testing.T) {
		readICalendar(t, invite, "METHOD REQUEST", "SUMMARY Weekly sync", "SUMMARY Weekly sync (moved)",
			"ORGANIZER mailto:alice@example.com", "ATTENDEE mailto:guest@outside.test")
	})
	deliver := schedule.New(srv.Store, schedule.Options{Ingest: caldav.New(srv.Store, caldav.Options{}).Ingest})
	reply := answer(invite, "REPLY", "ACCEPTED")
	if line, err := deliver.Deliver(ctx, mailFrom("Guest <guest@outside.test>", "REPLY", reply), "guest@outside.test"); err != nil {
		t.Fatalf("deliver the guest's reply: %v", err)
	} else if !strings.Contains(line, "reply of guest@outside.test applied") {
		t.Errorf("deliver: %q", line)
	}
	step("sched-09b-organizer-sees-guest.txt", alice, "GET", calendar(alice)+uid+".ics", nil, "")

	// Counter-proposals: the guest by mail (the invitation sent back with
	// another time), Bob by POSTing to his outbox; both reach Alice's
	// inbox, her event stays as it is.
	counter := strings.Replace(answer(invite, "COUNTER", "NEEDS-ACTION"), "DTSTART:20260310T090000Z", "DTSTART:20260310T110000Z", 1)
	counter = strings.Replace(counter, "DTEND:20260310T100000Z", "DTEND:20260310T120000Z", 1)
	if _, err := deliver.Deliver(ctx, mailFrom("Guest <guest@outside.test>", "COUNTER", counter), "mallory@outside.test"); !errors.Is(err, schedule.ErrIMIPSender) {
		t.Errorf("a COUNTER with a forged envelope: %v", err)
	}
	if _, err := deliver.Deliver(ctx, mailFrom("Guest <guest@outside.test>", "COUNTER", counter), "guest@outside.test"); err != nil {
		t.Fatalf("deliver the guest's counter: %v", err)
	}
	bobCounter := "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//CalendarServer.org//NONSGML Version 1//EN\r\nMETHOD:COUNTER\r\n" +
		"BEGIN:VEVENT\r\nUID:" + uid + "\r\nDTSTAMP:20260303T080000Z\r\nSEQUENCE:0\r\nDTSTART:20260310T080000Z\r\nDTEND:20260310T090000Z\r\n" +
		"RRULE:FREQ=WEEKLY;COUNT=4\r\nSUMMARY:Weekly sync\r\nORGANIZER;CN=Alice:mailto:alice@example.com\r\n" +
		"ATTENDEE;CN=Bob;PARTSTAT=ACCEPTED:mailto:bob@example.com\r\nCOMMENT:Could we start an hour earlier?\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
	step("sched-09c-bob-counters.txt", bob, "POST", "/dav/calendars/"+bob.ID+"/schedule-outbox/", ics, bobCounter)
	step("sched-09d-organizer-inbox.txt", alice, "PROPFIND", "/dav/calendars/"+alice.ID+"/schedule-inbox/", map[string]string{"Depth": "1", "Content-Type": "text/xml; charset=utf-8"}, inboxPropfind)
	var inbox []string
	if err := srv.Store.Walk(ctx, alice.ID, schedule.InboxName, func(o *storage.Object) error {
		inbox = append(inbox, string(o.Data))
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if all := strings.Join(inbox, ""); strings.Count(all, "METHOD:COUNTER") != 2 || !strings.Contains(all, "DTSTART:20260310T110000Z") || !strings.Contains(all, "DTSTART:20260310T080000Z") {
		t.Errorf("alice's inbox does not hold both proposals:\n%s", all)
	}
	if now := step("sched-09e-organizer-unchanged.txt", alice, "GET", calendar(alice)+uid+".ics", nil, ""); strings.Contains(now, "DTSTART:20260310T110000Z") || strings.Contains(now, "DTSTART:20260310T080000Z") {
		t.Errorf("a proposal changed the event:\n%s", now)
	}
	// Alice declines both.
	decline := "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//CalendarServer.org//NONSGML Version 1//EN\r\nMETHOD:DECLINECOUNTER\r\n" +
		"BEGIN:VEVENT\r\nUID:" + uid + "\r\nDTSTAMP:20260303T090000Z\r\nSEQUENCE:0\r\nDTSTART:20260310T090000Z\r\nDTEND:20260310T100000Z\r\n" +
		"ORGANIZER;CN=Alice:mailto:alice@example.com\r\nATTENDEE:mailto:bob@example.com\r\nATTENDEE:mailto:guest@outside.test\r\n" +
		"COMMENT:Let us keep the time.\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
	step("sched-09f-organizer-declines.txt", alice, "POST", "/dav/calendars/"+alice.ID+"/schedule-outbox/", ics, decline)
	declineMail := guestMail(t, sink, "DECLINECOUNTER")
	t.Run("python3-icalendar reads the declined proposal", func(t *testing.T) {
		readICalendar(t, declineMail, "METHOD DECLINECOUNTER", "ORGANIZER mailto:alice@example.com", "ATTENDEE mailto:guest@outside.test")
	})
	var bobInbox []string
	if err := srv.Store.Walk(ctx, bob.ID, schedule.InboxName, func(o *storage.Object) error {
		bobInbox = append(bobInbox, string(o.Data))
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(strings.Join(bobInbox, ""), "METHOD:DECLINECOUNTER") {
		t.Errorf("bob's inbox lacks the DECLINECOUNTER:\n%s", strings.Join(bobInbox, ""))
	}
	step("sched-10-free-busy.txt", alice, "POST", "/dav/calendars/"+alice.ID+"/schedule-outbox/", map[string]string{"Content-Type": "text/calendar; charset=utf-8"}, appleFreeBusy)
	step("sched-11-apple-principal-search.txt", alice, "REPORT", "/dav/principals/", map[string]string{"Depth": "0", "Content-Type": "text/xml; charset=utf-8"}, applePrincipalSearch)
	step("sched-12-thunderbird-principal-search.txt", alice, "REPORT", "/dav/principals/", map[string]string{"Depth": "0", "Content-Type": "text/xml; charset=utf-8"}, thunderbirdPrincipalSearch)
	step("sched-13-organizer-deletes.txt", alice, "DELETE", calendar(alice)+uid+".ics", nil, "")
	step("sched-14-bob-after-delete.txt", bob, "GET", calendar(bob)+uid+".ics", nil, "")

	// Everything the guest got went out through the SMTP listener.
	var methods []string
	for _, raw := range sink.all() {
		if _, method := calendarOf(t, raw); method != "" {
			methods = append(methods, method)
		}
	}
	if got := strings.Join(methods, ","); got != "REQUEST,CANCEL,REQUEST,DECLINECOUNTER,CANCEL" {
		t.Errorf("mail to the guest: %s", got)
	}
}

func (s *smtpSink) all() [][]byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([][]byte(nil), s.msgs...)
}

// guestMail returns the calendar of the last mail the SMTP listener got,
// which must carry method.
func guestMail(t *testing.T, sink *smtpSink, method string) string {
	t.Helper()
	msgs := sink.all()
	for i := len(msgs) - 1; i >= 0; i-- {
		if cal, m := calendarOf(t, msgs[i]); m == method {
			return strings.ReplaceAll(string(cal), "\r\n ", "")
		}
	}
	t.Fatalf("no %s mail among %d", method, len(msgs))
	return ""
}

// answer turns an invitation into what the guest's mail program sends
// back: method, each event component with its identity, times and
// organizer, and the guest as the one attendee with partstat.
func answer(invite, method, partstat string) string {
	var b strings.Builder
	depth := 0
	for _, l := range strings.Split(strings.TrimRight(invite, "\r\n"), "\r\n") {
		switch {
		case l == "METHOD:REQUEST":
			l = "METHOD:" + method
		case strings.HasPrefix(l, "BEGIN:") && l != "BEGIN:VCALENDAR":
			depth++
		case strings.HasPrefix(l, "END:") && l != "END:VCALENDAR":
			depth--
			if depth > 0 || l != "END:VEVENT" {
				continue
			}
		}
		if depth > 1 || depth == 1 && !strings.HasPrefix(l, "BEGIN:VEVENT") && !keptInAnswer(l) {
			continue
		}
		if strings.HasPrefix(l, "ATTENDEE") {
			if !strings.HasSuffix(l, ":mailto:guest@outside.test") {
				continue
			}
			l = "ATTENDEE;CN=Guest;PARTSTAT=" + partstat + ":mailto:guest@outside.test"
		}
		if strings.HasPrefix(l, "PRODID:") {
			l = "PRODID:-//Mozilla.org/NONSGML Mozilla Calendar V1.1//EN"
		}
		b.WriteString(l + "\r\n")
	}
	return b.String()
}

func keptInAnswer(l string) bool {
	for _, p := range []string{"UID", "DTSTAMP", "SEQUENCE", "DTSTART", "DTEND", "RECURRENCE-ID", "RRULE", "EXDATE", "SUMMARY", "ORGANIZER", "ATTENDEE"} {
		if strings.HasPrefix(l, p+":") || strings.HasPrefix(l, p+";") {
			return true
		}
	}
	return false
}

// mailFrom is an iMIP message as a mail program sends it.
func mailFrom(from, method, cal string) []byte {
	return []byte("From: " + from + "\r\nTo: alice@example.com\r\nSubject: " + method + ": Weekly sync\r\nMIME-Version: 1.0\r\n" +
		"Content-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n--b1\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nSee the attached.\r\n" +
		"--b1\r\nContent-Type: text/calendar; method=" + method + "; charset=utf-8\r\n\r\n" + cal + "--b1--\r\n")
}

// readICalendar parses cal with python3-icalendar and checks what it
// read; it skips without python3-icalendar (fails under
// ALMANAC_INTEROP=1).
func readICalendar(t *testing.T, cal string, wants ...string) {
	t.Helper()
	py, env := requirePythonCaldav(t)
	if out, err := runEnv(env, "", "", py, "-c", "import icalendar"); err != nil {
		t.Logf("import icalendar: %v\n%s", err, out)
		missing(t, "python3-icalendar", "python3-icalendar")
	}
	f := filepath.Join(t.TempDir(), "mail.ics")
	if err := os.WriteFile(f, []byte(cal), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := runEnv(env, "", "", py, "-c", `import sys, icalendar
c = icalendar.Calendar.from_ical(open(sys.argv[1], "rb").read())
print("METHOD", c["METHOD"])
for e in c.walk("VEVENT"):
    print("SUMMARY", e.get("SUMMARY"))
    print("ORGANIZER", e["ORGANIZER"])
    att = e.get("ATTENDEE", [])
    for a in att if isinstance(att, list) else [att]:
        print("ATTENDEE", a)
`, f)
	if err != nil {
		t.Fatalf("python3-icalendar: %v\n%s", err, out)
	}
	for _, want := range wants {
		if !strings.Contains(out, want+"\n") {
			t.Errorf("python3-icalendar read no %q:\n%s", want, out)
		}
	}
}
