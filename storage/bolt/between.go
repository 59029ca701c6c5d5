package bolt

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"math"
	"slices"
	"time"

	"almanac/storage"

	"go.etcd.io/bbolt"
)

// Between reports the members q.Want takes among those whose periods
// reach into [q.From, q.To) and those whose periods cannot tell
// (storage.Store).
//
// It reads the when entries of the slots the range covers and the
// members the range goes past the bounds of (incompleteMembers; in a file
// before schema 5, every loose entry) as one walk in member name order: a
// cursor per slot and the sorted incomplete ones (or a cursor on loose),
// merged (betweenMerge). A member's entries in every slot and its being
// incomplete therefore come together, so each member is offered and
// reported once without a set of the members seen so far;
// at 100,000 events a week's answer names thousands of members, and that
// set was a third of the query's cost. The walk goes in chunks of
// betweenChunk reported members or betweenKeys entries, each in one read
// transaction, and calls fn with no transaction open.
func (db *DB) Between(ctx context.Context, owner, coll string, q storage.TimeQuery, fn func(*storage.ObjectMeta, storage.Take) error) error {
	const op = "between"
	w := newWalk()
	defer w.release()
	w.q, w.secs, w.lo, w.hi = q, newSecondRange(q.From, q.To), math.MinInt64, math.MaxInt64
	w.plain = db.plainETags
	w.exact = newSecondRange(q.Exact.Start, q.Exact.End)
	w.exactIsRange = w.exact == w.secs
	if !q.From.IsZero() {
		w.lo = slotOf(q.From.Unix())
	}
	if !q.To.IsZero() {
		w.hi = slotOf(q.To.Add(-time.Nanosecond).Unix())
	}
	var inc string
	for !w.done {
		if err := ctxErr(ctx, op); err != nil {
			return err
		}
		err := db.bdb.View(func(tx *bbolt.Tx) error {
			c, err := loadColl(tx, owner, coll)
			if err != nil {
				return err
			}
			if c == nil || (inc != "" && c.st.incarnation != inc) {
				return notFoundColl(owner, coll)
			}
			inc = c.st.incarnation
			return w.chunk(c)
		})
		if err != nil {
			return wrap(op, err)
		}
		for _, r := range w.out {
			if err := fn(r.meta, r.take); err != nil {
				return err
			}
		}
		for _, l := range w.light {
			name := w.arena[l.at : l.at+l.nameLen : l.at+l.nameLen]
			etag := w.arena[l.at+l.nameLen : l.at+l.nameLen+l.etagLen : l.at+l.nameLen+l.etagLen]
			if err := q.ETags(name, etag); err != nil {
				return err
			}
		}
	}
	return nil
}

// secondRange is a range [From, To) read for periods in whole seconds:
// overlaps(s, e) is Period{Start: s, End: e}.Overlaps(From, To) without
// building either time.
type secondRange struct {
	from, to   bool // the sides that are bounded
	fromS, toS int64
	fromN, toN int // nanoseconds past fromS, toS
}

func newSecondRange(from, to time.Time) secondRange {
	return secondRange{from: !from.IsZero(), to: !to.IsZero(),
		fromS: from.Unix(), fromN: from.Nanosecond(), toS: to.Unix(), toN: to.Nanosecond()}
}

func (r *secondRange) overlaps(s, e int64) bool {
	if r.to && r.toS < s || r.to && r.toS == s && r.toN == 0 {
		return false // To is not after the start
	}
	if !r.from {
		return true
	}
	if e > s {
		return r.fromS < e // From is before the end
	}
	return r.fromS < s || r.fromS == s && r.fromN == 0 // From is not after the instant
}

