package publish

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"almanac/sharing"
	"almanac/storage"
	"almanac/storage/bolt"
)

// stampedStore is a real store whose collection and link carry the
// modification times the test sets, so that writes can be placed within
// one second without waiting for the clock.
type stampedStore struct {
	storage.Store
	mu               sync.Mutex
	collMod, linkUpd time.Time
}

func (s *stampedStore) stamp(coll, link time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.collMod, s.linkUpd = coll, link
}

func (s *stampedStore) Collection(ctx context.Context, owner, name string) (*storage.Collection, error) {
	c, err := s.Store.Collection(ctx, owner, name)
	if err == nil {
		s.mu.Lock()
		c.Modified = s.collMod
		s.mu.Unlock()
	}
	return c, err
}

func (s *stampedStore) Link(ctx context.Context, id string) (*storage.Link, error) {
	l, err := s.Store.Link(ctx, id)
	if err == nil {
		s.mu.Lock()
		l.Updated = s.linkUpd
		s.mu.Unlock()
	}
	return l, err
}

// feedFixture is one calendar with a full-tier link, served by a Handler
// whose clock the test sets.
type feedFixture struct {
	t     *testing.T
	db    *bolt.DB
	store *stampedStore
	h     *Handler
	owner string
	url   string

	mu  sync.Mutex
	now time.Time
}

