package davtree_test

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"

	"almanac/internal/dav"
	"almanac/internal/davtest"
	"almanac/storage"
)

// shareEnv has alice's notebook "shared" with a public note, a private
// one and one with a secret line, granted to bob as "from-alice".
func shareEnv(t *testing.T, access string) (*env, string) {
	t.Helper()
	e := newEnv(t)
	a := e.alice
	e.mkbook(a, "shared", `<D:displayname>Alice's notes</D:displayname>`)
	e.mustPut(a, note(a, "shared", "pub.txt"), "uid-pub\nhello\n")
	e.mustPut(a, note(a, "shared", "priv.txt"), "uid-priv\nprivate\n")
	e.mustPut(a, note(a, "shared", "sec.txt"), "uid-sec\nsecret: 1234\nrest\n")
	e.grant(access, false)
	return e, book(e.bob, "from-alice")
}

func (e *env) grant(access string, showPrivate bool) {
	e.t.Helper()
	g := &storage.Grant{Owner: e.alice.ID, Collection: "shared", Sharee: e.bob.ID, Access: access, ShowPrivate: showPrivate, Mount: "from-alice"}
	if err := e.store.PutGrant(e.t.Context(), g); err != nil {
		e.t.Fatalf("put grant: %v", err)
	}
}

func TestMountInShareesHome(t *testing.T) {
	e, mount := shareEnv(t, storage.AccessRead)
	a, b := e.alice, e.bob

	// Listed in bob's notes home with his own, described as shared.
	rec := e.do(b, "PROPFIND", home(b), propfindBody("D:resourcetype", "D:displayname", "D:owner", "CS:shared-url", "D:current-user-privilege-set"), "Depth", "1")
	m := davtest.ParseMS(t, rec)
	if got := m.Hrefs(); !slices.Equal(got, []string{home(b), book(b, "contacts"), mount}) {
		t.Fatalf("bob's home: %v", got)
	}
	var rt []string
	for _, n := range resourceTypes(t, rec.Body.Bytes(), mount) {
		rt = append(rt, dav.Clark(n))
	}
	if want := []string{"{DAV:}collection", "{" + nsNotes + "}notebook", "{http://calendarserver.org/ns/}shared"}; !slices.Equal(rt, want) {
		t.Errorf("mount resourcetype %v, want %v", rt, want)
	}
	if _, inner, _ := m.Prop(mount, "shared-url"); !strings.Contains(inner, book(a, "shared")) {
		t.Errorf("shared-url %q", inner)
	}
	if _, inner, _ := m.Prop(mount, "owner"); !strings.Contains(inner, "/dav/principals/"+a.ID+"/") {
		t.Errorf("owner %q", inner)
	}
	if _, inner, _ := m.Prop(mount, "current-user-privilege-set"); !strings.Contains(inner, "read") || strings.Contains(inner, "write") {
		t.Errorf("read-only privileges %q", inner)
	}
	if txt, _, _ := m.Prop(mount, "displayname"); txt != "Alice's notes" {
		t.Errorf("displayname %q", txt)
	}
	// Not in the other kind's home.
	if got := e.propfind(b, "/dav/lists/"+b.ID+"/", "1", "D:resourcetype").Hrefs(); slices.Contains(got, "/dav/lists/"+b.ID+"/from-alice/") {
		t.Errorf("mount listed among lists: %v", got)
	}
	if rec := e.do(b, "PROPFIND", "/dav/lists/"+b.ID+"/from-alice/", "", "Depth", "0"); rec.Code != http.StatusNotFound {
		t.Errorf("mount under the other kind: %d", rec.Code)
	}

	// The owner's side: shared-owner and the invite.
	rec = e.do(a, "PROPFIND", book(a, "shared"), propfindBody("D:resourcetype", "CS:invite"), "Depth", "0")
	m = davtest.ParseMS(t, rec)
	if !slices.Contains(resourceTypes(t, rec.Body.Bytes(), book(a, "shared")), dav.Name(dav.NSCalendarServer, "shared-owner")) {
		t.Errorf("owner's resourcetype: %s", rec.Body)
	}
	if _, inner, _ := m.Prop(book(a, "shared"), "invite"); !strings.Contains(inner, "mailto:bob@example.com") || !strings.Contains(inner, "read") {
		t.Errorf("invite %q", inner)
	}
	// Bob may read the principal of who shares with him, not her homes.
	p := "/dav/principals/" + a.ID + "/"
	m = e.propfind(b, p, "0", "D:displayname", "N:notes-home-set")
	if txt, _, _ := m.Prop(p, "displayname"); txt != "Alice" {
		t.Errorf("sharer's displayname %q", txt)
	}
	if _, _, ok := m.Prop(p, "notes-home-set"); ok {
		t.Error("sharer's home set shown")
	}
	if rec := e.do(b, "PROPFIND", home(a), "", "Depth", "0"); rec.Code != http.StatusNotFound {
		t.Errorf("sharer's home: %d", rec.Code)
	}
	if rec := e.do(b, "PROPFIND", book(a, "shared"), "", "Depth", "0"); rec.Code != http.StatusNotFound {
		t.Errorf("shared notebook at the owner's URL: %d", rec.Code)
	}
}

