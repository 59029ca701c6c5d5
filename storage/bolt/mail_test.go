package bolt

import (
	"testing"

	"almanac/storage"

	"go.etcd.io/bbolt"
)

// TestMailBucketsDropped checks that the deletions of mail records, one by
// one or by cascade, leave no empty nested buckets or stale index entries
// behind.
func TestMailBucketsDropped(t *testing.T) {
	db, _ := openTemp(t)
	defer db.Close()
	ctx := t.Context()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	wantEmpty := func(when string, except ...[]byte) {
		t.Helper()
		err := db.bdb.View(func(tx *bbolt.Tx) error {
			for _, name := range mailBuckets {
				skip := false
				for _, e := range except {
					skip = skip || string(e) == string(name)
				}
				if k, _ := tx.Bucket(name).Cursor().First(); k != nil && !skip {
					t.Errorf("%s: %s holds %q", when, name, k)
				}
			}
			return nil
		})
		must(err)
	}
	for _, id := range []string{"alice", "bob"} {
		must(db.CreateAccount(ctx, &storage.Account{ID: id, Login: id + "@example.org"}))
	}
	setup := func() (org, svc string) {
		t.Helper()
		o := &storage.Organization{Name: "Acme"}
		must(db.CreateOrganization(ctx, o))
		must(db.PutMember(ctx, storage.Member{Org: o.ID, Account: "alice", Role: storage.RoleOwner}))
		must(db.PutMember(ctx, storage.Member{Org: o.ID, Account: "bob", Role: storage.RoleMember}))
		s := &storage.MailService{Org: o.ID, Domain: "domain.xyz", Plan: "free", AliasDomains: []string{"alias.xyz"}}
		must(db.CreateMailService(ctx, s))
		must(db.CreateMailbox(ctx, &storage.Mailbox{Service: s.ID, LocalPart: "Info", Aliases: []string{"hello"}}))
		must(db.AddAlias(ctx, s.ID, "info", "sales", -1))
		for _, a := range []string{"alice", "bob"} {
			must(db.PutMailboxLink(ctx, &storage.MailboxLink{Service: s.ID, LocalPart: "info", Account: a}))
		}
		return o.ID, s.ID
	}

	org, svc := setup()
	must(db.DeleteMailboxLink(ctx, svc, "INFO", "alice"))
	must(db.DeleteMailboxLink(ctx, svc, "info", "bob"))
	must(db.RemoveAlias(ctx, svc, "info", "hello"))
	must(db.RemoveAlias(ctx, svc, "info", "sales"))
	must(db.DeleteMailbox(ctx, svc, "info"))
	must(db.DeleteMember(ctx, org, "alice"))
	must(db.DeleteMember(ctx, org, "bob"))
	must(db.DeleteMailService(ctx, svc))
	must(db.DeleteOrganization(ctx, org))
	wantEmpty("after deleting one by one")

	org, svc = setup()
	must(db.DeleteMailbox(ctx, svc, "info"))
	must(db.DeleteMailService(ctx, svc))
	must(db.DeleteOrganization(ctx, org))
	wantEmpty("after DeleteMailbox, DeleteMailService, DeleteOrganization")

	org, _ = setup()
	must(db.DeleteOrganization(ctx, org))
	wantEmpty("after DeleteOrganization")

	setup()
	must(db.DeleteAccount(ctx, "alice"))
	must(db.DeleteAccount(ctx, "bob"))
	// The organization and its service stay; no member or link is left.
	wantEmpty("after DeleteAccount", bucketOrgs, bucketMailServices, bucketOrgServices, bucketMailDomains, bucketMailboxes, bucketMailAliases)
}
