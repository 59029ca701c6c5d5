package auth

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/crypto/argon2"
)

// Errors returned by the password functions. Their text never contains
// the password or any part of the encoded hash, so callers may log them.
var (
	ErrEmptyPassword    = errors.New("auth: empty password")
	ErrPasswordTooLong  = errors.New("auth: password too long")
	ErrInvalidHash      = errors.New("auth: invalid password hash")
	errUnsupportedHash  = fmt.Errorf("%w: unsupported algorithm", ErrInvalidHash)
	errUnsupportedParam = fmt.Errorf("%w: unsupported parameters", ErrInvalidHash)
)

// MaxPasswordLen bounds what we hash. Nobody types more, and an unbounded
// input would let one request feed megabytes into BLAKE2b before argon2
// even starts.
const MaxPasswordLen = 4096

// argonParams are the tunables stored in every PHC string. They are read
// back from the string on verification, so raising the defaults later
// keeps old hashes valid.
type argonParams struct {
	memory  uint32 // KiB
	time    uint32 // passes
	threads uint8
	saltLen int
	keyLen  int
}

// defaultParams is the first OWASP Password Storage Cheat Sheet option for
// argon2id (m=19 MiB, t=2, p=1). RFC 9106 section 4 recommends 2 GiB (or
// 64 MiB) with t=1..3, but every DAV request that misses the credential
// cache pays this cost, and a few hundred concurrent logins at 64 MiB each
// would exhaust a small server. 19 MiB, t=2 is ~30 ms on current hardware
// and still far beyond what GPU crackers like.
var defaultParams = argonParams{memory: 19 * 1024, time: 2, threads: 1, saltLen: 16, keyLen: 32}

// Bounds on parameters read from a stored hash. Stored hashes are trusted
// input, but a corrupted or hostile value must not make one login request
// allocate gigabytes or spin for minutes, nor panic argon2 (which it does
// for t=0 or p=0).
const (
	maxMemory  = 1 << 22 // KiB = 4 GiB
	maxTime    = 64
	minSaltLen = 8 // RFC 9106 section 3.1
	maxSaltLen = 64
	minKeyLen  = 4 // RFC 9106 section 3.1
	maxKeyLen  = 128
)

// b64 is the PHC string format's base64: standard alphabet, no padding.
// Strict rejects non-zero trailing bits, so each hash has one encoding.
var b64 = base64.RawStdEncoding.Strict()

// HashPassword returns pw hashed with argon2id under a fresh random salt,
// as a PHC string ("$argon2id$v=19$m=19456,t=2,p=1$salt$hash"), the form
// Dovecot, libsodium and the reference implementation read and write.
func HashPassword(pw string) (string, error) {
	return hashWithParams(pw, defaultParams)
}

func hashWithParams(pw string, p argonParams) (string, error) {
	if pw == "" {
		return "", ErrEmptyPassword
	}
	if len(pw) > MaxPasswordLen {
		return "", ErrPasswordTooLong
	}
	salt := make([]byte, p.saltLen)
	rand.Read(salt) // never fails since Go 1.24; it crashes the program instead
	key := argon2.IDKey([]byte(pw), salt, p.time, p.memory, p.threads, uint32(p.keyLen))
	return encodePHC(p, salt, key), nil
}

func encodePHC(p argonParams, salt, key []byte) string {
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, p.memory, p.time, p.threads, b64.EncodeToString(salt), b64.EncodeToString(key))
}

