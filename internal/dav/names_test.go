package dav

import (
	"bytes"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
)

func TestSplitPath_SegmentLength(t *testing.T) {
	ascii := func(n int) string { return strings.Repeat("a", n) }
	tests := []struct {
		name    string
		escaped string
		want    string // last segment; "" for an error
	}{
		{"at the limit", "/dav/c/" + ascii(MaxSegmentBytes), ascii(MaxSegmentBytes)},
		{"one byte over", "/dav/c/" + ascii(MaxSegmentBytes+1), ""},
		{"40 KiB", "/dav/c/" + ascii(40<<10) + ".ics", ""},
		// The limit is on the decoded name, the storage key.
		{"encoded, at the limit", "/dav/c/" + strings.Repeat("%C3%A9", MaxSegmentBytes/2), strings.Repeat("é", MaxSegmentBytes/2)},
		{"encoded, over", "/dav/c/" + strings.Repeat("%C3%A9", MaxSegmentBytes/2) + "a", ""},
		{"long segment in the middle", "/dav/" + ascii(MaxSegmentBytes+1) + "/x/", ""},
		{"long collection with trailing slash", "/dav/c/" + ascii(MaxSegmentBytes+1) + "/", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			segs, _, err := SplitPath(tt.escaped, "/dav")
			if tt.want == "" {
				e := wantError(t, err, http.StatusRequestURITooLong, xmlNameZero)
				if e != ErrNameTooLong || !strings.Contains(e.Message, strconv.Itoa(MaxSegmentBytes)+" bytes") {
					t.Errorf("error %v", e)
				}
				return
			}
			if err != nil || segs[len(segs)-1] != tt.want {
				t.Fatalf("got %d segments, %v", len(segs), err)
			}
		})
	}
}

func TestWriteError_LongPathTruncatedInLog(t *testing.T) {
	for _, tc := range []struct {
		name, path string
	}{
		{"ascii", "/dav/c/" + strings.Repeat("n", 40<<10)},
		{"multi-byte at the cut", "/dav/c/" + strings.Repeat("é", 20<<10)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var logBuf bytes.Buffer
			logger := slog.New(slog.NewJSONHandler(&logBuf, &slog.HandlerOptions{Level: slog.LevelDebug}))
			r := httptest.NewRequest("PUT", "/", nil)
			r.URL.Path = tc.path
			WriteError(httptest.NewRecorder(), r, logger, fmt.Errorf("boom: %w", ErrNameTooLong))
			out := logBuf.String()
			if len(out) > 2*maxLogPath {
				t.Fatalf("log line of %d bytes", len(out))
			}
			if !strings.Contains(out, "…("+strconv.Itoa(len(tc.path))+" bytes)") {
				t.Errorf("truncation not marked: %.300s", out)
			}
			if strings.Contains(out, `\ufffd`) || strings.Contains(out, "\uFFFD") {
				t.Error("cut inside a character")
			}
		})
	}
	// Ordinary paths are logged whole.
	_, logs := writeErr(t, "GET", ErrNotFound)
	if !strings.Contains(logs, "path=/dav/calendars/a/c/ ") {
		t.Errorf("logs %q", logs)
	}
}
