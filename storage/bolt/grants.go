package bolt

import (
	"bytes"
	"cmp"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"almanac/storage"

	"go.etcd.io/bbolt"
)

// Grants are few and change rarely. They are JSON records like links,
// written in plain transactions, kept under their owner's collection with
// an index by the sharee's mount name:
//
//	grants/<owner>/<coll>/<sharee>  JSON grant record
//	mounts/<sharee>/<mount>         uvarint len(owner), owner, coll
//
// Grant is a Get on the nested buckets; GrantsOf and DeleteCollection walk
// grants/<owner>/<coll>, DeleteAccount as owner grants/<owner>. The mount
// index answers GrantByMount with one Get, GrantsTo (in mount order) and
// DeleteAccount as sharee with a walk of mounts/<sharee>, and lets
// CreateCollection and PutGrant check a name in the sharee's home without
// scanning. Buckets left empty by a deletion are dropped, so neither tree
// grows with grants that are gone.

// grantRecord is the stored form of a Grant; the JSON tags keep the file
// format independent of the domain type's field names. Owner, Collection
// and Sharee repeat the key path, so a record read through the mount
// index can be checked against it.
type grantRecord struct {
	Owner       string            `json:"owner"`
	Collection  string            `json:"collection"`
	Sharee      string            `json:"sharee"`
	Access      string            `json:"access"`
	ShowPrivate bool              `json:"show_private,omitempty"`
	Mount       string            `json:"mount"`
	Props       map[string]string `json:"props,omitempty"`
	Created     time.Time         `json:"created"`
	Updated     time.Time         `json:"updated"`
}

func (r *grantRecord) grant() *storage.Grant {
	props := maps.Clone(r.Props)
	if props == nil {
		props = map[string]string{}
	}
	return &storage.Grant{
		Owner:       r.Owner,
		Collection:  r.Collection,
		Sharee:      r.Sharee,
		Access:      r.Access,
		ShowPrivate: r.ShowPrivate,
		Mount:       r.Mount,
		Props:       props,
		Created:     r.Created,
		Updated:     r.Updated,
	}
}

func notFoundGrant(owner, coll, sharee string) error {
	return fmt.Errorf("grant %s/%s to %q: %w", owner, coll, sharee, storage.ErrNotFound)
}

func notFoundMount(sharee, mount string) error {
	return fmt.Errorf("mount %s/%s: %w", sharee, mount, storage.ErrNotFound)
}

// encodeMountRef is the value of a mounts entry: the grant's owner and
// collection.
func encodeMountRef(owner, coll string) []byte {
	b := make([]byte, 0, binary.MaxVarintLen64+len(owner)+len(coll))
	b = binary.AppendUvarint(b, uint64(len(owner)))
	b = append(b, owner...)
	return append(b, coll...)
}

func decodeMountRef(v []byte) (owner, coll string, err error) {
	n, k := binary.Uvarint(v)
	if k <= 0 || n > uint64(len(v)-k) {
		return "", "", fmt.Errorf("mount entry: %w", errCorrupt)
	}
	v = v[k:]
	return string(v[:n]), string(v[n:]), nil
}

// grantBucket returns grants/<owner>/<coll>, nil when there is none.
func grantBucket(tx *bbolt.Tx, owner, coll string) *bbolt.Bucket {
	ob := tx.Bucket(bucketGrants).Bucket([]byte(owner))
	if ob == nil {
		return nil
	}
	return ob.Bucket([]byte(coll))
}

func decodeGrant(v []byte, owner, coll, sharee string) (*grantRecord, error) {
	var r grantRecord
	if err := json.Unmarshal(v, &r); err != nil {
		return nil, fmt.Errorf("grant %s/%s to %q: %w", owner, coll, sharee, err)
	}
	if r.Owner != owner || r.Collection != coll || r.Sharee != sharee {
		return nil, fmt.Errorf("grant %s/%s to %q: key and record differ: %w", owner, coll, sharee, errCorrupt)
	}
	return &r, nil
}

