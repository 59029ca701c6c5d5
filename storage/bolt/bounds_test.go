package bolt

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"almanac/storage"

	"go.etcd.io/bbolt"
)

// TestBoundsAnswerAsTimelines: Between finds the incomplete members of a
// range through the bounds bucket (schema 5) exactly as the timelines
// call for, and a file of schema 4 (no bounds) answers the same read-only,
// through its loose entries, and again after the upgrade adds the bounds.
// The members' timelines are unknown, bounded by Until, by From or by
// both, or complete; the ranges open or bounded on either side, on and
// off whole seconds, near the bounds.
func TestBoundsAnswerAsTimelines(t *testing.T) {
	ctx := t.Context()
	db, path := openTemp(t)
	a := &storage.Account{Login: "u@example.org"}
	must(t, db.CreateAccount(ctx, a))
	must(t, db.CreateCollection(ctx, &storage.Collection{Owner: a.ID, Name: "cal", Kind: storage.KindCalendar}))
	rng := rand.New(rand.NewPCG(5, 19))
	base := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
	at := func() time.Time { return base.Add(time.Duration(rng.IntN(90*24)-30*24) * time.Hour) }
	stored := map[string]storage.Timeline{}
	for i := range 300 {
		name := fmt.Sprintf("m%03d.ics", i)
		tl := storage.Timeline{Known: true, Renew: true, Tag: uint8(1 + rng.IntN(2))}
		for range rng.IntN(4) {
			s := at()
			tl.Periods = append(tl.Periods, storage.Period{Start: s, End: s.Add(time.Duration(rng.IntN(48)) * time.Hour)})
		}
		switch rng.IntN(5) {
		case 0:
			tl = storage.Timeline{Renew: true}
		case 1:
			tl.Until = at()
		case 2:
			tl.From = at()
		case 3:
			tl.From, tl.Until = at(), at()
		}
		_, _, err := db.Put(ctx, storage.PutObject{Owner: a.ID, Collection: "cal", Name: name, UID: name, Data: []byte(name), Timeline: tl})
		must(t, err)
		got, err := db.Timeline(ctx, a.ID, "cal", name)
		must(t, err)
		stored[name] = got // as the store keeps it
	}
	type query struct{ from, to time.Time }
	var queries []query
	for range 300 {
		q := query{at(), at()}
		if rng.IntN(2) == 0 {
			q.from = q.from.Add(time.Duration(rng.IntN(1e9)))
		}
		if rng.IntN(3) == 0 {
			// On a bound, to the second.
			for _, tl := range stored {
				if !tl.Until.IsZero() {
					q.to = tl.Until
				}
				if !tl.From.IsZero() {
					q.from = tl.From
				}
				if rng.IntN(4) == 0 {
					break
				}
			}
			if rng.IntN(2) == 0 { // just past the bound's second
				q.to = q.to.Add(time.Duration(1 + rng.IntN(1e9-1)))
			}
			if rng.IntN(2) == 0 {
				q.from = q.from.Add(time.Duration(1 + rng.IntN(1e9-1)))
			}
		}
		switch rng.IntN(6) {
		case 0:
			q.from = time.Time{}
		case 1:
			q.to = time.Time{}
		}
		if !q.from.IsZero() && !q.to.IsZero() && !q.to.After(q.from) {
			q.from, q.to = q.to, q.from.Add(time.Second)
		}
		queries = append(queries, q)
	}
	// want: members with a period overlapping the range and tag 1 match;
	// the others whose timelines leave the range unanswered are read.
	want := func(q query) string {
		var out []string
		for name, tl := range stored {
			match := false
			for _, p := range tl.Periods {
				match = match || tl.Tag == 1 && p.Overlaps(q.from, q.to)
			}
			switch {
			case match:
				out = append(out, name+"=match")
			case incompleteFor(&tl, q.from, q.to):
				out = append(out, name+"=read")
			}
		}
		slices.Sort(out)
		return strings.Join(out, " ")
	}
	// rules: the same answers decided ahead (TimeQuery.Rules), tag 1
	// matching what overlaps the range, any other passed over.
	var rules [256]storage.Rule
	for tag := range rules {
		rules[tag] = storage.RuleNo
	}
	rules[1] = storage.RuleExact
	answer := func(db *DB, q query) string {
		var out [2]string
		for i := range out {
			var got []string
			tq := storage.TimeQuery{From: q.from, To: q.to, Want: func(_ []byte, _ storage.Period, tag uint8, incomplete bool) storage.Take {
				switch {
				case incomplete:
					return storage.TakeRead
				case tag == 1:
					return storage.TakeMatch
				}
				return storage.TakeNo
			}}
			if i == 1 {
				tq.Rules, tq.Exact = &rules, storage.Period{Start: q.from, End: q.to}
			}
			must(t, db.Between(ctx, a.ID, "cal", tq, func(m *storage.ObjectMeta, take storage.Take) error {
				got = append(got, m.Name+map[storage.Take]string{storage.TakeMatch: "=match", storage.TakeRead: "=read"}[take])
				return nil
			}))
			slices.Sort(got)
			out[i] = strings.Join(got, " ")
		}
		if out[0] != out[1] {
			t.Fatalf("[%v, %v): with Want\n%s\nwith Rules\n%s", q.from, q.to, out[0], out[1])
		}
		return out[0]
	}
	check := func(db *DB, what string) {
		t.Helper()
		incomplete := 0
		for _, q := range queries {
			w := want(q)
			if got := answer(db, q); got != w {
				t.Fatalf("%s, [%v, %v):\ngot  %s\nwant %s", what, q.from, q.to, got, w)
			}
			incomplete += strings.Count(w, "=read")
		}
		if incomplete == 0 {
			t.Fatalf("%s: no query found an incomplete member; the test checks nothing", what)
		}
	}
	check(db, "schema 5")

	// What a schema 4 binary wrote: no bounds.
	must(t, db.bdb.Update(func(tx *bbolt.Tx) error {
		if err := collBucket(tx, a.ID, "cal").DeleteBucket(bucketBounds); err != nil {
			return err
		}
		return tx.Bucket(bucketSchema).Put(keyVersion, []byte("4"))
	}))
	must(t, db.Close())
	ro, err := Open(path, Options{ReadOnly: true})
	must(t, err)
	check(ro, "schema 4, read-only")
	must(t, ro.Close())

	db, err = Open(path, Options{})
	must(t, err)
	defer db.Close()
	check(db, "upgraded from schema 4")
	if problems := problemsOf(t, db); len(problems) > 0 {
		t.Errorf("upgraded file: %v", problems)
	}
	// Writes keep the bounds: every member rewritten as its opposite.
	for name, tl := range stored {
		if tl.Known {
			tl = storage.Timeline{Renew: true}
		} else {
			tl = storage.Timeline{Known: true, Until: at(), Tag: 1}
		}
		_, _, err := db.Put(ctx, storage.PutObject{Owner: a.ID, Collection: "cal", Name: name, UID: name, Data: []byte(name + "2"), Timeline: tl})
		must(t, err)
		got, err := db.Timeline(ctx, a.ID, "cal", name)
		must(t, err)
		stored[name] = got
	}
	check(db, "rewritten")
	if problems := problemsOf(t, db); len(problems) > 0 {
		t.Errorf("after the writes: %v", problems)
	}
}
