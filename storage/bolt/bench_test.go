package bolt

import (
	"fmt"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"almanac/storage"

	"go.etcd.io/bbolt"
)

// payload returns a realistic calendar object of about 1.9 KB: a
// recurring meeting with a time zone, attendees, a description and an
// alarm, as a desktop client would upload it.
func payload(uid string, i int) []byte {
	var b strings.Builder
	b.WriteString("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Apple Inc.//macOS 14.5//EN\r\nCALSCALE:GREGORIAN\r\n")
	b.WriteString("BEGIN:VTIMEZONE\r\nTZID:Europe/Berlin\r\nBEGIN:DAYLIGHT\r\nTZOFFSETFROM:+0100\r\nRRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU\r\n" +
		"DTSTART:19810329T020000\r\nTZNAME:CEST\r\nTZOFFSETTO:+0200\r\nEND:DAYLIGHT\r\nBEGIN:STANDARD\r\nTZOFFSETFROM:+0200\r\n" +
		"RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU\r\nDTSTART:19961027T030000\r\nTZNAME:CET\r\nTZOFFSETTO:+0100\r\nEND:STANDARD\r\nEND:VTIMEZONE\r\n")
	fmt.Fprintf(&b, "BEGIN:VEVENT\r\nUID:%s\r\nDTSTAMP:20260301T101500Z\r\nCREATED:20260301T101500Z\r\nLAST-MODIFIED:20260301T101500Z\r\nSEQUENCE:%d\r\n", uid, i%7)
	fmt.Fprintf(&b, "DTSTART;TZID=Europe/Berlin:202603%02dT%02d0000\r\nDTEND;TZID=Europe/Berlin:202603%02dT%02d3000\r\n", 1+i%28, 8+i%9, 1+i%28, 8+i%9)
	b.WriteString("RRULE:FREQ=WEEKLY;BYDAY=MO,WE;UNTIL=20261231T235959Z\r\nEXDATE;TZID=Europe/Berlin:20260406T090000\r\n")
	fmt.Fprintf(&b, "SUMMARY:Project sync #%d – planning and review\r\nLOCATION:Room 4.12\\, Building B\r\n", i)
	b.WriteString("DESCRIPTION:Agenda:\\n1. Status of the current milestone\\n2. Open issues and\r\n  blockers\\n3. Planning for the next iteration\\n4. Any other business\\n\\nP\r\n lease bring your notes. The dial-in details are in the invitation.\r\n")
	b.WriteString("ORGANIZER;CN=Alice Example:mailto:alice@example.org\r\n")
	for _, who := range []string{"bob", "carol", "dave", "erin"} {
		fmt.Fprintf(&b, "ATTENDEE;CN=%s;CUTYPE=INDIVIDUAL;PARTSTAT=NEEDS-ACTION;ROLE=REQ-PARTICIPANT;RSVP=TRUE:mailto:%s@example.org\r\n", who, who)
	}
	fmt.Fprintf(&b, "URL:https://meet.example.org/j/%010d\r\nX-APPLE-TRAVEL-ADVISORY-BEHAVIOR:AUTOMATIC\r\n", i)
	b.WriteString("CATEGORIES:Work,Meetings\r\nTRANSP:OPAQUE\r\nSTATUS:CONFIRMED\r\nCLASS:PUBLIC\r\n")
	b.WriteString("BEGIN:VALARM\r\nACTION:DISPLAY\r\nDESCRIPTION:Reminder\r\nTRIGGER:-PT15M\r\nUID:" + uid + "-alarm\r\nEND:VALARM\r\n")
	b.WriteString("END:VEVENT\r\nEND:VCALENDAR\r\n")
	return []byte(b.String())
}

func TestPayloadSize(t *testing.T) {
	if n := len(payload("0123456789abcdef0123456789abcdef", 123)); n < 1800 || n > 2000 {
		t.Fatalf("benchmark payload is %d bytes, want about 1.9 KB", n)
	}
}

type benchEnv struct {
	db    *DB
	owner string
}

