package web

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"

	"almanac/auth"
	"almanac/internal/api"
)

// reply is what an in-process request answered.
type reply struct {
	status int
	header http.Header
	body   bytes.Buffer
}

func (r *reply) Header() http.Header { return r.header }
func (r *reply) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
}
func (r *reply) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.body.Write(b)
}

// call makes one /api/v1 request in process on behalf of the page's
// request: same session cookie, the session's CSRF token (the form's was
// checked against it), same client address for the API's throttles. The
// API decides everything; its JSON answer is decoded into out, its error
// returned as the *api.Error it sent. w receives the cookies the API
// sets (login, logout) when not nil.
func (h *Handler) call(w http.ResponseWriter, r *http.Request, p *page, method, path string, in, out any) error {
	var body io.Reader
	ct := ""
	if in != nil {
		data, err := json.Marshal(in)
		if err != nil {
			return fmt.Errorf("web: encode %s %s: %w", method, path, err)
		}
		body, ct = bytes.NewReader(data), "application/json"
	}
	rep, err := h.send(w, r, p, method, path, ct, body)
	if err != nil {
		return err
	}
	if rep.status >= 400 {
		return rep.apiError(method, path)
	}
	if out != nil && rep.body.Len() > 0 {
		if err := json.Unmarshal(rep.body.Bytes(), out); err != nil {
			return fmt.Errorf("web: decode %s %s: %w", method, path, err)
		}
	}
	return nil
}

// send makes the request of call with a body of any type (a file to
// import) and returns the API's answer as it is.
func (h *Handler) send(w http.ResponseWriter, r *http.Request, p *page, method, path, ct string, body io.Reader) (*reply, error) {
	req, err := http.NewRequestWithContext(r.Context(), method, path, body)
	if err != nil {
		return nil, fmt.Errorf("web: request %s %s: %w", method, path, err)
	}
	req.RemoteAddr, req.Host, req.TLS = r.RemoteAddr, r.Host, r.TLS
	if ct != "" {
		req.Header.Set("Content-Type", ct)
	}
	req.Header.Set("User-Agent", r.UserAgent())
	for _, c := range r.Cookies() {
		if c.Name == auth.SessionCookie {
			req.AddCookie(c)
		}
	}
	if p != nil && p.session != nil {
		req.Header.Set(auth.CSRFHeader, p.session.CSRF)
	}
	rep := &reply{header: http.Header{}}
	h.opts.API.ServeHTTP(rep, req)
	if w != nil {
		for _, c := range rep.header.Values("Set-Cookie") {
			w.Header().Add("Set-Cookie", c)
		}
	}
	return rep, nil
}

// apiError is the *api.Error a failed answer carries.
func (rep *reply) apiError(method, path string) error {
	var e struct {
		Error *api.Error `json:"error"`
	}
	if json.Unmarshal(rep.body.Bytes(), &e) != nil || e.Error == nil {
		return fmt.Errorf("web: %s %s: status %d without an error body", method, path, rep.status)
	}
	e.Error.Status = rep.status
	if ra := rep.header.Get("Retry-After"); ra != "" {
		var secs int
		fmt.Sscan(ra, &secs)
		e.Error.RetryAfter = secondsDuration(secs)
	}
	return e.Error
}

// dav makes one DAV request in process as the page's account, as the DAV
// middleware would after checking a password: the tree's rules (names,
// properties, what may be deleted) apply unchanged. It returns the
// status; a failure status becomes an *api.Error about field.
func (h *Handler) dav(r *http.Request, p *page, method, path, body string, hdr map[string]string, field string) error {
	req, err := http.NewRequestWithContext(auth.WithCredential(auth.WithAccount(r.Context(), p.Account),
		&auth.Credential{Method: auth.MethodSession, Scope: auth.ScopeFull, TwoFactor: p.session.TwoFactor, SessionID: p.session.ID}),
		method, path, strings.NewReader(body))
	if err != nil {
		return fmt.Errorf("web: dav request %s: %w", method, err)
	}
	req.RemoteAddr, req.Host, req.TLS = r.RemoteAddr, r.Host, r.TLS
	if body != "" {
		req.Header.Set("Content-Type", "application/xml; charset=utf-8")
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	rep := &reply{header: http.Header{}}
	h.opts.DAV.ServeHTTP(rep, req)
	switch {
	case rep.status < 300:
		// PROPPATCH answers 207 with a status per property.
		if rep.status == http.StatusMultiStatus && strings.Contains(rep.body.String(), "HTTP/1.1 4") {
			return &api.Error{Status: http.StatusBadRequest, Code: "dav_refused", Field: field, Message: "the server refused this value"}
		}
		return nil
	case rep.status == http.StatusNotFound:
		return &api.Error{Status: http.StatusNotFound, Code: "not_found", Message: "no such resource"}
	case rep.status == http.StatusMethodNotAllowed || rep.status == http.StatusConflict:
		return &api.Error{Status: http.StatusConflict, Code: "exists", Field: field, Message: "it already exists"}
	case rep.status == http.StatusForbidden:
		return &api.Error{Status: http.StatusForbidden, Code: "dav_forbidden", Field: field, Message: "this is not allowed here"}
	case rep.status < 500:
		return &api.Error{Status: http.StatusBadRequest, Code: "dav_refused", Field: field, Message: "the server refused this value"}
	}
	return fmt.Errorf("web: dav %s %s: status %d", method, path, rep.status)
}
