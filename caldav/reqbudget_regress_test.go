package caldav_test

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"almanac/caldav"
	"almanac/internal/davtest"
	aical "almanac/internal/ical"
)

// costlyRule is within the work limits and costs a walk over all of time
// about half of internal/ical's WalkWork (88,206 candidate times a year
// for one occurrence, ten years), while rrule-go spends little time on
// it: a request over 200 such objects costs a hundred walks' worth.
var costlyRule = "RRULE:FREQ=YEARLY;BYDAY=MO,TU,WE,TH,FR,SA,SU;BYHOUR=" + numbers(0, 23) +
	";BYMINUTE=0,1,2,3,4,5,6,7,8,9;BYSETPOS=1;UNTIL=20351231T235959Z"

func costlyEvent(i int) string {
	return calendar([]string{"BEGIN:VEVENT", fmt.Sprintf("UID:costly-%d", i), "DTSTAMP:20260101T000000Z",
		"DTSTART:20260101T000000Z", "DTEND:20260101T010000Z", costlyRule, "END:VEVENT"})
}

// fillWith stores objects 0..n-1 made by data in cal, each with the span
// a PUT computes, from a few writers so group commit shares fsyncs.
func fillWith(tb testing.TB, e *env, cal string, n int, name func(int) string, data func(int) string) {
	tb.Helper()
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		fail error
	)
	for w := range 16 {
		wg.Go(func() {
			for i := w; i < n; i += 16 {
				p, err := caldav.PutObjectOf(e.alice.ID, cal, name(i), []byte(data(i)))
				if err == nil {
					_, _, err = e.store.Put(context.Background(), p)
				}
				if err != nil {
					mu.Lock()
					fail = fmt.Errorf("object %d: %w", i, err)
					mu.Unlock()
					return
				}
			}
		})
	}
	wg.Wait()
	if fail != nil {
		tb.Fatal(fail)
	}
}

// budgetsOf records the request budgets e's handler makes.
func budgetsOf(t *testing.T, e *env) *[]*aical.Budget {
	var got []*aical.Budget
	restore := caldav.SetBudgetHook(func(h *caldav.Calendars, b *aical.Budget) {
		if h == e.kind {
			got = append(got, b)
		}
	})
	t.Cleanup(restore)
	return &got
}

var andMore = regexp.MustCompile(` and (\d+) more$`)

// cutCount is the number of members a 507 (davtree.ReportCut) says were
// cut short: those it names and "and N more".
func cutCount(t *testing.T, cut *limitResponse) int {
	t.Helper()
	if cut == nil {
		return 0
	}
	n := strings.Count(cut.Description, "/dav/calendars/")
	if m := andMore.FindStringSubmatch(cut.Description); m != nil {
		more, _ := strconv.Atoi(m[1])
		n += more
	}
	return n
}

const (
	allStart = "19000101T000000Z"
	allEnd   = "99991231T235959Z"
)

