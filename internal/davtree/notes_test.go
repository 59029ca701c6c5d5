package davtree_test

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"almanac/auth"
	"almanac/internal/dav"
	"almanac/internal/davtest"
	"almanac/internal/davtree"
	"almanac/server/servertest"
	"almanac/sharing"
	"almanac/storage"
	"almanac/storage/bolt"
)

// The tree is tested with a kind of its own, plain-text notes, so that
// what it promises every kind is pinned down without iCalendar or vCard:
// a note is UTF-8 text whose first line is its UID. A note with a line
// starting "- [" is a CHECKLIST, any other a NOTE, and a notebook may
// accept only some of the two (like a calendar's component set). Its
// namespace has no fixed prefix in the multistatus writer, as a new
// kind's would not.
const nsNotes = "urn:almanac:test:notes"

var (
	pNoteData      = dav.Name(nsNotes, "note-data")
	pNoteTypes     = dav.Name(nsNotes, "supported-note-types") // set at creation only
	pNoteSupported = dav.Name(nsNotes, "supported-note-data")  // computed
	pNoteMaxSize   = dav.Name(nsNotes, "max-resource-size")
	pNoteColor     = dav.Name(nsNotes, "color") // checked by the kind
	rNoteIndex     = dav.Name(nsNotes, "note-index")

	condValidNote  = dav.Name(nsNotes, "valid-note")
	condNoteType   = dav.Name(nsNotes, "supported-note-type")
	condValidColor = dav.Name(nsNotes, "valid-color")

	pDisplayName = dav.Clark(dav.Name(dav.NSDAV, "displayname"))
)

// testMaxSize keeps the 413 tests small.
const testMaxSize = 1024

var noteTypes = []string{"NOTE", "CHECKLIST"}

// noteKind is a davtree.Kind. Two are registered: "notes" (stored as
// address books, created with MKCOL or its own MKNOTEBOOK) and "lists"
// (stored as calendars, extended MKCOL only, GET negotiated), so that the
// tree's handling of several kinds is tested too.
type noteKind struct{ spec *davtree.Spec }

func newNoteKind(segment string, sk storage.Kind, resourceType, mkcol string, negotiated bool) *noteKind {
	homeSet := dav.Name(nsNotes, segment+"-home-set")
	return &noteKind{spec: &davtree.Spec{
		Segment:      segment,
		StorageKind:  sk,
		DAVClass:     segment + "-access",
		MkcolMethod:  mkcol,
		ResourceType: dav.Name(nsNotes, resourceType),
		MediaType:    "text/plain",
		Negotiated:   negotiated,
		DataProp:     pNoteData,
		Multiget:     dav.Name(nsNotes, segment+"-multiget"),
		Reports:      []xml.Name{rNoteIndex},
		Noun:         resourceType,
		Conditions: davtree.Conditions{
			ValidData:     condValidNote,
			SupportedData: pNoteSupported,
			NoUIDConflict: dav.Name(nsNotes, "no-uid-conflict"),
			MaxSize:       pNoteMaxSize,
			LocationOK:    dav.Name(nsNotes, resourceType+"-location-ok"),
		},
		CollectionLive: []xml.Name{pNoteTypes, pNoteSupported, pNoteMaxSize},
		PrincipalLive:  []xml.Name{homeSet},
		HomeSet:        homeSet,
	}}
}

var _ davtree.Kind = (*noteKind)(nil)

func (k *noteKind) Spec() *davtree.Spec { return k.spec }

func (k *noteKind) PrincipalProps(acc *storage.Account) []dav.Prop {
	return []dav.Prop{dav.HrefProp(k.spec.HomeSet, davtree.HomeHref(k, acc.ID))}
}

func (k *noteKind) CollectionProp(c *storage.Collection, n xml.Name) (dav.Prop, bool) {
	switch n {
	case pNoteTypes:
		var sb strings.Builder
		for _, typ := range accepted(c) {
			sb.WriteString(`<T:type xmlns:T="` + nsNotes + `" name="` + typ + `"/>`)
		}
		return dav.XMLProp(n, sb.String()), true
	case pNoteSupported:
		return dav.TextProp(n, "text/plain"), true
	}
	return dav.Prop{}, false
}

var colorRE = regexp.MustCompile(`^#[0-9a-fA-F]{6}$`)

func (k *noteKind) CheckProp(p *dav.RawXML, creating bool) (xml.Name, bool) {
	switch p.Name {
	case pNoteColor:
		return condValidColor, colorRE.MatchString(strings.TrimSpace(p.Text()))
	case pNoteTypes:
		if !creating {
			return xml.Name{}, false
		}
		_, ok := parseTypes(p.Inner)
		return condNoteType, ok
	}
	return xml.Name{}, !slices.Contains(k.spec.CollectionLive, p.Name)
}

