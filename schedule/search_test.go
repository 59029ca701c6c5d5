package schedule_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"almanac/storage"
)

// TestPrincipalSearch: the three principal search reports find
// colleagues of the same organization and sharers by name and address,
// never an account the user has no relation with, and bound their
// answers.
func TestPrincipalSearch(t *testing.T) {
	w := newWorld(t)
	env := w.env
	ctx := context.Background()
	stranger := env.Account("bobby@elsewhere.test", func(a *storage.Account) { a.DisplayName = "Bobby Stranger" })
	org := &storage.Organization{Name: "Example"}
	if err := env.Store.CreateOrganization(ctx, org); err != nil {
		t.Fatal(err)
	}
	for _, a := range []*storage.Account{w.alice, w.bob} {
		if err := env.Store.PutMember(ctx, storage.Member{Org: org.ID, Account: a.ID, Role: "member"}); err != nil {
			t.Fatal(err)
		}
	}
	b := *w.bob
	b.DisplayName = "Bob Builder"
	if err := env.Store.UpdateAccount(ctx, &b); err != nil {
		t.Fatal(err)
	}
	search := func(body string) string {
		t.Helper()
		rec := env.Do("REPORT", "/dav/principals/", w.alice.Login, body, "Depth", "0")
		if rec.Code != http.StatusMultiStatus {
			t.Fatalf("REPORT: %d %s", rec.Code, rec.Body)
		}
		return rec.Body.String()
	}
	got := search(`<D:principal-property-search xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav" test="anyof">
		<D:property-search><D:prop><D:displayname/></D:prop><D:match>bob</D:match></D:property-search>
		<D:property-search><D:prop><C:calendar-user-address-set/></D:prop><D:match>BOB@</D:match></D:property-search>
		<D:prop><D:displayname/><C:calendar-user-address-set/></D:prop></D:principal-property-search>`)
	mustContain(t, "principal-property-search", got, "/dav/principals/"+w.bob.ID+"/", "Bob Builder", "mailto:bob@example.com")
	mustLack(t, "principal-property-search", got, stranger.ID, "Stranger", "carol", "/dav/principals/"+w.alice.ID+"/")

	got = search(`<CS:calendarserver-principal-search xmlns:D="DAV:" xmlns:CS="http://calendarserver.org/ns/" context="attendee">
		<CS:search-token>bui</CS:search-token><CS:limit><CS:nresults>5</CS:nresults></CS:limit>
		<D:prop><D:displayname/><CS:email-address-set/></D:prop></CS:calendarserver-principal-search>`)
	mustContain(t, "calendarserver-principal-search", got, "Bob Builder", "bob@example.com")
	mustLack(t, "calendarserver-principal-search", got, "Stranger")

	// Carol shares a calendar with alice: then alice finds her too.
	if rec := env.Do("POST", "/dav/calendars/"+w.carl.ID+"/default/", w.carl.Login, `<CS:share xmlns:D="DAV:" xmlns:CS="http://calendarserver.org/ns/"><CS:set><D:href>mailto:alice@example.com</D:href><CS:read/></CS:set></CS:share>`, "Content-Type", "application/xml"); rec.Code >= 300 {
		t.Fatalf("share: %d %s", rec.Code, rec.Body)
	}
	got = search(`<D:principal-property-search xmlns:D="DAV:"><D:property-search><D:prop><D:displayname/></D:prop><D:match>carol</D:match></D:property-search><D:prop><D:displayname/></D:prop></D:principal-property-search>`)
	mustContain(t, "search after sharing", got, "/dav/principals/"+w.carl.ID+"/")
	// The principal found is readable.
	if rec := env.Do("PROPFIND", "/dav/principals/"+w.bob.ID+"/", w.alice.Login, "", "Depth", "0"); rec.Code != http.StatusMultiStatus {
		t.Errorf("PROPFIND a colleague's principal: %d", rec.Code)
	}
	if rec := env.Do("PROPFIND", "/dav/principals/"+stranger.ID+"/", w.alice.Login, "", "Depth", "0"); rec.Code != http.StatusNotFound {
		t.Errorf("PROPFIND a stranger's principal: %d, want 404", rec.Code)
	}

	rec := env.Do("REPORT", "/dav/principals/", w.alice.Login, `<D:principal-search-property-set xmlns:D="DAV:"/>`, "Depth", "0")
	mustContain(t, "principal-search-property-set", rec.Body.String(), "<D:displayname/>", "<C:calendar-user-address-set/>")
	for _, tc := range []struct {
		name, body string
		code       int
	}{
		{"empty match", `<D:principal-property-search xmlns:D="DAV:"><D:property-search><D:prop><D:displayname/></D:prop><D:match> </D:match></D:property-search></D:principal-property-search>`, 400},
		{"unsearchable property", `<D:principal-property-search xmlns:D="DAV:"><D:property-search><D:prop><D:getetag/></D:prop><D:match>x</D:match></D:property-search></D:principal-property-search>`, 403},
		{"no term", `<D:principal-property-search xmlns:D="DAV:"/>`, 400},
		{"bad test", `<D:principal-property-search xmlns:D="DAV:" test="some"><D:property-search><D:prop><D:displayname/></D:prop><D:match>x</D:match></D:property-search></D:principal-property-search>`, 400},
		{"too many terms", `<CS:calendarserver-principal-search xmlns:CS="http://calendarserver.org/ns/">` + strings.Repeat("<CS:search-token>a</CS:search-token>", 11) + `</CS:calendarserver-principal-search>`, 400},
	} {
		if rec := env.Do("REPORT", "/dav/principals/", w.alice.Login, tc.body, "Depth", "0"); rec.Code != tc.code {
			t.Errorf("%s: %d %s, want %d", tc.name, rec.Code, rec.Body, tc.code)
		}
	}
}
