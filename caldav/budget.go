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
	b := aical.NewRequestBudget(h.maxInstances)
	if hook := budgetHook.Load(); hook != nil {
		(*hook)(h, b)
	}
	return b
}

// budgetHook, when set, is called with every request budget made. Only
// tests set it (export_test.go), to see what a request's expansions cost.
var budgetHook atomic.Pointer[func(h *Calendars, b *aical.Budget)]
