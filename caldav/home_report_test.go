package caldav_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"almanac/caldav"
	"almanac/internal/davtest"
	aical "almanac/internal/ical"
	"almanac/storage"
)

// REPORTs on the calendar home (RFC 4791 7.2: "Servers MAY support the
// reports defined in this document on ordinary collections"; 7.9: the
// hrefs of a multiget are "members (not necessarily internal members)").
// Apple's clients search the home; the answer names each member by its
// URL in its calendar.

func (e *env) home() string { return "/dav/calendars/" + e.alice.ID + "/" }

// homeEnv: alice's "default" and "work" calendars, and bob's "default"
// shared with her read-only as "from-bob", with a public, a private and
// a confidential event.
func homeEnv(t *testing.T, opts caldav.Options) *env {
	t.Helper()
	e := newEnv(t, opts)
	if rec := e.do(req{method: "MKCALENDAR", path: e.cal("work")}); rec.Code != 201 {
		t.Fatalf("MKCALENDAR %d %s", rec.Code, rec.Body)
	}
	for path, data := range map[string]string{
		e.obj("default", "a.ics"): event("a", "Team meeting"),
		e.obj("work", "w.ics"):    event("w", "Team review"),
		e.obj("work", "t.ics"):    todo("t"),
	} {
		if rec := e.do(put(path, data)); rec.Code != 201 {
			t.Fatalf("PUT %s: %d %s", path, rec.Code, rec.Body)
		}
	}
	ctx := context.Background()
	for name, class := range map[string]string{"pub": "PUBLIC", "priv": "PRIVATE", "conf": "CONFIDENTIAL"} {
		data := strings.Replace(event(name, "Team "+name), "SUMMARY:", "CLASS:"+class+"\r\nSUMMARY:", 1)
		if _, _, err := e.store.Put(ctx, storage.PutObject{Owner: e.bob.ID, Collection: "default", Name: name + ".ics",
			UID: name, Component: "VEVENT", ContentType: "text/calendar", Data: []byte(data)}); err != nil {
			t.Fatal(err)
		}
	}
	g := &storage.Grant{Owner: e.bob.ID, Collection: "default", Sharee: e.alice.ID, Access: storage.AccessRead, Mount: "from-bob"}
	if err := e.store.PutGrant(ctx, g); err != nil {
		t.Fatal(err)
	}
	return e
}

const teamQuery = `<C:calendar-query ` + nsDecl + `><D:prop><D:getetag/><C:calendar-data/></D:prop><C:filter>` +
	`<C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT"><C:prop-filter name="SUMMARY"><C:text-match>team</C:text-match>` +
	`</C:prop-filter></C:comp-filter></C:comp-filter></C:filter></C:calendar-query>`

func sorted(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}

