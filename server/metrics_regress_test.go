package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"almanac/server"
	"almanac/server/servertest"
	"almanac/sharing"
)

const metricsToken = "0123456789abcdef-metrics-token"

// TestMetricsCountKnownSequence plays a known sequence of requests and
// reads /metrics as Prometheus would (the text format, parsed by its
// parser): every request is counted once, under its route (the API
// pattern, the DAV resource type, feed, ...), method and status, with a
// latency observation each; feed outcomes and cache hits, wrong
// passwords, the database's counts and its commits are there too.
func TestMetricsCountKnownSequence(t *testing.T) {
	env := servertest.New(t, func(c *server.Config) { c.MetricsToken = metricsToken })
	jane := env.Account("jane@example.com")
	home := "/dav/calendars/" + jane.ID + "/"
	event := "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//t//EN\r\nBEGIN:VEVENT\r\nUID:m1\r\nDTSTAMP:20260101T000000Z\r\n" +
		"DTSTART:20260102T100000Z\r\nSUMMARY:Metrics\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"

	type step struct {
		method, path, login, body string
		hdr                       []string
		status                    int
	}
	do := func(s step) *http.Response {
		t.Helper()
		rec := env.Do(s.method, s.path, s.login, s.body, s.hdr...)
		if rec.Code != s.status {
			t.Fatalf("%s %s: %d, want %d: %s", s.method, s.path, rec.Code, s.status, rec.Body)
		}
		return rec.Result()
	}
	for _, s := range []step{
		{"PROPFIND", "/dav/principals/" + jane.ID + "/", jane.Login, "", []string{"Depth", "0"}, 207},
		{"PROPFIND", "/dav/principals/" + jane.ID + "/", jane.Login, "", []string{"Depth", "0"}, 207},
		{"PROPFIND", home, jane.Login, "", []string{"Depth", "1"}, 207},
		{"PROPFIND", home + "default/", jane.Login, "", []string{"Depth", "0"}, 207},
		{"PUT", home + "default/m1.ics", jane.Login, event, []string{"Content-Type", "text/calendar"}, 201},
		{"GET", home + "default/m1.ics", jane.Login, "", nil, 200},
		{"PROPFIND", "/dav/", "", "", []string{"Depth", "0"}, 401},
		{"PROPFIND", "/", jane.Login, "", []string{"Depth", "0"}, 207},
		{"GET", "/api/v1/account", jane.Login, "", nil, 200},
		{"GET", "/api/v1/nope", jane.Login, "", nil, 404},
		{"GET", "/.well-known/caldav", "", "", nil, 301},
		{"GET", "/healthz", "", "", nil, 200},
		{"GET", "/readyz", "", "", nil, 200},
		{"GET", "/", "", "", nil, 200},
		{"GET", "/nope", "", "", nil, 404},
		{"FROBNICATE", "/", "", "", nil, 405},
		{"GET", "/ics/not-a-token", "", "", nil, 404},
	} {
		do(s)
	}
	// A wrong password, twice, then a link, its feed fetched twice and
	// polled with its ETag.
	for range 2 {
		rec := env.Do("PROPFIND", "/dav/", "", "", "Authorization", servertest.BasicAuth(jane.Login, "wrong password"), "Depth", "0")
		if rec.Code != 401 {
			t.Fatalf("wrong password: %d", rec.Code)
		}
	}
	rec := env.Do("POST", sharing.LinksPath, jane.Login, `{"collection":"default"}`)
	if rec.Code != 201 {
		t.Fatalf("create link: %d %s", rec.Code, rec.Body)
	}
	var link sharing.LinkJSON
	if err := json.Unmarshal(rec.Body.Bytes(), &link); err != nil {
		t.Fatal(err)
	}
	feed := link.URL[strings.Index(link.URL, "/ics/"):]
	etag := do(step{"GET", feed, "", "", nil, 200}).Header.Get("ETag")
	do(step{"GET", feed, "", "", nil, 200})
	do(step{"GET", feed, "", "", []string{"If-None-Match", etag}, 304})

	m := env.Scrape()
	want := map[string]float64{
		"method=PROPFIND,route=dav:principal,status=207":  2,
		"method=PROPFIND,route=dav:home,status=207":       1,
		"method=PROPFIND,route=dav:collection,status=207": 1,
		"method=PUT,route=dav:member,status=201":          1,
		"method=GET,route=dav:member,status=200":          1,
		"method=PROPFIND,route=dav,status=401":            3,
		"method=PROPFIND,route=dav:root,status=207":       1,
		"method=GET,route=/api/v1/account,status=200":     1,
		"method=GET,route=api,status=404":                 1,
		"method=POST,route=/api/v1/links,status=201":      1,
		"method=GET,route=well-known,status=301":          1,
		"method=GET,route=/healthz,status=200":            1,
		"method=GET,route=/readyz,status=200":             1,
		"method=GET,route=home,status=200":                1,
		"method=other,route=home,status=405":              1,
		"method=GET,route=other,status=404":               1,
		"method=GET,route=feed,status=404":                1,
		"method=GET,route=feed,status=200":                2,
		"method=GET,route=feed,status=304":                1,
	}
	got := m.Series("almanac_http_requests_total")
	if !maps.Equal(got, want) {
		t.Errorf("almanac_http_requests_total:\n%s\nwant:\n%s", showSeries(got), showSeries(want))
	}
	// One latency observation per request, by route and method.
	durations := m.Series("almanac_http_request_duration_seconds")
	for series, n := range want {
		var route, method string
		for kv := range strings.SplitSeq(series, ",") {
			k, v, _ := strings.Cut(kv, "=")
			switch k {
			case "route":
				route = v
			case "method":
				method = v
			}
		}
		if c := m.Value("almanac_http_request_duration_seconds", "route", route, "method", method); c < n {
			t.Errorf("%s %s: %v latency observations for %v requests", route, method, c, n)
		}
	}
	var total float64
	for _, v := range durations {
		total += v
	}
	if wantTotal := m.Value("almanac_http_requests_total"); total != wantTotal {
		t.Errorf("%v latency observations, %v requests", total, wantTotal)
	}

	for _, c := range []struct {
		name   string
		labels []string
		want   float64
	}{
		{"almanac_feed_fetches_total", []string{"outcome", "served"}, 2},
		{"almanac_feed_fetches_total", []string{"outcome", "not_modified"}, 1},
		{"almanac_feed_fetches_total", []string{"outcome", "not_found"}, 1},
		{"almanac_feed_fetches_total", []string{"outcome", "throttled"}, 0},
		{"almanac_feed_cache_total", []string{"result", "miss"}, 1},
		{"almanac_feed_cache_total", []string{"result", "hit"}, 2},
		{"almanac_auth_failures_total", []string{"kind", "password"}, 2},
		{"almanac_auth_throttled_total", []string{"kind", "password"}, 0},
		{"almanac_accounts", nil, 1},
		{"almanac_collections", nil, 2}, // the calendar and the address book
		{"almanac_objects", nil, 1},
		{"almanac_public_links", nil, 1},
	} {
		if v := m.Value(c.name, c.labels...); v != c.want {
			t.Errorf("%s%v = %v, want %v", c.name, c.labels, v, c.want)
		}
	}
	if m.Value("almanac_db_size_bytes") <= 0 || m.Value("almanac_db_commit_duration_seconds") < 1 ||
		m.Value("almanac_db_commit_writes") < 1 || m.Value("almanac_build_info") != 1 {
		t.Errorf("database size %v, commits %v (writes %v), build info %v",
			m.Value("almanac_db_size_bytes"), m.Value("almanac_db_commit_duration_seconds"),
			m.Value("almanac_db_commit_writes"), m.Value("almanac_build_info"))
	}

	// The scrape over HTTP needs the token, and is counted itself once
	// it is answered.
	rec = env.Do("GET", "/metrics", "", "", "Authorization", "Bearer "+metricsToken)
	if rec.Code != 200 || !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/plain") {
		t.Fatalf("GET /metrics with the token: %d %q", rec.Code, rec.Header().Get("Content-Type"))
	}
	servertest.ParseMetrics(t, rec.Body)
	if v := env.Scrape().Value("almanac_http_requests_total", "route", "/metrics", "status", "200"); v != 1 {
		t.Errorf("/metrics counted %v times, want 1", v)
	}
}

