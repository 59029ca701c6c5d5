package bolt

import (
	"context"

	"go.etcd.io/bbolt"

	"almanac/storage"
)

var _ storage.Observable = (*DB)(nil)

// Stats counts what the file holds. Keys are counted from the leaf page
// headers of the accounts, links and per-collection meta buckets
// (bbolt's Bucket.Stats), so no record is decoded and no object data is
// read: the cost is one page header per ~50 objects
// (BenchmarkStats10kObjects). Counting in the write path instead would
// add a write to every PUT for the sake of a scrape.
func (db *DB) Stats(ctx context.Context) (storage.Stats, error) {
	const op = "stats"
	var st storage.Stats
	if err := ctxErr(ctx, op); err != nil {
		return st, err
	}
	err := db.bdb.View(func(tx *bbolt.Tx) error {
		st.Bytes = tx.Size()
		st.Accounts = int64(tx.Bucket(bucketAccounts).Stats().KeyN)
		st.Links = int64(tx.Bucket(bucketLinks).Stats().KeyN)
		colls := tx.Bucket(bucketCollections)
		return colls.ForEachBucket(func(owner []byte) error {
			if err := ctx.Err(); err != nil {
				return err
			}
			home := colls.Bucket(owner)
			return home.ForEachBucket(func(name []byte) error {
				st.Collections++
				if meta := home.Bucket(name).Bucket(bucketMeta); meta != nil {
					st.Objects += int64(meta.Stats().KeyN)
				}
				return nil
			})
		})
	})
	if err != nil {
		return storage.Stats{}, wrap(op, err)
	}
	st.FreeBytes = int64(db.bdb.Stats().FreeAlloc)
	return st, nil
}

// ObserveCommits reports every later write transaction to o: those of
// the group commit with the number of writes they carried, the others
// (accounts, links, pruning, ...) as one write each.
func (db *DB) ObserveCommits(o storage.CommitObserver) {
	if o == nil {
		db.commit.observer.Store(nil)
		return
	}
	db.commit.observer.Store(&o)
}
