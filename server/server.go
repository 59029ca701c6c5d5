package server

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/mux"

	"almanac/account"
	"almanac/admin"
	"almanac/auth"
	"almanac/caldav"
	"almanac/carddav"
	"almanac/clientsetup"
	"almanac/fileimport"
	"almanac/internal/api"
	"almanac/internal/dav"
	"almanac/internal/davtree"
	"almanac/internal/remote"
	"almanac/mailbox"
	"almanac/mailimport"
	"almanac/notify"
	"almanac/publish"
	"almanac/schedule"
	"almanac/sharing"
	"almanac/storage"
	"almanac/web"
)

// Config is what the server needs.
type Config struct {
	Store  storage.Store
	Logger *slog.Logger
	// Auth overrides the authenticator (tests); nil builds one on Store.
	Auth            *auth.Authenticator
	MaxResourceSize int64
	MaxInstances    int // per-object expansion cap; 0: 10,000
	// ReportSlots bounds the expensive REPORTs (calendar-query,
	// free-busy-query, addressbook-query) run at once server-wide; 16
	// times as many wait up to 10 s, more get 503 (davtree ReportPool).
	// 0: 4.
	ReportSlots int
	// LinkKeys makes and reads public-link tokens; nil: a random key that
	// lives as long as the process (tests).
	LinkKeys *sharing.Keyring
	// PublicURL is the external base URL public links are shown with;
	// empty: each API request's own scheme and host.
	PublicURL string
	// FeedTTL is the refresh interval feeds suggest (0: one hour).
	FeedTTL time.Duration
	// Mailer and Texter send account mail and SMS; nil writes them to an
	// outbox in the system's temporary directory (tests).
	Mailer notify.Mailer
	Texter notify.Texter
	// DovecotPasswd and PostfixVirtual are the mail server files kept up
	// to date with mailboxes and aliases, in the background (Run); ""
	// skips one.
	DovecotPasswd, PostfixVirtual string
	// SieveDir receives each mailbox's Sieve script with its active
	// responder, DIR/<domain>/<local-part>.sieve; "" writes none.
	SieveDir string
	// MailReloadCmd is run with /bin/sh -c after those files change
	// (mailbox.ExporterOptions.ReloadCmd); "" runs nothing.
	MailReloadCmd string
	// BodyLimits bound request bodies in time and size; zero fields take
	// their defaults.
	BodyLimits BodyLimits
	// SyncRetention is how long change history, and so a sync token,
	// is kept: Run prunes what is older. 0 keeps it all.
	SyncRetention time.Duration
	// MetricsToken, when not empty, serves /metrics on the handler to
	// requests that bear it (Authorization: Bearer); without it the
	// handler has no /metrics. MetricsHandler serves them elsewhere.
	MetricsToken string
	// Backup schedules backups, which Run makes (backup.go); a zero
	// value makes none.
	Backup BackupConfig
	// ClientSetup is where mail clients are told to connect (serve's
	// -imap-* and -submission-* flags); zero: the client setup documents
	// have no mail to offer unless a Mail Service names its own servers.
	ClientSetup clientsetup.Config
	// TrustedProxies are the reverse proxies whose ProxyHeader names the
	// client, its scheme and host (internal/remote); none: the headers
	// are ignored.
	TrustedProxies []netip.Prefix
	ProxyHeader    remote.Header
	// Imports copies mailboxes of other providers into almanac's over
	// IMAP, in jobs Run runs; a zero Destination refuses new imports.
	Imports mailimport.Config
	// ImportAllowPrivate lets imports fetch URLs that lead to private
	// and local addresses (fileimport); ImportMaxFile caps an imported
	// file (0: fileimport.DefaultMaxFile).
	ImportAllowPrivate bool
	ImportMaxFile      int64
}

