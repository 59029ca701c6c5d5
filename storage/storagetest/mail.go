package storagetest

import (
	"errors"
	"fmt"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"almanac/storage"
)

var mailTests = []test{
	{"OrganizationRoundTrip", testOrganizationRoundTrip},
	{"Members", testMembers},
	{"ServiceRoundTrip", testMailServiceRoundTrip},
	{"UpdateService", testUpdateMailService},
	{"DomainUniqueness", testMailDomainUniqueness},
	{"MailboxRoundTrip", testMailboxRoundTrip},
	{"NameCollisions", testMailNameCollisions},
	{"AliasLimit", testAliasLimit},
	{"RemoveAlias", testRemoveAlias},
	{"ResolveAddress", testResolveAddress},
	{"Links", testMailboxLinks},
	{"DeleteMailboxCascades", testDeleteMailboxCascades},
	{"DeleteServiceCascades", testDeleteMailServiceCascades},
	{"DeleteOrganizationCascades", testDeleteOrganizationCascades},
	{"DeleteAccountCascades", testDeleteAccountMail},
	{"Export", testMailExport},
	{"ConcurrentAliases", testConcurrentAliases},
}

// mailFixture is an organization with one account as owner and one
// service for domain.xyz (alias domain alias.xyz).
type mailFixture struct {
	s       storage.Store
	org     *storage.Organization
	owner   *storage.Account
	service *storage.MailService
}

func newMailFixture(t *testing.T, s storage.Store) *mailFixture {
	t.Helper()
	f := &mailFixture{s: s, owner: newAccount(t, s, "owner@example.org")}
	f.org = newOrg(t, s, "Acme")
	ok(t, s.PutMember(t.Context(), storage.Member{Org: f.org.ID, Account: f.owner.ID, Role: storage.RoleOwner}))
	f.service = newMailService(t, s, f.org.ID, "domain.xyz", "alias.xyz")
	return f
}

func newOrg(t *testing.T, s storage.Store, name string) *storage.Organization {
	t.Helper()
	o := &storage.Organization{Name: name}
	if err := s.CreateOrganization(t.Context(), o); err != nil {
		t.Fatalf("CreateOrganization %s: %v", name, err)
	}
	return o
}

func newMailService(t *testing.T, s storage.Store, org, domain string, aliasDomains ...string) *storage.MailService {
	t.Helper()
	ms := &storage.MailService{Org: org, Domain: domain, Plan: "standard", AliasDomains: aliasDomains}
	if err := s.CreateMailService(t.Context(), ms); err != nil {
		t.Fatalf("CreateMailService %s: %v", domain, err)
	}
	return ms
}

func (f *mailFixture) mailbox(t *testing.T, local string, aliases ...string) *storage.Mailbox {
	t.Helper()
	return newMailbox(t, f.s, f.service.ID, local, aliases...)
}

func newMailbox(t *testing.T, s storage.Store, service, local string, aliases ...string) *storage.Mailbox {
	t.Helper()
	m := &storage.Mailbox{Service: service, LocalPart: local, PasswordHash: "{SHA512-CRYPT}$6$x$y", Aliases: aliases}
	if err := s.CreateMailbox(t.Context(), m); err != nil {
		t.Fatalf("CreateMailbox %s@%s: %v", local, service, err)
	}
	return m
}

func getMailbox(t *testing.T, s storage.Store, service, local string) *storage.Mailbox {
	t.Helper()
	m, err := s.Mailbox(t.Context(), service, local)
	if err != nil {
		t.Fatalf("Mailbox %s/%s: %v", service, local, err)
	}
	return m
}

func wantNoMailbox(t *testing.T, s storage.Store, service, local string) {
	t.Helper()
	if m, err := s.Mailbox(t.Context(), service, local); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("Mailbox %s/%s = %+v, %v; want ErrNotFound", service, local, m, err)
	}
}

func wantAliases(t *testing.T, s storage.Store, service, local string, want ...string) {
	t.Helper()
	got := getMailbox(t, s, service, local).Aliases
	if len(want) == 0 {
		want = nil
	}
	if !slices.Equal(got, want) {
		t.Fatalf("aliases of %s/%s = %q, want %q", service, local, got, want)
	}
}

func sameService(a, b storage.MailService) bool {
	return a.ID == b.ID && a.Org == b.Org && a.Domain == b.Domain && a.Plan == b.Plan &&
		slices.Equal(a.AliasDomains, b.AliasDomains) && a.Created.Equal(b.Created)
}

func sameMailbox(a, b storage.Mailbox) bool {
	return a.Service == b.Service && a.LocalPart == b.LocalPart && a.PasswordHash == b.PasswordHash &&
		slices.Equal(a.Aliases, b.Aliases) && a.Created.Equal(b.Created) && a.PasswordChanged.Equal(b.PasswordChanged)
}

func sameMailboxLink(a, b storage.MailboxLink) bool {
	return a.Service == b.Service && a.LocalPart == b.LocalPart && a.Account == b.Account &&
		slices.Equal(a.Rights, b.Rights) && a.Created.Equal(b.Created)
}

func orgNames(t *testing.T, s storage.Store, account string) []string {
	t.Helper()
	os, err := s.OrganizationsOf(t.Context(), account)
	if err != nil {
		t.Fatalf("OrganizationsOf %s: %v", account, err)
	}
	out := []string{}
	for _, o := range os {
		out = append(out, o.Name)
	}
	return out
}

