package fileimport

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"

	"almanac/auth"
	"almanac/internal/api"
	"almanac/internal/dav"
	"almanac/internal/fault"
	"almanac/internal/fetch"
	"almanac/storage"
)

// Paths of the import routes: POST {CalendarsPath}/{collection}/import
// and POST {AddressBooksPath}/{collection}/import.
const (
	CalendarsPath    = "/api/v1/calendars"
	AddressBooksPath = "/api/v1/addressbooks"
)

// Limits (doc.go says why).
const (
	DefaultMaxFile    = 32 << 20
	DefaultMaxObjects = 50_000
	DefaultParallel   = 2
	// ObjectBytesPerFileByte: the objects of a file may take this many
	// times the file cap.
	ObjectBytesPerFileByte = 4
)

// Tree is what an import needs of the DAV tree: a PUT's checks, so that
// what it stores has passed them, and the URLs it reports.
type Tree interface {
	Ingest(c *storage.Collection, data []byte) (storage.PutObject, error)
	CollectionHref(kind storage.Kind, home, name string) string
}

// Options configures the importer.
type Options struct {
	Logger *slog.Logger
	// MaxFile caps a file, uploaded or fetched (0: DefaultMaxFile).
	MaxFile int64
	// MaxObjects caps the objects one file may hold (0:
	// DefaultMaxObjects).
	MaxObjects int
	// MaxObjectBytes caps the objects cut from one file together, time
	// zones copied into each included (0: ObjectBytesPerFileByte times
	// MaxFile).
	MaxObjectBytes int64
	// Parallel is how many imports run at a time; others wait (0:
	// DefaultParallel).
	Parallel int
	// AllowPrivate lets URLs lead to private and local addresses
	// (internal/fetch), which are refused by default.
	AllowPrivate bool
	// Fetch overrides the client URLs are fetched with (tests).
	Fetch *fetch.Client
}

// API serves imports of files into the caller's calendars and address
// books (JSON answers, behind authentication).
type API struct {
	store      storage.DAV
	tree       Tree
	logger     *slog.Logger
	maxFile    int64
	maxObjects int
	// maxObjectBytes caps the objects of one file together.
	maxObjectBytes int64
	fetch          *fetch.Client
	slots          chan struct{}
}

// New returns the import API.
func New(store storage.DAV, tree Tree, opts Options) *API {
	a := &API{store: store, tree: tree, logger: opts.Logger, maxFile: opts.MaxFile, maxObjects: opts.MaxObjects, fetch: opts.Fetch}
	if a.logger == nil {
		a.logger = slog.New(slog.DiscardHandler)
	}
	if a.maxFile <= 0 {
		a.maxFile = DefaultMaxFile
	}
	if a.maxObjects <= 0 {
		a.maxObjects = DefaultMaxObjects
	}
	if a.maxObjectBytes = opts.MaxObjectBytes; a.maxObjectBytes <= 0 {
		a.maxObjectBytes = ObjectBytesPerFileByte * a.maxFile
	}
	if opts.Parallel <= 0 {
		opts.Parallel = DefaultParallel
	}
	a.slots = make(chan struct{}, opts.Parallel)
	if a.fetch == nil {
		a.fetch = fetch.New(fetch.Options{MaxBytes: a.maxFile, AllowPrivate: opts.AllowPrivate, UserAgent: "almanac (calendar and contacts import)"})
	}
	return a
}

// Routes registers the import endpoints.
func (a *API) Routes(rt *api.Router) {
	rt.HandleUpload("POST "+CalendarsPath+"/{collection}/import", a.maxFile, a.handler(calendars))
	rt.HandleUpload("POST "+AddressBooksPath+"/{collection}/import", a.maxFile, a.handler(addressBooks))
}

// Report is the answer to an import: what it did, or in a dry run what
// it would do, with each object of the file in file order.
type Report struct {
	Collection string `json:"collection"`
	Kind       string `json:"kind"`
	DryRun     bool   `json:"dry_run"`
	// Source is "upload", or the URL fetched (after redirects, without
	// a password).
	Source  string       `json:"source"`
	Counts  Counts       `json:"counts"`
	Objects []ObjectJSON `json:"objects"`
}

// Counts sums up a Report. Duplicates are components (cards) dropped
// because the same one came earlier in the file.
type Counts struct {
	Created    int `json:"created"`
	Updated    int `json:"updated"`
	Skipped    int `json:"skipped"`
	Refused    int `json:"refused"`
	Duplicates int `json:"duplicates"`
}

// Actions of an ObjectJSON.
const (
	ActionCreated = "created"
	ActionUpdated = "updated"
	ActionSkipped = "skipped"
	ActionRefused = "refused"
)