func openBench(b *testing.B) *benchEnv {
	b.Helper()
	db, err := Open(b.TempDir()+"/almanac.db", Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	a := &storage.Account{Login: "bench@example.org"}
	if err := db.CreateAccount(b.Context(), a); err != nil {
		b.Fatal(err)
	}
	if err := db.CreateCollection(b.Context(), &storage.Collection{Owner: a.ID, Name: "cal", Kind: storage.KindCalendar}); err != nil {
		b.Fatal(err)
	}
	return &benchEnv{db: db, owner: a.ID}
}

// fill stores n objects in one transaction, bypassing per-write fsyncs so
// setting up 10,000 objects takes a moment rather than a minute.
func (e *benchEnv) fill(b *testing.B, n int) {
	b.Helper()
	now := time.Now().UTC()
	err := e.db.bdb.Update(func(tx *bbolt.Tx) error {
		c, err := loadColl(tx, e.owner, "cal")
		if err != nil {
			return err
		}
		for i := range n {
			uid := fmt.Sprintf("%08d-bench", i)
			data := payload(uid, i)
			m := &storage.ObjectMeta{
				Name: uid + ".ics", UID: uid, Component: "VEVENT", ContentType: "text/calendar",
				ETag: storage.ETagOf(data), Size: int64(len(data)),
			}
			if err := c.put(m, data, nil, now); err != nil {
				return err
			}
			// As a PUT whose writer could not list the instances: every
			// calendar member has a timeline, known or not (Check).
			if err := c.putTimeline(m.Name, m.ETag, storage.Timeline{}); err != nil {
				return err
			}
		}
		return c.save()
	})
	if err != nil {
		b.Fatal(err)
	}
}

func (e *benchEnv) put(b *testing.B, i int) *storage.ObjectMeta {
	uid := fmt.Sprintf("%08d-bench", i)
	m, _, err := e.db.Put(b.Context(), storage.PutObject{
		Owner: e.owner, Collection: "cal", Name: uid + ".ics", UID: uid,
		Component: "VEVENT", ContentType: "text/calendar", Data: payload(uid, i),
	})
	if err != nil {
		b.Fatal(err)
	}
	return m
}

// reportCommits adds how many writes shared each fsync.
func (e *benchEnv) reportCommits(b *testing.B, writes int) {
	if n := e.db.commit.commits.Load(); n > 0 {
		b.ReportMetric(float64(writes)/float64(n), "writes/commit")
	}
}

func BenchmarkPut(b *testing.B) {
	e := openBench(b)
	b.SetBytes(int64(len(payload("00000000-bench", 0))))
	i := 0
	for b.Loop() {
		e.put(b, i)
		i++
	}
	e.reportCommits(b, i)
}

// BenchmarkPutParallel8 runs eight writers, the number of concurrent PUTs
// a syncing client plus a few others produce; group commit lets them share
// fsyncs.
func BenchmarkPutParallel8(b *testing.B) {
	e := openBench(b)
	b.SetBytes(int64(len(payload("00000000-bench", 0))))
	procs := runtime.GOMAXPROCS(0)
	b.SetParallelism((8 + procs - 1) / procs)
	var next atomic.Int64
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			e.put(b, int(next.Add(1)))
		}
	})
	e.reportCommits(b, int(next.Load()))
}

func BenchmarkList10k(b *testing.B) {
	e := openBench(b)
	e.fill(b, 10_000)
	for b.Loop() {
		n := 0
		err := e.db.List(b.Context(), e.owner, "cal", func(*storage.ObjectMeta) error { n++; return nil })
		if err != nil || n != 10_000 {
			b.Fatalf("List: %d, %v", n, err)
		}
	}
}

// BenchmarkChanges10 measures an incremental sync that finds ten changes;
// its cost must not grow with the collection.
func BenchmarkChanges10(b *testing.B) {
	for _, size := range []int{1_000, 10_000} {
		b.Run(fmt.Sprint(size), func(b *testing.B) {
			e := openBench(b)
			e.fill(b, size)
			c, err := e.db.Collection(b.Context(), e.owner, "cal")
			if err != nil {
				b.Fatal(err)
			}
			for i := range 10 {
				e.put(b, i*size/10) // overwrite spread-out members
			}
			for b.Loop() {
				ch, _, _, err := e.db.Changes(b.Context(), e.owner, "cal", c.Incarnation, c.Seq, 0)
				if err != nil || len(ch) != 10 {
					b.Fatalf("Changes: %d, %v", len(ch), err)
				}
			}
		})
	}
}

func BenchmarkGet(b *testing.B) {
	e := openBench(b)
	const size = 10_000
	e.fill(b, size)
	i := 0
	for b.Loop() {
		name := fmt.Sprintf("%08d-bench.ics", (i*7919)%size)
		if _, err := e.db.Get(b.Context(), e.owner, "cal", name); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

func BenchmarkWalk10k(b *testing.B) {
	e := openBench(b)
	e.fill(b, 10_000)
	for b.Loop() {
		n := 0
		err := e.db.Walk(b.Context(), e.owner, "cal", func(*storage.Object) error { n++; return nil })
		if err != nil || n != 10_000 {
			b.Fatalf("Walk: %d, %v", n, err)
		}
	}
}

// BenchmarkMoveCollection renames a collection back and forth; since the
// member buckets are re-parented, not copied, its cost must not grow with
// the collection.
func BenchmarkMoveCollection(b *testing.B) {
	for _, size := range []int{10, 10_000} {
		b.Run(fmt.Sprint(size), func(b *testing.B) {
			e := openBench(b)
			e.fill(b, size)
			names := [2]string{"cal", "renamed"}
			i := 0
			for b.Loop() {
				if _, err := e.db.MoveCollection(b.Context(), e.owner, names[i%2], names[(i+1)%2], false); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
	}
}
