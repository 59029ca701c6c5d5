package twoservers

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"almanac/account"
	"almanac/auth"
	"almanac/internal/pgtest"
	"almanac/server"
	"almanac/server/servertest"
	"almanac/storage/postgres"
)

// The price of shared counting on the paths every request takes: a
// request with a verified (cached) password reads the login's counters
// first; a wrong password reserves and records in each of its three
// rules. "memory" is the same server counting in its own memory.
func BenchmarkBasic(b *testing.B) {
	st, err := postgres.Open(context.Background(), pgtest.SchemaURL(b), postgres.Options{MaxConns: 8})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	jane := servertest.Account(b, st, "jane@example.org")
	for _, where := range []string{"shared", "memory"} {
		cfg := server.Config{Store: st}
		if where == "memory" {
			cfg.Auth = auth.New(st, auth.Options{})
		}
		srv := server.New(cfg)
		for _, tc := range []struct {
			name, pw string
			code     int
		}{
			{"cached", servertest.Password, http.StatusOK},
			// A wrong password costs argon2 as well (~30 ms); compare
			// the two lines, not the absolute time. Each attempt has
			// a login and an address of its own, so that none is ever
			// throttled and every one reserves and records in each
			// rule.
			{"wrong", "wrong password", http.StatusUnauthorized},
		} {
			b.Run(where+"/"+tc.name, func(b *testing.B) {
				for i := range b.N {
					r := httptest.NewRequest("GET", account.AccountPath, nil)
					r.RemoteAddr = "10." + itoa(i>>16&255) + "." + itoa(i>>8&255) + "." + itoa(i&255) + ":1"
					login := jane.Login
					if tc.code != http.StatusOK {
						login = where + itoa(i) + "@example.org"
					}
					r.Header.Set("Authorization", servertest.BasicAuth(login, tc.pw))
					rec := httptest.NewRecorder()
					srv.ServeHTTP(rec, r)
					if rec.Code != tc.code {
						b.Fatalf("%d %s", rec.Code, rec.Body)
					}
				}
			})
		}
	}
}

func itoa(n int) string {
	const digits = "0123456789"
	if n < 10 {
		return digits[n : n+1]
	}
	return itoa(n/10) + digits[n%10:n%10+1]
}
