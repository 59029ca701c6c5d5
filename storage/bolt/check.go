package bolt

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"almanac/storage"

	"go.etcd.io/bbolt"
	bberrors "go.etcd.io/bbolt/errors"
)

// Check verifies the database (storage.Maintenance): its page structure
// (pages.go), bbolt's own page check, then every invariant the methods
// of this package keep (doc.go).
//
// bbolt's page check is only safe on a read transaction while nothing
// writes. A file opened read-only is checked as it is; an open server's
// database is first copied through a snapshot (no pause for writers) to
// a temporary file beside it, and the copy is checked.
func (db *DB) Check(ctx context.Context, report func(storage.Problem)) (storage.CheckStats, error) {
	const op = "check"
	if err := ctxErr(ctx, op); err != nil {
		return storage.CheckStats{}, err
	}
	if db.bdb.IsReadOnly() {
		st, err := checkOpen(ctx, db.bdb, report)
		return st, wrap(op, err)
	}
	st, err := db.checkCopy(ctx, report)
	return st, wrap(op, err)
}

// CheckFile checks the database file at path without opening it as a
// store: a file whose schema or buckets Open would refuse is checked all
// the same, and what is wrong with it reported. It takes a shared lock,
// failing like Open with storage.ErrLocked when a writer holds the file.
func CheckFile(ctx context.Context, path string, opts Options, report func(storage.Problem)) (storage.CheckStats, error) {
	const op = "check"
	if err := ctxErr(ctx, op); err != nil {
		return storage.CheckStats{}, err
	}
	st, err := checkPath(ctx, path, opts, report)
	return st, wrap(op, err)
}

// checkPath checks the file at path, which nothing writes.
func checkPath(ctx context.Context, path string, opts Options, report func(storage.Problem)) (storage.CheckStats, error) {
	bdb, err := openReadOnly(path, opts)
	if err != nil {
		return storage.CheckStats{}, err
	}
	defer bdb.Close()
	return checkOpen(ctx, bdb, report)
}

// checkOpen checks the page structure of bdb's file first (pages.go) and
// lets bbolt read it only when that is sound.
func checkOpen(ctx context.Context, bdb *bbolt.DB, report func(storage.Problem)) (storage.CheckStats, error) {
	damaged := false
	err := verifyPages(bdb.Path(), func(msg string) {
		damaged = true
		report(storage.Problem{Where: "file", What: msg})
	})
	if err != nil || damaged {
		return storage.CheckStats{}, err
	}
	return checkDB(ctx, bdb, report)
}

// openReadOnly opens path with bbolt, read-only and without Open's
// schema step.
func openReadOnly(path string, opts Options) (*bbolt.DB, error) {
	if opts.Timeout <= 0 {
		opts.Timeout = time.Second
	}
	// bbolt turns an empty file into a fresh database even when
	// read-only (and fails obscurely doing so): refuse it here.
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	if !fi.Mode().IsRegular() || fi.Size() == 0 {
		return nil, fmt.Errorf("open %s: not a database file", path)
	}
	bdb, err := bbolt.Open(path, 0o600, &bbolt.Options{Timeout: opts.Timeout, ReadOnly: true, FreelistType: bbolt.FreelistMapType})
	if errors.Is(err, bberrors.ErrTimeout) {
		return nil, fmt.Errorf("open %s: %w", path, storage.ErrLocked)
	}
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	return bdb, nil
}

// checkCopy snapshots the live database into a temporary file in its
// directory (the same file system, writable, as private as the database)
// and checks the copy.
func (db *DB) checkCopy(ctx context.Context, report func(storage.Problem)) (storage.CheckStats, error) {
	f, err := os.CreateTemp(filepath.Dir(db.bdb.Path()), ".check-*.db")
	if err != nil {
		return storage.CheckStats{}, fmt.Errorf("copy for checking: %w", err)
	}
	defer os.Remove(f.Name())
	err = db.bdb.View(func(tx *bbolt.Tx) error {
		_, err := tx.WriteTo(ctxWriter{ctx, f})
		return err
	})
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return storage.CheckStats{}, fmt.Errorf("copy for checking: %w", err)
	}
	return checkPath(ctx, f.Name(), Options{}, report)
}

