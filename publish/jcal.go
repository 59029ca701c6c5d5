package publish

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"

	"almanac/internal/contentline"
)

// WriteJCal writes the iCalendar stream ics (one VCALENDAR, as the feed renderer
// produces it: CRLF, folded lines, valid RFC 5545) as jCal (RFC 7265) to w.
//
// The output is compact JSON: ["vcalendar", [properties...], [components...]],
// each property [name, {parameters}, type, value...] (RFC 7265 3.3, 3.4).
// Component, property and parameter names are lower case; the VALUE
// parameter is not written but decides the type; without it each property
// has its default type (RFC 5545, RFC 7986, RFC 9073, RFC 9074), and a
// property whose default is not known (X- and unregistered names) gets
// type "unknown" and its value as written (RFC 7265 5.1). Parameter values
// have RFC 6868 caret escapes undone; a parameter with several values
// becomes an array. Values follow RFC 7265 3.6: text unescaped, dates and
// times with "-" and ":", numbers and booleans as JSON ones, a period as a
// [start, end-or-duration] array, a recurrence rule as an object, GEO and
// REQUEST-STATUS as arrays of their parts, the values of EXDATE, RDATE,
// FREEBUSY, CATEGORIES and RESOURCES one after another.
//
// A value that does not have the syntax of its type (PRIORITY:high, a date
// where a date-time belongs) is written with type "unknown" and its raw
// value rather than failing the whole calendar.
//
// A leading byte order mark is passed over, as internal/ical's Parse does.
// WriteJCal returns an error for input that is not one well-formed
// VCALENDAR: invalid UTF-8, a content line without a colon, with a bad
// name or parameter or with a control character, unbalanced BEGIN/END, components nested more than 16
// deep, a VCALENDAR property after a subcomponent, or data after the final
// END:VCALENDAR. The JSON is streamed: on an error, part of it may already
// have been written to w, so a caller that must not send a broken body
// should write into a buffer first.
func WriteJCal(w io.Writer, ics []byte) error {
	if !utf8.Valid(ics) {
		return errors.New("jcal: calendar data is not valid UTF-8")
	}
	c := jcalConv{w: w}
	return c.run(contentline.NewReader(string(ics)))
}

// jcalMaxDepth bounds component nesting as internal/ical's Parse does.
const jcalMaxDepth = 16

// jcalFlushAt is the size of pending output above which a finished
// top-level component is passed on to the writer.
const jcalFlushAt = 32 << 10

// jcalFrame is an open component. The root (VCALENDAR) and its children
// write their properties straight to the output; the root writes each
// child there as it begins. Deeper components collect their properties in
// their own buffer, and every component but the root its subcomponents,
// so one top-level component at a time is held in memory.
type jcalFrame struct {
	name          string // as written in BEGIN
	props, comps  []byte // JSON of the properties / subcomponents, comma-separated
	nprops, ncomp int
}

type jcalParam struct {
	name       string
	start, end int // values are vals[start:end]
}

type jcalConv struct {
	w     io.Writer
	out   []byte // output not yet written to w
	stack []jcalFrame
	root  struct {
		nprops    int
		compsOpen bool // "],[" written: no more VCALENDAR properties
	}
	params []jcalParam
	vals   []string
	text   []byte // unescaped text / decoded parameter value
}

func jcalLineErr(num int, format string, args ...any) error {
	return fmt.Errorf("jcal: line %d: %s", num, fmt.Sprintf(format, args...))
}

