package bolt

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"almanac/storage"

	"go.etcd.io/bbolt"
)

// App passwords, sessions and one-time tokens are small JSON records,
// written in plain transactions. Each kind is kept by its key with an
// index by account:
//
//	apppasswords/<id>                     JSON app password record
//	apppasswordowners/<owner>/<id>        empty
//	sessions/<id>                         JSON session record
//	sessionaccounts/<account>/<id>        empty
//	tokens/<hash>                         JSON token record
//	tokenaccounts/<account>/<hash>        the token's purpose
//
// A lookup (AppPassword, Session, TakeToken) is one Get; listing and bulk
// deletion (AppPasswords, DeleteSessions, DeleteTokens, DeleteAccount)
// walk only the account's index, whose bucket is dropped when it empties.
// The token index holds the purpose so DeleteTokens picks its tokens
// without decoding records.
//
// Expired sessions and tokens are gone for every reader. They are removed
// when met: by TakeToken and DeleteSession, by the account's next
// CreateSession or CreateToken (which walk the account's own index), and
// with the account.
//
// Session IDs and token hashes are derived from secrets, so errors never
// name them; app password IDs are public and do.

// securityKind is one kind of record stored as records/<key> and indexed
// as accounts/<account>/<key>.
type securityKind struct {
	what     string
	secret   bool // keys are hashes of secrets: keep them out of errors
	records  []byte
	accounts []byte
}

var (
	appPasswordKind = securityKind{"app password", false, bucketAppPasswords, bucketAppPasswordOwners}
	sessionKind     = securityKind{"session", true, bucketSessions, bucketSessionAccounts}
	tokenKind       = securityKind{"token", true, bucketTokens, bucketTokenAccounts}
)

// name describes the record key in errors.
func (k securityKind) name(key string) string {
	if k.secret {
		return k.what
	}
	return fmt.Sprintf("%s %q", k.what, key)
}

func (k securityKind) notFound(key string) error {
	return fmt.Errorf("%s: %w", k.name(key), storage.ErrNotFound)
}

func (k securityKind) exists(key string) error {
	return fmt.Errorf("%s: %w", k.name(key), storage.ErrExists)
}

// getSecurity decodes the record key of kind k into a new T, nil when
// there is none.
func getSecurity[T any](tx *bbolt.Tx, k securityKind, key string) (*T, error) {
	return getJSON[T](tx.Bucket(k.records), key, k.name(key))
}

// needSecurity is getSecurity with a missing record ErrNotFound.
func needSecurity[T any](tx *bbolt.Tx, k securityKind, key string) (*T, error) {
	r, err := getSecurity[T](tx, k, key)
	if err == nil && r == nil {
		err = k.notFound(key)
	}
	return r, err
}

// put writes the record rec under key and, when index is set, the
// account's index entry with value idx.
func (k securityKind) put(tx *bbolt.Tx, account, key string, rec any, index bool, idx []byte) error {
	if err := putJSON(tx.Bucket(k.records), key, rec); err != nil {
		return err
	}
	if !index {
		return nil
	}
	ab, err := tx.Bucket(k.accounts).CreateBucketIfNotExists([]byte(account))
	if err != nil {
		return err
	}
	if idx == nil {
		idx = []byte{}
	}
	return ab.Put([]byte(key), idx)
}

// delete removes the record key, its index entry and the index bucket if
// that leaves it empty.
func (k securityKind) delete(tx *bbolt.Tx, account, key string) error {
	idxs := tx.Bucket(k.accounts)
	if ab := idxs.Bucket([]byte(account)); ab != nil {
		if err := ab.Delete([]byte(key)); err != nil {
			return err
		}
		if err := dropIfEmpty(idxs, []byte(account)); err != nil {
			return err
		}
	}
	return tx.Bucket(k.records).Delete([]byte(key))
}

