package mailbox

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// Entry is one mailbox for Dovecot: address and password hash.
type Entry struct{ Address, Hash string }

// Route is one virtual alias for Postfix: from address (or "@alias.tld"
// catch-all domain form) to destination.
type Route struct{ From, To string }

// ErrInvalid is wrapped by every error PasswdFile and VirtualMap return
// for input they refuse. The messages name the offending address but
// never include a password hash.
var ErrInvalid = errors.New("mailbox: invalid export input")

// schemes maps the "$id$" prefix of a modular-crypt/PHC hash to the
// Dovecot password scheme that verifies it. The argon2 schemes need a
// Dovecot built with libsodium (Debian's is).
var schemes = []struct{ prefix, scheme string }{
	{"$argon2id$", "ARGON2ID"},
	{"$argon2i$", "ARGON2I"},
	{"$2y$", "BLF-CRYPT"},
	{"$2b$", "BLF-CRYPT"},
	{"$2a$", "BLF-CRYPT"},
	{"$6$", "SHA512-CRYPT"},
	{"$5$", "SHA256-CRYPT"},
}

// dovecotPassword returns hash with its "{SCHEME}" prefix.
func dovecotPassword(hash string) (string, error) {
	for _, s := range schemes {
		if strings.HasPrefix(hash, s.prefix) {
			return "{" + s.scheme + "}" + hash, nil
		}
	}
	return "", fmt.Errorf("%w: unsupported password hash format", ErrInvalid)
}

// checkHash refuses hashes that would break the passwd-file line. PHC and
// crypt strings are printable ASCII without spaces or colons.
func checkHash(hash string) error {
	if hash == "" {
		return fmt.Errorf("%w: empty password hash", ErrInvalid)
	}
	for i := 0; i < len(hash); i++ {
		c := hash[i]
		switch {
		case c == ':':
			return fmt.Errorf("%w: password hash contains ':'", ErrInvalid)
		case c == '\n' || c == '\r':
			return fmt.Errorf("%w: password hash contains a line break", ErrInvalid)
		case c <= ' ' || c >= 0x7f:
			return fmt.Errorf("%w: password hash contains a space, control or non-ASCII character", ErrInvalid)
		}
	}
	return nil
}

// checkAddress validates a full address and returns it with the domain
// lower-cased. Error messages quote the address with %q so that a line
// break in it cannot forge a log line.
func checkAddress(what, addr string) (string, error) {
	if strings.ContainsAny(addr, ":\r\n") {
		return "", fmt.Errorf("%w: %s %q contains ':' or a line break", ErrInvalid, what, addr)
	}
	if reason, ok := ValidAddress(addr); !ok {
		return "", fmt.Errorf("%w: %s %q: %s", ErrInvalid, what, addr, reason)
	}
	i := strings.LastIndexByte(addr, '@')
	return addr[:i+1] + strings.ToLower(addr[i+1:]), nil
}

// PasswdFile renders a Dovecot passwd-file
// (https://doc.dovecot.org/configuration_manual/authentication/passwd_file/):
// one "user:{SCHEME}hash::::::" line per entry, sorted by address; the
// scheme prefix comes from the hash (our hashes are PHC argon2id strings
// "$argon2id$v=19$m=...,t=...,p=...$salt$key" → write "{ARGON2ID}" +
// hash); refuse (error) addresses or hashes containing ':' or newlines.
//
// Addresses must also pass ValidAddress; their domain is written in lower
// case. Local parts keep their case, but Dovecot's default
// auth_username_format (%Lu) lower-cases the login before the lookup, so
// two addresses that differ only in case are refused as duplicates, and
// mailbox names should be stored in lower case. Hashes of an unknown
// format are refused rather than written without a scheme.
//
// Dovecot's default auth_username_chars allows only letters, digits and
// ".-_@" in a login: a mailbox whose local part uses other atext
// characters (such as '+') is exported but cannot log in unless the
// server widens that setting.
func PasswdFile(entries []Entry) ([]byte, error) {
	type line struct{ user, pass string }
	lines := make([]line, 0, len(entries))
	seen := make(map[string]bool, len(entries))
	for _, e := range entries {
		user, err := checkAddress("address", e.Address)
		if err != nil {
			return nil, err
		}
		key := strings.ToLower(user)
		if seen[key] {
			return nil, fmt.Errorf("%w: duplicate address %q", ErrInvalid, e.Address)
		}
		seen[key] = true
		if err := checkHash(e.Hash); err != nil {
			return nil, fmt.Errorf("address %q: %w", e.Address, err)
		}
		pass, err := dovecotPassword(e.Hash)
		if err != nil {
			return nil, fmt.Errorf("address %q: %w", e.Address, err)
		}
		lines = append(lines, line{user, pass})
	}
	slices.SortFunc(lines, func(a, b line) int { return strings.Compare(a.user, b.user) })
	var buf bytes.Buffer
	for _, l := range lines {
		// user:password:uid:gid:gecos:home:shell:extra_fields
		buf.WriteString(l.user)
		buf.WriteByte(':')
		buf.WriteString(l.pass)
		buf.WriteString("::::::\n")
	}
	return buf.Bytes(), nil
}