func memberIDs(t *testing.T, s storage.Store, org string) []string {
	t.Helper()
	ms, err := s.Members(t.Context(), org)
	if err != nil {
		t.Fatalf("Members %s: %v", org, err)
	}
	out := []string{}
	for _, m := range ms {
		if m.Org != org {
			t.Fatalf("Members %s returned %+v", org, m)
		}
		out = append(out, m.Account)
	}
	return out
}

// linksOf renders account's links as "service/local".
func linksOf(t *testing.T, s storage.Store, account string) []string {
	t.Helper()
	ls, err := s.MailboxLinksOf(t.Context(), account)
	if err != nil {
		t.Fatalf("MailboxLinksOf %s: %v", account, err)
	}
	out := []string{}
	for _, l := range ls {
		if l.Account != account {
			t.Fatalf("MailboxLinksOf %s returned %+v", account, l)
		}
		out = append(out, l.Service+"/"+l.LocalPart)
	}
	return out
}

// linksTo returns the accounts linked to a mailbox.
func linksTo(t *testing.T, s storage.Store, service, local string) []string {
	t.Helper()
	ls, err := s.MailboxLinksTo(t.Context(), service, local)
	if err != nil {
		t.Fatalf("MailboxLinksTo %s/%s: %v", service, local, err)
	}
	out := []string{}
	for _, l := range ls {
		out = append(out, l.Account)
	}
	return out
}

func wantStrings(t *testing.T, what string, got []string, want ...string) {
	t.Helper()
	if want == nil {
		want = []string{}
	}
	if !slices.Equal(got, want) {
		t.Fatalf("%s = %q, want %q", what, got, want)
	}
}

func putLink(t *testing.T, s storage.Store, service, local, account string, rights ...string) *storage.MailboxLink {
	t.Helper()
	l := &storage.MailboxLink{Service: service, LocalPart: local, Account: account, Rights: rights}
	if err := s.PutMailboxLink(t.Context(), l); err != nil {
		t.Fatalf("PutMailboxLink %s/%s for %s: %v", service, local, account, err)
	}
	return l
}

func testOrganizationRoundTrip(t *testing.T, s storage.Store) {
	ctx := t.Context()
	before := time.Now()
	o := newOrg(t, s, "Zeta")
	if o.ID == "" {
		t.Fatal("CreateOrganization left ID empty")
	}
	notBefore(t, "Created", o.Created, before)
	got, err := s.Organization(ctx, o.ID)
	ok(t, err)
	if got.ID != o.ID || got.Name != "Zeta" || !got.Created.Equal(o.Created) {
		t.Fatalf("Organization = %+v, want %+v", got, o)
	}
	_, err = s.Organization(ctx, "missing")
	wantErr(t, err, storage.ErrNotFound)

	explicit := &storage.Organization{ID: "org1", Name: "Alpha"}
	ok(t, s.CreateOrganization(ctx, explicit))
	wantErr(t, s.CreateOrganization(ctx, &storage.Organization{ID: "org1", Name: "Again"}), storage.ErrExists)

	a := newAccount(t, s, "a@example.org")
	wantStrings(t, "OrganizationsOf none", orgNames(t, s, a.ID))
	wantStrings(t, "OrganizationsOf unknown", orgNames(t, s, "nobody"))
	ok(t, s.PutMember(ctx, storage.Member{Org: o.ID, Account: a.ID, Role: storage.RoleMember}))
	ok(t, s.PutMember(ctx, storage.Member{Org: explicit.ID, Account: a.ID, Role: storage.RoleOwner}))
	wantStrings(t, "OrganizationsOf", orgNames(t, s, a.ID), "Alpha", "Zeta")

	wantErr(t, s.DeleteOrganization(ctx, "missing"), storage.ErrNotFound)
	ok(t, s.DeleteOrganization(ctx, o.ID))
	_, err = s.Organization(ctx, o.ID)
	wantErr(t, err, storage.ErrNotFound)
	wantStrings(t, "OrganizationsOf after delete", orgNames(t, s, a.ID), "Alpha")
}

func testMembers(t *testing.T, s storage.Store) {
	ctx := t.Context()
	o := newOrg(t, s, "Acme")
	b := newAccount(t, s, "b@example.org")
	a := newAccount(t, s, "a@example.org")

	wantErr(t, s.PutMember(ctx, storage.Member{Org: "missing", Account: a.ID, Role: storage.RoleMember}), storage.ErrNotFound)
	wantErr(t, s.PutMember(ctx, storage.Member{Org: o.ID, Account: "missing", Role: storage.RoleMember}), storage.ErrNotFound)
	_, err := s.Members(ctx, "missing")
	wantErr(t, err, storage.ErrNotFound)
	wantStrings(t, "Members empty", memberIDs(t, s, o.ID))

	ok(t, s.PutMember(ctx, storage.Member{Org: o.ID, Account: b.ID, Role: storage.RoleOwner}))
	ok(t, s.PutMember(ctx, storage.Member{Org: o.ID, Account: a.ID, Role: storage.RoleMember}))
	want := []string{a.ID, b.ID}
	slices.Sort(want)
	wantStrings(t, "Members", memberIDs(t, s, o.ID), want...)

	m, err := s.Member(ctx, o.ID, a.ID)
	ok(t, err)
	if *m != (storage.Member{Org: o.ID, Account: a.ID, Role: storage.RoleMember}) {
		t.Fatalf("Member = %+v", m)
	}
	ok(t, s.PutMember(ctx, storage.Member{Org: o.ID, Account: a.ID, Role: storage.RoleManager}))
	m, err = s.Member(ctx, o.ID, a.ID)
	ok(t, err)
	if m.Role != storage.RoleManager {
		t.Fatalf("role after change = %q", m.Role)
	}
	wantStrings(t, "Members after role change", memberIDs(t, s, o.ID), want...)

	ok(t, s.DeleteMember(ctx, o.ID, a.ID))
	wantErr(t, s.DeleteMember(ctx, o.ID, a.ID), storage.ErrNotFound)
	_, err = s.Member(ctx, o.ID, a.ID)
	wantErr(t, err, storage.ErrNotFound)
	wantStrings(t, "Members after delete", memberIDs(t, s, o.ID), b.ID)
	wantStrings(t, "OrganizationsOf after delete", orgNames(t, s, a.ID))
}