// A read-only sharee sees the members through the kind's Redact in every
// method, with ETags of what they see.
func TestMountReadOnlyView(t *testing.T) {
	e, mount := shareEnv(t, storage.AccessRead)
	a, b := e.alice, e.bob
	pubTag := e.do(a, "GET", note(a, "shared", "pub.txt"), "").Header().Get("ETag")
	secTag := e.do(a, "GET", note(a, "shared", "sec.txt"), "").Header().Get("ETag")

	if rec := e.do(b, "GET", mount+"pub.txt", ""); rec.Code != 200 || rec.Body.String() != "uid-pub\nhello\n" || rec.Header().Get("ETag") != pubTag {
		t.Errorf("public note: %d %q %s", rec.Code, rec.Body, rec.Header().Get("ETag"))
	}
	rec := e.do(b, "GET", mount+"sec.txt", "")
	secView := rec.Header().Get("ETag")
	if rec.Code != 200 || rec.Body.String() != "uid-sec\nsecret: ***\nrest\n" || secView == secTag || secView == "" {
		t.Errorf("redacted note: %d %q %s", rec.Code, rec.Body, secView)
	}
	if rec := e.do(b, "GET", mount+"sec.txt", "", "If-None-Match", secView); rec.Code != http.StatusNotModified {
		t.Errorf("conditional GET of the view: %d", rec.Code)
	}
	if rec := e.do(b, "GET", mount+"priv.txt", ""); rec.Code != http.StatusNotFound {
		t.Errorf("private note: %d", rec.Code)
	}
	if rec := e.do(b, "PROPFIND", mount+"priv.txt", "", "Depth", "0"); rec.Code != http.StatusNotFound {
		t.Errorf("PROPFIND private note: %d", rec.Code)
	}
	m := e.propfind(b, mount, "1", "D:getetag", "D:getcontentlength")
	if got := m.Hrefs(); !slices.Equal(got, []string{mount, mount + "pub.txt", mount + "sec.txt"}) {
		t.Errorf("Depth 1: %v", got)
	}
	if got, _, _ := m.Prop(mount+"sec.txt", "getetag"); got != secView {
		t.Errorf("PROPFIND getetag %q, GET's %q", got, secView)
	}
	if got, _, _ := m.Prop(mount+"sec.txt", "getcontentlength"); got != strconv.Itoa(len("uid-sec\nsecret: ***\nrest\n")) {
		t.Errorf("getcontentlength %q of the view", got)
	}
	m = davtest.ParseMS(t, e.do(b, "REPORT", mount, multigetBody("<D:getetag/><N:note-data/>", mount+"pub.txt", mount+"priv.txt", mount+"sec.txt")))
	if got := statuses(m); got[mount+"pub.txt"] != 200 || got[mount+"priv.txt"] != 404 || got[mount+"sec.txt"] != 200 {
		t.Errorf("multiget: %v", got)
	}
	if txt, _, _ := m.Prop(mount+"sec.txt", "note-data"); txt != "uid-sec\nsecret: ***\nrest\n" {
		t.Errorf("multiget note-data %q", txt)
	}
	body := `<N:note-index` + xmlns + `><D:prop><D:getetag/></D:prop></N:note-index>`
	if got := davtest.ParseMS(t, e.do(b, "REPORT", mount, body)).Hrefs(); !slices.Equal(got, []string{mount + "pub.txt", mount + "sec.txt"}) {
		t.Errorf("kind report through the view: %v", got)
	}

	// Sync: the owner's counter; a member made private is gone for bob.
	first := davtest.ParseMS(t, e.do(b, "REPORT", mount, syncBody("")))
	if got := first.Hrefs(); !slices.Equal(got, []string{mount + "pub.txt", mount + "sec.txt"}) {
		t.Errorf("initial sync: %v", got)
	}
	if _, tok := e.state(book(a, "shared")); tok != first.SyncToken {
		t.Errorf("bob's token %q, alice's %q", first.SyncToken, tok)
	}
	e.mustPut(a, note(a, "shared", "pub.txt"), "uid-pub\nprivate\n")
	e.mustPut(a, note(a, "shared", "new.txt"), "uid-new\n")
	if got := statuses(davtest.ParseMS(t, e.do(b, "REPORT", mount, syncBody(first.SyncToken)))); !equalMaps(got, map[string]int{mount + "pub.txt": 404, mount + "new.txt": 200}) {
		t.Errorf("incremental sync: %v", got)
	}

	// The grant's show-private switch lifts the view.
	e.grant(storage.AccessRead, true)
	if rec := e.do(b, "GET", mount+"priv.txt", ""); rec.Code != 200 {
		t.Errorf("show-private: private note %d", rec.Code)
	}
	if rec := e.do(b, "GET", mount+"sec.txt", ""); rec.Body.String() != "uid-sec\nsecret: 1234\nrest\n" || rec.Header().Get("ETag") != secTag {
		t.Errorf("show-private: %q %s", rec.Body, rec.Header().Get("ETag"))
	}
}

