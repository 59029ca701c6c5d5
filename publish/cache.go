package publish

import (
	"bytes"
	"compress/gzip"
	"container/list"
	"sync"
	"sync/atomic"
)

// entry is one rendered feed: the bytes of one link at one collection
// state (and window day), with its variants made on first use.
type entry struct {
	key  string
	tag  string // ETag base: a hash of the link version and the content
	body []byte
	size atomic.Int64 // bytes held, variants included

	mu       sync.Mutex
	variants map[string][]byte // "gzip", "json", "json+gzip"
}

// variant returns the body in form kind, making it once; added is the
// size it adds to the entry (0 when it existed).
func (e *entry) variant(kind string, make func() ([]byte, error)) (v []byte, added int64, err error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if v, ok := e.variants[kind]; ok {
		return v, 0, nil
	}
	if v, err = make(); err != nil {
		return nil, 0, err
	}
	if e.variants == nil {
		e.variants = map[string][]byte{}
	}
	e.variants[kind] = v
	e.size.Add(int64(len(v)))
	return v, int64(len(v)), nil
}

func gzipped(b []byte) ([]byte, error) {
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.DefaultCompression)
	if _, err := zw.Write(b); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// cache keeps rendered feeds, least recently used first out, within a
// byte budget.
type cache struct {
	mu    sync.Mutex
	max   int64
	used  int64
	lru   *list.List // of *entry, most recent in front
	byKey map[string]*list.Element
	calls map[string]*call
}

// call is a render in progress, which concurrent requests for the same
// key wait for instead of rendering again.
type call struct {
	done chan struct{}
	e    *entry
	err  error
}

func newCache(max int64) *cache {
	return &cache{max: max, lru: list.New(), byKey: map[string]*list.Element{}, calls: map[string]*call{}}
}

// get returns the entry for key, rendering it with render once however
// many requests ask at the same time.
func (c *cache) get(key string, render func() (*entry, error)) (*entry, error) {
	c.mu.Lock()
	if el, ok := c.byKey[key]; ok {
		c.lru.MoveToFront(el)
		c.mu.Unlock()
		return el.Value.(*entry), nil
	}
	if cl, ok := c.calls[key]; ok {
		c.mu.Unlock()
		<-cl.done
		return cl.e, cl.err
	}
	cl := &call{done: make(chan struct{})}
	c.calls[key] = cl
	c.mu.Unlock()

	cl.e, cl.err = render()
	c.mu.Lock()
	delete(c.calls, key)
	if cl.err == nil {
		cl.e.key = key
		cl.e.size.Store(int64(len(cl.e.body)))
		c.byKey[key] = c.lru.PushFront(cl.e)
		c.used += cl.e.size.Load()
		c.evict()
	}
	c.mu.Unlock()
	close(cl.done)
	return cl.e, cl.err
}

// grew accounts for a variant of added bytes made after e was stored.
func (c *cache) grew(e *entry, added int64) {
	if added == 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.byKey[e.key]; ok {
		c.used += added
		c.evict()
	}
}

// forget drops the entries whose keys start with keyPrefix (those of a
// revoked or rotated link).
func (c *cache) forget(keyPrefix string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for key, el := range c.byKey {
		if len(key) >= len(keyPrefix) && key[:len(keyPrefix)] == keyPrefix {
			c.remove(el)
		}
	}
}

func (c *cache) evict() {
	for c.used > c.max && c.lru.Len() > 1 {
		c.remove(c.lru.Back())
	}
}

func (c *cache) remove(el *list.Element) {
	e := el.Value.(*entry)
	c.lru.Remove(el)
	delete(c.byKey, e.key)
	c.used -= e.size.Load()
}
