package postgres

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"almanac/storage"
)

// schemaOf lists the indexes and constraints of the store's tables.
func schemaOf(t *testing.T, s *Store) []string {
	t.Helper()
	rows, err := s.pool.Query(context.Background(), `SELECT tablename || ' ' || replace(indexdef, current_schema() || '.', '') FROM pg_indexes WHERE schemaname = current_schema()
		UNION ALL SELECT conrelid::regclass::text || ' ' || conname || ' ' || pg_get_constraintdef(oid) FROM pg_constraint
		WHERE connamespace = current_schema()::regnamespace`)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	slices.Sort(out)
	return out
}

// Load drops foreign keys and indexes for the copy and builds them again
// before it commits: the schema after a load, or after one that failed,
// is the schema Open made.
func TestLoadKeepsSchema(t *testing.T) {
	ctx := t.Context()
	want := schemaOf(t, openTest(t))
	if len(want) < 40 {
		t.Fatalf("only %d indexes and constraints: %v", len(want), want)
	}
	export := func(fail error) func(storage.Sink) error {
		return func(sink storage.Sink) error {
			if err := sink.Account(&storage.Account{ID: "jane", Login: "Jane@example.org", Created: time.Now()}); err != nil {
				return err
			}
			if err := sink.Collection(&storage.Collection{Owner: "jane", Name: "cal", Kind: storage.KindCalendar, Incarnation: "i",
				Seq: 1, Created: time.Now(), Modified: time.Now()}); err != nil {
				return err
			}
			if err := sink.Object(&storage.Object{ObjectMeta: storage.ObjectMeta{Name: "a.ics", ETag: `"e"`, Seq: 1, Modified: time.Now()},
				Data: []byte("x")}, storage.Timeline{Known: true, Periods: []storage.Period{{Start: time.Unix(1e9, 0), End: time.Unix(1e9+60, 0)}}}); err != nil {
				return err
			}
			if err := sink.Change(storage.LoggedChange{Name: "a.ics", Seq: 1, Written: time.Now()}); err != nil {
				return err
			}
			return fail
		}
	}
	s := openTest(t)
	injected := errors.New("injected")
	if _, err := s.Load(ctx, "test", export(injected)); !errors.Is(err, injected) {
		t.Fatalf("failing load: %v", err)
	}
	if got := schemaOf(t, s); !slices.Equal(got, want) {
		t.Errorf("after a failed load: %s", diff(got, want))
	}
	if _, err := s.Load(ctx, "test", export(nil)); err != nil {
		t.Fatal(err)
	}
	if got := schemaOf(t, s); !slices.Equal(got, want) {
		t.Errorf("after a load: %s", diff(got, want))
	}
	// The foreign keys hold again: a period of no object is refused.
	_, err := s.pool.Exec(ctx, `INSERT INTO timeline_periods VALUES (1, 'none.ics', now(), now())`)
	var pe *pgconn.PgError
	if !errors.As(err, &pe) || pe.Code != "23503" {
		t.Errorf("a period of no object: %v", err)
	}
}

// diff names what got lacks and what it has more than want.
func diff(got, want []string) string {
	var out []string
	for _, w := range want {
		if !slices.Contains(got, w) {
			out = append(out, "missing "+w)
		}
	}
	for _, g := range got {
		if !slices.Contains(want, g) {
			out = append(out, "extra "+g)
		}
	}
	return strings.Join(out, "; ")
}

// Load writes every column of every table a snapshot holds: a column a
// later migration adds fails here until Load copies it.
func TestLoadColumnsAreTheSchema(t *testing.T) {
	s := openTest(t)
	for _, table := range snapshotTables {
		rows, err := s.pool.Query(t.Context(), `SELECT column_name FROM information_schema.columns
			WHERE table_schema = current_schema() AND table_name = $1 ORDER BY column_name`, table)
		if err != nil {
			t.Fatal(err)
		}
		var cols []string
		for rows.Next() {
			var c string
			if err := rows.Scan(&c); err != nil {
				t.Fatal(err)
			}
			cols = append(cols, c)
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		if got := slices.Sorted(slices.Values(loadColumns[table])); !slices.Equal(got, cols) {
			t.Errorf("%s: Load copies %v, the table has %v", table, got, cols)
		}
	}
	if len(loadColumns) != len(snapshotTables) {
		t.Errorf("Load knows %d tables, a snapshot holds %d", len(loadColumns), len(snapshotTables))
	}
}
