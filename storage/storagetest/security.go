package storagetest

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"almanac/storage"
)

var securityTests = []test{
	{"AccountFieldsRoundTrip", testAccountSecurityFields},
	{"AccountsByMobile", testAccountsByMobile},
	{"AcceptTOTPStep", testAcceptTOTPStep},
	{"UseRecoveryCode", testUseRecoveryCode},
	{"RacingSecondFactor", testRacingSecondFactor},
	{"AppPasswordCRUD", testAppPasswordCRUD},
	{"AppPasswordOwners", testAppPasswordOwners},
	{"AppPasswordTouch", testAppPasswordTouch},
	{"SessionCRUD", testSessionCRUD},
	{"SessionExpiry", testSessionExpiry},
	{"DeleteSessions", testDeleteSessions},
	{"TokenSingleUse", testTokenSingleUse},
	{"TokenExpiry", testTokenExpiry},
	{"DeleteTokens", testDeleteTokens},
	{"RacingTakeToken", testRacingTakeToken},
	{"DeleteAccountCascades", testDeleteAccountSecurity},
	{"ModifyAccount", testModifyAccount},
}

// testModifyAccount: a change sees the stored record, writes only what it
// changes, keeps login uniqueness, aborts on its error, and concurrent
// changes of different fields both survive.
func testModifyAccount(t *testing.T, s storage.Store) {
	ctx := t.Context()
	a := newAccount(t, s, "mod@example.org")
	newAccount(t, s, "taken@example.org")
	got, err := s.ModifyAccount(ctx, a.ID, func(acc *storage.Account) error {
		acc.DisplayName, acc.Mobile = "Mo D", "+15555550199"
		return nil
	})
	ok(t, err)
	if got.DisplayName != "Mo D" || got.Login != "mod@example.org" || !got.Created.Equal(a.Created) {
		t.Fatalf("modified = %+v", got)
	}
	boom := errors.New("boom")
	if _, err := s.ModifyAccount(ctx, a.ID, func(acc *storage.Account) error { acc.DisplayName = "lost"; return boom }); !errors.Is(err, boom) {
		t.Fatalf("change error: %v", err)
	}
	if _, err := s.ModifyAccount(ctx, a.ID, func(acc *storage.Account) error { acc.Login = "TAKEN@example.org"; return nil }); !errors.Is(err, storage.ErrExists) {
		t.Fatalf("taken login: %v", err)
	}
	if _, err := s.ModifyAccount(ctx, "nope", func(*storage.Account) error { return nil }); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("missing account: %v", err)
	}
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			_, err := s.ModifyAccount(ctx, a.ID, func(acc *storage.Account) error {
				if i%2 == 0 {
					acc.RecoveryCodes = append(acc.RecoveryCodes, fmt.Sprint(i))
				} else {
					acc.PasswordHash = "h" + fmt.Sprint(i)
				}
				return nil
			})
			if err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	final, err := s.Account(ctx, a.ID)
	ok(t, err)
	if len(final.RecoveryCodes) != 4 || final.DisplayName != "Mo D" || final.Login != "mod@example.org" {
		t.Fatalf("after concurrent changes: %+v", final)
	}
}

// sameAccount compares every field, timestamps by instant.
func sameAccount(a, b storage.Account) bool {
	return a.ID == b.ID && a.Login == b.Login && a.DisplayName == b.DisplayName &&
		a.PasswordHash == b.PasswordHash && a.Created.Equal(b.Created) &&
		a.RecoveryEmail == b.RecoveryEmail && a.Mobile == b.Mobile &&
		a.TOTPSecret == b.TOTPSecret && a.TOTPEnabled == b.TOTPEnabled && a.TOTPLastStep == b.TOTPLastStep &&
		slices.Equal(a.RecoveryCodes, b.RecoveryCodes) && a.PasswordChanged.Equal(b.PasswordChanged) &&
		a.Admin == b.Admin && a.Disabled == b.Disabled
}

func wantAccount(t *testing.T, s storage.Store, want *storage.Account) {
	t.Helper()
	got, err := s.Account(t.Context(), want.ID)
	if err != nil {
		t.Fatalf("Account %s: %v", want.ID, err)
	}
	if !sameAccount(*got, *want) {
		t.Fatalf("Account %s = %+v\nwant %+v", want.ID, got, want)
	}
}

