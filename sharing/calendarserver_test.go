package sharing_test

import (
	"strings"
	"testing"
)

// TestCalendarServerSharing drives the protocol Apple Calendar speaks:
// the owner POSTs CS:share to a calendar, the sharee finds an invite in
// their notification collection and accepts or declines with
// CS:invite-reply; D:share-resource is the draft's form of the same.
func TestCalendarServerSharing(t *testing.T) {
	w := newWorld(t)
	private := "/dav/calendars/" + w.alice.ID + "/private/"
	share := `<CS:share xmlns:D="DAV:" xmlns:CS="http://calendarserver.org/ns/"><CS:set><D:href>mailto:bob@example.com</D:href>` +
		`<CS:common-name>Bob</CS:common-name><CS:summary>My private calendar</CS:summary><CS:read-write/></CS:set></CS:share>`
	if rec := w.do(w.alice, "POST", private, share, "Content-Type", "application/xml"); rec.Code != 200 {
		t.Fatalf("CS:share: %d %s", rec.Code, rec.Body)
	}
	// The owner's calendar says it is shared, and with whom.
	rec := w.do(w.alice, "PROPFIND", private, `<D:propfind xmlns:D="DAV:" xmlns:CS="http://calendarserver.org/ns/"><D:prop><D:resourcetype/><CS:invite/></D:prop></D:propfind>`, "Depth", "0")
	if !strings.Contains(rec.Body.String(), "<CS:shared-owner/>") || !strings.Contains(rec.Body.String(), "mailto:bob@example.com") || !strings.Contains(rec.Body.String(), "<CS:read-write/>") {
		t.Errorf("owner's view: %s", rec.Body)
	}

	// Bob's principal points at his notifications, which hold the invite.
	rec = w.do(w.bob, "PROPFIND", "/dav/principals/"+w.bob.ID+"/", `<D:propfind xmlns:D="DAV:" xmlns:CS="http://calendarserver.org/ns/"><D:prop><CS:notification-URL/></D:prop></D:propfind>`, "Depth", "0")
	notifications := "/dav/notifications/" + w.bob.ID + "/"
	if !strings.Contains(rec.Body.String(), notifications) {
		t.Fatalf("notification-URL: %s", rec.Body)
	}
	rec = w.do(w.bob, "PROPFIND", notifications, `<D:propfind xmlns:D="DAV:" xmlns:CS="http://calendarserver.org/ns/"><D:prop><D:resourcetype/><CS:notificationtype/><D:getetag/><CS:getctag/></D:prop></D:propfind>`, "Depth", "1")
	body := rec.Body.String()
	if rec.Code != 207 || !strings.Contains(body, "<CS:notification/>") || !strings.Contains(body, notifications+"private.xml") || !strings.Contains(body, "<CS:invite-notification/>") {
		t.Fatalf("notifications: %d %s", rec.Code, body)
	}
	rec = w.do(w.bob, "GET", notifications+"private.xml", "")
	invite := rec.Body.String()
	for _, want := range []string{"<CS:invite-notification shared-type=\"calendar\">", "<CS:uid>private</CS:uid>", "<CS:invite-noresponse/>",
		"<CS:read-write/>", "<D:href>/dav/calendars/" + w.alice.ID + "/private/</D:href>", "mailto:alice@example.com"} {
		if !strings.Contains(invite, want) {
			t.Errorf("invite lacks %s:\n%s", want, invite)
		}
	}
	// The calendar is in bob's home already, writable.
	if rec := w.do(w.bob, "PUT", "/dav/calendars/"+w.bob.ID+"/private/new.ics", event("new"), "Content-Type", "text/calendar"); rec.Code != 201 {
		t.Errorf("PUT into the accepted share: %d", rec.Code)
	}
	// Accepting answers the invite and names the shared calendar.
	reply := `<CS:invite-reply xmlns:D="DAV:" xmlns:CS="http://calendarserver.org/ns/"><D:href>mailto:alice@example.com</D:href><CS:invite-accepted/>` +
		`<CS:hosturl><D:href>/dav/calendars/` + w.alice.ID + `/private/</D:href></CS:hosturl><CS:in-reply-to>private</CS:in-reply-to></CS:invite-reply>`
	rec = w.do(w.bob, "POST", "/dav/calendars/"+w.bob.ID+"/", reply, "Content-Type", "application/xml")
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), "<CS:shared-as") || !strings.Contains(rec.Body.String(), "<D:href>/dav/calendars/"+w.bob.ID+"/private/</D:href>") {
		t.Fatalf("invite-reply: %d %s", rec.Code, rec.Body)
	}
	if rec := w.do(w.bob, "GET", notifications+"private.xml", ""); rec.Code != 404 {
		t.Errorf("answered invite still listed: %d", rec.Code)
	}
	if rec := w.do(w.bob, "PROPFIND", "/dav/calendars/"+w.bob.ID+"/private/", `<D:propfind xmlns:D="DAV:"><D:prop><D:displayname/></D:prop></D:propfind>`, "Depth", "0"); strings.Contains(rec.Body.String(), "acknowledged") {
		t.Errorf("internal marker shown: %s", rec.Body)
	}

	// D:share-resource changes access; no-access removes the share.
	shareResource := func(access string) string {
		return `<D:share-resource xmlns:D="DAV:"><D:sharee><D:href>/dav/principals/` + w.bob.ID + `/</D:href><D:share-access><D:` + access + `/></D:share-access></D:sharee></D:share-resource>`
	}
	if rec := w.do(w.alice, "POST", private, shareResource("read")); rec.Code != 200 {
		t.Fatalf("share-resource read: %d %s", rec.Code, rec.Body)
	}
	if rec := w.do(w.bob, "PUT", "/dav/calendars/"+w.bob.ID+"/private/new2.ics", event("new2"), "Content-Type", "text/calendar"); rec.Code != 403 {
		t.Errorf("PUT after downgrade: %d", rec.Code)
	}
	if rec := w.do(w.alice, "POST", private, shareResource("no-access")); rec.Code != 200 {
		t.Fatalf("share-resource no-access: %d", rec.Code)
	}
	if rec := w.do(w.bob, "PROPFIND", "/dav/calendars/"+w.bob.ID+"/private/", "", "Depth", "0"); rec.Code != 404 {
		t.Errorf("removed share still reachable: %d", rec.Code)
	}

	// Declining removes the grant.
	w.do(w.alice, "POST", private, share)
	decline := strings.Replace(reply, "<CS:invite-accepted/>", "<CS:invite-declined/>", 1)
	if rec := w.do(w.bob, "POST", "/dav/calendars/"+w.bob.ID+"/", decline); rec.Code != 204 {
		t.Fatalf("decline: %d %s", rec.Code, rec.Body)
	}
	if rec := w.do(w.bob, "GET", "/dav/calendars/"+w.bob.ID+"/private/ev.ics", ""); rec.Code != 404 {
		t.Errorf("declined share still reachable: %d", rec.Code)
	}

	bad := []struct {
		name    string
		as      string
		path    string
		body    string
		status  int
		changes bool
	}{
		{"unknown sharee", "alice", private, strings.Replace(share, "bob@example.com", "nobody@example.com", 1), 403, false},
		{"share with oneself", "alice", private, strings.Replace(share, "bob@example.com", "alice@example.com", 1), 403, false},
		{"sharee re-shares", "bob", "/dav/calendars/" + w.bob.ID + "/team/", strings.Replace(share, "bob@example.com", "alice@example.com", 1), 403, false},
		{"sharee without access", "bob", "/dav/calendars/" + w.alice.ID + "/private/", share, 404, false},
		{"share on a member", "alice", private + "ev.ics", share, 405, false},
		{"no body", "alice", private, "", 400, false},
		{"other body", "alice", private, `<D:propfind xmlns:D="DAV:"/>`, 415, false},
		{"share-resource without access", "alice", private, `<D:share-resource xmlns:D="DAV:"><D:sharee><D:href>mailto:bob@example.com</D:href></D:sharee></D:share-resource>`, 400, false},
		{"reply to nothing", "bob", "/dav/calendars/" + w.bob.ID + "/", strings.Replace(reply, "private", "nothing", -1), 403, false},
		{"reply both ways", "bob", "/dav/calendars/" + w.bob.ID + "/", strings.Replace(reply, "<CS:invite-accepted/>", "<CS:invite-accepted/><CS:invite-declined/>", 1), 400, false},
		{"other user's notifications", "bob", "/dav/notifications/" + w.alice.ID + "/", "", 404, false},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			as := w.alice
			if tt.as == "bob" {
				as = w.bob
			}
			method := "POST"
			if strings.HasPrefix(tt.path, "/dav/notifications/") {
				method = "PROPFIND"
			}
			rec := w.do(as, method, tt.path, tt.body)
			if rec.Code != tt.status {
				t.Errorf("%d, want %d: %s", rec.Code, tt.status, rec.Body)
			}
			if rec := w.do(w.bob, "PROPFIND", "/dav/calendars/"+w.bob.ID+"/private/", "", "Depth", "0"); rec.Code != 404 {
				t.Errorf("a refused request shared the calendar: %d", rec.Code)
			}
		})
	}
}
