package davtree

import "testing"

// FuzzParseSearch: no search body makes the parser panic, and what it
// accepts stays within the limits.
func FuzzParseSearch(f *testing.F) {
	f.Add(true, `<D:principal-property-search xmlns:D="DAV:" test="anyof"><D:property-search><D:prop><D:displayname/></D:prop><D:match>bob</D:match></D:property-search></D:principal-property-search>`)
	f.Add(false, `<CS:calendarserver-principal-search xmlns:CS="http://calendarserver.org/ns/"><CS:search-token>a</CS:search-token><CS:limit><CS:nresults>3</CS:nresults></CS:limit></CS:calendarserver-principal-search>`)
	f.Fuzz(func(t *testing.T, pps bool, body string) {
		root := rCSPrincipalSearch
		if pps {
			root = rPrincipalSearch
		}
		terms, _, limit, err := parseSearch(root, []byte(body))
		if err != nil {
			return
		}
		if len(terms) == 0 || len(terms) > MaxSearchTerms || limit < 1 || limit > MaxSearchResults {
			t.Fatalf("%d terms, limit %d", len(terms), limit)
		}
		for _, tm := range terms {
			if tm.match == "" || len(tm.match) > MaxSearchTerm || tm.fields == 0 {
				t.Fatalf("term %+v", tm)
			}
		}
	})
}
