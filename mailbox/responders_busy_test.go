package mailbox_test

import (
	"encoding/base64"
	"errors"
	"net/http/httptest"
	"strings"
	"testing"

	"almanac/storage"
)

// busyBlock is the out-of-office event of responder id in acc's default
// calendar, "" when there is none.
func (e *respEnv) busyBlock(acc *storage.Account, id string) string {
	e.t.Helper()
	o, err := e.store.Get(e.t.Context(), acc.ID, "default", "almanac-out-of-office-"+id+".ics")
	if errors.Is(err, storage.ErrNotFound) {
		return ""
	}
	if err != nil {
		e.t.Fatal(err)
	}
	return string(o.Data)
}

// freeBusy is acc's CalDAV free-busy report of its default calendar for
// July 2027.
func (e *respEnv) freeBusy(acc *storage.Account) string {
	e.t.Helper()
	body := `<C:free-busy-query xmlns:C="urn:ietf:params:xml:ns:caldav"><C:time-range start="20270701T000000Z" end="20270801T000000Z"/></C:free-busy-query>`
	r := httptest.NewRequest("REPORT", "/dav/calendars/"+acc.ID+"/default/", strings.NewReader(body))
	r.Header.Set("Content-Type", "application/xml")
	r.Header.Set("Depth", "1")
	r.Header.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(acc.Login+":"+password)))
	rec := httptest.NewRecorder()
	e.h.ServeHTTP(rec, r)
	if rec.Code != 200 {
		e.t.Fatalf("free-busy report: %d %s", rec.Code, rec.Body)
	}
	return rec.Body.String()
}

// TestResponderBusyBlock: an active responder with dates puts an "Out of
// office" block over its period into the owner's default calendar, which
// free-busy shows; editing moves it, deactivating, another responder
// becoming active, deleting the responder or the mailbox removes it. A
// mailbox that is nobody's login blocks the calendar of the account
// linked to it.
func TestResponderBusyBlock(t *testing.T) {
	e := newRespEnv(t)
	summer := e.must(e.call(e.member, "POST", annaResponders, jsonBody(map[string]any{
		"name": "Summer", "message": "Away.", "time_zone": "Europe/Zurich", "start": "2027-07-01", "end": "2027-07-15", "active": true,
	})), 201).json["id"].(string)
	block := e.busyBlock(e.member, summer)
	for _, want := range []string{"DTSTART:20270630T220000Z\r\n", "DTEND:20270715T220000Z\r\n", "SUMMARY:Out of office\r\n", "TRANSP:OPAQUE\r\n"} {
		if !strings.Contains(block, want) {
			t.Errorf("the block lacks %q:\n%s", want, block)
		}
	}
	if strings.Contains(block, "Away.") {
		t.Error("the block shows the message")
	}
	if fb := e.freeBusy(e.member); !strings.Contains(fb, "FREEBUSY;FBTYPE=BUSY:20270701T000000Z/20270715T220000Z") {
		t.Errorf("free-busy does not show the block:\n%s", fb)
	}

	// Editing the dates moves it.
	e.must(e.call(e.member, "PATCH", annaResponders+"/"+summer, `{"end":"2027-07-10T12:00"}`), 200)
	if b := e.busyBlock(e.member, summer); !strings.Contains(b, "DTEND:20270710T100000Z\r\n") {
		t.Errorf("the edited block:\n%s", b)
	}
	// Another responder active: gone. Without dates, that one blocks
	// nothing; nor does one limited to weekdays.
	other := e.must(e.call(e.member, "POST", annaResponders, `{"name":"Always","message":"x","active":true}`), 201).json["id"].(string)
	weekends := e.must(e.call(e.member, "POST", annaResponders, jsonBody(map[string]any{
		"name": "Weekends", "message": "x", "start": "2027-07-01", "end": "2027-07-31", "weekdays": []string{"sat", "sun"}, "active": true,
	})), 201).json["id"].(string)
	for _, id := range []string{summer, other, weekends} {
		if b := e.busyBlock(e.member, id); b != "" {
			t.Errorf("responder %s blocks the calendar:\n%s", id, b)
		}
	}
	// Active again, then deactivated, then deleted.
	e.must(e.call(e.member, "POST", annaResponders+"/"+summer+"/activate", ""), 200)
	if e.busyBlock(e.member, summer) == "" {
		t.Fatal("no block after activating")
	}
	e.must(e.call(e.member, "POST", annaResponders+"/"+summer+"/deactivate", ""), 200)
	if e.busyBlock(e.member, summer) != "" {
		t.Error("the block outlives deactivating")
	}
	e.must(e.call(e.member, "POST", annaResponders+"/"+summer+"/activate", ""), 200)
	e.must(e.call(e.member, "DELETE", annaResponders+"/"+summer, ""), 204)
	if e.busyBlock(e.member, summer) != "" {
		t.Error("the block outlives deleting the responder")
	}
	if fb := e.freeBusy(e.member); strings.Contains(fb, "FBTYPE=BUSY") {
		t.Errorf("free-busy still shows the block:\n%s", fb)
	}

	// bob@domain.xyz is nobody's login: the account linked to it is blocked,
	// until the mailbox is deleted.
	e.must(e.call(e.manager, "POST", "/api/v1/services/"+e.svc+"/mailboxes/bob/links", `{"login":"owner@example.com"}`), 201)
	bob := e.must(e.call(e.manager, "POST", "/api/v1/services/"+e.svc+"/mailboxes/bob/responders", jsonBody(map[string]any{
		"name": "Summer", "message": "Away.", "time_zone": "UTC", "start": "2027-07-01", "end": "2027-07-02", "active": true,
	})), 201).json["id"].(string)
	if b := e.busyBlock(e.owner, bob); !strings.Contains(b, "DTSTART:20270701T000000Z\r\n") {
		t.Fatalf("bob's block in the linked account's calendar:\n%s", b)
	}
	e.must(e.call(e.manager, "DELETE", "/api/v1/services/"+e.svc+"/mailboxes/bob", ""), 204)
	if e.busyBlock(e.owner, bob) != "" {
		t.Error("the block outlives the mailbox")
	}
}