// Prepare moves the accepted types into Components, where Ingest and
// Admits read them.
func (k *noteKind) Prepare(c *storage.Collection) {
	key := dav.Clark(pNoteTypes)
	if v, ok := c.Props[key]; ok {
		c.Components, _ = parseTypes(v)
		delete(c.Props, key)
	}
}

func parseTypes(inner string) ([]string, bool) {
	var types []string
	ok := true
	err := dav.EachChild([]byte("<x>"+inner+"</x>"), func(d *xml.Decoder, se xml.StartElement) error {
		if se.Name == dav.Name(nsNotes, "type") {
			for _, a := range se.Attr {
				switch {
				case a.Name.Local != "name":
				case slices.Contains(noteTypes, a.Value):
					types = append(types, a.Value)
				default:
					ok = false
				}
			}
		}
		return d.Skip()
	})
	return types, err == nil && ok && len(types) > 0
}

func accepted(c *storage.Collection) []string {
	if len(c.Components) == 0 {
		return noteTypes
	}
	return c.Components
}

func noteType(data []byte) string {
	for _, l := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(l, "- [") {
			return "CHECKLIST"
		}
	}
	return "NOTE"
}

func (k *noteKind) Ingest(c *storage.Collection, data []byte) (storage.PutObject, error) {
	if !utf8.Valid(data) {
		return storage.PutObject{}, dav.Precondition(http.StatusForbidden, condValidNote, "a note is UTF-8 text")
	}
	first, _, _ := strings.Cut(string(data), "\n")
	uid := strings.TrimSpace(first)
	if uid == "" {
		return storage.PutObject{}, dav.Precondition(http.StatusForbidden, condValidNote, "the first line of a note is its UID")
	}
	typ := noteType(data)
	if !slices.Contains(accepted(c), typ) {
		return storage.PutObject{}, dav.Precondition(http.StatusForbidden, condNoteType, "this notebook does not take "+typ)
	}
	return storage.PutObject{UID: uid, Component: typ, ContentType: "text/plain"}, nil
}

func (k *noteKind) Admits(c *storage.Collection, meta *storage.ObjectMeta) error {
	if !slices.Contains(accepted(c), meta.Component) {
		return dav.Precondition(http.StatusForbidden, condNoteType, "the destination does not take "+meta.Component)
	}
	return nil
}

func (k *noteKind) ContentType(*storage.ObjectMeta) string { return "text/plain; charset=utf-8" }

// Represent refuses a request that accepts only JSON when the kind
// negotiates, so the tree's handling of a refused representation shows.
func (k *noteKind) Represent(r *http.Request, obj *storage.Object) (string, []byte, error) {
	if k.spec.Negotiated && r.Header.Get("Accept") == "application/json" {
		return "", nil, dav.NewError(http.StatusNotAcceptable, "notes are text/plain")
	}
	return k.ContentType(&obj.ObjectMeta), obj.Data, nil
}

// DataRequest: <N:note-data lines="n"/> asks for the first n lines.
func (k *noteKind) DataRequest(_ *http.Request, _ *davtree.Target, body []byte) (davtree.Renderer, error) {
	d := xml.NewDecoder(bytes.NewReader(body))
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			return nil, nil
		}
		if err != nil {
			return nil, dav.BadRequest("malformed XML")
		}
		se, ok := tok.(xml.StartElement)
		if !ok || se.Name != pNoteData {
			continue
		}
		for _, a := range se.Attr {
			if a.Name.Local == "lines" {
				n, err := strconv.Atoi(a.Value)
				if err != nil || n < 1 {
					return nil, dav.BadRequest("lines must be a positive integer")
				}
				return firstLines(n), nil
			}
		}
		return nil, nil
	}
}

type firstLines int

func (n firstLines) Render(data []byte) []byte {
	lines := strings.SplitAfter(string(data), "\n")
	return []byte(strings.Join(lines[:min(int(n), len(lines))], ""))
}

// Redact hides a note with a line "private" and masks lines starting
// "secret:".
func (k *noteKind) Redact(data []byte) ([]byte, bool, bool) {
	lines := strings.SplitAfter(string(data), "\n")
	changed := false
	for i, l := range lines {
		switch {
		case strings.TrimSpace(l) == "private":
			return nil, false, false
		case strings.HasPrefix(l, "secret:"):
			lines[i] = "secret: ***\n"
			changed = true
		}
	}
	if !changed {
		return data, true, false
	}
	return []byte(strings.Join(lines, "")), true, true
}