func (c *jcalConv) run(r *contentline.Reader) error {
	for {
		line, num, ok := r.Next()
		if !ok {
			break
		}
		if line == "" {
			continue // blank lines carry nothing (Parse skips them too)
		}
		name, value, err := c.splitLine(line)
		if err != nil {
			return jcalLineErr(num, "%s", err)
		}
		isBegin, isEnd := strings.EqualFold(name, "BEGIN"), strings.EqualFold(name, "END")
		if len(c.stack) == 0 && (!isBegin || !strings.EqualFold(value, "VCALENDAR")) {
			return jcalLineErr(num, "calendar data must start with BEGIN:VCALENDAR")
		}
		switch {
		case isBegin:
			if len(c.params) > 0 {
				return jcalLineErr(num, "BEGIN must not have parameters")
			}
			if !jcalValidName(value) {
				return jcalLineErr(num, "invalid component name %s", contentline.Quote(value))
			}
			if len(c.stack) >= jcalMaxDepth {
				return jcalLineErr(num, "components nest more than %d levels deep", jcalMaxDepth)
			}
			c.push(value)
		case isEnd:
			if len(c.params) > 0 {
				return jcalLineErr(num, "END must not have parameters")
			}
			top := &c.stack[len(c.stack)-1]
			if !strings.EqualFold(value, top.name) {
				return jcalLineErr(num, "END:%s does not close BEGIN:%s", contentline.Quote(value), strings.ToUpper(top.name))
			}
			if len(c.stack) == 1 {
				if at := r.TrailingLine(); at > 0 {
					return jcalLineErr(at, "data after END:VCALENDAR")
				}
				if !c.root.compsOpen {
					c.out = append(c.out, "],["...)
				}
				c.out = append(c.out, "]]"...)
				return c.flush()
			}
			if err := c.pop(); err != nil {
				return err
			}
		default:
			if len(c.stack) == 1 && c.root.compsOpen {
				return jcalLineErr(num, "VCALENDAR property %s after a subcomponent", strings.ToUpper(name))
			}
			var n *int
			var dst *[]byte
			switch top := &c.stack[len(c.stack)-1]; len(c.stack) {
			case 1:
				n, dst = &c.root.nprops, &c.out
			case 2:
				// A top-level component's property list is still open in
				// the output, even after one of its subcomponents.
				n, dst = &top.nprops, &c.out
			default:
				n, dst = &top.nprops, &top.props
			}
			if *n > 0 {
				*dst = append(*dst, ',')
			}
			*n++
			*dst = c.appendProperty(*dst, name, value)
		}
	}
	if len(c.stack) == 0 {
		return errors.New("jcal: calendar data has no BEGIN:VCALENDAR")
	}
	return fmt.Errorf("jcal: calendar data ends before END:%s", strings.ToUpper(c.stack[len(c.stack)-1].name))
}

func (c *jcalConv) push(name string) {
	n := len(c.stack)
	switch n {
	case 0:
		c.out = append(c.out, '[')
		c.out = jcalAppendLowerName(c.out, name)
		c.out = append(c.out, ",["...)
	case 1:
		if c.root.compsOpen {
			c.out = append(c.out, ',')
		} else {
			c.out = append(c.out, "],["...)
			c.root.compsOpen = true
		}
		c.out = append(c.out, '[')
		c.out = jcalAppendLowerName(c.out, name)
		c.out = append(c.out, ",["...)
	}
	if n < cap(c.stack) {
		c.stack = c.stack[:n+1] // reuse the buffers of an earlier frame
	} else {
		c.stack = append(c.stack, jcalFrame{})
	}
	f := &c.stack[n]
	f.name, f.props, f.comps, f.nprops, f.ncomp = name, f.props[:0], f.comps[:0], 0, 0
}

// pop ends the innermost (non-root) component and adds its JSON to its
// parent.
func (c *jcalConv) pop() error {
	n := len(c.stack) - 1
	f := &c.stack[n]
	c.stack = c.stack[:n]
	if n == 1 { // name and properties are in the output already
		c.out = append(c.out, "],["...)
		c.out = append(c.out, f.comps...)
		c.out = append(c.out, "]]"...)
		if len(c.out) >= jcalFlushAt {
			return c.flush()
		}
		return nil
	}
	p := &c.stack[n-1]
	if p.ncomp > 0 {
		p.comps = append(p.comps, ',')
	}
	p.ncomp++
	p.comps = append(p.comps, '[')
	p.comps = jcalAppendLowerName(p.comps, f.name)
	p.comps = append(p.comps, ",["...)
	p.comps = append(p.comps, f.props...)
	p.comps = append(p.comps, "],["...)
	p.comps = append(p.comps, f.comps...)
	p.comps = append(p.comps, "]]"...)
	return nil
}

func (c *jcalConv) flush() error {
	if len(c.out) == 0 {
		return nil
	}
	_, err := c.w.Write(c.out)
	c.out = c.out[:0]
	return err
}

// jcalValidName accepts RFC 5545 iana-token and x-name characters and "_",
// as internal/ical's Parse does.
func jcalValidName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		ch := s[i]
		if !(ch >= 'A' && ch <= 'Z' || ch >= 'a' && ch <= 'z' || ch >= '0' && ch <= '9' || ch == '-' || ch == '_') {
			return false
		}
	}
	return true
}

// jcalAppendLowerName appends a name that jcalValidName accepted as a JSON
// string in lower case; such names need no JSON escaping.
func jcalAppendLowerName(dst []byte, name string) []byte {
	dst = append(dst, '"')
	for i := 0; i < len(name); i++ {
		ch := name[i]
		if ch >= 'A' && ch <= 'Z' {
			ch += 'a' - 'A'
		}
		dst = append(dst, ch)
	}
	return append(dst, '"')
}

