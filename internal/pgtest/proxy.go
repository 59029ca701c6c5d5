package pgtest

import (
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"
)

// Proxy stands between a test's store and the database so that the test
// can take the database away and bring it back: Down closes every
// connection through it and refuses new ones, as a stopped or
// unreachable server does; Up lets connections through again. It stands
// for stopping the cluster, which other tests of the binary share.
type Proxy struct {
	t      testing.TB
	target func() (net.Conn, error)
	sock   string

	mu    sync.Mutex
	ln    net.Listener
	conns map[net.Conn]struct{}
	wg    sync.WaitGroup
}

// NewProxy starts a proxy to the database of dbURL (a URL from URL or
// SchemaURL) on a Unix socket in a temporary directory, and returns it
// with the URL that connects through it. It is up; it stops when t
// ends.
func NewProxy(t testing.TB, dbURL string) (*Proxy, string) {
	t.Helper()
	cfg, err := pgconn.ParseConfig(dbURL)
	if err != nil {
		t.Fatalf("pgtest: proxy: %v", err)
	}
	network, addr := "tcp", net.JoinHostPort(cfg.Host, strconv.Itoa(int(cfg.Port)))
	if filepath.IsAbs(cfg.Host) {
		network, addr = "unix", filepath.Join(cfg.Host, fmt.Sprintf(".s.PGSQL.%d", cfg.Port))
	}
	// A short directory: the socket path must fit in sun_path.
	dir, err := os.MkdirTemp("", "pgproxy-")
	if err != nil {
		t.Fatalf("pgtest: proxy: %v", err)
	}
	p := &Proxy{t: t, sock: filepath.Join(dir, ".s.PGSQL.5432"), conns: map[net.Conn]struct{}{},
		target: func() (net.Conn, error) { return net.Dial(network, addr) }}
	t.Cleanup(func() {
		p.Down()
		p.wg.Wait()
		os.RemoveAll(dir)
	})
	p.Up()
	u, err := url.Parse(dbURL)
	if err != nil {
		t.Fatalf("pgtest: proxy: %v", err)
	}
	q := u.Query()
	q.Set("host", dir)
	q.Set("port", "5432")
	u.RawQuery = q.Encode()
	// The socket directory replaces any host:port of the URL.
	u.Host = ""
	return p, u.String()
}

// Up accepts connections again (a no-op while up).
func (p *Proxy) Up() {
	p.t.Helper()
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln != nil {
		return
	}
	ln, err := net.Listen("unix", p.sock)
	if err != nil {
		p.t.Fatalf("pgtest: proxy: %v", err)
	}
	p.ln = ln
	p.wg.Add(1)
	go p.accept(ln)
}

// Down closes every connection through the proxy and the socket, so
// that connecting fails at once (a no-op while down).
func (p *Proxy) Down() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln == nil {
		return
	}
	p.ln.Close()
	p.ln = nil
	for c := range p.conns {
		c.Close()
	}
}

func (p *Proxy) accept(ln net.Listener) {
	defer p.wg.Done()
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		up, err := p.target()
		if err != nil {
			c.Close()
			continue
		}
		p.mu.Lock()
		if p.ln != ln {
			// Down ran meanwhile.
			p.mu.Unlock()
			c.Close()
			up.Close()
			continue
		}
		p.conns[c], p.conns[up] = struct{}{}, struct{}{}
		p.mu.Unlock()
		p.wg.Add(2)
		go p.pipe(c, up)
		go p.pipe(up, c)
	}
}

// pipe copies one direction; when either side ends, both close.
func (p *Proxy) pipe(dst, src net.Conn) {
	defer p.wg.Done()
	io.Copy(dst, src)
	dst.Close()
	src.Close()
	p.mu.Lock()
	delete(p.conns, dst)
	delete(p.conns, src)
	p.mu.Unlock()
}