// getGrant returns the record of (owner, coll, sharee), nil when there is
// none.
func getGrant(tx *bbolt.Tx, owner, coll, sharee string) (*grantRecord, error) {
	b := grantBucket(tx, owner, coll)
	if b == nil {
		return nil, nil
	}
	v := b.Get([]byte(sharee))
	if v == nil {
		return nil, nil
	}
	return decodeGrant(v, owner, coll, sharee)
}

// needGrant is getGrant with a missing grant ErrNotFound.
func needGrant(tx *bbolt.Tx, owner, coll, sharee string) (*grantRecord, error) {
	r, err := getGrant(tx, owner, coll, sharee)
	if err == nil && r == nil {
		return nil, notFoundGrant(owner, coll, sharee)
	}
	return r, err
}

// grantByMount returns the grant mounted as mount in sharee's home, nil
// when there is none.
func grantByMount(tx *bbolt.Tx, sharee, mount string) (*grantRecord, error) {
	mb := tx.Bucket(bucketMounts).Bucket([]byte(sharee))
	if mb == nil {
		return nil, nil
	}
	v := mb.Get([]byte(mount))
	if v == nil {
		return nil, nil
	}
	owner, coll, err := decodeMountRef(v)
	if err != nil {
		return nil, fmt.Errorf("mount %s/%s: %w", sharee, mount, err)
	}
	r, err := getGrant(tx, owner, coll, sharee)
	if err != nil {
		return nil, err
	}
	if r == nil || r.Mount != mount {
		return nil, fmt.Errorf("mount %s/%s: %w", sharee, mount, errCorrupt)
	}
	return r, nil
}

// needMount is grantByMount with a missing mount ErrNotFound.
func needMount(tx *bbolt.Tx, sharee, mount string) (*grantRecord, error) {
	r, err := grantByMount(tx, sharee, mount)
	if err == nil && r == nil {
		return nil, notFoundMount(sharee, mount)
	}
	return r, err
}

// mountTaken reports whether name is one of account's mounts.
func mountTaken(tx *bbolt.Tx, account, name string) bool {
	mb := tx.Bucket(bucketMounts).Bucket([]byte(account))
	return mb != nil && mb.Get([]byte(name)) != nil
}

// putGrant writes r and, when index is set, its mount entry.
func putGrant(tx *bbolt.Tx, r *grantRecord, index bool) error {
	v, err := json.Marshal(r)
	if err != nil {
		return err
	}
	ob, err := tx.Bucket(bucketGrants).CreateBucketIfNotExists([]byte(r.Owner))
	if err != nil {
		return err
	}
	cb, err := ob.CreateBucketIfNotExists([]byte(r.Collection))
	if err != nil {
		return err
	}
	if err := cb.Put([]byte(r.Sharee), v); err != nil {
		return err
	}
	if !index {
		return nil
	}
	mb, err := tx.Bucket(bucketMounts).CreateBucketIfNotExists([]byte(r.Sharee))
	if err != nil {
		return err
	}
	return mb.Put([]byte(r.Mount), encodeMountRef(r.Owner, r.Collection))
}

// dropIfEmpty deletes the sub-bucket name of parent when it holds nothing.
func dropIfEmpty(parent *bbolt.Bucket, name []byte) error {
	b := parent.Bucket(name)
	if b == nil {
		return nil
	}
	if k, _ := b.Cursor().First(); k != nil {
		return nil
	}
	return parent.DeleteBucket(name)
}

// deleteGrantRecord removes the record of (owner, coll, sharee) and the
// buckets it leaves empty, not its mount entry.
func deleteGrantRecord(tx *bbolt.Tx, owner, coll, sharee string) error {
	grants := tx.Bucket(bucketGrants)
	ob := grants.Bucket([]byte(owner))
	if ob == nil {
		return nil
	}
	cb := ob.Bucket([]byte(coll))
	if cb == nil {
		return nil
	}
	if err := cb.Delete([]byte(sharee)); err != nil {
		return err
	}
	if err := dropIfEmpty(ob, []byte(coll)); err != nil {
		return err
	}
	return dropIfEmpty(grants, []byte(owner))
}

