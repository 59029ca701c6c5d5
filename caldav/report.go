package caldav

import (
	"encoding/xml"
	"errors"
	"net/http"
	"net/url"
	"strings"

	"almanac/caldav/filter"
	"almanac/internal/dav"
	aical "almanac/internal/ical"
	"almanac/storage"
)

var (
	rMultiget = dav.Name(dav.NSCalDAV, "calendar-multiget")
	rQuery    = dav.Name(dav.NSCalDAV, "calendar-query")
	rSync     = dav.Name(dav.NSDAV, "sync-collection")
)

func (h *Handler) report(w http.ResponseWriter, r *http.Request, t *target) error {
	body, err := dav.ReadXML(r, dav.MaxXMLBody)
	if err != nil {
		return err
	}
	if body == nil {
		return dav.BadRequest("REPORT needs a request body")
	}
	root, err := dav.RootName(body)
	if err != nil {
		return err
	}
	if root != rMultiget && root != rQuery && root != rSync {
		return dav.Precondition(http.StatusForbidden, dav.CondSupportedReport, "unsupported report "+root.Local)
	}
	if t.kind != kCalendar && t.kind != kObject {
		return dav.Precondition(http.StatusForbidden, dav.CondSupportedReport, root.Local+" is only supported on calendar collections")
	}
	if t.coll == nil {
		return dav.ErrNotFound
	}
	switch root {
	case rMultiget:
		return h.multiget(w, r, t, body)
	case rQuery:
		return h.query(w, r, t, body)
	}
	if t.kind != kCalendar {
		return dav.Precondition(http.StatusForbidden, dav.CondSupportedReport, "sync-collection is only supported on calendar collections")
	}
	return h.syncCollection(w, r, t, body)
}

// reportProps reads the DAV:prop (or allprop/propname) of a REPORT body.
func reportProps(body []byte) (*dav.Propfind, error) {
	pf := &dav.Propfind{Kind: dav.FindProp}
	err := dav.EachChild(body, func(d *xml.Decoder, t xml.StartElement) error {
		switch t.Name {
		case dav.Name(dav.NSDAV, "allprop"):
			pf.Kind = dav.FindAllProp
		case dav.Name(dav.NSDAV, "propname"):
			pf.Kind = dav.FindPropName
		case dav.Name(dav.NSDAV, "prop"):
			var inner struct {
				Any []struct{ XMLName xml.Name } `xml:",any"`
			}
			if err := d.DecodeElement(&inner, &t); err != nil {
				return dav.BadRequest("malformed DAV:prop")
			}
			for _, a := range inner.Any {
				pf.Props = append(pf.Props, a.XMLName)
			}
			return nil
		}
		return d.Skip()
	})
	return pf, err
}

func wantsData(pf *dav.Propfind) bool {
	for _, n := range pf.Props {
		if n == pCalendarData {
			return true
		}
	}
	return false
}

// multiget serves calendar-multiget (RFC 4791 7.9). Every href must name
// a member of the request collection: others get 403 whether or not they
// exist elsewhere, so the report cannot probe other collections.
func (h *Handler) multiget(w http.ResponseWriter, r *http.Request, t *target, body []byte) error {
	pf, err := reportProps(body)
	if err != nil {
		return err
	}
	hrefs := dav.Hrefs(body)
	if len(hrefs) == 0 {
		return dav.BadRequest("calendar-multiget needs at least one DAV:href")
	}
	ctx := r.Context()
	base := calendarHref(t.account.ID, t.collName)
	data := wantsData(pf)
	ms := dav.NewMultistatus(w, r)
	for _, href := range hrefs {
		name, ok := memberName(href, base)
		if !ok {
			if err := ms.StatusResponse(href, http.StatusForbidden); err != nil {
				return h.afterStart(ms, err)
			}
			continue
		}
		if t.kind == kObject && name != t.objName {
			ms.StatusResponse(href, http.StatusForbidden)
			continue
		}
		src := &objectSource{acc: t.account}
		if data {
			obj, err := h.store.Get(ctx, t.account.ID, t.collName, name)
			if err == nil {
				src.meta, src.data = &obj.ObjectMeta, obj.Data
			} else if !errors.Is(err, storage.ErrNotFound) {
				return h.afterStart(ms, err)
			}
		} else {
			meta, err := h.store.Stat(ctx, t.account.ID, t.collName, name)
			if err == nil {
				src.meta = meta
			} else if !errors.Is(err, storage.ErrNotFound) {
				return h.afterStart(ms, err)
			}
		}
		if src.meta == nil {
			if err := ms.StatusResponse(href, http.StatusNotFound); err != nil {
				return h.afterStart(ms, err)
			}
			continue
		}
		if err := ms.Propfind(objectHref(t.account.ID, t.collName, name), pf, src); err != nil {
			return h.afterStart(ms, err)
		}
	}
	return ms.Close("")
}

// memberName returns the member name an href designates when it is a
// direct member of the collection at base (an escaped path). Absolute
// URLs are reduced to their path.
func memberName(href, base string) (string, bool) {
	u, err := url.Parse(href)
	if err != nil {
		return "", false
	}
	segs, trailing, err := dav.SplitPath(u.EscapedPath(), strings.TrimSuffix(base, "/"))
	if err != nil || len(segs) != 1 || trailing {
		return "", false
	}
	return segs[0], true
}

