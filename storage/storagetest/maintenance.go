package storagetest

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"almanac/storage"
)

// Population names what Populate stored.
type Population struct {
	Jane, Bob, Carol string // account IDs
	// Jane's collections: Calendar holds objects a.ics (UID uid-a,
	// rewritten), b2.ics (moved from b.ics), e.ics and f.ics (UIDs uid-e
	// and uid-f) and the tombstones of b.ics, c.ics (deleted before a
	// prune) and d.ics (after it); Contacts holds a card with a UID
	// and one without; Shared is shared with Bob (mounted as Mount) and
	// holds a copy of a.ics; Linked has the public link Link.
	Calendar, Contacts, Shared, Linked string
	Mount                              string
	Link                               string
	AppPassword                        string // Jane's
	Org, Service                       string // Jane owns Org, whose Service has
	Mailbox, Alias                     string // Mailbox (lower case) with Alias, linked to Jane
	Accounts, Collections, Objects     int
}

// Populate stores one of every kind of record through s's methods:
// accounts, collections with live objects, moves, copies, deletions
// before and after a prune, links, grants, app passwords, sessions,
// tokens, an organization with members, a mail service with alias
// domains, mailboxes with aliases and a mailbox link. What a backend's
// methods write this way must pass its Check.
func Populate(t testing.TB, s storage.Store) *Population {
	t.Helper()
	ok := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	ctx := t.Context()
	p := &Population{Jane: "jane", Bob: "bob", Carol: "carol",
		Calendar: "default", Contacts: "contacts", Shared: "shared", Linked: "old",
		Mount: "jane-shared", Link: "link-1", AppPassword: "ap-1",
		Org: "acme", Service: "svc", Mailbox: "info", Alias: "sales",
		Accounts: 3, Collections: 4, Objects: 7}
	for _, id := range []string{p.Jane, p.Bob, p.Carol} {
		ok(s.CreateAccount(ctx, &storage.Account{ID: id, Login: id + "@example.org", PasswordHash: "x"}))
	}
	for _, c := range []struct {
		name string
		kind storage.Kind
	}{{p.Calendar, storage.KindCalendar}, {p.Contacts, storage.KindAddressBook}, {p.Shared, storage.KindCalendar}, {p.Linked, storage.KindCalendar}} {
		ok(s.CreateCollection(ctx, &storage.Collection{Owner: p.Jane, Name: c.name, Kind: c.kind}))
	}
	// e.ics has a timeline of two weeks' events and a horizon, so that
	// the time index has entries of every kind.
	day := time.Date(2026, 3, 10, 9, 0, 0, 0, time.UTC)
	timelineOf := map[string]storage.Timeline{"e.ics": {Known: true, Tag: 1, Renew: true, Until: day.AddDate(0, 1, 0),
		Periods: []storage.Period{{Start: day, End: day.Add(time.Hour)}, {Start: day.AddDate(0, 0, 7), End: day.AddDate(0, 0, 7).Add(time.Hour)}}}}
	put := func(coll, name, uid string, data []byte) {
		t.Helper()
		_, _, err := s.Put(ctx, storage.PutObject{Owner: p.Jane, Collection: coll, Name: name, UID: uid,
			Component: "VEVENT", ContentType: "text/calendar", Data: data, Timeline: timelineOf[name]})
		ok(err)
	}
	del := func(name string) { t.Helper(); ok(s.Delete(ctx, p.Jane, p.Calendar, name, nil)) }
	for _, n := range []string{"a", "b", "c", "d", "e"} {
		put(p.Calendar, n+".ics", "uid-"+n, ics("uid-"+n, n))
	}
	put(p.Calendar, "a.ics", "uid-a", ics("uid-a", "a again"))
	del("c.ics")
	if _, err := s.PruneChanges(ctx, time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	del("d.ics")
	put(p.Calendar, "f.ics", "uid-f", ics("uid-f", "f"))
	_, err := s.Transfer(ctx, storage.Transfer{FromOwner: p.Jane, FromCollection: p.Calendar, FromName: "b.ics",
		ToOwner: p.Jane, ToCollection: p.Calendar, ToName: "b2.ics"})
	ok(err)
	_, err = s.Transfer(ctx, storage.Transfer{FromOwner: p.Jane, FromCollection: p.Calendar, FromName: "a.ics",
		ToOwner: p.Jane, ToCollection: p.Shared, ToName: "a.ics", Copy: true})
	ok(err)
	for _, c := range []struct{ name, uid string }{{"card.vcf", "card-1"}, {"nouid.vcf", ""}} {
		_, _, err := s.Put(ctx, storage.PutObject{Owner: p.Jane, Collection: p.Contacts, Name: c.name, UID: c.uid,
			Component: "VCARD", ContentType: "text/vcard", Data: []byte("BEGIN:VCARD\r\nVERSION:3.0\r\nFN:x\r\nEND:VCARD\r\n" + c.uid)})
		ok(err)
	}

	ok(s.CreateLink(ctx, &storage.Link{ID: p.Link, Owner: p.Jane, Collection: p.Linked, Tier: "full"}))
	ok(s.PutGrant(ctx, &storage.Grant{Owner: p.Jane, Collection: p.Shared, Sharee: p.Bob, Access: storage.AccessRead, Mount: p.Mount}))
	ok(s.PutGrant(ctx, &storage.Grant{Owner: p.Jane, Collection: p.Calendar, Sharee: p.Carol, Access: storage.AccessReadWrite, Mount: "jane-default"}))

	ok(s.CreateAppPassword(ctx, &storage.AppPassword{ID: p.AppPassword, Owner: p.Jane, Name: "phone", Hash: "h", Scope: storage.ScopeDAV}))
	ok(s.CreateSession(ctx, &storage.Session{ID: "session-hash", Account: p.Bob, CSRF: "c", Expires: time.Now().Add(time.Hour)}))
	ok(s.CreateToken(ctx, &storage.Token{Hash: "token-hash", Account: p.Carol, Purpose: "password-reset", Expires: time.Now().Add(time.Hour)}))

	ok(s.CreateOrganization(ctx, &storage.Organization{ID: p.Org, Name: "Acme"}))
	ok(s.PutMember(ctx, storage.Member{Org: p.Org, Account: p.Jane, Role: storage.RoleOwner}))
	ok(s.PutMember(ctx, storage.Member{Org: p.Org, Account: p.Bob, Role: storage.RoleMember}))
	ok(s.CreateMailService(ctx, &storage.MailService{ID: p.Service, Org: p.Org, Domain: "Example.org", Plan: "free", AliasDomains: []string{"example.net"}}))
	ok(s.CreateMailbox(ctx, &storage.Mailbox{Service: p.Service, LocalPart: "Info", PasswordHash: "x", Aliases: []string{p.Alias}}))
	ok(s.CreateMailbox(ctx, &storage.Mailbox{Service: p.Service, LocalPart: "bob"}))
	ok(s.AddAlias(ctx, p.Service, "info", "help", -1))
	ok(s.PutMailboxLink(ctx, &storage.MailboxLink{Service: p.Service, LocalPart: "info", Account: p.Jane, Rights: []string{storage.RightPassword}}))
	// An import job that runs (it holds a sealed password) and one that
	// ended (it no longer does).
	running := newImportJob(p.Jane)
	ok(s.CreateImportJob(ctx, running))
	ended := newImportJob(p.Jane)
	ended.State = storage.ImportDone
	for i := range ended.Sources {
		ended.Sources[i].Secret = nil
	}
	ok(s.CreateImportJob(ctx, ended))
	// Objects: default a, b2, e, f; contacts 2; shared 1.
	return p
}

// RunMaintenance runs the suite of storage.Maintenance. newStore is as
// for Run; restore must open the bytes a Snapshot wrote as a store.
func RunMaintenance(t *testing.T, newStore func(t *testing.T) storage.Store, restore func(t *testing.T, snapshot []byte) storage.Store) {
	open := func(t *testing.T) storage.Store {
		t.Helper()
		s := newStore(t)
		t.Cleanup(func() {
			if err := s.Close(); err != nil {
				t.Errorf("Close: %v", err)
			}
		})
		return s
	}
	for _, tc := range []struct {
		name string
		fn   func(t *testing.T, s storage.Store)
	}{
		{"CheckEmpty", testCheckEmpty},
		{"CheckPopulated", testCheckPopulated},
		{"SnapshotIsItsMoment", func(t *testing.T, s storage.Store) { testSnapshotIsItsMoment(t, s, restore) }},
		{"SnapshotWriteFails", testSnapshotWriteFails},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.fn(t, open(t))
		})
	}
}

