package davtree

import (
	"bytes"
	"context"
	"encoding/xml"
	"net/http"
	"strconv"
	"strings"

	"almanac/internal/dav"
	"almanac/storage"
)

// Principal search (RFC 3744 9.4, 9.5; CalendarServer's
// calendarserver-principal-search): how clients complete a colleague's
// name when inviting. It runs over Scheduler.People, the accounts the
// user may see, and matches display names and calendar user addresses.
var (
	rPrincipalSearch    = dav.Name(dav.NSDAV, "principal-property-search")
	rPrincipalSearchSet = dav.Name(dav.NSDAV, "principal-search-property-set")
	rCSPrincipalSearch  = dav.Name(dav.NSCalendarServer, "calendarserver-principal-search")
)

// Limits of one search: what a search box sends is a few words; the
// answer is a list to pick from, so fifty entries are plenty and a
// larger directory is not walked past MaxPeople.
const (
	MaxSearchResults = 50
	MaxSearchTerms   = 10
	MaxSearchTerm    = 256
)

// principalReportSet is the supported-report-set of principals and the
// principal collection when search is served.
const principalReportSet = expandReportSet +
	"<D:supported-report><D:report><D:principal-property-search/></D:report></D:supported-report>" +
	"<D:supported-report><D:report><D:principal-search-property-set/></D:report></D:supported-report>" +
	"<D:supported-report><D:report><CS:calendarserver-principal-search/></D:report></D:supported-report>"

// searchField is what a search term is matched against.
type searchField int

const (
	fieldName searchField = 1 << iota
	fieldAddress
	fieldAll = fieldName | fieldAddress
)

// searchTerm is one term: a caseless substring of one of fields.
type searchTerm struct {
	match  string
	fields searchField
}

// searchable maps the properties principal-property-search may name to
// the fields they search (principal-search-property-set lists them).
var searchable = map[xml.Name]searchField{
	pDisplayName:         fieldName,
	pCalendarUserAddrSet: fieldAddress,
	pEmailAddressSet:     fieldAddress,
}

func (tr *Tree) searchReport(root xml.Name) bool {
	return tr.sched != nil && (root == rPrincipalSearch || root == rPrincipalSearchSet || root == rCSPrincipalSearch)
}

// principalSearch serves the three search reports on the principal
// collection (and, as clients also send them there, on a principal or
// the root).
func (tr *Tree) principalSearch(w http.ResponseWriter, r *http.Request, t *Target, root xml.Name, body []byte) error {
	switch t.Type {
	case Root, Principals, Principal:
	default:
		return dav.Precondition(http.StatusForbidden, dav.CondSupportedReport, root.Local+" is served on the principal collection")
	}
	if root == rPrincipalSearchSet {
		return writeSearchSet(w)
	}
	terms, all, limit, err := parseSearch(root, body)
	if err != nil {
		return err
	}
	pf, err := ReportProps(body)
	if err != nil {
		return err
	}
	ctx := r.Context()
	people, err := tr.sched.People(ctx, t.Account)
	if err != nil {
		return err
	}
	ms := dav.NewMultistatus(w, r)
	n := 0
	for i := range people {
		if n == limit {
			break
		}
		p := &people[i]
		ok, err := tr.matches(ctx, p, terms, all)
		if err != nil {
			return Abort(tr.logger, ms, err)
		}
		if !ok {
			continue
		}
		n++
		pt := &Target{Type: Principal, Account: t.Account, Owner: t.Account.ID, tree: tr}
		if p.ID != t.Account.ID {
			pt.Principal = p
		}
		props, err := tr.plainProps(ctx, pt)
		if err != nil {
			return Abort(tr.logger, ms, err)
		}
		if err := ms.Propfind(pt.Href(), pf, &plainSource{props: props}); err != nil {
			return Abort(tr.logger, ms, err)
		}
	}
	return ms.Close("")
}

// matches applies terms to account p: each (all) or one (any) must be a
// caseless substring of a field it searches.
func (tr *Tree) matches(ctx context.Context, p *storage.Account, terms []searchTerm, all bool) (bool, error) {
	var addrs []string
	if needs(terms, fieldAddress) {
		var err error
		if addrs, err = tr.sched.Addresses(ctx, p); err != nil {
			return false, err
		}
	}
	name := strings.ToLower(commonName(p))
	for _, t := range terms {
		hit := t.fields&fieldName != 0 && strings.Contains(name, t.match)
		for _, a := range addrs {
			if hit || t.fields&fieldAddress == 0 {
				break
			}
			hit = strings.Contains(strings.ToLower(a), t.match)
		}
		if hit && !all {
			return true, nil
		}
		if !hit && all {
			return false, nil
		}
	}
	return all, nil
}

