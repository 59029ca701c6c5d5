package bolt

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"almanac/storage"
	"almanac/storage/internal/records"

	"go.etcd.io/bbolt"
)

// Export hands every record of the database, decoded and as stored, to
// sink in the order storage.Sink describes, from one read transaction:
// the copy is the database of one moment. Index buckets (logins, the
// owner indexes, mounts, maildomains, mailaliases, uids, tombs, when,
// loose, bounds) are not exported: each is derived from the records and a
// target keeps its own. It is meant for a database no server writes
// (almanac migrate opens it read-only), as its transaction lasts as
// long as sink takes.
func (db *DB) Export(ctx context.Context, sink storage.Sink) error {
	const op = "export"
	if err := ctxErr(ctx, op); err != nil {
		return err
	}
	err := db.bdb.View(func(tx *bbolt.Tx) error {
		e := exporter{ctx: ctx, tx: tx, sink: sink}
		return e.run()
	})
	return wrap(op, err)
}

type exporter struct {
	ctx  context.Context
	tx   *bbolt.Tx
	sink storage.Sink
}

// exportStep exports the records of one top-level bucket.
type exportStep struct {
	bucket []byte
	run    func(e *exporter) error
}

// exportSteps are the top-level buckets Export reads, in the order
// storage.Sink asks for; the others hold the schema version and indexes
// (TestExportReadsEveryBucket).
var exportSteps = []exportStep{
	{bucketAccounts, func(e *exporter) error {
		return exportJSON(e, bucketAccounts, 0, func(_ []string, r *accountRecord) error { return e.sink.Account(r.account()) })
	}},
	{bucketCollections, (*exporter).collections},
	{bucketLinks, func(e *exporter) error {
		return exportJSON(e, bucketLinks, 0, func(_ []string, r *linkRecord) error { return e.sink.Link(r.link()) })
	}},
	{bucketGrants, func(e *exporter) error {
		return exportJSON(e, bucketGrants, 2, func(k []string, r *grantRecord) error {
			if r.Owner != k[0] || r.Collection != k[1] || r.Sharee != k[2] {
				return fmt.Errorf("grant %s: key and record differ: %w", strings.Join(k, "/"), errCorrupt)
			}
			return e.sink.Grant(r.grant())
		})
	}},
	{bucketAppPasswords, func(e *exporter) error {
		return exportJSON(e, bucketAppPasswords, 0, func(_ []string, r *appPasswordRecord) error { return e.sink.AppPassword(r.appPassword()) })
	}},
	{bucketSessions, func(e *exporter) error {
		return exportJSON(e, bucketSessions, 0, func(_ []string, r *sessionRecord) error { return e.sink.Session(r.session()) })
	}},
	{bucketTokens, func(e *exporter) error {
		return exportJSON(e, bucketTokens, 0, func(_ []string, r *tokenRecord) error { return e.sink.Token(r.token()) })
	}},
	{bucketOrgs, func(e *exporter) error {
		return exportJSON(e, bucketOrgs, 0, func(_ []string, r *orgRecord) error { return e.sink.Organization(r.org()) })
	}},
	{bucketOrgMembers, func(e *exporter) error {
		return exportJSON(e, bucketOrgMembers, 1, func(k []string, r *memberRecord) error {
			return e.sink.Member(storage.Member{Org: k[0], Account: k[1], Role: r.Role})
		})
	}},
	{bucketMailServices, func(e *exporter) error {
		return exportJSON(e, bucketMailServices, 0, func(_ []string, r *mailServiceRecord) error { return e.sink.MailService(r.service()) })
	}},
	{bucketMailboxes, func(e *exporter) error {
		return exportJSON(e, bucketMailboxes, 1, func(_ []string, r *mailboxRecord) error { return e.sink.Mailbox(r.mailbox()) })
	}},
	{bucketMailboxLinks, func(e *exporter) error {
		return exportJSON(e, bucketMailboxLinks, 2, func(_ []string, r *mailboxLinkRecord) error { return e.sink.MailboxLink(r.link()) })
	}},
	{bucketImportJobs, func(e *exporter) error {
		return exportJSON(e, bucketImportJobs, 0, func(_ []string, r *records.ImportJob) error { return e.sink.ImportJob(r.Job()) })
	}},
	{bucketResponderTemplates, func(e *exporter) error {
		return exportJSON(e, bucketResponderTemplates, 1, func(_ []string, r *templateRecord) error { return e.sink.ResponderTemplate(r.template()) })
	}},
	{bucketResponders, func(e *exporter) error {
		return exportJSON(e, bucketResponders, 2, func(_ []string, r *responderRecord) error { return e.sink.Responder(r.responder()) })
	}},
	{bucketSendingAddresses, func(e *exporter) error {
		return exportJSON(e, bucketSendingAddresses, 1, func(_ []string, r *sendingAddressRecord) error { return e.sink.SendingAddress(r.address()) })
	}},
}

