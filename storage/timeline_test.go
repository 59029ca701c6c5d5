package storage

import (
	"regexp"
	"strings"
	"testing"
	"time"
)

func TestTimelineInSecondsAndCutAt(t *testing.T) {
	at := func(h, m, s, ns int) time.Time { return time.Date(2026, 3, 10, h, m, s, ns, time.UTC) }
	in := Timeline{Known: true, Tag: 3, Renew: true, From: at(8, 0, 0, 1), Until: at(20, 0, 0, 999),
		Periods: []Period{
			{Start: at(12, 0, 0, 500), End: at(13, 0, 0, 1)},
			{Start: at(9, 0, 0, 0), End: at(9, 30, 0, 0)},
			{Start: at(10, 0, 0, 900), End: at(10, 0, 0, 100)}, // an end before its start
		}}
	got := in.InSeconds()
	want := Timeline{Known: true, Tag: 3, Renew: true, From: at(8, 0, 1, 0), Until: at(20, 0, 0, 0),
		Periods: []Period{
			{Start: at(9, 0, 0, 0), End: at(9, 30, 0, 0)},
			{Start: at(10, 0, 0, 0), End: at(10, 0, 1, 0)},
			{Start: at(12, 0, 0, 0), End: at(13, 0, 1, 0)},
		}}
	if !sameTL(got, want) {
		t.Fatalf("InSeconds:\n%+v\nwant\n%+v", got, want)
	}
	if in.Periods[0].Start != at(12, 0, 0, 500) {
		t.Fatal("InSeconds changed its receiver's periods")
	}
	got.CutAt(2)
	if len(got.Periods) != 2 || !got.Until.Equal(at(12, 0, 0, 0)) || got.Renew {
		t.Fatalf("CutAt(2): %+v", got)
	}
	got.CutAt(5) // beyond the periods: nothing to cut
	if len(got.Periods) != 2 || !got.Until.Equal(at(12, 0, 0, 0)) {
		t.Fatalf("CutAt(5): %+v", got)
	}
	early := Timeline{Known: true, Until: at(9, 10, 0, 0), Renew: true, Periods: want.Periods}
	early.CutAt(1) // an Until before the cut stays
	if !early.Until.Equal(at(9, 10, 0, 0)) || len(early.Periods) != 1 {
		t.Fatalf("CutAt with an earlier Until: %+v", early)
	}
	if u := (Timeline{Renew: true, Tag: 1, Periods: want.Periods}).InSeconds(); u.Known || !u.Renew || u.Tag != 0 || u.Periods != nil {
		t.Fatalf("unknown timeline: %+v", u)
	}
}

func sameTL(a, b Timeline) bool {
	if a.Known != b.Known || a.Tag != b.Tag || a.Renew != b.Renew || !a.From.Equal(b.From) || !a.Until.Equal(b.Until) || len(a.Periods) != len(b.Periods) {
		return false
	}
	for i := range a.Periods {
		if !a.Periods[i].Start.Equal(b.Periods[i].Start) || !a.Periods[i].End.Equal(b.Periods[i].End) {
			return false
		}
	}
	return true
}

func TestPlainMember(t *testing.T) {
	for _, tt := range []struct {
		name, etag string
		want       bool
	}{
		{"a.ics", `"abc"`, true},
		{"0f3a-9B_x.~ics", ETagOf([]byte("x")), true},
		{"a.ics", `W/"a b'c"`, true},
		{"a.ics", "", true},
		{"", `"abc"`, false}, // no name, no href
		{"a b.ics", `"abc"`, false},
		{"a/b.ics", `"abc"`, false},
		{"a%41.ics", `"abc"`, false},
		{"a&b.ics", `"abc"`, false},
		{"a+b.ics", `"abc"`, false},
		{"ü.ics", `"abc"`, false},
		{"a.ics", `"a<b"`, false},
		{"a.ics", `"a&b"`, false},
		{"a.ics", `"a>b"`, false},
		{"a.ics", "\"a\rb\"", false},
		{"a.ics", "\"a\x7fb\"", false},
		{"a.ics", "\"\xc3\xbc\"", false},
	} {
		if got := PlainMember(tt.name, tt.etag); got != tt.want {
			t.Errorf("PlainMember(%q, %q) = %v, want %v", tt.name, tt.etag, got, tt.want)
		}
		if got := PlainMember([]byte(tt.name), []byte(tt.etag)); got != tt.want {
			t.Errorf("PlainMember of bytes (%q, %q) = %v, want %v", tt.name, tt.etag, got, tt.want)
		}
	}
}

// FuzzPlainMember: PlainMember agrees with the rule written another way:
// a name of RFC 3986 unreserved characters, an ETag of printable ASCII
// without XML markup.
func FuzzPlainMember(f *testing.F) {
	f.Add("a.ics", `"abc"`)
	f.Add("a b&c.ics", "\"<\x00>\"")
	unreserved := regexp.MustCompile(`^[A-Za-z0-9._~-]+$`)
	f.Fuzz(func(t *testing.T, name, etag string) {
		want := unreserved.MatchString(name) && !strings.ContainsFunc(etag, func(r rune) bool {
			return r < 0x20 || r > 0x7e || strings.ContainsRune("<>&", r)
		})
		if got := PlainMember(name, etag); got != want {
			t.Fatalf("PlainMember(%q, %q) = %v, want %v", name, etag, got, want)
		}
	})
}
