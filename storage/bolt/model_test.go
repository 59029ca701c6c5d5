package bolt

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"almanac/storage"

	"go.etcd.io/bbolt"
)

// TestRandomOpsMatchModel runs a seeded random mix of writes over two
// collections against a plain in-memory model, comparing outcomes, state
// and change logs after every step, and checking the bucket invariants
// the incremental change walk relies on.
func TestRandomOpsMatchModel(t *testing.T) {
	ctx := t.Context()
	db, _ := openTemp(t)
	defer db.Close()
	a := &storage.Account{Login: "m@example.org"}
	if err := db.CreateAccount(ctx, a); err != nil {
		t.Fatal(err)
	}
	colls := []string{"one", "two"}
	model := map[string]*modelColl{}
	for _, name := range colls {
		c := &storage.Collection{Owner: a.ID, Name: name, Kind: storage.KindCalendar}
		if err := db.CreateCollection(ctx, c); err != nil {
			t.Fatal(err)
		}
		model[name] = &modelColl{inc: c.Incarnation, objs: map[string]modelObj{}, log: map[string]modelChange{}}
	}

	rng := rand.New(rand.NewPCG(1, 2))
	pick := func(n int, prefix string) string { return fmt.Sprint(prefix, rng.IntN(n)) }
	for step := range 400 {
		coll := colls[rng.IntN(2)]
		m := model[coll]
		var desc string
		var got, want error
		switch op := rng.IntN(10); {
		case op < 5:
			name, uid := pick(10, "n"), pick(7, "u")
			data := []byte(fmt.Sprint("data ", step))
			tl := modelTimeline(rng)
			desc = fmt.Sprintf("put %s/%s uid %s", coll, name, uid)
			_, _, got = db.Put(ctx, storage.PutObject{Owner: a.ID, Collection: coll, Name: name, UID: uid, Data: data, Timeline: tl})
			want = m.put(name, uid, data, tl)
		case op < 7:
			name := pick(10, "n")
			desc = fmt.Sprintf("delete %s/%s", coll, name)
			got = db.Delete(ctx, a.ID, coll, name, nil)
			want = m.remove(name)
		case op < 9:
			to := colls[rng.IntN(2)]
			tr := storage.Transfer{
				FromOwner: a.ID, FromCollection: coll, FromName: pick(10, "n"),
				ToOwner: a.ID, ToCollection: to, ToName: pick(10, "n"),
				Overwrite: rng.IntN(2) == 0, Copy: rng.IntN(2) == 0,
			}
			desc = fmt.Sprintf("transfer %+v", tr)
			_, got = db.Transfer(ctx, tr)
			want = transferModel(m, model[to], coll == to, tr)
		default:
			horizon := rng.Uint64N(m.seq + 2)
			desc = fmt.Sprintf("prune %s at %d", coll, horizon)
			got = pruneColl(db, a.ID, coll, horizon)
			m.prune(horizon)
		}
		if !sameOutcome(got, want) {
			t.Fatalf("step %d %s: err = %v, model says %v", step, desc, got, want)
		}
		for _, name := range colls {
			compareModel(t, db, a.ID, name, model[name], fmt.Sprintf("step %d %s", step, desc), rng)
		}
	}
}

type modelObj struct {
	uid  string
	data []byte
	tl   storage.Timeline // as given
}

// modelTimeline is a random timeline: unknown, a few events, or a long
// stretch, some bounded.
func modelTimeline(rng *rand.Rand) storage.Timeline {
	base := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(rng.IntN(90*24)) * time.Hour)
	tl := storage.Timeline{Known: rng.IntN(6) != 0, Renew: rng.IntN(2) == 0, Tag: uint8(rng.IntN(4))}
	if !tl.Known {
		return tl
	}
	for i := range rng.IntN(5) {
		s := base.AddDate(0, 0, i*rng.IntN(20))
		tl.Periods = append(tl.Periods, storage.Period{Start: s, End: s.Add(time.Duration(rng.IntN(30*24)) * time.Hour)})
	}
	if rng.IntN(3) == 0 {
		tl.Until = base.AddDate(0, 3, 0)
	}
	return tl
}

type modelChange struct {
	seq     uint64
	deleted bool
}

type modelColl struct {
	inc         string
	seq, pruned uint64
	objs        map[string]modelObj
	log         map[string]modelChange // latest change per name, above pruned
}

