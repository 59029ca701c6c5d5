package server_test

import (
	"bytes"
	"context"
	"encoding/xml"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"almanac/internal/backup"
	"almanac/internal/dav"
	"almanac/server"
	"almanac/server/servertest"
	"almanac/storage"
	"almanac/storage/bolt"
)

// writeOp is one request of a writer's fixed sequence; every op moves
// its collection's counter by exactly one, so after op j the counter is
// j (a provisioned calendar starts at 0).
type writeOp struct {
	method, name, body string
}

func eventBody(uid, summary string) string {
	return "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\nUID:" + uid +
		"\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:20260310T100000Z\r\nDTEND:20260310T110000Z\r\nSUMMARY:" + summary +
		"\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
}

// writerOps is a writer's sequence of n creates, overwrites and deletes.
func writerOps(writer, n int) []writeOp {
	var ops []writeOp
	var live []string
	for j := 1; j <= n; j++ {
		switch {
		case j%4 == 0 && len(live) > 1:
			ops = append(ops, writeOp{"DELETE", live[0], ""})
			live = live[1:]
		case j%3 == 0 && len(live) > 0:
			name := live[len(live)-1]
			ops = append(ops, writeOp{"PUT", name, eventBody(strings.TrimSuffix(name, ".ics"), fmt.Sprintf("rewritten at %d", j))})
		default:
			name := fmt.Sprintf("w%d-e%d.ics", writer, j)
			ops = append(ops, writeOp{"PUT", name, eventBody(strings.TrimSuffix(name, ".ics"), "first")})
			live = append(live, name)
		}
	}
	return ops
}

// modelAt is the collection after the first s ops: member name → ETag.
func modelAt(ops []writeOp, s int) map[string]string {
	m := map[string]string{}
	for _, op := range ops[:s] {
		if op.method == "DELETE" {
			delete(m, op.name)
		} else {
			m[op.name] = storage.ETagOf([]byte(op.body))
		}
	}
	return m
}

// touchedAfter is the names the ops after the first s change.
func touchedAfter(ops []writeOp, s int) []string {
	set := map[string]bool{}
	for _, op := range ops[s:] {
		set[op.name] = true
	}
	return slices.Sorted(maps.Keys(set))
}

// davState is what a client sees of a calendar: its members' ETags, its
// getctag and its sync token.
type davState struct {
	members     map[string]string // member name → ETag
	ctag, token string
}

type multistatus struct {
	Responses []struct {
		Href      string `xml:"href"`
		Propstats []struct {
			ETag  string `xml:"prop>getetag"`
			CTag  string `xml:"prop>getctag"`
			Token string `xml:"prop>sync-token"`
		} `xml:"propstat"`
	} `xml:"response"`
	Token string `xml:"sync-token"`
}

// serveAs serves one request as login on h.
func serveAs(h http.Handler, method, path, login, body string, hdr ...string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(method, path, strings.NewReader(body))
	r.Header.Set("Authorization", servertest.BasicAuth(login, servertest.Password))
	for i := 0; i+1 < len(hdr); i += 2 {
		r.Header.Set(hdr[i], hdr[i+1])
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	return rec
}

func calendarState(t *testing.T, h http.Handler, cal, login string) davState {
	t.Helper()
	rec := serveAs(h, "PROPFIND", cal, login, `<propfind xmlns="DAV:" xmlns:CS="http://calendarserver.org/ns/"><prop><getetag/><CS:getctag/><sync-token/></prop></propfind>`,
		"Depth", "1", "Content-Type", "application/xml")
	if rec.Code != http.StatusMultiStatus {
		t.Fatalf("PROPFIND %s: %d %s", cal, rec.Code, rec.Body)
	}
	var ms multistatus
	if err := xml.Unmarshal(rec.Body.Bytes(), &ms); err != nil {
		t.Fatal(err)
	}
	st := davState{members: map[string]string{}}
	for _, r := range ms.Responses {
		for _, ps := range r.Propstats {
			switch {
			case r.Href == cal:
				st.ctag += ps.CTag
				st.token += ps.Token
			case ps.ETag != "":
				st.members[strings.TrimPrefix(r.Href, cal)] = ps.ETag
			}
		}
	}
	return st
}

// syncFrom returns the member names a sync-collection from token reports.
func syncFrom(t *testing.T, h http.Handler, cal, login, token string) []string {
	t.Helper()
	rec := serveAs(h, "REPORT", cal, login, `<sync-collection xmlns="DAV:"><sync-token>`+token+`</sync-token><sync-level>1</sync-level><prop><getetag/></prop></sync-collection>`,
		"Content-Type", "application/xml")
	if rec.Code != http.StatusMultiStatus {
		t.Fatalf("sync-collection %s from %s: %d %s", cal, token, rec.Code, rec.Body)
	}
	var ms multistatus
	if err := xml.Unmarshal(rec.Body.Bytes(), &ms); err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, r := range ms.Responses {
		out = append(out, strings.TrimPrefix(r.Href, cal))
	}
	slices.Sort(out)
	return out
}

// gate is an archive writer that, at its first write, tells started and
// holds the copy until release: the snapshot is then open, and
// everything done meanwhile happens during the backup.
type gate struct {
	w       io.Writer
	once    sync.Once
	started chan struct{}
	release chan struct{}
}

func (g *gate) Write(p []byte) (int, error) {
	g.once.Do(func() { close(g.started); <-g.release })
	return g.w.Write(p)
}

// hangGuard fails the test when ch is not ready within a minute: what it
// guards against is a deadlock, not slowness.
func hangGuard[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(time.Minute):
		t.Fatalf("%s: still waiting after a minute", what)
		panic("unreachable")
	}
}

