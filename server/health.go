package server

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"almanac/storage"
)

// readyTimeout bounds all of /readyz's checks together: a probe that
// hangs is as bad as one that fails, and orchestrators time out their
// probes after a few seconds.
const readyTimeout = 2 * time.Second

// readiness is what /readyz checks: the database, and what features
// register (AddReadyCheck).
type readiness struct {
	mu     sync.Mutex
	checks []readyCheck
	logger *slog.Logger
}

type readyCheck struct {
	name  string
	check func(context.Context) error
}

// AddReadyCheck makes /readyz answer 503 while check fails. name says
// what is checked ("database", "mail-export") in the answer; the error
// is logged, not sent. Checks run one after the other, under one
// deadline of 2 s, on every probe: they must be cheap.
func (s *Server) AddReadyCheck(name string, check func(context.Context) error) {
	s.ready.mu.Lock()
	defer s.ready.mu.Unlock()
	s.ready.checks = append(s.ready.checks, readyCheck{name, check})
}

// pingTimeout bounds a database server's Ping, within readyTimeout: an
// unreachable one fails the probe with time left for the other checks.
const pingTimeout = time.Second

// storeReadable is the database check: a database server's Ping
// (storage/postgres), else a lookup that cannot find anything, which
// still runs a read transaction.
func storeReadable(store storage.Store) func(context.Context) error {
	return func(ctx context.Context) error {
		if p, ok := store.(interface{ Ping(context.Context) error }); ok {
			ctx, cancel := context.WithTimeout(ctx, pingTimeout)
			defer cancel()
			return p.Ping(ctx)
		}
		if _, err := store.Account(ctx, "readyz-probe"); err != nil && !errors.Is(err, storage.ErrNotFound) {
			return err
		}
		return nil
	}
}

// healthz answers that the process serves requests, and nothing more: a
// liveness probe that failed with the database would have the server
// restarted for an outage a restart does not cure.
func healthz(w http.ResponseWriter, r *http.Request) {
	writeHealth(w, http.StatusOK, map[string]any{"status": "ok"})
}

// ServeHTTP runs every check and answers 200 when all pass, 503 naming
// the ones that fail otherwise.
func (rd *readiness) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), readyTimeout)
	defer cancel()
	rd.mu.Lock()
	checks := append([]readyCheck(nil), rd.checks...)
	rd.mu.Unlock()
	status, results := http.StatusOK, make(map[string]string, len(checks))
	for _, c := range checks {
		err := c.check(ctx)
		if err == nil {
			err = ctx.Err()
		}
		if err != nil {
			status = http.StatusServiceUnavailable
			results[c.name] = "failing"
			rd.logger.WarnContext(r.Context(), "readyz: check failing", "check", c.name, "err", err)
			continue
		}
		results[c.name] = "ok"
	}
	word := "ok"
	if status != http.StatusOK {
		word = "unavailable"
	}
	writeHealth(w, status, map[string]any{"status": word, "checks": results})
}

func writeHealth(w http.ResponseWriter, status int, body map[string]any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(body)
}
