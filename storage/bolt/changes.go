package bolt

import (
	"context"
	"fmt"
	"slices"

	"almanac/storage"
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
			rec, err := decodeChange(v)
			if err != nil {
				return err
			}
			ch := storage.Change{Name: rec.name, Seq: keySeq(k), Deleted: rec.deleted}
			if !rec.deleted {
				m, err := c.liveMeta(rec.name, ch.Seq)
				if err != nil {
					return err
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

// liveMeta returns the metadata of the live member name whose change
// record is at seq; a record its member does not confirm is corruption.
func (c *collTx) liveMeta(name string, seq uint64) (*storage.ObjectMeta, error) {
	m, err := c.stat(name)
	if err != nil {
		return nil, err
	}
	if m == nil || m.Seq != seq {
		return nil, fmt.Errorf("change %d for %q disagrees with its object: %w", seq, name, errCorrupt)
	}
	return m, nil
}
