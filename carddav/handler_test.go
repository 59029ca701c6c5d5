package carddav_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"almanac/auth"
	"almanac/caldav"
	"almanac/carddav"
	"almanac/internal/davtest"
	"almanac/internal/davtree"
	"almanac/server/servertest"
	"almanac/storage"
	"almanac/storage/bolt"
)

// env is one server with calendars and address books and two accounts;
// alice makes the requests.
type env struct {
	t     testing.TB
	store *bolt.DB
	h     http.Handler
	alice *storage.Account
	bob   *storage.Account
}

func newEnv(t testing.TB, opts davtree.Options) *env {
	t.Helper()
	opts.Principal = auth.AccountFrom
	db := servertest.Store(t)
	e := &env{t: t, store: db, h: davtree.New(db, opts, caldav.New(db, caldav.Options{}), carddav.New(db, carddav.Options{}))}
	e.alice, e.bob = servertest.Account(t, db, "alice@example.com"), servertest.Account(t, db, "bob@example.com")
	return e
}

func (e *env) book(name string) string { return "/dav/addressbooks/" + e.alice.ID + "/" + name + "/" }
func (e *env) card(b, n string) string { return e.book(b) + n }

func (e *env) do(method, path, body string, hdr ...string) *httptest.ResponseRecorder {
	e.t.Helper()
	r := httptest.NewRequest(method, path, strings.NewReader(body))
	for i := 0; i+1 < len(hdr); i += 2 {
		r.Header.Set(hdr[i], hdr[i+1])
	}
	r = r.WithContext(auth.WithAccount(r.Context(), e.alice))
	rec := httptest.NewRecorder()
	e.h.ServeHTTP(rec, r)
	return rec
}

func (e *env) put(path, body string, hdr ...string) *httptest.ResponseRecorder {
	e.t.Helper()
	return e.do("PUT", path, body, append([]string{"Content-Type", "text/vcard; charset=utf-8"}, hdr...)...)
}

// mustPut stores a card and fails the test unless it was created.
func (e *env) mustPut(path, body string) {
	e.t.Helper()
	if rec := e.put(path, body); rec.Code != http.StatusCreated {
		e.t.Fatalf("PUT %s: %d %s", path, rec.Code, rec.Body)
	}
}

// stored reports whether a member exists in the store.
func (e *env) stored(book, name string) bool {
	e.t.Helper()
	_, err := e.store.Stat(context.Background(), e.alice.ID, book, name)
	if err != nil && !errors.Is(err, storage.ErrNotFound) {
		e.t.Fatal(err)
	}
	return err == nil
}

func card3(uid, fn string, extra ...string) string {
	return "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:" + uid + "\r\nFN:" + fn + "\r\nN:" + fn + ";;;;\r\n" +
		strings.Join(append(extra, ""), "\r\n") + "END:VCARD\r\n"
}

func card4(uid, fn string, extra ...string) string {
	return "BEGIN:VCARD\r\nVERSION:4.0\r\nUID:" + uid + "\r\nFN:" + fn + "\r\n" +
		strings.Join(append(extra, ""), "\r\n") + "END:VCARD\r\n"
}

const propfindBody = `<?xml version="1.0"?><D:propfind xmlns:D="DAV:" xmlns:CR="urn:ietf:params:xml:ns:carddav" xmlns:CS="http://calendarserver.org/ns/">
<D:prop><D:resourcetype/><D:displayname/><CR:addressbook-description/><CR:supported-address-data/><CR:max-resource-size/>
<D:supported-report-set/><D:current-user-privilege-set/><CS:getctag/><D:sync-token/><CR:supported-collation-set/>
<CR:addressbook-home-set/><D:getetag/><D:getcontenttype/></D:prop></D:propfind>`

func TestOptionsAdvertisesAddressbook(t *testing.T) {
	e := newEnv(t, davtree.Options{})
	rec := e.do("OPTIONS", e.book("contacts"), "")
	if rec.Code != http.StatusOK {
		t.Fatalf("status %d", rec.Code)
	}
	for _, c := range []string{"addressbook", "calendar-access", "extended-mkcol"} {
		if !strings.Contains(rec.Header().Get("DAV"), c) {
			t.Errorf("DAV header %q lacks %s", rec.Header().Get("DAV"), c)
		}
	}
	if allow := e.do("OPTIONS", e.book("new"), "").Header().Get("Allow"); allow != "OPTIONS, MKCOL" {
		t.Errorf("Allow on a missing address book = %q, want OPTIONS, MKCOL (no MKCALENDAR)", allow)
	}
}

