package carddav

import (
	"encoding/xml"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"almanac/carddav/filter"
	"almanac/internal/dav"
	"almanac/internal/davtree"
	"almanac/internal/vcard"
	"almanac/storage"
)

var (
	eFilter = dav.Name(dav.NSCardDAV, "filter")
	eLimit  = dav.Name(dav.NSCardDAV, "limit")
)

// addressBookQuery is what addressbook-query carries besides DAV:prop.
type addressBookQuery struct {
	filter *filter.Filter
	limit  int // 0: none
}

// parseQuery reads the filter and limit of an addressbook-query body
// (RFC 6352 8.6, 10.3). A missing or invalid filter is 403
// CARDDAV:valid-filter (carddav/filter doc.go); an unknown collation or
// match type 403 CARDDAV:supported-collation or CARDDAV:supported-filter;
// a bad limit or malformed XML 400.
func parseQuery(body []byte) (*addressBookQuery, error) {
	q := &addressBookQuery{}
	err := dav.EachChild(body, func(d *xml.Decoder, se xml.StartElement) error {
		switch {
		case se.Name == eFilter && q.filter == nil:
			f, err := filter.Decode(d, se)
			if err != nil {
				return filterError(err)
			}
			q.filter = f
			return nil
		case se.Name == eLimit:
			n, err := filter.DecodeLimit(d, se)
			if err != nil {
				return filterError(err)
			}
			q.limit = n
			return nil
		}
		return d.Skip()
	})
	if err != nil {
		return nil, xmlError(err)
	}
	if q.filter == nil {
		return nil, dav.Precondition(http.StatusForbidden, dav.Name(dav.NSCardDAV, "valid-filter"), "addressbook-query needs a CARDDAV:filter")
	}
	return q, nil
}

func filterError(err error) error {
	var xe *dav.XMLError
	if errors.As(err, &xe) {
		return &dav.Error{Status: http.StatusBadRequest, Message: "malformed XML in CARDDAV:filter", Err: err}
	}
	cond := filter.Precondition(err)
	if cond == "" {
		return &dav.Error{Status: http.StatusBadRequest, Message: err.Error(), Err: err}
	}
	e := &dav.Error{Status: http.StatusForbidden, Condition: dav.Name(dav.NSCardDAV, cond), Message: err.Error(), Err: err}
	var ue *filter.UnsupportedError
	if errors.As(err, &ue) {
		// RFC 6352 8.6: the server SHOULD report the prop-filter or
		// param-filter it does not support.
		var b strings.Builder
		for _, u := range ue.Elements {
			b.WriteString("<CR:" + u.Element + ` name="` + dav.EscapeText(u.Name) + `"/>`)
		}
		e.ConditionXML = b.String()
	}
	return e
}

// query serves addressbook-query (RFC 6352 8.6) on an address book, one
// of its members, or the address-book home, where it searches every
// address book in it (davtree.Target.QueryScope) and answers with the
// members' own URLs. Every card in scope is parsed and matched; at most
// limit matches are returned, counted over the whole scope, and when more
// would have matched the answer ends with a 507 response for the request
// URI (8.6.1), so the client knows the list is cut.
func (a *AddressBooks) query(w http.ResponseWriter, r *http.Request, t *davtree.Target, body []byte) error {
	// Without a Depth header the query is about the members, as for
	// calendar-query: scripts omit the header and mean the contents.
	depth, err := dav.ParseDepth(r.Header.Get("Depth"), dav.DepthOne)
	if err != nil {
		return err
	}
	pf, err := davtree.ReportProps(body)
	if err != nil {
		return err
	}
	q, err := parseQuery(body)
	if err != nil {
		return err
	}
	render, err := a.DataRequest(r, t, body)
	if err != nil {
		return err
	}
	ctx := r.Context()
	var scope []*davtree.Target
	if t.Type != davtree.Member {
		if scope, err = t.QueryScope(ctx, depth); err != nil {
			return err
		}
	}
	ms := dav.NewMultistatus(w, r)
	data := davtree.WantsData(a, pf)
	matched := 0
	keep := filterProps(q.filter)
	search := func(ct *davtree.Target, only string) error {
		src := davtree.NewMemberSource(ct, render)
		visit := func(obj *storage.Object) error {
			ok, err := matchCard(q.filter, keep, obj.Data)
			if err != nil {
				// Stored cards were validated on PUT; one that no
				// longer parses (a stricter parser after an upgrade)
				// cannot match.
				a.logger.WarnContext(ctx, "stored vCard does not parse", "collection", ct.CollName, "object", obj.Name, "err", err)
				return nil
			}
			if !ok {
				return nil
			}
			if q.limit > 0 && matched == q.limit {
				return errTruncated
			}
			matched++
			src.Meta, src.Data = &obj.ObjectMeta, nil
			if data {
				src.Data = obj.Data
			}
			return ms.Propfind(ct.MemberHref(obj.Name), pf, src)
		}
		if only == "" {
			return ct.Walk(ctx, visit)
		}
		obj, err := ct.Get(ctx, only)
		if err != nil {
			return err
		}
		return visit(obj)
	}
	if t.Type == davtree.Member {
		err = search(t, t.ObjName)
	}
	for _, ct := range scope {
		if err = search(ct, ""); err != nil {
			break
		}
	}
	if errors.Is(err, errTruncated) {
		// RFC 6352 8.6.2: the cut is reported as a 507 response for the
		// request URI, with DAV:number-of-matches-within-limits so that
		// a client can tell it from other 507s.
		msg := fmt.Sprintf("more cards match: the answer holds the first %d (CARDDAV:limit)", q.limit)
		if err := ms.ErrorResponse(t.Href(), http.StatusInsufficientStorage, dav.CondNumberOfMatches, msg); err != nil {
			return davtree.Abort(a.logger, ms, err)
		}
		err = nil
	}
	if err != nil {
		return davtree.Abort(a.logger, ms, err)
	}
	return ms.Close("")
}

// matchCard is f.Match of data parsed, and the parse error if any, as
// a full vcard.Parse gives them; keep is filterProps(f). The filter
// reads only the properties it names, so a card is first read for those
// alone (vcard.ParseSelected), and only one that matches them is parsed
// whole: a card that does not match costs a scan of its lines, and the
// answer is the full matcher's (TestMatchCardEqualsFullMatch).
func matchCard(f *filter.Filter, keep func(string) bool, data []byte) (bool, error) {
	card, err := vcard.ParseSelected(data, keep)
	if err == nil && !f.Match(card) {
		// Selected parses all Parse does: if Parse fails too there is
		// no match either; the error is not reported (it would cost the
		// full parse the scan exists to avoid).
		return false, nil
	}
	if card, err = vcard.Parse(data); err != nil {
		return false, err
	}
	return f.Match(card), nil
}

// filterProps is the keep function of vcard.ParseSelected for f: the
// names its prop-filters test, without their group, in any case, as
// filter.Match compares them.
func filterProps(f *filter.Filter) func(name string) bool {
	names := make([]string, 0, len(f.Props))
	for _, pf := range f.Props {
		_, name, grouped := strings.Cut(pf.Name, ".")
		if !grouped {
			name = pf.Name
		}
		names = append(names, name)
	}
	return func(name string) bool {
		for _, n := range names {
			if strings.EqualFold(n, name) {
				return true
			}
		}
		return false
	}
}

// errTruncated stops the walk when a match beyond the limit is found.
var errTruncated = errors.New("carddav: query limit reached")
