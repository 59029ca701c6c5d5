package vcard

import (
	"bytes"
	"errors"
	"reflect"
	"strings"
	"testing"
)

var fuzzSeeds = [][]byte{
	appleCard,
	card3("TEL;TYPE=WORK,VOICE,pref:+1", "item1.EMAIL;type=INTERNET;type=pref:a@b", "X-ADDRESSBOOKSERVER-KIND:group", "X-ADDRESSBOOKSERVER-MEMBER:urn:uuid:1", "BDAY:--04-15"),
	card3("PHOTO;ENCODING=b:iVBORw0KGgoAAAANSUhEUg==", "LOGO;VALUE=uri;TYPE=GIF:https://x/l.gif", "KEY;ENCODING=b;TYPE=X509:MIIB", "BDAY;X-APPLE-OMIT-YEAR=1604:1604-02-29"),
	card4("KIND:group", "MEMBER:urn:uuid:a", "TEL;VALUE=uri;TYPE=cell;PREF=1:tel:+1", "PHOTO:data:image/png,%89PNG", "BDAY:19531015T231000Z", "EMAIL;PREF=2;TYPE=\"work,home\":x@y"),
	card4(`ADR;LABEL="a^nb, c";TYPE=home:;;1 Main St;Town;;;`, "LOGO;MEDIATYPE=image/svg+xml:https://x/l.svg", "NOTE:"+strings.Repeat("ü€", 50)),
	[]byte("BEGIN:VCARD\nVERSION:2.1\nN;ENCODING=QUOTED-PRINTABLE:a=\nb\nEND:VCARD\n"),
	[]byte("\xEF\xBB\xBFBEGIN:VCARD\r\nEND:VCARD\r\n"),
	[]byte("\xEF\xBB\xBFBEGIN:VCARD\nVERSION:3.0\nUID:u\nFN:x\nTEL;TYPE=\"^'main^'\",^^x,VOICE:+1\nEND:VCARD\n"),
	[]byte("BEGIN:VCARD\r\nX;P=\"a\"b:v\r\nX;P\r\nEND:VCARD\r\n"),
}

// FuzzParse: Parse never panics and fails only with *ValidationError; what
// it accepts, Encode writes in lines of at most 75 octets that parse back
// to the same properties.
func FuzzParse(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse(data)
		if err != nil {
			var ve *ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("error of type %T: %v", err, err)
			}
			return
		}
		out := c.Encode()
		checkLines(t, out)
		back, err := Parse(out)
		if err != nil {
			t.Fatalf("encoded card does not parse: %v\n%q", err, out)
		}
		if len(back.Props) != len(c.Props) {
			t.Fatalf("%d props back, want %d", len(back.Props), len(c.Props))
		}
		for i, p := range c.Props {
			q := back.Props[i]
			if p.Group != q.Group || p.Name != q.Name || p.Value != q.Value || p.Raw != q.Raw || !reflect.DeepEqual(p.Params, q.Params) {
				t.Fatalf("prop %d: %#v became %#v", i, p, q)
			}
		}
		// A rendered line (Raw cleared) parses back to the same too.
		for _, p := range c.Props {
			q := *p
			q.Raw = ""
			r, err := Parse((&Card{Props: []*Prop{&q}}).Encode())
			if err != nil {
				t.Fatalf("rendered %q does not parse: %v", q.ContentLine(), err)
			}
			got := r.Props[0]
			if got.Group != p.Group || got.Name != p.Name || got.Value != p.Value || !sameParams(got.Params, p.Params) {
				t.Fatalf("rendered %#v became %#v", p, got)
			}
		}
	})
}

// sameParams compares parameters exactly: parsed values are decoded
// (RFC 6868) and the renderer encodes every one of them back.
func sameParams(a, b []Param) bool { return reflect.DeepEqual(a, b) }

func checkLines(t *testing.T, out []byte) {
	t.Helper()
	if !bytes.HasSuffix(out, []byte("\r\n")) {
		t.Fatalf("output does not end in CRLF")
	}
	for _, line := range bytes.Split(out[:len(out)-2], []byte("\r\n")) {
		if len(line) > 75 {
			t.Fatalf("line of %d octets: %q", len(line), line)
		}
		if bytes.ContainsAny(line, "\r\n") {
			t.Fatalf("bare line break in %q", line)
		}
	}
}

// FuzzValidate: Validate never panics, fails only with a *ValidationError
// of a known kind, and what it accepts has the facts it promises.
func FuzzValidate(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		info, err := Validate(data)
		if err != nil {
			var ve *ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("error of type %T: %v", err, err)
			}
			if ve.Kind < InvalidData || ve.Kind > TooLarge || ve.Reason == "" {
				t.Fatalf("kind %d, reason %q", ve.Kind, ve.Reason)
			}
			return
		}
		if info.Version != Version3 && info.Version != Version4 {
			t.Fatalf("version %q", info.Version)
		}
		if strings.TrimSpace(info.UID) == "" || info.Kind == "" {
			t.Fatalf("info %+v", info)
		}
	})
}

// FuzzConvert: for every valid card, conversion to either version
// succeeds, and the output validates with the same UID, FN and kind and is
// folded right. Round trips settle: a line kept as is in one version may
// be read by the other version's rules once (a 3.0 PHOTO;JPG without
// ENCODING becomes PHOTO;VALUE=uri;TYPE=JPG, then TYPE=JPEG), but after
// two round trips nothing changes any more, so no rule oscillates or piles
// up parameters.
func FuzzConvert(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		info, err := Validate(data)
		if err != nil {
			if _, err := Convert(data, Version4); err == nil {
				// Convert is more lenient (no UID/FN check) but must
				// refuse what does not parse.
				if _, perr := Parse(data); perr != nil {
					t.Fatalf("Convert accepted data Parse refuses: %v", perr)
				}
			}
			return
		}
		conv := func(in []byte, to string) []byte {
			t.Helper()
			out, err := Convert(in, to)
			if err != nil {
				t.Fatalf("Convert to %s: %v\n%s", to, err, in)
			}
			got, err := Validate(out)
			if err != nil {
				t.Fatalf("Convert to %s: output does not validate: %v\n%s", to, err, out)
			}
			want := *info
			want.Version = to
			if *got != want {
				t.Fatalf("Convert to %s: info %+v, want %+v", to, *got, want)
			}
			if !bytes.Equal(out, in) {
				checkLines(t, out)
			}
			return out
		}
		for _, to := range []string{Version3, Version4} {
			out := conv(data, to)
			if to == info.Version && !bytes.Equal(out, data) {
				t.Fatalf("same version changed the data")
			}
		}
		other := Version3
		if info.Version == Version3 {
			other = Version4
		}
		x := data
		var rounds [][]byte
		for range 3 {
			x = conv(conv(x, other), info.Version)
			rounds = append(rounds, x)
		}
		if !bytes.Equal(rounds[1], rounds[2]) {
			t.Fatalf("round trips do not settle:\n%s\n---\n%s", rounds[1], rounds[2])
		}
	})
}