func TestPrincipalHasBothHomes(t *testing.T) {
	e := newEnv(t, davtree.Options{})
	p := "/dav/principals/" + e.alice.ID + "/"
	m := davtest.ParseMS(t, e.do("PROPFIND", p, `<D:propfind xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav" xmlns:CR="urn:ietf:params:xml:ns:carddav"><D:prop><CR:addressbook-home-set/><C:calendar-home-set/></D:prop></D:propfind>`, "Depth", "0"))
	if _, inner, ok := m.Prop(p, "addressbook-home-set"); !ok || !strings.Contains(inner, "/dav/addressbooks/"+e.alice.ID+"/") {
		t.Errorf("addressbook-home-set = %q, %v", inner, ok)
	}
	if _, inner, ok := m.Prop(p, "calendar-home-set"); !ok || !strings.Contains(inner, "/dav/calendars/"+e.alice.ID+"/") {
		t.Errorf("calendar-home-set = %q, %v", inner, ok)
	}
	// The root lists both homes' containers.
	root := davtest.ParseMS(t, e.do("PROPFIND", "/dav/", "", "Depth", "1"))
	if got := strings.Join(root.Hrefs(), " "); got != "/dav/ /dav/principals/ /dav/calendars/ /dav/addressbooks/" {
		t.Errorf("root Depth 1 = %s", got)
	}
}

func TestHomeListsOnlyAddressBooks(t *testing.T) {
	e := newEnv(t, davtree.Options{})
	home := "/dav/addressbooks/" + e.alice.ID + "/"
	m := davtest.ParseMS(t, e.do("PROPFIND", home, propfindBody, "Depth", "1"))
	if got := strings.Join(m.Hrefs(), " "); got != home+" "+e.book("contacts") {
		t.Fatalf("home lists %s", got)
	}
	c := e.book("contacts")
	checks := map[string]string{
		"resourcetype":               "addressbook",
		"displayname":                "Contacts",
		"supported-address-data":     `version="4.0"`,
		"max-resource-size":          fmt.Sprint(davtree.DefaultMaxResourceSize),
		"supported-report-set":       "addressbook-query",
		"supported-collation-set":    "i;unicode-casemap",
		"current-user-privilege-set": "write-content",
		"getctag":                    "-",
		"sync-token":                 "urn:almanac:sync:",
	}
	for prop, want := range checks {
		text, inner, ok := m.Prop(c, prop)
		if !ok || !strings.Contains(text+inner, want) {
			t.Errorf("%s = %q%q (found %v), want it to contain %q", prop, text, inner, ok, want)
		}
	}
	if _, inner, _ := m.Prop(c, "supported-report-set"); !strings.Contains(inner, "addressbook-multiget") || !strings.Contains(inner, "sync-collection") {
		t.Errorf("supported-report-set = %s", inner)
	}
	// The calendar home does not list the address book.
	cm := davtest.ParseMS(t, e.do("PROPFIND", "/dav/calendars/"+e.alice.ID+"/", "", "Depth", "1"))
	for _, h := range cm.Hrefs() {
		if strings.Contains(h, "contacts") {
			t.Errorf("calendar home lists %s", h)
		}
	}
}

func TestExtendedMkcol(t *testing.T) {
	e := newEnv(t, davtree.Options{})
	body := func(rt, props string) string {
		return `<D:mkcol xmlns:D="DAV:" xmlns:CR="urn:ietf:params:xml:ns:carddav" xmlns:CS="http://calendarserver.org/ns/"><D:set><D:prop><D:resourcetype>` + rt + `</D:resourcetype>` + props + `</D:prop></D:set></D:mkcol>`
	}
	ab := `<D:collection/><CR:addressbook/>`
	tests := []struct {
		name, method, path, body string
		status                   int
		cond                     string
	}{
		{"created with props", "MKCOL", e.book("work"), body(ab, `<D:displayname>Work</D:displayname><CR:addressbook-description>Colleagues</CR:addressbook-description>`), 201, ""},
		{"exists", "MKCOL", e.book("contacts"), body(ab, ""), 405, ""},
		{"no addressbook resourcetype", "MKCOL", e.book("plain"), body(`<D:collection/>`, ""), 403, "valid-resourcetype"},
		{"calendar resourcetype", "MKCOL", e.book("cal"), `<D:mkcol xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:set><D:prop><D:resourcetype><D:collection/><C:calendar/></D:resourcetype></D:prop></D:set></D:mkcol>`, 403, "valid-resourcetype"},
		{"plain MKCOL without body", "MKCOL", e.book("empty"), "", 403, "valid-resourcetype"},
		{"MKCALENDAR in address-book home", "MKCALENDAR", e.book("mkcal"), "", 403, "calendar-collection-location-ok"},
		{"protected property", "MKCOL", e.book("ctag"), body(ab, `<CS:getctag>x</CS:getctag>`), 403, "cannot-modify-protected-property"},
		{"computed address-book property", "MKCOL", e.book("sad"), body(ab, `<CR:supported-address-data/>`), 403, "cannot-modify-protected-property"},
		{"nested", "MKCOL", e.book("contacts") + "inner/", body(ab, ""), 403, "addressbook-collection-location-ok"},
		{"missing parent", "MKCOL", e.book("nope") + "inner/", body(ab, ""), 409, ""},
		{"name of a calendar", "MKCOL", e.book("default"), body(ab, ""), 403, "addressbook-collection-location-ok"},
		{"wrong root element", "MKCOL", e.book("root"), `<D:propertyupdate xmlns:D="DAV:"/>`, 400, ""},
		{"other user's home", "MKCOL", "/dav/addressbooks/" + e.bob.ID + "/x/", body(ab, ""), 404, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := e.do(tt.method, tt.path, tt.body, "Content-Type", "application/xml")
			davtest.WantError(t, rec, tt.status, tt.cond)
			if tt.status != 201 && tt.name != "exists" && tt.name != "name of a calendar" {
				name := strings.TrimSuffix(strings.TrimPrefix(tt.path, e.book("")), "/")
				if _, err := e.store.Collection(context.Background(), e.alice.ID, name); !errors.Is(err, storage.ErrNotFound) {
					t.Errorf("refused MKCOL left collection %q (err %v)", name, err)
				}
			}
		})
	}
	m := davtest.ParseMS(t, e.do("PROPFIND", e.book("work"), propfindBody, "Depth", "0"))
	if text, _, _ := m.Prop(e.book("work"), "displayname"); text != "Work" {
		t.Errorf("displayname = %q", text)
	}
	if text, _, _ := m.Prop(e.book("work"), "addressbook-description"); text != "Colleagues" {
		t.Errorf("addressbook-description = %q", text)
	}
}