// check runs Check and returns the problems it reported.
func check(t *testing.T, s storage.Store) ([]storage.Problem, storage.CheckStats) {
	t.Helper()
	var problems []storage.Problem
	st, err := s.Check(t.Context(), func(p storage.Problem) { problems = append(problems, p) })
	ok(t, err)
	return problems, st
}

func testCheckEmpty(t *testing.T, s storage.Store) {
	if problems, st := check(t, s); len(problems) != 0 || st != (storage.CheckStats{}) {
		t.Fatalf("empty store: problems %v, stats %+v", problems, st)
	}
}

func testCheckPopulated(t *testing.T, s storage.Store) {
	p := Populate(t, s)
	problems, st := check(t, s)
	if len(problems) != 0 {
		t.Fatalf("a store written through its methods has problems: %v", problems)
	}
	want := storage.CheckStats{Accounts: p.Accounts, Collections: p.Collections, Objects: p.Objects,
		Links: 1, Grants: 2, Organizations: 1, MailServices: 1, Mailboxes: 2}
	if st != want {
		t.Errorf("stats %+v, want %+v", st, want)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := s.Check(ctx, func(storage.Problem) {}); !errors.Is(err, context.Canceled) {
		t.Errorf("Check with a cancelled context: %v", err)
	}
}

// testSnapshotIsItsMoment takes a snapshot, writes while it is open (the
// writes must not wait for it), and restores it: the copy holds exactly
// the state at Snapshot, the live store the writes.
func testSnapshotIsItsMoment(t *testing.T, s storage.Store, restore func(t *testing.T, snapshot []byte) storage.Store) {
	ctx := t.Context()
	p := Populate(t, s)
	before, err := s.Collection(ctx, p.Jane, p.Calendar)
	ok(t, err)
	snap, err := s.Snapshot(ctx)
	ok(t, err)
	defer snap.Close()
	info := snap.Info()
	if info.Backend == "" || info.Schema == "" || info.Size <= 0 ||
		info.Accounts != p.Accounts || info.Collections != p.Collections || info.Objects != p.Objects {
		t.Fatalf("Info %+v; want a backend, a schema, a size and %d accounts, %d collections, %d objects",
			info, p.Accounts, p.Collections, p.Objects)
	}

	_, _, err = s.Put(ctx, storage.PutObject{Owner: p.Jane, Collection: p.Calendar, Name: "new.ics", UID: "uid-new", Data: ics("uid-new", "new")})
	ok(t, err)
	ok(t, s.Delete(ctx, p.Jane, p.Calendar, "e.ics", nil))
	ok(t, s.DeleteCollection(ctx, p.Jane, p.Linked))
	ok(t, s.CreateAccount(ctx, &storage.Account{ID: "dave", Login: "dave@example.org"}))

	var buf bytes.Buffer
	n, err := snap.WriteTo(&buf)
	ok(t, err)
	ok(t, snap.Close())
	if n != info.Size || int64(buf.Len()) != info.Size {
		t.Fatalf("WriteTo wrote %d bytes (returned %d), Info says %d", buf.Len(), n, info.Size)
	}

	r := restore(t, buf.Bytes())
	after, err := r.Collection(ctx, p.Jane, p.Calendar)
	ok(t, err)
	if after.Incarnation != before.Incarnation || after.Seq != before.Seq || after.Pruned != before.Pruned {
		t.Errorf("restored calendar at %s/%d (pruned %d), snapshot taken at %s/%d (pruned %d)",
			after.Incarnation, after.Seq, after.Pruned, before.Incarnation, before.Seq, before.Pruned)
	}
	var names []string
	ok(t, r.List(ctx, p.Jane, p.Calendar, func(m *storage.ObjectMeta) error {
		names = append(names, m.Name)
		return nil
	}))
	if want := []string{"a.ics", "b2.ics", "e.ics", "f.ics"}; !slices.Equal(names, want) {
		t.Errorf("restored calendar holds %v, want %v", names, want)
	}
	if _, err := r.Collection(ctx, p.Jane, p.Linked); err != nil {
		t.Errorf("collection deleted after the snapshot: %v in the copy", err)
	}
	if _, err := r.Link(ctx, p.Link); err != nil {
		t.Errorf("link deleted with its collection after the snapshot: %v in the copy", err)
	}
	if _, err := r.Account(ctx, "dave"); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("account created after the snapshot: %v in the copy", err)
	}
	if problems, _ := check(t, r); len(problems) != 0 {
		t.Errorf("the restored copy has problems: %v", problems)
	}
	if _, err := s.Stat(ctx, p.Jane, p.Calendar, "new.ics"); err != nil {
		t.Errorf("the live store lost a write made during the snapshot: %v", err)
	}
}

// failingWriter fails every write.
type failingWriter struct{}

var errWriteFailed = errors.New("write failed")

func (failingWriter) Write([]byte) (int, error) { return 0, errWriteFailed }

func testSnapshotWriteFails(t *testing.T, s storage.Store) {
	ctx := t.Context()
	p := Populate(t, s)
	snap, err := s.Snapshot(ctx)
	ok(t, err)
	if _, err := snap.WriteTo(failingWriter{}); !errors.Is(err, errWriteFailed) {
		t.Errorf("WriteTo a failing writer: %v", err)
	}
	ok(t, snap.Close())
	// Closed twice is harmless, and the store goes on.
	ok(t, snap.Close())
	_, _, err = s.Put(ctx, storage.PutObject{Owner: p.Jane, Collection: p.Calendar, Name: "later.ics", UID: "later", Data: ics("later", "later")})
	ok(t, err)
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := s.Snapshot(cctx); !errors.Is(err, context.Canceled) {
		t.Errorf("Snapshot with a cancelled context: %v", err)
	}
}
