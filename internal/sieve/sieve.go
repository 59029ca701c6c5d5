package sieve

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"mime/quotedprintable"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// ErrInvalid is wrapped by every error Script returns for a Vacation it
// cannot write.
var ErrInvalid = errors.New("sieve: invalid vacation")

// Text returns s as a Sieve string may hold it: valid UTF-8 without NUL
// (both replaced by U+FFFD) and every line break CRLF.
func Text(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '\r':
			if i+1 < len(s) && s[i+1] == '\n' {
				i++
			}
			b.WriteString("\r\n")
		case '\n':
			b.WriteString("\r\n")
		case 0:
			b.WriteString("\uFFFD")
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// Line returns s as one line: Text with every control character (line
// breaks and tabs included) replaced by a space, and the ends trimmed.
func Line(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	return strings.TrimSpace(strings.Map(func(r rune) rune {
		switch {
		case r == 0:
			return utf8.RuneError
		case r < ' ' || r == 0x7f || (r >= 0x80 && r < 0xa0) || r == '\u2028' || r == '\u2029':
			return ' '
		}
		return r
	}, s))
}

// String returns s as an RFC 5228 quoted string: Text(s) with '\' and
// '"' escaped, between double quotes.
func String(s string) string {
	s = Text(s)
	var b strings.Builder
	b.Grow(len(s) + 2)
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		if c := s[i]; c == '\\' || c == '"' {
			b.WriteByte('\\')
		}
		b.WriteByte(s[i])
	}
	b.WriteByte('"')
	return b.String()
}

// StringList returns ss as a Sieve string list: one string bare, more in
// brackets. ss must not be empty (Sieve has no empty list).
func StringList(ss []string) string {
	if len(ss) == 1 {
		return String(ss[0])
	}
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = String(s)
	}
	return "[" + strings.Join(q, ", ") + "]"
}

// Window is a stretch of UTC time in which the vacation answers, on
// Weekdays (empty: every day) as seen at Offset.
type Window struct {
	Start, End time.Time // UTC; zero: open on that side. End is exclusive.
	// Offset is the UTC offset the weekday is read at, in seconds east;
	// whole minutes (Sieve's zones have no seconds).
	Offset   int
	Weekdays []time.Weekday
}

// Vacation is one mailbox's automatic reply.
type Vacation struct {
	// Comment is written as the script's first lines, after "#"; its
	// line breaks start new comment lines.
	Comment string
	// Handle names the reply to Pigeonhole's per-sender memory; a new
	// handle answers everyone again. Required.
	Handle string
	// Days between two replies to one sender, 1 to 365; or Seconds
	// (RFC 6131) instead when not 0, for tests.
	Days, Seconds int
	// From is the reply's sender; "" leaves it to the mail server (the
	// address the mail was sent to).
	From    string
	Subject string // "" leaves it to the mail server ("Auto: " + the original's)
	Text    string // the message; required
	HTML    string // an HTML alternative; "" none
	// Addresses are the user's own addresses: mail to any of them is
	// answered, mail from any of them is not.
	Addresses []string
	// Exclude and ExcludeDomains are senders never answered.
	Exclude, ExcludeDomains []string
	// Windows, when not empty, are when it answers: at a time in any of
	// them. Empty: always.
	Windows []Window
}

// Headers whose presence marks mail from a mailing list (RFC 2369 3,
// RFC 2919 3).
var listHeaders = []string{"list-id", "list-help", "list-unsubscribe", "list-subscribe", "list-post", "list-owner", "list-archive"}

// Local parts of senders that are programs, never answered (RFC 5230
// 4.5 names owner-*, *-request and MAILER-DAEMON).
var robotSenders = []string{"mailer-daemon", "listserv", "majordomo", "owner-*", "*-request"}

// maxDays bounds Days: Pigeonhole's own ceiling is lower (60 days by
// default) and it caps larger values itself.
const maxDays = 365

