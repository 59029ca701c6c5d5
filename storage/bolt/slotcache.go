package bolt

import (
	"bytes"
	"encoding/binary"
	"sort"
	"sync"

	"go.etcd.io/bbolt"
)

// The slot cache keeps, in memory, copies of whole when slots of the
// collections queried last: a time-range walk then merges arrays instead
// of stepping bbolt cursors, which were half of a week's walk at 100,000
// events (17,468 entries in two slots for 8,870 members answered).
//
// A copy is exact, never stale: it serves a read transaction only when
// no write to its slot can lie between the snapshot it was read in and
// the reader's. Every write of a when entry goes through putTimeline or
// dropTimeline, which mark the slot with the writing transaction's id
// before that transaction commits (markSlot); a copy read at txid R
// serves a reader at txid T when R == T, or when the slot's last mark is
// at most min(R, T). A write transaction that rolls back leaves its mark:
// a copy is then thrown away for nothing, never kept wrongly. Slots are
// keyed by the collection's incarnation, which a deleted and re-created
// collection does not share, and which a rename keeps with the entries.
//
// The cache holds at most slotCacheBytes; past it the copies used least
// recently go first. It keeps at most maxSlotMarks marks: past that it
// forgets them all with every copy, and raises its floor to the highest
// mark forgotten; no reader at a txid below the floor uses or keeps a
// copy, since a write it forgot may lie after that reader's snapshot.

// slotCacheBytes bounds the bytes of all copies of one database (a
// variable so that tests can make it small). A week slot of a calendar
// of 100,000 events is about 700 KB.
var slotCacheBytes = 24 << 20

// slotCacheOff turns the cache off (tests compare answers both ways).
var slotCacheOff = false

// slotCacheVerify makes every use of a copy compare it with the slot
// read through a cursor in the same transaction, panicking on a
// difference (tests of concurrent writes set it).
var slotCacheVerify = false

// maxSlotMarks bounds the marks kept (a few megabytes; a variable so that
// tests can make it small). A weekly event without end writes 256 slots.
var maxSlotMarks = 1 << 15

type slotKey struct {
	inc  string
	slot int64
}

// slotCopy is one slot's entries as they were at txid: keys and values
// packed in buf, entry i's key at offs[2i]:offs[2i+1] and its value up
// to offs[2i+2].
//
// The pieces of entry i are decoded ahead into spans[spanAt[i]:spanAt[i+1]],
// pairs of start and length in seconds.
type slotCopy struct {
	txid   uint64
	buf    []byte
	offs   []uint32
	spans  []int64
	spanAt []uint32
	used   uint64 // the cache's clock at its last use
}

// spansOf is entry i's pieces, decoded.
func (s *slotCopy) spansOf(i int) []int64 { return s.spans[s.spanAt[i]:s.spanAt[i+1]] }

func (s *slotCopy) len() int { return (len(s.offs) - 1) / 2 }

func (s *slotCopy) entry(i int) (k, v []byte) {
	a, b, c := s.offs[2*i], s.offs[2*i+1], s.offs[2*i+2]
	return s.buf[a:b:b], s.buf[b:c:c]
}

func (s *slotCopy) size() int {
	return cap(s.buf) + 4*cap(s.offs) + 8*cap(s.spans) + 4*cap(s.spanAt) + 96
}

type slotCache struct {
	mu     sync.Mutex
	marks  map[slotKey]uint64
	copies map[slotKey]*slotCopy
	bytes  int
	clock  uint64
	floor  uint64 // readers below it use no copies (maxSlotMarks)
	hits   int    // copies used, for tests
}

// slotCaches finds a database's cache from its bbolt handle: the write
// paths that mark slots reach the database only through their
// transaction.
var slotCaches sync.Map // *bbolt.DB → *slotCache

func registerSlotCache(bdb *bbolt.DB) {
	slotCaches.Store(bdb, &slotCache{marks: map[slotKey]uint64{}, copies: map[slotKey]*slotCopy{}})
}

func dropSlotCache(bdb *bbolt.DB) { slotCaches.Delete(bdb) }

func slotCacheOf(tx *bbolt.Tx) *slotCache {
	v, ok := slotCaches.Load(tx.DB())
	if !ok {
		return nil
	}
	return v.(*slotCache)
}

