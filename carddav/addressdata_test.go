package carddav_test

import (
	"bytes"
	"encoding/xml"
	"errors"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"almanac/carddav"
	"almanac/internal/dav"
	"almanac/internal/vcard"
)

// adCard joins vCard lines with CRLF.
func adCard(lines ...string) []byte { return []byte(strings.Join(lines, "\r\n") + "\r\n") }

const adNS = `xmlns:D="DAV:" xmlns:CR="urn:ietf:params:xml:ns:carddav"`

// adMultiget is an addressbook-multiget asking for getetag and the given
// address-data, with hrefs around the prop as clients send them.
func adMultiget(addressData string) string {
	return `<?xml version="1.0" encoding="utf-8"?>
<CR:addressbook-multiget ` + adNS + `>
  <D:href>/dav/ab/a.vcf</D:href>
  <D:prop><D:getetag/>` + addressData + `</D:prop>
  <D:href>/dav/ab/b.vcf</D:href>
</CR:addressbook-multiget>`
}

func TestParseAddressDataRequest(t *testing.T) {
	type req = carddav.AddressDataRequest
	type sel = carddav.PropSelect
	tests := []struct {
		name string
		body string
		want *req
	}{
		{"default", adMultiget(`<CR:address-data/>`), &req{}},
		{"explicit text/vcard", adMultiget(`<CR:address-data content-type="text/vcard"/>`), &req{}},
		{"media type case and parameters", adMultiget(`<CR:address-data content-type="Text/VCard; charset=utf-8"/>`), &req{}},
		{"version 3.0", adMultiget(`<CR:address-data content-type="text/vcard" version="3.0"/>`), &req{Version: "3.0"}},
		{"version 4.0", adMultiget(`<CR:address-data version=" 4.0 "/>`), &req{Version: "4.0"}},
		{"allprop", adMultiget(`<CR:address-data version="4.0"><CR:allprop/></CR:address-data>`), &req{Version: "4.0"}},
		{"props", adMultiget(`<CR:address-data>
			<CR:prop name="VERSION"/><CR:prop name="uid"/><CR:prop name=" Email " novalue="no"/>
			<CR:prop name="PHOTO" novalue="yes"/></CR:address-data>`),
			&req{Props: []sel{{Name: "VERSION"}, {Name: "UID"}, {Name: "EMAIL"}, {Name: "PHOTO", NoValue: true}}}},
		{"duplicate prop: first wins", adMultiget(`<CR:address-data><CR:prop name="TEL" novalue="yes"/><CR:prop name="tel"/></CR:address-data>`),
			&req{Props: []sel{{Name: "TEL", NoValue: true}}}},
		{"group dropped", adMultiget(`<CR:address-data><CR:prop name="item1.EMAIL"/></CR:address-data>`),
			&req{Props: []sel{{Name: "EMAIL"}}}},
		{"unknown children skipped", adMultiget(`<CR:address-data><X:foo xmlns:X="urn:x"><CR:allprop/></X:foo><CR:comp name="VCARD"/><CR:prop name="FN"/>text</CR:address-data>`),
			&req{Props: []sel{{Name: "FN"}}}},
		{"first address-data wins", adMultiget(`<CR:address-data version="3.0"/><CR:address-data content-type="text/html"/>`), &req{Version: "3.0"}},
		{"addressbook-query", `<CR:addressbook-query ` + adNS + `><D:prop><CR:address-data><CR:prop name="FN"/></CR:address-data></D:prop>
			<CR:filter><CR:prop-filter name="FN"/></CR:filter><CR:limit><CR:nresults>5</CR:nresults></CR:limit></CR:addressbook-query>`,
			&req{Props: []sel{{Name: "FN"}}}},
		{"sync-collection", `<D:sync-collection ` + adNS + `><D:sync-token/><D:sync-level>1</D:sync-level>
			<D:prop><D:getetag/><CR:address-data version="4.0"/></D:prop></D:sync-collection>`, &req{Version: "4.0"}},
		{"absent", adMultiget(``), nil},
		{"no prop", `<CR:addressbook-multiget ` + adNS + `><D:href>/a.vcf</D:href></CR:addressbook-multiget>`, nil},
		{"allprop body", `<CR:addressbook-query ` + adNS + `><D:allprop/></CR:addressbook-query>`, nil},
		{"address-data outside DAV:prop", `<CR:addressbook-multiget ` + adNS + `><CR:address-data version="4.0"/></CR:addressbook-multiget>`, nil},
		{"address-data in another namespace", adMultiget(`<D:address-data version="4.0"/>`), nil},
		{"empty body", ``, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := carddav.ParseAddressDataRequest([]byte(tt.body))
			if err != nil {
				t.Fatalf("error: %v", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestParseAddressDataRequest_Errors(t *testing.T) {
	unsupported := dav.Name(dav.NSCardDAV, "supported-address-data")
	tests := []struct {
		name   string
		body   string
		status int
		cond   xml.Name
	}{
		{"text/x-vcard", adMultiget(`<CR:address-data content-type="text/x-vcard"/>`), http.StatusForbidden, unsupported},
		{"application/vcard+json", adMultiget(`<CR:address-data content-type="application/vcard+json" version="4.0"/>`), http.StatusForbidden, unsupported},
		{"empty content-type", adMultiget(`<CR:address-data content-type=""/>`), http.StatusForbidden, unsupported},
		{"version 2.1", adMultiget(`<CR:address-data version="2.1"/>`), http.StatusForbidden, unsupported},
		{"version 4", adMultiget(`<CR:address-data version="4"/>`), http.StatusForbidden, unsupported},
		{"prop without name", adMultiget(`<CR:address-data><CR:prop/></CR:address-data>`), http.StatusBadRequest, xml.Name{}},
		{"prop with blank name", adMultiget(`<CR:address-data><CR:prop name="  "/></CR:address-data>`), http.StatusBadRequest, xml.Name{}},
		{"prop with group only", adMultiget(`<CR:address-data><CR:prop name="item1."/></CR:address-data>`), http.StatusBadRequest, xml.Name{}},
		{"prop with bad name", adMultiget(`<CR:address-data><CR:prop name="E MAIL"/></CR:address-data>`), http.StatusBadRequest, xml.Name{}},
		{"bad novalue", adMultiget(`<CR:address-data><CR:prop name="FN" novalue="true"/></CR:address-data>`), http.StatusBadRequest, xml.Name{}},
		{"allprop and prop", adMultiget(`<CR:address-data><CR:prop name="FN"/><CR:allprop/></CR:address-data>`), http.StatusBadRequest, xml.Name{}},
		{"unclosed address-data", `<CR:addressbook-multiget ` + adNS + `><D:prop><CR:address-data><CR:prop name="FN"/></D:prop></CR:addressbook-multiget>`, http.StatusBadRequest, xml.Name{}},
		{"unclosed sibling", `<CR:addressbook-multiget ` + adNS + `><D:href>/a.vcf</D:prop></CR:addressbook-multiget>`, http.StatusBadRequest, xml.Name{}},
		{"truncated", `<CR:addressbook-multiget ` + adNS + `><D:prop><CR:address-data>`, http.StatusBadRequest, xml.Name{}},
		{"not XML", `<CR:addressbook-multiget ` + adNS + `><D:prop <CR:address-data/>`, http.StatusBadRequest, xml.Name{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := carddav.ParseAddressDataRequest([]byte(tt.body))
			var de *dav.Error
			if !errors.As(err, &de) {
				t.Fatalf("got %+v, %v; want a *dav.Error", got, err)
			}
			if de.Status != tt.status || de.Condition != tt.cond {
				t.Errorf("got %d %v, want %d %v", de.Status, de.Condition, tt.status, tt.cond)
			}
			if de.Message == "" {
				t.Error("no message for the client")
			}
		})
	}
}

func TestDecodeAddressData(t *testing.T) {
	d := xml.NewDecoder(strings.NewReader(`<CR:address-data ` + adNS + ` version="3.0"><CR:prop name="fn"/></CR:address-data><next/>`))
	tok, err := d.Token()
	if err != nil {
		t.Fatal(err)
	}
	got, err := carddav.DecodeAddressData(d, tok.(xml.StartElement))
	if err != nil {
		t.Fatal(err)
	}
	want := &carddav.AddressDataRequest{Version: "3.0", Props: []carddav.PropSelect{{Name: "FN"}}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v, want %+v", got, want)
	}
	// The end tag is consumed: the next token is the sibling.
	if tok, err := d.Token(); err != nil || tok.(xml.StartElement).Name.Local != "next" {
		t.Errorf("next token %v, %v; want <next>", tok, err)
	}
}

var (
	jane3 = adCard(
		"BEGIN:VCARD",
		"VERSION:3.0",
		"UID:jane",
		"FN:Jane Doe",
		"N:Doe;Jane;;;",
		"item1.EMAIL;type=INTERNET;type=pref:jane@example.com",
		"item1.X-ABLabel:_$!<Other>!$_",
		"TEL;TYPE=WORK;TYPE=VOICE:+41 44 123 45 67",
		"EMAIL;TYPE=HOME:jane@home.example",
		"PHOTO;ENCODING=b;TYPE=JPEG:/9j/4AAQ",
		"END:VCARD")
	jane4 = adCard(
		"BEGIN:VCARD",
		"VERSION:4.0",
		"UID:urn:uuid:jane",
		"FN:Jane Doe",
		"TEL;VALUE=uri;TYPE=work,voice;PREF=1:tel:+41-44-123-45-67",
		"EMAIL;TYPE=home:jane@home.example",
		"BDAY:--0415",
		"END:VCARD")
)

func sameSlice(a, b []byte) bool { return len(a) == len(b) && len(a) > 0 && &a[0] == &b[0] }

func TestRender_Unchanged(t *testing.T) {
	tests := []struct {
		name string
		req  *carddav.AddressDataRequest
		data []byte
	}{
		{"nil", nil, jane3},
		{"zero", &carddav.AddressDataRequest{}, jane3},
		{"same version 3.0", &carddav.AddressDataRequest{Version: "3.0"}, jane3},
		{"same version 4.0", &carddav.AddressDataRequest{Version: "4.0"}, jane4},
		// Plain requests do not even parse: the stored bytes are served.
		{"nil, unparsable data", nil, []byte("not a vCard")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.req.Render(tt.data)
			if err != nil {
				t.Fatal(err)
			}
			if !sameSlice(got, tt.data) {
				t.Errorf("got a new slice %q, want the stored one", got)
			}
		})
	}
}

func TestRender(t *testing.T) {
	type sel = carddav.PropSelect
	tests := []struct {
		name    string
		version string
		props   []sel
		data    []byte
		want    []byte
	}{
		{"selection keeps order and VERSION", "", []sel{{Name: "TEL"}, {Name: "FN"}}, jane3, adCard(
			"BEGIN:VCARD", "VERSION:3.0", "FN:Jane Doe", "TEL;TYPE=WORK;TYPE=VOICE:+41 44 123 45 67", "END:VCARD")},
		{"grouped properties selected by name", "", []sel{{Name: "EMAIL"}}, jane3, adCard(
			"BEGIN:VCARD", "VERSION:3.0",
			"item1.EMAIL;type=INTERNET;type=pref:jane@example.com",
			"EMAIL;TYPE=HOME:jane@home.example", "END:VCARD")},
		{"VERSION where the card has it", "", []sel{{Name: "UID"}}, adCard(
			"BEGIN:VCARD", "UID:x", "FN:X", "VERSION:3.0", "END:VCARD"), adCard(
			"BEGIN:VCARD", "UID:x", "VERSION:3.0", "END:VCARD")},
		{"novalue keeps group and parameters", "", []sel{{Name: "PHOTO", NoValue: true}, {Name: "EMAIL", NoValue: true}, {Name: "UID"}}, jane3, adCard(
			"BEGIN:VCARD", "VERSION:3.0", "UID:jane",
			"item1.EMAIL;TYPE=INTERNET;TYPE=pref:",
			"EMAIL;TYPE=HOME:", "PHOTO;ENCODING=b;TYPE=JPEG:", "END:VCARD")},
		{"novalue VERSION keeps its value", "", []sel{{Name: "VERSION", NoValue: true}}, jane3, adCard(
			"BEGIN:VCARD", "VERSION:3.0", "END:VCARD")},
		{"nothing matches", "", []sel{{Name: "NICKNAME"}}, jane3, adCard(
			"BEGIN:VCARD", "VERSION:3.0", "END:VCARD")},
		{"same version with selection", "3.0", []sel{{Name: "UID"}}, jane3, adCard(
			"BEGIN:VCARD", "VERSION:3.0", "UID:jane", "END:VCARD")},
		{"3.0 to 4.0", "4.0", nil, jane3, adCard(
			"BEGIN:VCARD", "VERSION:4.0", "UID:jane", "FN:Jane Doe", "N:Doe;Jane;;;",
			"item1.EMAIL;TYPE=internet;PREF=1:jane@example.com",
			"item1.X-ABLabel:_$!<Other>!$_",
			"TEL;TYPE=work,voice:+41 44 123 45 67",
			"EMAIL;TYPE=home:jane@home.example",
			"PHOTO:data:image/jpeg;base64,/9j/4AAQ", "END:VCARD")},
		{"3.0 to 4.0, then selection", "4.0", []sel{{Name: "TEL"}, {Name: "EMAIL", NoValue: true}}, jane3, adCard(
			"BEGIN:VCARD", "VERSION:4.0",
			"item1.EMAIL;TYPE=internet;PREF=1:",
			"TEL;TYPE=work,voice:+41 44 123 45 67",
			"EMAIL;TYPE=home:", "END:VCARD")},
		{"4.0 to 3.0, then selection", "3.0", []sel{{Name: "TEL"}, {Name: "BDAY"}}, jane4, adCard(
			"BEGIN:VCARD", "VERSION:3.0",
			"TEL;TYPE=WORK,VOICE,PREF:+41-44-123-45-67",
			"BDAY;X-APPLE-OMIT-YEAR=1604:1604-04-15", "END:VCARD")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stored := bytes.Clone(tt.data)
			req := &carddav.AddressDataRequest{Version: tt.version, Props: tt.props}
			got, err := req.Render(tt.data)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, tt.want) {
				t.Errorf("got\n%s\nwant\n%s", got, tt.want)
			}
			if !bytes.Equal(tt.data, stored) {
				t.Error("the stored data was modified")
			}
			if _, err := vcard.Parse(got); err != nil {
				t.Errorf("output does not parse: %v", err)
			}
		})
	}
}

func TestRender_Errors(t *testing.T) {
	tests := []struct {
		name string
		req  carddav.AddressDataRequest
		data []byte
	}{
		{"not a vCard, selection", carddav.AddressDataRequest{Props: []carddav.PropSelect{{Name: "FN"}}}, []byte("hello")},
		{"not a vCard, version", carddav.AddressDataRequest{Version: "4.0"}, []byte("BEGIN:VCARD\r\n")},
		{"vCard 2.1", carddav.AddressDataRequest{Version: "4.0"}, adCard("BEGIN:VCARD", "VERSION:2.1", "FN:X", "END:VCARD")},
		{"two VERSIONs", carddav.AddressDataRequest{Version: "3.0"}, adCard("BEGIN:VCARD", "VERSION:4.0", "VERSION:4.0", "FN:X", "END:VCARD")},
		{"no VERSION", carddav.AddressDataRequest{Version: "4.0"}, adCard("BEGIN:VCARD", "FN:X", "END:VCARD")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.req.Render(tt.data)
			if err == nil || got != nil {
				t.Errorf("got %q, %v; want nil and an error", got, err)
			}
		})
	}
}

func TestNegotiateVersion(t *testing.T) {
	tests := []struct {
		accept  string
		version string
		ok      bool
	}{
		{"", "", true},
		{"*/*", "", true},
		{"text/*", "", true},
		{"text/vcard", "", true},
		{"TEXT/VCARD", "", true},
		{"text/vcard;version=4.0", "4.0", true},
		{"text/vcard; version=3.0", "3.0", true},
		{`text/vcard;version="4.0"`, "4.0", true},
		{"text/x-vcard", "3.0", true},
		{"text/x-vcard, text/vcard", "", true},
		{"text/vcard;version=4.0;q=0.5, text/vcard;version=3.0", "3.0", true},
		{"text/vcard;version=4.0, text/vcard;version=3.0;q=0.9", "4.0", true},
		{"text/vcard;version=4.0, text/vcard;q=0.5", "4.0", true},
		{"text/vcard;version=4.0, text/vcard", "", true},
		{"text/vcard;version=3.0, text/vcard;version=4.0", "", true},
		{"text/vcard;version=4.0, */*;q=0.1", "4.0", true},
		{"application/json, text/vcard;version=4.0;q=0.8, */*;q=0.1", "4.0", true},
		{"text/vcard;version=3.0;q=0, text/vcard", "4.0", true},
		{"text/vcard;version=3.0;q=0, */*", "4.0", true},
		{"text/vcard;version=4.0;Q=0.001, text/*;q=1", "3.0", true},
		{"text/html", "", false},
		{"application/vcard+json", "", false},
		{"text/vcard;q=0", "", false},
		{"text/vcard;q=0.000", "", false},
		{"text/vcard;q=0, */*", "", false},
		{"text/vcard;version=2.1", "", false},
		{"text/vcard;version=4.0;q=0, text/vcard;version=3.0;q=0", "", false},
		{"text/html, */*;q=0", "", false},
		// Junk: unparseable ranges are ignored.
		{"text/html, text/vcard;q=2", "", false},
		{"text/vcard;q=abc, text/vcard;version=4.0", "4.0", true},
		{"text/vcard;version=4.0;q=1.5, text/vcard;version=3.0;q=0.2", "3.0", true},
		{"text/vcard;version=4.0;q=.5, text/vcard;version=3.0;q=0.2", "3.0", true},
		{"text/vcard;version=4.0;q=0x5, text/vcard;version=3.0;q=0.2", "3.0", true},
		{"text/vcard;version=4.0;q=0.5000, text/vcard;version=3.0;q=0.2", "3.0", true},
		{"text/vcard;q=0.5;q=1, text/vcard;version=3.0;q=0.1", "3.0", true},
		{",,, ;;;", "", true},
		{"garbage", "", true},
		{"text/vcard;version", "", true},
		{"\x00\xff/\xfe", "", true},
		{"text/vcard;version=4.0;q=", "", true},
	}
	for _, tt := range tests {
		version, ok := carddav.NegotiateVersion(tt.accept)
		if version != tt.version || ok != tt.ok {
			t.Errorf("NegotiateVersion(%q) = %q, %v; want %q, %v", tt.accept, version, ok, tt.version, tt.ok)
		}
	}
}
