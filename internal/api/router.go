package api

import (
	"context"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"almanac/internal/fault"
)

// Handler is one endpoint: it writes its answer, or returns an error for
// the router to render. It writes nothing before returning an error.
type Handler func(w http.ResponseWriter, r *http.Request) error

// RouteOption changes who may call a route.
type RouteOption uint8

const (
	// Public routes need no login: recovery, session login.
	Public RouteOption = iota + 1
	// DuringLoginChange routes stay open to an account the Admit hook
	// holds back, so that it can do what Admit asks of it.
	DuringLoginChange
	// AdminOnly routes exist only for accounts the Admin hook accepts:
	// anyone else gets the router's own answer for a path it does not
	// serve, so that a route's existence is no hint of what it guards.
	AdminOnly
	// LargeBody routes take bodies of up to MaxLargeBody bytes (BodyLimit)
	// instead of MaxBody: texts such as a responder's message, whose own
	// limit must be reachable to be reported on its field.
	LargeBody
)

// Options configures a Router.
type Options struct {
	Logger *slog.Logger
	// Authenticate wraps every route but the Public ones; it puts the
	// account in the request's context or answers the failure itself.
	Authenticate func(http.Handler) http.Handler
	// Admit, when set, runs after Authenticate on every route not marked
	// DuringLoginChange; an error refuses the request.
	Admit func(*http.Request) error
	// Admin tells, after Authenticate, whether the caller may use
	// AdminOnly routes; nil: nobody may.
	Admin func(*http.Request) bool
	// Matched, when set, is told the pattern of the route that serves
	// each request ("GET /api/v1/links/{id}"), or "" when none does, before
	// it is served: metrics and logs count requests by route, not by a
	// path that holds IDs.
	Matched func(r *http.Request, pattern string)
}

// Router is the one router of /api/v1: method patterns of Go's ServeMux
// ("GET /api/v1/links/{id}"), each feature registering its own, and one
// renderer for every error any of them returns. A path that exists with
// other methods answers 405 with Allow, one that does not 404, both in
// the JSON error shape.
type Router struct {
	mux    *http.ServeMux
	opts   Options
	routes []string
}

// NewRouter returns an empty router.
func NewRouter(opts Options) *Router {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Authenticate == nil {
		opts.Authenticate = func(h http.Handler) http.Handler { return h }
	}
	return &Router{mux: http.NewServeMux(), opts: opts}
}

// Handle registers h for pattern, "METHOD /path/{param}". A GET route
// answers HEAD too.
func (rt *Router) Handle(pattern string, h Handler, opts ...RouteOption) {
	var limit int64
	if slices.Contains(opts, LargeBody) {
		limit = MaxLargeBody
	}
	rt.handle(pattern, h, limit, opts)
}

// HandleUpload registers h like Handle for a route that takes request
// bodies (files) of up to max bytes rather than MaxBody (BodyLimit), which
// the server's body limits grant once the caller is authenticated.
func (rt *Router) HandleUpload(pattern string, max int64, h Handler, opts ...RouteOption) {
	rt.handle(pattern, h, max, opts)
}

// handle registers h; a bodyLimit above 0 replaces MaxBody (BodyLimit).
func (rt *Router) handle(pattern string, h Handler, bodyLimit int64, opts []RouteOption) {
	public, duringChange := slices.Contains(opts, Public), slices.Contains(opts, DuringLoginChange)
	adminOnly := slices.Contains(opts, AdminOnly)
	var next http.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Before Admit, whose refusal would tell that the route exists.
		if adminOnly && (rt.opts.Admin == nil || !rt.opts.Admin(r)) {
			rt.Render(w, r, noSuchEndpoint())
			return
		}
		if rt.opts.Admit != nil && !public && !duringChange {
			if err := rt.opts.Admit(r); err != nil {
				rt.Render(w, r, err)
				return
			}
		}
		if err := h(w, r); err != nil {
			rt.Render(w, r, err)
		}
	})
	if !public {
		next = rt.opts.Authenticate(next)
	}
	if bodyLimit > 0 {
		inner := next
		next = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			inner.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), bodyLimitKey{}, bodyLimit)))
		})
	}
	rt.mux.Handle(pattern, next)
	rt.routes = append(rt.routes, pattern)
}

// Routes lists the registered patterns in registration order.
func (rt *Router) Routes() []string { return slices.Clone(rt.routes) }

func (rt *Router) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	// "/api/v1/links/" is "/api/v1/links": clients and shells add the
	// slash, and no route tells the two apart.
	if p := r.URL.Path; len(p) > 1 && strings.HasSuffix(p, "/") {
		r2 := *r
		u := *r.URL
		u.Path = strings.TrimSuffix(p, "/")
		u.RawPath = ""
		r2.URL = &u
		r = &r2
	}
	_, pattern := rt.mux.Handler(r)
	if rt.opts.Matched != nil {
		rt.opts.Matched(r, pattern)
	}
	if pattern != "" {
		rt.mux.ServeHTTP(w, r)
		return
	}
	// No route: ServeMux knows whether the path exists with other
	// methods (405 with Allow) or not at all; its plain-text answer is
	// replaced by the JSON shape.
	probe := &statusProbe{header: http.Header{}}
	rt.mux.ServeHTTP(probe, r)
	if probe.status == http.StatusMethodNotAllowed {
		w.Header().Set("Allow", probe.header.Get("Allow"))
		rt.Render(w, r, &Error{Status: http.StatusMethodNotAllowed, Code: "method_not_allowed", Message: "method not allowed on this resource"})
		return
	}
	rt.Render(w, r, noSuchEndpoint())
}

// noSuchEndpoint is the answer for a path no route serves, and for an
// AdminOnly route to anyone but an admin.
func noSuchEndpoint() *Error {
	return &Error{Status: http.StatusNotFound, Code: "not_found", Message: "no such API endpoint"}
}

// statusProbe records what ServeMux answers a request it has no route for.
type statusProbe struct {
	header http.Header
	status int
}

func (p *statusProbe) Header() http.Header         { return p.header }
func (p *statusProbe) WriteHeader(code int)        { p.status = code }
func (p *statusProbe) Write(b []byte) (int, error) { return len(b), nil }

// Render writes err through WriteError with the router's logger.
func (rt *Router) Render(w http.ResponseWriter, r *http.Request, err error) {
	WriteError(w, r, rt.opts.Logger, err)
}

// faultStatus is the JSON API's reading of each fault kind.
func faultStatus(k fault.Kind) int {
	if s, ok := faultStatuses[k]; ok {
		return s
	}
	return http.StatusInternalServerError
}

var faultStatuses = map[fault.Kind]int{
	fault.Invalid:         http.StatusBadRequest,
	fault.Unauthenticated: http.StatusUnauthorized,
	fault.Forbidden:       http.StatusForbidden,
	fault.NotFound:        http.StatusNotFound,
	fault.Conflict:        http.StatusConflict,
	fault.Limit:           http.StatusConflict,
	fault.Throttled:       http.StatusTooManyRequests,
	fault.Unprocessable:   http.StatusUnprocessableEntity,
}

// retryAfterValue is a Retry-After header in whole seconds, rounded up:
// a client retrying after a rounded-down value would be refused again.
func retryAfterValue(d time.Duration) string {
	return strconv.FormatInt(max(int64((d+time.Second-1)/time.Second), 1), 10)
}
