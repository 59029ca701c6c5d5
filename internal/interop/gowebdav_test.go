package interop

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-ical"
	"github.com/emersion/go-webdav"
	gocaldav "github.com/emersion/go-webdav/caldav"

	"almanac/storage"
)

// exchange is one request/response seen by recordingClient.
type exchange struct {
	method, path string
	reqBody      []byte
	status       int
}

// recordingClient wraps an HTTP client and remembers every exchange, so
// the test can compare the exact bytes go-webdav sent with what the
// server serves back.
type recordingClient struct {
	c  webdav.HTTPClient
	mu sync.Mutex
	ex []exchange
}

func (rc *recordingClient) Do(req *http.Request) (*http.Response, error) {
	var body []byte
	if req.Body != nil {
		b, err := io.ReadAll(req.Body)
		if err != nil {
			return nil, err
		}
		req.Body.Close()
		body = b
		req.Body = io.NopCloser(bytes.NewReader(b))
		req.ContentLength = int64(len(b))
	}
	resp, err := rc.c.Do(req)
	if err != nil {
		return nil, err
	}
	rc.mu.Lock()
	rc.ex = append(rc.ex, exchange{method: req.Method, path: req.URL.Path, reqBody: body, status: resp.StatusCode})
	rc.mu.Unlock()
	return resp, nil
}

// last returns the last exchange with the given method.
func (rc *recordingClient) last(t *testing.T, method string) exchange {
	t.Helper()
	rc.mu.Lock()
	defer rc.mu.Unlock()
	for i := len(rc.ex) - 1; i >= 0; i-- {
		if rc.ex[i].method == method {
			return rc.ex[i]
		}
	}
	t.Fatalf("no %s request recorded", method)
	return exchange{}
}

