package sharing

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestTokenRoundTrip(t *testing.T) {
	k, err := NewKeyring(bytes.Repeat([]byte{7}, KeySize))
	if err != nil {
		t.Fatal(err)
	}
	id := NewLinkID()
	tok := k.Token(id)
	if len(tok) != TokenLen || TokenLen != 43 {
		t.Fatalf("token %q has %d characters, want 43", tok, len(tok))
	}
	if strings.ContainsAny(tok, "+/=") {
		t.Errorf("token %q is not URL-safe", tok)
	}
	if got, ok := k.LinkID(tok); !ok || got != id {
		t.Fatalf("LinkID(%q) = %q, %v; want %q", tok, got, ok, id)
	}
	other, _ := NewKeyring(bytes.Repeat([]byte{8}, KeySize))
	if _, ok := other.LinkID(tok); ok {
		t.Error("a token validates under another key")
	}
	if id == NewLinkID() {
		t.Error("two link IDs are equal")
	}
	bad := []string{"", "short", tok[:42], tok + "A", strings.Repeat("A", 43), tok[:42] + string(tok[42]^1), "!" + tok[1:], id}
	for _, b := range bad {
		if _, ok := k.LinkID(b); ok {
			t.Errorf("LinkID(%q) accepted", b)
		}
	}
	if k.Token("not-an-id") != "" {
		t.Error("Token of a foreign ID")
	}
	if Mask(tok) != tok[:4]+"…" || strings.Contains(Mask(tok), tok[4:10]) {
		t.Errorf("Mask(%q) = %q", tok, Mask(tok))
	}
}

func TestLoadKey(t *testing.T) {
	path := filepath.Join(t.TempDir(), "keys", "link.key")
	k1, err := LoadKey(path)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 || fi.Size() != KeySize {
		t.Fatalf("key file %v, %v", fi, err)
	}
	k2, err := LoadKey(path)
	if err != nil {
		t.Fatal(err)
	}
	id := NewLinkID()
	if k1.Token(id) != k2.Token(id) {
		t.Error("reloaded key gives other tokens")
	}
	os.WriteFile(path, []byte("short"), 0o600)
	if _, err := LoadKey(path); err == nil {
		t.Error("a truncated key file loads")
	}
}

func FuzzLinkID(f *testing.F) {
	k, _ := NewKeyring(bytes.Repeat([]byte{1}, KeySize))
	f.Add(k.Token(NewLinkID()))
	f.Add("")
	f.Add(strings.Repeat("-", 43))
	f.Fuzz(func(t *testing.T, tok string) {
		id, ok := k.LinkID(tok)
		if ok && k.Token(id) != tok {
			t.Fatalf("LinkID(%q) = %q but Token(%q) differs", tok, id, id)
		}
	})
}
