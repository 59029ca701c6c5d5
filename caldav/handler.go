package caldav

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"

	"almanac/auth"
	"almanac/internal/dav"
	aical "almanac/internal/ical"
	"almanac/storage"
)

// Prefix is where the DAV tree is mounted.
const Prefix = "/dav/"

// DefaultMaxResourceSize caps one calendar object. Objects with inline
// attachments reach a few MB; 10 MiB is Radicale's order of magnitude
// without letting one PUT exhaust memory.
const DefaultMaxResourceSize = 10 << 20

// Handler serves the /dav/ tree.
type Handler struct {
	store        storage.Store
	logger       *slog.Logger
	maxSize      int64
	maxInstances int
}

// Options configures a Handler.
type Options struct {
	Logger          *slog.Logger
	MaxResourceSize int64 // 0: DefaultMaxResourceSize
	// MaxInstances caps the instances of one object that a query, an
	// expand or a free-busy report walks (0: 10,000). Objects with more
	// are stored all the same; only answers are bounded.
	MaxInstances int
}

// NewHandler returns the CalDAV handler. Requests must carry an
// authenticated account (auth.Middleware).
func NewHandler(store storage.Store, opts Options) *Handler {
	h := &Handler{store: store, logger: opts.Logger, maxSize: opts.MaxResourceSize}
	if h.logger == nil {
		h.logger = slog.New(slog.DiscardHandler)
	}
	if h.maxSize <= 0 {
		h.maxSize = DefaultMaxResourceSize
	}
	h.maxInstances = opts.MaxInstances
	if h.maxInstances <= 0 {
		h.maxInstances = aical.DefaultMaxInstances
	}
	return h
}

// DAV compliance classes (RFC 4918 18, RFC 5689 3.1, RFC 3744 7.2,
// RFC 4791 5.1).
const davHeader = "1, 3, extended-mkcol, access-control, calendar-access"

// allow lists the methods a resource serves (Allow on OPTIONS and 405).
func (t *target) allow() string {
	switch t.kind {
	case kCalendar:
		if t.coll == nil {
			return "OPTIONS, MKCALENDAR, MKCOL"
		}
		return "OPTIONS, PROPFIND, PROPPATCH, REPORT, DELETE"
	case kObject:
		if t.coll == nil {
			return "OPTIONS"
		}
		return "OPTIONS, GET, HEAD, PUT, DELETE, PROPFIND, REPORT, COPY, MOVE"
	}
	return "OPTIONS, PROPFIND"
}

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	t, err := h.serve(w, r)
	if err == nil {
		return
	}
	err = mapError(err)
	var de *dav.Error
	if t != nil && errors.As(err, &de) && de.Status == http.StatusMethodNotAllowed {
		// RFC 9110 15.5.6: a 405 names what the resource does allow.
		w.Header().Set("Allow", t.allow())
	}
	dav.WriteError(w, r, h.logger, err)
}

func (h *Handler) serve(w http.ResponseWriter, r *http.Request) (*target, error) {
	acc := auth.AccountFrom(r.Context())
	if acc == nil {
		return nil, errors.New("caldav: no authenticated account in context")
	}
	t, err := h.resolve(r.Context(), acc, r.URL.EscapedPath())
	if err != nil {
		return nil, err
	}
	w.Header().Set("DAV", davHeader)
	return t, h.dispatch(w, r, t)
}

func (h *Handler) dispatch(w http.ResponseWriter, r *http.Request, t *target) error {
	switch r.Method {
	case http.MethodOptions:
		w.Header().Set("Allow", t.allow())
		w.Header().Set("Content-Length", "0")
		w.WriteHeader(http.StatusOK)
		return nil
	case "PROPFIND":
		return h.propfind(w, r, t)
	case "PROPPATCH":
		return h.proppatch(w, r, t)
	case "MKCALENDAR", "MKCOL":
		return h.mkcalendar(w, r, t)
	case "REPORT":
		return h.report(w, r, t)
	case http.MethodGet, http.MethodHead:
		return h.get(w, r, t)
	case http.MethodPut:
		return h.put(w, r, t)
	case http.MethodDelete:
		return h.delete(w, r, t)
	case "MOVE", "COPY":
		return h.transfer(w, r, t)
	case http.MethodPost:
		return dav.ErrMethodNotAllowed
	}
	return dav.NewError(http.StatusNotImplemented, "method not implemented")
}