func testAccountSecurityFields(t *testing.T, s storage.Store) {
	ctx := t.Context()
	changed := time.Date(2026, 3, 1, 8, 30, 0, 123456000, time.FixedZone("+0100", 3600))

	// CreateAccount stores them too.
	a := &storage.Account{
		Login: "alice@example.org", PasswordHash: "h1",
		RecoveryEmail: "alice@private.example", Mobile: "+15555550100",
		PasswordChanged: changed,
	}
	ok(t, s.CreateAccount(ctx, a))
	wantAccount(t, s, a)

	// A new account has none of them.
	b := newAccount(t, s, "bob@example.org")
	got, err := s.Account(ctx, b.ID)
	ok(t, err)
	if got.RecoveryEmail != "" || got.Mobile != "" || got.TOTPSecret != "" || got.TOTPEnabled ||
		got.TOTPLastStep != 0 || got.RecoveryCodes != nil || !got.PasswordChanged.IsZero() {
		t.Fatalf("new account = %+v, want zero security fields", got)
	}

	// UpdateAccount replaces all of them, keeping Created.
	upd := &storage.Account{
		ID: a.ID, Login: "Alice@Example.org", DisplayName: "Alice", PasswordHash: "h2",
		RecoveryEmail: "a@elsewhere.example", Mobile: "+15555550199",
		TOTPSecret: "JBSWY3DPEHPK3PXP", TOTPEnabled: true, TOTPLastStep: 59012345,
		RecoveryCodes:   []string{"code-hash-1", "code-hash-2", "code-hash-3"},
		PasswordChanged: changed.Add(time.Hour),
		Created:         time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC), // ignored
	}
	ok(t, s.UpdateAccount(ctx, upd))
	if !upd.Created.Equal(a.Created) {
		t.Fatalf("UpdateAccount wrote back Created %v, want %v", upd.Created, a.Created)
	}
	wantAccount(t, s, upd)
	byLogin, err := s.AccountByLogin(ctx, "alice@example.org")
	ok(t, err)
	if !sameAccount(*byLogin, *upd) {
		t.Fatalf("AccountByLogin = %+v\nwant %+v", byLogin, upd)
	}
	all, err := s.ListAccounts(ctx)
	ok(t, err)
	i := slices.IndexFunc(all, func(x storage.Account) bool { return x.ID == a.ID })
	if i < 0 || !sameAccount(all[i], *upd) {
		t.Fatalf("ListAccounts = %+v\nwant to contain %+v", all, upd)
	}

	// Neither the caller's slice nor the one Account returns is the
	// store's.
	want := *upd
	want.RecoveryCodes = slices.Clone(upd.RecoveryCodes)
	upd.RecoveryCodes[1] = "scribbled"
	got, err = s.Account(ctx, a.ID)
	ok(t, err)
	got.RecoveryCodes[0] = "scribbled"
	wantAccount(t, s, &want)
	upd = &want

	// Clearing them: an empty code list reads back as nil.
	cleared := &storage.Account{ID: a.ID, Login: upd.Login, PasswordHash: "h3", RecoveryCodes: []string{}}
	ok(t, s.UpdateAccount(ctx, cleared))
	got, err = s.Account(ctx, a.ID)
	ok(t, err)
	if got.RecoveryEmail != "" || got.Mobile != "" || got.TOTPSecret != "" || got.TOTPEnabled ||
		got.TOTPLastStep != 0 || got.RecoveryCodes != nil || !got.PasswordChanged.IsZero() || got.PasswordHash != "h3" {
		t.Fatalf("cleared account = %+v", got)
	}

	// A refused update (login taken) changes none of them.
	ok(t, s.UpdateAccount(ctx, upd))
	refused := *upd
	refused.Login, refused.Mobile, refused.TOTPEnabled = "bob@example.org", "+15555550000", false
	wantErr(t, s.UpdateAccount(ctx, &refused), storage.ErrExists)
	wantAccount(t, s, upd)
}

func accountIDs(as []storage.Account) []string {
	ids := []string{}
	for _, a := range as {
		ids = append(ids, a.ID)
	}
	return ids
}

func testAccountsByMobile(t *testing.T, s storage.Store) {
	ctx := t.Context()
	const mobile = "+4915112345678"
	mk := func(id, mobile string) *storage.Account {
		a := &storage.Account{ID: id, Login: id + "@example.org", Mobile: mobile}
		ok(t, s.CreateAccount(ctx, a))
		return a
	}
	mk("carol", mobile)
	mk("alice", mobile)
	mk("bob", "+4915199999999")
	mk("dave", "")

	find := func(m string) []string {
		t.Helper()
		as, err := s.AccountsByMobile(ctx, m)
		ok(t, err)
		for _, a := range as {
			if a.Mobile != m {
				t.Fatalf("AccountsByMobile(%q) returned %+v", m, a)
			}
		}
		return accountIDs(as)
	}
	if got := find(mobile); !slices.Equal(got, []string{"alice", "carol"}) {
		t.Fatalf("AccountsByMobile = %v, want [alice carol]", got)
	}
	if got := find("+4915199999999"); !slices.Equal(got, []string{"bob"}) {
		t.Fatalf("AccountsByMobile = %v, want [bob]", got)
	}
	if got := find("+10000000000"); len(got) != 0 {
		t.Fatalf("AccountsByMobile of an unknown number = %v", got)
	}
	// "" is no number, not the accounts without one.
	as, err := s.AccountsByMobile(ctx, "")
	ok(t, err)
	if len(as) != 0 {
		t.Fatalf(`AccountsByMobile("") = %v, want none`, accountIDs(as))
	}
	// Exact match only: the caller normalizes.
	if got := find("4915112345678"); len(got) != 0 {
		t.Fatalf("AccountsByMobile without + = %v", got)
	}

	// It follows updates and deletions.
	ok(t, s.UpdateAccount(ctx, &storage.Account{ID: "alice", Login: "alice@example.org"}))
	ok(t, s.UpdateAccount(ctx, &storage.Account{ID: "dave", Login: "dave@example.org", Mobile: mobile}))
	ok(t, s.DeleteAccount(ctx, "carol"))
	if got := find(mobile); !slices.Equal(got, []string{"dave"}) {
		t.Fatalf("AccountsByMobile after changes = %v, want [dave]", got)
	}
}

