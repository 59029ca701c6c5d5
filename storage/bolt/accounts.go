package bolt

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"almanac/storage"

	"go.etcd.io/bbolt"
	bberrors "go.etcd.io/bbolt/errors"
)

// accountRecord is the stored form of an Account; the JSON tags keep the
// file format independent of the domain type's field names.
// Fields added later are omitted when zero, so records written before them
// decode with zero values and unused ones cost nothing.
type accountRecord struct {
	ID              string    `json:"id"`
	Login           string    `json:"login"`
	DisplayName     string    `json:"display_name,omitempty"`
	PasswordHash    string    `json:"password_hash,omitempty"`
	Created         time.Time `json:"created"`
	RecoveryEmail   string    `json:"recovery_email,omitempty"`
	Mobile          string    `json:"mobile,omitempty"`
	TOTPSecret      string    `json:"totp_secret,omitempty"`
	TOTPEnabled     bool      `json:"totp_enabled,omitempty"`
	TOTPLastStep    int64     `json:"totp_last_step,omitempty"`
	RecoveryCodes   []string  `json:"recovery_codes,omitempty"`
	PasswordChanged time.Time `json:"password_changed,omitzero"`
	Admin           bool      `json:"admin,omitempty"`
	Disabled        bool      `json:"disabled,omitempty"`
}

// newAccountRecord is a as stored: times in UTC, no empty or shared
// recovery code list.
func newAccountRecord(a *storage.Account) *accountRecord {
	r := &accountRecord{
		ID:              a.ID,
		Login:           a.Login,
		DisplayName:     a.DisplayName,
		PasswordHash:    a.PasswordHash,
		Created:         a.Created.UTC(),
		RecoveryEmail:   a.RecoveryEmail,
		Mobile:          a.Mobile,
		TOTPSecret:      a.TOTPSecret,
		TOTPEnabled:     a.TOTPEnabled,
		TOTPLastStep:    a.TOTPLastStep,
		PasswordChanged: a.PasswordChanged.UTC(),
		Admin:           a.Admin,
		Disabled:        a.Disabled,
	}
	if len(a.RecoveryCodes) > 0 {
		r.RecoveryCodes = slices.Clone(a.RecoveryCodes)
	}
	return r
}

// loginKey is the logins index key: logins compare case-insensitively
// while the account keeps the spelling the user chose.
func loginKey(login string) []byte {
	return []byte(strings.ToLower(login))
}

func getAccount(tx *bbolt.Tx, id string) (*accountRecord, error) {
	v := tx.Bucket(bucketAccounts).Get([]byte(id))
	if v == nil {
		return nil, fmt.Errorf("account %q: %w", id, storage.ErrNotFound)
	}
	var r accountRecord
	if err := json.Unmarshal(v, &r); err != nil {
		return nil, fmt.Errorf("account %q: %w", id, err)
	}
	return &r, nil
}

func putAccount(tx *bbolt.Tx, r *accountRecord) error {
	v, err := json.Marshal(r)
	if err != nil {
		return err
	}
	return tx.Bucket(bucketAccounts).Put([]byte(r.ID), v)
}

func (r *accountRecord) account() *storage.Account {
	return &storage.Account{
		ID:              r.ID,
		Login:           r.Login,
		DisplayName:     r.DisplayName,
		PasswordHash:    r.PasswordHash,
		Created:         r.Created,
		RecoveryEmail:   r.RecoveryEmail,
		Mobile:          r.Mobile,
		TOTPSecret:      r.TOTPSecret,
		TOTPEnabled:     r.TOTPEnabled,
		TOTPLastStep:    r.TOTPLastStep,
		RecoveryCodes:   slices.Clone(r.RecoveryCodes),
		PasswordChanged: r.PasswordChanged,
		Admin:           r.Admin,
		Disabled:        r.Disabled,
	}
}