// betweenWalk is one Between: where it stopped, and the chunk it read
// last. Its buffers go back to walks afterwards, so that a query
// answered from the index allocates next to nothing per member.
type betweenWalk struct {
	q     storage.TimeQuery
	secs  secondRange // q's range
	exact secondRange // q.Exact, for RuleExact
	// exactIsRange: exact is secs, so a piece in the range is in exact
	exactIsRange bool
	lo, hi       int64  // the slots the range covers
	after        []byte // the last member the walk passed, nil at the start
	done         bool
	// plain: the entries' ETags are of plain members (DB.plainETags),
	// else the walk checks each before handing it to q.ETags.
	plain bool

	runs  []mergeRun
	merge betweenMerge
	full  [][]byte       // members reported with their metadata, valid in the chunk's transaction
	fullT []storage.Take // and how each was taken
	loose [][]byte       // the chunk's incomplete members (incompleteMembers)
	light []lightRef     // members reported to q.ETags
	arena []byte         // their names and ETags
	out   []reported     // what fn is called with, once the transaction is over
}

// mergeScan is the most runs betweenMerge scans rather than heaps (a
// variable so that tests can make every walk use the heap).
var mergeScan = 8

// walks keeps the buffers of the last few walks. It is not a sync.Pool:
// the collector empties those every other cycle, and a week's walk at
// 100,000 events that finds the pool empty regrows some 700 KB of
// arena and references, a seventh of all the server allocated under
// davbench's mixed load. Four walks is the REPORTs that run at once;
// one whose arena grew past maxKeptArena (long names) is not kept.
var walks = make(chan *betweenWalk, 4)

const maxKeptArena = 1 << 20

func newWalk() *betweenWalk {
	select {
	case w := <-walks:
		return w
	default:
		return new(betweenWalk)
	}
}

// release returns w to walks without what it points into: the query, a
// transaction's pages, the strings handed out.
func (w *betweenWalk) release() {
	for i := range w.runs {
		w.runs[i] = mergeRun{}
	}
	w.merge.reset(nil)
	clear(w.full)
	clear(w.loose)
	clear(w.out)
	*w = betweenWalk{runs: w.runs[:0], merge: w.merge, full: w.full[:0], fullT: w.fullT[:0],
		loose: w.loose[:0], light: w.light[:0], arena: w.arena[:0], out: w.out[:0]}
	if cap(w.arena) > maxKeptArena {
		return
	}
	select {
	case walks <- w:
	default:
	}
}

// lightRef locates one member's name and ETag in a chunk's arena.
type lightRef struct{ at, nameLen, etagLen int }

// reported is one call of Between's fn.
type reported struct {
	meta *storage.ObjectMeta
	take storage.Take
}

// mergeRun is one sorted run of the walk: the when entries of one slot
// (their keys are the slot and the member name) or the loose bucket
// (keyed by member name).
type mergeRun struct {
	cur  *bbolt.Cursor // nil for the list of incomplete members
	list [][]byte      // that list's members still to come
	slot uint64        // a slot's 8 key bytes as a number
	// skip is the bytes before the name in a key: 8 in a slot, 1 in the
	// bounds bucket's unknown members (boundUnknown), 0 in loose.
	skip int
	over bool
	k, v []byte
}

// name is the member the current entry is of.
func (r *mergeRun) name() []byte { return r.k[r.skip:] }

// next moves the run to its next entry.
func (r *mergeRun) next() {
	if r.cur == nil {
		r.list = r.list[1:]
		r.first()
		return
	}
	r.set(r.cur.Next())
}

// first puts a list run on its first member.
func (r *mergeRun) first() {
	if len(r.list) == 0 {
		r.over = true
		return
	}
	r.k = r.list[0]
}

// set makes k, v the run's entry, or ends the run when k is past it.
// It writes as few pointers as it can: the walk runs while the collector
// may be marking, when each costs a write barrier.
func (r *mergeRun) set(k, v []byte) {
	if k == nil || r.skip == 8 && (len(k) < 8 || binary.BigEndian.Uint64(k) != r.slot) ||
		r.skip == 1 && (len(k) < 1 || k[0] != boundUnknown) {
		r.over = true
		return
	}
	r.k, r.v = k, v
}

// seek puts the run on its first entry after the member after (nil:
// its first entry).
func (r *mergeRun) seek(after []byte) {
	if r.cur == nil {
		r.first() // the list holds only members after it
		return
	}
	if r.skip == 0 {
		r.set(seekAfter(r.cur, after))
		return
	}
	key := []byte{boundUnknown}
	if r.skip == 8 {
		key = binary.BigEndian.AppendUint64(make([]byte, 0, 8+len(after)), r.slot)
	}
	r.set(r.cur.Seek(append(key, after...)))
	if after != nil && !r.over && bytes.Equal(r.name(), after) {
		r.next()
	}
}