func testAcceptTOTPStep(t *testing.T, s storage.Store) {
	ctx := t.Context()
	a := &storage.Account{
		Login: "alice@example.org", PasswordHash: "h", Mobile: "+15555550100",
		TOTPSecret: "JBSWY3DPEHPK3PXP", TOTPEnabled: true, RecoveryCodes: []string{"c1"},
	}
	ok(t, s.CreateAccount(ctx, a))

	ok(t, s.AcceptTOTPStep(ctx, a.ID, 1000))
	wantErr(t, s.AcceptTOTPStep(ctx, a.ID, 1000), storage.ErrPreconditionFailed)
	wantErr(t, s.AcceptTOTPStep(ctx, a.ID, 999), storage.ErrPreconditionFailed)
	ok(t, s.AcceptTOTPStep(ctx, a.ID, 1002))
	wantErr(t, s.AcceptTOTPStep(ctx, a.ID, 1001), storage.ErrPreconditionFailed)
	wantErr(t, s.AcceptTOTPStep(ctx, "nobody", 5), storage.ErrNotFound)

	// Only the step changed.
	want := *a
	want.TOTPLastStep = 1002
	wantAccount(t, s, &want)
}

func testUseRecoveryCode(t *testing.T, s storage.Store) {
	ctx := t.Context()
	a := &storage.Account{
		Login: "alice@example.org", PasswordHash: "h",
		TOTPSecret: "JBSWY3DPEHPK3PXP", TOTPEnabled: true, TOTPLastStep: 7,
		RecoveryCodes: []string{"c1", "c2", "c3"},
	}
	ok(t, s.CreateAccount(ctx, a))
	b := &storage.Account{Login: "bob@example.org", RecoveryCodes: []string{"c1", "c4"}}
	ok(t, s.CreateAccount(ctx, b))

	ok(t, s.UseRecoveryCode(ctx, a.ID, "c2"))
	wantErr(t, s.UseRecoveryCode(ctx, a.ID, "c2"), storage.ErrNotFound)
	wantErr(t, s.UseRecoveryCode(ctx, a.ID, "c4"), storage.ErrNotFound) // bob's
	wantErr(t, s.UseRecoveryCode(ctx, a.ID, ""), storage.ErrNotFound)
	wantErr(t, s.UseRecoveryCode(ctx, "nobody", "c1"), storage.ErrNotFound)
	want := *a
	want.RecoveryCodes = []string{"c1", "c3"}
	wantAccount(t, s, &want)

	ok(t, s.UseRecoveryCode(ctx, a.ID, "c1"))
	ok(t, s.UseRecoveryCode(ctx, a.ID, "c3"))
	want.RecoveryCodes = nil
	wantAccount(t, s, &want)
	wantErr(t, s.UseRecoveryCode(ctx, a.ID, "c1"), storage.ErrNotFound)

	// Bob's codes are his own.
	wantAccount(t, s, b)
}

// testRacingSecondFactor has logins race with one TOTP step and one
// recovery code: each is accepted exactly once.
func testRacingSecondFactor(t *testing.T, s storage.Store) {
	ctx := t.Context()
	a := &storage.Account{Login: "alice@example.org", TOTPSecret: "S", TOTPEnabled: true, RecoveryCodes: []string{"c1", "c2"}}
	ok(t, s.CreateAccount(ctx, a))
	const racers = 16
	var steps, codes atomic.Int32
	errs := make([]error, racers)
	run(racers, func(i int) {
		switch err := s.AcceptTOTPStep(ctx, a.ID, 42); {
		case err == nil:
			steps.Add(1)
		case !errors.Is(err, storage.ErrPreconditionFailed):
			errs[i] = err
			return
		}
		switch err := s.UseRecoveryCode(ctx, a.ID, "c1"); {
		case err == nil:
			codes.Add(1)
		case !errors.Is(err, storage.ErrNotFound):
			errs[i] = err
		}
	})
	ok(t, errors.Join(errs...))
	if steps.Load() != 1 || codes.Load() != 1 {
		t.Fatalf("step accepted %d times, code used %d times; want once each", steps.Load(), codes.Load())
	}
	want := *a
	want.TOTPLastStep, want.RecoveryCodes = 42, []string{"c2"}
	wantAccount(t, s, &want)
}

