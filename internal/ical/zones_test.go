package ical

import (
	"strings"
	"testing"
	"time"

	goical "github.com/emersion/go-ical"
)

// vtz builds a VTIMEZONE from its TZID and body lines.
func vtz(tzid string, lines ...string) []string {
	return append(append([]string{"BEGIN:VTIMEZONE", "TZID:" + tzid}, lines...), "END:VTIMEZONE")
}

// EU rules since 1996 (last Sunday of March 02:00 to last Sunday of
// October 03:00), CET/CEST.
var euRules = []string{
	"BEGIN:STANDARD", "DTSTART:19701025T030000", "RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU",
	"TZOFFSETFROM:+0200", "TZOFFSETTO:+0100", "TZNAME:CET", "END:STANDARD",
	"BEGIN:DAYLIGHT", "DTSTART:19700329T020000", "RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU",
	"TZOFFSETFROM:+0100", "TZOFFSETTO:+0200", "TZNAME:CEST", "END:DAYLIGHT",
}

// US rules as Outlook and Apple write them, with the 1987-2006 rules
// ending in UNTIL at the exact UTC instant of their last onset.
var usRules = []string{
	"BEGIN:DAYLIGHT", "DTSTART:19870405T020000", "RRULE:FREQ=YEARLY;BYMONTH=4;BYDAY=1SU;UNTIL=20060402T070000Z",
	"TZOFFSETFROM:-0500", "TZOFFSETTO:-0400", "TZNAME:EDT", "END:DAYLIGHT",
	"BEGIN:STANDARD", "DTSTART:19671029T020000", "RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU;UNTIL=20061029T060000Z",
	"TZOFFSETFROM:-0400", "TZOFFSETTO:-0500", "TZNAME:EST", "END:STANDARD",
	"BEGIN:DAYLIGHT", "DTSTART:20070311T020000", "RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=2SU",
	"TZOFFSETFROM:-0500", "TZOFFSETTO:-0400", "TZNAME:EDT", "END:DAYLIGHT",
	"BEGIN:STANDARD", "DTSTART:20071104T020000", "RRULE:FREQ=YEARLY;BYMONTH=11;BYDAY=1SU",
	"TZOFFSETFROM:-0400", "TZOFFSETTO:-0500", "TZNAME:EST", "END:STANDARD",
}

// wallUTC reads "YYYYMMDDTHHMMSS" with TZID tzid in the calendar built
// from the given VTIMEZONE lines, returning the instant in UTC.
func wallUTC(t *testing.T, z *Zones, tzid, wall string) string {
	t.Helper()
	p := goical.NewProp(goical.PropDateTimeStart)
	p.Value = wall
	p.Params.Set(goical.PropTimezoneID, tzid)
	v, _, err := z.DateTime(p, nil)
	if err != nil {
		t.Fatal(err)
	}
	return v.UTC().Format(utcFmt)
}

