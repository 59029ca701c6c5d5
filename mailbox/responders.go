package mailbox

import (
	"context"
	"errors"
	"fmt"
	"html"
	"regexp"
	"slices"
	"strings"
	"time"
	_ "time/tzdata" // responders name IANA zones; they must load without /usr/share/zoneinfo
	"unicode/utf8"

	"almanac/internal/fault"
	"almanac/internal/sieve"
	"almanac/storage"
)

// Limits of responders, chosen in doc.go (# Responders).
const (
	MaxResponders         = 20       // per mailbox
	MaxResponderTemplates = 50       // per Mail Service
	MaxSendingAddresses   = 20       // per account
	MaxMessage            = 64 << 10 // bytes of the message, and of its HTML
	MaxExclusions         = 200
	maxResponderName      = 100 // characters
	maxSubject            = 200 // characters
	// ReplyDays is how long a sender waits for the next automatic reply.
	ReplyDays = 7
	// zoneHorizon is how far past its start (or its last change) a
	// responder's script follows the zone's offset changes.
	zoneHorizon = 10 * 366 * 24 * time.Hour
)

// dateTime is how responders keep and show wall-clock times.
const dateTime = "2006-01-02T15:04:05"

// parseWallClock reads a wall-clock time as a responder takes it:
// "2006-01-02T15:04:05", without seconds, or a date alone, which is the
// start of that day (or, for an end, the start of the next: the whole
// day is included).
func parseWallClock(s string, end bool) (string, error) {
	s = strings.TrimSpace(s)
	for _, layout := range []string{dateTime, "2006-01-02T15:04"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.Format(dateTime), nil
		}
	}
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return "", errors.New("use a date and time such as 2026-07-01T09:00, or a date such as 2026-07-01")
	}
	if end {
		t = t.AddDate(0, 0, 1)
	}
	return t.Format(dateTime), nil
}

// weekdayNames reads weekday names in English, full or three letters.
var weekdayNames = map[string]time.Weekday{}

func init() {
	for d := time.Sunday; d <= time.Saturday; d++ {
		name := strings.ToLower(d.String())
		weekdayNames[name] = d
		weekdayNames[name[:3]] = d
	}
}

func weekdayList(days []time.Weekday) []string {
	out := []string{}
	for _, d := range days {
		out = append(out, strings.ToLower(d.String()))
	}
	return out
}

// settingsInput is what a request may say about a responder or a
// template; nil fields are left as they are (PATCH) or take their
// defaults (POST).
type settingsInput struct {
	Name, Subject, Message, HTML, TimeZone, Start, End, From *string
	Weekdays, Exclusions                                     *[]string
}

