package vcard

import (
	"bytes"
	"reflect"
	"strings"
	"testing"
)

// Regression tests for real-world defects the parser must tolerate while
// the client's bytes are stored as sent: a byte order mark, bare LF line
// ends and RFC 6868 parameter encoding.

const bom = "\uFEFF"

// TestParse_ByteOrderMark: RFC 6350 3.1 makes vCard UTF-8 and says nothing
// of a BOM; RFC 3629 6 reads a leading U+FEFF as a signature. Android's
// and Outlook's .vcf exports start with one and sabre/vobject strips it
// (sabre-io/vobject#175). The card reads as it would without.
func TestParse_ByteOrderMark(t *testing.T) {
	plain := card3("TEL;TYPE=WORK,VOICE:+1-555-0100", "EMAIL;TYPE=INTERNET:jane@example.com")
	withBOM := append([]byte(bom), plain...)
	want := mustParse(t, plain)
	got, err := Parse(withBOM)
	if err != nil {
		t.Fatalf("Parse with a BOM: %v", err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Parse with a BOM = %#v, want %#v", got, want)
	}
	info, err := Validate(withBOM)
	if err != nil || info.UID != "u1" || info.Version != Version3 || info.FN != "Jane Doe" {
		t.Fatalf("Validate with a BOM = %+v, %v", info, err)
	}
	// Conversion writes a new card: no BOM, CRLF.
	out, err := Convert(withBOM, Version4)
	if err != nil {
		t.Fatalf("Convert: %v", err)
	}
	if !bytes.HasPrefix(out, []byte("BEGIN:VCARD\r\nVERSION:4.0\r\n")) || !bytes.Contains(out, []byte("TEL;TYPE=work,voice:+1-555-0100\r\n")) {
		t.Errorf("Convert with a BOM = %q", out)
	}
	for _, bad := range [][]byte{
		append([]byte(bom+bom), plain...),
		[]byte("BEGIN:VCARD\r\n" + bom + "VERSION:3.0\r\nEND:VCARD\r\n"),
		append([]byte{0xFE, 0xFF}, plain...),
	} {
		if _, err := Parse(bad); err == nil {
			t.Errorf("Parse(%q) accepted", bad[:20])
		}
	}
}

// TestParse_BareLF: RFC 6350 3.2 ends lines with CRLF; LF-only cards (from
// scripts, Unix tools, some Android exporters) read the same, folds
// included, and converted output is CRLF.
func TestParse_BareLF(t *testing.T) {
	crlf := card3("NOTE:a long", "  folded note", `TEL;TYPE="WORK,VOICE":+1`)
	lf := []byte(strings.ReplaceAll(string(crlf), "\r\n", "\n"))
	want := mustParse(t, crlf)
	got := mustParse(t, lf)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("LF card = %#v, want %#v", got, want)
	}
	if _, err := Validate(lf); err != nil {
		t.Errorf("Validate LF card: %v", err)
	}
	out, err := Convert(lf, Version4)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(strings.ReplaceAll(string(out), "\r\n", ""), "\n") {
		t.Errorf("converted LF card has bare LFs: %q", out)
	}
	if !bytes.Contains(out, []byte("NOTE:a long folded note\r\n")) {
		t.Errorf("converted LF card lost the fold: %q", out)
	}
}

// TestConvert_RFC6868: parameter values are decoded once at Parse (RFC
// 6868 3), so a conversion that rewrites a line (TYPE merging and case,
// RFC 6350 5.6 / RFC 2426 3.3.1) writes them encoded again and the meaning
// survives both ways; lines no rule touches keep their spelling.
func TestConvert_RFC6868(t *testing.T) {
	in := card4(
		`TEL;TYPE=work,voice;X-NOTE="call ^'Bob^'^nafter 5, ^^ ^x":+1`,
		`ADR;LABEL="Pittsburgh Pirates^n115 Federal St^nPittsburgh, PA 15212";TYPE=work:;;115 Federal St;Pittsburgh;PA;15212;`,
		`EMAIL;X-NOTE=^'a^':j@example.com`,
	)
	card := mustParse(t, in)
	if got := card.Get("TEL").Param("X-NOTE"); len(got) != 1 || got[0] != "call \"Bob\"\nafter 5, ^ ^x" {
		t.Fatalf("TEL X-NOTE = %q", got)
	}
	three, err := Convert(in, Version3)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		// Rewritten lines: decoded, then encoded (a lone caret is written
		// as ^^, which reads back the same).
		`TEL;TYPE=WORK,VOICE;X-NOTE="call ^'Bob^'^nafter 5, ^^ ^^x":+1`,
		`ADR;LABEL="Pittsburgh Pirates^n115 Federal St^nPittsburgh, PA 15212";TYPE=WORK:`,
		// Untouched line: as stored.
		`EMAIL;X-NOTE=^'a^':j@example.com`,
	} {
		if !strings.Contains(strings.ReplaceAll(string(three), "\r\n ", ""), want) {
			t.Errorf("3.0 lacks %q:\n%s", want, three)
		}
	}
	back, err := Convert(three, Version4)
	if err != nil {
		t.Fatal(err)
	}
	a, b := mustParse(t, in), mustParse(t, back)
	for _, name := range []string{"TEL", "ADR", "EMAIL"} {
		for _, param := range []string{"X-NOTE", "LABEL", "TYPE"} {
			if x, y := a.Get(name).Param(param), b.Get(name).Param(param); !reflect.DeepEqual(x, y) {
				t.Errorf("%s %s after 4.0 → 3.0 → 4.0: %q, want %q", name, param, y, x)
			}
		}
	}
}
