package auth

import (
	"encoding/base64"
	"errors"
	"regexp"
	"strings"
	"testing"

	"golang.org/x/crypto/argon2"
)

func TestHashPassword_Format(t *testing.T) {
	h, err := HashPassword("correct horse battery staple")
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile(`^\$argon2id\$v=19\$m=19456,t=2,p=1\$([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)$`)
	m := re.FindStringSubmatch(h)
	if m == nil {
		t.Fatalf("hash %q is not the expected PHC form", h)
	}
	salt, err := base64.RawStdEncoding.DecodeString(m[1])
	if err != nil || len(salt) != 16 {
		t.Errorf("salt: %d bytes, err %v; want 16", len(salt), err)
	}
	key, err := base64.RawStdEncoding.DecodeString(m[2])
	if err != nil || len(key) != 32 {
		t.Errorf("key: %d bytes, err %v; want 32", len(key), err)
	}
	ok, err := VerifyPassword(h, "correct horse battery staple")
	if err != nil || !ok {
		t.Errorf("VerifyPassword(own hash) = %v, %v; want true, nil", ok, err)
	}
	h2, _ := HashPassword("correct horse battery staple")
	if h2 == h {
		t.Error("two hashes of one password are equal: salt is not random")
	}
}

func TestHashPassword_Rejects(t *testing.T) {
	for _, tc := range []struct {
		name string
		pw   string
		want error
	}{
		{"empty", "", ErrEmptyPassword},
		{"too long", strings.Repeat("x", MaxPasswordLen+1), ErrPasswordTooLong},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h, err := HashPassword(tc.pw)
			if !errors.Is(err, tc.want) || h != "" {
				t.Errorf("HashPassword = %q, %v; want \"\", %v", h, err, tc.want)
			}
		})
	}
}

func TestVerifyPassword_RoundTrip(t *testing.T) {
	for _, pw := range []string{
		"a",
		"hunter2",
		"pass:with:colons",
		"pässwörd ✓ 日本語",
		" leading and trailing ",
		strings.Repeat("long", MaxPasswordLen/4),
	} {
		h := cheapHash(t, pw)
		for _, tc := range []struct {
			name string
			try  string
			want bool
		}{
			{"same", pw, true},
			{"wrong", pw + "x", false},
			{"prefix", pw[:len(pw)-1], false},
			{"empty", "", false},
			{"case", strings.ToUpper(pw), strings.ToUpper(pw) == pw},
		} {
			ok, err := VerifyPassword(h, tc.try)
			if err != nil || ok != tc.want {
				t.Errorf("pw %.20q, %s: VerifyPassword = %v, %v; want %v", pw, tc.name, ok, err, tc.want)
			}
		}
	}
}

// The reference implementation's argon2id test vectors (phc-winner-argon2
// src/test.c): a hash written by libargon2, and so by Dovecot or
// libsodium, verifies here, with the parameters taken from the string.
func TestVerifyPassword_ReferenceVectors(t *testing.T) {
	for _, tc := range []struct {
		encoded, pw string
		want        bool
	}{
		{"$argon2id$v=19$m=256,t=2,p=1$c29tZXNhbHQ$nf65EOgLrQMR/uIPnA4rEsF5h7TKyQwu9U1bMCHGi/4", "password", true},
		{"$argon2id$v=19$m=256,t=2,p=2$c29tZXNhbHQ$bQk8UB/VmZZF4Oo79iDXuL5/0ttZwg2f/5U52iv1cDc", "password", true},
		{"$argon2id$v=19$m=256,t=2,p=1$c29tZXNhbHQ$nf65EOgLrQMR/uIPnA4rEsF5h7TKyQwu9U1bMCHGi/4", "passwore", false},
		// The p=2 hash with p=1 written in: the parameter is really used.
		{"$argon2id$v=19$m=256,t=2,p=1$c29tZXNhbHQ$bQk8UB/VmZZF4Oo79iDXuL5/0ttZwg2f/5U52iv1cDc", "password", false},
	} {
		ok, err := VerifyPassword(tc.encoded, tc.pw)
		if err != nil || ok != tc.want {
			t.Errorf("VerifyPassword(%s, %q) = %v, %v; want %v", tc.encoded, tc.pw, ok, err, tc.want)
		}
	}
}

