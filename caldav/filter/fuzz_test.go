package filter

import (
	"encoding/xml"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-ical"

	"almanac/internal/dav"
	aical "almanac/internal/ical"
)

var sampleCalendars = []string{
	"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:1\r\nDTSTART;TZID=Europe/Zurich:20240101T100000\r\nDTEND;TZID=Europe/Zurich:20240101T110000\r\nRRULE:FREQ=WEEKLY;COUNT=10\r\nEXDATE;TZID=Europe/Zurich:20240108T100000\r\nSUMMARY:Team\\, weekly\r\nATTENDEE;PARTSTAT=ACCEPTED:mailto:a@example.com\r\nBEGIN:VALARM\r\nTRIGGER:-PT5M\r\nEND:VALARM\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nUID:1\r\nRECURRENCE-ID;TZID=Europe/Zurich:20240115T100000\r\nDTSTART;TZID=Europe/Zurich:20240115T140000\r\nDURATION:PT1H\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
	"BEGIN:VCALENDAR\r\nBEGIN:VTODO\r\nUID:2\r\nDTSTART;VALUE=DATE:20240101\r\nDUE;VALUE=DATE:20240105\r\nRRULE:FREQ=MONTHLY;BYDAY=-1FR\r\nCOMPLETED:20240103T100000Z\r\nBEGIN:VALARM\r\nTRIGGER;RELATED=END:-P1D\r\nREPEAT:4\r\nDURATION:PT1H\r\nEND:VALARM\r\nEND:VTODO\r\nEND:VCALENDAR\r\n",
	"BEGIN:VCALENDAR\r\nBEGIN:VFREEBUSY\r\nUID:3\r\nFREEBUSY:20240101T100000Z/PT1H\r\nEND:VFREEBUSY\r\nBEGIN:VJOURNAL\r\nUID:3\r\nDTSTART:20240101\r\nEND:VJOURNAL\r\nEND:VCALENDAR\r\n",
}

func sampleCals(t *testing.T) []*ical.Calendar {
	var cals []*ical.Calendar
	for _, s := range sampleCalendars {
		cal, err := aical.Parse([]byte(s))
		if err != nil {
			t.Fatal(err)
		}
		cals = append(cals, cal)
	}
	return cals
}

