package bolt

import (
	"bytes"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"almanac/storage"

	"go.etcd.io/bbolt"
)

// newCalendar opens a fresh database with one account and its calendar
// "cal".
func newCalendar(t *testing.T) (*DB, string, *storage.Account) {
	t.Helper()
	db, path := openTemp(t)
	a := &storage.Account{Login: "u@example.org"}
	must(t, db.CreateAccount(t.Context(), a))
	must(t, db.CreateCollection(t.Context(), &storage.Collection{Owner: a.ID, Name: "cal", Kind: storage.KindCalendar}))
	return db, path, a
}

// putHour puts member name of a's calendar, with data as its bytes and
// its UID, taking the hour from at.
func putHour(t *testing.T, db *DB, a *storage.Account, name, data string, at time.Time) *storage.ObjectMeta {
	t.Helper()
	m, _, err := db.Put(t.Context(), storage.PutObject{Owner: a.ID, Collection: "cal", Name: name, UID: name, Data: []byte(data),
		ContentType: "text/calendar", Timeline: storage.Timeline{Known: true, Tag: 1, Periods: []storage.Period{{Start: at, End: at.Add(time.Hour)}}}})
	must(t, err)
	return m
}

// schema3When rewrites every when entry of owner's collection coll as a
// schema 3 binary wrote it: the tag and the pieces, no ETag.
func schema3When(t *testing.T, db *DB, owner, coll string) int {
	t.Helper()
	n := 0
	must(t, db.bdb.Update(func(tx *bbolt.Tx) error {
		w := collBucket(tx, owner, coll).Bucket(bucketWhen)
		type kv struct{ k, v []byte }
		var old []kv
		err := w.ForEach(func(k, v []byte) error {
			tag, _, pieces, ok := splitWhen(v)
			if !ok {
				t.Fatalf("when entry %q does not split", k)
			}
			old = append(old, kv{append([]byte(nil), k...), append([]byte{tag}, pieces...)})
			return nil
		})
		if err != nil {
			return err
		}
		for _, e := range old {
			if err := w.Put(e.k, e.v); err != nil {
				return err
			}
			n++
		}
		return tx.Bucket(bucketSchema).Put(keyVersion, []byte("3"))
	}))
	return n
}

// TestWhenEntriesOfSchema3: a file of schema 3 has when entries without
// ETags. It opens (read-only as it is, read-write stamped 4), checks
// clean, and Between answers those members with their full metadata even
// to a caller that wants ETags alone; a write gives its member's entries
// their ETag, and then the answer is the entry's.
func TestWhenEntriesOfSchema3(t *testing.T) {
	ctx := t.Context()
	db, path, a := newCalendar(t)
	day := time.Date(2026, 3, 10, 9, 0, 0, 0, time.UTC)
	put := func(name, data string) *storage.ObjectMeta { return putHour(t, db, a, name, data, day) }
	put("a.ics", "a")
	put("b.ics", "b")
	if n := schema3When(t, db, a.ID, "cal"); n != 2 {
		t.Fatalf("rewrote %d entries", n)
	}
	must(t, db.Close())

	// light reports, per member, whether Between gave only its name and
	// ETag (TimeQuery.ETags).
	between := func(db *DB) map[string]bool {
		t.Helper()
		light := map[string]bool{}
		report := func(name, etag string, only bool) {
			st, err := db.Stat(ctx, a.ID, "cal", name)
			must(t, err)
			if etag != st.ETag {
				t.Errorf("%s: ETag %q, stored %q", name, etag, st.ETag)
			}
			light[name] = only
		}
		q := storage.TimeQuery{From: day, To: day.Add(time.Hour),
			Want: func([]byte, storage.Period, uint8, bool) storage.Take { return storage.TakeMatch },
			ETags: func(name, etag []byte) error {
				report(string(name), string(etag), true)
				return nil
			}}
		must(t, db.Between(ctx, a.ID, "cal", q, func(m *storage.ObjectMeta, _ storage.Take) error {
			report(m.Name, m.ETag, false)
			return nil
		}))
		return light
	}
	ro, err := Open(path, Options{ReadOnly: true})
	must(t, err)
	if got := between(ro); len(got) != 2 || got["a.ics"] || got["b.ics"] {
		t.Errorf("schema 3 file read-only: %v, want both with full metadata", got)
	}
	must(t, ro.Close())

	db, err = Open(path, Options{})
	must(t, err)
	defer db.Close()
	var version string
	db.bdb.View(func(tx *bbolt.Tx) error { version = string(tx.Bucket(bucketSchema).Get(keyVersion)); return nil })
	if version != schemaVersion {
		t.Fatalf("schema after open: %q, want %q", version, schemaVersion)
	}
	if problems := problemsOf(t, db); len(problems) > 0 {
		t.Errorf("schema 3 entries: %v", problems)
	}
	put("a.ics", "a2")
	if got := between(db); !got["a.ics"] || got["b.ics"] {
		t.Errorf("after rewriting a.ics: %v, want a.ics from its entry, b.ics read", got)
	}
}

