package dav

import (
	"net/http/httptest"
	"strings"
	"testing"
)

func TestParseProppatch_Lang(t *testing.T) {
	const pre = `<D:propertyupdate xmlns:D="DAV:" xmlns:Z="urn:z"`
	tests := []struct {
		name string
		body string
		want map[string]string // local name → Lang
	}{
		{"OnProperty", pre + `><D:set><D:prop><Z:a xml:lang="en">x</Z:a><Z:b>y</Z:b></D:prop></D:set></D:propertyupdate>`,
			map[string]string{"a": "en", "b": ""}},
		// RFC 4918 4.3.1's example puts it on DAV:prop.
		{"OnProp", pre + `><D:set><D:prop xml:lang="en"><Z:a>x</Z:a><Z:b xml:lang="de">y</Z:b></D:prop></D:set></D:propertyupdate>`,
			map[string]string{"a": "en", "b": "de"}},
		{"OnSet", pre + `><D:set xml:lang="fr-CA"><D:prop><Z:a>x</Z:a></D:prop></D:set><D:set><D:prop><Z:b>y</Z:b></D:prop></D:set></D:propertyupdate>`,
			map[string]string{"a": "fr-CA", "b": ""}},
		{"OnRoot", pre + ` xml:lang="ja"><D:set><D:prop><Z:a>x</Z:a></D:prop></D:set></D:propertyupdate>`,
			map[string]string{"a": "ja"}},
		{"EmptyOverrides", pre + ` xml:lang="ja"><D:set><D:prop><Z:a xml:lang="">x</Z:a></D:prop></D:set></D:propertyupdate>`,
			map[string]string{"a": ""}},
		// A language inside the value belongs to the value, not to the property.
		{"InsideValue", pre + `><D:set><D:prop><Z:a><Z:c xml:lang="en">x</Z:c></Z:a></D:prop></D:set></D:propertyupdate>`,
			map[string]string{"a": ""}},
		{"Remove", pre + ` xml:lang="en"><D:remove><D:prop><Z:a/></D:prop></D:remove></D:propertyupdate>`,
			map[string]string{"a": "en"}},
		{"NotPastItsScope", pre + `><D:set><D:prop><Z:a xml:lang="en">x</Z:a></D:prop></D:set><D:set><D:prop><Z:b>y</Z:b></D:prop></D:set></D:propertyupdate>`,
			map[string]string{"a": "en", "b": ""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ops, err := ParseProppatch([]byte(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			if len(ops) != len(tt.want) {
				t.Fatalf("%d ops, want %d", len(ops), len(tt.want))
			}
			for _, op := range ops {
				if want := tt.want[op.Prop.Name.Local]; op.Prop.Lang != want {
					t.Errorf("%s: Lang %q, want %q", op.Prop.Name.Local, op.Prop.Lang, want)
				}
			}
		})
	}
	t.Run("MKCALENDAR", func(t *testing.T) {
		// RFC 4791 5.3.1.2's example request.
		body := `<C:mkcalendar xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:set><D:prop>` +
			`<C:calendar-description xml:lang="en">Calendar restricted to events.</C:calendar-description>` +
			`</D:prop></D:set></C:mkcalendar>`
		_, ops, err := ParseSetProps([]byte(body))
		if err != nil || len(ops) != 1 || ops[0].Prop.Lang != "en" {
			t.Fatalf("ops %+v, err %v", ops, err)
		}
	})
}

func TestStored_RoundTrip(t *testing.T) {
	tests := []struct{ lang, inner string }{
		{"", ""},
		{"", "plain text"},
		{"", `<x:a xmlns:x="urn:a">v</x:a>`},
		{"en", "Work"},
		{"fr-CA", "Calendrier de Mathilde Desruisseaux"},
		{"en", ""},
		{"x-weird?>", "a?>b"},
		{"en US", `<x:a xmlns:x="urn:a"/>tail`},
		{"日本", "日本語"},
		{"%41", "%41"},
	}
	for _, tt := range tests {
		in := RawXML{Name: Name("urn:z", "p"), Inner: tt.inner, Lang: tt.lang}
		s := in.Stored()
		if tt.lang == "" && s != tt.inner {
			t.Errorf("value without a language stored as %q, want it as it is", s)
		}
		if got := ParseStored(in.Name, s); got != in {
			t.Errorf("ParseStored(%q) = %+v, want %+v", s, got, in)
		}
		p := StoredProp(in.Name, s)
		if p.Name != in.Name || p.XML != tt.inner || p.Lang != tt.lang {
			t.Errorf("StoredProp(%q) = %+v", s, p)
		}
	}
}

// Values stored before languages were kept, and by provisioning, read
// back unchanged.
func TestParseStored_Legacy(t *testing.T) {
	for _, s := range []string{"Contacts", "", "&lt;?lang en?&gt;", `<x:c xmlns:x="urn:x">#ff0000</x:c>`, "BEGIN:VCALENDAR\r\n"} {
		if got := ParseStored(dDisplayName, s); got.Inner != s || got.Lang != "" {
			t.Errorf("ParseStored(%q) = %+v", s, got)
		}
	}
}

func TestStored_TextSkipsLanguage(t *testing.T) {
	r := RawXML{Inner: "Tom &amp; Jerry", Lang: "en"}
	stored := ParseStored(dDisplayName, r.Stored())
	if got := stored.Text(); got != "Tom & Jerry" {
		t.Fatalf("Text = %q", got)
	}
	// A reader that takes the stored string for inner XML still reads
	// the text: the marker is a processing instruction.
	legacy := RawXML{Inner: r.Stored()}
	if got := legacy.Text(); got != "Tom & Jerry" {
		t.Fatalf("Text of the stored form = %q", got)
	}
}

// The language is written on the property element, escaped, and the
// response parses with it in scope (RFC 4918 14.26).
func TestMultistatus_WritesLang(t *testing.T) {
	rec := httptest.NewRecorder()
	m := NewMultistatus(rec, httptest.NewRequest("PROPFIND", "/", nil))
	m.Response("/c/", []Prop{
		{Name: Name("urn:z", "a"), Text: "x", Lang: "en"},
		{Name: Name("urn:z", "b"), XML: `<x:c xmlns:x="urn:z">y</x:c>`, Lang: `a"<&`},
		{Name: Name("urn:z", "e"), Lang: "de"},
		{Name: Name("urn:z", "n"), Text: "none"},
	}, nil)
	if err := m.Close(""); err != nil {
		t.Fatal(err)
	}
	root := parseTree(t, rec.Body.Bytes())
	prop := root.Kids[0].child(t, Name(NSDAV, "propstat")).child(t, Name(NSDAV, "prop"))
	want := map[string]string{"a": "en", "b": `a"<&`, "e": "de", "n": ""}
	for _, p := range prop.Kids {
		got, _ := p.attr(xmlNamespace, "lang")
		if got != want[p.Name.Local] {
			t.Errorf("%s: xml:lang %q, want %q\n%s", p.Name.Local, got, want[p.Name.Local], rec.Body)
		}
	}
}

func FuzzStored(f *testing.F) {
	f.Add("en", "Work")
	f.Add("", "<?lang en?>x")
	f.Add("a?>b", "?>")
	f.Add("%zz", "")
	f.Fuzz(func(t *testing.T, lang, inner string) {
		in := RawXML{Name: dDisplayName, Inner: inner, Lang: lang}
		got := ParseStored(dDisplayName, in.Stored())
		if lang == "" && strings.HasPrefix(inner, langMarker) {
			// Not a value UnmarshalXML can capture: it drops
			// processing instructions.
			return
		}
		if got != in {
			t.Fatalf("round trip of %+v gave %+v", in, got)
		}
		if !xmlChars(lang) {
			return // written as U+FFFD, as all character data is
		}
		// The language survives a multistatus as an attribute.
		rec := httptest.NewRecorder()
		m := NewMultistatus(rec, httptest.NewRequest("PROPFIND", "/", nil))
		m.Response("/c/", []Prop{{Name: Name("urn:z", "p"), Text: "v", Lang: lang}}, nil)
		if err := m.Close(""); err != nil {
			t.Fatal(err)
		}
		root, err := parseTreeErr(rec.Body.Bytes())
		if err != nil {
			t.Fatalf("multistatus with xml:lang %q does not parse: %v", lang, err)
		}
		p := root.Kids[0].child(t, Name(NSDAV, "propstat")).child(t, Name(NSDAV, "prop")).Kids[0]
		if v, _ := p.attr(xmlNamespace, "lang"); v != lang {
			t.Fatalf("xml:lang %q came back as %q", lang, v)
		}
	})
}

// xmlChars reports whether XML 1.0 can carry s as it is.
func xmlChars(s string) bool {
	for i := 0; i < len(s); {
		if c := s[i]; c == '\t' || c == '\n' || c == '\r' {
			i++
			continue
		}
		n := xmlCharWidth(s, i)
		if n < 0 {
			return false
		}
		i += n
	}
	return true
}