func TestHomeQuery_SearchesEveryCalendar(t *testing.T) {
	e := homeEnv(t, caldav.Options{})
	mount := e.cal("from-bob")
	events := strings.Replace(teamQuery, `<C:prop-filter name="SUMMARY"><C:text-match>team</C:text-match></C:prop-filter>`, "", 1)
	m := davtest.ParseMS(t, e.report(e.home(), events, "1"))
	want := sorted([]string{e.obj("default", "a.ics"), e.obj("work", "w.ics"), mount + "pub.ics", mount + "conf.ics"})
	if got := sorted(m.Hrefs()); !slices.Equal(got, want) {
		t.Fatalf("hrefs %v, want %v (RFC 4791 7.2, shared calendars included, private hidden)", got, want)
	}
	// The sharee's view is redacted as at the calendar's own URL.
	if data, _, _ := m.Prop(mount+"conf.ics", "calendar-data"); strings.Contains(data, "Team conf") || !strings.Contains(data, "CLASS:CONFIDENTIAL") {
		t.Errorf("confidential event not redacted: %q", data)
	}
	direct := davtest.ParseMS(t, e.report(mount, events, "1"))
	for _, h := range direct.Hrefs() {
		a, _, _ := m.Prop(h, "getetag")
		b, _, _ := direct.Prop(h, "getetag")
		if a != b {
			t.Errorf("%s: ETag %q on the home, %q on the calendar", h, a, b)
		}
	}
	// Filters see the sharee's view: the confidential event's summary
	// is not theirs to search.
	want = sorted([]string{e.obj("default", "a.ics"), e.obj("work", "w.ics"), mount + "pub.ics"})
	if got := sorted(davtest.ParseMS(t, e.report(e.home(), teamQuery, "1")).Hrefs()); !slices.Equal(got, want) {
		t.Errorf("text-match on the home: %v, want %v", got, want)
	}
	// Depth infinity is Depth 1: the home holds calendars, not deeper
	// collections. Without Depth, the members are meant (caldav doc.go).
	for _, d := range []string{"infinity", ""} {
		if got := sorted(davtest.ParseMS(t, e.report(e.home(), teamQuery, d)).Hrefs()); !slices.Equal(got, want) {
			t.Errorf("Depth %q: %v", d, got)
		}
	}
	// Depth 0 asks about the home itself, which is no calendar object.
	if got := davtest.ParseMS(t, e.report(e.home(), teamQuery, "0")).Hrefs(); len(got) != 0 {
		t.Errorf("Depth 0: %v", got)
	}
	// The filter's comp-filter applies per object: the to-do is found.
	todos := strings.Replace(strings.Replace(teamQuery, `name="VEVENT"`, `name="VTODO"`, 1), ">team<", ">task<", 1)
	if got := davtest.ParseMS(t, e.report(e.home(), todos, "1")).Hrefs(); !slices.Equal(got, []string{e.obj("work", "t.ics")}) {
		t.Errorf("VTODO on the home: %v", got)
	}
	// An invalid filter is refused on the home as on a calendar.
	bad := strings.Replace(teamQuery, `<C:comp-filter name="VEVENT">`, `<C:comp-filter name="VEVENT"><C:comp-filter name="VEVENT"/>`, 1)
	davtest.WantError(t, e.report(e.home(), bad, "1"), 403, "valid-filter")
}

// TestHomeQuery_TimeRangePerCalendarZone: floating times are read in the
// calendar-timezone of the calendar that holds them (RFC 4791 7.3, 9.9),
// calendar by calendar, and the time-range prefilter works on the home.
func TestHomeQuery_TimeRangePerCalendarZone(t *testing.T) {
	e := newEnv(t, caldav.Options{})
	e.do(req{method: "MKCALENDAR", path: e.cal("la")})
	setCalendarTimezone(t, e, "la", tzLosAngeles)
	floating := vcal("f", "DTSTART:20260310T100000\r\nDTEND:20260310T110000\r\n")
	for _, c := range []string{"default", "la"} {
		if rec := e.do(put(e.obj(c, "f.ics"), floating)); rec.Code != 201 {
			t.Fatalf("PUT %d %s", rec.Code, rec.Body)
		}
	}
	// 10:00 floating: 10:00Z in "default" (no zone), 17:00Z in "la" (PDT).
	for _, tc := range []struct{ start, end, want string }{
		{"20260310T100000Z", "20260310T103000Z", e.obj("default", "f.ics")},
		{"20260310T170000Z", "20260310T173000Z", e.obj("la", "f.ics")},
	} {
		got := davtest.ParseMS(t, e.report(e.home(), zoneQuery(tc.start, tc.end, ""), "1")).Hrefs()
		if !slices.Equal(got, []string{tc.want}) {
			t.Errorf("[%s, %s): %v, want %s", tc.start, tc.end, got, tc.want)
		}
	}
	// A CALDAV:timezone in the query overrides every calendar's.
	got := sorted(davtest.ParseMS(t, e.report(e.home(), zoneQuery("20260310T090000Z", "20260310T093000Z", tzElem(tzZurich)), "1")).Hrefs())
	if !slices.Equal(got, sorted([]string{e.obj("default", "f.ics"), e.obj("la", "f.ics")})) {
		t.Errorf("with CALDAV:timezone: %v", got)
	}
}

