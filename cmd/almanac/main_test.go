package main

import (
	"bufio"
	"bytes"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"almanac/caldav"
	"almanac/internal/pgtest"
	"almanac/storage"
)

// TestMain lets the test binary act as the almanac command, so serve can
// be run as a real process and sent real signals.
func TestMain(m *testing.M) {
	if os.Getenv("ALMANAC_TEST_MAIN") == "1" {
		os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
	}
	// pgtest.Main stops the PostgreSQL cluster tests on -db started.
	os.Exit(pgtest.Main(m))
}

func runCmd(t *testing.T, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(args, strings.NewReader(stdin), &out, &errb)
	return code, out.String(), errb.String()
}

func TestUserCommands(t *testing.T) {
	dir := t.TempDir()
	if code, _, errs := runCmd(t, "a-long-password\n", "user", "add", "-data", dir, "jane@example.com"); code != 0 {
		t.Fatalf("add: %d %s", code, errs)
	}
	code, out, _ := runCmd(t, "", "user", "list", "-data", dir)
	if code != 0 || !strings.Contains(out, "jane@example.com") {
		t.Fatalf("list: %d %q", code, out)
	}
	if code, _, errs := runCmd(t, "another-password\n", "user", "passwd", "-data", dir, "JANE@example.com"); code != 0 {
		t.Errorf("passwd: %d %s", code, errs)
	}
	if code, _, errs := runCmd(t, "", "user", "delete", "-data", dir, "jane@example.com"); code != 0 {
		t.Errorf("delete: %d %s", code, errs)
	}
	if _, out, _ := runCmd(t, "", "user", "list", "-data", dir); strings.Contains(out, "jane") {
		t.Errorf("deleted account still listed: %q", out)
	}
}

func TestUserCommandErrors(t *testing.T) {
	dir := t.TempDir()
	runCmd(t, "a-long-password\n", "user", "add", "-data", dir, "jane@example.com")
	for _, tc := range []struct {
		name, stdin string
		args        []string
		code        int
		msg         string
	}{
		{"not an email", "a-long-password\n", []string{"user", "add", "-data", dir, "jane"}, 1, "email address"},
		{"duplicate", "a-long-password\n", []string{"user", "add", "-data", dir, "Jane@example.com"}, 1, "already exists"},
		{"short password", "short\n", []string{"user", "add", "-data", dir, "bob@example.com"}, 1, "at least"},
		{"no password", "", []string{"user", "add", "-data", dir, "bob@example.com"}, 1, "standard input"},
		{"bad handle", "a-long-password\n", []string{"user", "add", "-data", dir, "-handle", "../x", "bob@example.com"}, 1, "handle"},
		{"unknown user", "a-long-password\n", []string{"user", "passwd", "-data", dir, "who@example.com"}, 1, "no account"},
		{"unknown subcommand", "", []string{"user", "frob", "-data", dir}, 2, "usage"},
		{"missing login", "", []string{"user", "add", "-data", dir}, 2, "usage"},
		{"no command", "", nil, 2, "usage"},
		{"bad max-instances", "", []string{"serve", "-data", dir, "-max-instances", "0"}, 2, "max-instances"},
		{"short sync-retention", "", []string{"serve", "-data", dir, "-sync-retention", "1h"}, 2, "sync-retention"},
		{"negative sync-retention", "", []string{"serve", "-data", dir, "-sync-retention", "-8760h"}, 2, "sync-retention"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _, errs := runCmd(t, tc.stdin, tc.args...)
			if code != tc.code || !strings.Contains(errs, tc.msg) {
				t.Errorf("code %d stderr %q; want %d containing %q", code, errs, tc.code, tc.msg)
			}
		})
	}
	if _, out, _ := runCmd(t, "", "user", "list", "-data", dir); strings.Contains(out, "bob@") {
		t.Error("a failed add stored an account")
	}
}

