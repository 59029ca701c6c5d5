package mailimport

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
	"sync"
	"time"

	"almanac/auth"
	"almanac/internal/api"
	"almanac/internal/fault"
	"almanac/storage"
)

// Paths of the API.
const (
	ImportsPath  = "/api/v1/imports"
	TemplatePath = ImportsPath + "/template.csv"
	GuessPath    = ImportsPath + "/guess"
)

// MaxSources is how many mailboxes one single import copies, as the
// guide's tool allows.
const MaxSources = 2

// maxUnfinished bounds the imports one account has waiting or running.
const maxUnfinished = 50

// loginChecks bounds the source logins one CSV checks at once.
const loginChecks = 5

// Source logins that fail are counted per account: a server that tries
// any password it is given at any provider would be a password-guessing
// proxy.
const (
	loginFailLimit  = 10
	loginFailWindow = 15 * time.Minute
)

// Routes registers the import endpoints.
func (s *Service) Routes(rt *api.Router) {
	rt.Handle("GET "+ImportsPath, s.list)
	rt.Handle("POST "+ImportsPath, s.create)
	rt.Handle("GET "+TemplatePath, s.template)
	rt.Handle("GET "+GuessPath, s.guess)
	rt.Handle("GET "+ImportsPath+"/{id}", s.get)
	rt.Handle("POST "+ImportsPath+"/{id}/cancel", s.cancelJob)
}

// The JSON views.

type folderJSON struct {
	Name        string   `json:"name"`
	Destination string   `json:"destination"`
	SpecialUse  string   `json:"special_use,omitempty"`
	Found       int      `json:"found"`
	Copied      int      `json:"copied"`
	Skipped     int      `json:"skipped"`
	Failed      int      `json:"failed"`
	Bytes       int64    `json:"bytes"`
	Done        bool     `json:"done"`
	Errors      []string `json:"errors"`
}

type totalsJSON struct {
	Found   int   `json:"found"`
	Copied  int   `json:"copied"`
	Skipped int   `json:"skipped"`
	Failed  int   `json:"failed"`
	Bytes   int64 `json:"bytes"`
}

type sourceJSON struct {
	Address  string       `json:"address"`
	Host     string       `json:"imap_host"`
	Port     int          `json:"imap_port"`
	Security string       `json:"imap_security"`
	State    string       `json:"state"`
	Error    string       `json:"error,omitempty"`
	Attempts int          `json:"attempts"`
	RetryAt  *time.Time   `json:"retry_at,omitempty"`
	Totals   totalsJSON   `json:"totals"`
	Folders  []folderJSON `json:"folders"`
}

type jobJSON struct {
	ID              string       `json:"id"`
	Batch           string       `json:"batch,omitempty"`
	Destination     string       `json:"destination"`
	State           string       `json:"state"`
	CancelRequested bool         `json:"cancel_requested"`
	Created         time.Time    `json:"created"`
	Updated         time.Time    `json:"updated"`
	Finished        *time.Time   `json:"finished,omitempty"`
	Confirmed       bool         `json:"confirmation_sent"`
	Totals          totalsJSON   `json:"totals"`
	Sources         []sourceJSON `json:"sources"`
}

func jobView(j *storage.ImportJob) jobJSON {
	v := jobJSON{ID: j.ID, Batch: j.Batch, Destination: j.Destination, State: j.State, CancelRequested: j.Cancel,
		Created: j.Created, Updated: j.Updated, Confirmed: j.Notified, Sources: []sourceJSON{}}
	if !j.Finished.IsZero() {
		v.Finished = &j.Finished
	}
	for _, s := range j.Sources {
		sv := sourceJSON{Address: s.Address, Host: s.Host, Port: s.Port, Security: s.Security, State: s.State,
			Error: s.Error, Attempts: s.Attempts, Folders: []folderJSON{}}
		if !s.RetryAt.IsZero() && !storage.ImportEnded(s.State) {
			at := s.RetryAt
			sv.RetryAt = &at
		}
		t := sourceTotals(s)
		sv.Totals = totalsJSON(t)
		v.Totals.Found += t.Found
		v.Totals.Copied += t.Copied
		v.Totals.Skipped += t.Skipped
		v.Totals.Failed += t.Failed
		v.Totals.Bytes += t.Bytes
		for _, f := range s.Folders {
			errs := f.Errors
			if errs == nil {
				errs = []string{}
			}
			sv.Folders = append(sv.Folders, folderJSON{Name: f.Name, Destination: f.Destination, SpecialUse: f.SpecialUse,
				Found: f.Found, Copied: f.Copied, Skipped: f.Skipped, Failed: f.Failed, Bytes: f.Bytes, Done: f.Done, Errors: errs})
		}
		v.Sources = append(v.Sources, sv)
	}
	return v
}

