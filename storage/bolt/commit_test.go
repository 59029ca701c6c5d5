package bolt

import (
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"go.etcd.io/bbolt"
)

func openCommitter(t *testing.T) (*bbolt.DB, *committer) {
	t.Helper()
	bdb, err := bbolt.Open(filepath.Join(t.TempDir(), "c.db"), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { bdb.Close() })
	err = bdb.Update(func(tx *bbolt.Tx) error { _, err := tx.CreateBucket([]byte("b")); return err })
	if err != nil {
		t.Fatal(err)
	}
	return bdb, newCommitter(bdb)
}

func putKey(key string) func(*bbolt.Tx) error {
	return func(tx *bbolt.Tx) error { return tx.Bucket([]byte("b")).Put([]byte(key), []byte("v")) }
}

func keys(t *testing.T, bdb *bbolt.DB) map[string]bool {
	t.Helper()
	out := map[string]bool{}
	err := bdb.View(func(tx *bbolt.Tx) error {
		return tx.Bucket([]byte("b")).ForEach(func(k, _ []byte) error { out[string(k)] = true; return nil })
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// blockFirst starts a call that holds the write transaction until release
// is closed; it returns once that call is inside the transaction.
func blockFirst(t *testing.T, c *committer, release chan struct{}) <-chan error {
	t.Helper()
	started := make(chan struct{})
	first := make(chan error, 1)
	go func() {
		first <- c.do(func(tx *bbolt.Tx) error {
			select {
			case <-started:
			default:
				close(started)
			}
			<-release
			return putKey("first")(tx)
		})
	}()
	<-started
	return first
}

func waitQueued(t *testing.T, c *committer, n int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		c.mu.Lock()
		q := len(c.queue)
		c.mu.Unlock()
		if q >= n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("only %d calls queued, want %d", q, n)
		}
		time.Sleep(time.Millisecond)
	}
}

func TestCommitterGroupsQueuedWrites(t *testing.T) {
	bdb, c := openCommitter(t)
	release := make(chan struct{})
	first := blockFirst(t, c, release)

	const n = 5
	var mu sync.Mutex
	txIDs := map[int]bool{}
	errs := make(chan error, n)
	for i := range n {
		go func() {
			errs <- c.do(func(tx *bbolt.Tx) error {
				mu.Lock()
				txIDs[int(tx.ID())] = true
				mu.Unlock()
				return putKey(fmt.Sprint("k", i))(tx)
			})
		}()
	}
	waitQueued(t, c, n)
	close(release)
	if err := <-first; err != nil {
		t.Fatal(err)
	}
	for range n {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	if len(txIDs) != 1 {
		t.Fatalf("%d queued writes used %d transactions, want 1", n, len(txIDs))
	}
	if got := c.commits.Load(); got != 2 {
		t.Fatalf("%d commits, want 2 (the blocker and the group)", got)
	}
	if got := len(keys(t, bdb)); got != n+1 {
		t.Fatalf("%d keys stored, want %d", got, n+1)
	}
}

func TestCommitterIsolatesFailures(t *testing.T) {
	bdb, c := openCommitter(t)
	release := make(chan struct{})
	first := blockFirst(t, c, release)

	boom := errors.New("boom")
	results := make([]chan error, 4)
	for i := range results {
		results[i] = make(chan error, 1)
		go func() {
			results[i] <- c.do(func(tx *bbolt.Tx) error {
				if err := putKey(fmt.Sprint("k", i))(tx); err != nil {
					return err
				}
				switch i {
				case 1:
					return boom // after writing: the write must not survive
				case 2:
					panic("bad write")
				}
				return nil
			})
		}()
	}
	waitQueued(t, c, len(results))
	close(release)
	if err := <-first; err != nil {
		t.Fatal(err)
	}
	for i, ch := range results {
		err := <-ch
		switch i {
		case 1:
			if !errors.Is(err, boom) {
				t.Fatalf("call 1: err = %v, want its own error", err)
			}
		case 2:
			if !errors.Is(err, errPanic) {
				t.Fatalf("call 2: err = %v, want errPanic", err)
			}
		default:
			if err != nil {
				t.Fatalf("call %d: %v", i, err)
			}
		}
	}
	want := map[string]bool{"first": true, "k0": true, "k3": true}
	if got := keys(t, bdb); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("stored %v, want %v", got, want)
	}
}

func TestCommitterAfterClose(t *testing.T) {
	bdb, c := openCommitter(t)
	if err := c.do(putKey("a")); err != nil {
		t.Fatal(err)
	}
	bdb.Close()
	if err := c.do(putKey("b")); err == nil {
		t.Fatal("write after Close succeeded")
	}
}
