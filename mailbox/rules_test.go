package mailbox

import (
	"regexp"
	"strings"
	"testing"
)

func TestValidLocalPart(t *testing.T) {
	tests := []struct {
		in string
		ok bool
	}{
		{"anna", true},
		{"Anna.Smith", true},
		{"a", true},
		{"first.last", true},
		{"a.b.c.d", true},
		{"user+tag", true},
		{"o'brien", true},
		{"x!$%&'*+-/=?^_`{|}~", true},
		{"1234", true},
		{"a#b", true},
		{strings.Repeat("a", 64), true},
		{strings.Repeat("a", 65), false},
		{strings.Repeat("a.", 32) + "b", false}, // 65 octets
		{"", false},
		{".anna", false},
		{"anna.", false},
		{"an..na", false},
		{".", false},
		{"#anna", false}, // comment in passwd-file / Postfix tables
		{`"anna"`, false},
		{`"an na"@`, false},
		{`an"na`, false},
		{"an na", false},
		{"anna\t", false},
		{"anna@x", false},
		{"an\\na", false},
		{"an(na)", false},
		{"an,na", false},
		{"an:na", false},
		{"an;na", false},
		{"an<na>", false},
		{"an[na]", false},
		{"anna\n", false},
		{"anna\r", false},
		{"an\x00na", false},
		{"an\x7fna", false},
		{"jürgen", false},
		{"анна", false},
		{"名前", false},
		{"anna\u200b", false}, // zero-width space
		{"\xff", false},       // invalid UTF-8
	}
	for _, tt := range tests {
		reason, ok := ValidLocalPart(tt.in)
		if ok != tt.ok {
			t.Errorf("ValidLocalPart(%q) = %q, %v; want ok=%v", tt.in, reason, ok, tt.ok)
		}
		if ok && reason != "" {
			t.Errorf("ValidLocalPart(%q) ok with reason %q", tt.in, reason)
		}
		if !ok && reason == "" {
			t.Errorf("ValidLocalPart(%q) refused without a reason", tt.in)
		}
		if strings.ContainsAny(reason, "\r\n\x00") {
			t.Errorf("ValidLocalPart(%q) reason %q contains a control character", tt.in, reason)
		}
	}
}

func TestValidLocalPartReasons(t *testing.T) {
	for in, want := range map[string]string{
		strings.Repeat("a", 65): "longer than 64",
		`"anna"`:                "quoted",
		"jürgen":                "ASCII",
		"an..na":                "two dots",
		"an na":                 "spaces",
	} {
		reason, _ := ValidLocalPart(in)
		if !strings.Contains(reason, want) {
			t.Errorf("ValidLocalPart(%q) reason %q, want it to mention %q", in, reason, want)
		}
	}
}

func TestValidDomain(t *testing.T) {
	label63 := strings.Repeat("a", 63)
	// 63*3 + 61 + 3 dots = 253
	max := label63 + "." + label63 + "." + label63 + "." + strings.Repeat("b", 61)
	if len(max) != 253 {
		t.Fatalf("test setup: len = %d", len(max))
	}
	tests := []struct {
		in string
		ok bool
	}{
		{"domain.xyz", true},
		{"Domain.XYZ", true}, // lower-cased first
		{"mail.example.co.uk", true},
		{"a-b.c0", true},
		{"1.2", true},
		{"xn--bcher-kva.example", true},
		{label63 + ".com", true},
		{max, true},
		{max + "b", false},
		{strings.Repeat("a", 64) + ".com", false},
		{"", false},
		{"localhost", false},
		{"example.com.", false},
		{".example.com", false},
		{"example..com", false},
		{"-example.com", false},
		{"example-.com", false},
		{"example.-com", false},
		{"exa_mple.com", false},
		{"exa mple.com", false},
		{"example.com\n", false},
		{"bücher.example", false},
		{"例え.jp", false},
		{"user@example.com", false},
		{"example.com:25", false},
		{"*.example.com", false},
	}
	for _, tt := range tests {
		reason, ok := ValidDomain(tt.in)
		if ok != tt.ok {
			t.Errorf("ValidDomain(%q) = %q, %v; want ok=%v", tt.in, reason, ok, tt.ok)
		}
		if !ok && reason == "" {
			t.Errorf("ValidDomain(%q) refused without a reason", tt.in)
		}
	}
}

