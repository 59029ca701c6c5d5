package web

import (
	"bytes"
	"context"
	"embed"
	"errors"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"almanac/auth"
	"almanac/internal/api"
	"almanac/storage"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Store is what the pages read directly: the caller's own collections
// and their sizes, for lists and for the confirmation that names what a
// deletion loses, and the users linked to a mailbox its manager sees.
// Every change goes through the API or the DAV tree.
type Store interface {
	ListCollections(ctx context.Context, owner string) ([]storage.Collection, error)
	Collection(ctx context.Context, owner, name string) (*storage.Collection, error)
	List(ctx context.Context, owner, coll string, fn func(*storage.ObjectMeta) error) error
	// The users linked to a mailbox, shown to its managers once the API
	// has let them list the service's mailboxes.
	MailboxLinksTo(ctx context.Context, service, local string) ([]storage.MailboxLink, error)
	Account(ctx context.Context, id string) (*storage.Account, error)
}

// Hrefs builds the DAV URLs shown on the pages.
type Hrefs interface {
	CollectionHref(kind storage.Kind, home, name string) string
}

// Options configures the pages.
type Options struct {
	Logger *slog.Logger
	// Auth finds the session of a request (auth.Authenticator.Session).
	Auth interface {
		Session(r *http.Request) (*storage.Account, *storage.Session, error)
	}
	// API is the /api/v1 router: every change the pages make is one of
	// its requests, made in process with the page's session.
	API http.Handler
	// DAV is the DAV tree without its authentication: the pages put the
	// session's account in the context, as auth's middleware would.
	DAV   http.Handler
	Hrefs Hrefs
	// Feeds renders the weeks of a calendar link the agenda page shows
	// (publish.Handler.Window): the link's tier, window, expiry and
	// revocation apply as to its feed, and the view counts as a fetch.
	Feeds interface {
		Window(r *http.Request, token string, from, to time.Time) ([]byte, error)
	}
	Store Store
	Now   func() time.Time
	// Signed, when set, is told the account of each signed-in page
	// request (the server's request log).
	Signed func(r *http.Request, acc *storage.Account)
	// ImportMaxFile caps a file uploaded to be imported, as fileimport
	// caps it (0: 32 MiB, its default).
	ImportMaxFile int64
	// AllowBody, when set, lifts the server's cap on the body of a
	// signed-in request to a page that takes a file of up to max bytes.
	AllowBody func(r *http.Request, max int64)
	// Stash, when set, holds previewed uploads until their confirmation
	// in the store every server shares; nil holds them in memory.
	Stash storage.Stash
}

// Handler serves the web pages.
type Handler struct {
	opts   Options
	log    *slog.Logger
	mux    *http.ServeMux
	pages  map[string]*template.Template
	static http.Handler
	now    func() time.Time
	// pending holds the uploads previewed and not yet imported.
	pending held
}

// Paths are the path prefixes the pages own on the server's root; "/"
// itself is the home page, served by ServeHTTP too.
var Paths = []string{"/login", "/logout", "/forgot", "/reset", "/shared", "/calendars", "/links", "/account", "/mail", "/manage", "/static/", "/favicon.ico", "/preferences"}

// New returns the pages' handler.
func New(opts Options) *Handler {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.ImportMaxFile <= 0 {
		opts.ImportMaxFile = 32 << 20
	}
	h := &Handler{opts: opts, log: opts.Logger, mux: http.NewServeMux(), now: opts.Now,
		pending: heldInMemory{&pendingFiles{maxBytes: 4 * opts.ImportMaxFile, files: map[string]*pendingFile{}}}}
	if opts.Stash != nil {
		h.pending = heldInStore{st: opts.Stash, maxBytes: 4 * opts.ImportMaxFile}
	}
	h.pages = parseTemplates()
	sub, _ := fs.Sub(staticFS, "static")
	h.static = http.StripPrefix("/static/", http.FileServerFS(sub))
	h.routes()
	return h
}

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	securityHeaders(w.Header(), false)
	h.mux.ServeHTTP(w, r)
}

