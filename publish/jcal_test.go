package publish

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
	"testing"

	"almanac/internal/contentline"
)

// validateJCal checks that v, a jCal object decoded by encoding/json into
// an any, has the structure of RFC 7265: a component is [name,
// [properties], [components]] with a lower-case name; a property is
// [name, {parameters}, type, value...] with a lower-case name, parameter
// values that are strings or arrays of strings, no "value" parameter, one
// of the value types of RFC 7265 3.6 (or "unknown", section 5) and values
// of that type's JSON form. The root must be a "vcalendar".
//
// It is self-contained (one function, standard library only) so that it
// can be copied into other tests.
func validateJCal(t testing.TB, v any) {
	t.Helper()
	lower := func(s string) bool { return s != "" && s == strings.ToLower(s) }
	// shape matches s against a pattern where 'D' is a digit and every
	// other byte stands for itself.
	shape := func(s, pattern string) bool {
		if len(s) != len(pattern) {
			return false
		}
		for i := 0; i < len(s); i++ {
			if pattern[i] == 'D' {
				if s[i] < '0' || s[i] > '9' {
					return false
				}
			} else if s[i] != pattern[i] {
				return false
			}
		}
		return true
	}
	isDate := func(s string) bool { return shape(s, "DDDD-DD-DD") }
	isDateTime := func(s string) bool {
		return shape(s, "DDDD-DD-DDTDD:DD:DD") || shape(s, "DDDD-DD-DDTDD:DD:DDZ")
	}
	isDuration := func(s string) bool {
		s = strings.TrimLeft(s, "+-")
		return len(s) >= 3 && s[0] == 'P'
	}
	isString := func(x any) bool { _, ok := x.(string); return ok }
	isNumber := func(x any) bool { _, ok := x.(float64); return ok }
	stringOrNumber := func(x any) bool { return isString(x) || isNumber(x) }

	// value reports what is wrong with one value of type typ, or "".
	value := func(typ string, x any) string {
		s, isStr := x.(string)
		switch typ {
		case "date":
			if !isStr || !isDate(s) {
				return "not a jCal date"
			}
		case "date-time":
			if !isStr || !isDateTime(s) {
				return "not a jCal date-time"
			}
		case "time":
			if !isStr || !(shape(s, "DD:DD:DD") || shape(s, "DD:DD:DDZ")) {
				return "not a jCal time"
			}
		case "utc-offset":
			if !isStr || len(s) < 1 || s[0] != '+' && s[0] != '-' ||
				!(shape(s[1:], "DD:DD") || shape(s[1:], "DD:DD:DD")) {
				return "not a jCal utc-offset"
			}
		case "duration":
			if !isStr || !isDuration(s) {
				return "not a duration"
			}
		case "integer":
			f, ok := x.(float64)
			if !ok || f != float64(int64(f)) {
				return "not an integer number"
			}
		case "float":
			if isNumber(x) {
				return ""
			}
			arr, ok := x.([]any) // structured, as GEO
			if !ok || len(arr) == 0 {
				return "not a number or an array of numbers"
			}
			for _, e := range arr {
				if !isNumber(e) {
					return "not a number or an array of numbers"
				}
			}
		case "boolean":
			if _, ok := x.(bool); !ok {
				return "not a boolean"
			}
		case "period":
			arr, ok := x.([]any)
			if !ok || len(arr) != 2 {
				return "not a two-element period array"
			}
			start, ok1 := arr[0].(string)
			end, ok2 := arr[1].(string)
			if !ok1 || !ok2 || !isDateTime(start) || !isDateTime(end) && !isDuration(end) {
				return "not [date-time, date-time or duration]"
			}
		case "recur":
			obj, ok := x.(map[string]any)
			if !ok {
				return "not an object"
			}
			for k, e := range obj {
				if !lower(k) {
					return fmt.Sprintf("recur key %q is not lower case", k)
				}
				if k == "until" {
					if u, ok := e.(string); !ok || !isDate(u) && !isDateTime(u) {
						return "until is not a jCal date or date-time"
					}
					continue
				}
				if arr, ok := e.([]any); ok {
					if len(arr) < 2 {
						return fmt.Sprintf("recur %s: an array for fewer than two values", k)
					}
					for _, a := range arr {
						if !stringOrNumber(a) {
							return fmt.Sprintf("recur %s: element neither string nor number", k)
						}
					}
				} else if !stringOrNumber(e) {
					return fmt.Sprintf("recur %s: neither string, number nor array", k)
				}
			}
		case "text":
			if isStr {
				return ""
			}
			arr, ok := x.([]any) // structured, as REQUEST-STATUS
			if !ok || len(arr) == 0 {
				return "not a string or an array of strings"
			}
			for _, e := range arr {
				if !isString(e) {
					return "not a string or an array of strings"
				}
			}
		case "binary", "cal-address", "uri", "unknown":
			if !isStr {
				return "not a string"
			}
		default:
			return fmt.Sprintf("unknown type %q", typ)
		}
		return ""
	}

	property := func(path string, x any) {
		p, ok := x.([]any)
		if !ok || len(p) < 4 {
			t.Errorf("%s: property is not an array of at least 4 elements: %v", path, x)
			return
		}
		name, ok := p[0].(string)
		if !ok || !lower(name) {
			t.Errorf("%s: property name %v is not a lower-case string", path, p[0])
			return
		}
		path += "(" + name + ")"
		params, ok := p[1].(map[string]any)
		if !ok {
			t.Errorf("%s: parameters %v are not an object", path, p[1])
		}
		for k, pv := range params {
			if !lower(k) || k == "value" {
				t.Errorf("%s: parameter name %q", path, k)
			}
			if isString(pv) {
				continue
			}
			arr, ok := pv.([]any)
			if !ok || len(arr) == 0 {
				t.Errorf("%s: parameter %s: %v is neither a string nor an array of strings", path, k, pv)
				continue
			}
			for _, e := range arr {
				if !isString(e) {
					t.Errorf("%s: parameter %s: element %v is not a string", path, k, e)
				}
			}
		}
		typ, ok := p[2].(string)
		if !ok {
			t.Errorf("%s: type %v is not a string", path, p[2])
			return
		}
		for i, x := range p[3:] {
			if msg := value(typ, x); msg != "" {
				t.Errorf("%s: value %d (%s) %v: %s", path, i, typ, x, msg)
			}
		}
	}

	var component func(path string, x any)
	component = func(path string, x any) {
		c, ok := x.([]any)
		if !ok || len(c) != 3 {
			t.Errorf("%s: component is not a 3-element array: %v", path, x)
			return
		}
		name, ok := c[0].(string)
		if !ok || !lower(name) {
			t.Errorf("%s: component name %v is not a lower-case string", path, c[0])
			return
		}
		path += "/" + name
		props, ok1 := c[1].([]any)
		comps, ok2 := c[2].([]any)
		if !ok1 || !ok2 {
			t.Errorf("%s: properties or subcomponents are not arrays", path)
			return
		}
		for i, p := range props {
			property(fmt.Sprintf("%s[%d]", path, i), p)
		}
		for _, sub := range comps {
			component(path, sub)
		}
	}

	if c, ok := v.([]any); ok && len(c) > 0 && c[0] != "vcalendar" {
		t.Errorf("root component is %v, not \"vcalendar\"", c[0])
	}
	component("", v)
}

