package postgres

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"almanac/storage"
)

const metaColumns = `name, uid, component, content_type, etag, size, modified, seq, span_start, span_end, schedule_tag`

func scanMeta(row pgx.Row, extra ...any) (*storage.ObjectMeta, error) {
	var m storage.ObjectMeta
	var seq int64
	var start, end *time.Time
	dest := append([]any{&m.Name, &m.UID, &m.Component, &m.ContentType, &m.ETag, &m.Size, &m.Modified, &seq, &start, &end, &m.ScheduleTag}, extra...)
	if err := row.Scan(dest...); err != nil {
		return nil, err
	}
	m.Seq = uint64(seq)
	m.Modified = m.Modified.UTC()
	if start != nil {
		m.Span = storage.Span{Known: true, Start: start.UTC(), Open: end == nil}
		if end != nil {
			m.Span.End = end.UTC()
		}
	}
	return &m, nil
}

// spanColumns is a span as its two columns: no start for an unknown
// span, no end for an open one.
func spanColumns(s storage.Span) (start, end *time.Time) {
	if !s.Known {
		return nil, nil
	}
	st := s.Start.UTC()
	if s.Open {
		return &st, nil
	}
	e := s.End.UTC()
	return &st, &e
}

// normSpan is s as the columns keep it (microseconds, UTC), so that Put
// returns the meta that Stat and List will.
func normSpan(s storage.Span) storage.Span {
	if !s.Known {
		return storage.Span{}
	}
	s.Start = s.Start.UTC().Truncate(time.Microsecond)
	if s.Open {
		s.End = time.Time{}
	} else {
		s.End = s.End.UTC().Truncate(time.Microsecond)
	}
	return s
}

func notFoundObject(owner, coll, name string) error {
	return fmt.Errorf("object %s/%s/%s: %w", owner, coll, name, storage.ErrNotFound)
}

// writer is one write transaction over members of collections: it
// holds the row lock of every collection it touches, advances their
// counters in memory and writes them back in flush, before commit.
type writer struct {
	ctx   context.Context
	tx    pgx.Tx
	now   time.Time
	colls map[[2]string]*coll // nil value: the collection does not exist
	dirty map[int64]*coll
}

func newWriter(ctx context.Context, tx pgx.Tx) *writer {
	return &writer{ctx: ctx, tx: tx, now: now(), colls: map[[2]string]*coll{}, dirty: map[int64]*coll{}}
}

// lock takes the row locks of the named collections in one fixed order
// (owner, then name), so that two transactions writing the same
// collections never wait for each other in a cycle.
func (w *writer) lock(keys [][2]string) error {
	sort.Slice(keys, func(i, j int) bool {
		if keys[i][0] != keys[j][0] {
			return keys[i][0] < keys[j][0]
		}
		return keys[i][1] < keys[j][1]
	})
	for _, k := range keys {
		if _, seen := w.colls[k]; seen {
			continue
		}
		c, err := readColl(w.ctx, w.tx, k[0], k[1], true)
		if errors.Is(err, storage.ErrNotFound) {
			w.colls[k] = nil
			continue
		}
		if err != nil {
			return err
		}
		w.colls[k] = c
	}
	return nil
}

// coll returns a collection locked by lock; ErrNotFound when missing.
func (w *writer) coll(owner, name string) (*coll, error) {
	k := [2]string{owner, name}
	c, seen := w.colls[k]
	if !seen {
		if err := w.lock([][2]string{k}); err != nil {
			return nil, err
		}
		c = w.colls[k]
	}
	if c == nil {
		return nil, notFoundColl(owner, name)
	}
	return c, nil
}

func (w *writer) stat(c *coll, name string) (*storage.ObjectMeta, error) {
	m, err := scanMeta(w.tx.QueryRow(w.ctx, `SELECT `+metaColumns+` FROM objects WHERE collection = $1 AND name = $2`, c.id, name))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	return m, err
}

// uidHolder names the member of c carrying uid, "" when none does.
func (w *writer) uidHolder(c *coll, uid string) (string, error) {
	if uid == "" {
		return "", nil
	}
	var name string
	err := w.tx.QueryRow(w.ctx, `SELECT name FROM objects WHERE collection = $1 AND uid = $2`, c.id, uid).Scan(&name)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", nil
	}
	return name, err
}