// ctxWriter fails writes once ctx is done, which is how a copy in
// progress is stopped.
type ctxWriter struct {
	ctx context.Context
	w   io.Writer
}

func (w ctxWriter) Write(p []byte) (int, error) {
	if err := w.ctx.Err(); err != nil {
		return 0, err
	}
	return w.w.Write(p)
}

// checkDB runs the checks in one read transaction of bdb, which nothing
// may write meanwhile.
func checkDB(ctx context.Context, bdb *bbolt.DB, report func(storage.Problem)) (storage.CheckStats, error) {
	var stats storage.CheckStats
	err := bdb.View(func(tx *bbolt.Tx) error {
		c := &checker{ctx: ctx, tx: tx, report: report, stats: &stats}
		for err := range tx.Check() {
			c.bad("file", "%v", err)
		}
		return c.run()
	})
	return stats, err
}

// checker walks one transaction and reports what breaks an invariant.
// It reads through the same record decoders the methods use, so what it
// accepts they can read, and keeps no maps: a cross-reference is a Get.
type checker struct {
	ctx    context.Context
	tx     *bbolt.Tx
	report func(storage.Problem)
	stats  *storage.CheckStats
}

func (c *checker) bad(where, format string, args ...any) {
	c.report(storage.Problem{Where: where, What: fmt.Sprintf(format, args...)})
}

// run checks the schema and then each part of the layout in doc.go. A
// page the file check found broken can make bbolt panic when read; that
// ends the walk with one more problem instead of the process.
func (c *checker) run() (err error) {
	defer func() {
		if p := recover(); p != nil {
			c.bad("file", "unreadable, the check stopped here: %v", p)
			err = nil
		}
	}()
	if !c.schema() {
		return nil
	}
	for _, part := range []func(){c.accounts, c.collections, c.links, c.grants, c.security, c.orgs, c.mailServices, c.mailboxes, c.responders, c.importJobs} {
		if err := c.ctx.Err(); err != nil {
			return err
		}
		part()
	}
	return c.ctx.Err()
}

// schema reports a missing or unknown schema version and missing
// buckets; false when this is no almanac database at all.
func (c *checker) schema() bool {
	sb := c.tx.Bucket(bucketSchema)
	if sb == nil {
		c.bad("schema", "missing: this is not an almanac database")
		return false
	}
	if v := sb.Get(keyVersion); string(v) != schemaVersion && !slices.Contains(schemaUpgradable, string(v)) {
		c.bad("schema", "version %q is not one this almanac knows (%s)", v, schemaVersion)
		return false
	}
	for _, name := range buckets() {
		if c.tx.Bucket(name) == nil {
			c.bad("bucket "+string(name), "missing")
		}
	}
	return true
}

// top returns a top-level bucket, nil (read as empty) when missing,
// which schema has reported.
func (c *checker) top(name []byte) *bbolt.Bucket { return c.tx.Bucket(name) }

// each calls fn for every record levels buckets below the top-level
// bucket name, with the keys on its path; a record where a bucket
// belongs, or the reverse, is reported and skipped.
func (c *checker) each(name []byte, levels int, fn func(keys []string, v []byte)) {
	var walk func(b *bbolt.Bucket, keys []string)
	walk = func(b *bbolt.Bucket, keys []string) {
		b.ForEach(func(k, v []byte) error {
			path := append(slices.Clip(keys), string(k))
			switch {
			case len(keys) < levels && v != nil:
				c.bad(string(name)+"/"+strings.Join(path, "/"), "a record where a bucket belongs")
			case len(keys) < levels:
				walk(b.Bucket(k), path)
			case v == nil:
				c.bad(string(name)+"/"+strings.Join(path, "/"), "a bucket where a record belongs")
			default:
				fn(path, v)
			}
			return nil
		})
	}
	if b := c.top(name); b != nil {
		walk(b, nil)
	}
}

// has reports whether the bucket path under the top-level bucket name
// holds key.
func (c *checker) has(name []byte, key string, path ...string) bool {
	b := nested(c.top(name), path...)
	return b != nil && b.Get([]byte(key)) != nil
}

func (c *checker) account(id string) bool { return c.has(bucketAccounts, id) }

