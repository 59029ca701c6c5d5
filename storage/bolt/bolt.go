package bolt

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"almanac/storage"

	"go.etcd.io/bbolt"
	bberrors "go.etcd.io/bbolt/errors"
)

// schemaVersion is bumped whenever the on-disk layout changes in a way an
// older binary would misread; Open refuses files from the future instead
// of corrupting them. 2: change records carry their write time, which a
// version 1 binary would take for part of the member name. 3: calendar
// collections keep a time index (timeline.go), which a version 2 binary
// would leave stale on every write. 4: time index entries may carry the
// member's ETag (whenETag), which a version 3 binary would read as pieces.
// 5: calendars keep their loose members by bounds too (bucketBounds),
// which a version 4 binary would leave stale. 6: a time index entry
// carries an ETag only for a member whose name and ETag need no escaping
// (storage.PlainMember), which Between then hands to TimeQuery.ETags
// without checking; a version 5 binary would write entries for the
// others that this one trusts.
const schemaVersion = "6"

// schemaUpgradable lists the older versions Open upgrades in place: 1 to
// 5 read as 6 does (untimed change records are read; a calendar without a
// time index is answered by reading its members; a time index entry
// without an ETag makes Between read the member's metadata; without a
// bounds bucket Between reads every loose entry), and the read-write Open
// adds every calendar's time index where it is missing
// (upgradeTimelines) and its bounds (upgradeBounds), and drops the ETag
// from the entries of members whose name or ETag is not plain
// (upgradePlain). Entries of schema 3 gain their ETag at the member's
// next write or timeline renewal. A file of schema 4 or 5 opened
// read-only is read as it is, checking each ETag's member in Between.
var schemaUpgradable = []string{"1", "2", "3", "4", "5"}

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
	// ReadOnly opens an existing file for reading only: nothing is
	// created (no directory, no file, no bucket), the lock is shared
	// with other readers, and every write fails. A missing file is an
	// error wrapping fs.ErrNotExist, so a command that only reads can
	// tell "no database here" from a real failure.
	ReadOnly bool
}

// DB is a storage.Store backed by one bbolt file.
type DB struct {
	bdb    *bbolt.DB
	log    *slog.Logger
	commit *committer
	// plainETags: every time index entry's ETag is of a plain member
	// (schema 6), so Between need not check (a file of an older schema
	// opened read-only may hold others).
	plainETags bool
}

var _ storage.Store = (*DB)(nil)

