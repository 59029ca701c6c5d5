package ical

import (
	"fmt"

	"almanac/internal/contentline"
)

// ErrorKind says which CalDAV precondition a rejected object violates, so the
// PUT handler can answer 403/415 with the right CALDAV:error body without
// parsing reason strings.
type ErrorKind int

const (
	// InvalidData: the bytes are not acceptable iCalendar at all
	// (RFC 4791 5.3.2.1 CALDAV:valid-calendar-data).
	InvalidData ErrorKind = iota + 1
	// InvalidObject: the data is iCalendar, but not a calendar object
	// resource as RFC 4791 4.1 defines it
	// (CALDAV:valid-calendar-object-resource).
	InvalidObject
	// TooLarge: the data exceeds MaxSize (CALDAV:max-resource-size).
	TooLarge
)

// Precondition is the local name, in the CalDAV namespace
// (urn:ietf:params:xml:ns:caldav), of the precondition element that reports
// this kind of error.
func (k ErrorKind) Precondition() string {
	switch k {
	case InvalidObject:
		return "valid-calendar-object-resource"
	case TooLarge:
		return "max-resource-size"
	default:
		return "valid-calendar-data"
	}
}

func (k ErrorKind) String() string { return k.Precondition() }

// ValidationError explains why calendar data was refused. Reason is written
// for the client that sent the data: it quotes only (truncated) bits of that
// data and never anything of the server's.
type ValidationError struct {
	Reason string
	Kind   ErrorKind
}

func (e *ValidationError) Error() string { return e.Reason }

func dataErr(format string, args ...any) *ValidationError {
	return &ValidationError{Reason: fmt.Sprintf(format, args...), Kind: InvalidData}
}

func objectErr(format string, args ...any) *ValidationError {
	return &ValidationError{Reason: fmt.Sprintf(format, args...), Kind: InvalidObject}
}

// quote renders client data for an error reason (contentline.Quote).
var quote = contentline.Quote
