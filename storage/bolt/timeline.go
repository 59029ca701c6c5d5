package bolt

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"slices"
	"time"

	"almanac/storage"

	"go.etcd.io/bbolt"
)

// The time index of a calendar collection (doc.go, "Timelines"): three
// buckets beside meta and data, written in the transaction that writes
// the member.
var (
	// when/<slot><member> holds the pieces of the member's periods that
	// fall into one week: a time-range query reads the weeks it covers.
	bucketWhen = []byte("when")
	// timelines/<member> holds the member's whole timeline, so that its
	// when entries can be found and removed, or copied by a Transfer.
	bucketTimelines = []byte("timelines")
	// loose/<member> names the members whose periods do not answer for
	// every range (unknown timelines, and those bounded by From or
	// Until), with those bounds.
	bucketLoose = []byte("loose")
	// bounds/<kind>[<8-byte seconds>]<member> holds the loose members
	// again, by what makes them incomplete (boundsKeys), so that a query
	// reads only those its range goes past (schema 5): at 100,000 events
	// five thousand open series are loose, and for every range but a
	// far-future one none of them is incomplete.
	bucketBounds = []byte("bounds")
)

// Kinds of bounds keys: a timeline not known, one that ends (Until), one
// that starts late (From).
const (
	boundUnknown = 'u'
	boundUntil   = 'e'
	boundFrom    = 's'
)

// boundsKeys are the bounds keys of member name with timeline tl (none
// when tl is complete).
func boundsKeys(name []byte, tl *storage.Timeline) [][]byte {
	if complete(tl) {
		return nil
	}
	if !tl.Known {
		return [][]byte{append([]byte{boundUnknown}, name...)}
	}
	var keys [][]byte
	at := func(kind byte, t time.Time) []byte {
		k := make([]byte, 9, 9+len(name))
		k[0] = kind
		binary.BigEndian.PutUint64(k[1:], uint64(t.Unix())^1<<63)
		return append(k, name...)
	}
	if !tl.Until.IsZero() {
		keys = append(keys, at(boundUntil, tl.Until))
	}
	if !tl.From.IsZero() {
		keys = append(keys, at(boundFrom, tl.From))
	}
	return keys
}

// putLoose records member k's bounds (tl not complete) in loose and, in a
// collection that has it, bounds.
func (c *collTx) putLoose(k []byte, tl *storage.Timeline) error {
	if err := c.loose.Put(k, appendBounds(nil, 0, tl)); err != nil {
		return err
	}
	if c.bounds == nil {
		return nil
	}
	for _, bk := range boundsKeys(k, tl) {
		if err := c.bounds.Put(bk, []byte{}); err != nil {
			return err
		}
	}
	return nil
}

// dropLoose removes member k's loose entry and its bounds keys.
func (c *collTx) dropLoose(k []byte) error {
	v := c.loose.Get(k)
	if v == nil {
		return nil
	}
	var tl storage.Timeline
	d := decoder{b: v}
	decodeBounds(&d, &tl)
	if d.err || len(d.b) != 0 {
		return fmt.Errorf("loose timeline %q: %w", k, errCorrupt)
	}
	if c.bounds != nil {
		for _, bk := range boundsKeys(k, &tl) {
			if err := c.bounds.Delete(bk); err != nil {
				return err
			}
		}
	}
	return c.loose.Delete(k)
}

// slotSeconds is the width of a when slot, a week: a week's or a month's
// query reads one to six slots, and an event of one to three days,
// the bulk of a calendar, touches one or two.
const slotSeconds = 7 * 24 * 3600

// maxTimelineSlots bounds the slots one timeline's periods may touch,
// besides storage.MaxTimelinePeriods: a single event of years would
// otherwise write a key per week of it. 256 weeks hold five years of a
// weekly series, or a daily one's 1024 periods.
const maxTimelineSlots = 256

