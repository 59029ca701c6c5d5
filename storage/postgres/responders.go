package postgres

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"almanac/storage"
	"almanac/storage/internal/records"
)

// A responder's or template's settings are one jsonb document in the
// bbolt backend's JSON format; keys, flags and dates are columns. The
// partial unique indexes keep one active responder per mailbox and one
// default template per service even against racing servers; the
// writers clear the old one first in the same transaction.

const responderColumns = `r.service, m.local_part, r.id, r.active, r.handle, r.template, r.settings, r.created, r.updated`

const responderFrom = ` FROM responders r JOIN mailboxes m ON m.service = r.service AND m.local_key = r.local_key `

func scanResponder(row pgx.Row) (*storage.Responder, error) {
	var r storage.Responder
	var raw []byte
	if err := row.Scan(&r.Service, &r.LocalPart, &r.ID, &r.Active, &r.Handle, &r.Template, &raw, &r.Created, &r.Updated); err != nil {
		return nil, err
	}
	var set records.ResponderSettings
	if err := json.Unmarshal(raw, &set); err != nil {
		return nil, err
	}
	r.ResponderSettings = set.Settings()
	r.Created, r.Updated = r.Created.UTC(), r.Updated.UTC()
	return &r, nil
}

func settingsJSON(s *storage.ResponderSettings) ([]byte, error) {
	return json.Marshal(records.FromResponderSettings(s))
}

func notFoundResponder(service, local, id string) error {
	return fmt.Errorf("responder %q of mailbox %q of service %q: %w", id, mailKey(local), service, storage.ErrNotFound)
}

func responders(ctx context.Context, q interface {
	Query(context.Context, string, ...any) (pgx.Rows, error)
}, sql string, args ...any) ([]storage.Responder, error) {
	rows, err := q.Query(ctx, sql, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []storage.Responder{}
	for rows.Next() {
		r, err := scanResponder(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *r)
	}
	return out, rows.Err()
}

func getResponder(ctx context.Context, q querier, service, local, id string, lock bool) (*storage.Responder, error) {
	sql := `SELECT ` + responderColumns + responderFrom + `WHERE r.service = $1 AND r.local_key = $2 AND r.id = $3`
	if lock {
		sql += ` FOR UPDATE OF r`
	}
	r, err := scanResponder(q.QueryRow(ctx, sql, service, mailKey(local), id))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, notFoundResponder(service, local, id)
	}
	return r, err
}

// deactivateOthers makes every responder of the mailbox but keep
// inactive, stamping the ones it changes.
func deactivateOthers(ctx context.Context, tx pgx.Tx, service, key, keep string, t time.Time) error {
	_, err := tx.Exec(ctx, `UPDATE responders SET active = false, updated = $4
		WHERE service = $1 AND local_key = $2 AND id <> $3 AND active`, service, key, keep, t)
	return err
}

// CreateResponders locks each mailbox row before counting its
// responders, so concurrent creators respect max.
func (s *Store) CreateResponders(ctx context.Context, rs []storage.Responder, max int) error {
	const op = "create responders"
	t := now()
	out := make([]storage.Responder, len(rs))
	err := s.tx(ctx, func(tx pgx.Tx) error {
		for i := range rs {
			m, err := getMailbox(ctx, tx, rs[i].Service, rs[i].LocalPart, true)
			if err != nil {
				return err
			}
			key := mailKey(m.LocalPart)
			var have int
			if err := tx.QueryRow(ctx, `SELECT count(*) FROM responders WHERE service = $1 AND local_key = $2`, m.Service, key).Scan(&have); err != nil {
				return err
			}
			if max >= 0 && have >= max {
				return fmt.Errorf("mailbox %q of service %q has %d responders: %w", m.LocalPart, m.Service, have, storage.ErrLimit)
			}
			set, err := settingsJSON(&rs[i].ResponderSettings)
			if err != nil {
				return err
			}
			handle := rs[i].Handle
			if handle == "" {
				handle = randomID(16)
			}
			id := randomID(12)
			if rs[i].Active {
				if err := deactivateOthers(ctx, tx, m.Service, key, id, t); err != nil {
					return err
				}
			}
			if _, err := tx.Exec(ctx, `INSERT INTO responders (service, local_key, id, active, handle, template, settings, created, updated)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)`, m.Service, key, id, rs[i].Active, handle, rs[i].Template, set, t); err != nil {
				return err
			}
			r, err := getResponder(ctx, tx, m.Service, key, id, false)
			if err != nil {
				return err
			}
			out[i] = *r
		}
		return nil
	})
	if err != nil {
		return wrap(op, err)
	}
	// A later copy for the same mailbox deactivated an earlier active one.
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j].Active && out[j].Service == out[i].Service && mailKey(out[j].LocalPart) == mailKey(out[i].LocalPart) {
				out[i].Active = false
			}
		}
	}
	copy(rs, out)
	return nil
}

