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
	"almanac/storage/internal/records"
)

// An import job is one jsonb document (import_jobs.record) in the JSON
// form both backends share (records.ImportJob), so a move copies it as
// it is; owner, state and created are columns beside it for the
// indexes. The record is rewritten whole at every checkpoint, under the
// row's lock.

func scanJob(row pgx.Row) (*storage.ImportJob, error) {
	var raw []byte
	if err := row.Scan(&raw); err != nil {
		return nil, err
	}
	var r records.ImportJob
	if err := json.Unmarshal(raw, &r); err != nil {
		return nil, err
	}
	return r.Job(), nil
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
	raw, err := json.Marshal(records.FromImportJob(&job))
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
		raw, err := json.Marshal(records.FromImportJob(&j))
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
