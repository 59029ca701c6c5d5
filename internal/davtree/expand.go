package davtree

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"almanac/internal/dav"
	"almanac/storage"
)

var rExpand = dav.Name(dav.NSDAV, "expand-property")

// expandReportSet is the supported-report-set of the resources that
// serve no report but expand-property.
const expandReportSet = "<D:supported-report><D:report><D:expand-property/></D:report></D:supported-report>"

// expandProperty serves DAV:expand-property (RFC 3253 3.8), which RFC
// 4791 7.1 and RFC 6352 8.1 require, on every resource of the tree: the
// resources Depth selects, as PROPFIND would list them, each with the
// properties asked for and their hrefs expanded (dav.Expander). An href
// is resolved as a request for it by the same user would be, so what
// they may not see (another account's namespace, a missing resource, a
// URL of another server or scheme) is a 404 inside the value, the same
// whether it exists or not.
func (tr *Tree) expandProperty(w http.ResponseWriter, r *http.Request, t *Target, body []byte) error {
	depth, err := expandDepth(r)
	if err != nil {
		return err
	}
	props, err := dav.ParseExpandProperty(body)
	if err != nil {
		return err
	}
	ex := &dav.Expander{
		Minimal: dav.PreferMinimal(r),
		Resolve: func(href string) (dav.PropSource, error) { return tr.hrefSource(r, t.Account, href) },
	}
	ms := dav.NewMultistatus(w, r)
	err = tr.walk(r, t, depth, func(href string, src dav.PropSource) error {
		found, missing, cut, err := ex.Props(src, props)
		if err != nil {
			return err
		}
		if cut {
			return ms.CutResponse(href, found, missing, dav.CondNumberOfMatches, expandCutMessage)
		}
		return ms.Response(href, found, missing)
	})
	if err != nil {
		return Abort(tr.logger, ms, err)
	}
	return ms.Close("")
}

var expandCutMessage = "incomplete: the server expands at most " + strconv.Itoa(dav.MaxExpandResponses) +
	" hrefs per request, and left DAV:href elements of these values as they are; ask about fewer resources"

// expandDepth reads the Depth of an expand-property: 0 without the
// header (RFC 3253 3.6), 1 for the request-URI and its members.
// Infinity is refused as PROPFIND refuses it (RFC 4918 9.1), with
// DAV:propfind-finite-depth: the report is a PROPFIND whose values
// are expanded.
func expandDepth(r *http.Request) (dav.Depth, error) {
	d, err := dav.ParseDepth(r.Header.Get("Depth"), dav.DepthZero)
	if err != nil {
		return 0, err
	}
	if d == dav.DepthInfinity {
		return 0, dav.Precondition(http.StatusForbidden, dav.CondPropfindFiniteDepth, "Depth: infinity is not supported; use 0 or 1")
	}
	return d, nil
}

// hrefSource resolves an href found in a property value to the
// properties of the resource it names, as acc sees it; nil for anything
// a request for it would answer with an error (4xx), and for hrefs that
// are not HTTP URLs of this tree (mailto: addresses, other schemes).
// Absolute URLs are reduced to their path, as for multiget.
func (tr *Tree) hrefSource(r *http.Request, acc *storage.Account, href string) (dav.PropSource, error) {
	u, err := url.Parse(href)
	if err != nil || u.Opaque != "" || u.Path == "" {
		return nil, nil
	}
	if s := strings.ToLower(u.Scheme); s != "" && s != "http" && s != "https" {
		return nil, nil
	}
	t, err := tr.resolve(r.Context(), acc, u.EscapedPath())
	if err == nil {
		var src dav.PropSource
		if src, err = tr.sourceOf(r, t); err == nil {
			return src, nil
		}
	}
	var de *dav.Error
	if errors.As(err, &de) && de.Status < 500 || errors.Is(err, storage.ErrNotFound) {
		return nil, nil
	}
	return nil, err
}
