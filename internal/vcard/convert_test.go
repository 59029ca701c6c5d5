package vcard

import (
	"errors"
	"strings"
	"testing"
)

// out4 is card3(lines...) as Convert writes it in 4.0, out3 card4(lines...)
// in 3.0 (N:;;;; added after FN).
func out4(lines ...string) string {
	return string(vcf(append(append([]string{"BEGIN:VCARD", "VERSION:4.0", "UID:u1", "FN:Jane Doe", "N:Doe;Jane;;;"}, lines...), "END:VCARD")...))
}

func out3(lines ...string) string {
	return string(vcf(append(append([]string{"BEGIN:VCARD", "VERSION:3.0", "UID:u1", "FN:Jane Doe", "N:;;;;"}, lines...), "END:VCARD")...))
}

func convert(t *testing.T, in []byte, to string) string {
	t.Helper()
	out, err := Convert(in, to)
	if err != nil {
		t.Fatalf("Convert to %s: %v", to, err)
	}
	if _, err := Validate(out); err != nil {
		t.Fatalf("output does not validate: %v\n%s", err, out)
	}
	return string(out)
}

func TestConvert_3to4(t *testing.T) {
	tests := []struct {
		name     string
		in, want string // one property line each
	}{
		// TYPE and PREF.
		{"TEL types", "TEL;TYPE=WORK,VOICE:+1-555-0100", "TEL;TYPE=work,voice:+1-555-0100"},
		{"TEL pref", "TEL;TYPE=WORK,VOICE,pref:+1", "TEL;TYPE=work,voice;PREF=1:+1"},
		{"Apple repeated TYPE", "item1.EMAIL;type=INTERNET;type=HOME;type=pref:j@example.com", "item1.EMAIL;TYPE=internet,home;PREF=1:j@example.com"},
		{"only pref", "EMAIL;TYPE=pref:j@example.com", "EMAIL;PREF=1:j@example.com"},
		{"pref and PREF", "EMAIL;TYPE=PREF;PREF=3:j@example.com", "EMAIL;PREF=3:j@example.com"},
		{"ADR types", "ADR;TYPE=HOME,POSTAL:;;1 Main St;Town;;12345;USA", "ADR;TYPE=home,postal:;;1 Main St;Town;;12345;USA"},
		{"bare type", "TEL;CELL:+1", "TEL;TYPE=cell:+1"},
		{"quoted list", `TEL;TYPE="WORK,VOICE":+1`, "TEL;TYPE=work,voice:+1"},
		{"duplicates merged", "TEL;TYPE=WORK;TYPE=work,Voice:+1", "TEL;TYPE=work,voice:+1"},
		{"other params kept in place", `ADR;LANGUAGE=de;TYPE=WORK;LABEL="A, B":;;`, `ADR;LANGUAGE=de;TYPE=work;LABEL="A, B":;;`},
		{"unchanged line kept as written", "tel;type=work:+1", "tel;type=work:+1"},
		{"non-token value kept", "TEL;TYPE=A^nB,HOME:+1", "TEL;TYPE=A^nB,home:+1"},
		{"label untouched", "item2.X-ABLabel:_$!<Other>!$_", "item2.X-ABLabel:_$!<Other>!$_"},

		// PHOTO, LOGO, SOUND, KEY.
		{"PHOTO inline", "PHOTO;ENCODING=b;TYPE=JPEG:/9j/4AAQ", "PHOTO:data:image/jpeg;base64,/9j/4AAQ"},
		{"PHOTO BASE64 bare type", "PHOTO;ENCODING=BASE64;PNG:iVBORw0KGgo=", "PHOTO:data:image/png;base64,iVBORw0KGgo="},
		{"PHOTO sniffed PNG", "PHOTO;ENCODING=b:iVBORw0KGgoAAAANSUhEUg==", "PHOTO:data:image/png;base64,iVBORw0KGgoAAAANSUhEUg=="},
		{"LOGO sniffed JPEG", "LOGO;ENCODING=b:/9j/4AAQSkZJRg==", "LOGO:data:image/jpeg;base64,/9j/4AAQSkZJRg=="},
		{"PHOTO sniffed GIF", "PHOTO;ENCODING=b:R0lGODlhAQABAAAAACw=", "PHOTO:data:image/gif;base64,R0lGODlhAQABAAAAACw="},
		{"PHOTO unknown data", "PHOTO;ENCODING=b:AAAA", "PHOTO:data:application/octet-stream;base64,AAAA"},
		{"PHOTO with media type as TYPE", "PHOTO;ENCODING=b;TYPE=image/jpeg:/9j/", "PHOTO:data:image/jpeg;base64,/9j/"},
		{"PHOTO JPG", "PHOTO;ENCODING=b;TYPE=JPG:/9j/", "PHOTO:data:image/jpeg;base64,/9j/"},
		{"PHOTO spaces removed", "PHOTO;ENCODING=b;TYPE=JPEG:/9j/ 4AAQ\tSkZJ", "PHOTO:data:image/jpeg;base64,/9j/4AAQSkZJ"},
		{"PHOTO with work type", "PHOTO;X-ABCROP=1;ENCODING=b;TYPE=PNG,WORK:iVBO", "PHOTO;X-ABCROP=1;TYPE=work:data:image/png;base64,iVBO"},
		{"PHOTO URI", "PHOTO;VALUE=uri;TYPE=GIF:https://example.com/p.gif", "PHOTO;MEDIATYPE=image/gif:https://example.com/p.gif"},
		{"PHOTO URL", "PHOTO;VALUE=URL:https://example.com/p", "PHOTO:https://example.com/p"},
		{"PHOTO without encoding kept", "PHOTO:https://example.com/p", "PHOTO:https://example.com/p"},
		{"KEY X509", "KEY;ENCODING=b;TYPE=X509:MIIB", "KEY:data:application/pkix-cert;base64,MIIB"},
		{"KEY PGP", "KEY;ENCODING=b;TYPE=PGP:mQIN", "KEY:data:application/pgp-keys;base64,mQIN"},
		{"KEY text kept", "KEY;TYPE=PGP:-----BEGIN PGP PUBLIC KEY BLOCK-----", "KEY;TYPE=PGP:-----BEGIN PGP PUBLIC KEY BLOCK-----"},
		{"SOUND", "SOUND;ENCODING=b;TYPE=WAVE:UklG", "SOUND:data:audio/wave;base64,UklG"},

		// Groups.
		{"Apple KIND", "X-ADDRESSBOOKSERVER-KIND:group", "KIND:group"},
		{"Apple MEMBER", "X-ADDRESSBOOKSERVER-MEMBER:urn:uuid:a1b2", "MEMBER:urn:uuid:a1b2"},

		// BDAY.
		{"Apple year-less", "BDAY;X-APPLE-OMIT-YEAR=1604:1604-04-15", "BDAY:--0415"},
		{"Apple year-less VALUE=date", "BDAY;VALUE=date;X-APPLE-OMIT-YEAR=1604:1604-04-15", "BDAY;VALUE=date:--0415"},
		{"Apple omit, other year", "BDAY;X-APPLE-OMIT-YEAR=1604:1980-04-15", "BDAY;X-APPLE-OMIT-YEAR=1604:1980-04-15"},
		{"ISO truncated extended", "BDAY:--04-15", "BDAY:--0415"},
		{"ISO truncated basic", "BDAY:--0415", "BDAY:--0415"},
		{"extended date", "BDAY:1980-04-15", "BDAY:19800415"},
		{"extended date VALUE=date", "BDAY;VALUE=date:1980-04-15", "BDAY;VALUE=date:19800415"},
		{"extended date-time UTC", "BDAY:1953-10-15T23:10:00Z", "BDAY:19531015T231000Z"},
		{"extended date-time offset", "BDAY:1953-10-15T23:10-05:00", "BDAY:19531015T2310-0500"},
		{"basic date kept", "BDAY:19800415", "BDAY:19800415"},
		{"invalid date kept", "BDAY:1980-13-45", "BDAY:1980-13-45"},

		// Kept as is.
		{"LABEL", `LABEL;TYPE=HOME:1 Main St.\nTown`, `LABEL;TYPE=home:1 Main St.\nTown`},
		{"CLASS", "CLASS:PUBLIC", "CLASS:PUBLIC"},
		{"quoted-printable", "NOTE;ENCODING=QUOTED-PRINTABLE:a=3Db", "NOTE;ENCODING=QUOTED-PRINTABLE:a=3Db"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := convert(t, card3(tt.in), Version4)
			if want := out4(tt.want); got != want {
				t.Errorf("got\n%s\nwant\n%s", got, want)
			}
		})
	}
}