// bump gives c the next sequence number and dates the change.
func (w *writer) bump(c *coll) uint64 {
	c.Seq++
	c.Modified = w.now
	w.dirty[c.id] = c
	return c.Seq
}

// put stores m with data under m.Name in c, replacing what is there,
// and records the change; it sets m.Seq and m.Modified.
func (w *writer) put(c *coll, m *storage.ObjectMeta, data []byte) error {
	m.Seq = w.bump(c)
	m.Modified = w.now
	start, end := spanColumns(m.Span)
	_, err := w.tx.Exec(w.ctx, `INSERT INTO objects (collection, `+metaColumns+`, data)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
		ON CONFLICT (collection, name) DO UPDATE SET uid = EXCLUDED.uid, component = EXCLUDED.component,
			content_type = EXCLUDED.content_type, etag = EXCLUDED.etag, size = EXCLUDED.size,
			modified = EXCLUDED.modified, seq = EXCLUDED.seq, span_start = EXCLUDED.span_start,
			span_end = EXCLUDED.span_end, schedule_tag = EXCLUDED.schedule_tag, data = EXCLUDED.data`,
		c.id, m.Name, m.UID, m.Component, m.ContentType, m.ETag, m.Size, m.Modified, int64(m.Seq), start, end, m.ScheduleTag, data)
	if err != nil {
		return err
	}
	return w.change(c, m.Name, m.Seq, false)
}

// remove deletes member name of c and leaves its tombstone.
func (w *writer) remove(c *coll, name string) error {
	seq := w.bump(c)
	if _, err := w.tx.Exec(w.ctx, `DELETE FROM objects WHERE collection = $1 AND name = $2`, c.id, name); err != nil {
		return err
	}
	return w.change(c, name, seq, true)
}

// change replaces name's record in the log: one record per name.
func (w *writer) change(c *coll, name string, seq uint64, deleted bool) error {
	_, err := w.tx.Exec(w.ctx, `INSERT INTO changes (collection, name, seq, deleted, written) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (collection, name) DO UPDATE SET seq = EXCLUDED.seq, deleted = EXCLUDED.deleted, written = EXCLUDED.written`,
		c.id, name, int64(seq), deleted, w.now)
	return err
}

// flush writes the counters of the collections written.
func (w *writer) flush() error {
	for id, c := range w.dirty {
		if _, err := w.tx.Exec(w.ctx, `UPDATE collections SET seq = $2, modified = $3 WHERE id = $1`, id, int64(c.Seq), c.Modified); err != nil {
			return err
		}
	}
	return nil
}

// write runs fn in a transaction with a writer and flushes it. fn's
// domain failures roll everything back.
func (s *Store) write(ctx context.Context, fn func(w *writer) error) error {
	return s.tx(ctx, func(tx pgx.Tx) error {
		w := newWriter(ctx, tx)
		if err := fn(w); err != nil {
			return err
		}
		return w.flush()
	})
}

// putOne is Put inside a writer: the precondition, the UID rules, the
// write and its change record.
func (w *writer) putOne(p *storage.PutObject) (*storage.ObjectMeta, bool, error) {
	c, err := w.coll(p.Owner, p.Collection)
	if err != nil {
		return nil, false, err
	}
	old, err := w.stat(c, p.Name)
	if err != nil {
		return nil, false, err
	}
	var oldETag string
	if old != nil {
		oldETag = old.ETag
	}
	if p.If != nil && !p.If(old != nil, oldETag) {
		return nil, false, storage.ErrPreconditionFailed
	}
	if old != nil {
		if err := storage.CheckUIDChange(p.Name, old.UID, p.UID); err != nil {
			return nil, false, err
		}
	}
	if h, err := w.uidHolder(c, p.UID); err != nil {
		return nil, false, err
	} else if h != "" && h != p.Name {
		return nil, false, &storage.UIDConflictError{UID: p.UID, Name: h}
	}
	data := p.Data
	if data == nil {
		data = []byte{}
	}
	m := &storage.ObjectMeta{
		Name:        p.Name,
		UID:         p.UID,
		Component:   p.Component,
		ContentType: p.ContentType,
		ETag:        storage.ETagOf(data),
		Size:        int64(len(data)),
		Span:        normSpan(p.Span),
		ScheduleTag: p.ScheduleTag,
	}
	if err := w.put(c, m, data); err != nil {
		return nil, false, err
	}
	if err := w.setTimeline(c, p.Name, p.Timeline); err != nil {
		return nil, false, err
	}
	return m, old == nil, nil
}

