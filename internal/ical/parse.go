package ical

import (
	"bytes"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/emersion/go-ical"

	"almanac/internal/contentline"
)

// MaxSize caps the calendar data Parse accepts, in bytes; 0 means no cap.
// It is a variable so that the server can apply its configured
// max-resource-size (RFC 4791 5.2.5) at start-up; set it before serving, as
// it is read without synchronisation.
var MaxSize = 10 << 20

// maxDepth bounds component nesting. Real data nests three deep
// (VCALENDAR > VEVENT > VALARM) and RFC 9073 adds a fourth level
// (PARTICIPANT > VLOCATION); the cap keeps every recursive walker over a
// parsed calendar safe from hostile input.
const maxDepth = 16

// Parse decodes untrusted calendar bytes into go-ical's model.
//
// It does not call go-ical's Decoder, which panics on some malformed
// parameter lines ("X;P=a", `X;P="a"b:v`), recurses once per nesting level
// and builds parameter values one byte at a time (a 300 KB parameter takes
// about 20 s). The decoder here is an iterative line scanner that produces
// exactly what go-ical would produce for the data both accept (the fuzz test
// FuzzParse checks that), and refuses what it cannot decode safely with a
// *ValidationError saying where and why.
func Parse(data []byte) (cal *ical.Calendar, err error) {
	defer func() {
		// Backstop only: the scanner has no known panic, but one found
		// later must cost one request, not the server.
		if r := recover(); r != nil {
			cal, err = nil, dataErr("calendar data could not be parsed")
		}
	}()
	if MaxSize > 0 && len(data) > MaxSize {
		return nil, &ValidationError{
			Reason: fmt.Sprintf("calendar data is %d bytes, more than the limit of %d bytes", len(data), MaxSize),
			Kind:   TooLarge,
		}
	}
	if !utf8.Valid(data) {
		return nil, dataErr("line %d: calendar data is not valid UTF-8", invalidUTF8Line(data))
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, dataErr("calendar data is empty")
	}
	return newDecoder(data).decode()
}

func invalidUTF8Line(data []byte) int {
	line := 1
	for len(data) > 0 {
		r, size := utf8.DecodeRune(data)
		if r == utf8.RuneError && size <= 1 {
			break
		}
		if r == '\n' {
			line++
		}
		data = data[size:]
	}
	return line
}

// decoder reads logical lines through contentline (RFC 5545 3.1
// unfolding: LF with an optional CR ends a physical line, one leading
// space or tab continues it, as go-ical reads them; a leading byte order
// mark is passed over).
type decoder struct{ *contentline.Reader }

func newDecoder(data []byte) decoder { return decoder{contentline.NewReader(string(data))} }

func (d decoder) decode() (*ical.Calendar, error) {
	var stack []*ical.Component
	for {
		s, num, ok := d.Next()
		if !ok {
			break
		}
		if len(s) == 0 {
			continue // go-ical skips empty lines too
		}
		name, params, value, err := parseContentLine(s)
		if err != nil {
			return nil, dataErr("line %d: %s", num, err)
		}
		if len(stack) == 0 && (name != "BEGIN" || !strings.EqualFold(value, ical.CompCalendar)) {
			return nil, dataErr("line %d: calendar data must start with BEGIN:VCALENDAR", num)
		}
		switch name {
		case "BEGIN":
			if len(params) > 0 {
				return nil, dataErr("line %d: BEGIN must not have parameters", num)
			}
			if !contentline.ValidName(value) {
				return nil, dataErr("line %d: invalid component name %s", num, quote(value))
			}
			if len(stack) >= maxDepth {
				return nil, dataErr("line %d: components nest more than %d levels deep", num, maxDepth)
			}
			stack = append(stack, &ical.Component{Name: strings.ToUpper(value), Props: make(ical.Props)})
		case "END":
			if len(params) > 0 {
				return nil, dataErr("line %d: END must not have parameters", num)
			}
			top := stack[len(stack)-1]
			if !strings.EqualFold(value, top.Name) {
				return nil, dataErr("line %d: END:%s does not close BEGIN:%s", num, quote(value), top.Name)
			}
			stack = stack[:len(stack)-1]
			if len(stack) == 0 {
				if at := d.TrailingLine(); at > 0 {
					return nil, dataErr("line %d: data after END:VCALENDAR; a calendar object holds exactly one VCALENDAR", at)
				}
				return &ical.Calendar{Component: top}, nil
			}
			parent := stack[len(stack)-1]
			parent.Children = append(parent.Children, top)
		default:
			top := stack[len(stack)-1]
			top.Props[name] = append(top.Props[name], ical.Prop{Name: name, Params: params, Value: value})
		}
	}
	if len(stack) == 0 {
		return nil, dataErr("calendar data has no BEGIN:VCALENDAR")
	}
	return nil, dataErr("line %d: calendar data ends before END:%s", d.Line(), stack[len(stack)-1].Name)
}

// parseContentLine splits "NAME;P=a,"b":value" (RFC 5545 3.1). Parameter
// values lose their quotes, as go-ical's do, and have their RFC 6868 caret
// escapes decoded, which go-ical leaves as written: every reader of the
// model (TZID resolution, param-filter matching) compares what the client
// meant, and the writer (AppendProp) encodes them again.
func parseContentLine(s string) (name string, params ical.Params, value string, err error) {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 && c != '\t' || c == 0x7F {
			return "", nil, "", fmt.Errorf("control character %q in content line", c)
		}
	}
	i := strings.IndexAny(s, ";:")
	if i < 0 {
		return "", nil, "", fmt.Errorf("content line %s has no colon", quote(s))
	}
	if !contentline.ValidName(s[:i]) {
		return "", nil, "", fmt.Errorf("invalid property name %s", quote(s[:i]))
	}
	name = strings.ToUpper(s[:i])
	params = make(ical.Params)
	for s[i] == ';' {
		i++
		j := strings.IndexAny(s[i:], "=;:")
		if j < 0 || s[i+j] != '=' {
			return "", nil, "", fmt.Errorf("property %s: parameter without \"=\"", name)
		}
		pname := s[i : i+j]
		if !contentline.ValidName(pname) {
			return "", nil, "", fmt.Errorf("property %s: invalid parameter name %s", name, quote(pname))
		}
		pname = strings.ToUpper(pname)
		i += j + 1
		for {
			var v string
			if i < len(s) && s[i] == '"' {
				k := strings.IndexByte(s[i+1:], '"')
				if k < 0 {
					return "", nil, "", fmt.Errorf("property %s: parameter %s: unterminated quoted string", name, pname)
				}
				v = s[i+1 : i+1+k]
				i += k + 2
			} else {
				k := strings.IndexAny(s[i:], "\";,:")
				if k < 0 {
					return "", nil, "", fmt.Errorf("property %s: line ends inside parameter %s", name, pname)
				}
				if s[i+k] == '"' {
					return "", nil, "", fmt.Errorf("property %s: parameter %s: double quote inside an unquoted value", name, pname)
				}
				v = s[i : i+k]
				i += k
			}
			params[pname] = append(params[pname], contentline.DecodeParam(v))
			if i >= len(s) {
				return "", nil, "", fmt.Errorf("property %s: line ends inside parameter %s", name, pname)
			}
			if s[i] == ',' {
				i++
				continue
			}
			if s[i] != ';' && s[i] != ':' {
				return "", nil, "", fmt.Errorf("property %s: parameter %s: unexpected %q after a quoted value", name, pname, s[i])
			}
			break
		}
	}
	// The loop above stops only at ':' (or the name ended there).
	return name, params, s[i+1:], nil
}
