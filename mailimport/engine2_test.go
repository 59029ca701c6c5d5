package mailimport

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"

	"almanac/internal/tooltest"
	"almanac/storage"
)

func TestDecide(t *testing.T) {
	m := func(uid imap.UID, key string) *srcMsg { return &srcMsg{uid: uid, key: key} }
	msgs := []*srcMsg{m(1, "a"), m(2, "b"), m(3, "c"), m(4, "a"), m(5, "d"), m(6, "e"), m(7, "b")}
	f := &storage.ImportFolder{LastUID: 2}
	// b was appended by this job before a restart (it is accounted for
	// up to UID 2); d too, but not yet accounted; c was there before.
	present := map[string]int{"c": 1}
	ours := map[string]int{"b": 1, "d": 1}
	var got []string
	for _, a := range decide(f, msgs, present, ours) {
		got = append(got, fmt.Sprintf("%d:%d", a.m.uid, a.kind))
	}
	want := []string{
		fmt.Sprint("1:", int(actCounted)), fmt.Sprint("2:", int(actCounted)),
		fmt.Sprint("3:", int(actSkip)),  // there before
		fmt.Sprint("4:", int(actSkip)),  // a duplicate of 1 in the source
		fmt.Sprint("5:", int(actAdopt)), // appended before the restart
		fmt.Sprint("6:", int(actCopy)),
		fmt.Sprint("7:", int(actSkip)), // a duplicate of 2
	}
	if !slices.Equal(got, want) {
		t.Errorf("decide = %v, want %v", got, want)
	}
	if ours["b"] != 0 || ours["d"] != 0 {
		t.Errorf("ours left %v: each appended copy is claimed once", ours)
	}
}

func TestPick(t *testing.T) {
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	job := func(id, host, dest string) *storage.ImportJob {
		return &storage.ImportJob{ID: id, Service: "s", LocalPart: dest, State: storage.ImportQueued,
			Sources: []storage.ImportSource{{Host: host, State: storage.ImportQueued}}}
	}
	cfg := Config{Workers: 3, PerHost: 2}
	for _, tc := range []struct {
		name   string
		jobs   []*storage.ImportJob
		active []string
		start  []string
		finish []string
		next   time.Time
	}{
		{"per host", []*storage.ImportJob{job("a", "h1", "d1"), job("b", "H1", "d2"), job("c", "h1", "d3"), job("d", "h2", "d4")},
			nil, []string{"a", "b", "d"}, nil, time.Time{}},
		{"server-wide", []*storage.ImportJob{job("a", "h1", "d1"), job("b", "h2", "d2"), job("c", "h3", "d3"), job("d", "h4", "d4")},
			[]string{"b"}, []string{"a", "c"}, nil, time.Time{}},
		{"one per destination", []*storage.ImportJob{job("a", "h1", "d1"), job("b", "h2", "D1"), job("c", "h3", "d2")},
			[]string{"c"}, []string{"a"}, nil, time.Time{}},
		{"retry later", func() []*storage.ImportJob {
			a, b := job("a", "h1", "d1"), job("b", "h1", "d2")
			a.Sources[0].RetryAt = now.Add(time.Minute)
			b.Sources[0].RetryAt = now.Add(-time.Second)
			return []*storage.ImportJob{a, b}
		}(), nil, []string{"b"}, nil, now.Add(time.Minute)},
		{"cancelled and finished", func() []*storage.ImportJob {
			a, b, c := job("a", "h1", "d1"), job("b", "h1", "d2"), job("c", "h1", "d3")
			a.Cancel = true
			b.Sources[0].State = storage.ImportDone
			c.State = storage.ImportDone
			return []*storage.ImportJob{a, b, c}
		}(), nil, nil, []string{"a", "b"}, time.Time{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			active := map[string]bool{}
			for _, id := range tc.active {
				active[id] = true
			}
			d := pick(tc.jobs, active, cfg, now)
			var start []string
			for _, j := range d.start {
				start = append(start, j.ID)
			}
			if !slices.Equal(start, tc.start) || !slices.Equal(d.finish, tc.finish) || !d.next.Equal(tc.next) {
				t.Errorf("start %v finish %v next %v; want %v %v %v", start, d.finish, d.next, tc.start, tc.finish, tc.next)
			}
		})
	}
}

