package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"almanac/storage"
	"almanac/storage/postgres"
)

// database is where a command's store is: bbolt in the data directory
// (url "") or a PostgreSQL database, with the pool's settings for serve.
type database struct {
	url *string
	// the pool flags, nil for commands that do not define them
	maxConns                         *int
	connect, statement, connLifetime *time.Duration
}

// pgMarker is the file serve leaves in the data directory when it runs
// on PostgreSQL, and keeps after it stops: a command given that
// directory without -db then refuses instead of creating or reading a
// bbolt database there that no server reads.
const pgMarker = "postgres.url"

// dbFlag defines -db (env ALMANAC_DB) on c. Its value may hold a
// password, so every message shows it redacted.
func (c *cmdline) dbFlag() *database {
	d := &database{}
	d.url = c.str("db", "ALMANAC_DB", "", "PostgreSQL database `URL` (postgres://USER:PASSWORD@HOST:PORT/NAME?sslmode=...) instead of the bbolt database in the data directory; several servers may share one", parseDBURL)
	c.settings[len(c.settings)-1].redact = redactDBURL
	return d
}

// dbFlags is dbFlag with the pool's flags, for serve.
func (c *cmdline) dbFlags() *database {
	d := c.dbFlag()
	d.maxConns = c.integer("db-max-conns", "ALMANAC_DB_MAX_CONNS", 16, 1, 10_000, "with -db: at most `N` connections to the database, 1 to 10000; each request that reads or writes holds one")
	d.connect = c.duration("db-connect-timeout", "ALMANAC_DB_CONNECT_TIMEOUT", 5*time.Second, 100*time.Millisecond, 5*time.Minute,
		"with -db: how long connecting may take, a `DURATION` from 100ms to 5m; while the database is away, requests fail (503) after it")
	d.statement = value(c, "db-statement-timeout", "ALMANAC_DB_STATEMENT_TIMEOUT", "30s",
		"with -db: the longest a statement may run, a `DURATION` up to 24h, or 0 for no limit; a request past it fails (503) instead of holding its connection",
		func(s string) (time.Duration, error) {
			if strings.TrimSpace(s) == "0" {
				return -1, nil
			}
			return parseDuration(s, time.Millisecond, 24*time.Hour)
		})
	d.connLifetime = c.duration("db-conn-lifetime", "ALMANAC_DB_CONN_LIFETIME", time.Hour, time.Minute, 7*24*time.Hour,
		"with -db: a connection is replaced after this `DURATION`, from 1m to 168h, so servers follow a fail-over or a changed DNS name")
	return d
}

// options are the parsed pool settings.
func (d *database) options() postgres.Options {
	var o postgres.Options
	if d.maxConns != nil {
		o = postgres.Options{MaxConns: int32(*d.maxConns), ConnectTimeout: *d.connect,
			StatementTimeout: *d.statement, MaxConnLifetime: *d.connLifetime}
	}
	return o
}

// check refuses the pool flags without -db, which would otherwise be
// ignored without a word.
func (d *database) check(c *cmdline) error {
	if *d.url != "" {
		return nil
	}
	for _, f := range []string{"db-max-conns", "db-connect-timeout", "db-statement-timeout", "db-conn-lifetime"} {
		if c.given(f) {
			return &usageError{cmd: c.name, msg: "-" + f + " needs -db (env ALMANAC_DB)"}
		}
	}
	return nil
}

// parseDBURL accepts a postgres:// or postgresql:// URL that pgx can
// use; "" means bbolt. The messages never repeat the URL, which may hold
// a password.
func parseDBURL(s string) (string, error) {
	if s == "" {
		return "", nil
	}
	if !strings.HasPrefix(s, "postgres://") && !strings.HasPrefix(s, "postgresql://") {
		return "", errors.New("must start with postgres:// or postgresql:// (the bbolt database needs no -db)")
	}
	if _, err := url.Parse(s); err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return "", fmt.Errorf("not a URL: %v", err)
	}
	if _, err := pgconn.ParseConfig(s); err != nil {
		// pgconn's message quotes the URL (password masked); its cause
		// alone says what is wrong.
		if cause := errors.Unwrap(err); cause != nil {
			err = cause
		}
		return "", fmt.Errorf("not a usable PostgreSQL URL: %v", err)
	}
	return s, nil
}