// TestHomeQuery_CutAcrossCalendars: the limits apply to the whole home,
// and one 507 for the home names the members of every calendar whose
// answer they cut short.
func TestHomeQuery_CutAcrossCalendars(t *testing.T) {
	e := newEnv(t, caldav.Options{MaxInstances: 3})
	e.do(req{method: "MKCALENDAR", path: e.cal("work")})
	for _, c := range []string{"default", "work"} {
		if rec := e.do(put(e.obj(c, "daily.ics"), daily)); rec.Code != 201 {
			t.Fatalf("PUT %d %s", rec.Code, rec.Body)
		}
	}
	expand := `<C:calendar-data><C:expand start="20260301T000000Z" end="20260401T000000Z"/></C:calendar-data>`
	query := `<C:calendar-query ` + nsDecl + `><D:prop>` + expand + `</D:prop><C:filter><C:comp-filter name="VCALENDAR"/></C:filter></C:calendar-query>`
	for name, body := range map[string]string{
		"calendar-query":    query,
		"calendar-multiget": multiget(expand, e.obj("default", "daily.ics"), e.obj("work", "daily.ics")),
	} {
		hrefs, cut := limitReport(t, e.report(e.home(), body, "1"))
		if len(hrefs) != 3 {
			t.Errorf("%s: responses %v", name, hrefs)
		}
		wantCut(t, cut, e.home(), e.obj("default", "daily.ics"), e.obj("work", "daily.ics"))
	}
}

func TestHomeMultiget(t *testing.T) {
	e := homeEnv(t, caldav.Options{})
	mount := e.cal("from-bob")
	body := multiget(`<C:calendar-data/>`,
		e.obj("default", "a.ics"),
		"http://example.com"+e.obj("work", "w.ics"),
		e.obj("work", "w%2Eics"),                      // the same member spelled otherwise
		mount+"conf.ics",                              // shared, redacted
		mount+"priv.ics",                              // shared, hidden from the sharee
		e.obj("work", "nope.ics"),                     // no such member
		e.obj("gone", "x.ics"),                        // no such calendar
		e.cal("work"),                                 // a calendar, not a member
		e.home()+"a/b/c.ics",                          // deeper than a member
		"/dav/calendars/"+e.bob.ID+"/default/pub.ics", // bob's namespace
		"/dav/addressbooks/"+e.alice.ID+"/contacts/x.vcf",
	)
	m := davtest.ParseMS(t, e.report(e.home(), body, "0"))
	want := map[string]string{
		e.obj("default", "a.ics"): "200", e.obj("work", "w.ics"): "200", mount + "conf.ics": "200",
		mount + "priv.ics": "404", e.obj("work", "nope.ics"): "404", e.obj("gone", "x.ics"): "404",
		e.cal("work"): "403", e.home() + "a/b/c.ics": "403", "/dav/calendars/" + e.bob.ID + "/default/pub.ics": "403",
		"/dav/addressbooks/" + e.alice.ID + "/contacts/x.vcf": "403",
	}
	got := map[string]string{}
	for _, r := range m.Responses {
		st := r.Status
		if st == "" && len(r.Propstats) > 0 {
			st = r.Propstats[0].Status
		}
		if _, dup := got[r.Href]; dup {
			t.Errorf("%s answered twice", r.Href)
		}
		got[r.Href] = strings.Fields(st)[1]
	}
	for h, w := range want {
		if got[h] != w {
			t.Errorf("%s: %q, want %s", h, got[h], w)
		}
	}
	if len(got) != len(want) {
		t.Errorf("responses %v", got)
	}
	if data, _, _ := m.Prop(e.obj("work", "w.ics"), "calendar-data"); data != event("w", "Team review") {
		t.Errorf("calendar-data %q", data)
	}
	if data, _, _ := m.Prop(mount+"conf.ics", "calendar-data"); strings.Contains(data, "Team conf") {
		t.Errorf("confidential event not redacted: %q", data)
	}
}

