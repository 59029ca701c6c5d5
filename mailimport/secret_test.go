package mailimport

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSealBindsJobAndSource(t *testing.T) {
	key := bytes.Repeat([]byte{7}, KeySize)
	s, err := newSealer(key)
	if err != nil {
		t.Fatal(err)
	}
	sealed := s.seal("job1", 0, "hunter2")
	if bytes.Contains(sealed, []byte("hunter2")) {
		t.Fatal("the sealed password holds the password")
	}
	if pw, err := s.open("job1", 0, sealed); err != nil || pw != "hunter2" {
		t.Fatalf("open = %q, %v", pw, err)
	}
	// Moved to another job or source, or opened with another key: no.
	other, _ := newSealer(bytes.Repeat([]byte{8}, KeySize))
	for name, open := range map[string]func() (string, error){
		"other job":    func() (string, error) { return s.open("job2", 0, sealed) },
		"other source": func() (string, error) { return s.open("job1", 1, sealed) },
		"other key":    func() (string, error) { return other.open("job1", 0, sealed) },
		"cut short":    func() (string, error) { return s.open("job1", 0, sealed[:5]) },
	} {
		if pw, err := open(); err == nil {
			t.Errorf("%s: opened as %q", name, pw)
		}
	}
	if _, err := newSealer(key[:16]); err == nil {
		t.Error("a 16-byte key was taken")
	}
}

func TestLoadKeyAndMasterSecret(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "new")
	keyPath, secretPath := filepath.Join(dir, "import.key"), filepath.Join(dir, "master.secret")
	key, err := LoadKey(keyPath)
	if err != nil || len(key) != KeySize {
		t.Fatalf("LoadKey: %d bytes, %v", len(key), err)
	}
	secret, err := LoadMasterSecret(secretPath)
	if err != nil || len(secret) < 32 {
		t.Fatalf("LoadMasterSecret: %q, %v", secret, err)
	}
	for _, p := range []string{keyPath, secretPath} {
		if fi, err := os.Stat(p); err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: %v %v, want mode 0600", p, fi.Mode(), err)
		}
	}
	// Read again: the same.
	if again, err := LoadKey(keyPath); err != nil || !bytes.Equal(again, key) {
		t.Errorf("LoadKey again: %v", err)
	}
	if again, err := LoadMasterSecret(secretPath); err != nil || again != secret {
		t.Errorf("LoadMasterSecret again: %q, %v", again, err)
	}
	// A secret written by the operator: its first line, trimmed.
	os.WriteFile(secretPath, []byte("  s3cret \nignored\n"), 0o600)
	if got, err := LoadMasterSecret(secretPath); err != nil || got != "s3cret" {
		t.Errorf("LoadMasterSecret = %q, %v", got, err)
	}
	for name, data := range map[string]string{"empty": "\n", "too long": strings.Repeat("x", maxMasterSecret+1)} {
		os.WriteFile(secretPath, []byte(data), 0o600)
		if got, err := LoadMasterSecret(secretPath); err == nil {
			t.Errorf("%s secret taken: %q", name, got)
		}
	}
	os.WriteFile(keyPath, []byte("short"), 0o600)
	if _, err := LoadKey(keyPath); err == nil {
		t.Error("a 5-byte key file was taken")
	}
}
