package conformance

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
)

// The iCalendar and vCard comparison is written here from RFC 5545 3.1
// and RFC 6350 3.2 rather than taken from internal/ical or
// internal/vcard, so the server is not checked against its own reading
// of the data. It compares meaning, not bytes: lines unfolded, names
// case-insensitive, parameters and properties in any order, components
// in any order.

// component is one BEGIN/END block.
type component struct {
	name  string
	props []string // canonical property lines
	subs  []*component
}

// cdOptions says what a comparison treats as equal beyond the text.
type cdOptions struct {
	// generated: the object was made by the server (a free-busy answer),
	// so its PRODID is the server's and its DTSTAMP the time of the
	// request: PRODID is ignored and DTSTAMP need only be there.
	generated bool
}

func parseContent(text string, opt cdOptions) (*component, error) {
	text = strings.ReplaceAll(text, "\r\n", "\n")
	var lines []string
	for _, l := range strings.Split(text, "\n") {
		if l == "" {
			continue
		}
		if (l[0] == ' ' || l[0] == '\t') && len(lines) > 0 {
			lines[len(lines)-1] += l[1:]
			continue
		}
		lines = append(lines, l)
	}
	var stack []*component
	var root *component
	for _, l := range lines {
		name, params, value, err := splitContentLine(l)
		if err != nil {
			return nil, err
		}
		switch name {
		case "BEGIN":
			c := &component{name: strings.ToUpper(value)}
			if len(stack) > 0 {
				p := stack[len(stack)-1]
				p.subs = append(p.subs, c)
			} else if root == nil {
				root = c
			} else {
				return nil, fmt.Errorf("second top-level component %s", value)
			}
			stack = append(stack, c)
		case "END":
			if len(stack) == 0 || stack[len(stack)-1].name != strings.ToUpper(value) {
				return nil, fmt.Errorf("unbalanced END:%s", value)
			}
			stack = stack[:len(stack)-1]
		default:
			if len(stack) == 0 {
				return nil, fmt.Errorf("property outside a component: %q", l)
			}
			c := stack[len(stack)-1]
			c.props = append(c.props, canonicalProps(name, params, value, opt)...)
		}
	}
	if root == nil || len(stack) != 0 {
		return nil, fmt.Errorf("no complete component")
	}
	return root, nil
}

// splitContentLine splits name *(";" param) ":" value, honouring quoted
// parameter values (RFC 5545 3.1).
func splitContentLine(l string) (name string, params map[string][]string, value string, err error) {
	params = map[string][]string{}
	inQuote := false
	start := 0
	var parts []string
	end := -1
	for i := 0; i < len(l) && end < 0; i++ {
		switch c := l[i]; {
		case c == '"':
			inQuote = !inQuote
		case !inQuote && (c == ';' || c == ':'):
			parts = append(parts, l[start:i])
			start = i + 1
			if c == ':' {
				end = i
			}
		}
	}
	if end < 0 {
		return "", nil, "", fmt.Errorf("content line without value: %q", l)
	}
	name = strings.ToUpper(parts[0])
	for _, p := range parts[1:] {
		k, v, ok := strings.Cut(p, "=")
		if !ok {
			return "", nil, "", fmt.Errorf("malformed parameter %q in %q", p, l)
		}
		var vals []string
		for _, pv := range splitOutsideQuotes(v, ',') {
			vals = append(vals, strings.Trim(pv, `"`))
		}
		params[strings.ToUpper(k)] = append(params[strings.ToUpper(k)], vals...)
	}
	return name, params, l[end+1:], nil
}