// A read grant refuses every write with 403 DAV:need-privileges (RFC
// 3744 7.1.1), and none changes the owner's notebook.
func TestMountReadOnlyWrites(t *testing.T) {
	e, mount := shareEnv(t, storage.AccessRead)
	a, b := e.alice, e.bob
	e.mkbook(b, "own")
	e.mustPut(b, note(b, "own", "mine.txt"), "uid-mine\n")
	before := e.coll(a, "shared")

	for _, tc := range []struct {
		name, method, path, body string
		hdr                      []string
		privilege                string
	}{
		{"create", "PUT", mount + "new.txt", "uid-new\n", []string{"Content-Type", "text/plain"}, "write-content"},
		{"overwrite", "PUT", mount + "pub.txt", "uid-pub\nmine\n", []string{"Content-Type", "text/plain"}, "write-content"},
		{"delete", "DELETE", mount + "pub.txt", "", nil, "unbind"},
		{"shared property", "PROPPATCH", mount, `<D:propertyupdate` + xmlns + `><D:set><D:prop><N:color>#000000</N:color></D:prop></D:set></D:propertyupdate>`, nil, "write-properties"},
		{"collection inside", "MKCOL", mount + "sub/", mkcolBody("N:notebook"), nil, "bind"},
		{"copy in", "COPY", note(b, "own", "mine.txt"), "", []string{"Destination", mount + "mine.txt"}, "bind"},
		{"move in", "MOVE", note(b, "own", "mine.txt"), "", []string{"Destination", mount + "mine.txt"}, "bind"},
		// Copying out would hand over the stored bytes the view hides.
		{"copy out", "COPY", mount + "sec.txt", "", []string{"Destination", note(b, "own", "sec.txt")}, "read"},
		{"move out", "MOVE", mount + "pub.txt", "", []string{"Destination", note(b, "own", "pub.txt")}, "read"},
	} {
		rec := e.do(b, tc.method, tc.path, tc.body, tc.hdr...)
		davtest.WantError(t, rec, http.StatusForbidden, "need-privileges")
		if !strings.Contains(rec.Body.String(), "<D:privilege><D:"+tc.privilege+"/></D:privilege>") {
			t.Errorf("%s: privilege %s not named: %s", tc.name, tc.privilege, rec.Body)
		}
		// The message names the kind's collection, not another kind's.
		if msg := errorMessage(t, rec); !strings.Contains(msg, "notebook") || strings.Contains(msg, "calendar") {
			t.Errorf("%s: message %q", tc.name, msg)
		}
	}
	after := e.coll(a, "shared")
	if after.Seq != before.Seq || len(after.Props) != len(before.Props) {
		t.Errorf("refused writes changed alice's notebook: seq %d → %d, props %v → %v", before.Seq, after.Seq, before.Props, after.Props)
	}
	if e.stored(a, "shared", "pub.txt") != "uid-pub\nhello\n" || e.stored(b, "own", "mine.txt") != "uid-mine\n" || e.stored(b, "own", "sec.txt") != "" {
		t.Error("a refused write changed a note")
	}
	// The sharee's name for it is theirs alone; that write is allowed.
	rec := e.do(b, "PROPPATCH", mount, `<D:propertyupdate`+xmlns+`><D:set><D:prop><D:displayname>From Alice</D:displayname></D:prop></D:set></D:propertyupdate>`)
	if m := davtest.ParseMS(t, rec); status(m.Responses[0].Propstats[0].Status) != 200 {
		t.Fatalf("sharee's displayname: %s", rec.Body)
	}
	if txt, _, _ := e.propfind(b, mount, "0", "D:displayname").Prop(mount, "displayname"); txt != "From Alice" {
		t.Errorf("bob sees %q", txt)
	}
	if got := e.coll(a, "shared").Props[pDisplayName]; got != "Alice's notes" {
		t.Errorf("alice's displayname became %q", got)
	}
	// Sharing is the owner's: the sharee cannot share onwards.
	share := `<CS:share` + xmlns + `><CS:set><D:href>mailto:alice@example.com</D:href><CS:read/></CS:set></CS:share>`
	davtest.WantError(t, e.do(b, "POST", mount, share), http.StatusForbidden, "need-privileges")
}