// Server is the root handler. Run keeps its background work going.
type Server struct {
	http.Handler
	feeds   *publish.Handler
	api     *api.Router
	prune   pruner
	metrics *metrics
	ready   *readiness
	logger  *slog.Logger
	backups *backupper // nil: none scheduled
	mail    *mailbox.Exporter
	imports *mailimport.Service
	tl      timelines
	// exclusive runs the background work one server of several must do
	// alone; nil when the store is this process's.
	exclusive storage.Exclusive
}

// MetricsHandler serves the server's metrics in the Prometheus text
// format, to requests bearing token when it is not empty: for a listener
// of their own (-metrics-listen).
func (s *Server) MetricsHandler(token string) http.Handler { return s.metrics.handler(token, s.logger) }

// MailFiles is the exporter of the mail server files, nil when none are
// configured.
func (s *Server) MailFiles() *mailbox.Exporter { return s.mail }

// APIRoutes lists the JSON API's routes, "METHOD /path/{param}".
func (s *Server) APIRoutes() []string { return s.api.Routes() }

// Run does the background work until ctx is done: it writes feed fetch
// statistics every 30 s, and once more then, prunes the change log
// (prune.go), makes the scheduled backups (backup.go), keeps the mail
// server files up to date (mailbox.Exporter), writing what is still
// pending once more then, runs the mail imports (package mailimport),
// which it stops with their progress saved, and renews the calendars'
// time index (timelines.go). On a store several servers share, the
// backups and the imports run on one of them at a time (exclusively).
func (s *Server) Run(ctx context.Context) {
	var wg sync.WaitGroup
	if s.prune.retention > 0 {
		wg.Go(func() { s.prune.run(ctx) })
	}
	if s.backups != nil {
		wg.Go(func() { s.exclusively(ctx, "backups", s.backups.run) })
	}
	if s.mail != nil {
		wg.Go(func() { s.mail.Run(ctx) })
	}
	if s.imports.Enabled() {
		wg.Go(func() { s.exclusively(ctx, "mail-imports", s.imports.Run) })
	}
	wg.Go(func() { s.tl.run(ctx) })
	s.feeds.Run(ctx, 30*time.Second)
	wg.Wait()
}

// exclusively runs task until ctx is done, on this server alone among
// those sharing a store that offers storage.Exclusive: task runs here
// once no other server runs it, and stops when this server loses the
// lock. Without the role the store is this process's, and task runs.
func (s *Server) exclusively(ctx context.Context, name string, task func(context.Context)) {
	if s.exclusive == nil {
		task(ctx)
		return
	}
	s.exclusive.Exclusively(ctx, name, func(ctx context.Context) {
		s.logger.InfoContext(ctx, "running "+name+" for every server on the store")
		task(ctx)
		s.logger.InfoContext(ctx, "stopped running "+name)
	})
}