// redactDBURL is a database URL as messages and logs show it: without
// its password, in the user part or in the query.
func redactDBURL(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		if strings.Contains(s, "@") || strings.Contains(strings.ToLower(s), "password") {
			return "(a URL that does not parse, not shown: it may hold a password)"
		}
		return s
	}
	if _, has := u.User.Password(); has {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	if q := u.Query(); q.Has("password") {
		q.Set("password", "xxxxx")
		u.RawQuery = q.Encode()
	}
	return u.String()
}

// openDatabase opens the store of a command: PostgreSQL when -db names
// it, else the bbolt database in dataDir (mode says whether it may be
// created and whether it is only read).
func openDatabase(dataDir string, d *database, mode openMode) (storage.Store, error) {
	if *d.url == "" {
		if err := notOnPostgres(dataDir); err != nil {
			return nil, err
		}
		switch mode {
		case openCreate:
			return openStore(dataDir)
		default:
			return openExisting(dataDir, mode == openRead)
		}
	}
	opts := d.options()
	// A command other than serve and user add works on an existing
	// database: it must not lay the schema into an empty one named by
	// mistake.
	opts.Existing = mode != openCreate
	if opts.MaxConns == 0 {
		opts.MaxConns = 2 // one command, one connection at a time
	}
	db, err := postgres.Open(context.Background(), *d.url, opts)
	if errors.Is(err, postgres.ErrNoSchema) {
		return nil, fmt.Errorf("no almanac database at %s: start the server on it once or run `almanac user add -db URL LOGIN` to create one", redactDBURL(*d.url))
	}
	if err != nil {
		return nil, fmt.Errorf("open database %s: %w", redactDBURL(*d.url), err)
	}
	return db, nil
}

// notOnPostgres refuses a data directory a server runs on PostgreSQL
// from: without -db, a command would use a bbolt database there that the
// server does not read.
func notOnPostgres(dataDir string) error {
	b, err := os.ReadFile(filepath.Join(dataDir, pgMarker))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	where := strings.TrimSpace(string(b))
	if err != nil || where == "" {
		where = "PostgreSQL"
	}
	return fmt.Errorf("the server with data directory %s runs on %s: give -db URL (env ALMANAC_DB) to work on that database (or remove %s to use a bbolt database in %s)",
		dataDir, where, filepath.Join(dataDir, pgMarker), dataDir)
}

// markPostgres records in dataDir that its server runs on PostgreSQL
// (notOnPostgres), with the URL redacted.
func markPostgres(dataDir, dbURL string) error {
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return fmt.Errorf("data directory: %w", err)
	}
	p := filepath.Join(dataDir, pgMarker)
	if err := os.WriteFile(p, []byte(redactDBURL(dbURL)+"\n"), 0o600); err != nil {
		return fmt.Errorf("write %s: %w", p, err)
	}
	return nil
}

// sharedFile is a key file every server of one database must read alike.
type sharedFile struct {
	flag, path string
	how        string // how to make it, FILE standing for the path
}

// checkShared refuses, on PostgreSQL, a shared key file that does not
// exist: a server that made its own (as serve does on bbolt) would mint
// feed URLs, or seal import passwords, the other servers cannot read,
// and two servers starting on a new database would each make one.
func checkShared(files []sharedFile) error {
	for _, f := range files {
		if _, err := os.Stat(f.path); errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("%s %s does not exist: every server on one database must read the same file, so serve with -db makes none; create it once (%s), chmod 600, and give every server a copy",
				f.flag, f.path, strings.ReplaceAll(f.how, "FILE", f.path))
		}
	}
	return nil
}
