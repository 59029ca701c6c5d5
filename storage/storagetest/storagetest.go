// Package storagetest is the conformance suite every storage.Store backend
// runs. It checks the rules of storage/doc.go and the method contracts of
// storage.Store from the outside, so a backend passing it can replace
// another without the DAV layer noticing.
//
// Where storage.go leaves a case open, the suite pins down one answer:
//
//   - A new collection has Seq 0; since 0 is the initial sync and is
//     valid at any Pruned, listing live members only. A truncated answer's
//     position must itself be a valid position (at least Pruned).
//   - Seq moves by one per member change: a MOVE within one collection is
//     two changes (the old name's tombstone, then the new name).
//   - Deleted entries in Changes carry no ETag.
//   - Transfer onto itself fails with ErrPreconditionFailed and changes
//     nothing; a missing source is ErrNotFound, checked before t.If.
//   - An empty UID is never a conflict (vCard 3 does not require one): a
//     member without one may be replaced by one with a UID.
//   - ListCollections of a missing account is ErrNotFound; an error from
//     a List or Walk callback stops the walk and matches with errors.Is.
//   - PruneChanges dates a change by the Modified its write gives the
//     object and the collection; a change written at the cutoff is not
//     before it. When the newest change before the cutoff was superseded
//     (the log keeps each name's latest change), Pruned may stop at the
//     change before it.
//   - WriteBatch fails with a *BatchError naming the first op that
//     fails, which wraps that op's own error; an op with neither Put nor
//     Delete fails (no sentinel required); an empty batch writes nothing
//     and succeeds. Every op bumps its collection's sequence once.
//   - FindUID of "" or of a UID nobody holds is empty, of a missing
//     account ErrNotFound. An object written without a ScheduleTag has
//     none, whatever it had before.
//   - An object written without a span (Span.Known false) reads back
//     with the zero Span; an open span reads back without an end.
//   - A Timeline reads back in whole seconds (starts and Until rounded
//     down, ends and From up), its periods sorted; an unknown one keeps
//     only Renew. Between may offer a period in parts (bolt splits them
//     by week), each inside the period and overlapping the range, such
//     that any range inside the query's overlaps the period exactly when
//     it overlaps an offered part; it offers each member whose periods
//     do not cover the range once as incomplete. An address book has no
//     timelines: every member is incomplete.
//   - ListLinks of a missing account is ErrNotFound, like
//     ListCollections. A link's empty component list reads back as nil
//     (both mean all components); a zero window (PastDays 0) stays set.
//   - ReplaceLink onto its own ID is ErrExists; onto another owner or
//     collection it fails (with no sentinel required) and changes nothing.
//   - Several FetchStats for one link in one AddFetches batch all count.
//   - Sharing a collection with its owner fails (with no sentinel
//     required). A grant's mount name is checked only on create; an
//     update ignores g.Mount, even an empty or taken one. GrantsOf and
//     GrantsTo of nothing are empty, not errors; PatchGrantProps leaves
//     the grant's Updated alone, and a grant's nil and empty Props are
//     the same.
//   - Account fields a caller leaves zero read back zero, an empty
//     RecoveryCodes as nil. AccountsByMobile matches exactly and finds
//     nothing for "".
//   - CreateAppPassword clears LastUsed and LastClient; TouchAppPassword
//     with a time before LastUsed changes nothing. DeleteAppPasswords,
//     DeleteSessions and DeleteTokens of a missing account are
//     ErrNotFound, of an account with none nil; DeleteTokens with an empty
//     purpose deletes every purpose.
//   - CreateSession and CreateToken refuse a zero Expires, CreateToken an
//     empty Purpose (with no sentinel required). A session or token
//     expiring before the call is accepted and then reads as missing;
//     DeleteSession of an expired session is ErrNotFound.
//   - OrganizationsOf and MailboxLinksOf of an unknown account are empty,
//     not errors; Members and MailServices of a missing organization,
//     Mailboxes of a missing service and MailboxLinksTo of a missing
//     mailbox are ErrNotFound. An alias domain repeating the service's
//     own domain, or a new mailbox's alias repeating its own name, is
//     ErrExists; repeated alias domains are merged. AddAlias with max 0
//     refuses every alias (ErrLimit); a taken alias is ErrExists even at
//     the limit. Aliases read back in the order added, link rights sorted
//     without duplicates; empty lists read back as nil.
//   - ImportJobsOf of an unknown account is empty, not an error; an
//     import job reads back field for field, a nil secret or folder list
//     as nil.
package storagetest

