package caldav

import (
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emersion/go-ical"

	"almanac/caldav/filter"
	aical "almanac/internal/ical"
	"almanac/storage"
	"almanac/storage/bolt"
)

// soundRuns numbers the runs of TestTimeIndexSound in one process, so
// that `go test -count=N` checks N different sets of objects: run i
// uses seed i, which the failure message names.
var soundRuns atomic.Uint64

// TestTimeIndexSound proves the whole chain a windowed calendar-query
// rests on (timePlan): the timeline computed on PUT, stored by bolt,
// searched by Between and judged by the plan gives, for every object,
// every query zone and every range, exactly the matcher's answer. An
// object answered from metadata must match (no false answer), and one
// the matcher finds must be answered or read (none lost). The objects
// are the span test's hand-made shapes and random ones: UTC, TZID (zones
// with DST, a 30-minute DST, a southern one), floating and DATE times,
// events, to-dos and journals, rules daily to monthly with COUNT, UNTIL
// or no end, EXDATEs and moved instances, around the DST changes; the
// ranges lie around them and reach past the timelines' horizon.
func TestTimeIndexSound(t *testing.T) {
	seed := soundRuns.Add(1)
	rng := rand.New(rand.NewPCG(seed, 19))
	ctx := context.Background()
	db, err := bolt.Open(filepath.Join(t.TempDir(), "a.db"), bolt.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	acc := &storage.Account{Login: "a@example.com", PasswordHash: "x"}
	if err := db.CreateAccount(ctx, acc); err != nil {
		t.Fatal(err)
	}
	if err := db.CreateCollection(ctx, &storage.Collection{Owner: acc.ID, Name: "c", Kind: storage.KindCalendar}); err != nil {
		t.Fatal(err)
	}
	// The write's clock: horizons two years from mid-2026.
	now := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)

	objects := map[string][]byte{}
	for name, body := range spanObjects {
		comp := strings.SplitN(body[len("BEGIN:"):], "\r\n", 2)[0]
		objects["fixed "+name] = []byte("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\n" + body +
			"UID:" + name + "\r\nDTSTAMP:20260101T000000Z\r\nEND:" + comp + "\r\nEND:VCALENDAR\r\n")
	}
	for name, body := range spanOverrides {
		objects["fixed "+name] = []byte("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\n" + body + "END:VCALENDAR\r\n")
	}
	var anchors []time.Time
	for i := range 60 {
		data, anchor := randomObject(rng, i)
		objects[fmt.Sprintf("random %d", i)] = data
		anchors = append(anchors, anchor)
	}
	type stored struct {
		cal  *ical.Calendar
		span storage.Span
		etag string
	}
	byName := map[string]stored{}
	for name, data := range objects {
		b := aical.NewBudget(aical.ObjectWork)
		info, err := aical.ValidateObjectWithin(data, b)
		if err != nil {
			// A random shape PUT refuses (a rule that yields nothing,
			// say) is never stored.
			if strings.HasPrefix(name, "random") {
				continue
			}
			if name == "fixed event unknown tz" {
				continue // refused on PUT now; the span test covers it
			}
			t.Fatalf("%s: %v", name, err)
		}
		p := storage.PutObject{Owner: acc.ID, Collection: "c", Name: name, UID: name, Component: info.Component,
			ContentType: "text/calendar", Span: objectSpan(info.Span), Timeline: objectTimeline(info, b, now), Data: data}
		m, _, err := db.Put(ctx, p)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		byName[name] = stored{cal: info.Calendar, span: p.Span, etag: m.ETag}
	}
	if len(byName) < len(spanObjects)+30 {
		t.Fatalf("only %d objects stored; the generator makes too many invalid ones", len(byName))
	}

	var zones []*time.Location
	for _, z := range []string{"", "UTC", "Etc/GMT+12", "America/New_York", "Europe/Zurich", "Australia/Lord_Howe", "Pacific/Kiritimati"} {
		if z == "" {
			zones = append(zones, nil)
			continue
		}
		loc, err := time.LoadLocation(z)
		if err != nil {
			t.Fatal(err)
		}
		zones = append(zones, loc)
	}
	type span struct{ s, e time.Time }
	var ranges []span
	lengths := []time.Duration{time.Second, 30 * time.Minute, 2 * time.Hour, 24 * time.Hour, 7 * 24 * time.Hour, 40 * 24 * time.Hour}
	fixed := time.Date(2026, 3, 10, 0, 0, 0, 0, time.UTC)
	for range 120 {
		a := fixed
		if rng.IntN(3) > 0 {
			a = anchors[rng.IntN(len(anchors))]
		}
		s := a.Add(time.Duration(rng.IntN(2*24*14)-24) * 30 * time.Minute)
		switch rng.IntN(12) {
		case 0:
			ranges = append(ranges, span{s, time.Time{}})
		case 1:
			ranges = append(ranges, span{time.Time{}, s})
		case 2:
			// Past the horizon of the timelines.
			s = now.Add(time.Duration(700+rng.IntN(100)) * 24 * time.Hour)
			ranges = append(ranges, span{s, s.Add(lengths[rng.IntN(len(lengths))])})
		default:
			ranges = append(ranges, span{s, s.Add(lengths[rng.IntN(len(lengths))])})
		}
	}

	checks, answered, read, matched := 0, 0, 0, 0
	for _, loc := range zones {
		for ri, r := range ranges {
			for _, comp := range []string{aical.CompEvent, aical.CompToDo, aical.CompJournal} {
				f := &filter.Filter{Location: loc, Comp: filter.CompFilter{Name: "VCALENDAR", Comps: []filter.CompFilter{
					{Name: comp, TimeRange: &filter.TimeRange{Start: r.s, End: r.e}},
				}}}
				ws, we, ok := queryWindow(f)
				if !ok {
					t.Fatalf("no window for %v", r)
				}
				for _, metadata := range []bool{true, false} {
					if !metadata && ri%4 != 0 {
						continue
					}
					pl := newTimePlan(f, ws, we, loc, metadata)
					reported := map[string]storage.Take{}
					// A metadata query asks for ETags alone, as clients
					// do: the ETag each member is answered with is the
					// stored one.
					report := func(name, etag string, take storage.Take) error {
						if _, dup := reported[name]; dup {
							return fmt.Errorf("%s reported twice", name)
						}
						if o, ok := byName[name]; ok && etag != o.etag {
							return fmt.Errorf("%s reported with ETag %q, stored %q", name, etag, o.etag)
						}
						reported[name] = take
						return nil
					}
					var etags func(name, etag []byte) error
					if metadata {
						etags = func(name, etag []byte) error { return report(string(name), string(etag), storage.TakeMatch) }
					}
					err := db.Between(ctx, acc.ID, "c", pl.query(etags), func(m *storage.ObjectMeta, take storage.Take) error {
						return report(m.Name, m.ETag, take)
					})
					if err != nil {
						t.Fatal(err)
					}
					for name, o := range byName {
						want, err := f.Match(o.cal)
						if err != nil {
							t.Fatal(err)
						}
						checks++
						v := reported[name]
						got := v == storage.TakeMatch
						switch v {
						case storage.TakeMatch:
							answered++
						case storage.TakeRead:
							if o.span.Overlaps(ws, we) {
								read++
								got, _ = f.Match(o.cal)
							}
						}
						if want {
							matched++
						}
						if got != want {
							t.Fatalf("seed %d: %s, %s query [%v, %v) in %v, metadata %v: verdict %d gives %v, the matcher %v\n%s",
								seed, name, comp, r.s, r.e, loc, metadata, v, got, want, objects[name])
						}
					}
				}
			}
		}
	}
	t.Logf("seed %d: %d objects, %d checks, %d matches: %d answered from the index, %d read", seed, len(byName), checks, matched, answered, read)
	if answered == 0 || matched == 0 {
		t.Fatal("nothing answered from the index; the test checks nothing")
	}
}

