package bolt

import (
	"bytes"
	"context"
	"fmt"
	"time"

	"almanac/storage"

	"go.etcd.io/bbolt"
)

// A pass of PruneChanges works through the collections in chunks. A read
// transaction finds, for each collection of a chunk, its horizon: the
// newest change that, like every change before it, was written before the
// cutoff. Write transactions then drop the tombstones up to the horizons
// and raise Pruned, each examining a bounded number of records, so
// neither a store of many collections nor one collection with a long
// history holds the write lock for long. Between the phases writers only
// add changes above the horizon (their sequence is higher) or delete
// records, so a horizon found in the read stays right.
var (
	// pruneScanColls is how many collections one read transaction
	// examines.
	pruneScanColls = 256
	// pruneTxRecords is how many change records one write transaction
	// examines at most; each may be a tombstone to delete. 1024 keeps a
	// transaction to a few PUT commits (doc.go); larger ones cost the
	// same in total but hold writers up longer.
	pruneTxRecords = 1024
)

// collRef names a collection, the position a pass resumes from.
type collRef struct{ owner, name string }

// pruneTarget is a collection whose Pruned may move up to horizon.
type pruneTarget struct {
	collRef
	incarnation string
	from        uint64 // Pruned when scanned
	horizon     uint64
}

// PruneChanges forgets the history written before cutoff in every
// collection (storage.Store). Live members keep their change records:
// they are bounded by the collection's size and never read again below
// Pruned, and leaving them makes a pass write only the garbage it drops.
func (db *DB) PruneChanges(ctx context.Context, cutoff time.Time) (storage.PruneStats, error) {
	const op = "prune changes"
	var (
		stats storage.PruneStats
		after *collRef
	)
	for {
		if err := ctxErr(ctx, op); err != nil {
			return stats, err
		}
		var (
			todo []pruneTarget
			next *collRef
		)
		err := db.bdb.View(func(tx *bbolt.Tx) error {
			var err error
			todo, next, err = pruneScan(tx, after, cutoff)
			return err
		})
		if err != nil {
			return stats, wrap(op, err)
		}
		for len(todo) > 0 {
			if err := ctxErr(ctx, op); err != nil {
				return stats, err
			}
			if todo, err = db.pruneApply(todo, &stats); err != nil {
				return stats, wrap(op, err)
			}
		}
		if next == nil {
			return stats, nil
		}
		after = next
	}
}

// pruneScan visits up to pruneScanColls collections after the position
// after (nil: from the first) and returns those whose Pruned can move,
// and the position to resume from, nil when all were visited.
func pruneScan(tx *bbolt.Tx, after *collRef, cutoff time.Time) ([]pruneTarget, *collRef, error) {
	var (
		todo []pruneTarget
		last collRef
		seen int
	)
	root := tx.Bucket(bucketCollections)
	oc := root.Cursor()
	ok, _ := oc.First()
	if after != nil {
		ok, _ = oc.Seek([]byte(after.owner))
	}
	for ; ok != nil; ok, _ = oc.Next() {
		ob := root.Bucket(ok)
		if ob == nil {
			return nil, nil, fmt.Errorf("collections/%s: not a bucket: %w", ok, errCorrupt)
		}
		nc := ob.Cursor()
		nk, _ := nc.First()
		if after != nil && string(ok) == after.owner {
			nk, _ = seekAfter(nc, []byte(after.name))
		}
		for ; nk != nil; nk, _ = nc.Next() {
			if seen == pruneScanColls {
				return todo, &last, nil
			}
			seen++
			last = collRef{string(ok), string(nk)}
			c, err := loadColl(tx, last.owner, last.name)
			if err != nil {
				return nil, nil, err
			}
			h, err := c.pruneHorizon(cutoff)
			if err != nil {
				return nil, nil, fmt.Errorf("collection %s/%s: %w", last.owner, last.name, err)
			}
			if h > c.st.pruned {
				todo = append(todo, pruneTarget{collRef: last, incarnation: c.st.incarnation, from: c.st.pruned, horizon: h})
			}
		}
	}
	return todo, nil, nil
}

