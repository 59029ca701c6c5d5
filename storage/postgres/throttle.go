package postgres

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"time"

	"github.com/jackc/pgx/v5"

	"almanac/storage"
)

var _ storage.Throttle = (*Store)(nil)

// throttleLockSpace is the first key of the two-key advisory locks that
// serialize the attempts of one throttle key; the two-key space never
// meets migrationLock's one-key space.
const throttleLockSpace int32 = 0x7468726f // "thro"

// throttlePruneEvery is how often one server sweeps the rows of keys that
// nobody tried again; rows of keys tried again go at each failure.
const throttlePruneEvery = time.Minute

// lockKey is the second advisory lock key of a throttle key. Two keys
// sharing it only wait for each other a moment.
func lockKey(rule string, key []byte) int32 {
	h := fnv.New32a()
	h.Write([]byte(rule))
	h.Write([]byte{0})
	h.Write(key)
	return int32(h.Sum32())
}

// Each method runs as one pgx batch: the statements go in one round trip
// and run in one implicit transaction, the first taking the key's
// advisory lock until it commits. Under read committed every later
// statement reads after the lock was granted, so a count and the insert
// it allows are one step for every server.
const (
	lockSQL    = `SELECT pg_advisory_xact_lock($1, $2)`
	reserveSQL = `WITH live AS (
		SELECT failed, expires FROM throttle_attempts
		WHERE rule = $1 AND key = $2 AND expires > $3
	), n AS (SELECT count(*) AS n FROM live),
	ins AS (
		INSERT INTO throttle_attempts (rule, key, failed, expires)
		SELECT $1, $2, false, $4 FROM n WHERE n.n < $5
		RETURNING id
	)
	SELECT coalesce((SELECT id FROM ins), 0),
		(SELECT expires FROM live WHERE failed ORDER BY expires DESC OFFSET $5 - 1 LIMIT 1)`
	// failSQL records a failure and keeps at most limit of the key's:
	// only the newest limit decide when it is free again. Expired rows of
	// the key, holds included, go too.
	failSQL = `WITH live AS (
		SELECT id, expires FROM throttle_attempts
		WHERE rule = $1 AND key = $2 AND failed AND expires > $3
	), ins AS (
		INSERT INTO throttle_attempts (rule, key, failed, expires) VALUES ($1, $2, true, $4)
	), old AS (
		DELETE FROM throttle_attempts t WHERE t.rule = $1 AND t.key = $2
		AND (t.expires <= $3 OR t.id IN (SELECT id FROM live ORDER BY expires DESC OFFSET $5 - 1))
	)
	SELECT count(*) FROM live`
	waitSQL = `SELECT expires FROM throttle_attempts
		WHERE rule = $1 AND key = $2 AND failed AND expires > $3
		ORDER BY expires DESC OFFSET $4 - 1 LIMIT 1`
	pruneSQL = `DELETE FROM throttle_attempts WHERE id IN
		(SELECT id FROM throttle_attempts WHERE expires <= $1 LIMIT 10000)`
)

func checkRule(r storage.ThrottleRule) error {
	if r.Name == "" || r.Limit <= 0 || r.Window <= 0 {
		return fmt.Errorf("rule %q: needs a name, a positive limit and a positive window", r.Name)
	}
	return nil
}

// ReserveAttempt implements storage.Throttle.
func (s *Store) ReserveAttempt(ctx context.Context, r storage.ThrottleRule, key []byte, now time.Time) (int64, time.Duration, error) {
	if err := checkRule(r); err != nil {
		return 0, 0, wrap("reserve attempt", err)
	}
	n := now.UnixNano()
	b := &pgx.Batch{}
	b.Queue(lockSQL, throttleLockSpace, lockKey(r.Name, key))
	var hold int64
	var oldest *int64
	b.Queue(reserveSQL, r.Name, key, n, n+int64(storage.ThrottleHold), r.Limit).QueryRow(func(row pgx.Row) error {
		return row.Scan(&hold, &oldest)
	})
	if err := s.pool.SendBatch(ctx, b).Close(); err != nil {
		return 0, 0, wrap("reserve attempt", err)
	}
	if hold != 0 {
		return hold, 0, nil
	}
	if oldest == nil || *oldest <= n {
		// Refused only because of attempts still being checked.
		return 0, time.Second, nil
	}
	return 0, time.Duration(*oldest - n), nil
}