// deleteWhere removes the account's records for which match(key, index
// value) holds, or all of them when match is nil, and drops the index
// bucket if that leaves it empty.
func (k securityKind) deleteWhere(tx *bbolt.Tx, account string, match func(key, idx []byte) (bool, error)) error {
	idxs := tx.Bucket(k.accounts)
	ab := idxs.Bucket([]byte(account))
	if ab == nil {
		return nil
	}
	// Deleting under a bbolt cursor can skip the next key, so the keys
	// are collected (copied) first.
	var keys [][]byte
	err := ab.ForEach(func(key, v []byte) error {
		if v == nil {
			return fmt.Errorf("%s index of %q: nested bucket: %w", k.what, account, errCorrupt)
		}
		if match != nil {
			ok, err := match(key, v)
			if err != nil || !ok {
				return err
			}
		}
		keys = append(keys, bytes.Clone(key))
		return nil
	})
	if err != nil {
		return err
	}
	records := tx.Bucket(k.records)
	for _, key := range keys {
		if err := records.Delete(key); err != nil {
			return err
		}
		if err := ab.Delete(key); err != nil {
			return err
		}
	}
	return dropIfEmpty(idxs, []byte(account))
}

// keys returns the account's keys of kind k in key order.
func (k securityKind) keys(tx *bbolt.Tx, account string) ([]string, error) {
	ab := tx.Bucket(k.accounts).Bucket([]byte(account))
	if ab == nil {
		return nil, nil
	}
	var out []string
	err := ab.ForEach(func(key, v []byte) error {
		if v == nil {
			return fmt.Errorf("%s index of %q: nested bucket: %w", k.what, account, errCorrupt)
		}
		out = append(out, string(key))
		return nil
	})
	return out, err
}

// deleteAccountSecurity removes id's app passwords, sessions and tokens;
// DeleteAccount calls it inside its transaction.
func deleteAccountSecurity(tx *bbolt.Tx, id string) error {
	for _, k := range []securityKind{appPasswordKind, sessionKind, tokenKind} {
		if err := k.deleteWhere(tx, id, nil); err != nil {
			return err
		}
	}
	return nil
}

func needAccount(tx *bbolt.Tx, id string) error {
	if tx.Bucket(bucketAccounts).Get([]byte(id)) == nil {
		return fmt.Errorf("account %q: %w", id, storage.ErrNotFound)
	}
	return nil
}

// expired reports whether a session or token expiring at expires is gone
// at now.
func expired(expires, now time.Time) bool {
	return !now.Before(expires)
}

// App passwords

// appPasswordRecord is the stored form of an AppPassword; the JSON tags
// keep the file format independent of the domain type's field names.
type appPasswordRecord struct {
	ID         string    `json:"id"`
	Owner      string    `json:"owner"`
	Name       string    `json:"name,omitempty"`
	Hash       string    `json:"hash"`
	Scope      string    `json:"scope"`
	Created    time.Time `json:"created"`
	LastUsed   time.Time `json:"last_used,omitzero"`
	LastClient string    `json:"last_client,omitempty"`
}

func (r *appPasswordRecord) appPassword() *storage.AppPassword {
	return &storage.AppPassword{
		ID:         r.ID,
		Owner:      r.Owner,
		Name:       r.Name,
		Hash:       r.Hash,
		Scope:      r.Scope,
		Created:    r.Created,
		LastUsed:   r.LastUsed,
		LastClient: r.LastClient,
	}
}

// CreateAppPassword stores p with Created now and no use recorded, and
// writes the stored password back into *p. The owner must exist
// (ErrNotFound) and the ID be free (ErrExists).
func (db *DB) CreateAppPassword(ctx context.Context, p *storage.AppPassword) error {
	const op = "create app password"
	if err := ctxErr(ctx, op); err != nil {
		return err
	}
	if err := checkKey("app password id", p.ID); err != nil {
		return wrap(op, err)
	}
	if err := checkKey("owner", p.Owner); err != nil {
		return wrap(op, err)
	}
	r := &appPasswordRecord{
		ID:      p.ID,
		Owner:   p.Owner,
		Name:    p.Name,
		Hash:    p.Hash,
		Scope:   p.Scope,
		Created: time.Now().UTC(),
	}
	err := db.execChecked(op, func(tx *bbolt.Tx) error {
		if err := needAccount(tx, r.Owner); err != nil {
			return err
		}
		if tx.Bucket(bucketAppPasswords).Get([]byte(r.ID)) != nil {
			return appPasswordKind.exists(r.ID)
		}
		return appPasswordKind.put(tx, r.Owner, r.ID, r, true, nil)
	})
	if err != nil {
		return err
	}
	*p = *r.appPassword()
	return nil
}

