package backup_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"almanac/internal/backup"
	"almanac/storage"
	"almanac/storage/bolt"
	"almanac/storage/storagetest"
)

// world is a populated store and a link key in a temporary directory.
type world struct {
	db      *bolt.DB
	pop     *storagetest.Population
	linkKey string
	key     []byte
}

func newWorld(t *testing.T) *world {
	t.Helper()
	dir := t.TempDir()
	db, err := bolt.Open(filepath.Join(dir, "almanac.db"), bolt.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	w := &world{db: db, pop: storagetest.Populate(t, db), linkKey: filepath.Join(dir, "link.key"), key: bytes.Repeat([]byte{7}, 32)}
	if err := os.WriteFile(w.linkKey, w.key, 0o600); err != nil {
		t.Fatal(err)
	}
	return w
}

func (w *world) options(gz bool) backup.Options {
	return backup.Options{Keys: []backup.KeyFile{{Kind: backup.KindLinkKey, Path: w.linkKey}}, Gzip: gz, Almanac: "test",
		Now: func() time.Time { return time.Date(2026, 12, 1, 3, 0, 0, 0, time.UTC) }}
}

// archive writes an archive of w to a file and returns its path.
func (w *world) archive(t *testing.T, gz bool) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "backup.tar")
	if _, err := backup.WriteFile(t.Context(), path, w.db, w.options(gz)); err != nil {
		t.Fatal(err)
	}
	return path
}

// openDB is the restore check the command uses: the file opens as a
// database.
func openDB(path string) error {
	db, err := bolt.Open(path, bolt.Options{ReadOnly: true})
	if err != nil {
		return err
	}
	return db.Close()
}

// listing returns what is under dir, for "wrote nothing" checks.
func listing(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil {
			out = append(out, p)
		}
		return nil
	})
	return out
}

func TestWriteAndRestore(t *testing.T) {
	w := newWorld(t)
	for _, gz := range []bool{false, true} {
		t.Run(map[bool]string{false: "tar", true: "tar.gz"}[gz], func(t *testing.T) {
			path := w.archive(t, gz)
			raw, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if isGzip := bytes.HasPrefix(raw, []byte{0x1f, 0x8b}); isGzip != gz {
				t.Fatalf("gzip %v, asked for %v", isGzip, gz)
			}
			m, err := backup.Verify(bytes.NewReader(raw))
			if err != nil {
				t.Fatal(err)
			}
			want := backup.Store{Backend: "bolt", Schema: "6", Accounts: w.pop.Accounts, Collections: w.pop.Collections, Objects: w.pop.Objects}
			if m.Format != backup.Format || m.Version != backup.Version || m.Almanac != "test" || m.Store != want ||
				!m.Created.Equal(time.Date(2026, 12, 1, 3, 0, 0, 0, time.UTC)) {
				t.Errorf("manifest %+v", m)
			}
			if names := []string{m.Files[0].Name, m.Files[1].Name}; len(m.Files) != 2 || !slices.Equal(names, []string{"almanac.db", "link.key"}) {
				t.Fatalf("files %+v", m.Files)
			}

			data := filepath.Join(t.TempDir(), "data")
			got, err := backup.Restore(t.Context(), path, backup.RestoreOptions{DataDir: data, CheckDatabase: openDB})
			if err != nil {
				t.Fatal(err)
			}
			if got.Database() != m.Database() {
				t.Errorf("restore read %+v, verify %+v", got.Database(), m.Database())
			}
			for _, f := range m.Files {
				b, err := os.ReadFile(filepath.Join(data, f.Name))
				if err != nil {
					t.Fatal(err)
				}
				sum := sha256.Sum256(b)
				if int64(len(b)) != f.Size || hex.EncodeToString(sum[:]) != f.SHA256 {
					t.Errorf("%s restored as %d bytes that do not match the manifest", f.Name, len(b))
				}
				if fi, _ := os.Stat(filepath.Join(data, f.Name)); fi.Mode().Perm() != 0o600 {
					t.Errorf("%s restored with mode %v", f.Name, fi.Mode())
				}
			}
			if entries, _ := os.ReadDir(data); len(entries) != 2 {
				t.Errorf("restored directory holds %v", entries)
			}
			if fi, _ := os.Stat(data); fi.Mode().Perm() != 0o700 {
				t.Errorf("data directory made with mode %v", fi.Mode())
			}
			db, err := bolt.Open(filepath.Join(data, "almanac.db"), bolt.Options{ReadOnly: true})
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			if _, err := db.Link(t.Context(), w.pop.Link); err != nil {
				t.Errorf("restored store: %v", err)
			}
		})
	}
}

