package filter

import (
	"encoding/xml"
	"errors"
	"strings"
	"testing"
	"time"
)

// decode parses the XML document s, whose root must be the filter.
func decode(s string) (*Filter, error) {
	d := xml.NewDecoder(strings.NewReader(s))
	for {
		tok, err := d.Token()
		if err != nil {
			return nil, err
		}
		if start, ok := tok.(xml.StartElement); ok {
			return Decode(d, start)
		}
	}
}

// wrap puts a filter body inside <C:filter> with the CalDAV prefix bound.
func wrap(body string) string {
	return `<?xml version="1.0" encoding="utf-8"?><C:filter xmlns:C="urn:ietf:params:xml:ns:caldav" xmlns:D="DAV:">` + body + `</C:filter>`
}

func TestDecode_RFC4791Example(t *testing.T) {
	// RFC 4791 7.8.1, with a text-match and a param-filter added.
	f, err := decode(wrap(`
  <C:comp-filter name="VCALENDAR">
    <C:comp-filter name="VEVENT">
      <C:time-range start="20060104T000000Z" end="20060105T000000Z"/>
      <C:prop-filter name="SUMMARY">
        <C:text-match collation="i;octet" negate-condition="yes">Lunch</C:text-match>
      </C:prop-filter>
      <C:prop-filter name="ATTENDEE">
        <C:param-filter name="PARTSTAT"><C:text-match>NEEDS-ACTION</C:text-match></C:param-filter>
        <C:param-filter name="X-FOO"><C:is-not-defined/></C:param-filter>
      </C:prop-filter>
      <C:comp-filter name="valarm"><C:is-not-defined/></C:comp-filter>
    </C:comp-filter>
  </C:comp-filter>`))
	if err != nil {
		t.Fatal(err)
	}
	if f.Comp.Name != "VCALENDAR" || len(f.Comp.Comps) != 1 {
		t.Fatalf("root %+v", f.Comp)
	}
	ev := f.Comp.Comps[0]
	if ev.Name != "VEVENT" || ev.TimeRange == nil ||
		!ev.TimeRange.Start.Equal(time.Date(2006, 1, 4, 0, 0, 0, 0, time.UTC)) ||
		!ev.TimeRange.End.Equal(time.Date(2006, 1, 5, 0, 0, 0, 0, time.UTC)) {
		t.Fatalf("event filter %+v", ev)
	}
	if len(ev.Props) != 2 {
		t.Fatalf("props %+v", ev.Props)
	}
	if tm := ev.Props[0].TextMatch; tm == nil || tm.Value != "Lunch" || tm.Collation != CollationOctet || !tm.NegateCondition {
		t.Errorf("text-match %+v", tm)
	}
	att := ev.Props[1]
	if len(att.Params) != 2 || att.Params[0].Name != "PARTSTAT" || att.Params[0].TextMatch.Collation != CollationASCIICasemap ||
		att.Params[0].TextMatch.NegateCondition || !att.Params[1].IsNotDefined {
		t.Errorf("params %+v", att.Params)
	}
	if len(ev.Comps) != 1 || ev.Comps[0].Name != "VALARM" || !ev.Comps[0].IsNotDefined {
		t.Errorf("alarm filter %+v", ev.Comps)
	}
}

func TestDecode_OpenRangesAndForeignElements(t *testing.T) {
	f, err := decode(wrap(`<X:note xmlns:X="urn:x">ignored <X:deep/></X:note>
	  <C:comp-filter name="VCALENDAR"><X:y xmlns:X="urn:x"/>
	    <C:comp-filter name="VTODO"><C:time-range start="20240101T000000Z"/></C:comp-filter>
	    <C:comp-filter name="VEVENT"><C:time-range end="20240101T000000Z"/></C:comp-filter>
	  </C:comp-filter>`))
	if err != nil {
		t.Fatal(err)
	}
	if tr := f.Comp.Comps[0].TimeRange; tr.Start.IsZero() || !tr.End.IsZero() {
		t.Errorf("start-only range %+v", tr)
	}
	if tr := f.Comp.Comps[1].TimeRange; !tr.Start.IsZero() || tr.End.IsZero() {
		t.Errorf("end-only range %+v", tr)
	}
}

func TestDecode_TextKeptExactly(t *testing.T) {
	f, err := decode(wrap(`<C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT"><C:prop-filter name="SUMMARY">` +
		`<C:text-match> a &amp; <![CDATA[<b>]]></C:text-match></C:prop-filter></C:comp-filter></C:comp-filter>`))
	if err != nil {
		t.Fatal(err)
	}
	if got := f.Comp.Comps[0].Props[0].TextMatch.Value; got != " a & <b>" {
		t.Errorf("value %q", got)
	}
}

