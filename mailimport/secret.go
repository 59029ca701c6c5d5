package mailimport

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// KeySize is the size of the import key.
const KeySize = 32

// sealer seals source passwords with AES-256-GCM under the import key,
// which is not in the store: a copy of the database holds no password
// it could open.
type sealer struct {
	aead cipher.AEAD
}

func newSealer(key []byte) (*sealer, error) {
	if len(key) != KeySize {
		return nil, fmt.Errorf("mailimport: import key must be %d bytes, got %d", KeySize, len(key))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("mailimport: import key: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("mailimport: import key: %w", err)
	}
	return &sealer{aead: aead}, nil
}

// additional binds a sealed password to its job and source, so that one
// moved into another record does not open.
func additional(job string, source int) []byte {
	return []byte("almanac import password v1\x00" + job + "\x00" + strconv.Itoa(source))
}

// seal returns nonce and ciphertext of password.
func (s *sealer) seal(job string, source int, password string) []byte {
	nonce := make([]byte, s.aead.NonceSize(), s.aead.NonceSize()+len(password)+s.aead.Overhead())
	rand.Read(nonce)
	return s.aead.Seal(nonce, nonce, []byte(password), additional(job, source))
}

var errSealed = errors.New("mailimport: the sealed password does not open with this import key")

func (s *sealer) open(job string, source int, sealed []byte) (string, error) {
	n := s.aead.NonceSize()
	if len(sealed) < n {
		return "", errSealed
	}
	pw, err := s.aead.Open(nil, sealed[:n], sealed[n:], additional(job, source))
	if err != nil {
		return "", errSealed
	}
	return string(pw), nil
}

// LoadKey reads the import key from path, creating it with a fresh
// random key (mode 0600) when it does not exist, as the link key is.
// Losing it only costs the jobs running at that moment: they end asking
// for the import to be started again.
func LoadKey(path string) ([]byte, error) {
	key, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		key = make([]byte, KeySize)
		rand.Read(key)
		if err := createSecretFile(path, key); err != nil {
			return nil, fmt.Errorf("mailimport: create import key: %w", err)
		}
		return key, nil
	}
	if err != nil {
		return nil, fmt.Errorf("mailimport: read import key: %w", err)
	}
	if len(key) != KeySize {
		return nil, fmt.Errorf("mailimport: import key %s is %d bytes, want %d", path, len(key), KeySize)
	}
	return key, nil
}

// maxMasterSecret bounds the master secret file: a password is a line.
const maxMasterSecret = 1024

// LoadMasterSecret reads the password of Dovecot's master user from
// path: its first line, without surrounding spaces. A missing file is
// created with a random secret (mode 0600), which the operator then
// hashes into Dovecot's master user file (README).
func LoadMasterSecret(path string) (string, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		raw := make([]byte, 24)
		rand.Read(raw)
		secret := base64.RawURLEncoding.EncodeToString(raw)
		if err := createSecretFile(path, []byte(secret+"\n")); err != nil {
			return "", fmt.Errorf("mailimport: create master secret: %w", err)
		}
		return secret, nil
	}
	if err != nil {
		return "", fmt.Errorf("mailimport: read master secret: %w", err)
	}
	if len(b) > maxMasterSecret {
		return "", fmt.Errorf("mailimport: master secret %s is longer than %d bytes", path, maxMasterSecret)
	}
	line, _, _ := strings.Cut(string(b), "\n")
	secret := strings.TrimSpace(line)
	if secret == "" {
		return "", fmt.Errorf("mailimport: master secret %s is empty", path)
	}
	return secret, nil
}

// createSecretFile writes data to a new file at path, mode 0600, making
// its directory (0700) when missing; a partial file is removed.
func createSecretFile(path string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	_, werr := f.Write(data)
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr != nil {
		os.Remove(path)
		return werr
	}
	return nil
}