func TestVerifyPassword_ParamsFromString(t *testing.T) {
	p := argonParams{memory: 96, time: 3, threads: 2, saltLen: 8, keyLen: 24}
	h, err := hashWithParams("s3cret", p)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=96,t=3,p=2$") {
		t.Fatalf("hash %q does not carry its parameters", h)
	}
	got, salt, key, err := parsePHC(h)
	if err != nil {
		t.Fatal(err)
	}
	if got != p {
		t.Errorf("parsed params %+v, want %+v", got, p)
	}
	// Recompute independently with the parsed salt and the intended params.
	want := argon2.IDKey([]byte("s3cret"), salt, 3, 96, 2, 24)
	if string(want) != string(key) {
		t.Error("stored key is not argon2id over the stated parameters")
	}
	if ok, err := VerifyPassword(h, "s3cret"); !ok || err != nil {
		t.Errorf("VerifyPassword = %v, %v; want true", ok, err)
	}
	for _, edited := range []string{
		strings.Replace(h, "m=96", "m=128", 1),
		strings.Replace(h, "t=3", "t=2", 1),
		strings.Replace(h, "p=2", "p=1", 1),
	} {
		if ok, err := VerifyPassword(edited, "s3cret"); ok || err != nil {
			t.Errorf("VerifyPassword(%s) = %v, %v; want false, nil", edited, ok, err)
		}
	}
}

func TestVerifyPassword_Malformed(t *testing.T) {
	const salt, key = "c29tZXNhbHQ", "nf65EOgLrQMR/uIPnA4rEsF5h7TKyQwu9U1bMCHGi/4"
	valid := "$argon2id$v=19$m=256,t=2,p=1$" + salt + "$" + key
	if ok, err := VerifyPassword(valid, "password"); !ok || err != nil {
		t.Fatalf("base case does not verify: %v %v", ok, err)
	}
	for _, tc := range []struct{ name, enc string }{
		{"empty", ""},
		{"plain text", "password"},
		{"bcrypt", "$2a$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy"},
		{"argon2i", "$argon2i$v=19$m=256,t=2,p=1$" + salt + "$" + key},
		{"argon2d", "$argon2d$v=19$m=256,t=2,p=1$" + salt + "$" + key},
		{"upper-case id", "$ARGON2ID$v=19$m=256,t=2,p=1$" + salt + "$" + key},
		{"dovecot scheme prefix", "{ARGON2ID}" + valid},
		{"no leading dollar", valid[1:]},
		{"only id", "$argon2id"},
		{"version 1.0", "$argon2id$v=16$m=256,t=2,p=1$" + salt + "$" + key},
		{"no version", "$argon2id$m=256,t=2,p=1$" + salt + "$" + key},
		{"version not numeric", "$argon2id$v=x$m=256,t=2,p=1$" + salt + "$" + key},
		{"missing salt field", "$argon2id$v=19$m=256,t=2,p=1$" + key},
		{"extra field", valid + "$" + key},
		{"trailing dollar", valid + "$"},
		{"params out of order", "$argon2id$v=19$t=2,m=256,p=1$" + salt + "$" + key},
		{"param missing", "$argon2id$v=19$m=256,t=2$" + salt + "$" + key},
		{"param duplicated", "$argon2id$v=19$m=256,t=2,p=1,p=1$" + salt + "$" + key},
		{"keyid param", "$argon2id$v=19$m=256,t=2,p=1,keyid=AAAA$" + salt + "$" + key},
		{"param no value", "$argon2id$v=19$m=,t=2,p=1$" + salt + "$" + key},
		{"param not numeric", "$argon2id$v=19$m=abc,t=2,p=1$" + salt + "$" + key},
		{"param sign", "$argon2id$v=19$m=+256,t=2,p=1$" + salt + "$" + key},
		{"param negative", "$argon2id$v=19$m=256,t=-2,p=1$" + salt + "$" + key},
		{"param leading zero", "$argon2id$v=19$m=0256,t=2,p=1$" + salt + "$" + key},
		{"param overflow", "$argon2id$v=19$m=99999999999,t=2,p=1$" + salt + "$" + key},
		{"memory huge", "$argon2id$v=19$m=4294967295,t=2,p=1$" + salt + "$" + key},
		{"memory below 8p", "$argon2id$v=19$m=15,t=2,p=2$" + salt + "$" + key},
		{"time zero", "$argon2id$v=19$m=256,t=0,p=1$" + salt + "$" + key},
		{"time huge", "$argon2id$v=19$m=256,t=1000000,p=1$" + salt + "$" + key},
		{"parallelism zero", "$argon2id$v=19$m=256,t=2,p=0$" + salt + "$" + key},
		{"parallelism 256", "$argon2id$v=19$m=4096,t=2,p=256$" + salt + "$" + key},
		{"salt empty", "$argon2id$v=19$m=256,t=2,p=1$$" + key},
		{"salt too short", "$argon2id$v=19$m=256,t=2,p=1$c29tZQ$" + key},
		{"salt bad base64", "$argon2id$v=19$m=256,t=2,p=1$c29t*XNhbHQ$" + key},
		{"salt padded", "$argon2id$v=19$m=256,t=2,p=1$" + salt + "=$" + key},
		{"salt url alphabet", "$argon2id$v=19$m=256,t=2,p=1$c29tZXNhb-_$" + key},
		{"salt non-canonical bits", "$argon2id$v=19$m=256,t=2,p=1$c29tZXNhbHR$" + key},
		{"hash empty", "$argon2id$v=19$m=256,t=2,p=1$" + salt + "$"},
		{"hash too short", "$argon2id$v=19$m=256,t=2,p=1$" + salt + "$AAAA"},
		{"hash bad base64", "$argon2id$v=19$m=256,t=2,p=1$" + salt + "$" + key[:10] + "!" + key[11:]},
		{"newline in hash", "$argon2id$v=19$m=256,t=2,p=1$" + salt + "$" + key[:10] + "\n" + key[10:]},
		{"space", "$argon2id$v=19$m=256, t=2,p=1$" + salt + "$" + key},
		{"trailing newline", valid + "\n"},
		{"non-ascii", "$argon2id$v=19$m=256,t=2,p=1$" + salt + "$" + key + "é"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ok, err := VerifyPassword(tc.enc, "password")
			if ok || !errors.Is(err, ErrInvalidHash) {
				t.Fatalf("VerifyPassword = %v, %v; want false, ErrInvalidHash", ok, err)
			}
			// Errors get logged: they must not echo the hash.
			if strings.Contains(err.Error(), salt) || strings.Contains(err.Error(), key[:12]) {
				t.Errorf("error %q contains hash material", err)
			}
		})
	}
}