// pruneHorizon returns how far c's Pruned may move for cutoff: to the
// newest change in the log that, like every change before it, was written
// before cutoff. Only records above Pruned are read, so a pass reads what
// was written since the last one.
//
// Records written before records carried their time are dated by what
// else is known: a live member's by its Modified, which the same write
// set; a tombstone as no later than the next dated change or, at the end
// of the log, the collection's Modified. Such a store needs no migration,
// and a tombstone is never taken for older than it can be.
func (c *collTx) pruneHorizon(cutoff time.Time) (uint64, error) {
	h := c.st.pruned
	cur := c.changes.Cursor()
	for k, v := cur.Seek(seqKey(c.st.pruned + 1)); k != nil; k, v = cur.Next() {
		rec, err := decodeChange(v)
		if err != nil {
			return 0, err
		}
		seq, when := keySeq(k), rec.when
		if when.IsZero() {
			if rec.deleted {
				continue
			}
			m, err := c.liveMeta(rec.name, seq)
			if err != nil {
				return 0, err
			}
			when = m.Modified
		}
		if !when.Before(cutoff) {
			return h, nil
		}
		h = seq
	}
	if c.st.modified.Before(cutoff) {
		h = c.st.seq
	}
	return h, nil
}

// pruneApply works through todo in one write transaction that examines at
// most pruneTxRecords change records, and returns what is left of it.
func (db *DB) pruneApply(todo []pruneTarget, stats *storage.PruneStats) ([]pruneTarget, error) {
	var (
		left         []pruneTarget
		moved, tombs int
	)
	err := db.commit.update(func(tx *bbolt.Tx) error {
		left, moved, tombs = todo, 0, 0
		budget := pruneTxRecords
		for len(left) > 0 && budget > 0 {
			t := left[0]
			c, err := loadColl(tx, t.owner, t.name)
			if err != nil {
				return err
			}
			// Deleted, or deleted and made again, since the scan: the
			// horizon was another collection's.
			if c == nil || c.st.incarnation != t.incarnation {
				left = left[1:]
				continue
			}
			dropped, examined, done, err := c.pruneTo(t.horizon, budget)
			if err != nil {
				return fmt.Errorf("collection %s/%s: %w", t.owner, t.name, err)
			}
			budget -= examined
			tombs += dropped
			if done {
				if c.st.pruned > t.from {
					moved++
				}
				left = left[1:]
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	stats.Collections += moved
	stats.Tombstones += tombs
	return left, nil
}

// pruneTo drops c's tombstones above Pruned up to horizon (clamped to
// Seq) and raises Pruned, examining at most budget records. It returns
// how many tombstones it dropped and records it examined, and whether
// Pruned reached horizon; short of it, Pruned stops below the first
// record left unexamined, so every position from it on stays exact.
func (c *collTx) pruneTo(horizon uint64, budget int) (dropped, examined int, done bool, err error) {
	horizon = min(horizon, c.st.seq)
	if horizon <= c.st.pruned {
		return 0, 0, true, nil
	}
	reached := horizon
	// Deleting under a bbolt cursor can skip the next key, so the keys
	// are collected (copied, as deletes rewrite nodes) first.
	var keys, names [][]byte
	cur := c.changes.Cursor()
	for k, v := cur.Seek(seqKey(c.st.pruned + 1)); k != nil && keySeq(k) <= horizon; k, v = cur.Next() {
		if examined == budget {
			reached = keySeq(k) - 1
			break
		}
		examined++
		rec, err := decodeChange(v)
		if err != nil {
			return 0, 0, false, err
		}
		if rec.deleted {
			keys = append(keys, bytes.Clone(k))
			names = append(names, []byte(rec.name))
		}
	}
	for i, k := range keys {
		if t := c.tombs.Get(names[i]); len(t) != 8 || keySeq(t) != keySeq(k) {
			return 0, 0, false, fmt.Errorf("tombstone %d for %q disagrees with tombs: %w", keySeq(k), names[i], errCorrupt)
		}
		if err := c.tombs.Delete(names[i]); err != nil {
			return 0, 0, false, err
		}
		if err := c.changes.Delete(k); err != nil {
			return 0, 0, false, err
		}
	}
	c.st.pruned = max(c.st.pruned, reached)
	if err := c.save(); err != nil {
		return 0, 0, false, err
	}
	return len(keys), examined, reached == horizon, nil
}
