package interop

import (
	"encoding/json"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// calendarToken returns the default calendar's current sync token.
func (e *env) calendarToken(t *testing.T) string {
	t.Helper()
	return e.report(t, e.Calendar, "0", syncBody("")).SyncToken
}

// pruneAll forgets all of the store's change history, as the server's
// background pruning does once it is older than the retention, and
// checks that token is then answered with 403 valid-sync-token.
func (e *env) pruneAll(t *testing.T, token string) {
	t.Helper()
	st, err := e.Store.PruneChanges(t.Context(), time.Now())
	if err != nil {
		t.Fatalf("PruneChanges: %v", err)
	}
	t.Logf("pruned: %+v", st)
	resp, b := e.do(t, "REPORT", e.Calendar, map[string]string{"Depth": "0", "Content-Type": "application/xml"}, syncBody(token))
	if resp.StatusCode != http.StatusForbidden || !strings.Contains(string(b), "valid-sync-token") {
		t.Fatalf("sync-collection from %s after pruning: status %d, want 403 valid-sync-token\n%s", token, resp.StatusCode, b)
	}
}

// TestVdirsyncerAfterPrune syncs with vdirsyncer, changes and deletes on
// the server, prunes the change log, and syncs again: vdirsyncer must end
// with the server's set, the deletion included. vdirsyncer 0.19 sends no
// sync-collection: every sync lists the collection's hrefs and ETags
// (PROPFIND Depth 1) and compares them with its status, so pruned history
// is invisible to it; this pins down that a deletion whose tombstone is
// gone still reaches it, in both directions afterwards.
func TestVdirsyncerAfterPrune(t *testing.T) {
	e := startServer(t)
	v, local, status := newVdirsyncer(t)
	v.writeConfig(t, e, local, status, "a wins")
	for _, uid := range []string{"p1", "p2", "p3"} {
		e.put(t, e.Calendar+uid+".ics", icsEvent(uid+"@interop", "server "+uid, "20260501T100000Z"), nil)
	}
	if err := os.WriteFile(filepath.Join(local, "l1.ics"), []byte(icsEvent("l1@interop", "local l1", "20260502T100000Z")), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Logf("vdirsyncer discover:\n%s", v.run(t, "discover"))
	out := v.run(t, "sync")
	want := []string{"l1@interop", "p1@interop", "p2@interop", "p3@interop"}
	if got := uids(localItems(t, local)); !slices.Equal(got, want) {
		t.Fatalf("local after the first sync: %v, want %v\n%s", got, want, out)
	}
	token := e.calendarToken(t)

	e.put(t, e.Calendar+"p1.ics", icsEvent("p1@interop", "server p1 edited", "20260501T110000Z"), nil)
	if resp, b := e.do(t, http.MethodDelete, e.Calendar+"p2.ics", nil, ""); resp.StatusCode != http.StatusNoContent {
		t.Fatalf("DELETE p2: %d %s", resp.StatusCode, b)
	}
	e.put(t, e.Calendar+"p4.ics", icsEvent("p4@interop", "server p4", "20260503T100000Z"), nil)
	e.pruneAll(t, token)

	out = v.run(t, "sync")
	t.Logf("vdirsyncer sync after pruning:\n%s", out)
	want = []string{"l1@interop", "p1@interop", "p3@interop", "p4@interop"}
	l, s := localItems(t, local), e.serverItems(t)
	if !slices.Equal(uids(l), want) || !slices.Equal(uids(s), want) {
		t.Fatalf("after pruning: local %v, server %v, want %v\n%s", uids(l), uids(s), want, out)
	}
	if got := icalValue(l["p1@interop"].data, "SUMMARY"); got != "server p1 edited" {
		t.Errorf("local p1 SUMMARY %q, want the server's edit", got)
	}

	// And the other way: a local deletion after the prune reaches the
	// server, and nothing is left to do.
	if err := os.Remove(filepath.Join(local, l["p3@interop"].where)); err != nil {
		t.Fatal(err)
	}
	out = v.run(t, "sync")
	want = []string{"l1@interop", "p1@interop", "p4@interop"}
	if got := uids(e.serverItems(t)); !slices.Equal(got, want) {
		t.Fatalf("server after a local deletion: %v, want %v\n%s", got, want, out)
	}
	before := e.serverItems(t)
	out = v.run(t, "sync")
	if after := e.serverItems(t); !maps.Equal(before, after) || !slices.Equal(uids(localItems(t, local)), want) {
		t.Errorf("a further sync changed something:\n%s", out)
	}
}

// TestPythonCaldavAfterPrune keeps a python-caldav sync token across the
// pruning of the server's history (testdata/caldav_prune.py): asking for
// changes since it fails (0.11 does not fall back by itself, and turns the
// 403 valid-sync-token into an AuthorizationError "Forbidden", dropping
// the body), the full sync the application then makes lists exactly what
// the server holds, and its new token carries on incrementally.
func TestPythonCaldavAfterPrune(t *testing.T) {
	py, env := requirePythonCaldav(t)
	e := startServer(t)
	script, err := filepath.Abs(filepath.Join("testdata", "caldav_prune.py"))
	if err != nil {
		t.Fatal(err)
	}
	state := filepath.Join(t.TempDir(), "state.json")
	phase := func(name string) map[string]string {
		t.Helper()
		out, err := runEnv(env, "", "", py, script, name, e.URL+e.Calendar, e.Login, e.Password, state)
		t.Logf("caldav_prune.py %s:\n%s", name, out)
		if err != nil || !strings.Contains(out, "\nDONE\n") {
			t.Fatalf("caldav_prune.py %s: %v (output above)", name, err)
		}
		steps := map[string]string{}
		for _, line := range strings.Split(out, "\n") {
			if rest, ok := strings.CutPrefix(line, "STEP "); ok {
				k, v, _ := strings.Cut(rest, ": ")
				steps[k] = v
			}
		}
		return steps
	}

	steps := phase("start")
	if got, want := steps["sync-initial"], "prune-1@interop=event 1 prune-2@interop=event 2 prune-3@interop=event 3"; got != want {
		t.Fatalf("initial sync %q, want %q", got, want)
	}
	b, err := os.ReadFile(state)
	if err != nil {
		t.Fatal(err)
	}
	var saved struct{ Token string }
	if err := json.Unmarshal(b, &saved); err != nil || saved.Token == "" {
		t.Fatalf("state file %s: %v", b, err)
	}

	s := e.serverItems(t)
	e.put(t, s["prune-1@interop"].where, strings.ReplaceAll(s["prune-1@interop"].data, "SUMMARY:event 1", "SUMMARY:event 1 edited"), nil)
	if resp, b := e.do(t, http.MethodDelete, s["prune-2@interop"].where, nil, ""); resp.StatusCode != http.StatusNoContent {
		t.Fatalf("DELETE prune-2: %d %s", resp.StatusCode, b)
	}
	e.put(t, e.Calendar+"prune-4.ics", strings.ReplaceAll(strings.ReplaceAll(s["prune-3@interop"].data, "prune-3@", "prune-4@"), "event 3", "event 4"), nil)
	e.pruneAll(t, saved.Token)

	steps = phase("resume")
	if got := steps["sync-expired"]; got != "AuthorizationError: Forbidden" {
		t.Errorf("sync from the pruned token: %q, want AuthorizationError: Forbidden", got)
	}
	want := "prune-1@interop=event 1 edited prune-3@interop=event 3 prune-4@interop=event 4"
	if got := steps["resync"]; got != want {
		t.Errorf("full sync after the expired token: %q, want %q", got, want)
	}
	var server []string
	for uid, it := range e.serverItems(t) {
		server = append(server, uid+"="+icalValue(it.data, "SUMMARY"))
	}
	slices.Sort(server)
	if got := strings.Join(server, " "); got != want+" prune-5@interop=event 5" {
		t.Errorf("server holds %q", got)
	}
	if got := steps["sync-after"]; got != "prune-5@interop=event 5" {
		t.Errorf("incremental sync from the new token: %q, want only prune-5", got)
	}
}