// ObjectJSON is one object of the file in a Report.
type ObjectJSON struct {
	// Line is where the object's first component (card) begins in the
	// file.
	Line int    `json:"line"`
	UID  string `json:"uid"`
	// UIDAssigned: the file gave it no UID; this one was derived from
	// its content.
	UIDAssigned bool   `json:"uid_assigned,omitempty"`
	Component   string `json:"component"`
	Action      string `json:"action"`
	// Href is the member's URL in the collection (not for refused ones).
	Href string `json:"href,omitempty"`
	// Reason says why an object is refused or skipped.
	Reason string `json:"reason,omitempty"`
	// Condition names the CalDAV or CardDAV precondition a PUT of a
	// refused object would fail (RFC 4791 5.3.2.1, RFC 6352 6.3.2.1),
	// when there is one.
	Condition string `json:"condition,omitempty"`
}

// refusedAnswer is the 422 of a file with refused objects: the error and
// the report of what an import with skip_refused would do.
type refusedAnswer struct {
	Error  *api.Error `json:"error"`
	Report *Report    `json:"report"`
}

// options are the query parameters of an import.
type options struct {
	dryRun, skipRefused bool
}

func parseOptions(q url.Values) (options, error) {
	var o options
	for name, vs := range q {
		var dst *bool
		switch name {
		case "dry_run":
			dst = &o.dryRun
		case "skip_refused":
			dst = &o.skipRefused
		default:
			return o, fault.Invalidf(name, "unknown parameter %q; an import takes dry_run and skip_refused", name)
		}
		if len(vs) != 1 {
			return o, fault.Invalidf(name, "%s is given more than once", name)
		}
		switch strings.ToLower(vs[0]) {
		case "true", "1", "yes":
			*dst = true
		case "false", "0", "no":
		default:
			return o, fault.Invalidf(name, "%s must be true or false", name)
		}
	}
	return o, nil
}

func (a *API) handler(k *kind) api.Handler {
	return func(w http.ResponseWriter, r *http.Request) error {
		ctx := r.Context()
		acc := auth.AccountFrom(ctx)
		name := r.PathValue("collection")
		coll, err := a.store.Collection(ctx, acc.ID, name)
		if errors.Is(err, storage.ErrNotFound) || err == nil && coll.Kind != k.storage {
			// Only the caller's own collections take imports; another
			// account's, a shared one included, is not found either.
			return fault.New(fault.NotFound, "not_found", "you have no %s named %q", k.noun, name)
		}
		if err != nil {
			return err
		}
		opts, err := parseOptions(r.URL.Query())
		if err != nil {
			return err
		}
		// The file is read before the turn is taken, as a PUT body is,
		// so that a slow sender or URL holds up no other import.
		data, source, err := a.read(r, k)
		if err != nil {
			return err
		}
		// Cut and checked, a file is held several times over and costs
		// a PUT's checks per object: imports take turns.
		select {
		case a.slots <- struct{}{}:
			defer func() { <-a.slots }()
		case <-ctx.Done():
			return ctx.Err()
		}
		sp, err := k.split(data, limits{objects: a.maxObjects, bytes: a.maxObjectBytes})
		var many *tooManyError
		var large *tooLargeError
		switch {
		case errors.As(err, &many):
			return &api.Error{Status: http.StatusUnprocessableEntity, Code: "too_many_objects",
				Message: fmt.Sprintf("the file holds %d %s, more than the %d one import takes; split it", many.n, k.objects, a.maxObjects)}
		case errors.As(err, &large):
			return &api.Error{Status: http.StatusUnprocessableEntity, Code: "objects_too_large",
				Message: fmt.Sprintf("the file's %s, each with a copy of the time zones it uses, come to more than %d bytes; split the file", k.objects, large.max)}
		case err != nil:
			return &fault.Error{Kind: fault.Invalid, Code: "invalid_file",
				Message: fmt.Sprintf("the file is not %s: %s", k.aFile, err)}
		}
		rep := &Report{Collection: coll.Name, Kind: k.storage.String(), DryRun: opts.dryRun, Source: source}
		if err := a.run(ctx, acc, coll, k, sp, opts, rep); err != nil {
			return err
		}
		a.logger.InfoContext(ctx, "import", "collection", coll.Name, "kind", rep.Kind, "dry_run", rep.DryRun,
			"upload", source == sourceUpload, "created", rep.Counts.Created, "updated", rep.Counts.Updated,
			"skipped", rep.Counts.Skipped, "refused", rep.Counts.Refused)
		if rep.Counts.Refused > 0 && !opts.skipRefused {
			n := len(rep.Objects) - rep.Counts.Refused
			api.WriteJSON(w, http.StatusUnprocessableEntity, refusedAnswer{Report: rep, Error: &api.Error{Code: "objects_refused",
				Message: fmt.Sprintf("%d of the file's %d %s are refused (see report.objects), so nothing was imported; fix them, or import the other %d with skip_refused=true",
					rep.Counts.Refused, len(rep.Objects), k.objects, n)}})
			return nil
		}
		api.WriteJSON(w, http.StatusOK, rep)
		return nil
	}
}

