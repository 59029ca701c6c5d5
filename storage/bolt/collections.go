package bolt

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"almanac/storage"

	"go.etcd.io/bbolt"
	bberrors "go.etcd.io/bbolt/errors"
)

// Names inside a collection bucket. Sub-buckets and plain keys share one
// key space in bbolt, so the names must differ.
var (
	keyInfo  = []byte("info")
	keyState = []byte("state")

	bucketMeta    = []byte("meta")
	bucketData    = []byte("data")
	bucketUIDs    = []byte("uids")
	bucketChanges = []byte("changes")
	bucketTombs   = []byte("tombs")
)

// collInfo is the rarely written part of a collection. Owner and Name are
// the bucket path; Seq, Pruned, Modified and Incarnation live in state.
type collInfo struct {
	Kind       storage.Kind      `json:"kind"`
	Components []string          `json:"components,omitempty"`
	Props      map[string]string `json:"props,omitempty"`
	Created    time.Time         `json:"created"`
}

// collTx is one collection opened inside a transaction. Writers change
// st in memory through put and remove and persist it once with save, so
// a Transfer within one collection bumps the same counter twice.
type collTx struct {
	b                                *bbolt.Bucket
	meta, data, uids, changes, tombs *bbolt.Bucket
	// The time index (timeline.go); nil in address books, and in
	// calendars of a file opened read-only before its upgrade (bounds:
	// before schema 5).
	when, tls, loose, bounds *bbolt.Bucket
	st                       state
}

func collBucket(tx *bbolt.Tx, owner, name string) *bbolt.Bucket {
	ob := tx.Bucket(bucketCollections).Bucket([]byte(owner))
	if ob == nil {
		return nil
	}
	return ob.Bucket([]byte(name))
}

// eachCollection calls fn with every collection's bucket, by owner and
// name, as upgrades, exports and counts walk them.
func eachCollection(tx *bbolt.Tx, fn func(owner, name []byte, b *bbolt.Bucket) error) error {
	root := tx.Bucket(bucketCollections)
	if root == nil {
		return nil
	}
	return root.ForEachBucket(func(owner []byte) error {
		ob := root.Bucket(owner)
		return ob.ForEachBucket(func(name []byte) error {
			return fn(owner, name, ob.Bucket(name))
		})
	})
}

// viewColl runs fn in a read transaction on the collection owner/coll,
// failing with storage.ErrNotFound when it does not exist.
func (db *DB) viewColl(owner, coll string, fn func(c *collTx) error) error {
	return db.bdb.View(func(tx *bbolt.Tx) error {
		c, err := loadColl(tx, owner, coll)
		if err != nil {
			return err
		}
		if c == nil {
			return notFoundColl(owner, coll)
		}
		return fn(c)
	})
}

// loadColl returns nil, nil when the collection does not exist.
func loadColl(tx *bbolt.Tx, owner, name string) (*collTx, error) {
	b := collBucket(tx, owner, name)
	if b == nil {
		return nil, nil
	}
	c := &collTx{
		b:       b,
		meta:    b.Bucket(bucketMeta),
		data:    b.Bucket(bucketData),
		uids:    b.Bucket(bucketUIDs),
		changes: b.Bucket(bucketChanges),
		tombs:   b.Bucket(bucketTombs),
		when:    b.Bucket(bucketWhen),
		tls:     b.Bucket(bucketTimelines),
		loose:   b.Bucket(bucketLoose),
		bounds:  b.Bucket(bucketBounds),
	}
	if c.meta == nil || c.data == nil || c.uids == nil || c.changes == nil || c.tombs == nil ||
		(c.when == nil) != (c.tls == nil) || (c.when == nil) != (c.loose == nil) {
		return nil, fmt.Errorf("collection %s/%s: missing bucket: %w", owner, name, errCorrupt)
	}
	st, err := decodeState(b.Get(keyState))
	if err != nil {
		return nil, fmt.Errorf("collection %s/%s: %w", owner, name, err)
	}
	c.st = st
	return c, nil
}

// stat returns the metadata stored under name, nil when there is none.
func (c *collTx) stat(name string) (*storage.ObjectMeta, error) {
	k := []byte(name)
	v := c.meta.Get(k)
	if v == nil {
		return nil, nil
	}
	return decodeMeta(k, v)
}

