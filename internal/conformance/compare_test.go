package conformance

import (
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"sort"
	"strings"
)

// comparison holds what a response is compared with and collects the
// differences.
type comparison struct {
	// wantHref maps an href of the RFC's text to the server's path;
	// gotHref reduces the server's hrefs to paths.
	wantHref, gotHref func(string) string
	// present names properties whose RFC value is only illustrative (a
	// server's own limit): the answer must carry them with a value.
	present map[string]bool
	// undeclared resolves the prefixes some RFC examples use without
	// declaring them.
	undeclared map[string]string
	// tokens records, for every DAV:sync-token the RFC shows, the one
	// the server gave, so that later requests can present it.
	tokens map[string]string
	diffs  []string
}

func (c *comparison) errorf(format string, args ...any) {
	c.diffs = append(c.diffs, fmt.Sprintf(format, args...))
}

// Headers whose values differ by nature (Date, Content-Length) or are
// compared by meaning below.
var skippedHeaders = map[string]bool{"Date": true, "Content-Length": true}

func (c *comparison) headers(want, got http.Header) {
	for name, wv := range want {
		if skippedHeaders[name] {
			continue
		}
		gv := got.Values(name)
		switch name {
		case "Content-Type":
			if !sameMediaType(wv[0], got.Get(name)) {
				c.errorf("Content-Type %q, want %q", got.Get(name), wv[0])
			}
		case "Etag":
			// RFC 4791 5.3.4, RFC 6352 6.3.2.3: a strong entity tag;
			// its value is the server's.
			if g := got.Get(name); !strings.HasPrefix(g, `"`) || len(g) < 3 {
				c.errorf("ETag %q, want a strong entity tag", g)
			}
		case "Dav", "Allow":
			// The RFC's list is what the example relies on; a server may
			// offer more.
			have := tokenSet(gv)
			for t := range tokenSet(wv) {
				if !have[t] {
					c.errorf("%s %q lacks %q", name, strings.Join(gv, ", "), t)
				}
			}
		default:
			if strings.Join(gv, ", ") != strings.Join(wv, ", ") {
				c.errorf("%s %q, want %q", name, strings.Join(gv, ", "), strings.Join(wv, ", "))
			}
		}
	}
}

func tokenSet(values []string) map[string]bool {
	s := map[string]bool{}
	for _, v := range values {
		for _, t := range strings.Split(v, ",") {
			if t = strings.TrimSpace(t); t != "" {
				s[strings.ToLower(t)] = true
			}
		}
	}
	return s
}

// sameMediaType compares media types without parameters. RFC 4918 8.2
// allows XML bodies as text/xml or application/xml, and the RFCs'
// examples use both; they count as one.
func sameMediaType(want, got string) bool {
	w, _, err1 := mime.ParseMediaType(want)
	g, _, err2 := mime.ParseMediaType(got)
	if err1 != nil || err2 != nil {
		return false
	}
	xmlType := func(t string) string {
		if t == "text/xml" {
			return "application/xml"
		}
		return t
	}
	return xmlType(w) == xmlType(g)
}

// body compares a response body with the RFC's.
func (c *comparison) body(want, got, gotType string) {
	if strings.TrimSpace(want) == "" {
		return
	}
	if !isXMLBody(want) {
		if d := diffContent(want, got, cdOptions{generated: true}); d != "" {
			c.errorf("%s", d)
		}
		return
	}
	w, err := parseXML(want, c.undeclared)
	if err != nil {
		c.errorf("expected body does not parse: %v", err)
		return
	}
	g, err := parseXML(got, nil)
	if err != nil {
		c.errorf("answer does not parse as XML (%s): %v\n%s", gotType, err, got)
		return
	}
	if clark(w.name) != clark(g.name) {
		c.errorf("root element %s, want %s", clark(g.name), clark(w.name))
		return
	}
	switch {
	case w.is(nsDAV, "multistatus"):
		c.multistatus(w, g)
	case w.is(nsDAV, "error"):
		c.davError("", w, g)
	case w.is(nsDAV, "mkcol-response"):
		c.propstats("mkcol-response", w, g)
	default:
		if wc, gc := w.canonical(c.wantHref), g.canonical(c.gotHref); wc != gc {
			c.errorf("body %s, want %s", gc, wc)
		}
	}
}

// multistatus compares the set of hrefs, then each response: its status,
// its DAV:error, and its propstats.
func (c *comparison) multistatus(w, g *node) {
	wantResp := c.responses(w, c.wantHref, "expected")
	gotResp := c.responses(g, c.gotHref, "answer")
	var wantHrefs, gotHrefs []string
	for h := range wantResp {
		wantHrefs = append(wantHrefs, h)
	}
	for h := range gotResp {
		gotHrefs = append(gotHrefs, h)
	}
	sort.Strings(wantHrefs)
	sort.Strings(gotHrefs)
	if missing, extra := multisetDiff(wantHrefs, gotHrefs); len(missing)+len(extra) > 0 {
		c.errorf("hrefs %v, want %v (missing %v, unexpected %v)", gotHrefs, wantHrefs, missing, extra)
	}
	for _, h := range wantHrefs {
		wr, gr := wantResp[h], gotResp[h]
		if gr == nil {
			continue
		}
		ws, gs := statusOf(wr), statusOf(gr)
		if ws != gs {
			c.errorf("%s: status %d, want %d", h, gs, ws)
		}
		if we := wr.kid(nsDAV, "error"); we != nil {
			c.davError(h, we, gr.kid(nsDAV, "error"))
		}
		c.propstats(h, wr, gr)
	}
	if wt := w.kid(nsDAV, "sync-token"); wt != nil {
		gt := g.kid(nsDAV, "sync-token")
		if gt == nil || !isURI(strings.TrimSpace(gt.text)) {
			c.errorf("DAV:sync-token missing or not a URI")
		} else if c.tokens != nil {
			c.tokens[strings.TrimSpace(wt.text)] = strings.TrimSpace(gt.text)
		}
	} else if g.kid(nsDAV, "sync-token") != nil {
		c.errorf("unexpected DAV:sync-token")
	}
}

