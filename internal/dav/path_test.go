package dav

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
)

func TestSplitPath(t *testing.T) {
	type want struct {
		segs     []string
		trailing bool
		status   int // 0: success
	}
	tests := []struct {
		name    string
		escaped string
		prefix  string
		want    want
	}{
		{"Collection", "/dav/calendars/alice/work/", "/dav", want{[]string{"calendars", "alice", "work"}, true, 0}},
		{"Object", "/dav/calendars/alice/work/e1.ics", "/dav", want{[]string{"calendars", "alice", "work", "e1.ics"}, false, 0}},
		{"PrefixWithSlash", "/dav/calendars/alice/", "/dav/", want{[]string{"calendars", "alice"}, true, 0}},
		{"RootNoSlash", "/dav", "/dav", want{nil, true, 0}},
		{"RootSlash", "/dav/", "/dav", want{nil, true, 0}},
		{"RootSlashPrefixSlash", "/dav/", "/dav/", want{nil, true, 0}},
		{"EmptyPrefix", "/a/b", "", want{[]string{"a", "b"}, false, 0}},
		{"SpaceEncoded", "/dav/my%20cal/", "/dav", want{[]string{"my cal"}, true, 0}},
		{"PlusIsLiteral", "/dav/a+b", "/dav", want{[]string{"a+b"}, false, 0}},
		{"EncodedPercent", "/dav/100%25.ics", "/dav", want{[]string{"100%.ics"}, false, 0}},
		{"EncodedQuestionHash", "/dav/a%3Fb%23c", "/dav", want{[]string{"a?b#c"}, false, 0}},
		{"UnicodeEncoded", "/dav/calendars/%C3%A9quipe/%E2%9C%93%20t%C3%A2che.ics", "/dav", want{[]string{"calendars", "équipe", "✓ tâche.ics"}, false, 0}},
		{"UnicodeRaw", "/dav/日本", "/dav", want{[]string{"日本"}, false, 0}},
		{"DotsInName", "/dav/a..b/...", "/dav", want{[]string{"a..b", "..."}, false, 0}},
		{"DotPrefixName", "/dav/.hidden", "/dav", want{[]string{".hidden"}, false, 0}},

		{"DotDot", "/dav/calendars/../secret", "/dav", want{status: 400}},
		{"DotDotTrailing", "/dav/calendars/..", "/dav", want{status: 400}},
		{"DotDotEncoded", "/dav/calendars/%2e%2e/x", "/dav", want{status: 400}},
		{"DotDotEncodedUpper", "/dav/%2E%2E/", "/dav", want{status: 400}},
		{"DotDotHalfEncoded", "/dav/.%2e/", "/dav", want{status: 400}},
		{"Dot", "/dav/./a", "/dav", want{status: 400}},
		{"DotEncoded", "/dav/%2e/a", "/dav", want{status: 400}},
		{"EncodedSlash", "/dav/a%2Fb/c", "/dav", want{status: 400}},
		{"EncodedSlashLower", "/dav/a%2fb", "/dav", want{status: 400}},
		{"NUL", "/dav/a%00b", "/dav", want{status: 400}},
		{"Newline", "/dav/a%0Ab", "/dav", want{status: 400}},
		{"CR", "/dav/a%0db", "/dav", want{status: 400}},
		{"DEL", "/dav/a%7Fb", "/dav", want{status: 400}},
		{"Tab", "/dav/a%09b", "/dav", want{status: 400}},
		{"BackslashRaw", `/dav/a\b`, "/dav", want{status: 400}},
		{"BackslashEncoded", "/dav/a%5Cb", "/dav", want{status: 400}},
		{"BackslashDotDot", `/dav/..\secret`, "/dav", want{status: 400}},
		{"EmptySegment", "/dav/a//b", "/dav", want{status: 400}},
		{"LeadingEmptySegment", "/dav//a", "/dav", want{status: 400}},
		{"LeadingEmptySegmentPrefixSlash", "/dav//a", "/dav/", want{status: 400}},
		{"TrailingEmptySegment", "/dav/a//", "/dav", want{status: 400}},
		{"OnlySlashes", "/dav//", "/dav", want{status: 400}},
		{"BadPercentShort", "/dav/a%4", "/dav", want{status: 400}},
		{"BadPercentNotHex", "/dav/a%zzb", "/dav", want{status: 400}},
		{"BadPercentAlone", "/dav/%", "/dav", want{status: 400}},
		{"InvalidUTF8", "/dav/%FF.ics", "/dav", want{status: 400}},
		{"OverlongSlash", "/dav/a%C0%AFb", "/dav", want{status: 400}},

		{"NotUnderPrefix", "/other/a", "/dav", want{status: 404}},
		{"PrefixWithoutBoundary", "/davx/a", "/dav", want{status: 404}},
		{"PrefixWithoutBoundaryMember", "/dav/calendars/alice/workfoo.ics", "/dav/calendars/alice/work", want{status: 404}},
		{"PrefixSlashMissing", "/dav", "/dav/", want{status: 404}},
		{"CaseSensitivePrefix", "/DAV/a", "/dav", want{status: 404}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			segs, trailing, err := SplitPath(tt.escaped, tt.prefix)
			if tt.want.status != 0 {
				wantError(t, err, tt.want.status, xmlNameZero)
				if segs != nil {
					t.Fatalf("segments %q returned with an error", segs)
				}
				return
			}
			if err != nil {
				t.Fatalf("SplitPath(%q, %q): %v", tt.escaped, tt.prefix, err)
			}
			if !slices.Equal(segs, tt.want.segs) || trailing != tt.want.trailing {
				t.Fatalf("SplitPath(%q, %q) = %q, %v; want %q, %v", tt.escaped, tt.prefix, segs, trailing, tt.want.segs, tt.want.trailing)
			}
		})
	}
}

