package postgres

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"almanac/storage"
)

const accountColumns = `id, login, display_name, password_hash, created, created_ns, recovery_email, mobile,
	totp_secret, totp_enabled, totp_last_step, recovery_codes, password_changed, password_changed_ns, admin, disabled`

func scanAccount(row pgx.Row) (*storage.Account, error) {
	var a storage.Account
	var created, pc nsTime
	err := row.Scan(&a.ID, &a.Login, &a.DisplayName, &a.PasswordHash, &created.t, &created.ns, &a.RecoveryEmail, &a.Mobile,
		&a.TOTPSecret, &a.TOTPEnabled, &a.TOTPLastStep, &a.RecoveryCodes, &pc.t, &pc.ns, &a.Admin, &a.Disabled)
	if err != nil {
		return nil, err
	}
	a.Created = created.time()
	a.PasswordChanged = pc.time()
	a.RecoveryCodes = fromList(a.RecoveryCodes)
	return &a, nil
}

func loginKey(login string) string { return strings.ToLower(login) }

func notFound(what string, args ...any) error {
	return fmt.Errorf(what+": %w", append(args, storage.ErrNotFound)...)
}

// CreateAccount stores a, filling a.ID with a random handle when empty
// and a.Created when zero. A login taken in any letter case is
// ErrExists, as is an explicit ID already in use.
func (s *Store) CreateAccount(ctx context.Context, a *storage.Account) error {
	const op = "create account"
	if a.Login == "" {
		return wrap(op, errors.New("empty login"))
	}
	created := a.Created.UTC()
	if a.Created.IsZero() {
		created = now()
	}
	ct, cns := split(created)
	pt, pns := split(a.PasswordChanged)
	id := a.ID
	for {
		if a.ID == "" {
			id = randomID(10)
		}
		_, err := s.pool.Exec(ctx, `INSERT INTO accounts (`+accountColumns+`, login_key)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)`,
			id, a.Login, a.DisplayName, a.PasswordHash, ct, cns, a.RecoveryEmail, a.Mobile,
			a.TOTPSecret, a.TOTPEnabled, a.TOTPLastStep, list(a.RecoveryCodes), pt, pns,
			a.Admin, a.Disabled, loginKey(a.Login))
		switch {
		case err == nil:
			a.ID, a.Created = id, created
			return nil
		case isUnique(err, "accounts_login_key_key"):
			return wrap(op, fmt.Errorf("login %q: %w", a.Login, storage.ErrExists))
		case isUnique(err, "accounts_pkey"):
			if a.ID == "" {
				continue // 50 random bits: rare, not impossible
			}
			return wrap(op, fmt.Errorf("account %q: %w", id, storage.ErrExists))
		default:
			return wrap(op, err)
		}
	}
}

