package sharing

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// idBytes is the size of a link ID: 128 bits from crypto/rand, the
// entropy of the token as well.
const idBytes = 16

// macBytes is the size of the key-derived half of a token.
const macBytes = 16

// TokenLen is the length of a token: base64url of ID and MAC, 43
// characters, so a feed URL stays far under the 256 characters Google
// Calendar accepts.
var TokenLen = base64.RawURLEncoding.EncodedLen(idBytes + macBytes)

// KeySize is the size of the link key.
const KeySize = 32

// Keyring turns link IDs into feed tokens and back. A token is the ID
// followed by an HMAC-SHA256 of it under a key that is not in the
// database: the store keeps IDs only, so a copy of the database opens no
// feed, and the owner can still be shown a link's URL at any time.
type Keyring struct {
	key []byte
}

// NewKeyring returns a Keyring for key (KeySize bytes).
func NewKeyring(key []byte) (*Keyring, error) {
	if len(key) != KeySize {
		return nil, fmt.Errorf("sharing: link key must be %d bytes, got %d", KeySize, len(key))
	}
	return &Keyring{key: append([]byte(nil), key...)}, nil
}

// LoadKey reads the link key from path, creating it with a fresh random
// key (mode 0600) when it does not exist. Losing the key invalidates
// every public URL; keeping it apart from the database (another
// directory, a secrets mount) keeps a stolen database useless for feeds.
func LoadKey(path string) (*Keyring, error) {
	key, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		key = make([]byte, KeySize)
		rand.Read(key)
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return nil, fmt.Errorf("sharing: create link key: %w", err)
		}
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			return nil, fmt.Errorf("sharing: create link key: %w", err)
		}
		_, werr := f.Write(key)
		if cerr := f.Close(); werr == nil {
			werr = cerr
		}
		if werr != nil {
			os.Remove(path)
			return nil, fmt.Errorf("sharing: write link key: %w", werr)
		}
	} else if err != nil {
		return nil, fmt.Errorf("sharing: read link key: %w", err)
	}
	return NewKeyring(key)
}

// NewLinkID returns a fresh random link ID.
func NewLinkID() string {
	b := make([]byte, idBytes)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func (k *Keyring) mac(id []byte) []byte {
	m := hmac.New(sha256.New, k.key)
	m.Write([]byte("almanac public link v1\x00"))
	m.Write(id)
	return m.Sum(nil)[:macBytes]
}

// Token returns the token of link id, "" for an ID NewLinkID did not make.
func (k *Keyring) Token(id string) string {
	raw, err := base64.RawURLEncoding.Strict().DecodeString(id)
	if err != nil || len(raw) != idBytes {
		return ""
	}
	return base64.RawURLEncoding.EncodeToString(append(raw, k.mac(raw)...))
}

// LinkID returns the link ID a token carries when its MAC is right. A
// token that fails here was never issued (a guess or a typo); a token
// that passes names a link that exists or existed.
func (k *Keyring) LinkID(token string) (string, bool) {
	if len(token) != TokenLen {
		return "", false
	}
	// Strict: the spare bits of the last character must be zero, so one
	// link has exactly one token spelling.
	raw, err := base64.RawURLEncoding.Strict().DecodeString(token)
	if err != nil || len(raw) != idBytes+macBytes {
		return "", false
	}
	id, mac := raw[:idBytes], raw[idBytes:]
	if subtle.ConstantTimeCompare(mac, k.mac(id)) != 1 {
		return "", false
	}
	return base64.RawURLEncoding.EncodeToString(id), true
}

// Mask returns a token as logs may show it: the first four characters.
func Mask(token string) string {
	if len(token) <= 4 {
		return "…"
	}
	return token[:4] + "…"
}
