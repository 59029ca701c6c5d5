// Package pgtest gives tests a PostgreSQL database of their own.
//
// The server comes from ALMANAC_TEST_POSTGRES_URL when it is set (CI
// may point it at a packaged or external cluster; the URL's role must
// be allowed to create databases). Without it, the first test that asks
// starts a throw-away cluster for the whole test binary: initdb into a
// temporary directory, then postgres listening only on a Unix socket in
// that directory (no TCP port, so parallel test binaries never collide).
// PostgreSQL refuses to run as root, and tests run as root here and in
// CI, so as root both run as the unprivileged "postgres" account (or
// "nobody") that owns the directory. Without Debian's postgresql
// binaries the tests skip with a message, or fail under
// ALMANAC_INTEROP=1 (package tooltest's rule).
//
// Each call of URL creates a fresh database, dropped (WITH (FORCE)) when
// the test ends, so tests may run in parallel on one cluster. CREATE
// DATABASE copies a template of several megabytes, a few hundred
// milliseconds on a loaded machine; a suite that opens hundreds of
// stores (storagetest) uses SchemaURL instead: a fresh schema in one
// database shared by the test binary, selected by the connection's
// search_path, which isolates everything a store creates by unqualified
// name. What is per database (advisory locks, LISTEN/NOTIFY channels)
// is shared between schemas, so tests of those use URL. A package
// that uses the cluster calls Main from its TestMain, which stops the
// cluster and removes its directory after the tests; the postgres
// process also gets SIGTERM if the test binary dies first.
//
// A test that takes the database away (fault tests) gets a Cluster of
// its own instead, initialised the same way, which it stops with
// pg_ctl stop -m fast and starts again: stopping the shared cluster
// would fail the other tests of the binary, and a server from
// ALMANAC_TEST_POSTGRES_URL is not the tests' to stop.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"almanac/internal/tooltest"
)

// EnvURL names the variable that points tests at an existing server.
const EnvURL = "ALMANAC_TEST_POSTGRES_URL"

var (
	mu      sync.Mutex
	started *cluster
	// startErr is kept so that every test of a binary reports why the
	// cluster is missing instead of trying initdb again.
	startErr  error
	missing   bool
	adminBase string
)

type cluster struct {
	bin  string // where initdb, postgres and pg_ctl are
	dir  string // the cluster's data directory (data) and socket
	cred *syscall.Credential
	// durable acknowledges a commit only once its WAL is written, so
	// that a crash of postgres (not of the machine) loses none: fault
	// tests count on it, the shared cluster does without.
	durable bool
	// cmd is the running postgres, done closed when it has exited.
	cmd  *exec.Cmd
	done chan struct{}
}

// Main runs the tests of a package and then stops the cluster started
// for them, if any. Call it from TestMain: os.Exit(pgtest.Main(m)).
func Main(m *testing.M) int {
	code := m.Run()
	for _, drop := range sharedDrops {
		drop()
	}
	Stop()
	return code
}

// Stop shuts the cluster down (fast shutdown) and removes its directory.
// Safe to call when none was started.
func Stop() {
	mu.Lock()
	defer mu.Unlock()
	if started == nil {
		return
	}
	c := started
	started = nil
	_ = c.cmd.Process.Signal(syscall.SIGINT)
	select {
	case <-c.done:
	case <-time.After(30 * time.Second):
		_ = c.cmd.Process.Kill()
		<-c.done
	}
	_ = os.RemoveAll(c.dir)
}

// URL returns the URL of a new, empty database for t, dropped when t
// ends. It skips t (fails under ALMANAC_INTEROP=1) when no PostgreSQL
// is available.
func URL(t testing.TB) string {
	t.Helper()
	base, err := server()
	if err != nil {
		if missing {
			tooltest.Missing(t, "postgres", "postgresql")
		}
		t.Fatalf("pgtest: %v", err)
	}
	name := "t_" + randomHex(8)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := admin(ctx, base, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("pgtest: create database: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := admin(ctx, base, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Errorf("pgtest: drop database: %v", err)
		}
	})
	return withDatabase(base, name)
}

var (
	sharedMu sync.Mutex
	shared   string // URL of the database SchemaURL's schemas live in
)

// SchemaURL returns the URL of a new, empty schema for t, in a database
// shared by the test binary and selected through search_path; the
// schema is dropped when t ends. It skips t like URL.
func SchemaURL(t testing.TB) string {
	t.Helper()
	sharedMu.Lock()
	if shared == "" {
		base, err := server()
		if err != nil {
			sharedMu.Unlock()
			if missing {
				tooltest.Missing(t, "postgres", "postgresql")
			}
			t.Fatalf("pgtest: %v", err)
		}
		name := "shared_" + randomHex(8)
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		err = admin(ctx, base, "CREATE DATABASE "+name)
		cancel()
		if err != nil {
			sharedMu.Unlock()
			t.Fatalf("pgtest: create database: %v", err)
		}
		shared = withDatabase(base, name)
		sharedDrops = append(sharedDrops, func() {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			_ = admin(ctx, base, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
		})
	}
	db := shared
	sharedMu.Unlock()
	schema := "s_" + randomHex(8)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := admin(ctx, db, "CREATE SCHEMA "+schema); err != nil {
		t.Fatalf("pgtest: create schema: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := admin(ctx, db, "DROP SCHEMA IF EXISTS "+schema+" CASCADE"); err != nil {
			t.Errorf("pgtest: drop schema: %v", err)
		}
	})
	u, err := url.Parse(db)
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	q := u.Query()
	// pgx sends unknown parameters as run-time settings.
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// sharedDrops drop the shared databases when an external server is
// used (a throw-away cluster goes away whole).
var sharedDrops []func()

func admin(ctx context.Context, base, sql string) error {
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	_, err = conn.Exec(ctx, sql)
	return err
}

// withDatabase replaces the database of a postgres:// URL.
func withDatabase(base, name string) string {
	u, err := url.Parse(base)
	if err != nil {
		return base
	}
	u.Path = "/" + name
	return u.String()
}

// server returns the URL of the maintenance database of the server to
// use, starting the throw-away cluster on first use.
func server() (string, error) {
	if u := os.Getenv(EnvURL); u != "" {
		return u, nil
	}
	mu.Lock()
	defer mu.Unlock()
	if adminBase != "" {
		return adminBase, nil
	}
	if startErr != nil {
		return "", startErr
	}
	base, err := start()
	if err != nil {
		startErr = err
		return "", err
	}
	adminBase = base
	return base, nil
}

// binDir finds initdb and postgres: Debian keeps them out of PATH under
// /usr/lib/postgresql/<major>/bin; the newest major wins.
func binDir() (string, bool) {
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool {
		a, _ := strconv.Atoi(filepath.Base(filepath.Dir(dirs[i])))
		b, _ := strconv.Atoi(filepath.Base(filepath.Dir(dirs[j])))
		return a > b
	})
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "initdb")); err == nil {
			return d, true
		}
	}
	if p, err := exec.LookPath("initdb"); err == nil {
		return filepath.Dir(p), true
	}
	return "", false
}

