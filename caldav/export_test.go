package caldav

import (
	"time"

	aical "almanac/internal/ical"
	"almanac/storage"
)

// SetQueryParseHook makes calendar-query call fn for every object it
// parses, until the returned function is called. Tests that count parses
// filter on their own handler, so parallel tests do not disturb them.
func SetQueryParseHook(fn func(h *Calendars, name string)) (restore func()) {
	old := queryParseHook.Swap(&fn)
	return func() { queryParseHook.Store(old) }
}

// SetBudgetHook makes every budget, a request's or a PUT's, call fn when
// it is made, until the returned function is called. Tests filter on
// their own handler, so parallel tests do not disturb them.
func SetBudgetHook(fn func(h *Calendars, b *aical.Budget)) (restore func()) {
	old := budgetHook.Swap(&fn)
	return func() { budgetHook.Store(old) }
}

// PutObjectOf returns the write a PUT of data makes: UID, component and
// span computed as the handler computes them.
func PutObjectOf(owner, coll, name string, data []byte) (storage.PutObject, error) {
	b := aical.NewBudget(aical.ObjectWork)
	info, err := aical.ValidateObjectWithin(data, b)
	if err != nil {
		return storage.PutObject{}, err
	}
	return storage.PutObject{
		Owner: owner, Collection: coll, Name: name,
		UID: info.UID, Component: info.Component, ContentType: "text/calendar",
		Span: objectSpan(info.Span), Timeline: objectTimeline(info, b, time.Now()), Data: data,
	}, nil
}