func testMailServiceRoundTrip(t *testing.T, s storage.Store) {
	ctx := t.Context()
	o := newOrg(t, s, "Acme")
	before := time.Now()
	ms := &storage.MailService{Org: o.ID, Domain: "Domain.XYZ", Plan: "free", AliasDomains: []string{"Alias.xyz", "other.XYZ"}}
	ok(t, s.CreateMailService(ctx, ms))
	if ms.ID == "" || ms.Domain != "domain.xyz" || !slices.Equal(ms.AliasDomains, []string{"alias.xyz", "other.xyz"}) {
		t.Fatalf("CreateMailService wrote back %+v", ms)
	}
	notBefore(t, "Created", ms.Created, before)

	got, err := s.MailService(ctx, ms.ID)
	ok(t, err)
	if !sameService(*got, *ms) {
		t.Fatalf("MailService = %+v, want %+v", got, ms)
	}
	for _, d := range []string{"domain.xyz", "DOMAIN.xyz", "alias.xyz", "Other.Xyz"} {
		got, err := s.MailServiceByDomain(ctx, d)
		if err != nil {
			t.Fatalf("MailServiceByDomain %s: %v", d, err)
		}
		if !sameService(*got, *ms) {
			t.Fatalf("MailServiceByDomain %s = %+v, want %+v", d, got, ms)
		}
	}
	_, err = s.MailServiceByDomain(ctx, "nope.xyz")
	wantErr(t, err, storage.ErrNotFound)
	_, err = s.MailService(ctx, "missing")
	wantErr(t, err, storage.ErrNotFound)

	wantErr(t, s.CreateMailService(ctx, &storage.MailService{Org: "missing", Domain: "x.xyz", Plan: "free"}), storage.ErrNotFound)
	wantErr(t, s.CreateMailService(ctx, &storage.MailService{ID: ms.ID, Org: o.ID, Domain: "y.xyz", Plan: "free"}), storage.ErrExists)

	second := newMailService(t, s, o.ID, "abc.xyz")
	if second.AliasDomains != nil {
		t.Fatalf("AliasDomains without any = %#v, want nil", second.AliasDomains)
	}
	list, err := s.MailServices(ctx, o.ID)
	ok(t, err)
	if len(list) != 2 || list[0].Domain != "abc.xyz" || !sameService(list[1], *ms) {
		t.Fatalf("MailServices = %+v", list)
	}
	_, err = s.MailServices(ctx, "missing")
	wantErr(t, err, storage.ErrNotFound)
	empty := newOrg(t, s, "Empty")
	list, err = s.MailServices(ctx, empty.ID)
	ok(t, err)
	if len(list) != 0 {
		t.Fatalf("MailServices of empty org = %+v", list)
	}
}

func testUpdateMailService(t *testing.T, s storage.Store) {
	ctx := t.Context()
	f := newMailFixture(t, s)
	up := &storage.MailService{ID: f.service.ID, Org: "ignored", Domain: "ignored.xyz", Plan: "free", AliasDomains: []string{"New.xyz"}}
	ok(t, s.UpdateMailService(ctx, up))
	want := *f.service
	want.Plan, want.AliasDomains = "free", []string{"new.xyz"}
	if !sameService(*up, want) {
		t.Fatalf("UpdateMailService wrote back %+v, want %+v", up, want)
	}
	got, err := s.MailServiceByDomain(ctx, "new.xyz")
	ok(t, err)
	if !sameService(*got, want) {
		t.Fatalf("after update = %+v, want %+v", got, want)
	}
	_, err = s.MailServiceByDomain(ctx, "alias.xyz")
	wantErr(t, err, storage.ErrNotFound)
	_, err = s.MailServiceByDomain(ctx, "ignored.xyz")
	wantErr(t, err, storage.ErrNotFound)

	// Keeping an alias domain while adding one is no conflict with itself.
	up = &storage.MailService{ID: f.service.ID, Plan: "free", AliasDomains: []string{"new.xyz", "more.xyz"}}
	ok(t, s.UpdateMailService(ctx, up))
	// Clearing them frees both.
	up = &storage.MailService{ID: f.service.ID, Plan: "standard"}
	ok(t, s.UpdateMailService(ctx, up))
	if up.AliasDomains != nil || up.Plan != "standard" {
		t.Fatalf("after clearing = %+v", up)
	}
	for _, d := range []string{"new.xyz", "more.xyz"} {
		_, err = s.MailServiceByDomain(ctx, d)
		wantErr(t, err, storage.ErrNotFound)
	}
	wantErr(t, s.UpdateMailService(ctx, &storage.MailService{ID: "missing", Plan: "free"}), storage.ErrNotFound)
}

