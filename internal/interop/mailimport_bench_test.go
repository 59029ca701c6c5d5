package interop

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"almanac/mailbox"
	"almanac/mailimport"
	"almanac/server"
	"almanac/server/servertest"
	"almanac/storage"
)

// benchMessages is the size of the benchmark's source mailbox.
const benchMessages = 10000

// BenchmarkMailImport copies a Dovecot mailbox of 10,000 messages (2 to
// 6 kB, in INBOX and four folders) into an empty mailbox of another
// Dovecot, through the API and the import workers, and reports messages
// per second; append-msgs/s is the rate at which plain pipelined APPENDs
// filled the source, untimed, for comparison. Run it alone:
//
//	go test -run '^$' -bench MailImport -benchtime 1x ./internal/interop/
func BenchmarkMailImport(b *testing.B) {
	users := map[string]string{}
	for i := range b.N {
		users[fmt.Sprintf("me%d@domain.xyz", i)] = "x"
	}
	src := startDovecot(b, dovecotSpec{sep: "/", users: map[string]string{importSource: importSourcePW}})
	dst := startDovecot(b, dovecotSpec{sep: ".", users: users, master: importMaster, masterSecret: importSecret})
	// The source is filled by APPENDs to a Dovecot like the
	// destination's: its rate is the ceiling the import is measured
	// against (Dovecot syncs every message it saves to the disk).
	filled := time.Now()
	fillFast(b, src.client(b, importSource, importSourcePW), benchMessages)
	fillRate := float64(benchMessages) / time.Since(filled).Seconds()

	env := servertest.New(b, func(c *server.Config) {
		c.Imports = mailimport.Config{Destination: mailimport.Endpoint{Host: "127.0.0.1", Port: dst.port(), Security: "none"},
			MasterUser: importMaster, MasterSecret: importSecret, AllowPrivate: true}
	})
	owner := env.Account(importOwner)
	ctx := context.Background()
	org, err := mailbox.CreateOrganization(ctx, env.Store, "Domain", owner.ID)
	if err != nil {
		b.Fatal(err)
	}
	svc := &storage.MailService{Org: org.ID, Domain: "domain.xyz", Plan: mailbox.PlanStandard}
	if err := env.Store.CreateMailService(ctx, svc); err != nil {
		b.Fatal(err)
	}
	for i := range b.N {
		local := fmt.Sprintf("me%d", i)
		if err := env.Store.CreateMailbox(ctx, &storage.Mailbox{Service: svc.ID, LocalPart: local, PasswordHash: servertest.PasswordHash(b)}); err != nil {
			b.Fatal(err)
		}
		if err := env.Store.PutMailboxLink(ctx, &storage.MailboxLink{Service: svc.ID, LocalPart: local, Account: owner.ID,
			Rights: []string{storage.RightPassword}}); err != nil {
			b.Fatal(err)
		}
	}
	runCtx, stop := context.WithCancel(ctx)
	ran := make(chan struct{})
	go func() { env.Server.Run(runCtx); close(ran) }()
	defer func() { stop(); <-ran }()

	b.ResetTimer()
	start := time.Now()
	for i := range b.N {
		body := fmt.Sprintf(`{"sources": [{"address": %q, "password": %q, "imap_host": "127.0.0.1", "imap_port": %d, "imap_security": "none"}], "destination": "me%d@domain.xyz"}`,
			importSource, importSourcePW, src.port(), i)
		rec := env.Do(http.MethodPost, "/api/v1/imports", importOwner, body)
		var j importJob
		if err := json.Unmarshal(rec.Body.Bytes(), &j); rec.Code != http.StatusAccepted || err != nil {
			b.Fatalf("POST: %d %s", rec.Code, rec.Body)
		}
		for {
			rec := env.Do(http.MethodGet, "/api/v1/imports/"+j.ID, importOwner, "")
			json.Unmarshal(rec.Body.Bytes(), &j)
			if j.State != "queued" && j.State != "running" {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		if j.State != "done" || j.Totals.Copied != benchMessages {
			b.Fatalf("import: %s, %+v", j.State, j.Totals)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N*benchMessages)/time.Since(start).Seconds(), "msgs/s")
	b.ReportMetric(fillRate, "append-msgs/s")
}

// fillFast appends n messages through c, pipelined.
func fillFast(b *testing.B, c *imapclient.Client, n int) {
	b.Helper()
	folders := []string{"INBOX", "Work", "Work/Projects", "Lists", "Archive"}
	for _, f := range folders[1:] {
		if err := c.Create(f, nil).Wait(); err != nil {
			b.Fatal(err)
		}
	}
	day := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	var pending []*imapclient.AppendCommand
	wait := func() {
		for _, cmd := range pending {
			if _, err := cmd.Wait(); err != nil {
				b.Fatal(err)
			}
		}
		pending = pending[:0]
	}
	for i := range n {
		body := fmt.Sprintf("Message-ID: <bench%d@example.org>\r\n"+
			"Received: from mx.example.org by imap.example.org; Mon, 1 Jan 2024 00:00:00 +0000\r\n"+
			"From: sender%d@example.net\r\nSubject: message %d\r\n\r\n", i, i%97, i)
		for range 20 + i%60 {
			body += fmt.Sprintf("Line of text of message %d, long enough to be a line.\r\n", i)
		}
		var flags []imap.Flag
		if i%2 == 0 {
			flags = []imap.Flag{imap.FlagSeen}
		}
		cmd := c.Append(folders[i%len(folders)], int64(len(body)), &imap.AppendOptions{Flags: flags, Time: day.Add(time.Duration(i) * time.Minute)})
		io.WriteString(cmd, body)
		if err := cmd.Close(); err != nil {
			b.Fatal(err)
		}
		pending = append(pending, cmd)
		if len(pending) == 200 {
			wait()
		}
	}
	wait()
}