func (w *writer) deleteOne(owner, collName, name string, cond storage.Precondition) error {
	c, err := w.coll(owner, collName)
	if err != nil {
		return err
	}
	old, err := w.stat(c, name)
	if err != nil {
		return err
	}
	if old == nil {
		return notFoundObject(owner, collName, name)
	}
	if cond != nil && !cond(true, old.ETag) {
		return storage.ErrPreconditionFailed
	}
	return w.remove(c, name)
}

func checkNames(owner, coll, name string) error {
	if owner == "" || coll == "" || name == "" {
		return errors.New("empty owner, collection or object name")
	}
	return nil
}

// Put writes one object in one transaction under its collection's lock.
func (s *Store) Put(ctx context.Context, p storage.PutObject) (*storage.ObjectMeta, bool, error) {
	const op = "put object"
	if err := checkNames(p.Owner, p.Collection, p.Name); err != nil {
		return nil, false, wrap(op, err)
	}
	var meta *storage.ObjectMeta
	var created bool
	err := s.write(ctx, func(w *writer) error {
		var err error
		meta, created, err = w.putOne(&p)
		return err
	})
	if err != nil {
		return nil, false, wrap(op, err)
	}
	return meta, created, nil
}

// PutBatch refuses two puts of one object or of one UID into one
// collection before it starts; then every put's checks see the state
// before the batch, since no put of it can change what another checks.
func (s *Store) PutBatch(ctx context.Context, puts []storage.PutObject) ([]storage.PutResult, error) {
	const op = "put batch"
	if len(puts) == 0 {
		return []storage.PutResult{}, nil
	}
	names := map[[3]string]int{}
	uids := map[[3]string]int{}
	keys := make([][2]string, 0, len(puts))
	for i, p := range puts {
		if err := checkNames(p.Owner, p.Collection, p.Name); err != nil {
			return nil, wrap(op, fmt.Errorf("put %d: %w", i, err))
		}
		if j, dup := names[[3]string{p.Owner, p.Collection, p.Name}]; dup {
			return nil, wrap(op, fmt.Errorf("puts %d and %d both write %s/%s/%s", j, i, p.Owner, p.Collection, p.Name))
		}
		names[[3]string{p.Owner, p.Collection, p.Name}] = i
		if p.UID != "" {
			if j, dup := uids[[3]string{p.Owner, p.Collection, p.UID}]; dup {
				return nil, wrap(op, fmt.Errorf("puts %d and %d both carry uid %q into %s/%s", j, i, p.UID, p.Owner, p.Collection))
			}
			uids[[3]string{p.Owner, p.Collection, p.UID}] = i
		}
		keys = append(keys, [2]string{p.Owner, p.Collection})
	}
	out := make([]storage.PutResult, len(puts))
	err := s.write(ctx, func(w *writer) error {
		if err := w.lock(keys); err != nil {
			return err
		}
		for i := range puts {
			m, created, err := w.putOne(&puts[i])
			if err != nil {
				p := puts[i]
				return fmt.Errorf("put %d (%s/%s/%s): %w", i, p.Owner, p.Collection, p.Name, err)
			}
			out[i] = storage.PutResult{Meta: m, Created: created}
		}
		return nil
	})
	if err != nil {
		return nil, wrap(op, err)
	}
	return out, nil
}

