package postgres

import (
	"context"
	"errors"
	"fmt"
	"io"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"
)

// What unavailable takes for the database being away, and what not: a
// connection that broke earlier in the same operation (pgx's "conn
// closed", seen when the database crashes under load) is, a caller that
// gave up or an error about the data is not.
func TestUnavailable_Classifies(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
		want bool
	}{
		{"nil", nil, false},
		{"caller cancelled", fmt.Errorf("query: %w", context.Canceled), false},
		{"connection closed earlier in the operation", fmt.Errorf("query: %w", pgconn.ErrConnClosed), true},
		{"connection cut", fmt.Errorf("read: %w", io.ErrUnexpectedEOF), true},
		{"server shutting down", &pgconn.PgError{Code: "57P01"}, true},
		{"server crashed", &pgconn.PgError{Code: "57P02"}, true},
		{"unique violation", &pgconn.PgError{Code: "23505"}, false},
		{"other", errors.New("storage/postgres: a bug"), false},
	} {
		if got := unavailable(tc.err); got != tc.want {
			t.Errorf("%s: unavailable(%v) = %v, want %v", tc.name, tc.err, got, tc.want)
		}
	}
}
