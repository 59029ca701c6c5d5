package publish

import (
	"bytes"
	"slices"
	"strconv"
	"strings"
	"time"

	"almanac/internal/contentline"
	aical "almanac/internal/ical"
	"almanac/sharing"
	"almanac/storage"
)

// Feed is what one link publishes of a calendar.
type Feed struct {
	Tier       string    // sharing.TierFull, TierLimited or TierBusy
	Components []string  // component types published; nil: all
	Start, End time.Time // window; a zero side is unbounded
	Name       string    // X-WR-CALNAME
	TimeZone   string    // X-WR-TIMEZONE, "" for none
	TTL        time.Duration
	// Now anchors the generated VTIMEZONEs' range (tests fix it).
	Now time.Time
}

// Properties kept by the limited and busy tiers: an allowlist, so that a
// property added by some client (X-ALT-DESC with an HTML description,
// X-APPLE-STRUCTURED-LOCATION, CONFERENCE) never leaks by default.
var (
	timeProps = []string{
		"UID", "DTSTAMP", "DTSTART", "DTEND", "DURATION", "DUE", "RRULE", "RDATE", "EXDATE",
		"RECURRENCE-ID", "SEQUENCE", "STATUS", "TRANSP", "CREATED", "LAST-MODIFIED",
	}
	limitedProps = append(slices.Clone(timeProps), "SUMMARY", "LOCATION", "GEO")
	// zonedProps are the properties that may carry a TZID parameter.
	zonedProps = []string{"DTSTART", "DTEND", "DUE", "RECURRENCE-ID", "EXDATE", "RDATE"}
)