// deleteMount removes sharee's mount entry and the bucket it leaves empty.
func deleteMount(tx *bbolt.Tx, sharee, mount string) error {
	mounts := tx.Bucket(bucketMounts)
	mb := mounts.Bucket([]byte(sharee))
	if mb == nil {
		return nil
	}
	if err := mb.Delete([]byte(mount)); err != nil {
		return err
	}
	return dropIfEmpty(mounts, []byte(sharee))
}

// collGrants decodes the records of grants/<owner>/<coll> (b), in sharee
// order.
func collGrants(b *bbolt.Bucket, owner, coll string) ([]*grantRecord, error) {
	var out []*grantRecord
	err := b.ForEach(func(k, v []byte) error {
		if v == nil {
			return fmt.Errorf("grant %s/%s: nested bucket %q: %w", owner, coll, k, errCorrupt)
		}
		r, err := decodeGrant(v, owner, coll, string(k))
		if err != nil {
			return err
		}
		out = append(out, r)
		return nil
	})
	return out, err
}

// deleteCollGrants removes the grants on owner's collection coll with
// their mount entries; DeleteCollection calls it inside its transaction.
func deleteCollGrants(tx *bbolt.Tx, owner, coll string) error {
	grants := tx.Bucket(bucketGrants)
	ob := grants.Bucket([]byte(owner))
	if ob == nil {
		return nil
	}
	cb := ob.Bucket([]byte(coll))
	if cb == nil {
		return nil
	}
	rs, err := collGrants(cb, owner, coll)
	if err != nil {
		return err
	}
	for _, r := range rs {
		if err := deleteMount(tx, r.Sharee, r.Mount); err != nil {
			return err
		}
	}
	if err := ob.DeleteBucket([]byte(coll)); err != nil {
		return err
	}
	return dropIfEmpty(grants, []byte(owner))
}

// renameCollGrants re-keys the grants on owner's collection from under
// to, pointing their sharees' mount entries at it; MoveCollection calls
// it inside its transaction. Mount names, access, the sharees' props and
// the dates stay.
func renameCollGrants(tx *bbolt.Tx, owner, from, to string) error {
	b := grantBucket(tx, owner, from)
	if b == nil {
		return nil
	}
	rs, err := collGrants(b, owner, from)
	if err != nil {
		return err
	}
	grants := tx.Bucket(bucketGrants)
	if err := grants.Bucket([]byte(owner)).DeleteBucket([]byte(from)); err != nil {
		return err
	}
	for _, r := range rs {
		r.Collection = to
		if err := putGrant(tx, r, true); err != nil {
			return err
		}
	}
	return dropIfEmpty(grants, []byte(owner))
}

// deleteAccountGrants removes every grant on id's collections and every
// grant to id, with their mount entries; DeleteAccount calls it inside its
// transaction.
func deleteAccountGrants(tx *bbolt.Tx, id string) error {
	// As owner: the mounts of id's grants in the sharees' homes, then
	// id's whole grants tree.
	grants := tx.Bucket(bucketGrants)
	if ob := grants.Bucket([]byte(id)); ob != nil {
		var colls [][]byte
		err := ob.ForEachBucket(func(k []byte) error {
			colls = append(colls, bytes.Clone(k))
			return nil
		})
		if err != nil {
			return err
		}
		for _, coll := range colls {
			rs, err := collGrants(ob.Bucket(coll), id, string(coll))
			if err != nil {
				return err
			}
			for _, r := range rs {
				if err := deleteMount(tx, r.Sharee, r.Mount); err != nil {
					return err
				}
			}
		}
		if err := grants.DeleteBucket([]byte(id)); err != nil {
			return err
		}
	}

	// As sharee: the records its mounts point to, then the mounts.
	mounts := tx.Bucket(bucketMounts)
	mb := mounts.Bucket([]byte(id))
	if mb == nil {
		return nil
	}
	type ref struct{ owner, coll string }
	var refs []ref
	err := mb.ForEach(func(k, v []byte) error {
		owner, coll, err := decodeMountRef(v)
		if err != nil {
			return fmt.Errorf("mount %s/%s: %w", id, k, err)
		}
		refs = append(refs, ref{owner, coll})
		return nil
	})
	if err != nil {
		return err
	}
	for _, r := range refs {
		if err := deleteGrantRecord(tx, r.owner, r.coll, id); err != nil {
			return err
		}
	}
	return mounts.DeleteBucket([]byte(id))
}

