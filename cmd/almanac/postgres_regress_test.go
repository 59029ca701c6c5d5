package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"almanac/internal/pgtest"
	"almanac/server/servertest"
	"almanac/storage"
	"almanac/storage/postgres"
)

// withPassword adds a password to a pgtest URL: the throw-away cluster
// trusts local connections and ignores it, so the tests can check that
// no message or file shows it.
func withPassword(t *testing.T, raw string) string {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	u.User = url.UserPassword(u.User.Username(), "s3cret-pw")
	return u.String()
}

// TestServeOnPostgres: serve -db runs on PostgreSQL, logs the database
// without its password and leaves the marker; the database commands
// work with -db beside it, or through the server without it; backup and
// restore refuse -db naming pg_dump and pg_restore; once the server is
// stopped, a command given its data directory without -db refuses
// instead of using a bbolt database there, and creates none.
func TestServeOnPostgres(t *testing.T) {
	db := withPassword(t, pgtest.URL(t))
	dir := t.TempDir()
	const pw = "a-long-password"
	if code, out, errs := runCmd(t, pw+"\n", "user", "add", "-db", db, "-handle", "bob", "bob@example.com"); code != 0 {
		t.Fatalf("user add -db: %d %q %q", code, out, errs)
	}
	linkKey(t, dir)
	addr, log := startServe(t, dir, "-db", db, "-db-max-conns", "4", "-db-connect-timeout", "2s")
	if got := propfind(t, "http://"+addr+"/dav/calendars/bob/default/", "bob@example.com", pw); got != http.StatusMultiStatus {
		t.Errorf("PROPFIND of the account user add -db made: %d", got)
	}
	if !strings.Contains(log.String(), `database="postgres://almanac:xxxxx@`) {
		t.Errorf("the start-up line does not name the database redacted:\n%s", log)
	}
	marker, err := os.ReadFile(filepath.Join(dir, pgMarker))
	if err != nil || !strings.Contains(string(marker), "postgres://almanac:xxxxx@") {
		t.Errorf("marker %q, %v", marker, err)
	}
	for _, tc := range []struct {
		args []string
		code int
		out  string
	}{
		{[]string{"user", "list", "-db", db}, 0, "bob@example.com"},
		{[]string{"user", "list", "-data", dir}, 0, "bob@example.com"}, // through the server
		{[]string{"check", "-db", db}, 0, "ok: 1 account"},
		{[]string{"mail", "org", "-db", db, "-owner", "bob@example.com", "Bob & Co"}, 0, "Bob & Co"},
		{[]string{"mail", "export", "-db", db, "-postfix-virtual", filepath.Join(dir, "virtual")}, 0, ""},
		{[]string{"backup", "-db", db, "-o", filepath.Join(dir, "b.tar")}, 2, "pg_dump"},
		{[]string{"backup", "-data", dir, "-o", filepath.Join(dir, "b.tar")}, 2, "pg_dump"}, // the server refuses
		{[]string{"restore", "-db", db, "-i", filepath.Join(dir, "b.tar")}, 2, "pg_restore"},
	} {
		code, out, errs := runCmd(t, "", tc.args...)
		if code != tc.code || !strings.Contains(out+errs, tc.out) {
			t.Errorf("%s: %d %q %q; want %d with %q", strings.Join(tc.args[:2], " "), code, out, errs, tc.code, tc.out)
		}
		if strings.Contains(out+errs, "s3cret-pw") {
			t.Errorf("%s shows the password: %q %q", strings.Join(tc.args[:2], " "), out, errs)
		}
	}
	if strings.Contains(log.String(), "s3cret-pw") {
		t.Errorf("the server's log shows the password:\n%s", log)
	}
}

// TestNoBboltBesideAPostgresServer: with the marker a server on
// PostgreSQL left, the commands that open the data directory's bbolt
// database refuse, name -db, and create nothing.
func TestNoBboltBesideAPostgresServer(t *testing.T) {
	dir := t.TempDir()
	if err := markPostgres(dir, "postgres://almanac:s3cret-pw@db.example.com/almanac"); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"user", "add", "-data", dir, "bob@example.com"},
		{"user", "list", "-data", dir},
		{"check", "-data", dir},
		{"backup", "-data", dir, "-o", filepath.Join(t.TempDir(), "b.tar")},
		{"restore", "-data", dir, "-i", filepath.Join(t.TempDir(), "b.tar")},
		{"mail", "export", "-data", dir, "-postfix-virtual", filepath.Join(t.TempDir(), "virtual")},
		{"serve", "-data", dir, "-listen", "127.0.0.1:0"},
	} {
		a := args
		code, out, errs := runCmd(t, "a-long-password\n", a...)
		if code != 1 || !strings.Contains(errs, "runs on postgres://almanac:xxxxx@db.example.com/almanac: give -db") || strings.Contains(out+errs, "s3cret") {
			t.Errorf("%v: %d %q %q", args, code, out, errs)
		}
		assertAbsent(t, filepath.Join(dir, "almanac.db"))
	}
}

