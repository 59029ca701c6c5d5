package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/mail"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"almanac/server"
	"almanac/storage"
	"almanac/storage/bolt"
)

// usageError is a mistake in the command line or the environment: run
// prints it with the synopsis of cmd and exits 2.
type usageError struct {
	cmd string // "serve", "user add", "user"; "" for almanac itself
	msg string // "" prints the synopsis alone
}

func (e *usageError) Error() string { return e.msg }

// errHelp reports that -h printed a command's help to stdout: exit 0.
var errHelp = errors.New("help requested")

// cmdline is the command line and environment of one command. Each
// setting is a flag with an optional ALMANAC_* fallback, and one parse
// function checks it whichever of flag, environment or default it came
// from, so no source can slip a value past the checks.
type cmdline struct {
	name     string
	fs       *flag.FlagSet
	stdout   io.Writer
	settings []*setting
	// getenv reads the fallbacks: os.Getenv, and nothing for a command
	// the server runs on a client's behalf, whose arguments were resolved
	// in the client's environment (canonical).
	getenv func(string) string
}

// setting is one flag's text as given, and how to turn it into a value.
// As a flag.Value it only records the text: the checks run in parse,
// after the environment is consulted, so that an error names both the
// flag and its variable in one format.
type setting struct {
	flag, env, def string
	raw            string
	given          bool
	apply          func(string) error
	isBool         bool
	// canon is the value parse settled on, as text that parses to it
	// again: the parsed string for string settings (an absolute path),
	// the text otherwise.
	canon string
	// redact, when set, is how messages show the text (a URL without
	// its password).
	redact func(string) string
}

// shown is text as a message may show it.
func (s *setting) shown(text string) string {
	if s.redact != nil {
		return s.redact(text)
	}
	return text
}

func (s *setting) Set(v string) error { s.raw, s.given = v, true; return nil }

// IsBoolFlag lets a boolean setting be given as -name alone.
func (s *setting) IsBoolFlag() bool { return s.isBool }

func (s *setting) String() string {
	if s == nil {
		return ""
	}
	return s.def
}

func newCmdline(name string, stdout io.Writer) *cmdline {
	fs := flag.NewFlagSet("almanac "+name, flag.ContinueOnError)
	// parse reports errors itself, and -h goes to stdout.
	fs.SetOutput(io.Discard)
	return &cmdline{name: name, fs: fs, stdout: stdout, getenv: os.Getenv}
}

// value defines flag name with fallback env ("" for none) and default
// def; parse checks the text and converts it. The usage may name the
// argument in backquotes, as flag.PrintDefaults shows it.
func value[T any](c *cmdline, name, env, def, usage string, parse func(string) (T, error)) *T {
	p := new(T)
	s := &setting{flag: name, env: env, def: def}
	s.apply = func(text string) error {
		v, err := parse(text)
		if err != nil {
			return err
		}
		*p = v
		s.canon = text
		if str, ok := any(v).(string); ok {
			s.canon = str
		}
		return nil
	}
	if env != "" {
		usage += " (env " + env + ")"
	}
	c.fs.Var(s, name, usage)
	c.settings = append(c.settings, s)
	return p
}

// str is a string setting; check (nil: anything goes) may normalise it.
func (c *cmdline) str(name, env, def, usage string, check func(string) (string, error)) *string {
	if check == nil {
		check = func(s string) (string, error) { return s, nil }
	}
	return value(c, name, env, def, usage, check)
}

// integer is an int setting in [lo, hi].
func (c *cmdline) integer(name, env string, def, lo, hi int, usage string) *int {
	return value(c, name, env, strconv.Itoa(def), usage, func(s string) (int, error) { return parseInt(s, lo, hi) })
}

// duration is a duration setting in [lo, hi].
func (c *cmdline) duration(name, env string, def, lo, hi time.Duration, usage string) *time.Duration {
	return value(c, name, env, formatDuration(def), usage, func(s string) (time.Duration, error) { return parseDuration(s, lo, hi) })
}

