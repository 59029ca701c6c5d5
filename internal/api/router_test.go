package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"almanac/internal/fault"
	"almanac/storage"
)

type ctxKey struct{}

// testRouter has an authenticated route, a public one, one the Admit
// hook does not hold back, and a fake authentication that lets requests
// with "X-Test-User" through.
func testRouter(t *testing.T) *Router {
	t.Helper()
	rt := NewRouter(Options{
		Authenticate: func(next http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				user := r.Header.Get("X-Test-User")
				if user == "" {
					WriteError(w, r, nil, fault.New(fault.Unauthenticated, "login_required", "log in"))
					return
				}
				next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), ctxKey{}, user)))
			})
		},
		Admit: func(r *http.Request) error {
			if r.Context().Value(ctxKey{}) == "held" {
				return fault.New(fault.Forbidden, "held", "not yet")
			}
			return nil
		},
	})
	echo := func(w http.ResponseWriter, r *http.Request) error {
		WriteJSON(w, http.StatusOK, map[string]string{"user": fmt.Sprint(r.Context().Value(ctxKey{})), "id": r.PathValue("id")})
		return nil
	}
	rt.Handle("GET /api/v1/things/{id}", echo)
	rt.Handle("DELETE /api/v1/things/{id}", echo)
	rt.Handle("POST /api/v1/open", echo, Public)
	rt.Handle("GET /api/v1/always", echo, DuringLoginChange)
	return rt
}

type answer struct {
	status int
	allow  string
	body   map[string]map[string]string
	raw    string
}

func call(t *testing.T, h http.Handler, method, path, user string) answer {
	t.Helper()
	r := httptest.NewRequest(method, path, nil)
	if user != "" {
		r.Header.Set("X-Test-User", user)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	a := answer{status: rec.Code, allow: rec.Header().Get("Allow"), raw: rec.Body.String()}
	json.Unmarshal(rec.Body.Bytes(), &a.body)
	return a
}

func TestRouter(t *testing.T) {
	rt := testRouter(t)
	tests := []struct {
		name, method, path, user string
		status                   int
		code, allow              string
	}{
		{"route", "GET", "/api/v1/things/7", "jane", 200, "", ""},
		{"trailing slash", "GET", "/api/v1/things/7/", "jane", 200, "", ""},
		{"HEAD with GET", "HEAD", "/api/v1/things/7", "jane", 200, "", ""},
		{"other method", "PUT", "/api/v1/things/7", "jane", 405, "method_not_allowed", "DELETE, GET, HEAD"},
		{"no such path", "GET", "/api/v1/nothing", "jane", 404, "not_found", ""},
		{"no such sub-path", "GET", "/api/v1/things/7/more", "jane", 404, "not_found", ""},
		{"dot segments", "GET", "/api/v1/things/../open", "jane", 404, "not_found", ""},
		{"not logged in", "GET", "/api/v1/things/7", "", 401, "login_required", ""},
		{"public", "POST", "/api/v1/open", "", 200, "", ""},
		{"held back", "GET", "/api/v1/things/7", "held", 403, "held", ""},
		{"open while held", "GET", "/api/v1/always", "held", 200, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := call(t, rt, tt.method, tt.path, tt.user)
			if a.status != tt.status || a.body["error"]["code"] != tt.code || a.allow != tt.allow {
				t.Fatalf("%s %s: %d Allow %q %s; want %d %q Allow %q", tt.method, tt.path, a.status, a.allow, a.raw, tt.status, tt.code, tt.allow)
			}
		})
	}
	if got := call(t, rt, "GET", "/api/v1/things/a%2Fb", "jane"); got.status != 200 || !strings.Contains(got.raw, `"id":"a/b"`) {
		t.Errorf("escaped slash in a parameter: %d %s", got.status, got.raw)
	}
}

func TestRoutesListsPatterns(t *testing.T) {
	got := strings.Join(testRouter(t).Routes(), "|")
	want := "GET /api/v1/things/{id}|DELETE /api/v1/things/{id}|POST /api/v1/open|GET /api/v1/always"
	if got != want {
		t.Fatalf("Routes %q, want %q", got, want)
	}
}

