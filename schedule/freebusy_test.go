package schedule_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"almanac/storage"
)

// TestFreeBusy: a VFREEBUSY request POSTed to the outbox answers each
// recipient: busy time of a colleague in the same organization (an
// event, not a transparent one, not one in a calendar marked
// transparent), no authority for a local user outside it, invalid for an
// unknown address; a request in another's name or over too long a range
// is refused.
func TestFreeBusy(t *testing.T) {
	w := newWorld(t)
	env := w.env
	ctx := context.Background()
	org := &storage.Organization{Name: "Example"}
	if err := env.Store.CreateOrganization(ctx, org); err != nil {
		t.Fatal(err)
	}
	for _, a := range []*storage.Account{w.alice, w.bob} {
		if err := env.Store.PutMember(ctx, storage.Member{Org: org.ID, Account: a.ID, Role: "member"}); err != nil {
			t.Fatal(err)
		}
	}
	put := func(acc *storage.Account, coll, name string, lines ...string) {
		t.Helper()
		rec := env.Do("PUT", "/dav/calendars/"+acc.ID+"/"+coll+"/"+name, acc.Login, ics(append(append([]string{"BEGIN:VEVENT", "UID:" + name, "DTSTAMP:20260101T000000Z"}, lines...), "END:VEVENT")...), "Content-Type", "text/calendar")
		if rec.Code != http.StatusCreated {
			t.Fatalf("PUT %s: %d %s", name, rec.Code, rec.Body)
		}
	}
	put(w.bob, "default", "busy.ics", "DTSTART:20260310T090000Z", "DTEND:20260310T100000Z", "CLASS:PRIVATE", "SUMMARY:Secret")
	put(w.bob, "default", "free.ics", "DTSTART:20260310T120000Z", "DTEND:20260310T130000Z", "TRANSP:TRANSPARENT")
	if rec := env.Do("MKCALENDAR", "/dav/calendars/"+w.bob.ID+"/private/", w.bob.Login, ""); rec.Code != http.StatusCreated {
		t.Fatalf("MKCALENDAR: %d", rec.Code)
	}
	rec := env.Do("PROPPATCH", "/dav/calendars/"+w.bob.ID+"/private/", w.bob.Login, `<D:propertyupdate xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:set><D:prop><C:schedule-calendar-transp><C:transparent/></C:schedule-calendar-transp></D:prop></D:set></D:propertyupdate>`)
	if rec.Code != http.StatusMultiStatus || !strings.Contains(rec.Body.String(), "200 OK") {
		t.Fatalf("PROPPATCH: %d %s", rec.Code, rec.Body)
	}
	put(w.bob, "private", "hidden.ics", "DTSTART:20260310T150000Z", "DTEND:20260310T160000Z")
	put(w.carl, "default", "carol.ics", "DTSTART:20260310T090000Z", "DTEND:20260310T100000Z")

	request := func(org string, start, end string, attendees ...string) string {
		lines := []string{"METHOD:REQUEST", "BEGIN:VFREEBUSY", "UID:fb-1", "DTSTAMP:20260301T000000Z", "DTSTART:" + start, "DTEND:" + end, "ORGANIZER:" + org}
		for _, a := range attendees {
			lines = append(lines, "ATTENDEE:"+a)
		}
		return ics(append(lines, "END:VFREEBUSY")...)
	}
	outbox := "/dav/calendars/" + w.alice.ID + "/schedule-outbox/"
	rec = env.Do("PROPFIND", outbox, w.alice.Login, `<propfind xmlns="DAV:"><prop><resourcetype/><current-user-privilege-set/></prop></propfind>`, "Depth", "1")
	mustContain(t, "the outbox", rec.Body.String(), "schedule-outbox", "schedule-send")
	rec = env.Do("POST", outbox, w.alice.Login, request("mailto:alice@example.com", "20260310T000000Z", "20260311T000000Z",
		"mailto:bob@example.com", "mailto:carol@example.com", "mailto:nobody@outside.test"), "Content-Type", "text/calendar")
	if rec.Code != http.StatusOK {
		t.Fatalf("POST: %d %s", rec.Code, rec.Body)
	}
	body := unfold(rec.Body.String())
	resp := strings.Split(body, "<C:response>")
	if len(resp) != 4 {
		t.Fatalf("want three responses:\n%s", body)
	}
	mustContain(t, "bob's answer", resp[1], "mailto:bob@example.com", "2.0;Success", "METHOD:REPLY", "FREEBUSY;FBTYPE=BUSY:20260310T090000Z/20260310T100000Z")
	mustLack(t, "bob's answer", resp[1], "Secret", "20260310T120000Z/", "20260310T150000Z/")
	mustContain(t, "carol's answer", resp[2], "3.8;No authority")
	mustLack(t, "carol's answer", resp[2], "FREEBUSY")
	mustContain(t, "an unknown address", resp[3], "3.7;Invalid calendar user")

	for _, tc := range []struct{ name, body, cond string }{
		{"in another's name", request("mailto:bob@example.com", "20260310T000000Z", "20260311T000000Z", "mailto:bob@example.com"), "organizer-allowed"},
		{"too long a range", request("mailto:alice@example.com", "20260101T000000Z", "20280101T000000Z", "mailto:bob@example.com"), "valid-scheduling-message"},
		{"no recipient", request("mailto:alice@example.com", "20260310T000000Z", "20260311T000000Z"), "valid-scheduling-message"},
		{"not iCalendar", "hello", "valid-scheduling-message"},
	} {
		rec := env.Do("POST", outbox, w.alice.Login, tc.body, "Content-Type", "text/calendar")
		if rec.Code != http.StatusForbidden || !strings.Contains(rec.Body.String(), tc.cond) {
			t.Errorf("%s: %d %s, want 403 %s", tc.name, rec.Code, rec.Body, tc.cond)
		}
	}
}