// boolean is a true/false setting, given as -name or -name=false. A
// false default is the empty text, which the help then leaves unsaid,
// as it does for the flag package's own booleans.
func (c *cmdline) boolean(name, env string, def bool, usage string) *bool {
	defText := ""
	if def {
		defText = "true"
	}
	p := value(c, name, env, defText, usage, func(s string) (bool, error) {
		if s == "" {
			return false, nil
		}
		b, err := strconv.ParseBool(strings.TrimSpace(s))
		if err != nil {
			return false, errors.New("not true or false")
		}
		return b, nil
	})
	c.settings[len(c.settings)-1].isBool = true
	return p
}

// canonical is the command line as parsed, for running it elsewhere:
// every setting but skip as -name=value with the value it settled on,
// so that neither another environment nor another working directory
// changes it, then the positional arguments after "--".
func (c *cmdline) canonical(skip ...string) []string {
	var out []string
	for _, s := range c.settings {
		if !slices.Contains(skip, s.flag) {
			out = append(out, "-"+s.flag+"="+s.canon)
		}
	}
	out = append(out, "--")
	return append(out, c.fs.Args()...)
}

// dataDir is the -data setting every command has.
func (c *cmdline) dataDir() *string {
	return c.str("data", "ALMANAC_DATA", "./almanac-data", "data directory `DIR`; the database is DIR/almanac.db", checkDir)
}

// parse reads args, then gives every setting its value: the flag if
// given, else its environment variable if set and not empty, else the
// default. It wants between minArgs and maxArgs positional arguments.
func (c *cmdline) parse(args []string, minArgs, maxArgs int) error {
	if err := c.fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			c.help()
			return errHelp
		}
		return &usageError{cmd: c.name, msg: err.Error()}
	}
	switch n := c.fs.NArg(); {
	case n < minArgs:
		return &usageError{cmd: c.name, msg: "missing argument"}
	case n > maxArgs:
		return &usageError{cmd: c.name, msg: fmt.Sprintf("unexpected argument %q", c.fs.Arg(maxArgs))}
	}
	for _, s := range c.settings {
		// The message names the source first, then the other name.
		var text, source string
		switch v := c.getenv(s.env); {
		case s.given:
			text, source = s.raw, fmt.Sprintf("-%s=%q", s.flag, s.shown(s.raw))
		case s.env != "" && v != "":
			text, source = v, fmt.Sprintf("%s=%q (flag -%s)", s.env, s.shown(v), s.flag)
		default:
			text, source = s.def, fmt.Sprintf("-%s default %q", s.flag, s.def)
		}
		if s.env != "" && !strings.HasPrefix(source, s.env) {
			source += " (env " + s.env + ")"
		}
		if err := s.apply(text); err != nil {
			return &usageError{cmd: c.name, msg: source + ": " + err.Error()}
		}
	}
	return nil
}

// given reports whether the flag name got a value from the command line
// or its environment variable, rather than its default.
func (c *cmdline) given(name string) bool {
	for _, s := range c.settings {
		if s.flag == name {
			return s.given || s.env != "" && os.Getenv(s.env) != ""
		}
	}
	return false
}

// help prints the command's synopsis, what it does and its flags.
func (c *cmdline) help() {
	fmt.Fprint(c.stdout, synopsis(c.name))
	if cmd := findCommand(c.name); cmd != nil && cmd.about != "" {
		fmt.Fprintf(c.stdout, "\n%s\n", cmd.about)
	}
	if dbCommands[c.name] != nil {
		fmt.Fprintf(c.stdout, "\n%s\n", dbNote)
	}
	fmt.Fprintln(c.stdout, "\nflags:")
	c.fs.SetOutput(c.stdout)
	c.fs.PrintDefaults()
	c.fs.SetOutput(io.Discard)
}

// The parsers below check operator input before serve opens anything;
// their errors follow the source in the message, so they say only what
// is wrong with the value.

