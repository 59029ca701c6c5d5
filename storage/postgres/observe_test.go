package postgres

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"almanac/internal/pgtest"
	"almanac/storage"
)

type commitLog struct {
	mu     sync.Mutex
	writes []int
}

func (c *commitLog) Committed(writes int, d time.Duration) {
	c.mu.Lock()
	c.writes = append(c.writes, writes)
	c.mu.Unlock()
}

func (c *commitLog) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.writes)
}

// ObserveCommits reports what changed rows, once per transaction or
// lone statement, and nothing for reads, refused writes, or after it is
// turned off.
func TestObserveCommits(t *testing.T) {
	s := openTest(t)
	defer s.Close()
	ctx := context.Background()
	var log commitLog
	s.ObserveCommits(&log)
	step := func(what string, want int, fn func() error) {
		t.Helper()
		before := log.count()
		if err := fn(); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if got := log.count() - before; got != want {
			t.Errorf("%s: %d commits reported, want %d", what, got, want)
		}
	}
	acc := &storage.Account{Login: "jane@example.org"}
	step("create account (a lone INSERT)", 1, func() error { return s.CreateAccount(ctx, acc) })
	step("read account", 0, func() error { _, err := s.Account(ctx, acc.ID); return err })
	coll := &storage.Collection{Owner: acc.ID, Name: "cal", Kind: storage.KindCalendar}
	step("create collection (a transaction)", 1, func() error { return s.CreateCollection(ctx, coll) })
	put := storage.PutObject{Owner: acc.ID, Collection: "cal", Name: "a.ics", UID: "a", Data: []byte("BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n")}
	step("put", 1, func() error { _, _, err := s.Put(ctx, put); return err })
	step("list (read in a transaction)", 0, func() error {
		return s.List(ctx, acc.ID, "cal", func(*storage.ObjectMeta) error { return nil })
	})
	step("touch of a missing app password (an UPDATE of no row)", 0, func() error {
		err := s.TouchAppPassword(ctx, "none", time.Now(), "client")
		if errors.Is(err, storage.ErrNotFound) {
			return nil
		}
		return err
	})
	put.If = func(exists bool, _ string) bool { return !exists }
	step("refused put (rolled back)", 0, func() error {
		_, _, err := s.Put(ctx, put)
		if errors.Is(err, storage.ErrPreconditionFailed) {
			return nil
		}
		return err
	})
	s.ObserveCommits(nil)
	step("write with no observer", 0, func() error { return s.DeleteCollection(ctx, acc.ID, "cal") })
}

// Stats counts what the database holds.
func TestStats(t *testing.T) {
	s := openTest(t)
	defer s.Close()
	ctx := context.Background()
	acc := &storage.Account{Login: "jane@example.org"}
	if err := s.CreateAccount(ctx, acc); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateCollection(ctx, &storage.Collection{Owner: acc.ID, Name: "cal", Kind: storage.KindCalendar}); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"a.ics", "b.ics"} {
		if _, _, err := s.Put(ctx, storage.PutObject{Owner: acc.ID, Collection: "cal", Name: name, UID: name, Data: []byte("x")}); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.CreateLink(ctx, &storage.Link{ID: "l1", Owner: acc.ID, Collection: "cal", Tier: "full"}); err != nil {
		t.Fatal(err)
	}
	st, err := s.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.Accounts != 1 || st.Collections != 1 || st.Objects != 2 || st.Links != 1 || st.Bytes <= 0 {
		t.Errorf("stats %+v, want 1 account, 1 collection, 2 objects, 1 link and a size", st)
	}
}

// A statement stuck behind another session's row lock ends at the
// statement timeout with storage.ErrUnavailable instead of holding its
// request and connection.
func TestStatementTimeout(t *testing.T) {
	ctx := context.Background()
	url := pgtest.SchemaURL(t)
	s, err := Open(ctx, url, Options{MaxConns: 2, StatementTimeout: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	acc := &storage.Account{Login: "jane@example.org"}
	if err := s.CreateAccount(ctx, acc); err != nil {
		t.Fatal(err)
	}
	other, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close(ctx)
	tx, err := other.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, `SELECT 1 FROM accounts WHERE id = $1 FOR UPDATE`, acc.ID); err != nil {
		t.Fatal(err)
	}
	acc.DisplayName = "held"
	// The deadline only keeps a broken build from hanging the test; the
	// error must be the server's statement timeout (57014).
	dctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	err = s.UpdateAccount(dctx, acc)
	var pe *pgconn.PgError
	if !errors.Is(err, storage.ErrUnavailable) || !errors.As(err, &pe) || pe.Code != "57014" {
		t.Fatalf("update behind a lock: %v, want storage.ErrUnavailable from the statement timeout", err)
	}
}