// AppPassword returns the app password with the given ID.
func (db *DB) AppPassword(ctx context.Context, id string) (*storage.AppPassword, error) {
	return view(db, ctx, "get app password", func(tx *bbolt.Tx) (*storage.AppPassword, error) {
		r, err := needSecurity[appPasswordRecord](tx, appPasswordKind, id)
		if err != nil {
			return nil, err
		}
		return r.appPassword(), nil
	})
}

// AppPasswords returns owner's app passwords ordered by Created, then ID,
// reading only the owner's index. A missing account is ErrNotFound; one
// without app passwords gets an empty, non-nil list.
func (db *DB) AppPasswords(ctx context.Context, owner string) ([]storage.AppPassword, error) {
	out, err := view(db, ctx, "list app passwords", func(tx *bbolt.Tx) ([]storage.AppPassword, error) {
		if err := needAccount(tx, owner); err != nil {
			return nil, err
		}
		ids, err := appPasswordKind.keys(tx, owner)
		if err != nil {
			return nil, err
		}
		return appendIndexed([]storage.AppPassword{}, ids, "app password index", owner,
			func(id string) (*appPasswordRecord, error) {
				return getSecurity[appPasswordRecord](tx, appPasswordKind, id)
			},
			func(r *appPasswordRecord) bool { return r.Owner == owner }, (*appPasswordRecord).appPassword)
	})
	slices.SortFunc(out, func(a, b storage.AppPassword) int {
		return cmp.Or(a.Created.Compare(b.Created), strings.Compare(a.ID, b.ID))
	})
	return out, err
}

// DeleteAppPassword removes owner's app password id. An ID of another
// account's password is ErrNotFound, as if it did not exist.
func (db *DB) DeleteAppPassword(ctx context.Context, owner, id string) error {
	return db.exec(ctx, "delete app password", func(tx *bbolt.Tx) error {
		r, err := getSecurity[appPasswordRecord](tx, appPasswordKind, id)
		if err != nil {
			return err
		}
		if r == nil || r.Owner != owner {
			return appPasswordKind.notFound(id)
		}
		return appPasswordKind.delete(tx, r.Owner, r.ID)
	})
}

// DeleteAppPasswords removes all of owner's app passwords.
func (db *DB) DeleteAppPasswords(ctx context.Context, owner string) error {
	return db.exec(ctx, "delete app passwords", func(tx *bbolt.Tx) error {
		if err := needAccount(tx, owner); err != nil {
			return err
		}
		return appPasswordKind.deleteWhere(tx, owner, nil)
	})
}

// TouchAppPassword records a use of app password id at when by client.
// A use older than the recorded one changes nothing, so uses flushed out
// of order keep the latest.
func (db *DB) TouchAppPassword(ctx context.Context, id string, when time.Time, client string) error {
	return db.exec(ctx, "touch app password", func(tx *bbolt.Tx) error {
		r, err := needSecurity[appPasswordRecord](tx, appPasswordKind, id)
		if err != nil {
			return err
		}
		if when.Before(r.LastUsed) {
			return nil
		}
		r.LastUsed = when.UTC()
		r.LastClient = client
		return appPasswordKind.put(tx, r.Owner, r.ID, r, false, nil)
	})
}

// Sessions

// sessionRecord is the stored form of a Session.
type sessionRecord struct {
	ID        string    `json:"id"`
	Account   string    `json:"account"`
	CSRF      string    `json:"csrf,omitempty"`
	Created   time.Time `json:"created"`
	Expires   time.Time `json:"expires"`
	TwoFactor bool      `json:"two_factor,omitempty"`
}

