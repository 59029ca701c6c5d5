package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"almanac/storage"
)

var _ storage.Stash = (*Store)(nil)

// stashLock is the transaction advisory lock (two-key form, apart from
// the throttle's keys) under which PutStash counts and makes room, so
// that two servers storing at once stay within the bound together.
var stashLock = [2]int32{throttleLockSpace, -1}

const (
	// stashEvictSQL drops the values expiring first until the newest
	// ones and the new value ($2 bytes) fit in $1 bytes.
	stashEvictSQL = `DELETE FROM stash WHERE key IN (
		SELECT key FROM (SELECT key, sum(octet_length(value)) OVER (ORDER BY expires DESC, key) AS kept FROM stash) k
		WHERE kept > $1::bigint - $2::bigint)`
	stashPutSQL = `INSERT INTO stash (key, tag, value, expires) VALUES ($1, $2, $3, $4)`
)

// PutStash implements storage.Stash: one batch, one round trip and one
// implicit transaction, under stashLock.
func (s *Store) PutStash(ctx context.Context, key string, tag, value []byte, now, expires time.Time, maxBytes int64) error {
	b := &pgx.Batch{}
	b.Queue(`SELECT pg_advisory_xact_lock($1, $2)`, stashLock[0], stashLock[1])
	b.Queue(`DELETE FROM stash WHERE key = $1 OR expires <= $2`, key, now.UnixNano())
	b.Queue(stashEvictSQL, maxBytes, int64(len(value)))
	b.Queue(stashPutSQL, key, tag, value, expires.UnixNano())
	if err := s.pool.SendBatch(ctx, b).Close(); err != nil {
		return wrap("put stash", err)
	}
	return nil
}

// TakeStash implements storage.Stash.
func (s *Store) TakeStash(ctx context.Context, key string, tag []byte, now time.Time) ([]byte, error) {
	var value []byte
	err := s.pool.QueryRow(ctx, `DELETE FROM stash WHERE key = $1 AND tag = $2 AND expires > $3 RETURNING value`,
		key, tag, now.UnixNano()).Scan(&value)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, storage.ErrNotFound
	}
	if err != nil {
		return nil, wrap("take stash", err)
	}
	return value, nil
}