// securityHeaders: no inline script or style anywhere, so that an
// injection that escaped the templates still cannot run; pages cannot be
// framed but the public agenda, which websites embed.
func securityHeaders(hd http.Header, framable bool) {
	frame := "'none'"
	if framable {
		frame = "*"
	}
	hd.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "+
		"form-action 'self'; base-uri 'none'; frame-ancestors "+frame)
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Referrer-Policy", "same-origin")
	if !framable {
		hd.Set("X-Frame-Options", "DENY")
	} else {
		hd.Del("X-Frame-Options")
	}
}

// page is what every template gets.
type page struct {
	Lang     string
	Title    string
	Account  *storage.Account
	CSRF     string
	Flash    string
	Error    string            // about the whole form
	Errors   map[string]string // field → message, shown next to it
	Form     url.Values        // what was submitted, to fill the form again
	Data     any
	Status   int
	Nav      string
	zone     *time.Location
	cat      catalogue
	session  *storage.Session
	r        *http.Request
	rendered bool
}

// T translates key, formatting args into it.
func (p *page) T(key string, args ...any) string { return p.cat.t(key, args...) }

// Err is the error of field, "" when none.
func (p *page) Err(field string) string { return p.Errors[field] }

// Val is the submitted value of field.
func (p *page) Val(field string) string { return p.Form.Get(field) }

// Date shows t in the reader's zone and language.
func (p *page) Date(t time.Time) string {
	if t.IsZero() {
		return p.T("never")
	}
	return p.cat.date(t.In(p.zone))
}

// Day shows the day of t in the reader's zone.
func (p *page) Day(t time.Time) string { return p.cat.day(t.In(p.zone)) }

// Clock shows the time of day of t in the reader's zone.
func (p *page) Clock(t time.Time) string { return t.In(p.zone).Format("15:04") }

// Zone is the reader's time zone name.
func (p *page) Zone() string { return p.zone.String() }

func (h *Handler) newPage(r *http.Request) *page {
	lang := language(r)
	return &page{Lang: lang, cat: catalogues[lang], zone: zoneOf(r), Errors: map[string]string{}, Form: url.Values{}, r: r,
		Flash: flashOf(r, catalogues[lang])}
}

// flashOf is the message a redirect after a change names with ?done=.
func flashOf(r *http.Request, c catalogue) string {
	key := r.URL.Query().Get("done")
	if key == "" {
		return ""
	}
	if msg, ok := c["done."+key]; ok {
		return msg
	}
	return ""
}

// view renders a page for GET, and again after a failed POST with the
// failure in the page.
type view func(w http.ResponseWriter, r *http.Request, p *page) error

// action makes a change and returns where to go next (a redirect after
// POST), or "" when it rendered an answer itself (secrets shown once).
type action func(w http.ResponseWriter, r *http.Request, p *page) (string, error)

// public registers a page that needs no session (it shows one when
// there is).
func (h *Handler) public(pattern string, v view) {
	h.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		p := h.newPage(r)
		if acc, s, err := h.opts.Auth.Session(r); err == nil {
			p.Account, p.session, p.CSRF = acc, s, s.CSRF
		}
		h.finish(w, r, p, v(w, r, p))
	})
}

// crossOrigin refuses forms that another site's page posts, by the
// browser's Sec-Fetch-Site (or Origin against Host): the forms without a
// session (login, recovery) have no CSRF token to check, and a login
// forged from elsewhere would sign the victim into someone else's
// account.
var crossOrigin = http.NewCrossOriginProtection()

// publicPost registers a form that needs no session (login, recovery).
func (h *Handler) publicPost(pattern string, a action, v view) {
	h.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		p := h.newPage(r)
		if crossOrigin.Check(r) != nil {
			h.finish(w, r, p, errCSRF)
			return
		}
		if err := parseForm(w, r); err != nil {
			h.finish(w, r, p, err)
			return
		}
		h.act(w, r, p, a, v)
	})
}

// own registers a page of the signed-in account.
func (h *Handler) own(pattern string, v view) {
	h.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		p, ok := h.signedIn(w, r)
		if !ok {
			return
		}
		h.finish(w, r, p, v(w, r, p))
	})
}

