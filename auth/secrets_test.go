package auth

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"regexp"
	"strings"
	"testing"
)

var (
	recoveryCodeRE = regexp.MustCompile(`^[a-z2-7]{4}-[a-z2-7]{4}-[a-z2-7]{2}$`)
	appPasswordRE  = regexp.MustCompile(`^[a-z2-7]{4}(-[a-z2-7]{4}){5}$`)
	hexHashRE      = regexp.MustCompile(`^[0-9a-f]{64}$`)
)

func TestNewRecoveryCodes(t *testing.T) {
	codes, hashes := NewRecoveryCodes(10)
	if len(codes) != 10 || len(hashes) != 10 {
		t.Fatalf("got %d codes, %d hashes", len(codes), len(hashes))
	}
	seen := map[string]bool{}
	for i, c := range codes {
		if !recoveryCodeRE.MatchString(c) {
			t.Errorf("code %q has the wrong format", c)
		}
		if seen[c] {
			t.Errorf("duplicate code %q", c)
		}
		seen[c] = true
		if hashes[i] != HashSecret(c) || !hexHashRE.MatchString(hashes[i]) {
			t.Errorf("hash %d = %q, want HashSecret(%q)", i, hashes[i], c)
		}
		// What a user types back: upper case, no dashes, spaces.
		typed := strings.ToUpper(strings.ReplaceAll(c, "-", " "))
		if idx, ok := MatchSecret(typed, hashes); !ok || idx != i {
			t.Errorf("MatchSecret(%q) = %d, %v; want %d", typed, idx, ok, i)
		}
	}
	for _, n := range []int{0, -1} {
		if c, h := NewRecoveryCodes(n); c != nil || h != nil {
			t.Errorf("NewRecoveryCodes(%d) = %v, %v", n, c, h)
		}
	}
}

func TestRecoveryCodes_AllCharactersUsed(t *testing.T) {
	// 2000 codes × 10 chars: every base32 character should turn up.
	seen := map[rune]bool{}
	codes, _ := NewRecoveryCodes(2000)
	for _, c := range codes {
		for _, r := range strings.ReplaceAll(c, "-", "") {
			seen[r] = true
		}
	}
	if len(seen) != 32 {
		t.Errorf("saw %d distinct characters, want 32", len(seen))
	}
}

func TestHashSecret(t *testing.T) {
	// SHA-256("abc") from FIPS 180-2.
	if got := HashSecret("abc"); got != "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" {
		t.Errorf("HashSecret(abc) = %s", got)
	}
	same := []string{"abcd-efgh-ij", "ABCDEFGHIJ", "abcd efgh ij", " Ab-Cd-Ef-Gh-Ij ", "abcdefghij"}
	for _, s := range same {
		if HashSecret(s) != HashSecret(same[0]) {
			t.Errorf("HashSecret(%q) differs from HashSecret(%q)", s, same[0])
		}
	}
	for _, s := range []string{"abcd_efgh_ij", "abcdefghik", "abcdefghij\t", "abcdefghi\u212a"} {
		if HashSecret(s) == HashSecret(same[0]) {
			t.Errorf("HashSecret(%q) equals HashSecret(%q)", s, same[0])
		}
	}
	// Only ASCII is folded: the Kelvin sign is not 'k'.
	if HashSecret("\u212a") == HashSecret("k") {
		t.Error("Kelvin sign folded to k")
	}
}

func TestMatchSecret(t *testing.T) {
	hashes := []string{HashSecret("one-code"), HashSecret("two-code"), HashSecret("two-code")}
	for _, tc := range []struct {
		in  string
		idx int
		ok  bool
	}{
		{"one-code", 0, true},
		{"TWOCODE", 1, true}, // first of two equal hashes
		{"three", -1, false},
		{"", -1, false},
		{" - - ", -1, false},
	} {
		idx, ok := MatchSecret(tc.in, hashes)
		if idx != tc.idx || ok != tc.ok {
			t.Errorf("MatchSecret(%q) = %d, %v; want %d, %v", tc.in, idx, ok, tc.idx, tc.ok)
		}
	}
	if idx, ok := MatchSecret("one-code", nil); ok || idx != -1 {
		t.Errorf("empty list: %d, %v", idx, ok)
	}
	// A secret that normalises to nothing must not match a stored hash of
	// the empty string either.
	empty := sha256.Sum256(nil)
	if _, ok := MatchSecret("--", []string{hex.EncodeToString(empty[:])}); ok {
		t.Error("empty secret matched")
	}
	// Malformed stored hashes just don't match.
	if _, ok := MatchSecret("one-code", []string{"", "zz", strings.ToUpper(hashes[0])}); ok {
		t.Error("matched a malformed hash")
	}
}

