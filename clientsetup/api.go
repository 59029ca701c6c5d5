package clientsetup

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"log/slog"
	"mime"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"almanac/auth"
	"almanac/internal/api"
	"almanac/internal/davtree"
	"almanac/internal/fault"
	"almanac/internal/remote"
	"almanac/storage"
)

// Store is what client setup reads: Mail Services and their mailboxes,
// and accounts, with their app passwords (a profile may embed a new
// one).
type Store interface {
	storage.Mail
	storage.Accounts
	storage.Security
}

// Options configures the API.
type Options struct {
	Logger *slog.Logger
	// Config is where the server's mail is served; a Mail Service may
	// override it.
	Config Config
	// PublicURL is the server's external base URL, where clients reach
	// CalDAV and CardDAV; "": each request's own scheme and host.
	PublicURL string
	Now       func() time.Time
}

// API serves the discovery documents (public) and the settings and
// profiles of mailboxes and accounts (under /api/v1).
type API struct {
	store  Store
	opts   Options
	public *url.URL // nil: the request's
}

// New returns the API. The command line refuses a PublicURL that is not
// an absolute URL; a server built by other means with one is logged and
// answers with each request's own scheme and host rather than fail.
func New(store Store, opts Options) *API {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	a := &API{store: store, opts: opts}
	if opts.PublicURL != "" {
		u, err := url.Parse(strings.TrimSuffix(opts.PublicURL, "/"))
		if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
			opts.Logger.Warn("clientsetup: the public URL is not an absolute http or https URL; documents name each request's own host")
		} else {
			a.public = u
		}
	}
	return a
}

// Paths of the discovery documents, outside /api/v1 and without login.
const (
	// AutoconfigPath is where Thunderbird looks on the mail domain
	// itself; AutoconfigHostPath is the same on the autoconfig.<domain>
	// host.
	AutoconfigPath     = "/.well-known/autoconfig/mail/config-v1.1.xml"
	AutoconfigHostPath = "/mail/config-v1.1.xml"
	// AutodiscoverPath is Outlook's, matched without regard to case
	// (Outlook writes /Autodiscover/Autodiscover.xml).
	AutodiscoverPath = "/autodiscover/autodiscover.xml"
)

// Paths of the API.
const (
	mailboxesPath = "/api/v1/mailboxes/{address}"
	accountPath   = "/api/v1/account"
	servicesPath  = "/api/v1/services/{service}/client-settings"
)

// Routes registers the settings and profiles of a mailbox (for accounts
// linked to it and its managers), of the caller's account, and the
// client settings of a Mail Service.
func (a *API) Routes(rt *api.Router) {
	rt.Handle("GET "+mailboxesPath+"/settings", a.mailboxSettings)
	rt.Handle("GET "+mailboxesPath+"/profile.mobileconfig", a.mailboxProfile)
	rt.Handle("POST "+mailboxesPath+"/profile.mobileconfig", a.mailboxProfile)
	rt.Handle("GET "+accountPath+"/settings", a.accountSettings)
	rt.Handle("GET "+accountPath+"/profile.mobileconfig", a.accountProfile)
	rt.Handle("POST "+accountPath+"/profile.mobileconfig", a.accountProfile)
	rt.Handle("GET "+servicesPath, a.serviceSettings)
	rt.Handle("PUT "+servicesPath, a.setServiceSettings)
}

// base is the external base URL, without a trailing slash: the public
// URL, else the scheme and host the client used (through a trusted
// proxy: the ones it names, internal/remote).
func (a *API) base(r *http.Request) *url.URL {
	if a.public != nil {
		return a.public
	}
	c := remote.Of(r)
	return &url.URL{Scheme: c.Scheme, Host: c.Host}
}

// davURL is where calendar and contacts apps start discovery.
func davURL(base *url.URL) string { return base.String() + davtree.Prefix }