// TestResumeAdopts is the state a server killed mid-copy leaves: the
// destination folder's UIDNEXT was saved, two messages were appended
// after it, but the progress that counts them was not saved. The resumed
// job appends the rest, copies nothing twice and counts the two as
// copied, not as already there.
func TestResumeAdopts(t *testing.T) {
	src := newMemIMAP(t)
	src.user(t, srcUser, srcPassword)
	var msgs []testMsg
	for i := range 5 {
		msgs = append(msgs, testMsg{folder: "INBOX", body: message(fmt.Sprintf("r%d@x", i), fmt.Sprint("msg ", i)), date: day})
	}
	srcClient := imapClient(t, src.addr, srcUser, srcPassword)
	put(t, srcClient, msgs)
	w := newWorld(t, Config{})
	dst := imapClient(t, w.dst.addr, destAddress+"*"+master, masterPW)
	pre := testMsg{folder: "INBOX", body: message("pre@x", "there before"), date: day}
	put(t, dst, []testMsg{pre})
	st, err := dst.Status("INBOX", &imap.StatusOptions{UIDNext: true, UIDValidity: true}).Wait()
	if err != nil {
		t.Fatal(err)
	}
	put(t, dst, msgs[:2]) // appended by the killed server
	sst, err := srcClient.Status("INBOX", &imap.StatusOptions{UIDValidity: true}).Wait()
	if err != nil {
		t.Fatal(err)
	}

	ep := src.endpoint()
	j := &storage.ImportJob{ID: newID(), Owner: w.acc.ID, Service: "svc", LocalPart: "me", Destination: destAddress,
		State: storage.ImportRunning, Sources: []storage.ImportSource{{Address: srcUser, Host: ep.Host, Port: ep.Port,
			Security: ep.Security, State: storage.ImportRunning, Folders: []storage.ImportFolder{{Name: "INBOX", Destination: "INBOX",
				UIDValidity: sst.UIDValidity, DestUIDValidity: st.UIDValidity, DestUIDNext: uint32(st.UIDNext)}}}}}
	j.Sources[0].Secret = w.svc.seal.seal(j.ID, 0, srcPassword)
	if err := w.db.CreateImportJob(t.Context(), j); err != nil {
		t.Fatal(err)
	}
	w.svc.submit(t.Context(), j.ID)
	j = w.wait(j.ID, ended)
	f := j.Sources[0].Folders[0]
	if j.State != storage.ImportDone || f.Found != 5 || f.Copied != 5 || f.Skipped != 0 || f.Failed != 0 {
		t.Errorf("state %s, INBOX %+v; want done, 5 found, 5 copied", j.State, f)
	}
	got := contents(t, dst)["INBOX"]
	want := []string{pre.body}
	for _, m := range msgs {
		want = append(want, m.body)
	}
	slices.Sort(want)
	if !slices.Equal(bodies(got), want) {
		t.Errorf("destination INBOX has %d messages, want %d, each once:\n%v", len(got), len(want), got)
	}
}

// bigMessages are n messages of about size bytes each.
func bigMessages(n, size int, folder string) []testMsg {
	var out []testMsg
	for i := range n {
		body := message(fmt.Sprintf("big%d@x", i), fmt.Sprint("big ", i)) + strings.Repeat(fmt.Sprintf("line %d of a long message\r\n", i), size/30)
		out = append(out, testMsg{folder: folder, body: body, date: day.Add(time.Duration(i) * time.Minute)})
	}
	return out
}

