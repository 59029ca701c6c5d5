package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"almanac/storage"
)

// Expiry compares against the writing server's clock, passed in, as the
// bbolt backend does: an instant at or after Expires is gone.

// accountExists is the ErrNotFound check of the methods that name an
// account.
func accountExists(ctx context.Context, q interface {
	QueryRow(context.Context, string, ...any) pgx.Row
}, id string) error {
	var exists bool
	if err := q.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM accounts WHERE id = $1)`, id).Scan(&exists); err != nil {
		return err
	}
	if !exists {
		return notFound("account %q", id)
	}
	return nil
}

const appPasswordColumns = `id, owner, name, hash, scope, created, last_used, last_used_ns, last_client`

func scanAppPassword(row pgx.Row) (*storage.AppPassword, error) {
	var p storage.AppPassword
	var last nsTime
	if err := row.Scan(&p.ID, &p.Owner, &p.Name, &p.Hash, &p.Scope, &p.Created, &last.t, &last.ns, &p.LastClient); err != nil {
		return nil, err
	}
	p.Created = p.Created.UTC()
	p.LastUsed = last.time()
	return &p, nil
}

func (s *Store) CreateAppPassword(ctx context.Context, p *storage.AppPassword) error {
	const op = "create app password"
	if p.ID == "" {
		return wrap(op, errors.New("empty app password id"))
	}
	created := now()
	err := s.tx(ctx, func(tx pgx.Tx) error {
		if err := accountExists(ctx, tx, p.Owner); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO app_passwords (id, owner, name, hash, scope, created) VALUES ($1, $2, $3, $4, $5, $6)`,
			p.ID, p.Owner, p.Name, p.Hash, p.Scope, created)
		if isUnique(err, "app_passwords_pkey") {
			return fmt.Errorf("app password %q: %w", p.ID, storage.ErrExists)
		}
		return err
	})
	if err != nil {
		return wrap(op, err)
	}
	p.Created, p.LastUsed, p.LastClient = created, time.Time{}, ""
	return nil
}

func (s *Store) AppPassword(ctx context.Context, id string) (*storage.AppPassword, error) {
	p, err := scanAppPassword(s.pool.QueryRow(ctx, `SELECT `+appPasswordColumns+` FROM app_passwords WHERE id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		err = notFound("app password %q", id)
	}
	if err != nil {
		return nil, wrap("get app password", err)
	}
	return p, nil
}

func (s *Store) AppPasswords(ctx context.Context, owner string) ([]storage.AppPassword, error) {
	out := []storage.AppPassword{}
	err := s.read(ctx, func(tx pgx.Tx) error {
		if err := accountExists(ctx, tx, owner); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `SELECT `+appPasswordColumns+` FROM app_passwords WHERE owner = $1 ORDER BY created, id`, owner)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			p, err := scanAppPassword(rows)
			if err != nil {
				return err
			}
			out = append(out, *p)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, wrap("list app passwords", err)
	}
	return out, nil
}

func (s *Store) DeleteAppPassword(ctx context.Context, owner, id string) error {
	tag, err := s.pool.Exec(ctx, `DELETE FROM app_passwords WHERE id = $1 AND owner = $2`, id, owner)
	if err == nil && tag.RowsAffected() == 0 {
		err = notFound("app password %q", id)
	}
	return wrap("delete app password", err)
}

func (s *Store) DeleteAppPasswords(ctx context.Context, owner string) error {
	return wrap("delete app passwords", s.tx(ctx, func(tx pgx.Tx) error {
		if err := accountExists(ctx, tx, owner); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `DELETE FROM app_passwords WHERE owner = $1`, owner)
		return err
	}))
}

// TouchAppPassword is one conditional UPDATE: uses reported out of order
// keep the latest.
func (s *Store) TouchAppPassword(ctx context.Context, id string, when time.Time, client string) error {
	const op = "touch app password"
	wt, wns := split(when)
	tag, err := s.pool.Exec(ctx, `UPDATE app_passwords SET last_used = $2, last_used_ns = $3, last_client = $4
		WHERE id = $1 AND (last_used IS NULL OR (last_used, last_used_ns) <= ($2, $3))`, id, wt, wns, client)
	if err != nil {
		return wrap(op, err)
	}
	if tag.RowsAffected() == 0 {
		var exists bool
		if err := s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM app_passwords WHERE id = $1)`, id).Scan(&exists); err != nil {
			return wrap(op, err)
		}
		if !exists {
			return wrap(op, notFound("app password %q", id))
		}
	}
	return nil
}

const sessionColumns = `id, account, csrf, created, expires, expires_ns, two_factor`

func scanSession(row pgx.Row) (*storage.Session, error) {
	var s storage.Session
	var exp nsTime
	if err := row.Scan(&s.ID, &s.Account, &s.CSRF, &s.Created, &exp.t, &exp.ns, &s.TwoFactor); err != nil {
		return nil, err
	}
	s.Created, s.Expires = s.Created.UTC(), exp.time()
	return &s, nil
}