func testMailDomainUniqueness(t *testing.T, s storage.Store) {
	ctx := t.Context()
	f := newMailFixture(t, s) // domain.xyz with alias.xyz
	other := newOrg(t, s, "Other")
	create := func(domain string, aliases ...string) error {
		return s.CreateMailService(ctx, &storage.MailService{Org: other.ID, Domain: domain, Plan: "free", AliasDomains: aliases})
	}
	wantErr(t, create("domain.xyz"), storage.ErrExists)
	wantErr(t, create("DOMAIN.XYZ"), storage.ErrExists)
	wantErr(t, create("Alias.xyz"), storage.ErrExists)                   // primary over an alias domain
	wantErr(t, create("b.xyz", "domain.xyz"), storage.ErrExists)         // alias over a primary
	wantErr(t, create("b.xyz", "c.xyz", "ALIAS.xyz"), storage.ErrExists) // alias over an alias
	wantErr(t, create("b.xyz", "b.xyz"), storage.ErrExists)              // alias repeating its own domain
	// A refused service stores nothing, not even its free domains.
	for _, d := range []string{"b.xyz", "c.xyz"} {
		_, err := s.MailServiceByDomain(ctx, d)
		wantErr(t, err, storage.ErrNotFound)
	}
	list, err := s.MailServices(ctx, other.ID)
	ok(t, err)
	if len(list) != 0 {
		t.Fatalf("refused services stored: %+v", list)
	}

	b := newMailService(t, s, other.ID, "b.xyz", "c.xyz")
	wantErr(t, s.UpdateMailService(ctx, &storage.MailService{ID: b.ID, Plan: "free", AliasDomains: []string{"domain.xyz"}}), storage.ErrExists)
	wantErr(t, s.UpdateMailService(ctx, &storage.MailService{ID: b.ID, Plan: "free", AliasDomains: []string{"d.xyz", "alias.xyz"}}), storage.ErrExists)
	wantErr(t, s.UpdateMailService(ctx, &storage.MailService{ID: b.ID, Plan: "free", AliasDomains: []string{"b.xyz"}}), storage.ErrExists)
	// Failed updates changed nothing.
	got, err := s.MailService(ctx, b.ID)
	ok(t, err)
	if !sameService(*got, *b) {
		t.Fatalf("after refused updates = %+v, want %+v", got, b)
	}
	_, err = s.MailServiceByDomain(ctx, "d.xyz")
	wantErr(t, err, storage.ErrNotFound)
	wantErr(t, s.UpdateMailService(ctx, &storage.MailService{ID: f.service.ID, Plan: "free", AliasDomains: []string{"c.xyz"}}), storage.ErrExists)

	// Once the first service drops alias.xyz, the second may take it.
	ok(t, s.UpdateMailService(ctx, &storage.MailService{ID: f.service.ID, Plan: "free"}))
	ok(t, s.UpdateMailService(ctx, &storage.MailService{ID: b.ID, Plan: "free", AliasDomains: []string{"c.xyz", "alias.xyz"}}))
	got, err = s.MailServiceByDomain(ctx, "alias.xyz")
	ok(t, err)
	if got.ID != b.ID {
		t.Fatalf("alias.xyz resolves to %s, want %s", got.ID, b.ID)
	}
}

func testMailboxRoundTrip(t *testing.T, s storage.Store) {
	ctx := t.Context()
	f := newMailFixture(t, s)
	before := time.Now()
	m := f.mailbox(t, "John.Doe", "JD", "johnny")
	if m.LocalPart != "John.Doe" || !slices.Equal(m.Aliases, []string{"jd", "johnny"}) {
		t.Fatalf("CreateMailbox wrote back %+v", m)
	}
	notBefore(t, "Created", m.Created, before)
	for _, local := range []string{"John.Doe", "john.doe", "JOHN.DOE"} {
		got := getMailbox(t, s, f.service.ID, local)
		if !sameMailbox(*got, *m) {
			t.Fatalf("Mailbox %s = %+v, want %+v", local, got, m)
		}
	}
	// Mailbox does not answer for an alias.
	wantNoMailbox(t, s, f.service.ID, "jd")

	wantErr(t, s.CreateMailbox(ctx, &storage.Mailbox{Service: "missing", LocalPart: "x"}), storage.ErrNotFound)
	_, err := s.Mailboxes(ctx, "missing")
	wantErr(t, err, storage.ErrNotFound)

	plain := f.mailbox(t, "alice")
	if plain.Aliases != nil {
		t.Fatalf("Aliases without any = %#v, want nil", plain.Aliases)
	}
	f.mailbox(t, "Bob")
	list, err := s.Mailboxes(ctx, f.service.ID)
	ok(t, err)
	var locals []string
	for _, mb := range list {
		locals = append(locals, mb.LocalPart)
	}
	wantStrings(t, "Mailboxes", locals, "alice", "Bob", "John.Doe")

	when := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	ok(t, s.SetMailboxPassword(ctx, f.service.ID, "JOHN.doe", "{SHA512-CRYPT}$6$new$hash", when))
	got := getMailbox(t, s, f.service.ID, "john.doe")
	if got.PasswordHash != "{SHA512-CRYPT}$6$new$hash" || !got.PasswordChanged.Equal(when) {
		t.Fatalf("after SetMailboxPassword = %+v", got)
	}
	wantErr(t, s.SetMailboxPassword(ctx, f.service.ID, "nobody", "x", when), storage.ErrNotFound)

	ok(t, s.DeleteMailbox(ctx, f.service.ID, "BOB"))
	wantNoMailbox(t, s, f.service.ID, "bob")
	wantErr(t, s.DeleteMailbox(ctx, f.service.ID, "bob"), storage.ErrNotFound)

	// Another service has its own names.
	other := newMailService(t, s, f.org.ID, "other.xyz")
	newMailbox(t, s, other.ID, "john.doe", "jd")
}

