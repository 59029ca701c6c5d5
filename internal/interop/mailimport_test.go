package interop

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"mime/quotedprintable"
	"net/http"
	"net/mail"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"almanac/mailbox"
	"almanac/server/servertest"
	"almanac/storage"
	"almanac/storage/bolt"
)

const (
	importSource   = "anna@example.org"
	importSourcePW = "anna-password"
	importMaster   = "almanac"
	importSecret   = "master-secret-of-the-test"
	importOwner    = "owner@example.org"
)

// importMsg is a message of the source mailbox.
type importMsg struct {
	folder string
	body   string
	flags  []imap.Flag
	date   time.Time
}

// importMailbox is the source of TestMailImportDovecot: several hundred
// messages in nested folders ("Work/Projects" itself does not exist: a
// ghost parent on the source), the special-use folders under Outlook's
// names, flags and keywords, a message without Message-ID, one with a
// 3 MB attachment and one filed in two folders.
func importMailbox() []importMsg {
	day := time.Date(2024, 3, 1, 9, 0, 0, 0, time.UTC)
	var out []importMsg
	n := 0
	add := func(folder string, count int, flags func(i int) []imap.Flag) {
		for i := range count {
			n++
			body := fmt.Sprintf("Message-ID: <m%d.%d@example.org>\r\n"+
				"Received: from mx.example.org by imap.example.org; Fri, 1 Mar 2024 09:%02d:00 +0000\r\n"+
				"From: someone%d@example.net\r\nTo: %s\r\nSubject: %s message %d\r\n"+
				"Date: Fri, 1 Mar 2024 09:00:00 +0000\r\n\r\n%s", n, i, i%60, i, importSource, folder, i,
				strings.Repeat(fmt.Sprintf("Line of message %d in %s.\r\n", i, folder), 10+i%40))
			var f []imap.Flag
			if flags != nil {
				f = flags(i)
			}
			out = append(out, importMsg{folder: folder, body: body, flags: f, date: day.Add(time.Duration(n) * time.Minute)})
		}
	}
	seenSome := func(i int) []imap.Flag {
		var f []imap.Flag
		if i%3 != 0 {
			f = append(f, imap.FlagSeen)
		}
		if i%7 == 0 {
			f = append(f, imap.FlagFlagged)
		}
		if i%11 == 0 {
			f = append(f, imap.FlagAnswered, "$Work")
		}
		return f
	}
	add("INBOX", 260, seenSome)
	add("Sent Items", 40, func(int) []imap.Flag { return []imap.Flag{imap.FlagSeen} })
	add("Drafts", 5, func(int) []imap.Flag { return []imap.Flag{imap.FlagDraft} })
	add("Deleted Items", 10, func(int) []imap.Flag { return []imap.Flag{imap.FlagSeen} })
	add("Junk Email", 10, nil)
	add("Archive", 20, seenSome)
	add("Work", 10, seenSome)
	add("Work/Projects/2024", 60, seenSome)
	noID := "Received: from mx.example.org by imap.example.org; Fri, 1 Mar 2024 10:00:00 +0000\r\n" +
		"From: printer@example.net\r\nSubject: scan without a Message-ID\r\n\r\nScanned.\r\n"
	out = append(out, importMsg{folder: "INBOX", body: noID, flags: []imap.Flag{imap.FlagSeen}, date: day.Add(-time.Hour)})
	attachment := make([]byte, 3<<20)
	for i := range attachment {
		attachment[i] = byte(i * 7)
	}
	enc := base64.StdEncoding.EncodeToString(attachment)
	var wrapped strings.Builder
	for len(enc) > 76 {
		wrapped.WriteString(enc[:76] + "\r\n")
		enc = enc[76:]
	}
	wrapped.WriteString(enc + "\r\n")
	big := "Message-ID: <photos@example.org>\r\n" +
		"Received: from mx.example.org by imap.example.org; Fri, 1 Mar 2024 11:00:00 +0000\r\n" +
		"From: friend@example.net\r\nSubject: holiday photos\r\nMIME-Version: 1.0\r\n" +
		"Content-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n--b1\r\nContent-Type: text/plain\r\n\r\nThe photos.\r\n" +
		"--b1\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n" +
		"Content-Disposition: attachment; filename=\"photos.bin\"\r\n\r\n" + wrapped.String() + "--b1--\r\n"
	out = append(out, importMsg{folder: "INBOX", body: big, flags: []imap.Flag{imap.FlagSeen, imap.FlagFlagged}, date: day.Add(-2 * time.Hour)})
	// Filed twice: it belongs in both folders, once each.
	out = append(out, importMsg{folder: "Archive", body: out[0].body, flags: out[0].flags, date: out[0].date})
	return out
}

