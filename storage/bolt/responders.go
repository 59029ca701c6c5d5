package bolt

import (
	"cmp"
	"context"
	"crypto/subtle"
	"fmt"
	"slices"
	"strings"
	"time"

	"almanac/storage"
	"almanac/storage/internal/records"

	"go.etcd.io/bbolt"
)

// Responders, templates and sending addresses are JSON records in nested
// buckets, like the rest of the mail data (mail.go):
//
//	responders/<service>/<local>/<id>           JSON responder record
//	respondertemplates/<service>/<id>           JSON template record
//	sendingaddresses/<account>/<address>        JSON sending address record
//
// <local> is the mailbox's lower-cased local part and <address> lower
// case. A mailbox has few responders, so making one active is a walk of
// its bucket in the same transaction; ActiveResponders walks them all,
// which only the export of the mail server files does. Deleting a
// mailbox, a service or an organization drops their responders and
// templates, deleting an account its sending addresses.

var (
	bucketResponders         = []byte("responders")
	bucketResponderTemplates = []byte("respondertemplates")
	bucketSendingAddresses   = []byte("sendingaddresses")
)

// responderBuckets are the top-level buckets of this file; Open creates
// them.
var responderBuckets = [][]byte{bucketResponders, bucketResponderTemplates, bucketSendingAddresses}

type responderRecord struct {
	records.ResponderSettings
	ID        string    `json:"id"`
	Service   string    `json:"service"`
	LocalPart string    `json:"local_part"`
	Active    bool      `json:"active,omitempty"`
	Handle    string    `json:"handle"`
	Template  string    `json:"template,omitempty"`
	Created   time.Time `json:"created"`
	Updated   time.Time `json:"updated"`
}

func (r *responderRecord) responder() *storage.Responder {
	return &storage.Responder{
		ResponderSettings: r.Settings(),
		ID:                r.ID, Service: r.Service, LocalPart: r.LocalPart, Active: r.Active,
		Handle: r.Handle, Template: r.Template, Created: r.Created, Updated: r.Updated,
	}
}

type templateRecord struct {
	records.ResponderSettings
	ID      string    `json:"id"`
	Service string    `json:"service"`
	Default bool      `json:"default,omitempty"`
	Created time.Time `json:"created"`
	Updated time.Time `json:"updated"`
}

func (r *templateRecord) template() *storage.ResponderTemplate {
	return &storage.ResponderTemplate{
		ResponderSettings: r.Settings(),
		ID:                r.ID, Service: r.Service, Default: r.Default, Created: r.Created, Updated: r.Updated,
	}
}

type sendingAddressRecord struct {
	Account     string    `json:"account"`
	Address     string    `json:"address"`
	CodeHash    string    `json:"code_hash,omitempty"`
	CodeExpires time.Time `json:"code_expires,omitzero"`
	Verified    time.Time `json:"verified,omitzero"`
	Created     time.Time `json:"created"`
}

func (r *sendingAddressRecord) address() *storage.SendingAddress {
	return &storage.SendingAddress{Account: r.Account, Address: r.Address, CodeHash: r.CodeHash,
		CodeExpires: r.CodeExpires, Verified: r.Verified, Created: r.Created}
}

func notFoundResponder(service, local, id string) error {
	return fmt.Errorf("responder %q of mailbox %q of service %q: %w", id, local, service, storage.ErrNotFound)
}

// responderBucket is the bucket of the mailbox's responders, nil when it
// has none.
func responderBucket(tx *bbolt.Tx, service, key string) *bbolt.Bucket {
	return nested(tx.Bucket(bucketResponders), service, key)
}