// lookupMailbox finds the mailbox an address a client sent names, by
// its own domain or an alias domain. Aliases are not found: an alias
// has no login of its own, and the mailbox it delivers to may be
// someone else's. storage.ErrNotFound when nothing matches.
func (a *API) lookupMailbox(ctx context.Context, addr Address) (*storage.MailService, *storage.Mailbox, error) {
	if addr.Quoted {
		return nil, nil, storage.ErrNotFound
	}
	s, m, alias, err := a.store.ResolveAddress(ctx, addr.String())
	if err != nil {
		return nil, nil, err
	}
	if alias {
		return nil, nil, storage.ErrNotFound
	}
	return s, m, nil
}

// canonical is a mailbox's address as Dovecot knows it: the local part
// as created at the service's own domain.
func canonical(s *storage.MailService, m *storage.Mailbox) string {
	return m.LocalPart + "@" + s.Domain
}

func domainsOf(s *storage.MailService) []string { return append([]string{s.Domain}, s.AliasDomains...) }

// Public documents

// Autoconfig serves Mozilla autoconfig (config-v1.1.xml) to GET. With
// emailaddress, the answer is that mailbox's, its login the mailbox's
// own address (an alias domain spelling is turned into it); otherwise
// the domain's, from the Host the client asked (autoconfig.<domain> or
// the domain itself), with placeholders for the login. Unknown domains
// and addresses, aliases and domains without mail servers configured
// are 404; a malformed emailaddress is 400. Nothing the client sent is
// echoed.
func (a *API) Autoconfig(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	var s *storage.MailService
	username := ""
	values, err := queryValues(r.URL.RawQuery, "emailaddress")
	switch given := values != nil; {
	case err != nil:
		plain(w, http.StatusBadRequest, "emailaddress: not URL-encoded")
		return
	case given && len(values) != 1:
		plain(w, http.StatusBadRequest, "give one emailaddress")
		return
	case given:
		addr, err := ParseAddress(values[0])
		if err != nil {
			plain(w, http.StatusBadRequest, "emailaddress: "+strings.TrimPrefix(err.Error(), ErrAddress.Error()+": "))
			return
		}
		svc, m, err := a.lookupMailbox(ctx, addr)
		if err != nil {
			a.notFound(w, r, err)
			return
		}
		s, username = svc, canonical(svc, m)
	default:
		domain := requestDomain(remote.Of(r).Host)
		svc, err := a.store.MailServiceByDomain(ctx, domain)
		if err != nil {
			a.notFound(w, r, err)
			return
		}
		s, username = svc, PlaceholderAddress
		if domain != svc.Domain {
			username = PlaceholderLocalPart + "@" + svc.Domain
		}
	}
	imap, sub := a.opts.Config.For(s)
	if !imap.Configured() || !sub.Configured() {
		plain(w, http.StatusNotFound, "not found")
		return
	}
	doc := Autoconfig(MailAccount{Domains: domainsOf(s), Username: username, IMAP: imap, Submission: sub, DAVURL: davURL(a.base(r))})
	w.Header().Set("Content-Type", "text/xml; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Write(doc)
}

// queryValues returns the values of the query parameter name in raw,
// nil when there is none. Unlike url.ParseQuery it keeps "+" a plus:
// in an address it is sub-addressing (anna+news@), never a space, which
// no unquoted address holds, and clients that do not percent-encode it
// mean a plus.
func queryValues(raw, name string) ([]string, error) {
	var out []string
	for _, kv := range strings.Split(raw, "&") {
		k, v, _ := strings.Cut(kv, "=")
		if k, err := url.PathUnescape(k); err != nil || k != name {
			continue
		}
		v, err := url.PathUnescape(v)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

// requestDomain is the mail domain an autoconfig request without an
// address is about: its Host without the port and without the
// autoconfig. label Thunderbird adds.
func requestDomain(host string) string {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	return strings.TrimPrefix(host, "autoconfig.")
}

// notFound answers 404 for storage.ErrNotFound (or no error), and logs
// and answers 500 for anything else.
func (a *API) notFound(w http.ResponseWriter, r *http.Request, err error) {
	if err != nil && !errors.Is(err, storage.ErrNotFound) {
		a.opts.Logger.ErrorContext(r.Context(), "clientsetup: lookup failed", "err", err)
		if errors.Is(err, storage.ErrUnavailable) {
			w.Header().Set("Retry-After", strconv.Itoa(int(storage.RetryUnavailable/time.Second)))
			plain(w, http.StatusServiceUnavailable, "service unavailable")
			return
		}
		plain(w, http.StatusInternalServerError, "internal server error")
		return
	}
	plain(w, http.StatusNotFound, "not found")
}

func plain(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	w.Write([]byte(msg + "\n"))
}

// Autodiscover serves POX Autodiscover to POST: a known mailbox (by its
// own domain or an alias domain) gets its IMAP and SMTP settings with
// its own address as login. An unknown address or an alias gets error
// 500, a mailbox whose domain has no mail servers configured 501, a
// request for another schema 601, all with status 200 as Exchange
// answers them; a malformed request gets 600 with status 400 (413 when
// too large).
func (a *API) Autodiscover(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	fail := func(status, code int) {
		w.Header().Set("Content-Type", "text/xml; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(status)
		w.Write(AutodiscoverError(code, a.opts.Now(), a.base(r).Hostname()))
	}
	req, err := ParseADRequest(r.Body)
	var tooLarge *http.MaxBytesError
	switch {
	case errors.Is(err, ErrADTooLarge), errors.As(err, &tooLarge):
		fail(http.StatusRequestEntityTooLarge, ADInvalidRequest)
		return
	case err != nil:
		fail(http.StatusBadRequest, ADInvalidRequest)
		return
	case !req.OutlookSchema():
		fail(http.StatusOK, ADNoProvider)
		return
	}
	addr, err := ParseAddress(req.EMailAddress)
	if err != nil {
		fail(http.StatusBadRequest, ADInvalidRequest)
		return
	}
	s, m, err := a.lookupMailbox(ctx, addr)
	if err != nil {
		if !errors.Is(err, storage.ErrNotFound) {
			a.opts.Logger.ErrorContext(ctx, "clientsetup: lookup failed", "err", err)
			if errors.Is(err, storage.ErrUnavailable) {
				w.Header().Set("Retry-After", strconv.Itoa(int(storage.RetryUnavailable/time.Second)))
				fail(http.StatusServiceUnavailable, ADInternal)
				return
			}
			fail(http.StatusInternalServerError, ADInternal)
			return
		}
		fail(http.StatusOK, ADNotFound)
		return
	}
	imap, sub := a.opts.Config.For(s)
	if !imap.Configured() || !sub.Configured() {
		fail(http.StatusOK, ADNoSettings)
		return
	}
	w.Header().Set("Content-Type", "text/xml; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Write(Autodiscover(MailAccount{Domains: domainsOf(s), Username: canonical(s, m), IMAP: imap, Submission: sub}))
}

// Settings

// Password kinds in settings: which password a client takes.
const (
	PasswordMailbox = "mailbox"        // the mailbox's own password
	PasswordAccount = "account_or_app" // the account's password, or an app password of scope dav
)

// ServerJSON is how to reach one server.
type ServerJSON struct {
	Host     string `json:"host"`
	Port     int    `json:"port"`
	Security string `json:"security"`
	Username string `json:"username"`
	Password string `json:"password"` // PasswordMailbox or PasswordAccount: which one, never a secret
	// URL and PrincipalURL are set for CalDAV and CardDAV: what to type
	// where an app asks for a server URL, and the account's principal.
	URL          string `json:"url,omitempty"`
	PrincipalURL string `json:"principal_url,omitempty"`
}

// SettingsJSON is a mailbox's or an account's settings.
type SettingsJSON struct {
	Address string `json:"address,omitempty"` // the mailbox
	Login   string `json:"login"`             // the account whose calendars these are
	// IMAP and SMTP are nil when no server is configured for the
	// mailbox's domain; absent for an account.
	IMAP    *ServerJSON `json:"imap,omitempty"`
	SMTP    *ServerJSON `json:"smtp,omitempty"`
	CalDAV  ServerJSON  `json:"caldav"`
	CardDAV ServerJSON  `json:"carddav"`
	// MailConfigured is false when a mailbox's domain has no IMAP or no
	// submission server configured.
	MailConfigured *bool `json:"mail_configured,omitempty"`
}

func (a *API) davServer(r *http.Request, acc *storage.Account) ServerJSON {
	b := a.base(r)
	port, security := b.Port(), "none"
	if b.Scheme == "https" {
		security = SecurityTLS
	}
	p := 80
	if security == SecurityTLS {
		p = 443
	}
	if n, err := strconv.Atoi(port); err == nil {
		p = n
	}
	return ServerJSON{Host: b.Hostname(), Port: p, Security: security, Username: acc.Login, Password: PasswordAccount,
		URL: b.String() + "/", PrincipalURL: b.String() + davtree.PrincipalHref(acc.ID)}
}

func mailServer(e Endpoint, username string) *ServerJSON {
	if !e.Configured() {
		return nil
	}
	return &ServerJSON{Host: e.Host, Port: e.Port, Security: e.Security, Username: username, Password: PasswordMailbox}
}

func (a *API) settings(r *http.Request, acc *storage.Account, s *storage.MailService, m *storage.Mailbox) SettingsJSON {
	dav := a.davServer(r, acc)
	v := SettingsJSON{Login: acc.Login, CalDAV: dav, CardDAV: dav}
	if s != nil {
		v.Address = canonical(s, m)
		imap, sub := a.opts.Config.For(s)
		v.IMAP, v.SMTP = mailServer(imap, v.Address), mailServer(sub, v.Address)
		configured := v.IMAP != nil && v.SMTP != nil
		v.MailConfigured = &configured
	}
	return v
}

// visibleMailbox finds the mailbox at address when acc may see its
// settings: an account linked to it, whatever its rights, or an owner
// or manager of its organization. Anyone else, and an alias address,
// gets storage.ErrNotFound, as for every mailbox endpoint.
func (a *API) visibleMailbox(ctx context.Context, acc *storage.Account, address string) (*storage.MailService, *storage.Mailbox, error) {
	addr, err := ParseAddress(address)
	if err != nil {
		return nil, nil, storage.ErrNotFound
	}
	s, m, err := a.lookupMailbox(ctx, addr)
	if err != nil {
		return nil, nil, err
	}
	if _, err := a.store.MailboxLink(ctx, s.ID, m.LocalPart, acc.ID); err == nil {
		return s, m, nil
	} else if !errors.Is(err, storage.ErrNotFound) {
		return nil, nil, err
	}
	member, err := a.store.Member(ctx, s.Org, acc.ID)
	switch {
	case err == nil && (member.Role == storage.RoleOwner || member.Role == storage.RoleManager):
		return s, m, nil
	case err != nil && !errors.Is(err, storage.ErrNotFound):
		return nil, nil, err
	}
	return nil, nil, storage.ErrNotFound
}

func (a *API) mailboxSettings(w http.ResponseWriter, r *http.Request) error {
	acc := auth.AccountFrom(r.Context())
	s, m, err := a.visibleMailbox(r.Context(), acc, r.PathValue("address"))
	if err != nil {
		return err
	}
	api.WriteJSON(w, http.StatusOK, a.settings(r, acc, s, m))
	return nil
}

func (a *API) accountSettings(w http.ResponseWriter, r *http.Request) error {
	api.WriteJSON(w, http.StatusOK, a.settings(r, auth.AccountFrom(r.Context()), nil, nil))
	return nil
}

// Profiles

// DefaultAppPasswordName names the app password a profile embeds when
// the request names none.
const DefaultAppPasswordName = "Apple configuration profile"

func (a *API) mailboxProfile(w http.ResponseWriter, r *http.Request) error {
	acc := auth.AccountFrom(r.Context())
	s, m, err := a.visibleMailbox(r.Context(), acc, r.PathValue("address"))
	if err != nil {
		return err
	}
	return a.profile(w, r, acc, s, m)
}

func (a *API) accountProfile(w http.ResponseWriter, r *http.Request) error {
	return a.profile(w, r, auth.AccountFrom(r.Context()), nil, nil)
}

// profile answers a configuration profile: GET without a secret, POST
// with a new app password (scope dav) embedded in the CalDAV and
// CardDAV accounts. Everything is checked before the app password is
// made, so a refused request stores nothing.
func (a *API) profile(w http.ResponseWriter, r *http.Request, acc *storage.Account, s *storage.MailService, m *storage.Mailbox) error {
	ctx := r.Context()
	name := ""
	if r.Method == http.MethodPost {
		var req struct {
			AppPasswordName *string `json:"app_password_name"`
		}
		if err := api.Decode(r, &req); err != nil {
			return err
		}
		name = DefaultAppPasswordName
		if req.AppPasswordName != nil {
			name = strings.TrimSpace(*req.AppPasswordName)
			if name == "" || utf8.RuneCountInString(name) > 100 || strings.ContainsFunc(name, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
				return fault.Invalidf("app_password_name", "app_password_name says which device this is (1-100 characters)")
			}
		}
		if c := auth.CredentialFrom(ctx); c != nil && c.Method == auth.MethodAppPassword {
			return fault.New(fault.Forbidden, "app_password", "app passwords cannot make other app passwords; use the account password")
		}
	}
	base := a.base(r)
	v := a.settings(r, acc, s, m)
	root := reverseHost(base.Hostname()) + ".almanac." + acc.ID
	p := Profile{Identifier: root, Organization: base.Hostname(), DisplayName: acc.Login + ": calendars and contacts"}
	if s != nil {
		if !*v.MailConfigured {
			return fault.New(fault.Conflict, "mail_not_configured",
				"no IMAP or submission server is configured for %s: the server's operator sets them (almanac serve -imap-host, -submission-host) or the Mail Service's owner does", s.Domain)
		}
		imap, sub := a.opts.Config.For(s)
		sum := sha256.Sum256([]byte(strings.ToLower(v.Address)))
		p.Identifier = root + ".mail-" + hex.EncodeToString(sum[:8])
		p.DisplayName = v.Address + ": mail, calendars and contacts"
		p.Mail = &ProfileMail{Address: v.Address, Name: acc.DisplayName, Username: v.Address, IMAP: imap, Submission: sub}
	}
	dav := &ProfileDAV{Host: v.CalDAV.Host, Port: v.CalDAV.Port, TLS: v.CalDAV.Security == SecurityTLS,
		PrincipalURL: v.CalDAV.PrincipalURL, Username: acc.Login}
	if name != "" {
		password, id, hash := auth.NewAppPassword()
		if err := a.store.CreateAppPassword(ctx, &storage.AppPassword{ID: id, Owner: acc.ID, Name: name, Hash: hash, Scope: auth.ScopeDAV}); err != nil {
			return err
		}
		dav.Password = password
	}
	p.DAV = dav
	file := "almanac-" + acc.Login + ".mobileconfig"
	if v.Address != "" {
		file = "almanac-" + v.Address + ".mobileconfig"
	}
	w.Header().Set("Content-Type", MobileConfigType)
	w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": file}))
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Write(MobileConfig(p))
	return nil
}

// reverseHost is host in reverse-DNS order, the form payload
// identifiers take: cal.example.com is com.example.cal.
func reverseHost(host string) string {
	labels := strings.Split(strings.ToLower(strings.Trim(host, "[]")), ".")
	slices.Reverse(labels)
	return strings.Join(labels, ".")
}

// Mail Service settings

// ServiceSettingsJSON is a Mail Service's own endpoints (nil: the
// server's) and what its users are given.
type ServiceSettingsJSON struct {
	IMAP       *Endpoint    `json:"imap"`
	Submission *Endpoint    `json:"submission"`
	Effective  EffectiveSet `json:"effective"`
}

// EffectiveSet is what users are given; nil where no server is known.
type EffectiveSet struct {
	IMAP       *Endpoint `json:"imap"`
	Submission *Endpoint `json:"submission"`
}

func (a *API) serviceView(s *storage.MailService) ServiceSettingsJSON {
	own := func(e storage.MailEndpoint) *Endpoint {
		if e.Host == "" {
			return nil
		}
		return &Endpoint{Host: e.Host, Port: e.Port, Security: e.Security}
	}
	eff := func(e Endpoint) *Endpoint {
		if !e.Configured() {
			return nil
		}
		return &e
	}
	imap, sub := a.opts.Config.For(s)
	return ServiceSettingsJSON{IMAP: own(s.IMAP), Submission: own(s.Submission), Effective: EffectiveSet{IMAP: eff(imap), Submission: eff(sub)}}
}

// serviceRole returns the service and the caller's role in its
// organization; not a member sees no service.
func (a *API) serviceRole(ctx context.Context, acc *storage.Account, id string) (*storage.MailService, string, error) {
	s, err := a.store.MailService(ctx, id)
	if err != nil {
		return nil, "", err
	}
	m, err := a.store.Member(ctx, s.Org, acc.ID)
	if err != nil {
		return nil, "", err
	}
	return s, m.Role, nil
}

func (a *API) serviceSettings(w http.ResponseWriter, r *http.Request) error {
	s, role, err := a.serviceRole(r.Context(), auth.AccountFrom(r.Context()), r.PathValue("service"))
	if err != nil {
		return err
	}
	if role != storage.RoleOwner && role != storage.RoleManager {
		return fault.New(fault.Forbidden, "not_manager", "only the organization's owner or a Mail Service manager can do this")
	}
	api.WriteJSON(w, http.StatusOK, a.serviceView(s))
	return nil
}

// endpointJSON is an endpoint as a request gives it.
type endpointJSON struct {
	Host     string `json:"host"`
	Port     int    `json:"port"`
	Security string `json:"security"`
}

func (a *API) setServiceSettings(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		IMAP       *endpointJSON `json:"imap"`
		Submission *endpointJSON `json:"submission"`
	}
	if err := api.Decode(r, &req); err != nil {
		return err
	}
	ctx := r.Context()
	s, role, err := a.serviceRole(ctx, auth.AccountFrom(ctx), r.PathValue("service"))
	if err != nil {
		return err
	}
	if role != storage.RoleOwner {
		return fault.New(fault.Forbidden, "not_owner", "only the organization's owner changes a mail service")
	}
	var eps [2]storage.MailEndpoint
	for i, f := range []struct {
		name string
		e    *endpointJSON
	}{{"imap", req.IMAP}, {"submission", req.Submission}} {
		if f.e == nil {
			continue
		}
		e, ferr := CheckEndpoint(storage.MailEndpoint{Host: f.e.Host, Port: f.e.Port, Security: f.e.Security})
		if ferr != nil {
			return fault.Invalidf(f.name+"."+ferr.Field, "%s %s: %s", f.name, ferr.Field, ferr.Err)
		}
		eps[i] = e
	}
	s, err = a.store.SetMailEndpoints(ctx, s.ID, eps[0], eps[1])
	if err != nil {
		return err
	}
	api.WriteJSON(w, http.StatusOK, a.serviceView(s))
	return nil
}
