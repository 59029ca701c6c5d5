package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"almanac/auth"
	"almanac/internal/api"
	"almanac/storage"
)

// importReport is fileimport's report, as its JSON says it.
type importReport struct {
	DryRun bool   `json:"dry_run"`
	Source string `json:"source"`
	Counts struct {
		Created    int `json:"created"`
		Updated    int `json:"updated"`
		Skipped    int `json:"skipped"`
		Refused    int `json:"refused"`
		Duplicates int `json:"duplicates"`
	} `json:"counts"`
	Objects []struct {
		Line      int    `json:"line"`
		UID       string `json:"uid"`
		Component string `json:"component"`
		Action    string `json:"action"`
		Reason    string `json:"reason"`
	} `json:"objects"`
}

// importShown caps the objects a report lists on the page; the counts
// cover them all.
const importShown = 1000

// pendingTTL is how long an uploaded file waits for its import to be
// confirmed after the preview.
const pendingTTL = 15 * time.Minute

// pendingFiles keep each session's last previewed upload until it is
// confirmed, so that what is imported is the file previewed without
// choosing it again. One file a session, for pendingTTL; all together
// at most maxBytes, the oldest dropped first.
type pendingFiles struct {
	mu       sync.Mutex
	maxBytes int64
	bytes    int64
	files    map[string]*pendingFile // by session ID
}

type pendingFile struct {
	token   string
	path    string // the import's API path
	data    []byte
	expires time.Time
}

func (pf *pendingFiles) put(session, path string, data []byte, now time.Time) string {
	token, _ := auth.NewToken()
	pf.mu.Lock()
	defer pf.mu.Unlock()
	pf.dropLocked(session)
	for id, f := range pf.files {
		if now.After(f.expires) {
			pf.dropLocked(id)
		}
	}
	for pf.bytes+int64(len(data)) > pf.maxBytes && len(pf.files) > 0 {
		oldest := ""
		for id, f := range pf.files {
			if oldest == "" || f.expires.Before(pf.files[oldest].expires) {
				oldest = id
			}
		}
		pf.dropLocked(oldest)
	}
	pf.files[session] = &pendingFile{token: token, path: path, data: data, expires: now.Add(pendingTTL)}
	pf.bytes += int64(len(data))
	return token
}

func (pf *pendingFiles) dropLocked(session string) {
	if f, ok := pf.files[session]; ok {
		pf.bytes -= int64(len(f.data))
		delete(pf.files, session)
	}
}

// take returns the session's file when token and path are the
// preview's, and forgets it.
func (pf *pendingFiles) take(session, token, path string, now time.Time) ([]byte, bool) {
	pf.mu.Lock()
	defer pf.mu.Unlock()
	f, ok := pf.files[session]
	if !ok || f.token != token || f.path != path || now.After(f.expires) {
		return nil, false
	}
	pf.dropLocked(session)
	return f.data, true
}

var errPreviewGone = &api.Error{Status: http.StatusConflict, Code: "preview_gone", Field: "file",
	Message: "the previewed file is no longer held (after 15 minutes, or another preview); choose it again"}

type importData struct {
	Collection storage.Collection
	Page       string // the collection's page
	Action     string // this page
	Accept     string
	Report     *importReport
	Shown      int
	// Token or URL names the previewed file in the confirmation form.
	Token, URL string
}

// importTarget is the caller's collection the path names and the API
// path of its import; another account's is missing.
func (h *Handler) importTarget(r *http.Request, p *page) (*storage.Collection, string, string, error) {
	c, err := h.opts.Store.Collection(r.Context(), p.Account.ID, r.PathValue("name"))
	if errors.Is(err, storage.ErrNotFound) {
		return nil, "", "", errNotFound
	}
	if err != nil {
		return nil, "", "", err
	}
	if c.Kind == storage.KindAddressBook {
		return c, "/api/v1/addressbooks/" + url.PathEscape(c.Name) + "/import", "text/vcard", nil
	}
	return c, "/api/v1/calendars/" + url.PathEscape(c.Name) + "/import", "text/calendar", nil
}

func (h *Handler) importView(w http.ResponseWriter, r *http.Request, p *page) error {
	c, _, _, err := h.importTarget(r, p)
	if err != nil {
		return err
	}
	return h.renderImport(w, p, c, importData{})
}