func TestDecode_Invalid(t *testing.T) {
	vcal := func(inner string) string {
		return wrap(`<C:comp-filter name="VCALENDAR">` + inner + `</C:comp-filter>`)
	}
	ev := func(inner string) string {
		return vcal(`<C:comp-filter name="VEVENT">` + inner + `</C:comp-filter>`)
	}
	tests := []struct {
		name, xml, reason string
	}{
		{"not a filter", `<C:comp-filter xmlns:C="urn:ietf:params:xml:ns:caldav" name="VCALENDAR"/>`, "expected CALDAV:filter"},
		{"filter in DAV namespace", `<D:filter xmlns:D="DAV:"><D:comp-filter name="VCALENDAR"/></D:filter>`, "expected CALDAV:filter"},
		{"empty filter", wrap(``), "no comp-filter"},
		{"root not VCALENDAR", wrap(`<C:comp-filter name="VEVENT"/>`), "must name VCALENDAR"},
		{"two roots", wrap(`<C:comp-filter name="VCALENDAR"/><C:comp-filter name="VCALENDAR"/>`), "more than one comp-filter"},
		{"prop-filter at top", wrap(`<C:prop-filter name="X"/>`), "unexpected CALDAV:prop-filter in filter"},
		{"comp-filter without name", vcal(`<C:comp-filter/>`), "no name attribute"},
		{"prop-filter with empty name", ev(`<C:prop-filter name=" "/>`), "no name attribute"},
		{"unknown element", ev(`<C:is-defined/>`), "unexpected CALDAV:is-defined in comp-filter VEVENT"},
		{"text-match in comp-filter", ev(`<C:text-match>x</C:text-match>`), "unexpected CALDAV:text-match"},
		{"param-filter in comp-filter", ev(`<C:param-filter name="X"/>`), "unexpected CALDAV:param-filter"},
		{"time-range in param-filter", ev(`<C:prop-filter name="A"><C:param-filter name="X"><C:time-range start="20240101T000000Z"/></C:param-filter></C:prop-filter>`), "unexpected CALDAV:time-range in param-filter"},
		{"comp-filter in prop-filter", ev(`<C:prop-filter name="A"><C:comp-filter name="X"/></C:prop-filter>`), "unexpected CALDAV:comp-filter in prop-filter"},
		{"element in text-match", ev(`<C:prop-filter name="A"><C:text-match>a<C:x/></C:text-match></C:prop-filter>`), "in text-match"},
		{"element in is-not-defined", ev(`<C:prop-filter name="A"><C:is-not-defined><C:x/></C:is-not-defined></C:prop-filter>`), "in is-not-defined"},
		{"time-range without bounds", ev(`<C:time-range/>`), "needs a start or an end"},
		{"time-range local time", ev(`<C:time-range start="20240101T000000"/>`), "not a UTC date-time"},
		{"time-range lower-case z", ev(`<C:time-range start="20240101T000000z"/>`), "not a UTC date-time"},
		{"time-range date only", ev(`<C:time-range end="20240101"/>`), "not a UTC date-time"},
		{"time-range iso", ev(`<C:time-range start="2024-01-01T00:00:00Z"/>`), "not a UTC date-time"},
		{"time-range bad month", ev(`<C:time-range start="20241301T000000Z"/>`), "not a UTC date-time"},
		{"time-range end before start", ev(`<C:time-range start="20240102T000000Z" end="20240101T000000Z"/>`), "end must be after its start"},
		{"time-range empty", ev(`<C:time-range start="20240101T000000Z" end="20240101T000000Z"/>`), "end must be after its start"},
		{"two time-ranges", ev(`<C:time-range start="20240101T000000Z"/><C:time-range start="20240101T000000Z"/>`), "two time-range"},
		{"is-not-defined and time-range", ev(`<C:is-not-defined/><C:time-range start="20240101T000000Z"/>`), "combines is-not-defined"},
		{"prop is-not-defined and text-match", ev(`<C:prop-filter name="A"><C:is-not-defined/><C:text-match>x</C:text-match></C:prop-filter>`), "combines is-not-defined"},
		{"param is-not-defined and text-match", ev(`<C:prop-filter name="A"><C:param-filter name="P"><C:is-not-defined/><C:text-match>x</C:text-match></C:param-filter></C:prop-filter>`), "combines is-not-defined"},
		{"two text-matches", ev(`<C:prop-filter name="A"><C:text-match>x</C:text-match><C:text-match>y</C:text-match></C:prop-filter>`), "two text-match"},
		{"bad negate-condition", ev(`<C:prop-filter name="A"><C:text-match negate-condition="true">x</C:text-match></C:prop-filter>`), "negate-condition"},
		{"too deep", vcal(strings.Repeat(`<C:comp-filter name="X">`, 20) + strings.Repeat(`</C:comp-filter>`, 20)), "nest more than 16"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := decode(tt.xml)
			if !errors.Is(err, ErrInvalidFilter) {
				t.Fatalf("error = %v, want ErrInvalidFilter", err)
			}
			if !strings.Contains(err.Error(), tt.reason) {
				t.Errorf("error %q, want it to contain %q", err, tt.reason)
			}
		})
	}
}

func TestDecode_UnsupportedCollation(t *testing.T) {
	_, err := decode(wrap(`<C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT"><C:prop-filter name="SUMMARY">` +
		`<C:text-match collation="i;basic">x</C:text-match></C:prop-filter></C:comp-filter></C:comp-filter>`))
	if !errors.Is(err, ErrUnsupportedCollation) || errors.Is(err, ErrInvalidFilter) {
		t.Fatalf("error = %v", err)
	}
	for _, c := range SupportedCollations {
		_, err := decode(wrap(`<C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT"><C:prop-filter name="SUMMARY">` +
			`<C:text-match collation="` + c + `">x</C:text-match></C:prop-filter></C:comp-filter></C:comp-filter>`))
		if err != nil {
			t.Errorf("%s: %v", c, err)
		}
	}
}