// TestReports_OneBudgetPerRequest: every walk was bounded (issue 12), but
// a request walked every object with a budget of its own, so 200 stored
// objects that each cost half a walk's budget cost one report a hundred
// walks' worth, and were all answered as if nothing was wrong. Now each
// report has one budget (internal/ical RequestWork) for every expansion
// it makes: the filter's and the calendar-data's of calendar-query, the
// calendar-data of multiget and sync-collection, free-busy. It stays
// within that budget; the objects it could pay for are answered in full
// and every other one is still answered, and named in the 507 (or
// counted in free-busy's COMMENT): none dropped, none passed off as
// complete.
func TestReports_OneBudgetPerRequest(t *testing.T) {
	const objects = 200
	e := newEnv(t, caldav.Options{})
	name := func(i int) string { return fmt.Sprintf("costly-%03d.ics", i) }
	fillWith(t, e, "default", objects, name, costlyEvent)
	var hrefs []string
	for i := range objects {
		hrefs = append(hrefs, e.obj("default", name(i)))
	}
	budgets := budgetsOf(t, e)
	// payable is how many objects' expansions the request's budget pays
	// for, from what one costs alone.
	payable, cost := objects, int64(0)
	cal, err := aical.Parse([]byte(costlyEvent(0)))
	if err != nil {
		t.Fatal(err)
	}
	one := aical.NewBudget(aical.RequestWork)
	truncated, err := aical.Instances(cal, aical.InstanceOptions{From: utc(allStart), To: utc(allEnd), Budget: one}, func(aical.Instance) bool { return true })
	if cost = one.Used(); err != nil || truncated || cost == 0 {
		t.Errorf("one object alone: truncated %v, err %v, cost %d units", truncated, err, cost)
	} else {
		payable = int((aical.RequestWork + cost) / cost)
	}

	expand := `<C:calendar-data><C:expand start="` + allStart + `" end="` + allEnd + `"/></C:calendar-data>`
	reports := map[string]string{
		"calendar-query": `<C:calendar-query ` + nsDecl + `><D:prop><D:getetag/>` + expand + `</D:prop><C:filter>` +
			`<C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT"><C:time-range start="` + allStart + `" end="` + allEnd + `"/>` +
			`</C:comp-filter></C:comp-filter></C:filter></C:calendar-query>`,
		"calendar-multiget": multiget(expand, hrefs...),
		"sync-collection": `<D:sync-collection ` + nsDecl + `><D:sync-token/><D:sync-level>1</D:sync-level><D:prop><D:getetag/>` +
			expand + `</D:prop></D:sync-collection>`,
	}
	for kind, body := range reports {
		*budgets = nil
		rec := e.report(e.cal("default"), body, "1")
		_, cut := limitReport(t, rec)
		ms := davtest.ParseMS(t, rec)
		complete := 0
		for _, h := range hrefs {
			data, _, ok := ms.Prop(h, "calendar-data")
			if !ok {
				t.Errorf("%s: %s missing from the answer", kind, h)
			}
			if strings.Count(data, "BEGIN:VEVENT") == 10 {
				complete++
			}
		}
		if n := cutCount(t, cut); complete+n != objects || n == 0 {
			t.Errorf("%s: %d expanded in full, %d reported cut short, of %d", kind, complete, n, objects)
		}
		if complete == 0 || complete > payable {
			t.Errorf("%s: %d objects expanded in full; the budget pays for %d", kind, complete, payable)
		}
		if cut != nil {
			wantCut(t, cut, e.cal("default"))
		}
		if len(*budgets) != 1 {
			t.Errorf("%s: %d request budgets, want one for the whole request", kind, len(*budgets))
		} else if used := (*budgets)[0].Used(); used > aical.RequestWork+cost {
			t.Errorf("%s: charged %d units; the request's budget is %d", kind, used, aical.RequestWork)
		}
	}

	*budgets = nil
	rec := e.report(e.cal("default"), freeBusyQuery(`<C:time-range start="`+allStart+`" end="`+allEnd+`"/>`), "1")
	body := strings.ReplaceAll(rec.Body.String(), "\r\n ", "")
	m := regexp.MustCompile(`\r\nCOMMENT:incomplete: the server's limits cut short the recurrence expansion of (\d+) object\(s\)\r\n`).FindStringSubmatch(body)
	if rec.Code != 200 || m == nil {
		t.Errorf("free-busy: %d, no COMMENT saying it was cut short\n%.2000s", rec.Code, body)
	} else if n, _ := strconv.Atoi(m[1]); n < objects-payable || n >= objects {
		t.Errorf("free-busy: %d objects cut short; the budget pays for %d of %d", n, payable, objects)
	}
	if strings.Count(body, "FREEBUSY;FBTYPE=BUSY:") != 10 {
		t.Errorf("free-busy: want the ten busy hours of the objects it could pay for\n%.2000s", body)
	}
	if len(*budgets) != 1 {
		t.Errorf("free-busy: %d request budgets, want one", len(*budgets))
	} else if used := (*budgets)[0].Used(); used > aical.RequestWork+cost {
		t.Errorf("free-busy: charged %d units; the request's budget is %d", used, aical.RequestWork)
	}
}

func utc(s string) time.Time {
	t, err := time.Parse("20060102T150405Z", s)
	if err != nil {
		panic(err)
	}
	return t
}