// TestSourceDisconnects cuts the source's connection in the middle of a
// message. With no attempt left the job ends partly done, with its
// counts, and the message cut short is not at the destination, not even
// in part; with attempts left the next one completes the copy without a
// duplicate.
func TestSourceDisconnects(t *testing.T) {
	for _, tc := range []struct {
		name     string
		attempts int
	}{{"gives up", 1}, {"retries", 3}} {
		t.Run(tc.name, func(t *testing.T) {
			src := newMemIMAP(t)
			src.user(t, srcUser, srcPassword)
			msgs := bigMessages(20, 20000, "INBOX")
			put(t, imapClient(t, src.addr, srcUser, srcPassword), msgs)
			p := tooltest.NewProxy(t, "tcp", src.addr)
			p.CutAfter(200000) // in the middle of the tenth message or so
			w := newWorld(t, Config{MaxAttempts: tc.attempts, RetryBase: time.Millisecond})
			j := w.wait(w.start(sourceSpec{srcUser, srcPassword, Endpoint{Host: "127.0.0.1", Port: p.Port(), Security: SecurityNone}}).ID, ended)
			f := j.Sources[0].Folders[0]
			stored := contents(t, imapClient(t, w.dst.addr, destAddress+"*"+master, masterPW))["INBOX"]
			all := map[string]bool{}
			for _, m := range msgs {
				all[m.body] = true
			}
			seen := map[string]bool{}
			for _, m := range stored {
				if !all[m.body] {
					t.Fatalf("the destination holds a message that is not one of the source's (cut short?): %d bytes %q", len(m.body), m.body[:min(len(m.body), 2000)])
				}
				if seen[m.body] {
					t.Fatalf("the destination holds %q twice", firstLine(m.body))
				}
				seen[m.body] = true
			}
			if f.Copied != len(stored) {
				t.Errorf("copied %d, the destination holds %d", f.Copied, len(stored))
			}
			switch tc.attempts {
			case 1:
				if j.State != storage.ImportPartial || len(stored) == 0 || len(stored) == len(msgs) {
					t.Errorf("state %s with %d of %d copied; want partial", j.State, len(stored), len(msgs))
				}
				if s := j.Sources[0]; !strings.Contains(s.Error, "connection to 127.0.0.1") || !strings.Contains(s.Error, "gave up after 1 attempts") {
					t.Errorf("source error %q", s.Error)
				}
				mail := w.post.all()[0]
				if !strings.Contains(mail.Text, "not everything could be copied") || !strings.Contains(mail.Text, "was lost") {
					t.Errorf("confirmation:\n%s", mail.Text)
				}
			default:
				if j.State != storage.ImportDone || len(stored) != len(msgs) || f.Found != len(msgs) || f.Skipped != 0 {
					t.Errorf("state %s, %+v, %d stored; want done with all %d copied once", j.State, f, len(stored), len(msgs))
				}
				if j.Sources[0].Attempts != 1 {
					t.Errorf("attempts %d, want 1 failed", j.Sources[0].Attempts)
				}
			}
		})
	}
}

// TestStalledSourceDoesNotBlockOthers stalls one source mid-copy: another
// job, from another host, runs to its end meanwhile, and the stalled one
// can be cancelled, keeping what it copied and mailing that it was
// cancelled.
func TestStalledSourceDoesNotBlockOthers(t *testing.T) {
	src := newMemIMAP(t)
	src.user(t, srcUser, srcPassword)
	src.user(t, "bob@example.org", "bob-pw")
	put(t, imapClient(t, src.addr, srcUser, srcPassword), bigMessages(10, 20000, "INBOX"))
	put(t, imapClient(t, src.addr, "bob@example.org", "bob-pw"), bigMessages(3, 1000, "INBOX"))
	p := tooltest.NewProxy(t, "tcp", src.addr)
	p.StallAfter(100000)
	w := newWorld(t, Config{Workers: 2, PerHost: 1, IdleTimeout: time.Hour})
	w.dst.user(t, "other@domain.xyz*"+master, masterPW)
	stalled := w.start(sourceSpec{srcUser, srcPassword, Endpoint{Host: "127.0.0.1", Port: p.Port(), Security: SecurityNone}})
	w.wait(stalled.ID, func(j *storage.ImportJob) bool { return p.Stalled() })

	// Another host name for the same server: another host to the limits.
	other := &storage.ImportJob{Owner: w.acc.ID, Service: "svc", LocalPart: "other", Destination: "other@domain.xyz",
		Sources: []storage.ImportSource{{Address: "bob@example.org", Host: "localhost", Port: src.port, Security: SecurityNone}}}
	if err := w.svc.start(t.Context(), other, []string{"bob-pw"}); err != nil {
		t.Fatal(err)
	}
	done := w.wait(other.ID, ended)
	if done.State != storage.ImportDone || sourceTotals(done.Sources[0]).Copied != 3 {
		t.Fatalf("the other job: %s %+v", done.State, done.Sources[0])
	}
	if j, _ := w.db.ImportJob(t.Context(), stalled.ID); j.State != storage.ImportRunning {
		t.Fatalf("the stalled job is %s, want running", j.State)
	}

	if _, err := w.svc.cancel(t.Context(), stalled.ID); err != nil {
		t.Fatal(err)
	}
	j := w.wait(stalled.ID, ended)
	if j.State != storage.ImportCancelled || j.Sources[0].State != storage.ImportCancelled || j.Sources[0].Secret != nil {
		t.Errorf("after cancel: %s, source %s, secret kept %v", j.State, j.Sources[0].State, j.Sources[0].Secret != nil)
	}
	copied := sourceTotals(j.Sources[0]).Copied
	stored := contents(t, imapClient(t, w.dst.addr, destAddress+"*"+master, masterPW))["INBOX"]
	if copied == 0 || copied != len(stored) {
		t.Errorf("cancelled after %d copied, the destination holds %d", copied, len(stored))
	}
	var mail string
	for _, m := range w.post.all() {
		if m.To == destAddress {
			mail = m.Text
		}
	}
	if !strings.Contains(mail, "was cancelled. What was copied before stays") {
		t.Errorf("confirmation of the cancelled job:\n%s", mail)
	}
	if _, err := w.svc.cancel(t.Context(), stalled.ID); !errors.Is(err, errEnded) {
		t.Errorf("cancelling an ended job: %v, want errEnded", err)
	}
	p.Release()
}

