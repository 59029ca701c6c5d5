package server

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"almanac/auth"
	"almanac/internal/buildinfo"
	"almanac/publish"
	"almanac/storage"
)

// metrics is the server's instrumentation, on a registry of its own so
// that two servers in one process (tests) never share a counter. The
// feature packages do not import Prometheus: each takes a small observer
// interface (auth.Observer, publish.Observer, mailbox.Observer,
// storage.CommitObserver) that the adapters below implement.
type metrics struct {
	reg *prometheus.Registry

	requests *prometheus.CounterVec   // route, method, status
	duration *prometheus.HistogramVec // route, method

	jobRuns     *prometheus.CounterVec   // job, result
	jobDuration *prometheus.HistogramVec // job
	jobSuccess  *prometheus.GaugeVec     // job: Unix time of the last success
	reportRuns  *prometheus.CounterVec   // outcome of the REPORT pool

	auth    authMetrics
	feeds   feedMetrics
	mail    mailMetrics
	commits commitMetrics
}

// requestBuckets reach from a cached 304 (well under a millisecond) to a
// large REPORT or a slow upload (tens of seconds).
var requestBuckets = []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30}

func newMetrics() *metrics {
	m := &metrics{reg: prometheus.NewRegistry()}
	f := promFactory{m.reg}
	m.requests = f.counterVec("almanac_http_requests_total",
		"HTTP requests answered, by route (API pattern, DAV resource type, feed, ...), method and status.",
		"route", "method", "status")
	m.duration = f.histogramVec("almanac_http_request_duration_seconds",
		"Time from a request's arrival to the end of its answer, by route and method.",
		requestBuckets, "route", "method")
	m.jobRuns = f.counterVec("almanac_job_runs_total", "Passes of background jobs, by job and result (ok, error).", "job", "result")
	m.jobDuration = f.histogramVec("almanac_job_duration_seconds", "Duration of background job passes.",
		prometheus.ExponentialBuckets(.001, 4, 10), "job")
	m.reportRuns = f.counterVec("almanac_dav_report_pool_total",
		"Expensive REPORTs (queries, free-busy) by what the pool did: run (a slot at once), queued (waited for one), full (503, queue full), timeout (503, queued too long).", "outcome")
	for _, o := range []string{"run", "queued", "full", "timeout"} {
		m.reportRuns.WithLabelValues(o)
	}
	m.jobSuccess = f.gaugeVec("almanac_job_last_success_timestamp_seconds", "Unix time of the last successful pass of each background job.", "job")

	m.auth = authMetrics{
		failures: f.counterVec("almanac_auth_failures_total",
			"Wrong secrets: passwords (including unknown logins), TOTP and recovery codes, mailbox passwords, mailed codes, reset tokens.", "kind"),
		throttled: f.counterVec("almanac_auth_throttled_total",
			"Attempts at a secret refused unchecked by the throttle (429), by kind.", "kind"),
	}
	for _, k := range auth.Kinds() {
		m.auth.failures.WithLabelValues(kindLabel(k))
		m.auth.throttled.WithLabelValues(kindLabel(k))
	}
	m.feeds = feedMetrics{
		fetches: f.counterVec("almanac_feed_fetches_total",
			"Requests for public feeds, by outcome (served, not_modified, not_found, throttled, failed).", "outcome"),
		cache: f.counterVec("almanac_feed_cache_total",
			"Feeds answered from the cache of rendered feeds (hit) or rendered for the request (miss).", "result"),
	}
	for o := publish.Served; o <= publish.Failed; o++ {
		m.feeds.fetches.WithLabelValues(o.String())
	}
	m.feeds.cache.WithLabelValues("hit")
	m.feeds.cache.WithLabelValues("miss")
	m.mail = mailMetrics{exports: f.counterVec("almanac_mail_exports_total",
		"Exports of the Dovecot and Postfix files, by result (ok, error).", "result")}
	m.mail.exports.WithLabelValues("ok")
	m.mail.exports.WithLabelValues("error")
	m.commits = commitMetrics{
		duration: f.histogram("almanac_db_commit_duration_seconds",
			"Time of each committed write transaction, fsync included.", prometheus.ExponentialBuckets(.0005, 2, 14)),
		writes: f.histogram("almanac_db_commit_writes",
			"Writes carried by each committed transaction (the group commit joins concurrent writers).",
			[]float64{1, 2, 4, 8, 16, 32, 64, 128, 256}),
	}

	bi := buildinfo.Read()
	f.gaugeVec("almanac_build_info", "Always 1; the labels say which build runs.", "version", "revision", "goversion").
		WithLabelValues(bi.Version, bi.Revision, bi.GoVersion).Set(1)
	m.reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// promFactory registers each metric it makes on its registry.
type promFactory struct{ reg *prometheus.Registry }

func (f promFactory) counterVec(name, help string, labels ...string) *prometheus.CounterVec {
	c := prometheus.NewCounterVec(prometheus.CounterOpts{Name: name, Help: help}, labels)
	f.reg.MustRegister(c)
	return c
}

func (f promFactory) gaugeVec(name, help string, labels ...string) *prometheus.GaugeVec {
	g := prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: name, Help: help}, labels)
	f.reg.MustRegister(g)
	return g
}

