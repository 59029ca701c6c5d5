package caldav

import (
	"encoding/xml"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"almanac/internal/dav"
	aical "almanac/internal/ical"
	"almanac/storage"
)

func (h *Handler) propfind(w http.ResponseWriter, r *http.Request, t *target) error {
	depth, err := dav.PropfindDepth(r)
	if err != nil {
		return err
	}
	body, err := dav.ReadXML(r, dav.MaxXMLBody)
	if err != nil {
		return err
	}
	pf, err := dav.ParsePropfind(body)
	if err != nil {
		return err
	}
	ctx := r.Context()
	ms := dav.NewMultistatus(w, r)
	acc := t.account
	switch t.kind {
	case kObject:
		if t.coll == nil {
			return dav.ErrNotFound
		}
		meta, err := h.store.Stat(ctx, acc.ID, t.collName, t.objName)
		if err != nil {
			return err
		}
		if err := ms.Propfind(t.href(), pf, &objectSource{acc: acc, meta: meta}); err != nil {
			return err
		}
	case kCalendar:
		if t.coll == nil {
			return dav.ErrNotFound
		}
		if err := ms.Propfind(t.href(), pf, &calendarSource{h: h, acc: acc, coll: t.coll}); err != nil {
			return err
		}
		if depth == dav.DepthOne {
			src := &objectSource{acc: acc}
			base := t.href()
			err := h.store.List(ctx, acc.ID, t.collName, func(m *storage.ObjectMeta) error {
				src.meta = m
				return ms.Propfind(base+dav.EscapePath(m.Name), pf, src)
			})
			if err != nil {
				return h.afterStart(ms, err)
			}
		}
	case kHome:
		if err := ms.Propfind(t.href(), pf, &plainSource{props: h.plainProps(t)}); err != nil {
			return err
		}
		if depth == dav.DepthOne {
			colls, err := h.store.ListCollections(ctx, acc.ID)
			if err != nil {
				return h.afterStart(ms, err)
			}
			for i := range colls {
				if colls[i].Kind != storage.KindCalendar {
					continue
				}
				c := &colls[i]
				if err := ms.Propfind(calendarHref(acc.ID, c.Name), pf, &calendarSource{h: h, acc: acc, coll: c}); err != nil {
					return h.afterStart(ms, err)
				}
			}
		}
	default:
		if err := ms.Propfind(t.href(), pf, &plainSource{props: h.plainProps(t)}); err != nil {
			return err
		}
		if depth == dav.DepthOne {
			// Only the user's own principal and home are listed: other
			// accounts are not discoverable.
			child := &target{account: acc}
			switch t.kind {
			case kRoot:
				child.kind = kPrincipals
				ms.Propfind(child.href(), pf, &plainSource{props: h.plainProps(child)})
				child = &target{account: acc, kind: kCalendars}
			case kPrincipals:
				child.kind = kPrincipal
			case kCalendars:
				child.kind = kHome
			}
			if err := ms.Propfind(child.href(), pf, &plainSource{props: h.plainProps(child)}); err != nil {
				return err
			}
		}
	}
	return ms.Close("")
}

// afterStart handles an error in the middle of a streamed multistatus:
// the 207 status is already on the wire, so the error can only be logged
// and the connection cut, which tells the client the body is incomplete.
func (h *Handler) afterStart(ms *dav.Multistatus, err error) error {
	if !ms.Started() {
		return err
	}
	// Most often the client went away mid-listing, so this is a warning.
	h.logger.Warn("multistatus aborted", "err", err)
	panic(http.ErrAbortHandler)
}

// Live properties a client may write on a calendar, with the check of
// their value (nil: any value). Protected properties are refused and
// every other name is stored as a dead property.
var writable = map[xml.Name]func(*dav.RawXML) string{
	pDisplayName:      nil,
	pCalendarDesc:     nil,
	pCalendarColor:    nil,
	pCalendarOrder:    checkOrder,
	pCalendarTimezone: checkTimezone,
}

