package bolt

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"almanac/storage"
	"almanac/storage/storagetest"

	"go.etcd.io/bbolt"
)

// populatedFile returns the bytes of a database storagetest.Populate
// filled, and what it holds.
func populatedFile(t *testing.T) ([]byte, *storagetest.Population) {
	t.Helper()
	db, path := openTemp(t)
	p := storagetest.Populate(t, db)
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b, p
}

// checkFile runs CheckFile and returns the problems as lines.
func checkFile(t *testing.T, path string) []string {
	t.Helper()
	var got []string
	if _, err := CheckFile(t.Context(), path, Options{}, func(p storage.Problem) { got = append(got, p.String()) }); err != nil {
		t.Fatalf("CheckFile: %v", err)
	}
	return got
}

// TestCheckFindsBreakage breaks a populated database in one way at a
// time, as a bug or a hand edit would, and wants Check to name it.
func TestCheckFindsBreakage(t *testing.T) {
	good, p := populatedFile(t)
	coll := func(tx *bbolt.Tx, name string) *bbolt.Bucket { return collBucket(tx, p.Jane, name) }
	cal := func(tx *bbolt.Tx, sub []byte) *bbolt.Bucket { return coll(tx, p.Calendar).Bucket(sub) }
	meta := func(tx *bbolt.Tx, name string) *storage.ObjectMeta {
		m, err := decodeMeta([]byte(name), cal(tx, bucketMeta).Get([]byte(name)))
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	setState := func(tx *bbolt.Tx, edit func(*state)) error {
		b := coll(tx, p.Calendar)
		st, err := decodeState(b.Get(keyState))
		if err != nil {
			return err
		}
		edit(&st)
		return b.Put(keyState, st.encode())
	}
	for _, tc := range []struct {
		name   string
		damage func(tx *bbolt.Tx) error
		want   string
	}{
		{"object without data", func(tx *bbolt.Tx) error { return cal(tx, bucketData).Delete([]byte("a.ics")) },
			`collection jane/default: object "a.ics": has metadata but no data`},
		{"data changed on disk", func(tx *bbolt.Tx) error { return cal(tx, bucketData).Put([]byte("e.ics"), []byte("garbage")) },
			`collection jane/default: object "e.ics": its data is 7 bytes, its metadata says`},
		{"data changed on disk, same size", func(tx *bbolt.Tx) error {
			d := cal(tx, bucketData).Get([]byte("e.ics"))
			return cal(tx, bucketData).Put([]byte("e.ics"), bytes.ToUpper(d))
		}, `collection jane/default: object "e.ics": its data does not match its ETag`},
		{"data without metadata", func(tx *bbolt.Tx) error { return cal(tx, bucketMeta).Delete([]byte("f.ics")) },
			`collection jane/default: object "f.ics": has data but no metadata`},
		{"object missing from the UID index", func(tx *bbolt.Tx) error { return cal(tx, bucketUIDs).Delete([]byte("uid-e")) },
			`collection jane/default: object "e.ics": its UID "uid-e" is not in the UID index`},
		{"UID index entry without its object", func(tx *bbolt.Tx) error { return cal(tx, bucketUIDs).Put([]byte("uid-x"), []byte("x.ics")) },
			`collection jane/default: UID index entry "uid-x" points to object "x.ics", which does not exist`},
		{"counter behind its change records", func(tx *bbolt.Tx) error {
			return setState(tx, func(st *state) { st.seq -= 2 })
		}, `is ahead of the collection counter`},
		{"pruned horizon ahead of the counter", func(tx *bbolt.Tx) error {
			return setState(tx, func(st *state) { st.pruned = st.seq + 1 })
		}, `collection jane/default: its pruned horizon`},
		{"object without its change record", func(tx *bbolt.Tx) error {
			return cal(tx, bucketChanges).Delete(seqKey(meta(tx, "e.ics").Seq))
		}, `collection jane/default: object "e.ics": its last write is change`},
		{"tombstone without its change record", func(tx *bbolt.Tx) error {
			return cal(tx, bucketChanges).Delete(cal(tx, bucketTombs).Get([]byte("d.ics")))
		}, `collection jane/default: tombstone of "d.ics" points to change record`},
		{"two change records for one name", func(tx *bbolt.Tx) error {
			return cal(tx, bucketChanges).Put(seqKey(1), encodeChange("e.ics", false, meta(tx, "e.ics").Modified))
		}, `collection jane/default: change record 1 is a write of "e.ics", whose last write is change`},
		{"object without its timeline", func(tx *bbolt.Tx) error { return cal(tx, bucketTimelines).Delete([]byte("a.ics")) },
			`collection jane/default: object "a.ics": has no timeline`},
		{"time index entry missing", func(tx *bbolt.Tx) error {
			k, _ := cal(tx, bucketWhen).Cursor().First()
			return cal(tx, bucketWhen).Delete(bytes.Clone(k))
		}, `collection jane/default: time index entry "`},
		{"loose timeline missing", func(tx *bbolt.Tx) error { return cal(tx, bucketLoose).Delete([]byte("e.ics")) },
			`collection jane/default: loose timeline "e.ics": missing`},
		{"loose timeline for a complete one", func(tx *bbolt.Tx) error { return cal(tx, bucketLoose).Put([]byte("zz.ics"), []byte{0}) },
			`collection jane/default: loose timeline "zz.ics": no timeline calls for it`},
		{"bounds entry missing", func(tx *bbolt.Tx) error {
			c := cal(tx, bucketBounds).Cursor()
			for k, _ := c.First(); k != nil; k, _ = c.Next() {
				if bytes.HasSuffix(k, []byte("e.ics")) {
					return c.Delete()
				}
			}
			return fmt.Errorf("e.ics has no bounds entry")
		}, `collection jane/default: bounds entry "`},
		{"bounds entry of nothing", func(tx *bbolt.Tx) error { return cal(tx, bucketBounds).Put([]byte("uzz.ics"), []byte{}) },
			`collection jane/default: bounds entry "uzz.ics": no timeline calls for it`},
		{"timeline without its object", func(tx *bbolt.Tx) error {
			return cal(tx, bucketTimelines).Put([]byte("ghost.ics"), encodeTimeline(&storage.Timeline{}))
		}, `collection jane/default: timeline "ghost.ics": belongs to no object`},
		{"calendar missing a time index bucket", func(tx *bbolt.Tx) error { return coll(tx, p.Calendar).DeleteBucket(bucketLoose) },
			`collection jane/default: its time index is missing a bucket`},
		{"collection without its buckets", func(tx *bbolt.Tx) error { return coll(tx, p.Contacts).DeleteBucket(bucketUIDs) },
			`collection jane/contacts: bucket uids missing`},
		{"link to a missing collection", func(tx *bbolt.Tx) error {
			return tx.Bucket(bucketCollections).Bucket([]byte(p.Jane)).DeleteBucket([]byte(p.Linked))
		}, `link "link-1": its collection jane/old does not exist`},
		{"link missing from its owner's index", func(tx *bbolt.Tx) error {
			return tx.Bucket(bucketLinkOwners).Bucket([]byte(p.Jane)).Delete([]byte(p.Link))
		}, `link "link-1": is not in the link index of "jane"`},
		{"grant of a missing collection", func(tx *bbolt.Tx) error {
			return tx.Bucket(bucketCollections).Bucket([]byte(p.Jane)).DeleteBucket([]byte(p.Shared))
		}, `grant of jane/shared to "bob": its collection does not exist`},
		{"grant to a missing account", func(tx *bbolt.Tx) error { return tx.Bucket(bucketAccounts).Delete([]byte(p.Carol)) },
			`grant of jane/default to "carol": its sharee account does not exist`},
		{"grant without its mount", func(tx *bbolt.Tx) error {
			return tx.Bucket(bucketMounts).Bucket([]byte(p.Bob)).Delete([]byte(p.Mount))
		}, `grant of jane/shared to "bob": its mount "jane-shared" is not in the sharee's mount index`},
		{"mount without its grant", func(tx *bbolt.Tx) error {
			return tx.Bucket(bucketMounts).Bucket([]byte(p.Bob)).Put([]byte("ghost"), encodeMountRef(p.Jane, p.Contacts))
		}, `mount bob/ghost: points to the grant of jane/contacts, which does not exist`},
		{"login missing from its index", func(tx *bbolt.Tx) error { return tx.Bucket(bucketLogins).Delete([]byte("bob@example.org")) },
			`account "bob": its login "bob@example.org" is not in the login index`},
		{"app password missing from its index", func(tx *bbolt.Tx) error { return tx.Bucket(bucketAppPasswordOwners).DeleteBucket([]byte(p.Jane)) },
			`app password "ap-1" of account "jane": is not in the account's app password index`},
		{"session of a missing account", func(tx *bbolt.Tx) error {
			if err := tx.Bucket(bucketAccounts).Delete([]byte(p.Bob)); err != nil {
				return err
			}
			return tx.Bucket(bucketLogins).Delete([]byte("bob@example.org"))
		}, `session of account "bob": its account does not exist`},
		{"member missing from the account's index", func(tx *bbolt.Tx) error {
			return tx.Bucket(bucketAccountOrgs).Bucket([]byte(p.Bob)).Delete([]byte(p.Org))
		}, `member "bob" of organization "acme": is not in the account's organization index`},
		{"mail domain missing from its index", func(tx *bbolt.Tx) error { return tx.Bucket(bucketMailDomains).Delete([]byte("example.net")) },
			`mail service "svc": its domain "example.net" is not in the domain index`},
		{"alias missing from its index", func(tx *bbolt.Tx) error {
			return tx.Bucket(bucketMailAliases).Bucket([]byte(p.Service)).Delete([]byte(p.Alias))
		}, `mailbox svc/info: its alias "sales" is not in the alias index`},
		{"mailbox link to a missing mailbox", func(tx *bbolt.Tx) error {
			return tx.Bucket(bucketMailboxes).Bucket([]byte(p.Service)).Delete([]byte(p.Mailbox))
		}, `mailbox link of svc/info to "jane": the mailbox does not exist`},
		{"a record where a bucket belongs", func(tx *bbolt.Tx) error { return tx.Bucket(bucketGrants).Put([]byte("x"), []byte("y")) },
			`grants/x: a record where a bucket belongs`},
		{"missing bucket", func(tx *bbolt.Tx) error { return tx.DeleteBucket(bucketMounts) }, `bucket mounts: missing`},
		{"unknown schema", func(tx *bbolt.Tx) error { return tx.Bucket(bucketSchema).Put(keyVersion, []byte("9")) },
			`schema: version "9" is not one this almanac knows`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "almanac.db")
			if err := os.WriteFile(path, good, 0o600); err != nil {
				t.Fatal(err)
			}
			bdb, err := bbolt.Open(path, 0o600, nil)
			if err != nil {
				t.Fatal(err)
			}
			if err := bdb.Update(tc.damage); err != nil {
				t.Fatal(err)
			}
			if err := bdb.Close(); err != nil {
				t.Fatal(err)
			}
			got := checkFile(t, path)
			found := false
			for _, line := range got {
				found = found || strings.Contains(line, tc.want)
				if strings.HasPrefix(line, "file:") {
					t.Errorf("a logical break reported as damage to the file: %s", line)
				}
			}
			if !found {
				t.Errorf("no problem %q among:\n%s", tc.want, strings.Join(got, "\n"))
			}
		})
	}
}

