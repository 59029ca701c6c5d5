package publish

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"almanac/storage"
)

func TestCacheEvictsLeastRecentlyUsed(t *testing.T) {
	c := newCache(250)
	mk := func(n int) func() (*entry, error) {
		return func() (*entry, error) { return &entry{body: []byte(strings.Repeat("x", n))}, nil }
	}
	for _, k := range []string{"a", "b"} {
		c.get(k, mk(100))
	}
	c.get("a", mk(100)) // a is now the most recent
	c.get("c", mk(100)) // over budget: b goes
	if _, ok := c.byKey["b"]; ok {
		t.Error("b survived eviction")
	}
	for _, k := range []string{"a", "c"} {
		if _, ok := c.byKey[k]; !ok {
			t.Errorf("%s evicted", k)
		}
	}
	if c.used != 200 {
		t.Errorf("used = %d", c.used)
	}
	e := c.byKey["a"].Value.(*entry)
	_, added, _ := e.variant("gzip", func() ([]byte, error) { return make([]byte, 60), nil })
	c.grew(e, added)
	// a, used before c, is the least recent: its growth evicts it.
	if _, ok := c.byKey["a"]; ok || c.used != 100 {
		t.Errorf("after a variant: used %d, a kept %v", c.used, ok)
	}
	c.forget("c")
	if c.lru.Len() != 0 || c.used != 0 {
		t.Errorf("forget left %d entries, %d bytes", c.lru.Len(), c.used)
	}
}

func TestCacheRendersOnce(t *testing.T) {
	c := newCache(1 << 20)
	var renders atomic.Int32
	release := make(chan struct{})
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			e, err := c.get("k", func() (*entry, error) {
				renders.Add(1)
				<-release
				return &entry{body: []byte("feed")}, nil
			})
			if err != nil || string(e.body) != "feed" {
				t.Errorf("get: %v %v", e, err)
			}
		})
	}
	time.Sleep(20 * time.Millisecond)
	close(release)
	wg.Wait()
	if renders.Load() != 1 {
		t.Errorf("rendered %d times", renders.Load())
	}
	// A failed render is not kept.
	boom := errors.New("boom")
	if _, err := c.get("bad", func() (*entry, error) { return nil, boom }); err != boom {
		t.Fatal(err)
	}
	if _, ok := c.byKey["bad"]; ok {
		t.Error("failed render cached")
	}
}

// failingStore fails AddFetches until told otherwise.
type failingStore struct {
	storage.Store
	fail  bool
	added []storage.FetchStat
}

func (s *failingStore) AddFetches(_ context.Context, st []storage.FetchStat) error {
	if s.fail {
		return errors.New("disk full")
	}
	s.added = append(s.added, st...)
	return nil
}

func TestFetchStatsSurviveAFailedFlush(t *testing.T) {
	var s fetchStats
	t0 := time.Unix(1_800_000_000, 0)
	s.record("l", "Google", t0)
	s.record("l", "Apple", t0.Add(time.Minute))
	st := &failingStore{fail: true}
	if err := s.flush(context.Background(), st); err == nil {
		t.Fatal("flush did not fail")
	}
	s.record("l", "Outlook", t0.Add(2*time.Minute))
	if p := s.Pending("l"); p.Count != 3 || p.UserAgent != "Outlook" {
		t.Errorf("pending after a failed flush: %+v", p)
	}
	st.fail = false
	if err := s.flush(context.Background(), st); err != nil {
		t.Fatal(err)
	}
	if len(st.added) != 1 || st.added[0].Count != 3 || !st.added[0].Last.Equal(t0.Add(2*time.Minute)) {
		t.Errorf("flushed %+v", st.added)
	}
	if p := s.Pending("l"); p.Count != 0 {
		t.Errorf("pending after flush: %+v", p)
	}
}
