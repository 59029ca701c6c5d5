package postgres

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"almanac/internal/pgtest"
	"almanac/storage"
)

// twoStores opens two pools on one database, as two servers would.
func twoStores(t *testing.T) (*Store, *Store) {
	t.Helper()
	url := pgtest.SchemaURL(t)
	var s [2]*Store
	for i := range s {
		// Servers ask for locks and reconnect every 50 ms for the tests.
		st, err := Open(context.Background(), url, Options{MaxConns: 8, ServerRetry: 50 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		// Open every connection now, so that a burst of attempts meets
		// the database at once rather than queued behind dials.
		var wg sync.WaitGroup
		for range 8 {
			wg.Go(func() {
				if _, err := st.pool.Exec(context.Background(), "SELECT pg_sleep(0.05)"); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		s[i] = st
	}
	return s[0], s[1]
}

func throttleRows(t *testing.T, s *Store, rule string, key []byte) (failures, holds int) {
	t.Helper()
	err := s.pool.QueryRow(context.Background(),
		`SELECT count(*) FILTER (WHERE failed), count(*) FILTER (WHERE NOT failed) FROM throttle_attempts WHERE rule = $1 AND key = $2`,
		rule, key).Scan(&failures, &holds)
	if err != nil {
		t.Fatal(err)
	}
	return failures, holds
}

// Parallel attempts through two servers: exactly Limit of them get a
// hold, whatever the interleaving, so a burst cannot slip past the count
// before the first failure is recorded; once they fail, the key waits
// until the oldest failure leaves the window, on both servers.
func TestThrottle_ReserveAcrossServers(t *testing.T) {
	a, b := twoStores(t)
	ctx := context.Background()
	r := storage.ThrottleRule{Name: "password/login from address", Limit: 5, Window: 15 * time.Minute}
	key := []byte("jane@example.org\x00192.0.2.1")
	now := time.Unix(1_800_000_000, 0)

	var (
		mu    sync.Mutex
		holds []int64
		wg    sync.WaitGroup
		start = make(chan struct{})
	)
	for i := range 4 * r.Limit {
		st := a
		if i%2 == 1 {
			st = b
		}
		wg.Go(func() {
			<-start
			id, retry, err := st.ReserveAttempt(ctx, r, key, now)
			if err != nil {
				t.Error(err)
				return
			}
			if id == 0 {
				if retry != time.Second {
					t.Errorf("refused for %v while only holds fill the window, want 1s", retry)
				}
				return
			}
			mu.Lock()
			holds = append(holds, id)
			mu.Unlock()
		})
	}
	close(start)
	wg.Wait()
	if len(holds) != r.Limit {
		t.Fatalf("%d of %d parallel attempts held, want %d", len(holds), 4*r.Limit, r.Limit)
	}
	reached := 0
	for i, id := range holds {
		st := []*Store{a, b}[i%2]
		got, err := st.ReleaseAttempt(ctx, r, key, id, now.Add(time.Duration(i)*time.Second), true)
		if err != nil {
			t.Fatal(err)
		}
		if got {
			reached++
		}
	}
	if reached != 1 {
		t.Errorf("the limit was reported reached %d times, want once", reached)
	}
	if f, h := throttleRows(t, a, r.Name, key); f != r.Limit || h != 0 {
		t.Errorf("rows: %d failures, %d holds; want %d, 0", f, h, r.Limit)
	}
	later := now.Add(10 * time.Second)
	for _, st := range []*Store{a, b} {
		id, retry, err := st.ReserveAttempt(ctx, r, key, later)
		if err != nil {
			t.Fatal(err)
		}
		if want := r.Window - 10*time.Second; id != 0 || retry != want {
			t.Errorf("after %d failures: hold %d, retry %v; want refused for %v", r.Limit, id, retry, want)
		}
		d, err := st.ThrottleWait(ctx, later, storage.ThrottleKey{Rule: r, Key: key})
		if err != nil || len(d) != 1 || d[0] != r.Window-10*time.Second {
			t.Errorf("ThrottleWait = %v, %v; want [%v]", d, err, r.Window-10*time.Second)
		}
	}
	// The oldest failure leaves the window: one more attempt fits.
	free := now.Add(r.Window)
	if id, _, err := b.ReserveAttempt(ctx, r, key, free); err != nil || id == 0 {
		t.Errorf("once the oldest failure left the window: hold %d, %v", id, err)
	}
	// Another rule, or another key, never meets these counts; several
	// keys are answered in the order asked.
	d, err := a.ThrottleWait(ctx, later,
		storage.ThrottleKey{Rule: storage.ThrottleRule{Name: "address", Limit: 5, Window: time.Hour}, Key: key},
		storage.ThrottleKey{Rule: r, Key: key},
		storage.ThrottleKey{Rule: r, Key: []byte("jane@example.org\x00192.0.2.2")})
	if want := []time.Duration{0, r.Window - 10*time.Second, 0}; err != nil || !slices.Equal(d, want) {
		t.Errorf("ThrottleWait of three keys = %v, %v; want %v", d, err, want)
	}
}

// A held attempt that is never released (its server died) stops
// counting after storage.ThrottleHold; a released success leaves nothing.
func TestThrottle_Holds(t *testing.T) {
	s, _ := twoStores(t)
	ctx := context.Background()
	r := storage.ThrottleRule{Name: "code", Limit: 1, Window: time.Hour}
	key := []byte("u1")
	now := time.Unix(1_800_000_000, 0)
	id, _, err := s.ReserveAttempt(ctx, r, key, now)
	if err != nil || id == 0 {
		t.Fatalf("first attempt: %d, %v", id, err)
	}
	if id2, retry, err := s.ReserveAttempt(ctx, r, key, now.Add(storage.ThrottleHold-time.Nanosecond)); err != nil || id2 != 0 || retry != time.Second {
		t.Errorf("while held: hold %d, retry %v, %v; want refused for 1s", id2, retry, err)
	}
	id3, _, err := s.ReserveAttempt(ctx, r, key, now.Add(storage.ThrottleHold))
	if err != nil || id3 == 0 {
		t.Fatalf("after the hold expired: %d, %v", id3, err)
	}
	if reached, err := s.ReleaseAttempt(ctx, r, key, id3, now.Add(storage.ThrottleHold), false); err != nil || reached {
		t.Errorf("release of a success: %v, %v", reached, err)
	}
	if _, h := throttleRows(t, s, r.Name, key); h != 1 {
		t.Errorf("%d holds left, want only the expired one", h)
	}
}

// Rows stay bounded: a key keeps at most Limit failures however many are
// recorded (refused attempts still count), and expired rows of keys
// nobody tries again are swept by the next failure anywhere once a
// minute has passed.
func TestThrottle_Bounded(t *testing.T) {
	s, _ := twoStores(t)
	ctx := context.Background()
	r := storage.ThrottleRule{Name: "address", Limit: 3, Window: time.Minute}
	now := time.Unix(1_800_000_000, 0)
	for i := range 10 {
		reached, err := s.RecordFailure(ctx, r, []byte("192.0.2.1"), now.Add(time.Duration(i)*time.Millisecond))
		if err != nil {
			t.Fatal(err)
		}
		if reached != (i == r.Limit-1) {
			t.Errorf("failure %d: reached %v", i, reached)
		}
	}
	if f, _ := throttleRows(t, s, r.Name, []byte("192.0.2.1")); f != r.Limit {
		t.Errorf("%d failures kept, want %d", f, r.Limit)
	}
	for i := range 20 {
		if _, err := s.RecordFailure(ctx, r, fmt.Appendf(nil, "198.51.100.%d", i), now); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.RecordFailure(ctx, r, []byte("203.0.113.1"), now.Add(r.Window+throttlePruneEvery)); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := s.pool.QueryRow(ctx, `SELECT count(*) FROM throttle_attempts`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 1 {
		t.Errorf("%d rows after the sweep, want the one live failure", n)
	}
}

// The cost of one checked attempt (reserve, then release as a failure)
// on one server: the price of counting across servers, per rule.
func BenchmarkThrottle_Attempt(b *testing.B) {
	s, err := Open(context.Background(), pgtest.SchemaURL(b), Options{MaxConns: 8})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	r := storage.ThrottleRule{Name: "bench", Limit: 10, Window: 15 * time.Minute}
	now := time.Now()
	b.ResetTimer()
	for i := range b.N {
		key := fmt.Appendf(nil, "login%d\x00192.0.2.1", i)
		id, _, err := s.ReserveAttempt(ctx, r, key, now)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := s.ReleaseAttempt(ctx, r, key, id, now, true); err != nil {
			b.Fatal(err)
		}
	}
}
