package bolt

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"almanac/storage"
	"almanac/storage/internal/records"

	"go.etcd.io/bbolt"
)

// Import jobs are JSON records, rewritten whole at every step of their
// progress (a checkpoint every few hundred messages):
//
//	importjobs/<id>                  JSON job record
//	accountimportjobs/<account>/<id> empty: index of the account's jobs
//
// UnfinishedImportJobs walks importjobs: it runs once at start.

var (
	bucketImportJobs        = []byte("importjobs")
	bucketAccountImportJobs = []byte("accountimportjobs")
)

// jobBuckets are the top-level buckets of this file; Open creates them.
var jobBuckets = [][]byte{bucketImportJobs, bucketAccountImportJobs}

// A job is stored as a records.ImportJob, the JSON form both backends
// share.

func getImportJob(tx *bbolt.Tx, id string) (*records.ImportJob, error) {
	r, err := getJSON[records.ImportJob](tx.Bucket(bucketImportJobs), id, "import job "+id)
	if err != nil {
		return nil, err
	}
	if r == nil {
		return nil, fmt.Errorf("import job %q: %w", id, storage.ErrNotFound)
	}
	return r, nil
}

// CreateImportJob stores a new job and indexes it under its owner.
func (db *DB) CreateImportJob(ctx context.Context, j *storage.ImportJob) error {
	const op = "create import job"
	if err := ctxErr(ctx, op); err != nil {
		return err
	}
	if j.ID == "" {
		j.ID = randomID(16)
	}
	if err := checkKey("import job id", j.ID); err != nil {
		return wrap(op, err)
	}
	now := time.Now().UTC()
	if j.Created.IsZero() {
		j.Created = now
	}
	j.Updated = now
	return db.execChecked(op, func(tx *bbolt.Tx) error {
		if _, err := getAccount(tx, j.Owner); err != nil {
			return err
		}
		jobs := tx.Bucket(bucketImportJobs)
		if jobs.Get([]byte(j.ID)) != nil {
			return fmt.Errorf("import job %q: %w", j.ID, storage.ErrExists)
		}
		if err := putJSON(jobs, j.ID, records.FromImportJob(j)); err != nil {
			return err
		}
		idx, err := nestedCreate(tx.Bucket(bucketAccountImportJobs), j.Owner)
		if err != nil {
			return err
		}
		return idx.Put([]byte(j.ID), nil)
	})
}

// ImportJob reads one job.
func (db *DB) ImportJob(ctx context.Context, id string) (*storage.ImportJob, error) {
	return view(db, ctx, "get import job", func(tx *bbolt.Tx) (*storage.ImportJob, error) {
		r, err := getImportJob(tx, id)
		if err != nil {
			return nil, err
		}
		return r.Job(), nil
	})
}

// ImportJobsOf walks the owner's index.
func (db *DB) ImportJobsOf(ctx context.Context, owner string) ([]storage.ImportJob, error) {
	return view(db, ctx, "list import jobs", func(tx *bbolt.Tx) ([]storage.ImportJob, error) {
		out, err := appendIndexed([]storage.ImportJob{}, keysOf(nested(tx.Bucket(bucketAccountImportJobs), owner)),
			"import job", owner,
			func(id string) (*records.ImportJob, error) {
				return getJSON[records.ImportJob](tx.Bucket(bucketImportJobs), id, "import job "+id)
			},
			func(r *records.ImportJob) bool { return r.Owner == owner },
			(*records.ImportJob).Job)
		sortJobs(out)
		return out, err
	})
}

// UnfinishedImportJobs walks every job.
func (db *DB) UnfinishedImportJobs(ctx context.Context) ([]storage.ImportJob, error) {
	return view(db, ctx, "list unfinished import jobs", func(tx *bbolt.Tx) ([]storage.ImportJob, error) {
		out := []storage.ImportJob{}
		err := eachJSON(tx.Bucket(bucketImportJobs), func(k []byte) string { return fmt.Sprintf("import job %q", k) },
			func(_ []byte, r *records.ImportJob) error {
				if !storage.ImportEnded(r.State) {
					out = append(out, *r.Job())
				}
				return nil
			})
		sortJobs(out)
		return out, err
	})
}

func sortJobs(jobs []storage.ImportJob) {
	slices.SortFunc(jobs, func(a, b storage.ImportJob) int {
		return cmp.Or(a.Created.Compare(b.Created), cmp.Compare(a.ID, b.ID))
	})
}

// UpdateImportJob changes a job in one transaction.
func (db *DB) UpdateImportJob(ctx context.Context, id string, change func(*storage.ImportJob) error) (*storage.ImportJob, error) {
	return update(db, ctx, "update import job", func(tx *bbolt.Tx) (*storage.ImportJob, error) {
		r, err := getImportJob(tx, id)
		if err != nil {
			return nil, err
		}
		j := r.Job()
		if err := change(j); err != nil {
			return nil, err
		}
		j.ID, j.Owner, j.Created = r.ID, r.Owner, r.Created
		j.Updated = time.Now().UTC()
		if err := putJSON(tx.Bucket(bucketImportJobs), id, records.FromImportJob(j)); err != nil {
			return nil, err
		}
		return j, nil
	})
}

// deleteAccountImportJobs removes the account's jobs with its index.
func deleteAccountImportJobs(tx *bbolt.Tx, account string) error {
	jobs := tx.Bucket(bucketImportJobs)
	for _, id := range keysOf(nested(tx.Bucket(bucketAccountImportJobs), account)) {
		if err := jobs.Delete([]byte(id)); err != nil {
			return err
		}
	}
	return deleteBucket(tx.Bucket(bucketAccountImportJobs), account)
}

// importJobs checks the job records against the owner index both ways,
// and that a job that has ended keeps no source password (doc.go).
func (c *checker) importJobs() {
	c.each(bucketImportJobs, 0, func(k []string, v []byte) {
		where := fmt.Sprintf("import job %q", k[0])
		r, ok := decode[records.ImportJob](c, where, v)
		if !ok {
			return
		}
		if r.ID != k[0] {
			c.bad(where, "the record is of job %q", r.ID)
		}
		if !c.account(r.Owner) {
			c.bad(where, "its owner %q does not exist", r.Owner)
		}
		if !c.has(bucketAccountImportJobs, k[0], r.Owner) {
			c.bad(where, "is not in the import job index of account %q", r.Owner)
		}
		known := storage.ImportEnded(r.State) || r.State == storage.ImportQueued || r.State == storage.ImportRunning
		if !known {
			c.bad(where, "unknown state %q", r.State)
		}
		for i, s := range r.Sources {
			if storage.ImportEnded(r.State) && len(s.Secret) > 0 {
				c.bad(where, "it has ended but still holds the password of source %d (%s)", i+1, s.Address)
			}
		}
	})
	c.each(bucketAccountImportJobs, 1, func(k []string, _ []byte) {
		where := fmt.Sprintf("import job index of account %q", k[0])
		r, err := getJSON[records.ImportJob](c.tx.Bucket(bucketImportJobs), k[1], "import job "+k[1])
		switch {
		case err != nil:
		case r == nil:
			c.bad(where, "lists job %q, which does not exist", k[1])
		case r.Owner != k[0]:
			c.bad(where, "lists job %q, which belongs to %q", k[1], r.Owner)
		}
	})
}
