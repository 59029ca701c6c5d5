package bolt

import (
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"almanac/storage"
)

// The hot records (object metadata, collection state, change log) use a
// small binary encoding rather than JSON: List decodes one per member and
// Put rewrites the state on every write. Each starts with a format byte so
// a later layout can be told apart.

const (
	// metaFormatV1 is the meta layout before spans: decoded with
	// Span{Known: false}, so such objects are candidates of every
	// time-range query until they are written again.
	metaFormatV1 = 1
	// metaFormat appends the span: a flag byte, then for a known span the
	// start as Unix seconds (varint), unless open the end as seconds after
	// the start (varint), and when either has a fraction of a second both
	// nanosecond parts (uvarint). Seconds rather than UnixNano keep the
	// whole range of iCalendar years (UnixNano ends in 2262) and take five
	// bytes instead of nine.
	metaFormat = 2
	// metaFormatTagged is metaFormat followed by the schedule tag
	// (uvarint length, bytes). Objects without one keep metaFormat, so
	// that an older binary still reads them.
	metaFormatTagged = 3
	stateFormat      = 1
)

// Span flag bits.
const (
	spanKnown = 1 << iota
	spanOpen
	spanNanos
)

var errCorrupt = errors.New("corrupt record")

func seqKey(seq uint64) []byte {
	k := make([]byte, 8)
	binary.BigEndian.PutUint64(k, seq)
	return k
}

func keySeq(k []byte) uint64 {
	return binary.BigEndian.Uint64(k)
}

// state is the part of a collection that changes on every write, kept
// apart from the JSON info so a PUT never decodes or rewrites Props.
type state struct {
	seq, pruned uint64
	modified    time.Time
	incarnation string
}

func (s *state) encode() []byte {
	b := make([]byte, 0, 1+3*binary.MaxVarintLen64+len(s.incarnation))
	b = append(b, stateFormat)
	b = binary.AppendUvarint(b, s.seq)
	b = binary.AppendUvarint(b, s.pruned)
	b = binary.AppendVarint(b, s.modified.UnixNano())
	return append(b, s.incarnation...)
}

func decodeState(v []byte) (state, error) {
	var s state
	d := decoder{b: v}
	if d.byte() != stateFormat {
		return s, fmt.Errorf("collection state: %w", errCorrupt)
	}
	s.seq = d.uvarint()
	s.pruned = d.uvarint()
	s.modified = time.Unix(0, d.varint()).UTC()
	if d.err {
		return s, fmt.Errorf("collection state: %w", errCorrupt)
	}
	s.incarnation = string(d.b)
	return s, nil
}

// encodeMeta stores everything of m but its Name, which is the key.
func encodeMeta(m *storage.ObjectMeta) []byte {
	n := 1 + 4*binary.MaxVarintLen64 + len(m.UID) + len(m.Component) + len(m.ContentType) + len(m.ETag) + 3*binary.MaxVarintLen64 +
		1 + 4*binary.MaxVarintLen64
	format := byte(metaFormat)
	if m.ScheduleTag != "" {
		format = metaFormatTagged
		n += binary.MaxVarintLen64 + len(m.ScheduleTag)
	}
	b := make([]byte, 0, n)
	b = append(b, format)
	b = binary.AppendUvarint(b, m.Seq)
	b = binary.AppendVarint(b, m.Size)
	b = binary.AppendVarint(b, m.Modified.UnixNano())
	for _, s := range [...]string{m.UID, m.Component, m.ContentType, m.ETag} {
		b = binary.AppendUvarint(b, uint64(len(s)))
		b = append(b, s...)
	}
	b = appendSpan(b, m.Span)
	if format == metaFormatTagged {
		b = binary.AppendUvarint(b, uint64(len(m.ScheduleTag)))
		b = append(b, m.ScheduleTag...)
	}
	return b
}

func appendSpan(b []byte, s storage.Span) []byte {
	if !s.Known {
		return append(b, 0)
	}
	flags := byte(spanKnown)
	if s.Open {
		flags |= spanOpen
	}
	start := s.Start.Unix()
	startNs, endNs := s.Start.Nanosecond(), 0
	if !s.Open {
		endNs = s.End.Nanosecond()
	}
	if startNs != 0 || endNs != 0 {
		flags |= spanNanos
	}
	b = append(b, flags)
	b = binary.AppendVarint(b, start)
	if !s.Open {
		b = binary.AppendVarint(b, s.End.Unix()-start)
	}
	if flags&spanNanos != 0 {
		b = binary.AppendUvarint(b, uint64(startNs))
		b = binary.AppendUvarint(b, uint64(endNs))
	}
	return b
}

