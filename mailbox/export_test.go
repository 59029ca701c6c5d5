package mailbox

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"almanac/auth"
)

// testHash is an auth.HashPassword("new-password-123") output.
const testHash = "$argon2id$v=19$m=19456,t=2,p=1$6QN+R6h1uriswGcHjeMiYw$y/47eUB7HUkPufT2dFJ3DC8bGzh5G+q29fRE7ioEncI"

func TestTestHash(t *testing.T) {
	if ok, err := auth.VerifyPassword(testHash, "new-password-123"); !ok || err != nil {
		t.Fatalf("testHash does not verify: %v %v", ok, err)
	}
}

func TestPasswdFile(t *testing.T) {
	bcrypt := "$2y$05$abcdefghijklmnopqrstuuAbCdEfGhIjKlMnOpQrStUvWxYz01234"
	got, err := PasswdFile([]Entry{
		{"zed@domain.xyz", testHash},
		{"anna@Domain.XYZ", testHash},
		{"bob.smith@other.tld", bcrypt},
	})
	if err != nil {
		t.Fatal(err)
	}
	want := "anna@domain.xyz:{ARGON2ID}" + testHash + "::::::\n" +
		"bob.smith@other.tld:{BLF-CRYPT}" + bcrypt + "::::::\n" +
		"zed@domain.xyz:{ARGON2ID}" + testHash + "::::::\n"
	if string(got) != want {
		t.Errorf("PasswdFile =\n%s\nwant\n%s", got, want)
	}
	for _, line := range strings.Split(strings.TrimSuffix(string(got), "\n"), "\n") {
		if n := strings.Count(line, ":"); n != 7 {
			t.Errorf("line %q has %d colons, want 7 (8 passwd-file fields)", line, n)
		}
	}
}

func TestPasswdFileFresh(t *testing.T) {
	h, err := auth.HashPassword("new-password-123")
	if err != nil {
		t.Fatal(err)
	}
	got, err := PasswdFile([]Entry{{"user@domain.xyz", h}})
	if err != nil {
		t.Fatal(err)
	}
	if want := "user@domain.xyz:{ARGON2ID}" + h + "::::::\n"; string(got) != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestPasswdFileEmpty(t *testing.T) {
	got, err := PasswdFile(nil)
	if err != nil || len(got) != 0 {
		t.Errorf("PasswdFile(nil) = %q, %v", got, err)
	}
}

func TestPasswdFileRefuses(t *testing.T) {
	tests := []struct {
		name    string
		entries []Entry
	}{
		{"colon in address", []Entry{{"an:na@domain.xyz", testHash}}},
		{"newline in address", []Entry{{"anna@domain.xyz\nroot@domain.xyz", testHash}}},
		{"CR in address", []Entry{{"anna@domain.xyz\r", testHash}}},
		{"extra fields via address", []Entry{{"anna@domain.xyz:x:0:0::/root::", testHash}}},
		{"comment address", []Entry{{"#anna@domain.xyz", testHash}}},
		{"no domain", []Entry{{"anna", testHash}}},
		{"bad domain", []Entry{{"anna@localhost", testHash}}},
		{"space", []Entry{{"an na@domain.xyz", testHash}}},
		{"colon in hash", []Entry{{"anna@domain.xyz", testHash + "::0:0::/::"}}},
		{"newline in hash", []Entry{{"anna@domain.xyz", testHash + "\nroot@domain.xyz:{PLAIN}x::::::"}}},
		{"CR in hash", []Entry{{"anna@domain.xyz", testHash + "\r"}}},
		{"space in hash", []Entry{{"anna@domain.xyz", testHash + " x"}}},
		{"empty hash", []Entry{{"anna@domain.xyz", ""}}},
		{"plaintext hash", []Entry{{"anna@domain.xyz", "hunter2"}}},
		{"scheme injection", []Entry{{"anna@domain.xyz", "{PLAIN}hunter2"}}},
		{"duplicate", []Entry{{"anna@domain.xyz", testHash}, {"anna@domain.xyz", testHash}}},
		{"duplicate by case", []Entry{{"anna@domain.xyz", testHash}, {"Anna@DOMAIN.xyz", testHash}}},
	}
	for _, tt := range tests {
		got, err := PasswdFile(tt.entries)
		if err == nil {
			t.Errorf("%s: PasswdFile accepted, wrote %q", tt.name, got)
			continue
		}
		if !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: error %v does not wrap ErrInvalid", tt.name, err)
		}
		if strings.Contains(err.Error(), testHash) || strings.Contains(err.Error(), "hunter2") {
			t.Errorf("%s: error %q leaks the hash", tt.name, err)
		}
		if strings.ContainsAny(err.Error(), "\r\n") {
			t.Errorf("%s: error %q contains a line break", tt.name, err)
		}
	}
}

