package postgres

import (
	"context"
	"crypto/rand"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"almanac/storage"
)

//go:embed migrations/*.sql
var migrations embed.FS

// migrationLock is the pg_advisory_lock key under which servers starting
// at once apply migrations one after the other ("almanac" in ASCII).
const migrationLock int64 = 0x616c6d616e6163

// Options tunes the connection pool. Zero values take the defaults.
type Options struct {
	// MaxConns bounds the pool (default 16): every request that touches
	// the store holds one connection for its transaction.
	MaxConns int32
	// ConnectTimeout bounds dialing and authenticating one connection
	// (default 5 s), so a database that went away fails requests fast.
	ConnectTimeout time.Duration
	// MaxConnLifetime recycles connections (default 1 h), so a server
	// follows a fail-over or a changed DNS name.
	MaxConnLifetime time.Duration
	// StatementTimeout is the server-side statement_timeout of every
	// connection (default 30 s; negative: none), so that a request stuck
	// behind a lock or a slow plan ends with storage.ErrUnavailable
	// instead of holding its connection. Snapshot, Restore, Check and
	// the migrations lift it for their own transactions: their time
	// grows with the database.
	StatementTimeout time.Duration
	// Existing refuses a database without almanac's schema (ErrNoSchema)
	// instead of creating it: for commands that work on a database
	// made before, which must not lay a schema into one named by
	// mistake. Missing migrations are applied all the same.
	Existing bool
	// ServerRetry is how often a server waiting for work another does
	// (Exclusively) asks for it again, the holder checks its lock, and a
	// broken listener (Listen) reconnects (default 5 s): how long work
	// may stand still after the server doing it died.
	ServerRetry time.Duration
}

// ErrNoSchema is Open's error with Options.Existing for a database that
// has no almanac schema.
var ErrNoSchema = errors.New("storage/postgres: no almanac schema in the database")

// defaultStatementTimeout is far above any request's work (a REPORT of
// a large calendar reads for well under a second), so it only ends the
// stuck ones.
const defaultStatementTimeout = 30 * time.Second

// Store implements storage.Store on PostgreSQL.
type Store struct {
	pool    *pgxpool.Pool
	commits *commitTracer
	// throttlePruned is when this server last swept expired throttle
	// rows (unix ns, throttle.go).
	throttlePruned atomic.Int64
	serverRetry    time.Duration // Options.ServerRetry
	// schema is the store's schema: advisory locks and NOTIFY channels
	// are per database, so Exclusively and Signals tell installations
	// in other schemas of the database apart by it.
	schema string
}

var _ storage.Store = (*Store)(nil)

// Open connects to the database at url (a postgres:// URL or key=value
// string), applies the migrations it lacks and returns the store.
func Open(ctx context.Context, url string, opts Options) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		// The URL may hold a password: say what is wrong, not the URL
		// (pgconn's error quotes it with the password masked, but the
		// cause alone is enough).
		if cause := errors.Unwrap(err); cause != nil {
			err = cause
		}
		return nil, fmt.Errorf("storage/postgres: open: parse url: %w", err)
	}
	cfg.MaxConns = 16
	if opts.MaxConns > 0 {
		cfg.MaxConns = opts.MaxConns
	}
	cfg.ConnConfig.ConnectTimeout = 5 * time.Second
	if opts.ConnectTimeout > 0 {
		cfg.ConnConfig.ConnectTimeout = opts.ConnectTimeout
	}
	cfg.MaxConnLifetime = time.Hour
	if opts.MaxConnLifetime > 0 {
		cfg.MaxConnLifetime = opts.MaxConnLifetime
	}
	timeout := defaultStatementTimeout
	if opts.StatementTimeout != 0 {
		timeout = max(opts.StatementTimeout, 0)
	}
	cfg.ConnConfig.RuntimeParams["statement_timeout"] = strconv.FormatInt(timeout.Milliseconds(), 10)
	commits := &commitTracer{open: map[*pgx.Conn]*openTx{}}
	cfg.ConnConfig.Tracer = commits
	cfg.AfterRelease = func(c *pgx.Conn) bool { commits.forget(c); return true }
	cfg.BeforeClose = commits.forget
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, wrap("open", err)
	}
	if err := migrate(ctx, pool, opts.Existing); err != nil {
		pool.Close()
		return nil, wrap("open", err)
	}
	retry := 5 * time.Second
	if opts.ServerRetry > 0 {
		retry = opts.ServerRetry
	}
	var schema string
	if err := pool.QueryRow(ctx, `SELECT current_schema()`).Scan(&schema); err != nil {
		pool.Close()
		return nil, wrap("open", err)
	}
	reset := pool.Reset
	commits.broken.Store(&reset)
	return &Store{pool: pool, commits: commits, serverRetry: retry, schema: schema}, nil
}

// Close closes the pool, waiting for connections in use to be returned.
func (s *Store) Close() error {
	s.pool.Close()
	return nil
}

// Ping checks that the database answers (for /healthz).
func (s *Store) Ping(ctx context.Context) error {
	return wrap("ping", s.pool.Ping(ctx))
}

