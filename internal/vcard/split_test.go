package vcard

import (
	"bytes"
	"strings"
	"testing"
)

func joinCards(cards ...[]byte) []byte { return bytes.Join(cards, nil) }

func TestSplit(t *testing.T) {
	a := vcf("BEGIN:VCARD", "VERSION:3.0", "UID:a", "FN:Anna", "END:VCARD")
	b := vcf("BEGIN:VCARD", "VERSION:4.0", "UID:b", "FN:Bob", "END:VCARD")
	lf := []byte("BEGIN:VCARD\nVERSION:3.0\nUID:c\nFN:Carl\nNOTE:a long\n  note\nEND:VCARD\n")
	tests := []struct {
		name  string
		data  []byte
		parts [][]byte // each part's data
		uids  []string
		dups  int
	}{
		{"one card", a, [][]byte{a}, []string{"a"}, 0},
		{"cards keep their bytes", joinCards(a, b, lf), [][]byte{a, b, lf}, []string{"a", "b", "c"}, 0},
		{"a byte order mark, blank lines between cards, no final line end",
			[]byte("\uFEFF" + string(a) + "\r\n\r\n" + strings.TrimSuffix(string(b), "\r\n")),
			[][]byte{a, []byte(strings.TrimSuffix(string(b), "\r\n"))}, []string{"a", "b"}, 0},
		{"a card repeated byte for byte is dropped", joinCards(a, b, a, a), [][]byte{a, b}, []string{"a", "b"}, 2},
		{"a vCard 2.1 card that parses is left to validation",
			vcf("BEGIN:VCARD", "VERSION:2.1", "UID:x", "N:Doe;Jane", "END:VCARD"),
			[][]byte{vcf("BEGIN:VCARD", "VERSION:2.1", "UID:x", "N:Doe;Jane", "END:VCARD")}, []string{"x"}, 0},
		{"grouped UID", vcf("BEGIN:VCARD", "VERSION:3.0", "item1.UID:g", "FN:G", "END:VCARD"),
			[][]byte{vcf("BEGIN:VCARD", "VERSION:3.0", "item1.UID:g", "FN:G", "END:VCARD")}, []string{"g"}, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, err := Split(tc.data)
			if err != nil {
				t.Fatalf("Split: %v", err)
			}
			if len(res.Refused) > 0 {
				t.Fatalf("refused %+v", res.Refused)
			}
			if len(res.Parts) != len(tc.parts) {
				t.Fatalf("%d parts, want %d: %+v", len(res.Parts), len(tc.parts), res.Parts)
			}
			for i, p := range res.Parts {
				if !bytes.Equal(p.Data, tc.parts[i]) || p.UID != tc.uids[i] || p.UIDAssigned {
					t.Errorf("part %d = %s %q, want %s %q", i, p.UID, p.Data, tc.uids[i], tc.parts[i])
				}
			}
			if res.Duplicates != tc.dups {
				t.Errorf("duplicates = %d, want %d", res.Duplicates, tc.dups)
			}
		})
	}
}

// A card without a UID gets one from its content, the same in a later
// export with a new REV, and one that Validate accepts.
func TestSplit_DerivedUID(t *testing.T) {
	one := func(rev, fn string) Part {
		t.Helper()
		res, err := Split(vcf("BEGIN:VCARD", "VERSION:3.0", "REV:"+rev, "FN:"+fn, "END:VCARD"))
		if err != nil || len(res.Parts) != 1 {
			t.Fatalf("Split: %v, %+v", err, res)
		}
		p := res.Parts[0]
		if !p.UIDAssigned || !strings.HasPrefix(p.UID, "almanac-import-") {
			t.Fatalf("part %+v: no UID assigned", p)
		}
		info, err := Validate(p.Data)
		if err != nil || info.UID != p.UID {
			t.Fatalf("part validates as %+v, %v:\n%s", info, err, p.Data)
		}
		if want := "FN:" + fn + "\r\nUID:" + p.UID + "\r\nEND:VCARD\r\n"; !strings.HasSuffix(string(p.Data), want) {
			t.Errorf("part data %q, want the UID before END:VCARD", p.Data)
		}
		return p
	}
	a := one("20260101T000000Z", "Anna")
	if b := one("20260301T120000Z", "Anna"); b.UID != a.UID {
		t.Errorf("a new REV changed the UID: %s, %s", a.UID, b.UID)
	}
	if c := one("20260101T000000Z", "Bob"); c.UID == a.UID {
		t.Errorf("two cards got UID %s", a.UID)
	}
}