func parseInt(s string, lo, hi int) (int, error) {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil {
		if errors.Is(err, strconv.ErrRange) {
			return 0, fmt.Errorf("out of range (%d to %d)", lo, hi)
		}
		return 0, errors.New("not a number")
	}
	if n < lo || n > hi {
		return 0, fmt.Errorf("out of range (%d to %d)", lo, hi)
	}
	return n, nil
}

func parseDuration(s string, lo, hi time.Duration) (time.Duration, error) {
	d, err := time.ParseDuration(strings.TrimSpace(s))
	if err != nil {
		return 0, errors.New("not a duration (e.g. 30m, 1h, 2h30m)")
	}
	if d < lo || d > hi {
		return 0, fmt.Errorf("out of range (%s to %s)", formatDuration(lo), formatDuration(hi))
	}
	return d, nil
}

// formatDuration drops time.Duration's zero units: 1h, not 1h0m0s.
func formatDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// parsePublicURL accepts the base URL public links are built on: an
// absolute http or https URL with a host and an optional path prefix (a
// proxy's mount point), without credentials, query or fragment, which
// would end up inside every link. It returns it without trailing
// slashes, as links append "/ics/TOKEN". "" means unset.
func parsePublicURL(s string) (string, error) {
	if s == "" {
		return "", nil
	}
	u, err := url.Parse(s)
	if err != nil {
		return "", errors.New("not a URL")
	}
	switch {
	case u.Scheme != "http" && u.Scheme != "https":
		return "", errors.New("must start with https:// or http://")
	case u.Opaque != "" || u.Host == "" || u.Hostname() == "":
		return "", errors.New("must name a host, e.g. https://cal.example.com")
	case u.User != nil:
		return "", errors.New("must not contain a user name or password")
	case u.RawQuery != "" || u.ForceQuery || u.Fragment != "" || strings.ContainsAny(s, "?#"):
		return "", errors.New("must not contain a query (?) or fragment (#)")
	}
	return u.Scheme + "://" + u.Host + strings.TrimRight(u.EscapedPath(), "/"), nil
}

// parseListen accepts host:port with a numeric port (0: any free port);
// the host, a name or an address, is left to net.Listen, which runs
// before anything is written.
func parseListen(s string) (string, error) {
	_, port, err := net.SplitHostPort(s)
	if err != nil {
		return "", errors.New("not a host:port address (e.g. 127.0.0.1:8080, :8080, [::1]:8080)")
	}
	if _, err := parseInt(port, 0, 65535); err != nil || strings.TrimSpace(port) != port {
		return "", errors.New("the port must be a number from 0 to 65535")
	}
	return s, nil
}

// parseOptionalListen is parseListen for an address that may be unset.
func parseOptionalListen(s string) (string, error) {
	if s == "" {
		return "", nil
	}
	return parseListen(s)
}

func parseLogFormat(s string) (string, error) {
	switch v := strings.ToLower(strings.TrimSpace(s)); v {
	case "text", "json":
		return v, nil
	}
	return "", errors.New("not one of text, json")
}

// maxTokenFile bounds what readTokenFile reads: a token is a line.
const maxTokenFile = 4096

// readTokenFile reads a bearer token from the file p ("": none), one line
// with its line break and surrounding spaces dropped, and checks it. The
// message never shows the file's content.
func readTokenFile(p string) (string, error) {
	if p == "" {
		return "", nil
	}
	f, err := os.Open(p)
	if err != nil {
		return "", fmt.Errorf("cannot read: %v", pathless(err))
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxTokenFile+1))
	if err != nil {
		return "", fmt.Errorf("cannot read: %v", pathless(err))
	}
	if len(b) > maxTokenFile {
		return "", fmt.Errorf("longer than %d bytes: not a token file", maxTokenFile)
	}
	token := strings.TrimSpace(string(b))
	if token == "" {
		return "", errors.New("the file is empty")
	}
	if err := server.CheckMetricsToken(token); err != nil {
		return "", fmt.Errorf("the token in it %v", err)
	}
	return token, nil
}