func checkOrder(v *dav.RawXML) string {
	if _, err := strconv.Atoi(strings.TrimSpace(v.Text())); err != nil {
		return "calendar-order must be an integer"
	}
	return ""
}

func checkTimezone(v *dav.RawXML) string {
	if err := aical.ValidateTimezone([]byte(v.Text())); err != nil {
		return err.Error()
	}
	return ""
}

// protected reports whether a property is computed by the server and so
// cannot be set (RFC 4918 16 DAV:cannot-modify-protected-property). Any
// other name is a dead property and stored as sent: Apple and Evolution
// write properties such as CALDAV:schedule-calendar-transp alongside
// displayname, and refusing them would fail the whole PROPPATCH.
func protected(n xml.Name) bool {
	return slices.Contains(calendarLive, n) || slices.Contains(objectLive, n) || slices.Contains(principalLive, n)
}

// patchResult is the per-property outcome of checking a PROPPATCH or
// MKCALENDAR set-prop list.
type patchResult struct {
	set     map[string]string
	remove  []string
	comps   []string
	failed  []dav.PropStat
	okNames []xml.Name
}

// checkPatch validates every operation before anything is written, so
// that PROPPATCH is all-or-nothing (RFC 4918 9.2).
func checkPatch(ops []dav.PatchOp, creating bool) *patchResult {
	res := &patchResult{set: map[string]string{}}
	for _, op := range ops {
		n := op.Prop.Name
		if creating && n == pResourceType {
			continue // checked by mkcalendar
		}
		if creating && n == pSupportedComps && !op.Remove {
			comps, msg := parseComps(&op.Prop)
			if msg != "" {
				res.failed = append(res.failed, dav.PropStat{Status: http.StatusForbidden, Names: []xml.Name{n}, Error: dav.Name(dav.NSCalDAV, "supported-calendar-component")})
				continue
			}
			res.comps = comps
			res.okNames = append(res.okNames, n)
			continue
		}
		check := writable[n]
		if protected(n) {
			res.failed = append(res.failed, dav.PropStat{Status: http.StatusForbidden, Names: []xml.Name{n}, Error: dav.CondCannotModify})
			continue
		}
		if check != nil && !op.Remove {
			if msg := check(&op.Prop); msg != "" {
				cond := dav.Name(dav.NSDAV, "cannot-modify-protected-property")
				if n == pCalendarTimezone {
					cond = dav.Name(dav.NSCalDAV, "valid-calendar-data")
				}
				res.failed = append(res.failed, dav.PropStat{Status: http.StatusForbidden, Names: []xml.Name{n}, Error: cond})
				continue
			}
		}
		key := dav.Clark(n)
		if op.Remove {
			delete(res.set, key)
			res.remove = append(res.remove, key)
		} else {
			res.set[key] = op.Prop.Inner
			res.remove = slices.DeleteFunc(res.remove, func(k string) bool { return k == key })
		}
		res.okNames = append(res.okNames, n)
	}
	return res
}

func parseComps(v *dav.RawXML) ([]string, string) {
	var comps []string
	msg := ""
	dav.EachChild([]byte("<x>"+v.Inner+"</x>"), func(d *xml.Decoder, se xml.StartElement) error {
		if se.Name != dav.Name(dav.NSCalDAV, "comp") {
			return d.Skip()
		}
		for _, a := range se.Attr {
			if a.Name.Local != "name" {
				continue
			}
			c := strings.ToUpper(a.Value)
			if !slices.Contains(allComponents, c) {
				msg = "unsupported component " + a.Value
			} else if !slices.Contains(comps, c) {
				comps = append(comps, c)
			}
		}
		return d.Skip()
	})
	if msg != "" {
		return nil, msg
	}
	if len(comps) == 0 {
		return nil, "supported-calendar-component-set names no component"
	}
	return comps, ""
}

