package interop

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"almanac/auth"
	"almanac/sharing"
	"almanac/storage"
)

const (
	bobLogin    = "bob@example.com"
	bobPassword = "bob's own password"
)

// addSharingAccount creates and provisions a second account on e's
// server, as startServer does for the first, and returns an env that
// talks to the same server with its credentials.
func addSharingAccount(t *testing.T, e *env, login, password, name string) *env {
	t.Helper()
	hash, err := auth.HashPassword(password)
	if err != nil {
		t.Fatalf("hash password: %v", err)
	}
	acc := e.server.Account(login, func(a *storage.Account) { a.DisplayName, a.PasswordHash = name, hash })
	return envOf(e.server, acc, password)
}

// shareAPI sends a JSON request to the sharing API and requires the
// status want; it decodes a share from the answer when there is one.
func (e *env) shareAPI(t *testing.T, method, path, body string, want int) *sharing.ShareJSON {
	t.Helper()
	var hdr map[string]string
	if body != "" {
		hdr = map[string]string{"Content-Type": "application/json"}
	}
	resp, b := e.do(t, method, path, hdr, body)
	if resp.StatusCode != want {
		t.Fatalf("%s %s %s: status %d, want %d\n%s", method, path, body, resp.StatusCode, want, b)
	}
	if len(b) == 0 || want == http.StatusNoContent {
		return nil
	}
	var s sharing.ShareJSON
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatalf("%s %s: decode share: %v\n%s", method, path, err, b)
	}
	return &s
}

// shareDefault shares alice's default calendar with bob and checks the
// answer: 201, both accounts named, the mount next to bob's own default
// calendar, and its URL.
func shareDefault(t *testing.T, alice, bob *env, access string) *sharing.ShareJSON {
	t.Helper()
	s := alice.shareAPI(t, http.MethodPost, sharing.SharesPath,
		`{"collection":"default","login":"`+bob.Login+`","access":"`+access+`","show_private":false}`, http.StatusCreated)
	wantMount := alice.User + "-default"
	if s.Collection != "default" || s.Kind != "calendar" || s.Access != access || s.ShowPrivate ||
		s.Owner.ID != alice.User || s.Owner.Login != alice.Login ||
		s.Sharee.ID != bob.User || s.Sharee.Login != bob.Login ||
		s.Mount != wantMount || s.URL != bob.Home+wantMount+"/" {
		t.Fatalf("created share %+v; want default/calendar/%s from %s to %s mounted at %s%s/", *s, access, alice.User, bob.User, bob.Home, wantMount)
	}
	return s
}

// davErrorConditions decodes a DAV:error body into its conditions.
func davErrorConditions(t *testing.T, what string, body []byte) []string {
	t.Helper()
	conds, _ := decodeDAVError(t, what, body)
	return conds
}

const needPrivilegesCond = "{DAV:}need-privileges"

