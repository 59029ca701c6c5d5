package pgtest

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"almanac/internal/tooltest"
)

// Cluster is a throw-away cluster of one test's own, which the test may
// stop (or crash) and start again: fault tests take the database away
// under load.
// The cluster URL and SchemaURL use is shared by the test binary, and
// a server named by ALMANAC_TEST_POSTGRES_URL is not ours to stop, so
// a Cluster is always one pgtest initialised itself; it needs Debian's
// postgresql binaries even where that variable is set.
type Cluster struct {
	mu sync.Mutex
	c  *cluster
	up bool
}

// NewCluster initialises and starts a cluster for t, stopped and
// removed when t ends. It skips t (fails under ALMANAC_INTEROP=1)
// without the postgresql binaries.
func NewCluster(t testing.TB) *Cluster {
	t.Helper()
	if _, ok := binDir(); !ok {
		tooltest.Missing(t, "postgres", "postgresql")
	}
	c, err := initCluster()
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	c.durable = true
	if err := c.run(); err != nil {
		os.RemoveAll(c.dir)
		t.Fatalf("pgtest: %v", err)
	}
	cl := &Cluster{c: c, up: true}
	t.Cleanup(func() {
		cl.mu.Lock()
		defer cl.mu.Unlock()
		if cl.up {
			cl.halt()
		}
		if t.Failed() {
			if log, err := os.ReadFile(filepath.Join(c.dir, "postgres.log")); err == nil {
				t.Logf("postgres log:\n%s", log)
			}
		}
		os.RemoveAll(c.dir)
	})
	return cl
}

// URL returns the URL of a new, empty database of the cluster. It is
// not dropped: the cluster goes away whole.
func (cl *Cluster) URL(t testing.TB) string {
	t.Helper()
	name := "t_" + randomHex(8)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := admin(ctx, cl.c.base(), "CREATE DATABASE "+name); err != nil {
		t.Fatalf("pgtest: create database: %v", err)
	}
	return withDatabase(cl.c.base(), name)
}

// Stop shuts the cluster down as an operator does, with pg_ctl stop -m
// fast: open transactions are rolled back, sessions are ended, and
// committed ones are on disk when it returns. Connections fail from
// then on (the socket is gone) until Start.
func (cl *Cluster) Stop(t testing.TB) {
	t.Helper()
	cl.stop(t, "fast")
}

// Crash ends the cluster as a crash does, with pg_ctl stop -m
// immediate: every process quits at once, nothing is flushed or
// checkpointed, and Start recovers from the WAL. A Cluster acknowledges
// a commit only once its WAL is written (synchronous_commit on, unlike
// the shared cluster), so a crash loses no acknowledged commit.
func (cl *Cluster) Crash(t testing.TB) {
	t.Helper()
	cl.stop(t, "immediate")
}

func (cl *Cluster) stop(t testing.TB, mode string) {
	t.Helper()
	cl.mu.Lock()
	defer cl.mu.Unlock()
	if !cl.up {
		t.Fatal("pgtest: stop of a stopped cluster")
	}
	c := cl.c
	ctl := exec.Command(filepath.Join(c.bin, "pg_ctl"), "stop", "-D", c.data(), "-m", mode, "-w", "-t", "60")
	// pg_ctl refuses to run as root, like postgres.
	ctl.SysProcAttr = &syscall.SysProcAttr{Credential: c.cred}
	ctl.Dir = c.dir
	if out, err := ctl.CombinedOutput(); err != nil {
		cl.halt()
		cl.up = false
		t.Fatalf("pgtest: pg_ctl stop -m %s: %v\n%s", mode, err, out)
	}
	select {
	case <-c.done:
	case <-time.After(30 * time.Second):
		cl.halt()
		cl.up = false
		t.Fatal("pgtest: postgres still running after pg_ctl stop")
	}
	cl.up = false
}

// Start starts the stopped cluster again on the same socket, so the
// URLs handed out before work again, and returns once it accepts
// connections.
func (cl *Cluster) Start(t testing.TB) {
	t.Helper()
	cl.mu.Lock()
	defer cl.mu.Unlock()
	if cl.up {
		t.Fatal("pgtest: Start of a running cluster")
	}
	if err := cl.c.run(); err != nil {
		t.Fatalf("pgtest: start again: %v", err)
	}
	cl.up = true
}

// halt ends postgres without pg_ctl: fast shutdown (SIGINT), then
// SIGKILL to its process group if it hangs.
func (cl *Cluster) halt() {
	c := cl.c
	_ = c.cmd.Process.Signal(syscall.SIGINT)
	select {
	case <-c.done:
	case <-time.After(30 * time.Second):
		_ = syscall.Kill(-c.cmd.Process.Pid, syscall.SIGKILL)
		<-c.done
	}
}