func (s *Service) list(w http.ResponseWriter, r *http.Request) error {
	acc := auth.AccountFrom(r.Context())
	jobs, err := s.store.ImportJobsOf(r.Context(), acc.ID)
	if err != nil {
		return err
	}
	out := []jobJSON{}
	for i := range jobs {
		out = append(out, jobView(&jobs[i]))
	}
	api.WriteJSON(w, http.StatusOK, map[string]any{"imports": out})
	return nil
}

// job returns the caller's job id; another account's is not found.
func (s *Service) job(r *http.Request) (*storage.ImportJob, error) {
	acc := auth.AccountFrom(r.Context())
	j, err := s.store.ImportJob(r.Context(), r.PathValue("id"))
	if err != nil {
		return nil, err
	}
	if j.Owner != acc.ID {
		return nil, storage.ErrNotFound
	}
	return j, nil
}

func (s *Service) get(w http.ResponseWriter, r *http.Request) error {
	j, err := s.job(r)
	if err != nil {
		return err
	}
	api.WriteJSON(w, http.StatusOK, jobView(j))
	return nil
}

// cancelJob stops an import: 202 while a running copy stops, with what
// it copied kept; 409 for one that has ended.
func (s *Service) cancelJob(w http.ResponseWriter, r *http.Request) error {
	if _, err := s.job(r); err != nil {
		return err
	}
	j, err := s.cancel(r.Context(), r.PathValue("id"))
	if errors.Is(err, errEnded) {
		return fault.New(fault.Conflict, "import_ended", "this import has ended already")
	}
	if err != nil {
		return err
	}
	api.WriteJSON(w, http.StatusAccepted, jobView(j))
	return nil
}

