package server_test

import (
	"encoding/xml"
	"net/http"
	"slices"
	"testing"

	"almanac/server/servertest"
)

// RFC 6578 6.1 makes DAV:sync-level required, but older iOS and Apple's
// test clients leave it out; like Radicale and sabre/dav, the server
// takes such a request as level 1 (the departure is in
// internal/dav/doc.go). A present but unknown level is still 400.
func TestSyncCollectionWithoutSyncLevel_RFC6578_6_1(t *testing.T) {
	env := servertest.New(t)
	acc := env.Account("jane@example.com")
	cal := "/dav/calendars/" + acc.ID + "/default/"
	put := func(name, uid string) {
		t.Helper()
		body := "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\nUID:" + uid +
			"\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:20260310T100000Z\r\nDTEND:20260310T110000Z\r\nSUMMARY:x\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
		if rec := env.Do("PUT", cal+name, acc.Login, body, "Content-Type", "text/calendar"); rec.Code != http.StatusCreated {
			t.Fatalf("PUT %s: %d %s", name, rec.Code, rec.Body)
		}
	}
	sync := func(token string) (hrefs []string, next string) {
		t.Helper()
		rec := env.Do("REPORT", cal, acc.Login, `<?xml version="1.0" encoding="utf-8"?>
<D:sync-collection xmlns:D="DAV:"><D:sync-token>`+token+`</D:sync-token><D:prop><D:getetag/></D:prop></D:sync-collection>`,
			"Content-Type", "application/xml")
		if rec.Code != http.StatusMultiStatus {
			t.Fatalf("sync-collection without sync-level: %d\n%s", rec.Code, rec.Body)
		}
		var ms struct {
			Hrefs []string `xml:"response>href"`
			Token string   `xml:"sync-token"`
		}
		if err := xml.Unmarshal(rec.Body.Bytes(), &ms); err != nil {
			t.Fatal(err)
		}
		return ms.Hrefs, ms.Token
	}
	put("a.ics", "a")
	hrefs, token := sync("")
	if !slices.Equal(hrefs, []string{cal + "a.ics"}) || token == "" {
		t.Fatalf("initial sync: %v, token %q", hrefs, token)
	}
	put("b.ics", "b")
	if hrefs, next := sync(token); !slices.Equal(hrefs, []string{cal + "b.ics"}) || next == token {
		t.Fatalf("incremental sync: %v, token %q", hrefs, next)
	}
	rec := env.Do("REPORT", cal, acc.Login, `<D:sync-collection xmlns:D="DAV:"><D:sync-token/><D:sync-level>2</D:sync-level><D:prop/></D:sync-collection>`)
	if rec.Code != http.StatusBadRequest {
		t.Errorf("sync-level 2: %d", rec.Code)
	}
}
