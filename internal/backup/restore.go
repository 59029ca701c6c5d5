package backup

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
)

// ErrDamaged is wrapped by every error about an archive's content: not
// an archive, cut short, a checksum that does not match, a manifest that
// does not describe the files.
var ErrDamaged = errors.New("damaged or not an almanac backup")

func damaged(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrDamaged, fmt.Sprintf(format, args...))
}

// reader reads the entries of an archive, gunzipping it when it starts
// with the gzip magic.
type reader struct {
	tr *tar.Reader
	gz *gzip.Reader
}

func newReader(r io.Reader) (*reader, error) {
	br := bufio.NewReader(r)
	magic, _ := br.Peek(2)
	if bytes.Equal(magic, []byte{0x1f, 0x8b}) {
		gz, err := gzip.NewReader(br)
		if err != nil {
			return nil, damaged("gzip: %v", err)
		}
		gz.Multistream(false)
		return &reader{tr: tar.NewReader(gz), gz: gz}, nil
	}
	return &reader{tr: tar.NewReader(br)}, nil
}

// next returns the next entry's name and size, io.EOF after the last.
// Only regular files with one of the archive's names are entries.
func (r *reader) next() (string, int64, error) {
	hdr, err := r.tr.Next()
	if err == io.EOF {
		if r.gz != nil {
			// The tar end marker is not the end of the gzip stream,
			// whose checksum is read at its end.
			if _, err := io.Copy(io.Discard, r.gz); err != nil {
				return "", 0, damaged("gzip: %v", err)
			}
		}
		return "", 0, io.EOF
	}
	if err != nil {
		return "", 0, damaged("%v", err)
	}
	if hdr.Typeflag != tar.TypeReg {
		return "", 0, damaged("entry %q is not a regular file", hdr.Name)
	}
	if !knownName(hdr.Name) {
		return "", 0, damaged("unexpected entry %q", hdr.Name)
	}
	if hdr.Size < 0 {
		return "", 0, damaged("entry %q has a negative size", hdr.Name)
	}
	return hdr.Name, hdr.Size, nil
}

func knownName(name string) bool {
	if name == ManifestName {
		return true
	}
	for _, names := range []map[string]string{databaseNames, keyNames} {
		for _, n := range names {
			if n == name {
				return true
			}
		}
	}
	return false
}

// sum is what was read of one entry.
type sum struct {
	size int64
	hash string
}

// Verify reads a whole archive and checks it against its manifest: every
// file listed once with its size and SHA-256, nothing else in it, the
// manifest last and of a version this package reads. It writes nothing.
func Verify(r io.Reader) (*Manifest, error) {
	return scan(r, nil)
}

// scan reads the archive, handing each file's content to place (nil:
// discard) while hashing it, and checks the result as Verify does. place
// returns where the content goes; its writes are the caller's to undo
// when scan fails.
func scan(r io.Reader, place func(name string) (io.Writer, error)) (*Manifest, error) {
	ar, err := newReader(r)
	if err != nil {
		return nil, err
	}
	sums := map[string]sum{}
	var manifest []byte
	for {
		name, size, err := ar.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		if manifest != nil {
			return nil, damaged("entry %q after the manifest", name)
		}
		if _, dup := sums[name]; dup {
			return nil, damaged("entry %q twice", name)
		}
		if len(sums) == maxEntries {
			return nil, damaged("more than %d entries", maxEntries)
		}
		if name == ManifestName {
			if size > maxManifestSize {
				return nil, damaged("manifest of %d bytes", size)
			}
			if manifest, err = io.ReadAll(ar.tr); err != nil {
				return nil, damaged("%v", err)
			}
			continue
		}
		w := io.Discard
		if place != nil {
			if w, err = place(name); err != nil {
				return nil, err
			}
		}
		h := sha256.New()
		n, err := io.Copy(io.MultiWriter(w, h), ar.tr)
		if err != nil {
			var we writeError
			if errors.As(err, &we) {
				return nil, we.err
			}
			return nil, damaged("%s: %v", name, err)
		}
		sums[name] = sum{size: n, hash: hexSum(h)}
	}
	if manifest == nil {
		return nil, damaged("no manifest (cut short?)")
	}
	m, err := parseManifest(manifest)
	if err != nil {
		return nil, err
	}
	for _, f := range m.Files {
		got, ok := sums[f.Name]
		switch {
		case !ok:
			return nil, damaged("%s is listed in the manifest but missing", f.Name)
		case got.size != f.Size:
			return nil, damaged("%s is %d bytes, the manifest says %d", f.Name, got.size, f.Size)
		case got.hash != f.SHA256:
			return nil, damaged("%s does not match its SHA-256 checksum", f.Name)
		}
		delete(sums, f.Name)
	}
	for name := range sums {
		return nil, damaged("%s is not in the manifest", name)
	}
	return m, nil
}

