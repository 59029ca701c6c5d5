package publish

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"almanac/auth"
	"almanac/internal/dav"
	aical "almanac/internal/ical"
	"almanac/internal/remote"
	"almanac/sharing"
	"almanac/storage"
)

// Paths of the feeds: /ics/{token}[.ics|.json] for calendars and
// /vcf/{token}[.vcf] for address books.
const (
	CalendarPrefix    = "/ics/"
	AddressBookPrefix = "/vcf/"
)

// DefaultTTL is the refresh interval feeds suggest to subscribers.
const DefaultTTL = time.Hour

// Options configures a Handler.
type Options struct {
	Logger *slog.Logger
	// TTL is REFRESH-INTERVAL and X-PUBLISHED-TTL (0: DefaultTTL).
	TTL time.Duration
	// CacheBytes bounds the rendered feeds kept in memory (0: 64 MiB).
	CacheBytes int64
	// ClientAddr returns the client's address for throttling (default
	// remote.Of(r).Addr, which believes only trusted proxies).
	ClientAddr func(*http.Request) string
	// GuessLimit unknown tokens per GuessWindow from one address are
	// answered; more get 429 (0: 20 per 10 minutes).
	GuessLimit  int
	GuessWindow time.Duration
	// Now is the clock (tests).
	Now func() time.Time
	// Observer, when set, is told the outcome of every fetch and whether
	// the cache answered it.
	Observer Observer
	// Guard, when set, decides where guesses are counted (the store
	// every server shares, or this process: auth.Guard.Limiter); nil
	// counts them in this process.
	Guard *auth.Guard
}

// Store is what feeds read: links and their statistics, and the
// collections they publish.
type Store interface {
	storage.Sharing
	storage.DAV
}

// Handler serves public feeds. It needs no login: the token is the
// credential.
type Handler struct {
	store      Store
	keys       *sharing.Keyring
	logger     *slog.Logger
	ttl        time.Duration
	cache      *cache
	guesses    *auth.Limiter
	clientAddr func(*http.Request) string
	now        func() time.Time
	stats      fetchStats
	observer   Observer
}

// NewHandler returns the feed handler.
func NewHandler(store Store, keys *sharing.Keyring, opts Options) *Handler {
	h := &Handler{store: store, keys: keys, logger: opts.Logger, ttl: opts.TTL, clientAddr: opts.ClientAddr, now: opts.Now, observer: opts.Observer}
	if h.observer == nil {
		h.observer = noObserver{}
	}
	if h.logger == nil {
		h.logger = slog.New(slog.DiscardHandler)
	}
	if h.ttl <= 0 {
		h.ttl = DefaultTTL
	}
	if opts.CacheBytes <= 0 {
		opts.CacheBytes = 64 << 20
	}
	h.cache = newCache(opts.CacheBytes)
	if opts.GuessLimit <= 0 {
		opts.GuessLimit = 20
	}
	if opts.GuessWindow <= 0 {
		opts.GuessWindow = 10 * time.Minute
	}
	if opts.Guard != nil {
		h.guesses = opts.Guard.Limiter("feed token guesses", opts.GuessLimit, opts.GuessWindow)
	} else {
		h.guesses = auth.NewLimiter(opts.GuessLimit, opts.GuessWindow, 100_000)
	}
	if h.clientAddr == nil {
		h.clientAddr = func(r *http.Request) string { return remote.Of(r).Addr }
	}
	if h.now == nil {
		h.now = time.Now
	}
	return h
}

// Run writes fetch statistics to the store every interval until ctx is
// done, then once more.
func (h *Handler) Run(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			flushCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			h.Flush(flushCtx)
			cancel()
			return
		case <-t.C:
			h.Flush(ctx)
		}
	}
}

// Flush writes the fetch statistics gathered in memory.
func (h *Handler) Flush(ctx context.Context) error {
	err := h.stats.flush(ctx, h.store)
	if err != nil {
		h.logger.WarnContext(ctx, "cannot write feed fetch statistics; keeping them for the next try", "err", err)
	}
	return err
}

// Pending returns link id's fetches not yet written to the store, which
// the management API adds to the stored ones.
func (h *Handler) Pending(id string) storage.FetchStat { return h.stats.Pending(id) }

// Forget drops the rendered feeds of a link (revoked or rotated) at once
// rather than when the cache needs room.
func (h *Handler) Forget(id string) { h.cache.forget(id + "|") }