func (h *Handler) proppatch(w http.ResponseWriter, r *http.Request, t *target) error {
	if t.kind != kCalendar {
		if t.kind == kObject && t.coll == nil {
			return dav.ErrNotFound
		}
		return dav.Precondition(http.StatusForbidden, dav.CondCannotModify, "only calendar collections have writable properties")
	}
	if t.coll == nil {
		return dav.ErrNotFound
	}
	body, err := dav.ReadXML(r, dav.MaxXMLBody)
	if err != nil {
		return err
	}
	ops, err := dav.ParseProppatch(body)
	if err != nil {
		return err
	}
	res := checkPatch(ops, false)
	ms := dav.NewMultistatus(w, r)
	if len(res.failed) > 0 {
		stats := res.failed
		if len(res.okNames) > 0 {
			stats = append(stats, dav.PropStat{Status: http.StatusFailedDependency, Names: res.okNames})
		}
		ms.PropStatResponse(t.href(), stats)
		return ms.Close("")
	}
	if _, err := h.store.PatchCollection(r.Context(), t.account.ID, t.collName, res.set, res.remove); err != nil {
		return err
	}
	ms.PropStatResponse(t.href(), []dav.PropStat{{Status: http.StatusOK, Names: res.okNames}})
	return ms.Close("")
}

// mkcalendar serves MKCALENDAR (RFC 4791 5.3.1) and extended MKCOL
// (RFC 5689) creating a calendar.
func (h *Handler) mkcalendar(w http.ResponseWriter, r *http.Request, t *target) error {
	switch t.kind {
	case kCalendar:
	case kObject:
		if t.coll == nil {
			return dav.NewError(http.StatusConflict, "the parent collection does not exist")
		}
		return dav.Precondition(http.StatusForbidden, dav.Name(dav.NSCalDAV, "calendar-collection-location-ok"), "calendars cannot be nested")
	default:
		return dav.ErrMethodNotAllowed
	}
	if t.coll != nil {
		if r.Method == "MKCOL" {
			return dav.NewError(http.StatusMethodNotAllowed, "a collection already exists here")
		}
		return dav.Precondition(http.StatusForbidden, dav.CondResourceMustBeNull, "a collection already exists here")
	}
	body, err := dav.ReadXML(r, dav.MaxXMLBody)
	if err != nil {
		return err
	}
	var ops []dav.PatchOp
	if body != nil {
		root, parsed, err := dav.ParseSetProps(body)
		if err != nil {
			return err
		}
		want := dav.Name(dav.NSCalDAV, "mkcalendar")
		if r.Method == "MKCOL" {
			want = dav.Name(dav.NSDAV, "mkcol")
		}
		if root != want {
			return dav.BadRequest("request body must be a " + want.Local + " element")
		}
		ops = parsed
	}
	if r.Method == "MKCOL" && !isCalendarResourceType(ops) {
		return dav.Precondition(http.StatusForbidden, dav.CondValidResourceType, "only calendar collections can be created here (resourcetype must include CALDAV:calendar)")
	}
	res := checkPatch(ops, true)
	if len(res.failed) > 0 {
		names := make([]string, 0, len(res.failed))
		for _, f := range res.failed {
			names = append(names, f.Names[0].Local)
		}
		return dav.Precondition(http.StatusForbidden, res.failed[0].Error, "cannot set "+strings.Join(names, ", ")+"; nothing was created")
	}
	c := &storage.Collection{
		Owner:      t.account.ID,
		Name:       t.collName,
		Kind:       storage.KindCalendar,
		Components: res.comps,
		Props:      res.set,
	}
	if err := h.store.CreateCollection(r.Context(), c); err != nil {
		return err
	}
	w.Header().Set("Location", t.href())
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusCreated)
	return nil
}

func isCalendarResourceType(ops []dav.PatchOp) bool {
	for _, op := range ops {
		if op.Prop.Name == pResourceType {
			return slices.Contains(op.Prop.Children(), dav.Name(dav.NSCalDAV, "calendar"))
		}
	}
	return false
}