func (h *Handler) renderImport(w http.ResponseWriter, p *page, c *storage.Collection, d importData) error {
	d.Collection, d.Page = *c, "/calendars/"+url.PathEscape(c.Name)
	d.Action, d.Accept = d.Page+"/import", ".ics,text/calendar"
	if c.Kind == storage.KindAddressBook {
		d.Accept = ".vcf,.vcard,text/vcard"
	}
	if d.Report != nil {
		d.Shown = min(len(d.Report.Objects), importShown)
	}
	name := propText(c, propName)
	if name == "" {
		name = c.Name
	}
	p.Title, p.Nav, p.Data = p.T("import.title", name), "calendars", d
	return h.render(w, p, "import")
}

// runImport sends the file (or its URL) to the API. A file with refused
// objects answers 422 with the report of what skipping them would do:
// both come back.
func (h *Handler) runImport(r *http.Request, p *page, path, ct string, data []byte, link string, dryRun, skip bool) (*importReport, error) {
	q := url.Values{}
	if dryRun {
		q.Set("dry_run", "true")
	}
	if skip {
		q.Set("skip_refused", "true")
	}
	if len(q) > 0 {
		path += "?" + q.Encode()
	}
	body := io.Reader(bytes.NewReader(data))
	if data == nil {
		js, _ := json.Marshal(map[string]string{"url": link})
		body, ct = bytes.NewReader(js), "application/json"
	}
	rep, err := h.send(nil, r, p, http.MethodPost, path, ct, body)
	if err != nil {
		return nil, err
	}
	var out struct {
		importReport
		Report *importReport `json:"report"`
	}
	if err := json.Unmarshal(rep.body.Bytes(), &out); err != nil && rep.status < 400 {
		return nil, fmt.Errorf("web: decode %s: %w", path, err)
	}
	switch {
	case rep.status < 400:
		return &out.importReport, nil
	case out.Report != nil:
		return out.Report, rep.apiError(http.MethodPost, path)
	}
	return nil, rep.apiError(http.MethodPost, path)
}

// previewImport runs the import dry: nothing is written, and the page
// lists what would be, with a confirmation.
func (h *Handler) previewImport(w http.ResponseWriter, r *http.Request, p *page) (string, error) {
	c, path, ct, err := h.importTarget(r, p)
	if err != nil {
		return "", err
	}
	link := strings.TrimSpace(r.PostForm.Get("url"))
	var data []byte
	if f, hdr, err := r.FormFile("file"); err == nil && hdr.Size > 0 {
		data, err = io.ReadAll(f)
		f.Close()
		if err != nil {
			return "", fmt.Errorf("web: read the upload: %w", err)
		}
	} else if link == "" {
		return "", &api.Error{Status: http.StatusBadRequest, Code: "required", Field: "file", Message: "choose a file, or give its address"}
	}
	rep, err := h.runImport(r, p, path, ct, data, link, true, false)
	if rep == nil {
		if ae := asAPIError(err); ae != nil && ae.Field == "url" {
			return "", err
		}
		if ae := asAPIError(err); ae != nil && ae.Field == "" && data != nil {
			// About the file as a whole (its type, size or syntax).
			fe := *ae
			fe.Field = "file"
			return "", &fe
		}
		return "", err
	}
	d := importData{Report: rep, URL: link}
	if data != nil {
		if d.Token, err = h.pending.put(r.Context(), p.session.ID, path, data, h.now()); err != nil {
			return "", err
		}
		d.URL = ""
	}
	return "", h.renderImport(w, p, c, d)
}

// confirmImport imports the previewed file: the upload held since the
// preview, or the URL fetched again.
func (h *Handler) confirmImport(w http.ResponseWriter, r *http.Request, p *page) (string, error) {
	c, path, ct, err := h.importTarget(r, p)
	if err != nil {
		return "", err
	}
	f := r.PostForm
	link := strings.TrimSpace(f.Get("url"))
	var data []byte
	if tok := f.Get("token"); tok != "" {
		var ok bool
		if data, ok, err = h.pending.take(r.Context(), p.session.ID, tok, path, h.now()); err != nil {
			return "", err
		} else if !ok {
			return "", errPreviewGone
		}
	} else if link == "" {
		return "", errPreviewGone
	}
	rep, err := h.runImport(r, p, path, ct, data, link, false, f.Get("skip_refused") != "")
	if err != nil {
		if rep != nil && data != nil {
			// Refused objects, nothing written: the preview again, the
			// file still held.
			rep.DryRun = true
			tok, perr := h.pending.put(r.Context(), p.session.ID, path, data, h.now())
			if perr != nil {
				return "", perr
			}
			d := importData{Report: rep, Token: tok}
			p.fail(api.Classify(err))
			return "", h.renderImport(w, p, c, d)
		}
		return "", err
	}
	p.Flash = p.T("import.done", rep.Counts.Created, rep.Counts.Updated, rep.Counts.Skipped)
	return "", h.renderImport(w, p, c, importData{Report: rep})
}
