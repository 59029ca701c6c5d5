package server

import (
	"context"
	"log/slog"
	"time"

	"almanac/storage"
)

// pruneInterval is how often the change log is pruned. Tokens live for
// months, so an hour's slack is nothing, and a pass with nothing to do
// reads about one record per collection.
const pruneInterval = time.Hour

// pruner keeps the change log to the retention period: tombstones and
// sync positions older than that are forgotten, and a client holding
// such a token is told to resynchronise (403 DAV:valid-sync-token).
type pruner struct {
	store     storage.Store
	log       *slog.Logger
	retention time.Duration
	metrics   *metrics
}

// run prunes at once, so a server started after a long pause catches up,
// and then every pruneInterval until ctx is done.
func (p pruner) run(ctx context.Context) {
	tick := time.NewTicker(pruneInterval)
	defer tick.Stop()
	for {
		p.pass(ctx)
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

func (p pruner) pass(ctx context.Context) {
	start := time.Now()
	cutoff := start.Add(-p.retention)
	st, err := p.store.PruneChanges(ctx, cutoff)
	if p.metrics != nil && ctx.Err() == nil {
		p.metrics.jobDone("prune", time.Since(start), err)
	}
	if err != nil {
		if ctx.Err() == nil {
			p.log.ErrorContext(ctx, "prune change log", "err", err)
		}
		return
	}
	level := slog.LevelDebug
	if st.Collections > 0 {
		level = slog.LevelInfo
	}
	p.log.Log(ctx, level, "pruned change log", "before", cutoff.UTC().Format(time.RFC3339),
		"collections", st.Collections, "tombstones", st.Tombstones)
}