// CreateAccount stores a, filling a.ID with a random handle when empty and
// a.Created when zero. A login taken in any letter case is ErrExists, as
// is an explicit ID already in use.
func (db *DB) CreateAccount(ctx context.Context, a *storage.Account) error {
	const op = "create account"
	if err := ctxErr(ctx, op); err != nil {
		return err
	}
	if err := checkKey("login", a.Login); err != nil {
		return wrap(op, err)
	}
	if a.ID != "" {
		if err := checkKey("account id", a.ID); err != nil {
			return wrap(op, err)
		}
	}
	r := newAccountRecord(a)
	if r.Created.IsZero() {
		r.Created = time.Now().UTC()
	}
	err := db.execChecked(op, func(tx *bbolt.Tx) error {
		accounts, logins := tx.Bucket(bucketAccounts), tx.Bucket(bucketLogins)
		if a.ID == "" {
			// 50 random bits make a collision rare, not impossible.
			for r.ID = randomID(10); accounts.Get([]byte(r.ID)) != nil; r.ID = randomID(10) {
			}
		} else if accounts.Get([]byte(r.ID)) != nil {
			return fmt.Errorf("account %q: %w", r.ID, storage.ErrExists)
		}
		lk := loginKey(r.Login)
		if logins.Get(lk) != nil {
			return fmt.Errorf("login %q: %w", r.Login, storage.ErrExists)
		}
		if err := logins.Put(lk, []byte(r.ID)); err != nil {
			return err
		}
		return putAccount(tx, r)
	})
	if err != nil {
		return err
	}
	a.ID, a.Created = r.ID, r.Created
	return nil
}

// Account returns the account with the given ID.
func (db *DB) Account(ctx context.Context, id string) (*storage.Account, error) {
	return view(db, ctx, "get account", func(tx *bbolt.Tx) (*storage.Account, error) {
		r, err := getAccount(tx, id)
		if err != nil {
			return nil, err
		}
		return r.account(), nil
	})
}

// AccountByLogin finds an account by login in any letter case.
func (db *DB) AccountByLogin(ctx context.Context, login string) (*storage.Account, error) {
	return view(db, ctx, "get account by login", func(tx *bbolt.Tx) (*storage.Account, error) {
		id := tx.Bucket(bucketLogins).Get(loginKey(login))
		if id == nil {
			return nil, fmt.Errorf("login %q: %w", login, storage.ErrNotFound)
		}
		r, err := getAccount(tx, string(id))
		if err != nil {
			return nil, err
		}
		return r.account(), nil
	})
}

// UpdateAccount replaces every field of the account a.ID but Created,
// moving its logins index entry when the login changes. Created is
// immutable; a.Created is set to the stored value.
func (db *DB) UpdateAccount(ctx context.Context, a *storage.Account) error {
	const op = "update account"
	if err := ctxErr(ctx, op); err != nil {
		return err
	}
	if err := checkKey("login", a.Login); err != nil {
		return wrap(op, err)
	}
	var created time.Time
	err := db.execChecked(op, func(tx *bbolt.Tx) error {
		old, err := getAccount(tx, a.ID)
		if err != nil {
			return err
		}
		logins := tx.Bucket(bucketLogins)
		oldKey, newKey := loginKey(old.Login), loginKey(a.Login)
		if !bytes.Equal(oldKey, newKey) {
			if logins.Get(newKey) != nil {
				return fmt.Errorf("login %q: %w", a.Login, storage.ErrExists)
			}
			if err := logins.Delete(oldKey); err != nil {
				return err
			}
			if err := logins.Put(newKey, []byte(a.ID)); err != nil {
				return err
			}
		}
		created = old.Created
		r := newAccountRecord(a)
		r.Created = old.Created
		return putAccount(tx, r)
	})
	if err != nil {
		return err
	}
	a.Created = created
	return nil
}

// ModifyAccount reads account id, lets change edit it and writes the
// result, all in one write transaction, so that concurrent changes to
// different fields (a password and a 2FA setting) never undo each
// other. An error from change aborts without writing; login uniqueness
// is kept as in UpdateAccount.
func (db *DB) ModifyAccount(ctx context.Context, id string, change func(*storage.Account) error) (*storage.Account, error) {
	const op = "modify account"
	if err := ctxErr(ctx, op); err != nil {
		return nil, err
	}
	var out *storage.Account
	var changeErr error
	err := db.execChecked(op, func(tx *bbolt.Tx) error {
		old, err := getAccount(tx, id)
		if err != nil {
			return err
		}
		a := old.account()
		if changeErr = change(a); changeErr != nil {
			return nil
		}
		a.ID, a.Created = id, old.Created
		if err := checkKey("login", a.Login); err != nil {
			return err
		}
		logins := tx.Bucket(bucketLogins)
		oldKey, newKey := loginKey(old.Login), loginKey(a.Login)
		if !bytes.Equal(oldKey, newKey) {
			if logins.Get(newKey) != nil {
				return fmt.Errorf("login %q: %w", a.Login, storage.ErrExists)
			}
			if err := logins.Delete(oldKey); err != nil {
				return err
			}
			if err := logins.Put(newKey, []byte(id)); err != nil {
				return err
			}
		}
		out = a
		return putAccount(tx, newAccountRecord(a))
	})
	if err != nil {
		return nil, err
	}
	if changeErr != nil {
		return nil, changeErr
	}
	return out, nil
}

