package ical

import "github.com/emersion/go-ical"

// ValidateTimezone checks a CALDAV:calendar-timezone property value
// (RFC 4791 5.2.2): an iCalendar object holding exactly one VTIMEZONE
// with a TZID, and nothing else.
func ValidateTimezone(data []byte) error {
	cal, err := Parse(data)
	if err != nil {
		return err
	}
	n := 0
	for _, c := range cal.Children {
		if c.Name != ical.CompTimezone {
			return dataErr("calendar-timezone may only contain a VTIMEZONE, found %s", quote(c.Name))
		}
		n++
		if p := c.Props.Get(ical.PropTimezoneID); p == nil || p.Value == "" {
			return dataErr("the VTIMEZONE of calendar-timezone has no TZID")
		}
	}
	if n != 1 {
		return dataErr("calendar-timezone must contain exactly one VTIMEZONE, found %d", n)
	}
	return nil
}