// decode unmarshals a JSON record, reporting it when it does not decode.
func decode[T any](c *checker, where string, v []byte) (*T, bool) {
	var r T
	if err := json.Unmarshal(v, &r); err != nil {
		c.bad(where, "the record does not decode (%v)", err)
		return nil, false
	}
	return &r, true
}

func (c *checker) accounts() {
	c.each(bucketAccounts, 0, func(k []string, v []byte) {
		c.stats.Accounts++
		where := fmt.Sprintf("account %q", k[0])
		r, ok := decode[accountRecord](c, where, v)
		if !ok {
			return
		}
		if r.ID != k[0] {
			c.bad(where, "the record is of account %q", r.ID)
		}
		switch id := c.top(bucketLogins).Get(loginKey(r.Login)); {
		case id == nil:
			c.bad(where, "its login %q is not in the login index: it cannot log in", r.Login)
		case string(id) != k[0]:
			c.bad(where, "its login %q is in the login index for account %q", r.Login, id)
		}
	})
	c.each(bucketLogins, 0, func(k []string, v []byte) {
		where := fmt.Sprintf("login %q", k[0])
		r, err := getAccount(c.tx, string(v))
		switch {
		case errors.Is(err, storage.ErrNotFound):
			c.bad(where, "belongs to account %q, which does not exist", v)
		case err != nil:
			// Reported with the account.
		case string(loginKey(r.Login)) != k[0]:
			c.bad(where, "belongs to account %q, whose login is %q", v, r.Login)
		}
	})
}

func (c *checker) collections() {
	root := c.top(bucketCollections)
	if root == nil {
		return
	}
	root.ForEach(func(owner, v []byte) error {
		if v != nil {
			c.bad(fmt.Sprintf("collections/%s", owner), "a record where a bucket belongs")
			return nil
		}
		if !c.account(string(owner)) {
			c.bad(fmt.Sprintf("collections of %q", owner), "account %q does not exist", owner)
		}
		ob := root.Bucket(owner)
		return ob.ForEach(func(name, v []byte) error {
			if err := c.ctx.Err(); err != nil {
				return err
			}
			if v != nil {
				c.bad(fmt.Sprintf("collections/%s/%s", owner, name), "a record where a bucket belongs")
				return nil
			}
			c.collection(fmt.Sprintf("collection %s/%s", owner, name), ob.Bucket(name))
			return nil
		})
	})
}

// collection checks one collection bucket: its records, each object in
// meta, data and the UID index, and the change log against the counter
// and the members (doc.go, Change log).
func (c *checker) collection(where string, b *bbolt.Bucket) {
	c.stats.Collections++
	if info, err := readInfo(b); err != nil {
		c.bad(where, "its properties record: %v", err)
	} else if !knownKind(info.Kind) {
		c.bad(where, "unknown kind %d", info.Kind)
	}
	st, err := decodeState(b.Get(keyState))
	if err != nil {
		c.bad(where, "its state record (counter, incarnation) does not decode")
		return
	}
	if st.pruned > st.seq {
		c.bad(where, "its pruned horizon %d is ahead of its counter %d", st.pruned, st.seq)
	}
	var missing []string
	sub := map[string]*bbolt.Bucket{}
	for _, n := range [][]byte{bucketMeta, bucketData, bucketUIDs, bucketChanges, bucketTombs} {
		if sub[string(n)] = b.Bucket(n); sub[string(n)] == nil {
			missing = append(missing, string(n))
		}
	}
	if len(missing) > 0 {
		c.bad(where, "bucket %s missing", strings.Join(missing, ", "))
		return
	}
	coll := &collTx{b: b, meta: sub["meta"], data: sub["data"], uids: sub["uids"], changes: sub["changes"], tombs: sub["tombs"], st: st,
		when: b.Bucket(bucketWhen), tls: b.Bucket(bucketTimelines), loose: b.Bucket(bucketLoose), bounds: b.Bucket(bucketBounds)}
	c.members(where, coll)
	c.changeLog(where, coll)
	c.timelines(where, coll)
}

