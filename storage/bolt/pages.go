package bolt

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"io"
	"math"
	"os"
)

// verifyPages checks the page structure of the bbolt file at path before
// bbolt reads it. bbolt trusts its pages: it reads them through unsafe
// pointers into the mapped file, so a damaged page can make it fault,
// recurse without end or panic on a goroutine of its own, all of which
// end the process rather than fail a check. verifyPages reads the file
// with bounds checks instead and walks the same trees bbolt would, so
// that once it finds nothing, every page bbolt's check, the record walk
// and the server read is one that can be read. It follows bbolt v1's
// layout (go.etcd.io/bbolt/internal/common) in the machine's byte order,
// which is the file's.
func verifyPages(path string, report func(string)) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	v := &pageVerifier{r: f, size: fi.Size(), report: report, seen: map[uint64]bool{}}
	v.run()
	return nil
}

// The layout of bbolt v1 files.
const (
	pageHeaderSize   = 16 // id uint64, flags uint16, count uint16, overflow uint32
	elementSize      = 16 // leaf: flags, pos, ksize, vsize uint32; branch: pos, ksize uint32, pgid uint64
	bucketHeaderSize = 16 // root pgid uint64, sequence uint64
	metaSize         = 64 // magic, version, pageSize, flags uint32; root bucket; freelist, pgid, txid, checksum uint64
	metaSumSize      = 56 // the meta bytes its FNV-64a checksum covers

	branchPageFlag   = 0x01
	leafPageFlag     = 0x02
	freelistPageFlag = 0x10
	bucketLeafFlag   = 0x01

	boltMagic     = 0xED0CDAED
	boltVersion   = 2
	noFreelist    = math.MaxUint64
	maxTreeDepth  = 64 // pages on a path from a root, and buckets within buckets
	maxReportable = 100
)

var order = binary.NativeEndian

type pageVerifier struct {
	r        io.ReaderAt
	size     int64
	report   func(string)
	problems int
	pageSize int64
	hwm      uint64 // pages below it are in use or free
	seen     map[uint64]bool
}

func (v *pageVerifier) bad(format string, args ...any) {
	v.problems++
	if v.problems <= maxReportable {
		v.report(fmt.Sprintf(format, args...))
	}
}

func (v *pageVerifier) run() {
	meta, ok := v.meta()
	if !ok {
		return
	}
	v.pageSize = int64(order.Uint32(meta[8:]))
	v.hwm = order.Uint64(meta[40:])
	if v.hwm < 2 || v.hwm > uint64(v.size/v.pageSize) {
		v.bad("the file is %d bytes, too short for its %d pages of %d bytes", v.size, v.hwm, v.pageSize)
		return
	}
	v.seen[0], v.seen[1] = true, true
	if fl := order.Uint64(meta[32:]); fl != noFreelist {
		v.freelist(fl)
	}
	v.tree(order.Uint64(meta[16:]), "the root bucket", 0)
}

// meta returns the current meta page: the valid one of the two with the
// higher transaction, as bbolt picks it.
func (v *pageVerifier) meta() ([]byte, bool) {
	var best []byte
	var bestTx uint64
	var reasons []string
	for i := range 2 {
		m, why := v.readMeta(i)
		if why != "" {
			reasons = append(reasons, fmt.Sprintf("meta page %d %s", i, why))
			continue
		}
		if tx := order.Uint64(m[48:]); best == nil || tx > bestTx {
			best, bestTx = m, tx
		}
	}
	if best == nil {
		v.bad("not a bbolt database: %s and %s", reasons[0], reasons[1])
		return nil, false
	}
	return best, true
}