// splitLine splits the content line s, "NAME;P=a,"b";Q=c:value" (RFC 5545
// 3.1), into its name and value, leaving the parameters in c.params and
// c.vals. Quoted parameter values lose their quotes; caret escapes stay
// (they are undone when the value is written).
func (c *jcalConv) splitLine(s string) (name, value string, err error) {
	c.params, c.vals = c.params[:0], c.vals[:0]
	for i := 0; i < len(s); i++ {
		if ch := s[i]; ch < 0x20 && ch != '\t' || ch == 0x7F {
			return "", "", fmt.Errorf("control character %q in content line", ch)
		}
	}
	i := strings.IndexAny(s, ";:")
	if i < 0 {
		return "", "", fmt.Errorf("content line %s has no colon", contentline.Quote(s))
	}
	name = s[:i]
	if !jcalValidName(name) {
		return "", "", fmt.Errorf("invalid property name %s", contentline.Quote(name))
	}
	for s[i] == ';' {
		i++
		j := strings.IndexAny(s[i:], "=;:")
		if j < 0 || s[i+j] != '=' {
			return "", "", fmt.Errorf("property %s: parameter without \"=\"", name)
		}
		pname := s[i : i+j]
		if !jcalValidName(pname) {
			return "", "", fmt.Errorf("property %s: invalid parameter name %s", name, contentline.Quote(pname))
		}
		i += j + 1
		start := len(c.vals)
		for {
			var v string
			if i < len(s) && s[i] == '"' {
				k := strings.IndexByte(s[i+1:], '"')
				if k < 0 {
					return "", "", fmt.Errorf("property %s: parameter %s: unterminated quoted string", name, pname)
				}
				v = s[i+1 : i+1+k]
				i += k + 2
			} else {
				k := strings.IndexAny(s[i:], "\";,:")
				if k < 0 {
					return "", "", fmt.Errorf("property %s: line ends inside parameter %s", name, pname)
				}
				if s[i+k] == '"' {
					return "", "", fmt.Errorf("property %s: parameter %s: double quote inside an unquoted value", name, pname)
				}
				v = s[i : i+k]
				i += k
			}
			c.vals = append(c.vals, v)
			if i >= len(s) {
				return "", "", fmt.Errorf("property %s: line ends inside parameter %s", name, pname)
			}
			if s[i] == ',' {
				i++
				continue
			}
			if s[i] != ';' && s[i] != ':' {
				return "", "", fmt.Errorf("property %s: parameter %s: unexpected %q after a quoted value", name, pname, s[i])
			}
			break
		}
		c.params = append(c.params, jcalParam{name: pname, start: start, end: len(c.vals)})
	}
	return name, s[i+1:], nil
}

// The jCal value types (RFC 7265 3.6 and 5).
const (
	jcalTBinary     = "binary"
	jcalTBoolean    = "boolean"
	jcalTCalAddress = "cal-address"
	jcalTDate       = "date"
	jcalTDateTime   = "date-time"
	jcalTDuration   = "duration"
	jcalTFloat      = "float"
	jcalTInteger    = "integer"
	jcalTPeriod     = "period"
	jcalTRecur      = "recur"
	jcalTText       = "text"
	jcalTTime       = "time"
	jcalTURI        = "uri"
	jcalTUTCOffset  = "utc-offset"
	jcalTUnknown    = "unknown"
)

// jcalTypeNames maps VALUE parameter values (upper case) to jCal types.
var jcalTypeNames = map[string]string{
	"BINARY": jcalTBinary, "BOOLEAN": jcalTBoolean, "CAL-ADDRESS": jcalTCalAddress,
	"DATE": jcalTDate, "DATE-TIME": jcalTDateTime, "DURATION": jcalTDuration,
	"FLOAT": jcalTFloat, "INTEGER": jcalTInteger, "PERIOD": jcalTPeriod,
	"RECUR": jcalTRecur, "TEXT": jcalTText, "TIME": jcalTTime, "URI": jcalTURI,
	"UTC-OFFSET": jcalTUTCOffset,
}

// jcalProp is what jCal needs to know about a property: its default type,
// whether its value is a comma-separated list (RFC 7265 3.4.1.1) and
// whether it is structured, with ";"-separated parts (3.4.1.2).
type jcalProp struct {
	typ               string
	multi, structured bool
}

