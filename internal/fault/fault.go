package fault

import (
	"fmt"
	"time"
)

// Kind is what went wrong, independent of protocol.
type Kind uint8

const (
	// Invalid: the request carries a value that cannot be used; Field
	// names it.
	Invalid Kind = iota + 1
	// Unauthenticated: the credentials presented do not prove who the
	// caller is (a wrong login or password at login, a missing code).
	Unauthenticated
	// Forbidden: the caller is known but may not do this, or a secret
	// it confirmed with (the current password) is wrong.
	Forbidden
	// NotFound: there is no such thing, or it is not the caller's to see.
	NotFound
	// Conflict: what is stored does not allow it now (a name is taken,
	// an organization would lose its last owner).
	Conflict
	// Limit: a quota is reached (links per account, aliases per mailbox).
	Limit
	// Throttled: too many attempts; RetryAfter says when to try again.
	Throttled
	// Unprocessable: the value is well-formed but not one the caller may
	// use (a sending address it has not verified); Field names it.
	Unprocessable
)

// Error is a refusal in domain terms.
type Error struct {
	Kind Kind
	// Code is a stable snake_case word clients can switch on, e.g.
	// "login_taken".
	Code string
	// Field is the request field the error is about, if any.
	Field   string
	Message string
	// RetryAfter is set for Throttled.
	RetryAfter time.Duration
	// Err is the cause, logged and never sent.
	Err error
}

func (e *Error) Error() string {
	if e.Err != nil {
		return e.Code + ": " + e.Message + ": " + e.Err.Error()
	}
	return e.Code + ": " + e.Message
}

func (e *Error) Unwrap() error { return e.Err }

// New returns an Error of kind with code and a formatted message.
func New(kind Kind, code, format string, args ...any) *Error {
	return &Error{Kind: kind, Code: code, Message: fmt.Sprintf(format, args...)}
}

// Invalidf is an Invalid error about request field field.
func Invalidf(field, format string, args ...any) *Error {
	return &Error{Kind: Invalid, Code: "invalid_field", Field: field, Message: fmt.Sprintf(format, args...)}
}

// On returns a copy of e about request field field.
func (e *Error) On(field string) *Error {
	c := *e
	c.Field = field
	return &c
}