func TestSplitPath_NotFoundIsErrNotFound(t *testing.T) {
	_, _, err := SplitPath("/elsewhere", "/dav")
	if err != ErrNotFound {
		t.Fatalf("err = %v, want ErrNotFound", err)
	}
}

func TestEscapePath(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"plain.ics", "plain.ics"},
		{"my cal/e 1.ics", "my%20cal/e%201.ics"},
		{"a?b#c", "a%3Fb%23c"},
		{"100%", "100%25"},
		{"semi;colon,comma", "semi%3Bcolon%2Ccomma"},
		{"équipe", "%C3%A9quipe"},
		{"/abs/path/", "/abs/path/"},
		{`back\slash`, "back%5Cslash"},
	}
	for _, tt := range tests {
		if got := EscapePath(tt.in); got != tt.want {
			t.Errorf("EscapePath(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestEscapePath_RoundTripsThroughSplitPath(t *testing.T) {
	names := []string{"e1.ics", "a b", "a?b#c", "50%", "x;y=z", "événement ✓.ics", "a+b&c", "'quoted\"", "[brackets]", "~user", "..."}
	for _, n := range names {
		href := "/dav/calendars/" + EscapePath(n)
		// The href must survive URL parsing the way a client sends it.
		u, err := url.Parse("https://example.com" + href)
		if err != nil {
			t.Fatalf("href %q does not parse: %v", href, err)
		}
		segs, trailing, err := SplitPath(u.EscapedPath(), "/dav")
		if err != nil {
			t.Fatalf("SplitPath(%q): %v", href, err)
		}
		if trailing || len(segs) != 2 || segs[1] != n {
			t.Fatalf("round trip of %q gave %q (trailing %v)", n, segs, trailing)
		}
		if strings.ContainsAny(EscapePath(n), " ?#\"") {
			t.Fatalf("EscapePath(%q) = %q left characters that end or break a URL path", n, EscapePath(n))
		}
	}
}

func TestSplitPath_StatusCodes(t *testing.T) {
	// The two failure kinds map to distinct statuses callers rely on.
	_, _, err := SplitPath("/dav/../x", "/dav")
	wantError(t, err, http.StatusBadRequest, xmlNameZero)
	_, _, err = SplitPath("/x", "/dav")
	wantError(t, err, http.StatusNotFound, xmlNameZero)
}
