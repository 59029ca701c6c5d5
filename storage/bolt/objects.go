package bolt

import (
	"bytes"
	"context"
	"fmt"
	"time"

	"almanac/storage"

	"go.etcd.io/bbolt"
)

// List and Walk copy members out in chunks and run the callbacks with no
// transaction open. A callback usually writes to a client's connection; a
// read transaction held for as long as a slow client reads would stop
// bbolt from growing its mmap, stalling every writer behind it.
var (
	listChunk      = 1024
	walkChunkBytes = 1 << 20
)

// write runs a member-changing transaction through the group commit
// (commit.go), so concurrent writers share one fsync and every caller
// still returns only after its change is on disk.
//
// fn may run more than once, and an error from fn re-runs the functions
// of the writers that shared its transaction. So fn resets its results on
// entry and reports domain failures (not found, precondition, UID
// conflict) through its closure, returning nil as long as it has written
// nothing; an error returned from fn means storage trouble.
func (db *DB) write(fn func(tx *bbolt.Tx) error) error {
	return db.commit.do(fn)
}

func notFoundColl(owner, coll string) error {
	return fmt.Errorf("collection %s/%s: %w", owner, coll, storage.ErrNotFound)
}

func notFoundObject(owner, coll, name string) error {
	return fmt.Errorf("object %s/%s/%s: %w", owner, coll, name, storage.ErrNotFound)
}

// Put stores p in one transaction: precondition, the UID rules (an
// existing member keeps its UID, no other member has it), bytes, metadata,
// sequence bump and change record. p.If may run more than once
// (group commit can retry a batch) and must not have side effects.
func (db *DB) Put(ctx context.Context, p storage.PutObject) (*storage.ObjectMeta, bool, error) {
	const op = "put object"
	if err := ctxErr(ctx, op); err != nil {
		return nil, false, err
	}
	for _, k := range [...][2]string{{"owner", p.Owner}, {"collection name", p.Collection}, {"object name", p.Name}} {
		if err := checkKey(k[0], k[1]); err != nil {
			return nil, false, wrap(op, err)
		}
	}
	if len(p.UID) > bbolt.MaxKeySize {
		return nil, false, wrap(op, fmt.Errorf("uid longer than %d bytes", bbolt.MaxKeySize))
	}
	// bbolt keeps references to the value until commit; our own copy also
	// shields the stored bytes from a caller reusing its buffer.
	data := make([]byte, len(p.Data))
	copy(data, p.Data)
	etag := storage.ETagOf(data)

	var (
		meta    *storage.ObjectMeta
		created bool
		failed  error
	)
	err := db.write(func(tx *bbolt.Tx) error {
		var err error
		meta, created, failed, err = putTx(tx, &p, data, etag, time.Now().UTC())
		return err
	})
	if err == nil {
		err = failed
	}
	if err != nil {
		return nil, false, wrap(op, err)
	}
	return meta, created, nil
}

// putTx is the transaction of a Put of p with its bytes data: the
// precondition, the UID rules, bytes, metadata, sequence bump and change
// record. A domain failure (no collection, precondition, UID conflict)
// comes back as failed with nothing written; err is storage trouble.
func putTx(tx *bbolt.Tx, p *storage.PutObject, data []byte, etag string, now time.Time) (meta *storage.ObjectMeta, created bool, failed, err error) {
	c, err := loadColl(tx, p.Owner, p.Collection)
	if err != nil {
		return nil, false, nil, err
	}
	if c == nil {
		return nil, false, notFoundColl(p.Owner, p.Collection), nil
	}
	old, err := c.stat(p.Name)
	if err != nil {
		return nil, false, nil, err
	}
	var oldETag string
	if old != nil {
		oldETag = old.ETag
	}
	if p.If != nil && !p.If(old != nil, oldETag) {
		return nil, false, storage.ErrPreconditionFailed, nil
	}
	if old != nil {
		if failed = storage.CheckUIDChange(p.Name, old.UID, p.UID); failed != nil {
			return nil, false, failed, nil
		}
	}
	if h := c.uidHolder(p.UID); h != "" && h != p.Name {
		return nil, false, &storage.UIDConflictError{UID: p.UID, Name: h}, nil
	}
	m := &storage.ObjectMeta{
		Name:        p.Name,
		UID:         p.UID,
		Component:   p.Component,
		ContentType: p.ContentType,
		ETag:        etag,
		Size:        int64(len(data)),
		Span:        normSpan(p.Span),
		ScheduleTag: p.ScheduleTag,
	}
	if err := c.put(m, data, old, now); err != nil {
		return nil, false, nil, err
	}
	if err := c.putTimeline(p.Name, m.ETag, p.Timeline); err != nil {
		return nil, false, nil, err
	}
	if err := c.save(); err != nil {
		return nil, false, nil, err
	}
	return m, old == nil, nil, nil
}