func TestZones(t *testing.T) {
	tests := []struct {
		name  string
		tzid  string
		defs  []string // VTIMEZONE lines in the object
		cases [][2]string
		known bool
	}{
		{"IANA", "Europe/Berlin", nil, [][2]string{{"20240701T100000", "20240701T080000Z"}, {"20240115T100000", "20240115T090000Z"}}, true},
		{"IANA wins over a wrong VTIMEZONE", "Europe/Berlin", vtz("Europe/Berlin", "BEGIN:STANDARD", "DTSTART:19700101T000000",
			"TZOFFSETFROM:+0500", "TZOFFSETTO:+0500", "END:STANDARD"), [][2]string{{"20240701T100000", "20240701T080000Z"}}, true},
		{"Windows ID", "W. Europe Standard Time", nil, [][2]string{{"20240701T100000", "20240701T080000Z"}}, true},
		{"Windows ID, other case", "eastern standard time", nil, [][2]string{{"20240115T100000", "20240115T150000Z"}}, true},
		{"Windows ID with Outlook's numeric suffix", "Eastern Standard Time 1", nil,
			[][2]string{{"20240115T100000", "20240115T150000Z"}, {"20240715T100000", "20240715T140000Z"}}, true},
		{"Windows ID ending in a number", "Russia Time Zone 3", nil, [][2]string{{"20240115T100000", "20240115T060000Z"}}, true},
		{"Windows ID with Exchange prefix", "tzone://Microsoft/Pacific Standard Time", nil, [][2]string{{"20240115T100000", "20240115T180000Z"}}, true},
		{"Windows display name", "(UTC+01:00) Amsterdam, Berlin, Bern, Rome, Stockholm, Vienna", nil,
			[][2]string{{"20240701T100000", "20240701T080000Z"}}, true},
		{"old Outlook display name", "(GMT+01.00) Amsterdam / Berlin / Bern / Rome / Stockholm / Vienna", nil,
			[][2]string{{"20240701T100000", "20240701T080000Z"}}, true},
		{"display name nobody knows: its fixed offset", "(UTC+05:30) Somewhere Else", nil,
			[][2]string{{"20240701T100000", "20240701T043000Z"}}, true},
		{"freeassociation Tzfile prefix", "/freeassociation.sourceforge.net/Tzfile/Europe/Berlin", nil,
			[][2]string{{"20240701T100000", "20240701T080000Z"}}, true},
		{"freeassociation prefix", "/freeassociation.sourceforge.net/Europe/Berlin", nil,
			[][2]string{{"20240701T100000", "20240701T080000Z"}}, true},
		{"mozilla prefix", "/mozilla.org/20050126_1/Europe/Berlin", nil, [][2]string{{"20240701T100000", "20240701T080000Z"}}, true},
		{"citadel prefix", "/citadel.org/20190914_1/America/New_York", nil, [][2]string{{"20240115T100000", "20240115T150000Z"}}, true},
		{"softwarestudio prefix", "/softwarestudio.org/Olson_20011030_5/America/New_York", nil,
			[][2]string{{"20240115T100000", "20240115T150000Z"}}, true},
		{"X-LIC-LOCATION beats the VTIMEZONE's rules", "Local Time", vtz("Local Time", "X-LIC-LOCATION:America/New_York",
			"BEGIN:STANDARD", "DTSTART:19700101T000000", "TZOFFSETFROM:+0300", "TZOFFSETTO:+0300", "END:STANDARD"),
			[][2]string{{"20240115T100000", "20240115T150000Z"}, {"20240715T100000", "20240715T140000Z"}}, true},
		{"VTIMEZONE only, EU rules", "Custom Berlin", vtz("Custom Berlin", euRules...), [][2]string{
			{"20240115T100000", "20240115T090000Z"},
			{"20240701T100000", "20240701T080000Z"},
			{"20240331T015959", "20240331T005959Z"}, // last second of CET
			{"20240331T030000", "20240331T010000Z"}, // first of CEST
			{"20240331T023000", "20240331T013000Z"}, // in the gap: offset before it (RFC 5545 3.3.5)
			{"20241027T023000", "20241027T003000Z"}, // repeated hour: first occurrence (RFC 5545 3.3.5)
			{"20241027T033000", "20241027T023000Z"},
			{"19600701T100000", "19600701T090000Z"}, // before the first onset: its TZOFFSETFROM
			{"22000701T100000", "22000701T080000Z"}, // past the generated years: POSIX footer
			{"22001215T100000", "22001215T090000Z"},
		}, true},
		{"VTIMEZONE only, US rules with UNTIL", "Custom Eastern", vtz("Custom Eastern", usRules...), [][2]string{
			{"20060401T120000", "20060401T170000Z"},
			{"20060402T030000", "20060402T070000Z"}, // first onset of 2006 is the UNTIL instant: included
			{"20061028T120000", "20061028T160000Z"},
			{"20061030T120000", "20061030T170000Z"},
			{"20070312T120000", "20070312T160000Z"}, // 2007 rules: DST from the second Sunday of March
			{"20240309T120000", "20240309T170000Z"},
			{"20240310T030000", "20240310T070000Z"},
			{"20241103T013000", "20241103T053000Z"}, // repeated hour: first occurrence
			{"21500315T120000", "21500315T160000Z"}, // footer: second Sunday of March 2150 is the 8th
		}, true},
		{"VTIMEZONE only, Outlook 1601 style", "Customized Time Zone", vtz("Customized Time Zone",
			"BEGIN:STANDARD", "DTSTART:16011028T030000", "RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=10",
			"TZOFFSETFROM:+0200", "TZOFFSETTO:+0100", "END:STANDARD",
			"BEGIN:DAYLIGHT", "DTSTART:16010325T020000", "RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=3",
			"TZOFFSETFROM:+0100", "TZOFFSETTO:+0200", "END:DAYLIGHT"),
			[][2]string{{"20240115T100000", "20240115T090000Z"}, {"20240701T100000", "20240701T080000Z"}}, true},
		{"VTIMEZONE only, BYMONTHDAY week form, southern hemisphere", "Custom Sydney", vtz("Custom Sydney",
			"BEGIN:STANDARD", "DTSTART:20080406T030000", "RRULE:FREQ=YEARLY;BYMONTH=4;BYDAY=SU;BYMONTHDAY=1,2,3,4,5,6,7",
			"TZOFFSETFROM:+1100", "TZOFFSETTO:+1000", "END:STANDARD",
			"BEGIN:DAYLIGHT", "DTSTART:20081005T020000", "RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=1SU",
			"TZOFFSETFROM:+1000", "TZOFFSETTO:+1100", "END:DAYLIGHT"),
			[][2]string{{"20240115T100000", "20240114T230000Z"}, {"20240715T100000", "20240715T000000Z"},
				{"22000115T100000", "22000114T230000Z"}, {"22000715T100000", "22000715T000000Z"}}, true},
		{"VTIMEZONE only, RDATE onsets", "Custom RDATE", vtz("Custom RDATE",
			"BEGIN:STANDARD", "DTSTART:20231029T030000", "RDATE:20241027T030000", "TZOFFSETFROM:+0200", "TZOFFSETTO:+0100", "END:STANDARD",
			"BEGIN:DAYLIGHT", "DTSTART:20240331T020000", "TZOFFSETFROM:+0100", "TZOFFSETTO:+0200", "END:DAYLIGHT"),
			[][2]string{{"20240115T100000", "20240115T090000Z"}, {"20240701T100000", "20240701T080000Z"}, {"20241201T100000", "20241201T090000Z"}}, true},
		{"VTIMEZONE only, fixed offset", "India", vtz("India",
			"BEGIN:STANDARD", "DTSTART:19700101T000000", "TZOFFSETFROM:+0530", "TZOFFSETTO:+0530", "TZNAME:IST", "END:STANDARD"),
			[][2]string{{"20240701T100000", "20240701T043000Z"}}, true},
		{"broken VTIMEZONE is unknown: UTC", "Broken", vtz("Broken", "BEGIN:STANDARD", "TZOFFSETTO:+99", "END:STANDARD"),
			[][2]string{{"20240701T100000", "20240701T100000Z"}}, false},
		{"unknown: UTC", "Mars/Olympus", nil, [][2]string{{"20240701T100000", "20240701T100000Z"}}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lines := append(append([]string{}, tt.defs...), "BEGIN:VEVENT", "UID:x", "DTSTART:20240101T000000Z", "END:VEVENT")
			z := ZonesOf(parseObject(t, lines...))
			if _, ok := z.Lookup(tt.tzid); ok != tt.known {
				t.Errorf("Lookup(%q) known=%v, want %v", tt.tzid, ok, tt.known)
			}
			for _, c := range tt.cases {
				if got := wallUTC(t, z, tt.tzid, c[0]); got != c[1] {
					t.Errorf("%s %s: got %s, want %s", tt.tzid, c[0], got, c[1])
				}
			}
		})
	}
}

