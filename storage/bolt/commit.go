package bolt

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"go.etcd.io/bbolt"

	"almanac/storage"
)

// committer is a group commit that waits only when it has seen company.
// A write that finds no commit running starts one at once; writes arriving
// while a commit's fsync is in flight queue up and go into the next
// transaction together. After a commit that carried k > 1 writes, the next
// one waits (at most maxGroupWait) until k writes are queued, because the
// writers just released are about to come back; without that pause
// concurrent writers leapfrog into alternating small commits.
//
// A lone writer thus pays one fsync and never waits. bbolt's own DB.Batch
// instead holds every write for MaxBatchDelay in case others come, which a
// client uploading one object after another pays on every request.
//
// The function contract is DB.Batch's: fn may run more than once, and an
// error from fn takes it out of the batch (the others are re-run without
// it) and runs it alone, whose result is final.
type committer struct {
	db *bbolt.DB

	mu      sync.Mutex
	queue   []commitCall
	running bool
	// arrived is poked on every enqueue while a loop runs, waking await.
	arrived chan struct{}

	commits atomic.Int64 // transactions committed, for benchmarks

	// observer is told about each commit (DB.ObserveCommits).
	observer atomic.Pointer[storage.CommitObserver]
}

func newCommitter(db *bbolt.DB) *committer {
	return &committer{db: db, arrived: make(chan struct{}, 1)}
}

type commitCall struct {
	fn   func(*bbolt.Tx) error
	done chan error
}

// maxCommitBatch bounds one transaction, so a flood of writers cannot
// build a transaction whose dirty pages exhaust memory.
const maxCommitBatch = 256

// maxGroupWait bounds the pause for returning writers; it is spent only
// when writers stop coming back, e.g. the last request of a burst.
const maxGroupWait = time.Millisecond

func (c *committer) do(fn func(*bbolt.Tx) error) error {
	done := make(chan error, 1)
	c.mu.Lock()
	c.queue = append(c.queue, commitCall{fn, done})
	if !c.running {
		c.running = true
		go c.loop()
	} else {
		select {
		case c.arrived <- struct{}{}:
		default:
		}
	}
	c.mu.Unlock()
	return <-done
}

// loop commits queued calls until the queue is empty.
func (c *committer) loop() {
	last := 0
	for {
		if last > 1 {
			c.await(last)
		}
		c.mu.Lock()
		n := min(len(c.queue), maxCommitBatch)
		if n == 0 {
			c.running = false
			c.mu.Unlock()
			return
		}
		calls := c.queue[:n:n]
		c.queue = c.queue[n:]
		if len(c.queue) == 0 {
			c.queue = nil // let the backing array go
		}
		c.mu.Unlock()
		c.commit(calls)
		last = n
	}
}

// await returns once want calls are queued or maxGroupWait has passed.
func (c *committer) await(want int) {
	timer := time.NewTimer(maxGroupWait)
	defer timer.Stop()
	for {
		c.mu.Lock()
		have := len(c.queue)
		c.mu.Unlock()
		if have >= want {
			return
		}
		select {
		case <-c.arrived:
		case <-timer.C:
			return
		}
	}
}

// commit runs calls in one transaction; a call whose fn fails is taken
// out and run alone after the rest.
func (c *committer) commit(calls []commitCall) {
	var solo []commitCall
	for len(calls) > 0 {
		failed := -1
		start := time.Now()
		err := c.db.Update(func(tx *bbolt.Tx) error {
			for i, call := range calls {
				if err := safeCall(call.fn, tx); err != nil {
					failed = i
					return err
				}
			}
			return nil
		})
		if failed >= 0 {
			solo = append(solo, calls[failed])
			calls = append(calls[:failed:failed], calls[failed+1:]...)
			continue
		}
		if err == nil {
			c.committed(len(calls), time.Since(start))
		}
		for _, call := range calls {
			call.done <- err
		}
		break
	}
	for _, call := range solo {
		start := time.Now()
		err := c.db.Update(func(tx *bbolt.Tx) error { return safeCall(call.fn, tx) })
		if err == nil {
			c.committed(1, time.Since(start))
		}
		call.done <- err
	}
}

// committed counts a group transaction of writes that committed in d.
func (c *committer) committed(writes int, d time.Duration) {
	c.commits.Add(1)
	c.observe(writes, d)
}

func (c *committer) observe(writes int, d time.Duration) {
	if o := c.observer.Load(); o != nil {
		(*o).Committed(writes, d)
	}
}

// update is bbolt's Update for the writes that do not go through the
// group commit, reported to the observer like the group's.
func (c *committer) update(fn func(*bbolt.Tx) error) error {
	start := time.Now()
	err := c.db.Update(fn)
	if err == nil {
		c.observe(1, time.Since(start))
	}
	return err
}

var errPanic = errors.New("panic in write transaction")

// safeCall turns a panic in fn into an error: fn runs on the committer's
// goroutine, where a panic would take the whole server down rather than
// fail one request.
func safeCall(fn func(*bbolt.Tx) error, tx *bbolt.Tx) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("%w: %v", errPanic, p)
		}
	}()
	return fn(tx)
}