func (f promFactory) histogramVec(name, help string, buckets []float64, labels ...string) *prometheus.HistogramVec {
	h := prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: name, Help: help, Buckets: buckets}, labels)
	f.reg.MustRegister(h)
	return h
}

func (f promFactory) histogram(name, help string, buckets []float64) prometheus.Histogram {
	h := prometheus.NewHistogram(prometheus.HistogramOpts{Name: name, Help: help, Buckets: buckets})
	f.reg.MustRegister(h)
	return h
}

// observeStore registers the store's counts, read on each scrape, and
// reports its commits, when the store offers them.
func (m *metrics) observeStore(store storage.Store, logger *slog.Logger) {
	o, ok := store.(storage.Observable)
	if !ok {
		return
	}
	o.ObserveCommits(m.commits)
	m.reg.MustRegister(newStoreCollector(o, logger))
}

// request counts one answered request.
func (m *metrics) request(route, method string, status int, d time.Duration) {
	method = methodLabel(method)
	m.requests.WithLabelValues(route, method, strconv.Itoa(status)).Inc()
	m.duration.WithLabelValues(route, method).Observe(d.Seconds())
}

// jobDone counts one pass of a background job that took d.
// reportPool counts what the REPORT pool did with one request.
func (m *metrics) reportPool(outcome string) { m.reportRuns.WithLabelValues(outcome).Inc() }

func (m *metrics) jobDone(job string, d time.Duration, err error) {
	result := "ok"
	if err != nil {
		result = "error"
	}
	m.jobRuns.WithLabelValues(job, result).Inc()
	m.jobDuration.WithLabelValues(job).Observe(d.Seconds())
	if err == nil {
		m.jobSuccess.WithLabelValues(job).SetToCurrentTime()
	}
}

// handler serves the registry in the Prometheus text format (or
// OpenMetrics when asked), requiring token when it is not empty.
func (m *metrics) handler(token string, logger *slog.Logger) http.Handler {
	h := promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{
		ErrorLog:      slogPromLogger{logger},
		ErrorHandling: promhttp.ContinueOnError,
	})
	if token == "" {
		return h
	}
	return requireBearer(token, h)
}

// slogPromLogger hands promhttp's errors to the server's log.
type slogPromLogger struct{ logger *slog.Logger }

func (l slogPromLogger) Println(v ...any) {
	l.logger.Warn("metrics: " + strings.TrimSuffix(fmt.Sprintln(v...), "\n"))
}

// methodLabel keeps the method label to the methods the server knows:
// anything a client makes up is "other", so that no client can create
// series at will.
func methodLabel(m string) string {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete,
		http.MethodOptions, "PROPFIND", "PROPPATCH", "MKCOL", "MKCALENDAR", "COPY", "MOVE", "REPORT",
		"LOCK", "UNLOCK", "ACL":
		return m
	}
	return "other"
}

// kindLabel is an auth kind as a label value: "mailbox password" is
// "mailbox_password".
func kindLabel(k auth.Kind) string { return strings.ReplaceAll(k.String(), " ", "_") }

type authMetrics struct{ failures, throttled *prometheus.CounterVec }

func (a authMetrics) Failed(k auth.Kind)    { a.failures.WithLabelValues(kindLabel(k)).Inc() }
func (a authMetrics) Throttled(k auth.Kind) { a.throttled.WithLabelValues(kindLabel(k)).Inc() }

type feedMetrics struct{ fetches, cache *prometheus.CounterVec }

func (f feedMetrics) Fetched(o publish.Outcome) { f.fetches.WithLabelValues(o.String()).Inc() }

func (f feedMetrics) Cached(hit bool) {
	if hit {
		f.cache.WithLabelValues("hit").Inc()
	} else {
		f.cache.WithLabelValues("miss").Inc()
	}
}