// mailboxResponders decodes the responders of the mailbox key in key
// (ID) order.
func mailboxResponders(tx *bbolt.Tx, service, key string) ([]*responderRecord, error) {
	var out []*responderRecord
	err := eachJSON(responderBucket(tx, service, key),
		func(k []byte) string { return fmt.Sprintf("responder %s/%s/%s", service, key, k) },
		func(k []byte, r *responderRecord) error {
			if r.ID != string(k) || r.Service != service || mailKey(r.LocalPart) != key {
				return fmt.Errorf("responder %s/%s/%s: key and record differ: %w", service, key, k, errCorrupt)
			}
			out = append(out, r)
			return nil
		})
	return out, err
}

func putResponder(tx *bbolt.Tx, r *responderRecord) error {
	b, err := nestedCreate(tx.Bucket(bucketResponders), r.Service, mailKey(r.LocalPart))
	if err != nil {
		return err
	}
	return putJSON(b, r.ID, r)
}

// needResponder returns responder id of the mailbox (which must exist),
// ErrNotFound when either is missing.
func needResponder(tx *bbolt.Tx, service, local, id string) (*responderRecord, error) {
	m, err := needMailbox(tx, service, local)
	if err != nil {
		return nil, err
	}
	key := mailKey(m.LocalPart)
	r, err := getJSON[responderRecord](responderBucket(tx, service, key), id, "responder "+service+"/"+key+"/"+id)
	if err != nil {
		return nil, err
	}
	if r == nil {
		return nil, notFoundResponder(service, local, id)
	}
	if r.ID != id || r.Service != service || mailKey(r.LocalPart) != key {
		return nil, fmt.Errorf("responder %s/%s/%s: key and record differ: %w", service, key, id, errCorrupt)
	}
	return r, nil
}

// deactivateOthers makes every responder of the mailbox but keep
// inactive, stamping the ones it changes with now.
func deactivateOthers(tx *bbolt.Tx, service, key, keep string, now time.Time) error {
	rs, err := mailboxResponders(tx, service, key)
	if err != nil {
		return err
	}
	for _, r := range rs {
		if r.ID != keep && r.Active {
			r.Active = false
			r.Updated = now
			if err := putResponder(tx, r); err != nil {
				return err
			}
		}
	}
	return nil
}

// newResponderID returns an ID not yet used in the mailbox's bucket.
func newResponderID(tx *bbolt.Tx, service, key string) string {
	b := responderBucket(tx, service, key)
	for {
		id := randomID(12)
		if b == nil || b.Get([]byte(id)) == nil {
			return id
		}
	}
}

