package mailbox

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"almanac/storage"
)

// Files names the mail server files an export writes; "" skips one.
type Files struct {
	Passwd, Virtual string
	// SieveDir receives one script per mailbox, DIR/<domain>/<local>.sieve.
	SieveDir string
	// ReplySeconds is Options.ReplySeconds.
	ReplySeconds int
}

// ExportStore is what an export reads.
type ExportStore interface {
	storage.Mail
	ActiveResponders(ctx context.Context) ([]storage.Responder, error)
}

// ExportFiles writes the Dovecot passwd-file, the Postfix virtual table
// and the Sieve scripts from the store.
func ExportFiles(ctx context.Context, store ExportStore, f Files) error {
	if f.Passwd != "" || f.Virtual != "" {
		if err := Export(ctx, store, f.Passwd, f.Virtual); err != nil {
			return err
		}
	}
	if f.SieveDir != "" {
		return WriteSieveScripts(ctx, store, f.SieveDir, f.ReplySeconds)
	}
	return nil
}

// WriteSieveScripts writes the script of every mailbox into dir, as
// dir/<domain>/<local-part>.sieve (both lower case, as Dovecot's %d and
// %n give them), and removes the scripts of mailboxes and domains that
// are gone. A mailbox without an active responder gets a script that
// does nothing, so that a Dovecot configured with this directory finds a
// script for every user. Each file is replaced atomically, and only when
// its content changed: Dovecot recompiles a script whose file is newer
// than its compiled form. A mailbox whose script cannot be written is
// reported; the others are written all the same.
func WriteSieveScripts(ctx context.Context, store ExportStore, dir string, replySeconds int) error {
	services, boxes, err := store.MailExport(ctx)
	if err != nil {
		return err
	}
	active, err := store.ActiveResponders(ctx)
	if err != nil {
		return err
	}
	responders := map[string]*storage.Responder{}
	for i := range active {
		r := &active[i]
		responders[r.Service+"/"+strings.ToLower(r.LocalPart)] = r
	}
	var errs []error
	domains := map[string]map[string]bool{}
	for i := range services {
		s := &services[i]
		want := map[string]bool{}
		domains[s.Domain] = want
		ddir := filepath.Join(dir, s.Domain)
		if err := os.MkdirAll(ddir, 0o755); err != nil {
			errs = append(errs, fmt.Errorf("mailbox: sieve directory of %s: %w", s.Domain, err))
			continue
		}
		for j := range boxes[s.ID] {
			m := &boxes[s.ID][j]
			local := strings.ToLower(m.LocalPart)
			// '/' is atext, but would make the script a directory
			// entry; Dovecot's default auth_username_chars refuses such
			// a login anyway.
			if strings.ContainsRune(local, '/') {
				errs = append(errs, fmt.Errorf("mailbox: no sieve script for %q@%s: its name contains '/'", local, s.Domain))
				continue
			}
			name := local + ".sieve"
			want[name] = true
			script, err := Script(s, m, responders[s.ID+"/"+local], replySeconds)
			if err != nil {
				errs = append(errs, err)
				script = noResponder(s, m)
			}
			if err := writeIfChanged(filepath.Join(ddir, name), script); err != nil {
				errs = append(errs, err)
			}
		}
	}
	if err := removeStale(dir, domains); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// writeIfChanged replaces path with data unless it holds data already.
func writeIfChanged(path string, data []byte) error {
	if old, err := os.ReadFile(path); err == nil && bytes.Equal(old, data) {
		return nil
	}
	return WriteAtomic(path, data, 0o644)
}

// removeStale deletes, in the domain directories of dir, the scripts
// (and the binaries Dovecot compiled from them) of mailboxes that are
// not in domains, and domain directories left empty. Other files, and
// directories that are not named like a domain, are left alone.
func removeStale(dir string, domains map[string]map[string]bool) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("mailbox: read sieve directory: %w", err)
	}
	var errs []error
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		if _, ok := ValidDomain(e.Name()); !ok || e.Name() != strings.ToLower(e.Name()) {
			continue
		}
		want := domains[e.Name()]
		ddir := filepath.Join(dir, e.Name())
		files, err := os.ReadDir(ddir)
		if err != nil {
			errs = append(errs, fmt.Errorf("mailbox: read sieve directory: %w", err))
			continue
		}
		for _, f := range files {
			base, ok := strings.CutSuffix(f.Name(), ".sieve")
			if !ok {
				base, ok = strings.CutSuffix(f.Name(), ".svbin")
			}
			if !ok || f.IsDir() || want[base+".sieve"] {
				continue
			}
			if err := os.Remove(filepath.Join(ddir, f.Name())); err != nil && !errors.Is(err, fs.ErrNotExist) {
				errs = append(errs, fmt.Errorf("mailbox: remove stale sieve script: %w", err))
			}
		}
		if want == nil {
			// Fails, as it should, when something else is left there.
			os.Remove(ddir)
		}
	}
	return errors.Join(errs...)
}