// ownPost registers a form of the signed-in account. The session's CSRF
// token must come back in the form's csrf field: a form another site
// posts cannot know it (auth.CSRFMatches, the check the API makes).
func (h *Handler) ownPost(pattern string, a action, v view) {
	h.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		p, ok := h.signedIn(w, r)
		if !ok {
			return
		}
		if err := parseForm(w, r); err != nil {
			h.finish(w, r, p, err)
			return
		}
		if !auth.CSRFMatches(p.session, r.PostForm.Get("csrf")) {
			h.finish(w, r, p, errCSRF)
			return
		}
		h.act(w, r, p, a, v)
	})
}

// ownUpload registers a form of the signed-in account that sends a file
// (multipart/form-data, RFC 7578) of up to Options.ImportMaxFile bytes.
// The session is checked before the body is read past the server's
// small cap, and the CSRF token after it is parsed.
func (h *Handler) ownUpload(pattern string, a action, v view) {
	h.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		p, ok := h.signedIn(w, r)
		if !ok {
			return
		}
		max := h.opts.ImportMaxFile + maxForm
		if h.opts.AllowBody != nil {
			h.opts.AllowBody(r, max)
		}
		r.Body = http.MaxBytesReader(w, r.Body, max)
		// Parts past 1 MiB wait in temporary files, removed after.
		err := r.ParseMultipartForm(1 << 20)
		if r.MultipartForm != nil {
			defer r.MultipartForm.RemoveAll()
		}
		if err != nil {
			var tooLarge *http.MaxBytesError
			if errors.As(err, &tooLarge) {
				h.finish(w, r, p, &api.Error{Status: http.StatusRequestEntityTooLarge, Code: "too_large",
					Message: "the file is larger than " + strconv.FormatInt(h.opts.ImportMaxFile>>20, 10) + " MiB; split it"})
				return
			}
			h.finish(w, r, p, &api.Error{Status: http.StatusBadRequest, Code: "invalid_form", Message: "the form could not be read"})
			return
		}
		if !auth.CSRFMatches(p.session, r.PostForm.Get("csrf")) {
			h.finish(w, r, p, errCSRF)
			return
		}
		h.act(w, r, p, a, v)
	})
}

var errCSRF = &api.Error{Status: http.StatusForbidden, Code: "csrf", Message: "this form is out of date or came from another site; reload the page and try again"}

// maxForm caps a form body: the largest form is a responder text.
const maxForm = 64 << 10

func parseForm(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, maxForm)
	if err := r.ParseForm(); err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return &api.Error{Status: http.StatusRequestEntityTooLarge, Code: "too_large", Message: "the form is too large"}
		}
		return &api.Error{Status: http.StatusBadRequest, Code: "invalid_form", Message: "the form could not be read"}
	}
	return nil
}

func (h *Handler) act(w http.ResponseWriter, r *http.Request, p *page, a action, v view) {
	next, err := a(w, r, p)
	if err == nil {
		if next != "" {
			http.Redirect(w, r, next, http.StatusSeeOther)
		}
		return
	}
	e := api.Classify(err)
	if e == nil {
		return
	}
	if e.Status >= 500 || e.Code == "csrf" || e.Code == "session_expired" || v == nil {
		h.finish(w, r, p, err)
		return
	}
	// The form again, with what was typed (but secrets) and the error
	// next to its field.
	p.Form = url.Values{}
	for k, v := range r.PostForm {
		p.Form[k] = v
	}
	for k := range p.Form {
		if strings.Contains(k, "password") || k == "code" || k == "otp" || k == "csrf" {
			p.Form.Del(k)
		}
	}
	if e.Field != "" && !r.PostForm.Has(e.Field) && (r.MultipartForm == nil || r.MultipartForm.File[e.Field] == nil) {
		// About something the form does not show as a field (a link's
		// window as a whole, a right): above the form.
		c := *e
		c.Field = ""
		e = &c
	}
	p.fail(e)
	if e.Status == http.StatusTooManyRequests || e.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(max(int((e.RetryAfter+time.Second-1)/time.Second), 1)))
	}
	h.finish(w, r, p, v(w, r, p))
}

// fail puts e into the page: next to its field, else above the form.
func (p *page) fail(e *api.Error) {
	msg := p.cat.errorText(e)
	if p.Status == 0 {
		p.Status = e.Status
	}
	if e.Field != "" {
		p.Errors[e.Field] = msg
		return
	}
	p.Error = msg
}

