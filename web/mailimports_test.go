package web_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"almanac/server/servertest"
	"almanac/storage"
)

// storeImportJob records an import into ann's mailbox as the import
// service would, with some progress.
func storeImportJob(t *testing.T, env *servertest.Env, owner, state string) *storage.ImportJob {
	t.Helper()
	j := &storage.ImportJob{Owner: owner, Service: "svc1", LocalPart: "ann", Destination: "ann@example.net", State: state,
		Sources: []storage.ImportSource{{Address: "ann@old.example", Host: "imap.old.example", Port: 993, Security: "tls", State: state,
			Folders: []storage.ImportFolder{{Name: "INBOX", Destination: "INBOX", Found: 120, Copied: 40, Skipped: 20, Done: false},
				{Name: "Sent Items", Destination: "Sent", SpecialUse: `\Sent`, Found: 10, Copied: 10, Done: true, Errors: []string{"message 7: too large"}}}}}}
	if storage.ImportEnded(state) {
		j.Finished = time.Now()
	}
	must(t, env.Store.CreateImportJob(t.Context(), j))
	return j
}

// TestMailImportPages: the imports of a mailbox with their progress,
// reloading themselves while one runs and not once it ended; the form's
// errors next to their fields; a stop confirmed; another account's
// mailbox and import answer like missing ones.
func TestMailImportPages(t *testing.T) {
	env := servertest.New(t)
	ann := env.Account("ann@example.com")
	env.Account("bob@example.com")
	addr := servertest.LinkedMailbox(t, env.Store, "ann@example.com")
	base := "/mail/" + addr + "/imports"
	c := newClient(t, env).login("ann@example.com")
	c.get("/mail/"+addr).want(http.StatusOK, `href="`+base+`"`)
	c.get(base).want(http.StatusOK, "No import yet.", `id="f-sources[0].address"`).lacks(`data-live`)
	c.post(base, "sources[0].address", "ann@old.example", "sources[0].password", "").want(http.StatusBadRequest, `id="e-sources[0].password"`)
	c.post(base, "sources[0].address", "not an address", "sources[0].password", "x").want(http.StatusBadRequest, `id="e-sources[0].address"`)
	c.post(base, "sources[0].address", "ann@old.example", "sources[0].password", "x", "sources[0].imap_host", "imap.old.example", "sources[0].imap_port", "abc").
		want(http.StatusBadRequest, `id="e-sources[0].imap_port"`).lacks(`value="x"`)
	// This server has no destination IMAP server: said above the form.
	c.post(base, "sources[0].address", "ann@old.example", "sources[0].password", "x").want(http.StatusConflict, "not set up to import mail")
	if jobs, _ := env.Store.ImportJobsOf(t.Context(), ann.ID); len(jobs) != 0 {
		t.Fatalf("a refused import was stored: %+v", jobs)
	}

	j := storeImportJob(t, env, ann.ID, storage.ImportRunning)
	c.get(base).want(http.StatusOK, "ann@old.example", "Copying", "50 copied, 20 there already, of 130 found", `data-live="5"`)
	c.get(base+"/"+j.ID).want(http.StatusOK, "Sent Items", "message 7: too large", `<progress max="130" value="70"`, `data-live="5"`, "Update now")
	c.get(base+"/"+j.ID+"/cancel").want(http.StatusOK, "Stop this import?", "50 messages copied so far stay")
	c.post(base+"/"+j.ID+"/cancel").want(http.StatusOK, "The import is stopping.", "stopping")
	if got, _ := env.Store.ImportJob(t.Context(), j.ID); !got.Cancel {
		t.Fatal("the import was not asked to stop")
	}
	done := storeImportJob(t, env, ann.ID, storage.ImportDone)
	c.get(base+"/"+done.ID).want(http.StatusOK, "Done").lacks(`data-live`, "/cancel")
	c.get(base + "/" + done.ID + "/cancel")
	c.post(base+"/"+done.ID+"/cancel").want(http.StatusConflict, "ended already")

	b := newClient(t, env).login("bob@example.com")
	for _, p := range []string{base, base + "/" + j.ID, base + "/" + j.ID + "/cancel"} {
		b.get(p).want(http.StatusNotFound)
	}
	b.get("/calendars")
	b.post(base + "/" + done.ID + "/cancel").want(http.StatusNotFound)
	b.post(base, "sources[0].address", "x@old.example", "sources[0].password", "x").want(http.StatusNotFound)
}

// TestServiceImportPages: a manager sends a CSV of imports, refused with
// its line and column next to the file; follows the imports into the
// service's mailboxes; someone who does not manage it gets nothing.
func TestServiceImportPages(t *testing.T) {
	env := servertest.New(t)
	ann := env.Account("ann@example.com")
	env.Account("bob@example.com")
	servertest.LinkedMailbox(t, env.Store, "ann@example.com")
	base := "/manage/services/svc1/imports"
	c := newClient(t, env).login("ann@example.com")
	c.get("/manage/services/svc1").want(http.StatusOK, `href="`+base+`"`)
	c.get(base).want(http.StatusOK, "Import mailboxes from a CSV", `accept=".csv,text/csv"`, "No import yet.")
	c.get(base + "/template.csv")
	if c.status != http.StatusOK || !strings.HasPrefix(c.body, "source_address,") {
		t.Fatalf("template: %d %q", c.status, c.body)
	}
	c.get(base)
	c.upload(base, "", "").want(http.StatusBadRequest, `id="e-file"`)
	c.upload(base, "i.csv", "source_address,source_password,destination\r\nx@old.example,pw,nobody@elsewhere.example\r\n").
		want(http.StatusBadRequest, `id="e-file"`, "line 2")
	c.upload(base, "i.csv", "source_address,source_password,destination\r\nx@old.example,pw,ann@example.net\r\n").
		want(http.StatusConflict, `id="e-file"`, "not set up to import mail")
	if jobs, _ := env.Store.ImportJobsOf(t.Context(), ann.ID); len(jobs) != 0 {
		t.Fatalf("a refused CSV started imports: %+v", jobs)
	}
	j := storeImportJob(t, env, ann.ID, storage.ImportRunning)
	c.get(base).want(http.StatusOK, "ann@old.example", `data-live="5"`)
	c.get(base+"/"+j.ID).want(http.StatusOK, "Sent Items", "Copying")

	b := newClient(t, env).login("bob@example.com")
	for _, p := range []string{base, base + "/" + j.ID, base + "/template.csv"} {
		if b.get(p); b.status != http.StatusNotFound && b.status != http.StatusForbidden {
			t.Errorf("bob GET %s: %d", p, b.status)
		}
	}
	b.get("/calendars")
	b.upload(base, "i.csv", "source_address,source_password,destination\r\nx@old.example,pw,ann@example.net\r\n")
	if b.status != http.StatusNotFound && b.status != http.StatusForbidden {
		t.Errorf("bob's CSV: %d", b.status)
	}
}