func hexSum(h hash.Hash) string { return hex.EncodeToString(h.Sum(nil)) }

// writeError marks an error of the destination, which is not damage of
// the archive.
type writeError struct{ err error }

func (e writeError) Error() string { return e.err.Error() }

type destWriter struct{ w io.Writer }

func (d destWriter) Write(p []byte) (int, error) {
	n, err := d.w.Write(p)
	if err != nil {
		err = writeError{err}
	}
	return n, err
}

// parseManifest decodes and checks a manifest: its format and version,
// one database of a known backend, known key kinds, each under its own
// name, with a size and a SHA-256 checksum.
func parseManifest(b []byte) (*Manifest, error) {
	var m Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, damaged("manifest: %v", err)
	}
	switch {
	case m.Format != Format:
		return nil, damaged("manifest: format %q, not %q", m.Format, Format)
	case m.Version < 1:
		return nil, damaged("manifest: version %d", m.Version)
	case m.Version > Version:
		return nil, fmt.Errorf("backup: the archive's format version %d is newer than this almanac reads (%d): restore it with the almanac that wrote it (%s)", m.Version, Version, m.Almanac)
	}
	dbName, ok := databaseNames[m.Store.Backend]
	if !ok {
		return nil, fmt.Errorf("backup: the archive holds a %q database, which this almanac cannot restore", m.Store.Backend)
	}
	var names []string
	databases := 0
	for _, f := range m.Files {
		want := keyNames[f.Kind]
		if f.Kind == KindDatabase {
			want = dbName
			databases++
		}
		switch {
		case want == "":
			return nil, fmt.Errorf("backup: the archive holds a file of kind %q, which this almanac does not know (written by %s)", f.Kind, m.Almanac)
		case f.Name != want:
			return nil, damaged("manifest: the %s is named %q, not %q", f.Kind, f.Name, want)
		case slices.Contains(names, f.Name):
			return nil, damaged("manifest: %s listed twice", f.Name)
		case f.Size < 0:
			return nil, damaged("manifest: %s has a negative size", f.Name)
		}
		if h, err := hex.DecodeString(f.SHA256); err != nil || len(h) != sha256.Size {
			return nil, damaged("manifest: %s has no SHA-256 checksum", f.Name)
		}
		names = append(names, f.Name)
	}
	if databases != 1 {
		return nil, damaged("manifest: %d databases", databases)
	}
	return &m, nil
}

// RestoreOptions say where Restore puts an archive's files.
type RestoreOptions struct {
	// DataDir receives the database and, unless Paths places them
	// elsewhere, the key files. It must be missing or empty.
	DataDir string
	// Paths places files of a kind outside DataDir, e.g. the link key
	// where -link-key names it. Such a file must not exist.
	Paths map[string]string
	// CheckDatabase, when set, is given the restored database file
	// before it is moved into place; an error stops the restore.
	CheckDatabase func(path string) error
}