// statScan is how many keys statAll steps through with the cursor before
// it searches the tree instead: stepping to a key a few entries on costs
// less than a search from the root (one binary search per tree level).
const statScan = 64

// statAll returns the metadata of the named members, found[i] for
// names[i], nil for a name that has none. A time-range answer names
// thousands of members of one collection: read in key order with one
// cursor, most are a few steps from the previous one, where looking each
// up alone would search the tree from its root every time.
func (c *collTx) statAll(names [][]byte) (found []*storage.ObjectMeta, err error) {
	order := make([]int, len(names))
	for i := range order {
		order[i] = i
	}
	if !slices.IsSortedFunc(names, bytes.Compare) {
		slices.SortFunc(order, func(a, b int) int { return bytes.Compare(names[a], names[b]) })
	}
	found = make([]*storage.ObjectMeta, len(names))
	cur := c.meta.Cursor()
	var k, v []byte
	for _, i := range order {
		name := names[i]
		for n := 0; k != nil && n < statScan && bytes.Compare(k, name) < 0; n++ {
			k, v = cur.Next()
		}
		if k == nil || bytes.Compare(k, name) < 0 {
			k, v = cur.Seek(name)
		}
		if !bytes.Equal(k, name) {
			continue
		}
		if found[i], err = decodeMeta(k, v); err != nil {
			return nil, err
		}
	}
	return found, nil
}

// uidHolder names the member carrying uid, "" when none does.
func (c *collTx) uidHolder(uid string) string {
	if uid == "" {
		return ""
	}
	return string(c.uids.Get([]byte(uid)))
}

// put stores m and data under m.Name, replacing old (nil when the name is
// new). It assigns m.Seq and m.Modified and keeps the change log at one
// record per name by deleting the record of the name's previous write.
func (c *collTx) put(m *storage.ObjectMeta, data []byte, old *storage.ObjectMeta, now time.Time) error {
	c.st.seq++
	c.st.modified = now
	m.Seq = c.st.seq
	m.Modified = now
	name := []byte(m.Name)

	if old != nil {
		if err := c.changes.Delete(seqKey(old.Seq)); err != nil {
			return err
		}
		if err := c.dropTimeline(old.Name); err != nil {
			return err
		}
		if old.UID != m.UID {
			if err := c.dropUID(old.UID, m.Name); err != nil {
				return err
			}
		}
	} else if t := c.tombs.Get(name); t != nil {
		if err := c.changes.Delete(seqKey(keySeq(t))); err != nil {
			return err
		}
		if err := c.tombs.Delete(name); err != nil {
			return err
		}
	}

	if err := c.meta.Put(name, encodeMeta(m)); err != nil {
		return err
	}
	if err := c.data.Put(name, data); err != nil {
		return err
	}
	if m.UID != "" {
		if err := c.uids.Put([]byte(m.UID), name); err != nil {
			return err
		}
	}
	return c.changes.Put(seqKey(m.Seq), encodeChange(m.Name, false, now))
}

// remove deletes old and leaves a tombstone in the change log.
func (c *collTx) remove(old *storage.ObjectMeta, now time.Time) error {
	c.st.seq++
	c.st.modified = now
	name := []byte(old.Name)
	if err := c.changes.Delete(seqKey(old.Seq)); err != nil {
		return err
	}
	if err := c.meta.Delete(name); err != nil {
		return err
	}
	if err := c.data.Delete(name); err != nil {
		return err
	}
	if err := c.dropUID(old.UID, old.Name); err != nil {
		return err
	}
	if err := c.dropTimeline(old.Name); err != nil {
		return err
	}
	seq := seqKey(c.st.seq)
	if err := c.tombs.Put(name, seq); err != nil {
		return err
	}
	return c.changes.Put(seq, encodeChange(old.Name, true, now))
}

// dropUID removes the index entry for uid if it still points at name; an
// entry pointing elsewhere belongs to another member and stays.
func (c *collTx) dropUID(uid, name string) error {
	if uid == "" {
		return nil
	}
	k := []byte(uid)
	if string(c.uids.Get(k)) != name {
		return nil
	}
	return c.uids.Delete(k)
}

