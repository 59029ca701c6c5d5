package dav

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func writeErr(t testing.TB, method string, err error) (*httptest.ResponseRecorder, string) {
	t.Helper()
	var logBuf bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logBuf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	rec := httptest.NewRecorder()
	WriteError(rec, httptest.NewRequest(method, "/dav/calendars/a/c/", nil), logger, err)
	return rec, logBuf.String()
}

const almanacErrNS = "urn:almanac:error"

func TestWriteError_Condition(t *testing.T) {
	e := Precondition(http.StatusForbidden, CondPropfindFiniteDepth, "Depth: infinity is not supported <here> & now")
	rec, _ := writeErr(t, "PROPFIND", e)
	if rec.Code != http.StatusForbidden {
		t.Fatalf("status %d", rec.Code)
	}
	if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/xml") {
		t.Fatalf("Content-Type %q", ct)
	}
	root := parseTree(t, rec.Body.Bytes())
	if root.Name != dError {
		t.Fatalf("root %v", root.Name)
	}
	if got := root.kidNames(); !namesEqual(got, []xml.Name{CondPropfindFiniteDepth, Name(almanacErrNS, "message")}) {
		t.Fatalf("children %v", got)
	}
	if cond := root.Kids[0]; len(cond.Kids) != 0 || cond.Text != "" {
		t.Fatalf("condition not empty: %+v", cond)
	}
	if msg := root.Kids[1].Text; msg != e.Message {
		t.Fatalf("message %q", msg)
	}
}

func TestWriteError_ConditionNamespaces(t *testing.T) {
	for _, cond := range []xml.Name{
		Name(NSCalDAV, "no-uid-conflict"),
		Name(NSCardDAV, "valid-address-data"),
		Name("urn:example:custom", "my-condition"),
		Name("", "bare"),
	} {
		t.Run(cond.Local, func(t *testing.T) {
			rec, _ := writeErr(t, "PUT", Precondition(http.StatusConflict, cond, ""))
			root := parseTree(t, rec.Body.Bytes())
			if root.Name != dError || len(root.Kids) != 2 || root.Kids[0].Name != cond {
				t.Fatalf("got %v %v, want condition %v\n%s", root.Name, root.kidNames(), cond, rec.Body.String())
			}
			// No message given: the status text is used.
			if got := root.Kids[1].Text; got != "Conflict" {
				t.Fatalf("message %q", got)
			}
		})
	}
}

func TestWriteError_ConditionXML(t *testing.T) {
	e := &Error{
		Status:       http.StatusConflict,
		Condition:    Name(NSCalDAV, "no-uid-conflict"),
		ConditionXML: "<D:href>" + EscapeText("/dav/calendars/a/c/x&y.ics") + "</D:href>",
		Message:      "UID already in use",
	}
	rec, _ := writeErr(t, "PUT", e)
	root := parseTree(t, rec.Body.Bytes())
	cond := root.child(t, Name(NSCalDAV, "no-uid-conflict"))
	href := cond.child(t, dHref)
	if href.Text != "/dav/calendars/a/c/x&y.ics" {
		t.Fatalf("href %q", href.Text)
	}
}

func TestWriteError_Plain(t *testing.T) {
	rec, _ := writeErr(t, "PROPFIND", BadRequest("invalid Depth header"))
	if rec.Code != 400 {
		t.Fatalf("status %d", rec.Code)
	}
	if ct := rec.Header().Get("Content-Type"); ct != "text/plain; charset=utf-8" {
		t.Fatalf("Content-Type %q", ct)
	}
	if rec.Header().Get("X-Content-Type-Options") != "nosniff" {
		t.Fatal("no nosniff")
	}
	if rec.Body.String() != "invalid Depth header\n" {
		t.Fatalf("body %q", rec.Body.String())
	}
}

func TestWriteError_InternalNotLeaked(t *testing.T) {
	secret := "open /var/lib/almanac/data.db: permission denied (password=hunter2)"
	for name, err := range map[string]error{
		"Plain":            errors.New(secret),
		"Wrapped":          fmt.Errorf("storage/bolt: put object: %w", errors.New(secret)),
		"ErrorWithCause":   &Error{Status: http.StatusInternalServerError, Err: errors.New(secret)},
		"ClientWithCause":  &Error{Status: http.StatusConflict, Message: "conflict", Err: errors.New(secret)},
		"ConditionWithErr": &Error{Status: 403, Condition: CondNeedPrivileges, Err: errors.New(secret)},
	} {
		t.Run(name, func(t *testing.T) {
			rec, logs := writeErr(t, "PUT", err)
			if strings.Contains(rec.Body.String(), "hunter2") || strings.Contains(rec.Body.String(), "/var/lib") {
				t.Fatalf("internal text sent to client: %q", rec.Body.String())
			}
			for k, vs := range rec.Header() {
				for _, v := range vs {
					if strings.Contains(v, "hunter2") {
						t.Fatalf("internal text in header %s", k)
					}
				}
			}
			if !strings.Contains(logs, "permission denied") {
				t.Fatalf("cause not logged: %q", logs)
			}
		})
	}
	rec, logs := writeErr(t, "PUT", errors.New(secret))
	if rec.Code != 500 || rec.Body.String() != "Internal Server Error\n" {
		t.Fatalf("got %d %q", rec.Code, rec.Body.String())
	}
	if !strings.Contains(logs, "level=ERROR") {
		t.Fatalf("500 not logged at error level: %q", logs)
	}
}