// TestHomeReports_OthersRefused: free-busy-query and sync-collection are
// about one calendar; on the home they stay 403 DAV:supported-report.
func TestHomeReports_OthersRefused(t *testing.T) {
	e := newEnv(t, caldav.Options{})
	fb := `<C:free-busy-query ` + nsDecl + `><C:time-range start="20260101T000000Z" end="20260201T000000Z"/></C:free-busy-query>`
	davtest.WantError(t, e.report(e.home(), fb, "1"), 403, "supported-report")
	sync := `<D:sync-collection ` + nsDecl + `><D:sync-token/><D:sync-level>1</D:sync-level><D:prop><D:getetag/></D:prop></D:sync-collection>`
	davtest.WantError(t, e.report(e.home(), sync, "1"), 403, "supported-report")
	// The home advertises what it serves (RFC 4791 7: "MAY also
	// advertise support for these reports on ordinary collections").
	m := davtest.ParseMS(t, e.do(req{method: "PROPFIND", path: e.home(), hdr: map[string]string{"Depth": "0"},
		body: `<D:propfind ` + nsDecl + `><D:prop><D:supported-report-set/></D:prop></D:propfind>`}))
	_, set, _ := m.Prop(e.home(), "supported-report-set")
	if !strings.Contains(set, "calendar-query") || !strings.Contains(set, "calendar-multiget") ||
		strings.Contains(set, "free-busy-query") || strings.Contains(set, "sync-collection") {
		t.Errorf("home supported-report-set %s", set)
	}
}

// TestHomeReports_OneBudget: the request's recurrence work budget
// (requestBudget) is one for the whole home, not one per calendar: a
// query or multiget over two calendars of costly objects makes one, stays
// within it, and answers every object, in full or named in the 507.
func TestHomeReports_OneBudget(t *testing.T) {
	const perCalendar = 100
	e := newEnv(t, caldav.Options{})
	e.do(req{method: "MKCALENDAR", path: e.cal("work")})
	name := func(i int) string { return fmt.Sprintf("costly-%03d.ics", i) }
	var hrefs []string
	for _, c := range []string{"default", "work"} {
		fillWith(t, e, c, perCalendar, name, costlyEvent)
		for i := range perCalendar {
			hrefs = append(hrefs, e.obj(c, name(i)))
		}
	}
	budgets := budgetsOf(t, e)
	// payable is how many objects' expansions one request budget pays
	// for, from what one costs alone.
	cal, err := aical.Parse([]byte(costlyEvent(0)))
	if err != nil {
		t.Fatal(err)
	}
	one := aical.NewBudget(aical.RequestWork)
	if _, err := aical.Instances(cal, aical.InstanceOptions{From: utc(allStart), To: utc(allEnd), Budget: one}, func(aical.Instance) bool { return true }); err != nil || one.Used() == 0 {
		t.Fatalf("one object alone: %v, cost %d", err, one.Used())
	}
	cost := one.Used()
	payable := int((aical.RequestWork + cost) / cost)
	expand := `<C:calendar-data><C:expand start="` + allStart + `" end="` + allEnd + `"/></C:calendar-data>`
	for kind, body := range map[string]string{
		"calendar-query": `<C:calendar-query ` + nsDecl + `><D:prop><D:getetag/>` + expand + `</D:prop><C:filter>` +
			`<C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT"><C:time-range start="` + allStart + `" end="` + allEnd + `"/>` +
			`</C:comp-filter></C:comp-filter></C:filter></C:calendar-query>`,
		"calendar-multiget": multiget(expand, hrefs...),
	} {
		*budgets = nil
		rec := e.report(e.home(), body, "1")
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
		if n := cutCount(t, cut); complete+n != len(hrefs) || n == 0 {
			t.Errorf("%s: %d expanded in full, %d reported cut short, of %d", kind, complete, n, len(hrefs))
		}
		if complete == 0 || complete > payable {
			t.Errorf("%s: %d objects expanded in full; one budget pays for %d", kind, complete, payable)
		}
		if len(*budgets) != 1 {
			t.Errorf("%s: %d request budgets, want one for the whole home", kind, len(*budgets))
		} else if used := (*budgets)[0].Used(); used > aical.RequestWork+cost {
			t.Errorf("%s: charged %d units; the request's budget is %d", kind, used, aical.RequestWork)
		}
	}
}
