package ical

import (
	"almanac/internal/contentline"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// The rule parts of RFC 5545 3.3.10's recur, and RFC 7529's RSCALE and
// SKIP.
var recurParts = map[string]bool{
	"FREQ": true, "UNTIL": true, "COUNT": true, "INTERVAL": true,
	"BYSECOND": true, "BYMINUTE": true, "BYHOUR": true, "BYDAY": true, "BYMONTHDAY": true,
	"BYYEARDAY": true, "BYWEEKNO": true, "BYMONTH": true, "BYSETPOS": true, "WKST": true,
	"RSCALE": true, "SKIP": true,
}

var recurFreqs = map[string]int{
	"SECONDLY": 6, "MINUTELY": 5, "HOURLY": 4, "DAILY": 3, "WEEKLY": 2, "MONTHLY": 1, "YEARLY": 0,
}

var recurWeekdays = map[string]bool{"SU": true, "MO": true, "TU": true, "WE": true, "TH": true, "FR": true, "SA": true}

// checkRecur checks an RRULE or EXRULE value against the grammar and rules
// of RFC 5545 3.3.10 and RFC 7529 3 (doc.go, "Recurrence rules"). The
// error explains the first problem, quoting only the client's value.
//
// Lenient where producers differ from the RFC and the meaning is plain:
// rule part names and values in any case, empty parts ("FREQ=DAILY;"),
// leading zeros, and an UNTIL whose value type differs from DTSTART's
// (Outlook writes UTC UNTILs on all-day series, iOS floating ones on
// zoned series).
func checkRecur(value string) error {
	// Values keep the client's case for messages; enumerated values
	// compare in upper case.
	parts := make(map[string]string)
	for _, part := range strings.Split(strings.TrimSpace(value), ";") {
		if part == "" {
			continue
		}
		name, val, ok := strings.Cut(part, "=")
		name = strings.ToUpper(name)
		switch {
		case !ok || val == "":
			return fmt.Errorf("rule part %s has no value", quote(name))
		case !recurParts[name]:
			return fmt.Errorf("unknown rule part %s", quote(name))
		}
		if _, dup := parts[name]; dup {
			return fmt.Errorf("%s occurs more than once", name)
		}
		parts[name] = val
	}
	freqName, ok := parts["FREQ"]
	if !ok {
		return fmt.Errorf("FREQ is required")
	}
	freq, ok := recurFreqs[strings.ToUpper(freqName)]
	if !ok {
		return fmt.Errorf("FREQ=%s is not one of SECONDLY, MINUTELY, HOURLY, DAILY, WEEKLY, MONTHLY, YEARLY", quote(freqName))
	}
	const monthly, weekly, daily = 1, 2, 3
	if u, ok := parts["UNTIL"]; ok {
		if _, ok := parts["COUNT"]; ok {
			return fmt.Errorf("UNTIL and COUNT must not occur in the same rule")
		}
		if _, _, err := parseTime(u, "", nil, nil); err != nil {
			return fmt.Errorf("UNTIL: %w", err)
		}
	}
	if c, ok := parts["COUNT"]; ok {
		if _, err := positive("COUNT", c, 1<<31-1); err != nil {
			return err
		}
	}
	if c, ok := parts["INTERVAL"]; ok {
		if _, err := positive("INTERVAL", c, maxInterval); err != nil {
			return err
		}
	}
	rscale := false
	if s, ok := parts["RSCALE"]; ok {
		// RFC 7529: an iana-token naming a CLDR calendar system.
		if !contentline.ValidName(s) {
			return fmt.Errorf("RSCALE=%s is not a calendar name", quote(s))
		}
		rscale = true
	}
	if s, ok := parts["SKIP"]; ok {
		if !rscale {
			return fmt.Errorf("SKIP needs RSCALE (RFC 7529 section 3.1)")
		}
		if u := strings.ToUpper(s); u != "OMIT" && u != "BACKWARD" && u != "FORWARD" {
			return fmt.Errorf("SKIP=%s is not OMIT, BACKWARD or FORWARD", quote(s))
		}
	}
	if w, ok := parts["WKST"]; ok && !recurWeekdays[strings.ToUpper(w)] {
		return fmt.Errorf("WKST=%s is not a weekday (SU, MO, TU, WE, TH, FR, SA)", quote(w))
	}
	// Other calendar systems have 13 months and years of up to 385 days.
	maxMonth, maxYearDay := 12, 366
	if rscale {
		maxMonth, maxYearDay = 13, 385
	}
	lists := []struct {
		name   string
		lo, hi int
		signed bool
	}{
		{"BYSECOND", 0, 60, false}, // 60: a leap second
		{"BYMINUTE", 0, 59, false},
		{"BYHOUR", 0, 23, false},
		{"BYMONTHDAY", 1, 31, true},
		{"BYYEARDAY", 1, maxYearDay, true},
		{"BYWEEKNO", 1, 53, true},
		{"BYMONTH", 1, maxMonth, false},
		{"BYSETPOS", 1, maxYearDay, true},
	}
	for _, l := range lists {
		val, ok := parts[l.name]
		if !ok {
			continue
		}
		for _, item := range strings.Split(val, ",") {
			if l.name == "BYMONTH" && rscale {
				item = strings.TrimSuffix(strings.ToUpper(item), "L") // RFC 7529 leap months: 5L
			}
			if err := inRange(l.name, item, l.lo, l.hi, l.signed); err != nil {
				return err
			}
		}
	}
	if val, ok := parts["BYDAY"]; ok {
		for _, item := range strings.Split(val, ",") {
			if len(item) < 2 || !recurWeekdays[strings.ToUpper(item[len(item)-2:])] {
				return fmt.Errorf("BYDAY value %s is not [+/-][week]weekday", quote(item))
			}
			ord := item[:len(item)-2]
			if ord == "" {
				continue
			}
			if err := inRange("BYDAY week", ord, 1, 53, true); err != nil {
				return err
			}
			// RFC 5545 3.3.10: "MUST NOT be specified with a numeric
			// value" unless MONTHLY or YEARLY, nor YEARLY with BYWEEKNO.
			if freq != 0 && freq != monthly {
				return fmt.Errorf("BYDAY=%s: a week number is only allowed with FREQ=MONTHLY or YEARLY", quote(item))
			}
			if _, ok := parts["BYWEEKNO"]; ok {
				return fmt.Errorf("BYDAY=%s: a week number is not allowed together with BYWEEKNO", quote(item))
			}
		}
	}
	if _, ok := parts["BYWEEKNO"]; ok && freq != 0 {
		return fmt.Errorf("BYWEEKNO is only allowed with FREQ=YEARLY")
	}
	if _, ok := parts["BYYEARDAY"]; ok && (freq == daily || freq == weekly || freq == monthly) {
		return fmt.Errorf("BYYEARDAY is not allowed with FREQ=%s", strings.ToUpper(freqName))
	}
	if _, ok := parts["BYMONTHDAY"]; ok && freq == weekly {
		return fmt.Errorf("BYMONTHDAY is not allowed with FREQ=WEEKLY")
	}
	if _, ok := parts["BYSETPOS"]; ok {
		other := false
		for name := range parts {
			other = other || name != "BYSETPOS" && strings.HasPrefix(name, "BY")
		}
		if !other {
			return fmt.Errorf("BYSETPOS needs another BYxxx rule part")
		}
	}
	return nil
}

// positive reads a rule part that must be a whole number from 1 to hi.
func positive(name, v string, hi int) (int, error) {
	n, ok := smallInt(v)
	if !ok || n < 1 {
		return 0, fmt.Errorf("%s=%s is not a positive whole number", name, quote(v))
	}
	if n > hi {
		return 0, fmt.Errorf("%s=%s is larger than %d", name, quote(v), hi)
	}
	return n, nil
}

// inRange checks one value of a BYxxx list: digits, a sign where the
// RFC allows one, and lo <= |n| <= hi.
func inRange(name, item string, lo, hi int, signed bool) error {
	digits := item
	if signed && (strings.HasPrefix(item, "+") || strings.HasPrefix(item, "-")) {
		digits = item[1:]
	}
	n, ok := smallInt(digits)
	if !ok {
		return fmt.Errorf("%s value %s is not a whole number", name, quote(item))
	}
	if n < lo || n > hi {
		if signed {
			return fmt.Errorf("%s value %s is out of range (%d to %d or -%d to -%d)", name, quote(item), lo, hi, lo, hi)
		}
		return fmt.Errorf("%s value %s is out of range (%d to %d)", name, quote(item), lo, hi)
	}
	return nil
}

// smallInt reads a run of ASCII digits; numbers of more than 18 digits
// read as math.MaxInt64, above every range here.
func smallInt(s string) (int, bool) {
	if s == "" || !isDigits(s) {
		return 0, false
	}
	s = strings.TrimLeft(s, "0")
	if s == "" {
		return 0, true
	}
	if len(s) > 18 {
		return math.MaxInt64, true
	}
	n, err := strconv.ParseInt(s, 10, 64)
	return int(n), err == nil
}
