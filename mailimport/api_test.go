package mailimport_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver"
	"github.com/emersion/go-imap/v2/imapserver/imapmemserver"

	"almanac/mailbox"
	"almanac/mailimport"
	"almanac/server"
	"almanac/server/servertest"
	"almanac/storage"
)

// imapServer serves the users given (address: password) from memory on
// a loopback port.
func imapServer(t *testing.T, users map[string]string) int {
	t.Helper()
	mem := imapmemserver.New()
	for name, pw := range users {
		u := imapmemserver.NewUser(name, pw)
		if err := u.Create("INBOX", nil); err != nil {
			t.Fatal(err)
		}
		mem.AddUser(u)
	}
	srv := imapserver.New(&imapserver.Options{
		NewSession: func(*imapserver.Conn) (imapserver.Session, *imapserver.GreetingData, error) {
			return mem.NewSession(), nil, nil
		},
		Caps:         imap.CapSet{imap.CapIMAP4rev1: {}, imap.CapNamespace: {}, imap.CapUIDPlus: {}, imap.CapUnselect: {}},
		InsecureAuth: true,
		Logger:       log.New(io.Discard, "", 0),
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return ln.Addr().(*net.TCPAddr).Port
}

// silent accepts connections and never answers: a server that hangs.
func silent(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var conns []net.Conn
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			conns = append(conns, c)
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		<-done
		for _, c := range conns {
			c.Close()
		}
	})
	return ln.Addr().(*net.TCPAddr).Port
}

// closedPort is a loopback port nothing listens on.
func closedPort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	return port
}

type apiWorld struct {
	env        *servertest.Env
	owner      *storage.Account // owns domain.xyz, linked to me@domain.xyz
	member     *storage.Account // a member of the organization, linked to nothing
	srcPort    int
	hangPort   int
	closedPort int
}

const (
	owner  = "owner@example.com"
	member = "member@example.com"
)