// TestDBFlagErrors: -db and its pool flags are checked before anything
// is opened, and messages never show the password.
func TestDBFlagErrors(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		args []string
		env  []string
		msg  string
	}{
		{[]string{"serve", "-db", "mysql://u:s3cret@h/db"}, nil, `-db="mysql://u:xxxxx@h/db" (env ALMANAC_DB): must start with postgres://`},
		{[]string{"serve"}, []string{"ALMANAC_DB", "postgres://u:s3cret@h:x/db"}, `ALMANAC_DB="(a URL that does not parse, not shown: it may hold a password)" (flag -db): not a URL`},
		{[]string{"serve", "-db-max-conns", "8"}, nil, "-db-max-conns needs -db"},
		{[]string{"serve", "-db", "postgres://h/db", "-db-max-conns", "0"}, nil, "-db-max-conns"},
		{[]string{"serve", "-db", "postgres://h/db", "-db-connect-timeout", "1ms"}, nil, "-db-connect-timeout"},
		{[]string{"serve", "-db", "postgres://h/db", "-db-statement-timeout", "soon"}, nil, "-db-statement-timeout"},
		{[]string{"serve", "-db", "postgres://h/db", "-backup-dir", dir}, nil, "pg_dump"},
		{[]string{"user", "list", "-db", "postgres://u:s3cret@h/db?sslmode=maybe"}, nil, "not a usable PostgreSQL URL"},
	} {
		for i := 0; i+1 < len(tc.env); i += 2 {
			t.Setenv(tc.env[i], tc.env[i+1])
		}
		code, out, errs := runCmd(t, "", append(tc.args, "-data", dir)...)
		if code != 2 || !strings.Contains(errs, tc.msg) || strings.Contains(out+errs, "s3cret") {
			t.Errorf("%v %v: %d %q; want 2 with %q", tc.args, tc.env, code, errs, tc.msg)
		}
		for i := 0; i+1 < len(tc.env); i += 2 {
			os.Unsetenv(tc.env[i])
		}
	}
	assertAbsent(t, filepath.Join(dir, "almanac.db"))
}

// TestReadCommandsNeedAnAlmanacDatabase: a command that reads, pointed
// at an empty PostgreSQL database, fails and lays no schema into it.
func TestReadCommandsNeedAnAlmanacDatabase(t *testing.T) {
	db := pgtest.URL(t)
	data := t.TempDir()
	for _, args := range [][]string{
		{"user", "list", "-db", db, "-data", data},
		{"check", "-db", db, "-data", data},
		{"user", "passwd", "-db", db, "-data", data, "bob@example.com"},
	} {
		code, out, errs := runCmd(t, "a-long-password\n", args...)
		if code != 1 || !strings.Contains(errs, "no almanac database at") {
			t.Errorf("%v: %d %q %q", args, code, out, errs)
		}
	}
	conn, err := pgx.Connect(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var n int
	if err := conn.QueryRow(context.Background(), `SELECT count(*) FROM pg_tables WHERE schemaname = 'public'`).Scan(&n); err != nil || n != 0 {
		t.Errorf("%d tables in the database (%v), want none", n, err)
	}
}

// TestServeDatabaseUnreachable: serve fails with exit status 1 when the
// database cannot be reached, naming it without its password.
func TestServeDatabaseUnreachable(t *testing.T) {
	dir := t.TempDir()
	linkKey(t, dir)
	code, out, errs := runCmd(t, "", "serve", "-listen", "127.0.0.1:0", "-data", dir,
		"-db", "postgres://almanac:s3cret-pw@/almanac?host="+url.QueryEscape(t.TempDir()), "-db-connect-timeout", "1s")
	if code != 1 || !strings.Contains(errs, "open database postgres://almanac:xxxxx@") || strings.Contains(out+errs, "s3cret") {
		t.Errorf("code %d stdout %q stderr %q", code, out, errs)
	}
	assertAbsent(t, filepath.Join(dir, pgMarker))
}

// listsNone hides the accounts from firstAccount, as a second server
// starting at the same moment as the first sees the database.
type listsNone struct{ storage.Store }

func (listsNone) ListAccounts(context.Context) ([]storage.Account, error) { return nil, nil }

// TestFirstAccountOnce: when another server created the first account
// between this one's look and its write, the start goes on and prints
// no password.
func TestFirstAccountOnce(t *testing.T) {
	store := servertest.Store(t)
	ctx := context.Background()
	var first strings.Builder
	if err := firstAccount(ctx, store, &first); err != nil || !strings.Contains(first.String(), "password:") {
		t.Fatalf("first start: %v %q", err, first.String())
	}
	var second strings.Builder
	if err := firstAccount(ctx, listsNone{store}, &second); err != nil || second.Len() != 0 {
		t.Errorf("second server: %v %q", err, second.String())
	}
}

// TestServeRidesOutADatabaseOutage: the real server process answers 503
// with Retry-After while its database is away, at once, and serves
// again when it is back, without a restart.
func TestServeRidesOutADatabaseOutage(t *testing.T) {
	proxy, db := pgtest.NewProxy(t, pgtest.URL(t))
	const pw = "a-long-password"
	if code, out, errs := runCmd(t, pw+"\n", "user", "add", "-db", db, "-handle", "bob", "bob@example.com"); code != 0 {
		t.Fatalf("user add -db: %d %q %q", code, out, errs)
	}
	dir := t.TempDir()
	linkKey(t, dir)
	addr, _ := startServe(t, dir, "-db", db, "-db-connect-timeout", "2s")
	url := "http://" + addr + "/dav/calendars/bob/default/"
	for round := range 2 {
		if got := propfind(t, url, "bob@example.com", pw); got != http.StatusMultiStatus {
			t.Fatalf("round %d, database up: PROPFIND %d", round, got)
		}
		proxy.Down()
		req, _ := http.NewRequest("PROPFIND", url, nil)
		req.SetBasicAuth("bob@example.com", pw)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") != "5" {
			t.Errorf("round %d, database away: %d, Retry-After %q", round, resp.StatusCode, resp.Header.Get("Retry-After"))
		}
		proxy.Up()
	}
}