func TestMountReadWrite(t *testing.T) {
	e, mount := shareEnv(t, storage.AccessReadWrite)
	a, b := e.alice, e.bob
	if rec := e.do(b, "GET", mount+"priv.txt", ""); rec.Code != 200 {
		t.Errorf("read-write sharee sees no private note: %d", rec.Code)
	}
	ctag, _ := e.state(book(a, "shared"))
	if rec := e.put(b, mount+"bob.txt", "uid-bob\nfrom bob\n"); rec.Code != http.StatusCreated || rec.Header().Get("Location") != mount+"bob.txt" {
		t.Fatalf("PUT through the mount: %d %v", rec.Code, rec.Header())
	}
	if e.stored(a, "shared", "bob.txt") != "uid-bob\nfrom bob\n" {
		t.Error("not stored in alice's notebook")
	}
	if c, _ := e.state(book(a, "shared")); c == ctag {
		t.Error("alice's getctag did not move")
	}
	// The UID is unique in the owner's notebook, whoever writes.
	rec := e.put(b, mount+"dup.txt", "uid-pub\n")
	davtest.WantError(t, rec, http.StatusForbidden, "no-uid-conflict")
	if !strings.Contains(rec.Body.String(), "<D:href>"+mount+"pub.txt</D:href>") {
		t.Errorf("the conflict does not name the holder at bob's URL: %s", rec.Body)
	}
	if rec := e.do(b, "DELETE", mount+"pub.txt", ""); rec.Code != http.StatusNoContent {
		t.Errorf("DELETE through the mount: %d", rec.Code)
	}
	if e.stored(a, "shared", "pub.txt") != "" {
		t.Error("not deleted in alice's notebook")
	}
	// Shared properties are the owner's.
	davtest.ParseMS(t, e.do(b, "PROPPATCH", mount, `<D:propertyupdate`+xmlns+`><D:set><D:prop><N:color>#123456</N:color></D:prop></D:set></D:propertyupdate>`))
	if got := e.coll(a, "shared").Props["{"+nsNotes+"}color"]; got != "#123456" {
		t.Errorf("alice's color %q", got)
	}
}

