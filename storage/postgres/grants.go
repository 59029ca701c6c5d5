package postgres

import (
	"context"
	"errors"
	"fmt"
	"maps"

	"github.com/jackc/pgx/v5"

	"almanac/storage"
)

const grantColumns = `owner, collection, sharee, access, show_private, mount, props, created, updated`

func scanGrant(row pgx.Row) (*storage.Grant, error) {
	var g storage.Grant
	if err := row.Scan(&g.Owner, &g.Collection, &g.Sharee, &g.Access, &g.ShowPrivate, &g.Mount, &g.Props, &g.Created, &g.Updated); err != nil {
		return nil, err
	}
	if len(g.Props) == 0 {
		g.Props = nil
	}
	g.Created, g.Updated = g.Created.UTC(), g.Updated.UTC()
	return &g, nil
}

func notFoundGrant(owner, coll, sharee string) error {
	return fmt.Errorf("grant %s/%s to %s: %w", owner, coll, sharee, storage.ErrNotFound)
}

func notFoundMount(sharee, mount string) error {
	return fmt.Errorf("mount %s/%s: %w", sharee, mount, storage.ErrNotFound)
}

func grants(ctx context.Context, tx pgx.Tx, sql string, args ...any) ([]storage.Grant, error) {
	rows, err := tx.Query(ctx, sql, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []storage.Grant{}
	for rows.Next() {
		g, err := scanGrant(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *g)
	}
	return out, rows.Err()
}

// PutGrant creates the grant, or updates Access and ShowPrivate of the
// existing one. Creating locks the sharee's account row, the lock of
// the names in its home, before checking that the mount is free among
// its collections and mounts.
func (s *Store) PutGrant(ctx context.Context, g *storage.Grant) error {
	const op = "put grant"
	if g.Owner == "" || g.Collection == "" || g.Sharee == "" {
		return wrap(op, errors.New("empty owner, collection or sharee"))
	}
	if g.Sharee == g.Owner {
		return wrap(op, fmt.Errorf("grant %s/%s: cannot share a collection with its owner", g.Owner, g.Collection))
	}
	t := now()
	var out *storage.Grant
	err := s.tx(ctx, func(tx pgx.Tx) error {
		if _, err := lockAccount(ctx, tx, g.Sharee); err != nil {
			return err
		}
		var err error
		out, err = scanGrant(tx.QueryRow(ctx, `UPDATE grants SET access = $4, show_private = $5, updated = $6
			WHERE owner = $1 AND collection = $2 AND sharee = $3 RETURNING `+grantColumns,
			g.Owner, g.Collection, g.Sharee, g.Access, g.ShowPrivate, t))
		if !errors.Is(err, pgx.ErrNoRows) {
			return err
		}
		if err := needCollection(ctx, tx, g.Owner, g.Collection); err != nil {
			return err
		}
		if g.Mount == "" {
			return errors.New("empty mount")
		}
		taken, err := collectionExists(ctx, tx, g.Sharee, g.Mount)
		if err != nil {
			return err
		}
		if taken {
			return fmt.Errorf("mount %s/%s: a collection of that name: %w", g.Sharee, g.Mount, storage.ErrExists)
		}
		props := g.Props
		if props == nil {
			props = map[string]string{}
		}
		out, err = scanGrant(tx.QueryRow(ctx, `INSERT INTO grants (`+grantColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)
			RETURNING `+grantColumns, g.Owner, g.Collection, g.Sharee, g.Access, g.ShowPrivate, g.Mount, props, t))
		if isUnique(err, "grants_sharee_mount_key") {
			return fmt.Errorf("mount %s/%s: %w", g.Sharee, g.Mount, storage.ErrExists)
		}
		return err
	})
	if err != nil {
		return wrap(op, err)
	}
	*g = *out
	return nil
}

func (s *Store) Grant(ctx context.Context, owner, coll, sharee string) (*storage.Grant, error) {
	g, err := scanGrant(s.pool.QueryRow(ctx, `SELECT `+grantColumns+` FROM grants WHERE owner = $1 AND collection = $2 AND sharee = $3`, owner, coll, sharee))
	if errors.Is(err, pgx.ErrNoRows) {
		err = notFoundGrant(owner, coll, sharee)
	}
	if err != nil {
		return nil, wrap("get grant", err)
	}
	return g, nil
}

func (s *Store) GrantByMount(ctx context.Context, sharee, mount string) (*storage.Grant, error) {
	g, err := scanGrant(s.pool.QueryRow(ctx, `SELECT `+grantColumns+` FROM grants WHERE sharee = $1 AND mount = $2`, sharee, mount))
	if errors.Is(err, pgx.ErrNoRows) {
		err = notFoundMount(sharee, mount)
	}
	if err != nil {
		return nil, wrap("get grant by mount", err)
	}
	return g, nil
}

func (s *Store) GrantsOf(ctx context.Context, owner, coll string) ([]storage.Grant, error) {
	var out []storage.Grant
	err := s.read(ctx, func(tx pgx.Tx) error {
		if _, err := readColl(ctx, tx, owner, coll, false); err != nil {
			return err
		}
		var err error
		out, err = grants(ctx, tx, `SELECT `+grantColumns+` FROM grants WHERE owner = $1 AND collection = $2 ORDER BY created, sharee`, owner, coll)
		return err
	})
	if err != nil {
		return nil, wrap("list grants of collection", err)
	}
	return out, nil
}

func (s *Store) GrantsTo(ctx context.Context, sharee string) ([]storage.Grant, error) {
	var out []storage.Grant
	err := s.read(ctx, func(tx pgx.Tx) error {
		if err := accountExists(ctx, tx, sharee); err != nil {
			return err
		}
		var err error
		out, err = grants(ctx, tx, `SELECT `+grantColumns+` FROM grants WHERE sharee = $1 ORDER BY mount`, sharee)
		return err
	})
	if err != nil {
		return nil, wrap("list grants to account", err)
	}
	return out, nil
}

func (s *Store) DeleteGrant(ctx context.Context, owner, coll, sharee string) error {
	tag, err := s.pool.Exec(ctx, `DELETE FROM grants WHERE owner = $1 AND collection = $2 AND sharee = $3`, owner, coll, sharee)
	if err == nil && tag.RowsAffected() == 0 {
		err = notFoundGrant(owner, coll, sharee)
	}
	return wrap("delete grant", err)
}

func (s *Store) PatchGrantProps(ctx context.Context, sharee, mount string, set map[string]string, remove []string) (*storage.Grant, error) {
	var out *storage.Grant
	err := s.tx(ctx, func(tx pgx.Tx) error {
		g, err := scanGrant(tx.QueryRow(ctx, `SELECT `+grantColumns+` FROM grants WHERE sharee = $1 AND mount = $2 FOR UPDATE`, sharee, mount))
		if errors.Is(err, pgx.ErrNoRows) {
			return notFoundMount(sharee, mount)
		}
		if err != nil {
			return err
		}
		props := maps.Clone(g.Props)
		if props == nil {
			props = map[string]string{}
		}
		for _, k := range remove {
			delete(props, k)
		}
		maps.Copy(props, set)
		if _, err := tx.Exec(ctx, `UPDATE grants SET props = $3 WHERE sharee = $1 AND mount = $2`, sharee, mount, props); err != nil {
			return err
		}
		g.Props = props
		if len(props) == 0 {
			g.Props = nil
		}
		out = g
		return nil
	})
	if err != nil {
		return nil, wrap("patch grant props", err)
	}
	return out, nil
}