const sourceUpload = "upload"

// read returns the file: the request body, or what the URL of a JSON
// body names.
func (a *API) read(r *http.Request, k *kind) ([]byte, string, error) {
	ct := r.Header.Get("Content-Type")
	mt, _, err := mime.ParseMediaType(ct)
	switch {
	case ct == "" || err != nil:
		return nil, "", a.unsupported(k)
	case mt == "application/json":
		var req struct {
			URL string `json:"url"`
		}
		// The route's cap is a file's; a JSON body names a URL only.
		r.Body = http.MaxBytesReader(nil, r.Body, api.MaxBody)
		if err := api.Decode(r, &req); err != nil {
			return nil, "", err
		}
		if strings.TrimSpace(req.URL) == "" {
			return nil, "", fault.Invalidf("url", "url names the %s file to import", k.format)
		}
		resp, err := a.fetch.Get(r.Context(), req.URL)
		if err != nil {
			return nil, "", a.fetchFailed(r, err)
		}
		return resp.Body, resp.URL, nil
	case slices.Contains(k.mediaTypes, mt) || mt == "application/octet-stream":
	default:
		return nil, "", a.unsupported(k)
	}
	if r.ContentLength > a.maxFile {
		return nil, "", a.tooLarge()
	}
	data, err := io.ReadAll(io.LimitReader(r.Body, a.maxFile+1))
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe):
		return nil, "", a.tooLarge()
	case errors.Is(err, os.ErrDeadlineExceeded):
		return nil, "", &api.Error{Status: http.StatusRequestTimeout, Code: "body_timeout", Message: "the file came too slowly"}
	case err != nil:
		return nil, "", &api.Error{Status: http.StatusBadRequest, Code: "invalid_body", Message: "cannot read the request body"}
	case int64(len(data)) > a.maxFile:
		return nil, "", a.tooLarge()
	}
	return data, sourceUpload, nil
}

func (a *API) unsupported(k *kind) error {
	return &api.Error{Status: http.StatusUnsupportedMediaType, Code: "unsupported_media_type",
		Message: fmt.Sprintf("send the %s file as %s, or its URL as application/json {\"url\": \"https://...\"}", k.format, k.mediaTypes[0])}
}

func (a *API) tooLarge() error {
	return &api.Error{Status: http.StatusRequestEntityTooLarge, Code: "too_large",
		Message: fmt.Sprintf("the file is larger than %d bytes; split it", a.maxFile)}
}

// fetchFailed says what became of the URL, in the fetch's own words.
func (a *API) fetchFailed(r *http.Request, err error) error {
	var fe *fetch.Error
	if !errors.As(err, &fe) {
		return err
	}
	// The host only: the path of a calendar's private link is its secret.
	a.logger.InfoContext(r.Context(), "import fetch failed", "host", fe.Host, "kind", int(fe.Kind), "cause", fe.Err)
	switch fe.Kind {
	case fetch.BadURL:
		return fault.Invalidf("url", "%s", fe.Message)
	case fetch.NotAllowed:
		return &fault.Error{Kind: fault.Invalid, Code: "url_not_allowed", Field: "url", Message: fe.Message}
	case fetch.TooLarge:
		return &api.Error{Status: http.StatusRequestEntityTooLarge, Code: "too_large", Field: "url", Message: fe.Message + "; split it"}
	}
	return &fault.Error{Kind: fault.Invalid, Code: "fetch_failed", Field: "url", Message: fe.Message}
}

// maxAttempts bounds how often an import is planned again when the
// collection changed between its plan and its write.
const maxAttempts = 3