// Chunks of Between and DueTimelines: how many members one read
// transaction reports at most, and how many keys it reads at most
// (most of a slot's pieces are not reported: they are over before the
// query's range begins). As many members as keys: Between reads a
// chunk's metadata in key order (statAll), which gains only when the
// chunk's members lie close together in the collection.
var (
	betweenChunk = 8192
	betweenKeys  = 8192
)

// Flags of timeline and loose records.
const (
	tlKnown = 1 << iota
	tlRenew
	tlFrom
	tlUntil
)

const timelineFormat = 1

// whenETag marks, in the first byte of a when value, that the member's
// ETag follows the tag (schema 4): a metadata-only query answers from
// the entry alone. Entries written before carry none, and Between reads
// those members' metadata instead.
const whenETag = 0x80

// whenValue is member name's when entry: the tag with whenETag, the ETag
// (one length byte, so at most 255 bytes), then the pieces. The ETag is
// left out when longer or when name and ETag are not plain
// (storage.PlainMember, schema 6): Between hands the ETags it finds to
// TimeQuery.ETags without checking them.
func whenValue(tag uint8, name, etag string, pieces []byte) []byte {
	if len(etag) > 255 || !storage.PlainMember(name, etag) {
		return append([]byte{tag}, pieces...)
	}
	b := make([]byte, 0, 2+len(etag)+len(pieces))
	b = append(b, tag|whenETag, byte(len(etag)))
	b = append(b, etag...)
	return append(b, pieces...)
}

// splitWhen splits a when value into its tag, its ETag (nil when the
// entry has none) and its pieces.
func splitWhen(v []byte) (tag uint8, etag, pieces []byte, ok bool) {
	if len(v) < 1 {
		return 0, nil, nil, false
	}
	tag, v = v[0], v[1:]
	if tag&whenETag == 0 {
		return tag, nil, v, true
	}
	if len(v) < 1 || int(v[0]) > len(v)-1 {
		return 0, nil, nil, false
	}
	n := int(v[0])
	return tag &^ whenETag, v[1 : 1+n], v[1+n:], true
}

// normTimeline is tl as the store keeps it: in whole seconds
// (Timeline.InSeconds), within MaxTimelinePeriods and maxTimelineSlots,
// Until cut back to the first period left out (Timeline.CutAt).
func normTimeline(tl storage.Timeline) storage.Timeline {
	out := tl.InSeconds()
	slots, reach := 0, int64(0) // distinct slots so far; the highest one
	for i, p := range out.Periods {
		lo, hi := slotRange(p)
		if i == 0 || lo > reach {
			slots += int(hi - lo + 1)
		} else if hi > reach {
			slots += int(hi - reach)
		}
		if i == 0 || hi > reach {
			reach = hi
		}
		if i == storage.MaxTimelinePeriods || slots > maxTimelineSlots {
			out.CutAt(i)
			break
		}
	}
	return out
}

// slotOf is the slot holding second s.
func slotOf(s int64) int64 {
	q := s / slotSeconds
	if s%slotSeconds < 0 {
		q--
	}
	return q
}

// slotRange is the first and last slot p touches: an instant touches the
// one it is in, a period the ones its seconds fall in.
func slotRange(p storage.Period) (lo, hi int64) {
	s, e := p.Start.Unix(), p.End.Unix()
	if e > s {
		e--
	}
	return slotOf(s), slotOf(e)
}

// complete reports whether tl's periods answer for every range.
func complete(tl *storage.Timeline) bool {
	return tl.Known && tl.From.IsZero() && tl.Until.IsZero()
}

func whenKey(slot int64, name string) []byte {
	k := make([]byte, 8, 8+len(name))
	binary.BigEndian.PutUint64(k, uint64(slot)^1<<63)
	return append(k, name...)
}

func keySlot(k []byte) int64 { return int64(binary.BigEndian.Uint64(k) ^ 1<<63) }

