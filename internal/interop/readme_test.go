package interop

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"almanac/auth"
	"almanac/internal/pgtest"
	"almanac/internal/tooltest"
	"almanac/server/servertest"
	"almanac/storage"
)

// TestREADME follows README.md as a new user would, so that its examples
// cannot drift from what the server and the binary do. The rules, which
// README.md's "Developing" section sums up for its editors:
//
//   - Fenced blocks are chosen by their info string. ```sh blocks run, in
//     README order, in one bash session (variables set in one block are
//     there in the next) with pipefail on. ```sh norun blocks do not run:
//     they serve forever, on fixed ports, or need what a test has not. A
//     ```text first-start block is compared with what `almanac serve`
//     prints on its first start. Any other info string (ini, ...) is
//     configuration, not run; a block without one fails the test, so that
//     nothing goes unchecked by accident.
//   - A command is a line, with the lines a trailing backslash joins to
//     it and, when it opens a here-document, the lines up to its
//     terminator. Comment lines right under a command show its output:
//     each must appear in the real output (stdout and stderr as a
//     terminal shows them), in order, "…" matching anything within a
//     line. A comment after a blank line is prose, and so is a trailing
//     "# ..." on a command line.
//   - A command fails the test when it exits non-zero, when a request it
//     makes gets a status of 400 or more that its shown output does not
//     name (e.g. "# 404"), or when a variable it sets with NAME=$(...) is
//     empty or "null".
//   - Every command gets the accounts' password (servertest.Password),
//     one line, on its standard input. The session has no controlling
//     terminal (setsid), so what prompts for a password reads it there:
//     `curl -u LOGIN` (curl opens /dev/tty and falls back to stdin when
//     that fails), `read -rsp`, `almanac user add/passwd`. A command has
//     at most one prompt: curl takes all its standard input holds.
//   - Substitutions: https://cal.example.com (and cal.example.com alone)
//     becomes the test server's address, in commands and in shown output;
//     postgres://almanac:secret@db.example.com/almanac a fresh PostgreSQL
//     database (internal/pgtest), with its password shown as xxxxx.
//     123456, as a number of its own in a command, stands for "the code
//     the authenticator app shows now" and becomes a fresh TOTP code of
//     the account the command's -u names; a code works once, so each
//     command gets a later one.
//   - The HTTP examples run against the full server on a fresh store
//     (servertest), where every login a `curl -u` names exists with the
//     accounts' password before the first command; admin@almanac.local,
//     the account a first start creates, is a server admin as there. The
//     CLI examples run
//     the binary built from ./cmd/almanac as ./almanac in the session's
//     working directory, a temporary directory that also holds its
//     default data directory (./almanac-data) and the files the examples
//     write.
//   - postgres://almanac@db.example.com/almanac, the target of the
//     migrate example, becomes an empty database of its own
//     (internal/pgtest), made when a command first names it.
//
// It needs bash, curl and jq (Debian packages bash, curl, jq) and skips
// without them unless ALMANAC_INTEROP=1. With -v it logs what every
// command printed, which is where shown output is copied from.
func TestREADME(t *testing.T) {
	bash := tooltest.Require(t, "bash", "bash")
	tooltest.Require(t, "curl", "curl")
	tooltest.Require(t, "jq", "jq")

	text, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	blocks, err := readmeBlocks(string(text))
	if err != nil {
		t.Fatal(err)
	}
	checkSetupLines(t, blocks)

	work := t.TempDir()
	bin := filepath.Join(work, "almanac")
	buildAlmanac(t, bin)

	var steps []readmeStep
	firstStart := 0
	for _, b := range blocks {
		switch {
		case b.Info == "sh":
			s, err := readmeSteps(b)
			if err != nil {
				t.Fatal(err)
			}
			steps = append(steps, s...)
		case b.Info == "text first-start":
			checkFirstStart(t, bin, b)
			firstStart++
		case b.Info == "sh norun":
		case b.Info == "", shellLanguages[strings.Fields(b.Info)[0]]:
			t.Fatalf("README.md:%d: block with info string %q: say what it is (```sh, ```sh norun, ```ini, ...)", b.Line, b.Info)
		}
	}
	if len(steps) == 0 || firstStart != 1 {
		t.Fatalf("README.md has %d commands to run and %d first-start blocks; want some and one", len(steps), firstStart)
	}

	srv := servertest.New(t)
	hits := &statusLog{}
	ts := httptest.NewServer(hits.wrap(srv.Server))
	t.Cleanup(ts.Close)
	base := ts.URL
	for _, login := range readmeLogins(steps) {
		// The first account serve creates is a server admin, and the
		// README's admin examples log in as it.
		srv.Account(login, func(a *storage.Account) { a.Admin = login == readmeFirstLogin })
	}
	// The PostgreSQL examples get a database of their own.
	var db, dbShown string
	if strings.Contains(string(text), readmeDB) {
		db, dbShown = readmeDatabase(t)
	}
	sub := strings.NewReplacer(
		readmeDB, db,
		readmeDBShown, dbShown,
		"https://"+readmeHost, base,
		url.QueryEscape("https://"+readmeHost), url.QueryEscape(base),
		readmeHost, strings.TrimPrefix(base, "http://"))

	var pgURL string
	sh := startShell(t, bash, work)
	otp := &otpSource{t: t, env: srv}
	for _, st := range steps {
		cmd := sub.Replace(st.Cmd)
		if n := len(curlLogin.FindAllString(cmd, -1)) + len(readPrompt.FindAllString(cmd, -1)); n > 1 {
			t.Fatalf("README.md:%d: %d password prompts in one command; curl takes all its standard input holds, so give each its own line", st.Line, n)
		}
		if otpPlaceholder.MatchString(cmd) {
			cmd = otpPlaceholder.ReplaceAllLiteralString(cmd, otp.next(cmd))
		}
		if strings.Contains(cmd, readmePostgres) {
			// A database of its own, made at the first command that
			// names one (pgtest skips, or fails under ALMANAC_INTEROP=1,
			// without PostgreSQL).
			if pgURL == "" {
				pgURL = pgtest.URL(t)
			}
			cmd = strings.ReplaceAll(cmd, readmePostgres, pgURL)
		}
		want := make([]string, len(st.Want))
		for i, w := range st.Want {
			want[i] = sub.Replace(w)
		}
		hits.take()
		res := sh.run(t, cmd, servertest.Password+"\n")
		got := hits.take()
		if testing.Verbose() {
			t.Logf("README.md:%d\n%s\n%s", st.Line, cmd, res.output)
		}
		fail := func(format string, args ...any) {
			t.Helper()
			t.Fatalf("README.md:%d: %s\n%s\nexit status %d; requests: %s\noutput:\n%s",
				st.Line, fmt.Sprintf(format, args...), st.Cmd, res.code, got, res.output)
		}
		if res.code != 0 {
			fail("the command failed")
		}
		for _, h := range got {
			if h.status >= 400 && !namesStatus(want, h.status) {
				fail("%s %s answered %d, which the README does not show", h.method, h.path, h.status)
			}
		}
		if i := matchShown(res.output, want); i >= 0 {
			fail("the output lacks the shown line %d: %q", st.Line+strings.Count(st.Cmd, "\n")+1+i, st.Want[i])
		}
		for _, name := range assigned(st.Cmd) {
			v := sh.run(t, `printf '%s' "${`+name+`-}"`, "")
			if v.output == "" || v.output == "null" {
				fail("$%s is %q after the command", name, v.output)
			}
		}
	}
}