func TestWriteError_ClientErrorsLoggedAtDebug(t *testing.T) {
	_, logs := writeErr(t, "GET", ErrNotFound)
	if !strings.Contains(logs, "level=DEBUG") || strings.Contains(logs, "level=ERROR") {
		t.Fatalf("logs %q", logs)
	}
}

func TestWriteError_WrappedError(t *testing.T) {
	err := fmt.Errorf("caldav: put: %w", Precondition(http.StatusPreconditionFailed, Name(NSCalDAV, "no-uid-conflict"), "uid taken"))
	rec, _ := writeErr(t, "PUT", err)
	if rec.Code != 412 {
		t.Fatalf("status %d", rec.Code)
	}
	root := parseTree(t, rec.Body.Bytes())
	if root.Kids[0].Name != Name(NSCalDAV, "no-uid-conflict") || root.Kids[1].Text != "uid taken" {
		t.Fatalf("body %s", rec.Body.String())
	}
}

func TestWriteError_Headers(t *testing.T) {
	for _, e := range []*Error{
		{Status: http.StatusMethodNotAllowed, Message: "no", Headers: map[string]string{"Allow": "GET, PUT", "Retry-After": "5"}},
		{Status: http.StatusForbidden, Condition: CondNeedPrivileges, Headers: map[string]string{"Allow": "GET, PUT", "Retry-After": "5"}},
	} {
		rec, _ := writeErr(t, "DELETE", e)
		if rec.Code != e.Status {
			t.Fatalf("status %d", rec.Code)
		}
		if rec.Header().Get("Allow") != "GET, PUT" || rec.Header().Get("Retry-After") != "5" {
			t.Fatalf("headers %v", rec.Header())
		}
	}
}

func TestWriteError_Head(t *testing.T) {
	for _, err := range []error{
		ErrNotFound,
		Precondition(http.StatusForbidden, CondNeedPrivileges, "no"),
		errors.New("boom"),
	} {
		rec, _ := writeErr(t, http.MethodHead, err)
		if rec.Code < 400 {
			t.Fatalf("status %d", rec.Code)
		}
		if rec.Body.Len() != 0 {
			t.Fatalf("HEAD body %q", rec.Body.String())
		}
		if rec.Header().Get("Content-Type") == "" {
			t.Fatal("HEAD should still describe the GET's Content-Type")
		}
	}
}

func TestWriteError_ClientGone(t *testing.T) {
	rec, _ := writeErr(t, "PROPFIND", fmt.Errorf("walk: %w", context.Canceled))
	if rec.Body.Len() != 0 || len(rec.Header()) != 0 {
		t.Fatalf("wrote %d %q %v for a canceled request", rec.Code, rec.Body.String(), rec.Header())
	}
}

func TestWriteError_NilLogger(t *testing.T) {
	rec := httptest.NewRecorder()
	WriteError(rec, httptest.NewRequest("GET", "/", nil), nil, ErrPrecondition)
	if rec.Code != 412 || rec.Body.String() != "precondition failed\n" {
		t.Fatalf("got %d %q", rec.Code, rec.Body.String())
	}
}

func TestWriteError_InvalidStatusDoesNotPanic(t *testing.T) {
	// A handler that forgets the status must still get an answer, not
	// a panic inside the one error renderer.
	for _, e := range []*Error{
		{Condition: CondNeedPrivileges, Message: "forgot the status"},
		{Status: 42},
		{Status: 1000},
	} {
		rec, _ := writeErr(t, "PUT", e)
		if rec.Code != http.StatusInternalServerError {
			t.Fatalf("status %d for %+v", rec.Code, e)
		}
	}
}

func TestError_ErrorAndUnwrap(t *testing.T) {
	cause := errors.New("disk full")
	e := &Error{Status: 507, Condition: Name(NSDAV, "quota"), Message: "no space", Err: cause}
	if got := e.Error(); got != "507 Insufficient Storage (quota): no space: disk full" {
		t.Fatalf("Error() = %q", got)
	}
	if !errors.Is(e, cause) {
		t.Fatal("Unwrap does not reach the cause")
	}
	if got := NewError(404, "gone").Error(); got != "404 Not Found: gone" {
		t.Fatalf("Error() = %q", got)
	}
}
