package vcard

import (
	"errors"
	"strings"
	"testing"
)

func TestValidate_Valid(t *testing.T) {
	tests := []struct {
		name string
		data []byte
		want Info
	}{
		{"3.0", card3("EMAIL;TYPE=INTERNET:jane@example.com"), Info{UID: "u1", Version: "3.0", Kind: "individual", FN: "Jane Doe"}},
		{"4.0", card4("EMAIL;TYPE=work:jane@example.com"), Info{UID: "u1", Version: "4.0", Kind: "individual", FN: "Jane Doe"}},
		{"3.0 without N", vcf("BEGIN:VCARD", "VERSION:3.0", "FN:Jane", "UID:u", "END:VCARD"), Info{UID: "u", Version: "3.0", Kind: "individual", FN: "Jane"}},
		{"empty FN", vcf("BEGIN:VCARD", "VERSION:4.0", "FN:", "ORG:Example Inc.", "UID:u", "END:VCARD"), Info{UID: "u", Version: "4.0", Kind: "individual"}},
		{"FN unescaped, first wins", vcf("BEGIN:VCARD", "VERSION:4.0", `FN:Doe\, Jane`, "FN;LANGUAGE=ja:ジェーン", "UID:u", "END:VCARD"), Info{UID: "u", Version: "4.0", Kind: "individual", FN: "Doe, Jane"}},
		{"VERSION last, spaces", vcf("BEGIN:VCARD", "FN:x", "UID:urn:uuid:1", "VERSION: 4.0 ", "END:VCARD"), Info{UID: "urn:uuid:1", Version: "4.0", Kind: "individual", FN: "x"}},
		{"KIND", card4("KIND:Group", "MEMBER:urn:uuid:2"), Info{UID: "u1", Version: "4.0", Kind: "group", FN: "Jane Doe"}},
		{"Apple KIND", card3("X-ADDRESSBOOKSERVER-KIND:group"), Info{UID: "u1", Version: "3.0", Kind: "group", FN: "Jane Doe"}},
		{"KIND wins over Apple's", card4("X-ADDRESSBOOKSERVER-KIND:group", "KIND:org"), Info{UID: "u1", Version: "4.0", Kind: "org", FN: "Jane Doe"}},
		{"grouped props", card3("item1.EMAIL:a@b", "item1.X-ABLabel:work"), Info{UID: "u1", Version: "3.0", Kind: "individual", FN: "Jane Doe"}},
		{"LF only", []byte("BEGIN:VCARD\nVERSION:3.0\nFN:A\nUID:u\nEND:VCARD\n"), Info{UID: "u", Version: "3.0", Kind: "individual", FN: "A"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			info, err := Validate(tt.data)
			if err != nil {
				t.Fatal(err)
			}
			if *info != tt.want {
				t.Errorf("got %+v, want %+v", *info, tt.want)
			}
		})
	}
}

func TestValidate_Invalid(t *testing.T) {
	tests := []struct {
		name   string
		data   []byte
		kind   ErrorKind
		reason string
	}{
		{"no VERSION", vcf("BEGIN:VCARD", "FN:a", "UID:u", "END:VCARD"), InvalidData, "no VERSION"},
		{"two VERSIONs", vcf("BEGIN:VCARD", "VERSION:3.0", "VERSION:3.0", "FN:a", "UID:u", "END:VCARD"), InvalidData, "2 VERSION properties"},
		{"2.1", vcf("BEGIN:VCARD", "VERSION:2.1", "FN:a", "UID:u", "END:VCARD"), UnsupportedData, "vCard 2.1 is not supported; send vCard 3.0 (RFC 2426) or 4.0 (RFC 6350)"},
		{"2.1 quoted-printable", vcf("BEGIN:VCARD", "VERSION:2.1", "N;ENCODING=QUOTED-PRINTABLE:D=C3=B6e;J=", "ane", "FN:a", "END:VCARD"), UnsupportedData, "vCard 2.1 is not supported"},
		{"4.1", vcf("BEGIN:VCARD", "VERSION:4.1", "FN:a", "UID:u", "END:VCARD"), UnsupportedData, `VERSION "4.1" is not supported`},
		{"no UID", vcf("BEGIN:VCARD", "VERSION:4.0", "FN:a", "END:VCARD"), InvalidData, "no UID; an address object resource needs one so that duplicates can be detected (RFC 6352 section 5.1)"},
		{"empty UID", vcf("BEGIN:VCARD", "VERSION:4.0", "FN:a", "UID: ", "END:VCARD"), InvalidData, "no UID"},
		{"two UIDs", card4("UID:u2"), InvalidData, "2 UID properties"},
		{"no FN 4.0", vcf("BEGIN:VCARD", "VERSION:4.0", "N:Doe;Jane;;;", "UID:u", "END:VCARD"), InvalidData, "no FN property, which vCard 4.0 requires (RFC 6350 section 6.2.1)"},
		{"no FN 3.0", vcf("BEGIN:VCARD", "VERSION:3.0", "N:Doe;Jane;;;", "UID:u", "END:VCARD"), InvalidData, "RFC 2426 section 3.1.1"},
		{"parse error", vcf("BEGIN:VCARD", "VERSION:3.0", `FN;X="a:b`, "END:VCARD"), InvalidData, "line 3: property FN: parameter X: unterminated quoted string"},
		{"3.0 parse error stays", vcf("BEGIN:VCARD", "VERSION:3.0", "bad line", "END:VCARD"), InvalidData, "has no colon"},
		{"two cards", append(card4(), card4()...), InvalidData, "exactly one vCard"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Validate(tt.data)
			var ve *ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("error %v (%T)", err, err)
			}
			if ve.Kind != tt.kind || !strings.Contains(ve.Reason, tt.reason) {
				t.Errorf("got %v %q, want %v containing %q", ve.Kind, ve.Reason, tt.kind, tt.reason)
			}
		})
	}
}

func TestErrorKind_Precondition(t *testing.T) {
	for k, want := range map[ErrorKind]string{
		InvalidData:     "valid-address-data",
		UnsupportedData: "supported-address-data",
		TooLarge:        "max-resource-size",
	} {
		if k.Precondition() != want || k.String() != want {
			t.Errorf("%d: %q", k, k.Precondition())
		}
	}
}

func TestQuote_Truncates(t *testing.T) {
	_, err := Validate(vcf("BEGIN:VCARD", "VERSION:"+strings.Repeat("é", 100), "END:VCARD"))
	if err == nil || len(err.Error()) > 200 || !strings.Contains(err.Error(), "…") {
		t.Errorf("reason not cut short: %v", err)
	}
}
