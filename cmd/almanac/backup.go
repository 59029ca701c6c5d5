package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"almanac/internal/backup"
	"almanac/storage"
	"almanac/storage/bolt"
)

// maintenanceCommands are backup and check: database commands like the
// user and mail ones, so that a running server makes the snapshot or runs
// the check on its own database when the CLI asks it over the admin
// socket.
var maintenanceCommands = []*dbCommand{
	{name: "backup", open: openRead, define: backupJob, notPostgres: backupPostgres},
	{name: "check", open: openRead, define: checkJob, offline: checkOffline},
}

// backupPostgres is why backup refuses PostgreSQL: its archives hold a
// bbolt database file, and PostgreSQL has its own tools for consistent
// copies (point-in-time recovery included).
const backupPostgres = "backup archives hold the bbolt database; back up a PostgreSQL database with pg_dump (e.g. pg_dump -Fc -f almanac.dump NAME) and keep the link key file (DATA/link.key) with it"

// backupJob is `almanac backup -o FILE`: an archive of a snapshot of the
// database and the link key (internal/backup).
func backupJob(c *cmdline) dbJob {
	out := c.str("o", "", "", "archive `FILE` to write; it must not exist; gzipped when it ends in .gz or .tgz", absolute(checkOutputFile))
	linkKey := c.str("link-key", "ALMANAC_LINK_KEY", "", "link key `FILE` to include (default: the server's, DATA/link.key, when it exists)", absolute(checkFile))
	given := func() error {
		if *out == "" {
			return &usageError{cmd: c.name, msg: "missing -o FILE"}
		}
		return nil
	}
	return dbJob{
		prepare: func(io.Reader, io.Writer) ([]byte, error) { return nil, given() },
		run: func(ctx context.Context, x *dbEnv) error {
			if err := given(); err != nil {
				return err
			}
			keys, note, err := backupKeys(*linkKey, x.linkKey)
			if err != nil {
				return err
			}
			return backupStore(ctx, x.store, *out, keys, note, x.stdout)
		},
	}
}

// backupKeys returns the key files of a backup: the link key where
// -link-key names it, which must exist, or else the default key (the
// server's, or DATA/link.key) when it exists (a server that never ran
// has none), with a note saying it was left out.
func backupKeys(linkKey, def string) ([]backup.KeyFile, string, error) {
	if linkKey != "" {
		if _, err := os.Stat(linkKey); err != nil {
			return nil, "", fmt.Errorf("link key: %w", err)
		}
		return []backup.KeyFile{{Kind: backup.KindLinkKey, Path: linkKey}}, "", nil
	}
	if _, err := os.Stat(def); errors.Is(err, fs.ErrNotExist) {
		return nil, "no link key (none at " + def + ")", nil
	}
	return []backup.KeyFile{{Kind: backup.KindLinkKey, Path: def}}, "", nil
}

// backupStore is the part of backup that runs wherever the database is
// open: in this process, or in the server that holds it.
func backupStore(ctx context.Context, store storage.Maintenance, out string, keys []backup.KeyFile, note string, stdout io.Writer) error {
	gz := strings.HasSuffix(out, ".gz") || strings.HasSuffix(out, ".tgz")
	m, err := backup.WriteFile(ctx, out, store, backup.Options{Keys: keys, Gzip: gz})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %s: %s\n", out, describe(m, note))
	return nil
}