// A revoked grant, a mount deleted by the sharee and a name never shared
// answer alike.
func TestMountGone(t *testing.T) {
	for _, how := range []string{"revoked", "deleted by the sharee", "collection deleted"} {
		t.Run(how, func(t *testing.T) {
			e, mount := shareEnv(t, storage.AccessReadWrite)
			a, b := e.alice, e.bob
			switch how {
			case "revoked":
				if err := e.store.DeleteGrant(t.Context(), a.ID, "shared", b.ID); err != nil {
					t.Fatal(err)
				}
			case "deleted by the sharee":
				if rec := e.do(b, "DELETE", mount, ""); rec.Code != http.StatusNoContent {
					t.Fatalf("DELETE mount: %d", rec.Code)
				}
				// The owner's notebook stays.
				if e.stored(a, "shared", "pub.txt") != "uid-pub\nhello\n" {
					t.Fatal("deleting the mount deleted the owner's notes")
				}
			case "collection deleted":
				if rec := e.do(a, "DELETE", book(a, "shared"), ""); rec.Code != http.StatusNoContent {
					t.Fatalf("DELETE notebook: %d", rec.Code)
				}
			}
			never := book(b, "never-here")
			for _, r := range []struct{ method, suffix, body string }{
				{"PROPFIND", "", ""}, {"PROPFIND", "pub.txt", ""}, {"GET", "pub.txt", ""}, {"PUT", "x.txt", "uid-x\n"},
				{"DELETE", "", ""}, {"DELETE", "pub.txt", ""}, {"REPORT", "", syncBody("")},
				{"PROPPATCH", "", `<D:propertyupdate xmlns:D="DAV:"><D:set><D:prop><D:displayname>x</D:displayname></D:prop></D:set></D:propertyupdate>`},
			} {
				gone := e.do(b, r.method, mount+r.suffix, r.body, "Depth", "0", "Content-Type", "text/plain")
				nothing := e.do(b, r.method, never+r.suffix, r.body, "Depth", "0", "Content-Type", "text/plain")
				if (r.method == "PROPFIND" || r.method == "GET") && gone.Code != http.StatusNotFound {
					t.Errorf("%s %s: %d, want 404", r.method, r.suffix, gone.Code)
				}
				if gone.Code != nothing.Code || gone.Body.String() != nothing.Body.String() || gone.Code < 400 {
					t.Errorf("%s %s: %d %s; never shared: %d %s", r.method, r.suffix, gone.Code, gone.Body, nothing.Code, nothing.Body)
				}
			}
			if got := e.propfind(b, home(b), "1", "D:resourcetype").Hrefs(); slices.Contains(got, mount) {
				t.Errorf("still listed: %v", got)
			}
			if rec := e.do(b, "PROPFIND", "/dav/principals/"+a.ID+"/", "", "Depth", "0"); rec.Code != http.StatusNotFound {
				t.Errorf("former sharer's principal: %d", rec.Code)
			}
			if e.stored(a, "shared", "x.txt") != "" {
				t.Error("a write reached the owner after the share ended")
			}
		})
	}
}

