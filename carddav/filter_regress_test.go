package carddav_test

import (
	"strings"
	"testing"

	"almanac/internal/davtest"
	"almanac/internal/davtree"
)

// addressbook-query filters over raw HTTP: RFC 6352 10.5 grammar faults
// are 403 CARDDAV:valid-filter, unsupported match types 403
// CARDDAV:supported-filter naming the elements (8.6), malformed XML 400.

func abQuery(filter string) string {
	return `<CR:addressbook-query xmlns:D="DAV:" xmlns:CR="urn:ietf:params:xml:ns:carddav"><D:prop><D:getetag/></D:prop>` + filter + `</CR:addressbook-query>`
}

func TestAddressBookQuery_ValidFilter(t *testing.T) {
	e := newEnv(t, davtree.Options{})
	for _, tc := range []struct{ rule, filter string }{
		{"RFC 6352 10.5: filter (prop-filter*)", `<CR:filter><CR:comp-filter name="VCARD"/></CR:filter>`},
		{"RFC 6352 10.5: test (anyof | allof)", `<CR:filter test="some"/>`},
		{"RFC 6352 10.5.1: is-not-defined alone", `<CR:filter><CR:prop-filter name="FN"><CR:is-not-defined/><CR:text-match>x</CR:text-match></CR:prop-filter></CR:filter>`},
		{"RFC 6352 10.5.2: one test", `<CR:filter><CR:prop-filter name="TEL"><CR:param-filter name="TYPE"><CR:is-not-defined/><CR:is-not-defined/></CR:param-filter></CR:prop-filter></CR:filter>`},
		{"RFC 6352 10.5.4: negate-condition (yes | no)", `<CR:filter><CR:prop-filter name="FN"><CR:text-match negate-condition="1">x</CR:text-match></CR:prop-filter></CR:filter>`},
		{"RFC 6352 10.3: the filter is required", ``},
	} {
		davtest.WantError(t, e.do("REPORT", e.book("contacts"), abQuery(tc.filter), "Depth", "1"), 403, "valid-filter")
	}
}

func TestAddressBookQuery_SupportedFilterNamesElements(t *testing.T) {
	e := newEnv(t, davtree.Options{})
	rec := e.do("REPORT", e.book("contacts"), abQuery(`<CR:filter><CR:prop-filter name="FN"><CR:text-match match-type="regex">a</CR:text-match></CR:prop-filter>`+
		`<CR:prop-filter name="TEL"><CR:param-filter name="TYPE"><CR:text-match match-type="like">cell</CR:text-match></CR:param-filter></CR:prop-filter></CR:filter>`), "Depth", "1")
	davtest.WantError(t, rec, 403, "supported-filter")
	if want := `<CR:supported-filter><CR:prop-filter name="FN"/><CR:param-filter name="TYPE"/></CR:supported-filter>`; !strings.Contains(rec.Body.String(), want) {
		t.Errorf("body %s lacks %s", rec.Body, want)
	}
}

func TestAddressBookQuery_DefaultCollationAndMalformed(t *testing.T) {
	e := newEnv(t, davtree.Options{})
	e.mustPut(e.card("contacts", "a.vcf"), card4("a", "Jörg Straße"))
	m := davtest.ParseMS(t, e.do("REPORT", e.book("contacts"), abQuery(`<CR:filter><CR:prop-filter name="FN"><CR:text-match collation="default">JÖRG</CR:text-match></CR:prop-filter></CR:filter>`), "Depth", "1"))
	if got := m.Hrefs(); len(got) != 1 || got[0] != e.card("contacts", "a.vcf") {
		t.Errorf("collation default (RFC 6352 8.3): %v", got)
	}
	davtest.WantError(t, e.do("REPORT", e.book("contacts"), abQuery(`<CR:filter><CR:prop-filter name="FN"></CR:filter>`), "Depth", "1"), 400, "")
}