func TestNewAppPassword(t *testing.T) {
	seen := map[string]bool{}
	for range 100 {
		pw, id, hash := NewAppPassword()
		if !appPasswordRE.MatchString(pw) {
			t.Fatalf("app password %q has the wrong format", pw)
		}
		if id != pw[:4]+pw[5:9] {
			t.Errorf("id %q of %q", id, pw)
		}
		if hash != HashSecret(pw) {
			t.Errorf("hash of %q", pw)
		}
		if got, ok := AppPasswordID(pw); !ok || got != id {
			t.Errorf("AppPasswordID(%q) = %q, %v; want %q", pw, got, ok, id)
		}
		if seen[pw] {
			t.Fatalf("duplicate %q", pw)
		}
		seen[pw] = true
	}
}

func TestAppPasswordID(t *testing.T) {
	const canon = "abcd-efgh-ijkl-mnop-qrst-uvwx"
	for _, tc := range []struct {
		in string
		id string
		ok bool
	}{
		{canon, "abcdefgh", true},
		{"ABCDEFGHIJKLMNOPQRSTUVWX", "abcdefgh", true},
		{"abcd efgh ijkl mnop qrst uvwx", "abcdefgh", true},
		{" 2345-6723-4567-2345-6723-4567 ", "23456723", true},
		{"abcd-efgh-ijkl-mnop-qrst-uvw", "", false},   // 23
		{"abcd-efgh-ijkl-mnop-qrst-uvwxy", "", false}, // 25
		{"abcd-efgh-ijkl-mnop-qrst-uvw0", "", false},  // '0' not base32
		{"abcd-efgh-ijkl-mnop-qrst-uvw1", "", false},
		{"abcd-efgh-ijkl-mnop-qrst-uvw8", "", false},
		{"abcd_efgh_ijkl_mnop_qrst_uvwx", "", false},
		{"abcd-efgh-ijkl-mnop-qrst-uvw\u212a", "", false}, // Kelvin sign
		{"abcd-efgh-ijkl-mnop-qrst-uvw\x00", "", false},
		{"", "", false},
		{"correct horse battery staple", "", false},
		{strings.Repeat("-", 200) + "abcdefghijklmnopqrstuvwx", "", false}, // too long to be one
	} {
		id, ok := AppPasswordID(tc.in)
		if id != tc.id || ok != tc.ok {
			t.Errorf("AppPasswordID(%q) = %q, %v; want %q, %v", tc.in, id, ok, tc.id, tc.ok)
		}
	}
}

func TestNewToken(t *testing.T) {
	seen := map[string]bool{}
	for range 100 {
		tok, hash := NewToken()
		if len(tok) != 43 {
			t.Fatalf("token %q: %d chars, want 43", tok, len(tok))
		}
		raw, err := base64.RawURLEncoding.DecodeString(tok)
		if err != nil || len(raw) != 32 {
			t.Fatalf("token %q decodes to %d bytes, %v", tok, len(raw), err)
		}
		if hash != HashSecret(tok) || !hexHashRE.MatchString(hash) {
			t.Errorf("hash of %q", tok)
		}
		if _, ok := MatchSecret(tok, []string{hash}); !ok {
			t.Errorf("token %q does not match its hash", tok)
		}
		if seen[tok] {
			t.Fatalf("duplicate %q", tok)
		}
		seen[tok] = true
	}
}

func FuzzAppPasswordID(f *testing.F) {
	f.Add("abcd-efgh-ijkl-mnop-qrst-uvwx")
	f.Add("ABCDEFGHIJKLMNOPQRSTUVWX")
	f.Add("abcd-efgh-ijkl-mnop-qrst-uvw\u212a")
	f.Add("")
	f.Add(strings.Repeat("a -", 40))
	f.Fuzz(func(t *testing.T, s string) {
		id, ok := AppPasswordID(s)
		if !ok {
			if id != "" {
				t.Fatalf("not ok but id %q", id)
			}
			return
		}
		n := normaliseSecret(s)
		if len(n) != appPasswordLen || id != n[:appPasswordIDLen] {
			t.Fatalf("id %q of %q (normalised %q)", id, s, n)
		}
		for i := 0; i < len(n); i++ {
			if !strings.ContainsRune(secretAlphabet, rune(n[i])) {
				t.Fatalf("accepted %q with %q", s, n[i])
			}
		}
		// Every accepted input has a canonical form with the same ID and hash.
		var canon strings.Builder
		for i := 0; i < len(n); i += 4 {
			if i > 0 {
				canon.WriteByte('-')
			}
			canon.WriteString(n[i : i+4])
		}
		if !appPasswordRE.MatchString(canon.String()) {
			t.Fatalf("canonical %q", canon.String())
		}
		if id2, ok := AppPasswordID(canon.String()); !ok || id2 != id || HashSecret(canon.String()) != HashSecret(s) {
			t.Fatalf("canonical form of %q disagrees", s)
		}
	})
}
