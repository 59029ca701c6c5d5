package main

import (
	"bufio"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"almanac/internal/buildinfo"
	"almanac/server/servertest"
)

// TestVersion: `almanac version` and `almanac -version` print the build
// information the toolchain recorded, one line; anything after it is a
// usage error.
func TestVersion(t *testing.T) {
	want := buildinfo.Read().String() + "\n"
	if !strings.HasPrefix(want, "almanac ") || !strings.Contains(want, buildinfo.Read().GoVersion) {
		t.Fatalf("build information %q", want)
	}
	for _, args := range [][]string{{"version"}, {"-version"}, {"--version"}} {
		code, out, errs := runCmd(t, "", args...)
		if code != 0 || out != want || errs != "" {
			t.Errorf("%v: code %d stdout %q stderr %q; want 0 and %q", args, code, out, errs, want)
		}
	}
	if code, _, errs := runCmd(t, "", "version", "now"); code != 2 || !strings.Contains(errs, `unexpected argument "now"`) {
		t.Errorf("version now: code %d %q", code, errs)
	}
	if code, out, _ := runCmd(t, "", "help"); code != 0 || !strings.Contains(out, "almanac version\n") {
		t.Errorf("help does not list version: %q", out)
	}
}

// TestServeOpsConfigErrors: the new settings are checked like the others,
// before anything is bound or written, and a token never appears in a
// message.
func TestServeOpsConfigErrors(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	short := write("short", "s3cret-short\n")
	spaced := write("spaced", "s3cret with spaces inside it\n")
	empty := write("empty", "\n")
	good := write("good", "  0123456789abcdef-s3cret  \n")
	for _, tc := range []struct {
		name string
		args []string
		env  map[string]string
		want string
	}{
		{"log format", []string{"-log-format", "xml"}, nil, `-log-format="xml" (env ALMANAC_LOG_FORMAT): not one of text, json`},
		{"log format env", nil, map[string]string{"ALMANAC_LOG_FORMAT": "yaml"}, `ALMANAC_LOG_FORMAT="yaml" (flag -log-format): not one of text, json`},
		{"metrics listen", []string{"-metrics-listen", "9100"}, nil, `-metrics-listen="9100" (env ALMANAC_METRICS_LISTEN): not a host:port address`},
		{"token file missing", []string{"-metrics-token-file", filepath.Join(dir, "none")}, nil, "cannot read: no such file or directory"},
		{"token file is a directory", []string{"-metrics-token-file", dir}, nil, "cannot read"},
		{"token file empty", []string{"-metrics-token-file", empty}, nil, "the file is empty"},
		{"token too short", []string{"-metrics-token-file", short}, nil, "the token in it is shorter than 16 characters"},
		{"token with spaces", []string{"-metrics-token-file", spaced}, nil, "the token in it has a character a bearer token cannot carry"},
		{"env token too short", nil, map[string]string{"ALMANAC_METRICS_TOKEN": "s3cret-short"}, "ALMANAC_METRICS_TOKEN: the token is shorter than 16 characters"},
		{"token twice", []string{"-metrics-token-file", good}, map[string]string{"ALMANAC_METRICS_TOKEN": "0123456789abcdef-s3cret"},
			"the metrics token is in both ALMANAC_METRICS_TOKEN and -metrics-token-file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			data := filepath.Join(t.TempDir(), "data")
			args := append([]string{"serve", "-data", data, "-listen", holdPort(t)}, tc.args...)
			code, out, errs := runCmd(t, "", args...)
			first, _, _ := strings.Cut(errs, "\n")
			if code != 2 || !strings.Contains(first, tc.want) || out != "" {
				t.Errorf("code %d stdout %q stderr %q; want 2 and %q", code, out, errs, tc.want)
			}
			if strings.Contains(errs, "s3cret") {
				t.Errorf("the token is in the message: %q", errs)
			}
			assertAbsent(t, data)
		})
	}
	// A good token file gets serve as far as binding.
	code, _, errs := runCmd(t, "", "serve", "-data", filepath.Join(dir, "data"), "-listen", holdPort(t), "-metrics-token-file", good)
	if code != 1 || !strings.Contains(errs, "address already in use") {
		t.Errorf("good token file: code %d %q", code, errs)
	}
	// So is a metrics address in use, before anything is written.
	data := filepath.Join(dir, "data2")
	code, _, errs = runCmd(t, "", "serve", "-data", data, "-listen", "127.0.0.1:0", "-metrics-listen", holdPort(t))
	if code != 1 || !strings.Contains(errs, "listen for metrics") || !strings.Contains(errs, "address already in use") {
		t.Errorf("metrics address in use: code %d %q", code, errs)
	}
	assertAbsent(t, data)
}

