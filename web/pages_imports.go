package web

import (
	"cmp"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"almanac/internal/api"
)

type importTotals struct {
	Found   int   `json:"found"`
	Copied  int   `json:"copied"`
	Skipped int   `json:"skipped"`
	Failed  int   `json:"failed"`
	Bytes   int64 `json:"bytes"`
}

// Done is how many of the messages found are accounted for.
func (t importTotals) Done() int { return t.Copied + t.Skipped + t.Failed }

// importJob is mailimport's job as its JSON says it.
type importJob struct {
	ID              string       `json:"id"`
	Destination     string       `json:"destination"`
	State           string       `json:"state"`
	CancelRequested bool         `json:"cancel_requested"`
	Created         time.Time    `json:"created"`
	Updated         time.Time    `json:"updated"`
	Finished        *time.Time   `json:"finished"`
	Totals          importTotals `json:"totals"`
	Sources         []struct {
		Address string       `json:"address"`
		Host    string       `json:"imap_host"`
		Port    int          `json:"imap_port"`
		State   string       `json:"state"`
		Error   string       `json:"error"`
		RetryAt *time.Time   `json:"retry_at"`
		Totals  importTotals `json:"totals"`
		Folders []struct {
			Name        string   `json:"name"`
			Destination string   `json:"destination"`
			Found       int      `json:"found"`
			Copied      int      `json:"copied"`
			Skipped     int      `json:"skipped"`
			Failed      int      `json:"failed"`
			Done        bool     `json:"done"`
			Errors      []string `json:"errors"`
		} `json:"folders"`
	} `json:"sources"`
}

// Ended tells whether the job will not change any more.
func (j importJob) Ended() bool {
	switch j.State {
	case "done", "partial", "failed", "cancelled":
		return true
	}
	return false
}

// importRefresh is how often, in seconds, app.js fetches a running
// import's page again to update its progress in place.
const importRefresh = 5

type importsData struct {
	Scope   importsScope
	Address string
	Page    string
	Jobs    []importJob
	// Live: the seconds between updates while an import runs, else 0.
	Live int
}

func mailImportsPage(r *http.Request) string {
	if svc := r.PathValue("service"); svc != "" {
		return "/manage/services/" + url.PathEscape(svc) + "/imports"
	}
	return "/mail/" + url.PathEscape(r.PathValue("address")) + "/imports"
}

// importsScope is what an imports page covers: the imports into the
// caller's linked mailbox the path names, or on a manager's path those
// the caller started into the service's mailboxes. Another account's
// mailbox or service answers like a missing one.
type importsScope struct {
	Address string // the mailbox, "" on a service's page
	Domain  string // the service's domain, "" on a mailbox's page
	Service string
}

func (sc importsScope) covers(j importJob) bool {
	if sc.Address != "" {
		return strings.EqualFold(j.Destination, sc.Address)
	}
	_, domain, _ := strings.Cut(j.Destination, "@")
	return strings.EqualFold(domain, sc.Domain)
}

func (h *Handler) importsScopeOf(r *http.Request, p *page) (importsScope, error) {
	if svc := r.PathValue("service"); svc != "" {
		// The API lists a service's mailboxes to its managers only.
		var ms struct {
			Mailboxes []mailboxJSON `json:"mailboxes"`
		}
		if err := h.call(nil, r, p, http.MethodGet, h.servicePath(r)+"/mailboxes", nil, &ms); err != nil {
			return importsScope{}, err
		}
		sc := importsScope{Service: svc}
		for _, m := range ms.Mailboxes {
			_, sc.Domain, _ = strings.Cut(m.Address, "@")
		}
		return sc, nil
	}
	m, err := h.mailbox(r, p)
	if err != nil {
		return importsScope{}, err
	}
	return importsScope{Address: m.Address}, nil
}

// importsView lists the imports into a mailbox of the caller's and
// offers a new one; the list updates itself while one runs.
func (h *Handler) importsView(w http.ResponseWriter, r *http.Request, p *page) error {
	sc, err := h.importsScopeOf(r, p)
	if err != nil {
		return err
	}
	var out struct {
		Imports []importJob `json:"imports"`
	}
	if err := h.call(nil, r, p, http.MethodGet, "/api/v1/imports", nil, &out); err != nil {
		return err
	}
	d := importsData{Scope: sc, Address: sc.Address, Page: mailImportsPage(r)}
	for _, j := range out.Imports {
		if sc.covers(j) {
			d.Jobs = append(d.Jobs, j)
			if !j.Ended() {
				d.Live = importRefresh
			}
		}
	}
	if len(p.Form) == 0 {
		p.Form.Set("sources[0].imap_security", "tls")
	}
	p.Title, p.Nav, p.Data = p.T("imports.title", sc.Address), "mail", d
	if sc.Address == "" {
		p.Title, p.Nav = p.T("imports.service_title", cmp.Or(sc.Domain, sc.Service)), "manage"
	}
	return h.render(w, p, "imports")
}