func (r *sessionRecord) session() *storage.Session {
	return &storage.Session{
		ID:        r.ID,
		Account:   r.Account,
		CSRF:      r.CSRF,
		Created:   r.Created,
		Expires:   r.Expires,
		TwoFactor: r.TwoFactor,
	}
}

// pruneSessions removes account's sessions expired at now.
func pruneSessions(tx *bbolt.Tx, account string, now time.Time) error {
	return sessionKind.deleteWhere(tx, account, func(key, _ []byte) (bool, error) {
		r, err := getSecurity[sessionRecord](tx, sessionKind, string(key))
		if err != nil {
			return false, err
		}
		return r == nil || expired(r.Expires, now), nil
	})
}

// CreateSession stores s with Created now and writes it back into *s. The
// account must exist (ErrNotFound) and the ID be free (ErrExists; an
// expired session does not hold it). The account's expired sessions are
// dropped in the same transaction.
func (db *DB) CreateSession(ctx context.Context, s *storage.Session) error {
	const op = "create session"
	if err := ctxErr(ctx, op); err != nil {
		return err
	}
	if err := checkKey("session id", s.ID); err != nil {
		return wrap(op, err)
	}
	if err := checkKey("account id", s.Account); err != nil {
		return wrap(op, err)
	}
	if s.Expires.IsZero() {
		return wrap(op, errors.New("session without expiry"))
	}
	now := time.Now().UTC()
	r := &sessionRecord{
		ID:        s.ID,
		Account:   s.Account,
		CSRF:      s.CSRF,
		Created:   now,
		Expires:   s.Expires.UTC(),
		TwoFactor: s.TwoFactor,
	}
	err := db.execChecked(op, func(tx *bbolt.Tx) error {
		if err := needAccount(tx, r.Account); err != nil {
			return err
		}
		old, err := getSecurity[sessionRecord](tx, sessionKind, r.ID)
		if err != nil {
			return err
		}
		if old != nil {
			if !expired(old.Expires, now) {
				return sessionKind.exists(r.ID)
			}
			if err := sessionKind.delete(tx, old.Account, old.ID); err != nil {
				return err
			}
		}
		if err := pruneSessions(tx, r.Account, now); err != nil {
			return err
		}
		return sessionKind.put(tx, r.Account, r.ID, r, true, nil)
	})
	if err != nil {
		return err
	}
	*s = *r.session()
	return nil
}

// Session returns the session id unless it has expired.
func (db *DB) Session(ctx context.Context, id string) (*storage.Session, error) {
	return view(db, ctx, "get session", func(tx *bbolt.Tx) (*storage.Session, error) {
		r, err := getSecurity[sessionRecord](tx, sessionKind, id)
		if err != nil {
			return nil, err
		}
		if r == nil || expired(r.Expires, time.Now()) {
			return nil, sessionKind.notFound(id)
		}
		return r.session(), nil
	})
}

// DeleteSession removes the session id. An expired one is removed too but
// reported as ErrNotFound, as Session reports it.
func (db *DB) DeleteSession(ctx context.Context, id string) error {
	const op = "delete session"
	gone, err := update(db, ctx, op, func(tx *bbolt.Tx) (bool, error) {
		r, err := needSecurity[sessionRecord](tx, sessionKind, id)
		if err != nil {
			return false, err
		}
		gone := expired(r.Expires, time.Now())
		return gone, sessionKind.delete(tx, r.Account, r.ID)
	})
	if err == nil && gone {
		err = wrap(op, sessionKind.notFound(id))
	}
	return err
}

// DeleteSessions removes all of account's sessions but except.
func (db *DB) DeleteSessions(ctx context.Context, account, except string) error {
	return db.exec(ctx, "delete sessions", func(tx *bbolt.Tx) error {
		if err := needAccount(tx, account); err != nil {
			return err
		}
		return sessionKind.deleteWhere(tx, account, func(key, _ []byte) (bool, error) {
			return except == "" || string(key) != except, nil
		})
	})
}

// One-time tokens