// App passwords

func newAppPassword(t *testing.T, s storage.Store, owner, id string) *storage.AppPassword {
	t.Helper()
	p := &storage.AppPassword{ID: id, Owner: owner, Name: "phone " + id, Hash: "hash-" + id, Scope: storage.ScopeDAV}
	if err := s.CreateAppPassword(t.Context(), p); err != nil {
		t.Fatalf("CreateAppPassword %s: %v", id, err)
	}
	return p
}

func sameAppPassword(a, b storage.AppPassword) bool {
	return a.ID == b.ID && a.Owner == b.Owner && a.Name == b.Name && a.Hash == b.Hash && a.Scope == b.Scope &&
		a.Created.Equal(b.Created) && a.LastUsed.Equal(b.LastUsed) && a.LastClient == b.LastClient
}

func wantAppPassword(t *testing.T, s storage.Store, want *storage.AppPassword) {
	t.Helper()
	got, err := s.AppPassword(t.Context(), want.ID)
	if err != nil {
		t.Fatalf("AppPassword %s: %v", want.ID, err)
	}
	if !sameAppPassword(*got, *want) {
		t.Fatalf("AppPassword %s = %+v\nwant %+v", want.ID, got, want)
	}
}

func wantNoAppPassword(t *testing.T, s storage.Store, id string) {
	t.Helper()
	if _, err := s.AppPassword(t.Context(), id); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("AppPassword %s: err = %v, want ErrNotFound", id, err)
	}
}

func appPasswordIDs(t *testing.T, s storage.Store, owner string) []string {
	t.Helper()
	ps, err := s.AppPasswords(t.Context(), owner)
	if err != nil {
		t.Fatalf("AppPasswords %s: %v", owner, err)
	}
	ids := []string{}
	for _, p := range ps {
		if p.Owner != owner {
			t.Fatalf("AppPasswords %s returned %+v", owner, p)
		}
		ids = append(ids, p.ID)
	}
	return ids
}

func testAppPasswordCRUD(t *testing.T, s storage.Store) {
	ctx := t.Context()
	alice := newAccount(t, s, "alice@example.org")
	before := time.Now()
	p := &storage.AppPassword{
		ID: "ap-1", Owner: alice.ID, Name: "Phone", Hash: "$argon2id$x", Scope: storage.ScopeFull,
		// Store-owned fields the caller cannot set.
		Created: time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC), LastUsed: time.Date(2001, 1, 1, 0, 0, 0, 0, time.UTC), LastClient: "x",
	}
	ok(t, s.CreateAppPassword(ctx, p))
	notBefore(t, "Created", p.Created, before)
	if p.Created.After(time.Now()) {
		t.Fatalf("Created %v is in the future", p.Created)
	}
	want := storage.AppPassword{ID: "ap-1", Owner: alice.ID, Name: "Phone", Hash: "$argon2id$x", Scope: storage.ScopeFull, Created: p.Created}
	if !sameAppPassword(*p, want) {
		t.Fatalf("CreateAppPassword wrote back %+v\nwant %+v", p, want)
	}
	wantAppPassword(t, s, &want)

	// The ID is unique across accounts; the owner must exist.
	bob := newAccount(t, s, "bob@example.org")
	wantErr(t, s.CreateAppPassword(ctx, &storage.AppPassword{ID: "ap-1", Owner: alice.ID, Hash: "h"}), storage.ErrExists)
	wantErr(t, s.CreateAppPassword(ctx, &storage.AppPassword{ID: "ap-1", Owner: bob.ID, Hash: "h"}), storage.ErrExists)
	wantErr(t, s.CreateAppPassword(ctx, &storage.AppPassword{ID: "ap-x", Owner: "nobody", Hash: "h"}), storage.ErrNotFound)
	wantAppPassword(t, s, &want)
	wantNoAppPassword(t, s, "ap-x")
	wantNoAppPassword(t, s, "missing")
	if ids := appPasswordIDs(t, s, bob.ID); len(ids) != 0 {
		t.Fatalf("refused creates left bob with %v", ids)
	}

	// Listing is by Created, then ID.
	newAppPassword(t, s, alice.ID, "ap-0")
	time.Sleep(2 * time.Millisecond)
	newAppPassword(t, s, alice.ID, "ap-2")
	ids := appPasswordIDs(t, s, alice.ID)
	ps, err := s.AppPasswords(ctx, alice.ID)
	ok(t, err)
	if !slices.IsSortedFunc(ps, func(a, b storage.AppPassword) int {
		return cmp.Or(a.Created.Compare(b.Created), strings.Compare(a.ID, b.ID))
	}) || len(ids) != 3 || ids[2] != "ap-2" {
		t.Fatalf("AppPasswords = %v, not by Created then ID", ids)
	}
	_, err = s.AppPasswords(ctx, "nobody")
	wantErr(t, err, storage.ErrNotFound)

	// Delete: only by its owner.
	wantErr(t, s.DeleteAppPassword(ctx, bob.ID, "ap-1"), storage.ErrNotFound)
	wantAppPassword(t, s, &want)
	wantErr(t, s.DeleteAppPassword(ctx, alice.ID, "missing"), storage.ErrNotFound)
	ok(t, s.DeleteAppPassword(ctx, alice.ID, "ap-1"))
	wantNoAppPassword(t, s, "ap-1")
	wantErr(t, s.DeleteAppPassword(ctx, alice.ID, "ap-1"), storage.ErrNotFound)
	if ids := appPasswordIDs(t, s, alice.ID); !slices.Equal(ids, []string{"ap-0", "ap-2"}) {
		t.Fatalf("AppPasswords after delete = %v", ids)
	}
	// The ID is free again.
	newAppPassword(t, s, bob.ID, "ap-1")
}