// applyInput checks in and writes it into s. placeholders allows
// "{name}" and "{address}" in From (templates).
func applyInput(s *storage.ResponderSettings, in settingsInput, placeholders bool) error {
	set := func(dst *string, src *string) {
		if src != nil {
			*dst = *src
		}
	}
	set(&s.Name, in.Name)
	set(&s.Subject, in.Subject)
	set(&s.Text, in.Message)
	set(&s.HTML, in.HTML)
	set(&s.TimeZone, in.TimeZone)
	s.Name = strings.TrimSpace(s.Name)
	switch n := utf8.RuneCountInString(s.Name); {
	case n == 0:
		return fault.Invalidf("name", "name is required")
	case n > maxResponderName:
		return fault.Invalidf("name", "name is longer than %d characters", maxResponderName)
	}
	s.Subject = strings.TrimSpace(s.Subject)
	switch {
	case strings.ContainsAny(s.Subject, "\r\n"):
		return fault.Invalidf("subject", "subject must be one line")
	case utf8.RuneCountInString(s.Subject) > maxSubject:
		return fault.Invalidf("subject", "subject is longer than %d characters", maxSubject)
	case !utf8.ValidString(s.Subject) || strings.ContainsRune(s.Subject, 0):
		return fault.Invalidf("subject", "subject is not valid text")
	}
	for _, f := range []struct{ field, text string }{{"message", s.Text}, {"html", s.HTML}} {
		switch {
		case len(f.text) > MaxMessage:
			return fault.Invalidf(f.field, "%s is longer than %d bytes (64 KiB)", f.field, MaxMessage)
		case !utf8.ValidString(f.text) || strings.ContainsRune(f.text, 0):
			return fault.Invalidf(f.field, "%s is not valid text", f.field)
		}
	}
	if strings.TrimSpace(s.Text) == "" {
		return fault.Invalidf("message", "message is required (an HTML message needs a plain-text one too)")
	}
	s.TimeZone = strings.TrimSpace(s.TimeZone)
	if s.TimeZone == "" {
		s.TimeZone = "UTC"
	}
	loc, err := loadZone(s.TimeZone)
	if err != nil {
		return fault.Invalidf("time_zone", "%q is not a time zone; use an IANA name such as Europe/Paris", s.TimeZone)
	}
	s.TimeZone = loc.String()
	for _, f := range []struct {
		field string
		src   *string
		dst   *string
		end   bool
	}{{"start", in.Start, &s.Start, false}, {"end", in.End, &s.End, true}} {
		if f.src == nil {
			continue
		}
		if strings.TrimSpace(*f.src) == "" {
			*f.dst = ""
			continue
		}
		v, err := parseWallClock(*f.src, f.end)
		if err != nil {
			return fault.Invalidf(f.field, "%s: %v", f.field, err)
		}
		*f.dst = v
	}
	if s.Start != "" && s.End != "" {
		start, end := wallClock(s.Start, loc), wallClock(s.End, loc)
		if !start.Before(end) {
			return fault.Invalidf("end", "end (%s) must be after start (%s)", s.End, s.Start)
		}
	}
	if in.Weekdays != nil {
		s.Weekdays = nil
		for _, name := range *in.Weekdays {
			d, ok := weekdayNames[strings.ToLower(strings.TrimSpace(name))]
			if !ok {
				return fault.Invalidf("weekdays", "%q is not a weekday; use monday to sunday", name)
			}
			if !slices.Contains(s.Weekdays, d) {
				s.Weekdays = append(s.Weekdays, d)
			}
		}
		slices.Sort(s.Weekdays)
	}
	if in.From != nil {
		s.From = strings.ToLower(strings.TrimSpace(*in.From))
		if s.From != "" && !(placeholders && s.From == "{address}") {
			if reason, ok := ValidAddress(s.From); !ok {
				return fault.Invalidf("from", "from: %s", reason)
			}
		}
	}
	if in.Exclusions != nil {
		if len(*in.Exclusions) > MaxExclusions {
			return fault.Invalidf("exclusions", "at most %d exclusions", MaxExclusions)
		}
		s.Exclusions = nil
		for _, e := range *in.Exclusions {
			e = strings.ToLower(strings.TrimSpace(e))
			if err := checkExclusion(e); err != nil {
				return err
			}
			if !slices.Contains(s.Exclusions, e) {
				s.Exclusions = append(s.Exclusions, e)
			}
		}
	}
	return nil
}

// checkExclusion accepts an address or "@domain".
func checkExclusion(e string) error {
	if d, ok := strings.CutPrefix(e, "@"); ok {
		if reason, ok := ValidDomain(d); !ok {
			return fault.Invalidf("exclusions", "%q is neither an address nor @domain: %s", e, reason)
		}
		return nil
	}
	if reason, ok := ValidAddress(e); !ok {
		return fault.Invalidf("exclusions", "%q is neither an address nor @domain: %s", e, reason)
	}
	return nil
}

// loadZone loads an IANA zone; "Local" is refused, as it would be the
// server's zone rather than the user's.
func loadZone(name string) (*time.Location, error) {
	if name == "" || name == "Local" {
		return nil, errors.New("no zone")
	}
	return time.LoadLocation(name)
}

