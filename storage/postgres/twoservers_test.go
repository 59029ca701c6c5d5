package postgres

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"almanac/internal/pgtest"
	"almanac/storage"
)

// Two servers on one database writing one collection at once: every
// write gets its own sequence number (never one token for two states),
// and an incremental sync from any token a reader saw meanwhile reports
// every later write (none lost). storagetest's concurrency tests use one
// store; this one uses two pools, as two almanac processes would.
func TestTwoServers_OneCollection(t *testing.T) {
	ctx := context.Background()
	url := pgtest.SchemaURL(t)
	a, err := Open(ctx, url, Options{MaxConns: 4})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := Open(ctx, url, Options{MaxConns: 4})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	acc := &storage.Account{Login: "jane@example.org"}
	if err := a.CreateAccount(ctx, acc); err != nil {
		t.Fatal(err)
	}
	c := &storage.Collection{Owner: acc.ID, Name: "cal", Kind: storage.KindCalendar}
	if err := b.CreateCollection(ctx, c); err != nil {
		t.Fatal(err)
	}

	const perServer = 40
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		seqs = map[uint64]string{}
		seen []uint64 // positions a reader saw while the writers ran
	)
	write := func(s *Store, who string) {
		defer wg.Done()
		for i := range perServer {
			name := fmt.Sprintf("%s-%d.ics", who, i)
			data := []byte("BEGIN:VCALENDAR\r\nUID:" + name + "\r\nEND:VCALENDAR\r\n")
			m, _, err := s.Put(ctx, storage.PutObject{Owner: acc.ID, Collection: "cal", Name: name, UID: name, Data: data})
			if err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			if other, dup := seqs[m.Seq]; dup {
				t.Errorf("seq %d handed out for %s and %s", m.Seq, other, name)
			}
			seqs[m.Seq] = name
			mu.Unlock()
		}
	}
	wg.Add(2)
	go write(a, "a")
	go write(b, "b")
	done := make(chan struct{})
	go func() {
		defer close(done)
		for range 2 * perServer {
			col, err := b.Collection(ctx, acc.ID, "cal")
			if err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			seen = append(seen, col.Seq)
			mu.Unlock()
		}
	}()
	wg.Wait()
	<-done
	if t.Failed() {
		return
	}

	final, err := a.Collection(ctx, acc.ID, "cal")
	if err != nil {
		t.Fatal(err)
	}
	if final.Seq != 2*perServer || len(seqs) != 2*perServer {
		t.Fatalf("counter %d after %d writes (%d distinct seqs)", final.Seq, 2*perServer, len(seqs))
	}
	for _, pos := range seen {
		ch, reached, _, err := a.Changes(ctx, acc.ID, "cal", c.Incarnation, pos, 0)
		if err != nil {
			t.Fatalf("Changes since %d: %v", pos, err)
		}
		got := map[string]bool{}
		for _, x := range ch {
			got[x.Name] = true
		}
		for seq, name := range seqs {
			if seq > pos && !got[name] {
				t.Fatalf("sync from %d (reaching %d) misses %s written at %d", pos, reached, name, seq)
			}
		}
		if reached != final.Seq {
			t.Fatalf("sync from %d reaches %d, want %d", pos, reached, final.Seq)
		}
	}
}