func TestValidAddress(t *testing.T) {
	for in, want := range map[string]bool{
		"anna@domain.xyz":       true,
		"Anna@Domain.XYZ":       true,
		"anna":                  false,
		"@domain.xyz":           false,
		"anna@":                 false,
		"a@b@domain.xyz":        false,
		"anna@localhost":        false,
		`"a@b"@domain.xyz`:      false,
		"anna@domain.xyz\nx y":  false,
		"anna@domain.xyz x@y.z": false,
	} {
		if _, ok := ValidAddress(in); ok != want {
			t.Errorf("ValidAddress(%q) ok = %v, want %v", in, ok, want)
		}
	}
}

var fallbackRE = regexp.MustCompile(`^([a-z]{1,3}|user)[0-9]{4}$`)

func TestFallbackUsername(t *testing.T) {
	tests := []struct{ name, prefix string }{
		{"John Doe", "jd"},
		{"john doe", "jd"},
		{"Anna", "a"},
		{"Jean-Luc Picard", "jlp"},
		{"Mary Ann Lou Smith", "mal"},
		{"  Ziggy   Stardust ", "zs"},
		{"O'Brien", "ob"},
		{"J. R. R. Tolkien", "jrr"},
		{"Émile Zola", "z"},
		{"Анна Иванова", "user"},
		{"", "user"},
		{"1234 !!", "user"},
		{"R2D2", "rd"},
	}
	for _, tt := range tests {
		got := FallbackUsername(tt.name)
		if !fallbackRE.MatchString(got) || got[:len(got)-4] != tt.prefix {
			t.Errorf("FallbackUsername(%q) = %q, want %q + 4 digits", tt.name, got, tt.prefix)
		}
		if _, ok := ValidLocalPart(got); !ok {
			t.Errorf("FallbackUsername(%q) = %q is not a valid local part", tt.name, got)
		}
	}
}

func TestFallbackUsernameRandom(t *testing.T) {
	seen := map[string]bool{}
	for range 50 {
		seen[FallbackUsername("John Doe")] = true
	}
	// 50 draws from 10,000: all equal would mean no randomness at all.
	if len(seen) < 10 {
		t.Errorf("only %d distinct usernames in 50 draws", len(seen))
	}
}

// localPartRE is an independent spelling of the dot-atom rule.
var localPartRE = regexp.MustCompile("^[A-Za-z0-9!$%&'*+/=?^_`{|}~#-]+(\\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$")

func FuzzValidLocalPart(f *testing.F) {
	for _, s := range []string{"anna", "a.b", ".a", "a..b", `"q"`, "jürgen", strings.Repeat("x", 64), "#a", "a:b", "a\nb", "a@b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		reason, ok := ValidLocalPart(s)
		want := len(s) <= MaxLocalPartLen && localPartRE.MatchString(s) && s[0] != '#'
		if ok != want {
			t.Fatalf("ValidLocalPart(%q) = %q, %v; reference says %v", s, reason, ok, want)
		}
		if ok == (reason != "") {
			t.Fatalf("ValidLocalPart(%q) = %q, %v: reason must be set exactly when refused", s, reason, ok)
		}
		if !ok {
			return
		}
		// Anything accepted must export cleanly to both files.
		addr := s + "@domain.xyz"
		if _, err := PasswdFile([]Entry{{addr, testHash}}); err != nil {
			t.Fatalf("PasswdFile refuses accepted local part %q: %v", s, err)
		}
		out, err := VirtualMap([]Route{{addr, "anna@domain.xyz"}})
		if err != nil {
			t.Fatalf("VirtualMap refuses accepted local part %q: %v", s, err)
		}
		if f := strings.Fields(string(out)); len(f) != 2 || f[0] != addr {
			t.Fatalf("VirtualMap line for %q splits into %q", s, f)
		}
	})
}
