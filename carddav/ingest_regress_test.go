package carddav_test

import (
	"strings"
	"testing"

	"almanac/internal/davtest"
	"almanac/internal/davtree"
)

// Regression tests, over raw HTTP, for real-world defects the server
// accepts and stores as sent (internal/vcard doc.go "Parse"): a UTF-8 byte
// order mark, bare LF line ends and RFC 6868 parameter encoding.

func (e *env) multiget(book, prop string, hrefs ...string) *davtest.Multistatus {
	e.t.Helper()
	body := `<CR:addressbook-multiget xmlns:D="DAV:" xmlns:CR="urn:ietf:params:xml:ns:carddav"><D:prop><D:getetag/>` + prop + `</D:prop>`
	for _, h := range hrefs {
		body += "<D:href>" + h + "</D:href>"
	}
	return davtest.ParseMS(e.t, e.do("REPORT", e.book(book), body+"</CR:addressbook-multiget>", "Depth", "1"))
}

func (e *env) queryHrefs(book, filter string) []string {
	e.t.Helper()
	body := `<CR:addressbook-query xmlns:D="DAV:" xmlns:CR="urn:ietf:params:xml:ns:carddav"><D:prop><D:getetag/></D:prop><CR:filter>` + filter + `</CR:filter></CR:addressbook-query>`
	return davtest.ParseMS(e.t, e.do("REPORT", e.book(book), body, "Depth", "1")).Hrefs()
}

// TestPut_ByteOrderMark: RFC 6350 3.1 makes vCard UTF-8 and says nothing
// of a BOM; RFC 3629 6 reads a leading U+FEFF as a signature. Android's
// and Outlook's .vcf exports carry one and sabre/vobject accepts it
// (sabre-io/vobject#175). The card is stored and served by GET byte for
// byte; address-data in a multistatus (RFC 6352 10.4) leaves the BOM out,
// and a converted card (RFC 6352 6.3.2.1 version negotiation) has none.
func TestPut_ByteOrderMark(t *testing.T) {
	e := newEnv(t, davtree.Options{})
	plain := card3("uid-bom", "Exported Person", "TEL;TYPE=CELL:+41 1")
	body := "\uFEFF" + plain
	p := e.card("contacts", "bom.vcf")
	rec := e.put(p, body)
	if rec.Code != 201 {
		t.Fatalf("PUT with a BOM: %d %s", rec.Code, rec.Body)
	}
	etag := rec.Header().Get("ETag")
	if get := e.do("GET", p, ""); get.Body.String() != body || get.Header().Get("ETag") != etag {
		t.Errorf("GET = %q, want the stored bytes", get.Body)
	}
	m := e.multiget("contacts", "<CR:address-data/>", p)
	if text, _, ok := m.Prop(p, "address-data"); !ok || text != plain {
		t.Errorf("address-data = %q, want %q", text, plain)
	}
	m = e.multiget("contacts", `<CR:address-data version="4.0"/>`, p)
	if text, _, _ := m.Prop(p, "address-data"); !strings.HasPrefix(text, "BEGIN:VCARD\r\nVERSION:4.0\r\n") || !strings.Contains(text, "TEL;TYPE=cell:+41 1") {
		t.Errorf("converted address-data = %q", text)
	}
	if got := e.do("GET", p, "", "Accept", "text/vcard; version=4.0"); !strings.HasPrefix(got.Body.String(), "BEGIN:VCARD\r\nVERSION:4.0\r\n") {
		t.Errorf("GET as 4.0 = %q", got.Body)
	}
	if got := e.queryHrefs("contacts", `<CR:prop-filter name="FN"><CR:text-match>exported</CR:text-match></CR:prop-filter>`); len(got) != 1 {
		t.Errorf("addressbook-query = %v", got)
	}
	davtest.WantError(t, e.put(e.card("contacts", "two.vcf"), "\uFEFF\uFEFF"+card3("uid-two", "Two")), 403, "valid-address-data")
	if e.stored("contacts", "two.vcf") {
		t.Error("refused card stored")
	}
}

// TestPut_BareLF: RFC 6350 3.2 ends lines with CRLF; LF-only cards are
// accepted, stored and served as sent, and what the server writes from
// them (conversion) has CRLF.
func TestPut_BareLF(t *testing.T) {
	e := newEnv(t, davtree.Options{})
	body := strings.ReplaceAll(card3("uid-lf", "Script Person", "NOTE:a long", "  folded note", "TEL;TYPE=WORK:+1"), "\r\n", "\n")
	p := e.card("contacts", "lf.vcf")
	if rec := e.put(p, body); rec.Code != 201 {
		t.Fatalf("PUT with LF: %d %s", rec.Code, rec.Body)
	}
	if get := e.do("GET", p, ""); get.Body.String() != body {
		t.Errorf("GET = %q", get.Body)
	}
	if text, _, _ := e.multiget("contacts", "<CR:address-data/>", p).Prop(p, "address-data"); text != body {
		t.Errorf("address-data = %q, want the stored bytes", text)
	}
	text, _, _ := e.multiget("contacts", `<CR:address-data version="4.0"/>`, p).Prop(p, "address-data")
	if !strings.Contains(text, "NOTE:a long folded note\r\n") || strings.Contains(strings.ReplaceAll(text, "\r\n", ""), "\n") {
		t.Errorf("converted address-data = %q; want CRLF lines", text)
	}
	if got := e.queryHrefs("contacts", `<CR:prop-filter name="NOTE"><CR:text-match>long folded</CR:text-match></CR:prop-filter>`); len(got) != 1 {
		t.Errorf("addressbook-query = %v", got)
	}
}

// TestQuery_ParamFilterRFC6868: a param-filter's text-match (RFC 6352
// 10.5.2) compares the value the client meant, RFC 6868 3 escapes decoded.
func TestQuery_ParamFilterRFC6868(t *testing.T) {
	e := newEnv(t, davtree.Options{})
	e.mustPut(e.card("contacts", "a.vcf"), card4("uid-a", "Anna", `TEL;TYPE="^'main^'",voice;X-NOTE="desk^nfloor ^^2":+1`))
	e.mustPut(e.card("contacts", "b.vcf"), card3("uid-b", "Bert", `EMAIL;TYPE=INTERNET;X-LABEL=^'Work^':b@example.com`))
	for _, tc := range []struct {
		name, prop, param, match, text string
		want                           []string
	}{
		{"TYPE with quotes", "TEL", "TYPE", "equals", `"main"`, []string{"a.vcf"}},
		{"escape is no text", "TEL", "TYPE", "contains", "^'", nil},
		{"caret", "TEL", "X-NOTE", "ends-with", "floor ^2", []string{"a.vcf"}},
		{"line break", "TEL", "X-NOTE", "starts-with", "desk\nfloor", []string{"a.vcf"}},
		{"3.0 card", "EMAIL", "X-LABEL", "equals", `"work"`, []string{"b.vcf"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			text := strings.NewReplacer("\n", "&#10;", `"`, "&quot;").Replace(tc.text)
			got := e.queryHrefs("contacts", `<CR:prop-filter name="`+tc.prop+`"><CR:param-filter name="`+tc.param+`"><CR:text-match match-type="`+tc.match+`">`+text+`</CR:text-match></CR:param-filter></CR:prop-filter>`)
			if len(got) != len(tc.want) || len(got) == 1 && !strings.HasSuffix(got[0], "/"+tc.want[0]) {
				t.Errorf("matched %v, want %v", got, tc.want)
			}
		})
	}
}