// tokenRecord is the stored form of a Token.
type tokenRecord struct {
	Hash    string    `json:"hash"`
	Account string    `json:"account"`
	Purpose string    `json:"purpose"`
	Data    string    `json:"data,omitempty"`
	Expires time.Time `json:"expires"`
}

func (r *tokenRecord) token() *storage.Token {
	return &storage.Token{
		Hash:    r.Hash,
		Account: r.Account,
		Purpose: r.Purpose,
		Data:    r.Data,
		Expires: r.Expires,
	}
}

// CreateToken stores t. The account must exist (ErrNotFound) and the hash
// be free (ErrExists; an expired token does not hold it). The account's
// expired tokens are dropped in the same transaction.
func (db *DB) CreateToken(ctx context.Context, t *storage.Token) error {
	const op = "create token"
	if err := ctxErr(ctx, op); err != nil {
		return err
	}
	if err := checkKey("token hash", t.Hash); err != nil {
		return wrap(op, err)
	}
	if err := checkKey("account id", t.Account); err != nil {
		return wrap(op, err)
	}
	if t.Purpose == "" {
		return wrap(op, errors.New("token without purpose"))
	}
	if t.Expires.IsZero() {
		return wrap(op, errors.New("token without expiry"))
	}
	now := time.Now()
	r := &tokenRecord{
		Hash:    t.Hash,
		Account: t.Account,
		Purpose: t.Purpose,
		Data:    t.Data,
		Expires: t.Expires.UTC(),
	}
	return db.execChecked(op, func(tx *bbolt.Tx) error {
		if err := needAccount(tx, r.Account); err != nil {
			return err
		}
		old, err := getSecurity[tokenRecord](tx, tokenKind, r.Hash)
		if err != nil {
			return err
		}
		if old != nil {
			if !expired(old.Expires, now) {
				return tokenKind.exists(r.Hash)
			}
			if err := tokenKind.delete(tx, old.Account, old.Hash); err != nil {
				return err
			}
		}
		err = tokenKind.deleteWhere(tx, r.Account, func(key, _ []byte) (bool, error) {
			o, err := getSecurity[tokenRecord](tx, tokenKind, string(key))
			if err != nil {
				return false, err
			}
			return o == nil || expired(o.Expires, now), nil
		})
		if err != nil {
			return err
		}
		return tokenKind.put(tx, r.Account, r.Hash, r, true, []byte(r.Purpose))
	})
}

// TakeToken deletes and returns the token hash of the given purpose in one
// write transaction, which bbolt runs one at a time: of concurrent takers
// exactly one gets it. A token of another purpose stays; an expired one is
// deleted; both are ErrNotFound.
func (db *DB) TakeToken(ctx context.Context, hash, purpose string) (*storage.Token, error) {
	const op = "take token"
	out, err := update(db, ctx, op, func(tx *bbolt.Tx) (*storage.Token, error) {
		r, err := getSecurity[tokenRecord](tx, tokenKind, hash)
		if err != nil {
			return nil, err
		}
		if r == nil || r.Purpose != purpose {
			return nil, tokenKind.notFound(hash)
		}
		if err := tokenKind.delete(tx, r.Account, r.Hash); err != nil {
			return nil, err
		}
		if expired(r.Expires, time.Now()) {
			// An expired token's deletion commits; the caller gets
			// ErrNotFound below.
			return nil, nil
		}
		return r.token(), nil
	})
	if err == nil && out == nil {
		err = wrap(op, tokenKind.notFound(hash))
	}
	return out, err
}

// DeleteTokens removes account's tokens of purpose, or all its tokens when
// purpose is empty, reading only the account's index.
func (db *DB) DeleteTokens(ctx context.Context, account, purpose string) error {
	return db.exec(ctx, "delete tokens", func(tx *bbolt.Tx) error {
		if err := needAccount(tx, account); err != nil {
			return err
		}
		return tokenKind.deleteWhere(tx, account, func(_, p []byte) (bool, error) {
			return purpose == "" || string(p) == purpose, nil
		})
	})
}