// jcalProps holds the default value types of RFC 5545 3.7-3.8 (plus
// EXRULE from RFC 2445 and the properties of RFC 7986, RFC 9073 and
// RFC 9074). Properties not listed get type "unknown" (RFC 7265 5.1).
var jcalProps = map[string]jcalProp{
	// RFC 5545 calendar properties
	"CALSCALE": {typ: jcalTText}, "METHOD": {typ: jcalTText}, "PRODID": {typ: jcalTText}, "VERSION": {typ: jcalTText},
	// descriptive
	"ATTACH": {typ: jcalTURI}, "CATEGORIES": {typ: jcalTText, multi: true}, "CLASS": {typ: jcalTText},
	"COMMENT": {typ: jcalTText}, "DESCRIPTION": {typ: jcalTText}, "GEO": {typ: jcalTFloat, structured: true},
	"LOCATION": {typ: jcalTText}, "PERCENT-COMPLETE": {typ: jcalTInteger}, "PRIORITY": {typ: jcalTInteger},
	"RESOURCES": {typ: jcalTText, multi: true}, "STATUS": {typ: jcalTText}, "SUMMARY": {typ: jcalTText},
	// date and time
	"COMPLETED": {typ: jcalTDateTime}, "DTEND": {typ: jcalTDateTime}, "DUE": {typ: jcalTDateTime},
	"DTSTART": {typ: jcalTDateTime}, "DURATION": {typ: jcalTDuration},
	"FREEBUSY": {typ: jcalTPeriod, multi: true}, "TRANSP": {typ: jcalTText},
	// time zone
	"TZID": {typ: jcalTText}, "TZNAME": {typ: jcalTText}, "TZOFFSETFROM": {typ: jcalTUTCOffset},
	"TZOFFSETTO": {typ: jcalTUTCOffset}, "TZURL": {typ: jcalTURI},
	// relationship
	"ATTENDEE": {typ: jcalTCalAddress}, "CONTACT": {typ: jcalTText}, "ORGANIZER": {typ: jcalTCalAddress},
	"RECURRENCE-ID": {typ: jcalTDateTime}, "RELATED-TO": {typ: jcalTText}, "URL": {typ: jcalTURI},
	"UID": {typ: jcalTText},
	// recurrence
	"EXDATE": {typ: jcalTDateTime, multi: true}, "RDATE": {typ: jcalTDateTime, multi: true},
	"RRULE": {typ: jcalTRecur}, "EXRULE": {typ: jcalTRecur},
	// alarm
	"ACTION": {typ: jcalTText}, "REPEAT": {typ: jcalTInteger}, "TRIGGER": {typ: jcalTDuration},
	// change management
	"CREATED": {typ: jcalTDateTime}, "DTSTAMP": {typ: jcalTDateTime}, "LAST-MODIFIED": {typ: jcalTDateTime},
	"SEQUENCE": {typ: jcalTInteger},
	// miscellaneous
	"REQUEST-STATUS": {typ: jcalTText, structured: true},
	// RFC 7986
	"NAME": {typ: jcalTText}, "REFRESH-INTERVAL": {typ: jcalTDuration}, "SOURCE": {typ: jcalTURI},
	"COLOR": {typ: jcalTText}, "IMAGE": {typ: jcalTURI}, "CONFERENCE": {typ: jcalTURI},
	// RFC 9073
	"LOCATION-TYPE": {typ: jcalTText, multi: true}, "PARTICIPANT-TYPE": {typ: jcalTText},
	"RESOURCE-TYPE": {typ: jcalTText}, "CALENDAR-ADDRESS": {typ: jcalTCalAddress},
	"STYLED-DESCRIPTION": {typ: jcalTText}, "STRUCTURED-DATA": {typ: jcalTText},
	// RFC 9074
	"ACKNOWLEDGED": {typ: jcalTDateTime}, "PROXIMITY": {typ: jcalTText},
}

// appendProperty appends the jCal form of one property:
// [name, {params}, type, value...].
func (c *jcalConv) appendProperty(dst []byte, name, value string) []byte {
	spec, known := jcalProps[strings.ToUpper(name)]
	typ, explicit := spec.typ, false
	for _, p := range c.params {
		if strings.EqualFold(p.name, "VALUE") {
			v := c.vals[p.start] // splitLine gives each parameter one value at least
			if t, ok := jcalTypeNames[strings.ToUpper(v)]; ok {
				typ = t
			} else {
				typ = jcalTUnknown // an x-name or unregistered value type
			}
			explicit = true
			break
		}
	}
	if !known && !explicit {
		typ = jcalTUnknown
	}

	dst = append(dst, '[')
	dst = jcalAppendLowerName(dst, name)
	dst = append(dst, ',')
	dst = c.appendParams(dst)
	dst = append(dst, ',')
	mark := len(dst)
	dst = jcalAppendJSONString(dst, typ)
	dst = append(dst, ',')
	var ok bool
	switch {
	case typ == jcalTUnknown:
		dst, ok = jcalAppendJSONString(dst, value), true
	case spec.structured && typ == jcalTFloat: // GEO
		dst, ok = jcalAppendGeo(dst, value)
	case spec.structured && typ == jcalTText: // REQUEST-STATUS
		dst, ok = c.appendStructuredText(dst, value), true
	case spec.multi:
		dst, ok = c.appendList(dst, typ, value)
	default:
		dst, ok = c.appendValue(dst, typ, value)
	}
	if !ok {
		// The value does not have the syntax of its type: keep it, raw.
		dst = jcalAppendJSONString(dst[:mark], jcalTUnknown)
		dst = append(dst, ',')
		dst = jcalAppendJSONString(dst, value)
	}
	return append(dst, ']')
}