// TestRestoreElsewhere puts the link key where -link-key names it, and
// into an existing empty directory.
func TestRestoreElsewhere(t *testing.T) {
	w := newWorld(t)
	path := w.archive(t, true)
	data, keys := t.TempDir(), t.TempDir()
	key := filepath.Join(keys, "almanac-link.key")
	if _, err := backup.Restore(t.Context(), path, backup.RestoreOptions{DataDir: data, Paths: map[string]string{backup.KindLinkKey: key}}); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(key); err != nil || !bytes.Equal(b, w.key) {
		t.Errorf("link key: %q %v", b, err)
	}
	if entries, _ := os.ReadDir(data); len(entries) != 1 || entries[0].Name() != "almanac.db" {
		t.Errorf("data directory holds %v", entries)
	}
}

// TestRestoreRefusesTargets: a data directory that holds anything, a key
// file that exists or whose directory does not; nothing is written.
func TestRestoreRefusesTargets(t *testing.T) {
	w := newWorld(t)
	path := w.archive(t, false)
	dir := t.TempDir()
	full := filepath.Join(dir, "full")
	os.Mkdir(full, 0o700)
	os.WriteFile(filepath.Join(full, "notes.txt"), []byte("mine"), 0o600)
	existing := filepath.Join(dir, "existing.key")
	os.WriteFile(existing, []byte("old key"), 0o600)
	file := filepath.Join(dir, "file")
	os.WriteFile(file, nil, 0o600)
	before := listing(t, dir)
	for _, tc := range []struct {
		name string
		opts backup.RestoreOptions
		want string
	}{
		{"non-empty data directory", backup.RestoreOptions{DataDir: full}, "is not empty (it holds notes.txt)"},
		{"data directory is a file", backup.RestoreOptions{DataDir: file}, "is not a directory"},
		{"existing link key", backup.RestoreOptions{DataDir: filepath.Join(dir, "new"), Paths: map[string]string{backup.KindLinkKey: existing}}, "existing.key exists"},
		{"link key in a missing directory", backup.RestoreOptions{DataDir: filepath.Join(dir, "new"), Paths: map[string]string{backup.KindLinkKey: filepath.Join(dir, "nowhere", "k")}}, "does not exist"},
		{"a database that does not open", backup.RestoreOptions{DataDir: filepath.Join(dir, "new"), CheckDatabase: func(string) error { return errors.New("no good") }}, "no good"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := backup.Restore(t.Context(), path, tc.opts)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err %v, want %q", err, tc.want)
			}
			if after := listing(t, dir); !slices.Equal(after, before) {
				t.Errorf("restore wrote: before %v, after %v", before, after)
			}
		})
	}
	if b, _ := os.ReadFile(existing); string(b) != "old key" {
		t.Error("an existing key file was replaced")
	}
}

// TestRestoreRefusesDamage corrupts archives as a bad disk or a cut
// transfer would; restore fails with ErrDamaged and writes nothing.
func TestRestoreRefusesDamage(t *testing.T) {
	w := newWorld(t)
	plain, err := os.ReadFile(w.archive(t, false))
	if err != nil {
		t.Fatal(err)
	}
	gz, err := os.ReadFile(w.archive(t, true))
	if err != nil {
		t.Fatal(err)
	}
	flip := func(b []byte, at int) []byte {
		b = bytes.Clone(b)
		b[at] ^= 0x20
		return b
	}
	// The database's content starts after its 512-byte tar header.
	for _, tc := range []struct {
		name string
		data []byte
		want string
	}{
		{"a byte of the database", flip(plain, 512+4096+100), "almanac.db does not match its SHA-256 checksum"},
		{"cut short", plain[:len(plain)/2], "damaged"},
		{"gzip, a byte in the middle", flip(gz, len(gz)/2), "damaged"},
		{"gzip, cut short", gz[:len(gz)-20], "damaged"},
		{"not an archive", []byte("hello, world\n"), "damaged"},
		{"empty", nil, "no manifest"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "bad.tar")
			os.WriteFile(path, tc.data, 0o600)
			data := filepath.Join(dir, "data")
			_, err := backup.Restore(t.Context(), path, backup.RestoreOptions{DataDir: data, CheckDatabase: openDB})
			if !errors.Is(err, backup.ErrDamaged) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err %v, want ErrDamaged with %q", err, tc.want)
			}
			if after := listing(t, dir); len(after) != 2 {
				t.Errorf("restore wrote: %v", after)
			}
		})
	}
}

// entry is one tar entry of a hand-made archive.
type entry struct {
	name string
	body []byte
	typ  byte
}

