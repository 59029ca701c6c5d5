package bolt

import (
	"bytes"
	"errors"
	"slices"
	"testing"
	"time"

	"almanac/storage"

	"go.etcd.io/bbolt"
)

// TestAccountRecordBeforeSecurity reads an account record written before
// the security fields existed: they decode as zero, and an update stores
// them.
func TestAccountRecordBeforeSecurity(t *testing.T) {
	db, _ := openTemp(t)
	defer db.Close()
	ctx := t.Context()
	old := `{"id":"old","login":"Old@example.org","display_name":"Old","password_hash":"h","created":"2025-06-01T10:00:00Z"}`
	err := db.bdb.Update(func(tx *bbolt.Tx) error {
		if err := tx.Bucket(bucketAccounts).Put([]byte("old"), []byte(old)); err != nil {
			return err
		}
		return tx.Bucket(bucketLogins).Put(loginKey("Old@example.org"), []byte("old"))
	})
	if err != nil {
		t.Fatal(err)
	}
	a, err := db.Account(ctx, "old")
	if err != nil {
		t.Fatal(err)
	}
	want := storage.Account{ID: "old", Login: "Old@example.org", DisplayName: "Old", PasswordHash: "h",
		Created: time.Date(2025, 6, 1, 10, 0, 0, 0, time.UTC)}
	if a.ID != want.ID || a.Login != want.Login || a.DisplayName != want.DisplayName || a.PasswordHash != want.PasswordHash ||
		!a.Created.Equal(want.Created) || a.RecoveryEmail != "" || a.Mobile != "" || a.TOTPSecret != "" ||
		a.TOTPEnabled || a.TOTPLastStep != 0 || a.RecoveryCodes != nil || !a.PasswordChanged.IsZero() {
		t.Fatalf("old record = %+v", a)
	}

	a.TOTPSecret, a.TOTPEnabled, a.RecoveryCodes = "JBSWY3DPEHPK3PXP", true, []string{"c1"}
	a.PasswordChanged = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	if err := db.UpdateAccount(ctx, a); err != nil {
		t.Fatal(err)
	}
	got, err := db.Account(ctx, "old")
	if err != nil {
		t.Fatal(err)
	}
	if got.TOTPSecret != a.TOTPSecret || !got.TOTPEnabled || !slices.Equal(got.RecoveryCodes, a.RecoveryCodes) ||
		!got.PasswordChanged.Equal(a.PasswordChanged) || !got.Created.Equal(want.Created) {
		t.Fatalf("after update = %+v", got)
	}
	if err := db.UseRecoveryCode(ctx, "old", "c1"); err != nil {
		t.Fatal(err)
	}

	// An account without security settings stores none of the new keys,
	// so its record stays as an older binary wrote it.
	if err := db.CreateAccount(ctx, &storage.Account{ID: "new", Login: "new@example.org", PasswordHash: "h"}); err != nil {
		t.Fatal(err)
	}
	// The last recovery code used leaves no empty list behind either.
	absent := map[string][]string{
		"new": {"recovery_email", "mobile", "totp_secret", "totp_enabled", "totp_last_step", "recovery_codes", "password_changed"},
		"old": {"recovery_codes"},
	}
	for id, keys := range absent {
		err = db.bdb.View(func(tx *bbolt.Tx) error {
			v := tx.Bucket(bucketAccounts).Get([]byte(id))
			for _, key := range keys {
				if bytes.Contains(v, []byte(`"`+key+`"`)) {
					t.Errorf("record %s = %s: has %q", id, v, key)
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}

// wantSecurityEmpty checks that none of the security buckets holds an
// entry, or, with account set, that none of the account indexes has a
// bucket for it.
func wantSecurityEmpty(t *testing.T, db *DB, when, account string) {
	t.Helper()
	err := db.bdb.View(func(tx *bbolt.Tx) error {
		for _, k := range []securityKind{appPasswordKind, sessionKind, tokenKind} {
			if account != "" {
				if tx.Bucket(k.accounts).Bucket([]byte(account)) != nil {
					t.Errorf("%s: %s/%s is left", when, k.accounts, account)
				}
				continue
			}
			for _, name := range [][]byte{k.records, k.accounts} {
				if key, _ := tx.Bucket(name).Cursor().First(); key != nil {
					t.Errorf("%s: %s holds %q", when, name, key)
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestSecurityBucketsDropped checks that the per-account index buckets go
// with their last entry, however it is deleted, and that DeleteAccount
// leaves nothing of the account's security records.
func TestSecurityBucketsDropped(t *testing.T) {
	db, _ := openTemp(t)
	defer db.Close()
	ctx := t.Context()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	for _, id := range []string{"alice", "bob"} {
		must(db.CreateAccount(ctx, &storage.Account{ID: id, Login: id + "@example.org"}))
	}
	hour := time.Now().Add(time.Hour)
	populate := func(id string) {
		t.Helper()
		must(db.CreateAppPassword(ctx, &storage.AppPassword{ID: id + "-ap1", Owner: id, Hash: "h"}))
		must(db.CreateAppPassword(ctx, &storage.AppPassword{ID: id + "-ap2", Owner: id, Hash: "h"}))
		must(db.CreateSession(ctx, &storage.Session{ID: id + "-s1", Account: id, Expires: hour}))
		must(db.CreateSession(ctx, &storage.Session{ID: id + "-s2", Account: id, Expires: hour}))
		must(db.CreateToken(ctx, &storage.Token{Hash: id + "-t1", Account: id, Purpose: "password-reset", Expires: hour}))
		must(db.CreateToken(ctx, &storage.Token{Hash: id + "-t2", Account: id, Purpose: "login-change", Expires: hour}))
	}

	populate("alice")
	must(db.DeleteAppPassword(ctx, "alice", "alice-ap1"))
	must(db.DeleteAppPassword(ctx, "alice", "alice-ap2"))
	must(db.DeleteSessions(ctx, "alice", "alice-s2"))
	must(db.DeleteSession(ctx, "alice-s2"))
	if _, err := db.TakeToken(ctx, "alice-t1", "password-reset"); err != nil {
		t.Fatal(err)
	}
	must(db.DeleteTokens(ctx, "alice", "login-change"))
	wantSecurityEmpty(t, db, "after single deletes", "")

	populate("alice")
	must(db.DeleteAppPasswords(ctx, "alice"))
	must(db.DeleteSessions(ctx, "alice", ""))
	must(db.DeleteTokens(ctx, "alice", ""))
	wantSecurityEmpty(t, db, "after bulk deletes", "")

	populate("alice")
	populate("bob")
	must(db.DeleteAccount(ctx, "alice"))
	wantSecurityEmpty(t, db, "after DeleteAccount", "alice")
	must(db.DeleteAccount(ctx, "bob"))
	wantSecurityEmpty(t, db, "after DeleteAccount of both", "")
}

// TestExpiredRemoved checks that expired sessions and tokens, which read
// as missing, are also removed from the file when met.
func TestExpiredRemoved(t *testing.T) {
	db, _ := openTemp(t)
	defer db.Close()
	ctx := t.Context()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	stored := func(k securityKind, key string) bool {
		t.Helper()
		var found bool
		must(db.bdb.View(func(tx *bbolt.Tx) error {
			found = tx.Bucket(k.records).Get([]byte(key)) != nil
			return nil
		}))
		return found
	}
	must(db.CreateAccount(ctx, &storage.Account{ID: "alice", Login: "alice@example.org"}))
	must(db.CreateAccount(ctx, &storage.Account{ID: "bob", Login: "bob@example.org"}))
	past, future := time.Now().Add(-time.Minute), time.Now().Add(time.Hour)

	// TakeToken deletes an expired token, and only of the right purpose.
	must(db.CreateToken(ctx, &storage.Token{Hash: "old", Account: "alice", Purpose: "password-reset", Expires: past}))
	if _, err := db.TakeToken(ctx, "old", "login-change"); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("TakeToken of another purpose: %v", err)
	}
	if !stored(tokenKind, "old") {
		t.Fatal("TakeToken of another purpose removed the token")
	}
	if _, err := db.TakeToken(ctx, "old", "password-reset"); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("TakeToken of an expired token: %v", err)
	}
	if stored(tokenKind, "old") {
		t.Fatal("expired token left after TakeToken")
	}

	// CreateToken drops the account's expired tokens, not others'.
	must(db.CreateToken(ctx, &storage.Token{Hash: "a-old", Account: "alice", Purpose: "password-reset", Expires: past}))
	must(db.CreateToken(ctx, &storage.Token{Hash: "b-old", Account: "bob", Purpose: "password-reset", Expires: past}))
	must(db.CreateToken(ctx, &storage.Token{Hash: "a-new", Account: "alice", Purpose: "password-reset", Expires: future}))
	if stored(tokenKind, "a-old") || !stored(tokenKind, "b-old") || !stored(tokenKind, "a-new") {
		t.Fatal("CreateToken did not drop exactly the account's expired tokens")
	}
	// An expired token does not hold its hash.
	must(db.CreateToken(ctx, &storage.Token{Hash: "b-old", Account: "alice", Purpose: "login-change", Expires: future}))
	tk, err := db.TakeToken(ctx, "b-old", "login-change")
	if err != nil || tk.Account != "alice" {
		t.Fatalf("TakeToken of the reused hash = %+v, %v", tk, err)
	}

	// Sessions likewise.
	must(db.CreateSession(ctx, &storage.Session{ID: "a-old", Account: "alice", Expires: past}))
	must(db.CreateSession(ctx, &storage.Session{ID: "b-old", Account: "bob", Expires: past}))
	must(db.CreateSession(ctx, &storage.Session{ID: "a-new", Account: "alice", Expires: future}))
	if stored(sessionKind, "a-old") || !stored(sessionKind, "b-old") || !stored(sessionKind, "a-new") {
		t.Fatal("CreateSession did not drop exactly the account's expired sessions")
	}
	if err := db.DeleteSession(ctx, "b-old"); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("DeleteSession of an expired session: %v", err)
	}
	if stored(sessionKind, "b-old") {
		t.Fatal("expired session left after DeleteSession")
	}
	must(db.CreateSession(ctx, &storage.Session{ID: "c-old", Account: "bob", Expires: past}))
	must(db.CreateSession(ctx, &storage.Session{ID: "c-old", Account: "alice", Expires: future}))
	s, err := db.Session(ctx, "c-old")
	if err != nil || s.Account != "alice" {
		t.Fatalf("Session of the reused ID = %+v, %v", s, err)
	}
	must(db.DeleteAccount(ctx, "alice"))
	must(db.DeleteAccount(ctx, "bob"))
	wantSecurityEmpty(t, db, "after DeleteAccount", "")
}