// readmeFirstLogin is the account serve creates on its first start.
const readmeFirstLogin = "admin@almanac.local"

// readmeHost is the server address the README shows.
const readmeHost = "cal.example.com"

// readmeDB is the PostgreSQL database the README shows, and
// readmeDBShown how messages show it (its password hidden). Both become
// a fresh database's.
const (
	readmeDB      = "postgres://almanac:secret@db.example.com/almanac"
	readmeDBShown = "postgres://almanac:xxxxx@db.example.com/almanac"
)

// readmeDatabase is a fresh database with the password "secret" in its
// URL (the throw-away cluster trusts local connections and ignores it),
// and that URL as messages show it.
func readmeDatabase(t *testing.T) (string, string) {
	u, err := url.Parse(pgtest.URL(t))
	if err != nil {
		t.Fatal(err)
	}
	u.User = url.UserPassword(u.User.Username(), "secret")
	db := u.String()
	u.User = url.UserPassword(u.User.Username(), "xxxxx")
	return db, u.String()
}

// readmeOTP stands for the code an authenticator app shows, as a number
// of its own: 1234567890 is not one.
const readmeOTP = "123456"

var otpPlaceholder = regexp.MustCompile(`\b` + readmeOTP + `\b`)

// shellLanguages are info strings of shell blocks: "sh" runs, and any
// other is refused, lest a block go unchecked because it says ```bash.
var shellLanguages = map[string]bool{"sh": true, "bash": true, "shell": true, "console": true, "zsh": true, "shell-session": true}