// timelines checks a calendar's time index against its members: each
// member has a timeline record, each record a member, and the when and
// loose entries are exactly those the records call for.
func (c *checker) timelines(where string, coll *collTx) {
	if coll.when == nil && coll.tls == nil && coll.loose == nil {
		return // an address book, or a calendar of a file not yet upgraded
	}
	if coll.when == nil || coll.tls == nil || coll.loose == nil {
		c.bad(where, "its time index is missing a bucket")
		return
	}
	when := map[string][]byte{}
	loose := map[string][]byte{}
	bounds := map[string][]byte{}
	// A when entry written before schema 4 carries no ETag (whenETag):
	// it is kept, and the member's metadata read, until the member's
	// next write. Such an entry is accepted as it was then written.
	older := map[string][]byte{}
	coll.meta.ForEach(func(k, mv []byte) error {
		ow := fmt.Sprintf("%s: object %q", where, k)
		m, err := decodeMeta(k, mv)
		if err != nil {
			return nil // members() reports it
		}
		v := coll.tls.Get(k)
		if v == nil {
			c.bad(ow, "has no timeline: time-range queries never find it")
			return nil
		}
		tl, err := decodeTimeline(k, v)
		if err != nil {
			c.bad(ow, "its timeline does not decode")
			return nil
		}
		if !complete(&tl) {
			loose[string(k)] = appendBounds(nil, 0, &tl)
			for _, bk := range boundsKeys(k, &tl) {
				bounds[string(bk)] = []byte{}
			}
		}
		slotPieces(tl.Periods, func(slot int64, pieces []byte) error {
			key := string(whenKey(slot, string(k)))
			when[key] = whenValue(tl.Tag, string(k), m.ETag, pieces)
			older[key] = append([]byte{tl.Tag}, pieces...)
			return nil
		})
		return nil
	})
	coll.tls.ForEach(func(k, _ []byte) error {
		if coll.meta.Get(k) == nil {
			c.bad(fmt.Sprintf("%s: timeline %q", where, k), "belongs to no object")
		}
		return nil
	})
	parts := []struct {
		b    *bbolt.Bucket
		want map[string][]byte
		what string
	}{{coll.when, when, "time index entry"}, {coll.loose, loose, "loose timeline"}}
	// A calendar of a file before schema 5 has no bounds bucket: Between
	// reads its loose entries instead.
	if coll.bounds != nil {
		parts = append(parts, struct {
			b    *bbolt.Bucket
			want map[string][]byte
			what string
		}{coll.bounds, bounds, "bounds entry"})
	}
	for _, part := range parts {
		part.b.ForEach(func(k, v []byte) error {
			w, ok := part.want[string(k)]
			switch {
			case !ok:
				c.bad(fmt.Sprintf("%s: %s %q", where, part.what, k), "no timeline calls for it")
			case !bytes.Equal(w, v) && (part.b != coll.when || !bytes.Equal(older[string(k)], v)):
				c.bad(fmt.Sprintf("%s: %s %q", where, part.what, k), "differs from its timeline")
			}
			delete(part.want, string(k))
			return nil
		})
		for _, k := range slices.Sorted(maps.Keys(part.want)) {
			c.bad(fmt.Sprintf("%s: %s %q", where, part.what, k), "missing: time-range queries miss its object")
		}
	}
}

// changeAt returns the change record at seq and what it is in words:
// "missing", "unreadable", "the deletion of NAME" or "a write of NAME";
// ok is false for the first two.
func changeAt(coll *collTx, seq uint64) (rec change, ok bool, desc string) {
	v := coll.changes.Get(seqKey(seq))
	if v == nil {
		return change{}, false, "missing"
	}
	rec, err := decodeChange(v)
	switch {
	case err != nil:
		return change{}, false, "unreadable"
	case rec.deleted:
		return rec, true, fmt.Sprintf("the deletion of %q", rec.name)
	}
	return rec, true, fmt.Sprintf("a write of %q", rec.name)
}

