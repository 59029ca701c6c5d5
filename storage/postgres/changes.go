package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"almanac/storage"
)

// Changes reads the collection and its log in one snapshot. Incremental
// sync (since > 0) is an index range scan on (collection, seq); the
// initial sync (since 0) lists the live members in sequence order, so a
// truncated answer can be continued, extended up to Pruned as in the
// bbolt backend, since a position below it could not be.
func (s *Store) Changes(ctx context.Context, owner, collName, incarnation string, since uint64, limit int) ([]storage.Change, uint64, bool, error) {
	var (
		out       []storage.Change
		reached   uint64
		truncated bool
	)
	err := s.read(ctx, func(tx pgx.Tx) error {
		c, err := readColl(ctx, tx, owner, collName, false)
		if err != nil {
			return err
		}
		if incarnation != c.Incarnation || since > c.Seq || (since != 0 && since < c.Pruned) {
			return fmt.Errorf("position %s/%d of %s/%s (at %s/%d, pruned %d): %w",
				incarnation, since, owner, collName, c.Incarnation, c.Seq, c.Pruned, storage.ErrInvalidSyncToken)
		}
		var rows pgx.Rows
		if since == 0 {
			rows, err = tx.Query(ctx, `SELECT name, seq, false, etag FROM objects WHERE collection = $1 ORDER BY seq`, c.id)
		} else {
			rows, err = tx.Query(ctx, `SELECT ch.name, ch.seq, ch.deleted, coalesce(o.etag, '')
				FROM changes ch LEFT JOIN objects o ON o.collection = ch.collection AND o.name = ch.name AND NOT ch.deleted
				WHERE ch.collection = $1 AND ch.seq > $2 ORDER BY ch.seq`, c.id, int64(since))
		}
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var ch storage.Change
			var seq int64
			if err := rows.Scan(&ch.Name, &seq, &ch.Deleted, &ch.ETag); err != nil {
				return err
			}
			ch.Seq = uint64(seq)
			out = append(out, ch)
		}
		if err := rows.Err(); err != nil {
			return err
		}
		reached = c.Seq
		if limit <= 0 || len(out) <= limit {
			return nil
		}
		n := limit
		if since == 0 {
			for n < len(out) && out[n-1].Seq < c.Pruned {
				n++
			}
			if n == len(out) {
				return nil
			}
		}
		out, reached, truncated = out[:n], out[n-1].Seq, true
		return nil
	})
	if err != nil {
		return nil, 0, false, wrap("changes", err)
	}
	return out, reached, truncated, nil
}

// PruneChanges works one collection per transaction under its row
// lock: the horizon is the newest record written before cutoff below
// the oldest record written at or after it; Pruned moves up to it and
// the tombstones at or below it go. cutoff is rounded up to the
// microsecond timestamptz keeps, so that a change written before it
// (at a finer instant) still compares as before it.
func (s *Store) PruneChanges(ctx context.Context, cutoff time.Time) (storage.PruneStats, error) {
	const op = "prune changes"
	var st storage.PruneStats
	if c := cutoff.Truncate(time.Microsecond); !c.Equal(cutoff) {
		cutoff = c.Add(time.Microsecond)
	}
	var ids []int64
	rows, err := s.pool.Query(ctx, `SELECT id FROM collections ORDER BY id`)
	if err != nil {
		return st, wrap(op, err)
	}
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return st, wrap(op, err)
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		return st, wrap(op, err)
	}
	for _, id := range ids {
		err := s.tx(ctx, func(tx pgx.Tx) error {
			var pruned int64
			err := tx.QueryRow(ctx, `SELECT pruned FROM collections WHERE id = $1 FOR UPDATE`, id).Scan(&pruned)
			if err == pgx.ErrNoRows {
				return nil // deleted meanwhile
			}
			if err != nil {
				return err
			}
			var horizon *int64
			err = tx.QueryRow(ctx, `SELECT max(seq) FROM changes WHERE collection = $1 AND written < $2
				AND seq < coalesce((SELECT min(seq) FROM changes WHERE collection = $1 AND written >= $2), 9223372036854775807)`,
				id, cutoff).Scan(&horizon)
			if err != nil {
				return err
			}
			if horizon == nil || *horizon <= pruned {
				return nil
			}
			if _, err := tx.Exec(ctx, `UPDATE collections SET pruned = $2 WHERE id = $1`, id, *horizon); err != nil {
				return err
			}
			tag, err := tx.Exec(ctx, `DELETE FROM changes WHERE collection = $1 AND deleted AND seq <= $2`, id, *horizon)
			if err != nil {
				return err
			}
			st.Collections++
			st.Tombstones += int(tag.RowsAffected())
			return nil
		})
		if err != nil {
			return st, wrap(op, err)
		}
	}
	return st, nil
}
