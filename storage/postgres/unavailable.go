package postgres

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"

	"github.com/jackc/pgx/v5/pgconn"

	"almanac/storage"
)

// unavailable reports whether err says that the database cannot be
// reached rather than anything about the data: callers then answer 503
// and retry later instead of 500. pgxpool drops a connection that failed
// this way and dials a new one for the next request, so nothing here
// has to reconnect.
func unavailable(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) {
		// A caller that went away is not the database's failure.
		return false
	}
	var ce *pgconn.ConnectError
	var pe *pgconn.PgError
	var ne net.Error
	switch {
	case errors.As(err, &ce), pgconn.Timeout(err), errors.Is(err, context.DeadlineExceeded):
		return true
	case errors.As(err, &pe):
		switch {
		case len(pe.Code) == 5 && pe.Code[:2] == "08": // connection exception
			return true
		case pe.Code == "57P01", pe.Code == "57P02", pe.Code == "57P03": // shutting down, crashed, starting
			return true
		case pe.Code == "53300": // too many connections
			return true
		case pe.Code == "57014": // statement_timeout (a cancelled context is caught above)
			return true
		}
		return false
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF), errors.As(err, &ne):
		// The server closed the connection or the network broke it.
		return true
	case errors.Is(err, pgconn.ErrConnClosed):
		// It broke earlier in the same operation (a crashed server
		// under load): a statement may have been sent, so the outcome
		// of a write is unknown, as with a cut connection.
		return true
	}
	// "conn closed" and the like: the statement never left.
	return pgconn.SafeToRetry(err)
}

// brokenConnection reports an error that ended a connection because of
// the network or the server going away (not a statement timeout or a
// caller's deadline, which leave the others alone): the pool's other
// connections are then most likely dead as well.
func brokenConnection(err error) bool {
	if !unavailable(err) || pgconn.Timeout(err) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return len(pe.Code) == 5 && pe.Code[:2] == "08" || pe.Code == "57P01" || pe.Code == "57P02"
	}
	return true
}

// wrap names the operation and, for a database that cannot be reached,
// adds storage.ErrUnavailable: every method's error passes through it.
func wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	if unavailable(err) && !errors.Is(err, storage.ErrUnavailable) {
		return fmt.Errorf("storage/postgres: %s: %w: %w", op, storage.ErrUnavailable, err)
	}
	return fmt.Errorf("storage/postgres: %s: %w", op, err)
}
