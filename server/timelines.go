package server

import (
	"context"
	"log/slog"
	"time"

	"almanac/caldav"
)

// timelineInterval is how often the calendars' time index is renewed
// (caldav RenewTimelines): horizons are renewed a year before time
// reaches them, so an hour is plenty; a pass with nothing due reads the
// loose entries of each calendar and nothing else.
const timelineInterval = time.Hour

// timelines renews the stored timelines at once, so that the objects of
// a file upgraded from an older schema are indexed soon after start,
// and then every timelineInterval until ctx is done.
type timelines struct {
	cal     *caldav.Calendars
	log     *slog.Logger
	metrics *metrics
}

func (tl timelines) run(ctx context.Context) {
	tick := time.NewTicker(timelineInterval)
	defer tick.Stop()
	for {
		tl.pass(ctx)
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

func (tl timelines) pass(ctx context.Context) {
	start := time.Now()
	st, err := tl.cal.RenewTimelines(ctx)
	if tl.metrics != nil && ctx.Err() == nil {
		tl.metrics.jobDone("timelines", time.Since(start), err)
	}
	if err != nil {
		if ctx.Err() == nil {
			tl.log.ErrorContext(ctx, "renew calendar timelines", "err", err)
		}
		return
	}
	level := slog.LevelDebug
	if st.Renewed > 0 {
		level = slog.LevelInfo
	}
	tl.log.Log(ctx, level, "renewed calendar timelines", "renewed", st.Renewed, "skipped", st.Skipped)
}