func (s *Store) Account(ctx context.Context, id string) (*storage.Account, error) {
	a, err := scanAccount(s.pool.QueryRow(ctx, `SELECT `+accountColumns+` FROM accounts WHERE id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		err = notFound("account %q", id)
	}
	if err != nil {
		return nil, wrap("get account", err)
	}
	return a, nil
}

func (s *Store) AccountByLogin(ctx context.Context, login string) (*storage.Account, error) {
	a, err := scanAccount(s.pool.QueryRow(ctx, `SELECT `+accountColumns+` FROM accounts WHERE login_key = $1`, loginKey(login)))
	if errors.Is(err, pgx.ErrNoRows) {
		err = notFound("login %q", login)
	}
	if err != nil {
		return nil, wrap("get account by login", err)
	}
	return a, nil
}

// lockAccount reads account id and holds its row until the transaction
// ends: the lock of read-modify-write changes of the account and of
// writes to its home's names.
func lockAccount(ctx context.Context, tx pgx.Tx, id string) (*storage.Account, error) {
	a, err := scanAccount(tx.QueryRow(ctx, `SELECT `+accountColumns+` FROM accounts WHERE id = $1 FOR UPDATE`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, notFound("account %q", id)
	}
	return a, err
}

// writeAccount replaces every field of account a.ID but Created.
func writeAccount(ctx context.Context, tx pgx.Tx, a *storage.Account) error {
	if a.Login == "" {
		return errors.New("empty login")
	}
	pt, pns := split(a.PasswordChanged)
	_, err := tx.Exec(ctx, `UPDATE accounts SET login = $2, login_key = $3, display_name = $4, password_hash = $5,
		recovery_email = $6, mobile = $7, totp_secret = $8, totp_enabled = $9, totp_last_step = $10,
		recovery_codes = $11, password_changed = $12, password_changed_ns = $13, admin = $14, disabled = $15 WHERE id = $1`,
		a.ID, a.Login, loginKey(a.Login), a.DisplayName, a.PasswordHash, a.RecoveryEmail, a.Mobile,
		a.TOTPSecret, a.TOTPEnabled, a.TOTPLastStep, list(a.RecoveryCodes), pt, pns, a.Admin, a.Disabled)
	if isUnique(err, "accounts_login_key_key") {
		return fmt.Errorf("login %q: %w", a.Login, storage.ErrExists)
	}
	return err
}

func (s *Store) UpdateAccount(ctx context.Context, a *storage.Account) error {
	var created time.Time
	err := s.tx(ctx, func(tx pgx.Tx) error {
		old, err := lockAccount(ctx, tx, a.ID)
		if err != nil {
			return err
		}
		created = old.Created
		return writeAccount(ctx, tx, a)
	})
	if err != nil {
		return wrap("update account", err)
	}
	a.Created = created
	return nil
}

func (s *Store) ModifyAccount(ctx context.Context, id string, change func(*storage.Account) error) (*storage.Account, error) {
	var out *storage.Account
	var changeErr error
	err := s.tx(ctx, func(tx pgx.Tx) error {
		a, err := lockAccount(ctx, tx, id)
		if err != nil {
			return err
		}
		created := a.Created
		if changeErr = change(a); changeErr != nil {
			return changeErr
		}
		a.ID, a.Created = id, created
		out = a
		return writeAccount(ctx, tx, a)
	})
	if changeErr != nil {
		return nil, changeErr
	}
	if err != nil {
		return nil, wrap("modify account", err)
	}
	return out, nil
}

// DeleteAccount removes the account; the foreign keys' ON DELETE
// CASCADE removes its collections with their members and logs, its
// links, the grants on its collections and to it, its app passwords,
// sessions, tokens, memberships, mailbox links, import jobs and sending
// addresses in the same statement.
func (s *Store) DeleteAccount(ctx context.Context, id string) error {
	tag, err := s.pool.Exec(ctx, `DELETE FROM accounts WHERE id = $1`, id)
	if err == nil && tag.RowsAffected() == 0 {
		err = notFound("account %q", id)
	}
	return wrap("delete account", err)
}

// ListAccounts returns all accounts ordered by lower-cased login,
// compared bytewise like the bbolt backend (COLLATE "C": the cluster's
// locale must not change the order).
func (s *Store) ListAccounts(ctx context.Context) ([]storage.Account, error) {
	return s.accounts(ctx, "list accounts", `SELECT `+accountColumns+` FROM accounts ORDER BY login_key COLLATE "C"`)
}

func (s *Store) AccountsByMobile(ctx context.Context, mobile string) ([]storage.Account, error) {
	if mobile == "" {
		return []storage.Account{}, nil
	}
	return s.accounts(ctx, "find accounts by mobile", `SELECT `+accountColumns+` FROM accounts WHERE mobile = $1 ORDER BY id COLLATE "C"`, mobile)
}

func (s *Store) accounts(ctx context.Context, op, sql string, args ...any) ([]storage.Account, error) {
	rows, err := s.pool.Query(ctx, sql, args...)
	if err != nil {
		return nil, wrap(op, err)
	}
	out := []storage.Account{}
	for rows.Next() {
		a, err := scanAccount(rows)
		if err != nil {
			rows.Close()
			return nil, wrap(op, err)
		}
		out = append(out, *a)
	}
	if err := rows.Err(); err != nil {
		return nil, wrap(op, err)
	}
	return out, nil
}

// AcceptTOTPStep is one conditional UPDATE: of racing logins with one
// code, the row lock lets exactly one see the smaller stored step.
func (s *Store) AcceptTOTPStep(ctx context.Context, id string, step int64) error {
	const op = "accept totp step"
	tag, err := s.pool.Exec(ctx, `UPDATE accounts SET totp_last_step = $2 WHERE id = $1 AND totp_last_step < $2`, id, step)
	if err != nil {
		return wrap(op, err)
	}
	if tag.RowsAffected() == 1 {
		return nil
	}
	var exists bool
	if err := s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM accounts WHERE id = $1)`, id).Scan(&exists); err != nil {
		return wrap(op, err)
	}
	if !exists {
		return wrap(op, notFound("account %q", id))
	}
	return wrap(op, fmt.Errorf("account %q: totp step %d not newer: %w", id, step, storage.ErrPreconditionFailed))
}

func (s *Store) UseRecoveryCode(ctx context.Context, id, hash string) error {
	err := s.tx(ctx, func(tx pgx.Tx) error {
		a, err := lockAccount(ctx, tx, id)
		if err != nil {
			return err
		}
		i := slices.Index(a.RecoveryCodes, hash)
		if hash == "" || i < 0 {
			return notFound("account %q: recovery code", id)
		}
		_, err = tx.Exec(ctx, `UPDATE accounts SET recovery_codes = $2 WHERE id = $1`, id, list(slices.Delete(a.RecoveryCodes, i, i+1)))
		return err
	})
	return wrap("use recovery code", err)
}
