package fileimport_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"almanac/caldav"
	"almanac/carddav"
	"almanac/fileimport"
	"almanac/server"
	"almanac/server/servertest"
	"almanac/sharing"
	"almanac/storage"
)

func lines(l ...string) string { return strings.Join(l, "\r\n") + "\r\n" }

// A calendar export as Google writes one: METHOD, a VTIMEZONE, a
// recurring event with a moved instance (its override first), a plain
// event, and an event without UID.
func export(stamp, summary string) string {
	return lines("BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Google Inc//Google Calendar 70.9054//EN", "METHOD:PUBLISH",
		"X-WR-CALNAME:Work",
		"BEGIN:VTIMEZONE", "TZID:Office Time", "BEGIN:STANDARD", "DTSTART:19700101T000000",
		"TZOFFSETFROM:+0300", "TZOFFSETTO:+0300", "END:STANDARD", "END:VTIMEZONE",
		"BEGIN:VEVENT", "UID:standup@example.com", "DTSTAMP:"+stamp, "RECURRENCE-ID;TZID=Office Time:20260112T090000",
		"DTSTART;TZID=Office Time:20260112T100000", "SUMMARY:Standup (moved)", "END:VEVENT",
		"BEGIN:VEVENT", "UID:launch@example.com", "DTSTAMP:"+stamp, "DTSTART:20260301T120000Z", "SUMMARY:"+summary, "END:VEVENT",
		"BEGIN:VEVENT", "UID:standup@example.com", "DTSTAMP:"+stamp, "DTSTART;TZID=Office Time:20260105T090000",
		"RRULE:FREQ=WEEKLY;COUNT=10", "SUMMARY:Standup", "END:VEVENT",
		"BEGIN:VEVENT", "DTSTAMP:"+stamp, "DTSTART;VALUE=DATE:20260401", "SUMMARY:No UID", "END:VEVENT",
		"END:VCALENDAR")
}

type reply struct {
	status int
	report fileimport.Report
	err    struct {
		Code, Message, Field string
	}
	raw string
}