// describe sums up an archive: its files, what the database holds.
func describe(m *backup.Manifest, note string) string {
	parts := make([]string, 0, len(m.Files)+1)
	for _, f := range m.Files {
		if f.Kind == backup.KindDatabase {
			parts = append(parts, fmt.Sprintf("%s (%s, %s, %s; %d bytes)", f.Name, plural(m.Store.Accounts, "account", "accounts"),
				plural(m.Store.Collections, "collection", "collections"), plural(m.Store.Objects, "object", "objects"), f.Size))
		} else {
			parts = append(parts, f.Name)
		}
	}
	if note != "" {
		parts = append(parts, note)
	}
	return strings.Join(parts, ", ")
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// restoreCmd is `almanac restore -i FILE -data DIR`.
func restoreCmd(args []string, stdout io.Writer) error {
	c := newCmdline("restore", stdout)
	data := c.dataDir()
	db := c.dbFlag()
	in := c.str("i", "", "", "archive `FILE` to restore", nil)
	linkKey := c.str("link-key", "ALMANAC_LINK_KEY", "", "where to put the link key, a `FILE` that must not exist (default DATA/link.key)", checkFile)
	if err := c.parse(args, 0, 0); err != nil {
		return err
	}
	if *db.url != "" {
		return &usageError{cmd: "restore", msg: "restore writes a bbolt database into the data directory; restore a PostgreSQL database with pg_restore (e.g. pg_restore -d NAME almanac.dump) from what pg_dump wrote"}
	}
	if err := notOnPostgres(*data); err != nil {
		return err
	}
	if *in == "" {
		return &usageError{cmd: "restore", msg: "missing -i FILE"}
	}
	paths := map[string]string{}
	if *linkKey != "" {
		paths[backup.KindLinkKey] = *linkKey
	}
	m, err := backup.Restore(context.Background(), *in, backup.RestoreOptions{DataDir: *data, Paths: paths,
		CheckDatabase: func(path string) error {
			db, err := bolt.Open(path, bolt.Options{ReadOnly: true})
			if err != nil {
				return err
			}
			return db.Close()
		}})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "restored %s (written %s by almanac %s) into %s: %s\n", *in, m.Created.Format("2006-01-02T15:04:05Z"), m.Almanac, *data, describe(m, ""))
	return nil
}

// maxProblems bounds what check prints: past it, a damaged file would
// only repeat itself.
const maxProblems = 1000

// checkJob is `almanac check` run on an open store: inside the server
// that holds the database (storage.Maintenance.Check reads a snapshot,
// so writers go on). Exit 1 when anything is wrong.
func checkJob(c *cmdline) dbJob {
	return dbJob{run: func(ctx context.Context, x *dbEnv) error { return checkStore(ctx, x.store.Check, x.stdout) }}
}

// checkOffline is check without a server: the file is checked before
// bbolt opens it (bolt.CheckFile walks its pages first), since a damaged
// file can crash a plain open.
func checkOffline(data string, stdout io.Writer) error {
	path := filepath.Join(data, "almanac.db")
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return noDatabase(data)
	}
	return checkStore(context.Background(), func(ctx context.Context, report func(storage.Problem)) (storage.CheckStats, error) {
		st, err := bolt.CheckFile(ctx, path, bolt.Options{Timeout: lockWait}, report)
		if errors.Is(err, storage.ErrLocked) {
			return st, &lockedError{path: path}
		}
		return st, err
	}, stdout)
}

// checkStore runs a check and prints its problems and a summary: the
// part of check that runs wherever the database is open (CheckFile here,
// storage.Maintenance.Check in the server that holds it).
func checkStore(ctx context.Context, check func(context.Context, func(storage.Problem)) (storage.CheckStats, error), stdout io.Writer) error {
	problems := 0
	st, err := check(ctx, func(p storage.Problem) {
		problems++
		if problems <= maxProblems {
			fmt.Fprintln(stdout, p)
		}
	})
	if err != nil {
		return err
	}
	if problems > maxProblems {
		fmt.Fprintf(stdout, "… and %d more\n", problems-maxProblems)
	}
	if problems > 0 {
		return fmt.Errorf("check found %s", plural(problems, "problem", "problems"))
	}
	fmt.Fprintf(stdout, "ok: %s, %s, %s, %s, %s, %s, %s, %s\n",
		plural(st.Accounts, "account", "accounts"), plural(st.Collections, "collection", "collections"),
		plural(st.Objects, "object", "objects"), plural(st.Links, "link", "links"), plural(st.Grants, "grant", "grants"),
		plural(st.Organizations, "organization", "organizations"), plural(st.MailServices, "mail service", "mail services"),
		plural(st.Mailboxes, "mailbox", "mailboxes"))
	return nil
}