// decodeSpan reads what appendSpan wrote; d.err reports a short or bad
// record.
func decodeSpan(d *decoder) storage.Span {
	flags := d.byte()
	if flags&spanKnown == 0 {
		if flags != 0 {
			d.err = true
		}
		return storage.Span{}
	}
	if flags&^(spanKnown|spanOpen|spanNanos) != 0 {
		d.err = true
		return storage.Span{}
	}
	s := storage.Span{Known: true, Open: flags&spanOpen != 0}
	start := d.varint()
	var length int64
	if !s.Open {
		length = d.varint()
	}
	var startNs, endNs uint64
	if flags&spanNanos != 0 {
		startNs, endNs = d.uvarint(), d.uvarint()
		if startNs >= 1e9 || endNs >= 1e9 {
			d.err = true
		}
	}
	s.Start = time.Unix(start, int64(startNs)).UTC()
	if !s.Open {
		s.End = time.Unix(start+length, int64(endNs)).UTC()
	}
	return s
}

// decodeMeta copies everything out of v, which may point into the mmap.
func decodeMeta(name, v []byte) (*storage.ObjectMeta, error) {
	d := decoder{b: v}
	format := d.byte()
	if format != metaFormat && format != metaFormatV1 && format != metaFormatTagged {
		return nil, fmt.Errorf("object meta %q: %w", name, errCorrupt)
	}
	m := &storage.ObjectMeta{Name: string(name)}
	m.Seq = d.uvarint()
	m.Size = d.varint()
	m.Modified = time.Unix(0, d.varint()).UTC()
	// One allocation for the four strings: List decodes thousands of these.
	base := d.b
	all := string(base)
	for _, dst := range [...]*string{&m.UID, &m.Component, &m.ContentType, &m.ETag} {
		n := d.uvarint()
		if d.err || n > uint64(len(d.b)) {
			return nil, fmt.Errorf("object meta %q: %w", name, errCorrupt)
		}
		start := len(base) - len(d.b)
		*dst = all[start : start+int(n)]
		d.b = d.b[n:]
	}
	if format != metaFormatV1 {
		m.Span = decodeSpan(&d)
	}
	if format == metaFormatTagged {
		n := d.uvarint()
		if d.err || n == 0 || n > uint64(len(d.b)) {
			return nil, fmt.Errorf("object meta %q: %w", name, errCorrupt)
		}
		m.ScheduleTag = string(d.b[:n])
		d.b = d.b[n:]
	}
	if d.err || len(d.b) != 0 {
		return nil, fmt.Errorf("object meta %q: %w", name, errCorrupt)
	}
	return m, nil
}

// A change record is a flag byte, for changeTimed the time of the write
// (varint UnixNano), then the member name. Records written before changes
// carried their time lack the flag; PruneChanges dates them from their
// neighbours (prune.go).
const (
	changeDeleted = 1 << iota
	changeTimed
)

func encodeChange(name string, deleted bool, when time.Time) []byte {
	b := make([]byte, 0, 1+binary.MaxVarintLen64+len(name))
	flags := byte(changeTimed)
	if deleted {
		flags |= changeDeleted
	}
	b = append(b, flags)
	b = binary.AppendVarint(b, when.UnixNano())
	return append(b, name...)
}

// change is a decoded change record; when is zero for an untimed one.
type change struct {
	name    string
	deleted bool
	when    time.Time
}

func decodeChange(v []byte) (change, error) {
	d := decoder{b: v}
	flags := d.byte()
	if flags&^(changeDeleted|changeTimed) != 0 {
		return change{}, fmt.Errorf("change record: %w", errCorrupt)
	}
	c := change{deleted: flags&changeDeleted != 0}
	if flags&changeTimed != 0 {
		c.when = time.Unix(0, d.varint()).UTC()
	}
	if d.err || len(d.b) == 0 {
		return change{}, fmt.Errorf("change record: %w", errCorrupt)
	}
	c.name = string(d.b)
	return c, nil
}

// decoder reads varints, remembering the first failure so callers check
// once at the end.
type decoder struct {
	b   []byte
	err bool
}

func (d *decoder) byte() byte {
	if len(d.b) == 0 {
		d.err = true
		return 0
	}
	c := d.b[0]
	d.b = d.b[1:]
	return c
}

func (d *decoder) uvarint() uint64 {
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.err = true
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) varint() int64 {
	v, n := binary.Varint(d.b)
	if n <= 0 {
		d.err = true
		return 0
	}
	d.b = d.b[n:]
	return v
}
