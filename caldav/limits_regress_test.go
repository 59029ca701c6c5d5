package caldav_test

import (
	"context"
	"encoding/xml"
	"net/http/httptest"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"almanac/caldav"
	"almanac/internal/davtest"
	"almanac/storage"
)

func numbers(from, to int) string {
	var s []string
	for i := from; i <= to; i++ {
		s = append(s, strconv.Itoa(i))
	}
	return strings.Join(s, ",")
}

// bomb is issue 12's 631-byte event whose rule makes rrule-go build
// 31,622,400 candidate times per year.
var bomb = calendar([]string{"BEGIN:VEVENT", "UID:bomb", "DTSTAMP:20260101T000000Z",
	"DTSTART:20260101T000000Z", "DTEND:20260101T000001Z",
	"RRULE:FREQ=YEARLY;BYDAY=MO,TU,WE,TH,FR,SA,SU;BYHOUR=" + numbers(0, 23) + ";BYMINUTE=" + numbers(0, 59) + ";BYSECOND=" + numbers(0, 59),
	"END:VEVENT"})

// daily is an event every day at 09:00 UTC without end.
var daily = calendar([]string{"BEGIN:VEVENT", "UID:daily", "DTSTAMP:20260101T000000Z",
	"DTSTART:20260101T090000Z", "DTEND:20260101T100000Z", "RRULE:FREQ=DAILY", "SUMMARY:Daily", "END:VEVENT"})

// storeRaw writes an object straight to the store, as objects written
// before rules were checked (or imported) are, with no span: every query
// reads it.
func storeRaw(t *testing.T, e *env, coll, name, uid, data string) {
	t.Helper()
	_, _, err := e.store.Put(context.Background(), storage.PutObject{Owner: e.alice.ID, Collection: coll, Name: name,
		UID: uid, Component: "VEVENT", ContentType: "text/calendar", Data: []byte(data)})
	if err != nil {
		t.Fatal(err)
	}
}

// allocated returns the bytes f allocates, garbage included.
func allocated(f func()) uint64 {
	runtime.GC()
	var a, b runtime.MemStats
	runtime.ReadMemStats(&a)
	f()
	runtime.ReadMemStats(&b)
	return b.TotalAlloc - a.TotalAlloc
}

// limitResponse is a multistatus's 507 response for the request-URI
// (davtree.ReportCut), if any.
type limitResponse struct {
	Href        string `xml:"DAV: href"`
	Status      string `xml:"DAV: status"`
	Description string `xml:"DAV: responsedescription"`
	Error       struct {
		Any []struct{ XMLName xml.Name } `xml:",any"`
	} `xml:"DAV: error"`
}

func limitReport(t *testing.T, rec *httptest.ResponseRecorder) (all []string, cut *limitResponse) {
	t.Helper()
	if rec.Code != 207 {
		t.Fatalf("status %d: %s", rec.Code, rec.Body)
	}
	var ms struct {
		Responses []limitResponse `xml:"DAV: response"`
	}
	if err := xml.Unmarshal(rec.Body.Bytes(), &ms); err != nil {
		t.Fatalf("%v\n%s", err, rec.Body)
	}
	for i, r := range ms.Responses {
		all = append(all, r.Href)
		if strings.Contains(r.Status, "507") {
			if cut != nil {
				t.Fatalf("two 507 responses:\n%s", rec.Body)
			}
			cut = &ms.Responses[i]
		}
	}
	return all, cut
}

// wantCut checks the 507: on href, DAV:number-of-matches-within-limits,
// and a description naming every member in names.
func wantCut(t *testing.T, cut *limitResponse, href string, names ...string) {
	t.Helper()
	if cut == nil {
		t.Fatal("no 507 response: the answer is not marked incomplete")
	}
	if cut.Href != href || cut.Status != "HTTP/1.1 507 Insufficient Storage" {
		t.Errorf("507 response %+v", cut)
	}
	if len(cut.Error.Any) != 1 || cut.Error.Any[0].XMLName != (xml.Name{Space: "DAV:", Local: "number-of-matches-within-limits"}) {
		t.Errorf("DAV:error %+v", cut.Error)
	}
	for _, n := range names {
		if !strings.Contains(cut.Description, n) {
			t.Errorf("description %q does not name %s", cut.Description, n)
		}
	}
}

// TestPut_RecurrenceBomb: the bomb is refused with 403
// CALDAV:valid-calendar-data and a message, and nothing is stored.
func TestPut_RecurrenceBomb(t *testing.T) {
	e := newEnv(t, caldav.Options{})
	p := e.obj("default", "bomb.ics")
	seq := e.seq("default")
	rec := e.do(put(p, bomb))
	davtest.WantError(t, rec, 403, "valid-calendar-data")
	if !strings.Contains(rec.Body.String(), "candidate times per year; at most 100000 are allowed") {
		t.Errorf("message: %s", rec.Body)
	}
	if rec := e.do(req{method: "GET", path: p}); rec.Code != 404 {
		t.Errorf("GET after refused PUT: %d", rec.Code)
	}
	if got := e.seq("default"); got != seq {
		t.Errorf("collection changed: seq %d -> %d", seq, got)
	}
}