func newFeedFixture(t *testing.T) *feedFixture {
	t.Helper()
	db, err := bolt.Open(filepath.Join(t.TempDir(), "almanac.db"), bolt.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	ctx := context.Background()
	acc := &storage.Account{Login: "jane@example.com"}
	if err := db.CreateAccount(ctx, acc); err != nil {
		t.Fatal(err)
	}
	if err := db.CreateCollection(ctx, &storage.Collection{Owner: acc.ID, Name: "cal", Kind: storage.KindCalendar}); err != nil {
		t.Fatal(err)
	}
	link := &storage.Link{ID: sharing.NewLinkID(), Owner: acc.ID, Collection: "cal", Tier: sharing.TierFull}
	if err := db.CreateLink(ctx, link); err != nil {
		t.Fatal(err)
	}
	keys, err := sharing.NewKeyring(bytes.Repeat([]byte{7}, sharing.KeySize))
	if err != nil {
		t.Fatal(err)
	}
	fx := &feedFixture{t: t, db: db, store: &stampedStore{Store: db}, owner: acc.ID, url: CalendarPrefix + keys.Token(link.ID)}
	fx.h = NewHandler(fx.store, keys, Options{Now: func() time.Time {
		fx.mu.Lock()
		defer fx.mu.Unlock()
		return fx.now
	}})
	return fx
}

func (fx *feedFixture) put(summary string) {
	fx.t.Helper()
	o := obj("e.ics", "VEVENT", event("e", "SUMMARY:"+summary)...)
	if _, _, err := fx.db.Put(context.Background(), storage.PutObject{Owner: fx.owner, Collection: "cal", Name: "e.ics",
		UID: "e", Component: "VEVENT", ContentType: "text/calendar", Span: o.Span, Data: o.Data}); err != nil {
		fx.t.Fatal(err)
	}
}

func (fx *feedFixture) get(at time.Time, hdr ...string) *httptest.ResponseRecorder {
	fx.t.Helper()
	fx.mu.Lock()
	fx.now = at
	fx.mu.Unlock()
	r := httptest.NewRequest(http.MethodGet, fx.url, nil)
	for i := 0; i+1 < len(hdr); i += 2 {
		r.Header.Set(hdr[i], hdr[i+1])
	}
	w := httptest.NewRecorder()
	fx.h.ServeHTTP(w, r)
	return w
}

// TestIfModifiedSinceSameSecond: two versions of a feed within one
// second; a conditional GET with the first version's Last-Modified gets
// the second version, not a 304.
func TestIfModifiedSinceSameSecond(t *testing.T) {
	fx := newFeedFixture(t)
	t0 := time.Date(2031, 5, 6, 10, 0, 0, 0, time.UTC)
	created := t0.Add(-time.Hour)

	fx.put("First")
	fx.store.stamp(t0.Add(200*time.Millisecond), created)
	first := fx.get(t0.Add(300 * time.Millisecond))
	lastMod := first.Header().Get("Last-Modified")
	if first.Code != http.StatusOK || !strings.Contains(first.Body.String(), "SUMMARY:First") || lastMod == "" {
		t.Fatalf("first version: %d Last-Modified %q\n%s", first.Code, lastMod, first.Body)
	}
	if lm, err := http.ParseTime(lastMod); err != nil || lm.After(t0.Add(300*time.Millisecond)) {
		t.Errorf("Last-Modified %q is after the response (RFC 9110 8.8.2.1)", lastMod)
	}

	fx.put("Second")
	fx.store.stamp(t0.Add(700*time.Millisecond), created)
	for _, at := range []time.Duration{800 * time.Millisecond, 5 * time.Second} {
		second := fx.get(t0.Add(at), "If-Modified-Since", lastMod)
		if second.Code != http.StatusOK || !strings.Contains(second.Body.String(), "SUMMARY:Second") {
			t.Fatalf("If-Modified-Since %s with the first version's date, %v later: %d\n%s", lastMod, at, second.Code, second.Body)
		}
	}

	// Once the second of the change is over, the date validates the
	// copy that carries it.
	settled := fx.get(t0.Add(5 * time.Second))
	lastMod = settled.Header().Get("Last-Modified")
	if lastMod != "Tue, 06 May 2031 10:00:01 GMT" {
		t.Errorf("Last-Modified after the change's second = %q, want the second after the change", lastMod)
	}
	if w := fx.get(t0.Add(6*time.Second), "If-Modified-Since", lastMod); w.Code != http.StatusNotModified {
		t.Errorf("If-Modified-Since %s of the current version: %d, want 304", lastMod, w.Code)
	}
	if w := fx.get(t0.Add(6*time.Second), "If-Modified-Since", "Tue, 06 May 2031 10:00:00 GMT"); w.Code != http.StatusOK {
		t.Errorf("If-Modified-Since the second of the change: %d, want 200", w.Code)
	}
	// A link update is a change too.
	fx.store.stamp(t0.Add(700*time.Millisecond), t0.Add(10*time.Second))
	if w := fx.get(t0.Add(20*time.Second), "If-Modified-Since", lastMod); w.Code != http.StatusOK {
		t.Errorf("If-Modified-Since after a link update: %d, want 200", w.Code)
	}
}

func TestLastModified(t *testing.T) {
	t0 := time.Date(2031, 5, 6, 10, 0, 0, 0, time.UTC)
	ms := time.Millisecond
	tests := []struct {
		name            string
		changed, now    time.Time
		want            time.Time
		wantValidatesAt bool // does If-Modified-Since: want validate?
	}{
		{"change on a whole second", t0, t0.Add(5 * time.Second), t0, true},
		{"change within a second, served later", t0.Add(200 * ms), t0.Add(5 * time.Second), t0.Add(time.Second), true},
		{"served within the second of the change", t0.Add(200 * ms), t0.Add(300 * ms), t0, false},
		{"served at the end of that second", t0.Add(200 * ms), t0.Add(999 * ms), t0, false},
		{"served on the next second", t0.Add(200 * ms), t0.Add(time.Second), t0.Add(time.Second), true},
		{"store clock ahead of ours", t0.Add(10 * time.Second), t0, t0, false},
		{"zone of now", t0.Add(200 * ms), t0.Add(5 * time.Second).In(time.FixedZone("X", 3600)), t0.Add(time.Second), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := lastModified(tt.changed, tt.now)
			if !got.Equal(tt.want) || got.Location() != time.UTC {
				t.Errorf("lastModified = %v, want %v", got, tt.want)
			}
			if got.After(tt.now) {
				t.Errorf("Last-Modified %v after now %v", got, tt.now)
			}
			r := httptest.NewRequest(http.MethodGet, "/", nil)
			r.Header.Set("If-Modified-Since", got.Format(http.TimeFormat))
			if v := notModified(r, `"x"`, tt.changed); v != tt.wantValidatesAt {
				t.Errorf("If-Modified-Since %s validates: %v, want %v", got.Format(http.TimeFormat), v, tt.wantValidatesAt)
			}
		})
	}
}