func freePort(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// TestServeLifecycle runs the real command: first start prints the
// generated account, a second command reaches the server, SIGTERM shuts
// down cleanly.
func TestServeLifecycle(t *testing.T) {
	dir := t.TempDir()
	addr := freePort(t)
	cmd := exec.Command(os.Args[0], "serve", "-listen", addr, "-data", dir)
	cmd.Env = append(os.Environ(), "ALMANAC_TEST_MAIN=1")
	stdout, _ := cmd.StdoutPipe()
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	sc := bufio.NewScanner(stdout)
	var login, pw string
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if v, ok := strings.CutPrefix(line, "login:"); ok {
			login = strings.TrimSpace(v)
		}
		if v, ok := strings.CutPrefix(line, "password:"); ok {
			pw = strings.TrimSpace(v)
			break
		}
	}
	if login == "" || len(pw) < 20 {
		t.Fatalf("first start printed login %q password %q", login, pw)
	}
	go func() {
		for sc.Scan() {
		}
	}()
	var resp *http.Response
	for range 100 {
		req, _ := http.NewRequest("PROPFIND", "http://"+addr+"/dav/", nil)
		req.Header.Set("Depth", "0")
		req.SetBasicAuth(login, pw)
		var err error
		if resp, err = http.DefaultClient.Do(req); err == nil {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if resp == nil || resp.StatusCode != http.StatusMultiStatus {
		t.Fatalf("generated credentials do not work: %v", resp)
	}
	resp.Body.Close()

	// The server answers the command through its admin socket.
	if code, out, errs := runCmd(t, "", "user", "list", "-data", dir); code != 0 || !strings.Contains(out, login) {
		t.Errorf("user list while serving: %d %q %q", code, out, errs)
	}

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serve exited with %v: %s", err, stderr.String())
		}
	case <-time.After(15 * time.Second):
		t.Fatal("serve did not stop on SIGTERM")
	}
	if !strings.Contains(stderr.String(), "shutting down") {
		t.Errorf("no shutdown message: %s", stderr.String())
	}
	// The lock is released on shutdown and the account persisted.
	code, out, _ := runCmd(t, "", "user", "list", "-data", dir)
	if code != 0 || !strings.Contains(out, login) {
		t.Errorf("after restart: %d %q", code, out)
	}
}

// TestProvisionAll gives an account made before address books existed
// (one calendar, no address book) its default address book, once.
func TestProvisionAll(t *testing.T) {
	db, err := openStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := t.Context()
	acc := &storage.Account{Login: "old@example.com", PasswordHash: "x"}
	if err := db.CreateAccount(ctx, acc); err != nil {
		t.Fatal(err)
	}
	if err := caldav.Provision(ctx, db, acc); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if err := provisionAll(ctx, db); err != nil {
			t.Fatal(err)
		}
	}
	colls, err := db.ListCollections(ctx, acc.ID)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, c := range colls {
		got = append(got, string(c.Kind)+":"+c.Name)
	}
	if want := string(storage.KindAddressBook) + ":contacts " + string(storage.KindCalendar) + ":default"; strings.Join(got, " ") != want {
		t.Errorf("collections %v, want %s", got, want)
	}
}

func TestMailCommands(t *testing.T) {
	dir := t.TempDir()
	data := dir + "/data"
	if code, _, errs := runCmd(t, "ann-long-password\n", "user", "add", "-data", data, "ann@example.com"); code != 0 {
		t.Fatalf("user add: %d %s", code, errs)
	}
	code, out, _ := runCmd(t, "", "mail", "org", "-data", data, "-owner", "ann@example.com", "Ann's company")
	if code != 0 || !strings.Contains(out, "owned by ann@example.com") {
		t.Fatalf("mail org: %d %s", code, out)
	}
	if code, _, _ := runCmd(t, "", "mail", "org", "-data", data, "-owner", "nobody@example.com", "X"); code == 0 {
		t.Error("mail org with an unknown owner succeeded")
	}
	passwd := dir + "/passwd"
	if code, _, errs := runCmd(t, "", "mail", "export", "-data", data, "-dovecot-passwd", passwd, "-postfix-virtual", dir+"/virtual"); code != 0 {
		t.Fatalf("mail export: %d %s", code, errs)
	}
	if _, err := os.Stat(passwd); err != nil {
		t.Errorf("passwd-file not written: %v", err)
	}
	if code, _, _ := runCmd(t, "", "mail", "export", "-data", data); code == 0 {
		t.Error("mail export without files succeeded")
	}
}