// betweenMerge hands out the runs member by member: next returns the
// runs whose current entry is of the smallest member name, in run order,
// and advance moves them on. A week's or a month's query has two to seven
// runs, which a scan compares fastest (one comparison per run per
// member); past mergeScan runs (open ranges reach every slot to the end
// of the index) they are kept in a binary heap. Runs are named by their
// index in runs, in time order with the loose bucket last.
type betweenMerge struct {
	runs  []mergeRun
	live  []int32 // the runs not over; a heap by (name, index) when heap is set
	heap  bool
	group []int32
}

func (m *betweenMerge) reset(runs []mergeRun) {
	m.runs, m.live, m.group = runs, m.live[:0], m.group[:0]
	for i := range runs {
		if !runs[i].over {
			m.live = append(m.live, int32(i))
		}
	}
	m.heap = len(m.live) > mergeScan
	if m.heap {
		for i := len(m.live)/2 - 1; i >= 0; i-- {
			m.down(i)
		}
	}
}

// next returns the runs at the smallest member name, nil when every run
// is over.
func (m *betweenMerge) next() []int32 {
	m.group = m.group[:0]
	if len(m.live) == 0 {
		return nil
	}
	if !m.heap {
		m.group = append(m.group, m.live[0])
		least := m.runs[m.live[0]].name()
		for _, i := range m.live[1:] {
			name := m.runs[i].name()
			switch c := bytes.Compare(name, least); {
			case c < 0:
				m.group, least = append(m.group[:0], i), name
			case c == 0:
				m.group = append(m.group, i)
			}
		}
		return m.group
	}
	least := m.runs[m.live[0]].name()
	for len(m.live) > 0 && bytes.Equal(m.runs[m.live[0]].name(), least) {
		m.group = append(m.group, m.live[0])
		last := len(m.live) - 1
		m.live[0] = m.live[last]
		m.live = m.live[:last]
		m.down(0)
	}
	return m.group
}

// advance moves the runs next returned to their next entries.
func (m *betweenMerge) advance() {
	over := false
	for _, i := range m.group {
		r := &m.runs[i]
		r.next()
		if r.over {
			over = true
		} else if m.heap {
			m.live = append(m.live, i)
			m.up(len(m.live) - 1)
		}
	}
	if over && !m.heap {
		m.live = slices.DeleteFunc(m.live, func(i int32) bool { return m.runs[i].over })
	}
}

func (m *betweenMerge) less(i, j int) bool {
	a, b := m.live[i], m.live[j]
	if c := bytes.Compare(m.runs[a].name(), m.runs[b].name()); c != 0 {
		return c < 0
	}
	return a < b
}

func (m *betweenMerge) down(i int) {
	h := m.live
	for {
		l := 2*i + 1
		if l >= len(h) {
			return
		}
		c := l
		if r := l + 1; r < len(h) && m.less(r, l) {
			c = r
		}
		if !m.less(c, i) {
			return
		}
		h[i], h[c] = h[c], h[i]
		i = c
	}
}

func (m *betweenMerge) up(i int) {
	h := m.live
	for i > 0 {
		p := (i - 1) / 2
		if !m.less(i, p) {
			return
		}
		h[i], h[p] = h[p], h[i]
		i = p
	}
}