// importFolders maps the source's folders to where they go.
var importFolders = map[string]string{
	"INBOX": "INBOX", "Sent Items": "Sent", "Drafts": "Drafts", "Deleted Items": "Trash", "Junk Email": "Junk",
	"Archive": "Archive", "Work": "Work", "Work/Projects/2024": "Work.Projects.2024",
}

// fill appends msgs through c, creating their folders.
func fill(t testing.TB, c *imapclient.Client, msgs []importMsg) {
	t.Helper()
	created := map[string]bool{"INBOX": true, "Sent Items": true, "Drafts": true, "Deleted Items": true, "Junk Email": true, "Archive": true}
	for _, m := range msgs {
		if !created[m.folder] {
			if err := c.Create(m.folder, nil).Wait(); err != nil {
				t.Fatalf("create %s: %v", m.folder, err)
			}
			created[m.folder] = true
		}
		cmd := c.Append(m.folder, int64(len(m.body)), &imap.AppendOptions{Flags: m.flags, Time: m.date})
		io.WriteString(cmd, m.body)
		if err := cmd.Close(); err != nil {
			t.Fatal(err)
		}
		if _, err := cmd.Wait(); err != nil {
			t.Fatalf("append to %s: %v", m.folder, err)
		}
	}
}

// describeMsg is a message as the comparison sees it: its content's
// hash, its flags (sorted, no \Recent) and its internal date.
func describeMsg(body []byte, flags []imap.Flag, date time.Time) string {
	var fs []string
	for _, f := range flags {
		if f != `\Recent` {
			fs = append(fs, string(f))
		}
	}
	slices.Sort(fs)
	sum := sha256.Sum256(body)
	return fmt.Sprintf("%s %v %s", hex.EncodeToString(sum[:8]), fs, date.UTC().Format(time.RFC3339))
}

// want is what the destination must hold: per folder, each message once.
func wantFolders(msgs []importMsg) map[string][]string {
	out := map[string][]string{"Work.Projects": {}}
	for _, f := range importFolders {
		out[f] = []string{}
	}
	for _, m := range msgs {
		d := importFolders[m.folder]
		out[d] = append(out[d], describeMsg([]byte(m.body), m.flags, m.date))
	}
	for _, v := range out {
		slices.Sort(v)
	}
	return out
}

// folderContents reads every selectable folder through c.
func folderContents(t testing.TB, c *imapclient.Client) map[string][]string {
	t.Helper()
	list, err := c.List("", "*", nil).Collect()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]string{}
	for _, l := range list {
		if slices.Contains(l.Attrs, imap.MailboxAttrNoSelect) || slices.Contains(l.Attrs, imap.MailboxAttrNonExistent) {
			t.Errorf("folder %s is a ghost (%v)", l.Mailbox, l.Attrs)
			continue
		}
		sel, err := c.Select(l.Mailbox, &imap.SelectOptions{ReadOnly: true}).Wait()
		if err != nil {
			t.Fatalf("select %s: %v", l.Mailbox, err)
		}
		out[l.Mailbox] = []string{}
		if sel.NumMessages == 0 {
			continue
		}
		cmd := c.Fetch(imap.SeqSet{{Start: 1, Stop: 0}}, &imap.FetchOptions{Flags: true, InternalDate: true,
			BodySection: []*imap.FetchItemBodySection{{Peek: true}}})
		msgs, err := cmd.Collect()
		if err != nil {
			t.Fatalf("fetch %s: %v", l.Mailbox, err)
		}
		for _, m := range msgs {
			out[l.Mailbox] = append(out[l.Mailbox], describeMsg(m.BodySection[0].Bytes, m.Flags, m.InternalDate))
		}
		slices.Sort(out[l.Mailbox])
	}
	return out
}

// countMessages counts the messages in every folder through c.
func countMessages(t testing.TB, c *imapclient.Client) int {
	t.Helper()
	list, err := c.List("", "*", nil).Collect()
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, l := range list {
		st, err := c.Status(l.Mailbox, &imap.StatusOptions{NumMessages: true}).Wait()
		if err == nil {
			n += int(*st.NumMessages)
		}
	}
	return n
}