func TestVirtualMap(t *testing.T) {
	got, err := VirtualMap([]Route{
		{"alias@domain.xyz", "anna@domain.xyz"},
		{"@alias.tld", "@domain.xyz"},
		{"anna@domain.xyz", "anna@domain.xyz"},
		{"Sales@Domain.XYZ", "bob@other.tld"},
		{"@ALIAS2.tld", "anna@domain.xyz"},
	})
	if err != nil {
		t.Fatal(err)
	}
	want := "@alias.tld @domain.xyz\n" +
		"@alias2.tld anna@domain.xyz\n" +
		"Sales@domain.xyz bob@other.tld\n" +
		"alias@domain.xyz anna@domain.xyz\n" +
		"anna@domain.xyz anna@domain.xyz\n"
	if string(got) != want {
		t.Errorf("VirtualMap =\n%s\nwant\n%s", got, want)
	}
}

func TestVirtualMapRefuses(t *testing.T) {
	tests := []struct {
		name   string
		routes []Route
	}{
		{"newline in from", []Route{{"a@domain.xyz\nroot@domain.xyz", "evil@x.yz"}}},
		{"newline in to", []Route{{"a@domain.xyz", "anna@domain.xyz\nroot@domain.xyz evil@x.yz"}}},
		{"newline in catch-all", []Route{{"@alias.tld\n@domain.xyz", "@x.yz"}}},
		{"space in to", []Route{{"a@domain.xyz", "anna@domain.xyz evil@x.yz"}}},
		{"comma list in to", []Route{{"a@domain.xyz", "anna@domain.xyz,evil@x.yz"}}},
		{"comment from", []Route{{"#a@domain.xyz", "anna@domain.xyz"}}},
		{"bare domain from", []Route{{"domain.xyz", "anna@domain.xyz"}}},
		{"empty from", []Route{{"", "anna@domain.xyz"}}},
		{"empty to", []Route{{"a@domain.xyz", ""}}},
		{"catch-all to for address", []Route{{"a@domain.xyz", "@domain.xyz"}}},
		{"bad catch-all domain", []Route{{"@alias", "@domain.xyz"}}},
		{"pipe destination", []Route{{"a@domain.xyz", "|/bin/sh"}}},
		{"file destination", []Route{{"a@domain.xyz", "/etc/passwd"}}},
		{"include destination", []Route{{"a@domain.xyz", ":include:/etc/x"}}},
		{"colon", []Route{{"a:b@domain.xyz", "anna@domain.xyz"}}},
		{"duplicate", []Route{{"a@domain.xyz", "anna@domain.xyz"}, {"A@DOMAIN.XYZ", "bob@domain.xyz"}}},
		{"duplicate catch-all", []Route{{"@alias.tld", "@domain.xyz"}, {"@Alias.TLD", "@other.xyz"}}},
	}
	for _, tt := range tests {
		got, err := VirtualMap(tt.routes)
		if err == nil {
			t.Errorf("%s: VirtualMap accepted, wrote %q", tt.name, got)
			continue
		}
		if !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: error %v does not wrap ErrInvalid", tt.name, err)
		}
		if strings.ContainsAny(err.Error(), "\r\n") {
			t.Errorf("%s: error %q contains a line break", tt.name, err)
		}
	}
}

func TestWriteAtomic(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "passwd")
	if err := os.WriteFile(path, []byte("old\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		data string
		mode os.FileMode
	}{
		{"new contents\n", 0o640},
		{"", 0o644},
		{strings.Repeat("x", 1<<20), 0o600},
	} {
		if err := WriteAtomic(path, []byte(tc.data), tc.mode); err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != tc.data {
			t.Errorf("content: got %d bytes, want %d", len(got), len(tc.data))
		}
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != tc.mode {
			t.Errorf("mode = %v, want %v", fi.Mode().Perm(), tc.mode)
		}
		assertOnlyFile(t, dir, "passwd")
	}
}

func TestWriteAtomicNewFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "virtual")
	if err := WriteAtomic(path, []byte("a b\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(path); string(got) != "a b\n" {
		t.Errorf("got %q", got)
	}
	assertOnlyFile(t, dir, "virtual")
}

func TestWriteAtomicRelative(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	if err := WriteAtomic("rel", []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	assertOnlyFile(t, dir, "rel")
}

func TestWriteAtomicErrorLeavesNothing(t *testing.T) {
	dir := t.TempDir()
	// The target is a non-empty directory: the rename must fail, the old
	// target must survive and the temp file must be gone.
	target := filepath.Join(dir, "target")
	if err := os.MkdirAll(filepath.Join(target, "keep"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := WriteAtomic(target, []byte("x"), 0o644); err == nil {
		t.Fatal("WriteAtomic over a non-empty directory succeeded")
	}
	if fi, err := os.Stat(filepath.Join(target, "keep")); err != nil || !fi.IsDir() {
		t.Errorf("old target damaged: %v", err)
	}
	assertOnlyFile(t, dir, "target")

	if err := WriteAtomic(filepath.Join(dir, "missing", "file"), []byte("x"), 0o644); err == nil {
		t.Error("WriteAtomic into a missing directory succeeded")
	}
}

func assertOnlyFile(t *testing.T, dir, name string) {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(ents) != 1 || ents[0].Name() != name {
		var names []string
		for _, e := range ents {
			names = append(names, e.Name())
		}
		t.Errorf("directory holds %q, want only %q", names, name)
	}
}