func appendBounds(b []byte, flags byte, tl *storage.Timeline) []byte {
	if tl.Known {
		flags |= tlKnown
	}
	if tl.Renew {
		flags |= tlRenew
	}
	if !tl.From.IsZero() {
		flags |= tlFrom
	}
	if !tl.Until.IsZero() {
		flags |= tlUntil
	}
	b = append(b, flags)
	if !tl.From.IsZero() {
		b = binary.AppendVarint(b, tl.From.Unix())
	}
	if !tl.Until.IsZero() {
		b = binary.AppendVarint(b, tl.Until.Unix())
	}
	return b
}

func decodeBounds(d *decoder, tl *storage.Timeline) {
	flags := d.byte()
	if flags&^(tlKnown|tlRenew|tlFrom|tlUntil) != 0 {
		d.err = true
		return
	}
	tl.Known, tl.Renew = flags&tlKnown != 0, flags&tlRenew != 0
	if flags&tlFrom != 0 {
		tl.From = time.Unix(d.varint(), 0).UTC()
	}
	if flags&tlUntil != 0 {
		tl.Until = time.Unix(d.varint(), 0).UTC()
	}
}

// encodeTimeline writes a normalized timeline: format, bounds, tag, then
// the periods, each its start (the first in Unix seconds, later ones as
// seconds after the one before) and its length.
func encodeTimeline(tl *storage.Timeline) []byte {
	b := make([]byte, 0, 24+len(tl.Periods)*6)
	b = append(b, timelineFormat)
	b = appendBounds(b, 0, tl)
	b = append(b, tl.Tag)
	b = binary.AppendUvarint(b, uint64(len(tl.Periods)))
	var prev int64
	for i, p := range tl.Periods {
		s := p.Start.Unix()
		if i == 0 {
			b = binary.AppendVarint(b, s)
		} else {
			b = binary.AppendUvarint(b, uint64(s-prev))
		}
		prev = s
		b = binary.AppendUvarint(b, uint64(p.End.Unix()-s))
	}
	return b
}

func decodeTimeline(name, v []byte) (storage.Timeline, error) {
	var tl storage.Timeline
	d := decoder{b: v}
	if d.byte() != timelineFormat {
		return tl, fmt.Errorf("timeline %q: %w", name, errCorrupt)
	}
	decodeBounds(&d, &tl)
	tl.Tag = d.byte()
	n := d.uvarint()
	if d.err || n > storage.MaxTimelinePeriods {
		return storage.Timeline{}, fmt.Errorf("timeline %q: %w", name, errCorrupt)
	}
	if n > 0 {
		tl.Periods = make([]storage.Period, n)
	}
	var s int64
	for i := range tl.Periods {
		if i == 0 {
			s = d.varint()
		} else {
			s += int64(d.uvarint())
		}
		l := int64(d.uvarint())
		tl.Periods[i] = storage.Period{Start: time.Unix(s, 0).UTC(), End: time.Unix(s+l, 0).UTC()}
	}
	if d.err || len(d.b) != 0 || !tl.Known && (n > 0 || !tl.From.IsZero() || !tl.Until.IsZero()) {
		return storage.Timeline{}, fmt.Errorf("timeline %q: %w", name, errCorrupt)
	}
	return tl, nil
}

// slotPieces splits the periods into the slots they touch: for each slot,
// in order, the pieces as (seconds after the slot's start, length).
func slotPieces(ps []storage.Period, fn func(slot int64, pieces []byte) error) error {
	type piece struct{ off, length int64 }
	bySlot := map[int64][]piece{}
	var order []int64
	for _, p := range ps {
		s, e := p.Start.Unix(), p.End.Unix()
		lo, hi := slotRange(p)
		for slot := lo; slot <= hi; slot++ {
			base := slot * slotSeconds
			a, z := max(s, base), min(e, base+slotSeconds)
			if _, ok := bySlot[slot]; !ok {
				order = append(order, slot)
			}
			bySlot[slot] = append(bySlot[slot], piece{a - base, z - a})
		}
	}
	slices.Sort(order)
	for _, slot := range order {
		var b []byte
		for _, pc := range bySlot[slot] {
			b = binary.AppendUvarint(b, uint64(pc.off))
			b = binary.AppendUvarint(b, uint64(pc.length))
		}
		if err := fn(slot, b); err != nil {
			return err
		}
	}
	return nil
}