import (
	"bytes"
	"errors"
	"fmt"
	"testing"
	"time"

	"almanac/storage"
)

// Run runs the suite. newStore must return a new, empty store each call;
// it may be called from parallel subtests. Run closes every store it gets.
func Run(t *testing.T, newStore func(t *testing.T) storage.Store) {
	open := func(t *testing.T) storage.Store {
		t.Helper()
		s := newStore(t)
		t.Cleanup(func() {
			if err := s.Close(); err != nil {
				t.Errorf("Close: %v", err)
			}
		})
		return s
	}
	groups := []struct {
		name  string
		tests []test
	}{
		{"Accounts", accountTests},
		{"Collections", collectionTests},
		{"Objects", objectTests},
		{"Batch", batchTests},
		{"Changes", changeTests},
		{"Prune", pruneTests},
		{"Transfer", transferTests},
		{"MoveCollection", moveCollectionTests},
		{"Spans", spanTests},
		{"Timelines", timelineTests},
		{"Concurrency", concurrencyTests},
		{"Links", linkTests},
		{"Grants", grantTests},
		{"Security", securityTests},
		{"Mail", mailTests},
		{"Jobs", jobTests},
		{"MailEndpoints", mailEndpointTests},
		{"Scheduling", schedulingTests},
		{"Responders", responderTests},
	}
	for _, g := range groups {
		t.Run(g.name, func(t *testing.T) {
			for _, tc := range g.tests {
				t.Run(tc.name, func(t *testing.T) {
					t.Parallel()
					tc.fn(t, open(t))
				})
			}
		})
	}
}

type test struct {
	name string
	fn   func(t *testing.T, s storage.Store)
}

// ics returns a small but complete iCalendar object with CRLF line ends,
// as clients send them.
func ics(uid, summary string) []byte {
	return []byte("BEGIN:VCALENDAR\r\n" +
		"VERSION:2.0\r\n" +
		"PRODID:-//almanac//storagetest//EN\r\n" +
		"BEGIN:VEVENT\r\n" +
		"UID:" + uid + "\r\n" +
		"DTSTAMP:20260101T000000Z\r\n" +
		"DTSTART:20260105T090000Z\r\n" +
		"DTEND:20260105T100000Z\r\n" +
		"SUMMARY:" + summary + "\r\n" +
		"END:VEVENT\r\n" +
		"END:VCALENDAR\r\n")
}

// Preconditions in the shapes the DAV layer builds them.
func ifNoneMatchAny(exists bool, _ string) bool { return !exists }

func ifMatch(etag string) storage.Precondition {
	return func(exists bool, cur string) bool { return exists && cur == etag }
}

func wantErr(t *testing.T, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("err = %v, want %v", err, target)
	}
}

