package caldav

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"almanac/internal/dav"
)

// props renders n distinct CALDAV:prop selections.
func props(n int) string {
	var sb strings.Builder
	for i := range n {
		fmt.Fprintf(&sb, `<C:prop name="X-%d"/>`, i)
	}
	return sb.String()
}

// comps renders n distinct CALDAV:comp selections.
func comps(n int) string {
	var sb strings.Builder
	for i := range n {
		fmt.Fprintf(&sb, `<C:comp name="X-%d"/>`, i)
	}
	return sb.String()
}

func calendarData(inner string) []byte {
	return calDataBody(`<C:calendar-data><C:comp name="VCALENDAR">` + inner + `</C:comp></C:calendar-data>`)
}

func TestParseCalendarDataRequest_Limits(t *testing.T) {
	max := dav.MaxRequestProps
	tests := []struct {
		name  string
		body  []byte
		size  int // selections kept; -1: 413
		props int // properties of VCALENDAR kept
	}{
		{"repeated prop", calendarData(strings.Repeat(`<C:prop name="VERSION"/>`, 20000)), 1, 1},
		{"repeated comp", calendarData(strings.Repeat(`<C:comp name="VEVENT"><C:prop name="UID"/></C:comp>`, 5000)), 2, 0},
		{"props at the cap", calendarData(props(max)), max, max},
		{"props over the cap", calendarData(props(max + 1)), -1, 0},
		{"comps over the cap", calendarData(comps(max + 1)), -1, 0},
		{"props and comps at the cap", calendarData(props(max/2) + comps(max/2)), max, max / 2},
		{"props and comps over the cap", calendarData(props(max/2) + comps(max/2+1)), -1, 0},
		// Each comp within bounds, the whole selection over them.
		{"nested over the cap", calendarData(`<C:comp name="VEVENT">` + props(max/2) + `</C:comp><C:comp name="VTODO">` + props(max/2) + `</C:comp>`), -1, 0},
		{"20,000 distinct props", calendarData(props(20000)), -1, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cd, err := ParseCalendarDataRequest(tt.body)
			if tt.size < 0 {
				var de *dav.Error
				if !errors.As(err, &de) || de.Status != http.StatusRequestEntityTooLarge || de.Condition != dav.CondTooManyProps {
					t.Fatalf("got %v, want 413 too-many-properties", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := cd.Comp.size(); got != tt.size || len(cd.Comp.Props) != tt.props {
				t.Fatalf("%d selections, %d properties; want %d, %d", got, len(cd.Comp.Props), tt.size, tt.props)
			}
		})
	}
}

// FuzzParseCalendarDataRequest: any body gets a selection within the
// limits, each name once per component, or a 4xx *dav.Error.
func FuzzParseCalendarDataRequest(f *testing.F) {
	for _, s := range []string{
		``,
		`<C:calendar-data/>`,
		`<C:calendar-data><C:comp name="VCALENDAR"><C:allprop/><C:comp name="VEVENT"><C:prop name="SUMMARY"/><C:prop name="summary" novalue="yes"/></C:comp><C:comp name="VEVENT"/></C:comp></C:calendar-data>`,
		`<C:calendar-data><C:expand start="20260301T000000Z" end="20260401T000000Z"/></C:calendar-data>`,
		`<C:calendar-data><C:comp name="VCALENDAR">` + props(dav.MaxRequestProps+1) + `</C:comp></C:calendar-data>`,
		`<C:calendar-data><C:comp name="VEVENT"/></C:calendar-data>`,
		`<C:calendar-data content-type="text/calendar" version="2.0"><C:comp name="VCALENDAR"><C:comp/></C:comp></C:calendar-data>`,
	} {
		f.Add(calDataBody(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		if dav.CheckXML(body) != nil {
			return // callers always run ReadXML first
		}
		cd, err := ParseCalendarDataRequest(body)
		if err != nil {
			var de *dav.Error
			if !errors.As(err, &de) || de.Status < 400 || de.Status > 499 {
				t.Fatalf("error %v is no 4xx *dav.Error", err)
			}
			return
		}
		if cd == nil || cd.Comp == nil {
			return
		}
		if n := cd.Comp.size(); n > dav.MaxRequestProps {
			t.Fatalf("%d selections", n)
		}
		var walk func(c *CompSelect)
		walk = func(c *CompSelect) {
			seen := map[string]bool{}
			for _, p := range c.Props {
				if seen["p:"+p.Name] {
					t.Fatalf("prop %s twice in %s", p.Name, c.Name)
				}
				seen["p:"+p.Name] = true
			}
			for _, s := range c.Comps {
				if seen["c:"+s.Name] {
					t.Fatalf("comp %s twice in %s", s.Name, c.Name)
				}
				seen["c:"+s.Name] = true
				walk(s)
			}
		}
		walk(cd.Comp)
	})
}