// normSpan is s as the encoding keeps it, so that Put returns the meta
// that List and Stat will: UTC times, nothing but Known=false for an
// unknown span, no end for an open one.
func normSpan(s storage.Span) storage.Span {
	if !s.Known {
		return storage.Span{}
	}
	s.Start = s.Start.UTC()
	if s.Open {
		s.End = time.Time{}
	} else {
		s.End = s.End.UTC()
	}
	return s
}

// Get returns the object with a copy of its bytes.
func (db *DB) Get(ctx context.Context, owner, coll, name string) (*storage.Object, error) {
	const op = "get object"
	if err := ctxErr(ctx, op); err != nil {
		return nil, err
	}
	var out *storage.Object
	err := db.viewColl(owner, coll, func(c *collTx) error {
		var err error
		if out, err = c.object(name); err == nil && out == nil {
			err = notFoundObject(owner, coll, name)
		}
		return err
	})
	if err != nil {
		return nil, wrap(op, err)
	}
	return out, nil
}

// GetMany reads the members in one transaction (storage.Store).
func (db *DB) GetMany(ctx context.Context, owner, coll string, names []string, maxBytes int64) ([]*storage.Object, int, error) {
	const op = "get objects"
	if err := ctxErr(ctx, op); err != nil {
		return nil, 0, err
	}
	out := make([]*storage.Object, len(names))
	n := 0
	err := db.viewColl(owner, coll, func(c *collTx) error {
		var held int64
		for n = 0; n < len(names); n++ {
			m, err := c.stat(names[n])
			if err != nil {
				return err
			}
			if m == nil {
				continue
			}
			if held >= max(maxBytes, 1) {
				break // the budget is spent: names[n:] are the caller's to ask
			}
			if out[n], err = c.objectOf(m); err != nil {
				return err
			}
			held += m.Size
		}
		return nil
	})
	if err != nil {
		return nil, 0, wrap(op, err)
	}
	return out, n, nil
}

// object returns member name with a copy of its bytes, nil when there
// is none.
func (c *collTx) object(name string) (*storage.Object, error) {
	m, err := c.stat(name)
	if err != nil || m == nil {
		return nil, err
	}
	return c.objectOf(m)
}

// objectOf is the member m describes, with a copy of its bytes.
func (c *collTx) objectOf(m *storage.ObjectMeta) (*storage.Object, error) {
	d := c.data.Get([]byte(m.Name))
	if d == nil && m.Size != 0 {
		return nil, fmt.Errorf("object %s: data missing: %w", m.Name, errCorrupt)
	}
	out := &storage.Object{ObjectMeta: *m, Data: bytes.Clone(d)}
	if out.Data == nil {
		out.Data = []byte{}
	}
	return out, nil
}

// Stat returns an object's metadata without touching its bytes.
func (db *DB) Stat(ctx context.Context, owner, coll, name string) (*storage.ObjectMeta, error) {
	const op = "stat object"
	if err := ctxErr(ctx, op); err != nil {
		return nil, err
	}
	var out *storage.ObjectMeta
	err := db.viewColl(owner, coll, func(c *collTx) error {
		var err error
		out, err = c.stat(name)
		if err == nil && out == nil {
			err = notFoundObject(owner, coll, name)
		}
		return err
	})
	if err != nil {
		return nil, wrap(op, err)
	}
	return out, nil
}

// seekAfter positions cur on the first key greater than after, or on the
// first key when after is nil.
func seekAfter(cur *bbolt.Cursor, after []byte) ([]byte, []byte) {
	if after == nil {
		return cur.First()
	}
	k, v := cur.Seek(after)
	if k != nil && bytes.Equal(k, after) {
		return cur.Next()
	}
	return k, v
}

// scan runs one chunk of a List or Walk: it opens the collection, checks
// it is still the incarnation the walk started on (*inc is set on the
// first chunk), and hands each member after the resume key to visit until
// visit returns false.
func (db *DB) scan(owner, coll string, inc *string, after []byte, visit func(c *collTx, k, v []byte) (bool, error)) error {
	return db.bdb.View(func(tx *bbolt.Tx) error {
		c, err := loadColl(tx, owner, coll)
		if err != nil {
			return err
		}
		// A collection deleted, or deleted and recreated, between chunks
		// is not the one being walked.
		if c == nil || (*inc != "" && c.st.incarnation != *inc) {
			return notFoundColl(owner, coll)
		}
		*inc = c.st.incarnation
		cur := c.meta.Cursor()
		for k, v := seekAfter(cur, after); k != nil; k, v = cur.Next() {
			ok, err := visit(c, k, v)
			if err != nil || !ok {
				return err
			}
		}
		return nil
	})
}