// TestBackupUnderLoadRestoresTheSnapshot takes a backup while clients
// PUT and DELETE and restores it into a second server. Three writers
// pause at a known point; their calendars are read while the backup's
// snapshot starts and resume while it is being copied, which must not
// make them wait. Two writers never pause. On the restored server the
// paused calendars answer PROPFIND exactly as the live server did at the
// snapshot (members, ETags, getctag, sync token); every calendar holds
// exactly the first S writes of its writer, S from its own token; and
// each restored token, given to the live server, yields exactly what
// was written after it.
func TestBackupUnderLoadRestoresTheSnapshot(t *testing.T) {
	const (
		paused, free = 3, 2
		before, n    = 30, 60 // ops before the pause, ops in all
	)
	env := servertest.New(t)
	type writer struct {
		acc    *storage.Account
		cal    string
		ops    []writeOp
		pauses bool
	}
	var writers []*writer
	for i := range paused + free {
		acc := env.Account(fmt.Sprintf("w%d@example.com", i))
		writers = append(writers, &writer{acc: acc, cal: "/dav/calendars/" + acc.ID + "/default/", ops: writerOps(i, n), pauses: i < paused})
	}

	resume := make(chan struct{})
	var atPause, finished sync.WaitGroup
	errs := make(chan error, len(writers))
	for _, w := range writers {
		if w.pauses {
			atPause.Add(1)
		}
		finished.Add(1)
		go func() {
			defer finished.Done()
			for j, op := range w.ops {
				if w.pauses && j == before {
					atPause.Done()
					<-resume
				}
				rec := env.Do(op.method, w.cal+op.name, w.acc.Login, op.body, "Content-Type", "text/calendar")
				if rec.Code >= 300 {
					errs <- fmt.Errorf("%s %s%s: %d %s", op.method, w.cal, op.name, rec.Code, rec.Body)
					if w.pauses && j < before {
						atPause.Done()
					}
					return
				}
			}
		}()
	}
	hangGuard(t, waitChan(&atPause), "writers reaching the pause")

	// The paused calendars as the live server shows them at the moment
	// the snapshot starts: nothing writes them until resume.
	live := map[string]davState{}
	for _, w := range writers[:paused] {
		live[w.cal] = calendarState(t, env.Server, w.cal, w.acc.Login)
	}
	var archive bytes.Buffer
	g := &gate{w: &archive, started: make(chan struct{}), release: make(chan struct{})}
	// On failure the backup must still end, or closing the store would
	// wait for its snapshot for ever.
	release := sync.OnceFunc(func() { close(g.release) })
	defer release()
	written := make(chan error, 1)
	go func() {
		_, err := backup.Write(context.Background(), g, env.Store, backup.Options{Gzip: true})
		written <- err
	}()
	hangGuard(t, g.started, "the backup starting")
	close(resume)
	hangGuard(t, waitChan(&finished), "writers finishing while the backup is open (did they wait for it?)")
	release()
	if err := hangGuard(t, written, "the backup"); err != nil {
		t.Fatal(err)
	}
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if t.Failed() {
		t.FailNow()
	}

	dir := t.TempDir()
	path := filepath.Join(dir, "backup.tar.gz")
	if err := os.WriteFile(path, archive.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	data := filepath.Join(dir, "restored")
	if _, err := backup.Restore(t.Context(), path, backup.RestoreOptions{DataDir: data}); err != nil {
		t.Fatal(err)
	}
	rdb, err := bolt.Open(filepath.Join(data, "almanac.db"), bolt.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer rdb.Close()
	restored := server.New(server.Config{Store: rdb, Logger: slog.New(slog.NewTextHandler(env.Logs, nil))})

	for i, w := range writers {
		got := calendarState(t, restored, w.cal, w.acc.Login)
		_, s, err := dav.ParseSyncToken(got.token)
		if err != nil {
			t.Fatalf("writer %d: restored sync token %q: %v", i, got.token, err)
		}
		if w.pauses {
			if want := live[w.cal]; got.token != want.token || got.ctag != want.ctag || !maps.Equal(got.members, want.members) {
				t.Errorf("writer %d: restored calendar differs from the live one at the snapshot:\nrestored %+v\nlive     %+v", i, got, want)
			}
			if s != before {
				t.Errorf("writer %d: restored at change %d, paused at %d", i, s, before)
			}
		}
		if s > n || !maps.Equal(got.members, modelAt(w.ops, int(s))) {
			t.Errorf("writer %d: restored calendar at change %d is not the first %d writes:\nrestored %v\nwritten  %v", i, s, s, got.members, modelAt(w.ops, min(int(s), n)))
			continue
		}
		// The restored token names the same moment on the live server. A
		// token of the empty collection (change 0) is answered like the
		// initial sync, with the live members only: a member made and
		// removed since was never seen, so nothing reports its removal
		// (RFC 6578 3.6 lets a server leave such members out).
		want := touchedAfter(w.ops, int(s))
		if s == 0 {
			want = slices.Sorted(maps.Keys(modelAt(w.ops, n)))
		}
		if gotSync := syncFrom(t, env.Server, w.cal, w.acc.Login, got.token); !slices.Equal(gotSync, want) {
			t.Errorf("writer %d: live sync-collection from the restored token reports %v, want %v", i, gotSync, want)
		}
		if now := calendarState(t, env.Server, w.cal, w.acc.Login); !maps.Equal(now.members, modelAt(w.ops, n)) {
			t.Errorf("writer %d: the live server lost writes made during the backup", i)
		}
	}
	var problems []storage.Problem
	if _, err := rdb.Check(t.Context(), func(p storage.Problem) { problems = append(problems, p) }); err != nil || len(problems) > 0 {
		t.Errorf("restored store: %v %v", err, problems)
	}
}

// waitChan closes the returned channel when wg is done.
func waitChan(wg *sync.WaitGroup) <-chan struct{} {
	ch := make(chan struct{})
	go func() { wg.Wait(); close(ch) }()
	return ch
}

// TestRunMakesScheduledBackups: a server configured with a backup
// directory writes an archive at start (there is none yet), logged, and
// the archive restores.
func TestRunMakesScheduledBackups(t *testing.T) {
	dir := t.TempDir()
	results := make(chan server.BackupResult, 1)
	env := servertest.New(t, func(c *server.Config) {
		c.Backup = server.BackupConfig{Dir: dir, Every: time.Hour, Keep: 2, Done: func(r server.BackupResult) { results <- r }}
	})
	acc := env.Account("jane@example.com")
	ctx, stop := context.WithCancel(t.Context())
	ran := make(chan struct{})
	go func() { env.Server.Run(ctx); close(ran) }()
	res := hangGuard(t, results, "the first scheduled backup")
	stop()
	<-ran
	if res.Err != nil || filepath.Dir(res.Path) != dir || !strings.HasSuffix(res.Path, ".tar.gz") {
		t.Fatalf("%+v", res)
	}
	if !strings.Contains(env.Logs.String(), `msg="backup written"`) {
		t.Errorf("no log line for the backup:\n%s", env.Logs)
	}
	data := filepath.Join(t.TempDir(), "data")
	if _, err := backup.Restore(t.Context(), res.Path, backup.RestoreOptions{DataDir: data}); err != nil {
		t.Fatal(err)
	}
	rdb, err := bolt.Open(filepath.Join(data, "almanac.db"), bolt.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer rdb.Close()
	if _, err := rdb.AccountByLogin(t.Context(), acc.Login); err != nil {
		t.Errorf("the scheduled backup lacks the account: %v", err)
	}
}
