package main

import (
	"io"
	"net/http"
	"strings"
	"testing"
)

func imipReply(from, partstat string) string {
	return "From: " + from + "\r\nTo: alice@example.com\r\nSubject: Accepted: Sync\r\nMIME-Version: 1.0\r\n" +
		"Content-Type: text/calendar; method=REPLY; charset=utf-8\r\n\r\n" +
		"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//guest//EN\r\nMETHOD:REPLY\r\nBEGIN:VEVENT\r\nUID:sync-1\r\n" +
		"DTSTAMP:20260301T000000Z\r\nDTSTART:20260310T090000Z\r\nORGANIZER:mailto:alice@example.com\r\n" +
		"ATTENDEE;PARTSTAT=" + partstat + ":mailto:guest@outside.test\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
}

// TestIMIPDeliverWhileServing: `almanac imip deliver` runs inside the
// running server through the admin socket, applies a guest's reply to the
// organizer's event, and refuses a forged one with its reason, changing
// nothing.
func TestIMIPDeliverWhileServing(t *testing.T) {
	dir := t.TempDir()
	addr, _ := startServe(t, dir)
	const pw = "a-long-password"
	if code, _, errs := runCmd(t, pw+"\n", "user", "add", "-data", dir, "-handle", "alice", "alice@example.com"); code != 0 {
		t.Fatalf("user add: %s", errs)
	}
	url := "http://" + addr + "/dav/calendars/alice/default/sync.ics"
	do := func(method, body string) (int, string) {
		t.Helper()
		req, err := http.NewRequest(method, url, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.SetBasicAuth("alice@example.com", pw)
		req.Header.Set("Content-Type", "text/calendar")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, strings.ReplaceAll(string(b), "\r\n ", "")
	}
	event := "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\nBEGIN:VEVENT\r\nUID:sync-1\r\nDTSTAMP:20260101T000000Z\r\n" +
		"DTSTART:20260310T090000Z\r\nDTEND:20260310T100000Z\r\nSUMMARY:Sync\r\nORGANIZER:mailto:alice@example.com\r\n" +
		"ATTENDEE;PARTSTAT=NEEDS-ACTION;RSVP=TRUE:mailto:guest@outside.test\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
	if code, body := do("PUT", event); code != http.StatusCreated {
		t.Fatalf("PUT: %d %s", code, body)
	}
	code, out, errs := runCmd(t, imipReply("Mallory <mallory@outside.test>", "ACCEPTED"), "imip", "deliver", "-data", dir)
	if code == 0 || !strings.Contains(errs, "the sender is not the attendee") {
		t.Errorf("forged reply: exit %d, %q %q", code, out, errs)
	}
	if _, body := do("GET", ""); !strings.Contains(body, "PARTSTAT=NEEDS-ACTION") {
		t.Errorf("the forged reply changed the event:\n%s", body)
	}
	code, out, errs = runCmd(t, imipReply("Guest <guest@outside.test>", "ACCEPTED"), "imip", "deliver", "-data", dir, "-sender", "guest@outside.test")
	if code != 0 || !strings.Contains(out, "reply of guest@outside.test applied") {
		t.Fatalf("reply: exit %d, %q %q", code, out, errs)
	}
	if _, body := do("GET", ""); !strings.Contains(body, "PARTSTAT=ACCEPTED;RSVP=TRUE;SCHEDULE-STATUS=2.0:mailto:guest@outside.test") {
		t.Errorf("the reply did not reach the event:\n%s", body)
	}
	// A counter-proposal is filed for the organizer, the event unchanged.
	before := func() string { _, body := do("GET", ""); return body }()
	counter := strings.Replace(strings.Replace(imipReply("Guest <guest@outside.test>", "ACCEPTED"), "REPLY", "COUNTER", -1), "DTSTART:20260310T090000Z", "DTSTART:20260310T110000Z", 1)
	code, out, errs = runCmd(t, counter, "imip", "deliver", "-data", dir, "-sender", "guest@outside.test")
	if code != 0 || !strings.Contains(out, "counter-proposal of guest@outside.test filed") {
		t.Fatalf("counter: exit %d, %q %q", code, out, errs)
	}
	if _, body := do("GET", ""); body != before {
		t.Errorf("the counter-proposal changed the event:\n%s", body)
	}
}