// stepTimeout bounds one command: a README command that serves or waits
// for input must fail the test, not hang it.
const stepTimeout = 60 * time.Second

// checkSetupLines keeps the README's first block as it is: the two
// set-up commands, running the server on its embedded default and the
// tests, which are not run here (one serves on a fixed port, the other
// would run this test again).
func checkSetupLines(t *testing.T, blocks []readmeBlock) {
	t.Helper()
	want := []string{"go run ./cmd/almanac serve ", "go test ./... "}
	if len(blocks) == 0 || blocks[0].Info != "sh norun" || len(blocks[0].Lines) != len(want) {
		t.Fatalf("README.md: the first block must be the two set-up commands %q, marked ```sh norun", want)
	}
	for i, w := range want {
		if !strings.HasPrefix(blocks[0].Lines[i], w) {
			t.Errorf("README.md:%d: %q; want the set-up command %q", blocks[0].Line+1+i, blocks[0].Lines[i], w)
		}
	}
}

// buildAlmanac builds ./cmd/almanac to bin.
func buildAlmanac(t *testing.T, bin string) {
	t.Helper()
	// go test puts its own go first on the PATH of the tests it runs.
	out, err := exec.Command("go", "build", "-o", bin, "almanac/cmd/almanac").CombinedOutput()
	if err != nil {
		t.Fatalf("go build ./cmd/almanac: %v\n%s", err, out)
	}
}

// checkFirstStart compares b with what `almanac serve` prints when it
// starts on an empty data directory: it listens on a free port, is
// stopped once it says so, and must exit cleanly.
func checkFirstStart(t *testing.T, bin string, b readmeBlock) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), stepTimeout)
	defer cancel()
	data := filepath.Join(t.TempDir(), "data")
	cmd := exec.CommandContext(ctx, bin, "serve", "-listen", "127.0.0.1:0", "-data", data)
	cmd.Env = cleanEnv(t.TempDir())
	var stdout strings.Builder
	cmd.Stdout = &stdout
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var log strings.Builder
	sc := bufio.NewScanner(stderr)
	for sc.Scan() {
		log.WriteString(sc.Text() + "\n")
		if strings.Contains(sc.Text(), "almanac listening") {
			break
		}
	}
	cmd.Process.Signal(syscall.SIGTERM)
	io.Copy(&log, stderr)
	if err := cmd.Wait(); err != nil {
		t.Fatalf("README.md:%d: almanac serve on an empty data directory: %v\nstdout:\n%s\nstderr:\n%s", b.Line, err, stdout.String(), log.String())
	}
	if i := matchShown(stdout.String(), b.Lines); i >= 0 {
		t.Fatalf("README.md:%d: almanac serve's first start does not print %q; it printed:\n%s", b.Line+1+i, b.Lines[i], stdout.String())
	}
}