// indexed reports whether the collection keeps timelines.
func (c *collTx) indexed() bool { return c.when != nil }

// putTimeline indexes tl for member name, whose ETag is etag and which
// has none indexed (put and remove drop the old one).
func (c *collTx) putTimeline(name, etag string, tl storage.Timeline) error {
	if !c.indexed() {
		return nil
	}
	tl = normTimeline(tl)
	k := []byte(name)
	if err := c.tls.Put(k, encodeTimeline(&tl)); err != nil {
		return err
	}
	if !complete(&tl) {
		if err := c.putLoose(k, &tl); err != nil {
			return err
		}
	}
	return slotPieces(tl.Periods, func(slot int64, pieces []byte) error {
		return c.when.Put(whenKey(slot, name), whenValue(tl.Tag, name, etag, pieces))
	})
}

// timeline returns member name's stored timeline; a member without one
// (in a collection that keeps none) has the zero Timeline.
func (c *collTx) timeline(name string) (storage.Timeline, error) {
	if !c.indexed() {
		return storage.Timeline{}, nil
	}
	k := []byte(name)
	v := c.tls.Get(k)
	if v == nil {
		return storage.Timeline{}, nil
	}
	return decodeTimeline(k, v)
}

// dropTimeline removes member name's timeline and its index entries.
func (c *collTx) dropTimeline(name string) error {
	if !c.indexed() {
		return nil
	}
	k := []byte(name)
	v := c.tls.Get(k)
	if v == nil {
		return c.dropLoose(k)
	}
	tl, err := decodeTimeline(k, v)
	if err != nil {
		return err
	}
	err = slotPieces(tl.Periods, func(slot int64, _ []byte) error {
		return c.when.Delete(whenKey(slot, name))
	})
	if err != nil {
		return err
	}
	if err := c.tls.Delete(k); err != nil {
		return err
	}
	return c.dropLoose(k)
}

// createTimeBuckets adds the time index to a calendar collection's
// bucket b; members already in meta are entered as unknown timelines to
// be renewed.
func createTimeBuckets(b *bbolt.Bucket) (int, error) {
	for _, n := range [][]byte{bucketWhen, bucketTimelines} {
		if _, err := b.CreateBucket(n); err != nil {
			return 0, err
		}
	}
	loose, err := b.CreateBucket(bucketLoose)
	if err != nil {
		return 0, err
	}
	bounds, err := b.CreateBucket(bucketBounds)
	if err != nil {
		return 0, err
	}
	meta := b.Bucket(bucketMeta)
	if meta == nil {
		return 0, nil
	}
	tls := b.Bucket(bucketTimelines)
	unknown := storage.Timeline{Renew: true}
	rec, looseRec := encodeTimeline(&unknown), appendBounds(nil, 0, &unknown)
	n := 0
	err = meta.ForEach(func(k, _ []byte) error {
		n++
		k = bytes.Clone(k)
		if err := tls.Put(k, rec); err != nil {
			return err
		}
		if err := bounds.Put(boundsKeys(k, &unknown)[0], []byte{}); err != nil {
			return err
		}
		return loose.Put(k, looseRec)
	})
	return n, err
}

