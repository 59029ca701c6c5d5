package caldav

import (
	"errors"
	"net/http"

	"almanac/internal/dav"
	aical "almanac/internal/ical"
	"almanac/storage"
)

// Ingest validates a calendar object resource (RFC 4791 4.1, the 5.3.2.1
// preconditions) and computes what is stored with it: UID, component
// type, span and timeline. All of it runs under one work budget (objectBudget); an
// object that costs more to check is refused with
// CALDAV:valid-calendar-data.
func (h *Calendars) Ingest(c *storage.Collection, data []byte) (storage.PutObject, error) {
	b := h.objectBudget()
	info, err := aical.ValidateObjectWithin(data, b)
	if err != nil {
		var ve *aical.ValidationError
		if errors.As(err, &ve) {
			return storage.PutObject{}, &dav.Error{Status: http.StatusForbidden, Condition: dav.Name(dav.NSCalDAV, ve.Kind.Precondition()), Message: ve.Reason, Err: err}
		}
		return storage.PutObject{}, &dav.Error{Status: http.StatusForbidden, Condition: condValidData, Message: "invalid iCalendar data", Err: err}
	}
	if !allows(c, info.Component) {
		return storage.PutObject{}, dav.Precondition(http.StatusForbidden, condSupportedComp,
			"this calendar does not accept "+info.Component+" components")
	}
	span := objectSpan(info.Span)
	if err := checkSpan(span); err != nil {
		return storage.PutObject{}, err
	}
	return storage.PutObject{
		UID:         info.UID,
		Component:   info.Component,
		ContentType: "text/calendar",
		Span:        span,
		Timeline:    objectTimeline(info, b, h.now()),
	}, nil
}

// checkSpan applies the min-date-time and max-date-time preconditions
// (RFC 4791 5.3.2.1) to the times an object's instances occupy, from the
// first start to the last end: its span, which takes floating and
// all-day times at their earliest and latest zone. A rule without end is
// not refused for instances past max-date-time: the engine never
// generates them (doc.go). Times that describe no instance (DTSTAMP, the
// onsets of a VTIMEZONE's observances, which Outlook dates 1601) are not
// limited.
func checkSpan(s storage.Span) error {
	if !s.Known {
		return nil
	}
	if s.Start.Before(minTime) {
		return dav.Precondition(http.StatusForbidden, condMinDateTime, "the object has times before "+minDateTime)
	}
	last := s.End
	if s.Open {
		last = s.Start
	}
	if !last.Before(maxTime) {
		return dav.Precondition(http.StatusForbidden, condMaxDateTime, "the object has times at or after "+maxDateTime)
	}
	return nil
}

// objectSpan is the stretch of time an object's instances occupy, stored
// with it so that calendar-query can pass over objects outside its range
// unread (see query). internal/ical computes it conservatively
// (ValidateObject); an object it cannot bound gets an unknown span and is
// read by every query.
func objectSpan(span aical.ObjectSpan) storage.Span {
	if !span.Known {
		return storage.Span{}
	}
	s := storage.Span{Known: true, Start: span.Start.UTC(), Open: span.Open}
	if !span.Open {
		s.End = span.End.UTC()
	}
	return s
}

func allows(c *storage.Collection, comp string) bool {
	for _, x := range componentsOf(c) {
		if x == comp {
			return true
		}
	}
	return false
}

// Admits checks the destination calendar of a MOVE or COPY accepts the
// object's component type.
func (h *Calendars) Admits(c *storage.Collection, meta *storage.ObjectMeta) error {
	if !allows(c, meta.Component) {
		return dav.Precondition(http.StatusForbidden, condSupportedComp, "the destination calendar does not accept "+meta.Component+" components")
	}
	return nil
}

// Represent serves a calendar object as stored: iCalendar has one
// version, so there is nothing to negotiate.
func (h *Calendars) Represent(r *http.Request, obj *storage.Object) (string, []byte, error) {
	return h.ContentType(&obj.ObjectMeta), obj.Data, nil
}

// Redact hides CLASS:PRIVATE components and reduces CONFIDENTIAL ones to
// busy time, for read-only sharees (internal/ical Redact).
func (h *Calendars) Redact(data []byte) ([]byte, bool, bool) { return aical.Redact(data) }