// wallClock is the instant of a stored wall-clock time in loc; "" is the
// zero time.
func wallClock(s string, loc *time.Location) time.Time {
	if s == "" {
		return time.Time{}
	}
	t, err := time.ParseInLocation(dateTime, s, loc)
	if err != nil {
		return time.Time{}
	}
	return t
}

// schedule is a responder's period and weekdays as instants.
type schedule struct {
	loc        *time.Location
	start, end time.Time // zero: open
	weekdays   []time.Weekday
}

func scheduleOf(s *storage.ResponderSettings) schedule {
	loc, err := loadZone(s.TimeZone)
	if err != nil {
		loc = time.UTC
	}
	return schedule{loc: loc, start: wallClock(s.Start, loc), end: wallClock(s.End, loc), weekdays: s.Weekdays}
}

// answers reports whether the schedule answers mail at t.
func (sc schedule) answers(t time.Time) bool {
	if !sc.start.IsZero() && t.Before(sc.start) || !sc.end.IsZero() && !t.Before(sc.end) {
		return false
	}
	return len(sc.weekdays) == 0 || slices.Contains(sc.weekdays, t.In(sc.loc).Weekday())
}

// Answering reports whether r answers mail at t: it is active, t is
// within its dates and on one of its weekdays, read in its time zone.
func Answering(r *storage.Responder, t time.Time) bool {
	return r.Active && scheduleOf(&r.ResponderSettings).answers(t)
}

// windows turns the schedule into the fixed-offset windows of a Sieve
// script (internal/sieve doc). Without weekdays one window holds the
// period; with them the period is cut wherever the zone's offset changes,
// from anchor (the later of the start and the responder's last change,
// since the script is not read before it is written) for zoneHorizon;
// past that the last offset holds. The result depends on the stored
// responder only, so that exporting it again writes the same bytes.
func (sc schedule) windows(anchor time.Time) []sieve.Window {
	if len(sc.weekdays) == 0 {
		if sc.start.IsZero() && sc.end.IsZero() {
			return nil
		}
		return []sieve.Window{{Start: sc.start, End: sc.end}}
	}
	from := anchor
	if sc.start.After(from) {
		from = sc.start
	}
	limit := from.Add(zoneHorizon)
	if !sc.end.IsZero() && sc.end.Before(limit) {
		limit = sc.end
	}
	var out []sieve.Window
	segStart := sc.start
	for t := from; len(out) < 64; {
		_, offset := t.In(sc.loc).Zone()
		_, next := t.In(sc.loc).ZoneBounds()
		w := sieve.Window{Start: segStart, Offset: offset / 60 * 60, Weekdays: sc.weekdays}
		if next.IsZero() || !next.Before(limit) {
			w.End = sc.end
			out = append(out, w)
			break
		}
		w.End = next
		out = append(out, w)
		segStart, t = next, next
	}
	return out
}

// Placeholders of templates.
var placeholder = regexp.MustCompile(`\{(name|address)\}`)

// fill replaces {name} and {address} in a template's texts for one
// mailbox; in HTML the values are escaped.
func fill(s storage.ResponderSettings, name, address string) storage.ResponderSettings {
	repl := func(text string, escape bool) string {
		return placeholder.ReplaceAllStringFunc(text, func(m string) string {
			v := address
			if m == "{name}" {
				v = name
			}
			if escape {
				v = html.EscapeString(v)
			}
			return v
		})
	}
	s.Name = repl(s.Name, false)
	s.Subject = repl(s.Subject, false)
	s.Text = repl(s.Text, false)
	s.HTML = repl(s.HTML, true)
	if s.From == "{address}" {
		s.From = address
	}
	s.Weekdays = slices.Clone(s.Weekdays)
	s.Exclusions = slices.Clone(s.Exclusions)
	if utf8.RuneCountInString(s.Name) > maxResponderName {
		s.Name = string([]rune(s.Name)[:maxResponderName])
	}
	return s
}

