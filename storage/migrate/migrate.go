// Package migrate moves a store from the bbolt backend to PostgreSQL
// (almanac migrate) so that no client notices: every record is copied as
// stored, then both stores are read back through storage.Store and
// compared.
//
// # Copy
//
// bolt's Export reads every record, decoded, in one read transaction;
// postgres's Load writes them as rows by COPY in one transaction that
// commits at the end. Copying through the Store methods instead would
// stamp new times, counters and incarnations: every sync token would
// fail, every client would download everything again. A failed run
// leaves the target as it was (nothing committed), so the remedy for any
// failure is to run it again; a target that holds anything is refused,
// a finished migration by name (store_meta).
//
// # Verification
//
// Verify reads both stores through the storage interfaces, never the
// rows just written, and compares per kind of record a count and a
// SHA-256 over every record: accounts with their secrets, collections
// (counter, Pruned, incarnation, properties), each object's bytes, ETag
// and metadata, each calendar member's timeline, each change log from
// Pruned on (the entries an incremental sync can be given), links with
// their statistics, grants, app passwords, sessions, organizations,
// members, mail services, mailboxes, mailbox links, import jobs,
// responders, templates and sending addresses. Records are hashed one by
// one and the sorted hashes hashed again, so the order a backend lists
// in does not matter. Times are compared to the microsecond: PostgreSQL's
// timestamptz keeps that much of the times the store stamps itself
// (Created, Modified), as it does for its own writes; what clients see
// of them (Last-Modified, whole seconds) is unchanged, and caller-given
// instants (expiries, last uses) keep their nanoseconds in both. A few
// records have no reading method that leaves them in place: tokens are
// compared by count (TakeToken consumes them), and sessions by looking
// up, in both stores, every session the source holds.
package migrate

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"sync"
	"time"

	"almanac/storage"
	"almanac/storage/bolt"
	"almanac/storage/postgres"
)

// Copy loads everything of src into the empty database of dst, naming
// source (the bbolt file) in store_meta, and returns the rows written
// per table.
func Copy(ctx context.Context, src *bolt.DB, dst *postgres.Store, source string) (postgres.LoadStats, error) {
	stats, err := dst.Load(ctx, source, func(sink storage.Sink) error { return src.Export(ctx, sink) })
	if err != nil {
		return nil, fmt.Errorf("migrate: %w", err)
	}
	return stats, nil
}

// Line is one kind of record compared by Verify.
type Line struct {
	Kind                 string
	Source, Target       int64
	SourceSum, TargetSum string // hex SHA-256; "" where only counts are compared
}

// Equal reports whether both sides agree.
func (l Line) Equal() bool { return l.Source == l.Target && l.SourceSum == l.TargetSum }

// Report is what Verify found, kind by kind.
type Report []Line

// Mismatches returns the kinds whose counts or sums differ.
func (r Report) Mismatches() []string {
	var out []string
	for _, l := range r {
		if !l.Equal() {
			out = append(out, l.Kind)
		}
	}
	return out
}

// Verify compares src and dst through the storage interfaces.
func Verify(ctx context.Context, src *bolt.DB, dst *postgres.Store) (Report, error) {
	// The sessions and tokens of the source, from a read of its own.
	var c exportCounter
	if err := src.Export(ctx, &c); err != nil {
		return nil, fmt.Errorf("migrate: verify: read source: %w", err)
	}
	// The two sides are read at once: one waits on bbolt's pages, the
	// other on PostgreSQL.
	var a digests
	var errA error
	done := make(chan struct{})
	go func() {
		defer close(done)
		a, errA = digest(ctx, src, c.sessions)
	}()
	b, err := digest(ctx, dst, c.sessions)
	<-done
	if errA != nil {
		return nil, fmt.Errorf("migrate: verify: source: %w", errA)
	}
	if err != nil {
		return nil, fmt.Errorf("migrate: verify: target: %w", err)
	}
	var r Report
	for _, k := range kinds {
		r = append(r, Line{Kind: k, Source: a.kind(k).n, Target: b.kind(k).n, SourceSum: a.kind(k).sum(), TargetSum: b.kind(k).sum()})
	}
	tokens, err := dst.CountRows(ctx, "tokens")
	if err != nil {
		return nil, fmt.Errorf("migrate: verify: target: %w", err)
	}
	r = append(r, Line{Kind: "tokens", Source: c.tokens, Target: tokens})
	return r, nil
}

// kinds are the kinds of record digest compares, in the order reported.
var kinds = []string{"accounts", "collections", "objects", "timelines", "changes", "links", "grants", "app passwords",
	"sessions", "organizations", "members", "mail services", "mailboxes", "mailbox links", "import jobs",
	"responder templates", "responders", "sending addresses"}

