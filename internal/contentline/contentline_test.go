package contentline

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestReader(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		want     []string
		nums     []int
	}{
		{"crlf", "A:1\r\nB:2\r\n", []string{"A:1", "B:2"}, []int{1, 2}},
		{"bare lf", "A:1\nB:2\n", []string{"A:1", "B:2"}, []int{1, 2}},
		{"final line without end", "A:1\r\nB:2", []string{"A:1", "B:2"}, []int{1, 2}},
		{"final cr without lf", "A:1\r\nB:2\r", []string{"A:1", "B:2"}, []int{1, 2}},
		{"fold with space", "A:12\r\n 34\r\nB:5\r\n", []string{"A:1234", "B:5"}, []int{1, 3}},
		{"fold with tab, one char removed", "A:12\r\n\t 34\r\n", []string{"A:12 34"}, []int{1}},
		{"several folds", "A:1\r\n 2\r\n 3\r\n", []string{"A:123"}, []int{1}},
		{"blank line kept", "A:1\r\n\r\nB:2\r\n", []string{"A:1", "", "B:2"}, []int{1, 2, 3}},
		{"empty", "", nil, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := NewReader(tc.in)
			var got []string
			var nums []int
			for {
				l, n, ok := r.Next()
				if !ok {
					break
				}
				got, nums = append(got, l), append(nums, n)
			}
			if strings.Join(got, "|") != strings.Join(tc.want, "|") || len(got) != len(tc.want) {
				t.Errorf("lines %q, want %q", got, tc.want)
			}
			for i := range nums {
				if nums[i] != tc.nums[i] {
					t.Errorf("line numbers %v, want %v", nums, tc.nums)
					break
				}
			}
		})
	}
}

func TestAppendFolded(t *testing.T) {
	for _, tc := range []struct{ name, line string }{
		{"short", "SUMMARY:lunch"},
		{"exactly 75", "X:" + strings.Repeat("a", 73)},
		{"76", "X:" + strings.Repeat("a", 74)},
		{"long ascii", "DESCRIPTION:" + strings.Repeat("abc ", 100)},
		{"2-byte at boundary", "X:" + strings.Repeat("a", 72) + strings.Repeat("é", 40)},
		{"3-byte at boundary", "X:" + strings.Repeat("a", 72) + strings.Repeat("€", 40)},
		{"4-byte at boundary", "X:" + strings.Repeat("a", 71) + strings.Repeat("😀", 40)},
		{"not utf-8", "X:" + strings.Repeat("\xff", 200)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := string(AppendFolded(nil, tc.line))
			if !strings.HasSuffix(out, "\r\n") {
				t.Fatalf("no CRLF at the end: %q", out)
			}
			phys := strings.Split(strings.TrimSuffix(out, "\r\n"), "\r\n")
			for i, p := range phys {
				if len(p) > MaxOctets {
					t.Errorf("physical line %d has %d octets", i, len(p))
				}
				if i > 0 && p[0] != ' ' {
					t.Errorf("continuation %d does not start with a space", i)
				}
				if utf8.ValidString(tc.line) && !utf8.ValidString(p) {
					t.Errorf("fold split a UTF-8 sequence in line %d: %q", i, p)
				}
			}
			// Unfolding gives the line back.
			got, _, _ := NewReader(out).Next()
			if got != tc.line {
				t.Errorf("round trip %q, want %q", got, tc.line)
			}
		})
	}
}

func TestQuote(t *testing.T) {
	if got := Quote("a\r\nb"); got != `"a\r\nb"` {
		t.Errorf("Quote = %s", got)
	}
	long := Quote(strings.Repeat("é", 100))
	if !strings.HasSuffix(long, "…") || !utf8.ValidString(long) || len(long) > 80 {
		t.Errorf("long Quote = %s", long)
	}
}

func FuzzFoldRoundTrip(f *testing.F) {
	f.Add("X:" + strings.Repeat("é", 60))
	f.Add("A:1")
	f.Fuzz(func(t *testing.T, line string) {
		if strings.ContainsAny(line, "\r\n") {
			return // a logical line holds no line ends
		}
		got, _, _ := NewReader(string(AppendFolded(nil, line))).Next()
		if got != line && !(line == "" && got == "") {
			t.Fatalf("round trip %q, want %q", got, line)
		}
	})
}

func TestValidName(t *testing.T) {
	for _, tt := range []struct {
		name string
		ok   bool
	}{
		{"VEVENT", true}, {"X-WR-CALNAME", true}, {"x_vendor", true}, {"TEL", true}, {"item1", true},
		{"", false}, {"A B", false}, {"A;B", false}, {"A:B", false}, {"É", false}, {"A\x00", false}, {"A.B", false},
	} {
		if got := ValidName(tt.name); got != tt.ok {
			t.Errorf("ValidName(%q) = %v, want %v", tt.name, got, tt.ok)
		}
	}
}

// Offset is where each logical line's bytes end: cutting data there
// gives whole lines, folds and line ends included.
func TestReaderOffset(t *testing.T) {
	in := "\uFEFFA:1\r\n 2\r\nB:3\nC:4"
	r := NewReader(in)
	if r.Offset() != len(BOM) {
		t.Fatalf("offset before reading = %d, want %d (after the byte order mark)", r.Offset(), len(BOM))
	}
	var ends []int
	for {
		if _, _, ok := r.Next(); !ok {
			break
		}
		ends = append(ends, r.Offset())
	}
	want := []int{len("\uFEFFA:1\r\n 2\r\n"), len("\uFEFFA:1\r\n 2\r\nB:3\n"), len(in)}
	if len(ends) != len(want) {
		t.Fatalf("offsets %v, want %v", ends, want)
	}
	for i := range want {
		if ends[i] != want[i] {
			t.Fatalf("offsets %v, want %v", ends, want)
		}
	}
}
