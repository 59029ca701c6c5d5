package publish

import (
	"bytes"
	"strings"
	"testing"

	"almanac/sharing"
	"almanac/storage"
)

// Regression tests for stored data with real-world defects the ingest
// accepts (internal/ical, internal/vcard doc.go): feeds are documents of
// our own, so they carry what the data means in RFC form.

// TestRenderFeed_ByteOrderMark: an object stored with a leading UTF-8 BOM
// is published (it used to be passed over as unreadable), and the BOM
// does not reach the feed.
func TestRenderFeed_ByteOrderMark(t *testing.T) {
	o := obj("a.ics", "VEVENT", event("a")...)
	o.Data = append([]byte("\uFEFF"), o.Data...)
	for _, tier := range []string{sharing.TierFull, sharing.TierLimited, sharing.TierBusy} {
		s := render(t, &Feed{Tier: tier}, o, obj("b.ics", "VEVENT", event("b")...))
		if !has(s, "UID:a") || !has(s, "UID:b") {
			t.Errorf("%s feed lacks an event:\n%s", tier, s)
		}
		if strings.Contains(s, "\uFEFF") {
			t.Errorf("%s feed holds a BOM", tier)
		}
	}
}

// TestRenderCards_ByteOrderMark: the /vcf/ feed concatenates stored cards;
// a BOM at the start of one would end up before its BEGIN:VCARD in the
// middle of the file.
func TestRenderCards_ByteOrderMark(t *testing.T) {
	cards := []*storage.Object{
		{Data: []byte("BEGIN:VCARD\r\nVERSION:3.0\r\nUID:a\r\nFN:A\r\nEND:VCARD\r\n")},
		{Data: []byte("\uFEFFBEGIN:VCARD\nVERSION:4.0\nUID:b\nFN:B\nEND:VCARD")},
	}
	out, err := renderCards(func(fn func(*storage.Object) error) error {
		for _, c := range cards {
			if err := fn(c); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:a\r\nFN:A\r\nEND:VCARD\r\nBEGIN:VCARD\nVERSION:4.0\nUID:b\nFN:B\nEND:VCARD\r\n"
	if string(out) != want {
		t.Errorf("cards = %q, want %q", out, want)
	}
}

// TestRenderFeed_DurationTrailingT: DURATION:P1DT (stored as sent; RFC
// 5545 3.3.6 wants a time after T) is published as P1D in every tier, and
// so reaches jCal as a duration (RFC 7265 3.6.7), not an unknown value.
func TestRenderFeed_DurationTrailingT(t *testing.T) {
	o := obj("d.ics", "VEVENT", "BEGIN:VEVENT", "UID:d", "DTSTAMP:20260101T000000Z",
		"DTSTART:20260310T100000Z", "DURATION:P1DT", "SUMMARY:Offsite", "END:VEVENT")
	o2 := obj("w.ics", "VEVENT", "BEGIN:VEVENT", "UID:w", "DTSTAMP:20260101T000000Z",
		"DTSTART:20260310T100000Z", "DURATION:PT1H", "SUMMARY:Short", "END:VEVENT")
	for _, tier := range []string{sharing.TierFull, sharing.TierLimited, sharing.TierBusy} {
		s := render(t, &Feed{Tier: tier}, o, o2)
		if !has(s, "DURATION:P1D") || !has(s, "DURATION:PT1H") || strings.Contains(s, "P1DT") {
			t.Errorf("%s feed:\n%s", tier, s)
		}
		var js bytes.Buffer
		if err := WriteJCal(&js, []byte(s)); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(js.String(), `["duration",{},"duration","P1D"]`) {
			t.Errorf("%s jCal lacks the duration: %s", tier, js.String())
		}
	}
}

// TestWriteJCal_RFC6868: parameter values are decoded by RFC 6868 3's
// rules: ^n, ^' and ^^ only; "^N" and any other caret pair stay as
// written ("parsers MUST leave both the ^ and the following character in
// place").
func TestWriteJCal_RFC6868(t *testing.T) {
	got := eventJCal(t, `ATTENDEE;CN=a^Nb ^^N ^'c^' ^n:mailto:x@example.com`)
	want := `[["attendee",{"cn":"a^Nb ^N \"c\" \n"},"cal-address","mailto:x@example.com"]]`
	if got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

// TestRenderFeed_RFC6868TZID: a TZID parameter is matched to its
// VTIMEZONE by its decoded value (RFC 6868 3), so the definition is
// published with the event that uses it.
func TestRenderFeed_RFC6868TZID(t *testing.T) {
	zone := []string{"BEGIN:VTIMEZONE", `TZID:Office "HQ"`,
		"BEGIN:STANDARD", "DTSTART:19700101T000000", "TZOFFSETFROM:+0200", "TZOFFSETTO:+0200", "END:STANDARD",
		"END:VTIMEZONE"}
	o := obj("z.ics", "VEVENT", append(zone, "BEGIN:VEVENT", "UID:z", "DTSTAMP:20260101T000000Z",
		"DTSTART;TZID=Office ^'HQ^':20260310T100000", "DURATION:PT1H", "END:VEVENT")...)
	s := render(t, &Feed{Tier: sharing.TierFull}, o)
	if !has(s, `TZID:Office "HQ"`) || !has(s, "DTSTART;TZID=Office ^'HQ^':20260310T100000") {
		t.Errorf("feed lacks the zone or the event:\n%s", s)
	}
}
