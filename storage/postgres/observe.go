package postgres

import (
	"context"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"

	"almanac/storage"
)

var _ storage.Observable = (*Store)(nil)

// Stats counts what the database holds in one snapshot. The counts are
// exact (count(*) walks the tables' visibility, not object data), and
// Bytes is the whole database's size; PostgreSQL reuses the space of
// deleted rows itself, so FreeBytes stays 0.
func (s *Store) Stats(ctx context.Context) (storage.Stats, error) {
	var st storage.Stats
	err := s.read(ctx, func(tx pgx.Tx) error {
		return tx.QueryRow(ctx, `SELECT pg_database_size(current_database()),
			(SELECT count(*) FROM accounts), (SELECT count(*) FROM collections),
			(SELECT count(*) FROM objects), (SELECT count(*) FROM links)`).
			Scan(&st.Bytes, &st.Accounts, &st.Collections, &st.Objects, &st.Links)
	})
	if err != nil {
		return storage.Stats{}, wrap("stats", err)
	}
	return st, nil
}

// ObserveCommits reports every later transaction that changed rows, one
// write each (PostgreSQL has no group commit of ours to count), with the
// time from its BEGIN to its COMMIT; a statement outside a transaction
// that changed rows counts alike with its own time.
func (s *Store) ObserveCommits(o storage.CommitObserver) {
	if o == nil {
		s.commits.observer.Store(nil)
		return
	}
	s.commits.observer.Store(&o)
}

// commitTracer watches the statements of every pooled connection
// (pgx.QueryTracer) for what ObserveCommits reports. Which methods write
// is read from the command tags PostgreSQL returns rather than listed by
// hand: some reads run in read-write transactions (row locks), and a
// write that changes nothing (an UPDATE of no row) is not a commit worth
// counting.
//
// It also sees a connection break (brokenConnection) and then calls
// broken, which resets the pool: the idle connections died with it, and
// without the reset each would fail one request after the database is
// back (pgxpool pings only those idle for a second or more).
type commitTracer struct {
	observer atomic.Pointer[storage.CommitObserver]
	broken   atomic.Pointer[func()]
	mu       sync.Mutex
	open     map[*pgx.Conn]*openTx // connections inside a transaction
}

type openTx struct {
	began time.Time
	wrote bool
}

type traceKey struct{}

func (c *commitTracer) TraceQueryStart(ctx context.Context, conn *pgx.Conn, data pgx.TraceQueryStartData) context.Context {
	if c.observer.Load() == nil {
		return ctx
	}
	return context.WithValue(ctx, traceKey{}, traceStart{sql: data.SQL, at: time.Now()})
}

type traceStart struct {
	sql string
	at  time.Time
}

// failed resets the pool after an error that broke a connection.
func (c *commitTracer) failed(err error) {
	if err != nil && brokenConnection(err) {
		if f := c.broken.Load(); f != nil {
			(*f)()
		}
	}
}

// The batches (the shared throttle's, the stash's) are watched for
// broken connections only: their rows are bookkeeping of requests, not
// the data the commit metrics are about, which bbolt keeps apart from
// them too (its throttle is in memory).
func (c *commitTracer) TraceBatchStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceBatchStartData) context.Context {
	return ctx
}

func (c *commitTracer) TraceBatchQuery(_ context.Context, _ *pgx.Conn, data pgx.TraceBatchQueryData) {
	c.failed(data.Err)
}

func (c *commitTracer) TraceBatchEnd(_ context.Context, _ *pgx.Conn, data pgx.TraceBatchEndData) {
	c.failed(data.Err)
}

func (c *commitTracer) TraceQueryEnd(ctx context.Context, conn *pgx.Conn, data pgx.TraceQueryEndData) {
	c.failed(data.Err)
	start, ok := ctx.Value(traceKey{}).(traceStart)
	if !ok {
		return
	}
	verb := strings.ToLower(start.sql)
	if i := strings.IndexAny(verb, " \t\n"); i >= 0 {
		verb = verb[:i]
	}
	c.mu.Lock()
	tx := c.open[conn]
	var done *openTx
	switch {
	case verb == "begin":
		if data.Err == nil {
			c.open[conn] = &openTx{began: start.at}
		}
	case verb == "commit" || verb == "rollback":
		delete(c.open, conn)
		if verb == "commit" && data.Err == nil && tx != nil && tx.wrote {
			done = tx
		}
	case data.Err == nil && changed(data):
		if tx != nil {
			tx.wrote = true
		} else {
			done = &openTx{began: start.at}
		}
	}
	c.mu.Unlock()
	if done != nil {
		if o := c.observer.Load(); o != nil {
			(*o).Committed(1, time.Since(done.began))
		}
	}
}

// changed reports a statement that inserted, updated or deleted rows.
func changed(data pgx.TraceQueryEndData) bool {
	t := data.CommandTag
	return (t.Insert() || t.Update() || t.Delete()) && t.RowsAffected() > 0
}

// forget drops what is known of a connection leaving use (released to
// the pool outside a transaction, or closed), so a transaction cut off
// by a broken connection is not counted later.
func (c *commitTracer) forget(conn *pgx.Conn) {
	c.mu.Lock()
	delete(c.open, conn)
	c.mu.Unlock()
}
