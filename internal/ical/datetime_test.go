package ical

import (
	"testing"
	"time"

	goical "github.com/emersion/go-ical"
)

func prop(name, value string, params ...string) *goical.Prop {
	p := goical.NewProp(name)
	p.Value = value
	for i := 0; i+1 < len(params); i += 2 {
		p.Params.Add(params[i], params[i+1])
	}
	return p
}

func mustZone(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, ok := LoadLocation(name)
	if !ok {
		t.Fatalf("zone %s unknown", name)
	}
	return loc
}

func TestDateTime(t *testing.T) {
	zurich := mustZone(t, "Europe/Zurich")
	ny := mustZone(t, "America/New_York")
	tests := []struct {
		name     string
		prop     *goical.Prop
		floating *time.Location
		want     time.Time
		allDay   bool
	}{
		{"utc", prop("DTSTART", "20240101T100000Z"), nil, time.Date(2024, 1, 1, 10, 0, 0, 0, time.UTC), false},
		{"floating default utc", prop("DTSTART", "20240101T100000"), nil, time.Date(2024, 1, 1, 10, 0, 0, 0, time.UTC), false},
		{"floating in query zone", prop("DTSTART", "20240101T100000"), ny, time.Date(2024, 1, 1, 15, 0, 0, 0, time.UTC), false},
		{"tzid", prop("DTSTART", "20240701T100000", "TZID", "Europe/Zurich"), nil, time.Date(2024, 7, 1, 8, 0, 0, 0, time.UTC), false},
		{"tzid winter", prop("DTSTART", "20240101T100000", "TZID", "Europe/Zurich"), ny, time.Date(2024, 1, 1, 9, 0, 0, 0, time.UTC), false},
		{"unknown tzid is utc", prop("DTSTART", "20240101T100000", "TZID", "Mars/Olympus"), ny, time.Date(2024, 1, 1, 10, 0, 0, 0, time.UTC), false},
		{"Z beats tzid", prop("DTSTART", "20240101T100000Z", "TZID", "Europe/Zurich"), nil, time.Date(2024, 1, 1, 10, 0, 0, 0, time.UTC), false},
		{"date", prop("DTSTART", "20240229", "VALUE", "DATE"), nil, time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC), true},
		{"date without VALUE", prop("DTSTART", "20240229"), nil, time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC), true},
		{"date in query zone", prop("DTSTART", "20240101", "VALUE", "DATE"), zurich, time.Date(2023, 12, 31, 23, 0, 0, 0, time.UTC), true},
		{"explicit DATE-TIME", prop("DTSTART", "20240101T100000Z", "VALUE", "DATE-TIME"), nil, time.Date(2024, 1, 1, 10, 0, 0, 0, time.UTC), false},
		{"leap second", prop("DTSTART", "20161231T235960Z"), nil, time.Date(2017, 1, 1, 0, 0, 0, 0, time.UTC), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, allDay, err := DateTime(tt.prop, tt.floating)
			if err != nil {
				t.Fatal(err)
			}
			if !got.Equal(tt.want) || allDay != tt.allDay {
				t.Errorf("got %v %v, want %v %v", got, allDay, tt.want, tt.allDay)
			}
		})
	}
	for _, bad := range []*goical.Prop{
		prop("DTSTART", ""),
		prop("DTSTART", "2024011"),
		prop("DTSTART", "20240101T10000Z"),
		prop("DTSTART", "20240101X100000"),
		prop("DTSTART", "2024010aT100000"),
		prop("DTSTART", "20240101T106000"),
		prop("DTSTART", "20240100"),
		prop("DTSTART", "20240101T100000z"),
		prop("DTSTART", "+2024101T100000"),
		prop("DTSTART", "20240101", "VALUE", "DATE-TIME"),
		prop("DTSTART", "20240101T100000", "VALUE", "DATE"),
		prop("DTSTART", "20240101T100000", "VALUE", "TEXT"),
	} {
		if got, _, err := DateTime(bad, nil); err == nil {
			t.Errorf("%s%v:%q parsed as %v", bad.Name, bad.Params, bad.Value, got)
		}
	}
	if _, _, err := DateTime(nil, nil); err == nil {
		t.Error("nil property parsed")
	}
}