// TestCheckFindsDamagedPages overwrites a page of the file, as a disk
// error would: bbolt's page check reports it, and the walk after it
// stops with a problem instead of a panic.
func TestCheckFindsDamagedPages(t *testing.T) {
	good, _ := populatedFile(t)
	path := filepath.Join(t.TempDir(), "almanac.db")
	if err := os.WriteFile(path, good, 0o600); err != nil {
		t.Fatal(err)
	}
	// The collections bucket outgrows a page of its own: damage its root.
	var root, pageSize int
	bdb, err := bbolt.Open(path, 0o600, &bbolt.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	bdb.View(func(tx *bbolt.Tx) error {
		root = int(tx.Bucket(bucketCollections).Root())
		return nil
	})
	pageSize = bdb.Info().PageSize
	bdb.Close()
	if root == 0 {
		t.Fatal("the collections bucket is inline; populate more")
	}
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	// Page header: id (8 bytes), flags (2), count (2), overflow (4).
	if _, err := f.WriteAt([]byte{0xff, 0xff, 0xff, 0x7f}, int64(root*pageSize+8)); err != nil {
		t.Fatal(err)
	}
	f.Close()
	got := checkFile(t, path)
	found := false
	for _, line := range got {
		found = found || strings.HasPrefix(line, "file: ")
	}
	if !found {
		t.Errorf("no damage to the file among:\n%s", strings.Join(got, "\n"))
	}
}

func TestCheckFileRefusals(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "missing.db")
	if _, err := CheckFile(t.Context(), missing, Options{}, func(storage.Problem) {}); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
	empty := filepath.Join(dir, "empty.db")
	os.WriteFile(empty, nil, 0o600)
	if _, err := CheckFile(t.Context(), empty, Options{}, func(storage.Problem) {}); err == nil || !strings.Contains(err.Error(), "not a database file") {
		t.Errorf("empty file: %v", err)
	}
	if fi, _ := os.Stat(empty); fi.Size() != 0 {
		t.Error("CheckFile wrote to an empty file")
	}

	db, path := openTemp(t)
	defer db.Close()
	if _, err := CheckFile(t.Context(), path, Options{Timeout: 50e6}, func(storage.Problem) {}); !errors.Is(err, storage.ErrLocked) {
		t.Errorf("a file a server holds: %v", err)
	}
	// The server itself checks through a copy, which it removes.
	var problems []storage.Problem
	if _, err := db.Check(t.Context(), func(p storage.Problem) { problems = append(problems, p) }); err != nil || len(problems) != 0 {
		t.Fatalf("live check: %v %v", err, problems)
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Errorf("the check left files behind: %v", entries)
	}
}

