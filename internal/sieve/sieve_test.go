package sieve

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"almanac/internal/tooltest"
)

func TestString(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", `""`},
		{"plain text", `"plain text"`},
		{`say "hi"`, `"say \"hi\""`},
		{`back\slash`, `"back\\slash"`},
		{`\"`, `"\\\""`},
		{"a\r\nb", "\"a\r\nb\""},
		{"a\nb", "\"a\r\nb\""},
		{"a\rb", "\"a\r\nb\""},
		{"a\n\rb", "\"a\r\n\r\nb\""},
		{"a\r\r\nb", "\"a\r\n\r\nb\""},
		{"nul\x00here", "\"nul\uFFFDhere\""},
		{"bad \xff\xfe utf-8", "\"bad \uFFFD utf-8\""},
		{"${hex:41} stays", `"${hex:41} stays"`},
		{"é ü 日本", `"é ü 日本"`},
		{"\";\r\nkeep;\r\n\"", "\"\\\";\r\nkeep;\r\n\\\"\""},
	} {
		if got := String(tc.in); got != tc.want {
			t.Errorf("String(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestLine(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"  Away  ", "Away"},
		{"Away\r\nBcc: x@y.z", "Away  Bcc: x@y.z"},
		{"tab\there", "tab here"},
		{"nul\x00", "nul\uFFFD"},
		{"c1\u0085line", "c1 line"},
		{"sep\u2028x", "sep x"},
		{"\xff", "\uFFFD"},
	} {
		if got := Line(tc.in); got != tc.want {
			t.Errorf("Line(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestStringList(t *testing.T) {
	if got := StringList([]string{"a"}); got != `"a"` {
		t.Errorf("one string: %s", got)
	}
	if got := StringList([]string{"a", `b"`}); got != `["a", "b\""]` {
		t.Errorf("two strings: %s", got)
	}
}

// base is a vacation that uses every feature.
func base() Vacation {
	start := time.Date(2026, 7, 1, 22, 0, 0, 0, time.UTC)
	return Vacation{
		Comment: "anna@domain.xyz", Handle: "almanac-r1-h1", Days: 7,
		From: "anna@domain.xyz", Subject: "Away", Text: "I am away.\nBack soon.", HTML: "<p>I am away.</p>",
		Addresses: []string{"anna@domain.xyz", "a@domain.xyz", "anna@alias.xyz"},
		Exclude:   []string{"boss@domain.xyz"}, ExcludeDomains: []string{"partner.xyz"},
		Windows: []Window{
			{Start: start, End: start.Add(10 * 24 * time.Hour), Offset: 2 * 3600, Weekdays: []time.Weekday{time.Saturday, time.Sunday}},
			{Start: start.Add(10 * 24 * time.Hour), Offset: 3600, Weekdays: []time.Weekday{time.Sunday}},
		},
	}
}

func TestScriptRefuses(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(*Vacation)
	}{
		{"no handle", func(v *Vacation) { v.Handle = " \r\n" }},
		{"no message", func(v *Vacation) { v.Text = "  \n" }},
		{"days 0", func(v *Vacation) { v.Days = 0 }},
		{"days over a year", func(v *Vacation) { v.Days = 366 }},
		{"negative seconds", func(v *Vacation) { v.Seconds = -1 }},
		{"from with a name", func(v *Vacation) { v.From = "Anna <anna@domain.xyz>" }},
		{"from with a quote", func(v *Vacation) { v.From = `an"na@domain.xyz` }},
		{"from with a line break", func(v *Vacation) { v.From = "anna@domain.xyz\r\n" }},
		{"address without domain", func(v *Vacation) { v.Addresses = []string{"anna"} }},
		{"exclusion with a space", func(v *Vacation) { v.Exclude = []string{"bo ss@x.org"} }},
		{"excluded domain of one label", func(v *Vacation) { v.ExcludeDomains = []string{"localhost"} }},
		{"excluded domain with a quote", func(v *Vacation) { v.ExcludeDomains = []string{`x".org`} }},
		{"window ends at its start", func(v *Vacation) { v.Windows[0].End = v.Windows[0].Start }},
		{"offset with seconds", func(v *Vacation) { v.Windows[0].Offset = 30 }},
		{"offset of a day", func(v *Vacation) { v.Windows[0].Offset = 24 * 3600 }},
		{"weekday 7", func(v *Vacation) { v.Windows[0].Weekdays = []time.Weekday{7} }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v := base()
			tc.edit(&v)
			if b, err := v.Script(); !errors.Is(err, ErrInvalid) {
				t.Errorf("Script = %q, %v; want ErrInvalid", b, err)
			}
		})
	}
}

func TestScript(t *testing.T) {
	v := base()
	b, err := v.Script()
	if err != nil {
		t.Fatal(err)
	}
	toks, err := lex(string(b))
	if err != nil {
		t.Fatalf("the script does not lex: %v\n%s", err, b)
	}
	script := string(b)
	for _, want := range []string{
		"require [\"vacation\", \"envelope\", \"date\", \"relational\"];\r\n",
		`not anyof (exists "list-id", exists "list-help", exists "list-unsubscribe", exists "list-subscribe", exists "list-post", exists "list-owner", exists "list-archive")`,
		`not header :is "precedence" ["bulk", "list", "junk"]`,
		`anyof (not exists "auto-submitted", header :is "auto-submitted" "no")`,
		`not envelope :is "from" ""`,
		`not envelope :all :is "from" ["anna@domain.xyz", "a@domain.xyz", "anna@alias.xyz"]`,
		`not address :all :is "from" "boss@domain.xyz"`,
		`not envelope :domain :is "from" "partner.xyz"`,
		`allof (currentdate :zone "+0000" :value "ge" "iso8601" "2026-07-01T22:00:00", currentdate :zone "+0000" :value "lt" "iso8601" "2026-07-11T22:00:00", currentdate :zone "+0200" "weekday" ["0", "6"])`,
		`allof (currentdate :zone "+0000" :value "ge" "iso8601" "2026-07-11T22:00:00", currentdate :zone "+0100" "weekday" "0")`,
		`vacation :days 7 :handle "almanac-r1-h1" :from "anna@domain.xyz" :addresses ["anna@domain.xyz", "a@domain.xyz", "anna@alias.xyz"] :subject "Away" :mime`,
		"Content-Type: multipart/alternative; boundary=\\\"=_almanac_",
		"Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nI am away.\r\nBack soon.\r\n",
		"Content-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n<p>I am away.</p>\r\n",
	} {
		if !strings.Contains(script, want) {
			t.Errorf("the script lacks %q:\n%s", want, script)
		}
	}
	if n := count(toks, "vacation"); n != 1 {
		t.Errorf("%d vacation actions", n)
	}

	// Plain text, no windows, seconds: a smaller script.
	v = Vacation{Handle: "h", Seconds: 2, Text: "Away"}
	b, err = v.Script()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`require ["vacation", "envelope", "vacation-seconds"];`, "vacation :seconds 2 :handle \"h\"\r\n    \"Away\";"} {
		if !strings.Contains(string(b), want) {
			t.Errorf("the script lacks %q:\n%s", want, b)
		}
	}
	if strings.Contains(string(b), "currentdate") || strings.Contains(string(b), ":from") || strings.Contains(string(b), ":subject") {
		t.Errorf("the script tests what it was not given:\n%s", b)
	}
}

func count(toks []token, ident string) int {
	n := 0
	for _, t := range toks {
		if t.kind == tokIdent && t.text == ident {
			n++
		}
	}
	return n
}

// TestScriptCompiles has Pigeonhole's sievec compile scripts of every
// shape, hostile text included.
func TestScriptCompiles(t *testing.T) {
	sievec := tooltest.Require(t, "sievec", "dovecot-sieve")
	hostile := "\";\r\nredirect \"evil@example.org\";\r\nvacation \"x\n.\r\n\\\" \x00 ${x} \xff"
	for i, edit := range []func(*Vacation){
		func(*Vacation) {},
		func(v *Vacation) { v.HTML = "" },
		func(v *Vacation) {
			v.Windows = nil
			v.Exclude = nil
			v.ExcludeDomains = nil
			v.Addresses = nil
			v.From = ""
		},
		func(v *Vacation) { v.Seconds = 1 },
		func(v *Vacation) {
			v.Subject, v.Text, v.HTML, v.Handle, v.Comment = hostile, hostile, hostile, hostile, hostile
		},
		func(v *Vacation) { v.Subject, v.Text, v.HTML = hostile, hostile, "" },
		func(v *Vacation) {
			v.Windows = []Window{{Offset: -(9*3600 + 30*60), Weekdays: []time.Weekday{1, 2, 3, 4, 5}}}
		},
	} {
		v := base()
		edit(&v)
		b, err := v.Script()
		if err != nil {
			t.Fatalf("case %d: %v", i, err)
		}
		compile(t, sievec, b)
	}
}

// compile runs sievec on script, failing the test with its output when
// it does not compile. The scripts that need vacation-seconds get it
// switched on, as the test configuration of Dovecot does.
func compile(t testing.TB, sievec string, script []byte) {
	t.Helper()
	dir := t.TempDir()
	conf := filepath.Join(dir, "dovecot.conf")
	cfg := "plugin {\n  sieve_extensions = +vacation-seconds\n}\n"
	if err := os.WriteFile(conf, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "s.sieve")
	if err := os.WriteFile(path, script, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(sievec, "-c", conf, path, filepath.Join(dir, "s.svbin")).CombinedOutput()
	if err != nil {
		t.Fatalf("sievec: %v\n%s\nscript:\n%s", err, out, script)
	}
}

// FuzzScript feeds arbitrary text into every field a user writes. Each
// script written must lex into the same commands and tests as a script
// of the same shape with harmless text (so no input changed its
// structure), carry the text as given (after String's normalisation),
// and compile with sievec when it is installed.
func FuzzScript(f *testing.F) {
	f.Add("Holidays", "Away", "I am away.\nBack soon.", "", "h1", "anna@domain.xyz", "boss@x.org", "partner.xyz")
	f.Add("\";keep;#", "\r\nBcc: evil@x.org", "\"; redirect \"evil@x.org\"; \"", "<p>\"</p>", "\x00", "", "", "")
	f.Add("text:", "${subject}", "text:\r\n.\r\n", "=_almanac_", "/* */", "a.b@c.d", "x@y.zz", "y.zz")
	f.Add("x", "\xff", "\\", "\\\\", "\r", "", "", "")
	sievec := ""
	if p, err := exec.LookPath("sievec"); err == nil {
		sievec = p
	} else if tooltest.Required() {
		f.Fatal("sievec not installed; install with apt-get install dovecot-sieve")
	}
	f.Fuzz(func(t *testing.T, comment, subject, text, html, handle, from, exclude, domain string) {
		v := Vacation{Comment: comment, Handle: handle, Days: 7, From: from, Subject: subject, Text: text, HTML: html,
			Addresses: []string{"anna@domain.xyz"}}
		if exclude != "" {
			v.Exclude = []string{exclude}
		}
		if domain != "" {
			v.ExcludeDomains = []string{domain}
		}
		if _, err := v.Script(); err != nil && !errors.Is(err, ErrInvalid) {
			t.Fatalf("error %v does not wrap ErrInvalid", err)
		}
		// Random bytes are rarely an address: drop the ones Script
		// refuses, so that the text is written (and compiled) anyway.
		if !plainAddress(from) {
			v.From = ""
		}
		if exclude != "" && !plainAddress(exclude) {
			v.Exclude = nil
		}
		if domain != "" && !plainDomain(domain) {
			v.ExcludeDomains = nil
		}
		script, err := v.Script()
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("error %v does not wrap ErrInvalid", err)
			}
			return
		}
		ref := v
		ref.Comment, ref.Handle, ref.Text = "c", "h", "t"
		if ref.Subject != "" && Line(ref.Subject) != "" {
			ref.Subject = "s"
		}
		if ref.HTML != "" {
			ref.HTML = "x"
		}
		refScript, err := ref.Script()
		if err != nil {
			t.Fatalf("the reference script: %v", err)
		}
		got, err := lex(string(script))
		if err != nil {
			t.Fatalf("the script does not lex: %v\n%q", err, script)
		}
		want, err := lex(string(refScript))
		if err != nil {
			t.Fatalf("the reference does not lex: %v", err)
		}
		if g, w := skeleton(got), skeleton(want); g != w {
			t.Fatalf("input changed the script's structure:\n got %s\nwant %s\nscript %q", g, w, script)
		}
		strs := stringsOf(got)
		if !slices.Contains(strs, Line(handle)) {
			t.Errorf("handle %q missing from %q", Line(handle), strs)
		}
		if s := Line(subject); s != "" && !slices.Contains(strs, s) {
			t.Errorf("subject %q missing from %q", s, strs)
		}
		if html == "" && strs[len(strs)-1] != Text(text) {
			t.Errorf("message = %q, want %q", strs[len(strs)-1], Text(text))
		}
		if sievec != "" {
			compile(t, sievec, script)
		}
	})
}