func testMailNameCollisions(t *testing.T, s storage.Store) {
	ctx := t.Context()
	f := newMailFixture(t, s)
	svc := f.service.ID
	f.mailbox(t, "Bob")
	f.mailbox(t, "alice")

	// A mailbox over a mailbox.
	wantErr(t, s.CreateMailbox(ctx, &storage.Mailbox{Service: svc, LocalPart: "bob"}), storage.ErrExists)
	// An alias over a mailbox, own or another.
	wantErr(t, s.AddAlias(ctx, svc, "alice", "BOB", 10), storage.ErrExists)
	wantErr(t, s.AddAlias(ctx, svc, "alice", "Alice", 10), storage.ErrExists)
	// An alias over an alias, own or another's.
	ok(t, s.AddAlias(ctx, svc, "alice", "Info", 10))
	wantAliases(t, s, svc, "alice", "info")
	wantErr(t, s.AddAlias(ctx, svc, "alice", "info", 10), storage.ErrExists)
	wantErr(t, s.AddAlias(ctx, svc, "bob", "INFO", 10), storage.ErrExists)
	// A mailbox over an alias.
	wantErr(t, s.CreateMailbox(ctx, &storage.Mailbox{Service: svc, LocalPart: "INFO"}), storage.ErrExists)
	// A new mailbox whose aliases collide, with others or itself.
	wantErr(t, s.CreateMailbox(ctx, &storage.Mailbox{Service: svc, LocalPart: "carol", Aliases: []string{"x", "Bob"}}), storage.ErrExists)
	wantErr(t, s.CreateMailbox(ctx, &storage.Mailbox{Service: svc, LocalPart: "carol", Aliases: []string{"info"}}), storage.ErrExists)
	wantErr(t, s.CreateMailbox(ctx, &storage.Mailbox{Service: svc, LocalPart: "carol", Aliases: []string{"Carol"}}), storage.ErrExists)
	wantErr(t, s.CreateMailbox(ctx, &storage.Mailbox{Service: svc, LocalPart: "carol", Aliases: []string{"x", "X"}}), storage.ErrExists)
	// Refused creations stored nothing: carol and x are free.
	wantNoMailbox(t, s, svc, "carol")
	f.mailbox(t, "carol", "x")

	wantAliases(t, s, svc, "bob")
	wantAliases(t, s, svc, "alice", "info")
	wantErr(t, s.AddAlias(ctx, svc, "nobody", "y", 10), storage.ErrNotFound)
}

func testAliasLimit(t *testing.T, s storage.Store) {
	ctx := t.Context()
	f := newMailFixture(t, s)
	svc := f.service.ID
	f.mailbox(t, "alice")
	ok(t, s.AddAlias(ctx, svc, "alice", "one", 2))
	ok(t, s.AddAlias(ctx, svc, "ALICE", "two", 2))
	wantErr(t, s.AddAlias(ctx, svc, "alice", "three", 2), storage.ErrLimit)
	wantAliases(t, s, svc, "alice", "one", "two")
	_, _, _, err := s.ResolveAddress(ctx, "three@domain.xyz")
	wantErr(t, err, storage.ErrNotFound)
	// "three" is still free for another mailbox.
	f.mailbox(t, "bob")
	ok(t, s.AddAlias(ctx, svc, "bob", "three", 2))
	// A lower limit than the count refuses too; zero allows none.
	wantErr(t, s.AddAlias(ctx, svc, "alice", "four", 1), storage.ErrLimit)
	f.mailbox(t, "carol")
	wantErr(t, s.AddAlias(ctx, svc, "carol", "five", 0), storage.ErrLimit)
	wantAliases(t, s, svc, "carol")
	// Removing one makes room again.
	ok(t, s.RemoveAlias(ctx, svc, "alice", "one"))
	ok(t, s.AddAlias(ctx, svc, "alice", "four", 2))
	wantAliases(t, s, svc, "alice", "two", "four")
}

func testRemoveAlias(t *testing.T, s storage.Store) {
	ctx := t.Context()
	f := newMailFixture(t, s)
	svc := f.service.ID
	f.mailbox(t, "alice", "sales", "info")
	f.mailbox(t, "bob", "help")
	wantErr(t, s.RemoveAlias(ctx, svc, "alice", "help"), storage.ErrNotFound) // bob's
	wantErr(t, s.RemoveAlias(ctx, svc, "alice", "nope"), storage.ErrNotFound)
	wantErr(t, s.RemoveAlias(ctx, svc, "alice", "alice"), storage.ErrNotFound)
	wantErr(t, s.RemoveAlias(ctx, svc, "nobody", "info"), storage.ErrNotFound)
	ok(t, s.RemoveAlias(ctx, svc, "Alice", "SALES"))
	wantAliases(t, s, svc, "alice", "info")
	wantAliases(t, s, svc, "bob", "help")
	_, _, _, err := s.ResolveAddress(ctx, "sales@domain.xyz")
	wantErr(t, err, storage.ErrNotFound)
	// The name is free for a mailbox or another mailbox's alias.
	ok(t, s.AddAlias(ctx, svc, "bob", "sales", 5))
	ok(t, s.RemoveAlias(ctx, svc, "bob", "sales"))
	f.mailbox(t, "sales")
	ok(t, s.RemoveAlias(ctx, svc, "alice", "info"))
	wantAliases(t, s, svc, "alice")
}