// TestDBPoolFlags: the pool flags reach postgres.Options, 0 lifting the
// statement timeout.
func TestDBPoolFlags(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want postgres.Options
	}{
		{nil, postgres.Options{MaxConns: 16, ConnectTimeout: 5 * time.Second, StatementTimeout: 30 * time.Second, MaxConnLifetime: time.Hour}},
		{[]string{"-db-max-conns", "4", "-db-connect-timeout", "2s", "-db-statement-timeout", "0", "-db-conn-lifetime", "10m"},
			postgres.Options{MaxConns: 4, ConnectTimeout: 2 * time.Second, StatementTimeout: -1, MaxConnLifetime: 10 * time.Minute}},
		{[]string{"-db-statement-timeout", "1500ms"}, postgres.Options{MaxConns: 16, ConnectTimeout: 5 * time.Second, StatementTimeout: 1500 * time.Millisecond, MaxConnLifetime: time.Hour}},
	} {
		c := newCmdline("serve", io.Discard)
		d := c.dbFlags()
		if err := c.parse(append([]string{"-db", "postgres://h/db"}, tc.args...), 0, 0); err != nil {
			t.Fatalf("%v: %v", tc.args, err)
		}
		if got := d.options(); got != tc.want {
			t.Errorf("%v: %+v, want %+v", tc.args, got, tc.want)
		}
	}
}

// linkKey makes DATA/link.key, which serve on PostgreSQL does not make.
func linkKey(t *testing.T, dir string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, "link.key"), bytes.Repeat([]byte{7}, 32), 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestServeOnPostgresNeedsSharedKeys: serve -db makes no key file every
// server must share; it names the missing one and how to make it, before
// it opens the database or writes anything.
func TestServeOnPostgresNeedsSharedKeys(t *testing.T) {
	dir := t.TempDir()
	db := "postgres://almanac:s3cret@/almanac?host=" + url.QueryEscape(t.TempDir())
	code, out, errs := runCmd(t, "", "serve", "-listen", "127.0.0.1:0", "-data", dir, "-db", db)
	if code != 1 || !strings.Contains(errs, "-link-key "+filepath.Join(dir, "link.key")+" does not exist") || !strings.Contains(errs, "head -c 32 /dev/urandom") {
		t.Errorf("no link key: %d %q %q", code, out, errs)
	}
	linkKey(t, dir)
	code, out, errs = runCmd(t, "", "serve", "-listen", "127.0.0.1:0", "-data", dir, "-db", db, "-import-imap-host", "imap.example.com")
	if code != 1 || !strings.Contains(errs, "-import-key "+filepath.Join(dir, "import.key")+" does not exist") {
		t.Errorf("no import key: %d %q %q", code, out, errs)
	}
	if err := os.WriteFile(filepath.Join(dir, "import.key"), bytes.Repeat([]byte{7}, 32), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errs = runCmd(t, "", "serve", "-listen", "127.0.0.1:0", "-data", dir, "-db", db, "-import-imap-host", "imap.example.com")
	if code != 1 || !strings.Contains(errs, "-import-master-secret "+filepath.Join(dir, "import-master.secret")+" does not exist") {
		t.Errorf("no master secret: %d %q %q", code, out, errs)
	}
	assertAbsent(t, filepath.Join(dir, pgMarker))
	assertAbsent(t, filepath.Join(dir, "import-master.secret"))
}
