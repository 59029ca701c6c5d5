package auth

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/binary"
	"sync"
	"time"
)

const (
	defaultCacheTTL  = 10 * time.Minute
	defaultCacheSize = 10_000
)

// credKey identifies one (login, password) pair without containing either:
// an HMAC under a key that lives only in this process, so a heap dump
// yields nothing that can be tested offline faster than argon2 allows.
type credKey [sha256.Size]byte

type keyer struct{ secret [32]byte }

func newKeyer() keyer {
	var k keyer
	rand.Read(k.secret[:])
	return k
}

// key is unambiguous because no login with control characters (and so
// NUL) gets this far: parseBasic and plausibleLogin refuse them, and
// stored logins are e-mail addresses.
func (k keyer) key(login, pw string) credKey {
	m := hmac.New(sha256.New, k.secret[:])
	m.Write([]byte(login))
	m.Write([]byte{0})
	m.Write([]byte(pw))
	var out credKey
	m.Sum(out[:0])
	return out
}

// tuple keys a sequence of strings, each length-prefixed so that no two
// sequences share an encoding whatever bytes they hold. It serves the
// known-device table, which has a keyer of its own.
func (k keyer) tuple(parts ...string) credKey {
	m := hmac.New(sha256.New, k.secret[:])
	var n [4]byte
	for _, p := range parts {
		binary.BigEndian.PutUint32(n[:], uint32(len(p)))
		m.Write(n[:])
		m.Write([]byte(p))
	}
	var out credKey
	m.Sum(out[:0])
	return out
}

// credCache remembers successful verifications so that a client syncing a
// calendar (one Basic-authenticated request per object) pays argon2 once
// per TTL instead of once per request.
//
// An entry is bound to the account ID and the PasswordHash it was checked
// against, and a hit requires both to equal the freshly looked-up
// account: changing the password, or deleting the account and creating
// another under the same login, invalidates it on the next request
// without any hook into the account code. The TTL is fixed from the
// verification, not sliding, so a credential is re-proven periodically.
type credCache struct {
	mu        sync.Mutex
	ttl       int64
	max       int
	m         map[credKey]cacheEntry
	lastSweep int64
}

type cacheEntry struct {
	id, hash string
	expires  int64 // unix ns
}

func newCredCache(ttl time.Duration, size int) *credCache {
	if ttl < 0 || size < 0 {
		return nil
	}
	if ttl == 0 {
		ttl = defaultCacheTTL
	}
	if size == 0 {
		size = defaultCacheSize
	}
	return &credCache{ttl: int64(ttl), max: size, m: make(map[credKey]cacheEntry)}
}

func (c *credCache) hit(k credKey, id, hash string, now time.Time) bool {
	if c == nil {
		return false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[k]
	if !ok {
		return false
	}
	if now.UnixNano() >= e.expires || e.id != id ||
		subtle.ConstantTimeCompare([]byte(e.hash), []byte(hash)) != 1 {
		delete(c.m, k)
		return false
	}
	return true
}

func (c *credCache) put(k credKey, id, hash string, now time.Time) {
	if c == nil {
		return
	}
	n := now.UnixNano()
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.m[k]; !ok && len(c.m) >= c.max {
		// Sweeping is O(n), so do it at most once a minute; otherwise drop
		// an arbitrary entry (map order is randomised). Losing one only
		// costs its owner one more argon2 run.
		if n-c.lastSweep >= int64(time.Minute) {
			c.lastSweep = n
			for key, e := range c.m {
				if n >= e.expires {
					delete(c.m, key)
				}
			}
		}
		for key := range c.m {
			if len(c.m) < c.max {
				break
			}
			delete(c.m, key)
		}
	}
	c.m[k] = cacheEntry{id: id, hash: hash, expires: n + c.ttl}
}

func (c *credCache) len() int {
	if c == nil {
		return 0
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.m)
}