func splitOutsideQuotes(s string, sep byte) []string {
	var out []string
	inQuote, start := false, 0
	for i := 0; i < len(s); i++ {
		switch {
		case s[i] == '"':
			inQuote = !inQuote
		case s[i] == sep && !inQuote:
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return append(out, s[start:])
}

func canonicalLine(name string, params map[string][]string, value string) string {
	keys := make([]string, 0, len(params))
	for k := range params {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	b.WriteString(name)
	for _, k := range keys {
		b.WriteString(";" + k + "=" + strings.Join(params[k], ","))
	}
	b.WriteString(":" + value)
	return b.String()
}

// canonicalProps renders one property; a FREEBUSY line becomes one line
// per period, each as start/end in UTC with its FBTYPE (BUSY when
// absent, RFC 5545 3.2.9), since start/duration and start/end, one
// property with several periods and several properties, say the same.
func canonicalProps(name string, params map[string][]string, value string, opt cdOptions) []string {
	switch {
	case opt.generated && name == "PRODID":
		return nil
	case opt.generated && name == "DTSTAMP":
		return []string{"DTSTAMP:(present)"}
	case name == "FREEBUSY":
		if _, ok := params["FBTYPE"]; !ok {
			params["FBTYPE"] = []string{"BUSY"}
		}
		var out []string
		for _, p := range strings.Split(value, ",") {
			out = append(out, canonicalLine(name, params, normalizePeriod(p)))
		}
		return out
	}
	return []string{canonicalLine(name, params, value)}
}

const utcLayout = "20060102T150405Z"

// normalizePeriod turns start/duration into start/end; a period it
// cannot read is kept as written, so it compares as text.
func normalizePeriod(p string) string {
	start, rest, ok := strings.Cut(p, "/")
	if !ok || !strings.HasPrefix(rest, "P") && !strings.HasPrefix(rest, "+P") {
		return p
	}
	t, err := time.Parse(utcLayout, start)
	if err != nil {
		return p
	}
	d, err := parseDuration(rest)
	if err != nil {
		return p
	}
	return start + "/" + t.Add(d).Format(utcLayout)
}

// parseDuration reads an RFC 5545 3.3.6 duration.
func parseDuration(s string) (time.Duration, error) {
	sign := time.Duration(1)
	switch {
	case strings.HasPrefix(s, "-"):
		sign, s = -1, s[1:]
	case strings.HasPrefix(s, "+"):
		s = s[1:]
	}
	if !strings.HasPrefix(s, "P") {
		return 0, fmt.Errorf("duration %q: no P", s)
	}
	s = s[1:]
	var d time.Duration
	inTime := false
	num := ""
	for _, c := range s {
		switch {
		case c == 'T':
			inTime = true
		case c >= '0' && c <= '9':
			num += string(c)
		default:
			n, err := strconv.Atoi(num)
			if err != nil {
				return 0, fmt.Errorf("duration %q: %w", s, err)
			}
			num = ""
			unit := map[rune]time.Duration{'W': 7 * 24 * time.Hour, 'D': 24 * time.Hour}
			if inTime {
				unit = map[rune]time.Duration{'H': time.Hour, 'M': time.Minute, 'S': time.Second}
			}
			u, ok := unit[c]
			if !ok {
				return 0, fmt.Errorf("duration %q: unit %c", s, c)
			}
			d += time.Duration(n) * u
		}
	}
	if num != "" {
		return 0, fmt.Errorf("duration %q: trailing number", s)
	}
	return sign * d, nil
}

// lines renders a component as sorted lines, each with its path, so that
// two components compare by their sets of lines and a difference names
// the component it is in.
func (c *component) lines(path string, out *[]string) {
	p := path + "/" + c.name
	// Sibling components of one name are told apart by their content,
	// not their order.
	props := append([]string(nil), c.props...)
	sort.Strings(props)
	p += "{" + identity(c) + "}"
	for _, l := range props {
		*out = append(*out, p+" "+l)
	}
	for _, s := range c.subs {
		s.lines(p, out)
	}
}

// identity names a component among its siblings: its UID, RECURRENCE-ID,
// TZID or, for anything else, nothing.
func identity(c *component) string {
	var id []string
	for _, l := range c.props {
		for _, k := range []string{"UID", "RECURRENCE-ID", "TZID"} {
			if strings.HasPrefix(l, k+":") || strings.HasPrefix(l, k+";") {
				id = append(id, l)
			}
		}
	}
	sort.Strings(id)
	return strings.Join(id, " ")
}

// diffContent compares two iCalendar or vCard texts and describes the
// difference, or returns "" when they mean the same.
func diffContent(want, got string, opt cdOptions) string {
	w, err := parseContent(want, opt)
	if err != nil {
		return "expected data does not parse: " + err.Error()
	}
	g, err := parseContent(got, opt)
	if err != nil {
		return "answer does not parse: " + err.Error() + "\n" + got
	}
	var wl, gl []string
	w.lines("", &wl)
	g.lines("", &gl)
	sort.Strings(wl)
	sort.Strings(gl)
	missing, extra := multisetDiff(wl, gl)
	if len(missing) == 0 && len(extra) == 0 {
		return ""
	}
	var b strings.Builder
	for _, l := range missing {
		b.WriteString("\n  - " + l)
	}
	for _, l := range extra {
		b.WriteString("\n  + " + l)
	}
	return "data differs (- expected, + answered):" + b.String()
}

// multisetDiff returns the elements of the sorted a missing from the
// sorted b, and those of b not in a.
func multisetDiff(a, b []string) (missing, extra []string) {
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		switch {
		case j == len(b) || i < len(a) && a[i] < b[j]:
			missing = append(missing, a[i])
			i++
		case i == len(a) || b[j] < a[i]:
			extra = append(extra, b[j])
			j++
		default:
			i++
			j++
		}
	}
	return missing, extra
}