// Render writes the feed of the objects walk yields (storage Walk order)
// as one VCALENDAR: CRLF lines folded at 75 octets, the calendar-level
// properties subscribers read, one VTIMEZONE per TZID used, then the
// published components. Objects outside the window or of other
// component types are passed over by their stored metadata, unread.
func (f *Feed) Render(walk func(fn func(*storage.Object) error) error) ([]byte, error) {
	r := &renderer{f: f, viewer: viewerOf(f.Tier), tzName: map[string]string{}, tzUsed: map[string]bool{}, tzDefs: map[string][]string{}}
	err := walk(func(o *storage.Object) error {
		if f.skips(&o.ObjectMeta) {
			return nil
		}
		r.object(o.Data)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return r.assemble(), nil
}

// skips decides from metadata alone that an object cannot be published.
func (f *Feed) skips(m *storage.ObjectMeta) bool {
	comp := strings.ToUpper(m.Component)
	if comp != "" {
		if len(f.Components) > 0 && !slices.Contains(f.Components, comp) {
			return true
		}
		if f.Tier == sharing.TierBusy && comp != aical.CompEvent {
			return true
		}
	}
	return (!f.Start.IsZero() || !f.End.IsZero()) && !m.Span.Overlaps(f.Start, f.End)
}

// viewerOf is the privacy viewer of a link tier; a tier it does not know
// sees what the busy tier sees.
func viewerOf(tier string) aical.Viewer {
	switch tier {
	case sharing.TierFull:
		return aical.ViewerFeedFull
	case sharing.TierLimited:
		return aical.ViewerFeedLimited
	}
	return aical.ViewerFeedBusy
}

type renderer struct {
	f       *Feed
	viewer  aical.Viewer
	body    []byte
	tzName  map[string]string   // TZID as stored (decoded) → as published
	tzOrder []string            // published TZIDs in order of first use
	tzUsed  map[string]bool     //
	tzDefs  map[string][]string // stored VTIMEZONE lines by TZID
}

// object publishes one stored calendar object: its VTIMEZONEs are
// collected, and every other top-level component is published as
// internal/ical's privacy policy lets the link's tier see it. An object
// that is not line-parseable, which validation keeps out of the store, is
// not published.
func (r *renderer) object(data []byte) {
	o, ok := aical.ReadOutline(data)
	if !ok {
		return
	}
	for i := range o.Components {
		c := &o.Components[i]
		lines := o.Lines[c.From : c.To+1]
		if c.Name == aical.CompTimezone {
			r.timezone(lines)
			continue
		}
		r.publish(c.Name, lines, c.Visibility(r.viewer))
	}
}

// timezone keeps the first definition of each TZID, for the zones that
// published lines use.
func (r *renderer) timezone(lines []string) {
	tzid, depth := "", 0
	for _, line := range lines[1 : len(lines)-1] {
		switch name, value := split(line); {
		case name == "BEGIN":
			depth++
		case name == "END":
			depth--
		case depth == 0 && name == "TZID":
			tzid = value
		}
	}
	if _, dup := r.tzDefs[tzid]; tzid != "" && !dup {
		r.tzDefs[tzid] = slices.Clone(lines)
	}
}

// publish writes one component (lines from its BEGIN to its END) in the
// form of its visibility: full as stored without alarms, limited and busy
// with their allowlists and without subcomponents, busy time of events
// only.
func (r *renderer) publish(name string, lines []string, vis aical.Visibility) {
	if len(r.f.Components) > 0 && !slices.Contains(r.f.Components, name) {
		return
	}
	var keep []string
	switch vis {
	case aical.VisFull:
	case aical.VisLimited:
		keep = limitedProps
	case aical.VisBusy:
		if name != aical.CompEvent {
			return
		}
		keep = timeProps
	default:
		return
	}
	r.emit(lines[0])
	depth := 0
	skip := 0 // depth at which a dropped subcomponent began
	for _, line := range lines[1 : len(lines)-1] {
		pname, value := split(line)
		if pname == "BEGIN" {
			depth++
			if skip == 0 && (vis != aical.VisFull || strings.ToUpper(value) == "VALARM") {
				skip = depth
			}
		}
		dropped := skip > 0
		if pname == "END" {
			if depth == skip {
				skip = 0
			}
			depth--
		}
		if dropped || keep != nil && !slices.Contains(keep, pname) {
			continue
		}
		if slices.Contains(zonedProps, pname) {
			line = r.zoned(line)
		} else if pname == "DURATION" {
			line = canonicalDuration(line, value)
		}
		r.emit(line)
	}
	if vis == aical.VisBusy {
		r.emit("SUMMARY:Busy")
	}
	r.emit("END:" + name)
}

func (r *renderer) emit(line string) {
	r.body = contentline.AppendFolded(r.body, line)
}

// zoned rewrites the TZID of a date-time property to the IANA name it
// stands for (Windows and vendor-prefixed names), which every subscriber
// knows, and records it for a VTIMEZONE.
func (r *renderer) zoned(line string) string {
	start, end, ok := tzidParam(line)
	if !ok {
		return line
	}
	// The zone is named by the decoded value (RFC 6868 3), which is also
	// how its VTIMEZONE's TZID reads.
	name := contentline.DecodeParam(strings.Trim(line[start:end], `"`))
	published, seen := r.tzName[name]
	if !seen {
		published = name
		if iana, ok := aical.IANAName(name); ok {
			published = iana
		}
		r.tzName[name] = published
	}
	if !r.tzUsed[published] {
		r.tzUsed[published] = true
		r.tzOrder = append(r.tzOrder, published)
	}
	if published == name {
		return line
	}
	return line[:start] + quoteParam(published) + line[end:]
}

// canonicalDuration writes a DURATION with a final "T" and no time
// ("P1DT", which older libraries write and RFC 5545 3.3.6's grammar
// forbids) as what it means, "P1D": the feed is our document, read by
// subscribers we do not know. Any other value stays as stored.
func canonicalDuration(line, value string) string {
	if !strings.HasSuffix(value, "T") && !strings.HasSuffix(value, "t") {
		return line
	}
	// ParseDuration takes a final T only after a day or week part.
	if _, err := aical.ParseDuration(value); err != nil {
		return line
	}
	return line[:len(line)-1]
}

// assemble writes the calendar around the published components.
func (r *renderer) assemble() []byte {
	f := r.f
	out := make([]byte, 0, len(r.body)+4096)
	line := func(s string) { out = contentline.AppendFolded(out, s) }
	line("BEGIN:VCALENDAR")
	line("VERSION:2.0")
	line("PRODID:-//almanac//public feed//EN")
	line("CALSCALE:GREGORIAN")
	line("METHOD:PUBLISH")
	if f.Name != "" {
		line("X-WR-CALNAME:" + escapeText(f.Name))
	}
	if f.TimeZone != "" {
		line("X-WR-TIMEZONE:" + escapeText(f.TimeZone))
	}
	ttl := formatDuration(f.TTL)
	line("REFRESH-INTERVAL;VALUE=DURATION:" + ttl)
	line("X-PUBLISHED-TTL:" + ttl)
	for _, tzid := range r.tzOrder {
		if def, ok := r.tzDefs[tzid]; ok {
			for _, l := range def {
				line(l)
			}
			continue
		}
		if loc, ok := aical.LoadLocation(tzid); ok && tzid != "" && tzid != "Local" {
			from, to := zoneRange(f.Now)
			out = append(out, aical.VTimezone(tzid, loc, from, to)...)
		}
		// A TZID that names no known zone and has no definition stays as
		// written: there is nothing true to add.
	}
	out = append(out, r.body...)
	line("END:VCALENDAR")
	return out
}

// zoneRange is the span generated VTIMEZONEs describe: from 1970 to
// twenty years after now, in whole years so that renders share the
// generator's cache.
func zoneRange(now time.Time) (time.Time, time.Time) {
	if now.IsZero() {
		now = time.Now()
	}
	return time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(now.Year()+20, 1, 1, 0, 0, 0, 0, time.UTC)
}

// split returns a content line's name (upper case, without group) and
// value.
func split(line string) (name, value string) {
	i := strings.IndexAny(line, ";:")
	if i < 0 {
		return strings.ToUpper(line), ""
	}
	name = strings.ToUpper(line[:i])
	if line[i] == ':' {
		return name, line[i+1:]
	}
	if j := valueStart(line, i); j >= 0 {
		return name, line[j:]
	}
	return name, ""
}

// valueStart is the index after the colon that ends the parameters
// starting at i, skipping colons in quoted parameter values.
func valueStart(line string, i int) int {
	quoted := false
	for ; i < len(line); i++ {
		switch line[i] {
		case '"':
			quoted = !quoted
		case ':':
			if !quoted {
				return i + 1
			}
		}
	}
	return -1
}

// tzidParam finds the value of a TZID parameter: line[start:end], quotes
// included.
func tzidParam(line string) (start, end int, ok bool) {
	i := strings.IndexAny(line, ";:")
	quoted := false
	for i >= 0 && i < len(line) && line[i] == ';' {
		i++
		eq := strings.IndexByte(line[i:], '=')
		if eq < 0 {
			return 0, 0, false
		}
		pname := line[i : i+eq]
		j := i + eq + 1
		k := j
		for ; k < len(line); k++ {
			c := line[k]
			if c == '"' {
				quoted = !quoted
			} else if !quoted && (c == ';' || c == ':') {
				break
			}
		}
		if strings.EqualFold(pname, "TZID") {
			return j, k, true
		}
		i = k
	}
	return 0, 0, false
}

// quoteParam quotes a parameter value that holds characters RFC 5545 3.2
// allows only in quoted strings.
func quoteParam(v string) string {
	if strings.ContainsAny(v, ";:,") {
		return `"` + v + `"`
	}
	return v
}

var textEscaper = strings.NewReplacer(`\`, `\\`, ";", `\;`, ",", `\,`, "\r\n", `\n`, "\n", `\n`, "\r", `\n`)

func escapeText(s string) string { return textEscaper.Replace(s) }

// formatDuration writes d as an RFC 5545 3.3.6 duration (PT1H, P1D,
// PT1H30M); at least one second.
func formatDuration(d time.Duration) string {
	if d < time.Second {
		d = time.Second
	}
	s := int64(d / time.Second)
	days, s := s/86400, s%86400
	h, s := s/3600, s%3600
	m, s := s/60, s%60
	var b strings.Builder
	b.WriteByte('P')
	if days > 0 {
		b.WriteString(strconv.FormatInt(days, 10) + "D")
	}
	if h > 0 || m > 0 || s > 0 {
		b.WriteByte('T')
		if h > 0 {
			b.WriteString(strconv.FormatInt(h, 10) + "H")
		}
		if m > 0 {
			b.WriteString(strconv.FormatInt(m, 10) + "M")
		}
		if s > 0 {
			b.WriteString(strconv.FormatInt(s, 10) + "S")
		}
	}
	return b.String()
}

// renderCards concatenates an address book's vCards, each as stored and
// ended by CRLF: a .vcf file Contacts apps import as a whole. A card's
// leading byte order mark is left out: in the middle of the file it would
// be text before BEGIN:VCARD.
func renderCards(walk func(fn func(*storage.Object) error) error) ([]byte, error) {
	var out bytes.Buffer
	err := walk(func(o *storage.Object) error {
		data := contentline.TrimBOM(o.Data)
		out.Write(data)
		if !bytes.HasSuffix(data, []byte("\n")) {
			out.WriteString("\r\n")
		}
		return nil
	})
	return out.Bytes(), err
}