func (s *Store) Responder(ctx context.Context, service, local, id string) (*storage.Responder, error) {
	r, err := getResponder(ctx, s.pool, service, local, id, false)
	if err != nil {
		return nil, wrap("get responder", err)
	}
	return r, nil
}

func (s *Store) Responders(ctx context.Context, service, local string) ([]storage.Responder, error) {
	var out []storage.Responder
	err := s.read(ctx, func(tx pgx.Tx) error {
		if _, err := getMailbox(ctx, tx, service, local, false); err != nil {
			return err
		}
		var err error
		out, err = responders(ctx, tx, `SELECT `+responderColumns+responderFrom+
			`WHERE r.service = $1 AND r.local_key = $2 ORDER BY r.created, r.id`, service, mailKey(local))
		return err
	})
	if err != nil {
		return nil, wrap("list responders", err)
	}
	return out, nil
}

func (s *Store) UpdateResponder(ctx context.Context, r *storage.Responder) error {
	set, err := settingsJSON(&r.ResponderSettings)
	if err != nil {
		return wrap("update responder", err)
	}
	var out *storage.Responder
	err = s.tx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE responders SET settings = $4, updated = $5 WHERE service = $1 AND local_key = $2 AND id = $3`,
			r.Service, mailKey(r.LocalPart), r.ID, set, now())
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return notFoundResponder(r.Service, r.LocalPart, r.ID)
		}
		out, err = getResponder(ctx, tx, r.Service, r.LocalPart, r.ID, false)
		return err
	})
	if err != nil {
		return wrap("update responder", err)
	}
	*r = *out
	return nil
}

func (s *Store) SetResponderActive(ctx context.Context, service, local, id string, active bool) (*storage.Responder, error) {
	var out *storage.Responder
	err := s.tx(ctx, func(tx pgx.Tx) error {
		if _, err := getMailbox(ctx, tx, service, local, true); err != nil {
			return err
		}
		r, err := getResponder(ctx, tx, service, local, id, true)
		if err != nil {
			return err
		}
		t := now()
		if active {
			if err := deactivateOthers(ctx, tx, service, mailKey(local), id, t); err != nil {
				return err
			}
		}
		if r.Active != active {
			if _, err := tx.Exec(ctx, `UPDATE responders SET active = $4, updated = $5 WHERE service = $1 AND local_key = $2 AND id = $3`,
				service, mailKey(local), id, active, t); err != nil {
				return err
			}
		}
		out, err = getResponder(ctx, tx, service, local, id, false)
		return err
	})
	if err != nil {
		return nil, wrap("set responder active", err)
	}
	return out, nil
}

func (s *Store) ResetResponder(ctx context.Context, service, local, id, handle string) (*storage.Responder, error) {
	const op = "reset responder"
	if handle == "" {
		return nil, wrap(op, errors.New("empty handle"))
	}
	var out *storage.Responder
	err := s.tx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE responders SET handle = $4, updated = $5 WHERE service = $1 AND local_key = $2 AND id = $3`,
			service, mailKey(local), id, handle, now())
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return notFoundResponder(service, local, id)
		}
		out, err = getResponder(ctx, tx, service, local, id, false)
		return err
	})
	if err != nil {
		return nil, wrap(op, err)
	}
	return out, nil
}

func (s *Store) DeleteResponder(ctx context.Context, service, local, id string) error {
	tag, err := s.pool.Exec(ctx, `DELETE FROM responders WHERE service = $1 AND local_key = $2 AND id = $3`, service, mailKey(local), id)
	if err == nil && tag.RowsAffected() == 0 {
		err = notFoundResponder(service, local, id)
	}
	return wrap("delete responder", err)
}

func (s *Store) ActiveResponders(ctx context.Context) ([]storage.Responder, error) {
	out, err := responders(ctx, s.pool, `SELECT `+responderColumns+responderFrom+`WHERE r.active ORDER BY r.service, r.local_key, r.id`)
	if err != nil {
		return nil, wrap("list active responders", err)
	}
	return out, nil
}

// Templates

const templateColumns = `service, id, is_default, settings, created, updated`

func scanTemplate(row pgx.Row) (*storage.ResponderTemplate, error) {
	var t storage.ResponderTemplate
	var raw []byte
	if err := row.Scan(&t.Service, &t.ID, &t.Default, &raw, &t.Created, &t.Updated); err != nil {
		return nil, err
	}
	var set records.ResponderSettings
	if err := json.Unmarshal(raw, &set); err != nil {
		return nil, err
	}
	t.ResponderSettings = set.Settings()
	t.Created, t.Updated = t.Created.UTC(), t.Updated.UTC()
	return &t, nil
}