// TestSharingVdirsyncerOwnerAndSharee syncs one calendar with two
// vdirsyncer setups: alice's own default calendar, and bob's view of it
// as a sharee (the share's URL in his home). Changes travel owner →
// sharee and sharee → owner while the share is read-write; once it is
// read-only bob's upload is refused with 403 and nothing changes on the
// server; once it is revoked the URL is gone (404) and vdirsyncer says
// so.
func TestSharingVdirsyncerOwnerAndSharee(t *testing.T) {
	alice := startServer(t)
	bob := addSharingAccount(t, alice, bobLogin, bobPassword, "Bob Example")
	share := shareDefault(t, alice, bob, storage.AccessReadWrite)

	va, aliceLocal, aliceStatus := newVdirsyncer(t)
	va.writeConfig(t, alice, aliceLocal, aliceStatus, "a wins")
	// bobView is bob looking at the shared calendar: writeConfig and
	// serverItems use its Calendar.
	bobView := *bob
	bobView.Calendar = share.URL
	vb, bobLocal, bobStatus := newVdirsyncer(t)
	vb.writeConfig(t, &bobView, bobLocal, bobStatus, "a wins")

	syncOK := func(v vdirsyncer, who, step string) string {
		t.Helper()
		out := v.run(t, "sync")
		t.Logf("vdirsyncer sync as %s (%s):\n%s", who, step, out)
		return out
	}
	writeFile := func(dir, name, data string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	// check requires alice's vdir, bob's vdir, alice's calendar and
	// bob's view of it to hold exactly want (UID → SUMMARY).
	check := func(step string, want map[string]string) {
		t.Helper()
		wantUIDs := make([]string, 0, len(want))
		for uid := range want {
			wantUIDs = append(wantUIDs, uid)
		}
		slices.Sort(wantUIDs)
		sides := []struct {
			name  string
			items map[string]item
		}{
			{"alice's vdir", localItems(t, aliceLocal)},
			{"bob's vdir", localItems(t, bobLocal)},
			{"alice's calendar on the server", alice.serverItems(t)},
			{"bob's view on the server", bobView.serverItems(t)},
		}
		for _, s := range sides {
			if got := uids(s.items); !slices.Equal(got, wantUIDs) {
				t.Errorf("%s: %s holds %v, want %v", step, s.name, got, wantUIDs)
				continue
			}
			for uid, summary := range want {
				if got := icalValue(s.items[uid].data, "SUMMARY"); got != summary {
					t.Errorf("%s: %s: %s has SUMMARY %q, want %q", step, s.name, uid, got, summary)
				}
			}
		}
		if t.Failed() {
			t.FailNow()
		}
	}

	t.Logf("vdirsyncer discover as alice:\n%s", va.run(t, "discover"))
	t.Logf("vdirsyncer discover as bob:\n%s", vb.run(t, "discover"))

	// 1. Alice creates an event locally; it reaches bob.
	writeFile(aliceLocal, "a1.ics", icsEvent("a1@share", "alice one", "20260501T090000Z"))
	syncOK(va, "alice", "alice's new event")
	syncOK(vb, "bob", "alice's new event")
	check("after alice's event went up and down", map[string]string{"a1@share": "alice one"})
	// The sharee's copy is the owner's upload byte for byte.
	if got, want := localItems(t, bobLocal)["a1@share"].data, icsEvent("a1@share", "alice one", "20260501T090000Z"); got != want {
		t.Errorf("bob's copy of a1:\n%q\nwant alice's bytes:\n%q", got, want)
	}

	// 2. Bob edits it; alice gets the edit.
	writeFile(bobLocal, localItems(t, bobLocal)["a1@share"].where, icsEvent("a1@share", "alice one, edited by bob", "20260501T100000Z"))
	syncOK(vb, "bob", "bob's edit")
	syncOK(va, "alice", "bob's edit")
	check("after bob's edit", map[string]string{"a1@share": "alice one, edited by bob"})
	if got := icalValue(localItems(t, aliceLocal)["a1@share"].data, "DTSTART"); got != "20260501T100000Z" {
		t.Errorf("alice's a1 DTSTART %q after bob's edit, want 20260501T100000Z", got)
	}

	// 3. Bob creates an event; both see it.
	writeFile(bobLocal, "b1.ics", icsEvent("b1@share", "bob one", "20260502T090000Z"))
	syncOK(vb, "bob", "bob's new event")
	syncOK(va, "alice", "bob's new event")
	check("after bob's event", map[string]string{"a1@share": "alice one, edited by bob", "b1@share": "bob one"})
	// It lives in alice's calendar, under the name bob's client chose.
	b1Href := alice.serverItems(t)["b1@share"].where
	if !strings.HasPrefix(b1Href, alice.Calendar) {
		t.Errorf("bob's event is at %s on alice's side, want it under %s", b1Href, alice.Calendar)
	}

	// 4. Alice deletes a1 on the server; bob's sync removes his file
	// (and alice's own sync hers).
	a1Href := alice.serverItems(t)["a1@share"].where
	if resp, body := alice.do(t, http.MethodDelete, a1Href, nil, ""); resp.StatusCode != http.StatusNoContent {
		t.Fatalf("DELETE %s as alice: status %d, want 204\n%s", a1Href, resp.StatusCode, body)
	}
	syncOK(vb, "bob", "alice's deletion")
	syncOK(va, "alice", "alice's deletion")
	check("after alice's deletion on the server", map[string]string{"b1@share": "bob one"})

	// 5. Read-only: bob's edit is refused with 403 need-privileges,
	// vdirsyncer reports it and the server keeps alice's version.
	ro := alice.shareAPI(t, http.MethodPatch, sharing.SharesPath+"/default/"+bob.User, `{"access":"read"}`, http.StatusOK)
	if ro.Access != storage.AccessRead || ro.Mount != share.Mount || ro.URL != share.URL || ro.ShowPrivate {
		t.Fatalf("PATCH to read: %+v", *ro)
	}
	before := alice.serverItems(t)["b1@share"]
	bobB1Href := bobView.serverItems(t)["b1@share"].where
	// What vdirsyncer will send, sent by hand first: the exact answer.
	resp, body := bob.do(t, http.MethodPut, bobB1Href, map[string]string{"Content-Type": "text/calendar; charset=utf-8"},
		icsEvent("b1@share", "raw edit while read-only", "20260502T090000Z"))
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("PUT %s as read-only bob: status %d, want 403\n%s", bobB1Href, resp.StatusCode, body)
	}
	if conds := davErrorConditions(t, "read-only PUT", body); !slices.Equal(conds, []string{needPrivilegesCond}) {
		t.Errorf("read-only PUT: conditions %v, want [%s]\n%s", conds, needPrivilegesCond, body)
	}
	if resp, body := bob.do(t, http.MethodDelete, bobB1Href, nil, ""); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("DELETE %s as read-only bob: status %d, want 403\n%s", bobB1Href, resp.StatusCode, body)
	} else if conds := davErrorConditions(t, "read-only DELETE", body); !slices.Equal(conds, []string{needPrivilegesCond}) {
		t.Errorf("read-only DELETE: conditions %v, want [%s]\n%s", conds, needPrivilegesCond, body)
	}

	bobEdit := icsEvent("b1@share", "bob one, edited while read-only", "20260502T110000Z")
	writeFile(bobLocal, localItems(t, bobLocal)["b1@share"].where, bobEdit)
	out, err := runErr(vb.dir, "", vb.bin, "-c", vb.conf, "--verbosity", "INFO", "sync")
	t.Logf("vdirsyncer sync as bob (read-only edit): err=%v\n%s", err, out)
	if err == nil {
		t.Errorf("vdirsyncer sync of an edit to a read-only share succeeded; want it to fail\n%s", out)
	}
	if !strings.Contains(out, "Copying (updating) item") || !strings.Contains(out, "403") || !strings.Contains(out, "Forbidden") {
		t.Errorf("vdirsyncer output does not report the refused update (403 Forbidden):\n%s", out)
	}
	if after := alice.serverItems(t)["b1@share"]; after != before {
		t.Errorf("read-only edit changed the server copy:\nbefore %+v\nafter  %+v", before, after)
	}
	if got := icalValue(bobView.serverItems(t)["b1@share"].data, "SUMMARY"); got != "bob one" {
		t.Errorf("bob's view of b1 after the refused edit has SUMMARY %q, want \"bob one\"", got)
	}
	// vdirsyncer leaves the local edit in place.
	if got := localItems(t, bobLocal)["b1@share"].data; got != bobEdit {
		t.Errorf("bob's local b1 after the refused upload:\n%q\nwant his edit:\n%q", got, bobEdit)
	}

	// 6. Revoked: the mount is gone for bob, alice's calendar is intact,
	// and vdirsyncer reports the missing collection.
	alice.shareAPI(t, http.MethodDelete, sharing.SharesPath+"/default/"+bob.User, "", http.StatusNoContent)
	for _, m := range []struct{ method, path, depth string }{
		{"PROPFIND", share.URL, "0"},
		{http.MethodGet, bobB1Href, ""},
	} {
		hdr := map[string]string{}
		if m.depth != "" {
			hdr["Depth"] = m.depth
		}
		if resp, body := bob.do(t, m.method, m.path, hdr, ""); resp.StatusCode != http.StatusNotFound {
			t.Errorf("%s %s as bob after the revocation: status %d, want 404\n%s", m.method, m.path, resp.StatusCode, body)
		}
	}
	out, err = runErr(vb.dir, "", vb.bin, "-c", vb.conf, "--verbosity", "INFO", "sync")
	t.Logf("vdirsyncer sync as bob (after the revocation): err=%v\n%s", err, out)
	if err == nil {
		t.Errorf("vdirsyncer sync of a revoked share succeeded; want it to fail\n%s", out)
	}
	// vdirsyncer turns a 404 into NotFoundError(reason): the message is
	// the HTTP reason phrase.
	if !strings.Contains(out, "error: Unknown error occurred for almanac: Not Found\n") {
		t.Errorf("vdirsyncer output does not report the collection as Not Found:\n%s", out)
	}
	// The server is still fine: alice syncs, bob's own calendar answers.
	syncOK(va, "alice", "after the revocation")
	if got := uids(alice.serverItems(t)); !slices.Equal(got, []string{"b1@share"}) {
		t.Errorf("alice's calendar after the revocation holds %v, want [b1@share]", got)
	}
	if got := uids(bob.serverItems(t)); len(got) != 0 {
		t.Errorf("bob's own calendar holds %v, want nothing", got)
	}
	var list struct{ Granted, Received []sharing.ShareJSON }
	_, b := alice.do(t, http.MethodGet, sharing.SharesPath, nil, "")
	if err := json.Unmarshal(b, &list); err != nil || len(list.Granted) != 0 || len(list.Received) != 0 {
		t.Errorf("alice's shares after the revocation: %s (%v)", b, err)
	}
}