func (c *collTx) save() error {
	return c.b.Put(keyState, c.st.encode())
}

func readInfo(b *bbolt.Bucket) (collInfo, error) {
	var info collInfo
	v := b.Get(keyInfo)
	if v == nil {
		return info, fmt.Errorf("collection info: %w", errCorrupt)
	}
	if err := json.Unmarshal(v, &info); err != nil {
		return info, fmt.Errorf("collection info: %w", err)
	}
	return info, nil
}

func readCollection(b *bbolt.Bucket, owner, name string) (*storage.Collection, error) {
	info, err := readInfo(b)
	if err != nil {
		return nil, fmt.Errorf("collection %s/%s: %w", owner, name, err)
	}
	st, err := decodeState(b.Get(keyState))
	if err != nil {
		return nil, fmt.Errorf("collection %s/%s: %w", owner, name, err)
	}
	props := info.Props
	if props == nil {
		props = map[string]string{}
	}
	return &storage.Collection{
		Owner:       owner,
		Name:        name,
		Kind:        info.Kind,
		Incarnation: st.incarnation,
		Seq:         st.seq,
		Pruned:      st.pruned,
		Components:  info.Components,
		Props:       props,
		Created:     info.Created,
		Modified:    st.modified,
	}, nil
}

// CreateCollection creates c with a fresh incarnation and Seq 0. Sync
// token 0 of that incarnation is then the initial-sync position, which is
// exactly "no changes seen yet", so the new collection's token is valid.
// The name must be free among the owner's collections and the mounts of
// collections shared with the owner (ErrExists).
func (db *DB) CreateCollection(ctx context.Context, c *storage.Collection) error {
	const op = "create collection"
	if err := ctxErr(ctx, op); err != nil {
		return err
	}
	if err := checkKey("owner", c.Owner); err != nil {
		return wrap(op, err)
	}
	if err := checkKey("collection name", c.Name); err != nil {
		return wrap(op, err)
	}
	if !knownKind(c.Kind) {
		return wrap(op, fmt.Errorf("invalid kind %d", c.Kind))
	}
	now := time.Now().UTC()
	st := state{modified: now, incarnation: randomID(16)}
	info, err := json.Marshal(collInfo{Kind: c.Kind, Components: c.Components, Props: c.Props, Created: now})
	if err != nil {
		return wrap(op, err)
	}
	err = db.commit.update(func(tx *bbolt.Tx) error {
		if tx.Bucket(bucketAccounts).Get([]byte(c.Owner)) == nil {
			return fmt.Errorf("account %q: %w", c.Owner, storage.ErrNotFound)
		}
		if mountTaken(tx, c.Owner, c.Name) {
			return fmt.Errorf("collection %s/%s: name of a shared collection's mount: %w", c.Owner, c.Name, storage.ErrExists)
		}
		ob, err := tx.Bucket(bucketCollections).CreateBucketIfNotExists([]byte(c.Owner))
		if err != nil {
			return err
		}
		b, err := ob.CreateBucket([]byte(c.Name))
		if errors.Is(err, bberrors.ErrBucketExists) {
			return fmt.Errorf("collection %s/%s: %w", c.Owner, c.Name, storage.ErrExists)
		}
		if err != nil {
			return err
		}
		for _, name := range [][]byte{bucketMeta, bucketData, bucketUIDs, bucketChanges, bucketTombs} {
			if _, err := b.CreateBucket(name); err != nil {
				return err
			}
		}
		if c.Kind == storage.KindCalendar {
			if _, err := createTimeBuckets(b); err != nil {
				return err
			}
		}
		if err := b.Put(keyInfo, info); err != nil {
			return err
		}
		return b.Put(keyState, st.encode())
	})
	if err != nil {
		return wrap(op, err)
	}
	c.Incarnation = st.incarnation
	c.Seq, c.Pruned = 0, 0
	c.Created, c.Modified = now, now
	if c.Props == nil {
		c.Props = map[string]string{}
	}
	return nil
}