// upgradeBounds gives every calendar collection that has a time index
// but no bounds bucket (a file written before schema 5) its bounds, from
// its loose entries.
func upgradeBounds(tx *bbolt.Tx) (colls int, err error) {
	err = eachCollection(tx, func(owner, name []byte, b *bbolt.Bucket) error {
		loose := b.Bucket(bucketLoose)
		if loose == nil || b.Bucket(bucketBounds) != nil {
			return nil
		}
		bounds, err := b.CreateBucket(bucketBounds)
		if err != nil {
			return err
		}
		colls++
		return loose.ForEach(func(k, v []byte) error {
			var tl storage.Timeline
			d := decoder{b: v}
			decodeBounds(&d, &tl)
			if d.err || len(d.b) != 0 {
				return fmt.Errorf("collection %s/%s: loose timeline %q: %w", owner, name, k, errCorrupt)
			}
			for _, bk := range boundsKeys(k, &tl) {
				if err := bounds.Put(bk, []byte{}); err != nil {
					return err
				}
			}
			return nil
		})
	})
	return colls, err
}

// upgradePlain drops the ETag from every time index entry of a member
// whose name or ETag is not plain (storage.PlainMember): schema 4 and 5
// wrote one into every entry, and from schema 6 on Between trusts those
// it finds. Such a member is then answered from its metadata, escaped.
// It returns how many entries it rewrote.
func upgradePlain(tx *bbolt.Tx) (entries int, err error) {
	err = eachCollection(tx, func(owner, name []byte, b *bbolt.Bucket) error {
		when := b.Bucket(bucketWhen)
		if when == nil {
			return nil
		}
		var fix [][2][]byte // key and new value; written after the walk, which a Put would upset
		err := when.ForEach(func(k, v []byte) error {
			tag, etag, pieces, ok := splitWhen(v)
			if len(k) < 8 || !ok {
				return fmt.Errorf("collection %s/%s: time index entry %q: %w", owner, name, k, errCorrupt)
			}
			if etag != nil && !storage.PlainMember(k[8:], etag) {
				fix = append(fix, [2][]byte{bytes.Clone(k), append([]byte{tag}, pieces...)})
			}
			return nil
		})
		if err != nil {
			return err
		}
		for _, f := range fix {
			if err := when.Put(f[0], f[1]); err != nil {
				return err
			}
		}
		entries += len(fix)
		return nil
	})
	return entries, err
}

// upgradeTimelines gives every calendar collection of a file written
// before schema 3 its time index, with every member unknown and due for
// renewal (DueTimelines); queries read those until then, as before.
func upgradeTimelines(tx *bbolt.Tx) (colls, members int, err error) {
	err = eachCollection(tx, func(owner, name []byte, b *bbolt.Bucket) error {
		info, err := readInfo(b)
		if err != nil {
			return fmt.Errorf("collection %s/%s: %w", owner, name, err)
		}
		if info.Kind != storage.KindCalendar || b.Bucket(bucketWhen) != nil {
			return nil
		}
		n, err := createTimeBuckets(b)
		colls++
		members += n
		return err
	})
	return colls, members, err
}

// incompleteFor reports whether tl's periods leave part of [from, to)
// unanswered.
func incompleteFor(tl *storage.Timeline, from, to time.Time) bool {
	if !tl.Known {
		return true
	}
	if !tl.From.IsZero() && (from.IsZero() || from.Before(tl.From)) {
		return true
	}
	return !tl.Until.IsZero() && (to.IsZero() || to.After(tl.Until))
}

// Timeline returns the timeline stored for a member (storage.Store).
func (db *DB) Timeline(ctx context.Context, owner, coll, name string) (storage.Timeline, error) {
	const op = "get timeline"
	if err := ctxErr(ctx, op); err != nil {
		return storage.Timeline{}, err
	}
	var out storage.Timeline
	err := db.viewColl(owner, coll, func(c *collTx) error {
		m, err := c.stat(name)
		if err != nil {
			return err
		}
		if m == nil {
			return notFoundObject(owner, coll, name)
		}
		out, err = c.timeline(name)
		return err
	})
	return out, wrap(op, err)
}