// CreateResponders stores rs, all in one transaction.
func (db *DB) CreateResponders(ctx context.Context, rs []storage.Responder, max int) error {
	const op = "create responders"
	if err := ctxErr(ctx, op); err != nil {
		return err
	}
	for i := range rs {
		if err := checkKey("mail service id", rs[i].Service); err != nil {
			return wrap(op, err)
		}
		if err := checkKey("local part", rs[i].LocalPart); err != nil {
			return wrap(op, err)
		}
	}
	now := time.Now().UTC()
	out := make([]storage.Responder, len(rs))
	err := db.execChecked(op, func(tx *bbolt.Tx) error {
		for i := range rs {
			m, err := needMailbox(tx, rs[i].Service, rs[i].LocalPart)
			if err != nil {
				return err
			}
			key := mailKey(m.LocalPart)
			have, err := mailboxResponders(tx, m.Service, key)
			if err != nil {
				return err
			}
			if max >= 0 && len(have) >= max {
				return fmt.Errorf("mailbox %q of service %q has %d responders: %w", m.LocalPart, m.Service, len(have), storage.ErrLimit)
			}
			r := &responderRecord{
				ResponderSettings: records.FromResponderSettings(&rs[i].ResponderSettings),
				ID:                newResponderID(tx, m.Service, key),
				Service:           m.Service, LocalPart: m.LocalPart, Active: rs[i].Active,
				Handle: rs[i].Handle, Template: rs[i].Template, Created: now, Updated: now,
			}
			if r.Handle == "" {
				r.Handle = randomID(16)
			}
			if r.Active {
				if err := deactivateOthers(tx, m.Service, key, r.ID, now); err != nil {
					return err
				}
			}
			if err := putResponder(tx, r); err != nil {
				return err
			}
			out[i] = *r.responder()
		}
		return nil
	})
	if err != nil {
		return err
	}
	// A later copy for the same mailbox may have deactivated an earlier
	// one of the batch.
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

// Responder returns responder id of the mailbox.
func (db *DB) Responder(ctx context.Context, service, local, id string) (*storage.Responder, error) {
	return view(db, ctx, "get responder", func(tx *bbolt.Tx) (*storage.Responder, error) {
		r, err := needResponder(tx, service, local, id)
		if err != nil {
			return nil, err
		}
		return r.responder(), nil
	})
}

// Responders returns the mailbox's responders ordered by Created, then
// ID.
func (db *DB) Responders(ctx context.Context, service, local string) ([]storage.Responder, error) {
	out, err := view(db, ctx, "list responders", func(tx *bbolt.Tx) ([]storage.Responder, error) {
		m, err := needMailbox(tx, service, local)
		if err != nil {
			return nil, err
		}
		rs, err := mailboxResponders(tx, m.Service, mailKey(m.LocalPart))
		out := []storage.Responder{}
		for _, r := range rs {
			out = append(out, *r.responder())
		}
		return out, err
	})
	slices.SortFunc(out, func(a, b storage.Responder) int {
		return cmp.Or(a.Created.Compare(b.Created), strings.Compare(a.ID, b.ID))
	})
	return out, err
}

// UpdateResponder replaces the responder's settings.
func (db *DB) UpdateResponder(ctx context.Context, r *storage.Responder) error {
	out, err := update(db, ctx, "update responder", func(tx *bbolt.Tx) (*storage.Responder, error) {
		rec, err := needResponder(tx, r.Service, r.LocalPart, r.ID)
		if err != nil {
			return nil, err
		}
		rec.ResponderSettings = records.FromResponderSettings(&r.ResponderSettings)
		rec.Updated = time.Now().UTC()
		return rec.responder(), putResponder(tx, rec)
	})
	if err != nil {
		return err
	}
	*r = *out
	return nil
}

// SetResponderActive activates the responder and deactivates the
// mailbox's others, or deactivates only it.
func (db *DB) SetResponderActive(ctx context.Context, service, local, id string, active bool) (*storage.Responder, error) {
	return update(db, ctx, "set responder active", func(tx *bbolt.Tx) (*storage.Responder, error) {
		r, err := needResponder(tx, service, local, id)
		if err != nil {
			return nil, err
		}
		now := time.Now().UTC()
		if active {
			if err := deactivateOthers(tx, r.Service, mailKey(r.LocalPart), r.ID, now); err != nil {
				return nil, err
			}
		}
		if r.Active != active {
			r.Active = active
			r.Updated = now
		}
		return r.responder(), putResponder(tx, r)
	})
}

// ResetResponder gives the responder a new handle.
func (db *DB) ResetResponder(ctx context.Context, service, local, id, handle string) (*storage.Responder, error) {
	const op = "reset responder"
	if handle == "" {
		return nil, wrap(op, fmt.Errorf("empty handle"))
	}
	return update(db, ctx, op, func(tx *bbolt.Tx) (*storage.Responder, error) {
		r, err := needResponder(tx, service, local, id)
		if err != nil {
			return nil, err
		}
		r.Handle = handle
		r.Updated = time.Now().UTC()
		return r.responder(), putResponder(tx, r)
	})
}

// DeleteResponder removes the responder.
func (db *DB) DeleteResponder(ctx context.Context, service, local, id string) error {
	return db.exec(ctx, "delete responder", func(tx *bbolt.Tx) error {
		r, err := needResponder(tx, service, local, id)
		if err != nil {
			return err
		}
		return deleteNested(tx.Bucket(bucketResponders), r.ID, r.Service, mailKey(r.LocalPart))
	})
}

// ActiveResponders walks every responder and returns the active ones.
func (db *DB) ActiveResponders(ctx context.Context) ([]storage.Responder, error) {
	return view(db, ctx, "list active responders", func(tx *bbolt.Tx) ([]storage.Responder, error) {
		out := []storage.Responder{}
		top := tx.Bucket(bucketResponders)
		for _, service := range keysOf(top) {
			for _, key := range keysOf(nested(top, service)) {
				rs, err := mailboxResponders(tx, service, key)
				if err != nil {
					return nil, err
				}
				for _, r := range rs {
					if r.Active {
						out = append(out, *r.responder())
					}
				}
			}
		}
		return out, nil
	})
}

// deleteMailboxResponders drops the responders of mailbox key; the
// mailbox deletion calls it inside its transaction.
func deleteMailboxResponders(tx *bbolt.Tx, service, key string) error {
	top := tx.Bucket(bucketResponders)
	if top == nil {
		return nil
	}
	if sb := top.Bucket([]byte(service)); sb != nil {
		if err := deleteBucket(sb, key); err != nil {
			return err
		}
	}
	return dropIfEmpty(top, []byte(service))
}

// deleteServiceResponders drops the responders and templates of the
// service; the service deletion calls it inside its transaction.
func deleteServiceResponders(tx *bbolt.Tx, service string) error {
	for _, name := range [][]byte{bucketResponders, bucketResponderTemplates} {
		if top := tx.Bucket(name); top != nil {
			if err := deleteBucket(top, service); err != nil {
				return err
			}
		}
	}
	return nil
}

// Templates

func needTemplate(tx *bbolt.Tx, service, id string) (*templateRecord, error) {
	r, err := getJSON[templateRecord](nested(tx.Bucket(bucketResponderTemplates), service), id, "responder template "+service+"/"+id)
	if err != nil {
		return nil, err
	}
	if r == nil {
		return nil, fmt.Errorf("responder template %q of service %q: %w", id, service, storage.ErrNotFound)
	}
	if r.ID != id || r.Service != service {
		return nil, fmt.Errorf("responder template %s/%s: key and record differ: %w", service, id, errCorrupt)
	}
	return r, nil
}

func serviceTemplates(tx *bbolt.Tx, service string) ([]*templateRecord, error) {
	var out []*templateRecord
	err := eachJSON(nested(tx.Bucket(bucketResponderTemplates), service),
		func(k []byte) string { return fmt.Sprintf("responder template %s/%s", service, k) },
		func(k []byte, r *templateRecord) error {
			if r.ID != string(k) || r.Service != service {
				return fmt.Errorf("responder template %s/%s: key and record differ: %w", service, k, errCorrupt)
			}
			out = append(out, r)
			return nil
		})
	return out, err
}

// putTemplate writes r; when it is the default, the service's other
// templates stop being one.
func putTemplate(tx *bbolt.Tx, r *templateRecord) error {
	b, err := nestedCreate(tx.Bucket(bucketResponderTemplates), r.Service)
	if err != nil {
		return err
	}
	if r.Default {
		others, err := serviceTemplates(tx, r.Service)
		if err != nil {
			return err
		}
		for _, o := range others {
			if o.ID != r.ID && o.Default {
				o.Default = false
				o.Updated = r.Updated
				if err := putJSON(b, o.ID, o); err != nil {
					return err
				}
			}
		}
	}
	return putJSON(b, r.ID, r)
}

// CreateResponderTemplate stores t.
func (db *DB) CreateResponderTemplate(ctx context.Context, t *storage.ResponderTemplate, max int) error {
	out, err := update(db, ctx, "create responder template", func(tx *bbolt.Tx) (*storage.ResponderTemplate, error) {
		s, err := needService(tx, t.Service)
		if err != nil {
			return nil, err
		}
		have, err := serviceTemplates(tx, s.ID)
		if err != nil {
			return nil, err
		}
		if max >= 0 && len(have) >= max {
			return nil, fmt.Errorf("mail service %q has %d responder templates: %w", s.ID, len(have), storage.ErrLimit)
		}
		b := nested(tx.Bucket(bucketResponderTemplates), s.ID)
		id := randomID(12)
		for b != nil && b.Get([]byte(id)) != nil {
			id = randomID(12)
		}
		now := time.Now().UTC()
		r := &templateRecord{ResponderSettings: records.FromResponderSettings(&t.ResponderSettings), ID: id, Service: s.ID,
			Default: t.Default, Created: now, Updated: now}
		return r.template(), putTemplate(tx, r)
	})
	if err != nil {
		return err
	}
	*t = *out
	return nil
}

// ResponderTemplate returns template id of the service.
func (db *DB) ResponderTemplate(ctx context.Context, service, id string) (*storage.ResponderTemplate, error) {
	return view(db, ctx, "get responder template", func(tx *bbolt.Tx) (*storage.ResponderTemplate, error) {
		r, err := needTemplate(tx, service, id)
		if err != nil {
			return nil, err
		}
		return r.template(), nil
	})
}

// ResponderTemplates returns the service's templates ordered by Created,
// then ID.
func (db *DB) ResponderTemplates(ctx context.Context, service string) ([]storage.ResponderTemplate, error) {
	out, err := view(db, ctx, "list responder templates", func(tx *bbolt.Tx) ([]storage.ResponderTemplate, error) {
		if _, err := needService(tx, service); err != nil {
			return nil, err
		}
		rs, err := serviceTemplates(tx, service)
		out := []storage.ResponderTemplate{}
		for _, r := range rs {
			out = append(out, *r.template())
		}
		return out, err
	})
	slices.SortFunc(out, func(a, b storage.ResponderTemplate) int {
		return cmp.Or(a.Created.Compare(b.Created), strings.Compare(a.ID, b.ID))
	})
	return out, err
}

// UpdateResponderTemplate replaces the template's settings and Default.
func (db *DB) UpdateResponderTemplate(ctx context.Context, t *storage.ResponderTemplate) error {
	out, err := update(db, ctx, "update responder template", func(tx *bbolt.Tx) (*storage.ResponderTemplate, error) {
		r, err := needTemplate(tx, t.Service, t.ID)
		if err != nil {
			return nil, err
		}
		r.ResponderSettings = records.FromResponderSettings(&t.ResponderSettings)
		r.Default = t.Default
		r.Updated = time.Now().UTC()
		return r.template(), putTemplate(tx, r)
	})
	if err != nil {
		return err
	}
	*t = *out
	return nil
}

// DeleteResponderTemplate removes the template.
func (db *DB) DeleteResponderTemplate(ctx context.Context, service, id string) error {
	return db.exec(ctx, "delete responder template", func(tx *bbolt.Tx) error {
		if _, err := needTemplate(tx, service, id); err != nil {
			return err
		}
		return deleteNested(tx.Bucket(bucketResponderTemplates), id, service)
	})
}

// Sending addresses

func getSendingAddress(tx *bbolt.Tx, account, address string) (*sendingAddressRecord, error) {
	key := mailKey(address)
	r, err := getJSON[sendingAddressRecord](nested(tx.Bucket(bucketSendingAddresses), account), key, "sending address "+account+"/"+key)
	if err == nil && r != nil && (r.Account != account || r.Address != key) {
		return nil, fmt.Errorf("sending address %s/%s: key and record differ: %w", account, key, errCorrupt)
	}
	return r, err
}

func notFoundSendingAddress(account, address string) error {
	return fmt.Errorf("sending address %q of account %q: %w", address, account, storage.ErrNotFound)
}

// PutSendingAddress stores the address with a new code, unverified.
func (db *DB) PutSendingAddress(ctx context.Context, s *storage.SendingAddress, max int) error {
	const op = "put sending address"
	if err := ctxErr(ctx, op); err != nil {
		return err
	}
	key := mailKey(s.Address)
	if err := checkKey("address", key); err != nil {
		return wrap(op, err)
	}
	if err := checkKey("account id", s.Account); err != nil {
		return wrap(op, err)
	}
	var out *storage.SendingAddress
	err := db.execChecked(op, func(tx *bbolt.Tx) error {
		if err := needAccount(tx, s.Account); err != nil {
			return err
		}
		r, err := getSendingAddress(tx, s.Account, key)
		if err != nil {
			return err
		}
		if r == nil {
			if max >= 0 && len(keysOf(nested(tx.Bucket(bucketSendingAddresses), s.Account))) >= max {
				return fmt.Errorf("account %q has %d sending addresses: %w", s.Account, max, storage.ErrLimit)
			}
			r = &sendingAddressRecord{Account: s.Account, Address: key, Created: time.Now().UTC()}
		}
		r.CodeHash, r.CodeExpires, r.Verified = s.CodeHash, s.CodeExpires.UTC(), time.Time{}
		b, err := nestedCreate(tx.Bucket(bucketSendingAddresses), s.Account)
		if err != nil {
			return err
		}
		out = r.address()
		return putJSON(b, key, r)
	})
	if err != nil {
		return err
	}
	*s = *out
	return nil
}

// SendingAddresses returns account's addresses ordered by address.
func (db *DB) SendingAddresses(ctx context.Context, account string) ([]storage.SendingAddress, error) {
	return view(db, ctx, "list sending addresses", func(tx *bbolt.Tx) ([]storage.SendingAddress, error) {
		out := []storage.SendingAddress{}
		err := eachJSON(nested(tx.Bucket(bucketSendingAddresses), account),
			func(k []byte) string { return fmt.Sprintf("sending address %s/%s", account, k) },
			func(k []byte, r *sendingAddressRecord) error {
				if r.Account != account || r.Address != string(k) {
					return fmt.Errorf("sending address %s/%s: key and record differ: %w", account, k, errCorrupt)
				}
				out = append(out, *r.address())
				return nil
			})
		return out, err
	})
}

// VerifySendingAddress marks the address verified when codeHash is its
// code's and the code is still valid at when.
func (db *DB) VerifySendingAddress(ctx context.Context, account, address, codeHash string, when time.Time) (*storage.SendingAddress, error) {
	return update(db, ctx, "verify sending address", func(tx *bbolt.Tx) (*storage.SendingAddress, error) {
		r, err := getSendingAddress(tx, account, address)
		if err != nil {
			return nil, err
		}
		if r == nil || r.CodeHash == "" || !when.Before(r.CodeExpires) ||
			subtle.ConstantTimeCompare([]byte(r.CodeHash), []byte(codeHash)) != 1 {
			return nil, notFoundSendingAddress(account, address)
		}
		r.CodeHash, r.CodeExpires, r.Verified = "", time.Time{}, when.UTC()
		return r.address(), putJSON(tx.Bucket(bucketSendingAddresses).Bucket([]byte(account)), r.Address, r)
	})
}

// DeleteSendingAddress removes the address.
func (db *DB) DeleteSendingAddress(ctx context.Context, account, address string) error {
	return db.exec(ctx, "delete sending address", func(tx *bbolt.Tx) error {
		r, err := getSendingAddress(tx, account, address)
		if err != nil {
			return err
		}
		if r == nil {
			return notFoundSendingAddress(account, address)
		}
		return deleteNested(tx.Bucket(bucketSendingAddresses), r.Address, account)
	})
}

// deleteAccountSendingAddresses drops the account's sending addresses;
// DeleteAccount calls it inside its transaction.
func deleteAccountSendingAddresses(tx *bbolt.Tx, account string) error {
	if top := tx.Bucket(bucketSendingAddresses); top != nil {
		return deleteBucket(top, account)
	}
	return nil
}
