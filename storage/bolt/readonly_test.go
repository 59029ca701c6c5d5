package bolt

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"time"

	"almanac/storage"

	"go.etcd.io/bbolt"
)

// TestOpenReadOnly_MissingCreatesNothing: a read-only open where there
// is no database fails with fs.ErrNotExist and leaves no directory or
// file behind (a read-write open creates both).
func TestOpenReadOnly_MissingCreatesNothing(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "nowhere")
	path := filepath.Join(dir, "almanac.db")
	db, err := Open(path, Options{ReadOnly: true})
	if err == nil {
		db.Close()
		t.Fatal("read-only Open of a missing file succeeded")
	}
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("err = %v, want fs.ErrNotExist", err)
	}
	if _, err := os.Stat(dir); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("read-only Open created %s (stat: %v)", dir, err)
	}
}

// TestOpenReadOnly_EmptyFile: bbolt would initialise an empty file; a
// read-only open must refuse it and leave it empty.
func TestOpenReadOnly_EmptyFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "almanac.db")
	if err := os.WriteFile(path, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if db, err := Open(path, Options{ReadOnly: true}); err == nil {
		db.Close()
		t.Fatal("read-only Open of an empty file succeeded")
	}
	if fi, err := os.Stat(path); err != nil || fi.Size() != 0 {
		t.Errorf("empty file changed: %v %v", fi, err)
	}
}

func TestOpenReadOnly_ReadsRefusesWritesSharesLock(t *testing.T) {
	ctx := t.Context()
	db, path := openTemp(t)
	acc := &storage.Account{Login: "jane@example.com", PasswordHash: "x"}
	if err := db.CreateAccount(ctx, acc); err != nil {
		t.Fatal(err)
	}
	// A writer holds the file: a reader waits and reports the lock.
	if ro, err := Open(path, Options{ReadOnly: true, Timeout: 100 * time.Millisecond}); !errors.Is(err, storage.ErrLocked) {
		if err == nil {
			ro.Close()
		}
		t.Fatalf("read-only Open next to a writer: %v, want ErrLocked", err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	before, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}

	ro, err := Open(path, Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	// Readers share the lock.
	ro2, err := Open(path, Options{ReadOnly: true, Timeout: 100 * time.Millisecond})
	if err != nil {
		t.Fatalf("second reader: %v", err)
	}
	defer ro2.Close()

	accs, err := ro.ListAccounts(ctx)
	if err != nil || len(accs) != 1 || accs[0].Login != acc.Login {
		t.Fatalf("ListAccounts = %v, %v", accs, err)
	}
	if err := ro.CreateAccount(ctx, &storage.Account{Login: "bob@example.com", PasswordHash: "x"}); err == nil {
		t.Error("CreateAccount on a read-only database succeeded")
	}
	after, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(before) != string(after) {
		t.Error("a read-only open changed the file")
	}
}

// TestOpenReadOnly_OldFile: a file that lacks a bucket the methods need
// (written before the bucket existed) is refused read-only, where it
// cannot be added, and upgraded by a read-write open.
func TestOpenReadOnly_OldFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "almanac.db")
	bdb, err := bbolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = bdb.Update(func(tx *bbolt.Tx) error {
		b, err := tx.CreateBucket(bucketSchema)
		if err != nil {
			return err
		}
		if err := b.Put(keyVersion, []byte(schemaVersion)); err != nil {
			return err
		}
		_, err = tx.CreateBucket(bucketAccounts)
		return err
	})
	bdb.Close()
	if err != nil {
		t.Fatal(err)
	}
	if db, err := Open(path, Options{ReadOnly: true}); err == nil {
		db.Close()
		t.Fatal("read-only Open accepted a file without all buckets")
	}
	db, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	db, err = Open(path, Options{ReadOnly: true})
	if err != nil {
		t.Fatalf("read-only Open after the upgrade: %v", err)
	}
	db.Close()
}

// TestOpenReadOnly_NotAlmanac: a bbolt file of someone else's.
func TestOpenReadOnly_NotAlmanac(t *testing.T) {
	path := filepath.Join(t.TempDir(), "other.db")
	bdb, err := bbolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	bdb.Close()
	if db, err := Open(path, Options{ReadOnly: true}); err == nil {
		db.Close()
		t.Fatal("read-only Open accepted a file without a schema version")
	}
}