func TestProppatch(t *testing.T) {
	e := newEnv(t, davtree.Options{})
	ok := `<D:propertyupdate xmlns:D="DAV:" xmlns:CR="urn:ietf:params:xml:ns:carddav"><D:set><D:prop><D:displayname>Family</D:displayname><CR:addressbook-description>Home</CR:addressbook-description></D:prop></D:set></D:propertyupdate>`
	m := davtest.ParseMS(t, e.do("PROPPATCH", e.book("contacts"), ok))
	if !strings.Contains(m.Responses[0].Propstats[0].Status, "200") {
		t.Fatalf("PROPPATCH status %s", m.Responses[0].Propstats[0].Status)
	}
	got := davtest.ParseMS(t, e.do("PROPFIND", e.book("contacts"), propfindBody, "Depth", "0"))
	if text, _, _ := got.Prop(e.book("contacts"), "displayname"); text != "Family" {
		t.Errorf("displayname = %q", text)
	}
	// A computed property fails the whole update.
	bad := `<D:propertyupdate xmlns:D="DAV:" xmlns:CR="urn:ietf:params:xml:ns:carddav"><D:set><D:prop><D:displayname>X</D:displayname><CR:max-resource-size>1</CR:max-resource-size></D:prop></D:set></D:propertyupdate>`
	m = davtest.ParseMS(t, e.do("PROPPATCH", e.book("contacts"), bad))
	var statuses []string
	for _, ps := range m.Responses[0].Propstats {
		statuses = append(statuses, ps.Status)
	}
	if s := strings.Join(statuses, ","); !strings.Contains(s, "403") || !strings.Contains(s, "424") {
		t.Errorf("statuses %s, want 403 and 424", s)
	}
	got = davtest.ParseMS(t, e.do("PROPFIND", e.book("contacts"), propfindBody, "Depth", "0"))
	if text, _, _ := got.Prop(e.book("contacts"), "displayname"); text != "Family" {
		t.Errorf("displayname after refused PROPPATCH = %q", text)
	}
	davtest.WantError(t, e.do("PROPPATCH", e.book("missing"), ok), 404, "")
}