// checkRouteEnd validates one side of a Route. A catch-all "@domain" is
// allowed when catchAll is true.
func checkRouteEnd(what, s string, catchAll bool) (string, error) {
	if rest, ok := strings.CutPrefix(s, "@"); ok && catchAll {
		if strings.ContainsAny(rest, "\r\n") {
			return "", fmt.Errorf("%w: %s %q contains a line break", ErrInvalid, what, s)
		}
		if reason, ok := ValidDomain(rest); !ok {
			return "", fmt.Errorf("%w: %s %q: %s", ErrInvalid, what, s, reason)
		}
		return "@" + strings.ToLower(rest), nil
	}
	return checkAddress(what, s)
}

// VirtualMap renders a Postfix virtual(5) alias table ("from to" lines,
// sorted), for postmap.
//
// From is an address or a catch-all "@domain". To is an address; it may
// be "@domain" only when From is also a catch-all, which makes Postfix
// rewrite user@from-domain to user@to-domain. Everything must pass
// ValidAddress/ValidDomain (so no spaces, commas, '#' at line start or
// line breaks reach the file); domains are written in lower case. Postfix
// folds table keys to lower case, so two routes whose From differ only in
// case are refused as duplicates. A route from an address to itself is
// allowed: it is the usual way to keep a real mailbox from being caught
// by a catch-all of its own domain.
//
// The domains the aliases are in must also be listed in Postfix's
// virtual_alias_domains (or be virtual_mailbox_domains); this table does
// not declare them.
func VirtualMap(routes []Route) ([]byte, error) {
	type line struct{ from, to string }
	lines := make([]line, 0, len(routes))
	seen := make(map[string]bool, len(routes))
	for _, r := range routes {
		from, err := checkRouteEnd("alias", r.From, true)
		if err != nil {
			return nil, err
		}
		to, err := checkRouteEnd("destination", r.To, strings.HasPrefix(from, "@"))
		if err != nil {
			return nil, fmt.Errorf("alias %q: %w", r.From, err)
		}
		key := strings.ToLower(from)
		if seen[key] {
			return nil, fmt.Errorf("%w: duplicate alias %q", ErrInvalid, r.From)
		}
		seen[key] = true
		lines = append(lines, line{from, to})
	}
	slices.SortFunc(lines, func(a, b line) int { return strings.Compare(a.from, b.from) })
	var buf bytes.Buffer
	for _, l := range lines {
		buf.WriteString(l.from)
		buf.WriteByte(' ')
		buf.WriteString(l.to)
		buf.WriteByte('\n')
	}
	return buf.Bytes(), nil
}

// WriteAtomic writes data to path via a temp file in the same directory,
// fsync, chmod mode, rename; the directory is fsynced too.
//
// Readers see either the old file or the new one, never a partial write.
// The new file belongs to the calling process's user and group whatever
// the old one's were; mode is applied exactly, regardless of the umask.
// On error the temp file is removed and path is left untouched (unless
// only the final directory sync failed, which is reported but after the
// rename).
func WriteAtomic(path string, data []byte, mode os.FileMode) (err error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return fmt.Errorf("mailbox: write %s: %w", path, err)
	}
	tmp := f.Name()
	renamed := false
	defer func() {
		if err != nil && !renamed {
			f.Close() // may already be closed; the error is irrelevant then
			os.Remove(tmp)
		}
	}()
	if _, err = f.Write(data); err != nil {
		return fmt.Errorf("mailbox: write %s: %w", path, err)
	}
	if err = f.Chmod(mode); err != nil {
		return fmt.Errorf("mailbox: chmod %s: %w", path, err)
	}
	if err = f.Sync(); err != nil {
		return fmt.Errorf("mailbox: sync %s: %w", path, err)
	}
	if err = f.Close(); err != nil {
		return fmt.Errorf("mailbox: close %s: %w", path, err)
	}
	if err = os.Rename(tmp, path); err != nil {
		return fmt.Errorf("mailbox: rename %s: %w", path, err)
	}
	// The temp name is gone now; a failure below must not remove it.
	renamed = true
	d, err := os.Open(dir)
	if err != nil {
		return syncDirErr(path, err)
	}
	defer d.Close()
	if err = d.Sync(); err != nil {
		return syncDirErr(path, err)
	}
	return nil
}

func syncDirErr(path string, err error) error {
	return fmt.Errorf("mailbox: sync directory of %s (file was replaced): %w", path, err)
}