// readmeLogins returns the logins `curl -u LOGIN` names, in order of
// first use.
func readmeLogins(steps []readmeStep) []string {
	var logins []string
	seen := map[string]bool{}
	for _, st := range steps {
		for _, m := range curlLogin.FindAllStringSubmatch(st.Cmd, -1) {
			if !seen[m[1]] {
				seen[m[1]] = true
				logins = append(logins, m[1])
			}
		}
	}
	return logins
}

// curlLogin is a -u option without a password.
var curlLogin = regexp.MustCompile(`\s-u\s+([^\s:'"]+@[^\s:'"]+)(?:\s|$)`)

// readPrompt is the shell's read builtin.
var readPrompt = regexp.MustCompile(`(?:^|[\s;&|(])read\s`)

// assignedVar is NAME=$(...), a value taken from one answer for the next.
var assignedVar = regexp.MustCompile(`(?:^|[\s;&|(])([A-Za-z_][A-Za-z0-9_]*)=\$\(`)

func assigned(cmd string) []string {
	var names []string
	for _, m := range assignedVar.FindAllStringSubmatch(cmd, -1) {
		names = append(names, m[1])
	}
	return names
}

// namesStatus reports whether the shown output names status.
func namesStatus(want []string, status int) bool {
	re := regexp.MustCompile(`\b` + strconv.Itoa(status) + `\b`)
	for _, w := range want {
		if re.MatchString(w) {
			return true
		}
	}
	return false
}

// otpSource makes the TOTP codes the README's commands type.
type otpSource struct {
	t   *testing.T
	env *servertest.Env
}

// next is a code for the account cmd's -u names that the server has not
// seen. The server accepts the steps now-1 to now+1, each once, so
// successive codes take successive steps from now-1 and three fit in one
// 30-second step; a fourth waits for the clock. The step now-1 is taken
// only with otpMargin left before the clock moves on, when it would be
// refused: the command runs within that.
func (o *otpSource) next(cmd string) string {
	o.t.Helper()
	m := curlLogin.FindStringSubmatch(cmd)
	if m == nil {
		o.t.Fatalf("a command types a code (%s) but names no account with -u:\n%s", readmeOTP, cmd)
	}
	acc, err := o.env.Store.AccountByLogin(context.Background(), m[1])
	if err != nil || acc.TOTPSecret == "" {
		o.t.Fatalf("a command types a code for %s, which has no authenticator (%v):\n%s", m[1], err, cmd)
	}
	for {
		now := time.Now()
		cur := now.Unix() / 30
		step := max(acc.TOTPLastStep+1, cur-1)
		next := time.Unix((cur+1)*30, 0)
		switch {
		case step == cur-1 && next.Sub(now) < otpMargin:
			time.Sleep(next.Sub(now))
		case step > cur+1:
			time.Sleep(time.Unix((step-1)*30, 0).Sub(now))
		default:
			return auth.TOTPCode(acc.TOTPSecret, time.Unix(step*30, 0))
		}
	}
}

// otpMargin is how long a code for the previous step must stay valid.
const otpMargin = 10 * time.Second

// statusLog records the status of every request the server answers.
type statusLog struct {
	mu   sync.Mutex
	hits []hit
}

type hit struct {
	method, path string
	status       int
}

func (h hit) String() string { return fmt.Sprintf("%s %s %d", h.method, h.path, h.status) }

// take returns the requests recorded since the last call.
func (l *statusLog) take() []hit {
	l.mu.Lock()
	defer l.mu.Unlock()
	h := l.hits
	l.hits = nil
	return h
}

func (l *statusLog) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sw := &statusWriter{ResponseWriter: w, log: l, hit: hit{method: r.Method, path: r.URL.Path}}
		next.ServeHTTP(sw, r)
		sw.record(http.StatusOK)
	})
}