// New returns the root handler.
func New(cfg Config) *Server {
	logger := cfg.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	logger = slog.New(LogHandler(logger.Handler()))
	m := newMetrics()
	m.observeStore(cfg.Store, logger)
	authn := cfg.Auth
	if authn == nil {
		// A store several servers share counts failed secrets for all
		// of them (doc.go # Several servers).
		shared, _ := cfg.Store.(storage.Throttle)
		authn = auth.New(cfg.Store, auth.Options{Logger: logger, Observer: m.auth, Throttle: shared})
	}
	mailer, texter := cfg.Mailer, cfg.Texter
	if mailer == nil || texter == nil {
		outbox := notify.NewOutbox(filepath.Join(os.TempDir(), "almanac-outbox"), logger)
		if mailer == nil {
			mailer = outbox
		}
		if texter == nil {
			texter = outbox
		}
	}
	calendars := caldav.New(cfg.Store, caldav.Options{Logger: logger, MaxInstances: cfg.MaxInstances})
	reports := davtree.ReportPoolOptions{Slots: cfg.ReportSlots, Queue: 16 * cfg.ReportSlots, Observe: m.reportPool}
	scheduler := schedule.New(cfg.Store, schedule.Options{Logger: logger, Ingest: calendars.Ingest, IMIP: schedule.Mail{Mailer: mailer},
		Busy: func(ctx context.Context, owner string, start, end time.Time) ([]schedule.Busy, error) {
			ps, _, err := calendars.ScheduleBusy(ctx, owner, start, end)
			out := make([]schedule.Busy, len(ps))
			for i, p := range ps {
				out[i] = schedule.Busy(p)
			}
			return out, err
		}})
	tree := davtree.New(cfg.Store, davtree.Options{Logger: logger, MaxResourceSize: cfg.MaxResourceSize,
		Reports:   davtree.NewReportPool(reports),
		Principal: auth.AccountFrom,
		Resolved:  func(ctx context.Context, t davtree.Type) { setRoute(ctx, "dav:"+t.String()) },
		Share: func(ctx context.Context, owner, coll, sharee, access string) error {
			_, _, err := sharing.Share(ctx, cfg.Store, owner, coll, sharee, access)
			return err
		},
		Scheduler: scheduler},
		calendars,
		carddav.New(cfg.Store, carddav.Options{Logger: logger}),
	)

	keys := cfg.LinkKeys
	if keys == nil {
		key := make([]byte, sharing.KeySize)
		rand.Read(key)
		keys, _ = sharing.NewKeyring(key)
	}
	feeds := publish.NewHandler(cfg.Store, keys, publish.Options{Logger: logger, TTL: cfg.FeedTTL, Observer: m.feeds, Guard: authn.Guard()})

	bodies := cfg.BodyLimits.withDefaults()
	// Several servers on one store tell each other of changes to what
	// they keep outside it (doc.go # Several servers).
	signals, _ := cfg.Store.(storage.Signals)
	stash, _ := cfg.Store.(storage.Stash)
	var mailFiles *mailbox.Exporter
	if cfg.DovecotPasswd != "" || cfg.PostfixVirtual != "" || cfg.SieveDir != "" {
		mailFiles = mailbox.NewExporter(cfg.Store, mailbox.ExporterOptions{PasswdFile: cfg.DovecotPasswd,
			VirtualMap: cfg.PostfixVirtual, SieveDir: cfg.SieveDir, ReloadCmd: cfg.MailReloadCmd, Logger: logger, Observer: m.mail,
			Signals: signals})
	}
	imports, err := mailimport.New(cfg.Store, cfg.Imports, mailimport.Options{Logger: logger, Mailer: mailer, Guard: authn.Guard(), Signals: signals})
	if err != nil {
		panic(err) // a key of the wrong size: the caller's mistake
	}

	// The JSON API: one router, each feature registering its routes.
	apiRouter := api.NewRouter(api.Options{
		Logger: logger,
		Authenticate: func(next http.Handler) http.Handler {
			return authn.APIMiddleware(bodies.allowFor(api.BodyLimit)(withPrincipal(next)))
		},
		Admit: account.LoginChangeGate,
		Admin: admin.IsAdmin,
		Matched: func(r *http.Request, pattern string) {
			if _, path, ok := strings.Cut(pattern, " "); ok {
				setRoute(r.Context(), path)
			}
		},
	})
	setup := clientsetup.New(cfg.Store, clientsetup.Options{Logger: logger, Config: cfg.ClientSetup, PublicURL: cfg.PublicURL})
	for _, f := range []interface{ Routes(*api.Router) }{
		account.New(cfg.Store, tree, account.Options{Logger: logger, Mailer: mailer, Texter: texter, Auth: authn}),
		sharing.NewLinksAPI(cfg.Store, keys, feeds, sharing.APIOptions{Logger: logger, PublicURL: cfg.PublicURL}),
		sharing.NewSharesAPI(cfg.Store, tree, logger),
		mailbox.New(cfg.Store, mailbox.Options{Logger: logger, Mailer: mailer, Texter: texter,
			Exports: mailFiles, Signals: signals, Calendars: calendars, Guard: authn.Guard()}),
		imports,
		admin.New(cfg.Store, admin.Options{Logger: logger, HashPassword: authn.Guard().HashPassword,
			Provision: func(ctx context.Context, acc *storage.Account) error { return Provision(ctx, cfg.Store, acc) }}),
		fileimport.New(cfg.Store, tree, fileimport.Options{Logger: logger, AllowPrivate: cfg.ImportAllowPrivate, MaxFile: cfg.ImportMaxFile}),
		setup,
	} {
		f.Routes(apiRouter)
	}

	// The web pages make every change through the API router or the DAV
	// tree, in process; the request keeps the page's route in metrics.
	pages := web.New(web.Options{Logger: logger, Auth: authn, Store: cfg.Store, Hrefs: tree, Feeds: feeds,
		API: keepRoute(apiRouter), DAV: keepRoute(bodies.allow(max(tree.MaxResourceSize(), dav.MaxXMLBody))(withPrincipal(tree))),
		ImportMaxFile: cfg.ImportMaxFile, AllowBody: bodies.raise, Stash: stash,
		Signed: func(r *http.Request, acc *storage.Account) {
			if info, ok := r.Context().Value(infoKey{}).(*requestInfo); ok {
				info.principal = acc.Login
			}
		}})

	r := mux.NewRouter()
	// WebDAV paths are parsed segment by segment by the DAV core, which
	// refuses dot segments itself; mux must not rewrite them first.
	r.SkipClean(true)
	r.UseEncodedPath()

	// RFC 6764 5: every method is redirected, so that a client
	// PROPFINDing the well-known URI is sent on too. Clients that end
	// every collection-like path with a slash ask for that form; it is
	// redirected alike.
	wellKnown := routed("well-known", http.RedirectHandler(davtree.Prefix, http.StatusMovedPermanently))
	for _, p := range []string{"/.well-known/caldav", "/.well-known/carddav"} {
		r.Handle(p, wellKnown)
		r.Handle(p+"/", wellKnown)
	}
	davHandler := routed("dav", authn.Middleware(bodies.allow(max(tree.MaxResourceSize(), dav.MaxXMLBody))(withPrincipal(tree))))
	r.PathPrefix(davtree.Prefix).Handler(davHandler)
	// go-webdav and other clients build URLs with path.Join, which drops
	// the trailing slash: /dav is the same collection (RFC 4918 5.2), and
	// a redirect would turn their PROPFIND into a GET.
	r.Handle("/dav", davHandler)
	r.PathPrefix("/api/").Handler(routed("api", apiRouter))
	// Mail client discovery needs no login and tells only what a domain
	// publishes anyway (clientsetup/doc.go). Outlook capitalises its
	// path, other clients do not.
	autoconfig := routed("autoconfig", methods{http.MethodGet: http.HandlerFunc(setup.Autoconfig)})
	r.Handle(clientsetup.AutoconfigPath, autoconfig)
	r.Handle(clientsetup.AutoconfigHostPath, autoconfig)
	r.MatcherFunc(func(r *http.Request, _ *mux.RouteMatch) bool {
		return strings.EqualFold(r.URL.Path, clientsetup.AutodiscoverPath)
	}).Handler(routed("autodiscover", methods{http.MethodPost: http.HandlerFunc(setup.Autodiscover)}))
	// Public feeds: the token is the credential, no login. A feed's
	// address with .html is its agenda page (package web).
	r.MatcherFunc(func(r *http.Request, _ *mux.RouteMatch) bool { return web.IsAgenda(r) }).Handler(routed("agenda", http.HandlerFunc(pages.Agenda)))
	r.PathPrefix(publish.CalendarPrefix).Handler(routed("feed", feeds))
	r.PathPrefix(publish.AddressBookPrefix).Handler(routed("feed", feeds))
	ready := &readiness{logger: logger}
	r.Handle("/healthz", routed("/healthz", methods{http.MethodGet: http.HandlerFunc(healthz)}))
	r.Handle("/readyz", routed("/readyz", methods{http.MethodGet: ready}))
	if cfg.MetricsToken != "" {
		r.Handle("/metrics", routed("/metrics", methods{http.MethodGet: m.handler(cfg.MetricsToken, logger)}))
	}
	for _, p := range web.Paths {
		r.PathPrefix(p).Handler(routed("web", pages))
	}
	// PROPFIND on the server's address is how Thunderbird and GNOME look
	// for current-user-principal, and clients probe it with OPTIONS;
	// browsers get the home page.
	r.Handle("/", routed("home", methods{http.MethodGet: pages, "PROPFIND": davHandler, http.MethodOptions: davHandler}))
	r.NotFoundHandler = http.HandlerFunc(notFound)
	proxies := remote.NewProxies(cfg.TrustedProxies, cfg.ProxyHeader)
	s := &Server{Handler: proxies.Handler(logRequests(logger, m, bodies.limitBodies(r))), feeds: feeds, api: apiRouter,
		prune:   pruner{store: cfg.Store, log: logger, retention: cfg.SyncRetention, metrics: m},
		metrics: m, ready: ready, logger: logger, mail: mailFiles,
		tl:      timelines{cal: calendars, log: logger, metrics: m},
		backups: newBackupper(withBackupMetrics(cfg.Backup, m), cfg.Store, logger), imports: imports}
	s.exclusive, _ = cfg.Store.(storage.Exclusive)
	s.AddReadyCheck("database", storeReadable(cfg.Store))
	if mailFiles != nil {
		// Failing while a write of the files fails; the exporter's error
		// says since when and why.
		s.AddReadyCheck("mail-export", func(context.Context) error { return mailFiles.Health() })
	}
	return s
}

