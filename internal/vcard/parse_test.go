package vcard

import (
	"bytes"
	"errors"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
)

// vcf joins lines with CRLF and ends the last one.
func vcf(lines ...string) []byte {
	return []byte(strings.Join(lines, "\r\n") + "\r\n")
}

// card3 and card4 wrap properties in a minimal valid card of that version.
func card3(lines ...string) []byte {
	return vcf(append(append([]string{"BEGIN:VCARD", "VERSION:3.0", "UID:u1", "FN:Jane Doe", "N:Doe;Jane;;;"}, lines...), "END:VCARD")...)
}

func card4(lines ...string) []byte {
	return vcf(append(append([]string{"BEGIN:VCARD", "VERSION:4.0", "UID:u1", "FN:Jane Doe"}, lines...), "END:VCARD")...)
}

func mustParse(t *testing.T, data []byte) *Card {
	t.Helper()
	c, err := Parse(data)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return c
}

func TestParse_ContentLines(t *testing.T) {
	tests := []struct {
		name, line string
		want       Prop
	}{
		{"plain", "FN:Jane Doe", Prop{Name: "FN", Value: "Jane Doe"}},
		{"lower-case name", "fn:Jane", Prop{Name: "FN", Value: "Jane"}},
		{"group", "item1.EMAIL;TYPE=INTERNET:j@example.com", Prop{Group: "item1", Name: "EMAIL", Params: []Param{{"TYPE", []string{"INTERNET"}}}, Value: "j@example.com"}},
		{"value keeps colons and escapes", `NOTE:a:b\, c\;d\n`, Prop{Name: "NOTE", Value: `a:b\, c\;d\n`}},
		{"structured", "N:Doe;Jane;;Dr.;", Prop{Name: "N", Value: "Doe;Jane;;Dr.;"}},
		{"list param", "TEL;TYPE=WORK,VOICE:+1", Prop{Name: "TEL", Params: []Param{{"TYPE", []string{"WORK", "VOICE"}}}, Value: "+1"}},
		{"repeated param", "TEL;type=WORK;type=pref:+1", Prop{Name: "TEL", Params: []Param{{"TYPE", []string{"WORK"}}, {"TYPE", []string{"pref"}}}, Value: "+1"}},
		{"quoted param", `ADR;LABEL="1 Main St., Town; Land: X";TYPE=home:;;1 Main St.;Town;;;`, Prop{Name: "ADR", Params: []Param{{"LABEL", []string{"1 Main St., Town; Land: X"}}, {"TYPE", []string{"home"}}}, Value: ";;1 Main St.;Town;;;"}},
		{"quoted and plain values", `X-A;P="a,b",c:v`, Prop{Name: "X-A", Params: []Param{{"P", []string{"a,b", "c"}}}, Value: "v"}},
		{"empty param value", "X-A;P=:v", Prop{Name: "X-A", Params: []Param{{"P", []string{""}}}, Value: "v"}},
		{"caret escapes decoded (RFC 6868 3)", `ADR;LABEL="a^nb ^'q^' ^^ ^x":;;`, Prop{Name: "ADR", Params: []Param{{"LABEL", []string{"a\nb \"q\" ^ ^x"}}}, Value: ";;"}},
		{"bare param is TYPE", "TEL;CELL;VOICE:+1", Prop{Name: "TEL", Params: []Param{{"TYPE", []string{"CELL"}}, {"TYPE", []string{"VOICE"}}}, Value: "+1"}},
		{"empty value", "NOTE:", Prop{Name: "NOTE", Value: ""}},
		{"tab in value", "NOTE:a\tb", Prop{Name: "NOTE", Value: "a\tb"}},
		{"x-name with underscore", "X-MS_OL:1", Prop{Name: "X-MS_OL", Value: "1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := mustParse(t, vcf("BEGIN:VCARD", tt.line, "END:VCARD"))
			if len(c.Props) != 1 {
				t.Fatalf("%d props", len(c.Props))
			}
			got := *c.Props[0]
			tt.want.Raw, tt.want.Line = tt.line, 2
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %#v\nwant %#v", got, tt.want)
			}
		})
	}
}