func TestConvert_4to3(t *testing.T) {
	tests := []struct {
		name     string
		in, want string
	}{
		// TYPE and PREF.
		{"TEL types", "TEL;TYPE=work,voice:+1-555-0100", "TEL;TYPE=WORK,VOICE:+1-555-0100"},
		{"TEL PREF=1", "TEL;TYPE=cell;PREF=1:+1", "TEL;TYPE=CELL,PREF:+1"},
		{"PREF=1 alone", "EMAIL;PREF=1:j@example.com", "EMAIL;TYPE=PREF:j@example.com"},
		{"PREF=2 kept", "EMAIL;PREF=2:j@example.com", "EMAIL;PREF=2:j@example.com"},
		{"quoted list", `EMAIL;TYPE="work,home":j@example.com`, "EMAIL;TYPE=WORK,HOME:j@example.com"},
		{"ADR", `ADR;TYPE=home;LABEL="1 Main St, Town":;;1 Main St;Town;;;`, `ADR;TYPE=HOME;LABEL="1 Main St, Town":;;1 Main St;Town;;;`},
		{"group prefix", "item1.EMAIL;TYPE=work:j@example.com", "item1.EMAIL;TYPE=WORK:j@example.com"},

		// PHOTO, LOGO, SOUND, KEY.
		{"PHOTO data", "PHOTO:data:image/jpeg;base64,/9j/4AAQ", "PHOTO;ENCODING=b;TYPE=JPEG:/9j/4AAQ"},
		{"PHOTO percent data", "PHOTO:data:image/png,%89PNG", "PHOTO;ENCODING=b;TYPE=PNG:iVBORw=="},
		{"LOGO data without type", "LOGO:data:;base64,AAAA", "LOGO;ENCODING=b:AAAA"},
		{"PHOTO data non-image", "PHOTO:data:application/octet-stream;base64,AAAA", "PHOTO;ENCODING=b:AAAA"},
		{"PHOTO data with params", "PHOTO;PREF=1;TYPE=work:data:image/png;base64,iVBO", "PHOTO;PREF=1;ENCODING=b;TYPE=PNG,WORK:iVBO"},
		{"PHOTO URI", "PHOTO:https://example.com/p.jpg", "PHOTO;VALUE=uri:https://example.com/p.jpg"},
		{"LOGO URI with MEDIATYPE", "LOGO;MEDIATYPE=image/svg+xml:https://example.com/l.svg", "LOGO;VALUE=uri;TYPE=SVG:https://example.com/l.svg"},
		{"PHOTO broken data URI", "PHOTO:data:image/png;base64,!!", "PHOTO;VALUE=uri:data:image/png;base64,!!"},
		{"KEY PGP", "KEY:data:application/pgp-keys;base64,mQIN", "KEY;ENCODING=b;TYPE=PGP:mQIN"},
		{"KEY X509", "KEY:data:application/pkix-cert;base64,MIIB", "KEY;ENCODING=b;TYPE=X509:MIIB"},
		{"KEY text kept", "KEY;VALUE=text:abc", "KEY;VALUE=text:abc"},
		{"SOUND", "SOUND:data:audio/wave;base64,UklG", "SOUND;ENCODING=b;TYPE=WAVE:UklG"},

		// BDAY.
		{"year-less", "BDAY:--0415", "BDAY;X-APPLE-OMIT-YEAR=1604:1604-04-15"},
		{"year-less leap day", "BDAY;VALUE=date:--0229", "BDAY;VALUE=date;X-APPLE-OMIT-YEAR=1604:1604-02-29"},
		{"basic date", "BDAY:19800415", "BDAY:1980-04-15"},
		{"basic date-time", "BDAY:19531015T231000Z", "BDAY:1953-10-15T23:10:00Z"},
		{"basic date-time offset", "BDAY;VALUE=date-and-or-time:19531015T2310-0500", "BDAY:1953-10-15T23:10-05:00"},
		{"month only kept", "BDAY:--04", "BDAY:--04"},
		{"bad month kept", "BDAY:--1315", "BDAY:--1315"},
		{"text kept", "BDAY;VALUE=text:circa 1800", "BDAY;VALUE=text:circa 1800"},
		{"extended kept", "BDAY:1980-04-15", "BDAY:1980-04-15"},

		// TEL URIs.
		{"tel URI", "TEL;VALUE=uri;TYPE=cell:tel:+1-555-0100", "TEL;TYPE=CELL:+1-555-0100"},
		{"tel URI with ext kept", "TEL;VALUE=uri:tel:+1-555-0100;ext=5", "TEL;VALUE=uri:tel:+1-555-0100;ext=5"},
		{"sip URI kept", "TEL;VALUE=uri:sip:a@example.com", "TEL;VALUE=uri:sip:a@example.com"},

		// Groups (N for a group is tested below).
		{"KIND individual", "KIND:individual", "X-ADDRESSBOOKSERVER-KIND:individual"},
		{"MEMBER", "MEMBER:mailto:b@example.com", "X-ADDRESSBOOKSERVER-MEMBER:mailto:b@example.com"},

		// Kept as is.
		{"GENDER", "GENDER:F", "GENDER:F"},
		{"ANNIVERSARY", "ANNIVERSARY:20090808", "ANNIVERSARY:20090808"},
		{"ALTID", "TITLE;ALTID=1;LANGUAGE=fr:Patron", "TITLE;ALTID=1;LANGUAGE=fr:Patron"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := convert(t, card4(tt.in), Version3)
			if want := out3(tt.want); got != want {
				t.Errorf("got\n%s\nwant\n%s", got, want)
			}
		})
	}
}