// A minimal RFC 5228 section 8 lexer, to see a script as its tokens.

type tokKind int

const (
	tokIdent tokKind = iota
	tokTag
	tokNumber
	tokString
	tokPunct
)

type token struct {
	kind tokKind
	text string // the decoded value of a string
}

func lex(s string) ([]token, error) {
	var out []token
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\r' || c == '\n':
			i++
		case c == '#':
			j := strings.Index(s[i:], "\r\n")
			if j < 0 {
				return nil, fmt.Errorf("comment at %d without CRLF", i)
			}
			i += j + 2
		case strings.HasPrefix(s[i:], "/*"):
			j := strings.Index(s[i+2:], "*/")
			if j < 0 {
				return nil, fmt.Errorf("unterminated bracket comment at %d", i)
			}
			i += j + 4
		case c == '"':
			var b strings.Builder
			j := i + 1
			for ; j < len(s) && s[j] != '"'; j++ {
				switch s[j] {
				case '\\':
					j++
					if j == len(s) {
						return nil, fmt.Errorf("string at %d ends in a backslash", i)
					}
				case 0:
					return nil, fmt.Errorf("NUL in the string at %d", i)
				case '\r':
					if j+1 == len(s) || s[j+1] != '\n' {
						return nil, fmt.Errorf("bare CR in the string at %d", i)
					}
				case '\n':
					if s[j-1] != '\r' {
						return nil, fmt.Errorf("bare LF in the string at %d", i)
					}
				}
				b.WriteByte(s[j])
			}
			if j == len(s) {
				return nil, fmt.Errorf("unterminated string at %d", i)
			}
			out = append(out, token{tokString, b.String()})
			i = j + 1
		case c == ':' || c == '_' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z':
			j := i + 1
			for j < len(s) && (s[j] == '_' || s[j] == '-' || 'a' <= s[j] && s[j] <= 'z' || 'A' <= s[j] && s[j] <= 'Z' || '0' <= s[j] && s[j] <= '9') {
				j++
			}
			kind := tokIdent
			if c == ':' {
				kind = tokTag
			}
			if s[i:j] == "text" && j < len(s) && s[j] == ':' {
				return nil, fmt.Errorf("multi-line string at %d", i)
			}
			out = append(out, token{kind, s[i:j]})
			i = j
		case '0' <= c && c <= '9':
			j := i
			for j < len(s) && '0' <= s[j] && s[j] <= '9' {
				j++
			}
			out = append(out, token{tokNumber, s[i:j]})
			i = j
		case strings.IndexByte(";,()[]{}", c) >= 0:
			out = append(out, token{tokPunct, string(c)})
			i++
		default:
			return nil, fmt.Errorf("unexpected %q at %d", c, i)
		}
	}
	return out, nil
}

// skeleton is the token sequence with every string's value left out.
func skeleton(toks []token) string {
	var b strings.Builder
	for _, t := range toks {
		if t.kind == tokString {
			b.WriteString(`"" `)
			continue
		}
		b.WriteString(t.text + " ")
	}
	return b.String()
}

func stringsOf(toks []token) []string {
	var out []string
	for _, t := range toks {
		if t.kind == tokString {
			out = append(out, t.text)
		}
	}
	return out
}