// ordinaryEvent is object i of a calendar of recurring events as people
// keep them: daily and weekday stand-ups, weekly and fortnightly
// meetings, monthly reviews, yearly birthdays, series with COUNT or
// UNTIL, exceptions and moved instances, in UTC and in zones.
func ordinaryEvent(i int) string {
	uid := fmt.Sprintf("UID:ordinary-%d", i)
	start := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, i%300)
	at := func(d time.Time, h int) string {
		return time.Date(d.Year(), d.Month(), d.Day(), h, 0, 0, 0, time.UTC).Format("20060102T150405")
	}
	h := 8 + i%9
	ev := []string{"BEGIN:VEVENT", uid, "DTSTAMP:20250101T000000Z", "SUMMARY:Ordinary " + strconv.Itoa(i)}
	var extra []string
	switch i % 8 {
	case 0:
		ev = append(ev, "DTSTART;TZID=Europe/Zurich:"+at(start, h), "DURATION:PT15M", "RRULE:FREQ=DAILY")
	case 1:
		ev = append(ev, "DTSTART;TZID=America/New_York:"+at(start, h), "DTEND;TZID=America/New_York:"+at(start, h+1),
			"RRULE:FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR", "EXDATE;TZID=America/New_York:"+at(start.AddDate(0, 0, 7), h))
	case 2:
		ev = append(ev, "DTSTART:"+at(start, h)+"Z", "DTEND:"+at(start, h+1)+"Z", "RRULE:FREQ=WEEKLY")
		extra = []string{"BEGIN:VEVENT", uid, "DTSTAMP:20250101T000000Z", "RECURRENCE-ID:" + at(start.AddDate(0, 0, 21), h) + "Z",
			"DTSTART:" + at(start.AddDate(0, 0, 22), h) + "Z", "DTEND:" + at(start.AddDate(0, 0, 22), h+1) + "Z", "SUMMARY:moved", "END:VEVENT"}
	case 3:
		ev = append(ev, "DTSTART;TZID=Europe/Zurich:"+at(start, h), "DTEND;TZID=Europe/Zurich:"+at(start, h+2), "RRULE:FREQ=WEEKLY;INTERVAL=2;UNTIL=20271231T000000Z")
	case 4:
		ev = append(ev, "DTSTART:"+at(start, h)+"Z", "DTEND:"+at(start, h+1)+"Z", "RRULE:FREQ=MONTHLY;BYDAY=-1FR")
	case 5:
		ev = append(ev, "DTSTART;VALUE=DATE:"+start.Format("20060102"), "DTEND;VALUE=DATE:"+start.AddDate(0, 0, 1).Format("20060102"),
			"RRULE:FREQ=YEARLY", "TRANSP:TRANSPARENT")
	case 6:
		ev = append(ev, "DTSTART;TZID=Europe/Zurich:"+at(start, h), "DURATION:PT1H", "RRULE:FREQ=DAILY;COUNT=400")
	default:
		ev = append(ev, "DTSTART:"+at(start, h)+"Z", "DTEND:"+at(start, h+1)+"Z", "RRULE:FREQ=MONTHLY;BYMONTHDAY=1,15")
	}
	ev = append(ev, "END:VEVENT")
	if i%8 == 0 || i%8 == 3 || i%8 == 6 {
		return calendar(zurich, ev, extra)
	}
	return calendar(ev, extra)
}

// TestReports_OrdinaryCalendarInFull: the request's budget is far above
// what ordinary data costs. 3,000 recurring events, expanded over a
// month by calendar-query and sync-collection and turned into a year of
// free-busy, are answered in full: no 507, no COMMENT, every instance.
func TestReports_OrdinaryCalendarInFull(t *testing.T) {
	const objects = 3000
	e := newEnv(t, caldav.Options{})
	name := func(i int) string { return fmt.Sprintf("ordinary-%04d.ics", i) }
	fillWith(t, e, "default", objects, name, ordinaryEvent)
	budgets := budgetsOf(t, e)

	const from, to = "20260301T000000Z", "20260401T000000Z"
	want := 0 // instances in the month, each object walked alone
	for i := range objects {
		cal, err := aical.Parse([]byte(ordinaryEvent(i)))
		if err != nil {
			t.Fatal(err)
		}
		truncated, err := aical.Instances(cal, aical.InstanceOptions{From: utc(from), To: utc(to)}, func(aical.Instance) bool { want++; return true })
		if err != nil || truncated {
			t.Fatalf("object %d: truncated %v, err %v", i, truncated, err)
		}
	}
	expand := `<C:calendar-data><C:expand start="` + from + `" end="` + to + `"/></C:calendar-data>`
	for kind, body := range map[string]string{
		"calendar-query": `<C:calendar-query ` + nsDecl + `><D:prop>` + expand + `</D:prop><C:filter><C:comp-filter name="VCALENDAR">` +
			`<C:comp-filter name="VEVENT"><C:time-range start="` + from + `" end="` + to + `"/></C:comp-filter>` +
			`</C:comp-filter></C:filter></C:calendar-query>`,
		"sync-collection": `<D:sync-collection ` + nsDecl + `><D:sync-token/><D:sync-level>1</D:sync-level><D:prop>` +
			expand + `</D:prop></D:sync-collection>`,
	} {
		*budgets = nil
		rec := e.report(e.cal("default"), body, "1")
		if _, cut := limitReport(t, rec); cut != nil {
			t.Errorf("%s: 507 on ordinary data: %+v", kind, cut)
		}
		if got := strings.Count(rec.Body.String(), "BEGIN:VEVENT"); got != want {
			t.Errorf("%s: %d instances, want %d", kind, got, want)
		}
		if len(*budgets) == 1 {
			t.Logf("%s: %d units of %d", kind, (*budgets)[0].Used(), aical.RequestWork)
		}
	}
	*budgets = nil
	rec := e.report(e.cal("default"), freeBusyQuery(`<C:time-range start="20260101T000000Z" end="20270101T000000Z"/>`), "1")
	if rec.Code != 200 || strings.Contains(rec.Body.String(), "COMMENT") || !strings.Contains(rec.Body.String(), "FREEBUSY;FBTYPE=BUSY:") {
		t.Errorf("free-busy over a year: %d\n%.1000s", rec.Code, rec.Body)
	}
	if len(*budgets) == 1 {
		t.Logf("free-busy: %d units of %d", (*budgets)[0].Used(), aical.RequestWork)
	}
}
