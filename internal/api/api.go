package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"os"
	"strings"
	"time"

	"almanac/internal/fault"
	"almanac/storage"
)

// MaxBody caps a JSON request body.
const MaxBody = 64 << 10

// MaxLargeBody caps the body of a LargeBody route: room for two texts of
// 64 KiB each, escaped as JSON.
const MaxLargeBody = 512 << 10

type bodyLimitKey struct{}

// BodyLimit is the cap on r's body: MaxLargeBody on LargeBody routes,
// MaxBody elsewhere. The server's body limits read it to raise the cap
// before the body is read.
func BodyLimit(r *http.Request) int64 {
	if n, ok := r.Context().Value(bodyLimitKey{}).(int64); ok {
		return n
	}
	return MaxBody
}

// Error is an API failure as the client sees it. Field names the request
// field a validation error is about.
type Error struct {
	Status  int    `json:"-"`
	Code    string `json:"code"`
	Message string `json:"message"`
	Field   string `json:"field,omitempty"`
	// RetryAfter is sent as the Retry-After header (429, 503).
	RetryAfter time.Duration `json:"-"`
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

// errorf makes an *Error.
func errorf(status int, code, format string, args ...any) *Error {
	return &Error{Status: status, Code: code, Message: fmt.Sprintf(format, args...)}
}

// invalid is a 400 about one field.
func invalid(field, format string, args ...any) *Error {
	return &Error{Status: http.StatusBadRequest, Code: "invalid_field", Field: field, Message: fmt.Sprintf(format, args...)}
}

// WriteJSON writes v with status.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	// URLs in answers (otpauth://…&issuer=, subscribe links) stay readable:
	// the body is application/json with nosniff, never HTML.
	enc.SetEscapeHTML(false)
	enc.Encode(v)
}

// WriteError renders err in the JSON error shape. It is the one place
// where errors become statuses: an *Error as it is, domain faults and
// storage sentinels by kind, anything else a 500 whose text is logged and
// not sent.
func WriteError(w http.ResponseWriter, r *http.Request, logger *slog.Logger, err error) {
	e := classify(err)
	if e == nil {
		return // the client went away; nobody reads the answer
	}
	if e.Status >= 500 && logger != nil {
		logger.ErrorContext(r.Context(), "api request failed", "method", r.Method, "path", r.URL.Path, "status", e.Status, "err", err)
	}
	if e.Status == http.StatusTooManyRequests || e.RetryAfter > 0 {
		w.Header().Set("Retry-After", retryAfterValue(e.RetryAfter))
	}
	WriteJSON(w, e.Status, map[string]*Error{"error": e})
}

// Classify is how WriteError reads err: the status, code, message and
// field a client is told (nil for a client that went away). The web
// pages render the same reading as HTML.
func Classify(err error) *Error { return classify(err) }

func classify(err error) *Error {
	var ae *Error
	var fe *fault.Error
	switch {
	case errors.As(err, &ae):
		return ae
	case errors.As(err, &fe) && faultStatus(fe.Kind) < 500:
		return &Error{Status: faultStatus(fe.Kind), Code: fe.Code, Message: fe.Message, Field: fe.Field, RetryAfter: fe.RetryAfter}
	case errors.Is(err, storage.ErrNotFound):
		return &Error{Status: http.StatusNotFound, Code: "not_found", Message: "no such resource"}
	case errors.Is(err, storage.ErrExists):
		return &Error{Status: http.StatusConflict, Code: "exists", Message: "it already exists"}
	case errors.Is(err, storage.ErrPreconditionFailed):
		return &Error{Status: http.StatusPreconditionFailed, Code: "changed", Message: "it changed meanwhile; read it again and retry"}
	case errors.Is(err, storage.ErrLimit):
		return &Error{Status: http.StatusConflict, Code: "limit_reached", Message: "a limit is reached"}
	case errors.Is(err, context.Canceled):
		return nil
	case errors.Is(err, storage.ErrUnavailable):
		return &Error{Status: http.StatusServiceUnavailable, Code: "unavailable", Message: "the service is unavailable for a moment; retry later",
			RetryAfter: storage.RetryUnavailable}
	}
	return &Error{Status: http.StatusInternalServerError, Code: "internal", Message: "internal error"}
}

// Decode reads a JSON request body into v: application/json (or no
// Content-Type), at most MaxBody bytes, one object, no unknown fields.
func Decode(r *http.Request, v any) error {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || mt != "application/json" {
			return &Error{Status: http.StatusUnsupportedMediaType, Code: "unsupported_media_type", Message: "send the body as application/json"}
		}
	}
	limit := BodyLimit(r)
	data, err := io.ReadAll(io.LimitReader(r.Body, limit+1))
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		return errorf(http.StatusRequestEntityTooLarge, "too_large", "the request body exceeds %d bytes", tooLarge.Limit)
	}
	if errors.Is(err, os.ErrDeadlineExceeded) {
		// The server's read deadline passed (RFC 9110 15.5.9).
		return errorf(http.StatusRequestTimeout, "body_timeout", "the request body came too slowly")
	}
	if err != nil {
		return errorf(http.StatusBadRequest, "invalid_body", "cannot read the request body")
	}
	if len(data) > int(limit) {
		return errorf(http.StatusRequestEntityTooLarge, "too_large", "the request body exceeds %d bytes", limit)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var se *json.SyntaxError
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &te):
			return invalid(te.Field, "%s must be a JSON %s", te.Field, te.Type.Kind())
		case errors.Is(err, io.EOF):
			return errorf(http.StatusBadRequest, "invalid_json", "the request body is empty")
		case errors.As(err, &se), errors.Is(err, io.ErrUnexpectedEOF):
			return errorf(http.StatusBadRequest, "invalid_json", "the request body is not valid JSON")
		case strings.HasPrefix(err.Error(), "json: unknown field "):
			field := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
			return invalid(field, "unknown field %q", field)
		}
		return errorf(http.StatusBadRequest, "invalid_json", "the request body is not a JSON object of the expected shape")
	}
	if dec.More() {
		return errorf(http.StatusBadRequest, "invalid_json", "the request body holds more than one JSON value")
	}
	return nil
}

// Optional is a request field that may be absent, null or set, so that
// a PATCH changes only what it names and null can clear a value.
type Optional[T any] struct {
	Set, Null bool
	V         T
}

func (o *Optional[T]) UnmarshalJSON(b []byte) error {
	o.Set = true
	if string(b) == "null" {
		o.Null = true
		return nil
	}
	return json.Unmarshal(b, &o.V)
}

// AccountRef names an account in answers: its stable handle and its
// login.
type AccountRef struct {
	ID    string `json:"id"`
	Login string `json:"login"`
}

// ResolveAccount finds the account a path segment names: "me" (the
// caller), a login (anything with an @) or a handle. Users know their own
// and each other's logins, and handles appear in DAV URLs; both work.
// ErrNotFound when none matches.
func ResolveAccount(ctx context.Context, store storage.Accounts, caller *storage.Account, ref string) (*storage.Account, error) {
	switch {
	case ref == "me":
		return caller, nil
	case strings.Contains(ref, "@"):
		return store.AccountByLogin(ctx, ref)
	}
	return store.Account(ctx, ref)
}