func (c *checker) members(where string, coll *collTx) {
	coll.meta.ForEach(func(k, v []byte) error {
		c.stats.Objects++
		ow := fmt.Sprintf("%s: object %q", where, k)
		m, err := decodeMeta(k, v)
		if err != nil {
			c.bad(ow, "its metadata does not decode")
			return nil
		}
		switch d := coll.data.Get(k); {
		case d == nil:
			c.bad(ow, "has metadata but no data")
		case int64(len(d)) != m.Size:
			c.bad(ow, "its data is %d bytes, its metadata says %d: changed outside almanac", len(d), m.Size)
		case storage.ETagOf(d) != m.ETag:
			c.bad(ow, "its data does not match its ETag: changed outside almanac")
		}
		switch {
		case m.Seq == 0 || m.Seq > coll.st.seq:
			c.bad(ow, "was written at change %d, ahead of the collection counter %d", m.Seq, coll.st.seq)
		default:
			if rec, ok, desc := changeAt(coll, m.Seq); !ok || rec.deleted || rec.name != string(k) {
				c.bad(ow, "its last write is change %d, but that change record is %s: sync-collection misses it", m.Seq, desc)
			}
		}
		if m.UID != "" {
			switch h := coll.uids.Get([]byte(m.UID)); {
			case h == nil:
				c.bad(ow, "its UID %q is not in the UID index: a second object could take it", m.UID)
			case !bytes.Equal(h, k):
				c.bad(ow, "its UID %q is in the UID index for %q", m.UID, h)
			}
		}
		if coll.tombs.Get(k) != nil {
			c.bad(ow, "exists but also has a tombstone")
		}
		return nil
	})
	coll.data.ForEach(func(k, _ []byte) error {
		if coll.meta.Get(k) == nil {
			c.bad(fmt.Sprintf("%s: object %q", where, k), "has data but no metadata: it is invisible")
		}
		return nil
	})
	coll.uids.ForEach(func(uid, name []byte) error {
		m, err := coll.stat(string(name))
		switch {
		case err != nil:
			// Reported with the object.
		case m == nil:
			c.bad(where, "UID index entry %q points to object %q, which does not exist: the UID cannot be used again", uid, name)
		case m.UID != string(uid):
			c.bad(where, "UID index entry %q points to object %q, whose UID is %q", uid, name, m.UID)
		}
		return nil
	})
}

func (c *checker) changeLog(where string, coll *collTx) {
	coll.changes.ForEach(func(k, v []byte) error {
		if len(k) != 8 {
			c.bad(where, "change log key %x is not a sequence number", k)
			return nil
		}
		seq := keySeq(k)
		if seq == 0 || seq > coll.st.seq {
			c.bad(where, "change record %d is ahead of the collection counter %d: a later write would overwrite it", seq, coll.st.seq)
		}
		rec, err := decodeChange(v)
		if err != nil {
			c.bad(where, "change record %d does not decode", seq)
			return nil
		}
		m, err := coll.stat(rec.name)
		if err != nil {
			return nil // reported with the object
		}
		switch {
		case rec.deleted && m != nil:
			c.bad(where, "change record %d is the deletion of %q, which exists", seq, rec.name)
		case rec.deleted:
			if t := coll.tombs.Get([]byte(rec.name)); len(t) != 8 || keySeq(t) != seq {
				c.bad(where, "change record %d is the deletion of %q, which has no tombstone at %d", seq, rec.name, seq)
			}
		case m == nil:
			c.bad(where, "change record %d is a write of %q, which does not exist", seq, rec.name)
		case m.Seq != seq:
			c.bad(where, "change record %d is a write of %q, whose last write is change %d: the log keeps one record per name", seq, rec.name, m.Seq)
		}
		return nil
	})
	coll.tombs.ForEach(func(name, v []byte) error {
		if len(v) != 8 {
			c.bad(where, "tombstone of %q is not a sequence number", name)
			return nil
		}
		seq := keySeq(v)
		if seq <= coll.st.pruned {
			c.bad(where, "tombstone of %q at %d is at or below the pruned horizon %d", name, seq, coll.st.pruned)
		}
		if rec, ok, desc := changeAt(coll, seq); !ok || !rec.deleted || rec.name != string(name) {
			c.bad(where, "tombstone of %q points to change record %d, which is %s", name, seq, desc)
		}
		return nil
	})
}

