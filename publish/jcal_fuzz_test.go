package publish

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"almanac/internal/ical"
)

// FuzzWriteJCal checks that WriteJCal never panics, that whatever it
// writes without an error is valid JSON with the structure of RFC 7265
// (validateJCal), and that it accepts exactly the calendars that
// internal/ical's Parse accepts, but for VCALENDAR properties after a
// subcomponent, which the streaming writer refuses. Each input is also
// tried as the content lines of an event, so that the value converters
// see as much of the fuzzer's data as the line splitter does.
func FuzzWriteJCal(f *testing.F) {
	for _, seed := range []string{
		rfc7265B1ICS, rfc7265B2ICS,
		string(jcalBenchCalendar(2)),
		"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n",
		"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nEND:VEVENT\r\nMETHOD:PUBLISH\r\nEND:VCALENDAR\r\n",
		"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nEND:VTODO\r\nEND:VCALENDAR\r\n",
		"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\nX:1\r\n",
		"RRULE:FREQ=MONTHLY;UNTIL=20261231T235959Z;INTERVAL=2;BYMONTHDAY=1,15,-1;WKST=SU;BYMONTH=5L",
		"RDATE;VALUE=PERIOD:19960403T020000Z/19960403T040000Z,19960404T010000Z/PT3H",
		"GEO:37.386013;-122.082932\r\nREQUEST-STATUS:3.7;Invalid\\; user;x",
		`ATTENDEE;MEMBER="mailto:a@example.com","mailto:b";CN=^'x^'^n:mailto:c@example.com`,
		"TZOFFSETFROM:-0330\r\nTRIGGER:-P1DT2H\r\nX-B;VALUE=BOOLEAN:TRUE\r\nX-T;VALUE=TIME:120000Z",
		"CATEGORIES:a\\,b,c\r\nSUMMARY:\\n\\N\\\\\\;\\,\r\nPRIORITY:+007\r\nX-F;VALUE=FLOAT:-00.50",
		"BEGIN:VALARM\r\nTRIGGER;VALUE=DATE-TIME:20260310T090000Z\r\nEND:VALARM\r\nSUMMARY:late",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		checkJCal(t, data, true)
		event := "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\n" + string(data) + "\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
		checkJCal(t, []byte(event), false)

		// The copy-through path of the JSON string writer agrees with
		// encoding/json on any bytes.
		want, _ := json.Marshal(string(data))
		if got := jcalAppendJSONString(nil, data); !bytes.Equal(got, want) {
			t.Errorf("jcalAppendJSONString(%q) = %s, want %s", data, got, want)
		}
	})
}

func checkJCal(t *testing.T, data []byte, compareParse bool) {
	var buf bytes.Buffer
	err := WriteJCal(&buf, data)
	if compareParse {
		_, perr := ical.Parse(data)
		switch {
		case perr == nil && err != nil && !strings.Contains(err.Error(), "after a subcomponent"):
			t.Fatalf("Parse accepts what WriteJCal refuses (%v):\n%q", err, data)
		case perr != nil && err == nil:
			t.Fatalf("WriteJCal accepts what Parse refuses (%v):\n%q", perr, data)
		}
	}
	if err != nil {
		return
	}
	if !json.Valid(buf.Bytes()) {
		t.Fatalf("invalid JSON %q for input %q", buf.Bytes(), data)
	}
	var v any
	if err := json.Unmarshal(buf.Bytes(), &v); err != nil {
		t.Fatalf("decoding %q: %v", buf.Bytes(), err)
	}
	validateJCal(t, v)
	if t.Failed() {
		t.Logf("input %q\noutput %s", data, buf.Bytes())
	}
}
