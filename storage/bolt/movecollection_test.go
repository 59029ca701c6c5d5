package bolt

import (
	"bytes"
	"fmt"
	"testing"

	"almanac/storage"

	"go.etcd.io/bbolt"
)

// MoveCollection re-parents the collection's sub-buckets instead of
// copying members. The file must stay sound: no page freed twice or
// leaked (bbolt's consistency check), every index of the moved
// collection agreeing with the others, and the data there after the file
// is reopened. Both a collection whose sub-buckets have pages of their
// own and one whose sub-buckets are inline in their parent are moved.
func TestMoveCollectionFileSound(t *testing.T) {
	ctx := t.Context()
	db, path := openTemp(t)
	a := &storage.Account{Login: "m@example.org"}
	if err := db.CreateAccount(ctx, a); err != nil {
		t.Fatal(err)
	}
	sizes := map[string]int{"big": 300, "small": 1}
	for name, n := range sizes {
		if err := db.CreateCollection(ctx, &storage.Collection{Owner: a.ID, Name: name, Kind: storage.KindCalendar}); err != nil {
			t.Fatal(err)
		}
		for i := range n {
			uid := fmt.Sprintf("%s-%d", name, i)
			data := bytes.Repeat([]byte(uid+" "), 40)
			if _, _, err := db.Put(ctx, storage.PutObject{Owner: a.ID, Collection: name, Name: uid + ".ics", UID: uid, Data: data}); err != nil {
				t.Fatal(err)
			}
		}
		// A tombstone, so the tombs bucket has something to carry.
		if err := db.Delete(ctx, a.ID, name, name+"-0.ics", nil); err != nil {
			t.Fatal(err)
		}
	}
	check := func(when string) {
		t.Helper()
		err := db.bdb.View(func(tx *bbolt.Tx) error {
			// Drained to the end: the check runs on the transaction in a
			// goroutine of its own.
			var first error
			for err := range tx.Check() {
				if first == nil {
					first = err
				}
			}
			return first
		})
		if err != nil {
			t.Fatalf("%s: consistency check: %v", when, err)
		}
		for name := range sizes {
			if err := checkInvariants(db, a.ID, name+"-moved"); err != nil {
				t.Fatalf("%s: %s-moved: %v", when, name, err)
			}
		}
	}
	for name := range sizes {
		if _, err := db.MoveCollection(ctx, a.ID, name, name+"-moved", false); err != nil {
			t.Fatal(err)
		}
	}
	check("after the moves")
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	var err error
	if db, err = Open(path, Options{}); err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	check("reopened")
	for name, n := range sizes {
		count := 0
		err := db.Walk(ctx, a.ID, name+"-moved", func(o *storage.Object) error {
			count++
			if want := bytes.Repeat([]byte(o.UID+" "), 40); !bytes.Equal(o.Data, want) {
				return fmt.Errorf("%s: data %q", o.Name, o.Data)
			}
			return nil
		})
		if err != nil || count != n-1 {
			t.Fatalf("%s-moved: %d members, %v; want %d", name, count, err, n-1)
		}
	}
	// Writes after the move land in the moved collection's buckets.
	if _, _, err := db.Put(ctx, storage.PutObject{Owner: a.ID, Collection: "big-moved", Name: "new.ics", UID: "new", Data: []byte("new")}); err != nil {
		t.Fatal(err)
	}
	check("after a write")
}