// jcalFoldICS makes calendar text of logical lines as the feed renderer
// writes it: each line folded at 75 octets, CRLF line ends.
func jcalFoldICS(lines ...string) []byte {
	var b []byte
	for _, l := range lines {
		b = contentline.AppendFolded(b, l)
	}
	return b
}

// runJCal converts ics, checks that the result is valid jCal and returns
// it as written and decoded.
func runJCal(t testing.TB, ics []byte) (string, any) {
	t.Helper()
	var buf bytes.Buffer
	if err := WriteJCal(&buf, ics); err != nil {
		t.Fatalf("WriteJCal: %v\ninput:\n%s", err, ics)
	}
	if !json.Valid(buf.Bytes()) {
		t.Fatalf("output is not valid JSON: %s", buf.Bytes())
	}
	var v any
	if err := json.Unmarshal(buf.Bytes(), &v); err != nil {
		t.Fatalf("decoding output: %v", err)
	}
	validateJCal(t, v)
	return buf.String(), v
}

func jcalDecode(t *testing.T, s string) any {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatalf("bad expected JSON %s: %v", s, err)
	}
	return v
}

func jcalCompact(t *testing.T, s string) string {
	t.Helper()
	var b bytes.Buffer
	if err := json.Compact(&b, []byte(s)); err != nil {
		t.Fatalf("bad expected JSON %s: %v", s, err)
	}
	return b.String()
}

// RFC 7265 Appendix B.1: the iCalendar data (with VALUE=DATE, as RFC 5545
// requires for a date DTSTART) and the jCal data of the RFC.
const rfc7265B1ICS = `BEGIN:VCALENDAR
CALSCALE:GREGORIAN
PRODID:-//Example Inc.//Example Calendar//EN
VERSION:2.0
BEGIN:VEVENT
DTSTAMP:20080205T191224Z
DTSTART;VALUE=DATE:20081006
SUMMARY:Planning meeting
UID:4088E990AD89CB3DBB484909
END:VEVENT
END:VCALENDAR
`

const rfc7265B1JCal = `["vcalendar",
  [
    ["calscale", {}, "text", "GREGORIAN"],
    ["prodid", {}, "text", "-//Example Inc.//Example Calendar//EN"],
    ["version", {}, "text", "2.0"]
  ],
  [
    ["vevent",
      [
        ["dtstamp", {}, "date-time", "2008-02-05T19:12:24Z"],
        ["dtstart", {}, "date", "2008-10-06"],
        ["summary", {}, "text", "Planning meeting"],
        ["uid", {}, "text", "4088E990AD89CB3DBB484909"]
      ],
      []
    ]
  ]
]`

// RFC 7265 Appendix B.2, with the RFC's folding of DESCRIPTION. The RFC's
// iCalendar data has VERSION before PRODID and its jCal data the other way
// round (property order means nothing in iCalendar); here PRODID comes
// first so that the jCal arrays compare equal.
const rfc7265B2ICS = `BEGIN:VCALENDAR
PRODID:-//Example Corp.//Example Client//EN
VERSION:2.0
BEGIN:VTIMEZONE
LAST-MODIFIED:20040110T032845Z
TZID:US/Eastern
BEGIN:DAYLIGHT
DTSTART:20000404T020000
RRULE:FREQ=YEARLY;BYDAY=1SU;BYMONTH=4
TZNAME:EDT
TZOFFSETFROM:-0500
TZOFFSETTO:-0400
END:DAYLIGHT
BEGIN:STANDARD
DTSTART:20001026T020000
RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=10
TZNAME:EST
TZOFFSETFROM:-0400
TZOFFSETTO:-0500
END:STANDARD
END:VTIMEZONE
BEGIN:VEVENT
DTSTAMP:20060206T001121Z
DTSTART;TZID=US/Eastern:20060102T120000
DURATION:PT1H
RRULE:FREQ=DAILY;COUNT=5
RDATE;TZID=US/Eastern;VALUE=PERIOD:20060102T150000/PT2H
SUMMARY:Event #2
DESCRIPTION:We are having a meeting all this week at 12 pm fo
 r one hour\, with an additional meeting on the first day 2 h
 ours long.\nPlease bring your own lunch for the 12 pm meetin
 gs.
UID:00959BC664CA650E933C892C@example.com
END:VEVENT
BEGIN:VEVENT
DTSTAMP:20060206T001121Z
DTSTART;TZID=US/Eastern:20060104T140000
DURATION:PT1H
RECURRENCE-ID;TZID=US/Eastern:20060104T120000
SUMMARY:Event #2 bis
UID:00959BC664CA650E933C892C@example.com
END:VEVENT
END:VCALENDAR
`