// TestZones_VTimezoneMatchesIANA compares locations built from VTIMEZONE
// rules with the IANA zones they describe, twice a day from their start
// to 2200 (past the generated transitions, so the POSIX footer is checked
// too).
func TestZones_VTimezoneMatchesIANA(t *testing.T) {
	tests := []struct {
		iana  string
		from  int
		lines []string
	}{
		{"Europe/Berlin", 1996, euRules},
		{"America/New_York", 1987, usRules},
		{"Australia/Sydney", 2008, []string{
			"BEGIN:STANDARD", "DTSTART:20080406T030000", "RRULE:FREQ=YEARLY;BYMONTH=4;BYDAY=1SU",
			"TZOFFSETFROM:+1100", "TZOFFSETTO:+1000", "END:STANDARD",
			"BEGIN:DAYLIGHT", "DTSTART:20081005T020000", "RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=1SU",
			"TZOFFSETFROM:+1000", "TZOFFSETTO:+1100", "END:DAYLIGHT"}},
	}
	for _, tt := range tests {
		z := ZonesOf(parseObject(t, vtz("X", tt.lines...)...))
		got, ok := z.Lookup("X")
		want, _ := LoadLocation(tt.iana)
		if !ok {
			t.Fatalf("%s: not built", tt.iana)
		}
		end := time.Date(2200, 1, 1, 0, 0, 0, 0, time.UTC)
		for at := time.Date(tt.from, 1, 1, 0, 0, 0, 0, time.UTC); at.Before(end); at = at.Add(12 * time.Hour) {
			_, g := at.In(got).Zone()
			_, w := at.In(want).Zone()
			if g != w {
				t.Errorf("%s at %v: offset %d, IANA says %d", tt.iana, at, g, w)
				break
			}
		}
	}
}

func TestWindowsZones(t *testing.T) {
	seen := map[string]bool{}
	for _, w := range windowsZones {
		if _, ok := LoadLocation(w.iana); !ok {
			t.Errorf("%s maps to %s, which does not load", w.windows, w.iana)
		}
		if seen[strings.ToLower(w.windows)] {
			t.Errorf("%s twice", w.windows)
		}
		seen[strings.ToLower(w.windows)] = true
		if iana, ok := windowsName(w.display); !ok || iana != w.iana {
			t.Errorf("display name %q maps to %q", w.display, iana)
		}
	}
	if len(windowsZones) < 130 {
		t.Errorf("only %d Windows zones", len(windowsZones))
	}
}

// TestInstances_VTimezoneZone: a weekly series in a zone only its
// VTIMEZONE defines keeps its wall-clock time across the DST change, and
// a Windows-named zone resolves the same way.
func TestInstances_VTimezoneZone(t *testing.T) {
	for _, tzid := range []string{"Custom Berlin", "W. Europe Standard Time"} {
		cal := parseObject(t, join(vtz("Custom Berlin", euRules...),
			vev("DTSTART;TZID="+tzid+":20240321T100000", "DTEND;TZID="+tzid+":20240321T110000", "RRULE:FREQ=WEEKLY;COUNT=3"))...)
		got, _ := collect(t, cal, InstanceOptions{})
		want := "20240321T090000Z/20240321T100000Z 20240328T090000Z/20240328T100000Z 20240404T080000Z/20240404T090000Z"
		if strings.Join(got, " ") != want {
			t.Errorf("%s: got %v, want %s", tzid, got, want)
		}
	}
}