// Report serves note-index: the requested properties of every member
// the user may see, or of the one member the target names. It reads
// through the Target, as a kind must.
func (k *noteKind) Report(w http.ResponseWriter, r *http.Request, t *davtree.Target, _ xml.Name, body []byte) error {
	pf, err := davtree.ReportProps(body)
	if err != nil {
		return err
	}
	ms := dav.NewMultistatus(w, r)
	src := davtree.NewMemberSource(t, nil)
	emit := func(m *storage.ObjectMeta) error {
		src.Meta = m
		return ms.Propfind(t.MemberHref(m.Name), pf, src)
	}
	if t.Type == davtree.Member {
		meta, err := t.Stat(r.Context(), t.ObjName)
		if err != nil {
			return err
		}
		if err := emit(meta); err != nil {
			return err
		}
	} else if err := t.List(r.Context(), emit); err != nil {
		return davtree.Abort(slog.New(slog.DiscardHandler), ms, err)
	}
	return ms.Close("")
}

// env is a tree serving the two note kinds over a fresh store with two
// provisioned accounts. Provisioning gives each a calendar "default" and
// an address book "contacts": to this tree a list and a notebook.
type env struct {
	t            testing.TB
	store        *bolt.DB
	tree         *davtree.Tree
	notes, lists *noteKind
	alice, bob   *storage.Account
}

func newEnv(t testing.TB) *env {
	t.Helper()
	store := servertest.Store(t)
	e := &env{t: t, store: store,
		notes: newNoteKind("notes", storage.KindAddressBook, "notebook", "MKNOTEBOOK", false),
		lists: newNoteKind("lists", storage.KindCalendar, "list", "", true),
	}
	e.tree = davtree.New(store, davtree.Options{MaxResourceSize: testMaxSize, Principal: auth.AccountFrom,
		Share: func(ctx context.Context, owner, coll, sharee, access string) error {
			_, _, err := sharing.Share(ctx, store, owner, coll, sharee, access)
			return err
		}}, e.notes, e.lists)
	e.alice = servertest.Account(t, store, "alice@example.com", func(a *storage.Account) { a.DisplayName = "Alice" })
	e.bob = servertest.Account(t, store, "bob@example.com", func(a *storage.Account) { a.DisplayName = "Bob" })
	return e
}

func home(acc *storage.Account) string            { return "/dav/notes/" + acc.ID + "/" }
func book(acc *storage.Account, nb string) string { return home(acc) + nb + "/" }
func note(acc *storage.Account, nb, n string) string {
	return book(acc, nb) + n
}

// leaks are fragments of internal error text that must never reach a
// client.
var leaks = []string{"storage:", "bolt", "davtree:", "bucket", "incarnation"}

// do serves one request as acc with header name/value pairs, and checks
// what every answer must satisfy: no internal error text, and XML that
// is namespace-well-formed.
func (e *env) do(acc *storage.Account, method, path, body string, hdr ...string) *httptest.ResponseRecorder {
	e.t.Helper()
	r := httptest.NewRequest(method, path, strings.NewReader(body))
	for i := 0; i+1 < len(hdr); i += 2 {
		r.Header.Set(hdr[i], hdr[i+1])
	}
	r = r.WithContext(auth.WithAccount(r.Context(), acc))
	rec := httptest.NewRecorder()
	e.tree.ServeHTTP(rec, r)
	if rec.Code >= 400 {
		for _, l := range leaks {
			if strings.Contains(rec.Body.String(), l) {
				e.t.Errorf("%s %s: %d body leaks %q: %s", method, path, rec.Code, l, rec.Body)
			}
		}
	}
	if strings.HasPrefix(rec.Header().Get("Content-Type"), "application/xml") {
		checkNamespaces(e.t, method+" "+path, rec.Body.Bytes())
	}
	return rec
}

// checkNamespaces fails unless every element of doc has a namespace and
// a well-formed qualified name, as strict clients' parsers (libxml2,
// NSXMLParser) require; encoding/xml alone accepts "<:x/>".
func checkNamespaces(t testing.TB, what string, doc []byte) {
	t.Helper()
	d := xml.NewDecoder(bytes.NewReader(doc))
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			return
		}
		if err != nil {
			t.Errorf("%s: malformed XML: %v\n%s", what, err, doc)
			return
		}
		if se, ok := tok.(xml.StartElement); ok && (se.Name.Space == "" || strings.Contains(se.Name.Local, ":")) {
			t.Errorf("%s: element %q (namespace %q) is not namespace-well-formed:\n%s", what, se.Name.Local, se.Name.Space, doc)
			return
		}
	}
}

