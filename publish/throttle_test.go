package publish_test

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"almanac/auth"
	"almanac/publish"
	"almanac/server/servertest"
	"almanac/sharing"
	"almanac/storage"
)

// downThrottle is a shared failure store that is unreachable.
type downThrottle struct{}

var errDown = errors.New("database away at 10.0.0.5")

func (downThrottle) ReserveAttempt(context.Context, storage.ThrottleRule, []byte, time.Time) (int64, time.Duration, error) {
	return 0, 0, errDown
}

func (downThrottle) ReleaseAttempt(context.Context, storage.ThrottleRule, []byte, int64, time.Time, bool) (bool, error) {
	return false, errDown
}

func (downThrottle) RecordFailure(context.Context, storage.ThrottleRule, []byte, time.Time) (bool, error) {
	return false, errDown
}

func (downThrottle) ThrottleWait(context.Context, time.Time, ...storage.ThrottleKey) ([]time.Duration, error) {
	return nil, errDown
}

// An unknown token whose guess cannot be counted (the shared store is
// away) is a 500 with a generic body: neither a 404 that lets guessing
// go on uncounted, nor the store's error text.
func TestGuessesUncountable(t *testing.T) {
	store := servertest.Store(t)
	keys, err := sharing.NewKeyring(bytes.Repeat([]byte{5}, sharing.KeySize))
	if err != nil {
		t.Fatal(err)
	}
	guard := auth.New(store, auth.Options{Throttle: downThrottle{}}).Guard()
	h := publish.NewHandler(store, keys, publish.Options{Guard: guard})
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/ics/never-issued", nil))
	if rec.Code != http.StatusInternalServerError || strings.Contains(rec.Body.String(), "10.0.0.5") {
		t.Errorf("%d %q; want 500 without the error", rec.Code, rec.Body)
	}
}
