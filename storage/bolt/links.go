package bolt

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"almanac/storage"

	"go.etcd.io/bbolt"
)

// Links are few per account and change rarely; AddFetches rewrites them
// only when the caller flushes its in-memory counters. They are JSON
// records like accounts, written in plain transactions.
//
//	links/<id>                      JSON link record
//	linkowners/<owner>/<id>         collection name: the owner's links
//
// The owner index makes ListLinks, DeleteCollection and DeleteAccount
// touch only the owner's links; its value, the collection, lets
// DeleteCollection pick its links without decoding records.

// linkRecord is the stored form of a Link; the JSON tags keep the file
// format independent of the domain type's field names.
type linkRecord struct {
	ID            string    `json:"id"`
	Owner         string    `json:"owner"`
	Collection    string    `json:"collection"`
	Label         string    `json:"label,omitempty"`
	Tier          string    `json:"tier,omitempty"`
	Components    []string  `json:"components,omitempty"`
	PastDays      *int      `json:"past_days,omitempty"`
	FutureDays    *int      `json:"future_days,omitempty"`
	Expires       time.Time `json:"expires,omitzero"`
	Created       time.Time `json:"created"`
	Updated       time.Time `json:"updated"`
	Version       uint64    `json:"version"`
	Fetches       uint64    `json:"fetches,omitempty"`
	LastFetched   time.Time `json:"last_fetched,omitzero"`
	LastUserAgent string    `json:"last_user_agent,omitempty"`
}

func (r *linkRecord) link() *storage.Link {
	return &storage.Link{
		ID:            r.ID,
		Owner:         r.Owner,
		Collection:    r.Collection,
		Label:         r.Label,
		Tier:          r.Tier,
		Components:    slices.Clone(r.Components),
		PastDays:      cloneInt(r.PastDays),
		FutureDays:    cloneInt(r.FutureDays),
		Expires:       r.Expires,
		Created:       r.Created,
		Updated:       r.Updated,
		Version:       r.Version,
		Fetches:       r.Fetches,
		LastFetched:   r.LastFetched,
		LastUserAgent: r.LastUserAgent,
	}
}

// setSettings copies the caller-controlled settings of l into r, in the
// form they read back: UTC, no empty component list, no shared pointers.
func (r *linkRecord) setSettings(l *storage.Link) {
	r.Label = l.Label
	r.Tier = l.Tier
	r.Components = nil
	if len(l.Components) > 0 {
		r.Components = slices.Clone(l.Components)
	}
	r.PastDays = cloneInt(l.PastDays)
	r.FutureDays = cloneInt(l.FutureDays)
	r.Expires = l.Expires.UTC()
}

// newLinkRecord is l as CreateLink and ReplaceLink store it.
func newLinkRecord(l *storage.Link, now time.Time) *linkRecord {
	r := &linkRecord{
		ID:         l.ID,
		Owner:      l.Owner,
		Collection: l.Collection,
		Created:    now,
		Updated:    now,
		Version:    1,
	}
	r.setSettings(l)
	return r
}

func cloneInt(p *int) *int {
	if p == nil {
		return nil
	}
	v := *p
	return &v
}

func notFoundLink(id string) error {
	return fmt.Errorf("link %q: %w", id, storage.ErrNotFound)
}

// getLink returns the record stored under id, nil when there is none.
func getLink(tx *bbolt.Tx, id string) (*linkRecord, error) {
	return getJSON[linkRecord](tx.Bucket(bucketLinks), id, "link "+strconv.Quote(id))
}

// needLink is getLink with a missing link ErrNotFound.
func needLink(tx *bbolt.Tx, id string) (*linkRecord, error) {
	r, err := getLink(tx, id)
	if err == nil && r == nil {
		err = notFoundLink(id)
	}
	return r, err
}

// putLink writes r and, when index is set, its owner index entry.
func putLink(tx *bbolt.Tx, r *linkRecord, index bool) error {
	if err := putJSON(tx.Bucket(bucketLinks), r.ID, r); err != nil {
		return err
	}
	if !index {
		return nil
	}
	ob, err := tx.Bucket(bucketLinkOwners).CreateBucketIfNotExists([]byte(r.Owner))
	if err != nil {
		return err
	}
	return ob.Put([]byte(r.ID), []byte(r.Collection))
}