// appendParams appends the parameters but VALUE as a JSON object. A
// parameter with several values (or repeated) gets an array.
func (c *jcalConv) appendParams(dst []byte) []byte {
	dst = append(dst, '{')
	first := true
	for i, p := range c.params {
		if strings.EqualFold(p.name, "VALUE") || c.seenParam(i) {
			continue
		}
		n := p.end - p.start
		for _, q := range c.params[i+1:] {
			if strings.EqualFold(q.name, p.name) {
				n += q.end - q.start
			}
		}
		if !first {
			dst = append(dst, ',')
		}
		first = false
		dst = jcalAppendLowerName(dst, p.name)
		dst = append(dst, ':')
		if n > 1 {
			dst = append(dst, '[')
		}
		k := 0
		for _, q := range c.params[i:] {
			if !strings.EqualFold(q.name, p.name) {
				continue
			}
			for _, v := range c.vals[q.start:q.end] {
				if k > 0 {
					dst = append(dst, ',')
				}
				k++
				dst = c.appendParamValue(dst, v)
			}
		}
		if n > 1 {
			dst = append(dst, ']')
		}
	}
	return append(dst, '}')
}

func (c *jcalConv) seenParam(i int) bool {
	for _, q := range c.params[:i] {
		if strings.EqualFold(q.name, c.params[i].name) {
			return true
		}
	}
	return false
}

// appendParamValue undoes RFC 6868 caret escapes (contentline.DecodeParam:
// ^n newline, ^' double quote, ^^ caret; any other caret, "^N" included,
// stays as it is, as RFC 6868 3 requires).
func (c *jcalConv) appendParamValue(dst []byte, v string) []byte {
	return jcalAppendJSONString(dst, contentline.DecodeParam(v))
}

// appendList appends the comma-separated values of a multi-valued
// property as separate values (RFC 7265 3.4.1.1). Text values split at
// unescaped commas only.
func (c *jcalConv) appendList(dst []byte, typ, value string) ([]byte, bool) {
	for i := 0; ; i++ {
		var v string
		var more bool
		if typ == jcalTText {
			v, value, more = jcalCutUnescaped(value, ',')
		} else {
			v, value, more = strings.Cut(value, ",")
		}
		if i > 0 {
			dst = append(dst, ',')
		}
		var ok bool
		if dst, ok = c.appendValue(dst, typ, v); !ok {
			return dst, false
		}
		if !more {
			return dst, true
		}
	}
}

// jcalCutUnescaped cuts s at the first sep not escaped by a backslash.
func jcalCutUnescaped(s string, sep byte) (before, after string, found bool) {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case sep:
			return s[:i], s[i+1:], true
		}
	}
	return s, "", false
}

// appendStructuredText appends a text value with ";"-separated parts
// (REQUEST-STATUS) as an array of strings (RFC 7265 3.4.1.2).
func (c *jcalConv) appendStructuredText(dst []byte, value string) []byte {
	dst = append(dst, '[')
	for i := 0; ; i++ {
		v, rest, more := jcalCutUnescaped(value, ';')
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = c.appendText(dst, v)
		if !more {
			return append(dst, ']')
		}
		value = rest
	}
}

// jcalAppendGeo appends "lat;lon" as a pair of numbers (RFC 7265 3.4.1.2).
func jcalAppendGeo(dst []byte, value string) ([]byte, bool) {
	lat, lon, ok := strings.Cut(value, ";")
	if !ok {
		return dst, false
	}
	dst = append(dst, '[')
	if dst, ok = jcalAppendFloat(dst, lat); !ok {
		return dst, false
	}
	dst = append(dst, ',')
	if dst, ok = jcalAppendFloat(dst, lon); !ok {
		return dst, false
	}
	return append(dst, ']'), true
}