// diffFolders says how got differs from want, folder by folder.
func diffFolders(got, want map[string][]string) string {
	var b strings.Builder
	var names []string
	for n := range want {
		names = append(names, n)
	}
	for n := range got {
		if _, ok := want[n]; !ok {
			names = append(names, n)
		}
	}
	slices.Sort(names)
	for _, n := range names {
		g, w := got[n], want[n]
		if slices.Equal(g, w) {
			continue
		}
		missing, extra := multisetDiff(w, g), multisetDiff(g, w)
		fmt.Fprintf(&b, "%s: %d messages, want %d; missing %v; extra (or twice) %v\n", n, len(g), len(w), missing, extra)
	}
	return b.String()
}

func multisetDiff(a, b []string) []string {
	count := map[string]int{}
	for _, x := range b {
		count[x]++
	}
	var out []string
	for _, x := range a {
		if count[x] > 0 {
			count[x]--
			continue
		}
		out = append(out, x)
	}
	if len(out) > 5 {
		out = append(out[:5], fmt.Sprintf("... %d in all", len(out)))
	}
	return out
}

// almanacProc is almanac serve running as a process of its own.
type almanacProc struct {
	cmd  *exec.Cmd
	url  string
	logs *lockedBuffer
	done chan error
}

var listeningAddr = regexp.MustCompile(`almanac listening.* addr=(\S+)`)

// startAlmanac runs bin serve on data with imports into dst.
func startAlmanac(t *testing.T, bin, data string, dst *dovecot) *almanacProc {
	t.Helper()
	cmd := exec.Command(bin, "serve", "-listen", "127.0.0.1:0", "-data", data,
		"-import-imap-host", "127.0.0.1", "-import-imap-port", fmt.Sprint(dst.port()), "-import-imap-security", "none",
		"-import-master-user", importMaster, "-import-allow-private")
	cmd.Env = cleanEnv(t.TempDir())
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	p := &almanacProc{cmd: cmd, logs: &lockedBuffer{}, done: make(chan error, 1)}
	cmd.Stdout = p.logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			p.logs.Write([]byte(sc.Text() + "\n"))
			if m := listeningAddr.FindStringSubmatch(sc.Text()); m != nil {
				found <- m[1]
			}
		}
		p.done <- cmd.Wait()
	}()
	t.Cleanup(func() {
		p.kill()
		if t.Failed() {
			t.Logf("almanac log:\n%s", p.logs.String())
		}
	})
	select {
	case addr := <-found:
		p.url = "http://" + addr
	case err := <-p.done:
		p.done <- err
		t.Fatalf("almanac serve exited: %v\n%s", err, p.logs.String())
	}
	return p
}

// kill ends the process at once, as a crash or an OOM kill would.
func (p *almanacProc) kill() {
	if p.cmd.ProcessState != nil {
		return
	}
	syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
	err := <-p.done
	p.done <- err
}

func (p *almanacProc) do(t *testing.T, method, path, contentType, body string) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, p.url+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.SetBasicAuth(importOwner, servertest.Password)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, data
}

// importJob is the part of GET /api/v1/imports/{id} the test reads.
type importJob struct {
	ID        string `json:"id"`
	State     string `json:"state"`
	Confirmed bool   `json:"confirmation_sent"`
	Totals    struct {
		Found, Copied, Skipped, Failed int
	} `json:"totals"`
	Sources []struct {
		Error   string `json:"error"`
		Folders []struct {
			Name                           string
			Destination                    string
			Found, Copied, Skipped, Failed int
		} `json:"folders"`
	} `json:"sources"`
}

func (p *almanacProc) start(t *testing.T, destination, password string) (int, importJob, string) {
	t.Helper()
	body := fmt.Sprintf(`{"sources": [{"address": %q, "password": %q, "imap_host": "127.0.0.1", "imap_port": %d, "imap_security": "none"}], "destination": %q}`,
		importSource, password, srcPort, destination)
	code, data := p.do(t, http.MethodPost, "/api/v1/imports", "application/json", body)
	var j importJob
	json.Unmarshal(data, &j)
	return code, j, string(data)
}

// srcPort is the source Dovecot's port during the test.
var srcPort int

