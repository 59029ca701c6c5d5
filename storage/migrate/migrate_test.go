package migrate

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"almanac/internal/pgtest"
	"almanac/storage"
	"almanac/storage/bolt"
	"almanac/storage/postgres"
	"almanac/storage/storagetest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

func ok(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// source is a bbolt store with one record of every kind: storagetest's
// Populate, and what it leaves out (responders, templates, sending
// addresses, a schedule tag, fetch statistics, 2FA state, a used app
// password).
func source(t *testing.T) (*bolt.DB, *storagetest.Population) {
	t.Helper()
	return sourceAt(t, filepath.Join(t.TempDir(), "almanac.db"))
}

// sourceAt is source in the file at path.
func sourceAt(t *testing.T, path string) (*bolt.DB, *storagetest.Population) {
	t.Helper()
	db, err := bolt.Open(path, bolt.Options{})
	ok(t, err)
	t.Cleanup(func() { db.Close() })
	p := storagetest.Populate(t, db)
	ctx := t.Context()
	_, err = db.ModifyAccount(ctx, p.Jane, func(a *storage.Account) error {
		a.TOTPSecret, a.TOTPEnabled, a.TOTPLastStep = "JBSWY3DPEHPK3PXP", true, 12345
		a.RecoveryCodes = []string{"code-1", "code-2"}
		a.PasswordChanged = time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC)
		a.RecoveryEmail, a.Mobile = "jane@example.net", "+33612345678"
		return nil
	})
	ok(t, err)
	ok(t, db.TouchAppPassword(ctx, p.AppPassword, time.Date(2026, 2, 3, 4, 5, 6, 7, time.UTC), "DAVx5"))
	ok(t, db.AddFetches(ctx, []storage.FetchStat{{ID: p.Link, Count: 42, Last: time.Date(2026, 3, 4, 5, 6, 7, 8, time.UTC), UserAgent: "Thunderbird"}}))
	_, _, err = db.Put(ctx, storage.PutObject{Owner: p.Jane, Collection: p.Calendar, Name: "tagged.ics", UID: "uid-tagged",
		Component: "VEVENT", ContentType: "text/calendar", ScheduleTag: `"s-1"`, Data: []byte("BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n"),
		Span: storage.Span{Known: true, Start: time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC), Open: true}})
	ok(t, err)
	ok(t, db.CreateResponderTemplate(ctx, &storage.ResponderTemplate{Service: p.Service, Default: true,
		ResponderSettings: storage.ResponderSettings{Name: "holiday", Text: "Away.", TimeZone: "Europe/Paris", Weekdays: []time.Weekday{time.Monday}}}, -1))
	ok(t, db.CreateResponders(ctx, []storage.Responder{{Service: p.Service, LocalPart: p.Mailbox, Active: true,
		ResponderSettings: storage.ResponderSettings{Name: "away", Text: "Back soon.", TimeZone: "UTC", Exclusions: []string{"@spam.example"}}}}, -1))
	ok(t, db.PutSendingAddress(ctx, &storage.SendingAddress{Account: p.Jane, Address: "Jane@Example.net", CodeHash: "h",
		CodeExpires: time.Now().Add(time.Hour)}, -1))
	return db, p
}

func target(t *testing.T) *postgres.Store {
	t.Helper()
	s, err := postgres.Open(context.Background(), pgtest.SchemaURL(t), postgres.Options{MaxConns: 4})
	ok(t, err)
	t.Cleanup(func() { s.Close() })
	return s
}