// randomObject makes a calendar object of a random shape whose first
// instance is near a DST change of 2026, and returns that time.
func randomObject(rng *rand.Rand, i int) ([]byte, time.Time) {
	days := []time.Time{
		time.Date(2026, 3, 8, 0, 0, 0, 0, time.UTC), time.Date(2026, 3, 29, 0, 0, 0, 0, time.UTC),
		time.Date(2026, 4, 5, 0, 0, 0, 0, time.UTC), time.Date(2026, 10, 4, 0, 0, 0, 0, time.UTC),
		time.Date(2026, 10, 25, 0, 0, 0, 0, time.UTC), time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC),
	}
	start := days[rng.IntN(len(days))].Add(time.Duration(rng.IntN(5)-3)*24*time.Hour + time.Duration(rng.IntN(48))*30*time.Minute)
	comp := []string{aical.CompEvent, aical.CompEvent, aical.CompEvent, aical.CompToDo, aical.CompJournal}[rng.IntN(5)]
	tzids := []string{"Europe/Zurich", "America/New_York", "Australia/Lord_Howe", "America/Santiago", "Asia/Kolkata"}
	kind := rng.IntN(4) // 0 UTC, 1 TZID, 2 floating, 3 DATE
	tzid := tzids[rng.IntN(len(tzids))]
	format := func(name string, t time.Time) string {
		switch kind {
		case 0:
			return name + ":" + t.Format("20060102T150405Z")
		case 1:
			return name + ";TZID=" + tzid + ":" + t.Format("20060102T150405")
		case 2:
			return name + ":" + t.Format("20060102T150405")
		}
		return name + ";VALUE=DATE:" + t.Format("20060102")
	}
	var b strings.Builder
	uid := fmt.Sprintf("r%d", i)
	b.WriteString("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\nBEGIN:" + comp + "\r\nUID:" + uid + "\r\nDTSTAMP:20260101T000000Z\r\n")
	hasStart := comp != aical.CompToDo || rng.IntN(3) > 0
	if hasStart {
		b.WriteString(format("DTSTART", start) + "\r\n")
	}
	length := []time.Duration{0, 30 * time.Minute, 3 * time.Hour, 24 * time.Hour, 50 * time.Hour}[rng.IntN(5)]
	if kind == 3 {
		length = time.Duration(rng.IntN(3)) * 24 * time.Hour
	}
	switch {
	case comp == aical.CompEvent && length > 0 && rng.IntN(2) == 0:
		b.WriteString(format("DTEND", start.Add(length)) + "\r\n")
	case comp == aical.CompEvent && length > 0:
		b.WriteString(fmt.Sprintf("DURATION:PT%dM\r\n", int(length.Minutes())))
	case comp == aical.CompToDo && (!hasStart || rng.IntN(2) == 0):
		b.WriteString(format("DUE", start.Add(length)) + "\r\n")
	case comp == aical.CompToDo && length > 0:
		b.WriteString(fmt.Sprintf("DURATION:PT%dM\r\n", int(length.Minutes())))
	}
	step := 24 * time.Hour
	if hasStart && rng.IntN(3) > 0 {
		freq := []string{"DAILY", "WEEKLY", "MONTHLY"}[rng.IntN(3)]
		interval := 1 + rng.IntN(3)
		if freq == "WEEKLY" {
			step = 7 * 24 * time.Hour
		}
		rule := "RRULE:FREQ=" + freq + fmt.Sprintf(";INTERVAL=%d", interval)
		switch rng.IntN(3) {
		case 0:
			rule += fmt.Sprintf(";COUNT=%d", 1+rng.IntN(30))
		case 1:
			until := start.Add(time.Duration(1+rng.IntN(60)) * 24 * time.Hour)
			if kind == 3 {
				rule += ";UNTIL=" + until.Format("20060102")
			} else if kind == 0 || kind == 1 {
				rule += ";UNTIL=" + until.UTC().Format("20060102T150405Z")
			} else {
				rule += ";UNTIL=" + until.Format("20060102T150405")
			}
		}
		b.WriteString(rule + "\r\n")
		if freq != "MONTHLY" && rng.IntN(2) == 0 {
			b.WriteString(format("EXDATE", start.Add(time.Duration(interval)*step)) + "\r\n")
		}
		if freq != "MONTHLY" && rng.IntN(3) == 0 {
			// Move the third instance by a few hours (or days).
			rid := start.Add(2 * time.Duration(interval) * step)
			moved := rid.Add(time.Duration(rng.IntN(96)-48) * time.Hour)
			b.WriteString("END:" + comp + "\r\nBEGIN:" + comp + "\r\nUID:" + uid + "\r\nDTSTAMP:20260101T000000Z\r\n")
			b.WriteString(format("RECURRENCE-ID", rid) + "\r\n" + format("DTSTART", moved) + "\r\n")
			if comp == aical.CompEvent && length > 0 {
				b.WriteString(format("DTEND", moved.Add(length)) + "\r\n")
			}
		}
	}
	b.WriteString("END:" + comp + "\r\nEND:VCALENDAR\r\n")
	return []byte(b.String()), start
}
