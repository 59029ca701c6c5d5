package bolt

import (
	"context"
	"fmt"
	"time"

	"go.etcd.io/bbolt"

	"almanac/storage"
)

// PutBatch stores puts in one transaction, all or none. Every check runs
// before the first write: the transaction is shared with other writers
// (group commit), and a domain failure must leave it untouched so that
// theirs still commit. Puts are checked against the state before the
// batch, which is why two of them may not name one object or carry one
// UID into one collection: the second would have to see the first.
func (db *DB) PutBatch(ctx context.Context, puts []storage.PutObject) ([]storage.PutResult, error) {
	const op = "put batch"
	if err := ctxErr(ctx, op); err != nil {
		return nil, err
	}
	if len(puts) == 0 {
		return nil, nil
	}
	type collKey struct{ owner, coll string }
	type objKey struct{ owner, coll, name string }
	type uidKey struct{ owner, coll, uid string }
	names := make(map[objKey]int, len(puts))
	uids := make(map[uidKey]int, len(puts))
	data := make([][]byte, len(puts))
	for i, p := range puts {
		for _, k := range [...][2]string{{"owner", p.Owner}, {"collection name", p.Collection}, {"object name", p.Name}} {
			if err := checkKey(k[0], k[1]); err != nil {
				return nil, wrap(op, fmt.Errorf("put %d: %w", i, err))
			}
		}
		if len(p.UID) > bbolt.MaxKeySize {
			return nil, wrap(op, fmt.Errorf("put %d: uid longer than %d bytes", i, bbolt.MaxKeySize))
		}
		ok := objKey{p.Owner, p.Collection, p.Name}
		if j, dup := names[ok]; dup {
			return nil, wrap(op, fmt.Errorf("puts %d and %d both write %s/%s/%s", j, i, p.Owner, p.Collection, p.Name))
		}
		names[ok] = i
		if p.UID != "" {
			uk := uidKey{p.Owner, p.Collection, p.UID}
			if j, dup := uids[uk]; dup {
				return nil, wrap(op, fmt.Errorf("puts %d and %d both carry uid %q into %s/%s", j, i, p.UID, p.Owner, p.Collection))
			}
			uids[uk] = i
		}
		// Our own copies, as Put makes: bbolt keeps references to values
		// until commit.
		data[i] = append([]byte(nil), p.Data...)
	}

	var (
		results []storage.PutResult
		failed  error
	)
	err := db.write(func(tx *bbolt.Tx) error {
		results, failed = nil, nil
		colls := map[collKey]*collTx{}
		olds := make([]*storage.ObjectMeta, len(puts))
		for i, p := range puts {
			ck := collKey{p.Owner, p.Collection}
			c, seen := colls[ck]
			if !seen {
				var err error
				if c, err = loadColl(tx, p.Owner, p.Collection); err != nil {
					return err
				}
				if c == nil {
					failed = putFailed(i, p, notFoundColl(p.Owner, p.Collection))
					return nil
				}
				colls[ck] = c
			}
			old, err := c.stat(p.Name)
			if err != nil {
				return err
			}
			olds[i] = old
			var oldETag string
			if old != nil {
				oldETag = old.ETag
			}
			if p.If != nil && !p.If(old != nil, oldETag) {
				failed = putFailed(i, p, storage.ErrPreconditionFailed)
				return nil
			}
			if old != nil {
				if err := storage.CheckUIDChange(p.Name, old.UID, p.UID); err != nil {
					failed = putFailed(i, p, err)
					return nil
				}
			}
			if h := c.uidHolder(p.UID); h != "" && h != p.Name {
				// The holder may be given up by another put of the batch
				// only by a UID change, which that put's own check refuses.
				failed = putFailed(i, p, &storage.UIDConflictError{UID: p.UID, Name: h})
				return nil
			}
		}
		now := time.Now().UTC()
		out := make([]storage.PutResult, len(puts))
		for i, p := range puts {
			m := &storage.ObjectMeta{
				Name:        p.Name,
				UID:         p.UID,
				Component:   p.Component,
				ContentType: p.ContentType,
				ETag:        storage.ETagOf(data[i]),
				Size:        int64(len(data[i])),
				Span:        normSpan(p.Span),
			}
			c := colls[collKey{p.Owner, p.Collection}]
			if err := c.put(m, data[i], olds[i], now); err != nil {
				return err
			}
			// The time index is kept in the write's transaction, as Put
			// keeps it (timeline.go).
			if err := c.putTimeline(p.Name, m.ETag, p.Timeline); err != nil {
				return err
			}
			out[i] = storage.PutResult{Meta: m, Created: olds[i] == nil}
		}
		for _, c := range colls {
			if err := c.save(); err != nil {
				return err
			}
		}
		results = out
		return nil
	})
	if err == nil {
		err = failed
	}
	if err != nil {
		return nil, wrap(op, err)
	}
	return results, nil
}

func putFailed(i int, p storage.PutObject, err error) error {
	return fmt.Errorf("put %d (%s/%s/%s): %w", i, p.Owner, p.Collection, p.Name, err)
}