func TestPut(t *testing.T) {
	e := newEnv(t, davtree.Options{MaxResourceSize: 64 << 10})
	e.mustPut(e.card("contacts", "held.vcf"), card3("uid-held", "Held"))
	tests := []struct {
		name, path, body string
		hdr              []string
		status           int
		cond             string
	}{
		{"3.0", e.card("contacts", "a.vcf"), card3("uid-a", "Anna"), nil, 201, ""},
		{"4.0", e.card("contacts", "b.vcf"), card4("uid-b", "Bert", "KIND:individual"), nil, 201, ""},
		{"4.0 without FN", e.card("contacts", "nofn.vcf"), "BEGIN:VCARD\r\nVERSION:4.0\r\nUID:uid-nofn\r\nEND:VCARD\r\n", nil, 403, "valid-address-data"},
		{"text/x-vcard", e.card("contacts", "x.vcf"), card3("uid-x", "Xavier"), []string{"Content-Type", "text/x-vcard"}, 201, ""},
		{"overwrite", e.card("contacts", "held.vcf"), card3("uid-held", "Held Again"), nil, 204, ""},
		{"If-None-Match on existing", e.card("contacts", "held.vcf"), card3("uid-held", "H"), []string{"If-None-Match", "*"}, 412, ""},
		{"If-Match wrong", e.card("contacts", "held.vcf"), card3("uid-held", "H"), []string{"If-Match", `"nope"`}, 412, ""},
		{"If-Match on missing", e.card("contacts", "new.vcf"), card3("uid-new", "N"), []string{"If-Match", `"x"`}, 412, ""},
		{"no UID", e.card("contacts", "c.vcf"), "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:No Uid\r\nN:;;;;\r\nEND:VCARD\r\n", nil, 403, "valid-address-data"},
		{"two cards", e.card("contacts", "d.vcf"), card3("uid-d1", "D") + card3("uid-d2", "E"), nil, 403, "valid-address-data"},
		{"vCard 2.1", e.card("contacts", "e.vcf"), "BEGIN:VCARD\r\nVERSION:2.1\r\nUID:uid-e\r\nN:E;;;;\r\nFN:E\r\nEND:VCARD\r\n", nil, 403, "supported-address-data"},
		{"not a vCard", e.card("contacts", "f.vcf"), "hello", nil, 403, "valid-address-data"},
		{"iCalendar media type", e.card("contacts", "g.vcf"), card3("uid-g", "G"), []string{"Content-Type", "text/calendar"}, 403, "supported-address-data"},
		{"UID of another member", e.card("contacts", "dup.vcf"), card3("uid-held", "Dup"), nil, 403, "no-uid-conflict"},
		{"too large", e.card("contacts", "big.vcf"), card3("uid-big", "Big", "NOTE:"+strings.Repeat("x", 70<<10)), nil, 403, "max-resource-size"},
		{"missing address book", e.card("nope", "h.vcf"), card3("uid-h", "H"), nil, 409, ""},
		{"on the collection", e.book("contacts"), card3("uid-i", "I"), nil, 405, ""},
		{"other user's book", "/dav/addressbooks/" + e.bob.ID + "/contacts/j.vcf", card3("uid-j", "J"), nil, 404, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before, _ := e.store.Get(context.Background(), e.alice.ID, "contacts", "held.vcf")
			rec := e.put(tt.path, tt.body, tt.hdr...)
			davtest.WantError(t, rec, tt.status, tt.cond)
			name := tt.path[strings.LastIndex(tt.path, "/")+1:]
			switch {
			case tt.status == 201:
				if rec.Header().Get("ETag") == "" || rec.Header().Get("Location") == "" {
					t.Errorf("201 without ETag or Location: %v", rec.Header())
				}
				if got := e.do("GET", tt.path, ""); got.Body.String() != tt.body {
					t.Errorf("GET returns %q, want the stored bytes %q", got.Body, tt.body)
				}
			case tt.status >= 400 && name != "held.vcf" && name != "":
				if e.stored("contacts", name) {
					t.Errorf("refused PUT stored %s", name)
				}
			case tt.status >= 400:
				after, _ := e.store.Get(context.Background(), e.alice.ID, "contacts", "held.vcf")
				if string(after.Data) != string(before.Data) {
					t.Errorf("refused PUT changed held.vcf")
				}
			}
		})
	}
	rec := e.put(e.card("contacts", "dup.vcf"), card3("uid-held", "Dup"))
	if want := "<D:href>" + e.card("contacts", "held.vcf") + "</D:href>"; !strings.Contains(rec.Body.String(), want) {
		t.Errorf("no-uid-conflict body %s lacks %s", rec.Body, want)
	}
}

// TestLargePhoto stores a card with a multi-megabyte inline photo, under
// the default cap, and reads back the same bytes.
func TestLargePhoto(t *testing.T) {
	e := newEnv(t, davtree.Options{})
	photo := strings.Repeat("QUJD", 2<<20) // 8 MiB of base64
	var folded strings.Builder
	line := "PHOTO;ENCODING=b;TYPE=JPEG:" + photo
	for i := 0; i < len(line); i += 74 {
		if i > 0 {
			folded.WriteString("\r\n ")
		}
		folded.WriteString(line[i:min(i+74, len(line))])
	}
	body := card3("uid-photo", "Photo", folded.String())
	e.mustPut(e.card("contacts", "photo.vcf"), body)
	if got := e.do("GET", e.card("contacts", "photo.vcf"), ""); got.Body.String() != body {
		t.Errorf("GET returned %d bytes, want the %d stored", got.Body.Len(), len(body))
	}
	// Converted to 4.0 the photo becomes a data: URI.
	got := e.do("GET", e.card("contacts", "photo.vcf"), "", "Accept", "text/vcard; version=4.0")
	if !strings.Contains(got.Body.String(), "PHOTO:data:image/jpeg;base64,QUJD") {
		t.Errorf("4.0 rendering lacks the data: URI photo: %.200s", got.Body)
	}
}