// WriteBatch applies ops in order in one transaction, having locked
// every collection they name up front in a fixed order.
func (s *Store) WriteBatch(ctx context.Context, ops []storage.BatchOp) ([]storage.BatchResult, error) {
	const op = "write batch"
	keys := make([][2]string, 0, len(ops))
	for i, o := range ops {
		switch {
		case o.Put != nil:
			if err := checkNames(o.Put.Owner, o.Put.Collection, o.Put.Name); err != nil {
				return nil, wrap(op, fmt.Errorf("op %d: %w", i, err))
			}
			keys = append(keys, [2]string{o.Put.Owner, o.Put.Collection})
		case o.Delete != nil:
			if err := checkNames(o.Delete.Owner, o.Delete.Collection, o.Delete.Name); err != nil {
				return nil, wrap(op, fmt.Errorf("op %d: %w", i, err))
			}
			keys = append(keys, [2]string{o.Delete.Owner, o.Delete.Collection})
		default:
			return nil, wrap(op, fmt.Errorf("op %d: neither a put nor a delete", i))
		}
	}
	out := make([]storage.BatchResult, len(ops))
	if len(ops) == 0 {
		return out, nil
	}
	err := s.write(ctx, func(w *writer) error {
		if err := w.lock(keys); err != nil {
			return err
		}
		for i, o := range ops {
			if o.Put != nil {
				m, created, err := w.putOne(o.Put)
				if err != nil {
					return &storage.BatchError{Index: i, Err: err}
				}
				out[i] = storage.BatchResult{Meta: m, Created: created}
				continue
			}
			d := o.Delete
			if err := w.deleteOne(d.Owner, d.Collection, d.Name, d.If); err != nil {
				return &storage.BatchError{Index: i, Err: err}
			}
		}
		return nil
	})
	if err != nil {
		return nil, wrap(op, err)
	}
	return out, nil
}

func (s *Store) Delete(ctx context.Context, owner, coll, name string, cond storage.Precondition) error {
	return wrap("delete object", s.write(ctx, func(w *writer) error {
		return w.deleteOne(owner, coll, name, cond)
	}))
}