func testAppPasswordOwners(t *testing.T, s storage.Store) {
	ctx := t.Context()
	alice := newAccount(t, s, "alice@example.org")
	bob := newAccount(t, s, "bob@example.org")
	carol := newAccount(t, s, "carol@example.org")
	newAppPassword(t, s, alice.ID, "a1")
	newAppPassword(t, s, alice.ID, "a2")
	b1 := newAppPassword(t, s, bob.ID, "b1")

	got := appPasswordIDs(t, s, alice.ID)
	slices.Sort(got)
	if !slices.Equal(got, []string{"a1", "a2"}) {
		t.Fatalf("alice's app passwords = %v", got)
	}
	if got := appPasswordIDs(t, s, bob.ID); !slices.Equal(got, []string{"b1"}) {
		t.Fatalf("bob's app passwords = %v", got)
	}
	if got := appPasswordIDs(t, s, carol.ID); len(got) != 0 {
		t.Fatalf("carol's app passwords = %v", got)
	}

	ok(t, s.DeleteAppPasswords(ctx, alice.ID))
	wantNoAppPassword(t, s, "a1")
	wantNoAppPassword(t, s, "a2")
	if got := appPasswordIDs(t, s, alice.ID); len(got) != 0 {
		t.Fatalf("alice's app passwords after DeleteAppPasswords = %v", got)
	}
	wantAppPassword(t, s, b1)
	ok(t, s.DeleteAppPasswords(ctx, alice.ID)) // none left: no error
	ok(t, s.DeleteAppPasswords(ctx, carol.ID))
	wantErr(t, s.DeleteAppPasswords(ctx, "nobody"), storage.ErrNotFound)
	wantAppPassword(t, s, b1)

	newAppPassword(t, s, alice.ID, "a1")
	if got := appPasswordIDs(t, s, alice.ID); !slices.Equal(got, []string{"a1"}) {
		t.Fatalf("alice's app passwords = %v", got)
	}
}

func testAppPasswordTouch(t *testing.T, s storage.Store) {
	ctx := t.Context()
	alice := newAccount(t, s, "alice@example.org")
	p := newAppPassword(t, s, alice.ID, "ap")
	other := newAppPassword(t, s, alice.ID, "other")

	t1 := time.Date(2026, 4, 1, 10, 0, 0, 500, time.FixedZone("-0500", -5*3600))
	ok(t, s.TouchAppPassword(ctx, "ap", t1, "DAVx5/4.4"))
	want := *p
	want.LastUsed, want.LastClient = t1, "DAVx5/4.4"
	wantAppPassword(t, s, &want)
	wantAppPassword(t, s, other)

	// An older use, flushed late, does not move LastUsed back.
	ok(t, s.TouchAppPassword(ctx, "ap", t1.Add(-time.Minute), "old client"))
	wantAppPassword(t, s, &want)

	t2 := t1.Add(time.Hour)
	ok(t, s.TouchAppPassword(ctx, "ap", t2, "iOS/17 dataaccessd"))
	want.LastUsed, want.LastClient = t2, "iOS/17 dataaccessd"
	wantAppPassword(t, s, &want)
	ps, err := s.AppPasswords(ctx, alice.ID)
	ok(t, err)
	i := slices.IndexFunc(ps, func(x storage.AppPassword) bool { return x.ID == "ap" })
	if i < 0 || !sameAppPassword(ps[i], want) {
		t.Fatalf("AppPasswords = %+v\nwant to contain %+v", ps, want)
	}

	wantErr(t, s.TouchAppPassword(ctx, "missing", t2, "x"), storage.ErrNotFound)
	ok(t, s.DeleteAppPassword(ctx, alice.ID, "ap"))
	wantErr(t, s.TouchAppPassword(ctx, "ap", t2.Add(time.Hour), "x"), storage.ErrNotFound)
	wantNoAppPassword(t, s, "ap")
}

// Sessions