// wait polls job id until it ended and its confirmation went out; the
// test's deadline bounds it.
func (p *almanacProc) wait(t *testing.T, id string) importJob {
	t.Helper()
	for {
		code, data := p.do(t, http.MethodGet, "/api/v1/imports/"+id, "", "")
		if code != http.StatusOK {
			t.Fatalf("GET import: %d %s", code, data)
		}
		var j importJob
		if err := json.Unmarshal(data, &j); err != nil {
			t.Fatal(err)
		}
		switch j.State {
		case "done", "partial", "failed", "cancelled":
			if j.Confirmed {
				return j
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// prepareData makes the database almanac serve starts on: the owner,
// who owns the Mail Service of domain.xyz with the mailboxes me and me2,
// both linked to the owner.
func prepareData(t *testing.T, data string) {
	t.Helper()
	if err := os.MkdirAll(data, 0o700); err != nil {
		t.Fatal(err)
	}
	db, err := bolt.Open(filepath.Join(data, "almanac.db"), bolt.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	owner := servertest.Account(t, db, importOwner)
	org, err := mailbox.CreateOrganization(ctx, db, "Domain", owner.ID)
	if err != nil {
		t.Fatal(err)
	}
	svc := &storage.MailService{Org: org.ID, Domain: "domain.xyz", Plan: mailbox.PlanStandard}
	if err := db.CreateMailService(ctx, svc); err != nil {
		t.Fatal(err)
	}
	for _, local := range []string{"me", "me2"} {
		if err := db.CreateMailbox(ctx, &storage.Mailbox{Service: svc.ID, LocalPart: local, PasswordHash: servertest.PasswordHash(t)}); err != nil {
			t.Fatal(err)
		}
		if err := db.PutMailboxLink(ctx, &storage.MailboxLink{Service: svc.ID, LocalPart: local, Account: owner.ID,
			Rights: []string{storage.RightPassword}}); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(data, "import-master.secret"), []byte(importSecret+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
}

// outbox reads the mails almanac wrote to DATA/outbox: recipient ->
// subject and text.
func outbox(t *testing.T, data string) map[string][]string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(data, "outbox", "*.eml"))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]string{}
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		m, err := mail.ReadMessage(strings.NewReader(string(raw)))
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		text, err := io.ReadAll(quotedprintable.NewReader(m.Body))
		if err != nil {
			t.Fatal(err)
		}
		to, _ := mail.ParseAddress(m.Header.Get("To"))
		subject, _ := new(mime.WordDecoder).DecodeHeader(m.Header.Get("Subject"))
		out[to.Address] = append(out[to.Address], subject+"\n"+string(text))
	}
	return out
}

// TestMailImportDovecot imports a real Dovecot mailbox into another
// Dovecot, the way almanac's mailboxes are served, through almanac serve
// run as a process: everything arrives once with its flags and dates,
// in the mapped folders with no ghost parent; a second import copies
// nothing and counts everything as skipped; a third, into an empty
// mailbox, survives almanac being killed in the middle; the
// confirmation mails give the counts.
func TestMailImportDovecot(t *testing.T) {
	src := startDovecot(t, dovecotSpec{sep: "/", users: map[string]string{importSource: importSourcePW},
		specials: [][2]string{{"Sent Items", `\Sent`}, {"Drafts", `\Drafts`}, {"Deleted Items", `\Trash`},
			{"Junk Email", `\Junk`}, {"Archive", `\Archive`}}})
	dst := startDovecot(t, dovecotSpec{sep: ".", users: map[string]string{"me@domain.xyz": "x", "me2@domain.xyz": "x"},
		master: importMaster, masterSecret: importSecret,
		specials: [][2]string{{"Sent", `\Sent`}, {"Drafts", `\Drafts`}, {"Trash", `\Trash`}, {"Junk", `\Junk`}, {"Archive", `\Archive`}}})
	srcPort = src.port()
	msgs := importMailbox()
	fill(t, src.client(t, importSource, importSourcePW), msgs)
	want := wantFolders(msgs)

	work := t.TempDir()
	bin := filepath.Join(work, "almanac")
	buildAlmanac(t, bin)
	data := filepath.Join(work, "data")
	prepareData(t, data)
	app := startAlmanac(t, bin, data, dst)

	// A wrong password is refused at once, and no job is made.
	code, _, body := app.start(t, "me@domain.xyz", "wrong")
	if code != http.StatusBadRequest || !strings.Contains(body, "source_login_failed") {
		t.Fatalf("wrong source password: %d %s", code, body)
	}
	if _, list := app.do(t, http.MethodGet, "/api/v1/imports", "", ""); !strings.Contains(string(list), `"imports":[]`) {
		t.Fatalf("a refused import left a job: %s", list)
	}

	// The import.
	code, j, body := app.start(t, "me@domain.xyz", importSourcePW)
	if code != http.StatusAccepted {
		t.Fatalf("POST /api/v1/imports: %d %s", code, body)
	}
	j = app.wait(t, j.ID)
	if j.State != "done" || j.Totals.Found != len(msgs) || j.Totals.Copied != len(msgs) || j.Totals.Skipped != 0 || j.Totals.Failed != 0 {
		t.Fatalf("first import: %+v, want done with %d copied", j, len(msgs))
	}
	me := dst.client(t, "me@domain.xyz*"+importMaster, importSecret)
	if d := diffFolders(folderContents(t, me), want); d != "" {
		t.Fatalf("after the first import:\n%s", d)
	}

	// Again: nothing new.
	_, again, body := app.start(t, "me@domain.xyz", importSourcePW)
	if again.ID == "" {
		t.Fatalf("second import: %s", body)
	}
	again = app.wait(t, again.ID)
	if again.State != "done" || again.Totals.Copied != 0 || again.Totals.Skipped != len(msgs) {
		t.Fatalf("second import: %+v, want done with all %d skipped", again.Totals, len(msgs))
	}
	if d := diffFolders(folderContents(t, me), want); d != "" {
		t.Fatalf("after the second import:\n%s", d)
	}

	// A third into me2, killed in the middle: the source stalls after
	// 200 kB, once messages were appended almanac is killed, and a new
	// almanac on the same data finishes the job.
	src.proxy.StallAfter(200 << 10)
	_, third, body := app.start(t, "me2@domain.xyz", importSourcePW)
	if third.ID == "" {
		t.Fatalf("third import: %s", body)
	}
	me2 := dst.client(t, "me2@domain.xyz*"+importMaster, importSecret)
	for !src.proxy.Stalled() {
		time.Sleep(10 * time.Millisecond)
	}
	for countMessages(t, me2) == 0 {
		time.Sleep(10 * time.Millisecond)
	}
	app.kill()
	if n := countMessages(t, me2); n >= len(msgs) {
		t.Fatalf("almanac was killed after it copied all %d messages, not in the middle", n)
	} else {
		t.Logf("almanac killed with %d of %d messages copied", n, len(msgs))
	}
	src.proxy.Release()
	app = startAlmanac(t, bin, data, dst)
	third = app.wait(t, third.ID)
	if third.State != "done" || third.Totals.Copied != len(msgs) || third.Totals.Found != len(msgs) || third.Totals.Skipped != 0 {
		t.Errorf("the import killed in the middle: %+v, want done with %d copied", third.Totals, len(msgs))
	}
	if d := diffFolders(folderContents(t, me2), want); d != "" {
		t.Fatalf("after the killed import resumed:\n%s", d)
	}

	// The confirmations: one per import to the source and to the
	// destination.
	mails := outbox(t, data)
	if len(mails[importSource]) != 3 || len(mails["me@domain.xyz"]) != 2 || len(mails["me2@domain.xyz"]) != 1 {
		t.Fatalf("confirmation mails: %d to the source, %d to me, %d to me2; want 3, 2, 1", len(mails[importSource]), len(mails["me@domain.xyz"]), len(mails["me2@domain.xyz"]))
	}
	first := mails["me@domain.xyz"]
	slices.Sort(first)
	for _, want := range []string{"Your mail import into me@domain.xyz is complete", "has been copied into me@domain.xyz",
		fmt.Sprintf("%d messages copied in all", len(msgs)), "Work/Projects/2024", "Sent Items"} {
		if !strings.Contains(strings.Join(first, "\n"), want) {
			t.Errorf("the confirmations to me lack %q:\n%s", want, strings.Join(first, "\n---\n"))
		}
	}
	if !strings.Contains(strings.Join(first, "\n"), "0 messages copied in all") {
		t.Errorf("the second confirmation does not say nothing was copied:\n%s", strings.Join(first, "\n---\n"))
	}
}