// chunk reads one chunk of the walk in c's transaction into w.out.
func (w *betweenWalk) chunk(c *collTx) error {
	clear(w.full)
	clear(w.out)
	w.full, w.fullT, w.light, w.arena, w.out = w.full[:0], w.fullT[:0], w.light[:0], w.arena[:0], w.out[:0]
	if !c.indexed() {
		// No timelines: every member is offered as incomplete.
		cur := c.meta.Cursor()
		keys := 0
		for k, _ := seekAfter(cur, w.after); k != nil; k, _ = cur.Next() {
			if len(w.full) >= betweenChunk || keys >= betweenKeys {
				w.after = bytes.Clone(w.after)
				return w.finish(c)
			}
			keys++
			w.after = k
			if t := w.q.Want(k, storage.Period{}, 0, true); t != storage.TakeNo {
				w.full, w.fullT = append(w.full, k), append(w.fullT, t)
			}
		}
		w.done = true
		return w.finish(c)
	}
	if err := w.openRuns(c); err != nil {
		return err
	}
	keys := 0
	var last []byte
	for {
		if len(w.full)+len(w.light) >= betweenChunk || keys >= betweenKeys {
			w.after = bytes.Clone(last)
			return w.finish(c)
		}
		group := w.merge.next()
		if group == nil {
			break
		}
		name := w.runs[group[0]].name()
		take := storage.TakeNo
		var etag, loose []byte
		entries, incomplete := false, false
		for _, i := range group {
			r := &w.runs[i]
			keys++
			if r.cur == nil || r.skip == 1 {
				incomplete = true // the list, or an unknown timeline
				continue
			}
			if r.skip == 0 {
				loose = r.v
				continue
			}
			if entries && take != storage.TakeNo {
				continue // taken, with its ETag: a member's later slots add nothing
			}
			tag, et, pieces, ok := splitWhen(r.v)
			if !ok {
				return fmt.Errorf("time index entry %q: %w", r.k, errCorrupt)
			}
			if !entries {
				etag, entries = et, true
			}
			if take == storage.TakeNo {
				var err error
				if take, err = w.offer(r.k, name, keySlot(r.k)*slotSeconds, tag, pieces); err != nil {
					return err
				}
			}
		}
		last = name
		if take == storage.TakeNo && loose != nil {
			var tl storage.Timeline
			d := decoder{b: loose}
			decodeBounds(&d, &tl)
			if d.err || len(d.b) != 0 {
				return fmt.Errorf("loose timeline %q: %w", name, errCorrupt)
			}
			incomplete = incompleteFor(&tl, w.q.From, w.q.To)
		}
		if take == storage.TakeNo && incomplete {
			take = w.q.Want(name, storage.Period{}, 0, true)
		}
		switch {
		case take == storage.TakeNo:
		case take == storage.TakeMatch && w.q.ETags != nil && etag != nil && (w.plain || storage.PlainMember(name, etag)):
			w.light = append(w.light, lightRef{len(w.arena), len(name), len(etag)})
			w.arena = append(append(w.arena, name...), etag...)
		default:
			w.full, w.fullT = append(w.full, name), append(w.fullT, take)
		}
		w.merge.advance()
	}
	w.done = true
	return w.finish(c)
}

// openRuns opens a run on each slot of [w.lo, w.hi] that holds entries
// and one on the loose bucket, each after w.after.
func (w *betweenWalk) openRuns(c *collTx) error {
	w.runs = w.runs[:0]
	find := c.when.Cursor()
	var k []byte
	if w.lo == math.MinInt64 {
		k, _ = find.First()
	} else {
		k, _ = find.Seek(whenKey(w.lo, ""))
	}
	for k != nil {
		if len(k) < 8 {
			return fmt.Errorf("time index key %q: %w", k, errCorrupt)
		}
		slot := keySlot(k)
		if slot > w.hi {
			break
		}
		w.runs = append(w.runs, mergeRun{cur: c.when.Cursor(), slot: binary.BigEndian.Uint64(k), skip: 8})
		if slot == math.MaxInt64 {
			break
		}
		k, _ = find.Seek(whenKey(slot+1, ""))
	}
	if c.bounds != nil {
		w.loose = w.incompleteMembers(c, w.loose[:0])
		w.runs = append(w.runs, mergeRun{cur: c.bounds.Cursor(), skip: 1}, mergeRun{list: w.loose})
	} else {
		w.runs = append(w.runs, mergeRun{cur: c.loose.Cursor()}) // before schema 5
	}
	for i := range w.runs {
		w.runs[i].seek(w.after)
	}
	w.merge.reset(w.runs)
	return nil
}