// propfind asks for props (like "D:getetag", "N:note-data") at depth.
func (e *env) propfind(acc *storage.Account, path, depth string, props ...string) *davtest.Multistatus {
	e.t.Helper()
	return davtest.ParseMS(e.t, e.do(acc, "PROPFIND", path, propfindBody(props...), "Depth", depth))
}

const xmlns = ` xmlns:D="DAV:" xmlns:N="` + nsNotes + `" xmlns:CS="http://calendarserver.org/ns/"`

func propfindBody(props ...string) string {
	return `<D:propfind` + xmlns + `><D:prop>` + elems(props) + `</D:prop></D:propfind>`
}

func elems(names []string) string {
	var sb strings.Builder
	for _, p := range names {
		sb.WriteString("<" + p + "/>")
	}
	return sb.String()
}

// put PUTs a note as text/plain and returns the answer.
func (e *env) put(acc *storage.Account, path, body string, hdr ...string) *httptest.ResponseRecorder {
	e.t.Helper()
	return e.do(acc, "PUT", path, body, append([]string{"Content-Type", "text/plain; charset=utf-8"}, hdr...)...)
}

// mustPut PUTs a note that must be stored and returns its ETag.
func (e *env) mustPut(acc *storage.Account, path, body string) string {
	e.t.Helper()
	rec := e.put(acc, path, body)
	if rec.Code != http.StatusCreated && rec.Code != http.StatusNoContent {
		e.t.Fatalf("PUT %s: %d %s", path, rec.Code, rec.Body)
	}
	return rec.Header().Get("ETag")
}

// mkbook creates notebook name in acc's notes home with extended MKCOL
// and extra set-props.
func (e *env) mkbook(acc *storage.Account, name string, props ...string) {
	e.t.Helper()
	if rec := e.do(acc, "MKCOL", book(acc, name), mkcolBody("N:notebook", props...)); rec.Code != http.StatusCreated {
		e.t.Fatalf("MKCOL %s: %d %s", name, rec.Code, rec.Body)
	}
}

func mkcolBody(resourceType string, props ...string) string {
	return `<D:mkcol` + xmlns + `><D:set><D:prop><D:resourcetype><D:collection/><` + resourceType + `/></D:resourcetype>` +
		strings.Join(props, "") + `</D:prop></D:set></D:mkcol>`
}

// coll reads a collection from the store.
func (e *env) coll(owner *storage.Account, name string) *storage.Collection {
	e.t.Helper()
	c, err := e.store.Collection(e.t.Context(), owner.ID, name)
	if err != nil {
		e.t.Fatalf("collection %s: %v", name, err)
	}
	return c
}

// stored reads a member's bytes from the store; "" when there is none.
func (e *env) stored(owner *storage.Account, coll, name string) string {
	e.t.Helper()
	obj, err := e.store.Get(e.t.Context(), owner.ID, coll, name)
	if errors.Is(err, storage.ErrNotFound) {
		return ""
	}
	if err != nil {
		e.t.Fatal(err)
	}
	return string(obj.Data)
}

// resourceTypes returns the names inside the DAV:resourcetype that the
// response for href carries, with their namespaces.
func resourceTypes(t testing.TB, body []byte, href string) []xml.Name {
	t.Helper()
	var ms struct {
		Responses []struct {
			Href      string `xml:"DAV: href"`
			Propstats []struct {
				Prop struct {
					ResourceType struct {
						Any []struct{ XMLName xml.Name } `xml:",any"`
					} `xml:"DAV: resourcetype"`
				} `xml:"DAV: prop"`
			} `xml:"DAV: propstat"`
		} `xml:"DAV: response"`
	}
	if err := xml.Unmarshal(body, &ms); err != nil {
		t.Fatalf("parse multistatus: %v", err)
	}
	var out []xml.Name
	for _, r := range ms.Responses {
		if r.Href != href {
			continue
		}
		for _, ps := range r.Propstats {
			for _, a := range ps.Prop.ResourceType.Any {
				out = append(out, a.XMLName)
			}
		}
	}
	return out
}

// errorMessage is the human-readable message of a DAV:error body.
func errorMessage(t testing.TB, rec *httptest.ResponseRecorder) string {
	t.Helper()
	var doc struct {
		Message string `xml:"urn:almanac:error message"`
	}
	if err := xml.Unmarshal(rec.Body.Bytes(), &doc); err != nil {
		return strings.TrimSpace(rec.Body.String())
	}
	return doc.Message
}

// status is the status code of a multistatus response line.
func status(s string) int {
	f := strings.Fields(s)
	if len(f) < 2 {
		return 0
	}
	n, _ := strconv.Atoi(f[1])
	return n
}
