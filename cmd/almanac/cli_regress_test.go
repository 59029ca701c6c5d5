package main

import (
	"errors"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"almanac/auth"
)

// holdPort returns an address some other listener holds for the test.
func holdPort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l.Addr().String()
}

// assertAbsent fails when path exists: the command must not have
// created it.
func assertAbsent(t *testing.T, path string) {
	t.Helper()
	if _, err := os.Stat(path); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("%s was created (stat: %v)", path, err)
	}
}

// TestCLIPasswordRuleIsTheAPIs: user add and user passwd refuse what
// auth.PasswordProblem refuses (the CLI used to accept any 8 characters),
// print its message, and store nothing.
func TestCLIPasswordRuleIsTheAPIs(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	const login = "jane.doe.1@example.com"
	const good = "a-long-password"
	if code, _, errs := runCmd(t, good+"\n", "user", "add", "-data", data, login); code != 0 {
		t.Fatalf("add: %d %s", code, errs)
	}
	const other = "john.doe.1@example.com" // for user add
	for _, tc := range []struct{ name, passwd, add string }{
		{"9 characters", "abcdefgh9", "abcdefgh9"}, // enough for the old floor of 8
		{"common", "1234567890", "1234567890"},
		{"local part", "jane.doe.1", "john.doe.1"},
		{"login", "JANE.DOE.1@example.com", "John.Doe.1@example.com"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			want := auth.PasswordProblem(tc.passwd, login)
			code, _, errs := runCmd(t, tc.passwd+"\n", "user", "passwd", "-data", data, login)
			if want == "" || code != 1 || errs != "almanac: "+want+"\n" {
				t.Errorf("passwd: code %d stderr %q; want 1 and %q", code, errs, want)
			}
			want = auth.PasswordProblem(tc.add, other)
			code, _, errs = runCmd(t, tc.add+"\n", "user", "add", "-data", data, other)
			if want == "" || code != 1 || errs != "almanac: "+want+"\n" {
				t.Errorf("add: code %d stderr %q; want 1 and %q", code, errs, want)
			}
		})
	}
	db, err := openStore(data)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	accs, err := db.ListAccounts(t.Context())
	if err != nil || len(accs) != 1 {
		t.Fatalf("%d accounts (%v); want only %s", len(accs), err, login)
	}
	if ok, err := auth.VerifyPassword(accs[0].PasswordHash, good); !ok || err != nil {
		t.Errorf("a refused passwd changed the password (%v)", err)
	}

	// A refused first account leaves no database in a fresh directory.
	fresh := filepath.Join(dir, "fresh")
	if code, _, _ := runCmd(t, "abcdefgh9\n", "user", "add", "-data", fresh, login); code != 1 {
		t.Errorf("add with a weak password: code %d", code)
	}
	assertAbsent(t, fresh)
}

// TestCLICommandsWithoutDatabaseCreateNothing: only serve and user add
// create a database; the others fail with a clear message and leave the
// directory as it was.
func TestCLICommandsWithoutDatabaseCreateNothing(t *testing.T) {
	for _, args := range [][]string{
		{"user", "list"},
		{"user", "passwd", "jane@example.com"},
		{"user", "delete", "jane@example.com"},
		{"mail", "export", "-postfix-virtual", "OUT"},
		{"mail", "org", "-owner", "jane@example.com", "Org"},
	} {
		t.Run(strings.Join(args[:2], " "), func(t *testing.T) {
			for _, existing := range []bool{false, true} {
				dir := t.TempDir()
				data := filepath.Join(dir, "data")
				if existing {
					if err := os.Mkdir(data, 0o700); err != nil {
						t.Fatal(err)
					}
				}
				a := append([]string{args[0], args[1], "-data", data}, args[2:]...)
				for i := range a {
					a[i] = strings.ReplaceAll(a[i], "OUT", filepath.Join(dir, "virtual"))
				}
				code, out, errs := runCmd(t, "a-long-password\n", a...)
				if code != 1 || !strings.Contains(errs, "no database in "+data) || out != "" {
					t.Errorf("existing dir %v: code %d stdout %q stderr %q", existing, code, out, errs)
				}
				if existing {
					assertAbsent(t, filepath.Join(data, "almanac.db"))
				} else {
					assertAbsent(t, data)
				}
				assertAbsent(t, filepath.Join(dir, "virtual"))
			}
		})
	}
}

