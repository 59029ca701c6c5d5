package bolt

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"sync"

	"almanac/storage"

	"go.etcd.io/bbolt"
)

// Backend is the name of this backend's snapshot format
// (storage.SnapshotInfo.Backend): a bbolt database file.
const Backend = "bolt"

// initialMmapSize is mapped at Open whatever the file's size. bbolt
// remaps the file when it outgrows its mapping, and a remap waits for
// every read transaction to end: with a small mapping, a write that grows
// the file during a snapshot (or a check) would wait for the whole copy.
// Below this size the file never needs a remap. The mapping is address
// space, not memory: pages are read in as they are touched, so a small
// database costs no more than before. 32-bit builds, short of address
// space, keep bbolt's default.
const initialMmapSize = 1 << 30

// mmapSize is the InitialMmapSize Open asks bbolt for: none for a
// read-only file, which has no writers to hold up.
func mmapSize(readOnly bool) int {
	if readOnly || strconv.IntSize < 64 {
		return 0
	}
	return initialMmapSize
}

// snapshot is an open read transaction: bbolt keeps every page it sees
// from reuse until it ends, so Tx.WriteTo copies exactly that state
// while writers commit around it.
type snapshot struct {
	tx   *bbolt.Tx
	info storage.SnapshotInfo
	once sync.Once
	err  error
}

// Snapshot begins a read transaction and counts what it holds; WriteTo
// writes the file as that transaction sees it (bbolt's Tx.WriteTo), with
// meta pages rewritten for it, so the copy opens as the database was.
func (db *DB) Snapshot(ctx context.Context) (storage.Snapshot, error) {
	const op = "snapshot"
	if err := ctxErr(ctx, op); err != nil {
		return nil, err
	}
	tx, err := db.bdb.Begin(false)
	if err != nil {
		return nil, wrap(op, err)
	}
	info, err := snapshotInfo(tx)
	if err != nil {
		tx.Rollback()
		return nil, wrap(op, err)
	}
	return &snapshot{tx: tx, info: info}, nil
}

// snapshotInfo counts accounts, collections and objects in tx.
func snapshotInfo(tx *bbolt.Tx) (storage.SnapshotInfo, error) {
	info := storage.SnapshotInfo{Backend: Backend, Size: tx.Size()}
	if sb := tx.Bucket(bucketSchema); sb != nil {
		info.Schema = string(sb.Get(keyVersion))
	}
	if b := tx.Bucket(bucketAccounts); b != nil {
		info.Accounts = b.Stats().KeyN
	}
	err := eachCollection(tx, func(_, _ []byte, b *bbolt.Bucket) error {
		info.Collections++
		if m := b.Bucket(bucketMeta); m != nil {
			info.Objects += m.Stats().KeyN
		}
		return nil
	})
	if err != nil {
		return info, fmt.Errorf("count objects: %w", err)
	}
	return info, nil
}

func (s *snapshot) Info() storage.SnapshotInfo { return s.info }

func (s *snapshot) WriteTo(w io.Writer) (int64, error) {
	rw := &recordingWriter{w: w}
	n, err := s.tx.WriteTo(rw)
	if err != nil {
		// bbolt formats a failed meta page write with %s, which would
		// hide the writer's error (a cancelled context) from errors.Is.
		if rw.err != nil {
			err = rw.err
		}
		return n, wrap("write snapshot", err)
	}
	return n, nil
}

// recordingWriter remembers the first error of w.
type recordingWriter struct {
	w   io.Writer
	err error
}

func (r *recordingWriter) Write(p []byte) (int, error) {
	n, err := r.w.Write(p)
	if err != nil && r.err == nil {
		r.err = err
	}
	return n, err
}

func (s *snapshot) Close() error {
	s.once.Do(func() { s.err = wrap("close snapshot", s.tx.Rollback()) })
	return s.err
}
