package contentline

import "strings"

// DecodeParam undoes the RFC 6868 3 caret escapes of one parameter value
// (its quotes already removed): ^n is a line break (LF), ^' a double quote
// and ^^ a caret. The value is read once from left to right, so "^^n" is a
// caret followed by "n". A caret before any other character, or at the
// end, stays as written, as RFC 6868 3 requires ("parsers MUST leave both
// the ^ and the following character in place"); "^N" is such a pair, the
// RFC names the lower-case letter only.
func DecodeParam(v string) string {
	i := strings.IndexByte(v, '^')
	if i < 0 || i == len(v)-1 {
		return v
	}
	var b strings.Builder
	b.Grow(len(v))
	b.WriteString(v[:i])
	for ; i < len(v); i++ {
		c := v[i]
		if c == '^' && i+1 < len(v) {
			switch v[i+1] {
			case 'n':
				c = '\n'
			case '\'':
				c = '"'
			case '^':
			default:
				b.WriteByte(c)
				continue
			}
			i++
		}
		b.WriteByte(c)
	}
	return b.String()
}

// AppendParam appends one parameter value as RFC 5545 3.2 and RFC 6350 5
// want it written: RFC 6868 escapes for a caret (^^), a double quote (^')
// and a line break (^n; CRLF, LF and a lone CR each count as one), other
// control characters but HTAB dropped, so that no value can end or forge
// a line, and the whole in double quotes when it holds ":", ";" or ",".
// DecodeParam reads the value back.
func AppendParam(dst []byte, v string) []byte {
	quote := strings.ContainsAny(v, ":;,")
	if quote {
		dst = append(dst, '"')
	}
	for i := 0; i < len(v); i++ {
		switch c := v[i]; {
		case c == '^':
			dst = append(dst, "^^"...)
		case c == '"':
			dst = append(dst, "^'"...)
		case c == '\r' && i+1 < len(v) && v[i+1] == '\n':
			// CRLF is one line break: the LF writes it.
		case c == '\n' || c == '\r':
			dst = append(dst, "^n"...)
		case c < 0x20 && c != '\t' || c == 0x7F:
		default:
			dst = append(dst, c)
		}
	}
	if quote {
		dst = append(dst, '"')
	}
	return dst
}