// Objects of TestSharingPrivacyRaw: one of each class.
var (
	privacyPublic = crlf(`BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//almanac//interop sharing//EN
BEGIN:VEVENT
UID:pub@share
DTSTAMP:20260101T000000Z
DTSTART:20260601T120000Z
DTEND:20260601T130000Z
SUMMARY:Lunch
DESCRIPTION:with the team
LOCATION:Canteen
CLASS:PUBLIC
END:VEVENT
END:VCALENDAR
`)
	privacyPrivate = crlf(`BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//almanac//interop sharing//EN
BEGIN:VEVENT
UID:priv@share
DTSTAMP:20260101T000000Z
DTSTART:20260602T120000Z
DTEND:20260602T130000Z
SUMMARY:Secret
DESCRIPTION:nobody must know
CLASS:PRIVATE
END:VEVENT
END:VCALENDAR
`)
	privacyConfidential = crlf(`BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//almanac//interop sharing//EN
BEGIN:VEVENT
UID:conf@share
DTSTAMP:20260101T000000Z
DTSTART:20260603T140000Z
DTEND:20260603T150000Z
SUMMARY:Doctor
DESCRIPTION:annual checkup
LOCATION:Clinic
CLASS:CONFIDENTIAL
END:VEVENT
END:VCALENDAR
`)
)

