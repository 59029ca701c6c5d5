package caldav

import (
	"strings"
	"testing"

	aical "almanac/internal/ical"
)

// TestLimitRecurrenceSet_RequestBudget: whether an override impacts the
// range may take a walk; once the request's budget is spent the override
// is kept (more than asked rather than an instance lost) and the answer
// says it was cut short. With budget to spare, it goes.
func TestLimitRecurrenceSet_RequestBudget(t *testing.T) {
	src := cal("BEGIN:VEVENT", "UID:w", "DTSTAMP:20260101T000000Z", "DTSTART:20260105T100000Z", "DTEND:20260105T110000Z",
		"RRULE:FREQ=WEEKLY", "END:VEVENT",
		"BEGIN:VEVENT", "UID:w", "DTSTAMP:20260101T000000Z", "RECURRENCE-ID:20260601T100000Z",
		"DTSTART:20260602T100000Z", "DTEND:20260602T110000Z", "SUMMARY:moved", "END:VEVENT")
	cd := &CalendarDataRequest{LimitRecurrenceSet: &TimeRange{Start: utc("20260301T000000Z"), End: utc("20260401T000000Z")}}

	cd.Budget = aical.NewBudget(0) // spent
	out, cut := cd.RenderLimited([]byte(src))
	if !cut || !strings.Contains(string(out), "SUMMARY:moved") {
		t.Errorf("spent budget: cut %v\n%s", cut, out)
	}
	cd.Budget = aical.NewBudget(aical.RequestWork)
	out, cut = cd.RenderLimited([]byte(src))
	if cut || strings.Contains(string(out), "SUMMARY:moved") {
		t.Errorf("with budget: cut %v\n%s", cut, out)
	}
}
