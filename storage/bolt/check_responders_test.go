package bolt

import (
	"context"
	"slices"
	"strings"
	"testing"

	"almanac/storage"

	"go.etcd.io/bbolt"
)

// TestCheckResponders breaks the responder data one way at a time and
// wants Check to name it: two active responders of one mailbox, two
// default templates, and records whose owner is gone.
func TestCheckResponders(t *testing.T) {
	for _, tc := range []struct {
		name   string
		break_ func(t *testing.T, tx *bbolt.Tx, service string)
		want   string
	}{
		{"two active", func(t *testing.T, tx *bbolt.Tx, service string) {
			for _, r := range mustResponders(t, tx, service, "anna") {
				r.Active = true
				if err := putResponder(tx, r); err != nil {
					t.Fatal(err)
				}
			}
		}, "is active, and so is responder"},
		{"two defaults", func(t *testing.T, tx *bbolt.Tx, service string) {
			ts, err := serviceTemplates(tx, service)
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range ts {
				r.Default = true
				if err := putJSON(tx.Bucket(bucketResponderTemplates).Bucket([]byte(service)), r.ID, r); err != nil {
					t.Fatal(err)
				}
			}
		}, "is the default, and so is template"},
		{"orphan responder", func(t *testing.T, tx *bbolt.Tx, service string) {
			if err := deleteNested(tx.Bucket(bucketMailboxes), "anna", service); err != nil {
				t.Fatal(err)
			}
		}, "its mailbox does not exist"},
		{"orphan sending address", func(t *testing.T, tx *bbolt.Tx, service string) {
			b, err := nestedCreate(tx.Bucket(bucketSendingAddresses), "ghost")
			if err != nil {
				t.Fatal(err)
			}
			if err := putJSON(b, "x@example.org", &sendingAddressRecord{Account: "ghost", Address: "x@example.org"}); err != nil {
				t.Fatal(err)
			}
		}, "the account does not exist"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			db, path := openTemp(t)
			ctx := context.Background()
			org := &storage.Organization{Name: "Acme"}
			must(t, db.CreateOrganization(ctx, org))
			s := &storage.MailService{Org: org.ID, Domain: "domain.xyz", Plan: "standard"}
			must(t, db.CreateMailService(ctx, s))
			must(t, db.CreateMailbox(ctx, &storage.Mailbox{Service: s.ID, LocalPart: "anna"}))
			must(t, db.CreateResponders(ctx, []storage.Responder{
				{Service: s.ID, LocalPart: "anna", Active: true, ResponderSettings: storage.ResponderSettings{Name: "a"}},
				{Service: s.ID, LocalPart: "anna", ResponderSettings: storage.ResponderSettings{Name: "b"}},
			}, -1))
			for _, name := range []string{"t1", "t2"} {
				must(t, db.CreateResponderTemplate(ctx, &storage.ResponderTemplate{Service: s.ID, Default: true,
					ResponderSettings: storage.ResponderSettings{Name: name}}, -1))
			}
			if err := db.Close(); err != nil {
				t.Fatal(err)
			}
			if got := checkFile(t, path); len(got) != 0 {
				t.Fatalf("the intact database has problems: %q", got)
			}
			bdb, err := bbolt.Open(path, 0o600, nil)
			if err != nil {
				t.Fatal(err)
			}
			if err := bdb.Update(func(tx *bbolt.Tx) error { tc.break_(t, tx, s.ID); return nil }); err != nil {
				t.Fatal(err)
			}
			bdb.Close()
			got := checkFile(t, path)
			if !slices.ContainsFunc(got, func(p string) bool { return strings.Contains(p, tc.want) }) {
				t.Errorf("problems %q, want one saying %q", got, tc.want)
			}
		})
	}
}

func mustResponders(t *testing.T, tx *bbolt.Tx, service, key string) []*responderRecord {
	t.Helper()
	rs, err := mailboxResponders(tx, service, key)
	if err != nil || len(rs) < 2 {
		t.Fatalf("responders: %v (%d)", err, len(rs))
	}
	return rs
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