// Everything arrives as the source has it: Verify finds every kind
// equal, and what clients see through the Store methods is the same on
// both sides, down to what an incremental sync from an old token gets.
func TestCopy(t *testing.T) {
	ctx := t.Context()
	src, p := source(t)
	dst := target(t)
	stats, err := Copy(ctx, src, dst, "test.db")
	ok(t, err)
	if stats["objects"] != int64(p.Objects+1) || stats["accounts"] != int64(p.Accounts) {
		t.Errorf("copied %v", stats)
	}
	report, err := Verify(ctx, src, dst)
	ok(t, err)
	if bad := report.Mismatches(); len(bad) > 0 {
		t.Fatalf("mismatches %v in %+v", bad, report)
	}
	for _, l := range report {
		if l.Source == 0 {
			t.Errorf("the fixture has no %s: nothing compared", l.Kind)
		}
	}

	// Sync tokens: every position from Pruned on answers alike.
	c, err := src.Collection(ctx, p.Jane, p.Calendar)
	ok(t, err)
	c2, err := dst.Collection(ctx, p.Jane, p.Calendar)
	ok(t, err)
	if c.Seq != c2.Seq || c.Incarnation != c2.Incarnation || c.Pruned != c2.Pruned || !c.Modified.Truncate(time.Microsecond).Equal(c2.Modified) {
		t.Fatalf("collection %+v became %+v", c, c2)
	}
	for since := c.Pruned; since <= c.Seq; since++ {
		a, ra, _, err := src.Changes(ctx, p.Jane, p.Calendar, c.Incarnation, since, 0)
		ok(t, err)
		b, rb, _, err := dst.Changes(ctx, p.Jane, p.Calendar, c.Incarnation, since, 0)
		ok(t, err)
		if !reflect.DeepEqual(a, b) || ra != rb {
			t.Errorf("Changes since %d: %v %d, then %v %d", since, a, ra, b, rb)
		}
	}
	if c.Pruned > 0 {
		_, _, _, err := dst.Changes(ctx, p.Jane, p.Calendar, c.Incarnation, c.Pruned-1, 0)
		if !errors.Is(err, storage.ErrInvalidSyncToken) {
			t.Errorf("a token below Pruned: %v", err)
		}
	}
	// Objects: bytes, ETag, schedule tag, Modified to the microsecond.
	for _, name := range []string{"a.ics", "tagged.ics"} {
		a, err := src.Get(ctx, p.Jane, p.Calendar, name)
		ok(t, err)
		b, err := dst.Get(ctx, p.Jane, p.Calendar, name)
		ok(t, err)
		if a.ETag != b.ETag || string(a.Data) != string(b.Data) || a.ScheduleTag != b.ScheduleTag || a.Seq != b.Seq ||
			!a.Modified.Truncate(time.Microsecond).Equal(b.Modified) || a.Span != b.Span {
			t.Errorf("%s: %+v became %+v", name, a.ObjectMeta, b.ObjectMeta)
		}
	}
	// The public link resolves with its statistics and version.
	l, err := dst.Link(ctx, p.Link)
	ok(t, err)
	if l.Fetches != 42 || l.LastUserAgent != "Thunderbird" || l.Version != 1 || l.Collection != p.Linked {
		t.Errorf("link %+v", l)
	}
	// Time index: the timeline with its periods answers Between.
	tl, err := dst.Timeline(ctx, p.Jane, p.Calendar, "e.ics")
	ok(t, err)
	if !tl.Known || len(tl.Periods) != 2 || !tl.Renew {
		t.Errorf("timeline of e.ics: %+v", tl)
	}
	// Mail: aliases in the order added, the address resolves.
	_, m, alias, err := dst.ResolveAddress(ctx, "help@example.net")
	ok(t, err)
	if !alias || m.LocalPart != "Info" || !slices.Equal(m.Aliases, []string{p.Alias, "help"}) {
		t.Errorf("ResolveAddress: %+v alias %v", m, alias)
	}
	// The session and the token work.
	if _, err := dst.Session(ctx, "session-hash"); err != nil {
		t.Error(err)
	}
	if _, err := dst.TakeToken(ctx, "token-hash", "password-reset"); err != nil {
		t.Error(err)
	}
	// The target's own check finds nothing wrong.
	var problems []storage.Problem
	_, err = dst.Check(ctx, func(p storage.Problem) { problems = append(problems, p) })
	ok(t, err)
	if len(problems) > 0 {
		t.Errorf("Check: %v", problems)
	}
	// The change records keep the times they were written: pruning at
	// the same cutoff forgets the same history on both sides.
	f, err := src.Stat(ctx, p.Jane, p.Calendar, "f.ics")
	ok(t, err)
	cutoff := f.Modified.Truncate(time.Microsecond)
	ps, err := src.PruneChanges(ctx, cutoff)
	ok(t, err)
	pd, err := dst.PruneChanges(ctx, cutoff)
	ok(t, err)
	if ps != pd || ps.Tombstones == 0 {
		t.Errorf("PruneChanges: %+v on the source, %+v on the target", ps, pd)
	}
	c, err = src.Collection(ctx, p.Jane, p.Calendar)
	ok(t, err)
	c2, err = dst.Collection(ctx, p.Jane, p.Calendar)
	ok(t, err)
	if c.Pruned != c2.Pruned {
		t.Errorf("pruned up to %d on the source, %d on the target", c.Pruned, c2.Pruned)
	}
	// And the store goes on: a write continues the counter.
	meta, _, err := dst.Put(ctx, storage.PutObject{Owner: p.Jane, Collection: p.Calendar, Name: "new.ics", UID: "uid-new",
		Component: "VEVENT", ContentType: "text/calendar", Data: []byte("x")})
	ok(t, err)
	if meta.Seq != c.Seq+1 {
		t.Errorf("next write got seq %d after %d", meta.Seq, c.Seq)
	}
}

