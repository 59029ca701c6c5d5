package bolt

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"

	"almanac/storage"

	"go.etcd.io/bbolt"
)

// TestStatAllEqualsStat: reading many members' metadata with one cursor
// (statAll, what Between does per chunk) returns what looking each up
// alone does, in the order asked, whether the names are a step or a tree
// search apart, repeated, or absent.
func TestStatAllEqualsStat(t *testing.T) {
	ctx := t.Context()
	db, _ := openTemp(t)
	a := &storage.Account{Login: "u@example.org"}
	must(t, db.CreateAccount(ctx, a))
	must(t, db.CreateCollection(ctx, &storage.Collection{Owner: a.ID, Name: "cal", Kind: storage.KindCalendar}))
	var stored []string
	for i := range 400 {
		name := fmt.Sprintf("e%03d.ics", i*3)
		stored = append(stored, name)
		_, _, err := db.Put(ctx, storage.PutObject{Owner: a.ID, Collection: "cal", Name: name, UID: name, Data: []byte(name)})
		must(t, err)
	}
	rng := rand.New(rand.NewPCG(1, 19))
	lists := [][]string{
		nil,
		{stored[0]},
		{stored[len(stored)-1], stored[0]},
		{"", "a", "e001.ics", "zzz", stored[5], stored[5]}, // absent, repeated
		stored, // every one: each a step from the last
	}
	sorted := append([]string(nil), stored[10:200]...) // sorted, with absent names among them
	sorted = append(sorted[:41], append([]string{"e151.ics", "e152.ics"}, sorted[41:]...)...)
	lists = append(lists, sorted)
	for range 50 {
		var l []string
		for range rng.IntN(300) {
			switch rng.IntN(4) {
			case 0:
				l = append(l, fmt.Sprintf("e%03d.ics", rng.IntN(1300))) // two in three absent
			default:
				l = append(l, stored[rng.IntN(len(stored))])
			}
		}
		lists = append(lists, l)
	}
	must(t, db.bdb.View(func(tx *bbolt.Tx) error {
		c, err := loadColl(tx, a.ID, "cal")
		if err != nil {
			return err
		}
		for i, l := range lists {
			want := make([]*storage.ObjectMeta, len(l))
			names := make([][]byte, len(l))
			for j, n := range l {
				names[j] = []byte(n)
				if want[j], err = c.stat(n); err != nil {
					return err
				}
			}
			got, err := c.statAll(names)
			if err != nil {
				return err
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("list %d (%d names): statAll gave %v, stat %v", i, len(l), got, want)
			}
		}
		return nil
	}))
}