// Provision gives a new account its default calendar and address book:
// every way of making an account (the first start, the command line,
// the admin API) goes through it.
func Provision(ctx context.Context, store storage.Store, acc *storage.Account) error {
	if err := caldav.Provision(ctx, store, acc); err != nil {
		return err
	}
	return carddav.Provision(ctx, store, acc)
}

// methods serves each method of a path that is not in the DAV tree with
// its handler, HEAD with GET's and OPTIONS (unless it has its own
// handler) with the list; any other method is 405 with that list in
// Allow (RFC 9110 15.5.6), not the page a GET would have returned.
type methods map[string]http.Handler

func (m methods) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	method := r.Method
	if method == http.MethodHead {
		method = http.MethodGet
	}
	if h, ok := m[method]; ok {
		if r.Method == http.MethodOptions {
			// The handler's own Allow names only what it serves.
			w = &allowWriter{ResponseWriter: w, allow: m.allow()}
		}
		h.ServeHTTP(w, r)
		return
	}
	w.Header().Set("Allow", m.allow())
	if r.Method == http.MethodOptions {
		// RFC 9110 9.3.7: OPTIONS on a resource answers what it allows.
		w.WriteHeader(http.StatusNoContent)
		return
	}
	http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
}

// allow is the Allow list, in a fixed order so that responses are
// stable.
func (m methods) allow() string {
	list := []string{http.MethodOptions}
	if _, ok := m[http.MethodGet]; ok {
		list = append(list, http.MethodGet, http.MethodHead)
	}
	for meth := range m {
		if meth != http.MethodGet && meth != http.MethodOptions {
			list = append(list, meth)
		}
	}
	slices.Sort(list[1:])
	return strings.Join(list, ", ")
}