// statusWriter records the status when it is written, before the client
// can have the answer: curl exits only after that.
type statusWriter struct {
	http.ResponseWriter
	log  *statusLog
	hit  hit
	done bool
}

func (w *statusWriter) record(status int) {
	if w.done {
		return
	}
	w.done = true
	w.hit.status = status
	w.log.mu.Lock()
	w.log.hits = append(w.log.hits, w.hit)
	w.log.mu.Unlock()
}

func (w *statusWriter) WriteHeader(status int) {
	if status >= 200 {
		w.record(status)
	}
	w.ResponseWriter.WriteHeader(status)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	w.record(http.StatusOK)
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Flush() {
	w.record(http.StatusOK)
	http.NewResponseController(w.ResponseWriter).Flush()
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// shell is one bash session that runs commands one at a time: each is
// sourced (so that variables persist) with its own standard input,
// output and error files, and its exit status comes back on a pipe.
type shell struct {
	cmd    *exec.Cmd
	dir    string
	ctl    *os.File
	status chan string
}

// shellResult is a command's exit status and its output, stdout and
// stderr in the order they were written, as a terminal shows them.
type shellResult struct {
	code   int
	output string
}

func startShell(t *testing.T, bash, work string) *shell {
	t.Helper()
	dir := t.TempDir()
	f := func(name string) string { return shellQuote(filepath.Join(dir, name)) }
	loop := "set -o pipefail\n" +
		"while IFS= read -r _ <&3; do\n" +
		"  . " + f("cmd") + " <" + f("in") + " >" + f("out") + " 2>&1 3<&- 4>&-\n" +
		"  printf '%d\\n' \"$?\" >&4\n" +
		"done\n"
	ctlR, ctlW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	stR, stW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bash, "--noprofile", "--norc", "-c", loop)
	cmd.Dir = work
	cmd.Env = cleanEnv(work)
	cmd.ExtraFiles = []*os.File{ctlR, stW} // fds 3 and 4
	// No controlling terminal: password prompts read stdin.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	ctlR.Close()
	stW.Close()
	s := &shell{cmd: cmd, dir: dir, ctl: ctlW, status: make(chan string)}
	go func() {
		sc := bufio.NewScanner(stR)
		for sc.Scan() {
			s.status <- sc.Text()
		}
		close(s.status)
	}()
	t.Cleanup(func() {
		ctlW.Close()
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case <-done:
		case <-time.After(stepTimeout):
			syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-done
		}
		stR.Close()
	})
	return s
}

// run runs one command with stdin as its standard input.
func (s *shell) run(t *testing.T, command, stdin string) shellResult {
	t.Helper()
	for name, data := range map[string]string{"cmd": command + "\n", "in": stdin, "out": ""} {
		if err := os.WriteFile(filepath.Join(s.dir, name), []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.ctl.WriteString("run\n"); err != nil {
		t.Fatalf("shell: %v", err)
	}
	var res shellResult
	select {
	case st, ok := <-s.status:
		if !ok {
			t.Fatalf("the shell exited running:\n%s", command)
		}
		res.code, _ = strconv.Atoi(st)
	case <-time.After(stepTimeout):
		syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
		t.Fatalf("no end after %v:\n%s", stepTimeout, command)
	}
	out, err := os.ReadFile(filepath.Join(s.dir, "out"))
	if err != nil {
		t.Fatal(err)
	}
	res.output = string(out)
	return res
}

// cleanEnv is an environment without the ALMANAC_* settings, proxies or
// curlrc of the machine running the tests, home being home.
func cleanEnv(home string) []string {
	return []string{"PATH=" + os.Getenv("PATH"), "HOME=" + home, "TMPDIR=" + home,
		"LANG=C.UTF-8", "LC_ALL=C.UTF-8", "TERM=dumb"}
}

// shellQuote quotes s for bash.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// readmePostgres is the empty PostgreSQL database the README's migrate
// example shows; each run gets a new one.
const readmePostgres = "postgres://almanac@db.example.com/almanac"