// FuzzDecodeFilter: Decode never panics, fails only with the error kinds
// the handler maps, and what it accepts Match can evaluate.
func FuzzDecodeFilter(f *testing.F) {
	for _, s := range []string{
		wrap(`<C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT"><C:time-range start="20240101T000000Z" end="20240201T000000Z"/></C:comp-filter></C:comp-filter>`),
		wrap(`<C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT"><C:prop-filter name="SUMMARY"><C:text-match collation="i;unicode-casemap" negate-condition="yes">team</C:text-match></C:prop-filter></C:comp-filter></C:comp-filter>`),
		wrap(`<C:comp-filter name="VCALENDAR"><C:comp-filter name="VTODO"><C:prop-filter name="COMPLETED"><C:is-not-defined/></C:prop-filter><C:prop-filter name="ATTENDEE"><C:param-filter name="PARTSTAT"><C:text-match>ACCEPTED</C:text-match></C:param-filter></C:prop-filter></C:comp-filter></C:comp-filter>`),
		wrap(`<C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT"><C:comp-filter name="VALARM"><C:time-range start="20240101T000000Z"/></C:comp-filter></C:comp-filter></C:comp-filter>`),
		wrap(`<C:comp-filter name="VCALENDAR"><C:comp-filter name="VJOURNAL"><C:is-not-defined/></C:comp-filter><C:prop-filter name="DTSTAMP"><C:time-range end="20240101T000000Z"/></C:prop-filter></C:comp-filter>`),
		wrap(`<C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT"><C:comp-filter name="VEVENT"/></C:comp-filter><C:comp-filter name="X-FOO"><C:time-range start="20240101T000000Z"/></C:comp-filter></C:comp-filter>`),
		wrap(`<C:comp-filter name="VCALENDAR"><C:comp-filter name="VTIMEZONE"><C:comp-filter name="STANDARD"><C:prop-filter name="TZOFFSETTO"><C:text-match collation="default">+01</C:text-match></C:prop-filter></C:comp-filter></C:comp-filter></C:comp-filter>`),
		wrap(`<C:comp-filter name="VCALENDAR"><C:comp-filter name="VAVAILABILITY"><C:comp-filter name="AVAILABLE"><C:time-range start="20240101T000000Z"/></C:comp-filter></C:comp-filter><C:comp-filter name="VEVENT"><C:prop-filter name="SUMMARY"><C:time-range start="20240101T000000Z"/></C:prop-filter></C:comp-filter></C:comp-filter>`),
	} {
		f.Add([]byte(s))
	}
	var cals []*ical.Calendar
	f.Fuzz(func(t *testing.T, data []byte) {
		if cals == nil {
			cals = sampleCals(t)
		}
		d := xml.NewDecoder(strings.NewReader(string(data)))
		var start xml.StartElement
		for {
			tok, err := d.Token()
			if err != nil {
				return
			}
			if s, ok := tok.(xml.StartElement); ok {
				start = s
				break
			}
		}
		flt, err := Decode(d, start)
		if err != nil {
			var xe *dav.XMLError
			var ue *UnsupportedError
			switch {
			case errors.Is(err, ErrInvalidFilter), errors.Is(err, ErrUnsupportedCollation), errors.As(err, &xe):
			case errors.As(err, &ue):
				if len(ue.Elements) == 0 || len(ue.Elements) > maxUnsupported {
					t.Fatalf("unsupported filter lists %d elements", len(ue.Elements))
				}
			default:
				t.Fatalf("unmappable error: %v", err)
			}
			return
		}
		for _, cal := range cals {
			if _, err := flt.Match(cal); err != nil {
				t.Fatalf("decoded filter does not evaluate: %v", err)
			}
		}
	})
}

// FuzzMatchCalendar: stored calendar data is untrusted too; matching it
// never panics or hangs, whatever its dates and rules say.
func FuzzMatchCalendar(f *testing.F) {
	for _, s := range sampleCalendars {
		f.Add([]byte(s))
	}
	r := &TimeRange{Start: time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC), End: time.Date(2024, 3, 2, 0, 0, 0, 0, time.UTC)}
	filters := []*Filter{
		vcal(CompFilter{Name: "VEVENT", TimeRange: r}),
		vcal(CompFilter{Name: "VTODO", TimeRange: r}),
		vcal(CompFilter{Name: "VJOURNAL", TimeRange: r}),
		vcal(CompFilter{Name: "VFREEBUSY", TimeRange: r}),
		vcal(CompFilter{Name: "VEVENT", TimeRange: &TimeRange{Start: r.Start}}),
		vcal(CompFilter{Name: "VEVENT", Comps: []CompFilter{{Name: "VALARM", TimeRange: r}}}),
		vcal(CompFilter{Name: "VTODO", Comps: []CompFilter{{Name: "VALARM", TimeRange: &TimeRange{End: r.End}}}}),
		vcal(CompFilter{Name: "VEVENT", Props: []PropFilter{{Name: "DTSTART", TimeRange: r}, {Name: "SUMMARY", TextMatch: &TextMatch{Value: "a", Collation: CollationUnicodeCasemap}}}}),
	}
	zurich, _ := aical.LoadLocation("Europe/Zurich")
	filters[0].Location = zurich
	f.Fuzz(func(t *testing.T, data []byte) {
		cal, err := aical.Parse(data)
		if err != nil {
			return
		}
		for _, flt := range filters {
			if _, err := flt.Match(cal); err != nil {
				t.Fatal(err)
			}
		}
	})
}
