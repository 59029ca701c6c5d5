package api

import (
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"
)

type refusal struct{ seconds int64 }

func (r refusal) Error() string            { return "auth: too many failed TOTP code attempts for account u1" }
func (r refusal) RetryAfterSeconds() int64 { return r.seconds }

// A Throttled error, however deeply wrapped, is a 429 with Retry-After
// and the one generic message: its own text names what was guessed.
func TestWriteError_Throttled(t *testing.T) {
	for _, tc := range []struct {
		err   error
		retry string
	}{
		{refusal{900}, "900"},
		{fmt.Errorf("account: confirm: %w", refusal{17}), "17"},
		{refusal{0}, "1"},
	} {
		rec := httptest.NewRecorder()
		WriteError(rec, httptest.NewRequest("POST", "/", nil), nil, tc.err)
		var got struct {
			Error Error `json:"error"`
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil || rec.Code != 429 || got.Error.Code != "too_many_requests" {
			t.Errorf("%v: %d %s", tc.err, rec.Code, rec.Body)
		}
		if rec.Header().Get("Retry-After") != tc.retry {
			t.Errorf("%v: Retry-After %q, want %q", tc.err, rec.Header().Get("Retry-After"), tc.retry)
		}
		if strings.Contains(rec.Body.String(), "u1") || strings.Contains(rec.Body.String(), "TOTP") {
			t.Errorf("error text leaked: %s", rec.Body)
		}
	}
}
