package backup

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime/debug"
	"time"

	"almanac/storage"
)

// Archive layout (doc.go).
const (
	// Format names the archive in its manifest.
	Format = "almanac-backup"
	// Version is the manifest version this package writes and the
	// newest it reads.
	Version = 1
	// ManifestName is the manifest's entry, the last of the archive.
	ManifestName = "manifest.json"
)

// Kinds of files in an archive.
const (
	KindDatabase = "database"
	KindLinkKey  = "link-key"
)

// fileNames are the names an archive's files have, in the archive and in
// the data directory: one per kind, and for the database one per
// backend. An archive holding any other name is refused, so nothing in
// it can name a path of its choosing.
var (
	databaseNames = map[string]string{"bolt": "almanac.db"}
	keyNames      = map[string]string{KindLinkKey: "link.key"}
)

// maxKeySize bounds a key file and maxManifestSize the manifest: both
// are read into memory, and a real one is a few hundred bytes.
const (
	maxKeySize      = 1 << 20
	maxManifestSize = 1 << 20
	maxEntries      = 64
)

// Manifest describes an archive: what wrote it, what the store held and
// each file with its size and checksum.
type Manifest struct {
	Format  string    `json:"format"`
	Version int       `json:"version"`
	Created time.Time `json:"created"`
	// Almanac is the version of the almanac that wrote it (module
	// version and VCS revision).
	Almanac string `json:"almanac"`
	Store   Store  `json:"store"`
	Files   []File `json:"files"`
}

// Store is what the snapshot in the archive holds.
type Store struct {
	Backend     string `json:"backend"`
	Schema      string `json:"schema"`
	Accounts    int    `json:"accounts"`
	Collections int    `json:"collections"`
	Objects     int    `json:"objects"`
}

