package collation

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestMatch_Table(t *testing.T) {
	tests := []struct {
		collation, matchType, value, pattern string
		want                                 bool
	}{
		// i;octet: bytes.
		{Octet, Equals, "Doe", "Doe", true},
		{Octet, Equals, "Doe", "doe", false},
		{Octet, Contains, "John Doe", "n D", true},
		{Octet, Contains, "John Doe", "n d", false},
		{Octet, StartsWith, "John Doe", "John", true},
		{Octet, StartsWith, "John Doe", "john", false},
		{Octet, EndsWith, "John Doe", "Doe", true},
		{Octet, EndsWith, "John Doe", "DOE", false},
		{Octet, Equals, "é", "É", false},

		// i;ascii-casemap: A-Z only.
		{ASCIICasemap, Equals, "Doe", "dOE", true},
		{ASCIICasemap, Equals, "Doe", "Do", false},
		{ASCIICasemap, Contains, "John Doe", "N D", true},
		{ASCIICasemap, StartsWith, "John Doe", "JOHN", true},
		{ASCIICasemap, StartsWith, "John Doe", "Doe", false},
		{ASCIICasemap, EndsWith, "John Doe", "doe", true},
		{ASCIICasemap, EndsWith, "John Doe", "john", false},
		{ASCIICasemap, Equals, "Élan", "élan", false}, // É is not A-Z
		{ASCIICasemap, Contains, "Élan", "LAN", true},
		{ASCIICasemap, Equals, "\u212A", "k", false}, // KELVIN SIGN is not K

		// i;unicode-casemap: simple case folding.
		{UnicodeCasemap, Equals, "Élan", "éLAN", true},
		{UnicodeCasemap, Contains, "Müller GmbH", "MÜLLER", true},
		{UnicodeCasemap, StartsWith, "Ærøskøbing", "ÆRØ", true},
		{UnicodeCasemap, EndsWith, "Ærøskøbing", "BING", true},
		{UnicodeCasemap, EndsWith, "Ærøskøbing", "ærø", false},
		{UnicodeCasemap, Equals, "STRASSE", "strasse", true},
		{UnicodeCasemap, Equals, "STRAẞE", "straße", true},   // U+1E9E folds to ß
		{UnicodeCasemap, Equals, "STRASSE", "straße", false}, // ß→ss is full folding only
		{UnicodeCasemap, Contains, "Hauptstraße 5", "STRASSE", false},
		{UnicodeCasemap, Equals, "ΣΊΣΥΦΟΣ", "σίσυφος", true},
		{UnicodeCasemap, Equals, "ΣΊΣΥΦΟΣ", "σίσυφοσ", true}, // final sigma folds with sigma
		{UnicodeCasemap, Equals, "ǅemal", "ǆEMAL", true},     // titlecase digraph
		{UnicodeCasemap, Equals, "Ǆemal", "ǆemal", true},
		{UnicodeCasemap, Equals, "\u212A", "k", true},           // KELVIN SIGN
		{UnicodeCasemap, Equals, "ſ", "S", true},                // U+017F LONG S
		{UnicodeCasemap, Equals, "ﬁle", "FILE", false},          // ligature: full folding only
		{UnicodeCasemap, Equals, "İstanbul", "istanbul", false}, // U+0130: no simple folding
		{UnicodeCasemap, Equals, "Zoë", "Zoe\u0308", false},     // no normalisation
		{UnicodeCasemap, Equals, "Zoë", "zoe", false},
		{UnicodeCasemap, Contains, "Дмитрий", "МИТ", true},
		{UnicodeCasemap, Equals, "山田", "山田", true},

		// Empty strings.
		{UnicodeCasemap, Contains, "anything", "", true},
		{UnicodeCasemap, StartsWith, "anything", "", true},
		{UnicodeCasemap, EndsWith, "anything", "", true},
		{UnicodeCasemap, Equals, "anything", "", false},
		{UnicodeCasemap, Equals, "", "", true},
		{Octet, Contains, "", "a", false},
	}
	for _, tt := range tests {
		got, err := Match(tt.collation, tt.matchType, tt.value, tt.pattern)
		if err != nil || got != tt.want {
			t.Errorf("Match(%s, %s, %q, %q) = %v, %v; want %v", tt.collation, tt.matchType, tt.value, tt.pattern, got, err, tt.want)
		}
	}
}