const rfc7265B2JCal = `["vcalendar",
  [
    ["prodid", {}, "text", "-//Example Corp.//Example Client//EN"],
    ["version", {}, "text", "2.0"]
  ],
  [
    ["vtimezone",
      [
        ["last-modified", {}, "date-time", "2004-01-10T03:28:45Z"],
        ["tzid", {}, "text", "US/Eastern"]
      ],
      [
        ["daylight",
          [
            ["dtstart", {}, "date-time", "2000-04-04T02:00:00"],
            ["rrule",
             {},
             "recur",
             {
               "freq": "YEARLY",
               "byday": "1SU",
               "bymonth": 4
             }
            ],
            ["tzname", {}, "text", "EDT"],
            ["tzoffsetfrom", {}, "utc-offset", "-05:00"],
            ["tzoffsetto", {}, "utc-offset", "-04:00"]
          ],
          []
        ],
        ["standard",
          [
            ["dtstart", {}, "date-time", "2000-10-26T02:00:00"],
            ["rrule",
             {},
             "recur",
             {
               "freq": "YEARLY",
               "byday": "-1SU",
               "bymonth": 10
             }
            ],
            ["tzname", {}, "text", "EST"],
            ["tzoffsetfrom", {}, "utc-offset", "-04:00"],
            ["tzoffsetto", {}, "utc-offset", "-05:00"]
          ],
          []
        ]
      ]
    ],
    ["vevent",
      [
        ["dtstamp", {}, "date-time", "2006-02-06T00:11:21Z"],
        ["dtstart",
         { "tzid": "US/Eastern" },
         "date-time",
         "2006-01-02T12:00:00"
        ],
        ["duration", {}, "duration", "PT1H"],
        ["rrule", {}, "recur", { "freq": "DAILY", "count": 5 } ],
        ["rdate",
         { "tzid": "US/Eastern" },
         "period",
         ["2006-01-02T15:00:00", "PT2H"]
        ],
        ["summary", {}, "text", "Event #2"],
        ["description",
         {},
         "text",
         "We are having a meeting all this week at 12 pm for one hour, with an additional meeting on the first day 2 hours long.\nPlease bring your own lunch for the 12 pm meetings."
        ],
        ["uid", {}, "text", "00959BC664CA650E933C892C@example.com"]
      ],
      []
    ],
    ["vevent",
      [
        ["dtstamp", {}, "date-time", "2006-02-06T00:11:21Z"],
        ["dtstart",
         { "tzid": "US/Eastern" },
         "date-time",
         "2006-01-04T14:00:00"
        ],
        ["duration", {}, "duration", "PT1H"],
        ["recurrence-id",
         { "tzid": "US/Eastern" },
         "date-time",
         "2006-01-04T12:00:00"
        ],
        ["summary", {}, "text", "Event #2 bis"],
        ["uid", {}, "text", "00959BC664CA650E933C892C@example.com"]
      ],
      []
    ]
  ]
]`

func jcalCRLF(s string) []byte { return []byte(strings.ReplaceAll(s, "\n", "\r\n")) }

func TestWriteJCalRFC7265Examples(t *testing.T) {
	for _, tc := range []struct{ name, ics, jcal string }{
		{"B.1 simple event", rfc7265B1ICS, rfc7265B1JCal},
		{"B.2 recurring event with exception", rfc7265B2ICS, rfc7265B2JCal},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, got := runJCal(t, jcalCRLF(tc.ics))
			if want := jcalDecode(t, tc.jcal); !reflect.DeepEqual(got, want) {
				gotJSON, _ := json.MarshalIndent(got, "", " ")
				t.Errorf("jCal differs from the RFC's:\n%s", gotJSON)
			}
		})
	}
}