func TestParseDuration(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
	}{
		{"PT1H", time.Hour},
		{"PT15M", 15 * time.Minute},
		{"-PT15M", -15 * time.Minute},
		{"+P1D", 24 * time.Hour},
		{"P1W", 7 * 24 * time.Hour},
		{"P15DT5H0M20S", 15*24*time.Hour + 5*time.Hour + 20*time.Second},
		{"PT0S", 0},
		{"p1dt1h", 25 * time.Hour},
		{"P1W1D", 8 * 24 * time.Hour}, // not RFC 5545, accepted leniently
	}
	for _, tt := range tests {
		got, err := ParseDuration(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
	for _, bad := range []string{"", "P", "PT", "P1", "1H", "PT1D", "P1H", "PT1H1H", "PT1M1H", "P1D1W", "PTT1H", "P-1D", "P999999999W", "P1234567890D", "PT1.5H"} {
		if got, err := ParseDuration(bad); err == nil {
			t.Errorf("ParseDuration(%q) = %v, want error", bad, got)
		}
	}
}

func TestDateList(t *testing.T) {
	zurich := mustZone(t, "Europe/Zurich")
	got, err := DateList(prop("RDATE", "20240101T100000,20240102T100000", "TZID", "Europe/Zurich"), nil)
	if err != nil || len(got) != 2 || !got[1].Start.Equal(time.Date(2024, 1, 2, 10, 0, 0, 0, zurich)) {
		t.Errorf("date-time list: %v %v", got, err)
	}
	got, err = DateList(prop("EXDATE", "20240101,20240105", "VALUE", "DATE"), nil)
	if err != nil || len(got) != 2 || !got[0].AllDay || !got[1].Start.Equal(time.Date(2024, 1, 5, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("date list: %v %v", got, err)
	}
	got, err = DateList(prop("RDATE", "20240101T100000Z/20240101T120000Z,20240102T100000Z/PT30M", "VALUE", "PERIOD"), nil)
	if err != nil || len(got) != 2 ||
		!got[0].End.Equal(time.Date(2024, 1, 1, 12, 0, 0, 0, time.UTC)) ||
		!got[1].End.Equal(time.Date(2024, 1, 2, 10, 30, 0, 0, time.UTC)) {
		t.Errorf("period list: %v %v", got, err)
	}
	for _, bad := range []*goical.Prop{
		prop("RDATE", "20240101T100000Z,junk"),
		prop("RDATE", "20240101T100000Z", "VALUE", "PERIOD"),
		prop("RDATE", "20240101T100000Z/PTXH", "VALUE", "PERIOD"),
		prop("RDATE", "20240101T100000Z", "VALUE", "TEXT"),
	} {
		if got, err := DateList(bad, nil); err == nil {
			t.Errorf("%q parsed as %v", bad.Value, got)
		}
	}
}

func TestLoadLocation(t *testing.T) {
	for _, name := range []string{"Europe/Zurich", "America/New_York", "UTC", "Asia/Kolkata"} {
		if _, ok := LoadLocation(name); !ok {
			t.Errorf("%s not found", name)
		}
	}
	for _, name := range []string{"", "Local", "Mars/Olympus", "W. Europe Standard Time", "../../etc/passwd", "/etc/localtime"} {
		if loc, ok := LoadLocation(name); ok {
			t.Errorf("%q resolved to %v", name, loc)
		}
	}
	// Cached answers are the same answers.
	a, _ := LoadLocation("Europe/Zurich")
	b, _ := LoadLocation("Europe/Zurich")
	if a != b {
		t.Error("cache returned a different location")
	}
}

func TestAddDuration_NominalDays(t *testing.T) {
	zurich := mustZone(t, "Europe/Zurich")
	// 2024-03-31 has 23 hours in Zurich: P1D is a calendar day, PT24H is not.
	start := time.Date(2024, 3, 31, 0, 0, 0, 0, zurich)
	day, err := AddDuration(start, "P1D")
	if err != nil || !day.Equal(time.Date(2024, 4, 1, 0, 0, 0, 0, zurich)) {
		t.Errorf("P1D: %v %v", day, err)
	}
	hours, err := AddDuration(start, "PT24H")
	if err != nil || !hours.Equal(time.Date(2024, 4, 1, 1, 0, 0, 0, zurich)) {
		t.Errorf("PT24H: %v %v", hours, err)
	}
	back, err := AddDuration(start, "-P1DT1H")
	if err != nil || !back.Equal(time.Date(2024, 3, 29, 23, 0, 0, 0, zurich)) {
		t.Errorf("-P1DT1H: %v %v", back, err)
	}
	if _, err := AddDuration(start, "1D"); err == nil {
		t.Error("bad duration accepted")
	}
}
