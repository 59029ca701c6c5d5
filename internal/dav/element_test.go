package dav

import (
	"encoding/xml"
	"testing"
)

func TestEmptyElement(t *testing.T) {
	for _, tc := range []struct {
		name xml.Name
		want string
	}{
		{Name(NSDAV, "collection"), `<D:collection/>`},
		{Name(NSCalDAV, "calendar"), `<C:calendar/>`},
		{Name("urn:example:notes", "notebook"), `<X:notebook xmlns:X="urn:example:notes"/>`},
		{Name(`urn:"odd"&<ns>`, "x"), `<X:x xmlns:X="urn:&quot;odd&quot;&amp;&lt;ns>"/>`},
		{Name("", "bare"), `<bare xmlns=""/>`},
	} {
		got := EmptyElement(tc.name)
		if got != tc.want {
			t.Errorf("EmptyElement(%v) = %s, want %s", tc.name, got, tc.want)
		}
		// Inside a document that declares the fixed prefixes, as the
		// multistatus and error writers do, it reads back as the name.
		doc := `<D:r xmlns:D="DAV:" xmlns:C="` + NSCalDAV + `">` + got + `</D:r>`
		var r struct {
			Any struct{ XMLName xml.Name } `xml:",any"`
		}
		if err := xml.Unmarshal([]byte(doc), &r); err != nil || r.Any.XMLName != tc.name {
			t.Errorf("%s reads back as %v (%v), want %v", got, r.Any.XMLName, err, tc.name)
		}
	}
}
