package davtree

import (
	"encoding/xml"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"almanac/internal/dav"
	"almanac/storage"
)

var rSync = dav.Name(dav.NSDAV, "sync-collection")

func (tr *Tree) report(w http.ResponseWriter, r *http.Request, t *Target) error {
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
	if t.Kind == nil || (root != t.Kind.Spec().Multiget && root != rSync && !slices.Contains(t.Kind.Spec().Reports, root)) {
		return dav.Precondition(http.StatusForbidden, dav.CondSupportedReport, "unsupported report "+root.Local)
	}
	spec := t.Kind.Spec()
	if t.Type != Collection && t.Type != Member {
		return dav.Precondition(http.StatusForbidden, dav.CondSupportedReport, root.Local+" is only supported on "+spec.Noun+" collections")
	}
	if t.Coll == nil {
		return dav.ErrNotFound
	}
	switch root {
	case spec.Multiget:
		return tr.multiget(w, r, t, body)
	case rSync:
		if t.Type != Collection {
			return dav.Precondition(http.StatusForbidden, dav.CondSupportedReport, "sync-collection is only supported on collections")
		}
		return tr.syncCollection(w, r, t, body)
	}
	return t.Kind.Report(w, r, t, root, body)
}

// ReportProps reads the DAV:prop (or allprop/propname) of a REPORT body,
// each property once; dav.PropNames caps how many.
func ReportProps(body []byte) (*dav.Propfind, error) {
	pf := &dav.Propfind{Kind: dav.FindProp}
	var names dav.PropNames
	err := dav.EachChild(body, func(d *xml.Decoder, t xml.StartElement) error {
		switch t.Name {
		case dav.Name(dav.NSDAV, "allprop"):
			pf.Kind = dav.FindAllProp
		case dav.Name(dav.NSDAV, "propname"):
			pf.Kind = dav.FindPropName
		case dav.Name(dav.NSDAV, "prop"):
			return names.Decode(d)
		}
		return d.Skip()
	})
	pf.Props = names.Names
	return pf, err
}

// multiget serves the kind's multiget (RFC 4791 7.9, RFC 6352 8.7).
// Every href must name a member of the request collection: others get
// 403 whether or not they exist elsewhere, so the report cannot probe
// other collections.
func (tr *Tree) multiget(w http.ResponseWriter, r *http.Request, t *Target, body []byte) error {
	pf, err := ReportProps(body)
	if err != nil {
		return err
	}
	hrefs, err := dav.Hrefs(body)
	if err != nil {
		return err
	}
	if len(hrefs) == 0 {
		return dav.BadRequest(t.Kind.Spec().Multiget.Local + " needs at least one DAV:href")
	}
	render, err := t.Kind.DataRequest(r, t, body)
	if err != nil {
		return err
	}
	ctx := r.Context()
	base := t.CollectionHref()
	data := WantsData(t.Kind, pf)
	ms := dav.NewMultistatus(w, r)
	// dav.Hrefs drops repeated hrefs; other spellings of one member
	// (absolute, percent-encoded) are caught here, so that each member
	// and its data are in the answer once.
	answered := make(map[string]struct{}, len(hrefs))
	var cut []string
	for _, href := range hrefs {
		name, ok := memberName(href, base)
		if !ok || (t.Type == Member && name != t.ObjName) {
			if err := ms.StatusResponse(href, http.StatusForbidden); err != nil {
				return Abort(tr.logger, ms, err)
			}
			continue
		}
		if _, dup := answered[name]; dup {
			continue
		}
		answered[name] = struct{}{}
		src := NewMemberSource(t, render)
		if data {
			obj, err := t.Get(ctx, name)
			if err == nil {
				src.Meta, src.Data = &obj.ObjectMeta, obj.Data
			} else if !errors.Is(err, storage.ErrNotFound) {
				return Abort(tr.logger, ms, err)
			}
		} else {
			meta, err := t.Stat(ctx, name)
			if err == nil {
				src.Meta = meta
			} else if !errors.Is(err, storage.ErrNotFound) {
				return Abort(tr.logger, ms, err)
			}
		}
		if src.Meta == nil {
			if err := ms.StatusResponse(href, http.StatusNotFound); err != nil {
				return Abort(tr.logger, ms, err)
			}
			continue
		}
		if err := ms.Propfind(t.MemberHref(name), pf, src); err != nil {
			return Abort(tr.logger, ms, err)
		}
		cut = append(cut, src.Cut...)
	}
	if err := ReportCut(ms, t, cut); err != nil {
		return Abort(tr.logger, ms, err)
	}
	return ms.Close("")
}

// maxCutNamed bounds the members a ReportCut description names.
const maxCutNamed = 10