func TestGeneratePassword(t *testing.T) {
	re := regexp.MustCompile(`^[a-z2-7]{7}-[a-z2-7]{7}-[a-z2-7]{7}-[a-z2-7]{7}$`)
	// 28 symbols from a 32-symbol alphabet.
	if bits := genGroups * genGroupLen * 5; bits < 128 {
		t.Fatalf("entropy %d bits < 128", bits)
	}
	if len(passwordAlphabet) != 32 {
		t.Fatalf("alphabet has %d symbols, want 32", len(passwordAlphabet))
	}
	seen := make(map[string]bool)
	used := make(map[rune]int)
	for range 2000 {
		p := GeneratePassword()
		if !re.MatchString(p) {
			t.Fatalf("GeneratePassword() = %q, not 4 groups of 7 base32", p)
		}
		if seen[p] {
			t.Fatalf("duplicate password %q", p)
		}
		seen[p] = true
		for _, r := range strings.ReplaceAll(p, "-", "") {
			used[r]++
		}
	}
	// 56000 draws: every symbol appears ~1750 times; a symbol that never
	// or rarely appears means a biased mapping (p of a false alarm is
	// astronomically small).
	for _, r := range passwordAlphabet {
		if used[r] < 1200 {
			t.Errorf("symbol %q used %d times in 56000 draws", r, used[r])
		}
	}
	p := GeneratePassword()
	h := cheapHash(t, p)
	if ok, _ := VerifyPassword(h, p); !ok {
		t.Error("a generated password does not round-trip through the hash")
	}
}

func FuzzVerifyPassword(f *testing.F) {
	for _, s := range []string{
		"$argon2id$v=19$m=256,t=2,p=1$c29tZXNhbHQ$nf65EOgLrQMR/uIPnA4rEsF5h7TKyQwu9U1bMCHGi/4",
		"$argon2id$v=19$m=16,t=1,p=2$c29tZXNhbHQ$bQk8UB/VmZZF4Oo79iDXuL5/0ttZwg2f/5U52iv1cDc",
		"$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHQ$nf65EOgLrQMR/uIPnA4rEsF5h7TKyQwu9U1bMCHGi/4",
		"$argon2id$v=19$m=8,t=1,p=1$AAAAAAAAAAA$AAAAAA",
		"$argon2i$v=19$m=256,t=2,p=1$c29tZXNhbHQ$x",
		"$argon2id$v=19$m=0,t=0,p=0$$",
		"$argon2id$$$$$",
		"",
		"$",
	} {
		f.Add(s, "password")
	}
	f.Fuzz(func(t *testing.T, enc, pw string) {
		p, salt, key, err := parsePHC(enc)
		if err != nil {
			if !errors.Is(err, ErrInvalidHash) {
				t.Fatalf("error %v does not wrap ErrInvalidHash", err)
			}
			if ok, err2 := VerifyPassword(enc, pw); ok || err2 == nil {
				t.Fatalf("VerifyPassword accepted what parsePHC refused: %v %v", ok, err2)
			}
			return
		}
		// The parser is canonical: what it accepts re-encodes to itself.
		if re := encodePHC(p, salt, key); re != enc {
			t.Fatalf("re-encoded %q, input %q", re, enc)
		}
		// Only run argon2 when it is cheap; parsing is what is fuzzed.
		if p.memory*p.time <= 1024 {
			if _, err := VerifyPassword(enc, pw); err != nil {
				t.Fatalf("VerifyPassword: %v after parse succeeded", err)
			}
		}
	})
}