// DeleteAccount removes the account, its login, all its collections, all
// its links, the grants on its collections, the grants to it, its app
// passwords, sessions, tokens, organization memberships and mailbox links
// in one transaction.
func (db *DB) DeleteAccount(ctx context.Context, id string) error {
	return db.exec(ctx, "delete account", func(tx *bbolt.Tx) error {
		r, err := getAccount(tx, id)
		if err != nil {
			return err
		}
		err = tx.Bucket(bucketCollections).DeleteBucket([]byte(id))
		if err != nil && !errors.Is(err, bberrors.ErrBucketNotFound) {
			return err
		}
		if err := deleteLinks(tx, id, ""); err != nil {
			return err
		}
		if err := deleteAccountGrants(tx, id); err != nil {
			return err
		}
		if err := deleteAccountSecurity(tx, id); err != nil {
			return err
		}
		if err := deleteAccountMail(tx, id); err != nil {
			return err
		}
		if err := deleteAccountImportJobs(tx, id); err != nil {
			return err
		}
		if err := tx.Bucket(bucketLogins).Delete(loginKey(r.Login)); err != nil {
			return err
		}
		return tx.Bucket(bucketAccounts).Delete([]byte(id))
	})
}

// ListAccounts returns all accounts ordered by lowercased login, the order
// an operator listing them expects.
func (db *DB) ListAccounts(ctx context.Context) ([]storage.Account, error) {
	return view(db, ctx, "list accounts", func(tx *bbolt.Tx) ([]storage.Account, error) {
		var out []storage.Account
		err := tx.Bucket(bucketLogins).ForEach(func(_, id []byte) error {
			r, err := getAccount(tx, string(id))
			if err != nil {
				return err
			}
			out = append(out, *r.account())
			return nil
		})
		return out, err
	})
}

// AccountsByMobile returns the accounts whose Mobile is exactly mobile, in
// ID order. There is no index: recovery by SMS is rare, so it decodes
// every account record rather than keep one more index in step.
func (db *DB) AccountsByMobile(ctx context.Context, mobile string) ([]storage.Account, error) {
	const op = "find accounts by mobile"
	if err := ctxErr(ctx, op); err != nil {
		return nil, err
	}
	out := []storage.Account{}
	if mobile == "" {
		return out, nil
	}
	err := db.bdb.View(func(tx *bbolt.Tx) error {
		return tx.Bucket(bucketAccounts).ForEach(func(k, v []byte) error {
			var r accountRecord
			if err := json.Unmarshal(v, &r); err != nil {
				return fmt.Errorf("account %q: %w", k, err)
			}
			if r.Mobile == mobile {
				out = append(out, *r.account())
			}
			return nil
		})
	})
	if err != nil {
		return nil, wrap(op, err)
	}
	return out, nil
}

// AcceptTOTPStep sets the account's TOTPLastStep to step when step is
// greater, in one transaction, so of two logins racing with the same code
// one gets ErrPreconditionFailed. Nothing else of the record changes.
func (db *DB) AcceptTOTPStep(ctx context.Context, id string, step int64) error {
	return db.exec(ctx, "accept totp step", func(tx *bbolt.Tx) error {
		r, err := getAccount(tx, id)
		if err != nil {
			return err
		}
		if step <= r.TOTPLastStep {
			return fmt.Errorf("account %q: totp step %d not after %d: %w", id, step, r.TOTPLastStep, storage.ErrPreconditionFailed)
		}
		r.TOTPLastStep = step
		return putAccount(tx, r)
	})
}

// UseRecoveryCode removes hash from the account's RecoveryCodes in one
// transaction, so a code spent by one login is ErrNotFound for any other.
// Nothing else of the record changes.
func (db *DB) UseRecoveryCode(ctx context.Context, id, hash string) error {
	return db.exec(ctx, "use recovery code", func(tx *bbolt.Tx) error {
		r, err := getAccount(tx, id)
		if err != nil {
			return err
		}
		i := slices.Index(r.RecoveryCodes, hash)
		if hash == "" || i < 0 {
			return fmt.Errorf("account %q: recovery code: %w", id, storage.ErrNotFound)
		}
		r.RecoveryCodes = slices.Delete(r.RecoveryCodes, i, i+1)
		if len(r.RecoveryCodes) == 0 {
			r.RecoveryCodes = nil
		}
		return putAccount(tx, r)
	})
}