// FuzzCheckFile damages a populated database file at an offset, as a
// disk or a hand edit would: whatever the bytes, CheckFile reports and
// returns, never panics.
func FuzzCheckFile(f *testing.F) {
	path := filepath.Join(f.TempDir(), "almanac.db")
	db, err := Open(path, Options{})
	if err != nil {
		f.Fatal(err)
	}
	storagetest.Populate(f, db)
	if err := db.Close(); err != nil {
		f.Fatal(err)
	}
	good, err := os.ReadFile(path)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(uint32(0), []byte{0})
	f.Add(uint32(4096*2+16), []byte{0xff, 0xff})
	f.Add(uint32(4096*5+100), []byte("garbage in a leaf"))
	f.Fuzz(func(t *testing.T, at uint32, patch []byte) {
		b := bytes.Clone(good)
		copy(b[int(at)%len(b):], patch)
		p := filepath.Join(t.TempDir(), "almanac.db")
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		CheckFile(t.Context(), p, Options{}, func(storage.Problem) {})
	})
}

// fileLayout finds things in a database image by its page layout.
type fileLayout struct {
	b        []byte
	pageSize int
	root     uint64 // the root bucket's page
	hwm      int    // pages in use
}

func newFileLayout(t *testing.T, b []byte) *fileLayout {
	t.Helper()
	m := b[pageHeaderSize:]
	if order.Uint32(m) != boltMagic {
		t.Fatal("no meta page")
	}
	ps := int(order.Uint32(m[8:]))
	// The current meta is the one of the later transaction.
	if m1 := b[ps+pageHeaderSize:]; order.Uint64(m1[48:]) > order.Uint64(m[48:]) {
		m = m1
	}
	return &fileLayout{b: b, pageSize: ps, root: order.Uint64(m[16:]), hwm: int(order.Uint64(m[40:]))}
}