// format is what a request asks for.
type format int

const (
	formatICS format = iota
	formatJCal
	formatVCF
)

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	hd := w.Header()
	// Websites read feeds from the browser: any origin may, as anyone
	// holding the URL may anyway.
	hd.Set("Access-Control-Allow-Origin", "*")
	hd.Set("Access-Control-Expose-Headers", "ETag, Last-Modified")
	switch r.Method {
	case http.MethodGet, http.MethodHead:
	case http.MethodOptions:
		hd.Set("Access-Control-Allow-Methods", "GET, HEAD")
		hd.Set("Access-Control-Allow-Headers", "If-None-Match, If-Modified-Since")
		hd.Set("Allow", "GET, HEAD, OPTIONS")
		w.WriteHeader(http.StatusNoContent)
		return
	default:
		hd.Set("Allow", "GET, HEAD, OPTIONS")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	token, f, kind, ok := parsePath(r)
	if !ok {
		h.observer.Fetched(NotFound)
		http.Error(w, "not found", http.StatusNotFound)
		return
	}
	id, wait, ok, err := h.linkID(r, token)
	if err != nil {
		h.failed(w, r, err)
		return
	}
	if !ok {
		if wait > 0 {
			h.observer.Fetched(Throttled)
			hd.Set("Retry-After", strconv.Itoa(int((wait+time.Second-1)/time.Second)))
			http.Error(w, "too many requests", http.StatusTooManyRequests)
			return
		}
		h.observer.Fetched(NotFound)
		http.Error(w, "not found", http.StatusNotFound)
		return
	}
	if err := h.serve(w, r, id, f, kind); err != nil {
		if errors.Is(err, storage.ErrNotFound) {
			h.observer.Fetched(NotFound)
			http.Error(w, "not found", http.StatusNotFound)
			return
		}
		h.failed(w, r, err, "link", id)
	}
}

// failed answers a fetch that could not be served, and logs why: 503
// with Retry-After while the database cannot be reached
// (storage.ErrUnavailable), whether reading the link or counting an
// unknown token's guess in the store every server shares, else 500.
// args add to the log line.
func (h *Handler) failed(w http.ResponseWriter, r *http.Request, err error, args ...any) {
	h.observer.Fetched(Failed)
	h.logger.ErrorContext(r.Context(), "feed failed", append(args, "err", err)...)
	if errors.Is(err, storage.ErrUnavailable) {
		w.Header().Set("Retry-After", strconv.Itoa(int(storage.RetryUnavailable/time.Second)))
		http.Error(w, "service unavailable", http.StatusServiceUnavailable)
		return
	}
	http.Error(w, "internal server error", http.StatusInternalServerError)
}

// linkID reads a token. One that was never issued is a guess or a
// typo: guessing is slowed per address (wait > 0 once an address is
// over its limit); holders of real tokens never reach the limiter. An
// error is the limiter's store's.
func (h *Handler) linkID(r *http.Request, token string) (id string, wait time.Duration, ok bool, err error) {
	if id, ok := h.keys.LinkID(token); ok {
		return id, 0, true, nil
	}
	key := auth.AddrKey(h.clientAddr(r))
	now := h.now()
	if wait, err = h.guesses.RetryAfter(r.Context(), key, now); err != nil || wait > 0 {
		return "", wait, false, err
	}
	return "", 0, false, h.guesses.Fail(r.Context(), key, now)
}

// parsePath reads the token and format of a feed URL.
func parsePath(r *http.Request) (token string, f format, kind storage.Kind, ok bool) {
	p := r.URL.Path
	switch {
	case strings.HasPrefix(p, CalendarPrefix):
		token, kind = p[len(CalendarPrefix):], storage.KindCalendar
		switch {
		case strings.HasSuffix(token, ".ics"):
			token = strings.TrimSuffix(token, ".ics")
		case strings.HasSuffix(token, ".json"):
			token, f = strings.TrimSuffix(token, ".json"), formatJCal
		case acceptsJCal(r.Header.Get("Accept")):
			f = formatJCal
		}
	case strings.HasPrefix(p, AddressBookPrefix):
		token, kind, f = strings.TrimSuffix(p[len(AddressBookPrefix):], ".vcf"), storage.KindAddressBook, formatVCF
	default:
		return "", 0, 0, false
	}
	return token, f, kind, !strings.Contains(token, "/")
}

