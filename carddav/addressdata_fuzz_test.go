package carddav_test

import (
	"errors"
	"net/http"
	"testing"

	"almanac/carddav"
	"almanac/internal/dav"
	"almanac/internal/vcard"
)

func FuzzParseAddressDataRequest(f *testing.F) {
	for _, ad := range []string{
		``,
		`<CR:address-data/>`,
		`<CR:address-data content-type="text/vcard" version="4.0"><CR:allprop/></CR:address-data>`,
		`<CR:address-data version="3.0"><CR:prop name="VERSION"/><CR:prop name="item1.EMAIL" novalue="yes"/><CR:prop name="TEL"/></CR:address-data>`,
		`<CR:address-data><CR:prop name="PHOTO" novalue="yes"/><CR:prop name="BDAY"/></CR:address-data>`,
		`<CR:address-data content-type="text/x-vcard"/>`,
		`<CR:address-data><CR:allprop/><CR:prop/></CR:address-data>`,
		`<CR:address-data><CR:prop name="FN" novalue="maybe"/>`,
		`<CR:address-data><CR:prop name="FN"/><CR:prop name="fn"/><CR:prop name="item2.FN"/></CR:address-data>`,
	} {
		f.Add([]byte(adMultiget(ad)))
	}
	f.Add([]byte(`<D:sync-collection ` + adNS + `><D:sync-token/><D:prop><CR:address-data version="4.0"/></D:prop></D:sync-collection>`))
	f.Add([]byte(`<x><D:prop xmlns:D="DAV:"><address-data xmlns="urn:ietf:params:xml:ns:carddav"><prop name="N"/></address-data></D:prop></x>`))
	f.Fuzz(func(t *testing.T, body []byte) {
		req, err := carddav.ParseAddressDataRequest(body)
		if err != nil {
			var de *dav.Error
			if !errors.As(err, &de) || de.Status != http.StatusBadRequest && de.Status != http.StatusForbidden && de.Status != http.StatusRequestEntityTooLarge {
				t.Fatalf("error %v is no 400, 403 or 413 *dav.Error", err)
			}
			return
		}
		if req != nil {
			if len(req.Props) > dav.MaxRequestProps {
				t.Fatalf("%d props", len(req.Props))
			}
			seen := map[string]bool{}
			for _, p := range req.Props {
				if seen[p.Name] {
					t.Fatalf("prop %s twice", p.Name)
				}
				seen[p.Name] = true
			}
		}
		for _, card := range [][]byte{jane3, jane4} {
			out, err := req.Render(card)
			if err != nil {
				t.Fatalf("Render of a valid card: %v", err)
			}
			c, err := vcard.Parse(out)
			if err != nil {
				t.Fatalf("rendering does not parse: %v\n%s", err, out)
			}
			if req != nil && req.Version != "" && c.Version() != req.Version {
				t.Fatalf("rendering has version %q, asked for %q", c.Version(), req.Version)
			}
		}
	})
}

func FuzzNegotiateVersion(f *testing.F) {
	for _, s := range []string{
		"", "*/*", "text/*", "text/vcard", "text/vcard;version=4.0", "text/vcard; version=3.0",
		"text/x-vcard", "text/vcard;version=4.0;q=0.5, text/vcard;version=3.0", "text/html",
		"text/vcard;q=0", "text/vcard;q=0, */*", `text/vcard;version="4.0";q=1.000`, ",;=\"",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, accept string) {
		version, ok := carddav.NegotiateVersion(accept)
		switch {
		case !ok && version != "":
			t.Fatalf("%q: not ok but version %q", accept, version)
		case version != "" && version != vcard.Version3 && version != vcard.Version4:
			t.Fatalf("%q: version %q", accept, version)
		}
	})
}