// readMeta reads meta page i; why says what is wrong with it.
func (v *pageVerifier) readMeta(i int) ([]byte, string) {
	// The page size is in the meta page itself: meta 0 is at offset 0,
	// meta 1 one page later, found by trying the first meta's size.
	off := int64(0)
	if i == 1 {
		m0 := make([]byte, metaSize)
		if _, err := v.r.ReadAt(m0, pageHeaderSize); err != nil {
			return nil, "is unreadable"
		}
		off = int64(order.Uint32(m0[8:]))
		if !validPageSize(off) {
			off = 4096
		}
	}
	m := make([]byte, metaSize)
	if _, err := v.r.ReadAt(m, off+pageHeaderSize); err != nil {
		return nil, "is unreadable"
	}
	h := fnv.New64a()
	h.Write(m[:metaSumSize])
	switch {
	case order.Uint32(m) != boltMagic:
		return nil, "has no bbolt marker"
	case order.Uint32(m[4:]) != boltVersion:
		return nil, fmt.Sprintf("is of bbolt format version %d", order.Uint32(m[4:]))
	case h.Sum64() != order.Uint64(m[metaSumSize:]):
		return nil, "fails its checksum"
	case !validPageSize(int64(order.Uint32(m[8:]))):
		return nil, fmt.Sprintf("has page size %d", order.Uint32(m[8:]))
	}
	return m, ""
}

func validPageSize(n int64) bool {
	return n >= 512 && n <= 1<<16 && n&(n-1) == 0
}

// page reads page id with its overflow pages, checking that it is in
// the file, identifies as id, has one of the flags in want and is
// referenced for the first time. what names the referrer for messages.
func (v *pageVerifier) page(id uint64, want uint16, what string) []byte {
	if id < 2 || id >= v.hwm {
		v.bad("%s points to page %d, outside the %d pages in use", what, id, v.hwm)
		return nil
	}
	hdr := make([]byte, pageHeaderSize)
	if _, err := v.r.ReadAt(hdr, int64(id)*v.pageSize); err != nil {
		v.bad("page %d (%s) is unreadable: %v", id, what, err)
		return nil
	}
	flags, overflow := order.Uint16(hdr[8:]), uint64(order.Uint32(hdr[12:]))
	switch {
	case order.Uint64(hdr) != id:
		v.bad("page %d (%s) identifies as page %d", id, what, order.Uint64(hdr))
		return nil
	case flags&want == 0 || flags&(flags-1) != 0:
		v.bad("page %d (%s) has page type %#x", id, what, flags)
		return nil
	case id+overflow >= v.hwm:
		v.bad("page %d (%s) runs past the %d pages in use", id, what, v.hwm)
		return nil
	}
	for i := id; i <= id+overflow; i++ {
		if v.seen[i] {
			v.bad("page %d is referenced twice (again by %s)", i, what)
			return nil
		}
	}
	for i := id; i <= id+overflow; i++ {
		v.seen[i] = true
	}
	p := make([]byte, int64(overflow+1)*v.pageSize)
	if _, err := v.r.ReadAt(p, int64(id)*v.pageSize); err != nil {
		v.bad("page %d (%s) is unreadable: %v", id, what, err)
		return nil
	}
	return p
}

// freelist checks a synced free list page (almanac does not sync it,
// other bbolt programs may).
func (v *pageVerifier) freelist(id uint64) {
	p := v.page(id, freelistPageFlag, "the free list")
	if p == nil {
		return
	}
	n := uint64(order.Uint16(p[10:]))
	start := uint64(pageHeaderSize)
	if n == 0xffff {
		if len(p) < pageHeaderSize+8 {
			v.bad("free list page %d is cut short", id)
			return
		}
		n, start = order.Uint64(p[pageHeaderSize:]), start+8
	}
	if n > uint64(len(p))/8 || start+n*8 > uint64(len(p)) {
		v.bad("free list page %d lists more pages than it holds", id)
	}
}

// tree walks the B+tree of one bucket from its root page.
func (v *pageVerifier) tree(root uint64, bucket string, depth int) {
	v.node(root, bucket, nil, nil, depth)
}

