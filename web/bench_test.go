package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"almanac/caldav"
	aical "almanac/internal/ical"
	"almanac/mailbox"
	"almanac/server/servertest"
	"almanac/sharing"
	"almanac/storage"
)

// BenchmarkPages is each page's server time for an account with 10,000
// events in its calendar and 100 public links (the most it may have):
//
//	go test -run '^$' -bench BenchmarkPages -benchtime 20x ./web
func BenchmarkPages(b *testing.B) {
	env := servertest.New(b)
	acc := env.Account("bench@example.com")
	ctx := context.Background()
	now := time.Now().UTC()
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for w := range 16 {
		wg.Go(func() {
			for i := w; i < 10000; i += 16 {
				start := now.Add(-300 * 24 * time.Hour).Truncate(time.Hour).Add(time.Duration(i) * 97 * time.Minute)
				data := fmt.Sprintf("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//bench//EN\r\nBEGIN:VEVENT\r\nUID:ev-%d\r\n"+
					"DTSTAMP:20260101T000000Z\r\nDTSTART:%s\r\nDTEND:%s\r\nSUMMARY:Event %d\r\nLOCATION:Room %d\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
					i, start.Format("20060102T150405Z"), start.Add(time.Hour).Format("20060102T150405Z"), i, i%40)
				cal, err := aical.Parse([]byte(data))
				if err != nil {
					errs <- err
					return
				}
				s, e, open, _ := aical.Span(cal)
				if _, _, err := env.Store.Put(ctx, storage.PutObject{Owner: acc.ID, Collection: caldav.DefaultCalendar, Name: fmt.Sprintf("ev-%d.ics", i),
					UID: fmt.Sprintf("ev-%d", i), Component: "VEVENT", ContentType: "text/calendar",
					Span: storage.Span{Known: true, Start: s, End: e, Open: open}, Data: []byte(data)}); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		b.Fatal(err)
	}
	var firstLink string
	for i := range sharing.MaxLinksPerAccount {
		l := &storage.Link{ID: sharing.NewLinkID(), Owner: acc.ID, Collection: caldav.DefaultCalendar, Label: fmt.Sprintf("link %d", i), Tier: sharing.TierFull}
		if err := env.Store.CreateLink(ctx, l); err != nil {
			b.Fatal(err)
		}
		if firstLink == "" {
			firstLink = l.ID
		}
	}
	rec := env.Do("POST", "/api/v1/session", "", `{"login":"bench@example.com","password":"`+servertest.Password+`"}`)
	if rec.Code != http.StatusOK {
		b.Fatalf("login: %d %s", rec.Code, rec.Body)
	}
	cookie := rec.Header().Get("Set-Cookie")
	cookie, _, _ = strings.Cut(cookie, ";")
	// The agenda page's address is the link's feed address with .html.
	rec = env.Do("GET", "/api/v1/links/"+firstLink, "bench@example.com", "")
	_, after, _ := strings.Cut(rec.Body.String(), `"url":"`)
	feed, _, _ := strings.Cut(after, `"`)
	_, agenda, _ := strings.Cut(feed, "/ics/")
	agenda = "/ics/" + agenda + ".html"

	// A linked mailbox with the most replies it may keep, each with the
	// most exclusions.
	mailAddr := servertest.LinkedMailbox(b, env.Store, "bench@example.com")
	var rs []storage.Responder
	var excl []string
	for i := range mailbox.MaxExclusions {
		excl = append(excl, fmt.Sprintf("sender%d@example.org", i))
	}
	for i := range mailbox.MaxResponders {
		rs = append(rs, storage.Responder{Service: "svc1", LocalPart: "ann", ResponderSettings: storage.ResponderSettings{
			Name: fmt.Sprintf("Reply %d", i), Subject: "Away", Text: strings.Repeat("I am away. ", 100), TimeZone: "Europe/Paris",
			Start: "2026-07-01T00:00:00", End: "2026-08-01T00:00:00", Exclusions: excl}})
	}
	if err := env.Store.CreateResponders(ctx, rs, mailbox.MaxResponders); err != nil {
		b.Fatal(err)
	}
	replies := "/mail/" + mailAddr + "/responders"

	for _, p := range []string{"/login", "/calendars", "/calendars/default", "/calendars/default/delete", "/links/" + firstLink, "/account", "/mail", "/manage", agenda,
		"/calendars/default/import", "/account/setup", "/mail/" + mailAddr + "/setup", replies, replies + "/" + rs[0].ID, "/manage/services/svc1/templates"} {
		name := strings.ReplaceAll(strings.Trim(p, "/"), "/", "_")
		b.Run(name[max(0, len(name)-40):], func(b *testing.B) {
			for b.Loop() {
				r := httptest.NewRequest(http.MethodGet, p, nil)
				r.Header.Set("Cookie", cookie)
				w := httptest.NewRecorder()
				env.Server.ServeHTTP(w, r)
				if w.Code != http.StatusOK {
					b.Fatalf("GET %s: %d", p, w.Code)
				}
			}
		})
	}
}
