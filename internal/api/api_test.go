package api

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestDecode(t *testing.T) {
	type body struct {
		Name string `json:"name"`
		N    int    `json:"n"`
	}
	tests := []struct {
		name, ct, body string
		status         int
		code, field    string
	}{
		{"ok", "application/json", `{"name":"x","n":2}`, 0, "", ""},
		{"no content type", "", `{"name":"x"}`, 0, "", ""},
		{"wrong media type", "text/plain", `{}`, 415, "unsupported_media_type", ""},
		{"empty", "application/json", ``, 400, "invalid_json", ""},
		{"syntax", "application/json", `{"name":`, 400, "invalid_json", ""},
		{"unknown field", "application/json", `{"nme":"x"}`, 400, "invalid_field", "nme"},
		{"wrong type", "application/json", `{"n":"two"}`, 400, "invalid_field", "n"},
		{"two values", "application/json", `{} {}`, 400, "invalid_json", ""},
		{"array", "application/json", `[1]`, 400, "invalid_field", ""},
		{"too large", "application/json", `{"name":"` + strings.Repeat("x", MaxBody) + `"}`, 413, "too_large", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("POST", "/", strings.NewReader(tt.body))
			if tt.ct != "" {
				r.Header.Set("Content-Type", tt.ct)
			}
			var v body
			err := Decode(r, &v)
			if tt.status == 0 {
				if err != nil {
					t.Fatalf("err %v", err)
				}
				return
			}
			var ae *Error
			if !errors.As(err, &ae) || ae.Status != tt.status || ae.Code != tt.code || ae.Field != tt.field {
				t.Fatalf("err %#v, want %d %s field %q", err, tt.status, tt.code, tt.field)
			}
		})
	}
}

func TestWriteError(t *testing.T) {
	rec := httptest.NewRecorder()
	WriteError(rec, httptest.NewRequest("GET", "/", nil), nil, errors.New("disk on fire at /var/lib"))
	if rec.Code != 500 || strings.Contains(rec.Body.String(), "disk") {
		t.Errorf("internal error leaked: %d %s", rec.Code, rec.Body)
	}
	rec = httptest.NewRecorder()
	WriteError(rec, httptest.NewRequest("GET", "/", nil), nil, invalid("tier", "tier must be full, limited or busy"))
	var got struct {
		Error Error `json:"error"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil || rec.Code != http.StatusBadRequest ||
		got.Error.Code != "invalid_field" || got.Error.Field != "tier" || got.Error.Message == "" {
		t.Errorf("got %d %s", rec.Code, rec.Body)
	}
}
