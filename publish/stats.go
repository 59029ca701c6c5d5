package publish

import (
	"context"
	"sync"
	"time"

	"almanac/storage"
)

// fetchStats counts feed fetches in memory and writes them to the store
// in batches: a subscriber poll must not cost a disk write (an fsync per
// poll would make the busiest feeds the slowest).
type fetchStats struct {
	mu      sync.Mutex
	pending map[string]*storage.FetchStat
}

func (s *fetchStats) record(id, userAgent string, now time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.pending == nil {
		s.pending = map[string]*storage.FetchStat{}
	}
	st := s.pending[id]
	if st == nil {
		st = &storage.FetchStat{ID: id}
		s.pending[id] = st
	}
	st.Count++
	if !now.Before(st.Last) {
		st.Last, st.UserAgent = now, userAgent
	}
}

// Pending returns the fetches of link id not yet written to the store.
func (s *fetchStats) Pending(id string) storage.FetchStat {
	s.mu.Lock()
	defer s.mu.Unlock()
	if st := s.pending[id]; st != nil {
		return *st
	}
	return storage.FetchStat{ID: id}
}

// flush writes the pending counts; on failure they are kept for the next
// flush.
func (s *fetchStats) flush(ctx context.Context, store storage.Sharing) error {
	s.mu.Lock()
	batch := make([]storage.FetchStat, 0, len(s.pending))
	for _, st := range s.pending {
		batch = append(batch, *st)
	}
	s.pending = nil
	s.mu.Unlock()
	if len(batch) == 0 {
		return nil
	}
	if err := store.AddFetches(ctx, batch); err != nil {
		s.mu.Lock()
		for _, st := range batch {
			s.recordBatch(st)
		}
		s.mu.Unlock()
		return err
	}
	return nil
}

// recordBatch merges a batch back into pending; s.mu is held.
func (s *fetchStats) recordBatch(b storage.FetchStat) {
	if s.pending == nil {
		s.pending = map[string]*storage.FetchStat{}
	}
	st := s.pending[b.ID]
	if st == nil {
		st = &storage.FetchStat{ID: b.ID}
		s.pending[b.ID] = st
	}
	st.Count += b.Count
	if b.Last.After(st.Last) {
		st.Last, st.UserAgent = b.Last, b.UserAgent
	}
}