func (c *checker) links() {
	c.each(bucketLinks, 0, func(k []string, v []byte) {
		c.stats.Links++
		where := fmt.Sprintf("link %q", k[0])
		r, ok := decode[linkRecord](c, where, v)
		if !ok {
			return
		}
		if r.ID != k[0] {
			c.bad(where, "the record is of link %q", r.ID)
		}
		if collBucket(c.tx, r.Owner, r.Collection) == nil {
			c.bad(where, "its collection %s/%s does not exist", r.Owner, r.Collection)
		}
		switch coll := nested(c.top(bucketLinkOwners), r.Owner).Get([]byte(k[0])); {
		case nested(c.top(bucketLinkOwners), r.Owner) == nil, coll == nil:
			c.bad(where, "is not in the link index of %q: its owner does not see it", r.Owner)
		case string(coll) != r.Collection:
			c.bad(where, "is in the link index of %q for collection %q, not %q", r.Owner, coll, r.Collection)
		}
	})
	c.each(bucketLinkOwners, 1, func(k []string, v []byte) {
		where := fmt.Sprintf("link index of %q", k[0])
		lv := c.top(bucketLinks).Get([]byte(k[1]))
		if lv == nil {
			c.bad(where, "lists link %q, which does not exist", k[1])
			return
		}
		var r linkRecord
		if json.Unmarshal(lv, &r) == nil && r.Owner != k[0] {
			c.bad(where, "lists link %q, which belongs to %q", k[1], r.Owner)
		}
	})
}

func (c *checker) grants() {
	c.each(bucketGrants, 2, func(k []string, v []byte) {
		c.stats.Grants++
		owner, coll, sharee := k[0], k[1], k[2]
		where := fmt.Sprintf("grant of %s/%s to %q", owner, coll, sharee)
		r, err := decodeGrant(v, owner, coll, sharee)
		if err != nil {
			c.bad(where, "the record does not decode or names another grant")
			return
		}
		if collBucket(c.tx, owner, coll) == nil {
			c.bad(where, "its collection does not exist")
		}
		if !c.account(sharee) {
			c.bad(where, "its sharee account does not exist")
		}
		mv := nested(c.top(bucketMounts), sharee)
		switch {
		case mv == nil || mv.Get([]byte(r.Mount)) == nil:
			c.bad(where, "its mount %q is not in the sharee's mount index: the sharee does not see it", r.Mount)
		default:
			if o, cn, err := decodeMountRef(mv.Get([]byte(r.Mount))); err == nil && (o != owner || cn != coll) {
				c.bad(where, "its mount %q is the sharee's mount of %s/%s", r.Mount, o, cn)
			}
		}
		if collBucket(c.tx, sharee, r.Mount) != nil {
			c.bad(where, "its mount %q is also the name of a collection of the sharee", r.Mount)
		}
	})
	c.each(bucketMounts, 1, func(k []string, v []byte) {
		where := fmt.Sprintf("mount %s/%s", k[0], k[1])
		owner, coll, err := decodeMountRef(v)
		if err != nil {
			c.bad(where, "the entry does not decode")
			return
		}
		r, err := getGrant(c.tx, owner, coll, k[0])
		switch {
		case err != nil:
			// Reported with the grant.
		case r == nil:
			c.bad(where, "points to the grant of %s/%s, which does not exist", owner, coll)
		case r.Mount != k[1]:
			c.bad(where, "points to the grant of %s/%s, mounted as %q", owner, coll, r.Mount)
		}
	})
}

// security checks app passwords, sessions and tokens against their
// account indexes. Session IDs and token hashes derive from secrets, so
// messages name only the account.
func (c *checker) security() {
	for _, k := range []securityKind{appPasswordKind, sessionKind, tokenKind} {
		c.each(k.records, 0, func(keys []string, v []byte) {
			var r struct {
				ID      string `json:"id"`
				Hash    string `json:"hash"`
				Owner   string `json:"owner"`
				Account string `json:"account"`
				Purpose string `json:"purpose"`
			}
			key := keys[0]
			where := k.name(key)
			if err := json.Unmarshal(v, &r); err != nil {
				c.bad(where, "the record does not decode (%v)", err)
				return
			}
			id, account, idx := r.ID, r.Account, ""
			switch k.what {
			case appPasswordKind.what:
				account = r.Owner
			case tokenKind.what:
				id, idx = r.Hash, r.Purpose
			}
			where += fmt.Sprintf(" of account %q", account)
			if id != key {
				c.bad(where, "the record is stored under another key")
			}
			if !c.account(account) {
				c.bad(where, "its account does not exist")
			}
			switch b := nested(c.top(k.accounts), account); {
			case b == nil || b.Get([]byte(key)) == nil:
				c.bad(where, "is not in the account's %s index", k.what)
			case k.what == tokenKind.what && string(b.Get([]byte(key))) != idx:
				c.bad(where, "its purpose %q differs from the index's %q", idx, b.Get([]byte(key)))
			}
		})
		c.each(k.accounts, 1, func(keys []string, _ []byte) {
			where := fmt.Sprintf("%s index of account %q", k.what, keys[0])
			v := c.top(k.records).Get([]byte(keys[1]))
			if v == nil {
				c.bad(where, "lists %s, which does not exist", k.name(keys[1]))
				return
			}
			var r struct {
				Owner   string `json:"owner"`   // app passwords
				Account string `json:"account"` // sessions, tokens
			}
			if json.Unmarshal(v, &r) != nil {
				return // reported with the record
			}
			if owner := cmp.Or(r.Owner, r.Account); owner != keys[0] {
				c.bad(where, "lists %s, which belongs to account %q", k.name(keys[1]), owner)
			}
		})
	}
}