func testResolveAddress(t *testing.T, s storage.Store) {
	ctx := t.Context()
	f := newMailFixture(t, s) // domain.xyz, alias domain alias.xyz
	f.mailbox(t, "John.Doe", "jd")
	f.mailbox(t, "x@y") // a local part with '@': addresses split at the last one
	other := newMailService(t, s, f.org.ID, "other.xyz")
	newMailbox(t, s, other.ID, "jd")

	cases := []struct {
		address, service, local string
		alias                   bool
	}{
		{"john.doe@domain.xyz", f.service.ID, "John.Doe", false},
		{"JOHN.DOE@DOMAIN.XYZ", f.service.ID, "John.Doe", false},
		{"jd@domain.xyz", f.service.ID, "John.Doe", true},
		{"JD@Domain.xyz", f.service.ID, "John.Doe", true},
		{"john.doe@alias.xyz", f.service.ID, "John.Doe", false},
		{"jd@ALIAS.xyz", f.service.ID, "John.Doe", true},
		{"x@y@domain.xyz", f.service.ID, "x@y", false},
		{"jd@other.xyz", other.ID, "jd", false},
	}
	for _, c := range cases {
		svc, mb, alias, err := s.ResolveAddress(ctx, c.address)
		if err != nil {
			t.Fatalf("ResolveAddress %s: %v", c.address, err)
		}
		if svc.ID != c.service || mb.Service != c.service || mb.LocalPart != c.local || alias != c.alias {
			t.Fatalf("ResolveAddress %s = %s, %s/%s, %v; want %s/%s, %v",
				c.address, svc.ID, mb.Service, mb.LocalPart, alias, c.service, c.local, c.alias)
		}
	}
	for _, a := range []string{
		"nobody@domain.xyz", "john.doe@unknown.xyz", "john.doe", "", "@domain.xyz", "john.doe@",
		"john.doe@sub.domain.xyz", "x@domain.xyz",
	} {
		if svc, mb, _, err := s.ResolveAddress(ctx, a); !errors.Is(err, storage.ErrNotFound) {
			t.Fatalf("ResolveAddress %q = %+v, %+v, %v; want ErrNotFound", a, svc, mb, err)
		}
	}
}

func testMailboxLinks(t *testing.T, s storage.Store) {
	ctx := t.Context()
	f := newMailFixture(t, s)
	svc := f.service.ID
	f.mailbox(t, "John.Doe")
	f.mailbox(t, "alice")
	u := newAccount(t, s, "user@example.org")

	wantErr(t, s.PutMailboxLink(ctx, &storage.MailboxLink{Service: svc, LocalPart: "nobody", Account: u.ID}), storage.ErrNotFound)
	wantErr(t, s.PutMailboxLink(ctx, &storage.MailboxLink{Service: "missing", LocalPart: "alice", Account: u.ID}), storage.ErrNotFound)
	wantErr(t, s.PutMailboxLink(ctx, &storage.MailboxLink{Service: svc, LocalPart: "alice", Account: "missing"}), storage.ErrNotFound)
	_, err := s.MailboxLink(ctx, svc, "alice", u.ID)
	wantErr(t, err, storage.ErrNotFound)
	wantStrings(t, "MailboxLinksOf none", linksOf(t, s, u.ID))
	wantStrings(t, "MailboxLinksTo none", linksTo(t, s, svc, "alice"))
	_, err = s.MailboxLinksTo(ctx, svc, "nobody")
	wantErr(t, err, storage.ErrNotFound)

	before := time.Now()
	l := putLink(t, s, svc, "john.doe", u.ID, storage.RightResponder, storage.RightPassword, storage.RightPassword)
	notBefore(t, "Created", l.Created, before)
	want := storage.MailboxLink{Service: svc, LocalPart: "John.Doe", Account: u.ID,
		Rights: []string{storage.RightPassword, storage.RightResponder}, Created: l.Created}
	if !sameMailboxLink(*l, want) {
		t.Fatalf("PutMailboxLink wrote back %+v, want %+v", l, want)
	}
	got, err := s.MailboxLink(ctx, svc, "JOHN.DOE", u.ID)
	ok(t, err)
	if !sameMailboxLink(*got, want) {
		t.Fatalf("MailboxLink = %+v, want %+v", got, want)
	}

	// Replace the rights: Created stays.
	l = putLink(t, s, svc, "John.Doe", u.ID, storage.RightAliases)
	want.Rights = []string{storage.RightAliases}
	if !sameMailboxLink(*l, want) {
		t.Fatalf("replaced link = %+v, want %+v", l, want)
	}
	l = putLink(t, s, svc, "John.Doe", u.ID)
	if l.Rights != nil || !l.Created.Equal(want.Created) {
		t.Fatalf("link without rights = %+v", l)
	}

	putLink(t, s, svc, "alice", u.ID, storage.RightPassword)
	putLink(t, s, svc, "alice", f.owner.ID, storage.RightPassword)
	wantStrings(t, "MailboxLinksOf", linksOf(t, s, u.ID), svc+"/alice", svc+"/John.Doe")
	accounts := []string{u.ID, f.owner.ID}
	slices.Sort(accounts)
	wantStrings(t, "MailboxLinksTo alice", linksTo(t, s, svc, "ALICE"), accounts...)
	wantStrings(t, "MailboxLinksTo john", linksTo(t, s, svc, "john.doe"), u.ID)

	ok(t, s.DeleteMailboxLink(ctx, svc, "ALICE", u.ID))
	wantErr(t, s.DeleteMailboxLink(ctx, svc, "alice", u.ID), storage.ErrNotFound)
	wantStrings(t, "MailboxLinksOf after delete", linksOf(t, s, u.ID), svc+"/John.Doe")
	wantStrings(t, "MailboxLinksTo after delete", linksTo(t, s, svc, "alice"), f.owner.ID)
	ok(t, s.DeleteMailboxLink(ctx, svc, "john.doe", u.ID))
	wantStrings(t, "MailboxLinksOf after deleting all", linksOf(t, s, u.ID))
}