// mailboxAddresses are the addresses mail reaches the mailbox at: its
// own, its aliases, and both again at every alias domain, lower case.
func mailboxAddresses(s *storage.MailService, m *storage.Mailbox) []string {
	var out []string
	for _, d := range append([]string{s.Domain}, s.AliasDomains...) {
		for _, l := range append([]string{strings.ToLower(m.LocalPart)}, m.Aliases...) {
			out = append(out, l+"@"+d)
		}
	}
	return out
}

// ownAddress reports whether address is one the mailbox receives at.
func ownAddress(s *storage.MailService, m *storage.Mailbox, address string) bool {
	return slices.Contains(mailboxAddresses(s, m), strings.ToLower(address))
}

// vacation is the Sieve form of responder r of mailbox m.
func vacation(s *storage.MailService, m *storage.Mailbox, r *storage.Responder, replySeconds int) sieve.Vacation {
	sc := scheduleOf(&r.ResponderSettings)
	anchor := r.Updated.Add(-24 * time.Hour)
	v := sieve.Vacation{
		Comment: "Written by almanac for " + strings.ToLower(m.LocalPart) + "@" + s.Domain +
			": responder " + r.ID + ". It is replaced whenever the mailbox's responders change; do not edit.",
		Handle:    "almanac-" + r.ID + "-" + r.Handle,
		Days:      ReplyDays,
		Seconds:   replySeconds,
		From:      r.From,
		Subject:   r.Subject,
		Text:      r.Text,
		HTML:      r.HTML,
		Addresses: mailboxAddresses(s, m),
		Windows:   sc.windows(anchor),
	}
	for _, e := range r.Exclusions {
		if d, ok := strings.CutPrefix(e, "@"); ok {
			v.ExcludeDomains = append(v.ExcludeDomains, d)
		} else {
			v.Exclude = append(v.Exclude, e)
		}
	}
	return v
}

// noResponder is the script of a mailbox without an active responder:
// nothing but a comment, so Dovecot keeps every message.
func noResponder(s *storage.MailService, m *storage.Mailbox) []byte {
	return []byte("# Written by almanac for " + strings.ToLower(m.LocalPart) + "@" + s.Domain +
		": no responder is active. It is replaced whenever the mailbox's responders change; do not edit.\r\n")
}

// Script is the Sieve script of mailbox m of service s with its active
// responder r (nil: none). replySeconds, when not 0, replaces the 7 days
// between two replies to a sender by seconds (RFC 6131), for tests.
func Script(s *storage.MailService, m *storage.Mailbox, r *storage.Responder, replySeconds int) ([]byte, error) {
	if r == nil {
		return noResponder(s, m), nil
	}
	v := vacation(s, m, r, replySeconds)
	b, err := v.Script()
	if err != nil {
		return nil, fmt.Errorf("mailbox: script of %s@%s: %w", m.LocalPart, s.Domain, err)
	}
	return b, nil
}

// calendarTimeZone reads the IANA zone of the account's default
// calendar (its CALDAV:calendar-timezone), "" when it has none that
// loads.
func calendarTimeZone(ctx context.Context, store interface {
	Collection(ctx context.Context, owner, name string) (*storage.Collection, error)
}, account string) string {
	c, err := store.Collection(ctx, account, defaultCalendar)
	if err != nil {
		return ""
	}
	m := tzidLine.FindStringSubmatch(html.UnescapeString(c.Props[calendarTimezoneProp]))
	if m == nil {
		return ""
	}
	if loc, err := loadZone(strings.TrimSpace(m[1])); err == nil {
		return loc.String()
	}
	return ""
}

const (
	// defaultCalendar is caldav.DefaultCalendar, named here so that
	// this package need not import the CalDAV layer.
	defaultCalendar      = "default"
	calendarTimezoneProp = "{urn:ietf:params:xml:ns:caldav}calendar-timezone"
)

var tzidLine = regexp.MustCompile(`(?m)^TZID(?:;[^:\r\n]*)?:([^\r\n]+)`)
