package tooltest

import (
	"io"
	"net"
	"sync"
	"sync/atomic"
	"testing"
)

// Proxy forwards the TCP connections it accepts on 127.0.0.1 to a
// server, and can hold or cut what the server sends after a number of
// bytes: how a test makes a client meet a server that stalls or a
// connection that breaks in the middle of an answer.
type Proxy struct {
	ln                   net.Listener
	network, target      string
	stallAfter, cutAfter atomic.Int64
	stalled              atomic.Bool
	release              chan struct{}
	releaseOnce          sync.Once
	mu                   sync.Mutex
	open                 []net.Conn
}

// NewProxy listens for the rest of the test and forwards each connection
// to target on network ("tcp" or "unix").
func NewProxy(t testing.TB, network, target string) *Proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &Proxy{ln: ln, network: network, target: target, release: make(chan struct{})}
	t.Cleanup(func() {
		ln.Close()
		p.Release()
		p.mu.Lock()
		for _, c := range p.open {
			c.Close()
		}
		p.mu.Unlock()
	})
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go p.serve(c)
		}
	}()
	return p
}

// Addr is the proxy's address, host:port.
func (p *Proxy) Addr() string { return p.ln.Addr().String() }

// Port is the proxy's port.
func (p *Proxy) Port() int { return p.ln.Addr().(*net.TCPAddr).Port }

// StallAfter makes the first connection whose server has sent n bytes
// hold what it sends after them until Release.
func (p *Proxy) StallAfter(n int64) { p.stallAfter.Store(n) }

// Stalled reports whether a connection is held (StallAfter).
func (p *Proxy) Stalled() bool { return p.stalled.Load() }

// Release lets a held connection go on, and any later one pass.
func (p *Proxy) Release() { p.releaseOnce.Do(func() { close(p.release) }) }

// CutAfter makes the first connection whose server has sent n bytes
// close right after them.
func (p *Proxy) CutAfter(n int64) { p.cutAfter.Store(n) }

func (p *Proxy) serve(c net.Conn) {
	up, err := net.Dial(p.network, p.target)
	if err != nil {
		c.Close()
		return
	}
	p.mu.Lock()
	p.open = append(p.open, c, up)
	p.mu.Unlock()
	go func() { io.Copy(up, c); up.Close() }()
	defer c.Close()
	defer up.Close()
	buf := make([]byte, 32<<10)
	var sent int64
	for {
		n, err := up.Read(buf)
		chunk := buf[:n]
		if stall := p.stallAfter.Load(); stall > 0 && sent+int64(n) >= stall && p.stallAfter.CompareAndSwap(stall, 0) {
			if _, werr := c.Write(chunk[:stall-sent]); werr != nil {
				return
			}
			sent, chunk = stall, chunk[stall-sent:]
			p.stalled.Store(true)
			<-p.release
			p.stalled.Store(false)
		}
		if cut := p.cutAfter.Load(); cut > 0 && sent+int64(len(chunk)) >= cut && p.cutAfter.CompareAndSwap(cut, 0) {
			c.Write(chunk[:cut-sent])
			return
		}
		if _, werr := c.Write(chunk); werr != nil {
			return
		}
		sent += int64(len(chunk))
		if err != nil {
			return
		}
	}
}