func (e *exporter) run() error {
	for _, step := range exportSteps {
		if err := step.run(e); err != nil {
			return err
		}
	}
	return nil
}

// exportJSON decodes every record levels buckets below the top-level
// bucket name and passes it to fn with the keys of its path.
func exportJSON[T any](e *exporter, name []byte, levels int, fn func(keys []string, r *T) error) error {
	var walk func(b *bbolt.Bucket, keys []string) error
	walk = func(b *bbolt.Bucket, keys []string) error {
		return b.ForEach(func(k, v []byte) error {
			if err := e.ctx.Err(); err != nil {
				return err
			}
			path := append(slices.Clip(keys), string(k))
			where := string(name) + "/" + strings.Join(path, "/")
			switch {
			case len(keys) < levels && v == nil:
				return walk(b.Bucket(k), path)
			case len(keys) < levels || v == nil:
				return fmt.Errorf("%s: %w", where, errCorrupt)
			}
			r, err := decodeJSON[T](v)
			if err != nil {
				return fmt.Errorf("%s: %w", where, err)
			}
			return fn(path, r)
		})
	}
	if b := e.tx.Bucket(name); b != nil {
		return walk(b, nil)
	}
	return nil
}

func (e *exporter) collections() error {
	return eachCollection(e.tx, func(owner, name []byte, b *bbolt.Bucket) error {
		return e.collection(b, string(owner), string(name))
	})
}

func (e *exporter) collection(b *bbolt.Bucket, owner, name string) error {
	c, err := readCollection(b, owner, name)
	if err != nil {
		return err
	}
	if err := e.sink.Collection(c); err != nil {
		return err
	}
	meta, data, tls := b.Bucket(bucketMeta), b.Bucket(bucketData), b.Bucket(bucketTimelines)
	if meta == nil || data == nil {
		return fmt.Errorf("collection %s/%s: no meta or data bucket: %w", owner, name, errCorrupt)
	}
	err = meta.ForEach(func(k, v []byte) error {
		if err := e.ctx.Err(); err != nil {
			return err
		}
		m, err := decodeMeta(k, v)
		if err != nil {
			return fmt.Errorf("collection %s/%s: %w", owner, name, err)
		}
		d := data.Get(k)
		if d == nil {
			return fmt.Errorf("collection %s/%s: object %q has no data: %w", owner, name, k, errCorrupt)
		}
		var tl storage.Timeline
		if c.Kind == storage.KindCalendar {
			// A file of schema 1 or 2 opened read-only has no timelines:
			// its first read-write Open would mark each member's as
			// unknown and to be renewed, which is what the target gets.
			tl.Renew = true
			if tls != nil {
				if v := tls.Get(k); v != nil {
					if tl, err = decodeTimeline(k, v); err != nil {
						return fmt.Errorf("collection %s/%s: %w", owner, name, err)
					}
				}
			}
		}
		return e.sink.Object(&storage.Object{ObjectMeta: *m, Data: slices.Clone(d)}, tl)
	})
	if err != nil {
		return err
	}
	return e.changes(b, c, meta)
}

// changes exports the change log in sequence order, dating the records
// written before changes carried their time as PruneChanges does: a live
// member's by its Modified, a tombstone's by the next dated record or, at
// the end of the log, the collection's Modified.
func (e *exporter) changes(b *bbolt.Bucket, c *storage.Collection, meta *bbolt.Bucket) error {
	cb := b.Bucket(bucketChanges)
	if cb == nil {
		return fmt.Errorf("collection %s/%s: no change log: %w", c.Owner, c.Name, errCorrupt)
	}
	var log []storage.LoggedChange
	next := c.Modified
	cur := cb.Cursor()
	for k, v := cur.Last(); k != nil; k, v = cur.Prev() {
		if len(k) != 8 {
			return fmt.Errorf("collection %s/%s: change key %x: %w", c.Owner, c.Name, k, errCorrupt)
		}
		rec, err := decodeChange(v)
		if err != nil {
			return fmt.Errorf("collection %s/%s: change %d: %w", c.Owner, c.Name, keySeq(k), err)
		}
		written := rec.when
		switch {
		case !written.IsZero():
			next = written
		case !rec.deleted:
			m, err := decodeMeta([]byte(rec.name), meta.Get([]byte(rec.name)))
			if err != nil {
				return fmt.Errorf("collection %s/%s: change %d: %w", c.Owner, c.Name, keySeq(k), err)
			}
			written = m.Modified
		default:
			written = next
		}
		log = append(log, storage.LoggedChange{Name: rec.name, Seq: keySeq(k), Deleted: rec.deleted, Written: written})
	}
	for i := len(log) - 1; i >= 0; i-- {
		if err := e.sink.Change(log[i]); err != nil {
			return err
		}
	}
	return nil
}

func decodeJSON[T any](v []byte) (*T, error) {
	var r T
	if err := json.Unmarshal(v, &r); err != nil {
		return nil, err
	}
	return &r, nil
}
