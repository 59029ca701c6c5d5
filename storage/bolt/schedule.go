package bolt

import (
	"context"
	"errors"
	"fmt"
	"time"

	"almanac/storage"

	"go.etcd.io/bbolt"
)

// errBatchFailed rolls a WriteBatch transaction back when one of its ops
// fails; the op's own error is reported through the closure. The group
// commit then runs the batch alone, as it does for any failing writer,
// and that run's outcome is the one returned.
var errBatchFailed = errors.New("batch op failed")

// WriteBatch applies ops in one transaction through the group commit:
// every op's checks and writes as Put and Delete make them, each seeing
// the ops before it, or nothing at all.
func (db *DB) WriteBatch(ctx context.Context, ops []storage.BatchOp) ([]storage.BatchResult, error) {
	const op = "write batch"
	if err := ctxErr(ctx, op); err != nil {
		return nil, err
	}
	if len(ops) == 0 {
		return nil, nil
	}
	type prepared struct {
		put        *storage.PutObject
		data       []byte
		etag       string
		del        *storage.DeleteObject
		owner      string
		collection string
		name       string
	}
	prep := make([]prepared, len(ops))
	for i, o := range ops {
		p := &prep[i]
		switch {
		case o.Put != nil:
			p.put, p.owner, p.collection, p.name = o.Put, o.Put.Owner, o.Put.Collection, o.Put.Name
			if len(o.Put.UID) > bbolt.MaxKeySize {
				return nil, wrap(op, fmt.Errorf("op %d: uid longer than %d bytes", i, bbolt.MaxKeySize))
			}
			// bbolt keeps references to values until commit.
			p.data = append(make([]byte, 0, len(o.Put.Data)), o.Put.Data...)
			p.etag = storage.ETagOf(p.data)
		case o.Delete != nil:
			p.del, p.owner, p.collection, p.name = o.Delete, o.Delete.Owner, o.Delete.Collection, o.Delete.Name
		default:
			return nil, wrap(op, fmt.Errorf("op %d: neither a put nor a delete", i))
		}
		for _, k := range [...][2]string{{"owner", p.owner}, {"collection name", p.collection}, {"object name", p.name}} {
			if err := checkKey(k[0], k[1]); err != nil {
				return nil, wrap(op, fmt.Errorf("op %d: %w", i, err))
			}
		}
	}

	var (
		results []storage.BatchResult
		failed  *storage.BatchError
	)
	err := db.write(func(tx *bbolt.Tx) error {
		results, failed = make([]storage.BatchResult, len(prep)), nil
		now := time.Now().UTC()
		for i := range prep {
			p := &prep[i]
			var opFailed, err error
			if p.put != nil {
				results[i].Meta, results[i].Created, opFailed, err = putTx(tx, p.put, p.data, p.etag, now)
			} else {
				opFailed, err = deleteTx(tx, p.owner, p.collection, p.name, p.del.If, now)
			}
			if err != nil {
				return err
			}
			if opFailed != nil {
				failed = &storage.BatchError{Index: i, Err: opFailed}
				return errBatchFailed
			}
		}
		return nil
	})
	if errors.Is(err, errBatchFailed) && failed != nil {
		return nil, wrap(op, failed)
	}
	if err != nil {
		return nil, wrap(op, err)
	}
	return results, nil
}

// FindUID looks uid up in the UID index of each of owner's collections.
func (db *DB) FindUID(ctx context.Context, owner, uid string) ([]storage.UIDMatch, error) {
	const op = "find uid"
	if err := ctxErr(ctx, op); err != nil {
		return nil, err
	}
	var out []storage.UIDMatch
	err := db.bdb.View(func(tx *bbolt.Tx) error {
		if tx.Bucket(bucketAccounts).Get([]byte(owner)) == nil {
			return fmt.Errorf("account %q: %w", owner, storage.ErrNotFound)
		}
		ob := tx.Bucket(bucketCollections).Bucket([]byte(owner))
		if ob == nil || uid == "" || len(uid) > bbolt.MaxKeySize {
			return nil
		}
		return ob.ForEach(func(k, v []byte) error {
			if v != nil {
				return nil
			}
			name := string(k)
			c, err := loadColl(tx, owner, name)
			if err != nil {
				return err
			}
			holder := c.uidHolder(uid)
			if holder == "" {
				return nil
			}
			m, err := c.stat(holder)
			if err != nil {
				return err
			}
			if m == nil {
				return fmt.Errorf("collection %s/%s: uid index names missing %q: %w", owner, name, holder, errCorrupt)
			}
			info, err := readInfo(c.b)
			if err != nil {
				return fmt.Errorf("collection %s/%s: %w", owner, name, err)
			}
			out = append(out, storage.UIDMatch{Collection: name, Kind: info.Kind, Meta: *m})
			return nil
		})
	})
	if err != nil {
		return nil, wrap(op, err)
	}
	return out, nil
}