// TestPut_InvalidRecurrence: what RFC 5545 forbids is refused with a
// message naming the problem, and nothing is stored; what real clients
// send is stored.
func TestPut_InvalidRecurrence(t *testing.T) {
	e := newEnv(t, caldav.Options{})
	ev := func(props ...string) string {
		return calendar(append(append([]string{"BEGIN:VEVENT", "UID:x", "DTSTAMP:20260101T000000Z"}, props...), "END:VEVENT"))
	}
	bad := []struct{ data, msg string }{
		{ev("DTSTART:20260101T090000Z", "RRULE:FREQ=FOREVER"), `VEVENT: RRULE "FREQ=FOREVER": FREQ="FOREVER" is not one of`},
		{ev("DTSTART:20260101T090000Z", "RRULE:FREQ=DAILY;BYHOUR=25"), `BYHOUR value "25" is out of range (0 to 23)`},
		{ev("DTSTART;TZID=Mars/Olympus:20260101T090000"), `TZID "Mars/Olympus" names no VTIMEZONE in the object and no time zone this server knows`},
		{ev("DTSTART:20260101T090000Z", "RRULE:FREQ=DAILY", "EXDATE:tomorrow"), `EXDATE: "tomorrow" is not a valid DATE`},
		{ev("DTSTART:20260101T090000Z", "RRULE:FREQ=SECONDLY;BYMONTH=2;BYMONTHDAY=29;BYHOUR=9;BYMINUTE=0;BYSECOND=0"), "at most 1000000 are allowed"},
	}
	for i, b := range bad {
		p := e.obj("default", "bad"+strconv.Itoa(i)+".ics")
		rec := e.do(put(p, b.data))
		davtest.WantError(t, rec, 403, "valid-calendar-data")
		if !strings.Contains(rec.Body.String(), b.msg) {
			t.Errorf("%d: message %s, want %s", i, rec.Body, b.msg)
		}
		if rec := e.do(req{method: "GET", path: p}); rec.Code != 404 {
			t.Errorf("%d: GET after refused PUT: %d", i, rec.Code)
		}
	}
	good := []string{
		ev(`DTSTART;TZID="W. Europe Standard Time":20260101T090000`, "RRULE:FREQ=WEEKLY;UNTIL=20260601"),
		ev("DTSTART;VALUE=DATE:20261020", "RRULE:FREQ=YEARLY;UNTIL=20261019T230000Z;INTERVAL=1;BYMONTHDAY=20;BYMONTH=10"),
		ev("DTSTART:20260101T090000Z", "RRULE:FREQ=MINUTELY;INTERVAL=15;BYHOUR=9,10,11;BYDAY=MO,TU,WE,TH,FR"),
		ev("DTSTART;VALUE=DATE:20260619", "RRULE:RSCALE=CHINESE;FREQ=YEARLY;BYMONTH=5L;SKIP=FORWARD"),
	}
	for i, g := range good {
		if rec := e.do(put(e.obj("default", "good"+strconv.Itoa(i)+".ics"), strings.Replace(g, "UID:x", "UID:g"+strconv.Itoa(i), 1))); rec.Code != 201 {
			t.Errorf("%d: %d %s", i, rec.Code, rec.Body)
		}
	}
}

// TestQuery_StoredBomb: a bomb stored before the fix costs a one-week
// time-range query a bounded amount of memory (755 MiB before), still
// matches (the engine cannot tell), and the answer says it is incomplete
// with a 507 naming it. An ordinary event in the same calendar is not
// named.
func TestQuery_StoredBomb(t *testing.T) {
	e := newEnv(t, caldav.Options{})
	storeRaw(t, e, "default", "bomb.ics", "bomb", bomb)
	if rec := e.do(put(e.obj("default", "daily.ics"), daily)); rec.Code != 201 {
		t.Fatalf("PUT %d %s", rec.Code, rec.Body)
	}
	body := `<C:calendar-query ` + nsDecl + `><D:prop><D:getetag/></D:prop><C:filter><C:comp-filter name="VCALENDAR">` +
		`<C:comp-filter name="VEVENT"><C:time-range start="20260302T000000Z" end="20260309T000000Z"/></C:comp-filter>` +
		`</C:comp-filter></C:filter></C:calendar-query>`
	var rec *httptest.ResponseRecorder
	if bytes := allocated(func() { rec = e.report(e.cal("default"), body, "1") }); bytes > 64<<20 {
		t.Errorf("query allocated %d MiB", bytes>>20)
	}
	hrefs, cut := limitReport(t, rec)
	if strings.Join(hrefs, " ") != e.obj("default", "bomb.ics")+" "+e.obj("default", "daily.ics")+" "+e.cal("default") &&
		strings.Join(hrefs, " ") != e.obj("default", "daily.ics")+" "+e.obj("default", "bomb.ics")+" "+e.cal("default") {
		t.Errorf("responses %v", hrefs)
	}
	wantCut(t, cut, e.cal("default"), e.obj("default", "bomb.ics"))
	if strings.Contains(cut.Description, "daily") {
		t.Errorf("description names a complete answer: %q", cut.Description)
	}
	// Nothing cut, no 507.
	e2 := newEnv(t, caldav.Options{})
	e2.do(put(e2.obj("default", "daily.ics"), daily))
	if _, cut := limitReport(t, e2.report(e2.cal("default"), body, "1")); cut != nil {
		t.Errorf("507 on a complete answer: %+v", cut)
	}
}