func newEvent(uid, summary string, start time.Time) *ical.Calendar {
	cal := ical.NewCalendar()
	cal.Props.SetText(ical.PropProductID, "-//almanac//interop go-webdav//EN")
	cal.Props.SetText(ical.PropVersion, "2.0")
	ev := ical.NewEvent()
	ev.Props.SetText(ical.PropUID, uid)
	ev.Props.SetDateTime(ical.PropDateTimeStamp, time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
	ev.Props.SetDateTime(ical.PropDateTimeStart, start)
	ev.Props.SetDateTime(ical.PropDateTimeEnd, start.Add(time.Hour))
	ev.Props.SetText(ical.PropSummary, summary)
	cal.Children = append(cal.Children, ev.Component)
	return cal
}

func newTodo(uid, summary string) *ical.Calendar {
	cal := ical.NewCalendar()
	cal.Props.SetText(ical.PropProductID, "-//almanac//interop go-webdav//EN")
	cal.Props.SetText(ical.PropVersion, "2.0")
	todo := ical.NewComponent(ical.CompToDo)
	todo.Props.SetText(ical.PropUID, uid)
	todo.Props.SetDateTime(ical.PropDateTimeStamp, time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
	todo.Props.SetText(ical.PropSummary, summary)
	cal.Children = append(cal.Children, todo)
	return cal
}

func summaryOf(t *testing.T, cal *ical.Calendar) string {
	t.Helper()
	for _, c := range cal.Children {
		if c.Name == ical.CompEvent || c.Name == ical.CompToDo {
			s, err := c.Props.Text(ical.PropSummary)
			if err != nil {
				t.Fatalf("SUMMARY: %v", err)
			}
			return s
		}
	}
	t.Fatalf("no VEVENT or VTODO in calendar")
	return ""
}

func objectPaths(objs []gocaldav.CalendarObject) []string {
	var out []string
	for _, o := range objs {
		out = append(out, o.Path)
	}
	sort.Strings(out)
	return out
}

// TestGoWebDAVClient drives almanac with go-webdav's CalDAV client, the
// way a Go program (or aerc, or khal's Go cousins) would: discovery,
// calendar listing, create/update/get, multiget and queries. It needs no
// external tool and never skips.
func TestGoWebDAVClient(t *testing.T) {
	e := startServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	rec := &recordingClient{c: webdav.HTTPClientWithBasicAuth(http.DefaultClient, e.Login, e.Password)}

	// RFC 6764 bootstrap: the client asks /.well-known/caldav and takes
	// the redirect target as its context path. net/http would turn a
	// redirected PROPFIND into a GET, so real clients (and this test)
	// read Location themselves.
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	req, _ := http.NewRequest("PROPFIND", e.URL+"/.well-known/caldav", nil)
	req.SetBasicAuth(e.Login, e.Password)
	req.Header.Set("Depth", "0")
	resp, err := noRedirect.Do(req)
	if err != nil {
		t.Fatalf("PROPFIND /.well-known/caldav: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMovedPermanently && resp.StatusCode != http.StatusFound &&
		resp.StatusCode != http.StatusTemporaryRedirect && resp.StatusCode != http.StatusPermanentRedirect {
		t.Fatalf("PROPFIND /.well-known/caldav: status %d, want a redirect", resp.StatusCode)
	}
	loc, err := resp.Request.URL.Parse(resp.Header.Get("Location"))
	if err != nil || loc.Path != "/dav/" {
		t.Fatalf("/.well-known/caldav redirects to %q (%v), want /dav/", resp.Header.Get("Location"), err)
	}
	endpoint := loc.String()

	client, err := gocaldav.NewClient(rec, endpoint)
	if err != nil {
		t.Fatalf("NewClient: %v", err)
	}

	// Discovery.
	// go-webdav resolves "" against the endpoint with path.Join, which
	// drops the trailing slash: the PROPFIND goes to /dav, not /dav/.
	principal, err := client.FindCurrentUserPrincipal(ctx)
	if err != nil {
		// Keep going with the known principal so that one failure does
		// not hide the rest of the conversation.
		t.Errorf("FindCurrentUserPrincipal with endpoint %s (go-webdav sends PROPFIND %s): %v", endpoint, strings.TrimSuffix(loc.Path, "/"), err)
		principal = e.Principal
	}
	if principal != e.Principal {
		t.Fatalf("current-user-principal = %q, want %q", principal, e.Principal)
	}
	home, err := client.FindCalendarHomeSet(ctx, principal)
	if err != nil {
		t.Fatalf("FindCalendarHomeSet: %v", err)
	}
	if home != e.Home {
		t.Fatalf("calendar-home-set = %q, want %q", home, e.Home)
	}

	cals, err := client.FindCalendars(ctx, home)
	if err != nil {
		t.Fatalf("FindCalendars: %v", err)
	}
	if len(cals) != 1 {
		t.Fatalf("FindCalendars returned %d calendars, want 1 (the default): %+v", len(cals), cals)
	}
	def := cals[0]
	if def.Path != e.Calendar {
		t.Errorf("default calendar path = %q, want %q", def.Path, e.Calendar)
	}
	if def.Name != "Calendar" {
		t.Errorf("default calendar displayname = %q, want %q", def.Name, "Calendar")
	}
	if !slices.Equal(def.SupportedComponentSet, []string{"VEVENT", "VTODO"}) {
		t.Errorf("supported-calendar-component-set = %v, want [VEVENT VTODO]", def.SupportedComponentSet)
	}
	if def.MaxResourceSize <= 0 {
		t.Errorf("max-resource-size = %d, want a positive limit", def.MaxResourceSize)
	}

	// Create.
	start := time.Date(2026, 3, 10, 9, 0, 0, 0, time.UTC)
	ev1Path := def.Path + "ev1.ics"
	put1, err := client.PutCalendarObject(ctx, ev1Path, newEvent("ev1@interop", "Team meeting", start))
	if err != nil {
		t.Fatalf("PutCalendarObject create: %v", err)
	}
	created := rec.last(t, http.MethodPut)
	if created.status != http.StatusCreated {
		t.Errorf("PUT new object: status %d, want 201", created.status)
	}
	if put1.ETag == "" {
		t.Fatal("PUT new object: no ETag header")
	}
	if want := storage.ETagOf(created.reqBody); `"`+put1.ETag+`"` != want {
		t.Errorf("PUT ETag = %q, want the strong hash of the sent bytes %s", put1.ETag, want)
	}
	resp, body := e.do(t, http.MethodGet, ev1Path, nil, "")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: status %d", ev1Path, resp.StatusCode)
	}
	if !bytes.Equal(body, created.reqBody) {
		t.Errorf("GET after PUT is not byte-exact:\nsent:\n%q\ngot:\n%q", created.reqBody, body)
	}
	if got := resp.Header.Get("ETag"); got != `"`+put1.ETag+`"` {
		t.Errorf("GET ETag = %s, PUT said %q", got, put1.ETag)
	}

	// Update.
	put2, err := client.PutCalendarObject(ctx, ev1Path, newEvent("ev1@interop", "Team meeting (moved)", start.Add(2*time.Hour)))
	if err != nil {
		t.Fatalf("PutCalendarObject update: %v", err)
	}
	updated := rec.last(t, http.MethodPut)
	if updated.status != http.StatusNoContent && updated.status != http.StatusOK {
		t.Errorf("PUT over an existing object: status %d, want 204 (or 200)", updated.status)
	}
	if put2.ETag == "" || put2.ETag == put1.ETag {
		t.Errorf("ETag after update = %q, before %q: want a new non-empty ETag", put2.ETag, put1.ETag)
	}

	// Get.
	got, err := client.GetCalendarObject(ctx, ev1Path)
	if err != nil {
		t.Fatalf("GetCalendarObject: %v", err)
	}
	if got.Path != ev1Path {
		t.Errorf("GetCalendarObject path = %q, want %q", got.Path, ev1Path)
	}
	if got.ETag != put2.ETag {
		t.Errorf("GetCalendarObject ETag = %q, want %q", got.ETag, put2.ETag)
	}
	if got.ContentLength != int64(len(updated.reqBody)) {
		t.Errorf("GetCalendarObject Content-Length = %d, want %d", got.ContentLength, len(updated.reqBody))
	}
	if s := summaryOf(t, got.Data); s != "Team meeting (moved)" {
		t.Errorf("GetCalendarObject SUMMARY = %q, want the updated one", s)
	}
	var reenc bytes.Buffer
	if err := ical.NewEncoder(&reenc).Encode(got.Data); err != nil {
		t.Fatalf("re-encode fetched calendar: %v", err)
	}
	if !bytes.Equal(reenc.Bytes(), updated.reqBody) {
		t.Errorf("fetched object does not re-encode to the bytes sent:\nsent:\n%s\nfetched:\n%s", updated.reqBody, reenc.Bytes())
	}

	// More objects: one event, one to-do.
	ev2Path := def.Path + "ev2.ics"
	put3, err := client.PutCalendarObject(ctx, ev2Path, newEvent("ev2@interop", "Dentist appointment", time.Date(2026, 4, 1, 14, 0, 0, 0, time.UTC)))
	if err != nil {
		t.Fatalf("PutCalendarObject ev2: %v", err)
	}
	ev2Sent := rec.last(t, http.MethodPut).reqBody
	todoPath := def.Path + "todo1.ics"
	put4, err := client.PutCalendarObject(ctx, todoPath, newTodo("todo1@interop", "Buy dentist floss"))
	if err != nil {
		t.Fatalf("PutCalendarObject todo1: %v", err)
	}
	etags := map[string]string{ev1Path: put2.ETag, ev2Path: put3.ETag, todoPath: put4.ETag}

	// Multiget.
	all := gocaldav.CalendarCompRequest{Name: "VCALENDAR", AllProps: true, AllComps: true}
	mg, err := client.MultiGetCalendar(ctx, def.Path, &gocaldav.CalendarMultiGet{
		Paths:       []string{ev1Path, ev2Path, todoPath},
		CompRequest: all,
	})
	if err != nil {
		t.Fatalf("MultiGetCalendar: %v", err)
	}
	if want := []string{ev1Path, ev2Path, todoPath}; !slices.Equal(objectPaths(mg), want) {
		t.Fatalf("MultiGetCalendar paths = %v, want %v", objectPaths(mg), want)
	}
	wantSummary := map[string]string{ev1Path: "Team meeting (moved)", ev2Path: "Dentist appointment", todoPath: "Buy dentist floss"}
	for _, o := range mg {
		if o.ETag != etags[o.Path] {
			t.Errorf("multiget %s: ETag %q, want %q", o.Path, o.ETag, etags[o.Path])
		}
		if s := summaryOf(t, o.Data); s != wantSummary[o.Path] {
			t.Errorf("multiget %s: SUMMARY %q, want %q", o.Path, s, wantSummary[o.Path])
		}
	}
	// calendar-data in a REPORT is the stored bytes, too.
	ms := e.report(t, def.Path, "1", `<?xml version="1.0" encoding="utf-8"?>
<C:calendar-multiget xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
  <D:prop><D:getetag/><C:calendar-data/></D:prop>
  <D:href>`+ev2Path+`</D:href>
</C:calendar-multiget>`)
	if len(ms.Responses) != 1 {
		t.Fatalf("raw multiget: %d responses, want 1", len(ms.Responses))
	}
	if ps, ok := ms.Responses[0].ok(); !ok || ps.Prop.CalendarData != string(ev2Sent) {
		t.Errorf("raw multiget calendar-data is not the bytes sent:\nsent:\n%q\ngot:\n%q", ev2Sent, ps.Prop.CalendarData)
	}

	// calendar-query: all events.
	events, err := client.QueryCalendar(ctx, def.Path, &gocaldav.CalendarQuery{
		CompRequest: all,
		CompFilter:  gocaldav.CompFilter{Name: "VCALENDAR", Comps: []gocaldav.CompFilter{{Name: "VEVENT"}}},
	})
	if err != nil {
		t.Fatalf("QueryCalendar VEVENT: %v", err)
	}
	if want := []string{ev1Path, ev2Path}; !slices.Equal(objectPaths(events), want) {
		t.Errorf("QueryCalendar VEVENT = %v, want %v", objectPaths(events), want)
	}
	todos, err := client.QueryCalendar(ctx, def.Path, &gocaldav.CalendarQuery{
		CompRequest: all,
		CompFilter:  gocaldav.CompFilter{Name: "VCALENDAR", Comps: []gocaldav.CompFilter{{Name: "VTODO"}}},
	})
	if err != nil {
		t.Fatalf("QueryCalendar VTODO: %v", err)
	}
	if want := []string{todoPath}; !slices.Equal(objectPaths(todos), want) {
		t.Errorf("QueryCalendar VTODO = %v, want %v", objectPaths(todos), want)
	}

	// calendar-query with a time range: only ev2 (April) overlaps.
	april, err := client.QueryCalendar(ctx, def.Path, &gocaldav.CalendarQuery{
		CompRequest: all,
		CompFilter: gocaldav.CompFilter{Name: "VCALENDAR", Comps: []gocaldav.CompFilter{{
			Name:  "VEVENT",
			Start: time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC),
			End:   time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC),
		}}},
	})
	if err != nil {
		t.Fatalf("QueryCalendar time-range: %v", err)
	}
	if want := []string{ev2Path}; !slices.Equal(objectPaths(april), want) {
		t.Errorf("QueryCalendar VEVENT in April 2026 = %v, want %v", objectPaths(april), want)
	}

	// calendar-query with a prop-filter text-match on SUMMARY. go-webdav
	// v0.6.0's encodeCompFilter drops CompFilter.Props, so when the
	// client does not put the prop-filter on the wire the same query is
	// also sent by hand: the server's filtering is what is under test.
	dentist, err := client.QueryCalendar(ctx, def.Path, &gocaldav.CalendarQuery{
		CompRequest: all,
		CompFilter: gocaldav.CompFilter{Name: "VCALENDAR", Comps: []gocaldav.CompFilter{{
			Name:  "VEVENT",
			Props: []gocaldav.PropFilter{{Name: "SUMMARY", TextMatch: &gocaldav.TextMatch{Text: "DENTIST"}}},
		}}},
	})
	if err != nil {
		t.Fatalf("QueryCalendar prop-filter: %v", err)
	}
	if bytes.Contains(rec.last(t, "REPORT").reqBody, []byte("prop-filter")) {
		if want := []string{ev2Path}; !slices.Equal(objectPaths(dentist), want) {
			t.Errorf("QueryCalendar SUMMARY contains DENTIST = %v, want %v", objectPaths(dentist), want)
		}
	} else {
		t.Logf("go-webdav did not send the prop-filter (known v0.6.0 limitation); checking it with a hand-written REPORT")
	}
	query := func(compFilter string) []string {
		ms := e.report(t, def.Path, "1", `<?xml version="1.0" encoding="utf-8"?>
<C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
  <D:prop><D:getetag/></D:prop>
  <C:filter><C:comp-filter name="VCALENDAR">`+compFilter+`</C:comp-filter></C:filter>
</C:calendar-query>`)
		return ms.hrefs()
	}
	if got, want := query(`<C:comp-filter name="VEVENT"><C:prop-filter name="SUMMARY"><C:text-match>DENTIST</C:text-match></C:prop-filter></C:comp-filter>`), []string{ev2Path}; !slices.Equal(got, want) {
		t.Errorf("calendar-query VEVENT SUMMARY text-match DENTIST (i;ascii-casemap) = %v, want %v", got, want)
	}
	if got, want := query(`<C:comp-filter name="VEVENT"><C:prop-filter name="SUMMARY"><C:text-match negate-condition="yes">dentist</C:text-match></C:prop-filter></C:comp-filter>`), []string{ev1Path}; !slices.Equal(got, want) {
		t.Errorf("calendar-query VEVENT SUMMARY negated text-match dentist = %v, want %v", got, want)
	}
	if got, want := query(`<C:comp-filter name="VTODO"><C:prop-filter name="SUMMARY"><C:text-match collation="i;octet">dentist</C:text-match></C:prop-filter></C:comp-filter>`), []string{todoPath}; !slices.Equal(got, want) {
		t.Errorf("calendar-query VTODO SUMMARY text-match dentist (i;octet) = %v, want %v", got, want)
	}
	if got := query(`<C:comp-filter name="VEVENT"><C:prop-filter name="SUMMARY"><C:text-match collation="i;octet">DENTIST</C:text-match></C:prop-filter></C:comp-filter>`); len(got) != 0 {
		t.Errorf("calendar-query VEVENT SUMMARY text-match DENTIST (i;octet, case-sensitive) = %v, want none", got)
	}

	// sync-collection: go-webdav v0.6.0's caldav.Client has no
	// SyncCollection (only carddav.Client does), so the REPORT is
	// written by hand here.
	initial := e.report(t, def.Path, "0", syncBody(""))
	if want := []string{ev1Path, ev2Path, todoPath}; !slices.Equal(initial.hrefs(), want) {
		t.Errorf("initial sync-collection = %v, want %v", initial.hrefs(), want)
	}
	if initial.SyncToken == "" {
		t.Fatal("initial sync-collection: no DAV:sync-token")
	}
	for _, r := range initial.Responses {
		if ps, ok := r.ok(); !ok || strings.Trim(ps.Prop.ETag, `"`) != etags[r.Href] {
			t.Errorf("initial sync-collection %s: getetag %q, want %q", r.Href, ps.Prop.ETag, etags[r.Href])
		}
	}
	if _, err := client.PutCalendarObject(ctx, ev2Path, newEvent("ev2@interop", "Dentist appointment (rescheduled)", time.Date(2026, 4, 2, 14, 0, 0, 0, time.UTC))); err != nil {
		t.Fatalf("PutCalendarObject ev2 update: %v", err)
	}
	if err := client.RemoveAll(ctx, todoPath); err != nil {
		t.Fatalf("RemoveAll (DELETE) %s: %v", todoPath, err)
	}
	delta := e.report(t, def.Path, "0", syncBody(initial.SyncToken))
	if want := []string{ev2Path, todoPath}; !slices.Equal(delta.hrefs(), want) {
		t.Errorf("sync-collection since the initial token = %v, want %v", delta.hrefs(), want)
	}
	for _, r := range delta.Responses {
		switch r.Href {
		case todoPath:
			if !strings.Contains(r.Status, " 404 ") {
				t.Errorf("sync-collection: deleted %s has status %q, want 404", r.Href, r.Status)
			}
		case ev2Path:
			if _, ok := r.ok(); !ok {
				t.Errorf("sync-collection: changed %s has no 200 propstat: %+v", r.Href, r)
			}
		}
	}
	if delta.SyncToken == "" || delta.SyncToken == initial.SyncToken {
		t.Errorf("sync token after changes = %q, initial %q: want a new one", delta.SyncToken, initial.SyncToken)
	}
	if again := e.report(t, def.Path, "0", syncBody(delta.SyncToken)); len(again.Responses) != 0 || again.SyncToken != delta.SyncToken {
		t.Errorf("sync-collection with the latest token = %v (token %q), want nothing new and the same token %q", again.hrefs(), again.SyncToken, delta.SyncToken)
	}

	// The deleted to-do is gone for the client too.
	if _, err := client.GetCalendarObject(ctx, todoPath); err == nil {
		t.Errorf("GetCalendarObject %s after DELETE succeeded, want 404", todoPath)
	}
	left, err := client.QueryCalendar(ctx, def.Path, &gocaldav.CalendarQuery{
		CompRequest: all,
		CompFilter:  gocaldav.CompFilter{Name: "VCALENDAR"},
	})
	if err != nil {
		t.Fatalf("QueryCalendar VCALENDAR: %v", err)
	}
	if want := []string{ev1Path, ev2Path}; !slices.Equal(objectPaths(left), want) {
		t.Errorf("objects left = %v, want %v", objectPaths(left), want)
	}
}

func syncBody(token string) string {
	return fmt.Sprintf(`<?xml version="1.0" encoding="utf-8"?>
<D:sync-collection xmlns:D="DAV:">
  <D:sync-token>%s</D:sync-token>
  <D:sync-level>1</D:sync-level>
  <D:prop><D:getetag/></D:prop>
</D:sync-collection>`, xmlEscape(token))
}

func xmlEscape(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch r {
		case '&':
			b.WriteString("&amp;")
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}
