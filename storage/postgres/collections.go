package postgres

import (
	"context"
	"errors"
	"fmt"
	"maps"

	"github.com/jackc/pgx/v5"

	"almanac/storage"
)

const collColumns = `id, owner, name, kind, incarnation, seq, pruned, components, props, created, modified`

// coll is a collection row read in a transaction; a writer holds its
// row lock (lockColl) until commit.
type coll struct {
	id int64
	storage.Collection
}

func scanColl(row pgx.Row) (*coll, error) {
	var c coll
	var seq, pruned int64
	var kind int16
	err := row.Scan(&c.id, &c.Owner, &c.Name, &kind, &c.Incarnation, &seq, &pruned, &c.Components, &c.Props, &c.Created, &c.Modified)
	if err != nil {
		return nil, err
	}
	c.Kind = storage.Kind(kind)
	c.Seq, c.Pruned = uint64(seq), uint64(pruned)
	c.Components = fromList(c.Components)
	if c.Props == nil {
		c.Props = map[string]string{}
	}
	c.Created, c.Modified = c.Created.UTC(), c.Modified.UTC()
	return &c, nil
}

func notFoundColl(owner, name string) error {
	return fmt.Errorf("collection %s/%s: %w", owner, name, storage.ErrNotFound)
}

// readColl reads a collection; lock takes its row lock, the one lock
// every writer of its members, counter and change log holds.
func readColl(ctx context.Context, q pgx.Tx, owner, name string, lock bool) (*coll, error) {
	sql := `SELECT ` + collColumns + ` FROM collections WHERE owner = $1 AND name = $2`
	if lock {
		sql += ` FOR UPDATE`
	}
	c, err := scanColl(q.QueryRow(ctx, sql, owner, name))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, notFoundColl(owner, name)
	}
	return c, err
}

// needCollection is ErrNotFound unless owner has a collection name.
func needCollection(ctx context.Context, q querier, owner, name string) error {
	ok, err := collectionExists(ctx, q, owner, name)
	if err == nil && !ok {
		err = notFoundColl(owner, name)
	}
	return err
}

func collectionExists(ctx context.Context, q querier, owner, name string) (bool, error) {
	return exists(ctx, q, `SELECT 1 FROM collections WHERE owner = $1 AND name = $2`, owner, name)
}

func knownKind(k storage.Kind) bool {
	switch k {
	case storage.KindCalendar, storage.KindAddressBook, storage.KindScheduleInbox:
		return true
	}
	return false
}

// mountTaken reports whether a grant is mounted as name in owner's home.
func mountTaken(ctx context.Context, tx pgx.Tx, owner, name string) (bool, error) {
	var taken bool
	err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM grants WHERE sharee = $1 AND mount = $2)`, owner, name).Scan(&taken)
	return taken, err
}

// CreateCollection locks the owner's account row, so that a grant
// mounted under the same name at the same moment waits and then sees
// the collection (PutGrant takes the same lock).
func (s *Store) CreateCollection(ctx context.Context, c *storage.Collection) error {
	const op = "create collection"
	if c.Owner == "" || c.Name == "" {
		return wrap(op, errors.New("empty owner or collection name"))
	}
	if !knownKind(c.Kind) {
		return wrap(op, fmt.Errorf("invalid kind %d", c.Kind))
	}
	t := now()
	inc := randomID(16)
	props := c.Props
	if props == nil {
		props = map[string]string{}
	}
	err := s.tx(ctx, func(tx pgx.Tx) error {
		if _, err := lockAccount(ctx, tx, c.Owner); err != nil {
			return err
		}
		if taken, err := mountTaken(ctx, tx, c.Owner, c.Name); err != nil || taken {
			if err == nil {
				err = fmt.Errorf("collection %s/%s: name of a shared collection's mount: %w", c.Owner, c.Name, storage.ErrExists)
			}
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO collections (owner, name, kind, incarnation, components, props, created, modified)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $7)`, c.Owner, c.Name, int16(c.Kind), inc, list(c.Components), props, t)
		if isUnique(err, "collections_owner_name_key") {
			return fmt.Errorf("collection %s/%s: %w", c.Owner, c.Name, storage.ErrExists)
		}
		return err
	})
	if err != nil {
		return wrap(op, err)
	}
	c.Incarnation = inc
	c.Seq, c.Pruned = 0, 0
	c.Created, c.Modified = t, t
	c.Props = props
	return nil
}

func (s *Store) Collection(ctx context.Context, owner, name string) (*storage.Collection, error) {
	var out *storage.Collection
	err := s.tx(ctx, func(tx pgx.Tx) error {
		c, err := readColl(ctx, tx, owner, name, false)
		if err == nil {
			out = &c.Collection
		}
		return err
	})
	return out, wrap("get collection", err)
}

