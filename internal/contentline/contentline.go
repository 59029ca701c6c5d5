package contentline

import (
	"bytes"
	"fmt"
	"strings"
	"unicode/utf8"
)

// MaxOctets is the longest physical line both RFCs allow, CRLF excluded.
const MaxOctets = 75

// Reader yields the logical lines of a text with folding undone.
type Reader struct {
	data string
	pos  int // offset of the next unread physical line
	line int // number of the last physical line read
}

// BOM is the UTF-8 encoding of U+FEFF, the byte order mark some
// producers (Outlook's and Android's exports, Windows editors) put before
// BEGIN.
const BOM = "\uFEFF"

// NewReader reads data. Lines are substrings of data except where a fold
// had to be removed. A leading byte order mark is passed over: it marks
// the file's encoding (RFC 3629 6), it is no part of the first line.
func NewReader(data string) *Reader {
	r := &Reader{data: data}
	if strings.HasPrefix(data, BOM) {
		r.pos = len(BOM)
	}
	return r
}

// TrimBOM returns data without a leading byte order mark, for stored
// bytes embedded in another document (a multistatus, a concatenated
// feed), where U+FEFF would read as a ZERO WIDTH NO-BREAK SPACE at the
// start of the text rather than as a signature.
func TrimBOM(data []byte) []byte { return bytes.TrimPrefix(data, []byte(BOM)) }

// Next returns the next logical line, without its line end, and the
// number of its first physical line; ok is false at the end.
func (r *Reader) Next() (line string, num int, ok bool) {
	if r.pos >= len(r.data) {
		return "", 0, false
	}
	first := r.physical()
	num = r.line
	if r.pos >= len(r.data) || !isFold(r.data[r.pos]) {
		return first, num, true
	}
	var b strings.Builder
	b.WriteString(first)
	for r.pos < len(r.data) && isFold(r.data[r.pos]) {
		b.WriteString(r.physical()[1:])
	}
	return b.String(), num, true
}

func isFold(c byte) bool { return c == ' ' || c == '\t' }

func (r *Reader) physical() string {
	rest := r.data[r.pos:]
	r.line++
	i := strings.IndexByte(rest, '\n')
	if i < 0 {
		r.pos = len(r.data)
		// A final CR without LF ends the line too, rather than staying
		// in the value and spoiling a last "END:..." line.
		return strings.TrimSuffix(rest, "\r")
	}
	r.pos += i + 1
	return strings.TrimSuffix(rest[:i], "\r")
}

// AppendFolded appends one logical line to dst folded into physical lines
// of at most MaxOctets octets, each continuation starting with one space,
// each physical line ending in CRLF. A fold never splits a UTF-8
// sequence; bytes that are not UTF-8 are cut anywhere.
func AppendFolded(dst []byte, line string) []byte {
	limit := MaxOctets
	for len(line) > limit {
		cut := limit
		// A valid sequence is at most 4 bytes: at most 3 steps back.
		for back := 0; back < 3 && cut > 0 && !utf8.RuneStart(line[cut]); back++ {
			cut--
		}
		if !utf8.RuneStart(line[cut]) {
			cut = limit
		}
		dst = append(dst, line[:cut]...)
		dst = append(dst, "\r\n "...)
		line = line[cut:]
		limit = MaxOctets - 1 // the leading space counts
	}
	dst = append(dst, line...)
	return append(dst, "\r\n"...)
}

// Quote renders a piece of client data for an error reason: quoted, so
// control characters cannot forge lines of a response body, and cut
// short, so a megabyte-long value does not come back in the error.
func Quote(s string) string {
	const max = 64
	if len(s) > max {
		cut := max
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		return fmt.Sprintf("%q…", s[:cut])
	}
	return fmt.Sprintf("%q", s)
}

// Line is the number of the last physical line read.
func (r *Reader) Line() int { return r.line }

// Offset is the byte offset in data of the next physical line to be
// read: where the lines read so far end, line ends included.
func (r *Reader) Offset() int { return r.pos }

// TrailingLine returns the number of the physical line where non-blank
// data follows the lines read so far, or 0 when only blank space is left:
// for "nothing may follow END:VCALENDAR"-style checks.
func (r *Reader) TrailingLine() int {
	rest := r.data[r.pos:]
	trailing := strings.TrimLeft(rest, " \t\r\n")
	if trailing == "" {
		return 0
	}
	return r.line + strings.Count(rest[:len(rest)-len(trailing)], "\n") + 1
}

// ValidName reports whether s is a name of a content line, parameter or
// component: RFC 5545 3.1 and RFC 6350 3.3 iana-token and x-name
// characters (ALPHA, DIGIT, "-") and, leniently, "_", which some
// producers put in x-names. iCalendar and vCard parsing and both query
// filters use it, so a filter can name whatever a stored object may hold.
func ValidName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}
