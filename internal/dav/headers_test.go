package dav

import (
	"net/http"
	"slices"
	"testing"
	"time"
)

func TestParseDepth(t *testing.T) {
	tests := []struct {
		name string
		in   string
		def  Depth
		want Depth
		bad  bool
	}{
		{"Zero", "0", DepthInfinity, DepthZero, false},
		{"One", "1", DepthZero, DepthOne, false},
		{"Infinity", "infinity", DepthZero, DepthInfinity, false},
		{"InfinityMixedCase", "Infinity", DepthZero, DepthInfinity, false},
		{"InfinityUpper", "INFINITY", DepthZero, DepthInfinity, false},
		{"Spaces", " 1 \t", DepthZero, DepthOne, false},
		{"MissingUsesDefaultZero", "", DepthZero, DepthZero, false},
		{"MissingUsesDefaultInfinity", "", DepthInfinity, DepthInfinity, false},
		{"WhitespaceOnlyIsMissing", "   ", DepthOne, DepthOne, false},
		{"Two", "2", DepthZero, 0, true},
		{"Negative", "-1", DepthZero, 0, true},
		{"Garbage", "deep", DepthZero, 0, true},
		{"Infinite", "infinite", DepthZero, 0, true},
		{"LeadingZero", "01", DepthZero, 0, true},
		{"List", "0, 1", DepthZero, 0, true},
		{"Quoted", `"1"`, DepthZero, 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseDepth(tt.in, tt.def)
			if tt.bad {
				wantError(t, err, http.StatusBadRequest, xmlNameZero)
				return
			}
			if err != nil {
				t.Fatalf("ParseDepth(%q): %v", tt.in, err)
			}
			if got != tt.want {
				t.Fatalf("ParseDepth(%q) = %d, want %d", tt.in, got, tt.want)
			}
		})
	}
}

func TestPropfindDepth(t *testing.T) {
	for _, tt := range []struct {
		name   string
		hdr    []string
		want   Depth
		status int
	}{
		{"Zero", []string{"Depth", "0"}, DepthZero, 0},
		{"One", []string{"Depth", "1"}, DepthOne, 0},
		{"Infinity", []string{"Depth", "infinity"}, 0, http.StatusForbidden},
		{"InfinityCase", []string{"Depth", "Infinity"}, 0, http.StatusForbidden},
		{"Missing", nil, 0, http.StatusForbidden},
		{"Garbage", []string{"Depth", "2"}, 0, http.StatusBadRequest},
	} {
		t.Run(tt.name, func(t *testing.T) {
			d, err := PropfindDepth(newReq("PROPFIND", tt.hdr...))
			switch tt.status {
			case 0:
				if err != nil || d != tt.want {
					t.Fatalf("got %d, %v; want %d", d, err, tt.want)
				}
			case http.StatusForbidden:
				e := wantError(t, err, http.StatusForbidden, CondPropfindFiniteDepth)
				if e.Message == "" {
					t.Fatal("no client message")
				}
			default:
				wantError(t, err, tt.status, xmlNameZero)
			}
		})
	}
}

func TestPreferMinimal(t *testing.T) {
	for _, tt := range []struct {
		name string
		hdr  []string
		want bool
	}{
		{"None", nil, false},
		{"ReturnMinimal", []string{"Prefer", "return=minimal"}, true},
		{"Case", []string{"Prefer", "Return=Minimal"}, true},
		{"ReturnRepresentation", []string{"Prefer", "return=representation"}, false},
		{"List", []string{"Prefer", "respond-async, return=minimal"}, true},
		{"ListWait", []string{"Prefer", "wait=10,return=minimal , handling=lenient"}, true},
		{"SecondHeaderLine", []string{"Prefer", "respond-async", "Prefer", "return=minimal"}, true},
		{"WithParameter", []string{"Prefer", "return=minimal; foo=bar"}, true},
		{"BWSAroundEquals", []string{"Prefer", "return = minimal"}, true},
		{"QuotedValue", []string{"Prefer", `return="minimal"`}, true},
		{"OtherPreferenceWithMinimalValue", []string{"Prefer", "handling=minimal"}, false},
		{"NotAPrefix", []string{"Prefer", "return=minimalish"}, false},
		{"BriefT", []string{"Brief", "t"}, true},
		{"BriefUpper", []string{"Brief", " T "}, true},
		{"BriefF", []string{"Brief", "f"}, false},
		{"BriefGarbage", []string{"Brief", "yes"}, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := PreferMinimal(newReq("PROPFIND", tt.hdr...)); got != tt.want {
				t.Fatalf("PreferMinimal(%v) = %v, want %v", tt.hdr, got, tt.want)
			}
		})
	}
}

