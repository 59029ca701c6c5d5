package dav

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"
)

// MaxSegmentBytes caps one decoded path segment: a user handle, a
// collection or a member name. bbolt refuses keys over 32 KiB; 255 bytes
// is what file systems and Nextcloud's tables allow, so no client that
// works elsewhere needs more, and four times that keeps room for names
// other servers gave out.
const MaxSegmentBytes = 1024

// ErrNameTooLong refuses a URL with a path segment over MaxSegmentBytes
// before storage sees it: 414 (RFC 9110 15.5.15), the request-target is
// longer than the server is willing to interpret.
var ErrNameTooLong = &Error{Status: http.StatusRequestURITooLong,
	Message: "a path segment is longer than " + strconv.Itoa(MaxSegmentBytes) + " bytes"}

// SplitPath splits an escaped URL path below prefix into unescaped
// segments and reports whether it ended with a slash. It refuses what
// could escape the URL namespace or confuse storage keys: "." and ".."
// (also percent-encoded), encoded slashes, backslashes, NUL and other
// control characters, invalid UTF-8, and empty segments ("a//b", also
// leading or trailing). A segment longer than MaxSegmentBytes once
// decoded is ErrNameTooLong. A prefix without a trailing slash matches
// only at a segment boundary: "/davx" is not below "/dav".
func SplitPath(escaped, prefix string) (segs []string, trailingSlash bool, err error) {
	rest, ok := strings.CutPrefix(escaped, prefix)
	if !ok {
		return nil, false, ErrNotFound
	}
	if !strings.HasSuffix(prefix, "/") {
		if prefix != "" && rest != "" && rest[0] != '/' {
			return nil, false, ErrNotFound
		}
		rest = strings.TrimPrefix(rest, "/")
	}
	if rest == "" {
		return nil, true, nil
	}
	trailingSlash = strings.HasSuffix(rest, "/")
	rest = strings.TrimSuffix(rest, "/")
	for _, raw := range strings.Split(rest, "/") {
		seg, uerr := url.PathUnescape(raw)
		if uerr != nil {
			return nil, false, BadRequest("malformed percent-encoding in path")
		}
		if len(seg) > MaxSegmentBytes {
			return nil, false, ErrNameTooLong
		}
		if seg == "" || seg == "." || seg == ".." {
			return nil, false, BadRequest("path segments may not be empty, '.' or '..'")
		}
		if !utf8.ValidString(seg) {
			return nil, false, BadRequest("path is not valid UTF-8")
		}
		for i := 0; i < len(seg); i++ {
			if c := seg[i]; c < 0x20 || c == 0x7f || c == '/' || c == '\\' {
				return nil, false, BadRequest("path contains a forbidden character")
			}
		}
		segs = append(segs, seg)
	}
	return segs, trailingSlash, nil
}
