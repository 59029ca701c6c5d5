package interop

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
)

// icsEvent is a minimal VEVENT with CRLF line ends, as clients write.
func icsEvent(uid, summary, start string) string {
	return strings.ReplaceAll(fmt.Sprintf(`BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//almanac//interop vdirsyncer//EN
BEGIN:VEVENT
UID:%s
DTSTAMP:20260102T030405Z
DTSTART:%s
DURATION:PT1H
SUMMARY:%s
END:VEVENT
END:VCALENDAR
`, uid, start, summary), "\n", "\r\n")
}

// icalValue returns the unfolded value of the first property name in an
// iCalendar text, "" when absent.
func icalValue(data, name string) string {
	unfolded := strings.NewReplacer("\r\n ", "", "\r\n\t", "", "\n ", "", "\n\t", "").Replace(data)
	for _, line := range strings.Split(unfolded, "\n") {
		line = strings.TrimRight(line, "\r")
		head, value, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		prop, _, _ := strings.Cut(head, ";")
		if strings.EqualFold(prop, name) {
			return value
		}
	}
	return ""
}

type item struct {
	where string // file name or href
	data  string
}

// localItems reads the vdir's .ics files: UID → item. A UID present
// twice fails the test: vdirsyncer must never duplicate.
func localItems(t *testing.T, dir string) map[string]item { return localFiles(t, dir, ".ics") }

// localCards is localItems for a vdir of .vcf files.
func localCards(t *testing.T, dir string) map[string]item { return localFiles(t, dir, ".vcf") }

func localFiles(t *testing.T, dir, ext string) map[string]item {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*"+ext))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]item{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		uid := icalValue(string(b), "UID")
		if prev, dup := out[uid]; dup {
			t.Fatalf("local UID %q twice: %s and %s", uid, prev.where, filepath.Base(f))
		}
		out[uid] = item{where: filepath.Base(f), data: string(b)}
	}
	return out
}

// serverItems lists the calendar through calendar-query: UID → item.
func (e *env) serverItems(t *testing.T) map[string]item {
	t.Helper()
	ms := e.report(t, e.Calendar, "1", `<?xml version="1.0" encoding="utf-8"?>
<C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
  <D:prop><D:getetag/><C:calendar-data/></D:prop>
  <C:filter><C:comp-filter name="VCALENDAR"/></C:filter>
</C:calendar-query>`)
	out := map[string]item{}
	for _, r := range ms.Responses {
		ps, ok := r.ok()
		if !ok {
			t.Fatalf("calendar-query: %s has no 200 propstat", r.Href)
		}
		uid := icalValue(ps.Prop.CalendarData, "UID")
		if prev, dup := out[uid]; dup {
			t.Fatalf("server UID %q twice: %s and %s", uid, prev.where, r.Href)
		}
		out[uid] = item{where: r.Href, data: ps.Prop.CalendarData}
	}
	return out
}

func uids(m map[string]item) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// vdirsyncer runs one vdirsyncer subcommand against the config.
type vdirsyncer struct {
	bin, conf, dir string
}

func (v vdirsyncer) run(t *testing.T, args ...string) string {
	t.Helper()
	// discover may ask before creating collections; answer yes.
	return run(t, v.dir, strings.Repeat("y\n", 8), v.bin, append([]string{"-c", v.conf, "--verbosity", "INFO"}, args...)...)
}

