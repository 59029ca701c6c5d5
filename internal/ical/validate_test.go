package ical

import (
	"errors"
	"strings"
	"testing"
)

// object builds a calendar around the given component lines.
func object(lines ...string) []byte {
	all := []string{"BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//test//EN"}
	all = append(all, lines...)
	all = append(all, "END:VCALENDAR")
	return ics(all...)
}

func TestValidateObject_Valid(t *testing.T) {
	tests := []struct {
		name string
		data []byte
		uid  string
		comp string
	}{
		{"event utc", event("UID:a", "DTSTART:20240101T100000Z", "DTEND:20240101T110000Z"), "a", "VEVENT"},
		{"event floating", event("UID:a", "DTSTART:20240101T100000", "DURATION:PT1H"), "a", "VEVENT"},
		{"event all-day", event("UID:a", "DTSTART;VALUE=DATE:20240101", "DTEND;VALUE=DATE:20240102"), "a", "VEVENT"},
		{"date without VALUE", event("UID:a", "DTSTART:20240101"), "a", "VEVENT"},
		{"event tzid iana", event("UID:a", "DTSTART;TZID=Europe/Zurich:20240101T100000"), "a", "VEVENT"},
		{"windows tzid tolerated", event("UID:a", `DTSTART;TZID="W. Europe Standard Time":20240101T100000`), "a", "VEVENT"},
		{"no PRODID, no VERSION", ics("BEGIN:VCALENDAR", "BEGIN:VTODO", "UID:t", "END:VTODO", "END:VCALENDAR"), "t", "VTODO"},
		{"VERSION with spaces", ics("BEGIN:VCALENDAR", "VERSION: 2.0", "BEGIN:VTODO", "UID:t", "END:VTODO", "END:VCALENDAR"), "t", "VTODO"},
		{"timezone plus event", object(
			"BEGIN:VTIMEZONE", "TZID:Custom", "BEGIN:STANDARD", "DTSTART:19700101T000000", "TZOFFSETFROM:+0100", "TZOFFSETTO:+0100", "END:STANDARD", "END:VTIMEZONE",
			"BEGIN:VEVENT", "UID:a", "DTSTART;TZID=Custom:20240101T100000", "END:VEVENT"), "a", "VEVENT"},
		{"master and overrides", object(
			"BEGIN:VEVENT", "UID:r", "DTSTART:20240101T100000Z", "RRULE:FREQ=DAILY", "END:VEVENT",
			"BEGIN:VEVENT", "UID:r", "RECURRENCE-ID:20240102T100000Z", "DTSTART:20240102T120000Z", "END:VEVENT",
			"BEGIN:VEVENT", "UID:r", "RECURRENCE-ID:20240103T100000Z", "DTSTART:20240103T120000Z", "END:VEVENT"), "r", "VEVENT"},
		{"overrides only", object(
			"BEGIN:VEVENT", "UID:r", "RECURRENCE-ID:20240102T100000Z", "DTSTART:20240102T120000Z", "END:VEVENT"), "r", "VEVENT"},
		{"todo without dates", object("BEGIN:VTODO", "UID:t", "SUMMARY:x", "END:VTODO"), "t", "VTODO"},
		{"todo with due", object("BEGIN:VTODO", "UID:t", "DUE;VALUE=DATE:20240101", "END:VTODO"), "t", "VTODO"},
		{"journal", object("BEGIN:VJOURNAL", "UID:j", "DTSTART;VALUE=DATE:20240101", "END:VJOURNAL"), "j", "VJOURNAL"},
		{"freebusy", object("BEGIN:VFREEBUSY", "UID:f", "DTSTART:20240101T000000Z", "DTEND:20240102T000000Z", "END:VFREEBUSY"), "f", "VFREEBUSY"},
		{"availability", object("BEGIN:VAVAILABILITY", "UID:v", "BEGIN:AVAILABLE", "UID:v1", "END:AVAILABLE", "END:VAVAILABILITY"), "v", "VAVAILABILITY"},
		{"alarm inside", event("UID:a", "DTSTART:20240101T100000Z", "BEGIN:VALARM", "ACTION:DISPLAY", "TRIGGER:-PT15M", "END:VALARM"), "a", "VEVENT"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			info, err := ValidateObject(tt.data)
			if err != nil {
				t.Fatalf("ValidateObject: %v", err)
			}
			if info.UID != tt.uid || info.Component != tt.comp || info.Calendar == nil {
				t.Errorf("got UID %q component %q", info.UID, info.Component)
			}
		})
	}
}