// allowWriter replaces the Allow header a handler sets with the path's.
type allowWriter struct {
	http.ResponseWriter
	allow       string
	wroteHeader bool
}

func (w *allowWriter) WriteHeader(code int) {
	if !w.wroteHeader {
		w.wroteHeader = true
		if w.Header().Get("Allow") != "" {
			w.Header().Set("Allow", w.allow)
		}
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *allowWriter) Write(b []byte) (int, error) {
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
	return w.ResponseWriter.Write(b)
}

func (w *allowWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// keepRoute serves next without letting it change the request's route:
// a page's in-process API or DAV request is counted and logged as the
// page, with the account the page found (web.Options.Signed).
func keepRoute(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		info, _ := r.Context().Value(infoKey{}).(*requestInfo)
		if info == nil {
			next.ServeHTTP(w, r)
			return
		}
		route, principal := info.route, info.principal
		next.ServeHTTP(w, r)
		info.route, info.principal = route, principal
	})
}

func notFound(w http.ResponseWriter, r *http.Request) {
	http.Error(w, "not found", http.StatusNotFound)
}

// requestInfo is filled in by inner handlers for the log line and the
// metrics.
type requestInfo struct {
	id        string
	principal string
	// route is what metrics count the request under (doc.go): set by
	// the handler the router picked, then refined by the API router
	// (its pattern) and the DAV tree (the resource type).
	route string
}

