package carddav_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"almanac/carddav"
	"almanac/internal/dav"
	"almanac/internal/davtest"
	"almanac/internal/davtree"
)

// Regression tests for request amplification and over-long names in
// address books; caldav/bounds_regress_test.go covers the shared
// mechanism in more depth.

func TestAddressbookMultiget_RepeatedHrefAnsweredOnce(t *testing.T) {
	e := newEnv(t, davtree.Options{})
	e.mustPut(e.card("contacts", "a.vcf"), card3("uid-a", "Anna"))
	href := e.card("contacts", "a.vcf")
	body := `<CR:addressbook-multiget xmlns:D="DAV:" xmlns:CR="urn:ietf:params:xml:ns:carddav"><D:prop>` +
		strings.Repeat(`<D:getetag/><CR:address-data/>`, 1000) + `</D:prop>` +
		strings.Repeat(`<D:href>`+href+`</D:href>`, 5000) +
		`<D:href>http://example.com` + href + `</D:href><D:href>` + e.card("contacts", "%61.vcf") + `</D:href></CR:addressbook-multiget>`
	m := davtest.ParseMS(t, e.do("REPORT", e.book("contacts"), body))
	if len(m.Responses) != 1 || m.Responses[0].Href != href {
		t.Fatalf("%d responses, want one for %s", len(m.Responses), href)
	}
	n := 0
	for _, ps := range m.Responses[0].Propstats {
		for _, p := range ps.Prop.Any {
			if p.XMLName.Local == "address-data" || p.XMLName.Local == "getetag" {
				n++
			}
		}
	}
	if n != 2 {
		t.Errorf("%d getetag and address-data elements, want one each", n)
	}
}

func TestAddressbookMultiget_TooManyHrefs(t *testing.T) {
	e := newEnv(t, davtree.Options{})
	var sb strings.Builder
	sb.WriteString(`<CR:addressbook-multiget xmlns:D="DAV:" xmlns:CR="urn:ietf:params:xml:ns:carddav"><D:prop><D:getetag/></D:prop>`)
	for i := range 12000 {
		fmt.Fprintf(&sb, "<D:href>%s</D:href>", e.card("contacts", fmt.Sprintf("%d.vcf", i)))
	}
	sb.WriteString(`</CR:addressbook-multiget>`)
	davtest.WantError(t, e.do("REPORT", e.book("contacts"), sb.String()), 413, "too-many-hrefs")
}

func TestAddressData_TooManySelections(t *testing.T) {
	e := newEnv(t, davtree.Options{})
	e.mustPut(e.card("contacts", "a.vcf"), card3("uid-a", "Anna"))
	var sb strings.Builder
	for i := range 20000 {
		fmt.Fprintf(&sb, `<CR:prop name="X-%d"/>`, i)
	}
	body := `<CR:addressbook-multiget xmlns:D="DAV:" xmlns:CR="urn:ietf:params:xml:ns:carddav"><D:prop><CR:address-data>` + sb.String() +
		`</CR:address-data></D:prop><D:href>` + e.card("contacts", "a.vcf") + `</D:href></CR:addressbook-multiget>`
	davtest.WantError(t, e.do("REPORT", e.book("contacts"), body), 413, "too-many-properties")
}

func TestParseAddressDataRequest_Limits(t *testing.T) {
	sel := func(n int, repeat int) string {
		var sb strings.Builder
		for range repeat {
			for i := range n {
				fmt.Fprintf(&sb, `<CR:prop name="X-%d"/>`, i)
			}
		}
		return `<CR:address-data>` + sb.String() + `</CR:address-data>`
	}
	max := dav.MaxRequestProps
	for _, tt := range []struct {
		name   string
		ad     string
		props  int
		status int
	}{
		{"one name 10,000 times", sel(1, 10000), 1, 0},
		{"at the cap", sel(max, 1), max, 0},
		{"at the cap, repeated", sel(max, 3), max, 0},
		{"one over the cap", sel(max+1, 1), 0, 413},
	} {
		t.Run(tt.name, func(t *testing.T) {
			req, err := carddav.ParseAddressDataRequest([]byte(adMultiget(tt.ad)))
			if tt.status != 0 {
				var de *dav.Error
				if !errors.As(err, &de) || de.Status != tt.status || de.Condition != dav.CondTooManyProps {
					t.Fatalf("got %v, want %d too-many-properties", err, tt.status)
				}
				return
			}
			if err != nil || len(req.Props) != tt.props {
				t.Fatalf("got %v, %v; want %d props", req, err, tt.props)
			}
		})
	}
}