func TestParseETagList(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []string // nil: 400 expected
	}{
		{"Star", "*", []string{"*"}},
		{"StarSpaces", "  * ", []string{"*"}},
		{"One", `"abc"`, []string{`"abc"`}},
		{"Empty tag", `""`, []string{`""`}},
		{"Weak", `W/"abc"`, []string{`W/"abc"`}},
		{"List", `"a", W/"b" ,"c"`, []string{`"a"`, `W/"b"`, `"c"`}},
		{"NoSpaceList", `"a","b"`, []string{`"a"`, `"b"`}},
		{"CommaInsideQuotes", `"a,b", "c"`, []string{`"a,b"`, `"c"`}},
		{"EmptyListElements", `, "a",, "b",`, []string{`"a"`, `"b"`}},
		{"Tabs", "\t\"a\"\t,\t\"b\"", []string{`"a"`, `"b"`}},
		{"Unquoted", `abc`, nil},
		{"LowercaseWeak", `w/"a"`, nil},
		{"WeakWithoutTag", `W/`, nil},
		{"WeakSpace", `W/ "a"`, nil},
		{"Unterminated", `"abc`, nil},
		{"UnterminatedSecond", `"a", "b`, nil},
		{"GarbageAfterTag", `"a" b`, nil},
		{"TwoTagsNoComma", `"a" "b"`, nil},
		{"StarInList", `*, "a"`, nil},
		{"Empty", ``, nil},
		{"OnlyCommas", ` , ,`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseETagList(tt.in)
			if tt.want == nil {
				wantError(t, err, http.StatusBadRequest, xmlNameZero)
				return
			}
			if err != nil {
				t.Fatalf("parseETagList(%q): %v", tt.in, err)
			}
			if !slices.Equal(got, tt.want) {
				t.Fatalf("parseETagList(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestParseConditions(t *testing.T) {
	date := "Sun, 06 Nov 1994 08:49:37 GMT"
	when := time.Date(1994, 11, 6, 8, 49, 37, 0, time.UTC)

	t.Run("None", func(t *testing.T) {
		c, err := ParseConditions(newReq("GET"))
		if err != nil || !c.IsZero() {
			t.Fatalf("got %+v, %v; want zero", c, err)
		}
	})
	t.Run("MultipleHeaderLines", func(t *testing.T) {
		c, err := ParseConditions(newReq("PUT", "If-Match", `"a"`, "If-Match", `W/"b", "c"`))
		if err != nil {
			t.Fatal(err)
		}
		if want := []string{`"a"`, `W/"b"`, `"c"`}; !slices.Equal(c.IfMatch, want) {
			t.Fatalf("IfMatch = %q, want %q", c.IfMatch, want)
		}
		if c.IfNoneMatch != nil || c.IsZero() {
			t.Fatalf("IfNoneMatch = %q, IsZero = %v", c.IfNoneMatch, c.IsZero())
		}
	})
	t.Run("IfNoneMatchStar", func(t *testing.T) {
		c, err := ParseConditions(newReq("PUT", "If-None-Match", "*"))
		if err != nil || !slices.Equal(c.IfNoneMatch, []string{"*"}) || c.IfMatch != nil {
			t.Fatalf("got %+v, %v", c, err)
		}
	})
	t.Run("MalformedIfMatch", func(t *testing.T) {
		_, err := ParseConditions(newReq("PUT", "If-Match", "abc"))
		wantError(t, err, http.StatusBadRequest, xmlNameZero)
	})
	t.Run("MalformedIfNoneMatch", func(t *testing.T) {
		_, err := ParseConditions(newReq("PUT", "If-Match", `"a"`, "If-None-Match", `"unterminated`))
		wantError(t, err, http.StatusBadRequest, xmlNameZero)
	})
	t.Run("EmptyIfMatch", func(t *testing.T) {
		_, err := ParseConditions(newReq("PUT", "If-Match", ""))
		wantError(t, err, http.StatusBadRequest, xmlNameZero)
	})
	t.Run("Dates", func(t *testing.T) {
		c, err := ParseConditions(newReq("GET", "If-Modified-Since", date, "If-Unmodified-Since", "Sunday, 06-Nov-94 08:49:37 GMT"))
		if err != nil {
			t.Fatal(err)
		}
		if !c.IfModifiedSince.Equal(when) || !c.IfUnmodifiedSince.Equal(when) {
			t.Fatalf("dates = %v, %v; want %v", c.IfModifiedSince, c.IfUnmodifiedSince, when)
		}
	})
	t.Run("InvalidDatesIgnored", func(t *testing.T) {
		c, err := ParseConditions(newReq("GET", "If-Modified-Since", "yesterday", "If-Unmodified-Since", "0"))
		if err != nil || !c.IsZero() {
			t.Fatalf("got %+v, %v; want zero conditions", c, err)
		}
	})
	t.Run("TwoIfModifiedSinceIgnored", func(t *testing.T) {
		// RFC 9110 13.1.3: more than one member means the field is ignored.
		c, err := ParseConditions(newReq("GET", "If-Modified-Since", date, "If-Modified-Since", date))
		if err != nil || !c.IfModifiedSince.IsZero() {
			t.Fatalf("got %+v, %v; want If-Modified-Since ignored", c, err)
		}
	})
}

func TestConditions_WriteAllowed(t *testing.T) {
	const etag = `"v1"`
	tests := []struct {
		name        string
		ifMatch     []string
		ifNoneMatch []string
		exists      bool
		etag        string
		want        bool
	}{
		{"NoConditions", nil, nil, true, etag, true},
		{"NoConditionsMissing", nil, nil, false, "", true},

		{"IfMatchSame", []string{etag}, nil, true, etag, true},
		{"IfMatchOther", []string{`"v0"`}, nil, true, etag, false},
		{"IfMatchInList", []string{`"v0"`, etag}, nil, true, etag, true},
		{"IfMatchMissingResource", []string{etag}, nil, false, "", false},
		{"IfMatchStarExists", []string{"*"}, nil, true, etag, true},
		{"IfMatchStarMissing", []string{"*"}, nil, false, "", false},
		// RFC 9110 8.8.3.2: strong comparison, weak tags never match.
		{"IfMatchWeakTagStrongETag", []string{`W/"v1"`}, nil, true, etag, false},
		{"IfMatchStrongTagWeakETag", []string{etag}, nil, true, `W/"v1"`, false},
		{"IfMatchWeakBoth", []string{`W/"v1"`}, nil, true, `W/"v1"`, false},
		{"IfMatchCaseSensitive", []string{`"V1"`}, nil, true, etag, false},

		{"IfNoneMatchStarMissing", nil, []string{"*"}, false, "", true},
		{"IfNoneMatchStarExists", nil, []string{"*"}, true, etag, false},
		{"IfNoneMatchSame", nil, []string{etag}, true, etag, false},
		{"IfNoneMatchOther", nil, []string{`"v0"`}, true, etag, true},
		{"IfNoneMatchMissingResource", nil, []string{etag}, false, "", true},
		// Weak comparison for If-None-Match.
		{"IfNoneMatchWeakTag", nil, []string{`W/"v1"`}, true, etag, false},
		{"IfNoneMatchWeakETag", nil, []string{etag}, true, `W/"v1"`, false},
		{"IfNoneMatchWeakBoth", nil, []string{`W/"v1"`}, true, `W/"v1"`, false},
		{"IfNoneMatchWeakOther", nil, []string{`W/"v0"`}, true, etag, true},

		{"BothPass", []string{etag}, []string{`"v0"`}, true, etag, true},
		{"BothIfNoneMatchFails", []string{etag}, []string{etag}, true, etag, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Conditions{IfMatch: tt.ifMatch, IfNoneMatch: tt.ifNoneMatch}
			if got := c.WriteAllowed(tt.exists, tt.etag); got != tt.want {
				t.Fatalf("WriteAllowed(%v, %q) with %+v = %v, want %v", tt.exists, tt.etag, c, got, tt.want)
			}
		})
	}
}

func TestConditions_WriteAllowedFromHeaders(t *testing.T) {
	// End to end through ParseConditions: a weak tag sent in If-Match
	// must not authorize an overwrite.
	c, err := ParseConditions(newReq("PUT", "If-Match", `W/"v1"`))
	if err != nil {
		t.Fatal(err)
	}
	if c.WriteAllowed(true, `"v1"`) {
		t.Fatal("weak If-Match allowed a write")
	}
	c, err = ParseConditions(newReq("PUT", "If-Match", `"x", "v1"`))
	if err != nil {
		t.Fatal(err)
	}
	if !c.WriteAllowed(true, `"v1"`) {
		t.Fatal("matching If-Match refused")
	}
}

func TestConditions_ReadStatus(t *testing.T) {
	const etag = `"v1"`
	mod := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	modFrac := mod.Add(300 * time.Millisecond) // Last-Modified is sent with second precision
	before := mod.Add(-time.Hour)
	after := mod.Add(time.Hour)

	tests := []struct {
		name     string
		c        Conditions
		etag     string
		modified time.Time
		want     int
	}{
		{"None", Conditions{}, etag, mod, 0},
		{"IfMatchSame", Conditions{IfMatch: []string{etag}}, etag, mod, 0},
		{"IfMatchOther", Conditions{IfMatch: []string{`"v0"`}}, etag, mod, 412},
		{"IfMatchStar", Conditions{IfMatch: []string{"*"}}, etag, mod, 0},
		{"IfMatchWeak", Conditions{IfMatch: []string{`W/"v1"`}}, etag, mod, 412},
		{"IfNoneMatchSame", Conditions{IfNoneMatch: []string{etag}}, etag, mod, 304},
		{"IfNoneMatchWeak", Conditions{IfNoneMatch: []string{`W/"v1"`}}, etag, mod, 304},
		{"IfNoneMatchStar", Conditions{IfNoneMatch: []string{"*"}}, etag, mod, 304},
		{"IfNoneMatchOther", Conditions{IfNoneMatch: []string{`"v0"`}}, etag, mod, 0},
		{"IfMatchFailsBeforeIfNoneMatch", Conditions{IfMatch: []string{`"v0"`}, IfNoneMatch: []string{etag}}, etag, mod, 412},

		{"IfUnmodifiedSinceAfter", Conditions{IfUnmodifiedSince: after}, etag, mod, 0},
		{"IfUnmodifiedSinceEqual", Conditions{IfUnmodifiedSince: mod}, etag, modFrac, 0},
		{"IfUnmodifiedSinceBefore", Conditions{IfUnmodifiedSince: before}, etag, mod, 412},
		{"IfUnmodifiedSinceIgnoredWithIfMatch", Conditions{IfMatch: []string{etag}, IfUnmodifiedSince: before}, etag, mod, 0},
		{"IfUnmodifiedSinceNoDate", Conditions{IfUnmodifiedSince: before}, etag, time.Time{}, 0},

		{"IfModifiedSinceEqual", Conditions{IfModifiedSince: mod}, etag, modFrac, 304},
		{"IfModifiedSinceAfter", Conditions{IfModifiedSince: after}, etag, mod, 304},
		{"IfModifiedSinceBefore", Conditions{IfModifiedSince: before}, etag, mod, 0},
		{"IfModifiedSinceIgnoredWithIfNoneMatch", Conditions{IfNoneMatch: []string{`"v0"`}, IfModifiedSince: after}, etag, mod, 0},
		// RFC 9110 13.1.3: ignored when the representation has no
		// modification date.
		{"IfModifiedSinceNoDate", Conditions{IfModifiedSince: after}, etag, time.Time{}, 0},
		{"IfUnmodifiedSincePassThenIfModifiedSince", Conditions{IfUnmodifiedSince: after, IfModifiedSince: after}, etag, mod, 304},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.c.ReadStatus(tt.etag, tt.modified); got != tt.want {
				t.Fatalf("ReadStatus(%q, %v) with %+v = %d, want %d", tt.etag, tt.modified, tt.c, got, tt.want)
			}
		})
	}
}