// Transfer checks, in this order and before writing anything: both
// collections, the source, t.If, source and destination being one,
// Overwrite, the UID rules; as the bbolt backend does.
func (s *Store) Transfer(ctx context.Context, t storage.Transfer) (bool, error) {
	const op = "transfer object"
	if err := checkNames(t.FromOwner, t.FromCollection, t.FromName); err != nil {
		return false, wrap(op, err)
	}
	if err := checkNames(t.ToOwner, t.ToCollection, t.ToName); err != nil {
		return false, wrap(op, err)
	}
	sameColl := t.FromOwner == t.ToOwner && t.FromCollection == t.ToCollection
	var created bool
	err := s.write(ctx, func(w *writer) error {
		if err := w.lock([][2]string{{t.FromOwner, t.FromCollection}, {t.ToOwner, t.ToCollection}}); err != nil {
			return err
		}
		src, err := w.coll(t.FromOwner, t.FromCollection)
		if err != nil {
			return err
		}
		dst, err := w.coll(t.ToOwner, t.ToCollection)
		if err != nil {
			return err
		}
		from, err := w.stat(src, t.FromName)
		if err != nil {
			return err
		}
		if from == nil {
			return notFoundObject(t.FromOwner, t.FromCollection, t.FromName)
		}
		if t.If != nil && !t.If(true, from.ETag) {
			return storage.ErrPreconditionFailed
		}
		if sameColl && t.FromName == t.ToName {
			return fmt.Errorf("source and destination are the same: %w", storage.ErrPreconditionFailed)
		}
		to, err := w.stat(dst, t.ToName)
		if err != nil {
			return err
		}
		if to != nil && !t.Overwrite {
			return storage.ErrPreconditionFailed
		}
		if to != nil {
			if err := storage.CheckUIDChange(t.ToName, to.UID, from.UID); err != nil {
				return err
			}
		}
		h, err := w.uidHolder(dst, from.UID)
		if err != nil {
			return err
		}
		if h != "" && h != t.ToName && !(sameColl && !t.Copy && h == t.FromName) {
			return &storage.UIDConflictError{UID: from.UID, Name: h}
		}
		var data []byte
		if err := w.tx.QueryRow(ctx, `SELECT data FROM objects WHERE collection = $1 AND name = $2`, src.id, t.FromName).Scan(&data); err != nil {
			return err
		}
		tl, _, err := readTimeline(ctx, w.tx, src.id, t.FromName)
		if err != nil {
			return err
		}
		if !t.Copy {
			// First, so that the UID index lets the destination take it.
			if err := w.remove(src, t.FromName); err != nil {
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
		if err := w.put(dst, m, data); err != nil {
			return err
		}
		if err := w.setTimeline(dst, t.ToName, tl); err != nil {
			return err
		}
		created = to == nil
		return nil
	})
	if err != nil {
		return false, wrap(op, err)
	}
	return created, nil
}

// read runs fn in a read-only repeatable-read transaction: one snapshot
// for everything fn reads.
func (s *Store) read(ctx context.Context, fn func(tx pgx.Tx) error) error {
	return pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, fn)
}

// memberColumns are metaColumns read from objects joined to collections.
var memberColumns = "o." + strings.ReplaceAll(metaColumns, ", ", ", o.")

// member reads one member in one statement, its own snapshot, rather
// than a transaction of four round trips (begin, the collection, the
// object, commit): a REPORT reads every member it answers with data
// this way, one after the other. Only a miss asks again whether the
// collection exists, to tell the two not-found errors apart.
func (s *Store) member(ctx context.Context, owner, collName, name string, data *[]byte) (*storage.ObjectMeta, error) {
	cols := memberColumns
	var extra []any
	if data != nil {
		cols += ", o.data"
		extra = append(extra, data)
	}
	m, err := scanMeta(s.pool.QueryRow(ctx, `SELECT `+cols+` FROM objects o JOIN collections c ON o.collection = c.id
		WHERE c.owner = $1 AND c.name = $2 AND o.name = $3`, owner, collName, name), extra...)
	if !errors.Is(err, pgx.ErrNoRows) {
		return m, err
	}
	if err := needCollection(ctx, s.pool, owner, collName); err != nil {
		return nil, err
	}
	return nil, notFoundObject(owner, collName, name)
}

func (s *Store) Get(ctx context.Context, owner, collName, name string) (*storage.Object, error) {
	var data []byte
	m, err := s.member(ctx, owner, collName, name, &data)
	if err != nil {
		return nil, wrap("get object", err)
	}
	if data == nil {
		data = []byte{}
	}
	return &storage.Object{ObjectMeta: *m, Data: data}, nil
}

// GetMany reads the members in one statement, as member reads one: a
// multiget of a hundred was a hundred round trips. The statement numbers
// the names and sums the sizes of the members before each, and sends no
// bytes for a member once maxBytes came before it. Only an answer with
// no row asks whether the collection exists.
func (s *Store) GetMany(ctx context.Context, owner, collName string, names []string, maxBytes int64) ([]*storage.Object, int, error) {
	const op = "get objects"
	out := make([]*storage.Object, len(names))
	rows, err := s.pool.Query(ctx, `SELECT `+metaColumns+`, CASE WHEN before < greatest($4, 1) THEN data END, ord FROM (
			SELECT `+memberColumns+`, o.data, w.ord, coalesce(sum(o.size) OVER (ORDER BY w.ord ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS before
			FROM unnest($3::text[]) WITH ORDINALITY AS w(name, ord)
			JOIN objects o ON o.collection = (SELECT id FROM collections WHERE owner = $1 AND name = $2) AND o.name = w.name) x
		ORDER BY ord`, owner, collName, names, maxBytes)
	if err != nil {
		return nil, 0, wrap(op, err)
	}
	n, found := len(names), false
	for rows.Next() {
		var data []byte
		var ord int64
		m, err := scanMeta(rows, &data, &ord)
		if err != nil {
			rows.Close()
			return nil, 0, wrap(op, err)
		}
		found = true
		if data == nil && m.Size > 0 {
			// maxBytes came before it: the rest is the caller's to ask.
			n = int(ord) - 1
			break
		}
		if data == nil {
			data = []byte{}
		}
		out[ord-1] = &storage.Object{ObjectMeta: *m, Data: data}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, 0, wrap(op, err)
	}
	if !found {
		if err := needCollection(ctx, s.pool, owner, collName); err != nil {
			return nil, 0, wrap(op, err)
		}
	}
	return out, n, nil
}

func (s *Store) Stat(ctx context.Context, owner, collName, name string) (*storage.ObjectMeta, error) {
	m, err := s.member(ctx, owner, collName, name, nil)
	if err != nil {
		return nil, wrap("stat object", err)
	}
	return m, nil
}

// Chunks of List and Walk: each chunk is one snapshot, read into memory,
// and the callback runs with no transaction open (it usually streams to
// a slow client). A walk resumes after the last name it reported and
// stops with ErrNotFound when the collection was deleted or replaced
// (a new incarnation) meanwhile.
const (
	chunkMembers = 1024
	chunkBytes   = 1 << 20
)

func (s *Store) scan(ctx context.Context, op, owner, collName string, withData bool, visit func(m *storage.ObjectMeta, data []byte) error) error {
	var id int64
	var inc string
	after := ""
	first := true
	for {
		type member struct {
			m    *storage.ObjectMeta
			data []byte
		}
		var chunk []member
		more := false
		err := s.read(ctx, func(tx pgx.Tx) error {
			c, err := readColl(ctx, tx, owner, collName, false)
			if err != nil {
				return err
			}
			if !first && (c.id != id || c.Incarnation != inc) {
				return notFoundColl(owner, collName)
			}
			id, inc = c.id, c.Incarnation
			cols := metaColumns
			if withData {
				cols += `, data`
			}
			rows, err := tx.Query(ctx, `SELECT `+cols+` FROM objects WHERE collection = $1 AND ($2 OR name > $3)
				ORDER BY name LIMIT $4`, c.id, first, after, chunkMembers+1)
			if err != nil {
				return err
			}
			defer rows.Close()
			size := 0
			for rows.Next() {
				if len(chunk) == chunkMembers || size >= chunkBytes {
					more = true
					break
				}
				var data []byte
				var extra []any
				if withData {
					extra = []any{&data}
				}
				m, err := scanMeta(rows, extra...)
				if err != nil {
					return err
				}
				if withData && data == nil {
					data = []byte{}
				}
				size += len(data)
				chunk = append(chunk, member{m, data})
			}
			return rows.Err()
		})
		if err != nil {
			return wrap(op, err)
		}
		first = false
		for _, mb := range chunk {
			if err := visit(mb.m, mb.data); err != nil {
				return err
			}
		}
		if !more {
			return nil
		}
		after = chunk[len(chunk)-1].m.Name
	}
}

func (s *Store) List(ctx context.Context, owner, coll string, fn func(*storage.ObjectMeta) error) error {
	return s.scan(ctx, "list objects", owner, coll, false, func(m *storage.ObjectMeta, _ []byte) error { return fn(m) })
}

func (s *Store) Walk(ctx context.Context, owner, coll string, fn func(*storage.Object) error) error {
	return s.scan(ctx, "walk objects", owner, coll, true, func(m *storage.ObjectMeta, data []byte) error {
		return fn(&storage.Object{ObjectMeta: *m, Data: data})
	})
}

// FindUID asks the UID index of each of owner's collections: one query.
func (s *Store) FindUID(ctx context.Context, owner, uid string) ([]storage.UIDMatch, error) {
	out := []storage.UIDMatch{}
	err := s.read(ctx, func(tx pgx.Tx) error {
		var exists bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM accounts WHERE id = $1)`, owner).Scan(&exists); err != nil {
			return err
		}
		if !exists {
			return notFound("account %q", owner)
		}
		if uid == "" {
			return nil
		}
		rows, err := tx.Query(ctx, `SELECT o.name, o.uid, o.component, o.content_type, o.etag, o.size, o.modified, o.seq,
			o.span_start, o.span_end, o.schedule_tag, c.name, c.kind
			FROM collections c JOIN objects o ON o.collection = c.id
			WHERE c.owner = $1 AND o.uid = $2 ORDER BY c.name`, owner, uid)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var name string
			var kind int16
			m, err := scanMeta(rows, &name, &kind)
			if err != nil {
				return err
			}
			out = append(out, storage.UIDMatch{Collection: name, Kind: storage.Kind(kind), Meta: *m})
		}
		return rows.Err()
	})
	if err != nil {
		return nil, wrap("find uid", err)
	}
	return out, nil
}