type sums struct {
	n      int64
	hashes [][sha256.Size]byte
}

func (s *sums) sum() string {
	slices.SortFunc(s.hashes, func(a, b [sha256.Size]byte) int { return slices.Compare(a[:], b[:]) })
	h := sha256.New()
	for _, x := range s.hashes {
		h.Write(x[:])
	}
	return hex.EncodeToString(h.Sum(nil))
}

type digests map[string]*sums

func (d digests) kind(kind string) *sums {
	s := d[kind]
	if s == nil {
		s = &sums{}
		d[kind] = s
	}
	return s
}

// add hashes the record parts v (normalized, as JSON) under kind.
func (d digests) add(kind string, v ...any) error {
	s := d.kind(kind)
	for i := range v {
		v[i] = normalize(v[i])
	}
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	s.n++
	s.hashes = append(s.hashes, sha256.Sum256(b))
	return nil
}

// digest reads every record of st through its storage interfaces.
func digest(ctx context.Context, st storage.Store, sessions []string) (digests, error) {
	d := digests{}
	accounts, err := st.ListAccounts(ctx)
	if err != nil {
		return nil, err
	}
	orgs := map[string]bool{}
	for _, a := range accounts {
		if err := d.add("accounts", a); err != nil {
			return nil, err
		}
		if err := digestCollections(ctx, st, d, a.ID); err != nil {
			return nil, err
		}
		links, err := st.ListLinks(ctx, a.ID)
		if err != nil {
			return nil, err
		}
		for _, l := range links {
			if err := d.add("links", l); err != nil {
				return nil, err
			}
		}
		if err := each(ctx, d, "grants", a.ID, st.GrantsTo); err != nil {
			return nil, err
		}
		if err := each(ctx, d, "app passwords", a.ID, st.AppPasswords); err != nil {
			return nil, err
		}
		if err := each(ctx, d, "mailbox links", a.ID, st.MailboxLinksOf); err != nil {
			return nil, err
		}
		if err := each(ctx, d, "import jobs", a.ID, st.ImportJobsOf); err != nil {
			return nil, err
		}
		if err := each(ctx, d, "sending addresses", a.ID, st.SendingAddresses); err != nil {
			return nil, err
		}
		of, err := st.OrganizationsOf(ctx, a.ID)
		if err != nil {
			return nil, err
		}
		for _, o := range of {
			if orgs[o.ID] {
				continue
			}
			orgs[o.ID] = true
			if err := d.add("organizations", o); err != nil {
				return nil, err
			}
			if err := each(ctx, d, "members", o.ID, st.Members); err != nil {
				return nil, err
			}
		}
	}
	services, mailboxes, err := st.MailExport(ctx)
	if err != nil {
		return nil, err
	}
	for _, s := range services {
		if err := d.add("mail services", s); err != nil {
			return nil, err
		}
		if err := each(ctx, d, "responder templates", s.ID, st.ResponderTemplates); err != nil {
			return nil, err
		}
		for _, m := range mailboxes[s.ID] {
			if err := d.add("mailboxes", m); err != nil {
				return nil, err
			}
			rs, err := st.Responders(ctx, s.ID, m.LocalPart)
			if err != nil {
				return nil, err
			}
			for _, r := range rs {
				if err := d.add("responders", r); err != nil {
					return nil, err
				}
			}
		}
	}
	for _, id := range sessions {
		s, err := st.Session(ctx, id)
		if errors.Is(err, storage.ErrNotFound) {
			// Expired meanwhile: gone for clients on either side.
			continue
		}
		if err != nil {
			return nil, err
		}
		if err := d.add("sessions", s); err != nil {
			return nil, err
		}
	}
	return d, nil
}

func each[T any](ctx context.Context, d digests, kind, key string, list func(context.Context, string) ([]T, error)) error {
	vs, err := list(ctx, key)
	if err != nil {
		return err
	}
	for _, v := range vs {
		if err := d.add(kind, v); err != nil {
			return err
		}
	}
	return nil
}

func digestCollections(ctx context.Context, st storage.Store, d digests, owner string) error {
	colls, err := st.ListCollections(ctx, owner)
	if err != nil {
		return err
	}
	for _, c := range colls {
		if err := d.add("collections", c); err != nil {
			return err
		}
		var names []string
		err := st.Walk(ctx, owner, c.Name, func(o *storage.Object) error {
			names = append(names, o.Name)
			sum := sha256.Sum256(o.Data)
			return d.add("objects", owner, c.Name, o.ObjectMeta, sum[:])
		})
		if err != nil {
			return err
		}
		if c.Kind == storage.KindCalendar {
			if err := digestTimelines(ctx, st, d, owner, c.Name, names); err != nil {
				return err
			}
		}
		// The log an incremental sync can be given: every position from
		// Pruned on must answer alike, and each answer is a suffix of
		// this one.
		changes, reached, _, err := st.Changes(ctx, owner, c.Name, c.Incarnation, c.Pruned, 0)
		if err != nil {
			return err
		}
		for _, ch := range changes {
			if err := d.add("changes", owner, c.Name, ch, reached); err != nil {
				return err
			}
		}
	}
	return nil
}