// pathless drops the path from a file error: the message names it
// already.
func pathless(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

func parseLogLevel(s string) (slog.Level, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(s)); err != nil {
		return 0, errors.New("not one of debug, info, warn, error")
	}
	return l, nil
}

// parseSMTPSecurity accepts notify's three modes, in any case.
func parseSMTPSecurity(s string) (string, error) {
	switch v := strings.ToLower(strings.TrimSpace(s)); v {
	case "starttls", "tls", "none":
		return v, nil
	}
	return "", errors.New("not one of starttls, tls, none")
}

// parseSMTPHost rejects what cannot be a host name before a first mail
// would fail in the background. An IPv6 literal has colons, host:port
// has one (or brackets).
func parseSMTPHost(s string) (string, error) {
	if strings.ContainsAny(s, " \t\r\n/@") {
		return "", errors.New("not a host name")
	}
	if _, _, err := net.SplitHostPort(s); err == nil {
		return "", errors.New("a host name without the port (give the port with -smtp-port)")
	}
	return s, nil
}

// parseIMAPHost is parseSMTPHost for -import-imap-host, whose port has
// a flag of its own.
func parseIMAPHost(s string) (string, error) {
	if strings.ContainsAny(s, " \t\r\n/@") {
		return "", errors.New("not a host name")
	}
	if _, _, err := net.SplitHostPort(s); err == nil {
		return "", errors.New("a host name without the port (give the port with -import-imap-port)")
	}
	return s, nil
}

// parseMasterUser accepts a Dovecot master user name: it follows "*" in
// a login, so it cannot hold what would end or split one.
func parseMasterUser(s string) (string, error) {
	if s == "" || len(s) > 64 || strings.ContainsAny(s, " \t\r\n*@\"\\") {
		return "", errors.New("not a user name (no spaces, *, @, quotes or backslashes)")
	}
	return s, nil
}

func parseAddress(s string) (string, error) {
	if s == "" {
		return "", nil
	}
	if strings.ContainsAny(s, "\r\n") {
		return "", errors.New("contains a line break")
	}
	if _, err := mail.ParseAddress(s); err != nil {
		return "", errors.New("not a mail address (e.g. Almanac <almanac@example.com>)")
	}
	return s, nil
}

// checkDir accepts a directory that exists or can be created.
func checkDir(p string) (string, error) {
	if p == "" {
		return "", errors.New("empty")
	}
	fi, err := os.Stat(p)
	if err == nil && !fi.IsDir() {
		return "", errors.New("not a directory")
	}
	return p, nil
}

// checkFile accepts a file that exists or that the server creates,
// itself with its directory: only a directory in its place is wrong.
func checkFile(p string) (string, error) {
	if fi, err := os.Stat(p); p != "" && err == nil && fi.IsDir() {
		return "", errors.New("is a directory")
	}
	return p, nil
}

// checkOutputFile accepts a file the server replaces atomically, by a
// temporary file in the same directory: that directory must exist and
// take new files, or every write would fail later, in the background.
// A probe file is created there and removed at once: permissions alone
// do not tell (a read-only mount, systemd's ProtectSystem, ACLs).
func checkOutputFile(p string) (string, error) {
	if p == "" {
		return "", nil
	}
	if _, err := checkFile(p); err != nil {
		return "", err
	}
	dir := filepath.Dir(p)
	fi, err := os.Stat(dir)
	if err != nil || !fi.IsDir() {
		return "", fmt.Errorf("directory %s does not exist", dir)
	}
	if err := probeDir(dir); err != nil {
		return "", err
	}
	return p, nil
}

// probeDir creates a file in dir and removes it at once.
func probeDir(dir string) error {
	f, err := os.CreateTemp(dir, ".almanac-probe-*")
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return fmt.Errorf("cannot create files in directory %s: %v", dir, err)
	}
	f.Close()
	os.Remove(f.Name())
	return nil
}

