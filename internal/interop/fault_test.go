package interop

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"almanac/internal/pgtest"
	"almanac/sharing"
)

// Phases of the database in TestDatabaseFault, in order. A request is
// tagged with the phase when it was sent and when it was answered, so
// that what must have failed is known from the order of events, not
// from how long anything took.
const (
	phaseUp       int32 = iota // before the stop
	phaseStopping              // pg_ctl stop running
	phaseDown                  // stopped: every connection fails
	phaseStarting              // postgres starting again
	phaseBack                  // accepting connections again
)

// faultPut is one PUT of the load and what it got.
type faultPut struct {
	worker   int
	server   int // index into the servers
	href     string
	sent     int32 // phase
	answered int32 // phase
	status   int
	etag     string
	retry    string // Retry-After
	body     string // of a refusal
	err      error  // no answer at all
}

// putLoad is clients writing through the servers until stopped, each a
// new object per PUT (If-None-Match: *), so that an acknowledged PUT
// names exactly one state of one object: a PUT whose answer was lost
// may or may not have been stored, but one that was answered 2xx must
// be there with the ETag it got.
type putLoad struct {
	e       []*env
	phase   atomic.Int32
	stop    chan struct{}
	wg      sync.WaitGroup
	mu      sync.Mutex
	results []faultPut
}

func (l *putLoad) run(workers int) {
	client := &http.Client{Timeout: time.Minute}
	for w := range workers {
		l.wg.Add(1)
		go func() {
			defer l.wg.Done()
			e := l.e[w%len(l.e)]
			for n := 0; ; n++ {
				select {
				case <-l.stop:
					return
				default:
				}
				r := faultPut{worker: w, server: w % len(l.e), href: fmt.Sprintf("%sw%d-%d.ics", e.Calendar, w, n)}
				req, err := http.NewRequest(http.MethodPut, e.URL+r.href,
					strings.NewReader(icsEvent(fmt.Sprintf("w%d-%d@fault", w, n), "under load", "20260401T100000Z")))
				var resp *http.Response
				if err == nil {
					req.SetBasicAuth(e.Login, e.Password)
					req.Header.Set("Content-Type", "text/calendar; charset=utf-8")
					req.Header.Set("If-None-Match", "*")
					r.sent = l.phase.Load()
					resp, err = client.Do(req)
				}
				if err == nil {
					b, _ := io.ReadAll(resp.Body)
					resp.Body.Close()
					r.status, r.etag, r.retry = resp.StatusCode, resp.Header.Get("ETag"), resp.Header.Get("Retry-After")
					if resp.StatusCode/100 != 2 {
						r.body = string(b)
					}
				}
				r.answered, r.err = l.phase.Load(), err
				l.mu.Lock()
				l.results = append(l.results, r)
				l.mu.Unlock()
				if err != nil {
					return
				}
				if r.status/100 != 2 {
					// As a client that was told to retry later; the
					// outage still sees several attempts of each.
					time.Sleep(200 * time.Millisecond)
				}
			}
		}()
	}
}

// each reports whether every one of workers has at least n results
// that match.
func (l *putLoad) each(workers, n int, match func(faultPut) bool) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	count := make([]int, workers)
	for _, r := range l.results {
		if match(r) {
			count[r.worker]++
		}
	}
	for _, c := range count {
		if c < n {
			return false
		}
	}
	return true
}