type mailMetrics struct{ exports *prometheus.CounterVec }

func (m mailMetrics) Exported(err error) {
	if err != nil {
		m.exports.WithLabelValues("error").Inc()
	} else {
		m.exports.WithLabelValues("ok").Inc()
	}
}

type commitMetrics struct{ duration, writes prometheus.Histogram }

func (c commitMetrics) Committed(writes int, d time.Duration) {
	c.duration.Observe(d.Seconds())
	c.writes.Observe(float64(writes))
}

// storeCollector reads the store's counts on each scrape: a walk of page
// headers that takes about 75 µs for 10,000 objects
// (storage/bolt BenchmarkStats10kObjects), cheaper than any cache of it.
type storeCollector struct {
	store  storage.Observable
	logger *slog.Logger
	descs  []*prometheus.Desc // in the order of storeValues
}

func newStoreCollector(store storage.Observable, logger *slog.Logger) *storeCollector {
	d := func(name, help string) *prometheus.Desc { return prometheus.NewDesc(name, help, nil, nil) }
	return &storeCollector{store: store, logger: logger, descs: []*prometheus.Desc{
		d("almanac_db_size_bytes", "Size of the database."),
		d("almanac_db_free_bytes", "Part of the database that holds nothing and is reused by later writes."),
		d("almanac_accounts", "Accounts."),
		d("almanac_collections", "Calendars and address books."),
		d("almanac_objects", "Events, tasks, journal entries and contacts in all collections."),
		d("almanac_public_links", "Public feed links."),
	}}
}

func storeValues(st storage.Stats) []int64 {
	return []int64{st.Bytes, st.FreeBytes, st.Accounts, st.Collections, st.Objects, st.Links}
}

func (c *storeCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range c.descs {
		ch <- d
	}
}

func (c *storeCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	st, err := c.store.Stats(ctx)
	if err != nil {
		// The scrape goes on without these: the process, request and
		// job metrics say more about an outage than an error would.
		c.logger.Warn("metrics: cannot read the database's counts", "err", err)
		return
	}
	for i, v := range storeValues(st) {
		ch <- prometheus.MustNewConstMetric(c.descs[i], prometheus.GaugeValue, float64(v))
	}
}

// requireBearer serves next only to requests bearing token (RFC 6750
// 2.1); others get 401 with a Bearer challenge. The comparison is of
// hashes in constant time, so neither the token's bytes nor its length
// leak through timing.
func requireBearer(token string, next http.Handler) http.Handler {
	want := sha256.Sum256([]byte(token))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, err := bearerToken(r.Header.Values("Authorization"))
		sum := sha256.Sum256([]byte(got))
		if err != nil || subtle.ConstantTimeCompare(sum[:], want[:]) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="almanac metrics"`)
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		next.ServeHTTP(w, r)
	})
}

var errNoBearer = errors.New("no bearer token")

// bearerToken reads the token of an Authorization: Bearer header (RFC
// 6750 2.1; the scheme is case-insensitive, RFC 9110 11.1). Exactly one
// Authorization header is accepted, and the token must have the token68
// syntax.
func bearerToken(values []string) (string, error) {
	if len(values) != 1 {
		return "", errNoBearer
	}
	scheme, token, ok := strings.Cut(strings.Trim(values[0], " \t"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", errNoBearer
	}
	token = strings.TrimLeft(token, " ")
	if !isToken68(token) {
		return "", errNoBearer
	}
	return token, nil
}

// MinMetricsTokenLen is the shortest token /metrics accepts: 16
// characters of base64 are 96 bits, beyond guessing at any request rate,
// so failed attempts need no throttle.
const MinMetricsTokenLen = 16

// CheckMetricsToken says what is wrong with token as the bearer token of
// /metrics, or nil.
func CheckMetricsToken(token string) error {
	switch {
	case len(token) < MinMetricsTokenLen:
		return fmt.Errorf("is shorter than %d characters (make one with: openssl rand -hex 32)", MinMetricsTokenLen)
	case !isToken68(token):
		return errors.New("has a character a bearer token cannot carry: only letters, digits, -._~+/ and = at the end")
	}
	return nil
}

// isToken68 reports whether s has the token68 syntax of RFC 9110 11.2,
// the form a bearer token takes in an Authorization header:
// 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"=".
func isToken68(s string) bool {
	i := 0
	for ; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("-._~+/", c) >= 0) {
			break
		}
	}
	if i == 0 {
		return false
	}
	for ; i < len(s); i++ {
		if s[i] != '=' {
			return false
		}
	}
	return true
}