// acceptsJCal: the client prefers jCal to iCalendar (websites' fetch()
// asking for application/calendar+json).
func acceptsJCal(accept string) bool {
	for part := range strings.SplitSeq(accept, ",") {
		mt, _, _ := strings.Cut(part, ";")
		switch strings.ToLower(strings.TrimSpace(mt)) {
		case "application/calendar+json":
			return true
		case "text/calendar":
			return false
		}
	}
	return false
}

func (h *Handler) serve(w http.ResponseWriter, r *http.Request, id string, f format, kind storage.Kind) error {
	ctx := r.Context()
	now := h.now()
	link, err := h.store.Link(ctx, id)
	if err != nil {
		return err // revoked: ErrNotFound
	}
	if !link.Expires.IsZero() && !now.Before(link.Expires) {
		return storage.ErrNotFound
	}
	coll, err := h.store.Collection(ctx, link.Owner, link.Collection)
	if err != nil {
		return err
	}
	if coll.Kind != kind {
		return storage.ErrNotFound
	}
	feed := h.feed(link, coll, now)
	// The key holds everything the rendering depends on, so a hit is
	// answered without reading any event: the link, the members (Seq),
	// the collection's properties (Modified: a property change leaves Seq
	// alone), the window's days and the year generated zones start from.
	key := link.ID + "|" + strconv.FormatUint(link.Version, 10) + "|" + coll.Incarnation + "|" +
		strconv.FormatUint(coll.Seq, 10) + "|" + strconv.FormatInt(coll.Modified.UnixNano(), 10) + "|" +
		feed.Start.Format("20060102") + "|" + feed.End.Format("20060102") + "|" + strconv.Itoa(now.Year())
	// Other requests may wait for this rendering: it must not end when
	// this client goes away.
	renderCtx := context.WithoutCancel(ctx)
	rendered := false
	e, err := h.cache.get(key, func() (*entry, error) {
		rendered = true
		return h.render(renderCtx, link, coll, feed)
	})
	if err != nil {
		return err
	}
	h.observer.Cached(!rendered)
	h.stats.record(link.ID, r.UserAgent(), now)
	return h.write(w, r, link, coll, e, f, changedAt(link, coll, now), now)
}

// ErrThrottled is Window's answer to an address that made too many
// guesses; RetryAfter says for how long.
type ErrThrottled struct{ RetryAfter time.Duration }

func (e *ErrThrottled) Error() string { return "publish: too many unknown tokens from this address" }

// Window renders what the calendar link token publishes between from
// and to: the link's own window narrowed to them, its tier and component
// types as they are. It serves pages that show part of a feed (the
// agenda of package web), which would otherwise read every event of a
// large calendar to show a few weeks. Like a fetch of the feed it slows
// guesses per address of r (*ErrThrottled) and counts a fetch of the
// link. ErrNotFound where the feed answers 404.
func (h *Handler) Window(r *http.Request, token string, from, to time.Time) ([]byte, error) {
	id, wait, ok, err := h.linkID(r, token)
	if err != nil {
		h.observer.Fetched(Failed)
		return nil, fmt.Errorf("publish: window: %w", err)
	}
	if !ok {
		if wait > 0 {
			h.observer.Fetched(Throttled)
			return nil, &ErrThrottled{RetryAfter: wait}
		}
		h.observer.Fetched(NotFound)
		return nil, storage.ErrNotFound
	}
	ctx := r.Context()
	now := h.now()
	link, err := h.store.Link(ctx, id)
	if err == nil && !link.Expires.IsZero() && !now.Before(link.Expires) {
		err = storage.ErrNotFound
	}
	var coll *storage.Collection
	if err == nil {
		coll, err = h.store.Collection(ctx, link.Owner, link.Collection)
	}
	if err == nil && coll.Kind != storage.KindCalendar {
		err = storage.ErrNotFound
	}
	if errors.Is(err, storage.ErrNotFound) {
		h.observer.Fetched(NotFound)
		return nil, err
	}
	if err != nil {
		h.observer.Fetched(Failed)
		return nil, fmt.Errorf("publish: window: %w", err)
	}
	feed := h.feed(link, coll, now)
	if feed.Start.IsZero() || feed.Start.Before(from) {
		feed.Start = from
	}
	if feed.End.IsZero() || feed.End.After(to) {
		feed.End = to
	}
	e, err := h.render(ctx, link, coll, feed)
	if err != nil {
		h.observer.Fetched(Failed)
		return nil, fmt.Errorf("publish: render window: %w", err)
	}
	h.observer.Fetched(Served)
	h.stats.record(link.ID, r.UserAgent(), now)
	return e.body, nil
}