// timelineReaders is how many timelines digestTimelines reads at once:
// one read is a transaction of its own, a few round trips to a
// database server, and there is one per calendar member.
const timelineReaders = 4

// digestTimelines adds the timelines of the members names of a calendar.
func digestTimelines(ctx context.Context, st storage.Store, d digests, owner, coll string, names []string) error {
	work := make(chan string)
	var (
		mu       sync.Mutex
		firstErr error
		wg       sync.WaitGroup
	)
	for range timelineReaders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := range work {
				tl, err := st.Timeline(ctx, owner, coll, n)
				mu.Lock()
				if err == nil {
					err = d.add("timelines", owner, coll, n, tl)
				}
				if err != nil && firstErr == nil {
					firstErr = err
				}
				mu.Unlock()
			}
		}()
	}
	for _, n := range names {
		mu.Lock()
		failed := firstErr != nil
		mu.Unlock()
		if failed {
			break
		}
		work <- n
	}
	close(work)
	wg.Wait()
	return firstErr
}

// normalize returns v with every time in UTC truncated to the
// microsecond and empty slices and maps as nil, so that two backends'
// readings of one record marshal alike.
func normalize(v any) any {
	rv := reflect.ValueOf(v)
	out := reflect.New(rv.Type()).Elem()
	out.Set(rv)
	norm(out)
	return out.Interface()
}

var timeType = reflect.TypeFor[time.Time]()

func norm(v reflect.Value) {
	if v.Type() == timeType {
		t := v.Interface().(time.Time)
		if !t.IsZero() {
			t = t.UTC().Truncate(time.Microsecond)
		}
		v.Set(reflect.ValueOf(t))
		return
	}
	switch v.Kind() {
	case reflect.Pointer:
		if !v.IsNil() {
			c := reflect.New(v.Type().Elem())
			c.Elem().Set(v.Elem())
			norm(c.Elem())
			v.Set(c)
		}
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				norm(v.Field(i))
			}
		}
	case reflect.Slice:
		if v.Len() == 0 {
			v.Set(reflect.Zero(v.Type()))
			return
		}
		c := reflect.MakeSlice(v.Type(), v.Len(), v.Len())
		reflect.Copy(c, v)
		for i := range c.Len() {
			norm(c.Index(i))
		}
		v.Set(c)
	case reflect.Map:
		if v.Len() == 0 {
			v.Set(reflect.Zero(v.Type()))
		}
	}
}

// exportCounter is a storage.Sink that remembers what Verify cannot
// read back through the Store methods without changing it.
type exportCounter struct {
	sessions []string
	tokens   int64
}

func (c *exportCounter) Account(*storage.Account) error                 { return nil }
func (c *exportCounter) Collection(*storage.Collection) error           { return nil }
func (c *exportCounter) Object(*storage.Object, storage.Timeline) error { return nil }
func (c *exportCounter) Change(storage.LoggedChange) error              { return nil }
func (c *exportCounter) Link(*storage.Link) error                       { return nil }
func (c *exportCounter) Grant(*storage.Grant) error                     { return nil }
func (c *exportCounter) AppPassword(*storage.AppPassword) error         { return nil }
func (c *exportCounter) Session(s *storage.Session) error {
	c.sessions = append(c.sessions, s.ID)
	return nil
}
func (c *exportCounter) Token(*storage.Token) error                         { c.tokens++; return nil }
func (c *exportCounter) Organization(*storage.Organization) error           { return nil }
func (c *exportCounter) Member(storage.Member) error                        { return nil }
func (c *exportCounter) MailService(*storage.MailService) error             { return nil }
func (c *exportCounter) Mailbox(*storage.Mailbox) error                     { return nil }
func (c *exportCounter) MailboxLink(*storage.MailboxLink) error             { return nil }
func (c *exportCounter) ImportJob(*storage.ImportJob) error                 { return nil }
func (c *exportCounter) ResponderTemplate(*storage.ResponderTemplate) error { return nil }
func (c *exportCounter) Responder(*storage.Responder) error                 { return nil }
func (c *exportCounter) SendingAddress(*storage.SendingAddress) error       { return nil }