// element returns the file offset of the element of page id that holds
// key (following branches), and the page's offset.
func (l *fileLayout) element(t *testing.T, id uint64, key string) (elem, page int) {
	t.Helper()
	page = int(id) * l.pageSize
	p := l.b[page:]
	flags, count := order.Uint16(p[8:]), int(order.Uint16(p[10:]))
	for i := count - 1; i >= 0; i-- {
		off := pageHeaderSize + i*elementSize
		e := p[off:]
		if flags == branchPageFlag {
			pos, ksize := int(order.Uint32(e)), int(order.Uint32(e[4:]))
			if string(p[off+pos:off+pos+ksize]) <= key {
				return l.element(t, order.Uint64(e[8:]), key)
			}
			continue
		}
		pos, ksize := int(order.Uint32(e[4:])), int(order.Uint32(e[8:]))
		if string(p[off+pos:off+pos+ksize]) == key {
			return page + off, page
		}
	}
	t.Fatalf("no key %q under page %d", key, id)
	return 0, 0
}

// bucketHeader returns the file offset of top-level bucket name's header.
func (l *fileLayout) bucketHeader(t *testing.T, name string) int {
	t.Helper()
	elem, _ := l.element(t, l.root, name)
	e := l.b[elem:]
	return elem + int(order.Uint32(e[4:])) + int(order.Uint32(e[8:]))
}