// changedAt is when what a feed shows last changed, as far as its inputs
// tell: the collection's last write (a member or a property), the link's
// last update and, for calendars, the dates the rendering reads at now —
// the day of a window, the year generated VTIMEZONEs count from
// (zoneRange). It is later than the content's change when a write changed
// nothing published, never earlier.
func changedAt(link *storage.Link, coll *storage.Collection, now time.Time) time.Time {
	changed := coll.Modified
	if link.Updated.After(changed) {
		changed = link.Updated
	}
	if coll.Kind != storage.KindCalendar {
		return changed
	}
	if year := time.Date(now.Year(), 1, 1, 0, 0, 0, 0, now.Location()); year.After(changed) {
		changed = year
	}
	if day := windowDay(now); (link.PastDays != nil || link.FutureDays != nil) && day.After(changed) {
		changed = day
	}
	return changed
}

// windowDay is the day a link's window is counted from.
func windowDay(now time.Time) time.Time { return now.UTC().Truncate(24 * time.Hour) }

// lastModified is the Last-Modified of content that changed at changed:
// the whole second at or after the change, so that the date a client
// keeps is never earlier than the change it has seen, but not later than
// now (RFC 9110 8.8.2.1). Within the second of a change that is the
// second before it, which notModified then never takes for this version.
func lastModified(changed, now time.Time) time.Time {
	lm := changed.Truncate(time.Second)
	if lm.Before(changed) {
		lm = lm.Add(time.Second)
	}
	if lm.After(now) {
		lm = now.Truncate(time.Second)
	}
	return lm.UTC()
}

// feed turns a link's settings into the rendering of one day.
func (h *Handler) feed(link *storage.Link, coll *storage.Collection, now time.Time) *Feed {
	f := &Feed{Tier: link.Tier, Components: link.Components, TTL: h.ttl, Now: now}
	day := windowDay(now)
	if link.PastDays != nil {
		f.Start = day.AddDate(0, 0, -*link.PastDays)
	}
	if link.FutureDays != nil {
		f.End = day.AddDate(0, 0, *link.FutureDays+1)
	}
	if v, ok := coll.Props[dav.Clark(dav.Name(dav.NSDAV, "displayname"))]; ok {
		raw := dav.ParseStored(dav.Name(dav.NSDAV, "displayname"), v)
		f.Name = raw.Text()
	}
	if v, ok := coll.Props[dav.Clark(dav.Name(dav.NSCalDAV, "calendar-timezone"))]; ok {
		raw := dav.ParseStored(dav.Name(dav.NSCalDAV, "calendar-timezone"), v)
		f.TimeZone = calendarZone(raw.Text())
	}
	return f
}

// calendarZone is the TZID of a CALDAV:calendar-timezone value, as its
// IANA name when it has one.
func calendarZone(vtimezone string) string {
	for line := range strings.SplitSeq(vtimezone, "\n") {
		name, value := split(strings.TrimRight(line, "\r"))
		if name == "TZID" {
			if iana, ok := aical.IANAName(value); ok {
				return iana
			}
			return value
		}
	}
	return ""
}

func (h *Handler) render(ctx context.Context, link *storage.Link, coll *storage.Collection, feed *Feed) (*entry, error) {
	walk := func(fn func(*storage.Object) error) error {
		return h.store.Walk(ctx, link.Owner, link.Collection, fn)
	}
	var body []byte
	var err error
	if coll.Kind == storage.KindAddressBook {
		body, err = renderCards(walk)
	} else {
		body, err = feed.Render(walk)
	}
	if err != nil {
		return nil, err
	}
	sum := sha256.New()
	sum.Write([]byte(strconv.FormatUint(link.Version, 10) + "\x00"))
	sum.Write(body)
	tag := base64.RawURLEncoding.EncodeToString(sum.Sum(nil)[:18])
	return &entry{tag: tag, body: body}, nil
}

