package bolt

import (
	"testing"

	"almanac/storage"

	"go.etcd.io/bbolt"
)

// TestGrantBucketsDropped checks that deleting grants, by DeleteGrant,
// DeleteCollection or DeleteAccount, leaves no empty owner, collection or
// sharee buckets behind in grants and mounts.
func TestGrantBucketsDropped(t *testing.T) {
	db, _ := openTemp(t)
	defer db.Close()
	ctx := t.Context()
	acct := func(id string) {
		t.Helper()
		if err := db.CreateAccount(ctx, &storage.Account{ID: id, Login: id + "@example.org"}); err != nil {
			t.Fatal(err)
		}
	}
	coll := func(owner, name string) {
		t.Helper()
		if err := db.CreateCollection(ctx, &storage.Collection{Owner: owner, Name: name, Kind: storage.KindCalendar}); err != nil {
			t.Fatal(err)
		}
	}
	grant := func(owner, name, sharee, mount string) {
		t.Helper()
		g := &storage.Grant{Owner: owner, Collection: name, Sharee: sharee, Access: storage.AccessRead, Mount: mount}
		if err := db.PutGrant(ctx, g); err != nil {
			t.Fatal(err)
		}
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	wantEmpty := func(when string) {
		t.Helper()
		err := db.bdb.View(func(tx *bbolt.Tx) error {
			for _, name := range [][]byte{bucketGrants, bucketMounts} {
				if k, _ := tx.Bucket(name).Cursor().First(); k != nil {
					t.Errorf("%s: %s holds %q", when, name, k)
				}
			}
			return nil
		})
		must(err)
	}
	for _, id := range []string{"alice", "bob", "carol"} {
		acct(id)
	}
	coll("alice", "cal")
	coll("alice", "work")
	coll("bob", "cal")

	grant("alice", "cal", "bob", "a")
	grant("alice", "work", "carol", "w")
	must(db.DeleteGrant(ctx, "alice", "cal", "bob"))
	must(db.DeleteGrant(ctx, "alice", "work", "carol"))
	wantEmpty("after DeleteGrant")

	grant("alice", "cal", "bob", "a")
	grant("alice", "cal", "carol", "a")
	must(db.DeleteCollection(ctx, "alice", "cal"))
	wantEmpty("after DeleteCollection")

	grant("alice", "work", "bob", "w")
	grant("bob", "cal", "carol", "b")
	must(db.DeleteAccount(ctx, "bob"))
	wantEmpty("after DeleteAccount of owner and sharee")
}
