package bolt

import (
	"context"
	"encoding/json"
	"fmt"

	"go.etcd.io/bbolt"
)

// The scaffolding of the methods on the small JSON records (accounts,
// links, grants, security, mail): the context check, a transaction and
// the error prefix, and the record access they share. These helpers use
// bbolt's own transactions; the hot object writes go through db.write
// (the group commit) and do not use them.

// view runs fn in a read transaction after the context check, prefixing
// an error with op. On error the result is T's zero value.
func view[T any](db *DB, ctx context.Context, op string, fn func(tx *bbolt.Tx) (T, error)) (T, error) {
	return inTx(db.bdb.View, ctx, op, fn)
}

// update is view for a write transaction (bbolt's Update).
func update[T any](db *DB, ctx context.Context, op string, fn func(tx *bbolt.Tx) (T, error)) (T, error) {
	return inTx(db.commit.update, ctx, op, fn)
}

func inTx[T any](run func(func(*bbolt.Tx) error) error, ctx context.Context, op string, fn func(tx *bbolt.Tx) (T, error)) (T, error) {
	var out T
	if err := ctxErr(ctx, op); err != nil {
		return out, err
	}
	err := run(func(tx *bbolt.Tx) error {
		var err error
		out, err = fn(tx)
		return err
	})
	if err != nil {
		var zero T
		return zero, wrap(op, err)
	}
	return out, nil
}

// exec runs fn in a write transaction (bbolt's Update) after the context
// check, prefixing an error with op.
func (db *DB) exec(ctx context.Context, op string, fn func(tx *bbolt.Tx) error) error {
	if err := ctxErr(ctx, op); err != nil {
		return err
	}
	return db.execChecked(op, fn)
}

// execChecked is exec for a method that has checked the context itself,
// before validating its arguments.
func (db *DB) execChecked(op string, fn func(tx *bbolt.Tx) error) error {
	return wrap(op, db.commit.update(fn))
}

// getJSON decodes the value of key in b into a new T, nil when b or the
// key is missing. A decoding error is prefixed with what.
func getJSON[T any](b *bbolt.Bucket, key, what string) (*T, error) {
	if b == nil {
		return nil, nil
	}
	v := b.Get([]byte(key))
	if v == nil {
		return nil, nil
	}
	var r T
	if err := json.Unmarshal(v, &r); err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	return &r, nil
}

func putJSON(b *bbolt.Bucket, key string, rec any) error {
	v, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	return b.Put([]byte(key), v)
}

// eachJSON decodes the values of b (nil: none) in key order and passes
// each with its key to fn. what names an entry in errors; a nested bucket
// is errCorrupt.
func eachJSON[T any](b *bbolt.Bucket, what func(k []byte) string, fn func(k []byte, r *T) error) error {
	if b == nil {
		return nil
	}
	return b.ForEach(func(k, v []byte) error {
		if v == nil {
			return fmt.Errorf("%s: nested bucket: %w", what(k), errCorrupt)
		}
		var r T
		if err := json.Unmarshal(v, &r); err != nil {
			return fmt.Errorf("%s: %w", what(k), err)
		}
		return fn(k, &r)
	})
}

// appendIndexed walks the keys of an index, in order, loading the record
// of each with get and appending conv of it to out. A key whose record is
// missing, or is not one of the index's own (belongs, when not nil), is
// errCorrupt, named "<what> <parent>/<key>".
func appendIndexed[R, T any](out []T, keys []string, what, parent string, get func(key string) (*R, error), belongs func(*R) bool, conv func(*R) *T) ([]T, error) {
	for _, k := range keys {
		r, err := get(k)
		if err != nil {
			return out, err
		}
		if r == nil || belongs != nil && !belongs(r) {
			return out, fmt.Errorf("%s %s/%s: %w", what, parent, k, errCorrupt)
		}
		out = append(out, *conv(r))
	}
	return out, nil
}
