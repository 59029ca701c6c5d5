package postgres

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// waitFor fails the test unless ch delivers within a generous bound.
func waitFor[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(20 * time.Second):
		t.Fatalf("waited in vain for %s", what)
	}
	var zero T
	return zero
}

// Two servers ask to run one task: one runs it; when that one stops, or
// its connection to the database breaks, the other takes over, and the
// two never run it at once.
func TestExclusively(t *testing.T) {
	a, b := twoStores(t)
	var running, overlaps atomic.Int32
	started := make(chan int, 16)
	task := func(who int) func(context.Context) {
		return func(ctx context.Context) {
			if running.Add(1) > 1 {
				overlaps.Add(1)
			}
			started <- who
			<-ctx.Done()
			running.Add(-1)
		}
	}
	ctxA, stopA := context.WithCancel(context.Background())
	ctxB, stopB := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { a.Exclusively(ctxA, "backups", task(0)) })
	first := waitFor(t, started, "server running the task")
	wg.Go(func() { b.Exclusively(ctxB, "backups", task(1)) })
	if first != 0 {
		t.Fatalf("server %d ran the task first, want 0", first)
	}

	// The holder's connection is cut: its task stops, the other takes
	// over.
	if _, err := b.pool.Exec(context.Background(), `SELECT pg_terminate_backend(pid) FROM pg_locks
		WHERE locktype = 'advisory' AND classid = $1 AND objid = $2 AND objsubid = 2 AND granted`,
		uint32(exclusiveLockSpace), uint32(lockKey("backups", []byte(a.schema)))); err != nil {
		t.Fatal(err)
	}
	if got := waitFor(t, started, "take-over after a broken connection"); got != 1 {
		t.Errorf("server %d took over, want 1", got)
	}
	// The holder stops: the first server, connected again, takes over.
	stopB()
	if got := waitFor(t, started, "take-over after a stop"); got != 0 {
		t.Errorf("server %d took over, want 0", got)
	}
	stopA()
	wg.Wait()
	if n := overlaps.Load(); n != 0 {
		t.Errorf("the task ran on both servers at once %d times", n)
	}
}

// A signal through one server reaches the listeners of both, and a
// listener looks once when it connects.
func TestSignals(t *testing.T) {
	a, b := twoStores(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	heard := [2]chan struct{}{make(chan struct{}, 8), make(chan struct{}, 8)}
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel()
	for i, st := range []*Store{a, b} {
		wg.Go(func() { st.Listen(ctx, "mail", func() { heard[i] <- struct{}{} }) })
	}
	for i := range heard {
		waitFor(t, heard[i], "look at connection")
	}
	if err := a.Signal(ctx, "mail"); err != nil {
		t.Fatal(err)
	}
	for i := range heard {
		waitFor(t, heard[i], "signal")
	}
}

// Two installations in two schemas of one database do not share their
// exclusive work: each runs its own.
func TestExclusively_PerSchema(t *testing.T) {
	a, _ := twoStores(t)
	c, _ := twoStores(t) // another schema
	if a.schema == c.schema || a.channel("mail") == c.channel("mail") {
		t.Fatalf("schemas %q and %q share channel %s", a.schema, c.schema, a.channel("mail"))
	}
	ctx, cancel := context.WithCancel(context.Background())
	started := make(chan struct{}, 2)
	var wg sync.WaitGroup
	for _, st := range []*Store{a, c} {
		wg.Go(func() {
			st.Exclusively(ctx, "backups", func(ctx context.Context) {
				started <- struct{}{}
				<-ctx.Done()
			})
		})
	}
	waitFor(t, started, "the first installation's task")
	waitFor(t, started, "the second installation's task")
	cancel()
	wg.Wait()
}