func (m *modelColl) uidHolder(uid string) string {
	for name, o := range m.objs {
		if o.uid == uid {
			return name
		}
	}
	return ""
}

func (m *modelColl) put(name, uid string, data []byte, tl storage.Timeline) error {
	if old, ok := m.objs[name]; ok && old.uid != uid {
		return &storage.UIDConflictError{UID: uid, Name: name, Held: old.uid}
	}
	if h := m.uidHolder(uid); h != "" && h != name {
		return &storage.UIDConflictError{UID: uid, Name: h}
	}
	m.store(name, modelObj{uid, data, tl})
	return nil
}

func (m *modelColl) store(name string, o modelObj) {
	m.seq++
	m.objs[name] = o
	m.log[name] = modelChange{m.seq, false}
}

func (m *modelColl) remove(name string) error {
	if _, ok := m.objs[name]; !ok {
		return storage.ErrNotFound
	}
	m.seq++
	delete(m.objs, name)
	m.log[name] = modelChange{m.seq, true}
	return nil
}

func (m *modelColl) prune(horizon uint64) {
	horizon = min(horizon, m.seq)
	if horizon <= m.pruned {
		return
	}
	m.pruned = horizon
	for name, c := range m.log {
		if c.seq <= horizon {
			delete(m.log, name)
		}
	}
}

func transferModel(src, dst *modelColl, same bool, tr storage.Transfer) error {
	from, ok := src.objs[tr.FromName]
	if !ok {
		return storage.ErrNotFound
	}
	if same && tr.FromName == tr.ToName {
		return storage.ErrPreconditionFailed
	}
	to, exists := dst.objs[tr.ToName]
	if exists && !tr.Overwrite {
		return storage.ErrPreconditionFailed
	}
	if exists && to.uid != from.uid {
		return &storage.UIDConflictError{UID: from.uid, Name: tr.ToName, Held: to.uid}
	}
	if h := dst.uidHolder(from.uid); h != "" && h != tr.ToName && !(same && !tr.Copy && h == tr.FromName) {
		return &storage.UIDConflictError{UID: from.uid, Name: h}
	}
	if !tr.Copy {
		src.remove(tr.FromName)
	}
	dst.store(tr.ToName, from)
	return nil
}

func sameOutcome(got, want error) bool {
	var gc, wc *storage.UIDConflictError
	switch {
	case want == nil:
		return got == nil
	case errors.As(want, &wc):
		return errors.As(got, &gc) && *gc == *wc
	}
	return errors.Is(got, want)
}

// compareModel checks the stored objects, counters and a change log from
// a random valid position against the model, then the bucket invariants.
func compareModel(t *testing.T, db *DB, owner, coll string, m *modelColl, where string, rng *rand.Rand) {
	t.Helper()
	ctx := t.Context()
	c, err := db.Collection(ctx, owner, coll)
	if err != nil {
		t.Fatal(err)
	}
	if c.Seq != m.seq || c.Pruned != m.pruned {
		t.Fatalf("%s: %s Seq %d Pruned %d, model %d %d", where, coll, c.Seq, c.Pruned, m.seq, m.pruned)
	}
	var names []string
	err = db.Walk(ctx, owner, coll, func(o *storage.Object) error {
		names = append(names, o.Name)
		mo, ok := m.objs[o.Name]
		if !ok || o.UID != mo.uid || !bytes.Equal(o.Data, mo.data) || o.ETag != storage.ETagOf(mo.data) {
			return fmt.Errorf("%s stored as %+v %q, model %+v", o.Name, o.ObjectMeta, o.Data, mo)
		}
		return nil
	})
	if err != nil || len(names) != len(m.objs) {
		t.Fatalf("%s: %s: %v; stored %v, model has %d objects", where, coll, err, names, len(m.objs))
	}
	if err := checkInvariants(db, owner, coll); err != nil {
		t.Fatalf("%s: %s: %v", where, coll, err)
	}
	for name, mo := range m.objs {
		tl, err := db.Timeline(ctx, owner, coll, name)
		if err != nil {
			t.Fatal(err)
		}
		if want := normTimeline(mo.tl); fmt.Sprint(tl) != fmt.Sprint(want) {
			t.Fatalf("%s: %s/%s timeline %+v, model %+v", where, coll, name, tl, want)
		}
	}

	since := m.pruned + rng.Uint64N(m.seq-m.pruned+1)
	if since == 0 {
		since = m.pruned + 1
	}
	if since > m.seq {
		return
	}
	ch, _, _, err := db.Changes(ctx, owner, coll, m.inc, since, 0)
	if err != nil {
		t.Fatalf("%s: %s Changes(%d): %v", where, coll, since, err)
	}
	var want []storage.Change
	for name, mc := range m.log {
		if mc.seq > since {
			want = append(want, storage.Change{Name: name, Seq: mc.seq, Deleted: mc.deleted})
		}
	}
	slices.SortFunc(want, func(a, b storage.Change) int { return int(a.Seq) - int(b.Seq) })
	for i := range ch {
		ch[i].ETag = ""
	}
	if !slices.Equal(ch, want) {
		t.Fatalf("%s: %s changes since %d = %v, model %v", where, coll, since, ch, want)
	}
}