// Collection returns one collection; ErrNotFound covers a missing owner.
func (db *DB) Collection(ctx context.Context, owner, name string) (*storage.Collection, error) {
	return view(db, ctx, "get collection", func(tx *bbolt.Tx) (*storage.Collection, error) {
		b := collBucket(tx, owner, name)
		if b == nil {
			return nil, fmt.Errorf("collection %s/%s: %w", owner, name, storage.ErrNotFound)
		}
		return readCollection(b, owner, name)
	})
}

// ListCollections returns owner's collections in name order. A missing
// account is ErrNotFound, an account without collections an empty list.
func (db *DB) ListCollections(ctx context.Context, owner string) ([]storage.Collection, error) {
	return view(db, ctx, "list collections", func(tx *bbolt.Tx) ([]storage.Collection, error) {
		if err := needAccount(tx, owner); err != nil {
			return nil, err
		}
		ob := tx.Bucket(bucketCollections).Bucket([]byte(owner))
		if ob == nil {
			return nil, nil
		}
		var out []storage.Collection
		err := ob.ForEachBucket(func(k []byte) error {
			c, err := readCollection(ob.Bucket(k), owner, string(k))
			if err != nil {
				return err
			}
			out = append(out, *c)
			return nil
		})
		return out, err
	})
}

// PatchCollection applies remove, then set, so a property named in both
// ends up set. Property changes are not member changes: Seq stays.
func (db *DB) PatchCollection(ctx context.Context, owner, name string, set map[string]string, remove []string) (*storage.Collection, error) {
	return update(db, ctx, "patch collection", func(tx *bbolt.Tx) (*storage.Collection, error) {
		b := collBucket(tx, owner, name)
		if b == nil {
			return nil, fmt.Errorf("collection %s/%s: %w", owner, name, storage.ErrNotFound)
		}
		info, err := readInfo(b)
		if err != nil {
			return nil, err
		}
		st, err := decodeState(b.Get(keyState))
		if err != nil {
			return nil, err
		}
		if info.Props == nil {
			info.Props = make(map[string]string, len(set))
		}
		for _, k := range remove {
			delete(info.Props, k)
		}
		maps.Copy(info.Props, set)
		st.modified = time.Now().UTC()
		v, err := json.Marshal(info)
		if err != nil {
			return nil, err
		}
		if err := b.Put(keyInfo, v); err != nil {
			return nil, err
		}
		if err := b.Put(keyState, st.encode()); err != nil {
			return nil, err
		}
		return readCollection(b, owner, name)
	})
}

// DeleteCollection drops the collection with its objects, change log,
// public links and grants, whose mounts leave the sharees' homes.
// A later collection of the same name gets a new incarnation, so tokens
// of this one stay invalid.
func (db *DB) DeleteCollection(ctx context.Context, owner, name string) error {
	return db.exec(ctx, "delete collection", func(tx *bbolt.Tx) error {
		ob := tx.Bucket(bucketCollections).Bucket([]byte(owner))
		if ob == nil || ob.Bucket([]byte(name)) == nil {
			return fmt.Errorf("collection %s/%s: %w", owner, name, storage.ErrNotFound)
		}
		if err := deleteLinks(tx, owner, name); err != nil {
			return err
		}
		if err := deleteCollGrants(tx, owner, name); err != nil {
			return err
		}
		return ob.DeleteBucket([]byte(name))
	})
}