func needs(terms []searchTerm, f searchField) bool {
	for _, t := range terms {
		if t.fields&f != 0 {
			return true
		}
	}
	return false
}

// parseSearch reads a principal-property-search (RFC 3744 9.4: property-
// search elements, each props and a match; test="anyof" or the default
// allof) or a calendarserver-principal-search (search-tokens that must
// all match name or address, limit/nresults). Empty, too many or too
// long terms are 400; a property that cannot be searched is 403.
func parseSearch(root xml.Name, body []byte) (terms []searchTerm, all bool, limit int, err error) {
	limit = MaxSearchResults
	if root == rCSPrincipalSearch {
		var q struct {
			Tokens []string `xml:"http://calendarserver.org/ns/ search-token"`
			Limit  *struct {
				N string `xml:"http://calendarserver.org/ns/ nresults"`
			} `xml:"http://calendarserver.org/ns/ limit"`
		}
		if err := xml.NewDecoder(bytes.NewReader(body)).Decode(&q); err != nil {
			return nil, false, 0, dav.BadRequest("malformed XML")
		}
		for _, tok := range q.Tokens {
			terms = append(terms, searchTerm{match: tok, fields: fieldAll})
		}
		if q.Limit != nil {
			n, err := strconv.Atoi(strings.TrimSpace(q.Limit.N))
			if err != nil || n < 1 {
				return nil, false, 0, dav.BadRequest("nresults must be a positive number")
			}
			limit = min(n, MaxSearchResults)
		}
		all = true
	} else {
		var q struct {
			Test     string `xml:"test,attr"`
			Searches []struct {
				Prop struct {
					Names []struct {
						XMLName xml.Name
					} `xml:",any"`
				} `xml:"DAV: prop"`
				Match string `xml:"DAV: match"`
			} `xml:"DAV: property-search"`
		}
		if err := xml.NewDecoder(bytes.NewReader(body)).Decode(&q); err != nil {
			return nil, false, 0, dav.BadRequest("malformed XML")
		}
		switch q.Test {
		case "", "allof":
			all = true
		case "anyof":
		default:
			return nil, false, 0, dav.BadRequest(`test must be "allof" or "anyof"`)
		}
		for _, s := range q.Searches {
			var f searchField
			for _, n := range s.Prop.Names {
				sf, ok := searchable[n.XMLName]
				if !ok {
					return nil, false, 0, dav.NewError(http.StatusForbidden, n.XMLName.Local+" cannot be searched; see principal-search-property-set")
				}
				f |= sf
			}
			if f == 0 {
				return nil, false, 0, dav.BadRequest("a property-search names at least one property")
			}
			terms = append(terms, searchTerm{match: s.Match, fields: f})
		}
	}
	if len(terms) == 0 || len(terms) > MaxSearchTerms {
		return nil, false, 0, dav.BadRequest("give 1 to " + strconv.Itoa(MaxSearchTerms) + " search terms")
	}
	for i := range terms {
		m := strings.ToLower(strings.TrimSpace(terms[i].match))
		if m == "" || len(m) > MaxSearchTerm {
			return nil, false, 0, dav.BadRequest("a search term has 1 to " + strconv.Itoa(MaxSearchTerm) + " bytes")
		}
		terms[i].match = m
	}
	return terms, all, limit, nil
}

// writeSearchSet answers principal-search-property-set (RFC 3744 9.5).
func writeSearchSet(w http.ResponseWriter) error {
	const body = `<?xml version="1.0" encoding="utf-8"?>
<D:principal-search-property-set xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav" xmlns:CS="http://calendarserver.org/ns/">` +
		`<D:principal-search-property><D:prop><D:displayname/></D:prop><D:description xml:lang="en">Name</D:description></D:principal-search-property>` +
		`<D:principal-search-property><D:prop><C:calendar-user-address-set/></D:prop><D:description xml:lang="en">Calendar address</D:description></D:principal-search-property>` +
		`<D:principal-search-property><D:prop><CS:email-address-set/></D:prop><D:description xml:lang="en">Email address</D:description></D:principal-search-property>` +
		"</D:principal-search-property-set>\n"
	w.Header().Set("Content-Type", "application/xml; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	_, err := w.Write([]byte(body))
	return err
}