// query serves calendar-query (RFC 4791 7.8).
func (h *Handler) query(w http.ResponseWriter, r *http.Request, t *target, body []byte) error {
	// Without a Depth header the query is about the members: RFC 4918
	// would default to 0, but scripts and some clients omit the header
	// and mean the calendar's contents, as Radicale answers them.
	depth, err := dav.ParseDepth(r.Header.Get("Depth"), dav.DepthOne)
	if err != nil {
		return err
	}
	pf, err := reportProps(body)
	if err != nil {
		return err
	}
	f, err := parseQueryFilter(body)
	if err != nil {
		return err
	}
	ctx := r.Context()
	ms := dav.NewMultistatus(w, r)
	data := wantsData(pf)
	src := &objectSource{acc: t.account}
	visit := func(obj *storage.Object) error {
		cal, err := aical.Parse(obj.Data)
		if err != nil {
			// Stored objects were validated on PUT; one that no longer
			// parses (a stricter parser after an upgrade) cannot match.
			h.logger.Warn("stored object does not parse", "collection", t.collName, "object", obj.Name, "err", err)
			return nil
		}
		ok, err := f.Match(cal)
		if err != nil || !ok {
			return err
		}
		src.meta = &obj.ObjectMeta
		src.data = nil
		if data {
			src.data = obj.Data
		}
		return ms.Propfind(objectHref(t.account.ID, t.collName, obj.Name), pf, src)
	}
	if t.kind == kObject {
		obj, err := h.store.Get(ctx, t.account.ID, t.collName, t.objName)
		if err != nil {
			return err
		}
		if err := visit(obj); err != nil {
			return h.afterStart(ms, queryError(err))
		}
		return ms.Close("")
	}
	if depth == dav.DepthZero {
		// Depth 0 on the collection asks about the collection itself,
		// which is not a calendar object: nothing matches.
		return ms.Close("")
	}
	if err := h.store.Walk(ctx, t.account.ID, t.collName, visit); err != nil {
		return h.afterStart(ms, queryError(err))
	}
	return ms.Close("")
}

func parseQueryFilter(body []byte) (*filter.Filter, error) {
	var f *filter.Filter
	err := dav.EachChild(body, func(d *xml.Decoder, t xml.StartElement) error {
		if t.Name != dav.Name(dav.NSCalDAV, "filter") || f != nil {
			return d.Skip()
		}
		var err error
		if f, err = filter.Decode(d, t); err != nil {
			return queryError(err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if f == nil {
		return nil, dav.Precondition(http.StatusForbidden, dav.Name(dav.NSCalDAV, "valid-filter"), "calendar-query needs a CALDAV:filter")
	}
	return f, nil
}

func queryError(err error) error {
	switch {
	case errors.Is(err, filter.ErrUnsupportedCollation):
		return &dav.Error{Status: http.StatusForbidden, Condition: dav.Name(dav.NSCalDAV, "supported-collation"), Message: err.Error(), Err: err}
	case errors.Is(err, filter.ErrInvalidFilter):
		return &dav.Error{Status: http.StatusForbidden, Condition: dav.Name(dav.NSCalDAV, "valid-filter"), Message: err.Error(), Err: err}
	}
	return err
}

// syncCollection serves RFC 6578 sync-collection.
func (h *Handler) syncCollection(w http.ResponseWriter, r *http.Request, t *target, body []byte) error {
	// RFC 6578 3.2 asks for Depth: 0, but python-caldav and others send
	// Depth: 1; sync-level decides the scope, so Depth is ignored, as
	// Radicale and sabre/dav do.
	sc, err := dav.ParseSyncCollection(body)
	if err != nil {
		return err
	}
	inc, since := t.coll.Incarnation, uint64(0)
	if sc.Token != "" {
		if inc, since, err = dav.ParseSyncToken(sc.Token); err != nil {
			return err
		}
	}
	ctx := r.Context()
	changes, reached, truncated, err := h.store.Changes(ctx, t.account.ID, t.collName, inc, since, sc.Limit)
	if err != nil {
		return err
	}
	pf := &dav.Propfind{Kind: dav.FindProp, Props: sc.Props}
	data := wantsData(pf)
	needMeta := data
	for _, n := range pf.Props {
		if n != pGetETag {
			needMeta = true
		}
	}
	ms := dav.NewMultistatus(w, r)
	src := &objectSource{acc: t.account}
	for _, c := range changes {
		href := objectHref(t.account.ID, t.collName, c.Name)
		if c.Deleted {
			if err := ms.StatusResponse(href, http.StatusNotFound); err != nil {
				return h.afterStart(ms, err)
			}
			continue
		}
		src.data = nil
		switch {
		case data:
			obj, err := h.store.Get(ctx, t.account.ID, t.collName, c.Name)
			if errors.Is(err, storage.ErrNotFound) {
				continue // deleted after the change list was read; the next sync reports it
			}
			if err != nil {
				return h.afterStart(ms, err)
			}
			src.meta, src.data = &obj.ObjectMeta, obj.Data
		case needMeta:
			meta, err := h.store.Stat(ctx, t.account.ID, t.collName, c.Name)
			if errors.Is(err, storage.ErrNotFound) {
				continue
			}
			if err != nil {
				return h.afterStart(ms, err)
			}
			src.meta = meta
		default:
			src.meta = &storage.ObjectMeta{Name: c.Name, ETag: c.ETag}
		}
		if err := ms.Propfind(href, pf, src); err != nil {
			return h.afterStart(ms, err)
		}
	}
	if truncated {
		// RFC 6578 3.6: a truncated answer carries a 507 for the
		// request-URI and a token that resumes where this one stopped.
		ms.StatusResponse(t.href(), http.StatusInsufficientStorage)
	}
	return ms.Close(dav.SyncToken(inc, reached))
}
