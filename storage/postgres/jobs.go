package postgres

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"almanac/storage"
)

// An import job is one jsonb document (import_jobs.record) in the
// bbolt backend's JSON format, so a move copies it as it is; owner,
// state and created are columns beside it for the indexes. The record
// is rewritten whole at every checkpoint, under the row's lock.

type importJobRecord struct {
	ID          string               `json:"id"`
	Owner       string               `json:"owner"`
	Batch       string               `json:"batch,omitempty"`
	Service     string               `json:"service"`
	LocalPart   string               `json:"local_part"`
	Destination string               `json:"destination"`
	State       string               `json:"state"`
	Cancel      bool                 `json:"cancel,omitempty"`
	Sources     []importSourceRecord `json:"sources"`
	Created     time.Time            `json:"created"`
	Updated     time.Time            `json:"updated"`
	Finished    time.Time            `json:"finished,omitzero"`
	Notified    bool                 `json:"notified,omitempty"`
}

type importSourceRecord struct {
	Address  string               `json:"address"`
	Host     string               `json:"host"`
	Port     int                  `json:"port"`
	Security string               `json:"security"`
	Secret   []byte               `json:"secret,omitempty"`
	State    string               `json:"state"`
	Attempts int                  `json:"attempts,omitempty"`
	RetryAt  time.Time            `json:"retry_at,omitzero"`
	Error    string               `json:"error,omitempty"`
	Folders  []importFolderRecord `json:"folders,omitempty"`
}

type importFolderRecord struct {
	Name            string   `json:"name"`
	Destination     string   `json:"destination"`
	SpecialUse      string   `json:"special_use,omitempty"`
	Found           int      `json:"found"`
	Copied          int      `json:"copied"`
	Skipped         int      `json:"skipped"`
	Failed          int      `json:"failed"`
	Bytes           int64    `json:"bytes"`
	UIDValidity     uint32   `json:"uid_validity,omitempty"`
	LastUID         uint32   `json:"last_uid,omitempty"`
	DestUIDValidity uint32   `json:"dest_uid_validity,omitempty"`
	DestUIDNext     uint32   `json:"dest_uid_next,omitempty"`
	Done            bool     `json:"done,omitempty"`
	Errors          []string `json:"errors,omitempty"`
}

func importJobToRecord(j *storage.ImportJob) *importJobRecord {
	r := &importJobRecord{ID: j.ID, Owner: j.Owner, Batch: j.Batch, Service: j.Service, LocalPart: j.LocalPart,
		Destination: j.Destination, State: j.State, Cancel: j.Cancel, Created: j.Created, Updated: j.Updated,
		Finished: j.Finished, Notified: j.Notified, Sources: []importSourceRecord{}}
	for _, s := range j.Sources {
		sr := importSourceRecord{Address: s.Address, Host: s.Host, Port: s.Port, Security: s.Security,
			Secret: slices.Clone(s.Secret), State: s.State, Attempts: s.Attempts, RetryAt: s.RetryAt, Error: s.Error}
		for _, f := range s.Folders {
			sr.Folders = append(sr.Folders, importFolderRecord{Name: f.Name, Destination: f.Destination,
				SpecialUse: f.SpecialUse, Found: f.Found, Copied: f.Copied, Skipped: f.Skipped, Failed: f.Failed,
				Bytes: f.Bytes, UIDValidity: f.UIDValidity, LastUID: f.LastUID, DestUIDValidity: f.DestUIDValidity,
				DestUIDNext: f.DestUIDNext, Done: f.Done, Errors: slices.Clone(f.Errors)})
		}
		r.Sources = append(r.Sources, sr)
	}
	return r
}

func (r *importJobRecord) job() *storage.ImportJob {
	j := &storage.ImportJob{ID: r.ID, Owner: r.Owner, Batch: r.Batch, Service: r.Service, LocalPart: r.LocalPart,
		Destination: r.Destination, State: r.State, Cancel: r.Cancel, Created: r.Created, Updated: r.Updated,
		Finished: r.Finished, Notified: r.Notified}
	for _, s := range r.Sources {
		src := storage.ImportSource{Address: s.Address, Host: s.Host, Port: s.Port, Security: s.Security,
			Secret: slices.Clone(s.Secret), State: s.State, Attempts: s.Attempts, RetryAt: s.RetryAt, Error: s.Error}
		for _, f := range s.Folders {
			src.Folders = append(src.Folders, storage.ImportFolder{Name: f.Name, Destination: f.Destination,
				SpecialUse: f.SpecialUse, Found: f.Found, Copied: f.Copied, Skipped: f.Skipped, Failed: f.Failed,
				Bytes: f.Bytes, UIDValidity: f.UIDValidity, LastUID: f.LastUID, DestUIDValidity: f.DestUIDValidity,
				DestUIDNext: f.DestUIDNext, Done: f.Done, Errors: slices.Clone(f.Errors)})
		}
		j.Sources = append(j.Sources, src)
	}
	return j
}

