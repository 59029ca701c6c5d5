package postgres

import (
	"context"
	"errors"
	"fmt"
	"sort"

	"github.com/jackc/pgx/v5"

	"almanac/storage"
)

const linkColumns = `id, owner, collection, label, tier, components, past_days, future_days, expires, expires_ns,
	created, updated, version, fetches, last_fetched, last_fetched_ns, last_user_agent`

func scanLink(row pgx.Row) (*storage.Link, error) {
	var l storage.Link
	var past, future *int32
	var exp, last nsTime
	var version, fetches int64
	err := row.Scan(&l.ID, &l.Owner, &l.Collection, &l.Label, &l.Tier, &l.Components, &past, &future, &exp.t, &exp.ns,
		&l.Created, &l.Updated, &version, &fetches, &last.t, &last.ns, &l.LastUserAgent)
	if err != nil {
		return nil, err
	}
	l.Components = fromList(l.Components)
	if past != nil {
		v := int(*past)
		l.PastDays = &v
	}
	if future != nil {
		v := int(*future)
		l.FutureDays = &v
	}
	l.Expires, l.LastFetched = exp.time(), last.time()
	l.Created, l.Updated = l.Created.UTC(), l.Updated.UTC()
	l.Version, l.Fetches = uint64(version), uint64(fetches)
	return &l, nil
}

func notFoundLink(id string) error { return fmt.Errorf("link %q: %w", id, storage.ErrNotFound) }

// insertLink stores l as new: Created and Updated t, Version 1, no
// statistics. ErrNotFound without the collection, ErrExists for a taken
// ID.
func insertLink(ctx context.Context, tx pgx.Tx, l *storage.Link) (*storage.Link, error) {
	if l.ID == "" || l.Owner == "" || l.Collection == "" {
		return nil, errors.New("empty link id, owner or collection")
	}
	if err := needCollection(ctx, tx, l.Owner, l.Collection); err != nil {
		return nil, err
	}
	et, ens := split(l.Expires)
	t := now()
	out, err := scanLink(tx.QueryRow(ctx, `INSERT INTO links (id, owner, collection, label, tier, components, past_days, future_days,
		expires, expires_ns, created, updated) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11) RETURNING `+linkColumns,
		l.ID, l.Owner, l.Collection, l.Label, l.Tier, list(l.Components), l.PastDays, l.FutureDays, et, ens, t))
	if isUnique(err, "links_pkey") {
		return nil, fmt.Errorf("link %q: %w", l.ID, storage.ErrExists)
	}
	return out, err
}

func (s *Store) CreateLink(ctx context.Context, l *storage.Link) error {
	var out *storage.Link
	err := s.tx(ctx, func(tx pgx.Tx) error {
		var err error
		out, err = insertLink(ctx, tx, l)
		return err
	})
	if err != nil {
		return wrap("create link", err)
	}
	*l = *out
	return nil
}

func (s *Store) Link(ctx context.Context, id string) (*storage.Link, error) {
	l, err := scanLink(s.pool.QueryRow(ctx, `SELECT `+linkColumns+` FROM links WHERE id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		err = notFoundLink(id)
	}
	if err != nil {
		return nil, wrap("get link", err)
	}
	return l, nil
}

func (s *Store) ListLinks(ctx context.Context, owner string) ([]storage.Link, error) {
	var out []storage.Link
	err := s.read(ctx, func(tx pgx.Tx) error {
		if err := accountExists(ctx, tx, owner); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `SELECT `+linkColumns+` FROM links WHERE owner = $1 ORDER BY created, id`, owner)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			l, err := scanLink(rows)
			if err != nil {
				return err
			}
			out = append(out, *l)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, wrap("list links", err)
	}
	return out, nil
}

func (s *Store) UpdateLink(ctx context.Context, l *storage.Link) error {
	et, ens := split(l.Expires)
	out, err := scanLink(s.pool.QueryRow(ctx, `UPDATE links SET label = $2, tier = $3, components = $4, past_days = $5,
		future_days = $6, expires = $7, expires_ns = $8, updated = $9, version = version + 1 WHERE id = $1 RETURNING `+linkColumns,
		l.ID, l.Label, l.Tier, list(l.Components), l.PastDays, l.FutureDays, et, ens, now()))
	if errors.Is(err, pgx.ErrNoRows) {
		err = notFoundLink(l.ID)
	}
	if err != nil {
		return wrap("update link", err)
	}
	*l = *out
	return nil
}

func (s *Store) ReplaceLink(ctx context.Context, oldID string, l *storage.Link) error {
	var out *storage.Link
	err := s.tx(ctx, func(tx pgx.Tx) error {
		var owner, coll string
		err := tx.QueryRow(ctx, `SELECT owner, collection FROM links WHERE id = $1 FOR UPDATE`, oldID).Scan(&owner, &coll)
		if errors.Is(err, pgx.ErrNoRows) {
			return notFoundLink(oldID)
		}
		if err != nil {
			return err
		}
		if owner != l.Owner || coll != l.Collection {
			return fmt.Errorf("link %q belongs to %s/%s, not %s/%s", oldID, owner, coll, l.Owner, l.Collection)
		}
		if l.ID == oldID {
			return fmt.Errorf("link %q: %w", l.ID, storage.ErrExists)
		}
		if _, err := tx.Exec(ctx, `DELETE FROM links WHERE id = $1`, oldID); err != nil {
			return err
		}
		out, err = insertLink(ctx, tx, l)
		return err
	})
	if err != nil {
		return wrap("replace link", err)
	}
	*l = *out
	return nil
}

func (s *Store) DeleteLink(ctx context.Context, id string) error {
	tag, err := s.pool.Exec(ctx, `DELETE FROM links WHERE id = $1`, id)
	if err == nil && tag.RowsAffected() == 0 {
		err = notFoundLink(id)
	}
	return wrap("delete link", err)
}

// AddFetches updates the links in ID order (a fixed lock order, so two
// servers flushing at once do not deadlock); unknown IDs match no row.
func (s *Store) AddFetches(ctx context.Context, stats []storage.FetchStat) error {
	if len(stats) == 0 {
		return nil
	}
	sorted := append([]storage.FetchStat(nil), stats...)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].ID < sorted[j].ID })
	return wrap("add fetches", s.tx(ctx, func(tx pgx.Tx) error {
		for _, st := range sorted {
			lt, lns := split(st.Last)
			_, err := tx.Exec(ctx, `UPDATE links SET fetches = fetches + $2,
				last_user_agent = CASE WHEN $3::timestamptz IS NOT NULL AND (last_fetched IS NULL OR (last_fetched, last_fetched_ns) < ($3, $4))
					THEN $5 ELSE last_user_agent END,
				last_fetched_ns = CASE WHEN $3::timestamptz IS NOT NULL AND (last_fetched IS NULL OR (last_fetched, last_fetched_ns) < ($3, $4))
					THEN $4 ELSE last_fetched_ns END,
				last_fetched = CASE WHEN $3::timestamptz IS NOT NULL AND (last_fetched IS NULL OR (last_fetched, last_fetched_ns) < ($3, $4))
					THEN $3 ELSE last_fetched END
				WHERE id = $1`, st.ID, int64(st.Count), lt, lns, st.UserAgent)
			if err != nil {
				return err
			}
		}
		return nil
	}))
}