func notFoundTemplate(service, id string) error {
	return fmt.Errorf("responder template %q of service %q: %w", id, service, storage.ErrNotFound)
}

// putTemplate writes the template; a default one first takes the
// default from the service's others.
func putTemplate(ctx context.Context, tx pgx.Tx, t *storage.ResponderTemplate, insert bool, when time.Time) (*storage.ResponderTemplate, error) {
	set, err := settingsJSON(&t.ResponderSettings)
	if err != nil {
		return nil, err
	}
	if t.Default {
		if _, err := tx.Exec(ctx, `UPDATE responder_templates SET is_default = false, updated = $3
			WHERE service = $1 AND id <> $2 AND is_default`, t.Service, t.ID, when); err != nil {
			return nil, err
		}
	}
	if insert {
		return scanTemplate(tx.QueryRow(ctx, `INSERT INTO responder_templates (`+templateColumns+`) VALUES ($1, $2, $3, $4, $5, $5)
			RETURNING `+templateColumns, t.Service, t.ID, t.Default, set, when))
	}
	out, err := scanTemplate(tx.QueryRow(ctx, `UPDATE responder_templates SET is_default = $3, settings = $4, updated = $5
		WHERE service = $1 AND id = $2 RETURNING `+templateColumns, t.Service, t.ID, t.Default, set, when))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, notFoundTemplate(t.Service, t.ID)
	}
	return out, err
}

// CreateResponderTemplate locks the service row before counting.
func (s *Store) CreateResponderTemplate(ctx context.Context, t *storage.ResponderTemplate, max int) error {
	var out *storage.ResponderTemplate
	err := s.tx(ctx, func(tx pgx.Tx) error {
		ok, err := exists(ctx, tx, `SELECT 1 FROM mail_services WHERE id = $1 FOR UPDATE`, t.Service)
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("mail service %q: %w", t.Service, storage.ErrNotFound)
		}
		var have int
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM responder_templates WHERE service = $1`, t.Service).Scan(&have); err != nil {
			return err
		}
		if max >= 0 && have >= max {
			return fmt.Errorf("mail service %q has %d responder templates: %w", t.Service, have, storage.ErrLimit)
		}
		nt := *t
		nt.ID = randomID(12)
		out, err = putTemplate(ctx, tx, &nt, true, now())
		return err
	})
	if err != nil {
		return wrap("create responder template", err)
	}
	*t = *out
	return nil
}

func (s *Store) ResponderTemplate(ctx context.Context, service, id string) (*storage.ResponderTemplate, error) {
	t, err := scanTemplate(s.pool.QueryRow(ctx, `SELECT `+templateColumns+` FROM responder_templates WHERE service = $1 AND id = $2`, service, id))
	if errors.Is(err, pgx.ErrNoRows) {
		err = notFoundTemplate(service, id)
	}
	if err != nil {
		return nil, wrap("get responder template", err)
	}
	return t, nil
}

func (s *Store) ResponderTemplates(ctx context.Context, service string) ([]storage.ResponderTemplate, error) {
	out := []storage.ResponderTemplate{}
	err := s.read(ctx, func(tx pgx.Tx) error {
		if err := needService(ctx, tx, service); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `SELECT `+templateColumns+` FROM responder_templates WHERE service = $1 ORDER BY created, id`, service)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			t, err := scanTemplate(rows)
			if err != nil {
				return err
			}
			out = append(out, *t)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, wrap("list responder templates", err)
	}
	return out, nil
}

func (s *Store) UpdateResponderTemplate(ctx context.Context, t *storage.ResponderTemplate) error {
	var out *storage.ResponderTemplate
	err := s.tx(ctx, func(tx pgx.Tx) error {
		var err error
		out, err = putTemplate(ctx, tx, t, false, now())
		return err
	})
	if err != nil {
		return wrap("update responder template", err)
	}
	*t = *out
	return nil
}

func (s *Store) DeleteResponderTemplate(ctx context.Context, service, id string) error {
	tag, err := s.pool.Exec(ctx, `DELETE FROM responder_templates WHERE service = $1 AND id = $2`, service, id)
	if err == nil && tag.RowsAffected() == 0 {
		err = notFoundTemplate(service, id)
	}
	return wrap("delete responder template", err)
}

// Sending addresses

const sendingColumns = `account, address, code_hash, code_expires, code_expires_ns, verified, verified_ns, created`

func scanSending(row pgx.Row) (*storage.SendingAddress, error) {
	var a storage.SendingAddress
	var exp, ver nsTime
	if err := row.Scan(&a.Account, &a.Address, &a.CodeHash, &exp.t, &exp.ns, &ver.t, &ver.ns, &a.Created); err != nil {
		return nil, err
	}
	a.CodeExpires, a.Verified = exp.time(), ver.time()
	a.Created = a.Created.UTC()
	return &a, nil
}

func notFoundSendingAddress(account, address string) error {
	return fmt.Errorf("sending address %q of account %q: %w", address, account, storage.ErrNotFound)
}

// PutSendingAddress locks the account row before counting.
func (s *Store) PutSendingAddress(ctx context.Context, sa *storage.SendingAddress, max int) error {
	const op = "put sending address"
	key := mailKey(sa.Address)
	if key == "" {
		return wrap(op, errors.New("empty address"))
	}
	et, ens := split(sa.CodeExpires)
	var out *storage.SendingAddress
	err := s.tx(ctx, func(tx pgx.Tx) error {
		if _, err := lockAccount(ctx, tx, sa.Account); err != nil {
			return err
		}
		var err error
		out, err = scanSending(tx.QueryRow(ctx, `UPDATE sending_addresses SET code_hash = $3, code_expires = $4, code_expires_ns = $5,
			verified = NULL, verified_ns = 0 WHERE account = $1 AND address = $2 RETURNING `+sendingColumns, sa.Account, key, sa.CodeHash, et, ens))
		if !errors.Is(err, pgx.ErrNoRows) {
			return err
		}
		var have int
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM sending_addresses WHERE account = $1`, sa.Account).Scan(&have); err != nil {
			return err
		}
		if max >= 0 && have >= max {
			return fmt.Errorf("account %q has %d sending addresses: %w", sa.Account, have, storage.ErrLimit)
		}
		out, err = scanSending(tx.QueryRow(ctx, `INSERT INTO sending_addresses (account, address, code_hash, code_expires, code_expires_ns, created)
			VALUES ($1, $2, $3, $4, $5, $6) RETURNING `+sendingColumns, sa.Account, key, sa.CodeHash, et, ens, now()))
		return err
	})
	if err != nil {
		return wrap(op, err)
	}
	*sa = *out
	return nil
}

