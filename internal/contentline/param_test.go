package contentline

import (
	"strings"
	"testing"
)

// TestDecodeParam: RFC 6868 3, the decoding rules, and 4, the examples.
func TestDecodeParam(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"no caret", "Jane Doe", "Jane Doe"},
		{"empty", "", ""},
		{"RFC 6868 4 iCalendar example", "George Herman ^'Babe^' Ruth", `George Herman "Babe" Ruth`},
		{"RFC 6868 4 vCard example", "Pittsburgh Pirates^n115 Federal St^nPittsburgh, PA 15212", "Pittsburgh Pirates\n115 Federal St\nPittsburgh, PA 15212"},
		{"caret", "a^^b", "a^b"},
		{"left to right: ^^ then n", "^^n", "^n"},
		{"left to right: ^^ then '", "^^'", "^'"},
		{"three carets", "^^^", "^^"},
		{"four carets", "^^^^", "^^"},
		{"other character kept with its caret", "a^xb", "a^xb"},
		{"upper-case N is no escape", "a^Nb", "a^Nb"},
		{"caret before a non-ASCII character", "^é", "^é"},
		{"lone caret at the end", "a^", "a^"},
		{"caret pair then a caret before x", "^^^x", "^^x"},
		{"only a caret", "^", "^"},
		{"escape at the start and end", "^'x^'", `"x"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := DecodeParam(tc.in); got != tc.want {
				t.Errorf("DecodeParam(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

// TestAppendParam: RFC 6868 3 encoding and RFC 5545 3.2 / RFC 6350 5
// quoting.
func TestAppendParam(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"plain", "Jane", "Jane"},
		{"empty", "", ""},
		{"double quote", `George Herman "Babe" Ruth`, "George Herman ^'Babe^' Ruth"},
		{"caret", "a^b", "a^^b"},
		{"LF", "a\nb", "a^nb"},
		{"CRLF is one break", "a\r\nb", "a^nb"},
		{"lone CR", "a\rb", "a^nb"},
		{"other controls dropped", "a\x00b\x7fc", "abc"},
		{"tab kept", "a\tb", "a\tb"},
		{"quoted for a colon", "mailto:x", `"mailto:x"`},
		{"quoted for a comma, with escapes", "Doe, \"J\"\n^", `"Doe, ^'J^'^n^^"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := string(AppendParam(nil, tc.in)); got != tc.want {
				t.Errorf("AppendParam(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

// written is what AppendParam keeps of v: control characters but HTAB
// dropped, line breaks as LF.
func written(v string) string {
	v = strings.NewReplacer("\r\n", "\n", "\r", "\n").Replace(v)
	out := make([]byte, 0, len(v))
	for i := 0; i < len(v); i++ {
		if c := v[i]; c >= 0x20 && c != 0x7F || c == '\t' || c == '\n' {
			out = append(out, c)
		}
	}
	return string(out)
}

// FuzzParam: DecodeParam never panics and never grows a value, and what
// AppendParam writes decodes back to the value (less what it drops).
func FuzzParam(f *testing.F) {
	for _, s := range []string{"George Herman ^'Babe^' Ruth", "a^^n^", "x\r\ny\"z", "^^^'^n^x", "Doe, J:"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		if d := DecodeParam(v); len(d) > len(v) {
			t.Fatalf("DecodeParam(%q) = %q grew", v, d)
		}
		out := string(AppendParam(nil, v))
		if strings.ContainsAny(out, "\r\n") {
			t.Fatalf("AppendParam(%q) = %q holds a line break", v, out)
		}
		inner := out
		if strings.HasPrefix(out, `"`) {
			inner = out[1 : len(out)-1]
		}
		if strings.Contains(inner, `"`) {
			t.Fatalf("AppendParam(%q) = %q holds a double quote inside", v, out)
		}
		if got, want := DecodeParam(inner), written(v); got != want {
			t.Fatalf("DecodeParam(AppendParam(%q)) = %q, want %q", v, got, want)
		}
	})
}

func TestReader_ByteOrderMark(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		want     []string
	}{
		{"leading BOM passed over", "\uFEFFBEGIN:X\r\nEND:X\r\n", []string{"BEGIN:X", "END:X"}},
		{"only a BOM", "\uFEFF", nil},
		{"BOM inside a line kept", "A:\uFEFFx\r\n", []string{"A:\uFEFFx"}},
		{"second BOM kept", "\uFEFF\uFEFFA:1\n", []string{"\uFEFFA:1"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := NewReader(tc.in)
			var got []string
			for {
				l, _, ok := r.Next()
				if !ok {
					break
				}
				got = append(got, l)
			}
			if strings.Join(got, "|") != strings.Join(tc.want, "|") || len(got) != len(tc.want) {
				t.Errorf("lines %q, want %q", got, tc.want)
			}
		})
	}
	if got := string(TrimBOM([]byte("\uFEFFBEGIN:X"))); got != "BEGIN:X" {
		t.Errorf("TrimBOM = %q", got)
	}
	if got := string(TrimBOM([]byte("BEGIN:X\uFEFF"))); got != "BEGIN:X\uFEFF" {
		t.Errorf("TrimBOM of a later BOM = %q", got)
	}
}