// checkInvariants verifies the indexes of one collection against each
// other: data and meta hold the same names, uids maps exactly the live
// UIDs, tombs holds exactly the deleted names still in the log, and the
// change log holds one record per live name, at its Seq, and one per
// tombstone, above the pruned horizon.
func checkInvariants(db *DB, owner, coll string) error {
	return db.bdb.View(func(tx *bbolt.Tx) error {
		c, err := loadColl(tx, owner, coll)
		if err != nil || c == nil {
			return fmt.Errorf("load: %v", err)
		}
		live := map[string]*storage.ObjectMeta{}
		err = c.meta.ForEach(func(k, v []byte) error {
			m, err := decodeMeta(k, v)
			if err != nil {
				return err
			}
			d := c.data.Get(k)
			if int64(len(d)) != m.Size || storage.ETagOf(d) != m.ETag {
				return fmt.Errorf("%s: data does not match meta", k)
			}
			if m.UID != "" && string(c.uids.Get([]byte(m.UID))) != m.Name {
				return fmt.Errorf("%s: uid %s not indexed", k, m.UID)
			}
			rec := c.changes.Get(seqKey(m.Seq))
			if ch, err := decodeChange(rec); err != nil || ch.name != m.Name || ch.deleted || !ch.when.IsZero() && !ch.when.Equal(m.Modified) {
				return fmt.Errorf("%s: change record at %d is %q", k, m.Seq, rec)
			}
			live[m.Name] = m
			return nil
		})
		if err != nil {
			return err
		}
		if n := c.data.Stats().KeyN; n != len(live) {
			return fmt.Errorf("data has %d keys, meta %d", n, len(live))
		}
		err = c.uids.ForEach(func(uid, name []byte) error {
			if m := live[string(name)]; m == nil || m.UID != string(uid) {
				return fmt.Errorf("uid %s points at %s, which does not carry it", uid, name)
			}
			return nil
		})
		if err != nil {
			return err
		}
		tombs := 0
		err = c.tombs.ForEach(func(name, seq []byte) error {
			tombs++
			if live[string(name)] != nil {
				return fmt.Errorf("tombstone for live %s", name)
			}
			rec := c.changes.Get(seq)
			if ch, err := decodeChange(rec); err != nil || ch.name != string(name) || !ch.deleted || keySeq(seq) <= c.st.pruned {
				return fmt.Errorf("tombstone %s at %d: record %q (pruned %d)", name, keySeq(seq), rec, c.st.pruned)
			}
			return nil
		})
		if err != nil {
			return err
		}
		records := 0
		err = c.changes.ForEach(func(k, _ []byte) error {
			records++
			if s := keySeq(k); s > c.st.seq {
				return fmt.Errorf("change record at %d beyond Seq %d", s, c.st.seq)
			}
			return nil
		})
		if err != nil {
			return err
		}
		if records != len(live)+tombs {
			return fmt.Errorf("%d change records, want %d live + %d tombstones", records, len(live), tombs)
		}
		// The time index: exactly the entries the timelines call for.
		var problems []string
		ck := &checker{ctx: context.Background(), tx: tx, stats: &storage.CheckStats{},
			report: func(p storage.Problem) { problems = append(problems, p.Where+": "+p.What) }}
		ck.timelines(coll, c)
		if len(problems) > 0 {
			return fmt.Errorf("time index: %v", problems)
		}
		return nil
	})
}