func (s *Service) template(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="imports.csv"`)
	io.WriteString(w, Template)
	return nil
}

// guess shows where the mailbox of an address would be read from.
func (s *Service) guess(w http.ResponseWriter, r *http.Request) error {
	address, err := checkAddress(r.URL.Query().Get("address"))
	if err != nil {
		return fault.Invalidf("address", "the address %v", err)
	}
	ep, known := Guess(address)
	api.WriteJSON(w, http.StatusOK, map[string]any{"address": address, "imap_host": ep.Host, "imap_port": ep.Port,
		"imap_security": ep.Security, "known_provider": known})
	return nil
}

// sourceRequest is one source of a single import.
type sourceRequest struct {
	Address  string `json:"address"`
	Password string `json:"password"`
	Host     string `json:"imap_host"`
	Port     int    `json:"imap_port"`
	Security string `json:"imap_security"`
}

// create starts a single import (JSON) or a batch (text/csv).
func (s *Service) create(w http.ResponseWriter, r *http.Request) error {
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt == "text/csv" {
		return s.createBatch(w, r)
	}
	acc := auth.AccountFrom(r.Context())
	var req struct {
		Sources     []sourceRequest `json:"sources"`
		Destination string          `json:"destination"`
	}
	if err := api.Decode(r, &req); err != nil {
		return err
	}
	if len(req.Sources) == 0 || len(req.Sources) > MaxSources {
		return fault.Invalidf("sources", "give one or two mailboxes to import")
	}
	dest, err := checkAddress(req.Destination)
	if err != nil {
		return fault.Invalidf("destination", "the destination %v", err)
	}
	var sources []storage.ImportSource
	var passwords []string
	seen := map[string]bool{}
	for i, sr := range req.Sources {
		field := fmt.Sprintf("sources[%d].", i)
		address, err := checkAddress(sr.Address)
		if err != nil {
			return fault.Invalidf(field+"address", "the source address %v", err)
		}
		if sr.Password == "" {
			return fault.Invalidf(field+"password", "the password of %s is required", address)
		}
		if strings.EqualFold(address, dest) {
			return fault.Invalidf(field+"address", "%s is the destination itself", address)
		}
		ep, _, ferr := resolveEndpoint(address, sr.Host, sr.Port, sr.Security)
		if ferr != nil {
			return fault.Invalidf(field+ferr.field, "%s", ferr.msg)
		}
		key := strings.ToLower(address) + " " + ep.String()
		if seen[key] {
			return fault.Invalidf(field+"address", "%s is given twice", address)
		}
		seen[key] = true
		sources = append(sources, storage.ImportSource{Address: address, Host: ep.Host, Port: ep.Port, Security: ep.Security})
		passwords = append(passwords, sr.Password)
	}
	ctx := r.Context()
	svc, box, err := s.destination(ctx, dest)
	if err != nil {
		return fault.Invalidf("destination", "%s is not a mailbox of this server", dest)
	}
	if _, err := s.store.MailboxLink(ctx, svc.ID, box.LocalPart, acc.ID); errors.Is(err, storage.ErrNotFound) {
		return &fault.Error{Kind: fault.Forbidden, Code: "destination_not_linked", Field: "destination",
			Message: dest + " is not linked to your account; link it first (POST /api/v1/mailboxes/link)"}
	} else if err != nil {
		return err
	}
	if err := s.admit(ctx, acc, 1); err != nil {
		return err
	}
	for i := range sources {
		if err := s.checkLogin(ctx, acc, sources[i], passwords[i]); err != nil {
			field := fmt.Sprintf("sources[%d].", i)
			return err.on(field)
		}
	}
	j := &storage.ImportJob{Owner: acc.ID, Service: svc.ID, LocalPart: box.LocalPart,
		Destination: box.LocalPart + "@" + svc.Domain, Sources: sources}
	if err := s.start(ctx, j, passwords); err != nil {
		return err
	}
	w.Header().Set("Location", ImportsPath+"/"+j.ID)
	api.WriteJSON(w, http.StatusAccepted, jobView(j))
	return nil
}

// destination resolves an address of this server to its mailbox (an
// alias to the mailbox it delivers to).
func (s *Service) destination(ctx context.Context, address string) (*storage.MailService, *storage.Mailbox, error) {
	svc, box, _, err := s.store.ResolveAddress(ctx, address)
	return svc, box, err
}

// admit refuses new imports when they cannot run here, or when the
// account has too many unfinished.
func (s *Service) admit(ctx context.Context, acc *storage.Account, n int) error {
	if !s.Enabled() {
		return fault.New(fault.Conflict, "imports_disabled", "this server is not set up to import mail (no destination IMAP server)")
	}
	jobs, err := s.store.ImportJobsOf(ctx, acc.ID)
	if err != nil {
		return err
	}
	running := 0
	for _, j := range jobs {
		if !storage.ImportEnded(j.State) {
			running++
		}
	}
	if running+n > maxUnfinished {
		return fault.New(fault.Limit, "too_many_imports", "you have %d imports waiting or running, at most %d; wait for some to finish", running, maxUnfinished)
	}
	return nil
}

// loginError is a source login that failed, as the API reports it.
type loginError struct {
	code, field, msg string
	kind             fault.Kind
	retry            time.Duration
	err              error // nothing was checked: the server failed
}

func (e *loginError) on(prefix string) error {
	if e.err != nil {
		return e.err
	}
	return &fault.Error{Kind: e.kind, Code: e.code, Field: prefix + e.field, Message: e.msg, RetryAfter: e.retry}
}

// checkLogin logs in to a source, within the connect timeout, and logs
// out: the user learns of a wrong password now, not from a failed job.
func (s *Service) checkLogin(ctx context.Context, acc *storage.Account, src storage.ImportSource, password string) *loginError {
	wait, err := s.logins.RetryAfter(ctx, acc.ID, time.Now())
	if err != nil {
		return &loginError{err: fmt.Errorf("mailimport: check source login: %w", err)}
	}
	if wait > 0 {
		return &loginError{kind: fault.Throttled, code: "too_many_attempts", field: "password", retry: wait,
			msg: "too many failed logins to other mail servers; try again later"}
	}
	ep := Endpoint{Host: src.Host, Port: src.Port, Security: src.Security}
	sess, err := s.dial.login(ctx, ep, src.Address, password)
	if err == nil {
		sess.run(ctx, "logout", func() error { return sess.c.Logout().Wait() })
		sess.Close()
		return nil
	}
	var ce *connError
	if !errors.As(err, &ce) {
		s.log.ErrorContext(ctx, "mailimport: check source login", "err", err)
		return &loginError{kind: fault.Invalid, code: "source_unreachable", field: "imap_host",
			msg: fmt.Sprintf("%s could not be checked", ep)}
	}
	if err := s.logins.Fail(ctx, acc.ID, time.Now()); err != nil {
		s.log.ErrorContext(ctx, "mailimport: count a failed source login", "err", err)
	}
	le := &loginError{kind: fault.Invalid, msg: ce.words()}
	switch ce.kind {
	case failAuth:
		le.code, le.field = "source_login_failed", "password"
	case failPrivate:
		le.code, le.field = "source_private_address", "imap_host"
	case failTLS, failProtocol:
		le.code, le.field = "source_unusable", "imap_security"
	default:
		le.code, le.field = "source_unreachable", "imap_host"
	}
	return le
}

// start stores a new job, its passwords sealed to it, and hands it to
// the workers.
func (s *Service) start(ctx context.Context, j *storage.ImportJob, passwords []string) error {
	j.ID = newID()
	j.State = storage.ImportQueued
	for i := range j.Sources {
		j.Sources[i].State = storage.ImportQueued
		j.Sources[i].Secret = s.seal.seal(j.ID, i, passwords[i])
	}
	if err := s.store.CreateImportJob(ctx, j); err != nil {
		return err
	}
	s.log.InfoContext(ctx, "mailimport: import started", "job", j.ID, "destination", j.Destination, "sources", len(j.Sources))
	s.submit(ctx, j.ID)
	return nil
}

// createBatch starts the imports of a CSV: every row is checked, its
// source login too, before any starts; a problem anywhere starts none.
func (s *Service) createBatch(w http.ResponseWriter, r *http.Request) error {
	acc := auth.AccountFrom(r.Context())
	ctx := r.Context()
	data, err := io.ReadAll(io.LimitReader(r.Body, api.MaxBody+1))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return fault.New(fault.Invalid, "too_large", "the CSV is larger than %d bytes", tooLarge.Limit)
		}
		return fault.New(fault.Invalid, "invalid_body", "cannot read the CSV")
	}
	if len(data) > api.MaxBody {
		return fault.New(fault.Invalid, "too_large", "the CSV is larger than %d bytes", api.MaxBody)
	}
	rows, err := parseCSV(data)
	var bad *csvError
	if errors.As(err, &bad) {
		return csvFault(bad)
	}
	if err != nil {
		return err
	}
	bad = &csvError{}
	type target struct {
		svc *storage.MailService
		box *storage.Mailbox
	}
	targets := make([]target, len(rows))
	for i, row := range rows {
		svc, box, err := s.destination(ctx, row.destination)
		switch {
		case errors.Is(err, storage.ErrNotFound):
			bad.add(row.line, colDestination, "%s is not a mailbox of this server", row.destination)
			continue
		case err != nil:
			return err
		}
		if err := s.manages(ctx, acc, svc); err != nil {
			if !errors.Is(err, errNotManager) {
				return err
			}
			bad.add(row.line, colDestination, "%s is not a mailbox of a Mail Service you manage", row.destination)
			continue
		}
		if strings.EqualFold(row.address, box.LocalPart+"@"+svc.Domain) || strings.EqualFold(row.address, row.destination) {
			bad.add(row.line, colAddress, "%s is the destination itself", row.address)
			continue
		}
		targets[i] = target{svc, box}
	}
	if len(bad.problems) > 0 {
		return csvFault(bad)
	}
	if err := s.admit(ctx, acc, len(rows)); err != nil {
		return err
	}
	// Every login, a few at a time.
	fails := make([]*loginError, len(rows))
	var wg sync.WaitGroup
	sem := make(chan struct{}, loginChecks)
	for i, row := range rows {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			src := storage.ImportSource{Address: row.address, Host: row.endpoint.Host, Port: row.endpoint.Port, Security: row.endpoint.Security}
			fails[i] = s.checkLogin(ctx, acc, src, row.password)
		})
	}
	wg.Wait()
	for i, le := range fails {
		if le == nil {
			continue
		}
		if le.kind == fault.Throttled || le.err != nil {
			return le.on("")
		}
		column := colHost
		switch le.field {
		case "password":
			column = colPassword
		case "imap_security":
			column = colSecurity
		}
		bad.add(rows[i].line, column, "%s", le.msg)
	}
	if len(bad.problems) > 0 {
		return csvFault(bad)
	}
	batch := newID()
	out := []jobJSON{}
	for i, row := range rows {
		src := storage.ImportSource{Address: row.address, Host: row.endpoint.Host, Port: row.endpoint.Port, Security: row.endpoint.Security}
		j := &storage.ImportJob{Owner: acc.ID, Batch: batch, Service: targets[i].svc.ID, LocalPart: targets[i].box.LocalPart,
			Destination: targets[i].box.LocalPart + "@" + targets[i].svc.Domain, Sources: []storage.ImportSource{src}}
		if err := s.start(ctx, j, []string{row.password}); err != nil {
			return err
		}
		out = append(out, jobView(j))
	}
	api.WriteJSON(w, http.StatusAccepted, map[string]any{"batch": batch, "imports": out})
	return nil
}

// csvFault is a CSV's problems as one API error: each names its line
// and column.
func csvFault(e *csvError) error {
	field := ""
	if len(e.problems) > 0 {
		field = e.problems[0].Column
	}
	return &fault.Error{Kind: fault.Invalid, Code: "invalid_csv", Field: field, Message: e.Error()}
}

var errNotManager = errors.New("mailimport: not a manager of the service")

// manages reports whether acc is owner or manager of svc's
// organization, errNotManager when not.
func (s *Service) manages(ctx context.Context, acc *storage.Account, svc *storage.MailService) error {
	m, err := s.store.Member(ctx, svc.Org, acc.ID)
	if errors.Is(err, storage.ErrNotFound) {
		return errNotManager
	}
	if err != nil {
		return err
	}
	if m.Role != storage.RoleOwner && m.Role != storage.RoleManager {
		return errNotManager
	}
	return nil
}
