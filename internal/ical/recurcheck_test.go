package ical

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/teambition/rrule-go"
)

// Rules real clients write (testdata/realworld and the producers' own
// documentation), and RFC 5545's and RFC 7529's examples.
var validRules = []string{
	"FREQ=DAILY",
	"FREQ=DAILY;",
	"freq=weekly;byday=mo,we",
	"FREQ=WEEKLY;WKST=SU;UNTIL=20240726;BYDAY=FR",
	"FREQ=WEEKLY;WKST=MO;UNTIL=20240625T215959Z;BYDAY=TU",
	"FREQ=WEEKLY;UNTIL=20240625T215959;BYDAY=TU", // floating UNTIL (iOS on zoned series)
	"FREQ=MONTHLY;UNTIL=20250131T210000Z;BYDAY=-1FR",
	"FREQ=MONTHLY;COUNT=4;BYDAY=WE;BYSETPOS=2",
	"FREQ=YEARLY;INTERVAL=1;BYDAY=2SU;BYMONTH=3",
	"FREQ=YEARLY;BYDAY=+1SU;BYMONTH=11",
	"FREQ=MONTHLY;BYMONTHDAY=-1",
	"FREQ=YEARLY;BYYEARDAY=1,100,200,-1",
	"FREQ=YEARLY;BYWEEKNO=20;BYDAY=MO",
	"FREQ=YEARLY;BYWEEKNO=-1,53",
	"FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-2",
	"FREQ=DAILY;BYHOUR=9,10,11,12,13,14,15,16;BYMINUTE=0,20,40",
	"FREQ=MINUTELY;INTERVAL=20;BYHOUR=9,10,11,12,13,14,15,16",
	"FREQ=SECONDLY;INTERVAL=30;COUNT=10",
	"FREQ=HOURLY;INTERVAL=3;UNTIL=19970902T170000Z",
	"FREQ=DAILY;BYSECOND=0,60", // 60: a leap second
	"FREQ=YEARLY;BYHOUR=09;BYMINUTE=05",
	"RSCALE=CHINESE;FREQ=YEARLY;BYMONTH=5L;SKIP=FORWARD;",
	"RSCALE=HEBREW;FREQ=YEARLY;BYMONTH=13;BYYEARDAY=385",
	"RSCALE=GREGORIAN;FREQ=MONTHLY;BYMONTHDAY=31;SKIP=BACKWARD",
	"FREQ=DAILY;COUNT=2147483647",
	"FREQ=DAILY;INTERVAL=100000",
}

func TestCheckRecur_Valid(t *testing.T) {
	for _, rule := range validRules {
		if err := checkRecur(rule); err != nil {
			t.Errorf("%s: %v", rule, err)
		}
	}
}

func TestCheckRecur_Invalid(t *testing.T) {
	tests := []struct{ rule, want string }{
		{"FREQ=FOREVER", `FREQ="FOREVER" is not one of`},
		{"COUNT=3", "FREQ is required"},
		{"", "FREQ is required"},
		{"FREQ=DAILY;FREQ=WEEKLY", "FREQ occurs more than once"},
		{"FREQ=DAILY;COUNT=2;COUNT=3", "COUNT occurs more than once"},
		{"FREQ=DAILY;BYHOUR=25", `BYHOUR value "25" is out of range (0 to 23)`},
		{"FREQ=DAILY;BYHOUR=-1", `BYHOUR value "-1" is not a whole number`},
		{"FREQ=DAILY;BYMINUTE=60", `BYMINUTE value "60" is out of range`},
		{"FREQ=DAILY;BYSECOND=61", `BYSECOND value "61" is out of range`},
		{"FREQ=MONTHLY;BYMONTHDAY=0", `BYMONTHDAY value "0" is out of range (1 to 31 or -1 to -31)`},
		{"FREQ=MONTHLY;BYMONTHDAY=32", `BYMONTHDAY value "32"`},
		{"FREQ=YEARLY;BYYEARDAY=367", `BYYEARDAY value "367"`},
		{"FREQ=YEARLY;BYWEEKNO=54", `BYWEEKNO value "54"`},
		{"FREQ=YEARLY;BYMONTH=13", `BYMONTH value "13" is out of range (1 to 12)`},
		{"FREQ=YEARLY;BYMONTH=5L", `BYMONTH value "5L" is not a whole number`},
		{"FREQ=MONTHLY;BYDAY=MO;BYSETPOS=0", `BYSETPOS value "0"`},
		{"FREQ=MONTHLY;BYSETPOS=1", "BYSETPOS needs another BYxxx rule part"},
		{"FREQ=MONTHLY;BYDAY=XX", `BYDAY value "XX" is not [+/-][week]weekday`},
		{"FREQ=MONTHLY;BYDAY=54MO", `BYDAY week value "54"`},
		{"FREQ=MONTHLY;BYDAY=+MO", `BYDAY week value "+"`},
		{"FREQ=WEEKLY;BYDAY=1MO", "a week number is only allowed with FREQ=MONTHLY or YEARLY"},
		{"FREQ=YEARLY;BYWEEKNO=1;BYDAY=1MO", "not allowed together with BYWEEKNO"},
		{"FREQ=MONTHLY;BYWEEKNO=1", "BYWEEKNO is only allowed with FREQ=YEARLY"},
		{"FREQ=MONTHLY;BYYEARDAY=1", "BYYEARDAY is not allowed with FREQ=MONTHLY"},
		{"FREQ=WEEKLY;BYMONTHDAY=1", "BYMONTHDAY is not allowed with FREQ=WEEKLY"},
		{"FREQ=DAILY;INTERVAL=0", `INTERVAL="0" is not a positive whole number`},
		{"FREQ=DAILY;INTERVAL=-2", `INTERVAL="-2" is not a positive whole number`},
		{"FREQ=DAILY;INTERVAL=1000000000", `INTERVAL="1000000000" is larger than 100000`},
		{"FREQ=DAILY;COUNT=0", `COUNT="0" is not a positive whole number`},
		{"FREQ=DAILY;COUNT=99999999999999999999", "is larger than"},
		{"FREQ=DAILY;COUNT=3;UNTIL=20240101T000000Z", "UNTIL and COUNT must not occur in the same rule"},
		{"FREQ=DAILY;UNTIL=tomorrow", `UNTIL: "tomorrow" is not a valid DATE`},
		{"FREQ=DAILY;UNTIL=2024-01-01", `UNTIL: "2024-01-01" is not a DATE-TIME`},
		{"FREQ=DAILY;UNTIL=20241332", `UNTIL: "20241332" is not a valid DATE`},
		{"FREQ=DAILY;BYHOUR=", `rule part "BYHOUR" has no value`},
		{"FREQ=DAILY;BYHOUR", `rule part "BYHOUR" has no value`},
		{"FREQ=DAILY;BYHOUR=1,,2", `BYHOUR value "" is not a whole number`},
		{"FREQ=DAILY;BYHOUR=1=2", `BYHOUR value "1=2"`},
		{"FREQ=DAILY;BYEASTER=0", `unknown rule part "BYEASTER"`},
		{"FREQ=DAILY; COUNT=3", `unknown rule part " COUNT"`},
		{"FREQ=DAILY;WKST=XX", `WKST="XX" is not a weekday`},
		{"FREQ=YEARLY;SKIP=OMIT", "SKIP needs RSCALE"},
		{"RSCALE=HEBREW;FREQ=YEARLY;SKIP=SOMETIMES", `SKIP="SOMETIMES" is not OMIT, BACKWARD or FORWARD`},
		{"RSCALE=A B;FREQ=YEARLY", `RSCALE="A B" is not a calendar name`},
	}
	for _, tt := range tests {
		err := checkRecur(tt.rule)
		if err == nil {
			t.Errorf("%s: accepted", tt.rule)
			continue
		}
		if !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: %v, want %q", tt.rule, err, tt.want)
		}
	}
}