type infoKey struct{}

// routed sets the request's route to route before next serves it.
func routed(route string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		setRoute(r.Context(), route)
		next.ServeHTTP(w, r)
	})
}

func setRoute(ctx context.Context, route string) {
	if info, ok := ctx.Value(infoKey{}).(*requestInfo); ok {
		info.route = route
	}
}

func withPrincipal(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if info, ok := r.Context().Value(infoKey{}).(*requestInfo); ok {
			if acc := auth.AccountFrom(r.Context()); acc != nil {
				info.principal = acc.Login
			}
		}
		next.ServeHTTP(w, r)
	})
}

type recorder struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (r *recorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	n, err := r.ResponseWriter.Write(b)
	r.bytes += int64(n)
	return n, err
}

func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

func newRequestID() string {
	var b [8]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// logRequests writes the request log, counts the request in the
// metrics and turns panics into 500s. The path is logged without the
// query string. The request's context carries its id, which the log
// handler (logging.go) adds to every line logged with it.
func logRequests(logger *slog.Logger, m *metrics, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		info := &requestInfo{id: newRequestID(), route: "other"}
		ctx := context.WithValue(r.Context(), infoKey{}, info)
		rec := &recorder{ResponseWriter: w}
		w.Header().Set("X-Request-Id", info.id)
		defer func() {
			p := recover()
			if p != nil {
				if p == http.ErrAbortHandler {
					rec.status = 499
				} else {
					logger.ErrorContext(ctx, "panic serving request", "panic", p, "stack", string(debug.Stack()))
					if rec.status == 0 {
						http.Error(rec, "internal server error", http.StatusInternalServerError)
					}
				}
			}
			status := rec.status
			if status == 0 {
				status = http.StatusOK
			}
			dur := time.Since(start)
			m.request(info.route, r.Method, status, dur)
			logger.InfoContext(ctx, "request", "principal", info.principal, "method", r.Method,
				"path", logPath(r.URL.Path), "status", status, "bytes", rec.bytes, "dur", dur.Round(time.Microsecond),
				"addr", remote.Of(r).Addr)
			if p == http.ErrAbortHandler {
				panic(p)
			}
		}()
		next.ServeHTTP(rec, r.WithContext(ctx))
	})
}

// logPath is a request path as logged: feed tokens are credentials, so
// only their first characters are kept, and a long path is cut so that a
// request cannot write a log line of its own choosing size.
func logPath(p string) string {
	for _, prefix := range []string{publish.CalendarPrefix, publish.AddressBookPrefix} {
		if rest, ok := strings.CutPrefix(p, prefix); ok {
			return prefix + sharing.Mask(rest)
		}
	}
	return dav.LogPath(p)
}
