package postgres

import (
	"bytes"
	"context"
	"os"
	"testing"

	"almanac/internal/pgtest"
	"almanac/storage"
	"almanac/storage/storagetest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

func openTest(t *testing.T) *Store {
	t.Helper()
	s, err := Open(context.Background(), pgtest.SchemaURL(t), Options{MaxConns: 4})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestStore runs the conformance suite unchanged. Until every role is
// implemented, the subtests of the missing ones fail with
// errors.ErrUnsupported (doc.go lists them).
func TestStore(t *testing.T) {
	storagetest.Run(t, func(t *testing.T) storage.Store { return openTest(t) })
}

// TestMaintenance runs storagetest's Check and Snapshot suite; restore
// loads a snapshot into a database of its own.
func TestMaintenance(t *testing.T) {
	storagetest.RunMaintenance(t, func(t *testing.T) storage.Store { return openTest(t) },
		func(t *testing.T, snapshot []byte) storage.Store {
			s, err := Restore(context.Background(), pgtest.SchemaURL(t), bytes.NewReader(snapshot), Options{MaxConns: 4})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			return s
		})
}