// TestGmailFolders copies a mailbox laid out as Gmail's: labels are
// folders, [Gmail]/All Mail holds every message once more, Starred and
// Important are views. Each message arrives once: All Mail brings only
// what no label has, into the archive.
func TestGmailFolders(t *testing.T) {
	src := newMemIMAP(t)
	src.user(t, srcUser, srcPassword, "Work", "[Gmail]/All Mail", "[Gmail]/Sent Mail", "[Gmail]/Starred", "[Gmail]/Important")
	inbox, work, sent, archived := message("g1@x", "inbox"), message("g2@x", "work"), message("g3@x", "sent"), message("g4@x", "archived")
	put(t, imapClient(t, src.addr, srcUser, srcPassword), []testMsg{
		{folder: "INBOX", body: inbox, date: day},
		{folder: "Work", body: work, date: day},
		{folder: "[Gmail]/Sent Mail", body: sent, date: day},
		{folder: "[Gmail]/All Mail", body: inbox, date: day},
		{folder: "[Gmail]/All Mail", body: work, date: day},
		{folder: "[Gmail]/All Mail", body: sent, date: day},
		{folder: "[Gmail]/All Mail", body: archived, date: day},
		{folder: "[Gmail]/Starred", body: work, flags: []imap.Flag{imap.FlagFlagged}, date: day},
		{folder: "[Gmail]/Important", body: inbox, date: day},
	})
	w := newWorld(t, Config{})
	j := w.wait(w.start(sourceSpec{srcUser, srcPassword, src.endpoint()}).ID, ended)
	got := map[string][]string{}
	for name, msgs := range contents(t, imapClient(t, w.dst.addr, destAddress+"*"+master, masterPW)) {
		got[name] = bodies(msgs)
	}
	want := map[string][]string{"INBOX": {inbox}, "Work": {work}, "Sent": {sent}, "Archive": {archived}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("destination %v, want %v", got, want)
	}
	var all storage.ImportFolder
	for _, f := range j.Sources[0].Folders {
		if f.SpecialUse == useAll {
			all = f
		}
	}
	if all.Name != "[Gmail]/All Mail" || all.Found != 4 || all.Copied != 1 || all.Skipped != 3 {
		t.Errorf("All Mail: %+v; want 4 found, 1 copied, 3 skipped", all)
	}
}

// TestDestinationRefuses has the destination refuse one message: it is
// counted as not copied, named in the job and the mail in words, and
// the rest is copied.
func TestDestinationRefuses(t *testing.T) {
	src := newMemIMAP(t)
	src.user(t, srcUser, srcPassword)
	put(t, imapClient(t, src.addr, srcUser, srcPassword), []testMsg{
		{folder: "INBOX", body: message("ok1@x", "fine"), date: day},
		{folder: "INBOX", body: message("big@x", "holiday photos"), date: day},
		{folder: "INBOX", body: message("ok2@x", "fine too"), date: day},
	})
	w := newWorld(t, Config{})
	w.dst.refuse = func(body []byte) *imap.Error {
		if strings.Contains(string(body), "holiday photos") {
			return &imap.Error{Type: imap.StatusResponseTypeNo, Code: imap.ResponseCodeTooBig, Text: "too big"}
		}
		return nil
	}
	j := w.wait(w.start(sourceSpec{srcUser, srcPassword, src.endpoint()}).ID, ended)
	f := j.Sources[0].Folders[0]
	want := `the message "holiday photos" of 17 May 2023: it is larger than the destination accepts`
	if j.State != storage.ImportPartial || f.Copied != 2 || f.Failed != 1 || !slices.Equal(f.Errors, []string{want}) {
		t.Errorf("state %s, INBOX %+v", j.State, f)
	}
	if mail := w.post.all()[0].Text; !strings.Contains(mail, "In INBOX: "+want+".") {
		t.Errorf("confirmation:\n%s", mail)
	}
}
