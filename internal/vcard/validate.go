package vcard

import (
	"bytes"
	"strings"
)

// Info is what the CardDAV PUT handler needs to know about a valid address
// object resource.
type Info struct {
	UID     string // as written, escapes included
	Version string // Version3 or Version4
	// Kind is the lower-cased KIND (RFC 6350 6.1.4) or, failing that,
	// X-ADDRESSBOOKSERVER-KIND (Apple's 3.0 spelling); "individual", the
	// RFC 6350 default, when neither is present.
	Kind string
	// FN is the first FN's text with escapes undone; it may be empty.
	FN string
}

// Validate checks data as an address object resource (RFC 6352 5.1,
// 6.3.2.1) and returns its facts. The rules and their reasons are listed
// in doc.go; every error is a *ValidationError.
func Validate(data []byte) (*Info, error) {
	card, err := Parse(data)
	if err != nil {
		if ve, ok := err.(*ValidationError); ok && ve.Kind == InvalidData {
			// vCard 2.1 often fails to parse (quoted-printable soft line
			// breaks, AGENT cards): say why it is refused, not where.
			if v := sniffVersion(data); v != "" && v != Version3 && v != Version4 {
				return nil, versionErr(v)
			}
		}
		return nil, err
	}
	return ValidateCard(card)
}

// ValidateCard applies Validate's rules to a parsed card.
func ValidateCard(card *Card) (*Info, error) {
	info := &Info{}
	var versions, uids, fns int
	for _, p := range card.Props {
		switch p.Name {
		case "VERSION":
			if versions++; versions == 1 {
				info.Version = strings.TrimSpace(p.Value)
			}
		case "UID":
			if uids++; uids == 1 {
				info.UID = p.Value
			}
		case "FN":
			if fns++; fns == 1 {
				info.FN = p.Text()
			}
		case "KIND":
			if info.Kind == "" {
				info.Kind = strings.ToLower(strings.TrimSpace(p.Value))
			}
		}
	}
	switch {
	case versions == 0:
		return nil, dataErr("vCard has no VERSION property; send VERSION:3.0 or VERSION:4.0")
	case versions > 1:
		return nil, dataErr("vCard has %d VERSION properties; it must have exactly one", versions)
	case info.Version != Version3 && info.Version != Version4:
		return nil, versionErr(info.Version)
	case uids == 0 || strings.TrimSpace(info.UID) == "":
		return nil, dataErr("vCard has no UID; an address object resource needs one so that duplicates can be detected (RFC 6352 section 5.1)")
	case uids > 1:
		return nil, dataErr("vCard has %d UID properties; it must have exactly one", uids)
	case fns == 0:
		return nil, dataErr("vCard has no FN property, which vCard %s requires (%s)", info.Version, fnRule(info.Version))
	}
	if info.Kind == "" {
		if p := card.Get("X-ADDRESSBOOKSERVER-KIND"); p != nil {
			info.Kind = strings.ToLower(strings.TrimSpace(p.Value))
		}
	}
	if info.Kind == "" {
		info.Kind = "individual"
	}
	return info, nil
}

func fnRule(version string) string {
	if version == Version3 {
		return "RFC 2426 section 3.1.1"
	}
	return "RFC 6350 section 6.2.1"
}

func versionErr(v string) *ValidationError {
	e := &ValidationError{Kind: UnsupportedData}
	if v == "2.1" {
		e.Reason = "vCard 2.1 is not supported; send vCard 3.0 (RFC 2426) or 4.0 (RFC 6350)"
	} else {
		e.Reason = "VERSION " + quote(v) + " is not supported; send vCard 3.0 (RFC 2426) or 4.0 (RFC 6350)"
	}
	return e
}

// sniffVersion finds the value of the first "VERSION:" line of data that
// may not parse, ignoring case and surrounding whitespace.
func sniffVersion(data []byte) string {
	for len(data) > 0 {
		line := data
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			line, data = data[:i], data[i+1:]
		} else {
			data = nil
		}
		line = bytes.TrimSpace(line)
		if len(line) > len("VERSION:") && bytes.EqualFold(line[:len("VERSION:")], []byte("VERSION:")) {
			return string(bytes.TrimSpace(line[len("VERSION:"):]))
		}
	}
	return ""
}
