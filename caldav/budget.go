package caldav

import (
	"sync/atomic"

	aical "almanac/internal/ical"
)

// requestBudget returns the recurrence work budget of one request
// (internal/ical RequestWork, scaled with max-instances), which every
// expansion the request makes
// shares: a calendar-query's filter and calendar-data, a multiget's or
// sync-collection's calendar-data, a free-busy query. Without it, each
// walk has its own budget and a request over N objects may cost N of
// them (doc.go, "Answers cut short").
func (h *Calendars) requestBudget() *aical.Budget {
	return h.observed(aical.NewRequestBudget(h.maxInstances))
}

// objectBudget returns the work budget of one PUT's checks (internal/ical
// ObjectWork, a request's worth): reading the object's rules, resolving
// its TZIDs, building its VTIMEZONEs and walking its master for the span
// stored with it. Without it a PUT's checks had no bound but the body
// size: 320 rules whose day filters each took a 400-year probe cost one
// 250 KB PUT seconds.
func (h *Calendars) objectBudget() *aical.Budget {
	return h.observed(aical.NewBudget(aical.ObjectWork))
}

func (h *Calendars) observed(b *aical.Budget) *aical.Budget {
	if hook := budgetHook.Load(); hook != nil {
		(*hook)(h, b)
	}
	return b
}

// budgetHook, when set, is called with every budget made, a request's or
// a PUT's. Only tests set it (export_test.go), to see what a request's
// expansions or a PUT's checks cost.
var budgetHook atomic.Pointer[func(h *Calendars, b *aical.Budget)]
