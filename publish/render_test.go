package publish

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-ical"

	aical "almanac/internal/ical"
	"almanac/sharing"
	"almanac/storage"
)

// obj builds a stored object from iCalendar lines (CRLF added).
func obj(name, comp string, lines ...string) *storage.Object {
	data := "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n" + strings.Join(lines, "\r\n") + "\r\nEND:VCALENDAR\r\n"
	o := &storage.Object{Data: []byte(data)}
	o.Name, o.Component = name, comp
	if cal, err := aical.Parse(o.Data); err == nil {
		if s, e, open, ok := aical.Span(cal); ok {
			o.Span = storage.Span{Known: true, Start: s, End: e, Open: open}
		}
	}
	return o
}

func event(uid string, extra ...string) []string {
	return append([]string{"BEGIN:VEVENT", "UID:" + uid, "DTSTAMP:20260101T000000Z",
		"DTSTART:20260310T100000Z", "DTEND:20260310T110000Z", "SUMMARY:Meeting " + uid}, append(extra, "END:VEVENT")...)
}

var fixed = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func render(t *testing.T, f *Feed, objs ...*storage.Object) string {
	t.Helper()
	if f.Now.IsZero() {
		f.Now = fixed
	}
	if f.TTL == 0 {
		f.TTL = time.Hour
	}
	out, err := f.Render(func(fn func(*storage.Object) error) error {
		for _, o := range objs {
			if err := fn(o); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	s := string(out)
	// Every feed is one valid calendar with CRLF lines of at most 75
	// octets.
	for i, l := range strings.Split(strings.TrimSuffix(s, "\r\n"), "\r\n") {
		if len(l) > 75 || strings.Contains(l, "\n") {
			t.Fatalf("line %d: %q is longer than 75 octets or not CRLF-ended", i+1, l)
		}
	}
	if _, err := ical.NewDecoder(strings.NewReader(s)).Decode(); err != nil {
		t.Fatalf("feed does not parse with go-ical: %v\n%s", err, s)
	}
	return s
}

// unfolded returns the feed's logical lines.
func unfolded(s string) []string {
	return strings.Split(strings.TrimSuffix(strings.ReplaceAll(s, "\r\n ", ""), "\r\n"), "\r\n")
}

func has(s, line string) bool {
	for _, l := range unfolded(s) {
		if l == line {
			return true
		}
	}
	return false
}

func TestRenderHeader(t *testing.T) {
	s := render(t, &Feed{Tier: sharing.TierFull, Name: "Team, Berlin; Q1", TimeZone: "Europe/Berlin", TTL: 90 * time.Minute})
	for _, want := range []string{"BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//almanac//public feed//EN", "CALSCALE:GREGORIAN",
		"METHOD:PUBLISH", `X-WR-CALNAME:Team\, Berlin\; Q1`, "X-WR-TIMEZONE:Europe/Berlin",
		"REFRESH-INTERVAL;VALUE=DURATION:PT1H30M", "X-PUBLISHED-TTL:PT1H30M", "END:VCALENDAR"} {
		if !has(s, want) {
			t.Errorf("feed lacks %q:\n%s", want, s)
		}
	}
}

func TestRenderTiers(t *testing.T) {
	full := obj("a.ics", "VEVENT", event("a",
		"DESCRIPTION:secret agenda", "LOCATION:Room 1", "ORGANIZER:mailto:boss@example.com",
		"ATTENDEE;CN=Ann:mailto:ann@example.com", "ATTACH:https://example.com/doc.pdf",
		"X-ALT-DESC;FMTTYPE=text/html:<b>secret</b>", "CATEGORIES:Work", "RRULE:FREQ=WEEKLY;COUNT=3",
		"BEGIN:VALARM", "ACTION:DISPLAY", "TRIGGER:-PT15M", "DESCRIPTION:alarm text", "END:VALARM")...)
	tests := []struct {
		tier      string
		want, not []string
	}{
		{sharing.TierFull,
			[]string{"SUMMARY:Meeting a", "DESCRIPTION:secret agenda", "LOCATION:Room 1", "ORGANIZER:mailto:boss@example.com", "ATTENDEE;CN=Ann:mailto:ann@example.com", "RRULE:FREQ=WEEKLY;COUNT=3", "CATEGORIES:Work"},
			[]string{"BEGIN:VALARM", "TRIGGER:-PT15M", "DESCRIPTION:alarm text"}},
		{sharing.TierLimited,
			[]string{"SUMMARY:Meeting a", "LOCATION:Room 1", "DTSTART:20260310T100000Z", "RRULE:FREQ=WEEKLY;COUNT=3", "UID:a"},
			[]string{"DESCRIPTION:secret agenda", "ORGANIZER:mailto:boss@example.com", "ATTENDEE;CN=Ann:mailto:ann@example.com", "ATTACH:https://example.com/doc.pdf", "X-ALT-DESC;FMTTYPE=text/html:<b>secret</b>", "CATEGORIES:Work", "BEGIN:VALARM"}},
		{sharing.TierBusy,
			[]string{"SUMMARY:Busy", "DTSTART:20260310T100000Z", "DTEND:20260310T110000Z", "RRULE:FREQ=WEEKLY;COUNT=3", "UID:a"},
			[]string{"SUMMARY:Meeting a", "LOCATION:Room 1", "DESCRIPTION:secret agenda", "ORGANIZER:mailto:boss@example.com", "BEGIN:VALARM"}},
	}
	for _, tt := range tests {
		t.Run(tt.tier, func(t *testing.T) {
			s := render(t, &Feed{Tier: tt.tier}, full)
			for _, w := range tt.want {
				if !has(s, w) {
					t.Errorf("lacks %q", w)
				}
			}
			for _, n := range tt.not {
				if has(s, n) {
					t.Errorf("leaks %q", n)
				}
			}
			if tt.tier != sharing.TierFull && strings.Contains(s, "secret") {
				t.Errorf("secret text in %s tier:\n%s", tt.tier, s)
			}
		})
	}
}

func TestRenderClass(t *testing.T) {
	objs := []*storage.Object{
		obj("pub.ics", "VEVENT", event("pub", "CLASS:PUBLIC")...),
		obj("priv.ics", "VEVENT", event("priv", "CLASS:PRIVATE", "DESCRIPTION:private stuff")...),
		obj("conf.ics", "VEVENT", event("conf", "class:confidential", "LOCATION:clinic", "DESCRIPTION:diagnosis")...),
	}
	for _, tier := range sharing.Tiers {
		t.Run(tier, func(t *testing.T) {
			s := render(t, &Feed{Tier: tier}, objs...)
			if strings.Contains(s, "UID:priv") || strings.Contains(s, "private stuff") {
				t.Errorf("CLASS:PRIVATE published:\n%s", s)
			}
			if !has(s, "UID:conf") || strings.Contains(s, "clinic") || strings.Contains(s, "diagnosis") || strings.Contains(s, "Meeting conf") {
				t.Errorf("CLASS:CONFIDENTIAL not reduced to busy:\n%s", s)
			}
			if !has(s, "UID:pub") {
				t.Errorf("public event missing")
			}
			if got := strings.Count(s, "SUMMARY:Busy"); (tier == sharing.TierBusy && got != 2) || (tier != sharing.TierBusy && got != 1) {
				t.Errorf("%d busy events", got)
			}
		})
	}
}

func TestRenderComponentsAndWindow(t *testing.T) {
	todo := obj("t.ics", "VTODO", "BEGIN:VTODO", "UID:t", "DTSTAMP:20260101T000000Z", "SUMMARY:task", "END:VTODO")
	past := obj("old.ics", "VEVENT", "BEGIN:VEVENT", "UID:old", "DTSTAMP:20250101T000000Z", "DTSTART:20250110T100000Z", "DTEND:20250110T110000Z", "SUMMARY:old", "END:VEVENT")
	weekly := obj("w.ics", "VEVENT", "BEGIN:VEVENT", "UID:w", "DTSTAMP:20250101T000000Z", "DTSTART:20250106T100000Z", "DTEND:20250106T110000Z", "RRULE:FREQ=WEEKLY", "SUMMARY:weekly", "END:VEVENT")
	now := obj("n.ics", "VEVENT", event("n")...)
	all := []*storage.Object{todo, past, weekly, now}

	s := render(t, &Feed{Tier: sharing.TierFull}, all...)
	for _, uid := range []string{"t", "old", "w", "n"} {
		if !has(s, "UID:"+uid) {
			t.Errorf("unfiltered feed lacks %s", uid)
		}
	}
	s = render(t, &Feed{Tier: sharing.TierFull, Components: []string{"VEVENT"}}, all...)
	if has(s, "UID:t") || !has(s, "UID:n") {
		t.Errorf("component filter VEVENT:\n%s", s)
	}
	s = render(t, &Feed{Tier: sharing.TierBusy}, all...)
	if has(s, "UID:t") {
		t.Errorf("busy tier publishes a task")
	}
	// A window from 30 days before fixed to a year after keeps the
	// recurring event and today's, not last year's.
	s = render(t, &Feed{Tier: sharing.TierFull, Start: fixed.AddDate(0, 0, -30), End: fixed.AddDate(1, 0, 0)}, all...)
	if has(s, "UID:old") || !has(s, "UID:w") || !has(s, "UID:n") {
		t.Errorf("window:\n%s", s)
	}
}

func TestRenderTimezones(t *testing.T) {
	zurich := []string{"BEGIN:VTIMEZONE", "TZID:Europe/Zurich", "X-STORED:yes", "BEGIN:STANDARD", "DTSTART:19701025T030000",
		"TZOFFSETFROM:+0200", "TZOFFSETTO:+0100", "RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU", "END:STANDARD",
		"BEGIN:DAYLIGHT", "DTSTART:19700329T020000", "TZOFFSETFROM:+0100", "TZOFFSETTO:+0200",
		"RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU", "END:DAYLIGHT", "END:VTIMEZONE"}
	zoned := func(uid, tzid string) []string {
		return []string{"BEGIN:VEVENT", "UID:" + uid, "DTSTAMP:20260101T000000Z", "DTSTART;TZID=" + tzid + ":20260310T100000",
			"DTEND;TZID=" + tzid + ":20260310T110000", "SUMMARY:zoned", "END:VEVENT"}
	}
	objs := []*storage.Object{
		obj("z1.ics", "VEVENT", append(append([]string{}, zurich...), zoned("z1", "Europe/Zurich")...)...),
		obj("z2.ics", "VEVENT", append(append([]string{}, zurich...), zoned("z2", "Europe/Zurich")...)...),
		obj("ny.ics", "VEVENT", zoned("ny", "America/New_York")...),
		obj("win.ics", "VEVENT", zoned("win", `"W. Europe Standard Time"`)...),
		obj("moz.ics", "VEVENT", zoned("moz", "/mozilla.org/20070129_1/America/New_York")...),
	}
	s := render(t, &Feed{Tier: sharing.TierFull}, objs...)
	for tzid, n := range map[string]int{"Europe/Zurich": 1, "America/New_York": 1} {
		if got := strings.Count(s, "TZID:"+tzid+"\r\n"); got != n {
			t.Errorf("%d VTIMEZONE for %s, want %d", got, tzid, n)
		}
	}
	if !strings.Contains(s, "X-STORED:yes") {
		t.Error("the stored Europe/Zurich definition was not used")
	}
	if strings.Contains(s, "Standard Time") || strings.Contains(s, "mozilla.org") {
		t.Errorf("Windows or vendor TZID left in the feed:\n%s", s)
	}
	win, _ := aical.IANAName("W. Europe Standard Time")
	if !has(s, "DTSTART;TZID="+win+":20260310T100000") || strings.Count(s, "TZID:"+win+"\r\n") != 1 {
		t.Errorf("Windows zone not published as %s:\n%s", win, s)
	}
	// Every TZID used has its VTIMEZONE: go-ical's decoder and our own
	// zone resolution agree on the instant.
	cal, err := aical.Parse([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	zones := aical.ZonesOf(cal)
	for _, c := range cal.Children {
		if c.Name != "VEVENT" {
			continue
		}
		p := c.Props.Get("DTSTART")
		tzid := p.Params.Get("TZID")
		if _, ok := zones.Lookup(tzid); !ok {
			t.Errorf("TZID %q does not resolve", tzid)
		}
	}
}

func TestFormatDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{time.Hour: "PT1H", 90 * time.Minute: "PT1H30M", 24 * time.Hour: "P1D",
		36*time.Hour + 5*time.Second: "P1DT12H5S", 0: "PT1S"} {
		if got := formatDuration(d); got != want {
			t.Errorf("formatDuration(%v) = %s, want %s", d, got, want)
		}
	}
}

func TestSplitAndTZID(t *testing.T) {
	name, value := split(`DTSTART;TZID="a:b";X=1:20260101T000000`)
	if name != "DTSTART" || value != "20260101T000000" {
		t.Errorf("split = %q %q", name, value)
	}
	line := `DTSTART;X-P="q;:";tzid="W. Europe Standard Time":20260101T000000`
	s, e, ok := tzidParam(line)
	if !ok || line[s:e] != `"W. Europe Standard Time"` {
		t.Errorf("tzidParam = %q %v", line[s:e], ok)
	}
	if _, _, ok := tzidParam("DTSTART:20260101T000000Z"); ok {
		t.Error("TZID found where there is none")
	}
}

func BenchmarkRender10k(b *testing.B) {
	objs := make([]*storage.Object, 10000)
	for i := range objs {
		uid := "ev-" + strconv.Itoa(i)
		lines := event(uid, "DESCRIPTION:Agenda for meeting number "+strings.Repeat("n", i%40), "LOCATION:Room 12",
			"BEGIN:VALARM", "ACTION:DISPLAY", "TRIGGER:-PT15M", "END:VALARM")
		if i%4 == 0 {
			lines = []string{"BEGIN:VEVENT", "UID:" + uid, "DTSTAMP:20260101T000000Z",
				"DTSTART;TZID=Europe/Berlin:20260310T100000", "DTEND;TZID=Europe/Berlin:20260310T110000",
				"RRULE:FREQ=WEEKLY;COUNT=10", "SUMMARY:weekly", "END:VEVENT"}
		}
		objs[i] = obj("o.ics", "VEVENT", lines...)
	}
	for _, tier := range sharing.Tiers {
		b.Run(tier, func(b *testing.B) {
			f := &Feed{Tier: tier, TTL: time.Hour, Now: fixed}
			b.ReportAllocs()
			for b.Loop() {
				out, err := f.Render(func(fn func(*storage.Object) error) error {
					for _, o := range objs {
						fn(o)
					}
					return nil
				})
				if err != nil || len(out) == 0 {
					b.Fatal(err)
				}
				b.SetBytes(int64(len(out)))
			}
		})
	}
}

// TestRenderedFeedAsJCal checks that every tier's feed, zones and
// recurrences included, converts to jCal of RFC 7265's structure.
func TestRenderedFeedAsJCal(t *testing.T) {
	objs := []*storage.Object{
		obj("z.ics", "VEVENT", "BEGIN:VEVENT", "UID:z", "DTSTAMP:20260101T000000Z", "DTSTART;TZID=W. Europe Standard Time:20260310T100000",
			"DURATION:PT1H", "RRULE:FREQ=WEEKLY;BYDAY=MO,WE;UNTIL=20260401T000000Z", "EXDATE;TZID=W. Europe Standard Time:20260311T100000",
			"SUMMARY:Standup\\, daily", "GEO:52.52;13.40", "END:VEVENT"),
		obj("d.ics", "VEVENT", "BEGIN:VEVENT", "UID:d", "DTSTAMP:20260101T000000Z", "DTSTART;VALUE=DATE:20260320", "SUMMARY:Holiday", "END:VEVENT"),
		obj("t.ics", "VTODO", "BEGIN:VTODO", "UID:t", "DTSTAMP:20260101T000000Z", "DUE:20260330T170000Z", "PRIORITY:1", "SUMMARY:Report", "END:VTODO"),
	}
	for _, tier := range sharing.Tiers {
		t.Run(tier, func(t *testing.T) {
			var buf bytes.Buffer
			if err := WriteJCal(&buf, []byte(render(t, &Feed{Tier: tier}, objs...))); err != nil {
				t.Fatal(err)
			}
			var v any
			if err := json.Unmarshal(buf.Bytes(), &v); err != nil {
				t.Fatalf("not JSON: %v", err)
			}
			validateJCal(t, v)
			if !strings.Contains(buf.String(), `["dtstart",{"tzid":"Europe/Berlin"},"date-time","2026-03-10T10:00:00"]`) {
				t.Errorf("zoned DTSTART not in jCal form:\n%.600s", buf.String())
			}
		})
	}
}
