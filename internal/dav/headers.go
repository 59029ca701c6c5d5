package dav

import (
	"net/http"
	"strings"
	"time"
)

// Depth is the value of the Depth header (RFC 4918 10.2).
type Depth int

const (
	DepthZero     Depth = 0
	DepthOne      Depth = 1
	DepthInfinity Depth = -1
)

// ParseDepth parses a Depth header value. A missing header yields def,
// because RFC 4918 gives each method its own default.
func ParseDepth(h string, def Depth) (Depth, error) {
	switch strings.TrimSpace(strings.ToLower(h)) {
	case "":
		return def, nil
	case "0":
		return DepthZero, nil
	case "1":
		return DepthOne, nil
	case "infinity":
		return DepthInfinity, nil
	}
	return 0, BadRequest("invalid Depth header: must be 0, 1 or infinity")
}

// PropfindDepth returns the Depth of a PROPFIND, refusing infinity with
// DAV:propfind-finite-depth (RFC 4918 9.1). A missing header means
// infinity per RFC 4918, which we refuse the same way; most servers treat
// it as 1, but silently changing the question is worse than saying no.
// Clients in the wild always send Depth with PROPFIND.
func PropfindDepth(r *http.Request) (Depth, error) {
	d, err := ParseDepth(r.Header.Get("Depth"), DepthInfinity)
	if err != nil {
		return 0, err
	}
	if d == DepthInfinity {
		return 0, Precondition(http.StatusForbidden, CondPropfindFiniteDepth, "Depth: infinity is not supported; use 0 or 1")
	}
	return d, nil
}

// PreferMinimal reports whether the client asked for Prefer:
// return=minimal (RFC 7240 4.2) or the older Brief: t.
func PreferMinimal(r *http.Request) bool {
	for _, v := range r.Header.Values("Prefer") {
		for _, p := range strings.Split(v, ",") {
			// preference = token [ BWS "=" BWS word ] *( OWS ";" [ OWS parameter ] )
			p, _, _ = strings.Cut(p, ";")
			k, val, _ := strings.Cut(p, "=")
			val = strings.TrimSpace(val)
			if len(val) >= 2 && val[0] == '"' && val[len(val)-1] == '"' {
				val = val[1 : len(val)-1]
			}
			if strings.EqualFold(strings.TrimSpace(k), "return") && strings.EqualFold(val, "minimal") {
				return true
			}
		}
	}
	return strings.EqualFold(strings.TrimSpace(r.Header.Get("Brief")), "t")
}

// Conditions are the conditional request headers of RFC 9110 13.1.
type Conditions struct {
	IfMatch           []string // nil: header absent; "*" as an element means any
	IfNoneMatch       []string
	IfModifiedSince   time.Time
	IfUnmodifiedSince time.Time
}

// ParseConditions reads If-Match, If-None-Match, If-Modified-Since and
// If-Unmodified-Since. An unparseable entity-tag list is a 400 (RFC 9110
// says a server MAY ignore it, but ignoring an If-Match turns a safe
// update into a blind overwrite).
func ParseConditions(r *http.Request) (Conditions, error) {
	var c Conditions
	var err error
	if vs := r.Header.Values("If-Match"); len(vs) > 0 {
		if c.IfMatch, err = parseETagList(strings.Join(vs, ",")); err != nil {
			return c, err
		}
	}
	if vs := r.Header.Values("If-None-Match"); len(vs) > 0 {
		if c.IfNoneMatch, err = parseETagList(strings.Join(vs, ",")); err != nil {
			return c, err
		}
	}
	// Invalid dates, and fields sent more than once, are ignored, as RFC
	// 9110 13.1.3 and 13.1.4 require.
	if vs := r.Header.Values("If-Modified-Since"); len(vs) == 1 {
		c.IfModifiedSince, _ = http.ParseTime(vs[0])
	}
	if vs := r.Header.Values("If-Unmodified-Since"); len(vs) == 1 {
		c.IfUnmodifiedSince, _ = http.ParseTime(vs[0])
	}
	return c, nil
}

// parseETagList parses `*` or a comma-separated list of entity-tags,
// keeping each tag with its quotes and W/ prefix.
func parseETagList(s string) ([]string, error) {
	s = strings.TrimSpace(s)
	if s == "*" {
		return []string{"*"}, nil
	}
	var tags []string
	for len(s) > 0 {
		s = strings.TrimLeft(s, " \t,")
		if s == "" {
			break
		}
		weak := false
		if strings.HasPrefix(s, "W/") {
			weak = true
			s = s[2:]
		}
		if len(s) == 0 || s[0] != '"' {
			return nil, BadRequest("malformed entity-tag in conditional header")
		}
		end := strings.IndexByte(s[1:], '"')
		if end < 0 {
			return nil, BadRequest("unterminated entity-tag in conditional header")
		}
		tag := s[:end+2]
		if weak {
			tag = "W/" + tag
		}
		tags = append(tags, tag)
		s = s[end+2:]
		s = strings.TrimLeft(s, " \t")
		if s != "" && s[0] != ',' {
			return nil, BadRequest("malformed entity-tag list in conditional header")
		}
	}
	if len(tags) == 0 {
		return nil, BadRequest("empty entity-tag list in conditional header")
	}
	return tags, nil
}

// IsZero reports whether no conditional header was sent.
func (c Conditions) IsZero() bool {
	return c.IfMatch == nil && c.IfNoneMatch == nil && c.IfModifiedSince.IsZero() && c.IfUnmodifiedSince.IsZero()
}

// WriteAllowed evaluates If-Match and If-None-Match for a state-changing
// request against the current state (RFC 9110 13.2.2 steps 1 and 3):
// If-Match uses the strong comparison (weak tags never match), If-None-
// Match the weak one. It is meant to run inside the write transaction.
func (c Conditions) WriteAllowed(exists bool, etag string) bool {
	if c.IfMatch != nil {
		if !exists || !matchAny(c.IfMatch, etag, true) {
			return false
		}
	}
	if c.IfNoneMatch != nil && exists && matchAny(c.IfNoneMatch, etag, false) {
		return false
	}
	return true
}

// ReadStatus evaluates the conditions for GET/HEAD of an existing
// representation: 412 for a failed If-Match/If-Unmodified-Since, 304 for
// a matching If-None-Match or an unmodified If-Modified-Since, else 0.
// A zero modified time means the representation has no modification date,
// and the date conditions are then ignored (RFC 9110 13.1.3, 13.1.4).
func (c Conditions) ReadStatus(etag string, modified time.Time) int {
	if c.IfMatch != nil && !matchAny(c.IfMatch, etag, true) {
		return http.StatusPreconditionFailed
	}
	if c.IfMatch == nil && !c.IfUnmodifiedSince.IsZero() && modified.Truncate(time.Second).After(c.IfUnmodifiedSince) {
		return http.StatusPreconditionFailed
	}
	if c.IfNoneMatch != nil {
		if matchAny(c.IfNoneMatch, etag, false) {
			return http.StatusNotModified
		}
		return 0
	}
	if !c.IfModifiedSince.IsZero() && !modified.IsZero() && !modified.Truncate(time.Second).After(c.IfModifiedSince) {
		return http.StatusNotModified
	}
	return 0
}

func matchAny(tags []string, etag string, strong bool) bool {
	for _, t := range tags {
		if t == "*" {
			return true
		}
		if strong {
			if !strings.HasPrefix(t, "W/") && !strings.HasPrefix(etag, "W/") && t == etag {
				return true
			}
			continue
		}
		if strings.TrimPrefix(t, "W/") == strings.TrimPrefix(etag, "W/") {
			return true
		}
	}
	return false
}