// checkSieveDir accepts a directory that exists and takes new files
// (probeDir, as for checkOutputFile): the server writes the scripts into
// subdirectories it makes, one per domain, and never makes the top one,
// whose owner and permissions Dovecot must be able to read (README).
func checkSieveDir(p string) (string, error) {
	if p == "" {
		return "", nil
	}
	fi, err := os.Stat(p)
	switch {
	case err != nil:
		return "", errors.New("no such directory")
	case !fi.IsDir():
		return "", errors.New("not a directory")
	}
	if err := probeDir(p); err != nil {
		return "", err
	}
	return p, nil
}

// absolute makes check's result an absolute path, so that a command run
// by the server on a client's behalf writes where the client meant.
func absolute(check func(string) (string, error)) func(string) (string, error) {
	return func(p string) (string, error) {
		p, err := check(p)
		if err != nil || p == "" {
			return p, err
		}
		abs, err := filepath.Abs(p)
		if err != nil {
			return "", fmt.Errorf("cannot make it absolute: %w", err)
		}
		return abs, nil
	}
}

// checkBackupDir accepts a directory that exists and takes files: the
// scheduled backups would otherwise fail in the background, hours after
// the start. The probe file is removed at once.
func checkBackupDir(p string) (string, error) {
	if p == "" {
		return "", nil
	}
	fi, err := os.Stat(p)
	switch {
	case err != nil:
		return "", errors.New("no such directory")
	case !fi.IsDir():
		return "", errors.New("not a directory")
	}
	f, err := os.CreateTemp(p, ".almanac-probe-*")
	if err != nil {
		return "", errors.New("not writable")
	}
	f.Close()
	os.Remove(f.Name())
	return p, nil
}

// parseReloadCmd accepts a shell command for /bin/sh -c.
func parseReloadCmd(s string) (string, error) {
	if strings.ContainsRune(s, 0) {
		return "", errors.New("contains a NUL byte")
	}
	return strings.TrimSpace(s), nil
}

// lockWait is how long a command waits for the database lock before
// telling the user another process holds it (the issue asks for a clear
// answer within 2 s, never a hang).
const lockWait = 1500 * time.Millisecond

// openStore opens the database in dataDir, creating it when missing:
// for serve and user add, which make a fresh install usable.
func openStore(dataDir string) (*bolt.DB, error) {
	return openDB(dataDir, bolt.Options{Timeout: lockWait})
}

// openExisting opens the database in dataDir only if it exists, so a
// command run in the wrong directory fails instead of leaving an empty
// database there; readOnly for commands that only read.
func openExisting(dataDir string, readOnly bool) (*bolt.DB, error) {
	if _, err := os.Stat(filepath.Join(dataDir, "almanac.db")); errors.Is(err, fs.ErrNotExist) {
		return nil, noDatabase(dataDir)
	}
	db, err := openDB(dataDir, bolt.Options{Timeout: lockWait, ReadOnly: readOnly})
	if errors.Is(err, fs.ErrNotExist) {
		return nil, noDatabase(dataDir)
	}
	return db, err
}

func noDatabase(dataDir string) error {
	return fmt.Errorf("no database in %s: start the server once or run `almanac user add -data %s LOGIN` to create one", dataDir, dataDir)
}

func openDB(dataDir string, opts bolt.Options) (*bolt.DB, error) {
	path := filepath.Join(dataDir, "almanac.db")
	db, err := bolt.Open(path, opts)
	if errors.Is(err, storage.ErrLocked) {
		return nil, &lockedError{path: path}
	}
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	return db, nil
}

// lockedError is the database at path held by another process.
type lockedError struct{ path string }

func (e *lockedError) Error() string {
	return fmt.Sprintf("database %s is in use by another almanac process (is the server running? stop it first)", e.path)
}

func (e *lockedError) Unwrap() error { return storage.ErrLocked }