// waitUntil polls cond until it holds; the bound only keeps a broken
// server from hanging the test, nothing is asserted about time. A
// request that got no answer ends the wait at once: its client has
// stopped.
func (l *putLoad) waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for range 3000 {
		l.mu.Lock()
		for _, r := range l.results {
			if r.err != nil {
				l.mu.Unlock()
				t.Fatalf("waiting until %s: PUT %s through server %d got no answer: %v", what, r.href, r.server, r.err)
			}
		}
		l.mu.Unlock()
		if cond() {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("gave up waiting until %s", what)
}

// leaks reports whether an error answer shows what only the server's
// log may: the database's address, driver or SQL messages.
func leaks(body string) bool {
	for _, s := range []string{"PGSQL", "SQLSTATE", "postgres", "pgx", "dial", "connect:"} {
		if strings.Contains(body, s) {
			return true
		}
	}
	return false
}

// TestDatabaseFault is issue 20's fault test: PostgreSQL stopped and
// started under load. Clients PUT through two almanac servers on one
// database of a cluster of the test's own; the cluster is stopped (pg_ctl
// stop -m fast), or crashes (-m immediate: no backend says goodbye, the
// restart recovers from the WAL), and is started again. Every PUT
// answered 2xx is there afterwards with its ETag, through the other
// server; every answer that is not 2xx is 503 with Retry-After and no
// internals; every request made while the database was down failed;
// /readyz says so while /healthz does not; and both servers, not
// restarted, accept writes again once the database is back.
func TestDatabaseFault(t *testing.T) {
	t.Run("stop", func(t *testing.T) { databaseFault(t, (*pgtest.Cluster).Stop) })
	t.Run("crash", func(t *testing.T) { databaseFault(t, (*pgtest.Cluster).Crash) })
}

func databaseFault(t *testing.T, halt func(*pgtest.Cluster, testing.TB)) {
	cl := pgtest.NewCluster(t)
	srv := newAlmanacs(t, cl.URL(t))
	srv.addUser("alice", testLogin, testPassword)
	servers := []*almanacServer{srv.start("a"), srv.start("b")}
	load := &putLoad{stop: make(chan struct{})}
	for _, s := range servers {
		load.e = append(load.e, accountEnv(s.URL, "alice", testLogin, testPassword))
	}
	// A feed, and a token never issued, which a server counts as a guess
	// in the database before answering 404.
	resp, body := load.e[0].do(t, http.MethodPost, sharing.LinksPath, map[string]string{"Content-Type": "application/json"},
		`{"collection":"default","tier":"full"}`)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("create link: %d %s", resp.StatusCode, body)
	}
	var link sharing.LinkJSON
	if err := json.Unmarshal(body, &link); err != nil {
		t.Fatal(err)
	}
	// The token with its first character changed (the last one holds
	// padding bits) fails its MAC.
	tok := strings.LastIndex(link.URL, "/") + 1
	swap := "A"
	if link.URL[tok] == 'A' {
		swap = "B"
	}
	feeds := []struct {
		what, url string
		up        int // the answer while the database is up
	}{
		{"feed", link.URL, http.StatusOK},
		{"unknown token", link.URL[:tok] + swap + link.URL[tok+1:], http.StatusNotFound},
	}
	for _, f := range feeds {
		for i, e := range load.e {
			if r := feedGet(t, onServer(t, f.url, e.URL)); r.status != f.up {
				t.Fatalf("%s through server %d: %d, want %d", f.what, i, r.status, f.up)
			}
		}
	}

	const workers = 4 // two clients on each server
	load.run(workers)
	stopped := false
	stopLoad := func() {
		if !stopped {
			stopped = true
			close(load.stop)
			load.wg.Wait()
		}
	}
	defer stopLoad()

	acked := func(r faultPut) bool { return r.status/100 == 2 }
	load.waitUntil(t, "every client has written", func() bool { return load.each(workers, 3, acked) })

	load.phase.Store(phaseStopping)
	halt(cl, t)
	load.phase.Store(phaseDown)
	for i, e := range load.e {
		resp, body := e.do(t, http.MethodPut, e.Calendar+fmt.Sprintf("down-%d.ics", i),
			map[string]string{"Content-Type": "text/calendar; charset=utf-8"}, icsEvent(fmt.Sprintf("down-%d@fault", i), "while down", "20260402T100000Z"))
		if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" || leaks(string(body)) {
			t.Errorf("PUT through server %d while the database is down: %d, Retry-After %q\n%s", i, resp.StatusCode, resp.Header.Get("Retry-After"), body)
		}
		for _, f := range feeds {
			if r := feedGet(t, onServer(t, f.url, e.URL)); r.status != http.StatusServiceUnavailable || r.retryAfter == "" || leaks(r.body) {
				t.Errorf("%s through server %d while the database is down: %d, Retry-After %q\n%s", f.what, i, r.status, r.retryAfter, r.body)
			}
		}
		if resp, body := e.do(t, http.MethodGet, "/readyz", nil, ""); resp.StatusCode != http.StatusServiceUnavailable || leaks(string(body)) {
			t.Errorf("/readyz of server %d while the database is down: %d\n%s", i, resp.StatusCode, body)
		}
		if resp, body := e.do(t, http.MethodGet, "/healthz", nil, ""); resp.StatusCode != http.StatusOK {
			t.Errorf("/healthz of server %d while the database is down: %d (a restart would not help)\n%s", i, resp.StatusCode, body)
		}
	}
	inOutage := func(r faultPut) bool { return r.sent == phaseDown && r.answered == phaseDown }
	load.waitUntil(t, "every client has been refused during the outage", func() bool { return load.each(workers, 10, inOutage) })

	load.phase.Store(phaseStarting)
	cl.Start(t)
	load.phase.Store(phaseBack)
	for i, e := range load.e {
		ok := false
		for n := 0; n < 100 && !ok; n++ {
			resp, _ := e.do(t, http.MethodPut, e.Calendar+fmt.Sprintf("back-%d-%d.ics", i, n),
				map[string]string{"Content-Type": "text/calendar; charset=utf-8"}, icsEvent(fmt.Sprintf("back-%d-%d@fault", i, n), "back", "20260403T100000Z"))
			ok = resp.StatusCode == http.StatusCreated
			if !ok {
				time.Sleep(100 * time.Millisecond)
			}
		}
		if !ok {
			t.Errorf("server %d did not accept a PUT in 100 attempts after the database came back", i)
		}
		for _, f := range feeds {
			if r := feedGet(t, onServer(t, f.url, e.URL)); r.status != f.up {
				t.Errorf("%s through server %d after the database came back: %d, want %d", f.what, i, r.status, f.up)
			}
		}
		if resp, body := e.do(t, http.MethodGet, "/readyz", nil, ""); resp.StatusCode != http.StatusOK {
			t.Errorf("/readyz of server %d after the database came back: %d\n%s", i, resp.StatusCode, body)
		}
	}
	load.waitUntil(t, "every client has written after the database came back", func() bool {
		return load.each(workers, 2, func(r faultPut) bool { return acked(r) && r.sent == phaseBack })
	})
	stopLoad()

	var nAcked, nRefused, nOutage int
	for _, r := range load.results {
		switch {
		case r.err != nil:
			t.Errorf("PUT %s through server %d got no answer: %v", r.href, r.server, r.err)
		case acked(r):
			nAcked++
			if r.sent == phaseDown && r.answered == phaseDown {
				t.Errorf("PUT %s through server %d acknowledged (%d) while the database was down", r.href, r.server, r.status)
			}
			other := load.e[(r.server+1)%len(load.e)]
			resp, _ := other.do(t, http.MethodGet, r.href, nil, "")
			if resp.StatusCode != http.StatusOK || resp.Header.Get("ETag") != r.etag {
				t.Errorf("PUT %s acknowledged %d with ETag %s; GET through the other server: %d, ETag %s",
					r.href, r.status, r.etag, resp.StatusCode, resp.Header.Get("ETag"))
			}
		default:
			nRefused++
			if inOutage(r) {
				nOutage++
			}
			if r.status != http.StatusServiceUnavailable || r.retry == "" || leaks(r.body) {
				t.Errorf("PUT %s through server %d (database %d→%d): %d, Retry-After %q, want 503 with it\n%s",
					r.href, r.server, r.sent, r.answered, r.status, r.retry, r.body)
			}
		}
	}
	t.Logf("%d PUTs acknowledged, %d refused, %d of them sent and answered while the database was down", nAcked, nRefused, nOutage)
	for i, s := range servers {
		if n := strings.Count(s.proc.Logs(), `msg="almanac listening"`); n != 1 {
			t.Errorf("server %d started %d times", i, n)
		}
	}
}