func (c *comparison) responses(ms *node, href func(string) string, what string) map[string]*node {
	out := map[string]*node{}
	for _, r := range ms.all(nsDAV, "response") {
		hs := r.all(nsDAV, "href")
		if len(hs) != 1 {
			c.errorf("%s: a response with %d hrefs", what, len(hs))
			continue
		}
		h := href(strings.TrimSpace(hs[0].text))
		if out[h] != nil {
			c.errorf("%s: href %s answered twice", what, h)
		}
		out[h] = r
	}
	return out
}

func statusOf(r *node) int {
	if s := r.kid(nsDAV, "status"); s != nil {
		return statusCode(s.text)
	}
	return 0
}

func isURI(s string) bool {
	u, err := url.Parse(s)
	return err == nil && u.Scheme != ""
}

// davError compares DAV:error elements: the same conditions, with the
// same content. Elements in other namespaces are extensions a server may
// add (RFC 4918 17; almanac adds a human-readable message).
func (c *comparison) davError(where string, w, g *node) {
	if g == nil {
		c.errorf("%s: no DAV:error, want %s", where, w.canonical(c.wantHref))
		return
	}
	want := conditions(w, c.wantHref)
	got := conditions(g, c.gotHref)
	if missing, extra := multisetDiff(want, got); len(missing)+len(extra) > 0 {
		c.errorf("%s: DAV:error %v, want %v", where, got, want)
	}
}

func conditions(e *node, href func(string) string) []string {
	var out []string
	for _, k := range e.kids {
		switch k.name.Space {
		case nsDAV, nsCalDAV, nsCardDAV:
			out = append(out, k.canonical(href))
		}
	}
	sort.Strings(out)
	return out
}

// propstats compares the properties of a response by status: the same
// statuses, the same property names under each, and under 200 the same
// values (getetag and sync-token present, calendar and address data by
// meaning, the rest as XML).
func (c *comparison) propstats(where string, w, g *node) {
	wp, gp := byStatus(w), byStatus(g)
	for status, wprops := range wp {
		gprops := gp[status]
		var wn, gn []string
		for n := range wprops {
			wn = append(wn, n)
		}
		for n := range gprops {
			gn = append(gn, n)
		}
		sort.Strings(wn)
		sort.Strings(gn)
		if missing, extra := multisetDiff(wn, gn); len(missing)+len(extra) > 0 {
			c.errorf("%s: properties with status %d: %v, want %v", where, status, gn, wn)
		}
		if status != 200 {
			continue
		}
		for n, wv := range wprops {
			if gv := gprops[n]; gv != nil {
				c.value(where, wv, gv)
			}
		}
	}
	for status, gprops := range gp {
		if wp[status] == nil {
			var gn []string
			for n := range gprops {
				gn = append(gn, n)
			}
			sort.Strings(gn)
			c.errorf("%s: unexpected properties with status %d: %v", where, status, gn)
		}
	}
}

func byStatus(r *node) map[int]map[string]*node {
	out := map[int]map[string]*node{}
	for _, ps := range r.all(nsDAV, "propstat") {
		status := 0
		if s := ps.kid(nsDAV, "status"); s != nil {
			status = statusCode(s.text)
		}
		if out[status] == nil {
			out[status] = map[string]*node{}
		}
		if p := ps.kid(nsDAV, "prop"); p != nil {
			for _, k := range p.kids {
				out[status][clark(k.name)] = k
			}
		}
	}
	return out
}

func (c *comparison) value(where string, w, g *node) {
	name := clark(w.name)
	switch {
	case w.is(nsDAV, "getetag"):
		if v := strings.TrimSpace(g.text); !strings.HasPrefix(v, `"`) || len(v) < 3 {
			c.errorf("%s: getetag %q, want a strong entity tag", where, v)
		}
	case w.is(nsDAV, "sync-token"):
		if !isURI(strings.TrimSpace(g.text)) {
			c.errorf("%s: sync-token %q is not a URI", where, g.text)
		}
	case strings.TrimSpace(w.text) == "" && len(w.kids) == 0:
		// An empty element (PROPPATCH and MKCOL answers) stays empty.
		if gc := g.canonical(c.gotHref); gc != clark(g.name) {
			c.errorf("%s: %s has a value: %s", where, name, gc)
		}
	case w.is(nsCalDAV, "calendar-data"), w.is(nsCalDAV, "calendar-timezone"), w.is(nsCardDAV, "address-data"):
		if d := diffContent(w.text, g.text, cdOptions{}); d != "" {
			c.errorf("%s: %s: %s", where, name, d)
		}
	case c.present[name]:
		if strings.TrimSpace(g.text) == "" && len(g.kids) == 0 {
			c.errorf("%s: %s has no value", where, name)
		}
	default:
		if wc, gc := w.canonical(c.wantHref), g.canonical(c.gotHref); wc != gc {
			c.errorf("%s: %s\n  answered %s\n  want     %s", where, name, gc, wc)
		}
	}
}
