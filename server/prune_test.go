package server_test

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"almanac/caldav"
	"almanac/internal/dav"
	"almanac/server"
	"almanac/server/servertest"
	"almanac/storage"
)

// logCatcher hands the log records with one message to a channel.
type logCatcher struct {
	msg string
	ch  chan slog.Record
}

func (h logCatcher) Enabled(context.Context, slog.Level) bool { return true }
func (h logCatcher) WithAttrs([]slog.Attr) slog.Handler       { return h }
func (h logCatcher) WithGroup(string) slog.Handler            { return h }
func (h logCatcher) Handle(_ context.Context, r slog.Record) error {
	if r.Message == h.msg {
		h.ch <- r.Clone()
	}
	return nil
}

// TestRunPrunesChangeLog starts the background work with a retention and
// waits for the pass Run makes at start: history younger than the
// retention stays, older history goes, and a client's token from before
// it is answered with 403 valid-sync-token.
func TestRunPrunesChangeLog(t *testing.T) {
	ctx := t.Context()
	db := servertest.Store(t)
	acc := servertest.Account(t, db, "jane@example.com")
	for _, n := range []string{"a.ics", "b.ics"} {
		if _, _, err := db.Put(ctx, storage.PutObject{Owner: acc.ID, Collection: caldav.DefaultCalendar, Name: n, UID: n, Data: []byte("x " + n)}); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.Delete(ctx, acc.ID, caldav.DefaultCalendar, "b.ics", nil); err != nil {
		t.Fatal(err)
	}
	coll, err := db.Collection(ctx, acc.ID, caldav.DefaultCalendar)
	if err != nil {
		t.Fatal(err)
	}
	token := dav.SyncToken(coll.Incarnation, 1)

	// run serves with the retention until the start-up pass is logged,
	// and returns the pass's counts and a sync-collection from token.
	run := func(retention time.Duration) (collections, tombstones int64, sync *httptest.ResponseRecorder) {
		t.Helper()
		passes := make(chan slog.Record, 1)
		app := server.New(server.Config{Store: db, Logger: slog.New(logCatcher{"pruned change log", passes}), SyncRetention: retention})
		runCtx, stop := context.WithCancel(ctx)
		done := make(chan struct{})
		go func() { app.Run(runCtx); close(done) }()
		defer func() { stop(); <-done }()
		var rec slog.Record
		select {
		case rec = <-passes:
		case <-time.After(30 * time.Second):
			t.Fatal("Run made no prune pass")
		}
		rec.Attrs(func(a slog.Attr) bool {
			switch a.Key {
			case "collections":
				collections = a.Value.Int64()
			case "tombstones":
				tombstones = a.Value.Int64()
			}
			return true
		})
		req := httptest.NewRequest("REPORT", "/dav/calendars/"+acc.ID+"/"+caldav.DefaultCalendar+"/",
			strings.NewReader(`<D:sync-collection xmlns:D="DAV:"><D:sync-token>`+token+`</D:sync-token><D:sync-level>1</D:sync-level><D:prop><D:getetag/></D:prop></D:sync-collection>`))
		req.SetBasicAuth(acc.Login, password)
		req.Header.Set("Depth", "0")
		sync = httptest.NewRecorder()
		app.ServeHTTP(sync, req)
		return collections, tombstones, sync
	}

	if c, n, sync := run(time.Hour); c != 0 || n != 0 || sync.Code != http.StatusMultiStatus || !strings.Contains(sync.Body.String(), "b.ics") {
		t.Fatalf("retention 1h: pass pruned %d collections, %d tombstones; sync %d %s", c, n, sync.Code, sync.Body)
	}
	if c, n, sync := run(time.Nanosecond); c != 1 || n != 1 || sync.Code != http.StatusForbidden || !strings.Contains(sync.Body.String(), "valid-sync-token") {
		t.Fatalf("retention 1ns: pass pruned %d collections, %d tombstones; sync %d %s", c, n, sync.Code, sync.Body)
	}
	if coll, err := db.Collection(ctx, acc.ID, caldav.DefaultCalendar); err != nil || coll.Pruned != coll.Seq {
		t.Fatalf("after pruning: %+v, %v", coll, err)
	}
}
