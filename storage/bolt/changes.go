package bolt

import (
	"bytes"
	"context"
	"fmt"
	"slices"

	"almanac/storage"

	"go.etcd.io/bbolt"
)

// Changes reports what changed in a collection after since.
//
// Incremental sync (since > 0) seeks the change log to since+1 and walks
// forward; the log holds one record per member name, so the cost follows
// the number of changes returned, not the collection size.
//
// since == 0 is the initial sync and lists the live members, in sequence
// order so a truncated answer can be continued from the returned position.
// If the collection has been pruned, a truncated initial page is extended
// up to the pruned horizon, because a position below it could not be
// continued from.
func (db *DB) Changes(ctx context.Context, owner, coll, incarnation string, since uint64, limit int) ([]storage.Change, uint64, bool, error) {
	const op = "changes"
	if err := ctxErr(ctx, op); err != nil {
		return nil, 0, false, err
	}
	var (
		out       []storage.Change
		reached   uint64
		truncated bool
	)
	err := db.viewColl(owner, coll, func(c *collTx) error {
		st := c.st
		if incarnation != st.incarnation || since > st.seq || (since != 0 && since < st.pruned) {
			return fmt.Errorf("position %s/%d of %s/%s (at %s/%d, pruned %d): %w",
				incarnation, since, owner, coll, st.incarnation, st.seq, st.pruned, storage.ErrInvalidSyncToken)
		}
		if since == 0 {
			var err error
			out, reached, truncated, err = initialChanges(c, limit)
			return err
		}
		reached = st.seq
		cur := c.changes.Cursor()
		for k, v := cur.Seek(seqKey(since + 1)); k != nil; k, v = cur.Next() {
			if limit > 0 && len(out) == limit {
				truncated = true
				reached = out[len(out)-1].Seq
				break
			}
			name, deleted, err := decodeChange(v)
			if err != nil {
				return err
			}
			ch := storage.Change{Name: name, Seq: keySeq(k), Deleted: deleted}
			if !deleted {
				m, err := c.stat(name)
				if err != nil {
					return err
				}
				if m == nil || m.Seq != ch.Seq {
					return fmt.Errorf("change %d for %q disagrees with its object: %w", ch.Seq, name, errCorrupt)
				}
				ch.ETag = m.ETag
			}
			out = append(out, ch)
		}
		return nil
	})
	if err != nil {
		return nil, 0, false, wrap(op, err)
	}
	return out, reached, truncated, nil
}

func initialChanges(c *collTx, limit int) ([]storage.Change, uint64, bool, error) {
	var out []storage.Change
	err := c.meta.ForEach(func(k, v []byte) error {
		m, err := decodeMeta(k, v)
		if err != nil {
			return err
		}
		out = append(out, storage.Change{Name: m.Name, Seq: m.Seq, ETag: m.ETag})
		return nil
	})
	if err != nil {
		return nil, 0, false, err
	}
	slices.SortFunc(out, func(a, b storage.Change) int {
		switch {
		case a.Seq < b.Seq:
			return -1
		case a.Seq > b.Seq:
			return 1
		}
		return 0
	})
	if limit <= 0 || len(out) <= limit {
		return out, c.st.seq, false, nil
	}
	n := limit
	for n < len(out) && out[n-1].Seq < c.st.pruned {
		n++
	}
	if n == len(out) {
		return out, c.st.seq, false, nil
	}
	return out[:n], out[n-1].Seq, true, nil
}

// PruneChanges forgets the change log up to and including horizon
// (clamped to the collection's Seq) and raises Pruned to it: tombstones
// and change records at or below it are dropped, and sync positions below
// it fail with storage.ErrInvalidSyncToken from then on. Live objects are
// unaffected, and an initial sync still lists all of them. A horizon at or
// below the current Pruned changes nothing. The work is proportional to the
// number of records dropped.
func (db *DB) PruneChanges(ctx context.Context, owner, coll string, horizon uint64) error {
	const op = "prune changes"
	if err := ctxErr(ctx, op); err != nil {
		return err
	}
	var dropped int
	err := db.bdb.Update(func(tx *bbolt.Tx) error {
		c, err := loadColl(tx, owner, coll)
		if err != nil {
			return err
		}
		if c == nil {
			return notFoundColl(owner, coll)
		}
		horizon = min(horizon, c.st.seq)
		if horizon <= c.st.pruned {
			return nil
		}
		// Deleting under a bbolt cursor can skip the next key, so the
		// keys are collected (copied, as deletes rewrite nodes) first.
		var keys, tombs [][]byte
		cur := c.changes.Cursor()
		for k, v := cur.First(); k != nil && keySeq(k) <= horizon; k, v = cur.Next() {
			keys = append(keys, bytes.Clone(k))
			name, deleted, err := decodeChange(v)
			if err != nil {
				return err
			}
			if deleted {
				tombs = append(tombs, []byte(name))
			}
		}
		for _, name := range tombs {
			if err := c.tombs.Delete(name); err != nil {
				return err
			}
		}
		for _, k := range keys {
			if err := c.changes.Delete(k); err != nil {
				return err
			}
		}
		dropped = len(keys)
		c.st.pruned = horizon
		return c.save()
	})
	if err != nil {
		return wrap(op, err)
	}
	db.log.Info("pruned change log", "owner", owner, "collection", coll, "horizon", horizon, "dropped", dropped)
	return nil
}
