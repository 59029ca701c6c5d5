package storagetest

import (
	"slices"
	"testing"
	"time"

	"almanac/storage"
)

var accountTests = []test{
	{"CreateFillsIDAndCreated", testCreateAccount},
	{"ExplicitID", testAccountExplicitID},
	{"LoginCaseInsensitive", testAccountLoginCase},
	{"NotFound", testAccountNotFound},
	{"UpdateLogin", testUpdateAccountLogin},
	{"UpdateLoginTaken", testUpdateAccountLoginTaken},
	{"DeleteCascades", testDeleteAccountCascades},
	{"List", testListAccounts},
	{"AdminAndDisabled", testAccountAdminDisabled},
}

func testCreateAccount(t *testing.T, s storage.Store) {
	ctx := t.Context()
	before := time.Now()
	a := &storage.Account{Login: "Alice@Example.org", DisplayName: "Alice", PasswordHash: "hash-a"}
	ok(t, s.CreateAccount(ctx, a))
	if a.ID == "" {
		t.Fatal("CreateAccount left ID empty")
	}
	notBefore(t, "Created", a.Created, before)
	b := newAccount(t, s, "bob@example.org")
	if b.ID == a.ID {
		t.Fatalf("two accounts share ID %q", a.ID)
	}

	got, err := s.Account(ctx, a.ID)
	ok(t, err)
	if got.ID != a.ID || got.Login != "Alice@Example.org" || got.DisplayName != "Alice" ||
		got.PasswordHash != "hash-a" || !got.Created.Equal(a.Created) {
		t.Fatalf("Account = %+v, want %+v", got, a)
	}
}

func testAccountExplicitID(t *testing.T, s storage.Store) {
	ctx := t.Context()
	a := &storage.Account{ID: "alice", Login: "alice@example.org"}
	ok(t, s.CreateAccount(ctx, a))
	if a.ID != "alice" {
		t.Fatalf("ID = %q, want the given %q", a.ID, "alice")
	}
	wantErr(t, s.CreateAccount(ctx, &storage.Account{ID: "alice", Login: "other@example.org"}), storage.ErrExists)
	if _, err := s.AccountByLogin(ctx, "other@example.org"); err == nil {
		t.Fatal("failed CreateAccount left its login behind")
	}
}

func testAccountLoginCase(t *testing.T, s storage.Store) {
	ctx := t.Context()
	a := newAccount(t, s, "Alice@Example.org")
	for _, login := range []string{"Alice@Example.org", "alice@example.org", "ALICE@EXAMPLE.ORG"} {
		got, err := s.AccountByLogin(ctx, login)
		ok(t, err)
		if got.ID != a.ID || got.Login != "Alice@Example.org" {
			t.Fatalf("AccountByLogin(%q) = %+v, want ID %q with login as given", login, got, a.ID)
		}
	}
	wantErr(t, s.CreateAccount(ctx, &storage.Account{Login: "aLiCe@example.ORG"}), storage.ErrExists)
	all, err := s.ListAccounts(ctx)
	ok(t, err)
	if len(all) != 1 {
		t.Fatalf("ListAccounts = %d accounts after a refused duplicate, want 1", len(all))
	}
}

func testAccountNotFound(t *testing.T, s storage.Store) {
	ctx := t.Context()
	newAccount(t, s, "alice@example.org")
	_, err := s.Account(ctx, "nobody")
	wantErr(t, err, storage.ErrNotFound)
	_, err = s.AccountByLogin(ctx, "nobody@example.org")
	wantErr(t, err, storage.ErrNotFound)
	wantErr(t, s.UpdateAccount(ctx, &storage.Account{ID: "nobody", Login: "nobody@example.org"}), storage.ErrNotFound)
	wantErr(t, s.DeleteAccount(ctx, "nobody"), storage.ErrNotFound)
	if _, err := s.AccountByLogin(ctx, "nobody@example.org"); err == nil {
		t.Fatal("UpdateAccount of a missing account created a login")
	}
}

func testUpdateAccountLogin(t *testing.T, s storage.Store) {
	ctx := t.Context()
	a := newAccount(t, s, "alice@example.org")
	created := a.Created

	upd := &storage.Account{ID: a.ID, Login: "Alice.Smith@Example.org", DisplayName: "Alice Smith", PasswordHash: "new-hash"}
	ok(t, s.UpdateAccount(ctx, upd))
	_, err := s.AccountByLogin(ctx, "alice@example.org")
	wantErr(t, err, storage.ErrNotFound)
	got, err := s.AccountByLogin(ctx, "alice.smith@example.org")
	ok(t, err)
	if got.ID != a.ID || got.Login != "Alice.Smith@Example.org" || got.DisplayName != "Alice Smith" ||
		got.PasswordHash != "new-hash" || !got.Created.Equal(created) {
		t.Fatalf("after update = %+v, want same ID and Created, new fields", got)
	}

	// Changing only the letter case of one's own login is no conflict.
	upd.Login = "alice.smith@example.org"
	ok(t, s.UpdateAccount(ctx, upd))
	got, err = s.Account(ctx, a.ID)
	ok(t, err)
	if got.Login != "alice.smith@example.org" {
		t.Fatalf("Login = %q after case change", got.Login)
	}

	// The old login is free again.
	b := newAccount(t, s, "ALICE@example.org")
	got, err = s.AccountByLogin(ctx, "alice@example.org")
	ok(t, err)
	if got.ID != b.ID {
		t.Fatalf("old login resolves to %q, want the new account %q", got.ID, b.ID)
	}
}

