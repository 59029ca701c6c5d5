package clientsetup

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestParseAddress(t *testing.T) {
	for _, tc := range []struct {
		in     string
		local  string
		quoted bool
		domain string
	}{
		{"anna@domain.xyz", "anna", false, "domain.xyz"},
		{"  Anna@Domain.XYZ ", "Anna", false, "domain.xyz"},
		{"anna+news@domain.xyz", "anna+news", false, "domain.xyz"},
		{"o'brien@domain.xyz", "o'brien", false, "domain.xyz"},
		{"first.last@sub.domain.xyz", "first.last", false, "sub.domain.xyz"},
		{"!#$%&'*+-/=?^_`{|}~@domain.xyz", "!#$%&'*+-/=?^_`{|}~", false, "domain.xyz"},
		// A quoted string that is a dot-atom is that dot-atom (RFC 5321 4.1.2).
		{`"anna"@domain.xyz`, "anna", false, "domain.xyz"},
		{`"john doe"@domain.xyz`, "john doe", true, "domain.xyz"},
		{`"a@b"@domain.xyz`, "a@b", true, "domain.xyz"},
		{`"a\"b"@domain.xyz`, `a"b`, true, "domain.xyz"},
		{`"<x>&"@domain.xyz`, "<x>&", true, "domain.xyz"},
		// IDN: U-labels become A-labels; A-labels stay.
		{"anna@bücher.example", "anna", false, "xn--bcher-kva.example"},
		{"anna@BÜCHER.example", "anna", false, "xn--bcher-kva.example"},
		{"anna@xn--bcher-kva.example", "anna", false, "xn--bcher-kva.example"},
		{"info@münchen.de", "info", false, "xn--mnchen-3ya.de"},
		{"a@例え.テスト", "a", false, "xn--r8jz45g.xn--zckzah"},
		{"a@δοκιμή.испытание", "a", false, "xn--jxalpdlp.xn--80akhbyknj4f"},
		{"a@中国.рф", "a", false, "xn--fiqs8s.xn--p1ai"},
		// RFC 6532: UTF-8 local parts parse (and are never a mailbox here).
		{"jöran@domain.xyz", "jöran", false, "domain.xyz"},
	} {
		got, err := ParseAddress(tc.in)
		if err != nil {
			t.Errorf("ParseAddress(%q): %v", tc.in, err)
			continue
		}
		if got.Local != tc.local || got.Quoted != tc.quoted || got.Domain != tc.domain {
			t.Errorf("ParseAddress(%q) = %+v, want %q %v %q", tc.in, got, tc.local, tc.quoted, tc.domain)
		}
	}
}

func TestParseAddressRefuses(t *testing.T) {
	for _, tc := range []struct{ in, why string }{
		{"", "no @"},
		{"anna", "no @"},
		{"anna@", "empty"},
		{"@domain.xyz", "empty"},
		{"anna@localhost", "two parts"},
		{"anna@domain.xyz.", "ends with a dot"},
		{"anna@domain..xyz", "empty part"},
		{"anna@-domain.xyz", "hyphen"},
		{"anna@dom_ain.xyz", "not allowed"},
		{"anna@[192.0.2.1]", "address literal"},
		{"an na@domain.xyz", "only in quotes"},
		{"anna.@domain.xyz", "dot"},
		{".anna@domain.xyz", "dot"},
		{"an..na@domain.xyz", "dot"},
		{"(comment)anna@domain.xyz", "only in quotes"},
		{"<anna@domain.xyz>", "only in quotes"},
		{`"anna@domain.xyz`, "not closed"},
		{`"an"na"@domain.xyz`, "quote inside"},
		{`"anna\"@domain.xyz`, "backslash"},
		{strings.Repeat("a", 65) + "@domain.xyz", "longer than 64"},
		{"anna@" + strings.Repeat("a", 63) + "x.xyz", "longer than 63"},
		{"anna@" + strings.Repeat("abcdefghi.", 26) + "xyz", "longer than 253"},
		{strings.Repeat("a", 600), "too long"},
		{"anna@bü!cher.example", "not allowed"},
		{"anna@\xffdomain.xyz", "UTF-8"},
		// Header and line injection.
		{"anna\r\nX-Injected: yes@domain.xyz", "control"},
		{"anna@domain.xyz\r\nX-Injected: yes", "control"},
		{"anna@domain.xyz\n", "control"},
		{"anna\x00@domain.xyz", "control"},
		{"anna@domain.xyz\t", "control"},
		{"anna\u0085@domain.xyz", "control"},
	} {
		got, err := ParseAddress(tc.in)
		if !errors.Is(err, ErrAddress) || !strings.Contains(err.Error(), tc.why) {
			t.Errorf("ParseAddress(%q) = %+v, %v; want ErrAddress saying %q", tc.in, got, err, tc.why)
		}
	}
}