// TestServeBindsBeforeWriting: with the listen address taken, serve
// fails before it creates the database and the first account (whose
// password it would have printed for nothing).
func TestServeBindsBeforeWriting(t *testing.T) {
	addr := holdPort(t)
	data := filepath.Join(t.TempDir(), "data")
	code, out, errs := runCmd(t, "", "serve", "-listen", addr, "-data", data)
	if code != 1 || !strings.Contains(errs, "address already in use") {
		t.Errorf("code %d stderr %q; want 1, address already in use", code, errs)
	}
	if strings.Contains(out, "password") {
		t.Errorf("printed an account: %q", out)
	}
	assertAbsent(t, data)
}

// TestServeConfigErrors: every bad flag or environment value stops serve
// with exit 2 and a message naming flag and variable, before anything is
// bound or written. The listen address is held, so that the code before
// these checks, which ignored or deferred them, failed fast instead of
// serving.
func TestServeConfigErrors(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(dir, "missing")
	for _, tc := range []struct {
		name string
		args []string
		env  map[string]string
		want string
	}{
		{"public url without scheme", []string{"-public-url", "cal.example.com"}, nil,
			`-public-url="cal.example.com" (env ALMANAC_PUBLIC_URL): must start with https:// or http://`},
		{"public url env ftp", nil, map[string]string{"ALMANAC_PUBLIC_URL": "ftp://cal.example.com"},
			`ALMANAC_PUBLIC_URL="ftp://cal.example.com" (flag -public-url): must start with`},
		{"public url no host", []string{"-public-url", "https:///x"}, nil, "must name a host"},
		{"public url query", []string{"-public-url", "https://cal.example.com/?a=b"}, nil, "must not contain a query"},
		{"public url credentials", []string{"-public-url", "https://u:p@cal.example.com"}, nil, "user name or password"},
		{"feed ttl env", nil, map[string]string{"ALMANAC_FEED_TTL": "abc"},
			`ALMANAC_FEED_TTL="abc" (flag -feed-ttl): not a duration`},
		{"feed ttl short", []string{"-feed-ttl", "10s"}, nil, `-feed-ttl="10s" (env ALMANAC_FEED_TTL): out of range (1m to 168h)`},
		{"max instances env", nil, map[string]string{"ALMANAC_MAX_INSTANCES": "many"},
			`ALMANAC_MAX_INSTANCES="many" (flag -max-instances): not a number`},
		{"max instances huge", nil, map[string]string{"ALMANAC_MAX_INSTANCES": "99999999999999999999"}, "out of range"},
		{"smtp port env", nil, map[string]string{"ALMANAC_SMTP_PORT": "70000"},
			`ALMANAC_SMTP_PORT="70000" (flag -smtp-port): out of range (0 to 65535)`},
		{"listen env", nil, map[string]string{"ALMANAC_LISTEN": "nonsense"},
			`ALMANAC_LISTEN="nonsense" (flag -listen): not a host:port address`},
		{"listen port", []string{"-listen", "127.0.0.1:99999"}, nil, "the port must be a number from 0 to 65535"},
		{"log level", nil, map[string]string{"ALMANAC_LOG_LEVEL": "loud"},
			`ALMANAC_LOG_LEVEL="loud" (flag -log-level): not one of debug, info, warn, error`},
		{"smtp security", []string{"-smtp-security", "ssl"}, nil, `-smtp-security="ssl" (env ALMANAC_SMTP_SECURITY): not one of starttls, tls, none`},
		{"smtp host with port", []string{"-smtp-host", "mail.example.com:587", "-smtp-from", "a@example.com"}, nil, "give the port with -smtp-port"},
		{"smtp without from", []string{"-smtp-host", "mail.example.com"}, nil, "-smtp-host needs -smtp-from (env ALMANAC_SMTP_FROM)"},
		{"smtp from", []string{"-smtp-host", "mail.example.com", "-smtp-from", "not an address"}, nil, `-smtp-from="not an address"`},
		{"smtp cleartext credentials", []string{"-smtp-host", "mail.example.com", "-smtp-from", "a@example.com", "-smtp-security", "none", "-smtp-user", "u"}, nil,
			"refusing to send credentials unencrypted"},
		{"dovecot dir", []string{"-dovecot-passwd", missing + "/passwd"}, nil,
			`-dovecot-passwd="` + missing + `/passwd" (env ALMANAC_DOVECOT_PASSWD): directory ` + missing + " does not exist"},
		{"postfix env dir", nil, map[string]string{"ALMANAC_POSTFIX_VIRTUAL": missing + "/virtual"},
			`ALMANAC_POSTFIX_VIRTUAL="` + missing + `/virtual" (flag -postfix-virtual): directory ` + missing + " does not exist"},
		{"link key is a directory", []string{"-link-key", dir}, nil, "-link-key=" + `"` + dir + `" (env ALMANAC_LINK_KEY): is a directory`},
		{"data is a file", []string{"-data", file}, nil, `(env ALMANAC_DATA): not a directory`},
		{"unknown flag", []string{"-frob"}, nil, "flag provided but not defined: -frob"},
		{"argument", []string{"now"}, nil, `unexpected argument "now"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			data := filepath.Join(t.TempDir(), "data")
			args := []string{"serve", "-data", data}
			if tc.env["ALMANAC_LISTEN"] == "" {
				args = append(args, "-listen", holdPort(t))
			}
			code, out, errs := runCmd(t, "", append(args, tc.args...)...)
			first, _, _ := strings.Cut(errs, "\n")
			if code != 2 || !strings.HasPrefix(first, "almanac: ") || !strings.Contains(first, tc.want) {
				t.Errorf("code %d stderr %q; want 2, first line containing %q", code, errs, tc.want)
			}
			if !strings.Contains(errs, "usage:\n  almanac serve") || out != "" {
				t.Errorf("no synopsis, or stdout %q", out)
			}
			assertAbsent(t, data)
		})
	}
}

// TestServeFlagOverridesEnv: a flag wins over its variable, whose bad
// value is then never used; the run gets as far as binding.
func TestServeFlagOverridesEnv(t *testing.T) {
	t.Setenv("ALMANAC_FEED_TTL", "abc")
	t.Setenv("ALMANAC_PUBLIC_URL", "cal.example.com")
	data := filepath.Join(t.TempDir(), "data")
	code, _, errs := runCmd(t, "", "serve", "-data", data, "-listen", holdPort(t), "-feed-ttl", "2h", "-public-url", "https://cal.example.com")
	if code != 1 || !strings.Contains(errs, "address already in use") {
		t.Errorf("code %d stderr %q; want 1, address already in use", code, errs)
	}
}

// TestHelp: -h prints the command's usage to stdout and exits 0, like
// almanac help; flags and their variables are listed.
func TestHelp(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want []string
	}{
		{[]string{"help"}, []string{"almanac serve", "almanac user add", "Exit status"}},
		{[]string{"-h"}, []string{"almanac serve"}},
		{[]string{"serve", "-h"}, []string{"almanac serve [flags]", "-public-url URL", "ALMANAC_PUBLIC_URL", "-feed-ttl DURATION", "(default 1h)"}},
		{[]string{"serve", "--help"}, []string{"-listen ADDR", "ALMANAC_LISTEN"}},
		{[]string{"user", "add", "-h"}, []string{"almanac user add", "-handle H", "-data DIR", "ALMANAC_DATA"}},
		{[]string{"user", "list", "-h"}, []string{"almanac user list"}},
		{[]string{"user", "-h"}, []string{"almanac user add", "almanac user delete"}},
		{[]string{"mail", "export", "-h"}, []string{"-dovecot-passwd FILE", "ALMANAC_DOVECOT_PASSWD"}},
		{[]string{"mail", "org", "-h"}, []string{"-owner LOGIN"}},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			code, out, errs := runCmd(t, "", tc.args...)
			if code != 0 || errs != "" || !strings.HasPrefix(out, "usage:\n") {
				t.Errorf("code %d stderr %q stdout %q; want 0, usage on stdout", code, errs, out)
			}
			for _, w := range tc.want {
				if !strings.Contains(out, w) {
					t.Errorf("help lacks %q:\n%s", w, out)
				}
			}
		})
	}
}

// TestUnknownCommand: an error line first, then the usage, exit 2, and
// nothing created.
func TestUnknownCommand(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"frob"}, `almanac: unknown command "frob"`},
		{[]string{"user", "frob", "-data", dir}, `almanac: unknown command "user frob"`},
		{[]string{"mail", "frob", "-data", dir}, `almanac: unknown command "mail frob"`},
		{[]string{"user"}, "almanac: missing user command"},
		{[]string{"user", "add", "-data", dir}, "almanac: missing argument"},
		{[]string{"user", "list", "-data", dir, "extra"}, `almanac: unexpected argument "extra"`},
		{[]string{"mail", "export", "-data", dir}, "almanac: give -dovecot-passwd, -postfix-virtual, -sieve-dir or several"},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			code, out, errs := runCmd(t, "", tc.args...)
			first, rest, _ := strings.Cut(errs, "\n")
			if code != 2 || first != tc.want || !strings.HasPrefix(rest, "usage:\n") || out != "" {
				t.Errorf("code %d stdout %q stderr %q; want 2, %q then the usage", code, out, errs, tc.want)
			}
		})
	}
	if entries, err := os.ReadDir(dir); err != nil || len(entries) != 0 {
		t.Errorf("usage errors wrote %v (%v)", entries, err)
	}
}