// deleteLink removes the record id and its owner index entry.
func deleteLink(tx *bbolt.Tx, owner, id string) error {
	if ob := tx.Bucket(bucketLinkOwners).Bucket([]byte(owner)); ob != nil {
		if err := ob.Delete([]byte(id)); err != nil {
			return err
		}
	}
	return tx.Bucket(bucketLinks).Delete([]byte(id))
}

// deleteLinks removes owner's links to coll, or all of owner's links when
// coll is empty. DeleteCollection and DeleteAccount call it inside their
// transactions.
func deleteLinks(tx *bbolt.Tx, owner, coll string) error {
	owners := tx.Bucket(bucketLinkOwners)
	ob := owners.Bucket([]byte(owner))
	if ob == nil {
		return nil
	}
	// Deleting under a bbolt cursor can skip the next key, so the IDs are
	// collected (copied) first.
	var ids [][]byte
	err := ob.ForEach(func(id, c []byte) error {
		if coll == "" || string(c) == coll {
			ids = append(ids, bytes.Clone(id))
		}
		return nil
	})
	if err != nil {
		return err
	}
	links := tx.Bucket(bucketLinks)
	for _, id := range ids {
		if err := links.Delete(id); err != nil {
			return err
		}
	}
	if coll == "" {
		return owners.DeleteBucket([]byte(owner))
	}
	for _, id := range ids {
		if err := ob.Delete(id); err != nil {
			return err
		}
	}
	return nil
}