// TestCheckWhenETag: a when entry whose ETag is not its member's is a
// problem Check names (a metadata-only query would answer with it).
func TestCheckWhenETag(t *testing.T) {
	db, _, a := newCalendar(t)
	defer db.Close()
	day := time.Date(2026, 3, 10, 9, 0, 0, 0, time.UTC)
	putHour(t, db, a, "a.ics", "a", day)
	must(t, db.bdb.Update(func(tx *bbolt.Tx) error {
		w := collBucket(tx, a.ID, "cal").Bucket(bucketWhen)
		k, v := w.Cursor().First()
		tag, _, pieces, _ := splitWhen(v)
		return w.Put(append([]byte(nil), k...), whenValue(tag, "a.ics", `"stale"`, pieces))
	}))
	if problems := problemsOf(t, db); len(problems) != 1 || !strings.Contains(problems[0], "differs from its timeline") {
		t.Errorf("problems %v, want the when entry named", problems)
	}
}

// FuzzSplitWhen: any value splits or is refused without panicking, and
// what whenValue writes splits back.
func FuzzSplitWhen(f *testing.F) {
	f.Add([]byte{1, 2, 3}, "\"etag\"", uint8(1))
	f.Add([]byte{}, "", uint8(0))
	f.Fuzz(func(t *testing.T, pieces []byte, etag string, tag uint8) {
		tag &^= whenETag
		splitWhen(append([]byte{tag | whenETag}, pieces...))
		g, e, p, ok := splitWhen(whenValue(tag, "a.ics", etag, pieces))
		if !ok || g != tag || string(p) != string(pieces) {
			t.Fatalf("split %v %q %v %v", g, e, p, ok)
		}
		if keep := len(etag) <= 255 && storage.PlainMember("a.ics", etag); keep && string(e) != etag || !keep && e != nil {
			t.Fatalf("etag %q, want %q (kept: %v)", e, etag, keep)
		}
	})
}

// TestBetweenRefusesDamagedPieces: a when entry whose pieces end inside
// a number makes Between fail as corrupt, whether the damage is in a
// piece's start or its length, and answers no member from it.
func TestBetweenRefusesDamagedPieces(t *testing.T) {
	ctx := t.Context()
	db, _, a := newCalendar(t)
	day := time.Date(2026, 3, 10, 9, 0, 0, 0, time.UTC)
	putHour(t, db, a, "a.ics", "a", day)
	for _, damage := range []struct {
		name   string
		pieces []byte
	}{
		{"start cut", []byte{0x80}},
		{"length cut", []byte{0x01, 0x80}},
		{"length missing", []byte{0x01}},
	} {
		must(t, db.bdb.Update(func(tx *bbolt.Tx) error {
			w := collBucket(tx, a.ID, "cal").Bucket(bucketWhen)
			k, v := w.Cursor().First()
			tag, etag, _, ok := splitWhen(v)
			if !ok {
				t.Fatalf("when entry %q does not split", k)
			}
			return w.Put(bytes.Clone(k), whenValue(tag, "a.ics", string(etag), damage.pieces))
		}))
		var got []string
		err := db.Between(ctx, a.ID, "cal", storage.TimeQuery{From: day.Add(-time.Hour), To: day.Add(2 * time.Hour),
			Want: func(name []byte, _ storage.Period, _ uint8, _ bool) storage.Take {
				got = append(got, string(name))
				return storage.TakeMatch
			}}, func(m *storage.ObjectMeta, _ storage.Take) error {
			got = append(got, m.Name)
			return nil
		})
		if !errors.Is(err, errCorrupt) || !strings.Contains(err.Error(), "time index entry") {
			t.Errorf("%s: Between = %v, want a corrupt time index entry", damage.name, err)
		}
		if len(got) != 0 {
			t.Errorf("%s: answered %q from a damaged entry", damage.name, got)
		}
	}
}

