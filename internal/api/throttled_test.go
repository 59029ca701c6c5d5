package api_test

import (
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"almanac/auth"
	"almanac/internal/api"
)

// A refused secret check, however deeply wrapped, is a 429 with
// Retry-After and the one generic message: its own text names what was
// guessed.
func TestWriteError_Throttled(t *testing.T) {
	for _, tc := range []struct {
		err   error
		retry string
	}{
		{&auth.ThrottledError{Kind: auth.KindTOTP, RetryAfter: 900 * time.Second}, "900"},
		{fmt.Errorf("account: confirm: %w", &auth.ThrottledError{Kind: auth.KindTOTP, RetryAfter: 17 * time.Second}), "17"},
		{&auth.ThrottledError{Kind: auth.KindTOTP}, "1"},
	} {
		rec := httptest.NewRecorder()
		api.WriteError(rec, httptest.NewRequest("POST", "/", nil), nil, tc.err)
		var got struct {
			Error api.Error `json:"error"`
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil || rec.Code != 429 || got.Error.Code != "too_many_requests" {
			t.Errorf("%v: %d %s", tc.err, rec.Code, rec.Body)
		}
		if rec.Header().Get("Retry-After") != tc.retry {
			t.Errorf("%v: Retry-After %q, want %q", tc.err, rec.Header().Get("Retry-After"), tc.retry)
		}
		if strings.Contains(rec.Body.String(), "TOTP") {
			t.Errorf("error text leaked: %s", rec.Body)
		}
	}
}
