package ical

import (
	"errors"
	"strings"
	"testing"
)

// TestValidateObject_InvalidRecurrence: what RFC 5545 forbids in
// recurrence data and TZIDs is refused at PUT, each with its reason
// (issue 12, defect 10: these were stored and silently skipped later).
func TestValidateObject_InvalidRecurrence(t *testing.T) {
	tests := []struct {
		name   string
		data   []byte
		reason string
	}{
		{"FREQ=FOREVER", event("UID:a", "DTSTART:20240101T100000Z", "RRULE:FREQ=FOREVER"),
			`VEVENT: RRULE "FREQ=FOREVER": FREQ="FOREVER" is not one of`},
		{"BYHOUR=25", event("UID:a", "DTSTART:20240101T100000Z", "RRULE:FREQ=DAILY;BYHOUR=25"),
			`VEVENT: RRULE "FREQ=DAILY;BYHOUR=25": BYHOUR value "25" is out of range (0 to 23)`},
		{"UNTIL and COUNT", event("UID:a", "DTSTART:20240101T100000Z", "RRULE:FREQ=DAILY;COUNT=2;UNTIL=20240201T000000Z"),
			"UNTIL and COUNT must not occur in the same rule"},
		{"INTERVAL=0", event("UID:a", "DTSTART:20240101T100000Z", "RRULE:FREQ=DAILY;INTERVAL=0"), "INTERVAL"},
		{"EXRULE", event("UID:a", "DTSTART:20240101T100000Z", "RRULE:FREQ=DAILY", "EXRULE:FREQ=WEEKLY;BYDAY=XX"),
			`VEVENT: EXRULE "FREQ=WEEKLY;BYDAY=XX": BYDAY value "XX"`},
		{"in a VTODO", object("BEGIN:VTODO", "UID:t", "DTSTART:20240101T100000Z", "RRULE:FREQ=DAILY;BYMINUTE=61", "END:VTODO"),
			`VTODO: RRULE`},
		{"in a VTIMEZONE", object(join(vtz("Z", "BEGIN:STANDARD", "DTSTART:19700101T000000", "RRULE:FREQ=YEARLY;BYMONTH=14",
			"TZOFFSETFROM:+0100", "TZOFFSETTO:+0100", "END:STANDARD"), vev("DTSTART;TZID=Z:20240101T100000"))...),
			`STANDARD: RRULE "FREQ=YEARLY;BYMONTH=14"`},
		{"unknown TZID", event("UID:a", "DTSTART;TZID=Mars/Olympus:20240101T100000"),
			`VEVENT: DTSTART: TZID "Mars/Olympus" names no VTIMEZONE in the object and no time zone this server knows`},
		{"unknown TZID on EXDATE", event("UID:a", "DTSTART:20240101T100000Z", "RRULE:FREQ=DAILY", "EXDATE;TZID=Nowhere:20240102T100000"),
			`VEVENT: EXDATE: TZID "Nowhere"`},
		{"unknown TZID in an alarm", event("UID:a", "DTSTART:20240101T100000Z", "BEGIN:VALARM", "ACTION:DISPLAY",
			"TRIGGER;VALUE=DATE-TIME;TZID=Nowhere:20240101T090000", "END:VALARM"), `VALARM: TRIGGER: TZID "Nowhere"`},
		{"bad RDATE", event("UID:a", "DTSTART:20240101T100000Z", "RDATE:20240132T100000Z"), `VEVENT: RDATE: "20240132T100000Z" is not a valid DATE-TIME`},
		{"bad RDATE period", event("UID:a", "DTSTART:20240101T100000Z", "RDATE;VALUE=PERIOD:20240102T100000Z"), "is not a PERIOD"},
		{"bad EXDATE", event("UID:a", "DTSTART:20240101T100000Z", "RRULE:FREQ=DAILY", "EXDATE:2024-01-02"), `VEVENT: EXDATE: "2024-01-02"`},
		{"empty EXDATE", event("UID:a", "DTSTART:20240101T100000Z", "RRULE:FREQ=DAILY", "EXDATE:"), "EXDATE"},
		{"EXDATE period", event("UID:a", "DTSTART:20240101T100000Z", "RRULE:FREQ=DAILY", "EXDATE;VALUE=PERIOD:20240102T100000Z/PT1H"),
			"EXDATE takes DATE or DATE-TIME values, not PERIOD"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ValidateObject(tt.data)
			var ve *ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("error = %v, want *ValidationError", err)
			}
			if ve.Kind != InvalidData {
				t.Errorf("kind %v (%s)", ve.Kind, ve.Reason)
			}
			if !strings.Contains(ve.Reason, tt.reason) {
				t.Errorf("reason %q, want it to contain %q", ve.Reason, tt.reason)
			}
		})
	}
}