// File is one file of the archive.
type File struct {
	Name   string `json:"name"`
	Kind   string `json:"kind"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}

// Database returns the manifest's database file.
func (m *Manifest) Database() File {
	for _, f := range m.Files {
		if f.Kind == KindDatabase {
			return f
		}
	}
	return File{}
}

// KeyFile is a key file to put in an archive beside the database.
type KeyFile struct {
	Kind string // KindLinkKey
	Path string // where it is read from
}

// Options tune Write.
type Options struct {
	// Keys are the key files to include; each must exist.
	Keys []KeyFile
	// Gzip compresses the archive.
	Gzip bool
	// Almanac is the version written into the manifest; "" takes the
	// running binary's build information.
	Almanac string
	// Now is the clock for Created; nil is time.Now.
	Now func() time.Time
}

// Write writes an archive of store to w: a snapshot of the database
// (taken when Write starts; writers go on meanwhile), the key files and
// the manifest, each file with its SHA-256 checksum. The snapshot is
// released as soon as it is copied. A done ctx stops the copy.
func Write(ctx context.Context, w io.Writer, store storage.Maintenance, opts Options) (*Manifest, error) {
	now := time.Now
	if opts.Now != nil {
		now = opts.Now
	}
	if opts.Almanac == "" {
		opts.Almanac = BuildVersion()
	}
	// Key files are small and read first, so that a missing one fails
	// the backup before the database is copied.
	keys := make([][]byte, len(opts.Keys))
	for i, k := range opts.Keys {
		if _, ok := keyNames[k.Kind]; !ok {
			return nil, fmt.Errorf("backup: unknown key kind %q", k.Kind)
		}
		b, err := readSmall(k.Path, maxKeySize)
		if err != nil {
			return nil, fmt.Errorf("backup: read %s: %w", k.Kind, err)
		}
		keys[i] = b
	}

	snap, err := store.Snapshot(ctx)
	if err != nil {
		return nil, fmt.Errorf("backup: %w", err)
	}
	defer snap.Close()
	info := snap.Info()
	dbName, ok := databaseNames[info.Backend]
	if !ok {
		return nil, fmt.Errorf("backup: the %q backend has no archive format", info.Backend)
	}
	m := &Manifest{Format: Format, Version: Version, Created: now().UTC().Truncate(time.Second), Almanac: opts.Almanac,
		Store: Store{Backend: info.Backend, Schema: info.Schema, Accounts: info.Accounts, Collections: info.Collections, Objects: info.Objects}}

	out := io.Writer(ctxWriter{ctx, w})
	var gz *gzip.Writer
	if opts.Gzip {
		gz = gzip.NewWriter(out)
		out = gz
	}
	tw := tar.NewWriter(out)
	entry := func(name string, size int64) error {
		return tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: name, Size: size, Mode: 0o600, ModTime: m.Created})
	}

	if err := entry(dbName, info.Size); err != nil {
		return nil, fmt.Errorf("backup: %w", err)
	}
	h := sha256.New()
	n, err := snap.WriteTo(io.MultiWriter(tw, h))
	if err == nil && n != info.Size {
		err = fmt.Errorf("the snapshot wrote %d bytes, not %d", n, info.Size)
	}
	if err != nil {
		return nil, fmt.Errorf("backup: copy database: %w", err)
	}
	if err := snap.Close(); err != nil {
		return nil, fmt.Errorf("backup: %w", err)
	}
	m.Files = append(m.Files, File{Name: dbName, Kind: KindDatabase, Size: n, SHA256: hex.EncodeToString(h.Sum(nil))})

	for i, k := range opts.Keys {
		name := keyNames[k.Kind]
		sum := sha256.Sum256(keys[i])
		if err := entry(name, int64(len(keys[i]))); err != nil {
			return nil, fmt.Errorf("backup: %w", err)
		}
		if _, err := tw.Write(keys[i]); err != nil {
			return nil, fmt.Errorf("backup: %w", err)
		}
		m.Files = append(m.Files, File{Name: name, Kind: k.Kind, Size: int64(len(keys[i])), SHA256: hex.EncodeToString(sum[:])})
	}

	mb, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("backup: %w", err)
	}
	mb = append(mb, '\n')
	if err := entry(ManifestName, int64(len(mb))); err != nil {
		return nil, fmt.Errorf("backup: %w", err)
	}
	if _, err := tw.Write(mb); err != nil {
		return nil, fmt.Errorf("backup: %w", err)
	}
	if err := tw.Close(); err != nil {
		return nil, fmt.Errorf("backup: %w", err)
	}
	if gz != nil {
		if err := gz.Close(); err != nil {
			return nil, fmt.Errorf("backup: %w", err)
		}
	}
	return m, nil
}

// WriteFile writes an archive of store to path (Write) atomically: into
// a temporary file beside it, synced, then linked into place, so a crash
// or a failure leaves no partial archive, and an existing file is never
// replaced.
func WriteFile(ctx context.Context, path string, store storage.Maintenance, opts Options) (*Manifest, error) {
	if _, err := os.Lstat(path); err == nil {
		return nil, fmt.Errorf("backup: %s exists; choose another name", path)
	}
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return nil, fmt.Errorf("backup: %w", err)
	}
	tmp := f.Name()
	defer os.Remove(tmp)
	m, err := Write(ctx, f, store, opts)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, err
	}
	if err := install(tmp, path); err != nil {
		return nil, fmt.Errorf("backup: %w", err)
	}
	return m, nil
}

// install moves the complete file tmp to path without replacing an
// existing path: a hard link fails when path exists, where a rename
// would replace it. File systems without hard links get a rename after
// a check.
func install(tmp, path string) error {
	err := os.Link(tmp, path)
	switch {
	case errors.Is(err, fs.ErrExist):
		return fmt.Errorf("%s exists; choose another name", path)
	case err != nil:
		if _, serr := os.Lstat(path); serr == nil {
			return fmt.Errorf("%s exists; choose another name", path)
		}
		if err := os.Rename(tmp, path); err != nil {
			return err
		}
	default:
		os.Remove(tmp)
	}
	return syncDir(filepath.Dir(path))
}

// syncDir makes a rename or link in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sync %s: %w", dir, err)
	}
	return nil
}

// readSmall reads a file of at most max bytes.
func readSmall(path string, max int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > max {
		return nil, fmt.Errorf("%s is larger than %d bytes", path, max)
	}
	return b, nil
}

// ctxWriter fails writes once ctx is done: how a copy in progress stops.
type ctxWriter struct {
	ctx context.Context
	w   io.Writer
}

func (w ctxWriter) Write(p []byte) (int, error) {
	if err := w.ctx.Err(); err != nil {
		return 0, err
	}
	return w.w.Write(p)
}

// BuildVersion is the running binary's module version and VCS revision,
// as the manifest records them: "v1.2.0", "(devel) 0123456789ab",
// "(devel) 0123456789ab+modified".
func BuildVersion() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	v := bi.Main.Version
	if v == "" {
		v = "(devel)"
	}
	var rev, modified string
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				modified = "+modified"
			}
		}
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	if rev != "" {
		v += " " + rev + modified
	}
	return v
}