func showSeries(m map[string]float64) string {
	var b strings.Builder
	for _, k := range slices.Sorted(maps.Keys(m)) {
		fmt.Fprintf(&b, "  %s %v\n", k, m[k])
	}
	return b.String()
}

// TestMetricsNeverPublicByDefault: without a token /metrics does not
// exist on the main handler; with one, a request without it, with
// another, or with Basic credentials gets 401 with a Bearer challenge and
// no metric.
func TestMetricsNeverPublicByDefault(t *testing.T) {
	plain := servertest.New(t)
	acc := plain.Account("jane@example.com")
	for _, login := range []string{"", acc.Login} {
		if rec := plain.Do("GET", "/metrics", login, ""); rec.Code != 404 || strings.Contains(rec.Body.String(), "almanac_") {
			t.Errorf("no token configured, as %q: %d %.200s", login, rec.Code, rec.Body)
		}
	}

	env := servertest.New(t, func(c *server.Config) { c.MetricsToken = metricsToken })
	acc = env.Account("jane@example.com")
	for _, tc := range []struct {
		name string
		hdr  []string
	}{
		{"none", nil},
		{"other token", []string{"Authorization", "Bearer " + metricsToken + "x"}},
		{"prefix of the token", []string{"Authorization", "Bearer " + metricsToken[:20]}},
		{"basic credentials", []string{"Authorization", servertest.BasicAuth(acc.Login, servertest.Password)}},
		{"token as basic", []string{"Authorization", "Basic " + metricsToken}},
		{"empty bearer", []string{"Authorization", "Bearer "}},
	} {
		rec := env.Do("GET", "/metrics", "", "", tc.hdr...)
		if rec.Code != 401 || rec.Header().Get("WWW-Authenticate") != `Bearer realm="almanac metrics"` || strings.Contains(rec.Body.String(), "almanac_") {
			t.Errorf("%s: %d %q %.200s", tc.name, rec.Code, rec.Header().Get("WWW-Authenticate"), rec.Body)
		}
	}
	if rec := env.Do("GET", "/metrics", "", "", "Authorization", "bearer  "+metricsToken); rec.Code != 200 {
		t.Errorf("scheme in lower case: %d", rec.Code)
	}
	if rec := env.Do("POST", "/metrics", "", "", "Authorization", "Bearer "+metricsToken); rec.Code != 405 {
		t.Errorf("POST /metrics: %d", rec.Code)
	}

	// The handler for a listener of its own: open without a token,
	// closed with one.
	for _, tc := range []struct {
		token, auth string
		status      int
	}{
		{"", "", 200},
		{metricsToken, "", 401},
		{metricsToken, "Bearer " + metricsToken, 200},
	} {
		r, _ := http.NewRequest("GET", "/metrics", nil)
		if tc.auth != "" {
			r.Header.Set("Authorization", tc.auth)
		}
		rec := httptest.NewRecorder()
		env.Server.MetricsHandler(tc.token).ServeHTTP(rec, r)
		if rec.Code != tc.status {
			t.Errorf("MetricsHandler(%q) with %q: %d, want %d", tc.token, tc.auth, rec.Code, tc.status)
		}
	}
}