// node checks page id of bucket and its subtree: elements within the
// page, keys ascending and within [lo, hi) as the parent branch says,
// and children and nested buckets in turn.
func (v *pageVerifier) node(id uint64, bucket string, lo, hi []byte, depth int) {
	if depth > maxTreeDepth {
		v.bad("%s is nested more than %d levels deep at page %d", bucket, maxTreeDepth, id)
		return
	}
	p := v.page(id, branchPageFlag|leafPageFlag, bucket)
	if p == nil {
		return
	}
	v.elements(p, fmt.Sprintf("page %d", id), bucket, lo, hi, depth)
}

// elements checks the elements of the page p (a page of the file, or an
// inline bucket's page inside a value).
func (v *pageVerifier) elements(p []byte, where, bucket string, lo, hi []byte, depth int) {
	if len(p) < pageHeaderSize {
		v.bad("%s of %s is cut short", where, bucket)
		return
	}
	flags, count := order.Uint16(p[8:]), int(order.Uint16(p[10:]))
	if pageHeaderSize+count*elementSize > len(p) {
		v.bad("%s of %s claims %d elements, more than it holds", where, bucket, count)
		return
	}
	if flags == branchPageFlag && count == 0 {
		v.bad("%s of %s is a branch without children", where, bucket)
		return
	}
	type elem struct {
		key, value []byte
		child      uint64
		isBucket   bool
	}
	elems := make([]elem, 0, count)
	for i := range count {
		off := pageHeaderSize + i*elementSize
		e := p[off : off+elementSize]
		var pos, ksize, vsize uint64
		var el elem
		if flags == branchPageFlag {
			pos, ksize, el.child = uint64(order.Uint32(e)), uint64(order.Uint32(e[4:])), order.Uint64(e[8:])
		} else {
			el.isBucket = order.Uint32(e)&bucketLeafFlag != 0
			pos, ksize, vsize = uint64(order.Uint32(e[4:])), uint64(order.Uint32(e[8:])), uint64(order.Uint32(e[12:]))
		}
		start := uint64(off) + pos
		if start+ksize+vsize > uint64(len(p)) {
			v.bad("%s of %s: element %d points outside the page", where, bucket, i)
			return
		}
		el.key, el.value = p[start:start+ksize], p[start+ksize:start+ksize+vsize]
		prev := lo
		if i > 0 {
			prev = elems[i-1].key
		}
		if prev != nil && (bytes.Compare(el.key, prev) < 0 || i > 0 && bytes.Equal(el.key, prev)) || hi != nil && bytes.Compare(el.key, hi) >= 0 {
			v.bad("%s of %s: key %d is out of order", where, bucket, i)
			return
		}
		elems = append(elems, el)
	}
	for i, el := range elems {
		switch {
		case flags == branchPageFlag:
			next := hi
			if i+1 < len(elems) {
				next = elems[i+1].key
			}
			v.node(el.child, bucket, el.key, next, depth+1)
		case el.isBucket:
			v.bucket(el.value, fmt.Sprintf("bucket %q", el.key), depth+1)
		}
	}
}

// bucket checks a nested bucket from its header, which is followed by
// its page when the bucket is inline.
func (v *pageVerifier) bucket(value []byte, name string, depth int) {
	if depth > maxTreeDepth {
		v.bad("%s is nested more than %d levels deep", name, maxTreeDepth)
		return
	}
	if len(value) < bucketHeaderSize {
		v.bad("%s has a header cut short", name)
		return
	}
	root := order.Uint64(value)
	if root != 0 {
		v.tree(root, name, depth)
		return
	}
	inline := value[bucketHeaderSize:]
	if len(inline) < pageHeaderSize || order.Uint16(inline[8:]) != leafPageFlag {
		v.bad("%s is inline but holds no leaf page", name)
		return
	}
	v.elements(inline, "its inline page", name, nil, nil, depth)
}