func TestGetNegotiatesVersion(t *testing.T) {
	e := newEnv(t, davtree.Options{})
	stored := card3("uid-n", "Nina", "TEL;TYPE=CELL:+41 79 000 00 00", "BDAY:--0412")
	e.mustPut(e.card("contacts", "n.vcf"), stored)
	plain := e.do("GET", e.card("contacts", "n.vcf"), "")
	if plain.Body.String() != stored || plain.Header().Get("Content-Type") != "text/vcard; charset=utf-8" {
		t.Fatalf("plain GET: %q %q", plain.Header().Get("Content-Type"), plain.Body)
	}
	etag := plain.Header().Get("ETag")
	v4 := e.do("GET", e.card("contacts", "n.vcf"), "", "Accept", "text/vcard;version=4.0")
	if v4.Code != 200 || !strings.Contains(v4.Body.String(), "VERSION:4.0") || !strings.Contains(v4.Body.String(), "BDAY:--0412") ||
		!strings.Contains(strings.ToLower(v4.Body.String()), "type=cell") {
		t.Errorf("4.0 GET: %d %q", v4.Code, v4.Body)
	}
	if v4.Header().Get("ETag") != etag || !strings.Contains(v4.Header().Get("Content-Type"), "version=4.0") {
		t.Errorf("4.0 GET headers %v, want the stored ETag %s", v4.Header(), etag)
	}
	if v4.Header().Get("Vary") != "Accept" {
		t.Errorf("Vary = %q, want Accept", v4.Header().Get("Vary"))
	}
	// The stored bytes did not change.
	if again := e.do("GET", e.card("contacts", "n.vcf"), ""); again.Body.String() != stored {
		t.Errorf("stored bytes changed: %q", again.Body)
	}
	refused := e.do("GET", e.card("contacts", "n.vcf"), "", "Accept", "text/html")
	davtest.WantError(t, refused, 406, "supported-address-data-conversion")
	if refused.Header().Get("ETag") != "" {
		t.Errorf("406 carries ETag %q of a representation it does not send", refused.Header().Get("ETag"))
	}
	if r := e.do("GET", e.card("contacts", "n.vcf"), "", "If-None-Match", etag); r.Code != 304 {
		t.Errorf("If-None-Match: %d", r.Code)
	}
	if r := e.do("HEAD", e.card("contacts", "n.vcf"), ""); r.Code != 200 || r.Body.Len() != 0 || r.Header().Get("Content-Length") != fmt.Sprint(len(stored)) {
		t.Errorf("HEAD: %d %d %q", r.Code, r.Body.Len(), r.Header().Get("Content-Length"))
	}
	davtest.WantError(t, e.do("GET", e.card("contacts", "none.vcf"), ""), 404, "")
	davtest.WantError(t, e.do("GET", e.book("contacts"), ""), 405, "")
}

func TestDeleteAndTransfer(t *testing.T) {
	e := newEnv(t, davtree.Options{})
	e.mustPut(e.card("contacts", "a.vcf"), card3("uid-a", "Anna"))
	mk := `<D:mkcol xmlns:D="DAV:" xmlns:CR="urn:ietf:params:xml:ns:carddav"><D:set><D:prop><D:resourcetype><D:collection/><CR:addressbook/></D:resourcetype></D:prop></D:set></D:mkcol>`
	if rec := e.do("MKCOL", e.book("work"), mk); rec.Code != 201 {
		t.Fatalf("MKCOL %d", rec.Code)
	}
	if rec := e.do("COPY", e.card("contacts", "a.vcf"), "", "Destination", e.card("work", "a.vcf")); rec.Code != 201 {
		t.Fatalf("COPY %d %s", rec.Code, rec.Body)
	}
	davtest.WantError(t, e.do("MOVE", e.card("contacts", "a.vcf"), "", "Destination", "/dav/calendars/"+e.alice.ID+"/default/a.ics"), 403, "")
	davtest.WantError(t, e.do("MOVE", e.card("contacts", "a.vcf"), "", "Destination", e.card("nope", "a.vcf")), 409, "")
	if rec := e.do("MOVE", e.card("contacts", "a.vcf"), "", "Destination", e.card("work", "b.vcf")); rec.Code != 403 {
		// The UID is already in work (the copy).
		t.Errorf("MOVE onto a UID holder: %d", rec.Code)
	}
	davtest.WantError(t, e.do("DELETE", e.card("contacts", "a.vcf"), "", "If-Match", `"stale"`), 412, "")
	if rec := e.do("DELETE", e.card("contacts", "a.vcf"), ""); rec.Code != 204 || e.stored("contacts", "a.vcf") {
		t.Errorf("DELETE member: %d", rec.Code)
	}
	davtest.WantError(t, e.do("DELETE", e.card("contacts", "a.vcf"), ""), 404, "")
	if rec := e.do("DELETE", e.book("work"), ""); rec.Code != 204 {
		t.Errorf("DELETE address book: %d", rec.Code)
	}
	davtest.WantError(t, e.do("PROPFIND", e.book("work"), "", "Depth", "0"), 404, "")
	davtest.WantError(t, e.do("DELETE", "/dav/addressbooks/"+e.alice.ID+"/", ""), 403, "")
}