func (v vdirsyncer) writeConfig(t *testing.T, e *env, local, status, resolution string) {
	t.Helper()
	conf := fmt.Sprintf(`[general]
status_path = %q

[pair almanac]
a = "local"
b = "remote"
collections = null
conflict_resolution = %q

[storage local]
type = "filesystem"
path = %q
fileext = ".ics"

[storage remote]
type = "caldav"
url = %q
username = %q
password = %q
`, status, resolution, local, e.URL+e.Calendar, e.Login, e.Password)
	if err := os.WriteFile(v.conf, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
}

// newVdirsyncer makes a temporary directory with a local vdir and a
// status directory, and the vdirsyncer that will use them.
func newVdirsyncer(t *testing.T) (v vdirsyncer, local, status string) {
	t.Helper()
	bin := requireTool(t, "vdirsyncer")
	dir := t.TempDir()
	local = filepath.Join(dir, "local")
	status = filepath.Join(dir, "status")
	for _, d := range []string{local, status} {
		if err := os.Mkdir(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	return vdirsyncer{bin: bin, conf: filepath.Join(dir, "config"), dir: dir}, local, status
}

// TestVdirsyncer pairs a local vdir with the default calendar and syncs
// creations, edits, deletions and conflicts in both directions.
func TestVdirsyncer(t *testing.T) {
	e := startServer(t)
	v, local, status := newVdirsyncer(t)
	v.writeConfig(t, e, local, status, "a wins")
	writeLocal := func(name, data string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(local, name), []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	sync := func(step string) string {
		t.Helper()
		out := v.run(t, "sync")
		t.Logf("vdirsyncer sync (%s):\n%s", step, out)
		return out
	}
	// both checks that each side holds exactly the UIDs want, with the
	// given SUMMARY values, and that both sides agree.
	both := func(step string, want map[string]string, out string) {
		t.Helper()
		l, s := localItems(t, local), e.serverItems(t)
		var wantUIDs []string
		for uid := range want {
			wantUIDs = append(wantUIDs, uid)
		}
		sort.Strings(wantUIDs)
		if !slices.Equal(uids(l), wantUIDs) {
			t.Errorf("%s: local UIDs %v, want %v\nvdirsyncer output:\n%s", step, uids(l), wantUIDs, out)
		}
		if !slices.Equal(uids(s), wantUIDs) {
			t.Errorf("%s: server UIDs %v, want %v\nvdirsyncer output:\n%s", step, uids(s), wantUIDs, out)
		}
		for uid, summary := range want {
			if li, ok := l[uid]; ok {
				if got := icalValue(li.data, "SUMMARY"); got != summary {
					t.Errorf("%s: local %s SUMMARY %q, want %q", step, uid, got, summary)
				}
			}
			if si, ok := s[uid]; ok {
				if got := icalValue(si.data, "SUMMARY"); got != summary {
					t.Errorf("%s: server %s SUMMARY %q, want %q", step, uid, got, summary)
				}
			}
		}
		if t.Failed() {
			t.FailNow()
		}
	}

	// 1. Creations on both sides.
	e.put(t, e.Calendar+"srv1.ics", icsEvent("srv1@interop", "server one", "20260301T100000Z"), nil)
	e.put(t, e.Calendar+"srv2.ics", icsEvent("srv2@interop", "server two", "20260302T100000Z"), nil)
	writeLocal("local1.ics", icsEvent("local1@interop", "local one", "20260303T100000Z"))
	writeLocal("local2.ics", icsEvent("local2@interop", "local two", "20260304T100000Z"))

	out := v.run(t, "discover")
	t.Logf("vdirsyncer discover:\n%s", out)
	out = sync("initial")
	both("after the first sync", map[string]string{
		"srv1@interop": "server one", "srv2@interop": "server two",
		"local1@interop": "local one", "local2@interop": "local two",
	}, out)
	// The uploaded local items are stored byte for byte.
	s := e.serverItems(t)
	if got, want := s["local1@interop"].data, icsEvent("local1@interop", "local one", "20260303T100000Z"); got != want {
		t.Errorf("uploaded local1 on the server:\n%q\nwant the file's bytes:\n%q", got, want)
	}
	out = sync("idempotent")
	both("after a second sync with no changes", map[string]string{
		"srv1@interop": "server one", "srv2@interop": "server two",
		"local1@interop": "local one", "local2@interop": "local two",
	}, out)

	// 2. Edits both ways.
	e.put(t, s["srv1@interop"].where, icsEvent("srv1@interop", "server one edited on server", "20260301T110000Z"), nil)
	l := localItems(t, local)
	writeLocal(l["local1@interop"].where, icsEvent("local1@interop", "local one edited locally", "20260303T110000Z"))
	out = sync("edits")
	both("after edits on both sides", map[string]string{
		"srv1@interop": "server one edited on server", "srv2@interop": "server two",
		"local1@interop": "local one edited locally", "local2@interop": "local two",
	}, out)

	// 3. Deletions both ways: srv2 deleted locally, local2 deleted on
	// the server.
	l, s = localItems(t, local), e.serverItems(t)
	if err := os.Remove(filepath.Join(local, l["srv2@interop"].where)); err != nil {
		t.Fatal(err)
	}
	if resp, body := e.do(t, http.MethodDelete, s["local2@interop"].where, nil, ""); resp.StatusCode != http.StatusNoContent && resp.StatusCode != http.StatusOK {
		t.Fatalf("DELETE %s: status %d\n%s", s["local2@interop"].where, resp.StatusCode, body)
	}
	out = sync("deletions")
	both("after deletions on both sides", map[string]string{
		"srv1@interop": "server one edited on server", "local1@interop": "local one edited locally",
	}, out)

	// 4. Conflict, "a wins": srv1 edited on both sides; the local
	// (a) version must end up on both sides, once.
	l, s = localItems(t, local), e.serverItems(t)
	writeLocal(l["srv1@interop"].where, icsEvent("srv1@interop", "conflict: local version", "20260301T120000Z"))
	e.put(t, s["srv1@interop"].where, icsEvent("srv1@interop", "conflict: server version", "20260301T130000Z"), nil)
	out = sync("conflict a wins")
	both("after a conflict with a (local) winning", map[string]string{
		"srv1@interop": "conflict: local version", "local1@interop": "local one edited locally",
	}, out)
	if got, want := e.serverItems(t)["srv1@interop"].data, icsEvent("srv1@interop", "conflict: local version", "20260301T120000Z"); got != want {
		t.Errorf("server srv1 after a wins:\n%q\nwant the local file's bytes:\n%q", got, want)
	}

	// 5. Conflict, "b wins": local1 edited on both sides; the server
	// (b) version must end up on both sides, once.
	v.writeConfig(t, e, local, status, "b wins")
	l, s = localItems(t, local), e.serverItems(t)
	writeLocal(l["local1@interop"].where, icsEvent("local1@interop", "conflict 2: local version", "20260303T120000Z"))
	serverVersion := icsEvent("local1@interop", "conflict 2: server version", "20260303T130000Z")
	e.put(t, s["local1@interop"].where, serverVersion, nil)
	out = sync("conflict b wins")
	both("after a conflict with b (server) winning", map[string]string{
		"srv1@interop": "conflict: local version", "local1@interop": "conflict 2: server version",
	}, out)
	if got := localItems(t, local)["local1@interop"].data; got != serverVersion {
		t.Errorf("local local1 after b wins:\n%q\nwant the server's bytes:\n%q", got, serverVersion)
	}

	// 6. Nothing left to do: a further sync changes nothing.
	before := e.serverItems(t)
	out = sync("final")
	after := e.serverItems(t)
	for uid, it := range before {
		if after[uid] != it {
			t.Errorf("final sync changed server item %s:\nbefore %q\nafter  %q\nvdirsyncer output:\n%s", uid, it.data, after[uid].data, out)
		}
	}
}

// TestVdirsyncerDiscovery gives vdirsyncer only the server's address:
// it must find the calendar through /.well-known/caldav, the principal
// and the calendar home (collections = ["from b"]), then sync both ways.
func TestVdirsyncerDiscovery(t *testing.T) {
	e := startServer(t)
	v, local, status := newVdirsyncer(t)
	conf := fmt.Sprintf(`[general]
status_path = %q

[pair almanac]
a = "local"
b = "remote"
collections = ["from b"]

[storage local]
type = "filesystem"
path = %q
fileext = ".ics"

[storage remote]
type = "caldav"
url = %q
username = %q
password = %q
`, status, local, e.URL+"/", e.Login, e.Password)
	if err := os.WriteFile(v.conf, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}

	out := v.run(t, "discover")
	t.Logf("vdirsyncer discover:\n%s", out)
	if !strings.Contains(out, `"default"`) {
		t.Fatalf("vdirsyncer discover did not find the default calendar:\n%s", out)
	}
	vdir := filepath.Join(local, "default")
	if fi, err := os.Stat(vdir); err != nil || !fi.IsDir() {
		t.Fatalf("discover did not create the local collection %s: %v\n%s", vdir, err, out)
	}

	e.put(t, e.Calendar+"found.ics", icsEvent("found@interop", "found by discovery", "20260401T100000Z"), nil)
	if err := os.WriteFile(filepath.Join(vdir, "mine.ics"), []byte(icsEvent("mine@interop", "local via discovery", "20260402T100000Z")), 0o600); err != nil {
		t.Fatal(err)
	}
	out = v.run(t, "sync")
	t.Logf("vdirsyncer sync:\n%s", out)
	want := []string{"found@interop", "mine@interop"}
	if got := uids(localItems(t, vdir)); !slices.Equal(got, want) {
		t.Errorf("local UIDs after sync %v, want %v\n%s", got, want, out)
	}
	if got := uids(e.serverItems(t)); !slices.Equal(got, want) {
		t.Errorf("server UIDs after sync %v, want %v\n%s", got, want, out)
	}
}