// Every error a handler returns is rendered here: domain faults by kind,
// storage sentinels (wrapped as backends wrap them) by meaning, and
// anything else as a 500 that tells nothing.
func TestWriteErrorMapsEveryKind(t *testing.T) {
	tests := []struct {
		name   string
		err    error
		status int
		code   string
		retry  string
	}{
		{"invalid", fault.Invalidf("label", "too long"), 400, "invalid_field", ""},
		{"unauthenticated", fault.New(fault.Unauthenticated, "wrong_credentials", "wrong"), 401, "wrong_credentials", ""},
		{"forbidden", fault.New(fault.Forbidden, "not_manager", "no"), 403, "not_manager", ""},
		{"not found", fault.New(fault.NotFound, "gone", "gone"), 404, "gone", ""},
		{"conflict", fault.New(fault.Conflict, "login_taken", "taken"), 409, "login_taken", ""},
		{"limit", fault.New(fault.Limit, "too_many_links", "100"), 409, "too_many_links", ""},
		{"throttled", &fault.Error{Kind: fault.Throttled, Code: "too_many_requests", Message: "later", RetryAfter: 1500 * time.Millisecond}, 429, "too_many_requests", "2"},
		{"wrapped fault", fmt.Errorf("account: patch: %w", fault.Invalidf("mobile", "bad")), 400, "invalid_field", ""},
		{"kindless fault", &fault.Error{Code: "x", Message: "y"}, 500, "internal", ""},
		{"storage not found", fmt.Errorf("storage/bolt: get: %w", storage.ErrNotFound), 404, "not_found", ""},
		{"storage exists", fmt.Errorf("storage/bolt: put: %w", storage.ErrExists), 409, "exists", ""},
		{"storage precondition", storage.ErrPreconditionFailed, 412, "changed", ""},
		{"storage limit", storage.ErrLimit, 409, "limit_reached", ""},
		{"anything else", errors.New("storage/bolt: disk on fire at /var/lib/almanac"), 500, "internal", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			WriteError(rec, httptest.NewRequest("GET", "/", nil), nil, tt.err)
			var body map[string]map[string]string
			json.Unmarshal(rec.Body.Bytes(), &body)
			if rec.Code != tt.status || body["error"]["code"] != tt.code || rec.Header().Get("Retry-After") != tt.retry {
				t.Fatalf("%d %q Retry-After %q; want %d %q %q", rec.Code, rec.Body, rec.Header().Get("Retry-After"), tt.status, tt.code, tt.retry)
			}
			if strings.Contains(rec.Body.String(), "storage") || strings.Contains(rec.Body.String(), "/var/lib") {
				t.Fatalf("internal text reached the client: %s", rec.Body)
			}
		})
	}
	rec := httptest.NewRecorder()
	WriteError(rec, httptest.NewRequest("GET", "/", nil), nil, fmt.Errorf("read: %w", context.Canceled))
	if rec.Body.Len() != 0 {
		t.Errorf("a request the client gave up on got an answer: %d %s", rec.Code, rec.Body)
	}
}

type accounts struct{ storage.Accounts }

func (accounts) Account(_ context.Context, id string) (*storage.Account, error) {
	if id == "h1" {
		return &storage.Account{ID: "h1", Login: "bob@example.com"}, nil
	}
	return nil, storage.ErrNotFound
}

func (accounts) AccountByLogin(_ context.Context, login string) (*storage.Account, error) {
	if strings.EqualFold(login, "bob@example.com") {
		return &storage.Account{ID: "h1", Login: "bob@example.com"}, nil
	}
	return nil, storage.ErrNotFound
}

func TestResolveAccount(t *testing.T) {
	me := &storage.Account{ID: "h0", Login: "jane@example.com"}
	tests := []struct{ ref, want string }{
		{"me", "h0"}, {"h1", "h1"}, {"bob@example.com", "h1"}, {"BOB@example.com", "h1"},
		{"h2", ""}, {"nobody@example.com", ""}, {"", ""},
	}
	for _, tt := range tests {
		acc, err := ResolveAccount(context.Background(), accounts{}, me, tt.ref)
		switch {
		case tt.want == "" && !errors.Is(err, storage.ErrNotFound):
			t.Errorf("%q: %v %v, want ErrNotFound", tt.ref, acc, err)
		case tt.want != "" && (err != nil || acc.ID != tt.want):
			t.Errorf("%q: %v %v, want %s", tt.ref, acc, err, tt.want)
		}
	}
}

// Answers are JSON that browsers must not sniff as HTML, so URLs in them
// need no HTML escaping: an otpauth URI reads as written.
func TestWriteJSONKeepsURLs(t *testing.T) {
	rec := httptest.NewRecorder()
	WriteJSON(rec, http.StatusOK, map[string]string{"uri": "otpauth://totp/a?secret=X&issuer=almanac<>"})
	if got := rec.Body.String(); !strings.Contains(got, `secret=X&issuer=almanac<>`) {
		t.Fatalf("body %s", got)
	}
	if rec.Header().Get("X-Content-Type-Options") != "nosniff" || !strings.HasPrefix(rec.Header().Get("Content-Type"), "application/json") {
		t.Fatalf("headers %v", rec.Header())
	}
}