// incompleteMembers appends to names the members after w.after whose
// known timelines leave part of the range unanswered (incompleteFor),
// read from the bounds bucket, and returns them sorted, each once. The
// names point into the transaction's pages. Members whose timelines are
// unknown, incomplete for every range, are a run of their own: they are
// in name order already, and after an upgrade from schema 2 they are
// every member until the renewal has seen them.
func (w *betweenWalk) incompleteMembers(c *collTx, names [][]byte) [][]byte {
	add := func(name []byte) {
		if w.after == nil || bytes.Compare(name, w.after) > 0 {
			names = append(names, name)
		}
	}
	secs := func(k []byte) int64 { return int64(binary.BigEndian.Uint64(k[1:9]) ^ 1<<63) }
	cur := c.bounds.Cursor()
	// Until before To (To.After(Until), Until in whole seconds): the e
	// keys from the first, in time order.
	r := &w.secs
	for k, _ := cur.Seek([]byte{boundUntil}); len(k) >= 9 && k[0] == boundUntil; k, _ = cur.Next() {
		if r.to && !(r.toS > secs(k) || r.toS == secs(k) && r.toN > 0) {
			break
		}
		add(k[9:])
	}
	// From after the range's From (From.Before(tl.From)): the s keys
	// from the second after it.
	if !r.from || r.fromS < math.MaxInt64 {
		start := []byte{boundFrom}
		if r.from {
			start = binary.BigEndian.AppendUint64(start, uint64(r.fromS+1)^1<<63)
		}
		for k, _ := cur.Seek(start); len(k) >= 9 && k[0] == boundFrom; k, _ = cur.Next() {
			add(k[9:])
		}
	}
	slices.SortFunc(names, bytes.Compare)
	return slices.CompactFunc(names, bytes.Equal)
}

// offer offers q.Want the pieces of one when entry (of the slot starting
// at base) that overlap the range, until it takes the member.
//
// It decodes the pieces with an index rather than a decoder: a decoder's
// pointer writes cost a write barrier each while the collector marks,
// which under load it mostly is, and a week's walk decodes thousands.
// The tag's rule is looked up once per entry: most queries have one
// (RuleExact, with Exact the range itself, for a time-range filter on
// events), and an entry whose tag the query passes over is not decoded.
func (w *betweenWalk) offer(k, name []byte, base int64, tag uint8, pieces []byte) (storage.Take, error) {
	rule := storage.RuleAsk
	if w.q.Rules != nil {
		rule = w.q.Rules[tag]
	}
	if rule == storage.RuleNo {
		return storage.TakeNo, nil
	}
	for i := 0; i < len(pieces); {
		off, n1 := binary.Uvarint(pieces[i:])
		if n1 <= 0 {
			return storage.TakeNo, fmt.Errorf("time index entry %q: %w", k, errCorrupt)
		}
		i += n1
		dur, n2 := binary.Uvarint(pieces[i:])
		if n2 <= 0 {
			return storage.TakeNo, fmt.Errorf("time index entry %q: %w", k, errCorrupt)
		}
		i += n2
		s, n := base+int64(off), int64(dur)
		if !w.secs.overlaps(s, s+n) {
			continue
		}
		switch rule {
		case storage.RuleRead:
			return storage.TakeRead, nil
		case storage.RuleExact:
			if w.exactIsRange || w.exact.overlaps(s, s+n) {
				return storage.TakeMatch, nil
			}
			continue
		}
		p := storage.Period{Start: time.Unix(s, 0).UTC(), End: time.Unix(s+n, 0).UTC()}
		if t := w.q.Want(name, p, tag, false); t != storage.TakeNo {
			return t, nil
		}
	}
	return storage.TakeNo, nil
}

// finish reads, still in the transaction, the metadata of the chunk's
// members that need it, in key order (statAll). The others' names and
// ETags are in the arena already.
func (w *betweenWalk) finish(c *collTx) error {
	metas, err := c.statAll(w.full)
	if err != nil {
		return err
	}
	for i, m := range metas {
		if m != nil {
			w.out = append(w.out, reported{meta: m, take: w.fullT[i]})
		}
	}
	return nil
}
