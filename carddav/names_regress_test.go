package carddav_test

import (
	"net/http"
	"strings"
	"testing"

	"almanac/internal/dav"
	"almanac/internal/davtest"
	"almanac/internal/davtree"
)

func TestLongNames_RefusedBeforeStorage(t *testing.T) {
	e := newEnv(t, davtree.Options{})
	long := strings.Repeat("n", 40<<10)
	e.mustPut(e.card("contacts", "src.vcf"), card3("uid-src", "Src"))
	for _, tc := range []struct {
		name   string
		method string
		path   string
		body   string
		hdr    []string
		want   int
	}{
		{"PUT", "PUT", e.card("contacts", long+".vcf"), card3("uid-long", "Long"), []string{"Content-Type", "text/vcard"}, http.StatusRequestURITooLong},
		{"MKCOL", "MKCOL", e.book(long), `<D:mkcol xmlns:D="DAV:" xmlns:CR="urn:ietf:params:xml:ns:carddav"><D:set><D:prop><D:resourcetype><D:collection/><CR:addressbook/></D:resourcetype></D:prop></D:set></D:mkcol>`, nil, http.StatusRequestURITooLong},
		{"COPY", "COPY", e.card("contacts", "src.vcf"), "", []string{"Destination", e.card("contacts", long)}, http.StatusBadRequest},
	} {
		t.Run(tc.name, func(t *testing.T) {
			davtest.WantError(t, e.do(tc.method, tc.path, tc.body, tc.hdr...), tc.want, "")
		})
	}
	colls, err := e.store.ListCollections(t.Context(), e.alice.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range colls {
		if len(c.Name) > dav.MaxSegmentBytes {
			t.Errorf("collection of %d bytes created", len(c.Name))
		}
	}
	if !e.stored("contacts", "src.vcf") {
		t.Error("source of the refused COPY is gone")
	}
}

func TestPut_LongUIDRefused(t *testing.T) {
	e := newEnv(t, davtree.Options{})
	rec := e.put(e.card("contacts", "u.vcf"), card4(strings.Repeat("u", 40<<10), "U"))
	davtest.WantError(t, rec, 403, "valid-address-data")
	if e.stored("contacts", "u.vcf") {
		t.Error("refused card stored")
	}
}