// renameLinks points owner's links to collection from at to, in their
// records and the owner index; MoveCollection calls it inside its
// transaction. The links keep their IDs, and so their URLs, and their
// Version: what they publish has not changed.
func renameLinks(tx *bbolt.Tx, owner, from, to string) error {
	ob := tx.Bucket(bucketLinkOwners).Bucket([]byte(owner))
	if ob == nil {
		return nil
	}
	var ids []string
	err := ob.ForEach(func(id, c []byte) error {
		if string(c) == from {
			ids = append(ids, string(id))
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, id := range ids {
		r, err := needLink(tx, id)
		if err != nil {
			return err
		}
		r.Collection = to
		if err := putLink(tx, r, true); err != nil {
			return err
		}
	}
	return nil
}

// checkLinkKeys rejects what bbolt cannot store as a link or index key.
func checkLinkKeys(l *storage.Link) error {
	if err := checkKey("link id", l.ID); err != nil {
		return err
	}
	if err := checkKey("owner", l.Owner); err != nil {
		return err
	}
	return checkKey("collection name", l.Collection)
}

// CreateLink stores l with Created and Updated now, Version 1 and no
// fetches, and writes the stored link back into *l. The collection must
// exist (ErrNotFound) and the ID be free (ErrExists).
func (db *DB) CreateLink(ctx context.Context, l *storage.Link) error {
	const op = "create link"
	if err := ctxErr(ctx, op); err != nil {
		return err
	}
	if err := checkLinkKeys(l); err != nil {
		return wrap(op, err)
	}
	r := newLinkRecord(l, time.Now().UTC())
	err := db.execChecked(op, func(tx *bbolt.Tx) error {
		if collBucket(tx, r.Owner, r.Collection) == nil {
			return notFoundColl(r.Owner, r.Collection)
		}
		if tx.Bucket(bucketLinks).Get([]byte(r.ID)) != nil {
			return fmt.Errorf("link %q: %w", r.ID, storage.ErrExists)
		}
		return putLink(tx, r, true)
	})
	if err != nil {
		return err
	}
	*l = *r.link()
	return nil
}

// Link returns the link with the given ID.
func (db *DB) Link(ctx context.Context, id string) (*storage.Link, error) {
	return view(db, ctx, "get link", func(tx *bbolt.Tx) (*storage.Link, error) {
		r, err := needLink(tx, id)
		if err != nil {
			return nil, err
		}
		return r.link(), nil
	})
}

// ListLinks returns owner's links ordered by Created, then ID, reading
// only the owner's index. A missing account is ErrNotFound, as in
// ListCollections; an account without links gets an empty list.
func (db *DB) ListLinks(ctx context.Context, owner string) ([]storage.Link, error) {
	out, err := view(db, ctx, "list links", func(tx *bbolt.Tx) ([]storage.Link, error) {
		if err := needAccount(tx, owner); err != nil {
			return nil, err
		}
		return appendIndexed(nil, keysOf(tx.Bucket(bucketLinkOwners).Bucket([]byte(owner))), "link index", owner,
			func(id string) (*linkRecord, error) { return getLink(tx, id) },
			func(r *linkRecord) bool { return r.Owner == owner }, (*linkRecord).link)
	})
	slices.SortFunc(out, func(a, b storage.Link) int {
		return cmp.Or(a.Created.Compare(b.Created), strings.Compare(a.ID, b.ID))
	})
	return out, err
}

// UpdateLink replaces the settings of link l.ID, keeping its owner,
// collection, creation time and fetch statistics, bumps Version and
// writes the stored link back into *l.
func (db *DB) UpdateLink(ctx context.Context, l *storage.Link) error {
	now := time.Now().UTC()
	out, err := update(db, ctx, "update link", func(tx *bbolt.Tx) (*storage.Link, error) {
		r, err := needLink(tx, l.ID)
		if err != nil {
			return nil, err
		}
		r.setSettings(l)
		r.Updated = now
		r.Version++
		return r.link(), putLink(tx, r, false)
	})
	if err != nil {
		return err
	}
	*l = *out
	return nil
}

// ReplaceLink deletes oldID and creates l in one transaction: a rotated
// link is never missing, nor valid under both IDs. l must name the old
// link's owner and collection; its ID must be free (ErrExists), which
// oldID is not.
func (db *DB) ReplaceLink(ctx context.Context, oldID string, l *storage.Link) error {
	const op = "replace link"
	if err := ctxErr(ctx, op); err != nil {
		return err
	}
	if err := checkLinkKeys(l); err != nil {
		return wrap(op, err)
	}
	r := newLinkRecord(l, time.Now().UTC())
	err := db.execChecked(op, func(tx *bbolt.Tx) error {
		old, err := needLink(tx, oldID)
		if err != nil {
			return err
		}
		if old.Owner != r.Owner || old.Collection != r.Collection {
			return fmt.Errorf("link %q belongs to %s/%s, not %s/%s", oldID, old.Owner, old.Collection, r.Owner, r.Collection)
		}
		if tx.Bucket(bucketLinks).Get([]byte(r.ID)) != nil {
			return fmt.Errorf("link %q: %w", r.ID, storage.ErrExists)
		}
		if collBucket(tx, r.Owner, r.Collection) == nil {
			return notFoundColl(r.Owner, r.Collection)
		}
		if err := deleteLink(tx, old.Owner, old.ID); err != nil {
			return err
		}
		return putLink(tx, r, true)
	})
	if err != nil {
		return err
	}
	*l = *r.link()
	return nil
}

// DeleteLink removes the link with the given ID.
func (db *DB) DeleteLink(ctx context.Context, id string) error {
	return db.exec(ctx, "delete link", func(tx *bbolt.Tx) error {
		r, err := needLink(tx, id)
		if err != nil {
			return err
		}
		return deleteLink(tx, r.Owner, r.ID)
	})
}

// AddFetches adds each stat to its link in one transaction: Count to
// Fetches, and Last with its UserAgent when it is newer than LastFetched.
// Stats of links that no longer exist are dropped. Version and Updated
// stay, so a fetch never invalidates a feed's cache.
func (db *DB) AddFetches(ctx context.Context, stats []storage.FetchStat) error {
	const op = "add fetches"
	if err := ctxErr(ctx, op); err != nil {
		return err
	}
	if len(stats) == 0 {
		return nil
	}
	return db.execChecked(op, func(tx *bbolt.Tx) error {
		for _, st := range stats {
			if st.ID == "" || len(st.ID) > bbolt.MaxKeySize {
				continue
			}
			r, err := getLink(tx, st.ID)
			if err != nil {
				return err
			}
			if r == nil {
				continue
			}
			r.Fetches += st.Count
			if st.Last.After(r.LastFetched) {
				r.LastFetched = st.Last.UTC()
				r.LastUserAgent = st.UserAgent
			}
			if err := putLink(tx, r, false); err != nil {
				return err
			}
		}
		return nil
	})
}
