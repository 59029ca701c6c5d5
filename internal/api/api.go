// Package api holds what every JSON endpoint under /api/v1 shares: one
// error shape, {"error": {"code", "message", "field"}}, strict decoding
// of request bodies with a size cap, and JSON responses that caches do
// not keep.
package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"strconv"
	"strings"
)

// MaxBody caps a JSON request body.
const MaxBody = 64 << 10

// Error is an API failure as the client sees it. Field names the request
// field a validation error is about.
type Error struct {
	Status  int    `json:"-"`
	Code    string `json:"code"`
	Message string `json:"message"`
	Field   string `json:"field,omitempty"`
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

// Errorf makes an *Error.
func Errorf(status int, code, format string, args ...any) *Error {
	return &Error{Status: status, Code: code, Message: fmt.Sprintf(format, args...)}
}

// Invalid is a 400 about one field.
func Invalid(field, format string, args ...any) *Error {
	return &Error{Status: http.StatusBadRequest, Code: "invalid_field", Field: field, Message: fmt.Sprintf(format, args...)}
}

// Common errors.
var (
	ErrNotFound         = &Error{Status: http.StatusNotFound, Code: "not_found", Message: "no such resource"}
	ErrMethodNotAllowed = &Error{Status: http.StatusMethodNotAllowed, Code: "method_not_allowed", Message: "method not allowed on this resource"}
)

// WriteJSON writes v with status.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// Throttled is an error that refuses an attempt for a while, such as
// auth.ThrottledError (an interface, because package auth uses this one).
// WriteError answers it with 429 and Retry-After.
type Throttled interface {
	error
	RetryAfterSeconds() int64
}

// ErrTooManyRequests is how a Throttled error is rendered.
var ErrTooManyRequests = &Error{Status: http.StatusTooManyRequests, Code: "too_many_requests", Message: "too many failed attempts; try again later"}

// WriteError renders err: an *Error as it is, a Throttled error as
// ErrTooManyRequests with its Retry-After, anything else as a 500 whose
// text is logged and not sent.
func WriteError(w http.ResponseWriter, r *http.Request, logger *slog.Logger, err error) {
	var th Throttled
	if errors.As(err, &th) {
		w.Header().Set("Retry-After", strconv.FormatInt(max(th.RetryAfterSeconds(), 1), 10))
		WriteJSON(w, ErrTooManyRequests.Status, map[string]*Error{"error": ErrTooManyRequests})
		return
	}
	var ae *Error
	if !errors.As(err, &ae) {
		if logger != nil {
			logger.Error("api request failed", "method", r.Method, "path", r.URL.Path, "err", err)
		}
		ae = &Error{Status: http.StatusInternalServerError, Code: "internal", Message: "internal error"}
	}
	WriteJSON(w, ae.Status, map[string]*Error{"error": ae})
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
	data, err := io.ReadAll(io.LimitReader(r.Body, MaxBody+1))
	if err != nil {
		return Errorf(http.StatusBadRequest, "invalid_body", "cannot read the request body")
	}
	if len(data) > MaxBody {
		return Errorf(http.StatusRequestEntityTooLarge, "too_large", "the request body exceeds %d bytes", MaxBody)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var se *json.SyntaxError
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &te):
			return Invalid(te.Field, "%s must be a JSON %s", te.Field, te.Type.Kind())
		case errors.Is(err, io.EOF):
			return Errorf(http.StatusBadRequest, "invalid_json", "the request body is empty")
		case errors.As(err, &se), errors.Is(err, io.ErrUnexpectedEOF):
			return Errorf(http.StatusBadRequest, "invalid_json", "the request body is not valid JSON")
		case strings.HasPrefix(err.Error(), "json: unknown field "):
			field := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
			return Invalid(field, "unknown field %q", field)
		}
		return Errorf(http.StatusBadRequest, "invalid_json", "the request body is not a JSON object of the expected shape")
	}
	if dec.More() {
		return Errorf(http.StatusBadRequest, "invalid_json", "the request body holds more than one JSON value")
	}
	return nil
}
