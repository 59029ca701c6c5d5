package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"almanac/storage"
)

var (
	_ storage.Exclusive = (*Store)(nil)
	_ storage.Signals   = (*Store)(nil)
)

// exclusiveLockSpace is the first key of the session advisory locks of
// Exclusively, apart from throttleLockSpace's.
const exclusiveLockSpace int32 = 0x6c656164 // "lead"

// dedicated opens a connection outside the pool: a session lock or a
// LISTEN lives as long as its connection, which must therefore neither
// go back to the pool nor take one of its places.
func (s *Store) dedicated(ctx context.Context) (*pgx.Conn, error) {
	return pgx.ConnectConfig(ctx, s.pool.Config().ConnConfig.Copy())
}

// sleep waits d or until ctx is done, reporting whether to go on.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// Exclusively implements storage.Exclusive with a session advisory lock
// (pg_try_advisory_lock) on a connection of its own: the lock is gone
// the moment that connection is, so a server that dies hands the work
// on within Options.ServerRetry.
func (s *Store) Exclusively(ctx context.Context, name string, fn func(context.Context)) {
	key := lockKey(name, []byte(s.schema))
	for ctx.Err() == nil {
		s.lead(ctx, key, fn)
		if !sleep(ctx, s.serverRetry) {
			return
		}
	}
}

// lead takes the lock and runs fn until ctx is done or the lock is lost;
// it returns without running fn when it cannot connect or the lock is
// held elsewhere.
func (s *Store) lead(ctx context.Context, key int32, fn func(context.Context)) {
	conn, err := s.dedicated(ctx)
	if err != nil {
		return
	}
	defer conn.Close(context.Background())
	for {
		var held bool
		if err := conn.QueryRow(ctx, `SELECT pg_try_advisory_lock($1, $2)`, exclusiveLockSpace, key).Scan(&held); err != nil {
			return
		}
		if held {
			break
		}
		if !sleep(ctx, s.serverRetry) {
			return
		}
	}
	// A holder whose connection broke learns it at its next ping, up to
	// serverRetry later, and then stops its task: give it that time and
	// as much again before starting the same work here.
	if !sleep(ctx, 2*s.serverRetry) {
		return
	}
	fctx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(chan struct{})
	go func() {
		defer close(done)
		fn(fctx)
	}()
	tick := time.NewTicker(s.serverRetry)
	defer tick.Stop()
	for {
		select {
		case <-done:
			return
		case <-tick.C:
			pctx, pcancel := context.WithTimeout(ctx, s.serverRetry)
			err := conn.Ping(pctx)
			pcancel()
			if err != nil {
				// The lock may be gone with the connection: stop before
				// another server starts the same work.
				cancel()
				<-done
				return
			}
		}
	}
}

// channel is the NOTIFY channel of a topic in this store's schema
// (channels are per database); the schema is hashed to keep the name
// within PostgreSQL's 63 bytes.
func (s *Store) channel(topic string) string {
	return fmt.Sprintf("almanac_%08x_%s", uint32(lockKey(s.schema, nil)), topic)
}

// Signal implements storage.Signals with NOTIFY.
func (s *Store) Signal(ctx context.Context, topic string) error {
	if _, err := s.pool.Exec(ctx, `SELECT pg_notify($1, '')`, s.channel(topic)); err != nil {
		return wrap("signal", err)
	}
	return nil
}

// Listen implements storage.Signals with LISTEN on a connection of its
// own.
func (s *Store) Listen(ctx context.Context, topic string, fn func()) {
	for ctx.Err() == nil {
		s.listen(ctx, topic, fn)
		if !sleep(ctx, s.serverRetry) {
			return
		}
	}
}

func (s *Store) listen(ctx context.Context, topic string, fn func()) {
	conn, err := s.dedicated(ctx)
	if err != nil {
		return
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, "LISTEN "+pgx.Identifier{s.channel(topic)}.Sanitize()); err != nil {
		return
	}
	fn() // what was signalled while nobody listened
	for {
		if _, err := conn.WaitForNotification(ctx); err != nil {
			return
		}
		fn()
	}
}