func TestAddressBookQuery(t *testing.T) {
	e := newEnv(t, davtree.Options{})
	cards := map[string]string{
		"zoe.vcf":   card3("uid-zoe", "Zoë Çelik", "EMAIL;TYPE=WORK:zoe@example.com", "TEL;TYPE=CELL:+41 1"),
		"max.vcf":   card4("uid-max", "Max Muster", "EMAIL;TYPE=home:max@example.org", "NICKNAME:maxi"),
		"group.vcf": card4("uid-grp", "Team", "KIND:group", "MEMBER:urn:uuid:uid-max"),
		"apple.vcf": card3("uid-apg", "Old Friends", "X-ADDRESSBOOKSERVER-KIND:group"),
	}
	for n, c := range cards {
		e.mustPut(e.card("contacts", n), c)
	}
	q := func(filter, extra string) string {
		return `<CR:addressbook-query xmlns:D="DAV:" xmlns:CR="urn:ietf:params:xml:ns:carddav"><D:prop><D:getetag/>` + extra + `</D:prop>` + filter + `</CR:addressbook-query>`
	}
	tm := func(prop, match, text string, attrs ...string) string {
		return `<CR:filter><CR:prop-filter name="` + prop + `"><CR:text-match match-type="` + match + `" ` + strings.Join(attrs, " ") + `>` + text + `</CR:text-match></CR:prop-filter></CR:filter>`
	}
	tests := []struct {
		name, body string
		want       []string
	}{
		{"contains, unicode casemap", q(tm("FN", "contains", "ZOË"), ""), []string{"zoe.vcf"}},
		{"starts-with", q(tm("FN", "starts-with", "max"), ""), []string{"max.vcf"}},
		{"ends-with", q(tm("EMAIL", "ends-with", "EXAMPLE.ORG"), ""), []string{"max.vcf"}},
		{"equals", q(tm("NICKNAME", "equals", "MAXI"), ""), []string{"max.vcf"}},
		{"equals is whole value", q(tm("NICKNAME", "equals", "max"), ""), nil},
		{"i;octet is case-sensitive", q(tm("FN", "contains", "zoë", `collation="i;octet"`), ""), nil},
		{"i;octet exact", q(tm("FN", "contains", "Zoë", `collation="i;octet"`), ""), []string{"zoe.vcf"}},
		{"negate", q(tm("FN", "contains", "o", `negate-condition="yes"`), ""), []string{"max.vcf", "group.vcf"}},
		{"param-filter", q(`<CR:filter><CR:prop-filter name="EMAIL"><CR:param-filter name="TYPE"><CR:text-match match-type="equals">work</CR:text-match></CR:param-filter></CR:prop-filter></CR:filter>`, ""), []string{"zoe.vcf"}},
		{"is-not-defined", q(`<CR:filter><CR:prop-filter name="EMAIL"><CR:is-not-defined/></CR:prop-filter></CR:filter>`, ""), []string{"group.vcf", "apple.vcf"}},
		{"anyof", q(`<CR:filter test="anyof"><CR:prop-filter name="KIND"><CR:text-match match-type="equals">group</CR:text-match></CR:prop-filter><CR:prop-filter name="X-ADDRESSBOOKSERVER-KIND"/></CR:filter>`, ""), []string{"group.vcf", "apple.vcf"}},
		{"allof", q(`<CR:filter test="allof"><CR:prop-filter name="EMAIL"/><CR:prop-filter name="TEL"/></CR:filter>`, ""), []string{"zoe.vcf"}},
		{"empty filter matches all", q(`<CR:filter/>`, ""), []string{"zoe.vcf", "max.vcf", "group.vcf", "apple.vcf"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := davtest.ParseMS(t, e.do("REPORT", e.book("contacts"), tt.body, "Depth", "1"))
			got := map[string]bool{}
			for _, h := range m.Hrefs() {
				got[strings.TrimPrefix(h, e.book("contacts"))] = true
			}
			if len(got) != len(tt.want) {
				t.Errorf("matched %v, want %v", m.Hrefs(), tt.want)
			}
			for _, w := range tt.want {
				if !got[w] {
					t.Errorf("missing %s in %v", w, m.Hrefs())
				}
			}
		})
	}

	t.Run("partial address-data", func(t *testing.T) {
		m := davtest.ParseMS(t, e.do("REPORT", e.book("contacts"), q(tm("FN", "contains", "zoë"), `<CR:address-data><CR:prop name="FN"/><CR:prop name="EMAIL"/></CR:address-data>`), "Depth", "1"))
		text, _, ok := m.Prop(e.card("contacts", "zoe.vcf"), "address-data")
		if !ok || !strings.Contains(text, "FN:Zoë Çelik") || !strings.Contains(text, "EMAIL;TYPE=WORK:zoe@example.com") ||
			!strings.Contains(text, "VERSION:3.0") || strings.Contains(text, "TEL") || strings.Contains(text, "UID") {
			t.Errorf("address-data = %q", text)
		}
	})
	t.Run("limit truncates with 507", func(t *testing.T) {
		body := `<CR:addressbook-query xmlns:D="DAV:" xmlns:CR="urn:ietf:params:xml:ns:carddav"><D:prop><D:getetag/></D:prop><CR:filter/><CR:limit><CR:nresults>2</CR:nresults></CR:limit></CR:addressbook-query>`
		m := davtest.ParseMS(t, e.do("REPORT", e.book("contacts"), body, "Depth", "1"))
		if len(m.Responses) != 3 || m.Responses[2].Href != e.book("contacts") || !strings.Contains(m.Responses[2].Status, "507") {
			t.Errorf("responses %v, want 2 matches and a 507 for the collection", m.Hrefs())
		}
		body = strings.Replace(body, ">2<", ">4<", 1)
		if m := davtest.ParseMS(t, e.do("REPORT", e.book("contacts"), body, "Depth", "1")); len(m.Responses) != 4 {
			t.Errorf("limit equal to the matches: %v", m.Hrefs())
		}
	})
	t.Run("depth 0 on the collection", func(t *testing.T) {
		m := davtest.ParseMS(t, e.do("REPORT", e.book("contacts"), q(`<CR:filter/>`, ""), "Depth", "0"))
		if len(m.Responses) != 0 {
			t.Errorf("Depth 0: %v", m.Hrefs())
		}
	})
	t.Run("on a member", func(t *testing.T) {
		m := davtest.ParseMS(t, e.do("REPORT", e.card("contacts", "max.vcf"), q(`<CR:filter/>`, ""), "Depth", "0"))
		if got := strings.Join(m.Hrefs(), " "); got != e.card("contacts", "max.vcf") {
			t.Errorf("query on a member: %s", got)
		}
	})

	bad := []struct {
		name, body string
		status     int
		cond       string
	}{
		{"no filter", `<CR:addressbook-query xmlns:D="DAV:" xmlns:CR="urn:ietf:params:xml:ns:carddav"><D:prop><D:getetag/></D:prop></CR:addressbook-query>`, 403, "valid-filter"},
		{"unknown collation", q(tm("FN", "contains", "x", `collation="i;klingon"`), ""), 403, "supported-collation"},
		{"unknown match type", q(tm("FN", "sounds-like", "x"), ""), 403, "supported-filter"},
		{"bad test", q(`<CR:filter test="some"/>`, ""), 403, "valid-filter"},
		{"bad limit", `<CR:addressbook-query xmlns:D="DAV:" xmlns:CR="urn:ietf:params:xml:ns:carddav"><CR:filter/><CR:limit><CR:nresults>-1</CR:nresults></CR:limit></CR:addressbook-query>`, 400, ""},
		{"bad address-data version", q(`<CR:filter/>`, `<CR:address-data version="2.1"/>`), 403, "supported-address-data"},
		{"calendar-query on an address book", `<C:calendar-query xmlns:C="urn:ietf:params:xml:ns:caldav"><C:filter/></C:calendar-query>`, 403, "supported-report"},
		{"malformed", `<CR:addressbook-query xmlns:CR="urn:ietf:params:xml:ns:carddav"><CR:filter>`, 400, ""},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			davtest.WantError(t, e.do("REPORT", e.book("contacts"), tt.body, "Depth", "1"), tt.status, tt.cond)
		})
	}
	davtest.WantError(t, e.do("REPORT", e.book("gone"), q(`<CR:filter/>`, ""), "Depth", "1"), 404, "")
	davtest.WantError(t, e.do("REPORT", "/dav/calendars/"+e.alice.ID+"/default/", q(`<CR:filter/>`, ""), "Depth", "1"), 403, "supported-report")
}