func scanJob(row pgx.Row) (*storage.ImportJob, error) {
	var raw []byte
	if err := row.Scan(&raw); err != nil {
		return nil, err
	}
	var r importJobRecord
	if err := json.Unmarshal(raw, &r); err != nil {
		return nil, err
	}
	return r.job(), nil
}

func notFoundJob(id string) error { return fmt.Errorf("import job %q: %w", id, storage.ErrNotFound) }

func (s *Store) CreateImportJob(ctx context.Context, j *storage.ImportJob) error {
	const op = "create import job"
	id := j.ID
	if id == "" {
		id = randomID(16)
	}
	t := time.Now().UTC()
	job := *j
	job.ID = id
	if job.Created.IsZero() {
		job.Created = t
	}
	job.Updated = t
	raw, err := json.Marshal(importJobToRecord(&job))
	if err != nil {
		return wrap(op, err)
	}
	err = s.tx(ctx, func(tx pgx.Tx) error {
		if err := accountExists(ctx, tx, job.Owner); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO import_jobs (id, owner, state, created, record) VALUES ($1, $2, $3, $4, $5)`,
			id, job.Owner, job.State, job.Created, raw)
		if isUnique(err, "import_jobs_pkey") {
			return fmt.Errorf("import job %q: %w", id, storage.ErrExists)
		}
		return err
	})
	if err != nil {
		return wrap(op, err)
	}
	j.ID, j.Created, j.Updated = job.ID, job.Created, job.Updated
	return nil
}

func (s *Store) ImportJob(ctx context.Context, id string) (*storage.ImportJob, error) {
	j, err := scanJob(s.pool.QueryRow(ctx, `SELECT record FROM import_jobs WHERE id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		err = notFoundJob(id)
	}
	if err != nil {
		return nil, wrap("get import job", err)
	}
	return j, nil
}

// jobs reads records and orders them by the exact Created of the
// record (the column keeps microseconds), then ID.
func (s *Store) jobs(ctx context.Context, op, sql string, args ...any) ([]storage.ImportJob, error) {
	rows, err := s.pool.Query(ctx, sql, args...)
	if err != nil {
		return nil, wrap(op, err)
	}
	defer rows.Close()
	out := []storage.ImportJob{}
	for rows.Next() {
		j, err := scanJob(rows)
		if err != nil {
			return nil, wrap(op, err)
		}
		out = append(out, *j)
	}
	if err := rows.Err(); err != nil {
		return nil, wrap(op, err)
	}
	slices.SortFunc(out, func(a, b storage.ImportJob) int {
		return cmp.Or(a.Created.Compare(b.Created), cmp.Compare(a.ID, b.ID))
	})
	return out, nil
}

func (s *Store) ImportJobsOf(ctx context.Context, owner string) ([]storage.ImportJob, error) {
	return s.jobs(ctx, "list import jobs", `SELECT record FROM import_jobs WHERE owner = $1`, owner)
}

func (s *Store) UnfinishedImportJobs(ctx context.Context) ([]storage.ImportJob, error) {
	ended := []string{storage.ImportDone, storage.ImportPartial, storage.ImportFailed, storage.ImportCancelled}
	return s.jobs(ctx, "list unfinished import jobs", `SELECT record FROM import_jobs WHERE state <> ALL($1)`, ended)
}

// UpdateImportJob reads the job under its row lock, so change runs once
// per call here, even with several servers.
func (s *Store) UpdateImportJob(ctx context.Context, id string, change func(*storage.ImportJob) error) (*storage.ImportJob, error) {
	var out *storage.ImportJob
	var changeErr error
	err := s.tx(ctx, func(tx pgx.Tx) error {
		old, err := scanJob(tx.QueryRow(ctx, `SELECT record FROM import_jobs WHERE id = $1 FOR UPDATE`, id))
		if errors.Is(err, pgx.ErrNoRows) {
			return notFoundJob(id)
		}
		if err != nil {
			return err
		}
		j := *old
		if changeErr = change(&j); changeErr != nil {
			return changeErr
		}
		j.ID, j.Owner, j.Created = old.ID, old.Owner, old.Created
		j.Updated = time.Now().UTC()
		raw, err := json.Marshal(importJobToRecord(&j))
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE import_jobs SET state = $2, record = $3 WHERE id = $1`, id, j.State, raw); err != nil {
			return err
		}
		out = &j
		return nil
	})
	if changeErr != nil {
		return nil, changeErr
	}
	if err != nil {
		return nil, wrap("update import job", err)
	}
	return out, nil
}
