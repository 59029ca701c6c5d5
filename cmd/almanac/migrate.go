package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"almanac/storage/migrate"
	"almanac/storage/postgres"
)

// keyFiles are the files of a data directory that servers on the
// migrated database still need: secrets kept out of the database on
// purpose, with what each is for.
var keyFiles = []struct{ name, what string }{
	{"link.key", "the public links' key: without it every feed URL changes"},
	{"import.key", "seals the passwords of mail imports"},
	{"import-master.secret", "the mail server's master password for imports"},
}

// migrateCmd is `almanac migrate -from DIR -to URL [-to-data DIR]`:
// package storage/migrate copies and verifies, this prints.
func migrateCmd(args []string, stdout io.Writer) error {
	c := newCmdline("migrate", stdout)
	from := c.str("from", "", "", "data `DIR` of the bbolt database to move (DIR/almanac.db); its server must be stopped", unlessEmpty(checkDir))
	to := c.str("to", "", "", "PostgreSQL `URL` of an empty database, e.g. postgres://almanac@db.example.com/almanac", parseDBURL)
	toData := c.str("to-data", "", "", "copy the key files to the data `DIR` of a server on the new database (created if missing)", unlessEmpty(checkDir))
	if err := c.parse(args, 0, 0); err != nil {
		return err
	}
	switch {
	case *from == "":
		return &usageError{cmd: "migrate", msg: "missing -from DIR"}
	case *to == "":
		return &usageError{cmd: "migrate", msg: "missing -to URL"}
	}
	ctx := context.Background()
	path := filepath.Join(*from, "almanac.db")
	// A damaged page can crash bbolt where nothing recovers: CheckFile
	// walks the pages first, and a file with problems is not moved.
	fmt.Fprintf(stdout, "checking %s\n", path)
	if err := checkOffline(*from, stdout); err != nil {
		return fmt.Errorf("migrate: the source: %w", err)
	}
	// Read-only takes bbolt's shared lock: a running server, which holds
	// the exclusive one, makes the open fail after lockWait.
	src, err := openExisting(*from, true)
	if err != nil {
		return err
	}
	defer src.Close()
	// The key files go before the database: a copy that fails then
	// leaves the database empty for the next run, and copying them again
	// is harmless.
	if *toData != "" {
		if err := copyKeyFiles(*from, *toData, stdout); err != nil {
			return err
		}
	}
	dst, err := postgres.Open(ctx, *to, postgres.Options{MaxConns: 4})
	if err != nil {
		return fmt.Errorf("migrate: open %s: %w", redactDBURL(*to), err)
	}
	defer dst.Close()

	start := time.Now()
	abs, err := filepath.Abs(path)
	if err != nil {
		return err
	}
	stats, err := migrate.Copy(ctx, src, dst, abs)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "copied %s into %s in %s:\n", path, redactDBURL(*to), time.Since(start).Round(time.Millisecond))
	var parts []string
	for _, t := range migrateTables {
		if stats[t] > 0 {
			parts = append(parts, fmt.Sprintf("%s %d", t, stats[t]))
		}
	}
	fmt.Fprintf(stdout, "  rows: %s\n", strings.Join(parts, ", "))

	start = time.Now()
	report, err := migrate.Verify(ctx, src, dst)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "verified through the storage interfaces in %s:\n", time.Since(start).Round(time.Millisecond))
	fmt.Fprintf(stdout, "  %-20s %8s %8s  %-12s\n", "kind", "source", "target", "sha-256")
	var none []string
	for _, l := range report {
		if l.Equal() && l.Source == 0 {
			none = append(none, l.Kind)
			continue
		}
		sum, verdict := l.SourceSum, "ok"
		if sum == "" {
			sum = "(count)"
		}
		if !l.Equal() {
			verdict = "DIFFERENT"
			if l.TargetSum != "" {
				verdict += fmt.Sprintf(" (target %.12s)", l.TargetSum)
			}
		}
		fmt.Fprintf(stdout, "  %-20s %8d %8d  %-12.12s  %s\n", l.Kind, l.Source, l.Target, sum, verdict)
	}
	if len(none) > 0 {
		fmt.Fprintf(stdout, "  none on either side: %s\n", strings.Join(none, ", "))
	}
	if bad := report.Mismatches(); len(bad) > 0 {
		return fmt.Errorf("migrate: verification failed: %s differ; the target keeps the copy, empty it (or drop and create the database) before running migrate again", strings.Join(bad, ", "))
	}
	fmt.Fprintf(stdout, "checking %s\n", redactDBURL(*to))
	if err := checkStore(ctx, dst.Check, stdout); err != nil {
		return fmt.Errorf("migrate: the target: %w", err)
	}
	if *toData == "" {
		return listKeyFiles(*from, stdout)
	}
	return nil
}

// migrateTables are the tables whose row counts migrate prints.
var migrateTables = []string{"accounts", "collections", "objects", "timeline_periods", "changes", "links", "grants",
	"app_passwords", "sessions", "tokens", "organizations", "members", "mail_services", "mailboxes", "mailbox_links",
	"import_jobs", "responder_templates", "responders", "sending_addresses"}

// presentKeyFiles returns the key files of the data directory from.
func presentKeyFiles(from string) ([]string, error) {
	var present []string
	for _, k := range keyFiles {
		if _, err := os.Stat(filepath.Join(from, k.name)); err == nil {
			present = append(present, k.name)
		} else if !errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("migrate: %w", err)
		}
	}
	return present, nil
}

// listKeyFiles says which key files of from the operator must copy.
func listKeyFiles(from string, stdout io.Writer) error {
	present, err := presentKeyFiles(from)
	if err != nil || len(present) == 0 {
		return err
	}
	fmt.Fprintln(stdout, "not in the database: copy to the data directory of every server on it (or give -to-data DIR):")
	for _, k := range keyFiles {
		if slices.Contains(present, k.name) {
			fmt.Fprintf(stdout, "  %s (%s)\n", filepath.Join(from, k.name), k.what)
		}
	}
	return nil
}

// copyKeyFiles copies the key files of from into toData.
func copyKeyFiles(from, toData string, stdout io.Writer) error {
	present, err := presentKeyFiles(from)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(toData, 0o700); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	for _, name := range present {
		if err := copyKeyFile(filepath.Join(from, name), filepath.Join(toData, name)); err != nil {
			return fmt.Errorf("migrate: %w", err)
		}
		fmt.Fprintf(stdout, "copied %s to %s\n", name, toData)
	}
	return nil
}

// copyKeyFile copies a secret owner-only; an existing file at to is left
// alone unless it holds the same bytes, so that a server's own key is
// never replaced behind its back.
func copyKeyFile(from, to string) error {
	data, err := os.ReadFile(from)
	if err != nil {
		return err
	}
	if have, err := os.ReadFile(to); err == nil {
		if string(have) == string(data) {
			return nil
		}
		return fmt.Errorf("%s exists with another content: remove it or copy %s by hand", to, from)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	f, err := os.OpenFile(to, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		os.Remove(to)
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		os.Remove(to)
		return err
	}
	return f.Close()
}

// unlessEmpty is check for a flag that has no default: its absence is
// reported by the command, which names the flag.
func unlessEmpty(check func(string) (string, error)) func(string) (string, error) {
	return func(p string) (string, error) {
		if p == "" {
			return "", nil
		}
		return check(p)
	}
}
