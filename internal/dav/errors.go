package dav

import (
	"bufio"
	"context"
	"encoding/xml"
	"errors"
	"log/slog"
	"net/http"
	"os"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Error is an HTTP error with an optional RFC 4918 16 precondition or
// postcondition element. Handlers return it (or wrap it); WriteError is the
// only place that turns errors into responses.
type Error struct {
	Status    int
	Condition xml.Name // zero: no DAV:error body
	// ConditionXML is optional content inside the condition element, e.g.
	// the DAV:href of the resource holding a conflicting UID. It must be
	// namespace-complete XML using the multistatus prefixes' namespaces
	// declared by WriteError.
	ConditionXML string
	// Message is safe to show to the client: it explains what was wrong
	// with the request. Never put internal error text here.
	Message string
	// Err is the cause, logged but never sent.
	Err     error
	Headers map[string]string
}

func (e *Error) Error() string {
	s := strconv.Itoa(e.Status) + " " + http.StatusText(e.Status)
	if e.Condition.Local != "" {
		s += " (" + e.Condition.Local + ")"
	}
	if e.Message != "" {
		s += ": " + e.Message
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

func (e *Error) Unwrap() error { return e.Err }

// NewError builds an Error with a status and client-safe message.
func NewError(status int, msg string) *Error { return &Error{Status: status, Message: msg} }

// Precondition builds an Error with a DAV:error condition element.
func Precondition(status int, cond xml.Name, msg string) *Error {
	return &Error{Status: status, Condition: cond, Message: msg}
}

// BadRequest is a 400 with a client-safe reason.
func BadRequest(msg string) *Error { return &Error{Status: http.StatusBadRequest, Message: msg} }

// BodyError is the answer to a request body that could not be read: 408
// when it came too slowly (the server's read deadline passed; the
// connection is closed, RFC 9110 15.5.9), else 400.
func BodyError(err error) *Error {
	if errors.Is(err, os.ErrDeadlineExceeded) {
		return &Error{Status: http.StatusRequestTimeout, Message: "the request body came too slowly", Headers: map[string]string{"Connection": "close"}, Err: err}
	}
	return &Error{Status: http.StatusBadRequest, Message: "cannot read request body", Err: err}
}

// Common errors.
var (
	ErrTooLarge         = &Error{Status: http.StatusRequestEntityTooLarge, Message: "request body too large"}
	ErrNotFound         = &Error{Status: http.StatusNotFound, Message: "not found"}
	ErrPrecondition     = &Error{Status: http.StatusPreconditionFailed, Message: "precondition failed"}
	ErrMethodNotAllowed = &Error{Status: http.StatusMethodNotAllowed, Message: "method not allowed on this resource"}
)

// Conditions used across packages.
var (
	CondPropfindFiniteDepth = Name(NSDAV, "propfind-finite-depth")
	CondValidSyncToken      = Name(NSDAV, "valid-sync-token")
	CondNumberOfMatches     = Name(NSDAV, "number-of-matches-within-limits")
	CondCannotModify        = Name(NSDAV, "cannot-modify-protected-property")
	CondResourceMustBeNull  = Name(NSDAV, "resource-must-be-null")
	CondNeedPrivileges      = Name(NSDAV, "need-privileges")
	CondSupportedReport     = Name(NSDAV, "supported-report")
	CondValidResourceType   = Name(NSDAV, "valid-resourcetype")
)

// errorNS is where almanac's human-readable message element lives inside
// DAV:error bodies (like SabreDAV's s:message).
const errorNS = "urn:almanac:error"

// WriteError renders err. Errors that are not *Error become a 500 whose
// cause is logged and not sent. Client errors are logged at debug level
// because they are the client's business, server errors at error level.
func WriteError(w http.ResponseWriter, r *http.Request, logger *slog.Logger, err error) {
	var e *Error
	if !errors.As(err, &e) {
		if errors.Is(err, context.Canceled) {
			// The client went away; nobody reads the answer.
			e = &Error{Status: 499, Err: err}
		} else {
			e = &Error{Status: http.StatusInternalServerError, Err: err}
		}
	} else if e.Status < 100 || e.Status > 999 {
		// An *Error without a usable status is a programming error; it
		// must not make WriteHeader panic.
		e = &Error{Status: http.StatusInternalServerError, Err: err}
	}
	if logger != nil {
		lvl := slog.LevelDebug
		if e.Status >= 500 {
			lvl = slog.LevelError
		}
		logger.Log(r.Context(), lvl, "request failed", "method", r.Method, "path", LogPath(r.URL.Path), "status", e.Status, "err", e.Error())
	}
	if e.Status == 499 {
		return
	}
	h := w.Header()
	for k, v := range e.Headers {
		h.Set(k, v)
	}
	msg := e.Message
	if msg == "" {
		msg = http.StatusText(e.Status)
	}
	if e.Condition.Local == "" {
		h.Set("Content-Type", "text/plain; charset=utf-8")
		h.Set("X-Content-Type-Options", "nosniff")
		w.WriteHeader(e.Status)
		if r.Method != http.MethodHead {
			w.Write([]byte(msg + "\n"))
		}
		return
	}
	h.Set("Content-Type", "application/xml; charset=utf-8")
	w.WriteHeader(e.Status)
	if r.Method == http.MethodHead {
		return
	}
	bw := bufio.NewWriter(w)
	bw.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n<D:error")
	writeNSDecls(bw)
	bw.WriteString(` xmlns:M="` + errorNS + `">`)
	writeEmptyOrContent(bw, e.Condition, e.ConditionXML)
	bw.WriteString("<M:message>")
	escapeText(bw, msg)
	bw.WriteString("</M:message></D:error>\n")
	bw.Flush()
}

// maxLogPath bounds the path in a log line: enough to tell the
// collection and member apart, while a request naming a 1 MB path cannot
// write a 1 MB log line.
const maxLogPath = 1024

// LogPath is p as a log line shows it: at most maxLogPath bytes, cut on
// a character boundary, with the full length said.
func LogPath(p string) string {
	if len(p) <= maxLogPath {
		return p
	}
	cut := maxLogPath
	for cut > 0 && !utf8.RuneStart(p[cut]) {
		cut--
	}
	return p[:cut] + "…(" + strconv.Itoa(len(p)) + " bytes)"
}

func writeNSDecls(bw *bufio.Writer) {
	for _, p := range prefixes {
		bw.WriteString(` xmlns:` + p.prefix + `="` + p.ns + `"`)
	}
}

// writeEmptyOrContent writes <name>content</name>, declaring the namespace
// inline when it has no fixed prefix.
func writeEmptyOrContent(bw *bufio.Writer, n xml.Name, content string) {
	open, close := tagParts(n)
	bw.WriteString(open)
	if content == "" {
		bw.WriteString("/>")
		return
	}
	bw.WriteByte('>')
	bw.WriteString(content)
	bw.WriteString(close)
}

// tagParts returns "<P:local" (plus an xmlns declaration when the
// namespace has no fixed prefix) and "</P:local>".
func tagParts(n xml.Name) (open, close string) {
	if p := Prefix(n.Space); p != "" {
		return "<" + p + ":" + n.Local, "</" + p + ":" + n.Local + ">"
	}
	if n.Space == "" {
		return "<" + n.Local + ` xmlns=""`, "</" + n.Local + ">"
	}
	var sb strings.Builder
	sb.WriteString("<X:" + n.Local + ` xmlns:X="`)
	escapeAttr(&sb, n.Space)
	sb.WriteByte('"')
	return sb.String(), "</X:" + n.Local + ">"
}

// EmptyElement renders n as an empty element for a property value
// (a resourcetype, a supported-report-set): a name in a namespace the
// writers have no prefix for, such as a kind's own, declares it on the
// element, as property names do.
func EmptyElement(n xml.Name) string {
	open, _ := tagParts(n)
	return open + "/>"
}