// startImport starts a copy of another provider's mailbox into this
// one. The API tries the source's login first, so a wrong password is
// shown next to its field.
func (h *Handler) startImport(w http.ResponseWriter, r *http.Request, p *page) (string, error) {
	m, err := h.mailbox(r, p)
	if err != nil {
		return "", err
	}
	f := r.PostForm
	src := map[string]any{"address": strings.TrimSpace(f.Get("sources[0].address")), "password": f.Get("sources[0].password")}
	if host := strings.TrimSpace(f.Get("sources[0].imap_host")); host != "" {
		src["imap_host"] = host
		src["imap_security"] = f.Get("sources[0].imap_security")
		if ps := strings.TrimSpace(f.Get("sources[0].imap_port")); ps != "" {
			port, err := strconv.Atoi(ps)
			if err != nil {
				return "", &api.Error{Status: http.StatusBadRequest, Code: "invalid", Field: "sources[0].imap_port", Message: "a port is a number from 1 to 65535"}
			}
			src["imap_port"] = port
		}
	}
	var j importJob
	if err := h.call(nil, r, p, http.MethodPost, "/api/v1/imports", map[string]any{"destination": m.Address, "sources": []any{src}}, &j); err != nil {
		return "", err
	}
	return mailImportsPage(r) + "/" + url.PathEscape(j.ID) + "?done=import_started", nil
}

// importJobOf is the caller's import the path names, into the path's
// mailbox or service; any other is missing.
func (h *Handler) importJobOf(r *http.Request, p *page) (importsScope, importJob, error) {
	sc, err := h.importsScopeOf(r, p)
	if err != nil {
		return sc, importJob{}, err
	}
	var j importJob
	if err := h.call(nil, r, p, http.MethodGet, "/api/v1/imports/"+url.PathEscape(r.PathValue("id")), nil, &j); err != nil {
		return sc, j, err
	}
	if !sc.covers(j) {
		return sc, j, errNotFound
	}
	return sc, j, nil
}

// importJobView shows an import's progress per source and folder,
// updated in place until the import ends.
func (h *Handler) importJobView(w http.ResponseWriter, r *http.Request, p *page) error {
	_, j, err := h.importJobOf(r, p)
	if err != nil {
		return err
	}
	live := 0
	if !j.Ended() {
		live = importRefresh
	}
	p.Title, p.Nav = p.T("import_job.title", j.Destination), "mail"
	if r.PathValue("service") != "" {
		p.Nav = "manage"
	}
	p.Data = struct {
		J    importJob
		Page string
		Live int
	}{j, mailImportsPage(r), live}
	return h.render(w, p, "import_job")
}

func (h *Handler) cancelImportView(w http.ResponseWriter, r *http.Request, p *page) error {
	_, j, err := h.importJobOf(r, p)
	if err != nil {
		return err
	}
	page := mailImportsPage(r) + "/" + url.PathEscape(j.ID)
	p.Title, p.Nav = p.T("import_job.cancel.title"), "mail"
	p.Data = confirmData{Question: p.T("import_job.cancel.question"), Consequence: p.T("import_job.cancel.consequence", j.Totals.Copied),
		Action: page + "/cancel", Button: p.T("import_job.cancel.button"), Back: page}
	return h.render(w, p, "confirm")
}

func (h *Handler) cancelImport(w http.ResponseWriter, r *http.Request, p *page) (string, error) {
	_, j, err := h.importJobOf(r, p)
	if err != nil {
		return "", err
	}
	if err := h.call(nil, r, p, http.MethodPost, "/api/v1/imports/"+url.PathEscape(j.ID)+"/cancel", nil, nil); err != nil {
		return "", err
	}
	return mailImportsPage(r) + "/" + url.PathEscape(j.ID) + "?done=import_cancelled", nil
}

// startBatch sends a manager's CSV of imports (mailimport's template)
// to the API, which checks every row and every source login before any
// import starts.
func (h *Handler) startBatch(w http.ResponseWriter, r *http.Request, p *page) (string, error) {
	if _, err := h.importsScopeOf(r, p); err != nil {
		return "", err
	}
	f, hdr, err := r.FormFile("file")
	if err != nil || hdr.Size == 0 {
		return "", &api.Error{Status: http.StatusBadRequest, Code: "required", Field: "file", Message: "choose the CSV file"}
	}
	defer f.Close()
	rep, err := h.send(nil, r, p, http.MethodPost, "/api/v1/imports", "text/csv", f)
	if err != nil {
		return "", err
	}
	if rep.status >= 400 {
		err := rep.apiError(http.MethodPost, "/api/v1/imports")
		if ae := asAPIError(err); ae != nil && ae.Status < 500 && ae.Status != http.StatusTooManyRequests {
			// About the file: its rows and columns are named in the text.
			fe := *ae
			fe.Field = "file"
			return "", &fe
		}
		return "", err
	}
	return mailImportsPage(r) + "?done=imports_started", nil
}

// importTemplate passes the API's CSV template on as a download.
func (h *Handler) importTemplate(w http.ResponseWriter, r *http.Request, p *page) error {
	if _, err := h.importsScopeOf(r, p); err != nil {
		return err
	}
	rep, err := h.send(nil, r, p, http.MethodGet, "/api/v1/imports/template.csv", "", nil)
	if err != nil {
		return err
	}
	if rep.status >= 400 {
		return rep.apiError(http.MethodGet, "/api/v1/imports/template.csv")
	}
	for _, k := range []string{"Content-Type", "Content-Disposition"} {
		w.Header().Set(k, rep.header.Get(k))
	}
	w.Write(rep.body.Bytes())
	return nil
}