// TestQuery_ExpandCut: an expansion that max-instances stops is marked
// in calendar-query, calendar-multiget and sync-collection alike (it was
// silent).
func TestQuery_ExpandCut(t *testing.T) {
	e := newEnv(t, caldav.Options{MaxInstances: 3})
	p := e.obj("default", "daily.ics")
	if rec := e.do(put(p, daily)); rec.Code != 201 {
		t.Fatalf("PUT %d %s", rec.Code, rec.Body)
	}
	expand := `<C:calendar-data><C:expand start="20260301T000000Z" end="20260401T000000Z"/></C:calendar-data>`
	query := `<C:calendar-query ` + nsDecl + `><D:prop>` + expand + `</D:prop><C:filter><C:comp-filter name="VCALENDAR"/></C:filter></C:calendar-query>`
	sync := `<D:sync-collection ` + nsDecl + `><D:sync-token/><D:sync-level>1</D:sync-level><D:prop><D:getetag/>` + expand + `</D:prop></D:sync-collection>`
	for name, body := range map[string]string{"calendar-query": query, "calendar-multiget": multiget(expand, p), "sync-collection": sync} {
		rec := e.report(e.cal("default"), body, "1")
		_, cut := limitReport(t, rec)
		wantCut(t, cut, e.cal("default"), p)
		data, _, _ := davtest.ParseMS(t, rec).Prop(p, "calendar-data")
		if n := strings.Count(data, "BEGIN:VEVENT"); n != 3 {
			t.Errorf("%s: %d instances, want the 3 found", name, n)
		}
	}
	// Within the cap, nothing is marked.
	small := `<C:calendar-data><C:expand start="20260301T000000Z" end="20260303T000000Z"/></C:calendar-data>`
	if _, cut := limitReport(t, e.report(e.cal("default"), multiget(small, p), "")); cut != nil {
		t.Errorf("507 on a complete expansion: %+v", cut)
	}
}

// TestFreeBusy_Cut: free-busy over a stored bomb costs bounded memory
// over a thousand years (3 GB before), and an answer that the limits cut
// short carries a COMMENT saying so.
func TestFreeBusy_Cut(t *testing.T) {
	e := newEnv(t, caldav.Options{MaxInstances: 3})
	storeRaw(t, e, "default", "bomb.ics", "bomb", bomb)
	fb := freeBusyQuery(`<C:time-range start="20000101T000000Z" end="30000101T000000Z"/>`)
	var rec *httptest.ResponseRecorder
	if bytes := allocated(func() { rec = e.report(e.cal("default"), fb, "1") }); bytes > 64<<20 {
		t.Errorf("free-busy allocated %d MiB", bytes>>20)
	}
	if body := strings.ReplaceAll(rec.Body.String(), "\r\n ", ""); rec.Code != 200 ||
		!strings.Contains(body, "\r\nCOMMENT:incomplete: the server's limits cut short the recurrence expansion of 1 object(s)\r\n") {
		t.Fatalf("%d\n%s", rec.Code, rec.Body)
	}
	// max-instances: three days of a daily event in a week.
	e.do(req{method: "DELETE", path: e.obj("default", "bomb.ics")})
	e.do(put(e.obj("default", "daily.ics"), daily))
	rec = e.report(e.cal("default"), freeBusyQuery(`<C:time-range start="20260301T000000Z" end="20260308T000000Z"/>`), "1")
	if n := strings.Count(rec.Body.String(), "FREEBUSY;"); n != 3 || !strings.Contains(rec.Body.String(), "COMMENT:incomplete") {
		t.Errorf("%d periods:\n%s", n, rec.Body)
	}
	rec = e.report(e.cal("default"), freeBusyQuery(`<C:time-range start="20260301T000000Z" end="20260303T000000Z"/>`), "1")
	if strings.Contains(rec.Body.String(), "COMMENT") {
		t.Errorf("complete answer marked:\n%s", rec.Body)
	}
}