func testDeleteMailboxCascades(t *testing.T, s storage.Store) {
	ctx := t.Context()
	f := newMailFixture(t, s)
	svc := f.service.ID
	f.mailbox(t, "alice", "info")
	f.mailbox(t, "bob")
	u := newAccount(t, s, "user@example.org")
	putLink(t, s, svc, "alice", u.ID, storage.RightPassword)
	putLink(t, s, svc, "bob", u.ID, storage.RightPassword)

	ok(t, s.DeleteMailbox(ctx, svc, "Alice"))
	wantStrings(t, "MailboxLinksOf", linksOf(t, s, u.ID), svc+"/bob")
	_, err := s.MailboxLink(ctx, svc, "alice", u.ID)
	wantErr(t, err, storage.ErrNotFound)
	_, _, _, err = s.ResolveAddress(ctx, "info@domain.xyz")
	wantErr(t, err, storage.ErrNotFound)
	// Its names are free again, and a new mailbox of the name starts
	// without the old links.
	ok(t, s.AddAlias(ctx, svc, "bob", "info", 5))
	f.mailbox(t, "alice")
	wantStrings(t, "MailboxLinksTo new alice", linksTo(t, s, svc, "alice"))
}

func testDeleteMailServiceCascades(t *testing.T, s storage.Store) {
	ctx := t.Context()
	f := newMailFixture(t, s)
	svc := f.service.ID
	keep := newMailService(t, s, f.org.ID, "keep.xyz")
	f.mailbox(t, "alice", "info")
	newMailbox(t, s, keep.ID, "alice")
	u := newAccount(t, s, "user@example.org")
	putLink(t, s, svc, "alice", u.ID, storage.RightPassword)
	putLink(t, s, keep.ID, "alice", u.ID, storage.RightPassword)

	ok(t, s.DeleteMailService(ctx, svc))
	wantErr(t, s.DeleteMailService(ctx, svc), storage.ErrNotFound)
	_, err := s.MailService(ctx, svc)
	wantErr(t, err, storage.ErrNotFound)
	wantNoMailbox(t, s, svc, "alice")
	_, err = s.Mailboxes(ctx, svc)
	wantErr(t, err, storage.ErrNotFound)
	for _, d := range []string{"domain.xyz", "alias.xyz"} {
		_, err = s.MailServiceByDomain(ctx, d)
		wantErr(t, err, storage.ErrNotFound)
	}
	wantStrings(t, "MailboxLinksOf", linksOf(t, s, u.ID), keep.ID+"/alice")
	list, err := s.MailServices(ctx, f.org.ID)
	ok(t, err)
	if len(list) != 1 || list[0].ID != keep.ID {
		t.Fatalf("MailServices = %+v", list)
	}

	// The domains are free; a new service under the old ID starts empty.
	again := &storage.MailService{ID: svc, Org: f.org.ID, Domain: "domain.xyz", Plan: "free", AliasDomains: []string{"alias.xyz"}}
	ok(t, s.CreateMailService(ctx, again))
	ms, err := s.Mailboxes(ctx, svc)
	ok(t, err)
	if len(ms) != 0 {
		t.Fatalf("Mailboxes of recreated service = %+v", ms)
	}
	f.mailbox(t, "info")
}

func testDeleteOrganizationCascades(t *testing.T, s storage.Store) {
	ctx := t.Context()
	f := newMailFixture(t, s)
	second := newMailService(t, s, f.org.ID, "second.xyz")
	f.mailbox(t, "alice", "info")
	newMailbox(t, s, second.ID, "bob")
	u := newAccount(t, s, "user@example.org")
	ok(t, s.PutMember(ctx, storage.Member{Org: f.org.ID, Account: u.ID, Role: storage.RoleMember}))
	putLink(t, s, f.service.ID, "alice", u.ID, storage.RightPassword)
	putLink(t, s, second.ID, "bob", u.ID)

	otherOrg := newOrg(t, s, "Other")
	ok(t, s.PutMember(ctx, storage.Member{Org: otherOrg.ID, Account: u.ID, Role: storage.RoleOwner}))
	otherSvc := newMailService(t, s, otherOrg.ID, "other.xyz")
	newMailbox(t, s, otherSvc.ID, "carol")
	putLink(t, s, otherSvc.ID, "carol", u.ID)

	ok(t, s.DeleteOrganization(ctx, f.org.ID))
	_, err := s.Organization(ctx, f.org.ID)
	wantErr(t, err, storage.ErrNotFound)
	_, err = s.Members(ctx, f.org.ID)
	wantErr(t, err, storage.ErrNotFound)
	_, err = s.Member(ctx, f.org.ID, u.ID)
	wantErr(t, err, storage.ErrNotFound)
	for _, id := range []string{f.service.ID, second.ID} {
		_, err = s.MailService(ctx, id)
		wantErr(t, err, storage.ErrNotFound)
	}
	for _, d := range []string{"domain.xyz", "alias.xyz", "second.xyz"} {
		_, err = s.MailServiceByDomain(ctx, d)
		wantErr(t, err, storage.ErrNotFound)
	}
	wantStrings(t, "OrganizationsOf user", orgNames(t, s, u.ID), "Other")
	wantStrings(t, "OrganizationsOf owner", orgNames(t, s, f.owner.ID))
	wantStrings(t, "MailboxLinksOf", linksOf(t, s, u.ID), otherSvc.ID+"/carol")
	services, boxes, err := s.MailExport(ctx)
	ok(t, err)
	if len(services) != 1 || services[0].ID != otherSvc.ID || len(boxes) != 1 || len(boxes[otherSvc.ID]) != 1 {
		t.Fatalf("MailExport after delete = %+v, %+v", services, boxes)
	}
	// The accounts stay.
	_, err = s.Account(ctx, u.ID)
	ok(t, err)
}