// TestCheckFindsDamagedStructure damages the page structure of a file in
// ways that make bbolt fault, loop or panic on a goroutine of its own
// when it reads them; check reports each in words and returns.
func TestCheckFindsDamagedStructure(t *testing.T) {
	good, _ := populatedFile(t)
	l := newFileLayout(t, good)
	collRoot := order.Uint64(good[l.bucketHeader(t, string(bucketCollections)):])
	if collRoot == 0 {
		t.Fatal("the collections bucket is inline; populate more")
	}
	for _, tc := range []struct {
		name   string
		damage func(b []byte) []byte
		want   string
	}{
		{"a page of no known type", func(b []byte) []byte {
			order.PutUint16(b[int(collRoot)*l.pageSize+8:], 0xffff)
			return b
		}, "has page type 0xffff"},
		{"two buckets share a page", func(b []byte) []byte {
			order.PutUint64(b[l.bucketHeader(t, string(bucketLogins)):], collRoot)
			return b
		}, "is referenced twice"},
		{"a bucket inside itself", func(b []byte) []byte {
			order.PutUint64(b[l.bucketHeader(t, string(bucketCollections)):], l.root)
			return b
		}, "is referenced twice"},
		{"a bucket past the pages in use", func(b []byte) []byte {
			order.PutUint64(b[l.bucketHeader(t, string(bucketLogins)):], 1<<40)
			return b
		}, "outside the"},
		{"an element pointing outside its page", func(b []byte) []byte {
			elem, _ := l.element(t, l.root, string(bucketMounts))
			order.PutUint32(b[elem+4:], 1<<30)
			return b
		}, "points outside the page"},
		{"keys out of order", func(b []byte) []byte {
			// The element of "grants" gets the key of "accounts" (same
			// length is not needed: position and size are copied).
			a, _ := l.element(t, l.root, string(bucketAccounts))
			g, _ := l.element(t, l.root, string(bucketGrants))
			pos := int(order.Uint32(b[a+4:])) + a - g
			order.PutUint32(b[g+4:], uint32(pos))
			order.PutUint32(b[g+8:], order.Uint32(b[a+8:]))
			return b
		}, "out of order"},
		{"cut short", func(b []byte) []byte { return b[:l.hwm*l.pageSize/2] }, "too short for its"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "almanac.db")
			if err := os.WriteFile(path, tc.damage(bytes.Clone(good)), 0o600); err != nil {
				t.Fatal(err)
			}
			got := checkFile(t, path)
			if len(got) == 0 || !strings.HasPrefix(got[0], "file: ") || !strings.Contains(strings.Join(got, "\n"), tc.want) {
				t.Errorf("want a damaged file, %q, among:\n%s", tc.want, strings.Join(got, "\n"))
			}
		})
	}
}
