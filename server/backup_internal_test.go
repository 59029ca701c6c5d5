package server

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"almanac/internal/backup"
	"almanac/storage/bolt"
	"almanac/storage/storagetest"
)

// syncBuffer is a log destination safe for concurrent writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// backupWorld is a populated store, a link key and a backup directory.
type backupWorld struct {
	db   *bolt.DB
	dir  string
	keys []backup.KeyFile
	logs *syncBuffer
	log  *slog.Logger
}

func newBackupWorld(t *testing.T) *backupWorld {
	t.Helper()
	data := t.TempDir()
	db, err := bolt.Open(filepath.Join(data, "almanac.db"), bolt.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	storagetest.Populate(t, db)
	key := filepath.Join(data, "link.key")
	if err := os.WriteFile(key, bytes.Repeat([]byte{1}, 32), 0o600); err != nil {
		t.Fatal(err)
	}
	logs := &syncBuffer{}
	return &backupWorld{db: db, dir: t.TempDir(), keys: []backup.KeyFile{{Kind: backup.KindLinkKey, Path: key}}, logs: logs,
		log: slog.New(slog.NewTextHandler(logs, nil))}
}

func (w *backupWorld) backupper(keep int, done func(BackupResult)) *backupper {
	return newBackupper(BackupConfig{Dir: w.dir, Every: time.Hour, Keep: keep, Keys: w.keys, Done: done}, w.db, w.log)
}

func names(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		out = append(out, e.Name())
	}
	return out
}

// TestScheduledBackupsKeepN makes more backups than -backup-keep: the
// newest N stay, each a valid archive, and files that are not scheduled
// backups (a manual backup, notes, a near-miss name) are never touched.
func TestScheduledBackupsKeepN(t *testing.T) {
	w := newBackupWorld(t)
	others := []string{"almanac-manual.tar.gz", "notes.txt", "almanac-20261201T030000Z.tar.gz.bak", "almanac-2026-12-01.tar.gz"}
	for _, n := range others {
		os.WriteFile(filepath.Join(w.dir, n), []byte("not mine"), 0o600)
	}
	var results []BackupResult
	b := w.backupper(3, func(r BackupResult) { results = append(results, r) })
	t0 := time.Date(2026, 12, 1, 3, 0, 0, 0, time.UTC)
	var want []string
	for i := range 6 {
		at := t0.Add(time.Duration(i) * time.Hour)
		res := b.once(t.Context(), at)
		if res.Err != nil || res.Manifest == nil || res.Size <= 0 {
			t.Fatalf("backup %d: %+v", i, res)
		}
		want = append(want, archiveName(at))
		var removed []string
		if len(want) > 3 {
			removed = []string{filepath.Join(w.dir, want[0])}
			want = want[1:]
		}
		if !slices.Equal(res.Removed, removed) {
			t.Errorf("backup %d removed %v, want %v", i, res.Removed, removed)
		}
		got := names(t, w.dir)
		wantAll := slices.Sorted(slices.Values(append(slices.Clone(want), others...)))
		if !slices.Equal(got, wantAll) {
			t.Fatalf("after backup %d the directory holds %v, want %v", i, got, wantAll)
		}
	}
	if len(results) != 6 {
		t.Errorf("Done called %d times, want 6", len(results))
	}
	for _, n := range want {
		f, err := os.Open(filepath.Join(w.dir, n))
		if err != nil {
			t.Fatal(err)
		}
		m, err := backup.Verify(f)
		f.Close()
		if err != nil || len(m.Files) != 2 {
			t.Errorf("%s: %v %+v", n, err, m)
		}
	}
	for _, n := range others {
		if b, _ := os.ReadFile(filepath.Join(w.dir, n)); string(b) != "not mine" {
			t.Errorf("%s was touched", n)
		}
	}
	if got := strings.Count(w.logs.String(), `msg="backup written"`); got != 6 {
		t.Errorf("%d backups logged, want 6:\n%s", got, w.logs)
	}
}

// TestScheduledBackupTiming drives run with a fake clock: the first
// backup is due Every after the newest archive (at once without one),
// the next Every after the start of the last, and leftovers of a crash
// are removed first.
func TestScheduledBackupTiming(t *testing.T) {
	w := newBackupWorld(t)
	now := time.Date(2026, 12, 1, 3, 0, 0, 0, time.UTC)
	var mu sync.Mutex
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	advance := func(d time.Duration) { mu.Lock(); defer mu.Unlock(); now = now.Add(d) }

	// An archive 20 minutes old and a crash's temporary file.
	old := archiveName(now.Add(-20 * time.Minute))
	os.WriteFile(filepath.Join(w.dir, old), []byte("old"), 0o600)
	temp := "." + archiveName(now.Add(-time.Hour)) + ".tmp-12345"
	os.WriteFile(filepath.Join(w.dir, temp), []byte("partial"), 0o600)

	done := make(chan BackupResult)
	waits := make(chan time.Duration)
	fire := make(chan time.Time)
	b := w.backupper(10, func(r BackupResult) { done <- r })
	b.now = clock
	b.after = func(d time.Duration) <-chan time.Time { waits <- d; return fire }
	ctx, cancel := context.WithCancel(t.Context())
	stopped := make(chan struct{})
	go func() { b.run(ctx); close(stopped) }()

	if d := <-waits; d != 40*time.Minute {
		t.Errorf("first backup due in %v, want 40m (an hour after the newest archive)", d)
	}
	if slices.Contains(names(t, w.dir), temp) {
		t.Error("a crash's temporary file was left")
	}
	advance(40 * time.Minute)
	fire <- clock()
	first := <-done
	if first.Err != nil || filepath.Base(first.Path) != archiveName(clock()) {
		t.Fatalf("first backup: %+v", first)
	}
	// The backup took no time on the fake clock: the next is an hour on.
	if d := <-waits; d != time.Hour {
		t.Errorf("next backup due in %v, want 1h", d)
	}
	cancel()
	<-stopped
}

// TestScheduledBackupFailureIsLogged: a backup that cannot be written is
// an error in the log and reaches Done with its error.
func TestScheduledBackupFailureIsLogged(t *testing.T) {
	w := newBackupWorld(t)
	var got BackupResult
	b := w.backupper(3, func(r BackupResult) { got = r })
	if err := os.Remove(w.dir); err != nil {
		t.Fatal(err)
	}
	res := b.once(t.Context(), time.Now())
	if res.Err == nil || got.Err == nil || got.Manifest != nil {
		t.Fatalf("result %+v, Done got %+v", res, got)
	}
	if !strings.Contains(w.logs.String(), `level=ERROR msg="backup failed"`) {
		t.Errorf("failure not logged as an error:\n%s", w.logs)
	}
}