// appendValue appends one value of type typ; ok is false when v does not
// have the type's syntax.
func (c *jcalConv) appendValue(dst []byte, typ, v string) ([]byte, bool) {
	switch typ {
	case jcalTText:
		return c.appendText(dst, v), true
	case jcalTDate:
		return jcalAppendDate(dst, v)
	case jcalTDateTime:
		return jcalAppendDateTime(dst, v)
	case jcalTTime:
		return jcalAppendTime(dst, v)
	case jcalTUTCOffset:
		return jcalAppendUTCOffset(dst, v)
	case jcalTDuration:
		if !jcalIsDuration(v) {
			return dst, false
		}
		return jcalAppendJSONString(dst, v), true
	case jcalTPeriod:
		return jcalAppendPeriod(dst, v)
	case jcalTRecur:
		return jcalAppendRecur(dst, v)
	case jcalTInteger:
		return jcalAppendInteger(dst, v)
	case jcalTFloat:
		return jcalAppendFloat(dst, v)
	case jcalTBoolean:
		switch {
		case strings.EqualFold(v, "TRUE"):
			return append(dst, "true"...), true
		case strings.EqualFold(v, "FALSE"):
			return append(dst, "false"...), true
		}
		return dst, false
	default: // binary, uri, cal-address: the value as written
		return jcalAppendJSONString(dst, v), true
	}
}

// appendText undoes the TEXT escapes of RFC 5545 3.3.11: \\ \; \, \n \N.
// A backslash before anything else stays, with the character after it.
func (c *jcalConv) appendText(dst []byte, v string) []byte {
	if strings.IndexByte(v, '\\') < 0 {
		return jcalAppendJSONString(dst, v)
	}
	b := c.text[:0]
	for i := 0; i < len(v); i++ {
		ch := v[i]
		if ch == '\\' && i+1 < len(v) {
			switch v[i+1] {
			case '\\', ';', ',':
				b, i = append(b, v[i+1]), i+1
				continue
			case 'n', 'N':
				b, i = append(b, '\n'), i+1
				continue
			}
		}
		b = append(b, ch)
	}
	c.text = b
	return jcalAppendJSONString(dst, b)
}

func jcalAllDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// jcalNum2 reads two digits at s[i:].
func jcalNum2(s string, i int) int { return int(s[i]-'0')*10 + int(s[i+1]-'0') }

// jcalValidDate checks an RFC 5545 date, "YYYYMMDD".
func jcalValidDate(v string) bool {
	if len(v) != 8 || !jcalAllDigits(v) {
		return false
	}
	m, d := jcalNum2(v, 4), jcalNum2(v, 6)
	return m >= 1 && m <= 12 && d >= 1 && d <= 31
}

// jcalValidTime checks an RFC 5545 time, "HHMMSS" with an optional "Z".
func jcalValidTime(v string) bool {
	if len(v) == 7 && v[6] == 'Z' {
		v = v[:6]
	}
	if len(v) != 6 || !jcalAllDigits(v) {
		return false
	}
	return jcalNum2(v, 0) <= 23 && jcalNum2(v, 2) <= 59 && jcalNum2(v, 4) <= 60
}

// jcalAppendDate writes "YYYYMMDD" as "YYYY-MM-DD" (RFC 7265 3.6.4).
func jcalAppendDate(dst []byte, v string) ([]byte, bool) {
	if !jcalValidDate(v) {
		return dst, false
	}
	dst = append(dst, '"')
	dst = jcalAppendDateDigits(dst, v)
	return append(dst, '"'), true
}

func jcalAppendDateDigits(dst []byte, v string) []byte {
	dst = append(dst, v[:4]...)
	dst = append(dst, '-')
	dst = append(dst, v[4:6]...)
	dst = append(dst, '-')
	return append(dst, v[6:8]...)
}

func jcalAppendTimeDigits(dst []byte, v string) []byte {
	dst = append(dst, v[:2]...)
	dst = append(dst, ':')
	dst = append(dst, v[2:4]...)
	dst = append(dst, ':')
	dst = append(dst, v[4:]...) // seconds and the "Z" if any
	return dst
}

func jcalValidDateTime(v string) bool {
	return len(v) >= 15 && v[8] == 'T' && jcalValidDate(v[:8]) && jcalValidTime(v[9:])
}

// jcalAppendDateTime writes "YYYYMMDDTHHMMSS[Z]" as "YYYY-MM-DDTHH:MM:SS[Z]"
// (RFC 7265 3.6.5).
func jcalAppendDateTime(dst []byte, v string) ([]byte, bool) {
	if !jcalValidDateTime(v) {
		return dst, false
	}
	dst = append(dst, '"')
	dst = jcalAppendDateTimeDigits(dst, v)
	return append(dst, '"'), true
}