// TestPrunePassInMetrics: a pass of the background prune is counted with
// its duration and the time of its success.
func TestPrunePassInMetrics(t *testing.T) {
	db := servertest.Store(t)
	passes := make(chan slog.Record, 1)
	app := server.New(server.Config{Store: db, Logger: slog.New(logCatcher{"pruned change log", passes}), SyncRetention: time.Hour})
	before := float64(time.Now().Unix())
	ctx, stop := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() { app.Run(ctx); close(done) }()
	defer func() { stop(); <-done }()
	select {
	case <-passes:
	case <-time.After(30 * time.Second):
		t.Fatal("Run made no prune pass")
	}
	rec := httptest.NewRecorder()
	app.MetricsHandler("").ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	m := servertest.ParseMetrics(t, rec.Body)
	if ok, failed := m.Value("almanac_job_runs_total", "job", "prune", "result", "ok"), m.Value("almanac_job_runs_total", "job", "prune", "result", "error"); ok != 1 || failed != 0 {
		t.Errorf("prune passes: %v ok, %v failed; want 1 and 0", ok, failed)
	}
	if n := m.Value("almanac_job_duration_seconds", "job", "prune"); n != 1 {
		t.Errorf("%v durations of prune passes", n)
	}
	if at := m.Value("almanac_job_last_success_timestamp_seconds", "job", "prune"); at < before {
		t.Errorf("last success at %v, before the start %v", at, before)
	}
}

// A scheduled backup is counted as a job, like a prune pass.
func TestBackupInMetrics(t *testing.T) {
	db := servertest.Store(t)
	written := make(chan server.BackupResult, 1)
	app := server.New(server.Config{Store: db, Backup: server.BackupConfig{Dir: t.TempDir(), Every: time.Hour, Keep: 2,
		Done: func(r server.BackupResult) { written <- r }}})
	ctx, stop := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() { app.Run(ctx); close(done) }()
	defer func() { stop(); <-done }()
	select {
	case r := <-written:
		if r.Err != nil {
			t.Fatalf("backup: %v", r.Err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Run made no backup")
	}
	rec := httptest.NewRecorder()
	app.MetricsHandler("").ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	m := servertest.ParseMetrics(t, rec.Body)
	if ok := m.Value("almanac_job_runs_total", "job", "backup", "result", "ok"); ok != 1 {
		t.Errorf("backups counted: %v, want 1", ok)
	}
}