func (c *checker) orgs() {
	c.each(bucketOrgs, 0, func(k []string, v []byte) {
		c.stats.Organizations++
		where := fmt.Sprintf("organization %q", k[0])
		if r, ok := decode[orgRecord](c, where, v); ok && r.ID != k[0] {
			c.bad(where, "the record is of organization %q", r.ID)
		}
	})
	c.each(bucketOrgMembers, 1, func(k []string, v []byte) {
		org, account := k[0], k[1]
		where := fmt.Sprintf("member %q of organization %q", account, org)
		decode[memberRecord](c, where, v)
		if !c.has(bucketOrgs, org) {
			c.bad(where, "the organization does not exist")
		}
		if !c.account(account) {
			c.bad(where, "the account does not exist")
		}
		if !c.has(bucketAccountOrgs, org, account) {
			c.bad(where, "is not in the account's organization index")
		}
	})
	c.each(bucketAccountOrgs, 1, func(k []string, _ []byte) {
		if !c.has(bucketOrgMembers, k[0], k[1]) {
			c.bad(fmt.Sprintf("organization index of account %q", k[0]), "lists organization %q, of which it is no member", k[1])
		}
	})
}

func (c *checker) mailServices() {
	c.each(bucketMailServices, 0, func(k []string, v []byte) {
		c.stats.MailServices++
		where := fmt.Sprintf("mail service %q", k[0])
		r, ok := decode[mailServiceRecord](c, where, v)
		if !ok {
			return
		}
		if r.ID != k[0] {
			c.bad(where, "the record is of service %q", r.ID)
		}
		if !c.has(bucketOrgs, r.Org) {
			c.bad(where, "its organization %q does not exist", r.Org)
		}
		if !c.has(bucketOrgServices, k[0], r.Org) {
			c.bad(where, "is not in the service index of organization %q", r.Org)
		}
		for _, d := range r.domains() {
			if id := c.top(bucketMailDomains).Get([]byte(d)); string(id) != k[0] {
				c.bad(where, "its domain %q is not in the domain index: no mail reaches it", d)
			}
		}
	})
	c.each(bucketOrgServices, 1, func(k []string, _ []byte) {
		where := fmt.Sprintf("service index of organization %q", k[0])
		r, err := getService(c.tx, k[1])
		switch {
		case err != nil:
		case r == nil:
			c.bad(where, "lists mail service %q, which does not exist", k[1])
		case r.Org != k[0]:
			c.bad(where, "lists mail service %q, which belongs to %q", k[1], r.Org)
		}
	})
	c.each(bucketMailDomains, 0, func(k []string, v []byte) {
		where := fmt.Sprintf("mail domain %q", k[0])
		r, err := getService(c.tx, string(v))
		switch {
		case err != nil:
		case r == nil:
			c.bad(where, "belongs to mail service %q, which does not exist", v)
		case !slices.Contains(r.domains(), k[0]):
			c.bad(where, "belongs to mail service %q, which does not have it", v)
		}
	})
}