// ListCollections returns owner's collections in name order; a missing
// account is ErrNotFound.
func (s *Store) ListCollections(ctx context.Context, owner string) ([]storage.Collection, error) {
	var out []storage.Collection
	err := s.tx(ctx, func(tx pgx.Tx) error {
		var exists bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM accounts WHERE id = $1)`, owner).Scan(&exists); err != nil {
			return err
		}
		if !exists {
			return notFound("account %q", owner)
		}
		rows, err := tx.Query(ctx, `SELECT `+collColumns+` FROM collections WHERE owner = $1 ORDER BY name`, owner)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			c, err := scanColl(rows)
			if err != nil {
				return err
			}
			out = append(out, c.Collection)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, wrap("list collections", err)
	}
	return out, nil
}

// PatchCollection applies remove, then set. Property changes are not
// member changes: Seq stays, Modified moves.
func (s *Store) PatchCollection(ctx context.Context, owner, name string, set map[string]string, remove []string) (*storage.Collection, error) {
	var out *storage.Collection
	err := s.tx(ctx, func(tx pgx.Tx) error {
		c, err := readColl(ctx, tx, owner, name, true)
		if err != nil {
			return err
		}
		for _, k := range remove {
			delete(c.Props, k)
		}
		maps.Copy(c.Props, set)
		c.Modified = now()
		if _, err := tx.Exec(ctx, `UPDATE collections SET props = $2, modified = $3 WHERE id = $1`, c.id, c.Props, c.Modified); err != nil {
			return err
		}
		out = &c.Collection
		return nil
	})
	if err != nil {
		return nil, wrap("patch collection", err)
	}
	return out, nil
}

// DeleteCollection removes the row; ON DELETE CASCADE takes its
// members, change log, links and grants (and so the sharees' mounts).
func (s *Store) DeleteCollection(ctx context.Context, owner, name string) error {
	tag, err := s.pool.Exec(ctx, `DELETE FROM collections WHERE owner = $1 AND name = $2`, owner, name)
	if err == nil && tag.RowsAffected() == 0 {
		err = notFoundColl(owner, name)
	}
	return wrap("delete collection", err)
}

// MoveCollection renames the row: members and the change log hang off
// its id and do not move; links and grants follow by ON UPDATE CASCADE.
func (s *Store) MoveCollection(ctx context.Context, owner, from, to string, replace bool) (bool, error) {
	const op = "move collection"
	if to == "" {
		return false, wrap(op, errors.New("empty new collection name"))
	}
	var replaced bool
	err := s.tx(ctx, func(tx pgx.Tx) error {
		replaced = false
		if _, err := lockAccount(ctx, tx, owner); err != nil {
			if errors.Is(err, storage.ErrNotFound) {
				return notFoundColl(owner, from)
			}
			return err
		}
		src, err := readColl(ctx, tx, owner, from, true)
		if err != nil {
			return err
		}
		if from == to {
			return fmt.Errorf("collection %s/%s: onto itself: %w", owner, from, storage.ErrExists)
		}
		if replaced, err = clearCollectionName(ctx, tx, owner, to, src.Kind, replace); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `UPDATE collections SET name = $2 WHERE id = $1`, src.id, to)
		return err
	})
	if err != nil {
		return false, wrap(op, err)
	}
	return replaced, nil
}

// clearCollectionName makes name free in owner's home for a collection
// of kind (the caller holds the account's row lock): ErrExists when a
// collection or a mount holds it, unless replace is set and that is a
// collection of kind, then deleted, or the mount of one, whose grant is
// deleted. It reports whether it removed anything.
func clearCollectionName(ctx context.Context, tx pgx.Tx, owner, name string, kind storage.Kind, replace bool) (bool, error) {
	var k int16
	err := tx.QueryRow(ctx, `SELECT kind FROM collections WHERE owner = $1 AND name = $2`, owner, name).Scan(&k)
	switch {
	case err == nil:
		if !replace {
			return false, fmt.Errorf("collection %s/%s: %w", owner, name, storage.ErrExists)
		}
		if storage.Kind(k) != kind {
			return false, fmt.Errorf("collection %s/%s: of another kind: %w", owner, name, storage.ErrExists)
		}
		_, err := tx.Exec(ctx, `DELETE FROM collections WHERE owner = $1 AND name = $2`, owner, name)
		return err == nil, err
	case !errors.Is(err, pgx.ErrNoRows):
		return false, err
	}
	var gOwner, gColl string
	err = tx.QueryRow(ctx, `SELECT g.owner, g.collection, c.kind FROM grants g
		JOIN collections c ON c.owner = g.owner AND c.name = g.collection
		WHERE g.sharee = $1 AND g.mount = $2`, owner, name).Scan(&gOwner, &gColl, &k)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if !replace {
		return false, fmt.Errorf("collection %s/%s: name of a shared collection's mount: %w", owner, name, storage.ErrExists)
	}
	if storage.Kind(k) != kind {
		return false, fmt.Errorf("mount %s/%s: of another kind: %w", owner, name, storage.ErrExists)
	}
	_, err = tx.Exec(ctx, `DELETE FROM grants WHERE owner = $1 AND collection = $2 AND sharee = $3`, gOwner, gColl, owner)
	return err == nil, err
}