func jcalAppendDateTimeDigits(dst []byte, v string) []byte {
	dst = jcalAppendDateDigits(dst, v[:8])
	dst = append(dst, 'T')
	return jcalAppendTimeDigits(dst, v[9:])
}

// jcalAppendTime writes "HHMMSS[Z]" as "HH:MM:SS[Z]" (RFC 7265 3.6.12).
func jcalAppendTime(dst []byte, v string) ([]byte, bool) {
	if !jcalValidTime(v) {
		return dst, false
	}
	dst = append(dst, '"')
	dst = jcalAppendTimeDigits(dst, v)
	return append(dst, '"'), true
}

// jcalAppendUTCOffset writes "+HHMM[SS]" as "+HH:MM[:SS]" (RFC 7265 3.6.14).
func jcalAppendUTCOffset(dst []byte, v string) ([]byte, bool) {
	if len(v) != 5 && len(v) != 7 || v[0] != '+' && v[0] != '-' || !jcalAllDigits(v[1:]) {
		return dst, false
	}
	dst = append(dst, '"')
	dst = append(dst, v[:3]...)
	dst = append(dst, ':')
	dst = append(dst, v[3:5]...)
	if len(v) == 7 {
		dst = append(dst, ':')
		dst = append(dst, v[5:]...)
	}
	return append(dst, '"'), true
}

// jcalIsDuration checks RFC 5545 3.3.6 dur-value leniently: a sign, "P",
// then weeks, or days and/or "T" with hours, minutes, seconds in that
// order (not necessarily adjacent).
func jcalIsDuration(v string) bool {
	if v != "" && (v[0] == '+' || v[0] == '-') {
		v = v[1:]
	}
	if len(v) < 3 || v[0] != 'P' {
		return false
	}
	v = v[1:]
	const order = "WDTHMS"
	last, any, inTime, timeParts := -1, false, false, 0
	for v != "" {
		if v[0] == 'T' {
			if inTime {
				return false
			}
			inTime, last, v = true, 2, v[1:]
			continue
		}
		n := 0
		for n < len(v) && v[n] >= '0' && v[n] <= '9' {
			n++
		}
		if n == 0 || n == len(v) {
			return false
		}
		k := strings.IndexByte(order, v[n])
		if k < 0 || k == 2 || k <= last || (k >= 3) != inTime || k == 0 && any {
			return false
		}
		if inTime {
			timeParts++
		}
		last, any, v = k, true, v[n+1:]
		if k == 0 && v != "" { // weeks stand alone
			return false
		}
	}
	return any && (!inTime || timeParts > 0)
}

// jcalAppendPeriod writes "start/end" or "start/duration" as a two-string
// array with the date-times converted (RFC 7265 3.6.9).
func jcalAppendPeriod(dst []byte, v string) ([]byte, bool) {
	start, end, ok := strings.Cut(v, "/")
	if !ok || !jcalValidDateTime(start) {
		return dst, false
	}
	dst = append(dst, "[\""...)
	dst = jcalAppendDateTimeDigits(dst, start)
	dst = append(dst, "\","...)
	switch {
	case jcalValidDateTime(end):
		dst = append(dst, '"')
		dst = jcalAppendDateTimeDigits(dst, end)
		dst = append(dst, '"')
	case jcalIsDuration(end):
		dst = jcalAppendJSONString(dst, end)
	default:
		return dst, false
	}
	return append(dst, ']'), true
}

// jcalAppendInteger writes an RFC 5545 integer as a JSON number.
func jcalAppendInteger(dst []byte, v string) ([]byte, bool) {
	digits := v
	if digits != "" && (digits[0] == '+' || digits[0] == '-') {
		digits = digits[1:]
	}
	if digits == "" || !jcalAllDigits(digits) {
		return dst, false
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return dst, false
	}
	return strconv.AppendInt(dst, n, 10), true
}

// jcalAppendFloat writes an RFC 5545 float ([sign] digits ["." digits]) as a
// JSON number with the digits as written, less a "+" and leading zeros,
// so that no precision is lost.
func jcalAppendFloat(dst []byte, v string) ([]byte, bool) {
	neg := false
	if v != "" && (v[0] == '+' || v[0] == '-') {
		neg, v = v[0] == '-', v[1:]
	}
	intPart, frac, hasFrac := strings.Cut(v, ".")
	if intPart == "" || !jcalAllDigits(intPart) || hasFrac && (frac == "" || !jcalAllDigits(frac)) {
		return dst, false
	}
	for len(intPart) > 1 && intPart[0] == '0' {
		intPart = intPart[1:]
	}
	if neg {
		dst = append(dst, '-')
	}
	dst = append(dst, intPart...)
	if hasFrac {
		dst = append(dst, '.')
		dst = append(dst, frac...)
	}
	return dst, true
}