func TestConvert_Groups(t *testing.T) {
	v4 := vcf("BEGIN:VCARD", "VERSION:4.0", "KIND:group", `FN:Friends\, close`, "MEMBER:urn:uuid:a", "MEMBER:urn:uuid:b", "UID:g1", "END:VCARD")
	v3 := vcf("BEGIN:VCARD", "VERSION:3.0", "X-ADDRESSBOOKSERVER-KIND:group", `FN:Friends\, close`, `N:Friends\, close`, "X-ADDRESSBOOKSERVER-MEMBER:urn:uuid:a", "X-ADDRESSBOOKSERVER-MEMBER:urn:uuid:b", "UID:g1", "END:VCARD")
	if got := convert(t, v4, Version3); got != string(v3) {
		t.Errorf("4→3 got\n%s\nwant\n%s", got, v3)
	}
	want4 := vcf("BEGIN:VCARD", "VERSION:4.0", "KIND:group", `FN:Friends\, close`, `N:Friends\, close`, "MEMBER:urn:uuid:a", "MEMBER:urn:uuid:b", "UID:g1", "END:VCARD")
	if got := convert(t, v3, Version4); got != string(want4) {
		t.Errorf("3→4 got\n%s\nwant\n%s", got, want4)
	}
	// Both spellings present: neither is renamed.
	both := card3("KIND:group", "X-ADDRESSBOOKSERVER-KIND:group", "MEMBER:urn:uuid:a", "X-ADDRESSBOOKSERVER-MEMBER:urn:uuid:b")
	want := out4("KIND:group", "X-ADDRESSBOOKSERVER-KIND:group", "MEMBER:urn:uuid:a", "X-ADDRESSBOOKSERVER-MEMBER:urn:uuid:b")
	if got := convert(t, both, Version4); got != want {
		t.Errorf("both got\n%s\nwant\n%s", got, want)
	}
	both4 := card4("KIND:group", "X-ADDRESSBOOKSERVER-KIND:group")
	if got, want := convert(t, both4, Version3), string(vcf("BEGIN:VCARD", "VERSION:3.0", "UID:u1", "FN:Jane Doe", "N:Jane Doe", "KIND:group", "X-ADDRESSBOOKSERVER-KIND:group", "END:VCARD")); got != want {
		t.Errorf("both 4→3 got\n%s\nwant\n%s", got, want)
	}
}