func newSession(t *testing.T, s storage.Store, account, id string, ttl time.Duration) *storage.Session {
	t.Helper()
	se := &storage.Session{ID: id, Account: account, CSRF: "csrf-" + id, Expires: time.Now().Add(ttl)}
	if err := s.CreateSession(t.Context(), se); err != nil {
		t.Fatalf("CreateSession %s: %v", id, err)
	}
	return se
}

func sameSession(a, b storage.Session) bool {
	return a.ID == b.ID && a.Account == b.Account && a.CSRF == b.CSRF &&
		a.Created.Equal(b.Created) && a.Expires.Equal(b.Expires) && a.TwoFactor == b.TwoFactor
}

func wantSession(t *testing.T, s storage.Store, want *storage.Session) {
	t.Helper()
	got, err := s.Session(t.Context(), want.ID)
	if err != nil {
		t.Fatalf("Session %s: %v", want.ID, err)
	}
	if !sameSession(*got, *want) {
		t.Fatalf("Session %s = %+v\nwant %+v", want.ID, got, want)
	}
}

func wantNoSession(t *testing.T, s storage.Store, id string) {
	t.Helper()
	if _, err := s.Session(t.Context(), id); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("Session %s: err = %v, want ErrNotFound", id, err)
	}
}

func testSessionCRUD(t *testing.T, s storage.Store) {
	ctx := t.Context()
	alice := newAccount(t, s, "alice@example.org")
	bob := newAccount(t, s, "bob@example.org")
	before := time.Now()
	expires := time.Now().Add(12 * time.Hour).In(time.FixedZone("+0900", 9*3600))
	se := &storage.Session{
		ID: "sess-hash-1", Account: alice.ID, CSRF: "csrf-1", Expires: expires, TwoFactor: true,
		Created: time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC), // set by the store
	}
	ok(t, s.CreateSession(ctx, se))
	notBefore(t, "Created", se.Created, before)
	want := storage.Session{ID: "sess-hash-1", Account: alice.ID, CSRF: "csrf-1", Created: se.Created, Expires: expires, TwoFactor: true}
	if !sameSession(*se, want) {
		t.Fatalf("CreateSession wrote back %+v\nwant %+v", se, want)
	}
	wantSession(t, s, &want)

	wantErr(t, s.CreateSession(ctx, &storage.Session{ID: "sess-hash-1", Account: bob.ID, Expires: expires}), storage.ErrExists)
	wantErr(t, s.CreateSession(ctx, &storage.Session{ID: "sess-hash-x", Account: "nobody", Expires: expires}), storage.ErrNotFound)
	if err := s.CreateSession(ctx, &storage.Session{ID: "sess-hash-z", Account: alice.ID}); err == nil {
		t.Fatal("CreateSession without Expires succeeded")
	}
	wantSession(t, s, &want)
	wantNoSession(t, s, "sess-hash-x")
	wantNoSession(t, s, "sess-hash-z")
	wantNoSession(t, s, "missing")

	newSession(t, s, alice.ID, "sess-hash-2", time.Hour)
	ok(t, s.DeleteSession(ctx, "sess-hash-1"))
	wantNoSession(t, s, "sess-hash-1")
	wantErr(t, s.DeleteSession(ctx, "sess-hash-1"), storage.ErrNotFound)
	wantErr(t, s.DeleteSession(ctx, "missing"), storage.ErrNotFound)
	if _, err := s.Session(ctx, "sess-hash-2"); err != nil {
		t.Fatalf("other session: %v", err)
	}
	// The ID is free again.
	newSession(t, s, bob.ID, "sess-hash-1", time.Hour)
}

func testSessionExpiry(t *testing.T, s storage.Store) {
	ctx := t.Context()
	alice := newAccount(t, s, "alice@example.org")
	newSession(t, s, alice.ID, "past", -time.Second)
	wantNoSession(t, s, "past")
	wantErr(t, s.DeleteSession(ctx, "past"), storage.ErrNotFound)

	short := newSession(t, s, alice.ID, "short", 150*time.Millisecond)
	long := newSession(t, s, alice.ID, "long", time.Hour)
	wantSession(t, s, short)
	time.Sleep(time.Until(short.Expires) + 10*time.Millisecond)
	wantNoSession(t, s, "short")
	wantSession(t, s, long)

	// Creating another session leaves live ones alone.
	newSession(t, s, alice.ID, "next", time.Hour)
	wantSession(t, s, long)
	wantNoSession(t, s, "short")
}