// List calls fn with every member's metadata in name order. Each chunk of
// members is read from one snapshot; over a collection written during the
// walk, every member that exists throughout is reported exactly once.
// Errors from fn are returned unchanged.
func (db *DB) List(ctx context.Context, owner, coll string, fn func(*storage.ObjectMeta) error) error {
	const op = "list objects"
	var (
		inc   string
		after []byte
		buf   []*storage.ObjectMeta
	)
	for {
		if err := ctxErr(ctx, op); err != nil {
			return err
		}
		buf = buf[:0]
		more := false
		err := db.scan(owner, coll, &inc, after, func(_ *collTx, k, v []byte) (bool, error) {
			if len(buf) == listChunk {
				more = true
				return false, nil
			}
			m, err := decodeMeta(k, v)
			if err != nil {
				return false, err
			}
			buf = append(buf, m)
			return true, nil
		})
		if err != nil {
			return wrap(op, err)
		}
		for _, m := range buf {
			if err := fn(m); err != nil {
				return err
			}
		}
		if !more {
			return nil
		}
		after = []byte(buf[len(buf)-1].Name)
	}
}

// Walk calls fn with every member and its bytes in name order, with the
// same chunking as List. Data points into a buffer reused for the next
// chunk, so it is valid only during the call.
func (db *DB) Walk(ctx context.Context, owner, coll string, fn func(*storage.Object) error) error {
	const op = "walk objects"
	type item struct {
		meta     *storage.ObjectMeta
		off, end int
	}
	var (
		inc   string
		after []byte
		arena = make([]byte, 0, walkChunkBytes)
		items []item
	)
	for {
		if err := ctxErr(ctx, op); err != nil {
			return err
		}
		arena, items = arena[:0], items[:0]
		more := false
		// meta and data hold the same keys, so a data cursor stepping
		// along with the meta cursor replaces a seek per member.
		var dcur *bbolt.Cursor
		err := db.scan(owner, coll, &inc, after, func(c *collTx, k, v []byte) (bool, error) {
			if len(items) > 0 && (len(items) == listChunk || len(arena) >= walkChunkBytes) {
				more = true
				return false, nil
			}
			m, err := decodeMeta(k, v)
			if err != nil {
				return false, err
			}
			var dk, d []byte
			if dcur != nil {
				dk, d = dcur.Next()
			}
			if dcur == nil || !bytes.Equal(dk, k) {
				dcur = c.data.Cursor()
				dk, d = dcur.Seek(k)
			}
			if !bytes.Equal(dk, k) {
				return false, fmt.Errorf("object %q: data missing: %w", k, errCorrupt)
			}
			off := len(arena)
			arena = append(arena, d...)
			items = append(items, item{m, off, len(arena)})
			return true, nil
		})
		if err != nil {
			return wrap(op, err)
		}
		for _, it := range items {
			// The capped capacity keeps an append by fn from running into
			// the next object's bytes.
			o := &storage.Object{ObjectMeta: *it.meta, Data: arena[it.off:it.end:it.end]}
			if err := fn(o); err != nil {
				return err
			}
		}
		if !more {
			return nil
		}
		after = []byte(items[len(items)-1].meta.Name)
	}
}

// Delete removes an object, leaving a tombstone in the change log. cond
// sees the object as existing with its current ETag; like Put's
// precondition it may run more than once.
func (db *DB) Delete(ctx context.Context, owner, coll, name string, cond storage.Precondition) error {
	const op = "delete object"
	if err := ctxErr(ctx, op); err != nil {
		return err
	}
	var failed error
	err := db.write(func(tx *bbolt.Tx) error {
		var err error
		failed, err = deleteTx(tx, owner, coll, name, cond, time.Now().UTC())
		return err
	})
	if err == nil {
		err = failed
	}
	return wrap(op, err)
}

// deleteTx is the transaction of a Delete; failed and err as for putTx.
func deleteTx(tx *bbolt.Tx, owner, coll, name string, cond storage.Precondition, now time.Time) (failed, err error) {
	c, err := loadColl(tx, owner, coll)
	if err != nil {
		return nil, err
	}
	if c == nil {
		return notFoundColl(owner, coll), nil
	}
	old, err := c.stat(name)
	if err != nil {
		return nil, err
	}
	if old == nil {
		return notFoundObject(owner, coll, name), nil
	}
	if cond != nil && !cond(true, old.ETag) {
		return storage.ErrPreconditionFailed, nil
	}
	if err := c.remove(old, now); err != nil {
		return nil, err
	}
	return nil, c.save()
}