type migration struct {
	version int
	name    string
	sql     string
}

func loadMigrations() ([]migration, error) {
	entries, err := fs.ReadDir(migrations, "migrations")
	if err != nil {
		return nil, err
	}
	var ms []migration
	for _, e := range entries {
		num, _, ok := strings.Cut(e.Name(), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("migration %q: name must start with a positive number and '_'", e.Name())
		}
		b, err := fs.ReadFile(migrations, "migrations/"+e.Name())
		if err != nil {
			return nil, err
		}
		ms = append(ms, migration{version: v, name: e.Name(), sql: string(b)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].version < ms[j].version })
	for i, m := range ms {
		if m.version != i+1 {
			return nil, fmt.Errorf("migration %q: versions must run 1, 2, 3... without gaps", m.name)
		}
	}
	return ms, nil
}

// SchemaVersion is the schema version this build writes and reads.
func SchemaVersion() int {
	ms, err := loadMigrations()
	if err != nil {
		return 0
	}
	return len(ms)
}

// migrate applies the missing migrations, each in its own transaction,
// holding a session advisory lock so that servers starting together do
// not race; a database newer than this build is refused rather than
// used with a schema the code does not know.
func migrate(ctx context.Context, pool *pgxpool.Pool, existing bool) error {
	ms, err := loadMigrations()
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	defer conn.Release()
	// Waiting for another server's migrations, and a migration itself,
	// may take longer than a request: no statement timeout meanwhile.
	if _, err := conn.Exec(ctx, "SET statement_timeout = 0"); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	defer func() {
		if _, err := conn.Exec(context.Background(), "RESET statement_timeout"); err != nil {
			conn.Conn().Close(context.Background())
		}
	}()
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock($1)", migrationLock); err != nil {
		return fmt.Errorf("migrate: lock: %w", err)
	}
	defer func() {
		// A lock left held would block the next server's start until
		// this connection closes; a failed unlock closes it.
		if _, err := conn.Exec(context.Background(), "SELECT pg_advisory_unlock($1)", migrationLock); err != nil {
			conn.Conn().Close(context.Background())
		}
	}()
	if existing {
		var found bool
		if err := conn.QueryRow(ctx, "SELECT to_regclass('schema_migrations') IS NOT NULL").Scan(&found); err != nil {
			return fmt.Errorf("migrate: %w", err)
		}
		if !found {
			return ErrNoSchema
		}
	}
	if _, err := conn.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version integer PRIMARY KEY,
		name    text NOT NULL,
		applied timestamptz NOT NULL DEFAULT now())`); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	var current int
	if err := conn.QueryRow(ctx, "SELECT coalesce(max(version), 0) FROM schema_migrations").Scan(&current); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	if current > len(ms) {
		return fmt.Errorf("migrate: database schema version %d is newer than this build's %d", current, len(ms))
	}
	for _, m := range ms[current:] {
		err := pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, m.sql); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)", m.version, m.name)
			return err
		})
		if err != nil {
			return fmt.Errorf("migrate: %s: %w", m.name, err)
		}
	}
	return nil
}

// isUnique reports a unique_violation, optionally of one constraint or
// index.
func isUnique(err error, constraint string) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "23505" && (constraint == "" || pe.ConstraintName == constraint)
}

// randomID returns n lowercase base32 characters from crypto/rand, the
// IDs the bbolt backend makes, so moved data looks the same.
func randomID(n int) string {
	return strings.ToLower(rand.Text()[:n])
}

// tx runs fn in a read-committed transaction. The rules that need more
// (a counter, a name free in a home) take row locks inside fn.
func (s *Store) tx(ctx context.Context, fn func(tx pgx.Tx) error) error {
	return pgx.BeginFunc(ctx, s.pool, fn)
}

// untimed lifts the statement timeout for the rest of tx: for the
// operator's whole-database work (Snapshot, Restore, Check), whose time
// grows with the database.
func untimed(ctx context.Context, tx pgx.Tx) error {
	_, err := tx.Exec(ctx, "SET LOCAL statement_timeout = 0")
	return err
}

// now is the time a write stamps, at the microsecond precision
// timestamptz keeps, so what a write returns equals what reads return.
func now() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }

// list maps nil to an empty array (the columns are NOT NULL) and back.
func list(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func fromList(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	return s
}

// split is a caller's instant as its two columns: the microseconds
// timestamptz keeps (NULL for the zero time) and the nanoseconds below
// them, so that it reads back exactly.
func split(t time.Time) (*time.Time, int16) {
	if t.IsZero() {
		return nil, 0
	}
	t = t.UTC()
	us := t.Truncate(time.Microsecond)
	return &us, int16(t.Sub(us))
}

// join is split's inverse.
func join(t *time.Time, ns int16) time.Time {
	if t == nil {
		return time.Time{}
	}
	return t.UTC().Add(time.Duration(ns))
}

// nsTime scans a column pair written by split.
type nsTime struct {
	t  *time.Time
	ns int16
}

func (n *nsTime) dest() []any     { return []any{&n.t, &n.ns} }
func (n *nsTime) time() time.Time { return join(n.t, n.ns) }