func testDeleteSessions(t *testing.T, s storage.Store) {
	ctx := t.Context()
	alice := newAccount(t, s, "alice@example.org")
	bob := newAccount(t, s, "bob@example.org")
	for _, id := range []string{"a1", "a2", "a3"} {
		newSession(t, s, alice.ID, id, time.Hour)
	}
	a2, err := s.Session(ctx, "a2")
	ok(t, err)
	b1 := newSession(t, s, bob.ID, "b1", time.Hour)

	// Log out everywhere else.
	ok(t, s.DeleteSessions(ctx, alice.ID, "a2"))
	wantNoSession(t, s, "a1")
	wantNoSession(t, s, "a3")
	wantSession(t, s, a2)
	wantSession(t, s, b1)

	// Another account's session is not alice's to spare.
	ok(t, s.DeleteSessions(ctx, alice.ID, "b1"))
	wantNoSession(t, s, "a2")
	wantSession(t, s, b1)

	newSession(t, s, alice.ID, "a4", time.Hour)
	ok(t, s.DeleteSessions(ctx, alice.ID, ""))
	wantNoSession(t, s, "a4")
	ok(t, s.DeleteSessions(ctx, alice.ID, "")) // none left: no error
	wantErr(t, s.DeleteSessions(ctx, "nobody", ""), storage.ErrNotFound)
	wantSession(t, s, b1)

	// New sessions work after a bulk delete.
	a5 := newSession(t, s, alice.ID, "a5", time.Hour)
	wantSession(t, s, a5)
}

// Tokens

const (
	purposeReset  = "password-reset"
	purposeChange = "login-change"
)

func newToken(t *testing.T, s storage.Store, account, hash, purpose string, ttl time.Duration) *storage.Token {
	t.Helper()
	tk := &storage.Token{Hash: hash, Account: account, Purpose: purpose, Data: "data-" + hash, Expires: time.Now().Add(ttl)}
	if err := s.CreateToken(t.Context(), tk); err != nil {
		t.Fatalf("CreateToken %s: %v", hash, err)
	}
	return tk
}

func sameToken(a, b storage.Token) bool {
	return a.Hash == b.Hash && a.Account == b.Account && a.Purpose == b.Purpose && a.Data == b.Data && a.Expires.Equal(b.Expires)
}

func wantTake(t *testing.T, s storage.Store, want *storage.Token) {
	t.Helper()
	got, err := s.TakeToken(t.Context(), want.Hash, want.Purpose)
	if err != nil {
		t.Fatalf("TakeToken %s: %v", want.Hash, err)
	}
	if !sameToken(*got, *want) {
		t.Fatalf("TakeToken %s = %+v\nwant %+v", want.Hash, got, want)
	}
}

func wantNoTake(t *testing.T, s storage.Store, hash, purpose string) {
	t.Helper()
	if tk, err := s.TakeToken(t.Context(), hash, purpose); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("TakeToken %s (%s) = %+v, %v; want ErrNotFound", hash, purpose, tk, err)
	}
}

func testTokenSingleUse(t *testing.T, s storage.Store) {
	ctx := t.Context()
	alice := newAccount(t, s, "alice@example.org")
	bob := newAccount(t, s, "bob@example.org")
	expires := time.Now().Add(time.Hour).In(time.FixedZone("+0200", 2*3600))
	tk := &storage.Token{Hash: "tok-1", Account: alice.ID, Purpose: purposeChange, Data: "Alice.New@Example.org", Expires: expires}
	ok(t, s.CreateToken(ctx, tk))

	wantErr(t, s.CreateToken(ctx, &storage.Token{Hash: "tok-1", Account: bob.ID, Purpose: purposeReset, Expires: expires}), storage.ErrExists)
	wantErr(t, s.CreateToken(ctx, &storage.Token{Hash: "tok-x", Account: "nobody", Purpose: purposeReset, Expires: expires}), storage.ErrNotFound)
	if err := s.CreateToken(ctx, &storage.Token{Hash: "tok-y", Account: alice.ID, Purpose: purposeReset}); err == nil {
		t.Fatal("CreateToken without Expires succeeded")
	}
	if err := s.CreateToken(ctx, &storage.Token{Hash: "tok-z", Account: alice.ID, Expires: expires}); err == nil {
		t.Fatal("CreateToken without Purpose succeeded")
	}
	wantNoTake(t, s, "tok-x", purposeReset)
	wantNoTake(t, s, "tok-y", purposeReset)
	wantNoTake(t, s, "tok-z", "")

	// Of another purpose it is not found and stays.
	wantNoTake(t, s, "tok-1", purposeReset)
	wantNoTake(t, s, "tok-1", "")
	want := storage.Token{Hash: "tok-1", Account: alice.ID, Purpose: purposeChange, Data: "Alice.New@Example.org", Expires: expires}
	wantTake(t, s, &want)
	// Once.
	wantNoTake(t, s, "tok-1", purposeChange)
	wantNoTake(t, s, "missing", purposeChange)

	// The hash is free again.
	newToken(t, s, bob.ID, "tok-1", purposeReset, time.Hour)
}

func testTokenExpiry(t *testing.T, s storage.Store) {
	alice := newAccount(t, s, "alice@example.org")
	newToken(t, s, alice.ID, "past", purposeReset, -time.Second)
	wantNoTake(t, s, "past", purposeReset)
	wantNoTake(t, s, "past", purposeReset)

	short := newToken(t, s, alice.ID, "short", purposeReset, 150*time.Millisecond)
	long := newToken(t, s, alice.ID, "long", purposeReset, time.Hour)
	time.Sleep(time.Until(short.Expires) + 10*time.Millisecond)
	wantNoTake(t, s, "short", purposeReset)
	// Creating another token leaves live ones alone.
	newToken(t, s, alice.ID, "next", purposeReset, time.Hour)
	wantTake(t, s, long)
}