// DueTimelines reports the members whose timelines ask to be renewed
// before before (storage.Store): it reads the loose bucket of every
// calendar collection, in chunks like Between's.
func (db *DB) DueTimelines(ctx context.Context, before time.Time, fn func(storage.TimelineDue) error) error {
	const op = "due timelines"
	var last *[3][]byte // owner, collection and member read last
	for {
		if err := ctxErr(ctx, op); err != nil {
			return err
		}
		var (
			buf  []storage.TimelineDue
			more bool
		)
		err := db.bdb.View(func(tx *bbolt.Tx) error {
			root := tx.Bucket(bucketCollections)
			oc := root.Cursor()
			ok, _ := oc.First()
			if last != nil {
				ok, _ = oc.Seek(last[0])
			}
			keys := 0
			var at [3][]byte
			for ; ok != nil; ok, _ = oc.Next() {
				ob := root.Bucket(ok)
				if ob == nil {
					return fmt.Errorf("collections/%s: not a bucket: %w", ok, errCorrupt)
				}
				nc := ob.Cursor()
				nk, _ := nc.First()
				sameOwner := last != nil && bytes.Equal(ok, last[0])
				if sameOwner {
					nk, _ = nc.Seek(last[1])
				}
				for ; nk != nil; nk, _ = nc.Next() {
					c, err := loadColl(tx, string(ok), string(nk))
					if err != nil {
						return err
					}
					if c == nil || !c.indexed() {
						continue
					}
					lc := c.loose.Cursor()
					k, v := lc.First()
					if sameOwner && bytes.Equal(nk, last[1]) {
						k, v = seekAfter(lc, last[2])
					}
					for ; k != nil; k, v = lc.Next() {
						if len(buf) >= betweenChunk || keys >= betweenKeys {
							last = &[3][]byte{bytes.Clone(at[0]), bytes.Clone(at[1]), bytes.Clone(at[2])}
							more = true
							return nil
						}
						keys++
						at = [3][]byte{ok, nk, k}
						var tl storage.Timeline
						d := decoder{b: v}
						decodeBounds(&d, &tl)
						if d.err || len(d.b) != 0 {
							return fmt.Errorf("loose timeline %q: %w", k, errCorrupt)
						}
						if !tl.Renew || tl.Known && (tl.Until.IsZero() || !tl.Until.Before(before)) {
							continue
						}
						m, err := c.stat(string(k))
						if err != nil {
							return err
						}
						if m == nil {
							return fmt.Errorf("loose timeline %q without its object: %w", k, errCorrupt)
						}
						buf = append(buf, storage.TimelineDue{Owner: string(ok), Collection: string(nk), Name: m.Name, ETag: m.ETag})
					}
				}
			}
			return nil
		})
		if err != nil {
			return wrap(op, err)
		}
		for _, d := range buf {
			if err := fn(d); err != nil {
				return err
			}
		}
		if !more {
			return nil
		}
	}
}

// SetTimelines replaces timelines of members whose ETag is unchanged
// (storage.Store), through the group commit like any member write, but
// without touching meta, data, Seq or the change log.
func (db *DB) SetTimelines(ctx context.Context, owner, coll string, sets []storage.TimelineSet) (int, error) {
	const op = "set timelines"
	if err := ctxErr(ctx, op); err != nil {
		return 0, err
	}
	var (
		n      int
		failed error
	)
	err := db.write(func(tx *bbolt.Tx) error {
		n, failed = 0, nil
		c, err := loadColl(tx, owner, coll)
		if err != nil {
			return err
		}
		if c == nil {
			failed = notFoundColl(owner, coll)
			return nil
		}
		if !c.indexed() {
			return nil
		}
		for _, s := range sets {
			m, err := c.stat(s.Name)
			if err != nil {
				return err
			}
			if m == nil || m.ETag != s.ETag {
				continue
			}
			if err := c.dropTimeline(s.Name); err != nil {
				return err
			}
			if err := c.putTimeline(s.Name, m.ETag, s.Timeline); err != nil {
				return err
			}
			n++
		}
		return nil
	})
	if err == nil {
		err = failed
	}
	if err != nil {
		return 0, wrap(op, err)
	}
	return n, nil
}
