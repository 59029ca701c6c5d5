package server_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"testing"

	"almanac/server"
	"almanac/server/servertest"
	"almanac/storage"
)

var errDiskOnFire = errors.New("disk on fire")

// brokenStore fails the writes of objects and the listing of links, so
// that a DAV request and an API request fail inside their handlers.
type brokenStore struct{ storage.Store }

func (brokenStore) Put(context.Context, storage.PutObject) (*storage.ObjectMeta, bool, error) {
	return nil, false, errDiskOnFire
}

func (brokenStore) ListLinks(context.Context, string) ([]storage.Link, error) {
	return nil, errDiskOnFire
}

// TestRequestIDOnEveryLogLine: with the JSON log format, every line a
// request causes carries its id as "req", the one the client got in
// X-Request-Id, including the error lines that the DAV and API renderers
// and the authenticator write, which used to lack it.
func TestRequestIDOnEveryLogLine(t *testing.T) {
	logs := &servertest.Logs{}
	env := servertest.New(t, func(c *server.Config) {
		c.Store = brokenStore{c.Store}
		c.Logger = slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	})
	jane := env.Account("jane@example.com")

	type request struct {
		method, path, login string
		hdr                 []string
		status              int
		want                []string // messages of its lines, in order
	}
	var ids []string
	wantLines := map[string][]string{}
	for _, q := range []request{
		{"PUT", "/dav/calendars/" + jane.ID + "/default/a.ics", jane.Login, []string{"Content-Type", "text/calendar"}, 500,
			[]string{"request failed", "request"}},
		{"GET", "/api/v1/links", jane.Login, nil, 500, []string{"api request failed", "request"}},
		{"PROPFIND", "/dav/", "", []string{"Authorization", servertest.BasicAuth(jane.Login, "wrong password")}, 401,
			[]string{"auth: login failed", "request"}},
	} {
		body := ""
		if q.method == "PUT" {
			body = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//t//EN\r\nBEGIN:VEVENT\r\nUID:a\r\nDTSTAMP:20260101T000000Z\r\n" +
				"DTSTART:20260102T100000Z\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
		}
		rec := env.Do(q.method, q.path, q.login, body, q.hdr...)
		id := rec.Header().Get("X-Request-Id")
		if rec.Code != q.status || id == "" {
			t.Fatalf("%s %s: %d, X-Request-Id %q", q.method, q.path, rec.Code, id)
		}
		if strings.Contains(rec.Body.String(), errDiskOnFire.Error()) {
			t.Errorf("%s %s: the internal error reached the client: %s", q.method, q.path, rec.Body)
		}
		ids = append(ids, id)
		wantLines[id] = q.want
	}

	gotLines := map[string][]string{}
	sc := bufio.NewScanner(strings.NewReader(logs.String()))
	for sc.Scan() {
		var line map[string]any
		if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
			t.Fatalf("not a JSON log line: %q (%v)", sc.Text(), err)
		}
		req, _ := line["req"].(string)
		msg, _ := line["msg"].(string)
		if !slices.Contains(ids, req) {
			t.Errorf("a line without the id of a request: %s", sc.Text())
			continue
		}
		gotLines[req] = append(gotLines[req], msg)
		if strings.Contains(msg, "failed") && line["level"] == "ERROR" && !strings.Contains(sc.Text(), errDiskOnFire.Error()) {
			t.Errorf("the error line does not say what failed: %s", sc.Text())
		}
	}
	for _, id := range ids {
		if !slices.Equal(gotLines[id], wantLines[id]) {
			t.Errorf("request %s logged %q, want %q\n%s", id, gotLines[id], wantLines[id], logs)
		}
	}
}

// TestRequestIDFirstOnTextLines: in the text format the id leads the
// line, where it was before it came from the context.
func TestRequestIDFirstOnTextLines(t *testing.T) {
	env := servertest.New(t)
	rec := env.Do("GET", "/nope", "", "")
	want := "req=" + rec.Header().Get("X-Request-Id") + ` principal="" method=GET path=/nope status=404`
	for line := range strings.SplitSeq(env.Logs.String(), "\n") {
		if strings.Contains(line, `msg=request `) {
			if _, rest, _ := strings.Cut(line, "msg=request "); !strings.HasPrefix(rest, want) {
				t.Errorf("request line %q; want it to go on with %q", line, want)
			}
			return
		}
	}
	t.Fatalf("no request line in\n%s", env.Logs)
}
