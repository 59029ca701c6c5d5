package interop

import (
	"almanac/storage"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// systemPython is the Debian interpreter: python3-caldav is installed for
// it, not for a pyenv or virtualenv python that may come first in PATH.
const systemPython = "/usr/bin/python3"

// systemPythonEnv is the test's environment without what would make the
// system interpreter load other packages than Debian's (a pyenv or
// virtualenv's PYTHONPATH, the user's site directory).
func systemPythonEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch k {
		case "PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "VIRTUAL_ENV", "PYTHONNOUSERSITE":
			continue
		}
		env = append(env, kv)
	}
	return append(env, "PYTHONNOUSERSITE=1", "PYTHONDONTWRITEBYTECODE=1", "LC_ALL=C.UTF-8", "LANG=C.UTF-8")
}

// TestPythonCaldav runs testdata/caldav_scenario.py (python3-caldav 0.11)
// against the server: principal and calendar discovery, MKCALENDAR with a
// display name, save/fetch/update/delete of events, sync tokens with a
// change and a deletion, and deleting the calendar.
func TestPythonCaldav(t *testing.T) {
	py, env := requirePythonCaldav(t)
	e := startServer(t)
	script, err := filepath.Abs(filepath.Join("testdata", "caldav_scenario.py"))
	if err != nil {
		t.Fatal(err)
	}
	out, err := runEnv(env, "", "", py, script, e.URL+"/dav/", e.Login, e.Password)
	t.Logf("caldav_scenario.py output:\n%s", out)
	if err != nil {
		t.Fatalf("caldav_scenario.py: %v (output above)", err)
	}

	steps := map[string]string{}
	var order []string
	for _, line := range strings.Split(out, "\n") {
		if rest, ok := strings.CutPrefix(line, "STEP "); ok {
			name, detail, _ := strings.Cut(rest, ": ")
			steps[name] = detail
			order = append(order, name)
		}
	}
	want := []string{
		"connect", "principal", "calendar-home-set", "calendars", "make_calendar",
		"save_event", "fetch", "update", "search", "todos", "sync-initial", "sync-delta", "sync-empty",
		"sync-helper", "delete-event", "delete-calendar",
	}
	if strings.Join(order, " ") != strings.Join(want, " ") {
		t.Fatalf("steps = %v, want %v", order, want)
	}
	if !strings.Contains(out, "\nDONE\n") {
		t.Errorf("no DONE line")
	}
	if got := steps["principal"]; got != e.URL+e.Principal {
		t.Errorf("principal = %q, want %q", got, e.URL+e.Principal)
	}
	if got := steps["calendar-home-set"]; got != e.URL+e.Home {
		t.Errorf("calendar-home-set = %q, want %q", got, e.URL+e.Home)
	}
	if got := steps["calendars"]; got != e.URL+e.Calendar {
		t.Errorf("calendars = %q, want the default calendar only, %q", got, e.URL+e.Calendar)
	}
	if got := steps["make_calendar"]; !strings.HasPrefix(got, e.URL+e.Home+"pycaldav-") {
		t.Errorf("make_calendar created %q, want a calendar under %s", got, e.URL+e.Home)
	}
	// The calendar is gone from the store too.
	colls, err := e.Store.ListCollections(t.Context(), e.User)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, c := range colls {
		if c.Kind == storage.KindCalendar {
			names = append(names, c.Name)
		}
	}
	if strings.Join(names, " ") != "default" {
		t.Errorf("calendars left after the scenario: %v, want [default]", names)
	}
}

// requirePythonCaldav returns the system Python that has python3-caldav
// and the environment to run it in, or skips (fails under
// ALMANAC_INTEROP=1) without it.
func requirePythonCaldav(t *testing.T) (py string, env []string) {
	t.Helper()
	py = requireTool(t, systemPython)
	env = systemPythonEnv()
	if out, err := runEnv(env, "", "", py, "-c", "import caldav"); err != nil {
		t.Logf("import caldav: %v\n%s", err, out)
		missing(t, "python3-caldav", "python3-caldav")
	}
	return py, env
}