func TestNotModified(t *testing.T) {
	t0 := time.Date(2031, 5, 6, 10, 0, 0, 0, time.UTC)
	date := func(d time.Duration) string { return t0.Add(d).Format(http.TimeFormat) }
	tests := []struct {
		name    string
		hdr     []string
		changed time.Time
		want    bool
	}{
		{"ETag matches", []string{"If-None-Match", `"a"`}, t0, true},
		{"weak form of the ETag", []string{"If-None-Match", `W/"a"`}, t0, true},
		{"one of several", []string{"If-None-Match", `"b", "a"`}, t0, true},
		{"star", []string{"If-None-Match", "*"}, t0, true},
		{"other ETag wins over a valid date", []string{"If-None-Match", `"b"`, "If-Modified-Since", date(time.Hour)}, t0, false},
		{"date after the change", []string{"If-Modified-Since", date(time.Second)}, t0.Add(500 * time.Millisecond), true},
		{"date of the change's second", []string{"If-Modified-Since", date(0)}, t0.Add(500 * time.Millisecond), false},
		{"date before the change", []string{"If-Modified-Since", date(-time.Hour)}, t0, false},
		{"no time of change", []string{"If-Modified-Since", date(time.Hour)}, time.Time{}, false},
		{"not a date", []string{"If-Modified-Since", "yesterday"}, t0, false},
		{"no condition", nil, t0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodGet, "/", nil)
			for i := 0; i+1 < len(tt.hdr); i += 2 {
				r.Header.Set(tt.hdr[i], tt.hdr[i+1])
			}
			if got := notModified(r, `"a"`, tt.changed); got != tt.want {
				t.Errorf("notModified = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestChangedAt(t *testing.T) {
	now := time.Date(2031, 5, 6, 10, 30, 0, 0, time.UTC)
	year, day := time.Date(2031, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2031, 5, 6, 0, 0, 0, 0, time.UTC)
	days := 7
	cal := func(mod time.Time) *storage.Collection {
		return &storage.Collection{Kind: storage.KindCalendar, Modified: mod}
	}
	tests := []struct {
		name string
		link *storage.Link
		coll *storage.Collection
		want time.Time
	}{
		{"member written last", &storage.Link{Updated: day.Add(time.Hour)}, cal(now.Add(-time.Minute)), now.Add(-time.Minute)},
		{"link updated last", &storage.Link{Updated: now.Add(-time.Second)}, cal(day.Add(time.Hour)), now.Add(-time.Second)},
		{"unchanged this year: the zones' year", &storage.Link{Updated: year.AddDate(-2, 0, 0)}, cal(year.AddDate(-1, 0, 0)), year},
		{"window: its day", &storage.Link{Updated: year, FutureDays: &days}, cal(year.AddDate(0, 1, 0)), day},
		{"address book: data only", &storage.Link{Updated: year.AddDate(-2, 0, 0)},
			&storage.Collection{Kind: storage.KindAddressBook, Modified: year.AddDate(-1, 0, 0)}, year.AddDate(-1, 0, 0)},
	}
	for _, tt := range tests {
		if got := changedAt(tt.link, tt.coll, now); !got.Equal(tt.want) {
			t.Errorf("%s: changedAt = %v, want %v", tt.name, got, tt.want)
		}
	}
}