// checkGrantKeys rejects what bbolt cannot store as a key of a grant.
func checkGrantKeys(owner, coll, sharee string) error {
	if err := checkKey("owner", owner); err != nil {
		return err
	}
	if err := checkKey("collection name", coll); err != nil {
		return err
	}
	return checkKey("sharee", sharee)
}

// PutGrant creates the grant (g.Owner, g.Collection, g.Sharee), or updates
// its Access and ShowPrivate when it exists, and writes the stored grant
// back into *g. Creating checks that the collection and the sharee exist
// (ErrNotFound) and that g.Mount is free in the sharee's home, among its
// collections and mounts (ErrExists). A grant of a collection to its own
// owner is refused with a plain error.
func (db *DB) PutGrant(ctx context.Context, g *storage.Grant) error {
	const op = "put grant"
	if err := ctxErr(ctx, op); err != nil {
		return err
	}
	if err := checkGrantKeys(g.Owner, g.Collection, g.Sharee); err != nil {
		return wrap(op, err)
	}
	if g.Sharee == g.Owner {
		return wrap(op, fmt.Errorf("grant %s/%s: cannot share a collection with its owner", g.Owner, g.Collection))
	}
	now := time.Now().UTC()
	var r *grantRecord
	err := db.execChecked(op, func(tx *bbolt.Tx) error {
		var err error
		r, err = getGrant(tx, g.Owner, g.Collection, g.Sharee)
		if err != nil {
			return err
		}
		if r != nil {
			r.Access = g.Access
			r.ShowPrivate = g.ShowPrivate
			r.Updated = now
			return putGrant(tx, r, false)
		}

		if collBucket(tx, g.Owner, g.Collection) == nil {
			return notFoundColl(g.Owner, g.Collection)
		}
		if err := needAccount(tx, g.Sharee); err != nil {
			return err
		}
		if err := checkKey("mount", g.Mount); err != nil {
			return err
		}
		if collBucket(tx, g.Sharee, g.Mount) != nil {
			return fmt.Errorf("mount %s/%s: a collection of that name: %w", g.Sharee, g.Mount, storage.ErrExists)
		}
		if mountTaken(tx, g.Sharee, g.Mount) {
			return fmt.Errorf("mount %s/%s: %w", g.Sharee, g.Mount, storage.ErrExists)
		}
		r = &grantRecord{
			Owner:       g.Owner,
			Collection:  g.Collection,
			Sharee:      g.Sharee,
			Access:      g.Access,
			ShowPrivate: g.ShowPrivate,
			Mount:       g.Mount,
			Created:     now,
			Updated:     now,
		}
		if len(g.Props) > 0 {
			r.Props = maps.Clone(g.Props)
		}
		return putGrant(tx, r, true)
	})
	if err != nil {
		return err
	}
	*g = *r.grant()
	return nil
}

// Grant returns the grant of owner's collection coll to sharee.
func (db *DB) Grant(ctx context.Context, owner, coll, sharee string) (*storage.Grant, error) {
	return view(db, ctx, "get grant", func(tx *bbolt.Tx) (*storage.Grant, error) {
		r, err := needGrant(tx, owner, coll, sharee)
		if err != nil {
			return nil, err
		}
		return r.grant(), nil
	})
}