// The CalendarServer sharing protocol over the tree: the owner shares
// with POST, the sharee finds the invite among their notifications and
// accepts it.
func TestSharingProtocol(t *testing.T) {
	e := newEnv(t)
	a, b := e.alice, e.bob
	e.mkbook(a, "plans", `<D:displayname>Plans</D:displayname>`)
	share := func(who, access string) string {
		return `<CS:share` + xmlns + `><CS:set><D:href>` + who + `</D:href>` + access + `</CS:set></CS:share>`
	}
	davtest.WantError(t, e.do(a, "POST", book(a, "plans"), share("mailto:nobody@example.com", "<CS:read/>")), http.StatusForbidden, "")
	davtest.WantError(t, e.do(a, "POST", book(a, "plans"), share("mailto:alice@example.com", "<CS:read/>")), http.StatusForbidden, "")
	if grants, _ := e.store.GrantsOf(t.Context(), a.ID, "plans"); len(grants) != 0 {
		t.Fatalf("refused shares made grants: %v", grants)
	}
	if rec := e.do(a, "POST", book(a, "plans"), share("/dav/principals/"+b.ID+"/", "<CS:read-write/>")); rec.Code != http.StatusOK {
		t.Fatalf("share: %d %s", rec.Code, rec.Body)
	}
	// The grant takes effect at once, under the notebook's name.
	if rec := e.do(b, "GET", book(b, "plans"), ""); rec.Code != http.StatusMethodNotAllowed {
		t.Errorf("mount: %d", rec.Code)
	}
	notes := "/dav/notifications/" + b.ID + "/"
	m := e.propfind(b, notes, "1", "D:resourcetype", "CS:notificationtype")
	if got := m.Hrefs(); !slices.Equal(got, []string{notes, notes + "plans.xml"}) {
		t.Fatalf("notifications: %v", got)
	}
	rec := e.do(b, "GET", notes+"plans.xml", "")
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), "<CS:hosturl><D:href>"+book(a, "plans")+"</D:href></CS:hosturl>") ||
		!strings.Contains(rec.Body.String(), "<CS:summary>Plans</CS:summary>") || !strings.Contains(rec.Body.String(), "<CS:read-write/>") {
		t.Errorf("invite: %d %s", rec.Code, rec.Body)
	}
	checkNamespaces(t, "invite", rec.Body.Bytes())
	reply := `<CS:invite-reply` + xmlns + `><D:href>mailto:bob@example.com</D:href><CS:invite-accepted/><CS:hosturl><D:href>` +
		book(a, "plans") + `</D:href></CS:hosturl><CS:in-reply-to>plans</CS:in-reply-to></CS:invite-reply>`
	rec = e.do(b, "POST", home(b), reply)
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), "<D:href>"+book(b, "plans")+"</D:href>") {
		t.Errorf("accept: %d %s", rec.Code, rec.Body)
	}
	if got := e.propfind(b, notes, "1", "D:resourcetype").Hrefs(); len(got) != 1 {
		t.Errorf("answered invite still listed: %v", got)
	}
	// Unsharing with D:share-resource removes the mount.
	unshare := `<D:share-resource xmlns:D="DAV:"><D:sharee><D:href>mailto:bob@example.com</D:href><D:share-access><D:no-access/></D:share-access></D:sharee></D:share-resource>`
	if rec := e.do(a, "POST", book(a, "plans"), unshare); rec.Code != http.StatusOK {
		t.Fatalf("unshare: %d %s", rec.Code, rec.Body)
	}
	if rec := e.do(b, "PROPFIND", book(b, "plans"), "", "Depth", "0"); rec.Code != http.StatusNotFound {
		t.Errorf("mount after unsharing: %d", rec.Code)
	}
}