// signedIn finds the session; without one, the browser goes to the
// login page and comes back.
func (h *Handler) signedIn(w http.ResponseWriter, r *http.Request) (*page, bool) {
	p := h.newPage(r)
	acc, s, err := h.opts.Auth.Session(r)
	if err != nil {
		if errors.Is(err, auth.ErrSessionEnded) {
			http.Redirect(w, r, "/login?next="+url.QueryEscape(localPath(r.URL.RequestURI())), http.StatusSeeOther)
			return nil, false
		}
		h.finish(w, r, p, err)
		return nil, false
	}
	p.Account, p.session, p.CSRF = acc, s, s.CSRF
	if h.opts.Signed != nil {
		h.opts.Signed(r, acc)
	}
	// An account whose login ID went with its mailbox chooses a new one
	// first, as the API's gate asks.
	if auth.ValidateLogin(acc.Login) != nil && !strings.HasPrefix(r.URL.Path, "/account/login") && r.URL.Path != "/logout" {
		http.Redirect(w, r, "/account/login", http.StatusSeeOther)
		return nil, false
	}
	return p, true
}

// finish renders the error page for err, when the view did not render.
func (h *Handler) finish(w http.ResponseWriter, r *http.Request, p *page, err error) {
	if err == nil {
		return
	}
	e := api.Classify(err)
	if e == nil {
		return
	}
	if e.Status >= 500 {
		h.log.ErrorContext(r.Context(), "web page failed", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	if e.Code == "session_expired" {
		http.Redirect(w, r, "/login", http.StatusSeeOther)
		return
	}
	if p.rendered {
		return
	}
	p.Title = p.T("error.title")
	p.Error = p.cat.errorText(e)
	p.Status = e.Status
	if e.Status == http.StatusTooManyRequests || e.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(max(int((e.RetryAfter+time.Second-1)/time.Second), 1)))
	}
	h.render(w, p, "error")
}

// render writes template name with p; a template that fails to execute
// is a 500 without its text.
func (h *Handler) render(w http.ResponseWriter, p *page, name string) error {
	t := h.pages[name]
	if t == nil {
		panic("web: no template " + name)
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", p); err != nil {
		h.log.Error("web: template failed", "template", name, "err", err)
		http.Error(w, "internal server error", http.StatusInternalServerError)
		p.rendered = true
		return nil
	}
	hd := w.Header()
	hd.Set("Content-Type", "text/html; charset=utf-8")
	hd.Set("Cache-Control", "no-store")
	hd.Set("Content-Language", p.Lang)
	hd.Set("Vary", "Cookie, Accept-Language")
	status := p.Status
	if status == 0 {
		status = http.StatusOK
	}
	w.WriteHeader(status)
	w.Write(buf.Bytes())
	p.rendered = true
	return nil
}

// localPath keeps a redirect target on this site: a path, never a
// scheme or a host ("//evil.example" included).
func localPath(s string) string {
	if !strings.HasPrefix(s, "/") || strings.HasPrefix(s, "//") || strings.HasPrefix(s, "/\\") || strings.ContainsAny(s, "\r\n") {
		return "/calendars"
	}
	return s
}

// Checked tells whether the form holds value among field's values (a
// ticked checkbox).
func (p *page) Checked(field, value string) bool { return slices.Contains(p.Form[field], value) }

// Period shows a responder's start and end, wall-clock times in zone.
func (p *page) Period(start, end *string, zone string) string {
	wall := func(s *string) string { return strings.Replace(inputTime(s), "T", " ", 1) }
	switch {
	case start == nil && end == nil:
		return p.T("responder.always")
	case end == nil:
		return p.T("responder.from_on", wall(start), zone)
	case start == nil:
		return p.T("responder.until", wall(end), zone)
	}
	return p.T("responder.between", wall(start), wall(end), zone)
}

// Days names weekdays (the API's English names) in the reader's
// language.
func (p *page) Days(days []string) string {
	names := make([]string, len(days))
	for i, d := range days {
		names[i] = p.T("wd." + d)
	}
	return strings.Join(names, ", ")
}