// Restore puts the archive at path into place. It reads the archive
// twice: first to verify it (Verify), writing nothing, then to write
// each file to a temporary file beside its destination, checking the
// checksums again on the way. Only when all files are written, synced
// and checked are they moved into place, the database last, so a
// directory with a database in it holds a complete restore. On failure
// it removes what it wrote, and DataDir when it made it.
func Restore(ctx context.Context, path string, opts RestoreOptions) (*Manifest, error) {
	m, err := verifyFile(path)
	if err != nil {
		return nil, err
	}
	dest := map[string]string{}
	for _, f := range m.Files {
		dest[f.Name] = filepath.Join(opts.DataDir, f.Name)
		if p := opts.Paths[f.Kind]; p != "" && f.Kind != KindDatabase {
			dest[f.Name] = p
		}
	}
	if err := checkTargets(opts.DataDir, m, dest); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}

	made := false
	if _, err := os.Stat(opts.DataDir); errors.Is(err, fs.ErrNotExist) {
		if err := os.MkdirAll(opts.DataDir, 0o700); err != nil {
			return nil, fmt.Errorf("restore: %w", err)
		}
		made = true
	}
	temps := map[string]*os.File{}
	cleanup := func() {
		for _, f := range temps {
			f.Close()
			os.Remove(f.Name())
		}
		if made {
			os.Remove(opts.DataDir)
		}
	}
	f, err := os.Open(path)
	if err != nil {
		cleanup()
		return nil, fmt.Errorf("restore: %w", err)
	}
	defer f.Close()
	_, err = scan(ctxReader{ctx, f}, func(name string) (io.Writer, error) {
		to, ok := dest[name]
		if !ok {
			return nil, damaged("%s is not in the manifest", name)
		}
		t, err := os.CreateTemp(filepath.Dir(to), ".restore-*")
		if err != nil {
			return nil, fmt.Errorf("restore: %w", err)
		}
		temps[name] = t
		return destWriter{t}, nil
	})
	if err == nil {
		for _, t := range temps {
			if err = t.Sync(); err != nil {
				break
			}
		}
	}
	if err != nil {
		cleanup()
		if ctx.Err() != nil {
			return nil, fmt.Errorf("restore: %w", ctx.Err())
		}
		if errors.Is(err, ErrDamaged) {
			return nil, fmt.Errorf("restore: the archive changed while it was read: %w", err)
		}
		return nil, err
	}
	db := m.Database()
	if opts.CheckDatabase != nil {
		if err := opts.CheckDatabase(temps[db.Name].Name()); err != nil {
			cleanup()
			return nil, fmt.Errorf("restore: the restored database: %w", err)
		}
	}
	// Keys first, the database last.
	order := slices.DeleteFunc(slices.Clone(m.Files), func(f File) bool { return f.Kind == KindDatabase })
	order = append(order, db)
	for i, file := range order {
		t := temps[file.Name]
		if err := t.Close(); err != nil {
			cleanup()
			return nil, fmt.Errorf("restore: %w", err)
		}
		if err := install(t.Name(), dest[file.Name]); err != nil {
			// Files already in place stay: they are complete, and the
			// next attempt refuses the directory, as it should.
			for _, later := range order[i:] {
				os.Remove(temps[later.Name].Name())
			}
			return nil, fmt.Errorf("restore: %w", err)
		}
	}
	return m, nil
}

// verifyFile is Verify of the file at path.
func verifyFile(path string) (*Manifest, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("restore: %w", err)
	}
	defer f.Close()
	m, err := Verify(f)
	if err != nil {
		return nil, fmt.Errorf("restore: %s: %w", path, err)
	}
	return m, nil
}

// checkTargets refuses a DataDir that holds anything and destinations
// outside it that exist or whose directory does not.
func checkTargets(dataDir string, m *Manifest, dest map[string]string) error {
	fi, err := os.Stat(dataDir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return fmt.Errorf("restore: %w", err)
	case !fi.IsDir():
		return fmt.Errorf("restore: %s is not a directory", dataDir)
	default:
		entries, err := os.ReadDir(dataDir)
		if err != nil {
			return fmt.Errorf("restore: %w", err)
		}
		if len(entries) > 0 {
			return fmt.Errorf("restore: %s is not empty (it holds %s): restore into a new or empty directory", dataDir, entries[0].Name())
		}
	}
	for _, f := range m.Files {
		to := dest[f.Name]
		if filepath.Dir(to) == filepath.Clean(dataDir) {
			continue
		}
		if _, err := os.Lstat(to); err == nil {
			return fmt.Errorf("restore: %s exists: the %s is restored only where there is none", to, f.Kind)
		}
		if fi, err := os.Stat(filepath.Dir(to)); err != nil || !fi.IsDir() {
			return fmt.Errorf("restore: directory %s of the %s does not exist", filepath.Dir(to), f.Kind)
		}
	}
	return nil
}

// ctxReader fails reads once ctx is done.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (r ctxReader) Read(p []byte) (int, error) {
	if err := r.ctx.Err(); err != nil {
		return 0, err
	}
	return r.r.Read(p)
}
