package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"strings"
)

// secretAlphabet is RFC 4648 base32 in lower case, the alphabet of
// recovery codes and app passwords: no 0/1/8/9, so nothing reads as O, I,
// l, B or g. (The same as passwordAlphabet, kept separate so the two
// formats can evolve independently.)
const secretAlphabet = "abcdefghijklmnopqrstuvwxyz234567"

// Recovery codes are 10 base32 characters (50 bits) shown as
// "xxxx-xxxx-xx". They are single-use and only reachable behind the
// password and the login throttle, so 50 bits is ample online; offline,
// against a leaked SHA-256, they are weaker than app passwords, which is
// why they only replace the second factor, not the password.
//
// App passwords are 24 characters (120 bits) as "xxxx-xxxx-xxxx-xxxx-
// xxxx-xxxx". Their first 8 normalised characters are a lookup ID that is
// stored in the clear, leaving 80 unknown bits against an offline attack
// on a leaked (ID, SHA-256) pair: about 2^80 hashes per password.
//
// Tokens (sessions, password resets) are 32 random bytes in base64url.
// HashSecret folds case and drops '-', which leaves well over 200 of
// their 256 bits.
const (
	recoveryCodeLen  = 10
	appPasswordLen   = 24
	appPasswordIDLen = 8
	appPasswordMax   = 128 // longer input cannot be an app password, whatever its spacing
	tokenBytes       = 32
)

// NewRecoveryCodes returns n single-use 2FA recovery codes ("xxxx-xxxx-xx",
// 10 chars of lower-case base32, 50 bits) and their hashes (HashSecret), in
// the same order. n <= 0 gives none.
func NewRecoveryCodes(n int) (codes, hashes []string) {
	if n <= 0 {
		return nil, nil
	}
	codes = make([]string, n)
	hashes = make([]string, n)
	for i := range codes {
		raw := randomSecretChars(recoveryCodeLen)
		codes[i] = string(raw[:4]) + "-" + string(raw[4:8]) + "-" + string(raw[8:])
		hashes[i] = HashSecret(codes[i])
	}
	return codes, hashes
}

// HashSecret hashes a high-entropy secret (recovery code, app password,
// session or reset token) with SHA-256, hex, after normalising: ASCII
// letters lower-cased, '-' and ' ' removed, everything else kept as is.
// These secrets are random, so a fast hash suffices (unlike user
// passwords, which go through argon2id).
//
// Only ASCII is folded: strings.ToLower would also map, say, the Kelvin
// sign to 'k', giving one code several spellings.
func HashSecret(s string) string {
	sum := sha256.Sum256([]byte(normaliseSecret(s)))
	return hex.EncodeToString(sum[:])
}

// MatchSecret reports whether s matches one of hashes (as HashSecret
// writes them), returning the index of the first match. Every candidate is
// compared in constant time and the loop does not stop early. A secret
// that normalises to nothing matches nothing.
func MatchSecret(s string, hashes []string) (int, bool) {
	n := normaliseSecret(s)
	if n == "" {
		return -1, false
	}
	sum := sha256.Sum256([]byte(n))
	var got [sha256.Size * 2]byte
	hex.Encode(got[:], sum[:])
	idx := -1
	for i, h := range hashes {
		if subtle.ConstantTimeCompare(got[:], []byte(h)) == 1 && idx < 0 {
			idx = i
		}
	}
	return idx, idx >= 0
}

// NewAppPassword returns an app password "xxxx-xxxx-xxxx-xxxx-xxxx-xxxx"
// (24 chars of lower-case base32 = 120 bits), its lookup ID (the first 8
// characters), and HashSecret of it. Store the ID and the hash; show the
// password once.
func NewAppPassword() (password, id, hash string) {
	raw := randomSecretChars(appPasswordLen)
	var b strings.Builder
	b.Grow(appPasswordLen + appPasswordLen/4 - 1)
	for i, c := range raw {
		if i > 0 && i%4 == 0 {
			b.WriteByte('-')
		}
		b.WriteByte(c)
	}
	password = b.String()
	return password, string(raw[:appPasswordIDLen]), HashSecret(password)
}

// AppPasswordID returns the lookup ID of something that may be an app
// password: once normalised as HashSecret does, 24 base32 characters give
// their first 8; anything else gives ok false. Any grouping is accepted
// ("ABCD EFGH-..." as well as the canonical form).
func AppPasswordID(s string) (id string, ok bool) {
	if len(s) > appPasswordMax {
		return "", false
	}
	n := normaliseSecret(s)
	if len(n) != appPasswordLen {
		return "", false
	}
	for i := 0; i < len(n); i++ {
		if strings.IndexByte(secretAlphabet, n[i]) < 0 {
			return "", false
		}
	}
	return n[:appPasswordIDLen], true
}

// NewToken returns a random URL-safe token (256 bits, base64url without
// padding: 43 characters) and its HashSecret.
func NewToken() (token, hash string) {
	var raw [tokenBytes]byte
	rand.Read(raw[:]) // never fails since Go 1.24
	token = base64.RawURLEncoding.EncodeToString(raw[:])
	return token, HashSecret(token)
}

// randomSecretChars returns n uniformly random characters of
// secretAlphabet. 256 is a multiple of 32, so the low five bits of a
// random byte are uniform.
func randomSecretChars(n int) []byte {
	b := make([]byte, n)
	rand.Read(b)
	for i := range b {
		b[i] = secretAlphabet[b[i]&31]
	}
	return b
}

// normaliseSecret lower-cases ASCII letters and drops '-' and ' '.
func normaliseSecret(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '-' || c == ' ':
		case c >= 'A' && c <= 'Z':
			b.WriteByte(c + 'a' - 'A')
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}