// ReportCut adds to a report whose answers limits cut short for the
// named members (LimitedRenderer, a calendar-query's time-range tests) a
// response for the request-URI with status 507 and
// DAV:number-of-matches-within-limits, as RFC 5323 5.6 and RFC 6578 3.6
// report truncated results, and a DAV:responsedescription naming up to
// ten of them. Nothing is written for no names.
func ReportCut(ms *dav.Multistatus, t *Target, names []string) error {
	if len(names) == 0 {
		return nil
	}
	var b strings.Builder
	b.WriteString("incomplete: the server's limits cut short the answer for ")
	for i, n := range names {
		if i == maxCutNamed {
			fmt.Fprintf(&b, " and %d more", len(names)-i)
			break
		}
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(t.MemberHref(n))
	}
	return ms.ErrorResponse(t.Href(), http.StatusInsufficientStorage, dav.CondNumberOfMatches, b.String())
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

// syncCollection serves RFC 6578 sync-collection.
func (tr *Tree) syncCollection(w http.ResponseWriter, r *http.Request, t *Target, body []byte) error {
	// RFC 6578 3.2 asks for Depth: 0, but python-caldav and others send
	// Depth: 1; sync-level decides the scope, so Depth is ignored, as
	// Radicale and sabre/dav do.
	sc, err := dav.ParseSyncCollection(body)
	if err != nil {
		return err
	}
	render, err := t.Kind.DataRequest(r, t, body)
	if err != nil {
		return err
	}
	inc, since := t.Coll.Incarnation, uint64(0)
	if sc.Token != "" {
		if inc, since, err = dav.ParseSyncToken(sc.Token); err != nil {
			return err
		}
	}
	ctx := r.Context()
	changes, reached, truncated, err := tr.store.Changes(ctx, t.Owner, t.CollName, inc, since, sc.Limit)
	if err != nil {
		return err
	}
	pf := &dav.Propfind{Kind: dav.FindProp, Props: sc.Props}
	data := WantsData(t.Kind, pf)
	// A redacted view's ETags are not the change log's: read every
	// changed member.
	needMeta := data || t.redacts()
	for _, n := range pf.Props {
		if n != pGetETag {
			needMeta = true
		}
	}
	ms := dav.NewMultistatus(w, r)
	src := NewMemberSource(t, render)
	for _, c := range changes {
		href := t.MemberHref(c.Name)
		if c.Deleted {
			if err := ms.StatusResponse(href, http.StatusNotFound); err != nil {
				return Abort(tr.logger, ms, err)
			}
			continue
		}
		src.Data = nil
		switch {
		case data:
			obj, err := t.Get(ctx, c.Name)
			if errors.Is(err, storage.ErrNotFound) {
				if t.redacts() && sc.Token != "" {
					// Hidden from this user (made private): gone for them.
					if err := ms.StatusResponse(href, http.StatusNotFound); err != nil {
						return Abort(tr.logger, ms, err)
					}
				}
				continue // deleted after the change list was read; the next sync reports it
			}
			if err != nil {
				return Abort(tr.logger, ms, err)
			}
			src.Meta, src.Data = &obj.ObjectMeta, obj.Data
		case needMeta:
			meta, err := t.Stat(ctx, c.Name)
			if errors.Is(err, storage.ErrNotFound) {
				if t.redacts() && sc.Token != "" {
					if err := ms.StatusResponse(href, http.StatusNotFound); err != nil {
						return Abort(tr.logger, ms, err)
					}
				}
				continue
			}
			if err != nil {
				return Abort(tr.logger, ms, err)
			}
			src.Meta = meta
		default:
			src.Meta = &storage.ObjectMeta{Name: c.Name, ETag: c.ETag}
		}
		if err := ms.Propfind(href, pf, src); err != nil {
			return Abort(tr.logger, ms, err)
		}
	}
	switch {
	case len(src.Cut) > 0:
		// One 507 for the request-URI says both that data was cut
		// short and, if it was, that the change list was.
		if err := ReportCut(ms, t, src.Cut); err != nil {
			return Abort(tr.logger, ms, err)
		}
	case truncated:
		// RFC 6578 3.6: a truncated answer carries a 507 for the
		// request-URI, with DAV:number-of-matches-within-limits, and a
		// token that resumes where this one stopped.
		msg := "the change list is cut short; sync again with this answer's token for the rest"
		if err := ms.ErrorResponse(t.Href(), http.StatusInsufficientStorage, dav.CondNumberOfMatches, msg); err != nil {
			return Abort(tr.logger, ms, err)
		}
	}
	return ms.Close(dav.SyncToken(inc, reached))
}
