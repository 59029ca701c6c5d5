package twoservers

import (
	"strings"
	"testing"
	"time"

	"almanac/mailimport"
	"almanac/server"
)

// Both servers may run mail imports; one runs the import runner, and
// when it stops the other takes over.
func TestImportsOnOneServer(t *testing.T) {
	p := newPair(t, func(_ int, c *server.Config) {
		c.Imports = mailimport.Config{Destination: mailimport.Endpoint{Host: "127.0.0.1", Port: 1, Security: "none"},
			MasterUser: "almanac", MasterSecret: "master-secret"}
	})
	const running = "running mail-imports for every server on the store"
	stop := [2]func(){p.run(0), p.run(1)}
	// waitRunning waits, within a generous bound, for a server to say it
	// runs the imports, and returns which one.
	waitRunning := func(candidates ...int) int {
		t.Helper()
		deadline := time.Now().Add(20 * time.Second)
		for {
			for _, i := range candidates {
				if strings.Contains(p.logs[i].String(), running) {
					return i
				}
			}
			if time.Now().After(deadline) {
				t.Fatalf("no server among %v runs the imports", candidates)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	first := waitRunning(0, 1)
	other := 1 - first
	if strings.Contains(p.logs[other].String(), running) {
		t.Fatal("both servers run the imports")
	}
	stop[first]()
	waitRunning(other)
	if !strings.Contains(p.logs[first].String(), "stopped running mail-imports") {
		t.Errorf("server %d took over before server %d stopped", other, first)
	}
}