// ReleaseAttempt implements storage.Throttle.
func (s *Store) ReleaseAttempt(ctx context.Context, r storage.ThrottleRule, key []byte, hold int64, now time.Time, failed bool) (bool, error) {
	if err := checkRule(r); err != nil {
		return false, wrap("release attempt", err)
	}
	b := &pgx.Batch{}
	b.Queue(lockSQL, throttleLockSpace, lockKey(r.Name, key))
	b.Queue(`DELETE FROM throttle_attempts WHERE id = $1`, hold)
	var reached bool
	if failed {
		s.queueFailure(b, r, key, now, &reached)
	}
	if err := s.pool.SendBatch(ctx, b).Close(); err != nil {
		return false, wrap("release attempt", err)
	}
	if failed {
		s.pruneThrottle(ctx, now)
	}
	return reached, nil
}

// RecordFailure implements storage.Throttle.
func (s *Store) RecordFailure(ctx context.Context, r storage.ThrottleRule, key []byte, now time.Time) (bool, error) {
	if err := checkRule(r); err != nil {
		return false, wrap("record failure", err)
	}
	b := &pgx.Batch{}
	b.Queue(lockSQL, throttleLockSpace, lockKey(r.Name, key))
	var reached bool
	s.queueFailure(b, r, key, now, &reached)
	if err := s.pool.SendBatch(ctx, b).Close(); err != nil {
		return false, wrap("record failure", err)
	}
	s.pruneThrottle(ctx, now)
	return reached, nil
}

func (s *Store) queueFailure(b *pgx.Batch, r storage.ThrottleRule, key []byte, now time.Time, reached *bool) {
	n := now.UnixNano()
	b.Queue(failSQL, r.Name, key, n, n+int64(r.Window), r.Limit).QueryRow(func(row pgx.Row) error {
		var before int
		if err := row.Scan(&before); err != nil {
			return err
		}
		*reached = before == r.Limit-1
		return nil
	})
}

// ThrottleWait implements storage.Throttle: one round trip for all
// keys, read without a lock (a count that moves meanwhile is the next
// reservation's to settle).
func (s *Store) ThrottleWait(ctx context.Context, now time.Time, keys ...storage.ThrottleKey) ([]time.Duration, error) {
	n := now.UnixNano()
	out := make([]time.Duration, len(keys))
	b := &pgx.Batch{}
	for i, k := range keys {
		if err := checkRule(k.Rule); err != nil {
			return nil, wrap("throttle wait", err)
		}
		b.Queue(waitSQL, k.Rule.Name, k.Key, n, k.Rule.Limit).QueryRow(func(row pgx.Row) error {
			var oldest int64
			err := row.Scan(&oldest)
			if errors.Is(err, pgx.ErrNoRows) {
				return nil
			}
			out[i] = time.Duration(oldest - n)
			return err
		})
	}
	if len(keys) == 0 {
		return out, nil
	}
	if err := s.pool.SendBatch(ctx, b).Close(); err != nil {
		return nil, wrap("throttle wait", err)
	}
	return out, nil
}

// pruneThrottle drops expired rows of every key, at most once per
// throttlePruneEvery per server, after a failure was recorded: keys that
// are never tried again would otherwise stay. Its failure is not the
// caller's: the next one tries again.
func (s *Store) pruneThrottle(ctx context.Context, now time.Time) {
	n := now.UnixNano()
	last := s.throttlePruned.Load()
	if n-last < int64(throttlePruneEvery) && n >= last || !s.throttlePruned.CompareAndSwap(last, n) {
		return
	}
	s.pool.Exec(ctx, pruneSQL, n)
}