func post(t *testing.T, env *servertest.Env, path, login, body, contentType string) reply {
	t.Helper()
	rec := env.Do(http.MethodPost, path, login, body, "Content-Type", contentType)
	r := reply{status: rec.Code, raw: rec.Body.String()}
	var out struct {
		fileimport.Report
		Error *struct {
			Code, Message, Field string
		} `json:"error"`
		Nested *fileimport.Report `json:"report"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
		t.Fatalf("POST %s: %d, not JSON: %s", path, rec.Code, rec.Body)
	}
	r.report = out.Report
	if out.Nested != nil {
		r.report = *out.Nested
	}
	if out.Error != nil {
		r.err = *out.Error
	}
	return r
}

func (r reply) want(t *testing.T, status int, code string) {
	t.Helper()
	if r.status != status || r.err.Code != code {
		t.Fatalf("answer %d %q, want %d %q: %s", r.status, r.err.Code, status, code, r.raw)
	}
}

func (r reply) counts(t *testing.T, want fileimport.Counts) {
	t.Helper()
	if r.report.Counts != want {
		t.Fatalf("counts %+v, want %+v: %s", r.report.Counts, want, r.raw)
	}
}

// object returns the report's entry for uid.
func (r reply) object(t *testing.T, uid string) fileimport.ObjectJSON {
	t.Helper()
	for _, o := range r.report.Objects {
		if o.UID == uid {
			return o
		}
	}
	t.Fatalf("no object %s in %s", uid, r.raw)
	return fileimport.ObjectJSON{}
}

func importPath(coll string) string { return fileimport.CalendarsPath + "/" + coll + "/import" }

// members lists owner's collection as name → UID.
func members(t *testing.T, env *servertest.Env, owner, coll string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := env.Store.List(context.Background(), owner, coll, func(m *storage.ObjectMeta) error {
		out[m.Name] = m.UID
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func collSeq(t *testing.T, env *servertest.Env, owner, coll string) uint64 {
	t.Helper()
	c, err := env.Store.Collection(context.Background(), owner, coll)
	if err != nil {
		t.Fatal(err)
	}
	return c.Seq
}

func TestImportCalendar(t *testing.T) {
	env := servertest.New(t)
	jane := env.Account("jane@example.com")
	path := importPath(caldav.DefaultCalendar)
	file := export("20260101T000000Z", "Launch")

	// A dry run says what would happen and writes nothing.
	r := post(t, env, path+"?dry_run=true", jane.Login, file, "text/calendar")
	r.want(t, http.StatusOK, "")
	r.counts(t, fileimport.Counts{Created: 3})
	if !r.report.DryRun || r.report.Source != "upload" || r.report.Kind != "calendar" {
		t.Fatalf("report %+v", r.report)
	}
	if got := members(t, env, jane.ID, caldav.DefaultCalendar); len(got) != 0 || collSeq(t, env, jane.ID, caldav.DefaultCalendar) != 0 {
		t.Fatalf("a dry run stored %v", got)
	}
	dry := r.report.Objects

	r = post(t, env, path, jane.Login, file, "text/calendar; charset=utf-8")
	r.want(t, http.StatusOK, "")
	r.counts(t, fileimport.Counts{Created: 3})
	if !slices.Equal(dry, r.report.Objects) {
		t.Fatalf("the dry run said\n%+v\nthe import did\n%+v", dry, r.report.Objects)
	}
	// File order, by each object's first line: the override comes
	// before its master and puts the recurring event first.
	var order []string
	for _, o := range r.report.Objects {
		order = append(order, o.UID)
	}
	noUID := r.report.Objects[2].UID
	if !slices.Equal(order, []string{"standup@example.com", "launch@example.com", noUID}) || !r.report.Objects[2].UIDAssigned {
		t.Fatalf("objects %+v", r.report.Objects)
	}
	standup := r.object(t, "standup@example.com")
	if standup.Line != 14 || standup.Action != fileimport.ActionCreated || standup.Component != "VEVENT" ||
		standup.Href != "/dav/calendars/"+jane.ID+"/default/standup@example.com.ics" {
		t.Fatalf("standup: %+v", standup)
	}
	// Each object is there for CalDAV clients, through the change log.
	want := map[string]string{"standup@example.com.ics": "standup@example.com", "launch@example.com.ics": "launch@example.com", noUID + ".ics": noUID}
	if got := members(t, env, jane.ID, caldav.DefaultCalendar); !mapsEqual(got, want) {
		t.Fatalf("members %v, want %v", got, want)
	}
	c, _ := env.Store.Collection(context.Background(), jane.ID, caldav.DefaultCalendar)
	changes, _, _, err := env.Store.Changes(context.Background(), jane.ID, caldav.DefaultCalendar, c.Incarnation, 0, 0)
	if err != nil || len(changes) != 3 || c.Seq != 3 {
		t.Fatalf("changes %+v (seq %d), %v", changes, c.Seq, err)
	}
	get := env.Do(http.MethodGet, standup.Href, jane.Login, "")
	body := get.Body.String()
	if get.Code != http.StatusOK || strings.Contains(body, "METHOD") || !strings.Contains(body, "TZID:Office Time") ||
		strings.Count(body, "BEGIN:VEVENT") != 2 || !strings.Contains(body, "X-WR-CALNAME:Work") {
		t.Fatalf("GET %s: %d\n%s", standup.Href, get.Code, body)
	}
	get = env.Do(http.MethodGet, r.object(t, "launch@example.com").Href, jane.Login, "")
	if strings.Contains(get.Body.String(), "VTIMEZONE") {
		t.Fatalf("a VTIMEZONE copied where no TZID names it:\n%s", get.Body)
	}

	// The same file again, and the next export (every DTSTAMP moved):
	// nothing changes.
	for _, again := range []string{file, export("20260202T000000Z", "Launch")} {
		r = post(t, env, path, jane.Login, again, "text/calendar")
		r.want(t, http.StatusOK, "")
		r.counts(t, fileimport.Counts{Skipped: 3})
		if o := r.object(t, "launch@example.com"); o.Reason != "the calendar has this UID with the same content" || o.Href == "" {
			t.Fatalf("skipped: %+v", o)
		}
	}
	if got := collSeq(t, env, jane.ID, caldav.DefaultCalendar); got != 3 {
		t.Fatalf("imports that changed nothing moved the sync token: seq %d", got)
	}

	// A changed event replaces its member, under its name.
	r = post(t, env, path, jane.Login, export("20260303T000000Z", "Launch (new date)"), "text/calendar")
	r.want(t, http.StatusOK, "")
	r.counts(t, fileimport.Counts{Updated: 1, Skipped: 2})
	if o := r.object(t, "launch@example.com"); o.Action != fileimport.ActionUpdated || o.Href != "/dav/calendars/"+jane.ID+"/default/launch@example.com.ics" {
		t.Fatalf("updated: %+v", o)
	}
	if got := collSeq(t, env, jane.ID, caldav.DefaultCalendar); got != 4 {
		t.Fatalf("seq %d after one update, want 4", got)
	}
	if got := members(t, env, jane.ID, caldav.DefaultCalendar); !mapsEqual(got, want) {
		t.Fatalf("members %v, want %v", got, want)
	}
}

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// An object whose UID the calendar holds under a name a client chose
// replaces that member; a UID that is no safe name gets a hash for one,
// and a name in use by another UID is not taken over.
func TestImportCalendar_Names(t *testing.T) {
	env := servertest.New(t)
	jane := env.Account("jane@example.com")
	home := "/dav/calendars/" + jane.ID + "/default/"
	event := func(uid, summary string) string {
		return lines("BEGIN:VEVENT", "UID:"+uid, "DTSTAMP:20260101T000000Z", "DTSTART:20260105T090000Z", "SUMMARY:"+summary, "END:VEVENT")
	}
	cal := func(events ...string) string {
		return "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n" + strings.Join(events, "") + "END:VCALENDAR\r\n"
	}
	for name, body := range map[string]string{"client-chosen.ics": cal(event("a", "by a client")), "b.ics": cal(event("other", "holds b.ics"))} {
		if rec := env.Do(http.MethodPut, home+name, jane.Login, body, "Content-Type", "text/calendar"); rec.Code != http.StatusCreated {
			t.Fatalf("PUT %s: %d %s", name, rec.Code, rec.Body)
		}
	}
	r := post(t, env, importPath("default"), jane.Login, cal(event("a", "imported"), event("b", "new"), event("x/y z", "unsafe")), "text/calendar")
	r.want(t, http.StatusOK, "")
	r.counts(t, fileimport.Counts{Created: 2, Updated: 1})
	if o := r.object(t, "a"); o.Action != fileimport.ActionUpdated || o.Href != home+"client-chosen.ics" {
		t.Fatalf("a: %+v", o)
	}
	b, unsafe := r.object(t, "b"), r.object(t, "x/y z")
	if b.Href == home+"b.ics" || !strings.HasPrefix(b.Href, home) || len(strings.TrimPrefix(b.Href, home)) != 26+4 {
		t.Fatalf("b took %s", b.Href)
	}
	if !strings.HasPrefix(unsafe.Href, home) || len(strings.TrimPrefix(unsafe.Href, home)) != 26+4 {
		t.Fatalf("x/y z took %s", unsafe.Href)
	}
	got := members(t, env, jane.ID, "default")
	if len(got) != 4 || got["client-chosen.ics"] != "a" || got["b.ics"] != "other" {
		t.Fatalf("members %v", got)
	}
}

// A file with refused objects imports nothing, and says which and why;
// skip_refused imports the others. A dry run answers as the import.
func TestImportCalendar_Refused(t *testing.T) {
	env := servertest.New(t)
	jane := env.Account("jane@example.com")
	ctx := context.Background()
	if err := env.Store.CreateCollection(ctx, &storage.Collection{Owner: jane.ID, Name: "events", Kind: storage.KindCalendar, Components: []string{"VEVENT"}}); err != nil {
		t.Fatal(err)
	}
	file := lines("BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//test//EN",
		"BEGIN:VEVENT", "UID:good", "DTSTART:20260105T090000Z", "END:VEVENT",
		"BEGIN:VEVENT", "UID:no-start", "SUMMARY:when?", "END:VEVENT",
		"BEGIN:VTODO", "UID:task", "SUMMARY:a task", "END:VTODO",
		"BEGIN:VEVENT", "UID:broken", `SUMMARY;X="a"b:v`, "END:VEVENT",
		"BEGIN:VEVENT", "UID:zone", "DTSTART;TZID=Mars/Olympus:20260105T090000", "END:VEVENT",
		"END:VCALENDAR")
	for _, q := range []string{"", "?dry_run=true"} {
		r := post(t, env, importPath("events")+q, jane.Login, file, "text/calendar")
		r.want(t, http.StatusUnprocessableEntity, "objects_refused")
		r.counts(t, fileimport.Counts{Created: 1, Refused: 4})
		if !strings.Contains(r.err.Message, "4 of the file's 5 calendar objects are refused") || !strings.Contains(r.err.Message, "nothing was imported") {
			t.Fatalf("message %q", r.err.Message)
		}
		for uid, want := range map[string]fileimport.ObjectJSON{
			"no-start": {Line: 8, Reason: "VEVENT has no DTSTART", Condition: "valid-calendar-data"},
			"task":     {Line: 12, Reason: "this calendar does not accept VTODO components", Condition: "supported-calendar-component"},
			"broken":   {Line: 16, Reason: `line 18: property SUMMARY: parameter X: unexpected 'b' after a quoted value`},
			"zone":     {Line: 20, Reason: `VEVENT: DTSTART: TZID "Mars/Olympus" names no VTIMEZONE in the object and no time zone this server knows`, Condition: "valid-calendar-data"},
		} {
			o := r.object(t, uid)
			if o.Action != fileimport.ActionRefused || o.Line != want.Line || o.Reason != want.Reason || o.Condition != want.Condition || o.Href != "" {
				t.Errorf("%s: %+v, want %+v", uid, o, want)
			}
		}
		if got := members(t, env, jane.ID, "events"); len(got) != 0 {
			t.Fatalf("a refused file stored %v", got)
		}
	}
	r := post(t, env, importPath("events")+"?skip_refused=true", jane.Login, file, "text/calendar")
	r.want(t, http.StatusOK, "")
	r.counts(t, fileimport.Counts{Created: 1, Refused: 4})
	if got := members(t, env, jane.ID, "events"); !mapsEqual(got, map[string]string{"good.ics": "good"}) {
		t.Fatalf("members %v", got)
	}
}

func TestImportAddressBook(t *testing.T) {
	env := servertest.New(t)
	jane := env.Account("jane@example.com")
	path := fileimport.AddressBooksPath + "/" + carddav.DefaultAddressBook + "/import"
	file := func(rev string) string {
		return lines("BEGIN:VCARD", "VERSION:3.0", "UID:anna", "FN:Anna", "END:VCARD",
			"BEGIN:VCARD", "VERSION:4.0", "REV:"+rev, "FN:No UID", "END:VCARD",
			"BEGIN:VCARD", "VERSION:3.0", "UID:anna", "FN:Anna", "END:VCARD")
	}
	r := post(t, env, path+"?dry_run=1", jane.Login, file("20260101T000000Z"), "text/vcard")
	r.want(t, http.StatusOK, "")
	r.counts(t, fileimport.Counts{Created: 2, Duplicates: 1})
	r = post(t, env, path, jane.Login, file("20260101T000000Z"), "text/x-vcard")
	r.want(t, http.StatusOK, "")
	r.counts(t, fileimport.Counts{Created: 2, Duplicates: 1})
	anna := r.object(t, "anna")
	if anna.Component != "VCARD" || anna.Href != "/dav/addressbooks/"+jane.ID+"/contacts/anna.vcf" {
		t.Fatalf("anna: %+v", anna)
	}
	// The card is stored as the file has it.
	if get := env.Do(http.MethodGet, anna.Href, jane.Login, ""); get.Body.String() != lines("BEGIN:VCARD", "VERSION:3.0", "UID:anna", "FN:Anna", "END:VCARD") {
		t.Fatalf("GET: %q", get.Body)
	}
	r = post(t, env, path, jane.Login, file("20260505T000000Z"), "text/vcard")
	r.want(t, http.StatusOK, "")
	r.counts(t, fileimport.Counts{Skipped: 2, Duplicates: 1})

	r = post(t, env, path, jane.Login, lines("BEGIN:VCARD", "VERSION:2.1", "N:Old;Phone", "END:VCARD"), "text/vcard")
	r.want(t, http.StatusUnprocessableEntity, "objects_refused")
	if o := r.report.Objects[0]; o.Reason != "vCard 2.1 is not supported; send vCard 3.0 (RFC 2426) or 4.0 (RFC 6350)" || o.Condition != "supported-address-data" {
		t.Fatalf("2.1 card: %+v", o)
	}
}

// Imports go into the caller's own collections only: another account's,
// a shared one and one that does not exist are all not found, and a
// calendar is no address book.
func TestImport_OtherAccountsCollections(t *testing.T) {
	env := servertest.New(t)
	jane := env.Account("jane@example.com")
	bob := env.Account("bob@example.com")
	g, _, err := sharing.Share(context.Background(), env.Store, jane.ID, caldav.DefaultCalendar, bob.ID, storage.AccessReadWrite)
	if err != nil {
		t.Fatal(err)
	}
	file := export("20260101T000000Z", "Launch")
	for _, tc := range []struct{ path, message string }{
		{importPath(g.Mount), fmt.Sprintf("you have no calendar named %q", g.Mount)},
		{importPath(jane.ID + "-default"), fmt.Sprintf("you have no calendar named %q", jane.ID+"-default")},
		{importPath("nothing"), `you have no calendar named "nothing"`},
		{importPath(carddav.DefaultAddressBook), `you have no calendar named "contacts"`},
		{fileimport.AddressBooksPath + "/default/import", `you have no address book named "default"`},
	} {
		r := post(t, env, tc.path, bob.Login, file, "text/calendar")
		r.want(t, http.StatusNotFound, "not_found")
		if r.err.Message != tc.message {
			t.Errorf("%s: %q, want %q", tc.path, r.err.Message, tc.message)
		}
	}
	if got := members(t, env, jane.ID, caldav.DefaultCalendar); len(got) != 0 {
		t.Fatalf("jane's calendar got %v", got)
	}
	if rec := env.Do(http.MethodPost, importPath("default"), "", file, "Content-Type", "text/calendar"); rec.Code != http.StatusUnauthorized {
		t.Fatalf("without login: %d", rec.Code)
	}
}

func TestImport_BadInput(t *testing.T) {
	env := servertest.New(t, func(c *server.Config) { c.ImportMaxFile = 100 << 10 })
	jane := env.Account("jane@example.com")
	path := importPath("default")
	big := "BEGIN:VCALENDAR\r\n" + strings.Repeat("X-PAD:"+strings.Repeat("x", 60)+"\r\n", 2000) + "END:VCALENDAR\r\n"
	for _, tc := range []struct {
		name, path, body, contentType string
		status                        int
		code, field, message          string
	}{
		{"not iCalendar", path, "<html>oops</html>\n", "text/calendar", 400, "invalid_file", "",
			`the file is not an iCalendar file: line 1: content line "<html>oops</html>" has no colon`},
		{"a vCard for a calendar", path, lines("BEGIN:VCARD", "VERSION:4.0", "END:VCARD"), "text/calendar", 400, "invalid_file", "",
			`the file is not an iCalendar file: line 1: an iCalendar file holds VCALENDAR objects (BEGIN:VCALENDAR), not "BEGIN:VCARD"`},
		{"cut short", path, lines("BEGIN:VCALENDAR", "BEGIN:VEVENT"), "text/calendar", 400, "invalid_file", "",
			"the file is not an iCalendar file: line 2: the file ends before END:VEVENT"},
		{"empty", path, "", "text/calendar", 400, "invalid_file", "",
			"the file is not an iCalendar file: the file holds no VCALENDAR (BEGIN:VCALENDAR)"},
		{"too big", path, big, "text/calendar", 413, "too_large", "", "the file is larger than 102400 bytes; split it"},
		{"form encoded (curl -d without -H)", path, "BEGIN:VCALENDAR", "application/x-www-form-urlencoded", 415, "unsupported_media_type", "",
			`send the iCalendar file as text/calendar, or its URL as application/json {"url": "https://..."}`},
		{"a vCard media type for a calendar", path, "x", "text/vcard", 415, "unsupported_media_type", "", ""},
		{"unknown parameter", path + "?dryrun=true", "x", "text/calendar", 400, "invalid_field", "dryrun",
			`unknown parameter "dryrun"; an import takes dry_run and skip_refused`},
		{"not a boolean", path + "?dry_run=maybe", "x", "text/calendar", 400, "invalid_field", "dry_run", "dry_run must be true or false"},
		{"no url", path, `{}`, "application/json", 400, "invalid_field", "url", "url names the iCalendar file to import"},
		{"a JSON body larger than JSON bodies are", path, `{"url":"https://example.com/` + strings.Repeat("a", 70<<10) + `"}`, "application/json",
			413, "too_large", "", "the request body exceeds 65536 bytes"},
		{"unknown JSON field", path, `{"uri":"https://example.com/a.ics"}`, "application/json", 400, "invalid_field", "uri", `unknown field "uri"`},
		{"not http", path, `{"url":"file:///etc/passwd"}`, "application/json", 400, "invalid_field", "url", "only http and https URLs are fetched"},
		{"a private address", path, `{"url":"http://127.0.0.1:1/cal.ics"}`, "application/json", 400, "url_not_allowed", "url",
			"127.0.0.1:1 leads to 127.0.0.1, an address of a private or local network, which this server does not fetch from"},
		{"a name of a private address", path, `{"url":"http://localhost:1/cal.ics"}`, "application/json", 400, "url_not_allowed", "url", ""},
		{"the cloud's metadata service", path, `{"url":"http://169.254.169.254/latest/meta-data/"}`, "application/json", 400, "url_not_allowed", "url", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := post(t, env, tc.path, jane.Login, tc.body, tc.contentType)
			r.want(t, tc.status, tc.code)
			if r.err.Field != tc.field || tc.message != "" && r.err.Message != tc.message {
				t.Errorf("error %+v, want field %q message %q", r.err, tc.field, tc.message)
			}
			if got := members(t, env, jane.ID, "default"); len(got) != 0 {
				t.Fatalf("stored %v", got)
			}
		})
	}
}

// A file larger than a JSON body (api.MaxBody) but within the import's
// cap goes through the server's body limits.
func TestImport_LargeUpload(t *testing.T) {
	env := servertest.New(t)
	jane := env.Account("jane@example.com")
	var b strings.Builder
	b.WriteString("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n")
	for i := range 2000 {
		fmt.Fprintf(&b, "BEGIN:VEVENT\r\nUID:e%d\r\nDTSTART:20260105T090000Z\r\nSUMMARY:event number %d\r\nEND:VEVENT\r\n", i, i)
	}
	b.WriteString("END:VCALENDAR\r\n")
	if b.Len() < 2*65536 {
		t.Fatalf("the file has %d bytes only", b.Len())
	}
	r := post(t, env, importPath("default"), jane.Login, b.String(), "text/calendar")
	r.want(t, http.StatusOK, "")
	r.counts(t, fileimport.Counts{Created: 2000})
	if got := collSeq(t, env, jane.ID, "default"); got != 2000 {
		t.Fatalf("seq %d", got)
	}
}

// With -import-allow-private, a URL on the server's own network is
// fetched; its answer is imported like an upload.
func TestImport_URL(t *testing.T) {
	env := servertest.New(t, func(c *server.Config) { c.ImportAllowPrivate = true })
	jane := env.Account("jane@example.com")
	feed := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/work.ics" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/plain") // as many servers send it
		fmt.Fprint(w, export("20260101T000000Z", "Launch"))
	}))
	defer feed.Close()
	r := post(t, env, importPath("default"), jane.Login, `{"url":"`+feed.URL+`/work.ics"}`, "application/json")
	r.want(t, http.StatusOK, "")
	r.counts(t, fileimport.Counts{Created: 3})
	if r.report.Source != feed.URL+"/work.ics" {
		t.Fatalf("source %q", r.report.Source)
	}
	r = post(t, env, importPath("default"), jane.Login, `{"url":"`+feed.URL+`/gone.ics"}`, "application/json")
	r.want(t, http.StatusBadRequest, "fetch_failed")
	if r.err.Message != feed.URL+"/gone.ics answered 404 Not Found" || r.err.Field != "url" {
		t.Fatalf("error %+v", r.err)
	}
}

// racingStore writes to the collection between an import's plan and its
// write, as a client syncing meanwhile would, the first time only.
type racingStore struct {
	storage.Store
	race func()
}

func (s *racingStore) PutBatch(ctx context.Context, puts []storage.PutObject) ([]storage.PutResult, error) {
	if s.race != nil {
		race := s.race
		s.race = nil
		race()
	}
	return s.Store.PutBatch(ctx, puts)
}

// When the collection changes between plan and write, the import plans
// again and still writes each UID once.
func TestImport_CollectionChangedMeanwhile(t *testing.T) {
	var racing *racingStore
	env := servertest.New(t, func(c *server.Config) {
		racing = &racingStore{Store: c.Store}
		c.Store = racing
	})
	jane := env.Account("jane@example.com")
	home := "/dav/calendars/" + jane.ID + "/default/"
	racing.race = func() {
		body := lines("BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//client//EN", "BEGIN:VEVENT", "UID:launch@example.com",
			"DTSTART:20260301T120000Z", "SUMMARY:written by a phone", "END:VEVENT", "END:VCALENDAR")
		if rec := env.Do(http.MethodPut, home+"phone.ics", jane.Login, body, "Content-Type", "text/calendar"); rec.Code != http.StatusCreated {
			t.Errorf("PUT: %d %s", rec.Code, rec.Body)
		}
	}
	r := post(t, env, importPath("default"), jane.Login, export("20260101T000000Z", "Launch"), "text/calendar")
	r.want(t, http.StatusOK, "")
	r.counts(t, fileimport.Counts{Created: 2, Updated: 1})
	if o := r.object(t, "launch@example.com"); o.Href != home+"phone.ics" {
		t.Fatalf("launch: %+v", o)
	}
	if got := members(t, env, jane.ID, "default"); len(got) != 3 || got["phone.ics"] != "launch@example.com" {
		t.Fatalf("members %v", got)
	}
}