// FuzzCheckRecur: checkRecur never panics; a rule it accepts (without
// RSCALE, which the engine does not expand) parses for the engine, which
// refuses it only when its INTERVAL never reaches BYHOUR/BYMINUTE/BYSECOND
// or it exceeds the work limits; and a rule the engine takes stays within
// them, its first period of an accepted coarse rule building no more
// occurrences than costOf estimated.
func FuzzCheckRecur(f *testing.F) {
	for _, r := range validRules {
		f.Add(r, uint16(0))
	}
	for _, r := range []string{
		"FREQ=YEARLY;BYDAY=MO,TU,WE,TH,FR,SA,SU;BYHOUR=0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23;BYMINUTE=0,30",
		"FREQ=SECONDLY;BYMONTH=2;BYMONTHDAY=29;BYHOUR=9;BYMINUTE=0;BYSECOND=0",
		"FREQ=HOURLY;INTERVAL=2;BYHOUR=1", "FREQ=YEARLY;BYMONTH=1,2;BYMONTHDAY=1,2,3;BYHOUR=1,2",
		"FREQ=MONTHLY;BYDAY=1MO,-1FR,TU;BYHOUR=3,4", "FREQ=WEEKLY;BYDAY=MO,SU;WKST=SU;BYMINUTE=1,2,3",
		"FREQ=YEARLY;BYWEEKNO=1,-1;BYDAY=MO,TH;BYSETPOS=1,-1",
	} {
		f.Add(r, uint16(3600*9+30))
	}
	f.Fuzz(func(t *testing.T, rule string, clock uint16) {
		if len(rule) > 512 {
			return
		}
		if checkRecur(rule) != nil || strings.Contains(strings.ToUpper(rule), "RSCALE") {
			return
		}
		sec := int(clock) % 86400
		start := time.Date(2024, 1, 1, sec/3600, sec/60%60, sec%60, 0, time.UTC)
		r, cost, err := parseRule(rule, start, false, nil)
		var le *LimitError
		switch {
		case errors.As(err, &le):
			return
		case err != nil && strings.Contains(err.Error(), "cannot be reached"):
			return
		case err != nil:
			t.Fatalf("%s: accepted by checkRecur, refused by the engine: %v", rule, err)
		case r == nil:
			return // no occurrence at all
		}
		if cost.candidates > maxPeriodCandidates || cost.steps > maxOccurrenceSteps {
			t.Fatalf("%s: cost %+v over the limits", rule, cost)
		}
		if cost.freq >= rrule.HOURLY || len(r.OrigOptions.Bysetpos) > 0 {
			return
		}
		// From the start of DTSTART's period, the first period's
		// occurrences are all there (start is midnight of 1 January, a
		// Monday, so every period starts there).
		o := r.OrigOptions
		o.Dtstart = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
		o.Count, o.Until = 0, time.Time{}
		first, err := rrule.NewRRule(o)
		if err != nil {
			t.Fatal(err)
		}
		next := first.Iterator()
		n := int64(0)
		for n <= cost.candidates {
			occ, ok := next()
			if !ok || periodIndex(occ, cost.freq, cost.wkst) != periodIndex(o.Dtstart, cost.freq, cost.wkst) {
				break
			}
			n++
		}
		if n > cost.candidates {
			t.Fatalf("%s: first period has more than the %d occurrences estimated", rule, cost.candidates)
		}
	})
}
