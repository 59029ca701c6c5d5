package postgres

import (
	"context"
	"errors"
	"testing"
	"time"

	"almanac/storage"
)

// What one server stashes another takes, once, with its tag, before it
// expires; the values together stay within the bound, those expiring
// first dropped; a new value replaces its key's.
func TestStash(t *testing.T) {
	a, b := twoStores(t)
	ctx := context.Background()
	now := time.Unix(1_800_000_000, 0)
	ttl := 15 * time.Minute
	put := func(s *Store, key, tag, value string, at time.Time) {
		t.Helper()
		if err := s.PutStash(ctx, key, []byte(tag), []byte(value), at, at.Add(ttl), 10); err != nil {
			t.Fatal(err)
		}
	}
	take := func(s *Store, key, tag string, at time.Time) (string, bool) {
		t.Helper()
		v, err := s.TakeStash(ctx, key, []byte(tag), at)
		if errors.Is(err, storage.ErrNotFound) {
			return "", false
		}
		if err != nil {
			t.Fatal(err)
		}
		return string(v), true
	}

	put(a, "s1", "tok /p", "aaaa", now)
	if _, ok := take(b, "s1", "other /p", now); ok {
		t.Fatal("taken with another tag")
	}
	if _, ok := take(b, "s1", "tok /p", now.Add(ttl)); ok {
		t.Fatal("taken once expired")
	}
	if v, ok := take(b, "s1", "tok /p", now); !ok || v != "aaaa" {
		t.Fatalf("take through the other server: %q %v", v, ok)
	}
	if _, ok := take(a, "s1", "tok /p", now); ok {
		t.Fatal("taken twice")
	}

	put(a, "s1", "t", "aaaa", now)
	put(b, "s2", "t", "bbbb", now.Add(time.Second))
	put(a, "s3", "t", "cccc", now.Add(2*time.Second))
	if _, ok := take(b, "s1", "t", now); ok {
		t.Error("the value expiring first was kept past the bound")
	}
	for _, k := range []string{"s2", "s3"} {
		if _, ok := take(a, k, "t", now); !ok {
			t.Errorf("%s lost its value", k)
		}
	}
	put(a, "s1", "old", "x", now)
	put(b, "s1", "new", "y", now)
	if _, ok := take(a, "s1", "old", now); ok {
		t.Error("a second value kept the first")
	}
	if v, ok := take(a, "s1", "new", now); !ok || v != "y" {
		t.Errorf("the second value: %q %v", v, ok)
	}
}