// Script writes the Sieve script of v.
func (v *Vacation) Script() ([]byte, error) {
	if err := v.check(); err != nil {
		return nil, err
	}
	var b bytes.Buffer
	for _, l := range strings.Split(Text(v.Comment), "\r\n") {
		b.WriteString("# " + Line(l) + "\r\n")
	}
	req := []string{"vacation", "envelope"}
	if v.Seconds > 0 {
		req = append(req, "vacation-seconds")
	}
	if len(v.Windows) > 0 {
		req = append(req, "date", "relational")
	}
	b.WriteString("require " + StringList(req) + ";\r\n\r\n")

	tests := []string{
		"not anyof (" + existsEach(listHeaders) + ")",
		`not header :is "precedence" ["bulk", "list", "junk"]`,
		`anyof (not exists "auto-submitted", header :is "auto-submitted" "no")`,
		`not envelope :is "from" ""`,
		`not envelope :localpart :matches "from" ` + StringList(robotSenders),
	}
	for _, list := range []struct {
		part string
		vals []string
	}{{":all", v.Addresses}, {":all", v.Exclude}, {":domain", v.ExcludeDomains}} {
		if len(list.vals) == 0 {
			continue
		}
		vals := StringList(list.vals)
		tests = append(tests, "not envelope "+list.part+" :is \"from\" "+vals, "not address "+list.part+" :is \"from\" "+vals)
	}
	if len(v.Windows) > 0 {
		var ws []string
		for _, w := range v.Windows {
			ws = append(ws, window(w))
		}
		tests = append(tests, "anyof (\r\n      "+strings.Join(ws, ",\r\n      ")+")")
	}
	b.WriteString("if allof (\r\n    " + strings.Join(tests, ",\r\n    ") + ") {\r\n")

	b.WriteString("  vacation")
	if v.Seconds > 0 {
		b.WriteString(" :seconds " + strconv.Itoa(v.Seconds))
	} else {
		b.WriteString(" :days " + strconv.Itoa(v.Days))
	}
	b.WriteString(" :handle " + String(Line(v.Handle)))
	if v.From != "" {
		b.WriteString(" :from " + String(v.From))
	}
	if len(v.Addresses) > 0 {
		b.WriteString(" :addresses " + StringList(v.Addresses))
	}
	if s := Line(v.Subject); s != "" {
		b.WriteString(" :subject " + String(s))
	}
	if v.HTML != "" {
		b.WriteString(" :mime\r\n    " + String(mimeReason(v.Text, v.HTML)) + ";\r\n}\r\n")
	} else {
		b.WriteString("\r\n    " + String(v.Text) + ";\r\n}\r\n")
	}
	return b.Bytes(), nil
}

func (v *Vacation) check() error {
	switch {
	case Line(v.Handle) == "":
		return fmt.Errorf("%w: no handle", ErrInvalid)
	case v.Seconds < 0 || v.Seconds == 0 && (v.Days < 1 || v.Days > maxDays):
		return fmt.Errorf("%w: days %d not in 1..%d", ErrInvalid, v.Days, maxDays)
	case strings.TrimSpace(v.Text) == "":
		return fmt.Errorf("%w: no message", ErrInvalid)
	}
	if v.From != "" && !plainAddress(v.From) {
		return fmt.Errorf("%w: from %q is not a plain address", ErrInvalid, v.From)
	}
	for _, a := range slices.Concat(v.Addresses, v.Exclude) {
		if !plainAddress(a) {
			return fmt.Errorf("%w: %q is not a plain address", ErrInvalid, a)
		}
	}
	for _, d := range v.ExcludeDomains {
		if !plainDomain(d) {
			return fmt.Errorf("%w: %q is not a domain", ErrInvalid, d)
		}
	}
	for _, w := range v.Windows {
		switch {
		case !w.Start.IsZero() && !w.End.IsZero() && !w.Start.Before(w.End):
			return fmt.Errorf("%w: a window ends at or before its start", ErrInvalid)
		case w.Offset%60 != 0 || w.Offset <= -24*3600 || w.Offset >= 24*3600:
			return fmt.Errorf("%w: offset %d s is not whole minutes within a day", ErrInvalid, w.Offset)
		}
		for _, d := range w.Weekdays {
			if d < time.Sunday || d > time.Saturday {
				return fmt.Errorf("%w: weekday %d", ErrInvalid, d)
			}
		}
	}
	return nil
}