// Transfer moves or copies one object. The checks run in this order, all
// before anything is written: both collections exist (ErrNotFound), the
// source exists (ErrNotFound), t.If holds on the source, the destination
// is not the source itself and, unless t.Overwrite, does not exist
// (ErrPreconditionFailed), a member it replaces carries the source's UID
// and no other member of the destination does (*storage.UIDConflictError).
// A MOVE within one collection bumps its Seq twice: a tombstone for the
// old name, then the new name.
func (db *DB) Transfer(ctx context.Context, t storage.Transfer) (bool, error) {
	const op = "transfer object"
	if err := ctxErr(ctx, op); err != nil {
		return false, err
	}
	for _, k := range [...][2]string{
		{"source owner", t.FromOwner}, {"source collection", t.FromCollection}, {"source name", t.FromName},
		{"destination owner", t.ToOwner}, {"destination collection", t.ToCollection}, {"destination name", t.ToName},
	} {
		if err := checkKey(k[0], k[1]); err != nil {
			return false, wrap(op, err)
		}
	}
	sameColl := t.FromOwner == t.ToOwner && t.FromCollection == t.ToCollection

	var (
		created bool
		failed  error
	)
	err := db.write(func(tx *bbolt.Tx) error {
		created, failed = false, nil
		src, err := loadColl(tx, t.FromOwner, t.FromCollection)
		if err != nil {
			return err
		}
		if src == nil {
			failed = notFoundColl(t.FromOwner, t.FromCollection)
			return nil
		}
		dst := src
		if !sameColl {
			if dst, err = loadColl(tx, t.ToOwner, t.ToCollection); err != nil {
				return err
			}
			if dst == nil {
				failed = notFoundColl(t.ToOwner, t.ToCollection)
				return nil
			}
		}
		from, err := src.stat(t.FromName)
		if err != nil {
			return err
		}
		if from == nil {
			failed = notFoundObject(t.FromOwner, t.FromCollection, t.FromName)
			return nil
		}
		if t.If != nil && !t.If(true, from.ETag) {
			failed = storage.ErrPreconditionFailed
			return nil
		}
		if sameColl && t.FromName == t.ToName {
			// Replacing an object by itself has no sensible meaning
			// (RFC 4918 answers 403); refuse without touching it.
			failed = fmt.Errorf("source and destination are the same: %w", storage.ErrPreconditionFailed)
			return nil
		}
		to, err := dst.stat(t.ToName)
		if err != nil {
			return err
		}
		if to != nil && !t.Overwrite {
			failed = storage.ErrPreconditionFailed
			return nil
		}
		if to != nil {
			if failed = storage.CheckUIDChange(t.ToName, to.UID, from.UID); failed != nil {
				return nil
			}
		}
		// The member being replaced gives its UID up, and so does the
		// source of a MOVE within the collection.
		if h := dst.uidHolder(from.UID); h != "" && h != t.ToName && !(sameColl && !t.Copy && h == t.FromName) {
			failed = &storage.UIDConflictError{UID: from.UID, Name: h}
			return nil
		}

		// The source bytes may live in pages this transaction is about to
		// rewrite, and bbolt wants values valid until commit.
		data := bytes.Clone(src.data.Get([]byte(t.FromName)))
		if data == nil {
			if from.Size != 0 {
				return fmt.Errorf("object %s/%s/%s: data missing: %w", t.FromOwner, t.FromCollection, t.FromName, errCorrupt)
			}
			data = []byte{}
		}
		tl, err := src.timeline(t.FromName)
		if err != nil {
			return err
		}
		if !src.indexed() {
			tl = storage.Timeline{Renew: true} // computed for the calendar later
		}
		now := time.Now().UTC()
		if !t.Copy {
			if err := src.remove(from, now); err != nil {
				return err
			}
		}
		m := &storage.ObjectMeta{
			Name:        t.ToName,
			UID:         from.UID,
			Component:   from.Component,
			ContentType: from.ContentType,
			ETag:        from.ETag,
			Size:        from.Size,
			Span:        from.Span,
			ScheduleTag: from.ScheduleTag,
		}
		if err := dst.put(m, data, to, now); err != nil {
			return err
		}
		if err := dst.putTimeline(t.ToName, m.ETag, tl); err != nil {
			return err
		}
		if !t.Copy && !sameColl {
			if err := src.save(); err != nil {
				return err
			}
		}
		if err := dst.save(); err != nil {
			return err
		}
		created = to == nil
		return nil
	})
	if err == nil {
		err = failed
	}
	if err != nil {
		return false, wrap(op, err)
	}
	return created, nil
}