func makeTar(t testing.TB, entries ...entry) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		typ := e.typ
		if typ == 0 {
			typ = tar.TypeReg
		}
		hdr := &tar.Header{Typeflag: typ, Name: e.name, Size: int64(len(e.body)), Mode: 0o600}
		if typ != tar.TypeReg {
			hdr.Size, hdr.Linkname = 0, "/etc/passwd"
		}
		if err := tw.WriteHeader(hdr); err != nil {
			t.Fatal(err)
		}
		tw.Write(hdr2body(hdr, e.body))
	}
	tw.Close()
	return buf.Bytes()
}

func hdr2body(h *tar.Header, b []byte) []byte {
	if h.Typeflag != tar.TypeReg {
		return nil
	}
	return b
}

func sumOf(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// manifestFor is a valid manifest of the given files, edited by edit.
func manifestFor(t testing.TB, edit func(*backup.Manifest), files ...entry) entry {
	t.Helper()
	m := backup.Manifest{Format: backup.Format, Version: backup.Version, Almanac: "test", Store: backup.Store{Backend: "bolt", Schema: "2"}}
	for _, f := range files {
		kind := backup.KindDatabase
		if f.name == "link.key" {
			kind = backup.KindLinkKey
		}
		m.Files = append(m.Files, backup.File{Name: f.name, Kind: kind, Size: int64(len(f.body)), SHA256: sumOf(f.body)})
	}
	if edit != nil {
		edit(&m)
	}
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return entry{name: backup.ManifestName, body: b}
}

func TestVerify(t *testing.T) {
	db := entry{name: "almanac.db", body: []byte("database bytes")}
	key := entry{name: "link.key", body: bytes.Repeat([]byte{1}, 32)}
	ok := manifestFor(t, nil, db, key)
	for _, tc := range []struct {
		name    string
		archive []byte
		want    string // "" for a valid archive
	}{
		{"valid", makeTar(t, db, key, ok), ""},
		{"database only", makeTar(t, db, manifestFor(t, nil, db)), ""},
		{"no manifest", makeTar(t, db, key), "no manifest"},
		{"manifest not last", makeTar(t, db, ok, key), "after the manifest"},
		{"unlisted file", makeTar(t, db, key, manifestFor(t, nil, db)), "link.key is not in the manifest"},
		{"listed file missing", makeTar(t, db, manifestFor(t, nil, db, key)), "link.key is listed in the manifest but missing"},
		{"wrong size", makeTar(t, db, key, manifestFor(t, func(m *backup.Manifest) { m.Files[0].Size++ }, db, key)), "the manifest says"},
		{"wrong checksum", makeTar(t, entry{name: "almanac.db", body: []byte("database bytez")}, key, ok), "does not match its SHA-256"},
		{"entry twice", makeTar(t, db, db, key, ok), "twice"},
		{"path of its own", makeTar(t, entry{name: "../almanac.db", body: db.body}, ok), `unexpected entry "../almanac.db"`},
		{"absolute path", makeTar(t, entry{name: "/etc/cron.d/x", body: db.body}, ok), "unexpected entry"},
		{"symlink", makeTar(t, entry{name: "almanac.db", typ: tar.TypeSymlink}, ok), "not a regular file"},
		{"directory", makeTar(t, entry{name: "almanac.db", typ: tar.TypeDir}, ok), "not a regular file"},
		{"manifest not JSON", makeTar(t, db, entry{name: backup.ManifestName, body: []byte("{")}), "manifest"},
		{"other format", makeTar(t, db, manifestFor(t, func(m *backup.Manifest) { m.Format = "zip" }, db)), `format "zip"`},
		{"version 0", makeTar(t, db, manifestFor(t, func(m *backup.Manifest) { m.Version = 0 }, db)), "version 0"},
		{"newer version", makeTar(t, db, manifestFor(t, func(m *backup.Manifest) { m.Version = 2 }, db)), "newer than this almanac reads"},
		{"unknown backend", makeTar(t, db, manifestFor(t, func(m *backup.Manifest) { m.Store.Backend = "postgres" }, db)), `a "postgres" database`},
		{"unknown kind", makeTar(t, db, key, manifestFor(t, func(m *backup.Manifest) { m.Files[1].Kind = "tls-key" }, db, key)), `kind "tls-key"`},
		{"no database", makeTar(t, key, manifestFor(t, nil, key)), "0 databases"},
		{"kind under another name", makeTar(t, db, key, manifestFor(t, func(m *backup.Manifest) { m.Files[1].Kind = backup.KindDatabase }, db, key)), `the database is named "link.key"`},
		{"no checksum", makeTar(t, db, manifestFor(t, func(m *backup.Manifest) { m.Files[0].SHA256 = "" }, db)), "no SHA-256 checksum"},
		{"manifest too large", makeTar(t, db, entry{name: backup.ManifestName, body: bytes.Repeat([]byte(" "), 1<<20+1)}), "manifest of"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, err := backup.Verify(bytes.NewReader(tc.archive))
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("valid archive refused: %v", err)
			case tc.want == "":
				if m.Database().Name != "almanac.db" {
					t.Errorf("manifest %+v", m)
				}
			case err == nil || !strings.Contains(err.Error(), tc.want):
				t.Errorf("err %v, want %q", err, tc.want)
			}
		})
	}
}