// run checks every object as a PUT would, decides what to do with each
// against what the collection holds, and unless it is a dry run or
// objects were refused without skip_refused, writes what is to be
// written in one transaction. It fills rep.
func (a *API) run(ctx context.Context, acc *storage.Account, coll *storage.Collection, k *kind, sp *split, opts options, rep *Report) error {
	items, err := a.check(coll, sp)
	if err != nil {
		return err
	}
	href := a.tree.CollectionHref(k.storage, acc.ID, coll.Name)
	for attempt := 1; ; attempt++ {
		if err := a.decide(ctx, coll, k, items); err != nil {
			return err
		}
		fill(rep, items, sp.duplicates, href)
		if opts.dryRun || rep.Counts.Refused > 0 && !opts.skipRefused {
			return nil
		}
		var puts []storage.PutObject
		for _, it := range items {
			if it.action == ActionCreated || it.action == ActionUpdated {
				puts = append(puts, it.put)
			}
		}
		_, err := a.store.PutBatch(ctx, puts)
		var uc *storage.UIDConflictError
		switch {
		case err == nil:
			return nil
		case errors.Is(err, storage.ErrNotFound):
			return fault.New(fault.NotFound, "not_found", "the %s %q was deleted during the import", k.noun, coll.Name)
		case !errors.Is(err, storage.ErrPreconditionFailed) && !errors.As(err, &uc):
			return err
		case attempt == maxAttempts:
			return fault.New(fault.Conflict, "changed", "the %s %q kept changing during the import; try again", k.noun, coll.Name)
		}
		// A client wrote to the collection between plan and write:
		// plan again against what it holds now.
	}
}

// item is one object of the file on its way into the collection.
type item struct {
	part
	action    string
	reason    string
	condition string
	put       storage.PutObject // of what is to be written
}

// check runs a PUT's checks on every part: what fails them is refused
// with the PUT's reason.
func (a *API) check(coll *storage.Collection, sp *split) ([]*item, error) {
	items := make([]*item, 0, len(sp.parts)+len(sp.refused))
	for _, r := range sp.refused {
		items = append(items, &item{part: part{line: r.line, uid: r.uid, component: r.component}, action: ActionRefused, reason: r.reason})
	}
	for _, p := range sp.parts {
		it := &item{part: p}
		put, err := a.tree.Ingest(coll, p.data)
		var de *dav.Error
		switch {
		case errors.As(err, &de):
			it.action, it.reason, it.condition = ActionRefused, de.Message, de.Condition.Local
		case err != nil:
			return nil, err
		default:
			put.Owner, put.Collection, put.Data = coll.Owner, coll.Name, p.data
			it.put = put
		}
		items = append(items, it)
	}
	slices.SortStableFunc(items, func(a, b *item) int { return a.line - b.line })
	return items, nil
}

// decide sets the action of every item not refused against what the
// collection holds now: an object of a UID it has is skipped when its
// content is the same (kind.same) and else replaces that member, under
// its name, if it has not changed since; another is created under a new
// name (memberName), if that is still free.
func (a *API) decide(ctx context.Context, coll *storage.Collection, k *kind, items []*item) error {
	byUID := map[string]*storage.ObjectMeta{}
	taken := map[string]bool{}
	err := a.store.List(ctx, coll.Owner, coll.Name, func(m *storage.ObjectMeta) error {
		taken[m.Name] = true
		if m.UID != "" {
			byUID[m.UID] = m
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, it := range items {
		if it.action == ActionRefused {
			continue
		}
		it.action, it.reason = "", ""
		m := byUID[it.put.UID]
		if m == nil {
			it.action = ActionCreated
			it.put.Name = memberName(it.put.UID, k.ext, taken)
			taken[it.put.Name] = true
			it.put.If = func(exists bool, _ string) bool { return !exists }
			continue
		}
		it.put.Name = m.Name
		same := m.ETag == storage.ETagOf(it.data)
		if !same {
			old, err := a.store.Get(ctx, coll.Owner, coll.Name, m.Name)
			if err != nil && !errors.Is(err, storage.ErrNotFound) {
				return err
			}
			same = err == nil && k.same(old.Data, it.data)
		}
		if same {
			it.action, it.reason = ActionSkipped, "the "+k.noun+" has this UID with the same content"
			continue
		}
		etag := m.ETag
		it.action = ActionUpdated
		it.put.If = func(exists bool, cur string) bool { return exists && cur == etag }
	}
	return nil
}

// fill writes the items into rep.
func fill(rep *Report, items []*item, duplicates int, href string) {
	rep.Counts = Counts{Duplicates: duplicates}
	rep.Objects = make([]ObjectJSON, len(items))
	for i, it := range items {
		o := ObjectJSON{Line: it.line, UID: it.uid, UIDAssigned: it.assigned, Component: it.component,
			Action: it.action, Reason: it.reason, Condition: it.condition}
		switch it.action {
		case ActionCreated:
			rep.Counts.Created++
		case ActionUpdated:
			rep.Counts.Updated++
		case ActionSkipped:
			rep.Counts.Skipped++
		case ActionRefused:
			rep.Counts.Refused++
		}
		if it.action != ActionRefused {
			o.Href = href + escapeSegment(it.put.Name)
		}
		rep.Objects[i] = o
	}
}

func escapeSegment(s string) string { return url.PathEscape(s) }