// RFC 3492 7.1 samples and IANA's IDN test labels.
func TestPunycode(t *testing.T) {
	for _, tc := range []struct{ in, out string }{
		{"bücher", "bcher-kva"},
		{"münchen", "mnchen-3ya"},
		{"ü", "tda"},
		{"中国", "fiqs8s"},
		{"テスト", "zckzah"},
		{"испытание", "80akhbyknj4f"},
		{"δοκιμή", "jxalpdlp"},
		// RFC 3492 7.1 (A) Arabic (Egyptian) and (L) "3年B組金八先生", lower-cased.
		{"\u0644\u064A\u0647\u0645\u0627\u0628\u062A\u0643\u0644\u0645\u0648\u0634\u0639\u0631\u0628\u064A\u061F", "egbpdaj6bu4bxfgehfvwxn"},
		{"3年b組金八先生", "3b-ww4c5e180e575a65lsy2b"},
	} {
		got, err := punycode(tc.in)
		if err != nil || got != tc.out {
			t.Errorf("punycode(%q) = %q, %v; want %q", tc.in, got, err, tc.out)
		}
	}
}

// FuzzParseAddress: ParseAddress never panics, and what it accepts is
// what the lookups and documents rely on: an ASCII domain of DNS labels
// that parses to itself, no control character anywhere, limits kept, and
// a dot-atom local part that round-trips through String.
func FuzzParseAddress(f *testing.F) {
	for _, s := range []string{"anna@domain.xyz", `"john doe"@domain.xyz`, "anna@bücher.example", "a+b@x.y",
		"anna\r\n@x.y", `"\""@a.b`, "a@[1.2.3.4]", "@", "", "a@b", "jöran@例え.テスト"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		a, err := ParseAddress(s)
		if err != nil {
			if !errors.Is(err, ErrAddress) {
				t.Fatalf("ParseAddress(%q): error %v is not ErrAddress", s, err)
			}
			return
		}
		if len(a.Local) == 0 || len(a.Local) > maxLocalLen || len(a.Domain) > maxHostLen {
			t.Fatalf("ParseAddress(%q) = %+v: outside the limits", s, a)
		}
		if _, err := CheckHost(a.Domain); err != nil || !strings.Contains(a.Domain, ".") {
			t.Fatalf("ParseAddress(%q): domain %q is not a DNS name: %v", s, a.Domain, err)
		}
		if strings.ContainsFunc(a.Local, func(r rune) bool { return r < 0x20 || r == 0x7f }) || !utf8.ValidString(a.Local) {
			t.Fatalf("ParseAddress(%q): local part %q has a control character or bad UTF-8", s, a.Local)
		}
		if !a.Quoted {
			again, err := ParseAddress(a.String())
			if err != nil || again != a {
				t.Fatalf("ParseAddress(%q) = %+v, but its String %q parses to %+v, %v", s, a, a.String(), again, err)
			}
		}
	})
}