func TestWriteFileRefusesExisting(t *testing.T) {
	w := newWorld(t)
	path := filepath.Join(t.TempDir(), "backup.tar")
	os.WriteFile(path, []byte("an older backup"), 0o600)
	if _, err := backup.WriteFile(t.Context(), path, w.db, w.options(false)); err == nil || !strings.Contains(err.Error(), "exists") {
		t.Errorf("err %v", err)
	}
	if b, _ := os.ReadFile(path); string(b) != "an older backup" {
		t.Error("an existing file was replaced")
	}
	if entries, _ := os.ReadDir(filepath.Dir(path)); len(entries) != 1 {
		t.Errorf("left behind: %v", entries)
	}
}

// TestWriteFileLeavesNothingOnFailure: a missing key file, a cancelled
// context and a failing store leave no archive and no temporary file.
func TestWriteFileLeavesNothingOnFailure(t *testing.T) {
	w := newWorld(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "backup.tar")
	missingKey := w.options(false)
	missingKey.Keys[0].Path = filepath.Join(dir, "no.key")
	cancelled, cancel := context.WithCancel(t.Context())
	cancel()
	for _, tc := range []struct {
		name  string
		ctx   context.Context
		store storage.Maintenance
		opts  backup.Options
		want  error
	}{
		{"missing key file", t.Context(), w.db, missingKey, fs.ErrNotExist},
		{"cancelled", cancelled, w.db, w.options(true), context.Canceled},
		{"store fails", t.Context(), failingStore{}, w.options(false), errSnapshot},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := backup.WriteFile(tc.ctx, path, tc.store, tc.opts); !errors.Is(err, tc.want) {
				t.Errorf("err %v, want %v", err, tc.want)
			}
			if entries, _ := os.ReadDir(dir); len(entries) != 0 {
				t.Errorf("left behind: %v", entries)
			}
		})
	}
}

var errSnapshot = errors.New("snapshot failed")

type failingStore struct{}

func (failingStore) Snapshot(context.Context) (storage.Snapshot, error) { return nil, errSnapshot }
func (failingStore) Check(context.Context, func(storage.Problem)) (storage.CheckStats, error) {
	return storage.CheckStats{}, nil
}

// FuzzVerify: no archive makes Verify panic, and what it accepts is
// what its manifest says, entry for entry.
func FuzzVerify(f *testing.F) {
	db := entry{name: "almanac.db", body: []byte("database bytes")}
	key := entry{name: "link.key", body: bytes.Repeat([]byte{1}, 32)}
	valid := makeTar(f, db, key, manifestFor(f, nil, db, key))
	f.Add(valid)
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(valid)
	zw.Close()
	f.Add(gz.Bytes())
	f.Add(makeTar(f, db, manifestFor(f, func(m *backup.Manifest) { m.Version = 2 }, db)))
	f.Add([]byte{0x1f, 0x8b})
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := backup.Verify(bytes.NewReader(data))
		if err != nil {
			return
		}
		sums := map[string]string{}
		r := io.Reader(bytes.NewReader(data))
		if bytes.HasPrefix(data, []byte{0x1f, 0x8b}) {
			zr, err := gzip.NewReader(r)
			if err != nil {
				t.Fatalf("accepted a gzip stream that does not open: %v", err)
			}
			zr.Multistream(false)
			r = zr
		}
		tr := tar.NewReader(r)
		for {
			hdr, err := tr.Next()
			if err != nil {
				break
			}
			b, _ := io.ReadAll(tr)
			sums[hdr.Name] = sumOf(b)
		}
		if m.Database().Name == "" {
			t.Fatal("accepted an archive without a database")
		}
		for _, file := range m.Files {
			if sums[file.Name] != file.SHA256 {
				t.Fatalf("accepted %s with another checksum", file.Name)
			}
		}
		if len(sums) != len(m.Files)+1 {
			t.Fatalf("accepted %d entries for %d files", len(sums), len(m.Files))
		}
	})
}
