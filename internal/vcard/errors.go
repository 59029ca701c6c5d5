package vcard

import (
	"errors"
	"fmt"

	"almanac/internal/contentline"
)

// NS is the CardDAV XML namespace (RFC 6352 3), in which every
// Precondition name lives.
const NS = "urn:ietf:params:xml:ns:carddav"

// ErrorKind says which CardDAV precondition a refused vCard violates, so
// the PUT handler can answer with the right CARDDAV:error body without
// parsing reason strings.
type ErrorKind int

const (
	// InvalidData: the bytes are not an acceptable address object
	// resource: not vCard, broken vCard, or vCard that lacks what RFC 6352
	// 5.1 requires (CARDDAV:valid-address-data, RFC 6352 6.3.2.1).
	InvalidData ErrorKind = iota + 1
	// UnsupportedData: vCard of a version the server does not store, such
	// as 2.1 (CARDDAV:supported-address-data, RFC 6352 6.3.2.1; the
	// collection's supported-address-data property lists 3.0 and 4.0).
	UnsupportedData
	// TooLarge: the data exceeds MaxSize (CARDDAV:max-resource-size).
	TooLarge
)

// Precondition is the local name, in the CardDAV namespace NS, of the
// precondition element that reports this kind of error.
func (k ErrorKind) Precondition() string {
	switch k {
	case UnsupportedData:
		return "supported-address-data"
	case TooLarge:
		return "max-resource-size"
	default:
		return "valid-address-data"
	}
}

func (k ErrorKind) String() string { return k.Precondition() }

// ValidationError explains why vCard data was refused. Reason is written
// for the client that sent the data: it quotes only (truncated) bits of
// that data and never anything of the server's.
type ValidationError struct {
	Reason string
	Kind   ErrorKind
}

func (e *ValidationError) Error() string { return e.Reason }

// ErrUnsupportedVersion is returned (wrapped) by Convert and ConvertCard
// for a target version other than 3.0 and 4.0: a caller's mistake, not the
// data's, so it is no *ValidationError.
var ErrUnsupportedVersion = errors.New("vcard: unsupported target version")

func dataErr(format string, args ...any) *ValidationError {
	return &ValidationError{Reason: fmt.Sprintf(format, args...), Kind: InvalidData}
}

// quote renders client data for an error reason (contentline.Quote).
var quote = contentline.Quote