func TestMultigetAndSync(t *testing.T) {
	e := newEnv(t, davtree.Options{})
	e.mustPut(e.card("contacts", "a.vcf"), card3("uid-a", "Anna", "TEL;TYPE=CELL,VOICE:+1"))
	e.mustPut(e.card("contacts", "b.vcf"), card4("uid-b", "Bert"))
	body := `<CR:addressbook-multiget xmlns:D="DAV:" xmlns:CR="urn:ietf:params:xml:ns:carddav"><D:prop><D:getetag/><CR:address-data version="4.0"/></D:prop>` +
		`<D:href>` + e.card("contacts", "a.vcf") + `</D:href><D:href>` + e.card("contacts", "missing.vcf") + `</D:href>` +
		`<D:href>/dav/addressbooks/` + e.bob.ID + `/contacts/x.vcf</D:href><D:href>/dav/calendars/` + e.alice.ID + `/default/x.ics</D:href></CR:addressbook-multiget>`
	m := davtest.ParseMS(t, e.do("REPORT", e.book("contacts"), body))
	if len(m.Responses) != 4 {
		t.Fatalf("responses %v", m.Hrefs())
	}
	text, _, _ := m.Prop(e.card("contacts", "a.vcf"), "address-data")
	if !strings.Contains(text, "VERSION:4.0") || !strings.Contains(strings.ToLower(text), "type=cell") {
		t.Errorf("converted address-data = %q", text)
	}
	for i, want := range []string{"", "404", "403", "403"} {
		if want != "" && !strings.Contains(m.Responses[i].Status, want) {
			t.Errorf("response %d (%s): status %q, want %s", i, m.Responses[i].Href, m.Responses[i].Status, want)
		}
	}
	davtest.WantError(t, e.do("REPORT", e.book("contacts"), `<CR:addressbook-multiget xmlns:D="DAV:" xmlns:CR="urn:ietf:params:xml:ns:carddav"><D:prop><D:getetag/></D:prop></CR:addressbook-multiget>`), 400, "")

	syncBody := func(token string) string {
		return `<D:sync-collection xmlns:D="DAV:"><D:sync-token>` + token + `</D:sync-token><D:sync-level>1</D:sync-level><D:prop><D:getetag/></D:prop></D:sync-collection>`
	}
	first := davtest.ParseMS(t, e.do("REPORT", e.book("contacts"), syncBody("")))
	if len(first.Responses) != 2 || first.SyncToken == "" {
		t.Fatalf("initial sync: %v %q", first.Hrefs(), first.SyncToken)
	}
	e.mustPut(e.card("contacts", "c.vcf"), card3("uid-c", "Carl"))
	if rec := e.do("DELETE", e.card("contacts", "a.vcf"), ""); rec.Code != 204 {
		t.Fatal(rec.Code)
	}
	delta := davtest.ParseMS(t, e.do("REPORT", e.book("contacts"), syncBody(first.SyncToken)))
	status := map[string]string{}
	for _, r := range delta.Responses {
		status[strings.TrimPrefix(r.Href, e.book("contacts"))] = r.Status
	}
	if len(status) != 2 || !strings.Contains(status["a.vcf"], "404") || status["c.vcf"] != "" {
		t.Errorf("delta = %v", status)
	}
	if delta.SyncToken == first.SyncToken {
		t.Error("sync token did not move")
	}
	davtest.WantError(t, e.do("REPORT", e.book("contacts"), syncBody("urn:almanac:sync:other:1")), 403, "valid-sync-token")
}

