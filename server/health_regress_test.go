package server_test

import (
	"context"
	"encoding/json"
	"maps"
	"strings"
	"sync/atomic"
	"testing"

	"almanac/server"
	"almanac/server/servertest"
	"almanac/storage"
)

// unreadableStore fails every account lookup, as a store whose file has
// gone bad would.
type unreadableStore struct{ storage.Store }

func (unreadableStore) Account(context.Context, string) (*storage.Account, error) {
	return nil, errDiskOnFire
}

type health struct {
	Status string            `json:"status"`
	Checks map[string]string `json:"checks"`
}

func getHealth(t *testing.T, env *servertest.Env, path string) (int, health) {
	t.Helper()
	rec := env.Do("GET", path, "", "")
	var h health
	if err := json.Unmarshal(rec.Body.Bytes(), &h); err != nil {
		t.Fatalf("%s: %d %q: %v", path, rec.Code, rec.Body, err)
	}
	if strings.Contains(rec.Body.String(), errDiskOnFire.Error()) {
		t.Errorf("%s sends the internal error: %s", path, rec.Body)
	}
	return rec.Code, h
}

// TestHealthzAndReadyz: /healthz says the process serves, whatever the
// database; /readyz runs the readiness checks, the database's and those
// registered with AddReadyCheck, and answers 503 naming the failing ones
// (their errors are logged, not sent).
func TestHealthzAndReadyz(t *testing.T) {
	env := servertest.New(t)
	if code, h := getHealth(t, env, "/healthz"); code != 200 || h.Status != "ok" {
		t.Errorf("healthz: %d %+v", code, h)
	}
	if code, h := getHealth(t, env, "/readyz"); code != 200 || h.Status != "ok" || !maps.Equal(h.Checks, map[string]string{"database": "ok"}) {
		t.Errorf("readyz: %d %+v", code, h)
	}
	var failing atomic.Bool
	env.Server.AddReadyCheck("mail-export", func(context.Context) error {
		if failing.Load() {
			return errDiskOnFire
		}
		return nil
	})
	failing.Store(true)
	if code, h := getHealth(t, env, "/readyz"); code != 503 || h.Status != "unavailable" ||
		!maps.Equal(h.Checks, map[string]string{"database": "ok", "mail-export": "failing"}) {
		t.Errorf("readyz with a failing check: %d %+v", code, h)
	}
	if !strings.Contains(env.Logs.String(), "check=mail-export err="+`"`+errDiskOnFire.Error()) {
		t.Errorf("the failure is not logged:\n%s", env.Logs)
	}
	failing.Store(false)
	if code, _ := getHealth(t, env, "/readyz"); code != 200 {
		t.Errorf("readyz once the check passes again: %d", code)
	}

	broken := servertest.New(t, func(c *server.Config) { c.Store = unreadableStore{c.Store} })
	if code, h := getHealth(t, broken, "/healthz"); code != 200 || h.Status != "ok" {
		t.Errorf("healthz with an unreadable database: %d %+v", code, h)
	}
	if code, h := getHealth(t, broken, "/readyz"); code != 503 || !maps.Equal(h.Checks, map[string]string{"database": "failing"}) {
		t.Errorf("readyz with an unreadable database: %d %+v", code, h)
	}
	if !strings.Contains(broken.Logs.String(), "check=database") {
		t.Errorf("the database failure is not logged:\n%s", broken.Logs)
	}
}

// TestReadyzMethods: /readyz answers GET and HEAD, OPTIONS with its
// Allow, and 405 to the rest, like /healthz.
func TestReadyzMethods(t *testing.T) {
	env := servertest.New(t)
	for _, tc := range []struct {
		method string
		status int
	}{{"GET", 200}, {"HEAD", 200}, {"OPTIONS", 204}, {"POST", 405}, {"PROPFIND", 405}} {
		rec := env.Do(tc.method, "/readyz", "", "")
		if rec.Code != tc.status || (tc.status != 200 && rec.Header().Get("Allow") != "OPTIONS, GET, HEAD") {
			t.Errorf("%s /readyz: %d Allow %q", tc.method, rec.Code, rec.Header().Get("Allow"))
		}
	}
}
