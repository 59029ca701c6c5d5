package interop

import (
	"io"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

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
// testdata/golden/sched-*.txt (-update rewrites them).
func TestGoldenScheduling(t *testing.T) {
	srv := servertest.New(t)
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
	step("sched-10-free-busy.txt", alice, "POST", "/dav/calendars/"+alice.ID+"/schedule-outbox/", map[string]string{"Content-Type": "text/calendar; charset=utf-8"}, appleFreeBusy)
	step("sched-11-apple-principal-search.txt", alice, "REPORT", "/dav/principals/", map[string]string{"Depth": "0", "Content-Type": "text/xml; charset=utf-8"}, applePrincipalSearch)
	step("sched-12-thunderbird-principal-search.txt", alice, "REPORT", "/dav/principals/", map[string]string{"Depth": "0", "Content-Type": "text/xml; charset=utf-8"}, thunderbirdPrincipalSearch)
	step("sched-13-organizer-deletes.txt", alice, "DELETE", calendar(alice)+uid+".ics", nil, "")
	step("sched-14-bob-after-delete.txt", bob, "GET", calendar(bob)+uid+".ics", nil, "")

	// The guest's invitation and cancellation went out by mail.
	var methods []string
	for _, m := range srv.Post.Mail() {
		if m.To == "guest@outside.test" {
			methods = append(methods, m.CalendarMethod)
		}
	}
	if got := strings.Join(methods, ","); got != "REQUEST,CANCEL,REQUEST,CANCEL" {
		t.Errorf("mail to the guest: %s", got)
	}
}
