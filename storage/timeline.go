package storage

import (
	"slices"
	"time"
)

// InSeconds is tl as every backend keeps it, before its own bounds:
// whole seconds, rounded so that nothing is claimed that was not given
// (starts and Until down, ends and From up; an end never before its
// start), periods in order of start. An unknown timeline keeps only
// Renew.
func (tl Timeline) InSeconds() Timeline {
	if !tl.Known {
		return Timeline{Renew: tl.Renew}
	}
	out := Timeline{Known: true, Tag: tl.Tag, Renew: tl.Renew}
	if !tl.From.IsZero() {
		out.From = ceilSecond(tl.From)
	}
	if !tl.Until.IsZero() {
		out.Until = time.Unix(tl.Until.Unix(), 0).UTC()
	}
	if len(tl.Periods) == 0 {
		return out
	}
	out.Periods = make([]Period, len(tl.Periods))
	for i, p := range tl.Periods {
		s, e := time.Unix(p.Start.Unix(), 0).UTC(), ceilSecond(p.End)
		if e.Before(s) {
			e = s
		}
		out.Periods[i] = Period{Start: s, End: e}
	}
	slices.SortStableFunc(out.Periods, func(a, b Period) int { return a.Start.Compare(b.Start) })
	return out
}

// CutAt keeps the periods before i and makes tl end where the first one
// left out begins, as a walk stopped there would (Until); such a
// timeline is not renewed, since renewing would cut it again.
func (tl *Timeline) CutAt(i int) {
	if i >= len(tl.Periods) {
		return
	}
	if cut := tl.Periods[i].Start; tl.Until.IsZero() || cut.Before(tl.Until) {
		tl.Until = cut
	}
	tl.Renew = false
	tl.Periods = tl.Periods[:i]
}

func ceilSecond(t time.Time) time.Time {
	s := t.Unix()
	if t.Nanosecond() != 0 {
		s++
	}
	return time.Unix(s, 0).UTC()
}

// PlainMember reports whether a member's name and ETag may go into an
// answer as they are: the name of unreserved URI characters (RFC 3986
// section 2.3: letters, digits, "-", ".", "_", "~"), so that an href
// built from it needs no percent-encoding, and the ETag of printable
// ASCII without "<", ">" and "&", so that it needs no XML escaping.
// Every ETag a store makes (ETagOf) is plain, and so are the names most
// clients pick (a UUID and ".ics"); a name with "@", a space or
// non-ASCII letters is not, and answers through the slower path that
// escapes it, as every name did before. TimeQuery.ETags is called
// only for such members: checking each byte of a week's thousands of
// hrefs and ETags while answering was a fifth of the query's cost, and
// a store can check once, when it writes the member.
func PlainMember[S ~string | ~[]byte](name, etag S) bool {
	if len(name) == 0 {
		return false
	}
	for i := 0; i < len(name); i++ {
		if !plainName[name[i]] {
			return false
		}
	}
	for i := 0; i < len(etag); i++ {
		if !plainETag[etag[i]] {
			return false
		}
	}
	return true
}

var plainName, plainETag = func() (name, etag [256]bool) {
	for c := range 256 {
		name[c] = 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~'
		etag[c] = 0x20 <= c && c < 0x7f && c != '<' && c != '>' && c != '&'
	}
	return name, etag
}()