func testDeleteTokens(t *testing.T, s storage.Store) {
	ctx := t.Context()
	alice := newAccount(t, s, "alice@example.org")
	bob := newAccount(t, s, "bob@example.org")
	newToken(t, s, alice.ID, "r1", purposeReset, time.Hour)
	newToken(t, s, alice.ID, "r2", purposeReset, time.Hour)
	c1 := newToken(t, s, alice.ID, "c1", purposeChange, time.Hour)
	c2 := newToken(t, s, alice.ID, "c2", purposeChange, time.Hour)
	b1 := newToken(t, s, bob.ID, "b1", purposeReset, time.Hour)

	// A new reset link voids the older ones.
	ok(t, s.DeleteTokens(ctx, alice.ID, purposeReset))
	r3 := newToken(t, s, alice.ID, "r3", purposeReset, time.Hour)
	wantNoTake(t, s, "r1", purposeReset)
	wantNoTake(t, s, "r2", purposeReset)
	wantTake(t, s, r3)
	wantTake(t, s, c1)
	wantTake(t, s, b1)

	newToken(t, s, alice.ID, "r4", purposeReset, time.Hour)
	ok(t, s.DeleteTokens(ctx, alice.ID, "no-such-purpose"))
	ok(t, s.DeleteTokens(ctx, alice.ID, ""))
	wantNoTake(t, s, "c2", c2.Purpose)
	wantNoTake(t, s, "r4", purposeReset)
	ok(t, s.DeleteTokens(ctx, alice.ID, "")) // none left: no error
	wantErr(t, s.DeleteTokens(ctx, "nobody", purposeReset), storage.ErrNotFound)
}

// testRacingTakeToken has several takers race for each token: exactly one
// gets it, the others ErrNotFound.
func testRacingTakeToken(t *testing.T, s storage.Store) {
	alice := newAccount(t, s, "alice@example.org")
	const (
		rounds = 10
		takers = 16
	)
	for r := range rounds {
		hash := fmt.Sprint("race-", r)
		want := newToken(t, s, alice.ID, hash, purposeReset, time.Hour)
		var wins atomic.Int32
		errs := make([]error, takers)
		run(takers, func(i int) {
			tk, err := s.TakeToken(t.Context(), hash, purposeReset)
			switch {
			case err == nil:
				wins.Add(1)
				if !sameToken(*tk, *want) {
					errs[i] = fmt.Errorf("TakeToken = %+v, want %+v", tk, want)
				}
			case !errors.Is(err, storage.ErrNotFound):
				errs[i] = err
			}
		})
		ok(t, errors.Join(errs...))
		if n := wins.Load(); n != 1 {
			t.Fatalf("round %d: %d takers got the token, want exactly 1", r, n)
		}
		wantNoTake(t, s, hash, purposeReset)
	}
}

func testDeleteAccountSecurity(t *testing.T, s storage.Store) {
	ctx := t.Context()
	alice := newAccount(t, s, "alice@example.org")
	bob := newAccount(t, s, "bob@example.org")
	newAppPassword(t, s, alice.ID, "a-ap")
	newSession(t, s, alice.ID, "a-sess", time.Hour)
	newToken(t, s, alice.ID, "a-tok", purposeReset, time.Hour)
	bap := newAppPassword(t, s, bob.ID, "b-ap")
	bsess := newSession(t, s, bob.ID, "b-sess", time.Hour)
	btok := newToken(t, s, bob.ID, "b-tok", purposeReset, time.Hour)

	ok(t, s.DeleteAccount(ctx, alice.ID))
	wantNoAppPassword(t, s, "a-ap")
	wantNoSession(t, s, "a-sess")
	wantNoTake(t, s, "a-tok", purposeReset)
	wantErr(t, s.TouchAppPassword(ctx, "a-ap", time.Now(), "x"), storage.ErrNotFound)
	_, err := s.AppPasswords(ctx, alice.ID)
	wantErr(t, err, storage.ErrNotFound)
	wantAppPassword(t, s, bap)
	wantSession(t, s, bsess)

	// An account created again under the same ID starts without any, and
	// the keys are free.
	ok(t, s.CreateAccount(ctx, &storage.Account{ID: alice.ID, Login: "alice@example.org"}))
	if ids := appPasswordIDs(t, s, alice.ID); len(ids) != 0 {
		t.Fatalf("recreated account has app passwords %v", ids)
	}
	wantNoSession(t, s, "a-sess")
	newAppPassword(t, s, alice.ID, "a-ap")
	newSession(t, s, alice.ID, "a-sess", time.Hour)
	newToken(t, s, alice.ID, "a-tok", purposeReset, time.Hour)
	wantTake(t, s, btok)
}
