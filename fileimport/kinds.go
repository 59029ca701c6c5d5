package fileimport

import (
	"crypto/sha256"
	"encoding/base32"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"almanac/internal/contentline"
	aical "almanac/internal/ical"
	"almanac/internal/vcard"
	"almanac/storage"
)

// kind is what differs between importing calendars and address books.
type kind struct {
	storage    storage.Kind
	noun       string // "calendar"
	objects    string // what the file holds, plural: "calendar objects"
	format     string // "iCalendar"
	aFile      string // "an iCalendar file", for "the file is not ..."
	mediaTypes []string
	ext        string // of member names
	// ignored is the property whose value exports set to the time of
	// the export, left out when contents are compared (same).
	ignored string
	split   func([]byte, limits) (*split, error)
}

// limits bound what a split makes of a file (aical.SplitLimits).
type limits struct {
	objects int
	bytes   int64
}

var (
	calendars = &kind{storage: storage.KindCalendar, noun: "calendar", objects: "calendar objects", format: "iCalendar", aFile: "an iCalendar file",
		mediaTypes: []string{"text/calendar"}, ext: ".ics", ignored: "DTSTAMP", split: splitCalendar}
	addressBooks = &kind{storage: storage.KindAddressBook, noun: "address book", objects: "vCards", format: "vCard", aFile: "a vCard file",
		mediaTypes: []string{"text/vcard", "text/x-vcard", "text/directory"}, ext: ".vcf", ignored: "REV", split: splitCards}
)

// split is a file cut into objects, of either kind.
type split struct {
	parts      []part
	refused    []refused
	duplicates int
}

type part struct {
	line      int
	uid       string
	assigned  bool
	component string
	data      []byte
}

type refused struct {
	line           int
	uid, component string
	reason         string
}

func splitCalendar(data []byte, lim limits) (*split, error) {
	res, err := aical.SplitWithin(data, aical.SplitLimits{MaxObjects: lim.objects, MaxBytes: lim.bytes})
	var le *aical.SplitLimitError
	switch {
	case errors.As(err, &le) && le.Objects > 0:
		return nil, &tooManyError{le.Objects}
	case errors.As(err, &le):
		return nil, &tooLargeError{le.MaxBytes}
	case err != nil:
		return nil, err
	}
	sp := &split{duplicates: res.Duplicates}
	for _, p := range res.Parts {
		sp.parts = append(sp.parts, part{line: p.Line, uid: p.UID, assigned: p.UIDAssigned, component: p.Component, data: p.Data})
	}
	for _, r := range res.Refused {
		sp.refused = append(sp.refused, refused{line: r.Line, uid: r.UID, component: r.Component, reason: r.Reason})
	}
	return sp, nil
}

// splitCards needs no byte limit: a card is its own bytes, with a UID
// line at most.
func splitCards(data []byte, lim limits) (*split, error) {
	res, err := vcard.Split(data)
	if err != nil {
		return nil, err
	}
	if n := len(res.Parts) + len(res.Refused); n > lim.objects {
		return nil, &tooManyError{n}
	}
	sp := &split{duplicates: res.Duplicates}
	for _, p := range res.Parts {
		sp.parts = append(sp.parts, part{line: p.Line, uid: p.UID, assigned: p.UIDAssigned, component: "VCARD", data: p.Data})
	}
	for _, r := range res.Refused {
		sp.refused = append(sp.refused, refused{line: r.Line, uid: r.UID, component: "VCARD", reason: r.Reason})
	}
	return sp, nil
}

// same reports whether two objects say the same: their content lines,
// unfolded, match one for one, blank lines and k.ignored left out. So
// a file exported again, where only DTSTAMP (REV) moved, or that an
// editor refolded, changes nothing.
func (k *kind) same(a, b []byte) bool {
	ra, rb := contentline.NewReader(string(a)), contentline.NewReader(string(b))
	next := func(r *contentline.Reader) (string, bool) {
		for {
			l, _, ok := r.Next()
			if !ok {
				return "", false
			}
			if strings.TrimSpace(l) == "" || k.isIgnored(l) {
				continue
			}
			return l, true
		}
	}
	for {
		la, oka := next(ra)
		lb, okb := next(rb)
		if oka != okb || la != lb {
			return false
		}
		if !oka {
			return true
		}
	}
}

func (k *kind) isIgnored(line string) bool {
	name := line
	if i := strings.IndexAny(line, ";:"); i >= 0 {
		name = line[:i]
	}
	if dot := strings.IndexByte(name, '.'); dot >= 0 {
		name = name[dot+1:]
	}
	return strings.EqualFold(name, k.ignored)
}

// maxNameUID is the longest UID used as a member name as it is.
const maxNameUID = 100

// memberName names a new member of UID uid: the UID itself when it is a
// safe path segment of letters, digits and ".-_@" (what clients name
// their members after too), else a hash of it (26 base32 characters),
// either with ext. A name taken (by a member of another UID) moves on to
// the hash, then to a number after it.
func memberName(uid, ext string, taken map[string]bool) string {
	if safeName(uid) && !taken[uid+ext] {
		return uid + ext
	}
	sum := sha256.Sum256([]byte(uid))
	base := strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(sum[:16]))
	name := base + ext
	for n := 2; taken[name]; n++ {
		name = base + "-" + strconv.Itoa(n) + ext
	}
	return name
}

func safeName(uid string) bool {
	if uid == "" || len(uid) > maxNameUID || uid[0] == '.' || strings.Contains(uid, "..") {
		return false
	}
	for i := 0; i < len(uid); i++ {
		c := uid[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '-' || c == '_' || c == '@') {
			return false
		}
	}
	return true
}

// tooManyError is a file of more objects than an import takes.
type tooManyError struct{ n int }

func (e *tooManyError) Error() string { return fmt.Sprintf("fileimport: %d objects", e.n) }

// tooLargeError is a file whose objects come to more bytes than an
// import takes.
type tooLargeError struct{ max int64 }

func (e *tooLargeError) Error() string {
	return fmt.Sprintf("fileimport: objects over %d bytes", e.max)
}