// TestValidateObject_AcceptedRecurrence: what real clients send stays
// accepted, RFC or not: zone names we resolve without a VTIMEZONE, an
// UNTIL whose type differs from DTSTART's, RFC 7529 rules, fine
// frequencies with small sets, a leap second.
func TestValidateObject_AcceptedRecurrence(t *testing.T) {
	tests := []struct {
		name string
		data []byte
	}{
		{"IANA TZID", event("UID:a", "DTSTART;TZID=Europe/Berlin:20240101T100000", "RRULE:FREQ=WEEKLY",
			"EXDATE;TZID=Europe/Berlin:20240108T100000")},
		{"Windows TZID", event("UID:a", `DTSTART;TZID="W. Europe Standard Time":20240101T100000`)},
		{"Outlook numbered TZID", event("UID:a", "DTSTART;TZID=Eastern Standard Time 1:20240101T100000")},
		{"Exchange TZID", event("UID:a", `DTSTART;TZID="tzone://Microsoft/Pacific Standard Time":20240101T100000`)},
		{"Windows display name", event("UID:a", `DTSTART;TZID="(UTC+01:00) Amsterdam, Berlin, Bern, Rome, Stockholm, Vienna":20240101T100000`)},
		{"unknown display name", event("UID:a", `DTSTART;TZID="(UTC+05:45) Somewhere":20240101T100000`)},
		{"vendor prefix", event("UID:a", "DTSTART;TZID=/mozilla.org/20070129_1/Europe/Berlin:20240101T100000")},
		{"own VTIMEZONE", object(join(vtz("Custom Zone", "BEGIN:STANDARD", "DTSTART:19700101T000000", "TZOFFSETFROM:+0100",
			"TZOFFSETTO:+0100", "END:STANDARD"), vev("DTSTART;TZID=Custom Zone:20240101T100000"))...)},
		{"UTC UNTIL on all-day", event("UID:a", "DTSTART;VALUE=DATE:20261020", "RRULE:FREQ=YEARLY;UNTIL=20261019T230000Z;INTERVAL=1;BYMONTHDAY=20;BYMONTH=10")},
		{"floating UNTIL on zoned", event("UID:a", "DTSTART;TZID=Europe/Berlin:20240101T100000", "RRULE:FREQ=DAILY;UNTIL=20240110T100000")},
		{"DATE UNTIL on DATE-TIME", event("UID:a", "DTSTART:20240101T100000Z", "RRULE:FREQ=DAILY;UNTIL=20240110")},
		{"RSCALE", event("UID:a", "DTSTART;VALUE=DATE:20240609", "RRULE:RSCALE=CHINESE;FREQ=YEARLY;BYMONTH=5L;SKIP=FORWARD")},
		{"secondly small", event("UID:a", "DTSTART:20240101T100000Z", "RRULE:FREQ=SECONDLY;INTERVAL=30;COUNT=10")},
		{"minutely in office hours", event("UID:a", "DTSTART:20240101T090000Z",
			"RRULE:FREQ=MINUTELY;INTERVAL=20;BYHOUR=9,10,11,12,13,14,15,16;BYDAY=MO,TU,WE,TH,FR")},
		{"hourly all day, every day of the year", event("UID:a", "DTSTART:20240101T000000Z",
			"RRULE:FREQ=YEARLY;BYDAY=MO,TU,WE,TH,FR,SA,SU;BYHOUR="+list(0, 23))},
		{"leap second", event("UID:a", "DTSTART:20240101T100000Z", "RRULE:FREQ=MINUTELY;BYSECOND=0,60;COUNT=5")},
		{"unreachable hour", event("UID:a", "DTSTART:20240101T100000Z", "RRULE:FREQ=HOURLY;INTERVAL=2;BYHOUR=1")},
		{"RDATE period and dates", event("UID:a", "DTSTART:20240101T100000Z", "RDATE;VALUE=PERIOD:20240102T100000Z/PT1H,20240103T100000Z/20240103T120000Z",
			"RDATE;VALUE=DATE:20240105,20240106", "EXDATE:20240102T100000Z,20240104T100000Z")},
		{"trailing semicolon, lower case", event("UID:a", "DTSTART:20240101T100000Z", "RRULE:freq=weekly;byday=mo,we;")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := ValidateObject(tt.data); err != nil {
				t.Fatal(err)
			}
		})
	}
}