// CreateSession drops the account's expired sessions in the same
// transaction; an expired session does not hold its ID.
func (s *Store) CreateSession(ctx context.Context, ss *storage.Session) error {
	const op = "create session"
	if ss.ID == "" {
		return wrap(op, errors.New("empty session id"))
	}
	if ss.Expires.IsZero() {
		return wrap(op, errors.New("session without expiry"))
	}
	created := now()
	err := s.tx(ctx, func(tx pgx.Tx) error {
		if err := accountExists(ctx, tx, ss.Account); err != nil {
			return err
		}
		nt, nns := split(time.Now())
		if _, err := tx.Exec(ctx, `DELETE FROM sessions WHERE (account = $1 OR id = $2) AND (expires, expires_ns) <= ($3, $4)`,
			ss.Account, ss.ID, nt, nns); err != nil {
			return err
		}
		et, ens := split(ss.Expires)
		_, err := tx.Exec(ctx, `INSERT INTO sessions (`+sessionColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
			ss.ID, ss.Account, ss.CSRF, created, et, ens, ss.TwoFactor)
		if isUnique(err, "sessions_pkey") {
			return fmt.Errorf("session: %w", storage.ErrExists)
		}
		return err
	})
	if err != nil {
		return wrap(op, err)
	}
	ss.Created = created
	return nil
}

func (s *Store) Session(ctx context.Context, id string) (*storage.Session, error) {
	nt, nns := split(time.Now())
	ss, err := scanSession(s.pool.QueryRow(ctx, `SELECT `+sessionColumns+` FROM sessions WHERE id = $1 AND (expires, expires_ns) > ($2, $3)`, id, nt, nns))
	if errors.Is(err, pgx.ErrNoRows) {
		err = fmt.Errorf("session: %w", storage.ErrNotFound)
	}
	if err != nil {
		return nil, wrap("get session", err)
	}
	return ss, nil
}

// DeleteSession removes the session; an expired one is removed too but
// reported as ErrNotFound, as Session reports it.
func (s *Store) DeleteSession(ctx context.Context, id string) error {
	var exp nsTime
	err := s.pool.QueryRow(ctx, `DELETE FROM sessions WHERE id = $1 RETURNING expires, expires_ns`, id).Scan(exp.dest()...)
	if errors.Is(err, pgx.ErrNoRows) || (err == nil && !time.Now().Before(exp.time())) {
		err = fmt.Errorf("session: %w", storage.ErrNotFound)
	}
	return wrap("delete session", err)
}

func (s *Store) DeleteSessions(ctx context.Context, account, except string) error {
	return wrap("delete sessions", s.tx(ctx, func(tx pgx.Tx) error {
		if err := accountExists(ctx, tx, account); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `DELETE FROM sessions WHERE account = $1 AND id <> $2`, account, except)
		return err
	}))
}

const tokenColumns = `hash, account, purpose, data, expires, expires_ns`

func scanToken(row pgx.Row) (*storage.Token, error) {
	var t storage.Token
	var exp nsTime
	if err := row.Scan(&t.Hash, &t.Account, &t.Purpose, &t.Data, &exp.t, &exp.ns); err != nil {
		return nil, err
	}
	t.Expires = exp.time()
	return &t, nil
}

func (s *Store) CreateToken(ctx context.Context, t *storage.Token) error {
	const op = "create token"
	switch {
	case t.Hash == "":
		return wrap(op, errors.New("empty token hash"))
	case t.Purpose == "":
		return wrap(op, errors.New("token without purpose"))
	case t.Expires.IsZero():
		return wrap(op, errors.New("token without expiry"))
	}
	err := s.tx(ctx, func(tx pgx.Tx) error {
		if err := accountExists(ctx, tx, t.Account); err != nil {
			return err
		}
		nt, nns := split(time.Now())
		if _, err := tx.Exec(ctx, `DELETE FROM tokens WHERE (account = $1 OR hash = $2) AND (expires, expires_ns) <= ($3, $4)`,
			t.Account, t.Hash, nt, nns); err != nil {
			return err
		}
		et, ens := split(t.Expires)
		_, err := tx.Exec(ctx, `INSERT INTO tokens (`+tokenColumns+`) VALUES ($1, $2, $3, $4, $5, $6)`,
			t.Hash, t.Account, t.Purpose, t.Data, et, ens)
		if isUnique(err, "tokens_pkey") {
			return fmt.Errorf("token: %w", storage.ErrExists)
		}
		return err
	})
	return wrap(op, err)
}

// TakeToken deletes the token of the purpose and returns it: the
// DELETE's row lock lets exactly one of racing callers get it. An
// expired one is deleted too and reported as ErrNotFound; one of another
// purpose stays.
func (s *Store) TakeToken(ctx context.Context, hash, purpose string) (*storage.Token, error) {
	t, err := scanToken(s.pool.QueryRow(ctx, `DELETE FROM tokens WHERE hash = $1 AND purpose = $2 RETURNING `+tokenColumns, hash, purpose))
	if errors.Is(err, pgx.ErrNoRows) || (err == nil && !time.Now().Before(t.Expires)) {
		err = fmt.Errorf("token: %w", storage.ErrNotFound)
	}
	if err != nil {
		return nil, wrap("take token", err)
	}
	return t, nil
}

func (s *Store) DeleteTokens(ctx context.Context, account, purpose string) error {
	return wrap("delete tokens", s.tx(ctx, func(tx pgx.Tx) error {
		if err := accountExists(ctx, tx, account); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `DELETE FROM tokens WHERE account = $1 AND ($2 = '' OR purpose = $2)`, account, purpose)
		return err
	}))
}
