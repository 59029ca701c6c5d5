package web

import (
	"testing"
	"time"
)

// TestPendingFiles: a preview's file is taken once, by its session, for
// its path, before it expires; the held bytes stay under the cap, the
// oldest file dropped first; a new preview replaces the session's last.
func TestPendingFiles(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	pf := &pendingFiles{maxBytes: 10, files: map[string]*pendingFile{}}
	a := pf.put("s1", "/p", []byte("aaaa"), now)
	if _, ok := pf.take("s2", a, "/p", now); ok {
		t.Fatal("another session took the file")
	}
	if _, ok := pf.take("s1", a, "/other", now); ok {
		t.Fatal("taken for another collection")
	}
	if _, ok := pf.take("s1", "wrong", "/p", now); ok {
		t.Fatal("taken with a wrong token")
	}
	if _, ok := pf.take("s1", a, "/p", now.Add(pendingTTL+time.Second)); ok {
		t.Fatal("taken after it expired")
	}
	if data, ok := pf.take("s1", a, "/p", now); !ok || string(data) != "aaaa" {
		t.Fatalf("take: %q %v", data, ok)
	}
	if _, ok := pf.take("s1", a, "/p", now); ok {
		t.Fatal("taken twice")
	}
	if pf.bytes != 0 {
		t.Fatalf("%d bytes held after take", pf.bytes)
	}
	a = pf.put("s1", "/p", []byte("aaaa"), now)
	b := pf.put("s2", "/p", []byte("bbbb"), now.Add(time.Second))
	c := pf.put("s3", "/p", []byte("cccc"), now.Add(2*time.Second))
	if pf.bytes > pf.maxBytes {
		t.Fatalf("%d bytes held, cap %d", pf.bytes, pf.maxBytes)
	}
	if _, ok := pf.take("s1", a, "/p", now); ok {
		t.Fatal("the oldest file was kept past the cap")
	}
	for s, tok := range map[string]string{"s2": b, "s3": c} {
		if _, ok := pf.take(s, tok, "/p", now); !ok {
			t.Fatalf("%s lost its file", s)
		}
	}
	old := pf.put("s1", "/p", []byte("x"), now)
	pf.put("s1", "/p", []byte("y"), now)
	if _, ok := pf.take("s1", old, "/p", now); ok || pf.bytes != 1 {
		t.Fatalf("a second preview kept the first: %d bytes", pf.bytes)
	}
}