func TestMatch_Unsupported(t *testing.T) {
	if _, err := Match("i;basic", Contains, "a", "a"); !errors.Is(err, ErrUnsupported) {
		t.Errorf("unknown collation: %v", err)
	}
	if _, err := Match("", Contains, "a", "a"); !errors.Is(err, ErrUnsupported) {
		t.Errorf("empty collation (no default here): %v", err)
	}
	if _, err := Match(Octet, "regex", "a", "a"); !errors.Is(err, ErrUnsupportedMatchType) {
		t.Errorf("unknown match type: %v", err)
	}
	if _, err := Fold("I;OCTET", "a"); !errors.Is(err, ErrUnsupported) {
		t.Errorf("collation names are case-sensitive: %v", err)
	}
	for _, c := range []string{Octet, ASCIICasemap, UnicodeCasemap} {
		if !Supported(c) {
			t.Errorf("Supported(%q) = false", c)
		}
	}
}

// TestFoldUnicode_ASCIIFastPath: the ASCII shortcut gives what the general
// path gives, so mixed ASCII/non-ASCII strings compare consistently.
func TestFoldUnicode_ASCIIFastPath(t *testing.T) {
	for c := rune(0); c < utf8.RuneSelf; c++ {
		s := string(c)
		if got, want := foldUnicode(s), string(canonical(c)); got != want {
			t.Errorf("fold(%q) = %q, general path %q", s, got, want)
		}
	}
	if a, b := foldUnicode("Kelvin"), foldUnicode("\u212Aelvin"); a != b {
		t.Errorf("Kelvin %q vs %q", a, b)
	}
}

// TestFoldUnicode_AgreesWithEqualFold checks the documented property on a
// sample of runes from many scripts.
func TestFoldUnicode_AgreesWithEqualFold(t *testing.T) {
	var runes []rune
	for r := rune(0); r < 0x2D00; r += 7 {
		runes = append(runes, r)
	}
	runes = append(runes, 'ß', 'ẞ', 'ς', 'σ', 'Σ', 'K', 'k', '\u212A', 'ſ', 's', 'S', 'İ', 'ı', 'i', 'I')
	for _, a := range runes {
		for _, b := range runes[len(runes)-15:] {
			sa, sb := string(a), string(b)
			if got, want := foldUnicode(sa) == foldUnicode(sb), strings.EqualFold(sa, sb); got != want {
				t.Errorf("%U vs %U: fold equal %v, EqualFold %v", a, b, got, want)
			}
		}
	}
}

func FuzzMatch(f *testing.F) {
	f.Add("Straße", "STRASSE")
	f.Add("ǅemal", "ǆ")
	f.Add("\xff\xfe", "\xfe")
	f.Fuzz(func(t *testing.T, value, pattern string) {
		for _, c := range []string{Octet, ASCIICasemap, UnicodeCasemap} {
			eq, _ := Match(c, Equals, value, pattern)
			pre, _ := Match(c, StartsWith, value, pattern)
			suf, _ := Match(c, EndsWith, value, pattern)
			con, _ := Match(c, Contains, value, pattern)
			if eq && !(pre && suf) || (pre || suf) && !con {
				t.Fatalf("%s %q %q: equals %v starts %v ends %v contains %v", c, value, pattern, eq, pre, suf, con)
			}
			if ok, _ := Match(c, Equals, value, value); !ok {
				t.Fatalf("%s: %q does not equal itself", c, value)
			}
		}
	})
}