func TestSplit_Refused(t *testing.T) {
	good := vcf("BEGIN:VCARD", "VERSION:3.0", "UID:ok", "FN:OK", "END:VCARD")
	tests := []struct {
		name string
		data []byte
		want []Refusal
		ok   []string
	}{
		{"a line that does not parse, counted in the file",
			joinCards(good, vcf("BEGIN:VCARD", "VERSION:3.0", "UID:x", `TEL;TYPE="a"b:1`, "END:VCARD")),
			[]Refusal{{Line: 6, UID: "x", Reason: `line 9: property TEL: parameter TYPE: unexpected 'b' after a quoted value`}},
			[]string{"ok"}},
		{"vCard 2.1 quoted-printable is refused for its version",
			joinCards(vcf("BEGIN:VCARD", "VERSION:2.1", "N;ENCODING=QUOTED-PRINTABLE:a=", "b", "END:VCARD"), good),
			[]Refusal{{Line: 1, Reason: "vCard 2.1 is not supported; send vCard 3.0 (RFC 2426) or 4.0 (RFC 6350)"}},
			[]string{"ok"}},
		{"invalid UTF-8", vcf("BEGIN:VCARD", "VERSION:4.0", "UID:u", "FN:caf\xe9", "END:VCARD"),
			[]Refusal{{Line: 1, UID: "u", Reason: "line 4: not valid UTF-8"}}, nil},
		{"one UID on different cards refuses them all",
			joinCards(vcf("BEGIN:VCARD", "VERSION:3.0", "UID:d", "FN:One", "END:VCARD"), good,
				vcf("BEGIN:VCARD", "VERSION:3.0", "UID:d", "FN:Two", "END:VCARD")),
			[]Refusal{
				{Line: 1, UID: "d", Reason: `UID "d" is used by 2 different vCards of the file (lines 1, 11); only one may have it`},
				{Line: 11, UID: "d", Reason: `UID "d" is used by 2 different vCards of the file (lines 1, 11); only one may have it`}},
			[]string{"ok"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, err := Split(tc.data)
			if err != nil {
				t.Fatalf("Split: %v", err)
			}
			if len(res.Refused) != len(tc.want) {
				t.Fatalf("refused %+v, want %+v", res.Refused, tc.want)
			}
			for i, r := range res.Refused {
				if r != tc.want[i] {
					t.Errorf("refused %+v\n           want %+v", r, tc.want[i])
				}
			}
			var uids []string
			for _, p := range res.Parts {
				uids = append(uids, p.UID)
			}
			if strings.Join(uids, ",") != strings.Join(tc.ok, ",") {
				t.Errorf("parts %v, want %v", uids, tc.ok)
			}
		})
	}
}

func TestSplit_NotVCard(t *testing.T) {
	tests := []struct{ name, data, want string }{
		{"empty", "", "the file holds no vCard (BEGIN:VCARD)"},
		{"text", "hello\n", `line 1: content line "hello" has no colon`},
		{"iCalendar", "BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n", `line 1: a vCard file holds vCards (BEGIN:VCARD), not "BEGIN:VCALENDAR"`},
		{"cut short", "BEGIN:VCARD\r\nVERSION:3.0\r\n", "line 2: the file ends before the END:VCARD of the vCard that begins on line 1"},
		{"nested", "BEGIN:VCARD\r\nBEGIN:VCARD\r\n", `line 2: BEGIN:"VCARD" inside the vCard that begins on line 1; nested vCards are not supported`},
		{"wrong END", "BEGIN:VCARD\r\nEND:VCALENDAR\r\n", `line 2: END:"VCALENDAR" does not close the BEGIN:VCARD of line 1`},
		{"junk between cards", "BEGIN:VCARD\r\nEND:VCARD\r\nX:y\r\n", `line 3: a vCard file holds vCards (BEGIN:VCARD), not "X:y"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, err := Split([]byte(tc.data))
			ve, ok := err.(*ValidationError)
			if !ok {
				t.Fatalf("Split = %+v, %v; want a *ValidationError", res, err)
			}
			if ve.Reason != tc.want {
				t.Errorf("reason %q\n  want %q", ve.Reason, tc.want)
			}
		})
	}
}

// FuzzSplit: Split never panics; every card it cuts parses as exactly
// one vCard whose first UID is the part's, and no two parts share a UID.
func FuzzSplit(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	f.Add(joinCards(card3(), card4("REV:1"), []byte("BEGIN:VCARD\nFN:no uid\nEND:VCARD\n"), card3()))
	f.Fuzz(func(t *testing.T, data []byte) {
		res, err := Split(data)
		if err != nil {
			if _, ok := err.(*ValidationError); !ok {
				t.Fatalf("error of type %T: %v", err, err)
			}
			return
		}
		seen := map[string]bool{}
		for _, p := range res.Parts {
			if strings.TrimSpace(p.UID) != "" && seen[p.UID] {
				t.Fatalf("two parts of UID %q", p.UID)
			}
			seen[p.UID] = true
			c, err := Parse(p.Data)
			if err != nil {
				if len(p.Data) > MaxSize {
					continue
				}
				t.Fatalf("part %q does not parse: %v\n%q", p.UID, err, p.Data)
			}
			if uid := c.Get("UID"); uid == nil || uid.Value != p.UID {
				t.Fatalf("part %q parses with UID %v", p.UID, uid)
			}
		}
	})
}