func newAPIWorld(t *testing.T, allowPrivate bool) *apiWorld {
	t.Helper()
	w := &apiWorld{srcPort: imapServer(t, map[string]string{"anna@example.org": "right", "bob@example.org": "right"}),
		hangPort: silent(t), closedPort: closedPort(t)}
	dst := imapServer(t, map[string]string{"me@domain.xyz*almanac": "master", "other@domain.xyz*almanac": "master"})
	w.env = servertest.New(t, func(c *server.Config) {
		c.Imports = mailimport.Config{Destination: mailimport.Endpoint{Host: "127.0.0.1", Port: dst, Security: "none"},
			MasterUser: "almanac", MasterSecret: "master", AllowPrivate: allowPrivate,
			ConnectTimeout: 300 * time.Millisecond}
	})
	w.owner = w.env.Account(owner)
	w.member = w.env.Account(member)
	ctx := context.Background()
	db := w.env.Store
	org, err := mailbox.CreateOrganization(ctx, db, "Domain", w.owner.ID)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.PutMember(ctx, storage.Member{Org: org.ID, Account: w.member.ID, Role: storage.RoleMember}); err != nil {
		t.Fatal(err)
	}
	svc := &storage.MailService{Org: org.ID, Domain: "domain.xyz", Plan: mailbox.PlanStandard}
	if err := db.CreateMailService(ctx, svc); err != nil {
		t.Fatal(err)
	}
	for _, local := range []string{"me", "other"} {
		if err := db.CreateMailbox(ctx, &storage.Mailbox{Service: svc.ID, LocalPart: local, PasswordHash: servertest.PasswordHash(t)}); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.PutMailboxLink(ctx, &storage.MailboxLink{Service: svc.ID, LocalPart: "me", Account: w.owner.ID,
		Rights: []string{storage.RightPassword}}); err != nil {
		t.Fatal(err)
	}
	return w
}

func single(address, password string, port int, dest string) string {
	return fmt.Sprintf(`{"sources": [{"address": %q, "password": %q, "imap_host": "127.0.0.1", "imap_port": %d, "imap_security": "none"}], "destination": %q}`,
		address, password, port, dest)
}

type apiError struct {
	Error struct {
		Code, Field, Message string
	}
}

// noJobs checks that login has no import.
func (w *apiWorld) noJobs(t *testing.T, login string) {
	t.Helper()
	rec := w.env.Do(http.MethodGet, mailimport.ImportsPath, login, "")
	if rec.Code != http.StatusOK || strings.TrimSpace(rec.Body.String()) != `{"imports":[]}` {
		t.Errorf("imports of %s after a refused request: %d %s", login, rec.Code, rec.Body)
	}
}

// TestImportRefused sends imports that must be refused at once with a
// precise 4xx naming what is wrong, and checks that no job was made.
func TestImportRefused(t *testing.T) {
	w := newAPIWorld(t, true)
	csvHeader := "source_address,source_password,destination,imap_host,imap_port,imap_security\n"
	row := func(i int) string {
		return fmt.Sprintf("u%d@example.org,pw,me@domain.xyz,127.0.0.1,%d,none\n", i, w.srcPort)
	}
	rows26 := csvHeader
	for i := range 26 {
		rows26 += row(i)
	}
	for _, tc := range []struct {
		name, login, body, contentType string
		status                         int
		code, field                    string
		msg                            []string
	}{
		{"wrong password", owner, single("anna@example.org", "wrong", w.srcPort, "me@domain.xyz"), "",
			400, "source_login_failed", "sources[0].password", []string{"127.0.0.1 refused the address or the password"}},
		{"nothing listens", owner, single("anna@example.org", "right", w.closedPort, "me@domain.xyz"), "",
			400, "source_unreachable", "sources[0].imap_host", []string{"nothing answers at 127.0.0.1:"}},
		{"server hangs: bounded by the connect timeout", owner, single("anna@example.org", "right", w.hangPort, "me@domain.xyz"), "",
			400, "source_unreachable", "sources[0].imap_host", []string{"did not answer in time"}},
		{"no such host", owner, `{"sources": [{"address": "a@example.org", "password": "p", "imap_host": "no-such-host.invalid"}], "destination": "me@domain.xyz"}`, "",
			400, "source_unreachable", "sources[0].imap_host", []string{"no-such-host.invalid does not exist"}},
		{"bad port", owner, `{"sources": [{"address": "a@example.org", "password": "p", "imap_port": 70000}], "destination": "me@domain.xyz"}`, "",
			400, "invalid_field", "sources[0].imap_port", []string{"70000 is not from 1 to 65535"}},
		{"bad security", owner, `{"sources": [{"address": "a@example.org", "password": "p", "imap_security": "ssl"}], "destination": "me@domain.xyz"}`, "",
			400, "invalid_field", "sources[0].imap_security", []string{`"ssl" is not one of tls, starttls, none`}},
		{"three sources", owner, `{"sources": [{}, {}, {}], "destination": "me@domain.xyz"}`, "",
			400, "invalid_field", "sources", []string{"one or two"}},
		{"no password", owner, `{"sources": [{"address": "a@example.org"}], "destination": "me@domain.xyz"}`, "",
			400, "invalid_field", "sources[0].password", []string{"required"}},
		{"the destination itself", owner, `{"sources": [{"address": "me@domain.xyz", "password": "p"}], "destination": "me@domain.xyz"}`, "",
			400, "invalid_field", "sources[0].address", []string{"the destination itself"}},
		{"destination not linked", owner, single("anna@example.org", "right", w.srcPort, "other@domain.xyz"), "",
			403, "destination_not_linked", "destination", []string{"other@domain.xyz is not linked to your account"}},
		{"destination elsewhere", owner, single("anna@example.org", "right", w.srcPort, "me@elsewhere.example"), "",
			400, "invalid_field", "destination", []string{"me@elsewhere.example is not a mailbox of this server"}},
		{"CSV of 26 rows", owner, rows26, "text/csv",
			400, "invalid_csv", "", []string{"line 27: more than 25 imports in one file"}},
		{"CSV with a bad column", owner, "source_address,source_password,destination,imap_server\n", "text/csv",
			400, "invalid_csv", "D", []string{`line 1, column D: unknown column "imap_server"`}},
		{"CSV with a bad value", owner, csvHeader + row(1) + "u2@example.org,pw,me@domain.xyz,,99999,\n", "text/csv",
			400, "invalid_csv", "imap_port", []string{"line 3, column imap_port: the IMAP port 99999 is not from 1 to 65535"}},
		{"CSV with a wrong password", owner, csvHeader + fmt.Sprintf("anna@example.org,wrong,me@domain.xyz,127.0.0.1,%d,none\n", w.srcPort), "text/csv",
			400, "invalid_csv", "source_password", []string{"line 2, column source_password: 127.0.0.1 refused"}},
		{"CSV into a service the caller does not manage", member, csvHeader + fmt.Sprintf("anna@example.org,right,me@domain.xyz,127.0.0.1,%d,none\n", w.srcPort), "text/csv",
			400, "invalid_csv", "destination", []string{"line 2, column destination: me@domain.xyz is not a mailbox of a Mail Service you manage"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var hdr []string
			if tc.contentType != "" {
				hdr = []string{"Content-Type", tc.contentType}
			}
			rec := w.env.Do(http.MethodPost, mailimport.ImportsPath, tc.login, tc.body, hdr...)
			var e apiError
			json.Unmarshal(rec.Body.Bytes(), &e)
			if rec.Code != tc.status || e.Error.Code != tc.code || e.Error.Field != tc.field {
				t.Fatalf("%d %s; want %d %s field %q", rec.Code, rec.Body, tc.status, tc.code, tc.field)
			}
			for _, m := range tc.msg {
				if !strings.Contains(e.Error.Message, m) {
					t.Errorf("message %q lacks %q", e.Error.Message, m)
				}
			}
			if strings.Contains(e.Error.Message, "wrong") || strings.Contains(e.Error.Message, "mailimport:") {
				t.Errorf("the message shows a password or internal text: %q", e.Error.Message)
			}
			w.noJobs(t, tc.login)
		})
	}
}

// TestImportPrivateSource: without AllowPrivate, a source on a
// loopback address is refused before anything is sent to it.
func TestImportPrivateSource(t *testing.T) {
	w := newAPIWorld(t, false)
	rec := w.env.Do(http.MethodPost, mailimport.ImportsPath, owner, single("anna@example.org", "right", w.srcPort, "me@domain.xyz"))
	var e apiError
	json.Unmarshal(rec.Body.Bytes(), &e)
	if rec.Code != 400 || e.Error.Code != "source_private_address" || !strings.Contains(e.Error.Message, "private or local address") {
		t.Fatalf("%d %s", rec.Code, rec.Body)
	}
	w.noJobs(t, owner)
}

// TestImportFlow starts an import and a CSV batch through the API and
// follows them to their end; others cannot see them; an ended import
// cannot be cancelled.
func TestImportFlow(t *testing.T) {
	w := newAPIWorld(t, true)
	ctx, cancel := context.WithCancel(context.Background())
	ran := make(chan struct{})
	go func() { w.env.Server.Run(ctx); close(ran) }()
	t.Cleanup(func() { cancel(); <-ran })

	rec := w.env.Do(http.MethodGet, mailimport.TemplatePath, owner, "")
	if rec.Code != 200 || rec.Body.String() != mailimport.Template || !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/csv") {
		t.Fatalf("template: %d %q", rec.Code, rec.Body)
	}
	rec = w.env.Do(http.MethodGet, mailimport.GuessPath+"?address=anna@gmail.com", owner, "")
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), `"imap_host":"imap.gmail.com"`) {
		t.Fatalf("guess: %d %s", rec.Code, rec.Body)
	}

	rec = w.env.Do(http.MethodPost, mailimport.ImportsPath, owner, single("anna@example.org", "right", w.srcPort, "me@domain.xyz"))
	var j struct {
		ID, State string
		Sources   []struct{ State string }
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &j); rec.Code != http.StatusAccepted || err != nil || j.ID == "" ||
		rec.Header().Get("Location") != mailimport.ImportsPath+"/"+j.ID {
		t.Fatalf("POST: %d %s %v", rec.Code, rec.Body, rec.Header())
	}
	if rec := w.env.Do(http.MethodGet, mailimport.ImportsPath+"/"+j.ID, member, ""); rec.Code != http.StatusNotFound {
		t.Errorf("another account reads the import: %d", rec.Code)
	}
	if rec := w.env.Do(http.MethodPost, mailimport.ImportsPath+"/"+j.ID+"/cancel", member, "{}"); rec.Code != http.StatusNotFound {
		t.Errorf("another account cancels the import: %d", rec.Code)
	}
	for j.State != storage.ImportDone {
		time.Sleep(5 * time.Millisecond)
		rec = w.env.Do(http.MethodGet, mailimport.ImportsPath+"/"+j.ID, owner, "")
		json.Unmarshal(rec.Body.Bytes(), &j)
		if storage.ImportEnded(j.State) && j.State != storage.ImportDone {
			t.Fatalf("import: %s", rec.Body)
		}
	}
	rec = w.env.Do(http.MethodPost, mailimport.ImportsPath+"/"+j.ID+"/cancel", owner, "{}")
	if rec.Code != http.StatusConflict || !strings.Contains(rec.Body.String(), "import_ended") {
		t.Errorf("cancel an ended import: %d %s", rec.Code, rec.Body)
	}

	// A batch of two, as an owner of the service, one into a mailbox the
	// owner is not linked to.
	batch := "source_address;source_password;destination;imap_host;imap_port;imap_security\n" +
		fmt.Sprintf("anna@example.org;right;other@domain.xyz;127.0.0.1;%d;none\n", w.srcPort) +
		fmt.Sprintf("bob@example.org;right;me@domain.xyz;127.0.0.1;%d;none\n", w.srcPort)
	rec = w.env.Do(http.MethodPost, mailimport.ImportsPath, owner, batch, "Content-Type", "text/csv; charset=utf-8")
	var b struct {
		Batch   string
		Imports []struct{ ID, Destination string }
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &b); rec.Code != http.StatusAccepted || err != nil || b.Batch == "" || len(b.Imports) != 2 ||
		b.Imports[0].Destination != "other@domain.xyz" || b.Imports[1].Destination != "me@domain.xyz" {
		t.Fatalf("batch: %d %s", rec.Code, rec.Body)
	}
	var list struct{ Imports []struct{ ID, Batch string } }
	rec = w.env.Do(http.MethodGet, mailimport.ImportsPath, owner, "")
	if err := json.Unmarshal(rec.Body.Bytes(), &list); err != nil || len(list.Imports) != 3 || list.Imports[2].Batch != b.Batch {
		t.Errorf("list: %s", rec.Body)
	}
}