// markSlot records that tx writes slot of the collection c, before tx
// commits.
func (c *collTx) markSlot(slot int64) {
	tx := c.b.Tx()
	sc := slotCacheOf(tx)
	if sc == nil {
		return
	}
	k := slotKey{c.st.incarnation, slot}
	id := uint64(tx.ID())
	sc.mu.Lock()
	if _, ok := sc.marks[k]; !ok && len(sc.marks) >= maxSlotMarks {
		for _, m := range sc.marks {
			sc.floor = max(sc.floor, m)
		}
		clear(sc.marks)
		clear(sc.copies)
		sc.bytes = 0
	}
	if sc.marks[k] < id {
		sc.marks[k] = id
	}
	if cp := sc.copies[k]; cp != nil && cp.txid < id {
		// No reader at id or later may use it; readers before id still
		// could, but they are few and old.
		sc.bytes -= cp.size()
		delete(sc.copies, k)
	}
	sc.mu.Unlock()
}

// slotCopyFor returns the copy of slot of collection c valid in c's
// transaction, reading it when there is none.
func (c *collTx) slotCopyFor(slot int64) *slotCopy {
	tx := c.b.Tx()
	sc := slotCacheOf(tx)
	if sc == nil || slotCacheOff {
		return nil
	}
	k := slotKey{c.st.incarnation, slot}
	t := uint64(tx.ID())
	sc.mu.Lock()
	if t < sc.floor {
		sc.mu.Unlock()
		return nil
	}
	cp := sc.copies[k]
	if cp != nil && (cp.txid == t || sc.marks[k] <= min(cp.txid, t)) {
		sc.clock++
		cp.used = sc.clock
		sc.hits++
		sc.mu.Unlock()
		if slotCacheVerify {
			c.verifySlotCopy(slot, cp)
		}
		return cp
	}
	sc.mu.Unlock()
	if cp = c.readSlot(slot, t); cp == nil {
		return nil // damaged: the cursor's walk reports it
	}
	sc.mu.Lock()
	defer sc.mu.Unlock()
	if old := sc.copies[k]; old != nil && old.txid >= t {
		return cp // a newer copy is kept; this one serves its reader
	}
	if sc.marks[k] > t || t < sc.floor {
		return cp // written since: no later reader could use it
	}
	if old := sc.copies[k]; old != nil {
		sc.bytes -= old.size()
	}
	if cp.size() > slotCacheBytes {
		delete(sc.copies, k)
		return cp
	}
	sc.clock++
	cp.used = sc.clock
	sc.copies[k] = cp
	sc.bytes += cp.size()
	for sc.bytes > slotCacheBytes {
		var lk slotKey
		var lc *slotCopy
		for k, c := range sc.copies {
			if lc == nil || c.used < lc.used {
				lk, lc = k, c
			}
		}
		sc.bytes -= lc.size()
		delete(sc.copies, lk)
	}
	// Marks of slots without a copy are kept: a copy read later, at an
	// older snapshot, must still see them (until maxSlotMarks).
	return cp
}

// readSlot reads slot's entries through a cursor, nil when one does not
// decode.
func (c *collTx) readSlot(slot int64, txid uint64) *slotCopy {
	prefix := binary.BigEndian.AppendUint64(nil, uint64(slot)^1<<63)
	cp := &slotCopy{txid: txid, offs: []uint32{0}, spanAt: []uint32{0}}
	base := slot * slotSeconds
	cur := c.when.Cursor()
	for k, v := cur.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = cur.Next() {
		_, _, pieces, ok := splitWhen(v)
		if !ok {
			return nil
		}
		for i := 0; i < len(pieces); {
			off, n1 := binary.Uvarint(pieces[i:])
			if n1 <= 0 {
				return nil
			}
			i += n1
			dur, n2 := binary.Uvarint(pieces[i:])
			if n2 <= 0 {
				return nil
			}
			i += n2
			cp.spans = append(cp.spans, base+int64(off), int64(dur))
		}
		cp.spanAt = append(cp.spanAt, uint32(len(cp.spans)))
		cp.buf = append(cp.buf, k...)
		cp.offs = append(cp.offs, uint32(len(cp.buf)))
		cp.buf = append(cp.buf, v...)
		cp.offs = append(cp.offs, uint32(len(cp.buf)))
	}
	return cp
}

// seekAfter is the index of the first entry whose name (after the 8 key
// bytes of the slot) is after after (nil: the first entry).
func (s *slotCopy) seekAfter(after []byte) int {
	if after == nil {
		return 0
	}
	return sort.Search(s.len(), func(i int) bool {
		k, _ := s.entry(i)
		return bytes.Compare(k[8:], after) > 0
	})
}

func (c *collTx) verifySlotCopy(slot int64, cp *slotCopy) {
	fresh := c.readSlot(slot, cp.txid)
	if fresh == nil || !bytes.Equal(fresh.buf, cp.buf) || len(fresh.offs) != len(cp.offs) {
		panic("storage/bolt: a cached when slot differs from the file")
	}
}
