package postgres

import (
	"bytes"
	"context"
	"strings"
	"sync"
	"testing"

	"almanac/internal/pgtest"
	"almanac/storage"
)

// Servers starting together on a new database apply the migrations
// once: the advisory lock orders them, and the later ones find the
// schema current.
func TestOpen_ConcurrentMigrate(t *testing.T) {
	url := pgtest.URL(t)
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s, err := Open(context.Background(), url, Options{MaxConns: 2})
			if err == nil {
				s.Close()
			}
			errs[i] = err
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("Open %d: %v", i, err)
		}
	}
	s, err := Open(context.Background(), url, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var n, v int
	if err := s.pool.QueryRow(context.Background(), "SELECT count(*), max(version) FROM schema_migrations").Scan(&n, &v); err != nil {
		t.Fatal(err)
	}
	if n != SchemaVersion() || v != SchemaVersion() {
		t.Fatalf("schema_migrations: %d rows up to %d, want %d", n, v, SchemaVersion())
	}
}

// A database migrated by a newer build is refused, not used with a
// schema this build does not know.
func TestOpen_NewerSchemaRefused(t *testing.T) {
	url := pgtest.URL(t)
	s, err := Open(context.Background(), url, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.pool.Exec(context.Background(), "INSERT INTO schema_migrations (version, name) VALUES ($1, 'future')", SchemaVersion()+1); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if s, err := Open(context.Background(), url, Options{}); err == nil {
		s.Close()
		t.Fatal("Open of a newer schema succeeded")
	}
}

// Restore refuses a database that holds data and leaves it as it was.
func TestRestore_RefusesNonEmpty(t *testing.T) {
	ctx := context.Background()
	src := openTest(t)
	defer src.Close()
	if err := src.CreateAccount(ctx, &storage.Account{ID: "jane", Login: "jane@example.org"}); err != nil {
		t.Fatal(err)
	}
	snap, err := src.Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if _, err := snap.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	snap.Close()

	url := pgtest.SchemaURL(t)
	dst, err := Open(ctx, url, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer dst.Close()
	if err := dst.CreateAccount(ctx, &storage.Account{ID: "bob", Login: "bob@example.org"}); err != nil {
		t.Fatal(err)
	}
	if s, err := Restore(ctx, url, bytes.NewReader(buf.Bytes()), Options{}); err == nil {
		s.Close()
		t.Fatal("Restore into a database with an account succeeded")
	}
	accounts, err := dst.ListAccounts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(accounts) != 1 || accounts[0].ID != "bob" {
		t.Fatalf("accounts after a refused restore: %+v", accounts)
	}
}

// A bad URL fails Open without echoing the URL, which may hold a
// password.
func TestOpen_BadURLHidesPassword(t *testing.T) {
	_, err := Open(context.Background(), "postgres://user:s3cret@host:notaport/db", Options{})
	if err == nil {
		t.Fatal("Open of a bad URL succeeded")
	}
	if strings.Contains(err.Error(), "s3cret") {
		t.Fatalf("error shows the password: %v", err)
	}
}