// kind of resource a URL names.
type kind int

const (
	kRoot kind = iota
	kPrincipals
	kPrincipal
	kCalendars
	kHome
	kCalendar
	kObject
)

// target is a resolved request URL. coll is nil when the calendar does
// not exist (MKCALENDAR, or a PUT that must answer 409).
type target struct {
	kind     kind
	account  *storage.Account // the authenticated user, who owns what is named
	collName string
	coll     *storage.Collection
	objName  string
	rootHref string // set when the root is reached through "/" instead of Prefix
}

func (h *Handler) resolve(ctx context.Context, acc *storage.Account, escaped string) (*target, error) {
	t := &target{account: acc}
	if escaped == "/" {
		// Clients given only the server's address (Thunderbird, GNOME)
		// ask the root for current-user-principal before trying
		// /.well-known; answering saves them the detour.
		t.kind, t.rootHref = kRoot, "/"
		return t, nil
	}
	segs, _, err := dav.SplitPath(escaped, strings.TrimSuffix(Prefix, "/"))
	if err != nil {
		return nil, err
	}
	if len(segs) == 0 {
		t.kind = kRoot
		return t, nil
	}
	switch segs[0] {
	case "principals":
		switch len(segs) {
		case 1:
			t.kind = kPrincipals
			return t, nil
		case 2:
			if segs[1] != acc.ID {
				return nil, dav.ErrNotFound
			}
			t.kind = kPrincipal
			return t, nil
		}
	case "calendars":
		if len(segs) == 1 {
			t.kind = kCalendars
			return t, nil
		}
		if segs[1] != acc.ID || len(segs) > 4 {
			// Other users' trees answer 404 whether or not they exist.
			return nil, dav.ErrNotFound
		}
		t.kind = kHome
		if len(segs) == 2 {
			return t, nil
		}
		t.kind = kCalendar
		t.collName = segs[2]
		c, err := h.store.Collection(ctx, acc.ID, segs[2])
		switch {
		case err == nil && c.Kind == storage.KindCalendar:
			t.coll = c
		case err == nil:
			// A collection of another kind under the calendar home is
			// not reachable through it.
			return nil, dav.ErrNotFound
		case !errors.Is(err, storage.ErrNotFound):
			return nil, err
		}
		if len(segs) == 4 {
			t.kind = kObject
			t.objName = segs[3]
		}
		return t, nil
	}
	return nil, dav.ErrNotFound
}

// Hrefs of the tree; every href is built here.
func principalHref(id string) string { return Prefix + "principals/" + dav.EscapePath(id) + "/" }
func homeHref(id string) string      { return Prefix + "calendars/" + dav.EscapePath(id) + "/" }
func calendarHref(id, name string) string {
	return homeHref(id) + dav.EscapePath(name) + "/"
}
func objectHref(id, coll, name string) string {
	return calendarHref(id, coll) + dav.EscapePath(name)
}

func (t *target) href() string {
	switch t.kind {
	case kRoot:
		if t.rootHref != "" {
			return t.rootHref
		}
		return Prefix
	case kPrincipals:
		return Prefix + "principals/"
	case kPrincipal:
		return principalHref(t.account.ID)
	case kCalendars:
		return Prefix + "calendars/"
	case kHome:
		return homeHref(t.account.ID)
	case kCalendar:
		return calendarHref(t.account.ID, t.collName)
	}
	return objectHref(t.account.ID, t.collName, t.objName)
}

// mapError turns storage errors into protocol errors; everything else
// passes through to dav.WriteError, the one renderer.
func mapError(err error) error {
	var de *dav.Error
	if errors.As(err, &de) {
		return err
	}
	switch {
	case errors.Is(err, storage.ErrNotFound):
		return &dav.Error{Status: http.StatusNotFound, Message: "not found", Err: err}
	case errors.Is(err, storage.ErrPreconditionFailed):
		return &dav.Error{Status: http.StatusPreconditionFailed, Message: "precondition failed: the resource changed or exists", Err: err}
	case errors.Is(err, storage.ErrInvalidSyncToken):
		return &dav.Error{Status: http.StatusForbidden, Condition: dav.CondValidSyncToken, Message: "unknown or expired sync token; start over with an empty token", Err: err}
	case errors.Is(err, storage.ErrExists):
		return &dav.Error{Status: http.StatusMethodNotAllowed, Message: "resource already exists", Err: err}
	}
	return err
}