func start() (string, error) {
	c, err := initCluster()
	if err != nil {
		return "", err
	}
	if err := c.run(); err != nil {
		os.RemoveAll(c.dir)
		return "", err
	}
	started = c
	return c.base(), nil
}

// initCluster runs initdb in a new temporary directory.
func initCluster() (*cluster, error) {
	bin, ok := binDir()
	if !ok {
		missing = true
		return nil, errors.New("initdb not found")
	}
	// A short directory: the socket path must fit in sun_path (108 bytes).
	dir, err := os.MkdirTemp("", "almanac-pg-")
	if err != nil {
		return nil, err
	}
	cred, err := credential()
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	if cred != nil {
		if err := os.Chown(dir, int(cred.Uid), int(cred.Gid)); err != nil {
			os.RemoveAll(dir)
			return nil, err
		}
	}
	c := &cluster{bin: bin, dir: dir, cred: cred}
	initdb := exec.Command(filepath.Join(bin, "initdb"), "-D", c.data(), "-U", "almanac",
		"--auth=trust", "-E", "UTF8", "--locale=C", "--no-sync")
	initdb.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	initdb.Dir = dir
	if out, err := initdb.CombinedOutput(); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("initdb: %w: %s", err, out)
	}
	return c, nil
}

func (c *cluster) data() string { return filepath.Join(c.dir, "data") }

// base is the URL of the cluster's maintenance database.
func (c *cluster) base() string {
	return (&url.URL{Scheme: "postgres", User: url.User("almanac"), Path: "/postgres",
		RawQuery: url.Values{"host": {c.dir}, "sslmode": {"disable"}}.Encode()}).String()
}

// run starts postgres on the initialised cluster and waits until it
// accepts connections. The log is appended to, so that a cluster started
// again keeps the story of its first run.
func (c *cluster) run() error {
	// Durability is not under test here; the server's settings are
	// what production uses (the store never relies on these). fsync
	// stays off even for a durable cluster: a crashed postgres leaves
	// what it wrote in the kernel's cache.
	syncCommit := "off"
	if c.durable {
		syncCommit = "on"
	}
	cmd := exec.Command(filepath.Join(c.bin, "postgres"), "-D", c.data(),
		"-c", "listen_addresses=", "-c", "unix_socket_directories="+c.dir,
		"-c", "fsync=off", "-c", "synchronous_commit="+syncCommit, "-c", "full_page_writes=off",
		"-c", "max_connections=200", "-c", "shared_buffers=32MB")
	cmd.Dir = c.dir
	logf, err := os.OpenFile(filepath.Join(c.dir, "postgres.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err == nil {
		cmd.Stdout, cmd.Stderr = logf, logf
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: c.cred, Pdeathsig: syscall.SIGTERM, Setpgid: true}
	if err := cmd.Start(); err != nil {
		if logf != nil {
			logf.Close()
		}
		return fmt.Errorf("postgres: %w", err)
	}
	done := make(chan struct{})
	c.cmd, c.done = cmd, done
	go func() {
		_ = cmd.Wait()
		if logf != nil {
			logf.Close()
		}
		close(done)
	}()
	deadline := time.Now().Add(60 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		err := admin(ctx, c.base(), "SELECT 1")
		cancel()
		if err == nil {
			return nil
		}
		select {
		case <-done:
			log, _ := os.ReadFile(filepath.Join(c.dir, "postgres.log"))
			return fmt.Errorf("postgres exited: %s", log)
		default:
		}
		if time.Now().After(deadline) {
			_ = cmd.Process.Kill()
			<-done
			return fmt.Errorf("postgres did not accept connections: %w", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// credential returns whom to run initdb and postgres as: nil (the
// current user) unless that is root, which PostgreSQL refuses.
func credential() (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	for _, name := range []string{"postgres", "nobody"} {
		u, err := user.Lookup(name)
		if err != nil {
			continue
		}
		uid, err1 := strconv.ParseUint(u.Uid, 10, 32)
		gid, err2 := strconv.ParseUint(u.Gid, 10, 32)
		if err1 != nil || err2 != nil {
			continue
		}
		return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
	}
	return nil, errors.New("running as root and no unprivileged user (postgres, nobody) to run postgres as")
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