func ok(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func newAccount(t *testing.T, s storage.Store, login string) *storage.Account {
	t.Helper()
	a := &storage.Account{Login: login, DisplayName: login, PasswordHash: "$argon2id$v=19$m=65536,t=1,p=4$c2FsdA$aGFzaA"}
	ok(t, s.CreateAccount(t.Context(), a))
	return a
}

func newCollection(t *testing.T, s storage.Store, owner, name string, kind storage.Kind) *storage.Collection {
	t.Helper()
	c := &storage.Collection{Owner: owner, Name: name, Kind: kind}
	ok(t, s.CreateCollection(t.Context(), c))
	return c
}

// fixture is one account with one calendar, the starting point of most
// object tests.
type fixture struct {
	s     storage.Store
	owner string
	cal   string
}

func newFixture(t *testing.T, s storage.Store) *fixture {
	t.Helper()
	a := newAccount(t, s, "alice@example.org")
	newCollection(t, s, a.ID, "cal", storage.KindCalendar)
	return &fixture{s: s, owner: a.ID, cal: "cal"}
}

func (f *fixture) put(t *testing.T, coll, name, uid string, data []byte) *storage.ObjectMeta {
	t.Helper()
	m, _, err := f.s.Put(t.Context(), storage.PutObject{
		Owner: f.owner, Collection: coll, Name: name, UID: uid,
		Component: "VEVENT", ContentType: "text/calendar", Data: data,
	})
	if err != nil {
		t.Fatalf("Put %s/%s: %v", coll, name, err)
	}
	return m
}

func (f *fixture) del(t *testing.T, coll, name string) {
	t.Helper()
	if err := f.s.Delete(t.Context(), f.owner, coll, name, nil); err != nil {
		t.Fatalf("Delete %s/%s: %v", coll, name, err)
	}
}

func (f *fixture) coll(t *testing.T, name string) *storage.Collection {
	t.Helper()
	c, err := f.s.Collection(t.Context(), f.owner, name)
	if err != nil {
		t.Fatalf("Collection %s: %v", name, err)
	}
	return c
}

func (f *fixture) seq(t *testing.T, coll string) uint64 {
	t.Helper()
	return f.coll(t, coll).Seq
}

// wantData checks the stored bytes of name, or its absence when data is
// nil.
func (f *fixture) wantData(t *testing.T, coll, name string, data []byte) {
	t.Helper()
	o, err := f.s.Get(t.Context(), f.owner, coll, name)
	if data == nil {
		if !errors.Is(err, storage.ErrNotFound) {
			t.Fatalf("Get %s/%s: err = %v, want ErrNotFound", coll, name, err)
		}
		return
	}
	if err != nil {
		t.Fatalf("Get %s/%s: %v", coll, name, err)
	}
	if !bytes.Equal(o.Data, data) {
		t.Fatalf("Get %s/%s: data = %q, want %q", coll, name, o.Data, data)
	}
}

// changes returns the change log after since and fails on error.
func (f *fixture) changes(t *testing.T, coll string, since uint64, limit int) ([]storage.Change, uint64, bool) {
	t.Helper()
	c := f.coll(t, coll)
	ch, reached, truncated, err := f.s.Changes(t.Context(), f.owner, coll, c.Incarnation, since, limit)
	if err != nil {
		t.Fatalf("Changes(%s, since %d, limit %d): %v", coll, since, limit, err)
	}
	return ch, reached, truncated
}

func (f *fixture) names(t *testing.T, coll string) []string {
	t.Helper()
	var out []string
	ok(t, f.s.List(t.Context(), f.owner, coll, func(m *storage.ObjectMeta) error {
		out = append(out, m.Name)
		return nil
	}))
	return out
}

// fmtChanges renders a change list compactly for failure messages and
// comparisons: "name@seq" or "name@seq-" for a deletion.
func fmtChanges(ch []storage.Change) string {
	var b bytes.Buffer
	for i, c := range ch {
		if i > 0 {
			b.WriteByte(' ')
		}
		fmt.Fprintf(&b, "%s@%d", c.Name, c.Seq)
		if c.Deleted {
			b.WriteByte('-')
		}
	}
	return b.String()
}

// notBefore allows for backends that store timestamps at microsecond
// precision.
func notBefore(t *testing.T, what string, got, min time.Time) {
	t.Helper()
	if got.Before(min.Add(-time.Millisecond)) {
		t.Fatalf("%s = %v, want not before %v", what, got, min)
	}
}

// sameMeta compares metadata field by field, timestamps by instant, so a
// backend may hand back times in any location.
func sameMeta(a, b storage.ObjectMeta) bool {
	return a.Name == b.Name && a.UID == b.UID && a.Component == b.Component &&
		a.ContentType == b.ContentType && a.ETag == b.ETag && a.Size == b.Size &&
		a.Modified.Equal(b.Modified) && a.Seq == b.Seq && sameSpan(a.Span, b.Span) && a.ScheduleTag == b.ScheduleTag
}

// sameSpan compares spans by instant. An unknown span carries nothing
// else, and an open one no end.
func sameSpan(a, b storage.Span) bool {
	if a.Known != b.Known {
		return false
	}
	if !a.Known {
		return true
	}
	return a.Open == b.Open && a.Start.Equal(b.Start) && (a.Open || a.End.Equal(b.End))
}
