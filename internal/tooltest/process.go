package tooltest

import (
	"bytes"
	"fmt"
	"net"
	"os/exec"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Process is a server program (Dovecot, Postfix, …) a test runs in the
// background.
type Process struct {
	name   string
	cmd    *exec.Cmd
	logs   logBuffer
	exited chan struct{}
	err    error // how it ended, once exited is closed
}

// Start runs cmd for the rest of the test: its output is kept (and
// logged if the test fails), it runs in its own process group, so that
// signals meant for the test binary do not reach it and a stuck server
// can be killed with its children, and it is stopped when the test
// ends — SIGTERM, which lets a master stop its children and remove its
// sockets, then SIGKILL to the group after 10 s. name is what messages
// call it.
func Start(t testing.TB, name string, cmd *exec.Cmd) *Process {
	t.Helper()
	p := &Process{name: name, cmd: cmd, exited: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = &p.logs, &p.logs
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	go func() {
		p.err = cmd.Wait()
		close(p.exited)
	}()
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-p.exited:
		case <-time.After(10 * time.Second):
			syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-p.exited
		}
		if t.Failed() {
			t.Logf("%s log:\n%s", name, p.Logs())
		}
	})
	return p
}

// Logs is what the program wrote so far.
func (p *Process) Logs() string { return p.logs.String() }

// WaitReady waits until ready answers nil, asking every 50 ms; the test
// fails if the program exits first or timeout passes.
func (p *Process) WaitReady(t testing.TB, what string, timeout time.Duration, ready func() error) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		err := ready()
		if err == nil {
			return
		}
		select {
		case <-p.exited:
			t.Fatalf("%s exited before %s: %v\n%s", p.name, what, p.err, p.Logs())
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: no %s after %v: %v\n%s", p.name, what, timeout, err, p.Logs())
		}
	}
}

// WaitListening waits until every address accepts connections on
// network ("tcp" or "unix").
func (p *Process) WaitListening(t testing.TB, network string, addrs ...string) {
	t.Helper()
	for _, addr := range addrs {
		p.WaitReady(t, fmt.Sprintf("listener on %s", addr), 15*time.Second, func() error {
			c, err := net.Dial(network, addr)
			if err == nil {
				c.Close()
			}
			return err
		})
	}
}

// logBuffer is a bytes.Buffer that the program's output goroutine and
// the test may use at once.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
