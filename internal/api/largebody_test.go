package api

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestLargeBody: a LargeBody route decodes bodies past MaxBody up to
// MaxLargeBody, and tells the server's body limits so through
// BodyLimit; every other route keeps MaxBody.
func TestLargeBody(t *testing.T) {
	rt := NewRouter(Options{})
	var limits []int64
	h := func(w http.ResponseWriter, r *http.Request) error {
		limits = append(limits, BodyLimit(r))
		var v struct {
			Text string `json:"text"`
		}
		if err := Decode(r, &v); err != nil {
			return err
		}
		WriteJSON(w, http.StatusOK, map[string]int{"len": len(v.Text)})
		return nil
	}
	rt.Handle("POST /api/v1/small", h)
	rt.Handle("POST /api/v1/large", h, LargeBody)
	for _, tc := range []struct {
		path string
		size int
		want int
	}{
		{"/api/v1/small", MaxBody - 100, 200},
		{"/api/v1/small", MaxBody + 1, 413},
		{"/api/v1/large", MaxBody + 1, 200},
		{"/api/v1/large", MaxLargeBody - 100, 200},
		{"/api/v1/large", MaxLargeBody + 1, 413},
	} {
		body := `{"text":"` + strings.Repeat("x", tc.size-len(`{"text":""}`)) + `"}`
		rec := httptest.NewRecorder()
		rt.ServeHTTP(rec, httptest.NewRequest("POST", tc.path, strings.NewReader(body)))
		if rec.Code != tc.want {
			t.Errorf("%s with %d bytes: %d %s, want %d", tc.path, len(body), rec.Code, rec.Body, tc.want)
		}
	}
	if limits[0] != MaxBody || limits[len(limits)-1] != MaxLargeBody {
		t.Errorf("BodyLimit saw %v", limits)
	}
}