// VerifyPassword reports whether pw matches the PHC-encoded argon2id hash.
// A malformed or unsupported hash is an error wrapping ErrInvalidHash, not
// a mismatch, so that a broken account record shows up in the logs instead
// of looking like a user who forgot their password.
func VerifyPassword(encoded, pw string) (bool, error) {
	p, salt, want, err := parsePHC(encoded)
	if err != nil {
		return false, err
	}
	if len(pw) > MaxPasswordLen {
		return false, nil
	}
	got := argon2.IDKey([]byte(pw), salt, p.time, p.memory, p.threads, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}

// parsePHC decodes "$argon2id$v=19$m=M,t=T,p=P$salt$hash". It is strict —
// one canonical spelling per hash — because the strings are ours and
// leniency in a security parser only widens what a fuzzer can reach.
func parsePHC(s string) (argonParams, []byte, []byte, error) {
	var p argonParams
	for i := 0; i < len(s); i++ {
		// base64 decoders skip CR and LF; refuse them (and anything else
		// unprintable) here so they cannot hide inside a field.
		if s[i] <= ' ' || s[i] >= 0x7f {
			return p, nil, nil, fmt.Errorf("%w: unexpected character", ErrInvalidHash)
		}
	}
	parts := strings.Split(s, "$")
	if len(parts) < 2 || parts[0] != "" {
		return p, nil, nil, fmt.Errorf("%w: not a PHC string", ErrInvalidHash)
	}
	if parts[1] != "argon2id" {
		return p, nil, nil, errUnsupportedHash
	}
	if len(parts) != 6 {
		return p, nil, nil, fmt.Errorf("%w: want 5 fields", ErrInvalidHash)
	}
	v, ok := strings.CutPrefix(parts[2], "v=")
	if !ok {
		// A missing version means argon2 1.0, which x/crypto cannot compute.
		return p, nil, nil, fmt.Errorf("%w: missing version", ErrInvalidHash)
	}
	if n, err := parseDecimal(v, 32); err != nil || n != argon2.Version {
		return p, nil, nil, fmt.Errorf("%w: unsupported version", ErrInvalidHash)
	}
	kv := strings.Split(parts[3], ",")
	if len(kv) != 3 {
		return p, nil, nil, errUnsupportedParam
	}
	// PHC fixes the parameter order; argon2 writes m, t, p.
	var vals [3]uint64
	for i, name := range [3]string{"m=", "t=", "p="} {
		raw, ok := strings.CutPrefix(kv[i], name)
		if !ok {
			return p, nil, nil, errUnsupportedParam
		}
		n, err := parseDecimal(raw, 32)
		if err != nil {
			return p, nil, nil, fmt.Errorf("%w: parameter %s", ErrInvalidHash, name[:1])
		}
		vals[i] = n
	}
	m, t, par := vals[0], vals[1], vals[2]
	switch {
	case par < 1 || par > 255:
		return p, nil, nil, fmt.Errorf("%w: parallelism out of range", ErrInvalidHash)
	case t < 1 || t > maxTime:
		return p, nil, nil, fmt.Errorf("%w: time cost out of range", ErrInvalidHash)
	case m < 8*par || m > maxMemory:
		// RFC 9106 section 3.1: memory is at least 8*p KiB.
		return p, nil, nil, fmt.Errorf("%w: memory cost out of range", ErrInvalidHash)
	}
	salt, err := b64.DecodeString(parts[4])
	if err != nil || len(salt) < minSaltLen || len(salt) > maxSaltLen {
		return p, nil, nil, fmt.Errorf("%w: bad salt", ErrInvalidHash)
	}
	key, err := b64.DecodeString(parts[5])
	if err != nil || len(key) < minKeyLen || len(key) > maxKeyLen {
		return p, nil, nil, fmt.Errorf("%w: bad hash", ErrInvalidHash)
	}
	p = argonParams{memory: uint32(m), time: uint32(t), threads: uint8(par), saltLen: len(salt), keyLen: len(key)}
	return p, salt, key, nil
}

// parseDecimal accepts PHC decimals: digits only, no sign, no leading zero.
func parseDecimal(s string, bits int) (uint64, error) {
	if s == "" || (len(s) > 1 && s[0] == '0') || s[0] == '+' {
		return 0, strconv.ErrSyntax
	}
	return strconv.ParseUint(s, 10, bits)
}

// passwordAlphabet is RFC 4648 base32 in lower case: no 0/1/8/9, so
// nothing reads as O, I, l, B or g, and lower case is quick to type on a
// phone keyboard.
const passwordAlphabet = "abcdefghijklmnopqrstuvwxyz234567"

// Generated passwords are 4 groups of 7 base32 characters: 28 × 5 = 140
// bits of entropy, above the 128 an offline attack on a leaked hash would
// need to stay out of reach regardless of the hash cost.
const (
	genGroups   = 4
	genGroupLen = 7
)

// GeneratePassword returns a random password such as
// "k3jd7qa-m2xv5rt-a7cpq4w-zz4hb6e" for app passwords and initial
// accounts.
func GeneratePassword() string {
	var raw [genGroups * genGroupLen]byte
	rand.Read(raw[:])
	var b strings.Builder
	b.Grow(genGroups*genGroupLen + genGroups - 1)
	for i, c := range raw {
		if i > 0 && i%genGroupLen == 0 {
			b.WriteByte('-')
		}
		// 256 is a multiple of 32, so the low five bits are uniform.
		b.WriteByte(passwordAlphabet[c&31])
	}
	return b.String()
}