// write answers with e in format f: conditional requests first (a 304
// costs no rendering and no event read), then the body, gzipped when the
// client takes it.
func (h *Handler) write(w http.ResponseWriter, r *http.Request, link *storage.Link, coll *storage.Collection, e *entry, f format, changed, now time.Time) error {
	hd := w.Header()
	variant, ctype, ext := "", "text/calendar; charset=utf-8", ".ics"
	switch f {
	case formatJCal:
		variant, ctype, ext = "json", "application/calendar+json; charset=utf-8", ".json"
	case formatVCF:
		ctype, ext = "text/vcard; charset=utf-8", ".vcf"
	}
	gz := acceptsGzip(r.Header.Get("Accept-Encoding"))
	if gz {
		variant = strings.TrimPrefix(variant+"+gzip", "+")
	}
	etag := `"` + e.tag
	if variant != "" {
		etag += "-" + strings.ReplaceAll(variant, "+", "-")
	}
	etag += `"`
	hd.Set("ETag", etag)
	if !changed.IsZero() {
		hd.Set("Last-Modified", lastModified(changed, now).Format(http.TimeFormat))
	}
	// Caches may keep a copy but must ask again every time: revoking a
	// link closes it for every cache at once, and asking costs a 304.
	hd.Set("Cache-Control", "public, max-age=0, must-revalidate")
	hd.Set("Vary", "Accept, Accept-Encoding")
	hd.Set("X-Content-Type-Options", "nosniff")
	if notModified(r, etag, changed) {
		h.observer.Fetched(NotModified)
		w.WriteHeader(http.StatusNotModified)
		return nil
	}
	body := e.body
	if variant != "" {
		var added int64
		var err error
		body, added, err = e.variant(variant, func() ([]byte, error) { return h.encode(e.body, f, gz) })
		if err != nil {
			return err
		}
		h.cache.grew(e, added)
	}
	hd.Set("Content-Type", ctype)
	hd.Set("Content-Disposition", `inline; filename="`+filename(link, coll)+ext+`"`)
	if gz {
		hd.Set("Content-Encoding", "gzip")
	}
	hd.Set("Content-Length", strconv.Itoa(len(body)))
	h.observer.Fetched(Served)
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		w.Write(body)
	}
	return nil
}

func (h *Handler) encode(ics []byte, f format, gz bool) ([]byte, error) {
	out := ics
	if f == formatJCal {
		var buf bytes.Buffer
		if err := WriteJCal(&buf, ics); err != nil {
			return nil, err
		}
		out = buf.Bytes()
	}
	if gz {
		return gzipped(out)
	}
	return out, nil
}

// notModified evaluates If-None-Match, or If-Modified-Since when there is
// none (RFC 9110 13.1.2, 13.1.3). The date validates only when the content
// changed at or before it, compared to the nanosecond: a date is a weak
// validator, and one second can hold two versions (RFC 9110 8.8.2.2).
// Without a time of change (zero), dates validate nothing.
func notModified(r *http.Request, etag string, changed time.Time) bool {
	if inm := r.Header.Get("If-None-Match"); inm != "" {
		for t := range strings.SplitSeq(inm, ",") {
			t = strings.TrimPrefix(strings.TrimSpace(t), "W/")
			if t == etag || t == "*" {
				return true
			}
		}
		return false
	}
	if ims, err := http.ParseTime(r.Header.Get("If-Modified-Since")); err == nil {
		return !changed.IsZero() && !changed.After(ims)
	}
	return false
}

func acceptsGzip(ae string) bool {
	for part := range strings.SplitSeq(ae, ",") {
		coding, params, _ := strings.Cut(part, ";")
		if strings.EqualFold(strings.TrimSpace(coding), "gzip") {
			q := strings.TrimSpace(params)
			return !(strings.HasPrefix(q, "q=0") && strings.Trim(strings.TrimPrefix(q, "q="), "0.") == "")
		}
	}
	return false
}

// filename is the download name of a feed: the collection's name, safe
// for a quoted header value.
func filename(link *storage.Link, coll *storage.Collection) string {
	name := strings.Map(func(r rune) rune {
		if r < 0x20 || r == '"' || r == '\\' || r == '/' || r > 0x7e {
			return '_'
		}
		return r
	}, coll.Name)
	if name == "" {
		return "calendar"
	}
	return name
}