// Recurrence rule parts (RFC 5545 3.3.10) that jCal writes as numbers
// (RFC 7265 3.6.10), and those that never hold a list.
var (
	jcalRecurNumeric = map[string]bool{
		"count": true, "interval": true, "bysecond": true, "byminute": true,
		"byhour": true, "bymonthday": true, "byyearday": true, "byweekno": true,
		"bymonth": true, "bysetpos": true,
	}
	jcalRecurSingle = map[string]bool{
		"freq": true, "until": true, "count": true, "interval": true,
		"wkst": true, "rscale": true, "skip": true,
	}
)

// jcalAppendRecur writes a recurrence rule as a JSON object (RFC 7265
// 3.6.10): lower-case keys; UNTIL as a jCal date or date-time; the
// numeric parts as numbers (a value that is no integer, such as the
// leap month "5L" of RFC 7529, stays a string); a part with several
// values as an array, with one value as a scalar.
func jcalAppendRecur(dst []byte, v string) ([]byte, bool) {
	dst = append(dst, '{')
	// The parts seen, to refuse repeated ones (JSON object keys should be
	// unique); RFC 5545 and RFC 7529 define 16 parts.
	var keys [16]string
	nkeys := 0
	rest := v
	for rest != "" {
		var part string
		part, rest, _ = strings.Cut(rest, ";")
		if part == "" {
			continue // "FREQ=DAILY;" is common enough
		}
		k, val, ok := strings.Cut(part, "=")
		if !ok || !jcalValidName(k) {
			return dst, false
		}
		for _, seen := range keys[:nkeys] {
			if strings.EqualFold(seen, k) {
				return dst, false
			}
		}
		if nkeys == len(keys) {
			return dst, false
		}
		keys[nkeys] = k
		nkeys++
		if nkeys > 1 {
			dst = append(dst, ',')
		}
		start := len(dst) + 1
		dst = jcalAppendLowerName(dst, k)
		key := dst[start : len(dst)-1] // k in lower case; map lookups with string(key) do not allocate
		dst = append(dst, ':')
		if string(key) == "until" {
			switch {
			case jcalValidDate(val):
				dst, _ = jcalAppendDate(dst, val)
			case jcalValidDateTime(val):
				dst, _ = jcalAppendDateTime(dst, val)
			default:
				return dst, false
			}
			continue
		}
		numeric := jcalRecurNumeric[string(key)]
		list := !jcalRecurSingle[string(key)] && strings.IndexByte(val, ',') >= 0
		if list {
			dst = append(dst, '[')
		}
		for i := 0; ; i++ {
			item, more := val, false
			if list {
				item, val, more = strings.Cut(val, ",")
			}
			if i > 0 {
				dst = append(dst, ',')
			}
			ok := false
			if numeric {
				dst, ok = jcalAppendInteger(dst, item)
			}
			if !ok {
				dst = jcalAppendJSONString(dst, item)
			}
			if !more {
				break
			}
		}
		if list {
			dst = append(dst, ']')
		}
	}
	return append(dst, '}'), true
}

// jcalAppendJSONString appends s as a JSON string exactly as encoding/json
// writes it. Strings that encoding/json copies unchanged (printable
// ASCII but " \ < > &, and valid UTF-8 but U+2028 and U+2029) are copied
// here too; anything else goes through json.Marshal.
func jcalAppendJSONString[S string | []byte](dst []byte, s S) []byte {
	for i := 0; i < len(s); {
		ch := s[i]
		if ch < utf8.RuneSelf {
			if ch < 0x20 || ch == '"' || ch == '\\' || ch == '<' || ch == '>' || ch == '&' {
				return jcalAppendMarshaled(dst, string(s))
			}
			i++
			continue
		}
		var buf [utf8.UTFMax]byte
		r, size := utf8.DecodeRune(buf[:copy(buf[:], s[i:])])
		if r == utf8.RuneError && size == 1 || r == '\u2028' || r == '\u2029' {
			return jcalAppendMarshaled(dst, string(s))
		}
		i += size
	}
	dst = append(dst, '"')
	dst = append(dst, s...)
	return append(dst, '"')
}

func jcalAppendMarshaled(dst []byte, s string) []byte {
	b, err := json.Marshal(s)
	if err != nil { // cannot happen for a string
		return append(dst, `""`...)
	}
	return append(dst, b...)
}