func TestPropfindMembers(t *testing.T) {
	e := newEnv(t, davtree.Options{})
	e.mustPut(e.card("contacts", "a.vcf"), card3("uid-a", "Anna"))
	m := davtest.ParseMS(t, e.do("PROPFIND", e.book("contacts"), propfindBody, "Depth", "1"))
	if len(m.Responses) != 2 {
		t.Fatalf("responses %v", m.Hrefs())
	}
	if ct, _, _ := m.Prop(e.card("contacts", "a.vcf"), "getcontenttype"); ct != "text/vcard; charset=utf-8" {
		t.Errorf("getcontenttype = %q", ct)
	}
	if et, _, _ := m.Prop(e.card("contacts", "a.vcf"), "getetag"); et == "" {
		t.Error("no getetag")
	}
	davtest.WantError(t, e.do("PROPFIND", e.book("contacts"), propfindBody, "Depth", "infinity"), 403, "propfind-finite-depth")
	davtest.WantError(t, e.do("PROPFIND", "/dav/addressbooks/"+e.bob.ID+"/contacts/", "", "Depth", "0"), 404, "")
	davtest.WantError(t, e.do("PROPFIND", "/dav/addressbooks/"+e.alice.ID+"/default/", "", "Depth", "0"), 404, "")
}