func (c *checker) mailboxes() {
	c.each(bucketMailboxes, 1, func(k []string, v []byte) {
		c.stats.Mailboxes++
		service, key := k[0], k[1]
		where := fmt.Sprintf("mailbox %s/%s", service, key)
		r, ok := decode[mailboxRecord](c, where, v)
		if !ok {
			return
		}
		if r.Service != service || mailKey(r.LocalPart) != key {
			c.bad(where, "the record is of mailbox %s/%s", r.Service, r.LocalPart)
		}
		if !c.has(bucketMailServices, service) {
			c.bad(where, "its mail service does not exist")
		}
		for _, a := range r.Aliases {
			if got := nested(c.top(bucketMailAliases), service).Get([]byte(a)); string(got) != key {
				c.bad(where, "its alias %q is not in the alias index: mail to it bounces", a)
			}
		}
	})
	c.each(bucketMailAliases, 1, func(k []string, v []byte) {
		where := fmt.Sprintf("alias %s/%s", k[0], k[1])
		r, err := getMailbox(c.tx, k[0], string(v))
		switch {
		case err != nil:
		case r == nil:
			c.bad(where, "points to mailbox %q, which does not exist", v)
		case !slices.Contains(r.Aliases, k[1]):
			c.bad(where, "points to mailbox %q, which does not have it", v)
		}
	})
	c.each(bucketMailboxLinks, 2, func(k []string, v []byte) {
		service, key, account := k[0], k[1], k[2]
		where := fmt.Sprintf("mailbox link of %s/%s to %q", service, key, account)
		decode[mailboxLinkRecord](c, where, v)
		if !c.has(bucketMailboxes, key, service) {
			c.bad(where, "the mailbox does not exist")
		}
		if !c.account(account) {
			c.bad(where, "the account does not exist")
		}
		if !c.has(bucketAccountMailboxLinks, key, account, service) {
			c.bad(where, "is not in the account's mailbox link index")
		}
	})
	c.each(bucketAccountMailboxLinks, 2, func(k []string, _ []byte) {
		if !c.has(bucketMailboxLinks, k[0], k[1], k[2]) {
			c.bad(fmt.Sprintf("mailbox link index of account %q", k[0]), "lists mailbox %s/%s, to which it has no link", k[1], k[2])
		}
	})
}

// responders checks that every responder, template and sending address
// belongs to something that exists, and that a mailbox has at most one
// active responder and a service one default template: the mail server
// runs only one, and which would be arbitrary.
func (c *checker) responders() {
	// each walks a mailbox's responders one after another, so the
	// active one seen last in the current mailbox is all there is to
	// remember.
	var mailbox, active string
	c.each(bucketResponders, 2, func(k []string, v []byte) {
		service, key, id := k[0], k[1], k[2]
		where := fmt.Sprintf("responder %s/%s/%s", service, key, id)
		r, ok := decode[responderRecord](c, where, v)
		if !ok {
			return
		}
		if r.ID != id || r.Service != service || mailKey(r.LocalPart) != key {
			c.bad(where, "the record is of responder %s/%s/%s", r.Service, r.LocalPart, r.ID)
		}
		if !c.has(bucketMailboxes, key, service) {
			c.bad(where, "its mailbox does not exist")
		}
		if service+"/"+key != mailbox {
			mailbox, active = service+"/"+key, ""
		}
		if r.Active {
			if active != "" {
				c.bad(where, "is active, and so is responder %q of the same mailbox", active)
			}
			active = id
		}
	})
	var service, def string
	c.each(bucketResponderTemplates, 1, func(k []string, v []byte) {
		id := k[1]
		if k[0] != service {
			service, def = k[0], ""
		}
		where := fmt.Sprintf("responder template %s/%s", service, id)
		r, ok := decode[templateRecord](c, where, v)
		if !ok {
			return
		}
		if r.ID != id || r.Service != service {
			c.bad(where, "the record is of template %s/%s", r.Service, r.ID)
		}
		if !c.has(bucketMailServices, service) {
			c.bad(where, "its mail service does not exist")
		}
		if r.Default {
			if def != "" {
				c.bad(where, "is the default, and so is template %q of the same service", def)
			}
			def = id
		}
	})
	c.each(bucketSendingAddresses, 1, func(k []string, v []byte) {
		account, address := k[0], k[1]
		where := fmt.Sprintf("sending address %q of account %q", address, account)
		r, ok := decode[sendingAddressRecord](c, where, v)
		if !ok {
			return
		}
		if r.Account != account || r.Address != address {
			c.bad(where, "the record is of address %q of account %q", r.Address, r.Account)
		}
		if !c.account(account) {
			c.bad(where, "the account does not exist")
		}
	})
}