// TestSharingPrivacyRaw checks, with raw requests, what a read-only
// sharee sees of private and confidential events in every method that
// reads members (PROPFIND, GET, calendar-query, sync-collection), that a
// change of class reaches an incremental sync as a removal, and that
// show_private lifts the redaction.
func TestSharingPrivacyRaw(t *testing.T) {
	alice := startServer(t)
	bob := addSharingAccount(t, alice, bobLogin, bobPassword, "Bob Example")
	aliceETag := map[string]string{}
	for name, data := range map[string]string{"pub.ics": privacyPublic, "priv.ics": privacyPrivate, "conf.ics": privacyConfidential} {
		aliceETag[name] = alice.put(t, alice.Calendar+name, data, nil)
		if aliceETag[name] == "" {
			t.Fatalf("PUT %s: no ETag", name)
		}
	}
	share := shareDefault(t, alice, bob, storage.AccessRead)
	mount := share.URL
	get := func(who *env, path string) (*http.Response, string) {
		t.Helper()
		resp, body := who.do(t, http.MethodGet, path, nil, "")
		return resp, string(body)
	}

	// PROPFIND Depth 1: the collection, the public and the confidential
	// event; the confidential one with the ETag of bob's view.
	_, b := bob.do(t, "PROPFIND", mount, map[string]string{"Depth": "1", "Content-Type": "application/xml; charset=utf-8"},
		`<?xml version="1.0" encoding="utf-8"?><D:propfind xmlns:D="DAV:"><D:prop><D:getetag/><D:getcontentlength/></D:prop></D:propfind>`)
	ms := decodeCardMultistatus(t, "PROPFIND Depth 1 as bob", b)
	got := ms.hrefs()
	slices.Sort(got)
	if want := []string{mount, mount + "conf.ics", mount + "pub.ics"}; !slices.Equal(got, want) {
		t.Fatalf("PROPFIND Depth 1 %s as bob lists %v, want %v\n%s", mount, got, want, b)
	}
	propfindETag := map[string]string{}
	for _, r := range ms.Responses {
		if p, ok := r.ok(); ok && p.ETag != nil {
			propfindETag[r.href()] = *p.ETag
		}
	}

	// GET: the private event does not exist for bob.
	if resp, body := get(bob, mount+"priv.ics"); resp.StatusCode != http.StatusNotFound {
		t.Errorf("GET priv.ics as bob: status %d, want 404\n%s", resp.StatusCode, body)
	}
	// The public one is alice's, bytes and ETag.
	resp, body := get(bob, mount+"pub.ics")
	if resp.StatusCode != http.StatusOK || body != privacyPublic || resp.Header.Get("ETag") != aliceETag["pub.ics"] {
		t.Errorf("GET pub.ics as bob: %d ETag %s (alice's %s)\n%q\nwant alice's bytes:\n%q",
			resp.StatusCode, resp.Header.Get("ETag"), aliceETag["pub.ics"], body, privacyPublic)
	}
	if propfindETag[mount+"pub.ics"] != aliceETag["pub.ics"] {
		t.Errorf("PROPFIND getetag of pub.ics %q, want alice's %q", propfindETag[mount+"pub.ics"], aliceETag["pub.ics"])
	}
	// The confidential one is busy time: SUMMARY:Busy, its time, no
	// description or location, its own ETag.
	resp, body = get(bob, mount+"conf.ics")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET conf.ics as bob: status %d\n%s", resp.StatusCode, body)
	}
	confETag := resp.Header.Get("ETag")
	if got := icalValue(body, "SUMMARY"); got != "Busy" {
		t.Errorf("bob's conf.ics SUMMARY %q, want Busy\n%s", got, body)
	}
	for _, p := range []string{"DESCRIPTION", "LOCATION"} {
		if strings.Contains(body, "\r\n"+p) {
			t.Errorf("bob's conf.ics has %s:\n%s", p, body)
		}
	}
	for _, p := range []string{"Doctor", "checkup", "Clinic"} {
		if strings.Contains(body, p) {
			t.Errorf("bob's conf.ics reveals %q:\n%s", p, body)
		}
	}
	for p, want := range map[string]string{"UID": "conf@share", "DTSTART": "20260603T140000Z", "DTEND": "20260603T150000Z"} {
		if got := icalValue(body, p); got != want {
			t.Errorf("bob's conf.ics %s %q, want %q\n%s", p, got, want, body)
		}
	}
	if confETag == "" || confETag == aliceETag["conf.ics"] {
		t.Errorf("bob's conf.ics ETag %q, want one different from alice's %q", confETag, aliceETag["conf.ics"])
	}
	if got := propfindETag[mount+"conf.ics"]; got != confETag {
		t.Errorf("PROPFIND getetag of conf.ics %q, GET ETag %q: want the same", got, confETag)
	}
	if got := resp.Header.Get("Content-Length"); got != "" && got != strconv.Itoa(len(body)) {
		t.Errorf("GET conf.ics Content-Length %s for a %d-byte body", got, len(body))
	}
	// Alice still sees her own version.
	if resp, body := get(alice, alice.Calendar+"conf.ics"); resp.StatusCode != http.StatusOK || body != privacyConfidential || resp.Header.Get("ETag") != aliceETag["conf.ics"] {
		t.Errorf("GET conf.ics as alice: %d ETag %s\n%q", resp.StatusCode, resp.Header.Get("ETag"), body)
	}

	// calendar-query on the real summary of the confidential event:
	// alice finds it, bob finds nothing.
	doctor := `<?xml version="1.0" encoding="utf-8"?>
<C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
  <D:prop><D:getetag/><C:calendar-data/></D:prop>
  <C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT">
    <C:prop-filter name="SUMMARY"><C:text-match>Doctor</C:text-match></C:prop-filter>
  </C:comp-filter></C:comp-filter></C:filter>
</C:calendar-query>`
	if got, want := alice.report(t, alice.Calendar, "1", doctor).hrefs(), []string{alice.Calendar + "conf.ics"}; !slices.Equal(got, want) {
		t.Errorf("calendar-query Doctor as alice: %v, want %v", got, want)
	}
	if q := bob.report(t, mount, "1", doctor); len(q.Responses) != 0 {
		t.Errorf("calendar-query Doctor as bob: %v, want nothing", q.hrefs())
	}
	// A query on Busy finds bob's view of it; one on Secret nothing.
	busy := strings.Replace(doctor, ">Doctor<", ">Busy<", 1)
	if got, want := bob.report(t, mount, "1", busy).hrefs(), []string{mount + "conf.ics"}; !slices.Equal(got, want) {
		t.Errorf("calendar-query Busy as bob: %v, want %v", got, want)
	}
	if q := bob.report(t, mount, "1", strings.Replace(doctor, ">Doctor<", ">Secret<", 1)); len(q.Responses) != 0 {
		t.Errorf("calendar-query Secret as bob: %v, want nothing", q.hrefs())
	}

	// sync-collection, initial: the two visible members, with the
	// ETags GET gives, and nothing else: the private event must not
	// appear, not even as a 404 (its href is the owner's, and an initial
	// sync lists current members only, RFC 6578 3.8).
	initial := bob.report(t, mount, "", syncBody(""))
	if got, want := initial.hrefs(), []string{mount + "conf.ics", mount + "pub.ics"}; !slices.Equal(got, want) {
		_, raw := bob.do(t, "REPORT", mount, map[string]string{"Content-Type": "application/xml; charset=utf-8"}, syncBody(""))
		t.Errorf("initial sync-collection as bob lists %v, want %v\nrequest:\n%s\nresponse:\n%s", got, want, syncBody(""), raw)
	}
	for _, r := range initial.Responses {
		p, ok := r.ok()
		var want string
		switch r.Href {
		case mount + "pub.ics":
			want = aliceETag["pub.ics"]
		case mount + "conf.ics":
			want = confETag
		default:
			continue // reported above
		}
		if !ok || p.Prop.ETag != want {
			t.Errorf("initial sync-collection: %s ETag %q (ok %v), want %q", r.Href, p.Prop.ETag, ok, want)
		}
	}
	if initial.SyncToken == "" {
		t.Fatal("initial sync-collection: no sync-token")
	}

	// Alice makes the public event private: for bob it is removed.
	alice.put(t, alice.Calendar+"pub.ics", strings.Replace(privacyPublic, "CLASS:PUBLIC", "CLASS:PRIVATE", 1), nil)
	inc := bob.report(t, mount, "", syncBody(initial.SyncToken))
	if len(inc.Responses) != 1 || inc.Responses[0].Href != mount+"pub.ics" || !strings.Contains(inc.Responses[0].Status, " 404 ") || len(inc.Responses[0].Propstats) != 0 {
		t.Errorf("incremental sync-collection as bob after pub.ics became private: %+v, want only %s with status 404", inc.Responses, mount+"pub.ics")
	}
	if inc.SyncToken == "" || inc.SyncToken == initial.SyncToken {
		t.Errorf("incremental sync-collection token %q (initial %q)", inc.SyncToken, initial.SyncToken)
	}
	if resp, body := get(bob, mount+"pub.ics"); resp.StatusCode != http.StatusNotFound {
		t.Errorf("GET pub.ics as bob once private: status %d, want 404\n%s", resp.StatusCode, body)
	}

	// show_private: bob sees everything as alice stored it.
	sp := alice.shareAPI(t, http.MethodPatch, sharing.SharesPath+"/default/"+bob.User, `{"show_private":true}`, http.StatusOK)
	if !sp.ShowPrivate || sp.Access != storage.AccessRead {
		t.Fatalf("PATCH show_private: %+v", *sp)
	}
	resp, body = get(bob, mount+"priv.ics")
	if resp.StatusCode != http.StatusOK || body != privacyPrivate || resp.Header.Get("ETag") != aliceETag["priv.ics"] {
		t.Errorf("GET priv.ics as bob with show_private: %d ETag %s (alice's %s)\n%q\nwant:\n%q",
			resp.StatusCode, resp.Header.Get("ETag"), aliceETag["priv.ics"], body, privacyPrivate)
	}
	resp, body = get(bob, mount+"conf.ics")
	if resp.StatusCode != http.StatusOK || body != privacyConfidential || resp.Header.Get("ETag") != aliceETag["conf.ics"] {
		t.Errorf("GET conf.ics as bob with show_private: %d ETag %s (alice's %s)\n%q",
			resp.StatusCode, resp.Header.Get("ETag"), aliceETag["conf.ics"], body)
	}
	if got, want := bob.report(t, mount, "1", doctor).hrefs(), []string{mount + "conf.ics"}; !slices.Equal(got, want) {
		t.Errorf("calendar-query Doctor as bob with show_private: %v, want %v", got, want)
	}
	// Still read-only.
	resp, b = bob.do(t, http.MethodPut, mount+"priv.ics", map[string]string{"Content-Type": "text/calendar; charset=utf-8"}, privacyPrivate)
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("PUT priv.ics as read-only bob with show_private: status %d, want 403\n%s", resp.StatusCode, b)
	} else if conds := davErrorConditions(t, "read-only PUT", b); !slices.Equal(conds, []string{needPrivilegesCond}) {
		t.Errorf("read-only PUT: conditions %v, want [%s]\n%s", conds, needPrivilegesCond, b)
	}
}