// MoveCollection renames a collection in one transaction. The member,
// UID, change-log and tombstone buckets are re-parented under the new
// name (bbolt's MoveBucket: no member is copied, so a large collection
// costs what a small one does); only the info and state records are
// copied. The collection's grants are re-keyed under the new name with
// their sharees' mount entries pointed at it, and its links' records and
// owner index name it.
func (db *DB) MoveCollection(ctx context.Context, owner, from, to string, replace bool) (bool, error) {
	const op = "move collection"
	if err := ctxErr(ctx, op); err != nil {
		return false, err
	}
	for _, k := range [...][2]string{{"owner", owner}, {"collection name", from}, {"new collection name", to}} {
		if err := checkKey(k[0], k[1]); err != nil {
			return false, wrap(op, err)
		}
	}
	var replaced bool
	err := db.execChecked(op, func(tx *bbolt.Tx) error {
		replaced = false
		ob := tx.Bucket(bucketCollections).Bucket([]byte(owner))
		var src *bbolt.Bucket
		if ob != nil {
			src = ob.Bucket([]byte(from))
		}
		if src == nil {
			return notFoundColl(owner, from)
		}
		if from == to {
			return fmt.Errorf("collection %s/%s: onto itself: %w", owner, from, storage.ErrExists)
		}
		info, err := readInfo(src)
		if err != nil {
			return fmt.Errorf("collection %s/%s: %w", owner, from, err)
		}
		if replaced, err = clearCollectionName(tx, ob, owner, to, info.Kind, replace); err != nil {
			return err
		}
		dst, err := ob.CreateBucket([]byte(to))
		if err != nil {
			return err
		}
		// The sub-buckets are untouched in this transaction before they
		// move, as MoveBucket requires: it drops src's cached handles.
		for i, name := range [][]byte{bucketMeta, bucketData, bucketUIDs, bucketChanges, bucketTombs, bucketWhen, bucketTimelines, bucketLoose, bucketBounds} {
			if k, _ := src.Cursor().Seek(name); i >= 5 && !bytes.Equal(k, name) {
				continue // no time index: an address book (a cursor opens no handle)
			}
			if err := src.MoveBucket(name, dst); err != nil {
				return fmt.Errorf("collection %s/%s: move %s: %w", owner, from, name, err)
			}
		}
		for _, k := range [][]byte{keyInfo, keyState} {
			// A value read in a write transaction may point into pages
			// the commit rewrites; bbolt wants it valid until then.
			if err := dst.Put(k, bytes.Clone(src.Get(k))); err != nil {
				return err
			}
		}
		if err := ob.DeleteBucket([]byte(from)); err != nil {
			return err
		}
		if err := renameLinks(tx, owner, from, to); err != nil {
			return err
		}
		return renameCollGrants(tx, owner, from, to)
	})
	if err != nil {
		return false, err
	}
	return replaced, nil
}

// clearCollectionName makes name free in owner's home (ob, the owner's
// collections bucket) for a collection of kind: ErrExists when a
// collection or a mount holds it, unless replace is set and that is a
// collection of kind, deleted then with its links and grants, or the mount
// of one, whose grant is deleted. It reports whether it removed anything.
func clearCollectionName(tx *bbolt.Tx, ob *bbolt.Bucket, owner, name string, kind storage.Kind, replace bool) (bool, error) {
	if b := ob.Bucket([]byte(name)); b != nil {
		if !replace {
			return false, fmt.Errorf("collection %s/%s: %w", owner, name, storage.ErrExists)
		}
		info, err := readInfo(b)
		if err != nil {
			return false, fmt.Errorf("collection %s/%s: %w", owner, name, err)
		}
		if info.Kind != kind {
			return false, fmt.Errorf("collection %s/%s: of another kind: %w", owner, name, storage.ErrExists)
		}
		if err := deleteLinks(tx, owner, name); err != nil {
			return false, err
		}
		if err := deleteCollGrants(tx, owner, name); err != nil {
			return false, err
		}
		return true, ob.DeleteBucket([]byte(name))
	}
	g, err := grantByMount(tx, owner, name)
	if err != nil || g == nil {
		return false, err
	}
	if !replace {
		return false, fmt.Errorf("collection %s/%s: name of a shared collection's mount: %w", owner, name, storage.ErrExists)
	}
	mb := collBucket(tx, g.Owner, g.Collection)
	if mb == nil {
		return false, fmt.Errorf("mount %s/%s: collection %s/%s missing: %w", owner, name, g.Owner, g.Collection, errCorrupt)
	}
	info, err := readInfo(mb)
	if err != nil {
		return false, fmt.Errorf("collection %s/%s: %w", g.Owner, g.Collection, err)
	}
	if info.Kind != kind {
		return false, fmt.Errorf("mount %s/%s: of another kind: %w", owner, name, storage.ErrExists)
	}
	if err := deleteMount(tx, owner, name); err != nil {
		return false, err
	}
	return true, deleteGrantRecord(tx, g.Owner, g.Collection, owner)
}

// knownKind reports whether k is a kind of collection the store keeps.
func knownKind(k storage.Kind) bool {
	switch k {
	case storage.KindCalendar, storage.KindAddressBook, storage.KindScheduleInbox:
		return true
	}
	return false
}