func TestParse_Lines(t *testing.T) {
	tests := []struct {
		name string
		data string
		want []string // Name=Value of each prop
	}{
		{"CRLF", "BEGIN:VCARD\r\nFN:A\r\nEND:VCARD\r\n", []string{"FN=A"}},
		{"bare LF", "BEGIN:VCARD\nFN:A\nEND:VCARD\n", []string{"FN=A"}},
		{"no final line end", "BEGIN:VCARD\r\nFN:A\r\nEND:VCARD", []string{"FN=A"}},
		{"final CR only", "BEGIN:VCARD\r\nFN:A\r\nEND:VCARD\r", []string{"FN=A"}},
		{"fold with space", "BEGIN:VCARD\r\nNOTE:ab\r\n cd\r\nEND:VCARD\r\n", []string{"NOTE=abcd"}},
		{"fold with tab", "BEGIN:VCARD\r\nNOTE:ab\r\n\tcd\r\nEND:VCARD\r\n", []string{"NOTE=abcd"}},
		{"fold removes one space only", "BEGIN:VCARD\r\nNOTE:ab\r\n  cd\r\nEND:VCARD\r\n", []string{"NOTE=ab cd"}},
		{"fold inside name and params", "BEGIN:VCARD\r\nTE\r\n L;TY\r\n PE=work:1\r\nEND:VCARD\r\n", []string{"TEL=1"}},
		{"fold splitting UTF-8", "BEGIN:VCARD\r\nFN:Z\xc3\r\n \xabe\r\nEND:VCARD\r\n", []string{"FN=Zëe"}},
		{"blank lines skipped", "\r\n \t\r\nBEGIN:VCARD\r\n\r\nFN:A\r\n\r\nEND:VCARD\r\n\r\n \t\r\n", []string{"FN=A"}},
		{"whitespace line is a fold", "BEGIN:VCARD\r\nFN:A\r\n   \r\nEND:VCARD\r\n", []string{"FN=A  "}},
		{"lower-case begin/end", "begin:vcard\r\nFN:A\r\nend:vcard\r\n", []string{"FN=A"}},
		{"3.0 folded base64 photo", "BEGIN:VCARD\r\nPHOTO;ENCODING=b;TYPE=JPEG:/9j/4AAQ\r\n SkZJRg==\r\nEND:VCARD\r\n", []string{"PHOTO=/9j/4AAQSkZJRg=="}},
		{"BASE64 photo with indented lines", "BEGIN:VCARD\r\nPHOTO;ENCODING=BASE64;JPEG:\r\n  /9j/4AAQ\r\n  SkZJRg==\r\nEND:VCARD\r\n", []string{"PHOTO= /9j/4AAQ SkZJRg=="}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := mustParse(t, []byte(tt.data))
			var got []string
			for _, p := range c.Props {
				got = append(got, p.Name+"="+p.Value)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestParse_LineNumbers(t *testing.T) {
	c := mustParse(t, []byte("BEGIN:VCARD\r\nNOTE:a\r\n b\r\nFN:x\r\nEND:VCARD\r\n"))
	if c.Props[0].Line != 2 || c.Props[1].Line != 4 {
		t.Errorf("lines %d, %d; want 2, 4", c.Props[0].Line, c.Props[1].Line)
	}
}

func TestParse_Errors(t *testing.T) {
	tests := []struct {
		name, data, reason string
	}{
		{"empty", "", "vCard data is empty"},
		{"whitespace", " \r\n\r\n", "vCard data is empty"},
		{"invalid UTF-8", "BEGIN:VCARD\r\nFN:ok\r\nFN:\xff\r\nEND:VCARD\r\n", "line 3: vCard data is not valid UTF-8"},
		{"invalid UTF-8 before BEGIN", "\xc3\r\nBEGIN:VCARD\r\nEND:VCARD\r\n", "line 1: vCard data is not valid UTF-8"},
		{"truncated sequence at a fold", "BEGIN:VCARD\r\nFN:Z\xc3\r\n e\r\nEND:VCARD\r\n", "line 2: vCard data is not valid UTF-8"},
		{"invalid UTF-8 after END", "BEGIN:VCARD\r\nEND:VCARD\r\n\xff", "data after END:VCARD"},
		{"control character", "BEGIN:VCARD\r\nFN:a\x00b\r\nEND:VCARD\r\n", "line 2: control character"},
		{"bare CR inside a line", "BEGIN:VCARD\r\nFN:a\rb\r\nEND:VCARD\r\n", "line 2: control character"},
		{"DEL", "BEGIN:VCARD\r\nFN:a\x7f\r\nEND:VCARD\r\n", "control character"},
		{"no BEGIN", "FN:a\r\nEND:VCARD\r\n", "line 1: vCard data must start with BEGIN:VCARD"},
		{"END first", "END:VCARD\r\n", "line 1: vCard data must start with BEGIN:VCARD"},
		{"calendar", "BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n", `must start with BEGIN:VCARD, not BEGIN:"VCALENDAR"`},
		{"nested vCard", "BEGIN:VCARD\r\nBEGIN:VCARD\r\nEND:VCARD\r\nEND:VCARD\r\n", "line 2: BEGIN:VCARD inside a vCard"},
		{"component inside", "BEGIN:VCARD\r\nBEGIN:X\r\nEND:X\r\nEND:VCARD\r\n", `line 2: BEGIN:"X" inside a vCard`},
		{"END of other", "BEGIN:VCARD\r\nEND:VCALENDAR\r\n", `line 2: END:"VCALENDAR" does not close BEGIN:VCARD`},
		{"two vCards", "BEGIN:VCARD\r\nFN:a\r\nEND:VCARD\r\nBEGIN:VCARD\r\nFN:b\r\nEND:VCARD\r\n", "line 4: data after END:VCARD"},
		{"junk after", "BEGIN:VCARD\r\nEND:VCARD\r\n\r\nx", "line 4: data after END:VCARD"},
		{"no END", "BEGIN:VCARD\r\nFN:a\r\n", "line 2: vCard data ends before END:VCARD"},
		{"BEGIN with param", "BEGIN;X=1:VCARD\r\nEND:VCARD\r\n", "BEGIN must have no group or parameters"},
		{"grouped END", "BEGIN:VCARD\r\nx.END:VCARD\r\n", "END must have no group or parameters"},
		{"no colon", "BEGIN:VCARD\r\nFN Jane\r\nEND:VCARD\r\n", `line 2: content line "FN Jane" has no colon`},
		{"continuation first", " FN:a\r\nBEGIN:VCARD\r\nEND:VCARD\r\n", "line 1: invalid property name"},
		{"bad name", "BEGIN:VCARD\r\nF N:a\r\nEND:VCARD\r\n", `invalid property name "F N"`},
		{"empty name", "BEGIN:VCARD\r\n:a\r\nEND:VCARD\r\n", "invalid property name"},
		{"two groups", "BEGIN:VCARD\r\na.b.EMAIL:x\r\nEND:VCARD\r\n", `invalid property name "b.EMAIL"`},
		{"empty group", "BEGIN:VCARD\r\n.EMAIL:x\r\nEND:VCARD\r\n", "invalid group name"},
		{"bad param name", "BEGIN:VCARD\r\nTEL;T YPE=x:1\r\nEND:VCARD\r\n", "invalid parameter name"},
		{"empty param name", "BEGIN:VCARD\r\nTEL;=x:1\r\nEND:VCARD\r\n", "invalid parameter name"},
		{"line ends in param", "BEGIN:VCARD\r\nTEL;TYPE=x\r\nEND:VCARD\r\n", "line ends inside parameter TYPE"},
		{"line ends in bare param", "BEGIN:VCARD\r\nTEL;CELL\r\nEND:VCARD\r\n", "line ends inside a parameter"},
		{"unterminated quote", "BEGIN:VCARD\r\nTEL;TYPE=\"x:1\r\nEND:VCARD\r\n", "unterminated quoted string"},
		{"quote inside value", "BEGIN:VCARD\r\nTEL;TYPE=a\"b\":1\r\nEND:VCARD\r\n", "double quote inside an unquoted value"},
		{"text after quote", "BEGIN:VCARD\r\nTEL;TYPE=\"a\"b:1\r\nEND:VCARD\r\n", `unexpected 'b' after a quoted value`},
		{"quote in param name", "BEGIN:VCARD\r\nTEL;\"x\"=a:1\r\nEND:VCARD\r\n", "invalid parameter name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.data))
			var ve *ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("error %v (%T), want a *ValidationError", err, err)
			}
			if ve.Kind != InvalidData || !strings.Contains(ve.Reason, tt.reason) {
				t.Errorf("got %v %q, want valid-address-data containing %q", ve.Kind, ve.Reason, tt.reason)
			}
		})
	}
}

func TestParse_MaxSize(t *testing.T) {
	defer func(n int) { MaxSize = n }(MaxSize)
	data := card4("NOTE:" + strings.Repeat("x", 100))
	MaxSize = len(data)
	if _, err := Parse(data); err != nil {
		t.Fatalf("at the limit: %v", err)
	}
	MaxSize = len(data) - 1
	_, err := Parse(data)
	var ve *ValidationError
	if !errors.As(err, &ve) || ve.Kind != TooLarge || ve.Kind.Precondition() != "max-resource-size" {
		t.Fatalf("over the limit: %v", err)
	}
	MaxSize = 0
	if _, err := Parse(data); err != nil {
		t.Fatalf("no cap: %v", err)
	}
}

func TestProp_Text(t *testing.T) {
	tests := []struct{ value, want string }{
		{"plain", "plain"},
		{`a\, b\; c\\d`, `a, b; c\d`},
		{`line1\nline2\Nline3`, "line1\nline2\nline3"},
		{`keep \x and trailing \`, `keep \x and trailing \`},
		{`\\n`, `\n`},
	}
	for _, tt := range tests {
		if got := (&Prop{Value: tt.value}).Text(); got != tt.want {
			t.Errorf("Text(%q) = %q, want %q", tt.value, got, tt.want)
		}
	}
}

func TestCard_Lookup(t *testing.T) {
	c := mustParse(t, card4("item1.EMAIL;type=work;TYPE=pref:a@example.com", "EMAIL:b@example.com"))
	if got := c.All("email"); len(got) != 2 || got[0].Group != "item1" {
		t.Errorf("All(email) = %v", got)
	}
	if p := c.Get("Email"); p == nil || p.Value != "a@example.com" {
		t.Errorf("Get = %v", p)
	}
	if c.Get("TEL") != nil {
		t.Error("Get(TEL) found something")
	}
	if got := c.Get("EMAIL").Param("type"); !reflect.DeepEqual(got, []string{"work", "pref"}) {
		t.Errorf("Param(type) = %q", got)
	}
	if c.Version() != "4.0" {
		t.Errorf("Version = %q", c.Version())
	}
	if !Structured("adr") || Structured("FN") {
		t.Error("Structured")
	}
}

// TestEncode_Folding: no physical line exceeds 75 octets, no UTF-8
// sequence is split, and the output unfolds to the same properties.
func TestEncode_Folding(t *testing.T) {
	long := strings.Repeat("ä€𝄞x", 40) // 2-, 3- and 4-byte runes
	c := &Card{Props: []*Prop{
		{Name: "VERSION", Value: "4.0"},
		{Name: "NOTE", Value: long},
		{Group: "item1", Name: "X-LABEL", Params: []Param{{"P", []string{"a:b", "c"}}, {"Q", []string{`x"y` + "\n"}}}, Value: "v"},
		{Name: "FN", Value: strings.Repeat("a", 75)},
		{Name: "UID", Value: strings.Repeat("b", 72)}, // exactly 76 octets with "UID:"
	}}
	out := c.Encode()
	if !bytes.HasPrefix(out, []byte("BEGIN:VCARD\r\n")) || !bytes.HasSuffix(out, []byte("END:VCARD\r\n")) {
		t.Fatalf("frame: %q", out)
	}
	for i, line := range strings.Split(strings.TrimSuffix(string(out), "\r\n"), "\r\n") {
		if len(line) > 75 {
			t.Errorf("line %d has %d octets", i+1, len(line))
		}
		if !utf8.ValidString(line) {
			t.Errorf("line %d splits a UTF-8 sequence: %q", i+1, line)
		}
		if strings.ContainsAny(line, "\r\n") {
			t.Errorf("line %d has a bare line break", i+1)
		}
	}
	back := mustParse(t, out)
	if len(back.Props) != len(c.Props) {
		t.Fatalf("%d props back", len(back.Props))
	}
	if back.Props[1].Value != long {
		t.Errorf("long value changed")
	}
	want := []Param{{"P", []string{"a:b", "c"}}, {"Q", []string{"x\"y\n"}}}
	if p := back.Props[2]; p.Group != "item1" || !reflect.DeepEqual(p.Params, want) {
		t.Errorf("params back: %q %#v", p.Group, p.Params)
	}
	if back.Props[4].Value != strings.Repeat("b", 72) {
		t.Error("76-octet line")
	}
}

// TestEncode_Raw: untouched lines are written as received.
func TestEncode_Raw(t *testing.T) {
	in := "BEGIN:VCARD\r\nversion:4.0\r\nitem1.email;type=\"work\":a@b\r\nEND:VCARD\r\n"
	if got := string(mustParse(t, []byte(in)).Encode()); got != in {
		t.Errorf("got %q, want %q", got, in)
	}
}