func testUpdateAccountLoginTaken(t *testing.T, s storage.Store) {
	ctx := t.Context()
	a := newAccount(t, s, "alice@example.org")
	b := newAccount(t, s, "bob@example.org")
	err := s.UpdateAccount(ctx, &storage.Account{ID: a.ID, Login: "BOB@example.org", DisplayName: "changed"})
	wantErr(t, err, storage.ErrExists)

	got, err := s.Account(ctx, a.ID)
	ok(t, err)
	if got.Login != "alice@example.org" || got.DisplayName != a.DisplayName {
		t.Fatalf("refused update changed the account: %+v", got)
	}
	for login, id := range map[string]string{"alice@example.org": a.ID, "bob@example.org": b.ID} {
		got, err := s.AccountByLogin(ctx, login)
		ok(t, err)
		if got.ID != id {
			t.Fatalf("AccountByLogin(%q) = %q, want %q", login, got.ID, id)
		}
	}
}

func testDeleteAccountCascades(t *testing.T, s storage.Store) {
	ctx := t.Context()
	f := newFixture(t, s)
	newCollection(t, s, f.owner, "contacts", storage.KindAddressBook)
	f.put(t, f.cal, "a.ics", "uid-a", ics("uid-a", "a"))
	other := newAccount(t, s, "bob@example.org")
	newCollection(t, s, other.ID, "cal", storage.KindCalendar)

	ok(t, s.DeleteAccount(ctx, f.owner))
	_, err := s.Account(ctx, f.owner)
	wantErr(t, err, storage.ErrNotFound)
	_, err = s.AccountByLogin(ctx, "alice@example.org")
	wantErr(t, err, storage.ErrNotFound)
	_, err = s.Collection(ctx, f.owner, "cal")
	wantErr(t, err, storage.ErrNotFound)
	_, err = s.Get(ctx, f.owner, "cal", "a.ics")
	wantErr(t, err, storage.ErrNotFound)

	// An account created again under the same ID and login starts empty.
	ok(t, s.CreateAccount(ctx, &storage.Account{ID: f.owner, Login: "alice@example.org"}))
	colls, err := s.ListCollections(ctx, f.owner)
	ok(t, err)
	if len(colls) != 0 {
		t.Fatalf("recreated account has %d collections, want 0", len(colls))
	}
	if _, err := s.Collection(ctx, other.ID, "cal"); err != nil {
		t.Fatalf("other account's collection: %v", err)
	}
}

func testListAccounts(t *testing.T, s storage.Store) {
	ctx := t.Context()
	want := map[string]string{}
	for _, login := range []string{"carol@example.org", "Alice@example.org", "bob@example.org"} {
		a := newAccount(t, s, login)
		want[a.ID] = login
	}
	all, err := s.ListAccounts(ctx)
	ok(t, err)
	got := map[string]string{}
	for _, a := range all {
		got[a.ID] = a.Login
	}
	if len(all) != len(want) || len(got) != len(want) {
		t.Fatalf("ListAccounts = %v, want %v", got, want)
	}
	for id, login := range want {
		if got[id] != login {
			t.Fatalf("ListAccounts = %v, want %v", got, want)
		}
	}
	gone := all[0].ID
	ok(t, s.DeleteAccount(ctx, gone))
	all, err = s.ListAccounts(ctx)
	ok(t, err)
	if len(all) != 2 || slices.ContainsFunc(all, func(a storage.Account) bool { return a.ID == gone }) {
		t.Fatalf("ListAccounts after deleting %q = %+v", gone, all)
	}
}

// testAccountAdminDisabled: the two flags are stored by every way of
// writing an account, read back by every way of reading one, and a new
// account has neither.
func testAccountAdminDisabled(t *testing.T, s storage.Store) {
	ctx := t.Context()
	plain := newAccount(t, s, "plain@example.org")
	got, err := s.Account(ctx, plain.ID)
	ok(t, err)
	if got.Admin || got.Disabled {
		t.Fatalf("new account = %+v, want neither admin nor disabled", got)
	}

	a := &storage.Account{Login: "root@example.org", PasswordHash: "h", Admin: true}
	ok(t, s.CreateAccount(ctx, a))
	wantAccount(t, s, a)

	mod, err := s.ModifyAccount(ctx, a.ID, func(x *storage.Account) error {
		x.Disabled = true
		return nil
	})
	ok(t, err)
	if !mod.Admin || !mod.Disabled {
		t.Fatalf("ModifyAccount returned %+v, want admin and disabled", mod)
	}
	wantAccount(t, s, mod)
	byLogin, err := s.AccountByLogin(ctx, "ROOT@example.org")
	ok(t, err)
	if !sameAccount(*byLogin, *mod) {
		t.Fatalf("AccountByLogin = %+v\nwant %+v", byLogin, mod)
	}
	all, err := s.ListAccounts(ctx)
	ok(t, err)
	i := slices.IndexFunc(all, func(x storage.Account) bool { return x.ID == a.ID })
	if i < 0 || !sameAccount(all[i], *mod) {
		t.Fatalf("ListAccounts = %+v\nwant to contain %+v", all, mod)
	}

	upd := *mod
	upd.Admin, upd.Disabled = false, false
	ok(t, s.UpdateAccount(ctx, &upd))
	wantAccount(t, s, &upd)
}
