package ical

import (
	"errors"
	"testing"
)

// SplitWithin stops at its limits: objects are counted with refusals,
// and bytes with every copy of a VTIMEZONE and of the calendar's
// properties; within them it cuts what Split cuts.
func TestSplitWithin(t *testing.T) {
	start := "DTSTART;TZID=Europe/Berlin:20260105T090000"
	three := file(vcalendar(splitBerlin, vevent("UID:a", start), vevent("UID:b", start), vevent("UID:c", "SUMMARY;X=\"a\"b:v")))
	whole, err := Split(three)
	if err != nil {
		t.Fatal(err)
	}
	var size int64
	for _, p := range whole.Parts {
		size += int64(len(p.Data))
	}
	for _, tc := range []struct {
		name string
		lim  SplitLimits
		want *SplitLimitError // nil: no error
	}{
		{"no limits", SplitLimits{}, nil},
		{"as many objects as allowed, a refusal counted", SplitLimits{MaxObjects: 3}, nil},
		{"one object too many", SplitLimits{MaxObjects: 2}, &SplitLimitError{Objects: 3}},
		{"as many bytes as the parts take", SplitLimits{MaxBytes: size}, nil},
		{"a zone copied twice is counted twice", SplitLimits{MaxBytes: size - 1}, &SplitLimitError{MaxBytes: size - 1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, err := SplitWithin(three, tc.lim)
			if tc.want == nil {
				if err != nil || len(res.Parts) != 2 || len(res.Refused) != 1 {
					t.Fatalf("got %+v, %v; want 2 parts and a refusal", res, err)
				}
				return
			}
			var le *SplitLimitError
			if !errors.As(err, &le) || *le != *tc.want {
				t.Fatalf("err = %v, want %+v", err, tc.want)
			}
		})
	}
}