func testDeleteAccountMail(t *testing.T, s storage.Store) {
	ctx := t.Context()
	f := newMailFixture(t, s)
	svc := f.service.ID
	f.mailbox(t, "alice")
	u := newAccount(t, s, "user@example.org")
	ok(t, s.PutMember(ctx, storage.Member{Org: f.org.ID, Account: u.ID, Role: storage.RoleManager}))
	putLink(t, s, svc, "alice", u.ID, storage.RightPassword)
	putLink(t, s, svc, "alice", f.owner.ID, storage.RightPassword)

	ok(t, s.DeleteAccount(ctx, u.ID))
	wantStrings(t, "Members", memberIDs(t, s, f.org.ID), f.owner.ID)
	wantStrings(t, "MailboxLinksTo", linksTo(t, s, svc, "alice"), f.owner.ID)
	wantStrings(t, "MailboxLinksOf deleted", linksOf(t, s, u.ID))
	wantStrings(t, "OrganizationsOf deleted", orgNames(t, s, u.ID))
	_, err := s.MailboxLink(ctx, svc, "alice", u.ID)
	wantErr(t, err, storage.ErrNotFound)
	// The organization, service and mailbox stay.
	getMailbox(t, s, svc, "alice")

	// The last member going leaves the organization without members.
	ok(t, s.DeleteAccount(ctx, f.owner.ID))
	wantStrings(t, "Members after owner", memberIDs(t, s, f.org.ID))
	wantStrings(t, "MailboxLinksTo after owner", linksTo(t, s, svc, "alice"))
}

func testMailExport(t *testing.T, s storage.Store) {
	ctx := t.Context()
	services, boxes, err := s.MailExport(ctx)
	ok(t, err)
	if len(services) != 0 || len(boxes) != 0 {
		t.Fatalf("MailExport of empty store = %+v, %+v", services, boxes)
	}

	f := newMailFixture(t, s) // domain.xyz
	a := f.mailbox(t, "Bob", "b")
	b := f.mailbox(t, "alice")
	when := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	ok(t, s.SetMailboxPassword(ctx, f.service.ID, "alice", "{SHA512-CRYPT}$6$a$b", when))
	b.PasswordHash, b.PasswordChanged = "{SHA512-CRYPT}$6$a$b", when
	empty := newMailService(t, s, f.org.ID, "abc.xyz")
	other := newMailService(t, s, newOrg(t, s, "Other").ID, "zed.xyz", "zed2.xyz")
	c := newMailbox(t, s, other.ID, "carol")

	services, boxes, err = s.MailExport(ctx)
	ok(t, err)
	wantServices := []storage.MailService{*empty, *f.service, *other}
	if len(services) != len(wantServices) {
		t.Fatalf("MailExport services = %+v", services)
	}
	for i := range services {
		if !sameService(services[i], wantServices[i]) {
			t.Fatalf("MailExport service %d = %+v, want %+v", i, services[i], wantServices[i])
		}
	}
	wantBoxes := map[string][]storage.Mailbox{
		empty.ID:     {},
		f.service.ID: {*b, *a},
		other.ID:     {*c},
	}
	if len(boxes) != len(wantBoxes) {
		t.Fatalf("MailExport mailboxes = %+v", boxes)
	}
	for id, want := range wantBoxes {
		got, found := boxes[id]
		if !found || !slices.EqualFunc(got, want, sameMailbox) {
			t.Fatalf("MailExport mailboxes of %s = %+v, want %+v", id, got, want)
		}
	}
}

// testConcurrentAliases races writers adding distinct aliases to one
// mailbox with a limit: exactly max succeed, the rest get ErrLimit.
func testConcurrentAliases(t *testing.T, s storage.Store) {
	ctx := t.Context()
	f := newMailFixture(t, s)
	svc := f.service.ID
	f.mailbox(t, "alice")
	const max, each = 3, 6
	var added atomic.Int32
	errs := make([]error, 2)
	run(2, func(w int) {
		for i := range each {
			err := s.AddAlias(ctx, svc, "alice", fmt.Sprintf("a%d-%d", w, i), max)
			switch {
			case err == nil:
				added.Add(1)
			case errors.Is(err, storage.ErrLimit):
			default:
				errs[w] = err
				return
			}
		}
	})
	ok(t, errors.Join(errs...))
	if n := added.Load(); n != max {
		t.Fatalf("%d aliases added, want %d", n, max)
	}
	m := getMailbox(t, s, svc, "alice")
	if len(m.Aliases) != max {
		t.Fatalf("aliases = %q, want %d", m.Aliases, max)
	}
	for _, a := range m.Aliases {
		_, got, alias, err := s.ResolveAddress(ctx, a+"@domain.xyz")
		ok(t, err)
		if got.LocalPart != "alice" || !alias {
			t.Fatalf("ResolveAddress %s = %+v, %v", a, got, alias)
		}
	}
}