// The B.1 output byte for byte: compact, in input order.
func TestWriteJCalExactOutput(t *testing.T) {
	got, _ := runJCal(t, jcalCRLF(rfc7265B1ICS))
	if want := jcalCompact(t, rfc7265B1JCal); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

// eventJCal converts a VCALENDAR holding one VEVENT with the given
// content lines and returns the JSON of the event's property list.
func eventJCal(t *testing.T, lines ...string) string {
	t.Helper()
	all := append([]string{"BEGIN:VCALENDAR", "BEGIN:VEVENT"}, lines...)
	all = append(all, "END:VEVENT", "END:VCALENDAR")
	out, _ := runJCal(t, jcalFoldICS(all...))
	const prefix, suffix = `["vcalendar",[],[["vevent",[`, `],[]]]]`
	if !strings.HasPrefix(out, prefix) || !strings.HasSuffix(out, suffix) {
		t.Fatalf("unexpected frame: %s", out)
	}
	return "[" + out[len(prefix):len(out)-len(suffix)] + "]"
}

func TestWriteJCalProperties(t *testing.T) {
	long := strings.Repeat("Lorem ipsum dolor sit amet, Grüße aus Köln 東京 😀. ", 12)
	for _, tc := range []struct {
		name  string
		lines []string
		want  string // the event's properties, compared byte for byte after json.Compact
	}{
		// date-time, date, time
		{"utc date-time", []string{"DTSTAMP:20260310T100000Z"},
			`[["dtstamp",{},"date-time","2026-03-10T10:00:00Z"]]`},
		{"floating date-time", []string{"DTSTART:20260310T100000"},
			`[["dtstart",{},"date-time","2026-03-10T10:00:00"]]`},
		{"date-time with tzid", []string{"DTSTART;TZID=Europe/Berlin:20260310T100000", "DTEND;TZID=Europe/Berlin:20260310T113000"},
			`[["dtstart",{"tzid":"Europe/Berlin"},"date-time","2026-03-10T10:00:00"],["dtend",{"tzid":"Europe/Berlin"},"date-time","2026-03-10T11:30:00"]]`},
		{"value=date on dtstart", []string{"DTSTART;VALUE=DATE:20260310", "DTEND;VALUE=DATE:20260311"},
			`[["dtstart",{},"date","2026-03-10"],["dtend",{},"date","2026-03-11"]]`},
		{"value=date on due and recurrence-id", []string{"DUE;VALUE=DATE:20261231", "RECURRENCE-ID;VALUE=DATE:20260317"},
			`[["due",{},"date","2026-12-31"],["recurrence-id",{},"date","2026-03-17"]]`},
		{"change management date-times", []string{"CREATED:20260101T000000Z", "LAST-MODIFIED:20260102T030405Z", "COMPLETED:20260103T235960Z"},
			`[["created",{},"date-time","2026-01-01T00:00:00Z"],["last-modified",{},"date-time","2026-01-02T03:04:05Z"],["completed",{},"date-time","2026-01-03T23:59:60Z"]]`},
		{"time", []string{"X-AT;VALUE=TIME:123000", "X-AT-UTC;VALUE=TIME:123000Z"},
			`[["x-at",{},"time","12:30:00"],["x-at-utc",{},"time","12:30:00Z"]]`},

		// multi-valued
		{"exdate with several values", []string{"EXDATE;TZID=Europe/Berlin:20260317T100000,20260324T100000,20260331T100000"},
			`[["exdate",{"tzid":"Europe/Berlin"},"date-time","2026-03-17T10:00:00","2026-03-24T10:00:00","2026-03-31T10:00:00"]]`},
		{"exdate dates", []string{"EXDATE;VALUE=DATE:20260317,20260324"},
			`[["exdate",{},"date","2026-03-17","2026-03-24"]]`},
		{"several exdate lines stay apart", []string{"EXDATE:20260317T100000Z", "EXDATE:20260324T100000Z"},
			`[["exdate",{},"date-time","2026-03-17T10:00:00Z"],["exdate",{},"date-time","2026-03-24T10:00:00Z"]]`},
		{"rdate periods", []string{"RDATE;VALUE=PERIOD:19960403T020000Z/19960403T040000Z,19960404T010000Z/PT3H"},
			`[["rdate",{},"period",["1996-04-03T02:00:00Z","1996-04-03T04:00:00Z"],["1996-04-04T01:00:00Z","PT3H"]]]`},
		{"freebusy", []string{"FREEBUSY;FBTYPE=BUSY-UNAVAILABLE:19970308T160000Z/PT8H30M,19970308T160000Z/19970308T163000Z"},
			`[["freebusy",{"fbtype":"BUSY-UNAVAILABLE"},"period",["1997-03-08T16:00:00Z","PT8H30M"],["1997-03-08T16:00:00Z","1997-03-08T16:30:00Z"]]]`},
		{"categories split at unescaped commas", []string{`CATEGORIES:MEETING,Work\, Home,a\\`},
			`[["categories",{},"text","MEETING","Work, Home","a\\"]]`},
		{"resources", []string{"RESOURCES:EASEL,PROJECTOR"},
			`[["resources",{},"text","EASEL","PROJECTOR"]]`},

		// recur
		{"rrule count and byday", []string{"RRULE:FREQ=WEEKLY;COUNT=10;BYDAY=MO,TU"},
			`[["rrule",{},"recur",{"freq":"WEEKLY","count":10,"byday":["MO","TU"]}]]`},
		{"rrule until utc, bymonthday list, interval, wkst", []string{"RRULE:FREQ=MONTHLY;UNTIL=20261231T235959Z;INTERVAL=2;BYMONTHDAY=1,15,-1;WKST=SU"},
			`[["rrule",{},"recur",{"freq":"MONTHLY","until":"2026-12-31T23:59:59Z","interval":2,"bymonthday":[1,15,-1],"wkst":"SU"}]]`},
		{"rrule until date and single values", []string{"RRULE:FREQ=YEARLY;UNTIL=20300310;BYMONTH=3;BYDAY=2SU;BYSETPOS=-1"},
			`[["rrule",{},"recur",{"freq":"YEARLY","until":"2030-03-10","bymonth":3,"byday":"2SU","bysetpos":-1}]]`},
		{"rrule numeric parts", []string{"RRULE:FREQ=HOURLY;BYSECOND=0,30;BYMINUTE=15;BYHOUR=9,10,+11;BYYEARDAY=1,-1;BYWEEKNO=20"},
			`[["rrule",{},"recur",{"freq":"HOURLY","bysecond":[0,30],"byminute":15,"byhour":[9,10,11],"byyearday":[1,-1],"byweekno":20}]]`},
		{"rrule rfc 7529 leap month and trailing semicolon", []string{"RRULE:RSCALE=CHINESE;FREQ=YEARLY;BYMONTH=5L;SKIP=FORWARD;"},
			`[["rrule",{},"recur",{"rscale":"CHINESE","freq":"YEARLY","bymonth":"5L","skip":"FORWARD"}]]`},
		{"exrule", []string{"EXRULE:FREQ=DAILY;COUNT=2"},
			`[["exrule",{},"recur",{"freq":"DAILY","count":2}]]`},

		// duration, utc-offset
		{"durations and triggers", []string{"DURATION:PT1H30M", "TRIGGER:-PT15M", "TRIGGER;RELATED=END:P1DT12H", "TRIGGER;VALUE=DATE-TIME:20260310T090000Z", "X-D;VALUE=DURATION:P2W"},
			`[["duration",{},"duration","PT1H30M"],["trigger",{},"duration","-PT15M"],["trigger",{"related":"END"},"duration","P1DT12H"],["trigger",{},"date-time","2026-03-10T09:00:00Z"],["x-d",{},"duration","P2W"]]`},
		{"utc offsets", []string{"TZOFFSETFROM:-0330", "TZOFFSETTO:+0545", "X-O;VALUE=UTC-OFFSET:+010030"},
			`[["tzoffsetfrom",{},"utc-offset","-03:30"],["tzoffsetto",{},"utc-offset","+05:45"],["x-o",{},"utc-offset","+01:00:30"]]`},

		// numbers, booleans, structured
		{"integers", []string{"PRIORITY:1", "SEQUENCE:0", "PERCENT-COMPLETE:050", "REPEAT:+3", "X-N;VALUE=INTEGER:-2147483648"},
			`[["priority",{},"integer",1],["sequence",{},"integer",0],["percent-complete",{},"integer",50],["repeat",{},"integer",3],["x-n",{},"integer",-2147483648]]`},
		{"geo", []string{"GEO:37.386013;-122.082932"},
			`[["geo",{},"float",[37.386013,-122.082932]]]`},
		{"floats keep their digits", []string{"GEO:+00.5;-007", "X-F;VALUE=FLOAT:3.14159265358979323846"},
			`[["geo",{},"float",[0.5,-7]],["x-f",{},"float",3.14159265358979323846]]`},
		{"boolean", []string{"X-B;VALUE=BOOLEAN:TRUE", "X-C;VALUE=BOOLEAN:false"},
			`[["x-b",{},"boolean",true],["x-c",{},"boolean",false]]`},
		{"request-status", []string{"REQUEST-STATUS:2.0;Success", `REQUEST-STATUS:3.7;Invalid user;ATTENDEE:mailto:a@example.com\; really`},
			`[["request-status",{},"text",["2.0","Success"]],["request-status",{},"text",["3.7","Invalid user","ATTENDEE:mailto:a@example.com; really"]]]`},

		// text
		{"text escapes", []string{`SUMMARY:a\, b\; c\\ d\ne\Nf`, `DESCRIPTION:tab	and \x unknown escape and trailing \`},
			`[["summary",{},"text","a, b; c\\ d\ne\nf"],["description",{},"text","tab\tand \\x unknown escape and trailing \\"]]`},
		{"non-ascii and html characters", []string{"SUMMARY:Café – 東京 😀", "LOCATION:<b>Tom & Jerry</b> \u2028"},
			`[["summary",{},"text","Café – 東京 😀"],["location",{},"text","\u003cb\u003eTom \u0026 Jerry\u003c/b\u003e \u2028"]]`},
		{"folded long line", []string{"DESCRIPTION:" + long},
			`[["description",{},"text",` + jcalMustJSON(long) + `]]`},
		{"empty text", []string{"SUMMARY:"},
			`[["summary",{},"text",""]]`},
		{"lower-case names", []string{"summary;language=de:Hallo", "Dtstart;Value=date:20260310"},
			`[["summary",{"language":"de"},"text","Hallo"],["dtstart",{},"date","2026-03-10"]]`},

		// uri, cal-address, binary
		{"uris", []string{"URL:https://example.com/a?b=1&c=2", "ATTACH;FMTTYPE=application/pdf:https://example.com/a.pdf", "TZURL:https://tz.example/Berlin"},
			`[["url",{},"uri","https://example.com/a?b=1\u0026c=2"],["attach",{"fmttype":"application/pdf"},"uri","https://example.com/a.pdf"],["tzurl",{},"uri","https://tz.example/Berlin"]]`},
		{"binary attach", []string{"ATTACH;ENCODING=BASE64;VALUE=BINARY;FMTTYPE=text/plain:SGVsbG8sIHdvcmxkIQ=="},
			`[["attach",{"encoding":"BASE64","fmttype":"text/plain"},"binary","SGVsbG8sIHdvcmxkIQ=="]]`},
		{"organizer and attendee", []string{"ORGANIZER;CN=Boss:mailto:boss@example.com", "ATTENDEE;PARTSTAT=ACCEPTED;RSVP=TRUE:mailto:jane@example.com"},
			`[["organizer",{"cn":"Boss"},"cal-address","mailto:boss@example.com"],["attendee",{"partstat":"ACCEPTED","rsvp":"TRUE"},"cal-address","mailto:jane@example.com"]]`},

		// parameters
		{"quoted parameter values with colon and comma", []string{`ATTENDEE;CN="Doe, Jane";SENT-BY="mailto:assistant@example.com";X-NOTE="a;b:c":mailto:jane@example.com`},
			`[["attendee",{"cn":"Doe, Jane","sent-by":"mailto:assistant@example.com","x-note":"a;b:c"},"cal-address","mailto:jane@example.com"]]`},
		{"multi-valued parameters", []string{`ATTENDEE;MEMBER="mailto:g1@example.com","mailto:g2@example.com";DELEGATED-TO="mailto:x@example.com";DELEGATED-FROM="mailto:a@example.com","mailto:b@example.com":mailto:jane@example.com`},
			`[["attendee",{"member":["mailto:g1@example.com","mailto:g2@example.com"],"delegated-to":"mailto:x@example.com","delegated-from":["mailto:a@example.com","mailto:b@example.com"]},"cal-address","mailto:jane@example.com"]]`},
		{"unquoted list and repeated parameter", []string{"X-A;P=1,2;Q=x;P=3:v"},
			`[["x-a",{"p":["1","2","3"],"q":"x"},"unknown","v"]]`},
		{"rfc 6868 caret escapes", []string{`ATTENDEE;CN=George Herman ^'Babe^' Ruth;X-ADDR="Main St.^nSpringfield ^^ ^x":mailto:babe@example.com`},
			`[["attendee",{"cn":"George Herman \"Babe\" Ruth","x-addr":"Main St.\nSpringfield ^ ^x"},"cal-address","mailto:babe@example.com"]]`},
		{"empty parameter value", []string{`X-A;P=;Q="":v`},
			`[["x-a",{"p":"","q":""},"unknown","v"]]`},

		// unknown
		{"x-property raw", []string{`X-WR-CALNAME:My\, calendar\n`},
			`[["x-wr-calname",{},"unknown","My\\, calendar\\n"]]`},
		{"x-property with value type", []string{`X-LABEL;VALUE=TEXT:a\,b`, "X-WHEN;VALUE=DATE-TIME:20260310T100000Z", "X-HOME;VALUE=URI:https://example.com"},
			`[["x-label",{},"text","a,b"],["x-when",{},"date-time","2026-03-10T10:00:00Z"],["x-home",{},"uri","https://example.com"]]`},
		{"unregistered iana property and value type", []string{"FOO:bar", "X-Y;VALUE=X-SPECIAL:1\\,2"},
			`[["foo",{},"unknown","bar"],["x-y",{},"unknown","1\\,2"]]`},
		{"values that do not fit their type stay raw", []string{"PRIORITY:high", "DTSTART:20260310", "DTEND:2026-03-10T10:00:00", "GEO:1.5", "TZOFFSETFROM:0100", "DURATION:1H", "RRULE:FREQ=DAILY;FREQ=WEEKLY", "RDATE;VALUE=PERIOD:20260310T100000Z", "X-B;VALUE=BOOLEAN:yes", "SEQUENCE:99999999999999999999"},
			`[["priority",{},"unknown","high"],["dtstart",{},"unknown","20260310"],["dtend",{},"unknown","2026-03-10T10:00:00"],["geo",{},"unknown","1.5"],["tzoffsetfrom",{},"unknown","0100"],["duration",{},"unknown","1H"],["rrule",{},"unknown","FREQ=DAILY;FREQ=WEEKLY"],["rdate",{},"unknown","20260310T100000Z"],["x-b",{},"unknown","yes"],["sequence",{},"unknown","99999999999999999999"]]`},
		{"exdate with one bad value stays raw as a whole", []string{"EXDATE:20260317T100000Z,tomorrow"},
			`[["exdate",{},"unknown","20260317T100000Z,tomorrow"]]`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := eventJCal(t, tc.lines...)
			if want := jcalCompact(t, tc.want); got != want {
				t.Errorf("got  %s\nwant %s", got, want)
			}
		})
	}
}

func jcalMustJSON(s string) string {
	b, err := json.Marshal(s)
	if err != nil {
		panic(err)
	}
	return string(b)
}

func TestWriteJCalStructure(t *testing.T) {
	for _, tc := range []struct {
		name string
		ics  []byte
		want string
	}{
		{"empty calendar", jcalFoldICS("BEGIN:VCALENDAR", "END:VCALENDAR"),
			`["vcalendar",[],[]]`},
		{"nested alarm and timezone", jcalFoldICS(
			"BEGIN:VCALENDAR", "VERSION:2.0",
			"BEGIN:VTIMEZONE", "TZID:Asia/Kathmandu",
			"BEGIN:STANDARD", "DTSTART:19860101T000000", "TZOFFSETFROM:+0530", "TZOFFSETTO:+0545", "END:STANDARD",
			"END:VTIMEZONE",
			"BEGIN:VEVENT", "UID:1",
			"BEGIN:VALARM", "ACTION:DISPLAY", "TRIGGER:-PT5M", "END:VALARM",
			"BEGIN:VALARM", "ACTION:AUDIO", "TRIGGER;VALUE=DATE-TIME:20260310T090000Z", "REPEAT:2", "END:VALARM",
			"END:VEVENT",
			"BEGIN:VTODO", "UID:2", "END:VTODO",
			"END:VCALENDAR"),
			`["vcalendar",[["version",{},"text","2.0"]],[
			  ["vtimezone",[["tzid",{},"text","Asia/Kathmandu"]],[
			    ["standard",[["dtstart",{},"date-time","1986-01-01T00:00:00"],["tzoffsetfrom",{},"utc-offset","+05:30"],["tzoffsetto",{},"utc-offset","+05:45"]],[]]]],
			  ["vevent",[["uid",{},"text","1"]],[
			    ["valarm",[["action",{},"text","DISPLAY"],["trigger",{},"duration","-PT5M"]],[]],
			    ["valarm",[["action",{},"text","AUDIO"],["trigger",{},"date-time","2026-03-10T09:00:00Z"],["repeat",{},"integer",2]],[]]]],
			  ["vtodo",[["uid",{},"text","2"]],[]]]]`},
		{"lower-case component names and LF line ends", []byte("begin:vcalendar\nbegin:vevent\nuid:1\nend:VEVENT\nEND:vcalendar\n"),
			`["vcalendar",[],[["vevent",[["uid",{},"text","1"]],[]]]]`},
		{"blank lines and trailing space", []byte("BEGIN:VCALENDAR\r\n\r\nBEGIN:VEVENT\r\nUID:1\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n\r\n  \r\n"),
			`["vcalendar",[],[["vevent",[["uid",{},"text","1"]],[]]]]`},
		{"no final line end", []byte("BEGIN:VCALENDAR\r\nEND:VCALENDAR"),
			`["vcalendar",[],[]]`},
		{"property after a subcomponent inside an event goes with the others", jcalFoldICS(
			"BEGIN:VCALENDAR", "BEGIN:VEVENT", "UID:1", "BEGIN:VALARM", "ACTION:DISPLAY", "END:VALARM", "SUMMARY:late", "END:VEVENT", "END:VCALENDAR"),
			`["vcalendar",[],[["vevent",[["uid",{},"text","1"],["summary",{},"text","late"]],[["valarm",[["action",{},"text","DISPLAY"]],[]]]]]]`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, _ := runJCal(t, tc.ics)
			if want := jcalCompact(t, tc.want); got != want {
				t.Errorf("got  %s\nwant %s", got, want)
			}
		})
	}
}

func TestWriteJCalMalformed(t *testing.T) {
	deep := []string{"BEGIN:VCALENDAR"}
	for i := 0; i < 16; i++ {
		deep = append(deep, "BEGIN:X-C")
	}
	for _, tc := range []struct {
		name string
		ics  []byte
	}{
		{"empty", nil},
		{"only blank lines", []byte("\r\n\r\n  \r\n")},
		{"not a calendar", []byte("hello world")},
		{"starts with a property", jcalFoldICS("VERSION:2.0", "BEGIN:VCALENDAR", "END:VCALENDAR")},
		{"starts with another component", jcalFoldICS("BEGIN:VEVENT", "END:VEVENT")},
		{"no END", jcalFoldICS("BEGIN:VCALENDAR", "VERSION:2.0")},
		{"unclosed event", jcalFoldICS("BEGIN:VCALENDAR", "BEGIN:VEVENT", "END:VCALENDAR")},
		{"END for another component", jcalFoldICS("BEGIN:VCALENDAR", "BEGIN:VEVENT", "END:VTODO", "END:VCALENDAR")},
		{"END without BEGIN", jcalFoldICS("BEGIN:VCALENDAR", "END:VEVENT", "END:VCALENDAR")},
		{"line without colon", jcalFoldICS("BEGIN:VCALENDAR", "BEGIN:VEVENT", "SUMMARY lunch", "END:VEVENT", "END:VCALENDAR")},
		{"data after END:VCALENDAR", jcalFoldICS("BEGIN:VCALENDAR", "END:VCALENDAR", "X-EXTRA:1")},
		{"second calendar", jcalFoldICS("BEGIN:VCALENDAR", "END:VCALENDAR", "BEGIN:VCALENDAR", "END:VCALENDAR")},
		{"invalid property name", jcalFoldICS("BEGIN:VCALENDAR", "SUM MARY:x", "END:VCALENDAR")},
		{"empty property name", jcalFoldICS("BEGIN:VCALENDAR", ":x", "END:VCALENDAR")},
		{"invalid component name", jcalFoldICS("BEGIN:VCALENDAR", "BEGIN:V EVENT", "END:V EVENT", "END:VCALENDAR")},
		{"BEGIN with parameters", jcalFoldICS("BEGIN:VCALENDAR", "BEGIN;X=1:VEVENT", "END:VEVENT", "END:VCALENDAR")},
		{"END with parameters", jcalFoldICS("BEGIN:VCALENDAR", "END;X=1:VCALENDAR")},
		{"parameter without =", jcalFoldICS("BEGIN:VCALENDAR", "SUMMARY;LANGUAGE:x", "END:VCALENDAR")},
		{"invalid parameter name", jcalFoldICS("BEGIN:VCALENDAR", "SUMMARY;LANG UAGE=de:x", "END:VCALENDAR")},
		{"unterminated quote", jcalFoldICS("BEGIN:VCALENDAR", `SUMMARY;CN="abc:x`, "END:VCALENDAR")},
		{"quote inside unquoted value", jcalFoldICS("BEGIN:VCALENDAR", `SUMMARY;CN=a"b":x`, "END:VCALENDAR")},
		{"junk after quoted value", jcalFoldICS("BEGIN:VCALENDAR", `SUMMARY;CN="a"b:x`, "END:VCALENDAR")},
		{"line ends in a parameter", jcalFoldICS("BEGIN:VCALENDAR", `SUMMARY;CN=a`, "END:VCALENDAR")},
		{"control character", []byte("BEGIN:VCALENDAR\r\nSUMMARY:a\x00b\r\nEND:VCALENDAR\r\n")},
		{"bare CR inside a line", []byte("BEGIN:VCALENDAR\r\nSUMMARY:a\rb\r\nEND:VCALENDAR\r\n")},
		{"invalid UTF-8", []byte("BEGIN:VCALENDAR\r\nSUMMARY:\xff\xfe\r\nEND:VCALENDAR\r\n")},
		{"nested too deep", jcalFoldICS(deep...)},
		{"calendar property after a component", jcalFoldICS("BEGIN:VCALENDAR", "BEGIN:VEVENT", "END:VEVENT", "METHOD:PUBLISH", "END:VCALENDAR")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			err := WriteJCal(&buf, tc.ics)
			if err == nil {
				t.Fatalf("no error; wrote %s", buf.Bytes())
			}
			if !strings.HasPrefix(err.Error(), "jcal: ") {
				t.Errorf("error %q lacks the jcal: prefix", err)
			}
		})
	}
}

func TestWriteJCalErrorLineNumbers(t *testing.T) {
	ics := jcalFoldICS("BEGIN:VCALENDAR", "BEGIN:VEVENT", "DESCRIPTION:"+strings.Repeat("x", 200), "SUMMARY lunch", "END:VEVENT", "END:VCALENDAR")
	err := WriteJCal(&bytes.Buffer{}, ics)
	// DESCRIPTION takes physical lines 3-5.
	if err == nil || !strings.Contains(err.Error(), "line 6:") {
		t.Errorf("error %v, want one at line 6", err)
	}
}

type jcalFailingWriter struct{ n int }

func (f *jcalFailingWriter) Write(p []byte) (int, error) {
	f.n++
	return 0, errors.New("disk full")
}

func TestWriteJCalWriterError(t *testing.T) {
	err := WriteJCal(&jcalFailingWriter{}, jcalCRLF(rfc7265B2ICS))
	if err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Errorf("error %v, want the writer's", err)
	}
}

// A large calendar is written in several pieces, not held in one buffer.
func TestWriteJCalStreams(t *testing.T) {
	ics := jcalBenchCalendar(2000)
	var w jcalCountingWriter
	if err := WriteJCal(&w, ics); err != nil {
		t.Fatal(err)
	}
	if w.writes < 2 {
		t.Errorf("%d writes for %d bytes of output, want several", w.writes, w.bytes.Len())
	}
	if w.max > 2*jcalFlushAt {
		t.Errorf("largest write %d bytes, want at most about %d", w.max, jcalFlushAt)
	}
	var v any
	if err := json.Unmarshal(w.bytes.Bytes(), &v); err != nil {
		t.Fatal(err)
	}
	validateJCal(t, v)
	if n := len(v.([]any)[2].([]any)); n != 2001 { // the VTIMEZONE and the events
		t.Errorf("%d components, want 2001", n)
	}
}

type jcalCountingWriter struct {
	bytes       bytes.Buffer
	writes, max int
}

func (c *jcalCountingWriter) Write(p []byte) (int, error) {
	c.writes++
	c.max = max(c.max, len(p))
	return c.bytes.Write(p)
}

// jcalAppendJSONString's copy-through path must give what encoding/json
// gives.
func TestJCalJSONStringMatchesEncodingJSON(t *testing.T) {
	for _, s := range []string{
		"", "plain", "quote \" backslash \\", "<script>&amp;</script>", "tab\t", "nl\n", "\x00\x1f\x7f",
		"Grüße", "東京", "😀", "\u2028\u2029", "bad \xff utf-8", "\xed\xa0\x80", "trunc \xe6\x9d",
	} {
		want, _ := json.Marshal(s)
		if got := jcalAppendJSONString(nil, s); string(got) != string(want) {
			t.Errorf("%q: got %s, want %s", s, got, want)
		}
		if got := jcalAppendJSONString(nil, []byte(s)); string(got) != string(want) {
			t.Errorf("[]byte %q: got %s, want %s", s, got, want)
		}
	}
}

func TestJCalIsDuration(t *testing.T) {
	for v, want := range map[string]bool{
		"PT1H": true, "-PT15M": true, "+P1D": true, "P1DT12H": true, "P2W": true, "PT1H30M15S": true,
		"P1D2H": false, "P": false, "PT": false, "P1DT": false, "P1W2D": false, "PT1M1H": false,
		"1H": false, "P1": false, "PTH": false, "P1Y": false, "": false, "-": false, "P1DT1H1M1S": true,
	} {
		if got := jcalIsDuration(v); got != want {
			t.Errorf("jcalIsDuration(%q) = %v, want %v", v, got, want)
		}
	}
}

// jcalBenchCalendar builds a calendar like a busy feed: a VTIMEZONE and n
// events with time zones, attendees, escaped and non-ASCII text, folded
// descriptions, every fifth recurring with exceptions, every seventh with
// an alarm.
func jcalBenchCalendar(n int) []byte {
	lines := []string{
		"BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//almanac//feed//EN", "CALSCALE:GREGORIAN",
		"X-WR-CALNAME:Team calendar", "X-WR-TIMEZONE:Europe/Berlin",
		"BEGIN:VTIMEZONE", "TZID:Europe/Berlin",
		"BEGIN:DAYLIGHT", "TZOFFSETFROM:+0100", "TZOFFSETTO:+0200", "TZNAME:CEST", "DTSTART:19700329T020000", "RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU", "END:DAYLIGHT",
		"BEGIN:STANDARD", "TZOFFSETFROM:+0200", "TZOFFSETTO:+0100", "TZNAME:CET", "DTSTART:19701025T030000", "RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU", "END:STANDARD",
		"END:VTIMEZONE",
	}
	for i := 0; i < n; i++ {
		day := fmt.Sprintf("2026%02d%02d", i%12+1, i%28+1)
		lines = append(lines,
			"BEGIN:VEVENT",
			fmt.Sprintf("UID:event-%06d@almanac.example", i),
			"DTSTAMP:20260301T120000Z",
			"DTSTART;TZID=Europe/Berlin:"+day+"T100000",
			"DTEND;TZID=Europe/Berlin:"+day+"T113000",
			fmt.Sprintf("SUMMARY:Weekly sync #%d\\, room Köln", i),
			"DESCRIPTION:Agenda:\\n1. Status\\; blockers\\n2. Planning for the next sprint with everyone in the team and the guests from the design group\\n3. Any other business",
			"LOCATION:Room 4.12\\, Building B",
			`ORGANIZER;CN="Doe, Jane":mailto:jane@example.com`,
			"ATTENDEE;CN=Bob;PARTSTAT=ACCEPTED;ROLE=REQ-PARTICIPANT:mailto:bob@example.com",
			"CATEGORIES:Work,Meeting",
			fmt.Sprintf("SEQUENCE:%d", i%3),
			"STATUS:CONFIRMED",
		)
		if i%5 == 0 {
			lines = append(lines,
				"RRULE:FREQ=WEEKLY;UNTIL=20261231T230000Z;BYDAY=MO,WE,FR;INTERVAL=1",
				"EXDATE;TZID=Europe/Berlin:"+day+"T100000,20261225T100000")
		}
		if i%7 == 0 {
			lines = append(lines, "BEGIN:VALARM", "ACTION:DISPLAY", "DESCRIPTION:Reminder", "TRIGGER:-PT15M", "END:VALARM")
		}
		lines = append(lines, "END:VEVENT")
	}
	lines = append(lines, "END:VCALENDAR")
	return jcalFoldICS(lines...)
}

func BenchmarkWriteJCal(b *testing.B) {
	ics := jcalBenchCalendar(10000)
	b.SetBytes(int64(len(ics)))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if err := WriteJCal(io.Discard, ics); err != nil {
			b.Fatal(err)
		}
	}
}
