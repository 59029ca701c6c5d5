package mailimport

import (
	"bytes"
	"fmt"
	"io"
	"log"
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/emersion/go-imap/v2/imapserver"
	"github.com/emersion/go-imap/v2/imapserver/imapmemserver"
)

// memIMAP is an in-memory IMAP server on a loopback port: the source and
// destination of the tests that need no real mail server.
type memIMAP struct {
	mem  *imapmemserver.Server
	addr string
	port int
	// refuse, when set, answers an APPEND of a message it returns an
	// error for with that error.
	refuse func(body []byte) *imap.Error
}

// hookSession is a session of the in-memory server whose APPEND
// memIMAP.refuse may refuse.
type hookSession struct {
	imapserver.Session
	m *memIMAP
}

func (s hookSession) Append(mailbox string, r imap.LiteralReader, options *imap.AppendOptions) (*imap.AppendData, error) {
	body, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	if int64(len(body)) != r.Size() {
		// The connection ended inside the literal: Dovecot stores
		// nothing then, and neither does this server (the library's
		// reader ends a cut literal as if it were whole).
		return nil, io.ErrUnexpectedEOF
	}
	if s.m.refuse != nil {
		if ierr := s.m.refuse(body); ierr != nil {
			return nil, ierr
		}
	}
	return s.Session.Append(mailbox, sizedReader{bytes.NewReader(body)}, options)
}

func (s hookSession) Namespace() (*imap.NamespaceData, error) {
	return s.Session.(interface {
		Namespace() (*imap.NamespaceData, error)
	}).Namespace()
}

type sizedReader struct{ *bytes.Reader }

func (r sizedReader) Size() int64 { return r.Reader.Size() }

func newMemIMAP(t testing.TB) *memIMAP {
	t.Helper()
	mem := imapmemserver.New()
	m := &memIMAP{mem: mem}
	srv := imapserver.New(&imapserver.Options{
		NewSession: func(*imapserver.Conn) (imapserver.Session, *imapserver.GreetingData, error) {
			return hookSession{mem.NewSession(), m}, nil, nil
		},
		Caps:         imap.CapSet{imap.CapIMAP4rev1: {}, imap.CapNamespace: {}, imap.CapUIDPlus: {}, imap.CapUnselect: {}, imap.CapLiteralMinus: {}},
		InsecureAuth: true,
		Logger:       log.New(io.Discard, "", 0),
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	m.addr, m.port = ln.Addr().String(), ln.Addr().(*net.TCPAddr).Port
	return m
}

func (m *memIMAP) endpoint() Endpoint {
	return Endpoint{Host: "127.0.0.1", Port: m.port, Security: SecurityNone}
}

// user adds a user with the folders given (INBOX always).
func (m *memIMAP) user(t testing.TB, name, password string, folders ...string) *imapmemserver.User {
	t.Helper()
	u := imapmemserver.NewUser(name, password)
	for _, f := range append([]string{"INBOX"}, folders...) {
		if err := u.Create(f, nil); err != nil {
			t.Fatal(err)
		}
	}
	m.mem.AddUser(u)
	return u
}

// testMsg is a message to put on a server.
type testMsg struct {
	folder string
	body   string
	flags  []imap.Flag
	date   time.Time
}

func message(id, subject string, extra ...string) string {
	var b strings.Builder
	if id != "" {
		fmt.Fprintf(&b, "Message-ID: <%s>\r\n", id)
	}
	fmt.Fprintf(&b, "Received: from relay.example by mx.example; Mon, 1 Jan 2024 10:00:00 +0000\r\n")
	fmt.Fprintf(&b, "From: someone@example.org\r\nSubject: %s\r\n", subject)
	for _, e := range extra {
		b.WriteString(e + "\r\n")
	}
	fmt.Fprintf(&b, "\r\nBody of %s.\r\n", subject)
	return b.String()
}

// imapClient logs in to addr as user for the tests' own reads and
// writes.
func imapClient(t testing.TB, addr, user, password string) *imapclient.Client {
	t.Helper()
	c, err := imapclient.DialInsecure(addr, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Login(user, password).Wait(); err != nil {
		t.Fatalf("login %s: %v", user, err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// put appends msgs.
func put(t testing.TB, c *imapclient.Client, msgs []testMsg) {
	t.Helper()
	for _, m := range msgs {
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

// stored is a message as read back from a server.
type stored struct {
	body  string
	flags []string
	date  time.Time
}

func (s stored) String() string {
	return fmt.Sprintf("%q %v %s", firstLine(s.body), s.flags, s.date.UTC().Format(time.RFC3339))
}

func firstLine(s string) string { l, _, _ := strings.Cut(s, "\r\n"); return l }

// contents reads every selectable folder of c: name -> messages, in
// UID order, flags sorted without \Recent.
func contents(t testing.TB, c *imapclient.Client) map[string][]stored {
	t.Helper()
	list, err := c.List("", "*", nil).Collect()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]stored{}
	for _, l := range list {
		if slices.Contains(l.Attrs, imap.MailboxAttrNoSelect) || slices.Contains(l.Attrs, imap.MailboxAttrNonExistent) {
			continue
		}
		sel, err := c.Select(l.Mailbox, &imap.SelectOptions{ReadOnly: true}).Wait()
		if err != nil {
			t.Fatalf("select %s: %v", l.Mailbox, err)
		}
		out[l.Mailbox] = []stored{}
		if sel.NumMessages == 0 {
			continue
		}
		msgs, err := c.Fetch(imap.SeqSet{{Start: 1, Stop: 0}}, &imap.FetchOptions{UID: true, Flags: true, InternalDate: true,
			BodySection: []*imap.FetchItemBodySection{{Peek: true}}}).Collect()
		if err != nil {
			t.Fatalf("fetch %s: %v", l.Mailbox, err)
		}
		slices.SortFunc(msgs, func(a, b *imapclient.FetchMessageBuffer) int { return int(a.UID) - int(b.UID) })
		for _, m := range msgs {
			var flags []string
			for _, f := range m.Flags {
				if f != `\Recent` {
					flags = append(flags, string(f))
				}
			}
			slices.Sort(flags)
			out[l.Mailbox] = append(out[l.Mailbox], stored{body: string(m.BodySection[0].Bytes), flags: flags, date: m.InternalDate})
		}
	}
	return out
}

// keysOf lists the bodies of msgs, sorted, for comparing folders as
// sets.
func bodies(msgs []stored) []string {
	var out []string
	for _, m := range msgs {
		out = append(out, m.body)
	}
	slices.Sort(out)
	return out
}