// TestServeMetricsListenAndJSONLogs runs the real command with metrics on
// a listener of their own behind a token, and JSON logs: /metrics is
// there (parsed by the Prometheus parser) and nowhere else, and every log
// line is a JSON object, the request line and the failure line of a
// request carrying its id.
func TestServeMetricsListenAndJSONLogs(t *testing.T) {
	dir := t.TempDir()
	addr, metricsAddr := freePort(t), freePort(t)
	const token = "0123456789abcdef0123456789abcdef"
	cmd := exec.Command(os.Args[0], "serve", "-listen", addr, "-data", dir, "-metrics-listen", metricsAddr, "-log-format", "json")
	cmd.Env = append(os.Environ(), "ALMANAC_TEST_MAIN=1", "ALMANAC_METRICS_TOKEN="+token)
	cmd.Stdout = io.Discard
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	lines := make(chan map[string]any, 100)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			var l map[string]any
			if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
				l = map[string]any{"not json": sc.Text()}
			}
			lines <- l
		}
	}()
	next := func(msg string) map[string]any {
		t.Helper()
		timeout := time.After(30 * time.Second)
		for {
			select {
			case l, ok := <-lines:
				if !ok {
					t.Fatalf("serve ended before logging %q", msg)
				}
				if l["not json"] != nil {
					t.Fatalf("a log line is not JSON: %q", l["not json"])
				}
				if l["msg"] == msg {
					return l
				}
			case <-timeout:
				t.Fatalf("no %q line", msg)
			}
		}
	}
	if l := next("almanac listening"); l["version"] != buildinfo.Read().Version {
		t.Errorf("start line %v; want the version", l)
	}
	if l := next("metrics listening"); l["addr"] != metricsAddr || l["token"] != true {
		t.Errorf("metrics line %v", l)
	}

	get := func(url, auth string) (*http.Response, string) {
		t.Helper()
		req, _ := http.NewRequest("GET", url, nil)
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, string(b)
	}
	resp, _ := get("http://"+addr+"/api/v1/account", servertest.BasicAuth("nobody@example.com", "wrong password"))
	if resp.StatusCode != 401 {
		t.Fatalf("wrong login: %d", resp.StatusCode)
	}
	id := resp.Header.Get("X-Request-Id")
	if l := next("auth: login failed"); l["req"] != id {
		t.Errorf("failure line %v; want req %q", l, id)
	}
	if l := next("request"); l["req"] != id || l["status"] != float64(401) {
		t.Errorf("request line %v; want req %q", l, id)
	}

	if resp, body := get("http://"+addr+"/metrics", "Bearer "+token); resp.StatusCode != 404 || strings.Contains(body, "almanac_") {
		t.Errorf("/metrics on the main address: %d", resp.StatusCode)
	}
	if resp, _ := get("http://"+metricsAddr+"/metrics", ""); resp.StatusCode != 401 {
		t.Errorf("/metrics without the token: %d", resp.StatusCode)
	}
	resp, body := get("http://"+metricsAddr+"/metrics", "Bearer "+token)
	if resp.StatusCode != 200 {
		t.Fatalf("/metrics with the token: %d", resp.StatusCode)
	}
	m := servertest.ParseMetrics(t, strings.NewReader(body))
	if v := m.Value("almanac_http_requests_total", "route", "/api/v1/account", "method", "GET", "status", "401"); v != 1 {
		t.Errorf("the failed login counted %v times", v)
	}
	if v := m.Value("almanac_auth_failures_total", "kind", "password"); v != 1 {
		t.Errorf("%v password failures", v)
	}
	if m.Value("almanac_accounts") != 1 || m.Value("process_resident_memory_bytes") <= 0 {
		t.Errorf("accounts %v, resident memory %v", m.Value("almanac_accounts"), m.Value("process_resident_memory_bytes"))
	}

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	next("shutting down")
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serve exited with %v", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("serve did not stop on SIGTERM")
	}
}