func TestConvert_VersionMovedFirst(t *testing.T) {
	in := vcf("BEGIN:VCARD", "FN:A", "UID:u", "VERSION:3.0", "N:A;;;;", "END:VCARD")
	want := string(vcf("BEGIN:VCARD", "VERSION:4.0", "FN:A", "UID:u", "N:A;;;;", "END:VCARD"))
	if got := convert(t, in, Version4); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

func TestConvert_KeepsN(t *testing.T) {
	in := card4("N:Doe;Jane;;;")
	want := string(vcf("BEGIN:VCARD", "VERSION:3.0", "UID:u1", "FN:Jane Doe", "N:Doe;Jane;;;", "END:VCARD"))
	if got := convert(t, in, Version3); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

func TestConvert_SameVersionUnchanged(t *testing.T) {
	for _, tc := range []struct {
		data []byte
		to   string
	}{
		{[]byte("BEGIN:VCARD\nversion:3.0\nFN:a\nUID:u\nTEL;TYPE=pref:1\nEND:VCARD"), Version3},
		{card4("PHOTO:data:image/png;base64,iVBO"), Version4},
	} {
		out, err := Convert(tc.data, tc.to)
		if err != nil {
			t.Fatal(err)
		}
		if len(out) != len(tc.data) || &out[0] != &tc.data[0] {
			t.Errorf("%s: not the input slice", tc.to)
		}
	}
}

func TestConvert_Errors(t *testing.T) {
	if _, err := Convert(card4(), "2.1"); !errors.Is(err, ErrUnsupportedVersion) {
		t.Errorf("target 2.1: %v", err)
	}
	if _, err := ConvertCard(&Card{}, ""); !errors.Is(err, ErrUnsupportedVersion) {
		t.Errorf("target empty: %v", err)
	}
	var ve *ValidationError
	if _, err := Convert([]byte("BEGIN:VCARD\r\n"), Version4); !errors.As(err, &ve) {
		t.Errorf("unparsable: %v", err)
	}
	if _, err := Convert(vcf("BEGIN:VCARD", "VERSION:2.1", "FN:a", "END:VCARD"), Version4); !errors.As(err, &ve) || ve.Kind != UnsupportedData {
		t.Errorf("2.1 input: %v", err)
	}
	if _, err := Convert(vcf("BEGIN:VCARD", "FN:a", "END:VCARD"), Version4); !errors.As(err, &ve) || ve.Kind != InvalidData {
		t.Errorf("no VERSION: %v", err)
	}
}

// TestConvertCard_InputUntouched: the parsed input card is not modified.
func TestConvertCard_InputUntouched(t *testing.T) {
	c := mustParse(t, card3("TEL;TYPE=WORK,pref:+1", "PHOTO;ENCODING=b;TYPE=JPEG:/9j/"))
	before := string(c.Encode())
	if _, err := ConvertCard(c, Version4); err != nil {
		t.Fatal(err)
	}
	if after := string(c.Encode()); after != before {
		t.Errorf("input changed:\n%s", after)
	}
}

// appleCard is a 3.0 card as Apple Contacts writes it (photo shortened).
var appleCard = vcf(
	"BEGIN:VCARD",
	"VERSION:3.0",
	"PRODID:-//Apple Inc.//iPhone OS 17.4//EN",
	"N:Müller;Jürgen;;Dr.;",
	"FN:Dr. Jürgen Müller",
	"ORG:Example GmbH;R&D",
	"item1.EMAIL;type=INTERNET;type=WORK;type=pref:juergen@example.com",
	"item1.X-ABLabel:_$!<Work>!$_",
	"TEL;type=CELL;type=VOICE;type=pref:+49 170 1234567",
	"TEL;type=HOME;type=VOICE:+49 30 1234567",
	"item2.ADR;type=HOME;type=pref:;;Hauptstraße 5;Berlin;;10115;Deutschland",
	"item2.X-ABADR:de",
	"BDAY;X-APPLE-OMIT-YEAR=1604:1604-04-15",
	"PHOTO;ENCODING=b;TYPE=JPEG:/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAAgGBgcGBQgHBwcJCQgKDBQNDAsLDBkSEw8UHRofHh0a",
	" HBwgJC4nICIsIxwcKDcpLDAxNDQ0Hyc5PTgyPC4zNDL/",
	"UID:5E1A7C3B-0C5D-4B1E-9F2A-1234567890AB",
	"END:VCARD",
)

func TestConvert_RoundTrip3to4to3(t *testing.T) {
	want4 := string(vcf(
		"BEGIN:VCARD",
		"VERSION:4.0",
		"PRODID:-//Apple Inc.//iPhone OS 17.4//EN",
		"N:Müller;Jürgen;;Dr.;",
		"FN:Dr. Jürgen Müller",
		"ORG:Example GmbH;R&D",
		"item1.EMAIL;TYPE=internet,work;PREF=1:juergen@example.com",
		"item1.X-ABLabel:_$!<Work>!$_",
		"TEL;TYPE=cell,voice;PREF=1:+49 170 1234567",
		"TEL;TYPE=home,voice:+49 30 1234567",
		"item2.ADR;TYPE=home;PREF=1:;;Hauptstraße 5;Berlin;;10115;Deutschland",
		"item2.X-ABADR:de",
		"BDAY:--0415",
		"PHOTO:data:image/jpeg;base64,/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAAgGBgcGBQgHBw",
		" cJCQgKDBQNDAsLDBkSEw8UHRofHh0aHBwgJC4nICIsIxwcKDcpLDAxNDQ0Hyc5PTgyPC4zNDL/",
		"UID:5E1A7C3B-0C5D-4B1E-9F2A-1234567890AB",
		"END:VCARD",
	))
	got4 := convert(t, appleCard, Version4)
	if got4 != want4 {
		t.Fatalf("3→4 got\n%s\nwant\n%s", got4, want4)
	}
	want3 := string(vcf(
		"BEGIN:VCARD",
		"VERSION:3.0",
		"PRODID:-//Apple Inc.//iPhone OS 17.4//EN",
		"N:Müller;Jürgen;;Dr.;",
		"FN:Dr. Jürgen Müller",
		"ORG:Example GmbH;R&D",
		"item1.EMAIL;TYPE=INTERNET,WORK,PREF:juergen@example.com",
		"item1.X-ABLabel:_$!<Work>!$_",
		"TEL;TYPE=CELL,VOICE,PREF:+49 170 1234567",
		"TEL;TYPE=HOME,VOICE:+49 30 1234567",
		"item2.ADR;TYPE=HOME,PREF:;;Hauptstraße 5;Berlin;;10115;Deutschland",
		"item2.X-ABADR:de",
		"BDAY;X-APPLE-OMIT-YEAR=1604:1604-04-15",
		"PHOTO;ENCODING=b;TYPE=JPEG:/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAAgGBgcGBQgHBwcJ",
		" CQgKDBQNDAsLDBkSEw8UHRofHh0aHBwgJC4nICIsIxwcKDcpLDAxNDQ0Hyc5PTgyPC4zNDL/",
		"UID:5E1A7C3B-0C5D-4B1E-9F2A-1234567890AB",
		"END:VCARD",
	))
	got3 := convert(t, []byte(got4), Version3)
	if got3 != want3 {
		t.Fatalf("4→3 got\n%s\nwant\n%s", got3, want3)
	}
	// Same meaning as the original: the Apple input differs only in the
	// case and grouping of TYPE values and in folding.
	a, b := mustParse(t, appleCard), mustParse(t, []byte(got3))
	if len(a.Props) != len(b.Props) {
		t.Fatalf("%d props, then %d", len(a.Props), len(b.Props))
	}
	for i := range a.Props {
		pa, pb := a.Props[i], b.Props[i]
		ta, tb := strings.ToUpper(strings.Join(pa.Param("TYPE"), ",")), strings.Join(pb.Param("TYPE"), ",")
		if pa.Group != pb.Group || pa.Name != pb.Name || pa.Value != pb.Value || ta != tb {
			t.Errorf("prop %d: %q became %q", i, pa.Raw, pb.ContentLine())
		}
	}
	// And a second round changes nothing any more.
	if again := convert(t, []byte(convert(t, []byte(got3), Version4)), Version3); again != got3 {
		t.Errorf("second round trip differs:\n%s", again)
	}
}

func TestConvert_RoundTrip4to3to4(t *testing.T) {
	in := vcf(
		"BEGIN:VCARD",
		"VERSION:4.0",
		"UID:urn:uuid:4fbe8971-0bc3-424c-9c26-36c3e1eff6b1",
		"FN;PID=1.1:J. Doe",
		"N:Doe;J.;;;",
		"EMAIL;PID=1.1;TYPE=work;PREF=1:jdoe@example.com",
		"EMAIL;TYPE=home;PREF=2:j@example.org",
		"TEL;VALUE=uri;TYPE=voice,cell;PREF=1:tel:+1-555-555-5555",
		"BDAY:--0203",
		"ANNIVERSARY:20090808T1430-0500",
		"GENDER:M",
		"PHOTO:data:image/png;base64,iVBORw0KGgo=",
		"CLIENTPIDMAP:1;urn:uuid:3df403f4-5924-4bb7-b077-3c711d9eb34b",
		"END:VCARD",
	)
	want3 := string(vcf(
		"BEGIN:VCARD",
		"VERSION:3.0",
		"UID:urn:uuid:4fbe8971-0bc3-424c-9c26-36c3e1eff6b1",
		"FN;PID=1.1:J. Doe",
		"N:Doe;J.;;;",
		"EMAIL;PID=1.1;TYPE=WORK,PREF:jdoe@example.com",
		"EMAIL;TYPE=HOME;PREF=2:j@example.org",
		"TEL;TYPE=VOICE,CELL,PREF:+1-555-555-5555",
		"BDAY;X-APPLE-OMIT-YEAR=1604:1604-02-03",
		"ANNIVERSARY:20090808T1430-0500",
		"GENDER:M",
		"PHOTO;ENCODING=b;TYPE=PNG:iVBORw0KGgo=",
		"CLIENTPIDMAP:1;urn:uuid:3df403f4-5924-4bb7-b077-3c711d9eb34b",
		"END:VCARD",
	))
	got3 := convert(t, in, Version3)
	if got3 != want3 {
		t.Fatalf("4→3 got\n%s\nwant\n%s", got3, want3)
	}
	// Back in 4.0 the tel: URI is text, which 4.0 allows; the rest is as
	// it was.
	want4 := string(vcf(
		"BEGIN:VCARD",
		"VERSION:4.0",
		"UID:urn:uuid:4fbe8971-0bc3-424c-9c26-36c3e1eff6b1",
		"FN;PID=1.1:J. Doe",
		"N:Doe;J.;;;",
		"EMAIL;PID=1.1;TYPE=work;PREF=1:jdoe@example.com",
		"EMAIL;TYPE=home;PREF=2:j@example.org",
		"TEL;TYPE=voice,cell;PREF=1:+1-555-555-5555",
		"BDAY:--0203",
		"ANNIVERSARY:20090808T1430-0500",
		"GENDER:M",
		"PHOTO:data:image/png;base64,iVBORw0KGgo=",
		"CLIENTPIDMAP:1;urn:uuid:3df403f4-5924-4bb7-b077-3c711d9eb34b",
		"END:VCARD",
	))
	if got4 := convert(t, []byte(got3), Version4); got4 != want4 {
		t.Fatalf("3→4 got\n%s\nwant\n%s", got4, want4)
	}
}