func (s *Store) SendingAddresses(ctx context.Context, account string) ([]storage.SendingAddress, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+sendingColumns+` FROM sending_addresses WHERE account = $1 ORDER BY address`, account)
	if err != nil {
		return nil, wrap("list sending addresses", err)
	}
	defer rows.Close()
	out := []storage.SendingAddress{}
	for rows.Next() {
		a, err := scanSending(rows)
		if err != nil {
			return nil, wrap("list sending addresses", err)
		}
		out = append(out, *a)
	}
	return out, wrap("list sending addresses", rows.Err())
}

// VerifySendingAddress compares the code in Go, in constant time, under
// the row's lock, so a code is used up once.
func (s *Store) VerifySendingAddress(ctx context.Context, account, address, codeHash string, when time.Time) (*storage.SendingAddress, error) {
	var out *storage.SendingAddress
	err := s.tx(ctx, func(tx pgx.Tx) error {
		a, err := scanSending(tx.QueryRow(ctx, `SELECT `+sendingColumns+` FROM sending_addresses WHERE account = $1 AND address = $2 FOR UPDATE`,
			account, mailKey(address)))
		if errors.Is(err, pgx.ErrNoRows) {
			return notFoundSendingAddress(account, address)
		}
		if err != nil {
			return err
		}
		if a.CodeHash == "" || !when.Before(a.CodeExpires) || subtle.ConstantTimeCompare([]byte(a.CodeHash), []byte(codeHash)) != 1 {
			return notFoundSendingAddress(account, address)
		}
		vt, vns := split(when)
		out, err = scanSending(tx.QueryRow(ctx, `UPDATE sending_addresses SET code_hash = '', code_expires = NULL, code_expires_ns = 0,
			verified = $3, verified_ns = $4 WHERE account = $1 AND address = $2 RETURNING `+sendingColumns, account, a.Address, vt, vns))
		return err
	})
	if err != nil {
		return nil, wrap("verify sending address", err)
	}
	return out, nil
}

func (s *Store) DeleteSendingAddress(ctx context.Context, account, address string) error {
	tag, err := s.pool.Exec(ctx, `DELETE FROM sending_addresses WHERE account = $1 AND address = $2`, account, mailKey(address))
	if err == nil && tag.RowsAffected() == 0 {
		err = notFoundSendingAddress(account, address)
	}
	return wrap("delete sending address", err)
}