// existsEach is "exists" of each header, comma separated: one "exists"
// of a list is true only when all of them are there.
func existsEach(headers []string) string {
	var out []string
	for _, h := range headers {
		out = append(out, "exists "+String(h))
	}
	return strings.Join(out, ", ")
}

// iso8601 is the form of RFC 5260's "iso8601" date part without its
// zone: at one fixed zone, such strings order as the times do, and the
// zone suffix the server appends ("Z" or "+00:00") sorts after the
// bound's end, so "ge" and "lt" keep their meaning.
const iso8601 = "2006-01-02T15:04:05"

// window writes the test of one window: all of its bounds and weekdays.
func window(w Window) string {
	var parts []string
	if !w.Start.IsZero() {
		parts = append(parts, `currentdate :zone "+0000" :value "ge" "iso8601" `+String(w.Start.UTC().Format(iso8601)))
	}
	if !w.End.IsZero() {
		parts = append(parts, `currentdate :zone "+0000" :value "lt" "iso8601" `+String(w.End.UTC().Format(iso8601)))
	}
	if len(w.Weekdays) > 0 {
		days := slices.Clone(w.Weekdays)
		slices.Sort(days)
		var ds []string
		for _, d := range slices.Compact(days) {
			ds = append(ds, strconv.Itoa(int(d)))
		}
		parts = append(parts, "currentdate :zone "+String(zone(w.Offset))+` "weekday" `+StringList(ds))
	}
	if len(parts) == 0 {
		return "true"
	}
	return "allof (" + strings.Join(parts, ", ") + ")"
}

// zone is an offset in RFC 5260's "+hhmm" form.
func zone(offset int) string {
	sign := '+'
	if offset < 0 {
		sign, offset = '-', -offset
	}
	return fmt.Sprintf("%c%02d%02d", sign, offset/3600, offset/60%60)
}

// mimeReason is the :mime reason of a message with an HTML part: a
// multipart/alternative entity, plain text first (RFC 2046 5.1.4).
func mimeReason(text, html string) string {
	sum := sha256.Sum256([]byte(text + "\x00" + html))
	boundary := "=_almanac_" + hex.EncodeToString(sum[:12])
	var b strings.Builder
	b.WriteString("Content-Type: multipart/alternative; boundary=\"" + boundary + "\"\r\n\r\n")
	for _, part := range []struct{ typ, body string }{{"text/plain", text}, {"text/html", html}} {
		b.WriteString("--" + boundary + "\r\n")
		b.WriteString("Content-Type: " + part.typ + "; charset=utf-8\r\n")
		b.WriteString("Content-Transfer-Encoding: quoted-printable\r\n\r\n")
		w := quotedprintable.NewWriter(&b)
		w.Write([]byte(strings.ReplaceAll(Text(part.body), "\r\n", "\n")))
		w.Close()
		b.WriteString("\r\n")
	}
	b.WriteString("--" + boundary + "--\r\n")
	return b.String()
}

// plainAddress reports whether s is local@domain with an RFC 5322
// dot-atom local part and a plainDomain.
func plainAddress(s string) bool {
	i := strings.LastIndexByte(s, '@')
	if i <= 0 || i > 64 || !plainDomain(s[i+1:]) {
		return false
	}
	local := s[:i]
	if local[0] == '.' || local[len(local)-1] == '.' || strings.Contains(local, "..") {
		return false
	}
	for j := 0; j < len(local); j++ {
		c := local[j]
		if !(c == '.' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
			strings.IndexByte("!#$%&'*+-/=?^_`{|}~", c) >= 0) {
			return false
		}
	}
	return true
}

// plainDomain reports whether s is a DNS name of two or more labels of
// ASCII letters, digits and inner hyphens.
func plainDomain(s string) bool {
	if len(s) > 253 {
		return false
	}
	labels := strings.Split(s, ".")
	if len(labels) < 2 {
		return false
	}
	for _, l := range labels {
		if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return false
		}
		for j := 0; j < len(l); j++ {
			c := l[j]
			if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-') {
				return false
			}
		}
	}
	return true
}