// Verify compares what the stores hold, not what was written: a
// difference made afterwards on either side is reported by kind.
func TestVerifyFindsDifferences(t *testing.T) {
	ctx := t.Context()
	src, p := source(t)
	dst := target(t)
	_, err := Copy(ctx, src, dst, "test.db")
	ok(t, err)
	_, _, err = dst.Put(ctx, storage.PutObject{Owner: p.Jane, Collection: p.Contacts, Name: "card.vcf", UID: "card-1",
		Component: "VCARD", ContentType: "text/vcard", Data: []byte("changed")})
	ok(t, err)
	ok(t, src.DeleteSession(ctx, "session-hash"))
	_, err = dst.TakeToken(ctx, "token-hash", "password-reset")
	ok(t, err)
	report, err := Verify(ctx, src, dst)
	ok(t, err)
	if got, want := report.Mismatches(), []string{"collections", "objects", "changes", "tokens"}; !slices.Equal(got, want) {
		t.Errorf("mismatches %v, want %v", got, want)
	}
}

// A target holding anything is refused, and says what it holds.
func TestCopyRefusesNonEmptyTarget(t *testing.T) {
	ctx := t.Context()
	src, _ := source(t)

	dst := target(t)
	ok(t, dst.CreateAccount(ctx, &storage.Account{ID: "someone", Login: "someone@example.org"}))
	_, err := Copy(ctx, src, dst, "test.db")
	if !errors.Is(err, postgres.ErrNotEmpty) || !strings.Contains(err.Error(), "table accounts has rows") {
		t.Errorf("into a used database: %v", err)
	}

	dst = target(t)
	_, err = Copy(ctx, src, dst, "first.db")
	ok(t, err)
	_, err = Copy(ctx, src, dst, "second.db")
	if !errors.Is(err, postgres.ErrNotEmpty) || !strings.Contains(err.Error(), "already holds the data migrated from first.db at ") {
		t.Errorf("a second run: %v", err)
	}
}

// failingSink passes records on until the n-th object, which fails.
type failingSink struct {
	storage.Sink
	n int
}

var errInjected = errors.New("injected failure")

func (f *failingSink) Object(o *storage.Object, tl storage.Timeline) error {
	if f.n--; f.n == 0 {
		return errInjected
	}
	return f.Sink.Object(o, tl)
}

// A run that fails half-way leaves nothing behind, so running it again
// is the whole remedy. The source is open read-only, as almanac migrate
// opens it.
func TestCopyAfterFailure(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "almanac.db")
	rw, _ := sourceAt(t, path)
	ok(t, rw.Close())
	src, err := bolt.Open(path, bolt.Options{ReadOnly: true})
	ok(t, err)
	t.Cleanup(func() { src.Close() })
	dst := target(t)
	_, err = dst.Load(ctx, "test.db", func(sink storage.Sink) error { return src.Export(ctx, &failingSink{Sink: sink, n: 5}) })
	if !errors.Is(err, errInjected) {
		t.Fatalf("Load: %v", err)
	}
	for _, table := range []string{"accounts", "collections", "objects", "store_meta"} {
		n, err := dst.CountRows(ctx, table)
		ok(t, err)
		if n != 0 {
			t.Errorf("after the failure %s has %d rows", table, n)
		}
	}
	_, err = Copy(ctx, src, dst, "test.db")
	ok(t, err)
	report, err := Verify(ctx, src, dst)
	ok(t, err)
	if bad := report.Mismatches(); len(bad) > 0 {
		t.Fatalf("mismatches %v", bad)
	}
}