// GrantByMount returns the grant mounted as mount in sharee's home.
func (db *DB) GrantByMount(ctx context.Context, sharee, mount string) (*storage.Grant, error) {
	return view(db, ctx, "get grant by mount", func(tx *bbolt.Tx) (*storage.Grant, error) {
		r, err := needMount(tx, sharee, mount)
		if err != nil {
			return nil, err
		}
		return r.grant(), nil
	})
}

// GrantsOf returns the grants on owner's collection coll ordered by
// Created, then Sharee, reading only that collection's grant bucket. A
// missing collection is ErrNotFound; one without grants gets an empty,
// non-nil list.
func (db *DB) GrantsOf(ctx context.Context, owner, coll string) ([]storage.Grant, error) {
	out, err := view(db, ctx, "list grants of collection", func(tx *bbolt.Tx) ([]storage.Grant, error) {
		out := []storage.Grant{}
		if collBucket(tx, owner, coll) == nil {
			return nil, notFoundColl(owner, coll)
		}
		b := grantBucket(tx, owner, coll)
		if b == nil {
			return out, nil
		}
		rs, err := collGrants(b, owner, coll)
		if err != nil {
			return nil, err
		}
		for _, r := range rs {
			out = append(out, *r.grant())
		}
		return out, nil
	})
	// The bucket is in sharee order; a stable sort by Created keeps it
	// within equal times.
	slices.SortStableFunc(out, func(a, b storage.Grant) int {
		return cmp.Or(a.Created.Compare(b.Created), strings.Compare(a.Sharee, b.Sharee))
	})
	return out, err
}

// GrantsTo returns the grants to sharee in mount order, walking its mount
// index. A missing account is ErrNotFound; one without grants gets an
// empty, non-nil list.
func (db *DB) GrantsTo(ctx context.Context, sharee string) ([]storage.Grant, error) {
	return view(db, ctx, "list grants to account", func(tx *bbolt.Tx) ([]storage.Grant, error) {
		if err := needAccount(tx, sharee); err != nil {
			return nil, err
		}
		return appendIndexed([]storage.Grant{}, keysOf(tx.Bucket(bucketMounts).Bucket([]byte(sharee))), "mount", sharee,
			func(mount string) (*grantRecord, error) { return grantByMount(tx, sharee, mount) }, nil, (*grantRecord).grant)
	})
}

// DeleteGrant removes the grant of owner's collection coll to sharee and
// its mount entry, which frees the mount name in the sharee's home.
func (db *DB) DeleteGrant(ctx context.Context, owner, coll, sharee string) error {
	return db.exec(ctx, "delete grant", func(tx *bbolt.Tx) error {
		r, err := needGrant(tx, owner, coll, sharee)
		if err != nil {
			return err
		}
		if err := deleteMount(tx, r.Sharee, r.Mount); err != nil {
			return err
		}
		return deleteGrantRecord(tx, r.Owner, r.Collection, r.Sharee)
	})
}

// PatchGrantProps applies remove, then set, to the sharee's properties of
// the grant mounted as mount, so a property named in both ends up set. The
// owner's collection and the grant's Updated are left alone: they record
// the owner's decisions, not the sharee's view.
func (db *DB) PatchGrantProps(ctx context.Context, sharee, mount string, set map[string]string, remove []string) (*storage.Grant, error) {
	return update(db, ctx, "patch grant props", func(tx *bbolt.Tx) (*storage.Grant, error) {
		r, err := needMount(tx, sharee, mount)
		if err != nil {
			return nil, err
		}
		if r.Props == nil {
			r.Props = make(map[string]string, len(set))
		}
		for _, k := range remove {
			delete(r.Props, k)
		}
		maps.Copy(r.Props, set)
		if len(r.Props) == 0 {
			r.Props = nil
		}
		return r.grant(), putGrant(tx, r, false)
	})
}