func TestValidateObject_Invalid(t *testing.T) {
	tests := []struct {
		name   string
		data   []byte
		kind   ErrorKind
		reason string
	}{
		{"VERSION 1.0", ics("BEGIN:VCALENDAR", "VERSION:1.0", "BEGIN:VTODO", "UID:t", "END:VTODO", "END:VCALENDAR"), InvalidData, `VERSION must be 2.0, not "1.0"`},
		{"METHOD", ics("BEGIN:VCALENDAR", "METHOD:PUBLISH", "BEGIN:VTODO", "UID:t", "END:VTODO", "END:VCALENDAR"), InvalidObject, "must not have a METHOD property"},
		{"no component", object(), InvalidObject, "needs a VEVENT"},
		{"only a timezone", object("BEGIN:VTIMEZONE", "TZID:X", "END:VTIMEZONE"), InvalidObject, "needs a VEVENT"},
		{"unknown component", object("BEGIN:X-THING", "UID:a", "END:X-THING"), InvalidObject, `component "X-THING" cannot be stored`},
		{"mixed types", object("BEGIN:VEVENT", "UID:a", "DTSTART:20240101T100000Z", "END:VEVENT", "BEGIN:VTODO", "UID:a", "END:VTODO"), InvalidObject, "not both VEVENT and VTODO"},
		{"no UID", event("DTSTART:20240101T100000Z"), InvalidObject, "VEVENT has no UID"},
		{"empty UID", event("UID: ", "DTSTART:20240101T100000Z"), InvalidObject, "VEVENT has no UID"},
		{"different UIDs", object(
			"BEGIN:VEVENT", "UID:a", "DTSTART:20240101T100000Z", "END:VEVENT",
			"BEGIN:VEVENT", "UID:b", "RECURRENCE-ID:20240102T100000Z", "DTSTART:20240102T100000Z", "END:VEVENT"), InvalidObject, `same UID, found "a" and "b"`},
		{"two masters", object(
			"BEGIN:VEVENT", "UID:a", "DTSTART:20240101T100000Z", "END:VEVENT",
			"BEGIN:VEVENT", "UID:a", "DTSTART:20240102T100000Z", "END:VEVENT"), InvalidObject, "more than one VEVENT without RECURRENCE-ID"},
		{"duplicate RECURRENCE-ID", object(
			"BEGIN:VEVENT", "UID:a", "RECURRENCE-ID:20240102T100000Z", "DTSTART:20240102T100000Z", "END:VEVENT",
			"BEGIN:VEVENT", "UID:a", "RECURRENCE-ID:20240102T100000Z", "DTSTART:20240102T110000Z", "END:VEVENT"), InvalidObject, "two VEVENT components have RECURRENCE-ID"},
		{"bad RECURRENCE-ID", object(
			"BEGIN:VEVENT", "UID:a", "RECURRENCE-ID:tomorrow", "DTSTART:20240102T100000Z", "END:VEVENT"), InvalidData, "RECURRENCE-ID"},
		{"event without DTSTART", event("UID:a", "SUMMARY:x"), InvalidData, "VEVENT has no DTSTART"},
		{"DTEND and DURATION", event("UID:a", "DTSTART:20240101T100000Z", "DTEND:20240101T110000Z", "DURATION:PT1H"), InvalidData, "both DTEND and DURATION"},
		{"two DTSTART", event("UID:a", "DTSTART:20240101T100000Z", "DTSTART:20240101T110000Z"), InvalidData, "DTSTART must not occur more than once"},
		{"two UID", event("UID:a", "UID:a", "DTSTART:20240101T100000Z"), InvalidData, "UID must not occur more than once"},
		{"bad DTSTART", event("UID:a", "DTSTART:2024-01-01T10:00:00Z"), InvalidData, "DTSTART"},
		{"bad month", event("UID:a", "DTSTART:20241301T100000Z"), InvalidData, "not a valid DATE-TIME"},
		{"february 30", event("UID:a", "DTSTART;VALUE=DATE:20240230"), InvalidData, "not a valid DATE"},
		{"hour 24", event("UID:a", "DTSTART:20240101T240000"), InvalidData, "not a valid DATE-TIME"},
		{"VALUE=DATE with time", event("UID:a", "DTSTART;VALUE=DATE:20240101T100000"), InvalidData, "is not a DATE"},
		{"VALUE=PERIOD on DTSTART", event("UID:a", "DTSTART;VALUE=PERIOD:20240101T100000Z/PT1H"), InvalidData, "is not DATE or DATE-TIME"},
		{"bad DTEND", event("UID:a", "DTSTART:20240101T100000Z", "DTEND:soon"), InvalidData, "DTEND"},
		{"bad DURATION", event("UID:a", "DTSTART:20240101T100000Z", "DURATION:1H"), InvalidData, "DURATION"},
		{"bad DUE", object("BEGIN:VTODO", "UID:t", "DUE:20240101T1000", "END:VTODO"), InvalidData, "DUE"},
		{"todo DUE and DURATION", object("BEGIN:VTODO", "UID:t", "DTSTART:20240101T100000Z", "DUE:20240101T110000Z", "DURATION:PT1H", "END:VTODO"), InvalidData, "both DUE and DURATION"},
		{"todo DURATION without DTSTART", object("BEGIN:VTODO", "UID:t", "DURATION:PT1H", "END:VTODO"), InvalidData, "DURATION but no DTSTART"},
		{"parse error passes through", ics("BEGIN:VCALENDAR", "X-A;P=", "END:VCALENDAR"), InvalidData, "line 2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ValidateObject(tt.data)
			var ve *ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("error = %v, want *ValidationError", err)
			}
			if ve.Kind != tt.kind {
				t.Errorf("kind %v, want %v (%s)", ve.Kind, tt.kind, ve.Reason)
			}
			if !strings.Contains(ve.Reason, tt.reason) {
				t.Errorf("reason %q, want it to contain %q", ve.Reason, tt.reason)
			}
		})
	}
}

func TestErrorKind_Precondition(t *testing.T) {
	for k, want := range map[ErrorKind]string{
		InvalidData:   "valid-calendar-data",
		InvalidObject: "valid-calendar-object-resource",
		TooLarge:      "max-resource-size",
	} {
		if got := k.Precondition(); got != want {
			t.Errorf("%d: %q, want %q", k, got, want)
		}
	}
}