// Open opens or creates the database file at path, creating its parent
// directory (0700) when missing; with opts.ReadOnly it only opens an
// existing file. It fails with an error wrapping storage.ErrLocked when
// another process holds the file for longer than opts.Timeout.
func Open(path string, opts Options) (*DB, error) {
	if opts.Timeout <= 0 {
		opts.Timeout = time.Second
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if opts.ReadOnly {
		// bbolt turns an empty file into a fresh database even when
		// read-only (and fails obscurely doing so): refuse it here.
		fi, err := os.Stat(path)
		if err != nil {
			return nil, fmt.Errorf("storage/bolt: open %s: %w", path, err)
		}
		if !fi.Mode().IsRegular() || fi.Size() == 0 {
			return nil, fmt.Errorf("storage/bolt: open %s: not a database file", path)
		}
	} else if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("storage/bolt: open: %w", err)
	}
	bdb, err := bbolt.Open(path, 0o600, &bbolt.Options{
		Timeout:  opts.Timeout,
		ReadOnly: opts.ReadOnly,
		// The map freelist keeps allocation O(1) as the file fragments;
		// not syncing it saves a page write per commit at the price of
		// a freelist rebuild on open.
		FreelistType:    bbolt.FreelistMapType,
		NoFreelistSync:  true,
		InitialMmapSize: mmapSize(opts.ReadOnly),
	})
	if errors.Is(err, bberrors.ErrTimeout) {
		return nil, fmt.Errorf("storage/bolt: open %s: %w", path, storage.ErrLocked)
	}
	if err != nil {
		return nil, fmt.Errorf("storage/bolt: open %s: %w", path, err)
	}

	if opts.ReadOnly {
		current := false
		err := bdb.View(func(tx *bbolt.Tx) error {
			var err error
			current, err = checkSchema(tx)
			return err
		})
		if err != nil {
			bdb.Close()
			return nil, fmt.Errorf("storage/bolt: open %s: %w", path, err)
		}
		log.Debug("storage opened read-only", "path", path)
		return &DB{bdb: bdb, log: log, commit: newCommitter(bdb), plainETags: current}, nil
	}
	err = bdb.Update(func(tx *bbolt.Tx) error {
		sb, err := tx.CreateBucketIfNotExists(bucketSchema)
		if err != nil {
			return err
		}
		for _, name := range buckets() {
			if _, err := tx.CreateBucketIfNotExists(name); err != nil {
				return err
			}
		}
		switch v := sb.Get(keyVersion); {
		case v != nil && slices.Contains(schemaUpgradable, string(v)):
			colls, members, err := upgradeTimelines(tx)
			if err != nil {
				return fmt.Errorf("upgrade from schema %s: %w", v, err)
			}
			bounded, err := upgradeBounds(tx)
			if err != nil {
				return fmt.Errorf("upgrade from schema %s: %w", v, err)
			}
			unplain, err := upgradePlain(tx)
			if err != nil {
				return fmt.Errorf("upgrade from schema %s: %w", v, err)
			}
			if unplain > 0 {
				log.Info("storage upgrade: time index entries of members whose name needs escaping answer from metadata",
					"entries", unplain)
			}
			switch {
			case colls > 0:
				log.Info("storage upgraded: calendars indexed by time, members to be read once", "from", string(v), "to", schemaVersion,
					"calendars", colls, "objects", members)
			case bounded > 0:
				log.Info("storage upgraded: calendars' loose members indexed by their bounds", "from", string(v), "to", schemaVersion,
					"calendars", bounded)
			default:
				log.Info("storage upgraded", "from", string(v), "to", schemaVersion)
			}
			fallthrough
		case v == nil:
			if err := sb.Put(keyVersion, []byte(schemaVersion)); err != nil {
				return err
			}
		case string(v) != schemaVersion:
			return fmt.Errorf("unsupported schema version %q (this binary knows %q)", v, schemaVersion)
		}
		return nil
	})
	if err != nil {
		bdb.Close()
		return nil, fmt.Errorf("storage/bolt: open %s: %w", path, err)
	}
	log.Debug("storage opened", "path", path)
	return &DB{bdb: bdb, log: log, commit: newCommitter(bdb), plainETags: true}, nil
}

// buckets are the top-level buckets every method assumes exist.
func buckets() [][]byte {
	return append([][]byte{
		bucketAccounts, bucketLogins, bucketCollections, bucketLinks, bucketLinkOwners, bucketGrants, bucketMounts,
		bucketAppPasswords, bucketAppPasswordOwners, bucketSessions, bucketSessionAccounts, bucketTokens, bucketTokenAccounts,
	}, slices.Concat(mailBuckets, responderBuckets, jobBuckets)...)
}

// checkSchema is Open's schema step for a read-only file: what the
// read-write open would stamp or create is an error here, since a
// read-only transaction cannot make the buckets the methods assume.
// current reports whether the file is of this binary's schema.
func checkSchema(tx *bbolt.Tx) (current bool, err error) {
	sb := tx.Bucket(bucketSchema)
	if sb == nil {
		return false, errors.New("not an almanac database (no schema version)")
	}
	// The versions Open upgrades read as they are: the upgrade only adds
	// an index that a read-only reader does without, or drops ETags it
	// checks.
	v := sb.Get(keyVersion)
	if string(v) != schemaVersion && !slices.Contains(schemaUpgradable, string(v)) {
		return false, fmt.Errorf("unsupported schema version %q (this binary knows %q)", v, schemaVersion)
	}
	for _, name := range buckets() {
		if tx.Bucket(name) == nil {
			return false, fmt.Errorf("bucket %s missing: the file was written by an older version; open it read-write once", name)
		}
	}
	return string(v) == schemaVersion, nil
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
