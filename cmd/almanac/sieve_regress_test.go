package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"almanac/storage"
	"almanac/storage/bolt"
)

// TestMailExportSieveDir: `almanac mail export -sieve-dir DIR` writes the
// script of every mailbox, the active responder's included, and a
// missing directory is a usage error before anything runs.
func TestMailExportSieveDir(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	if code, _, errs := runCmd(t, "ann-long-password\n", "user", "add", "-data", data, "ann@example.com"); code != 0 {
		t.Fatalf("user add: %d %s", code, errs)
	}
	db, err := bolt.Open(filepath.Join(data, "almanac.db"), bolt.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	org := &storage.Organization{Name: "Acme"}
	s := &storage.MailService{Domain: "domain.xyz", Plan: "standard"}
	err = db.CreateOrganization(ctx, org)
	if err == nil {
		s.Org = org.ID
		err = db.CreateMailService(ctx, s)
	}
	for _, local := range []string{"Anna", "bob"} {
		if err == nil {
			err = db.CreateMailbox(ctx, &storage.Mailbox{Service: s.ID, LocalPart: local})
		}
	}
	if err == nil {
		err = db.CreateResponders(ctx, []storage.Responder{{Service: s.ID, LocalPart: "anna", Active: true,
			ResponderSettings: storage.ResponderSettings{Name: "Away", Text: "On holiday.", TimeZone: "UTC"}}}, -1)
	}
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		t.Fatal(err)
	}
	sieve := filepath.Join(dir, "sieve")
	if code, _, errs := runCmd(t, "", "mail", "export", "-data", data, "-sieve-dir", sieve); code != 2 || !strings.Contains(errs, "-sieve-dir") {
		t.Errorf("a missing sieve directory: %d %s, want a usage error", code, errs)
	}
	if err := os.WriteFile(sieve, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if code, _, errs := runCmd(t, "", "mail", "export", "-data", data, "-sieve-dir", sieve); code != 2 || !strings.Contains(errs, "not a directory") {
		t.Errorf("a file as the sieve directory: %d %s, want a usage error", code, errs)
	}
	if err := os.Remove(sieve); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(sieve, 0o755); err != nil {
		t.Fatal(err)
	}
	if code, out, errs := runCmd(t, "", "mail", "export", "-data", data, "-sieve-dir", sieve); code != 0 {
		t.Fatalf("mail export: %d %s %s", code, out, errs)
	}
	anna, err := os.ReadFile(filepath.Join(sieve, "domain.xyz", "anna.sieve"))
	if err != nil || !strings.Contains(string(anna), `"On holiday."`) {
		t.Errorf("anna's script (%v):\n%s", err, anna)
	}
	bob, err := os.ReadFile(filepath.Join(sieve, "domain.xyz", "bob.sieve"))
	if err != nil || !strings.Contains(string(bob), "no responder is active") {
		t.Errorf("bob's script (%v):\n%s", err, bob)
	}
}