// TestPlainETagsUpgrade: a schema 5 binary wrote an ETag into the when
// entries of every member; a file of schema 5 opened read-only hands
// those of members whose name needs escaping to fn, not ETags, and the
// read-write open drops their ETags (upgradePlain), keeps the others',
// and leaves a file Check finds sound, whose answers are the same.
func TestPlainETagsUpgrade(t *testing.T) {
	ctx := t.Context()
	db, path, a := newCalendar(t)
	day := time.Date(2026, 3, 10, 9, 0, 0, 0, time.UTC)
	weekly := storage.Timeline{Known: true, Tag: 1}
	for i := range 3 {
		weekly.Periods = append(weekly.Periods, storage.Period{Start: day.AddDate(0, 0, 7*i), End: day.AddDate(0, 0, 7*i).Add(time.Hour)})
	}
	names := []string{"a.ics", "b c.ics", "d&e.ics", "f<g>.ics", "ü.ics", "h~i_j-k.ics"}
	for _, n := range names {
		_, _, err := db.Put(ctx, storage.PutObject{Owner: a.ID, Collection: "cal", Name: n, UID: n, Data: []byte(n),
			ContentType: "text/calendar", Timeline: weekly})
		must(t, err)
	}
	// What a schema 5 binary wrote: an ETag in every entry.
	must(t, db.bdb.Update(func(tx *bbolt.Tx) error {
		w := collBucket(tx, a.ID, "cal").Bucket(bucketWhen)
		var keys, vals [][]byte
		err := w.ForEach(func(k, v []byte) error {
			tag, _, pieces, ok := splitWhen(v)
			if !ok {
				t.Fatalf("entry %q does not split", k)
			}
			name := string(k[8:])
			keys = append(keys, bytes.Clone(k))
			vals = append(vals, slices.Concat([]byte{tag | whenETag, byte(len(storage.ETagOf([]byte(name))))}, []byte(storage.ETagOf([]byte(name))), pieces))
			return nil
		})
		for i := range keys {
			must(t, w.Put(keys[i], vals[i]))
		}
		if len(keys) != 3*len(names) {
			t.Fatalf("%d when entries, want %d", len(keys), 3*len(names))
		}
		if err != nil {
			return err
		}
		return tx.Bucket(bucketSchema).Put(keyVersion, []byte("5"))
	}))
	must(t, db.Close())

	// answer is who comes to fn and who to ETags, over the whole series.
	answer := func(db *DB, what string) (viaFn, viaETags []string) {
		t.Helper()
		q := storage.TimeQuery{From: day.Add(-time.Hour), To: day.AddDate(0, 0, 21),
			Want:  func([]byte, storage.Period, uint8, bool) storage.Take { return storage.TakeMatch },
			ETags: func(name, etag []byte) error { viaETags = append(viaETags, string(name)); return nil }}
		must(t, db.Between(ctx, a.ID, "cal", q, func(m *storage.ObjectMeta, _ storage.Take) error {
			viaFn = append(viaFn, m.Name)
			return nil
		}))
		if got, want := strings.Join(viaFn, " "), "b c.ics d&e.ics f<g>.ics ü.ics"; got != want {
			t.Errorf("%s: fn got %q, want %q", what, got, want)
		}
		if got, want := strings.Join(viaETags, " "), "a.ics h~i_j-k.ics"; got != want {
			t.Errorf("%s: ETags got %q, want %q", what, got, want)
		}
		return viaFn, viaETags
	}
	ro, err := Open(path, Options{ReadOnly: true})
	must(t, err)
	answer(ro, "schema 5, read-only")
	must(t, ro.Close())

	db, err = Open(path, Options{})
	must(t, err)
	defer db.Close()
	answer(db, "upgraded")
	if problems := problemsOf(t, db); len(problems) > 0 {
		t.Errorf("upgraded file: %v", problems)
	}
	must(t, db.bdb.View(func(tx *bbolt.Tx) error {
		return collBucket(tx, a.ID, "cal").Bucket(bucketWhen).ForEach(func(k, v []byte) error {
			_, etag, _, _ := splitWhen(v)
			if plain := storage.PlainMember(k[8:], etag); etag != nil && !plain || etag == nil && storage.PlainMember(k[8:], []byte(nil)) {
				t.Errorf("upgraded entry of %q has ETag %q", k[8:], etag)
			}
			return nil
		})
	}))
}

// TestCheckUnplainETag: a when entry carrying the ETag of a member whose
// name needs escaping (which Between would hand to TimeQuery.ETags
// unchecked) is a problem Check names.
func TestCheckUnplainETag(t *testing.T) {
	db, _, a := newCalendar(t)
	defer db.Close()
	day := time.Date(2026, 3, 10, 9, 0, 0, 0, time.UTC)
	m := putHour(t, db, a, "a&b.ics", "a", day)
	if problems := problemsOf(t, db); len(problems) != 0 {
		t.Fatalf("problems %v before the damage", problems)
	}
	must(t, db.bdb.Update(func(tx *bbolt.Tx) error {
		w := collBucket(tx, a.ID, "cal").Bucket(bucketWhen)
		k, v := w.Cursor().First()
		tag, _, pieces, _ := splitWhen(v)
		return w.Put(bytes.Clone(k), slices.Concat([]byte{tag | whenETag, byte(len(m.ETag))}, []byte(m.ETag), pieces))
	}))
	if problems := problemsOf(t, db); len(problems) != 1 || !strings.Contains(problems[0], "differs from its timeline") {
		t.Errorf("problems %v, want the when entry named", problems)
	}
}
