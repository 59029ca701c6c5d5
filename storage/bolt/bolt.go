package bolt

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"almanac/storage"

	"go.etcd.io/bbolt"
	bberrors "go.etcd.io/bbolt/errors"
)

// schemaVersion is bumped whenever the on-disk layout changes in a way an
// older binary would misread; Open refuses files from the future instead
// of corrupting them. 2: change records carry their write time, which a
// version 1 binary would take for part of the member name.
const schemaVersion = "2"

// schemaUpgradable is the older version Open upgrades by stamping the new
// one: nothing needs rewriting, as version 2 reads untimed change records.
const schemaUpgradable = "1"

var (
	bucketSchema      = []byte("schema")
	bucketAccounts    = []byte("accounts")
	bucketLogins      = []byte("logins")
	bucketCollections = []byte("collections")
	bucketLinks       = []byte("links")
	bucketLinkOwners  = []byte("linkowners")
	bucketGrants      = []byte("grants")
	bucketMounts      = []byte("mounts")

	// Account security (security.go): records by key, and per-account
	// indexes of their keys.
	bucketAppPasswords      = []byte("apppasswords")
	bucketAppPasswordOwners = []byte("apppasswordowners")
	bucketSessions          = []byte("sessions")
	bucketSessionAccounts   = []byte("sessionaccounts")
	bucketTokens            = []byte("tokens")
	bucketTokenAccounts     = []byte("tokenaccounts")

	// Organizations and mail services: mailBuckets (mail.go).

	keyVersion = []byte("version")
)

// Options tune Open.
type Options struct {
	// Timeout is how long Open waits for the file lock before failing with
	// storage.ErrLocked. Zero means one second: a CLI started next to a
	// running server should say so quickly rather than hang.
	Timeout time.Duration
	// Logger receives operational messages; nil discards them.
	Logger *slog.Logger
}

// DB is a storage.Store backed by one bbolt file.
type DB struct {
	bdb    *bbolt.DB
	log    *slog.Logger
	commit *committer
}

var _ storage.Store = (*DB)(nil)

// Open opens or creates the database file at path, creating its parent
// directory (0700) when missing. It fails with an error wrapping
// storage.ErrLocked when another process holds the file for longer than
// opts.Timeout.
func Open(path string, opts Options) (*DB, error) {
	if opts.Timeout <= 0 {
		opts.Timeout = time.Second
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("storage/bolt: open: %w", err)
	}
	bdb, err := bbolt.Open(path, 0o600, &bbolt.Options{
		Timeout: opts.Timeout,
		// The map freelist keeps allocation O(1) as the file fragments;
		// not syncing it saves a page write per commit at the price of
		// a freelist rebuild on open.
		FreelistType:   bbolt.FreelistMapType,
		NoFreelistSync: true,
	})
	if errors.Is(err, bberrors.ErrTimeout) {
		return nil, fmt.Errorf("storage/bolt: open %s: %w", path, storage.ErrLocked)
	}
	if err != nil {
		return nil, fmt.Errorf("storage/bolt: open %s: %w", path, err)
	}

	err = bdb.Update(func(tx *bbolt.Tx) error {
		sb, err := tx.CreateBucketIfNotExists(bucketSchema)
		if err != nil {
			return err
		}
		switch v := sb.Get(keyVersion); {
		case v == nil, string(v) == schemaUpgradable:
			if err := sb.Put(keyVersion, []byte(schemaVersion)); err != nil {
				return err
			}
		case string(v) != schemaVersion:
			return fmt.Errorf("unsupported schema version %q (this binary knows %q)", v, schemaVersion)
		}
		for _, name := range append([][]byte{
			bucketAccounts, bucketLogins, bucketCollections, bucketLinks, bucketLinkOwners, bucketGrants, bucketMounts,
			bucketAppPasswords, bucketAppPasswordOwners, bucketSessions, bucketSessionAccounts, bucketTokens, bucketTokenAccounts,
		}, mailBuckets...) {
			if _, err := tx.CreateBucketIfNotExists(name); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		bdb.Close()
		return nil, fmt.Errorf("storage/bolt: open %s: %w", path, err)
	}
	log.Debug("storage opened", "path", path)
	return &DB{bdb: bdb, log: log, commit: newCommitter(bdb)}, nil
}

// Close waits for running transactions and releases the file lock.
func (db *DB) Close() error {
	if err := db.bdb.Close(); err != nil {
		return fmt.Errorf("storage/bolt: close: %w", err)
	}
	return nil
}

// randomID returns n lowercase base32 characters from crypto/rand, so IDs
// are safe in URLs and file names without escaping.
func randomID(n int) string {
	return strings.ToLower(rand.Text()[:n])
}

// wrap prefixes err with the package and operation, leaving nil alone.
func wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("storage/bolt: %s: %w", op, err)
}

// checkKey rejects keys bbolt cannot store before a transaction starts:
// an error inside a shared write transaction rolls back and re-runs the
// writers sharing it.
func checkKey(what, key string) error {
	if key == "" {
		return fmt.Errorf("empty %s", what)
	}
	if len(key) > bbolt.MaxKeySize {
		return fmt.Errorf("%s longer than %d bytes", what, bbolt.MaxKeySize)
	}
	return nil
}

func ctxErr(ctx context.Context, op string) error {
	return wrap(op, ctx.Err())
}
