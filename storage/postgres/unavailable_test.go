package postgres

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"almanac/internal/pgtest"
	"almanac/storage"
)

// openProxied opens a store on a fresh schema through a pgtest.Proxy,
// so that the test can take the database away.
func openProxied(t *testing.T) (*Store, *pgtest.Proxy) {
	t.Helper()
	proxy, url := pgtest.NewProxy(t, pgtest.SchemaURL(t))
	s, err := Open(context.Background(), url, Options{MaxConns: 4, ConnectTimeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, proxy
}

// Every method of storage.Store and of the optional roles the store
// implements (Observable, Throttle, Stash, Signals) reports a
// database that went away as storage.ErrUnavailable, which the servers
// answer with 503 and Retry-After: each is called through reflection
// with zero arguments (non-nil pointers, callbacks that do nothing), so
// a method added later is covered without a line here.
func TestUnavailable_EveryMethod(t *testing.T) {
	s, proxy := openProxied(t)
	proxy.Down()
	ctx := context.Background()
	ctxType := reflect.TypeFor[context.Context]()
	var checked int
	for _, iface := range []reflect.Type{reflect.TypeFor[storage.Store](), reflect.TypeFor[storage.Observable](),
		reflect.TypeFor[storage.Throttle](), reflect.TypeFor[storage.Stash](), reflect.TypeFor[storage.Signals]()} {
		for i := range iface.NumMethod() {
			m := iface.Method(i)
			if m.Name == "Close" {
				continue
			}
			fn := reflect.ValueOf(s).MethodByName(m.Name)
			if !fn.IsValid() {
				t.Errorf("*Store has no method %s", m.Name)
				continue
			}
			ft := fn.Type()
			if ft.NumOut() == 0 || ft.Out(ft.NumOut()-1) != reflect.TypeFor[error]() {
				continue // ObserveCommits: no error to report
			}
			args := make([]reflect.Value, ft.NumIn())
			for j := range args {
				args[j] = zeroArg(ft.In(j), ctx, ctxType)
			}
			call := fn.Call
			if ft.IsVariadic() {
				call = fn.CallSlice
			}
			out := call(args)
			err, _ := out[len(out)-1].Interface().(error)
			checked++
			if _, ok := checksFirst[m.Name]; ok {
				if errors.Is(err, storage.ErrUnavailable) {
					t.Errorf("%s with zero arguments reached the database; take it off checksFirst", m.Name)
				}
				continue
			}
			if !errors.Is(err, storage.ErrUnavailable) {
				t.Errorf("%s with the database away: %v, want storage.ErrUnavailable", m.Name, err)
			}
		}
	}
	if checked < 100 {
		t.Fatalf("checked %d methods: the reflection found too few", checked)
	}
}

// checksFirst are the methods that refuse zero arguments (an empty
// name, an empty batch) before they ask the database.
var checksFirst = map[string]struct{}{
	"AccountsByMobile": {}, "AddAlias": {}, "AddFetches": {}, "CreateAccount": {}, "CreateAppPassword": {},
	"CreateCollection": {}, "CreateMailService": {}, "CreateMailbox": {}, "CreateSession": {}, "CreateToken": {},
	"MoveCollection": {}, "Put": {}, "PutBatch": {}, "PutGrant": {}, "PutMember": {}, "PutSendingAddress": {},
	"ResetResponder": {}, "ResolveAddress": {}, "Transfer": {}, "WriteBatch": {},
}

// zeroArg is an argument of type typ that a method accepts far enough
// to reach the database: the context, a valid throttle rule, a new value
// behind a pointer, a callback returning zero values, else the zero
// value.
func zeroArg(typ reflect.Type, ctx context.Context, ctxType reflect.Type) reflect.Value {
	rule := storage.ThrottleRule{Name: "r", Limit: 1, Window: time.Minute}
	switch {
	case typ == ctxType:
		return reflect.ValueOf(ctx)
	case typ == reflect.TypeFor[storage.ThrottleRule]():
		return reflect.ValueOf(rule)
	case typ == reflect.TypeFor[[]storage.ThrottleKey]():
		return reflect.ValueOf([]storage.ThrottleKey{{Rule: rule, Key: []byte("k")}})
	case typ.Kind() == reflect.Pointer:
		return reflect.New(typ.Elem())
	case typ.Kind() == reflect.Func:
		return reflect.MakeFunc(typ, func([]reflect.Value) []reflect.Value {
			out := make([]reflect.Value, typ.NumOut())
			for i := range out {
				out[i] = reflect.Zero(typ.Out(i))
			}
			return out
		})
	}
	return reflect.Zero(typ)
}

// With the database back, the same store answers again: the pool drops
// the connections that broke and dials new ones by itself.
func TestUnavailable_Recovers(t *testing.T) {
	s, proxy := openProxied(t)
	ctx := context.Background()
	acc := &storage.Account{Login: "jane@example.org"}
	if err := s.CreateAccount(ctx, acc); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		// Several idle connections, as a busy server has: all of them
		// die with the database.
		idleConns(t, s, 3)
		proxy.Down()
		_, err := s.Account(ctx, acc.ID)
		if !errors.Is(err, storage.ErrUnavailable) {
			t.Fatalf("database away: %v, want storage.ErrUnavailable", err)
		}
		if strings.Contains(err.Error(), "password") {
			t.Errorf("error names a password: %v", err)
		}
		if err := s.Ping(ctx); !errors.Is(err, storage.ErrUnavailable) {
			t.Fatalf("ping with the database away: %v", err)
		}
		proxy.Up()
		if _, err := s.Account(ctx, acc.ID); err != nil {
			t.Fatalf("database back: %v", err)
		}
	}
}

// A snapshot cut short is a damaged file, not a database that went away.
func TestRestore_TruncatedIsNotUnavailable(t *testing.T) {
	s := openTest(t)
	defer s.Close()
	snap, err := s.Snapshot(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer snap.Close()
	var b strings.Builder
	if _, err := snap.WriteTo(&b); err != nil {
		t.Fatal(err)
	}
	cut := b.String()[:b.Len()/2]
	_, err = Restore(context.Background(), pgtest.SchemaURL(t), strings.NewReader(cut), Options{MaxConns: 2})
	if err == nil || errors.Is(err, storage.ErrUnavailable) {
		t.Errorf("restore of half a snapshot: %v; want an error that is not storage.ErrUnavailable", err)
	}
}

// Connections the server ends (pg_terminate_backend, as a restart or a
// fail-over does) fail at most the one request that finds them, as
// storage.ErrUnavailable; the next one gets a new connection.
func TestUnavailable_TerminatedBackends(t *testing.T) {
	ctx := context.Background()
	url := pgtest.URL(t)
	s, err := Open(ctx, url, Options{MaxConns: 4})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	acc := &storage.Account{Login: "jane@example.org"}
	if err := s.CreateAccount(ctx, acc); err != nil {
		t.Fatal(err)
	}
	idleConns(t, s, 3)
	admin, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(ctx)
	var n int
	if err := admin.QueryRow(ctx, `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
		WHERE datname = current_database() AND pid <> pg_backend_pid()`).Scan(&n); err != nil || n < 3 {
		t.Fatalf("terminated %d backends: %v", n, err)
	}
	// pgxpool pings a connection idle for a second before handing it
	// out, so the first request may already succeed.
	if _, err := s.Account(ctx, acc.ID); err != nil && !errors.Is(err, storage.ErrUnavailable) {
		t.Fatalf("first request after the termination: %v, want success or storage.ErrUnavailable", err)
	}
	if _, err := s.Account(ctx, acc.ID); err != nil {
		t.Fatalf("second request: %v", err)
	}
}

// idleConns leaves n connections open and idle in s's pool.
func idleConns(t *testing.T, s *Store, n int) {
	t.Helper()
	var conns []*pgxpool.Conn
	for range n {
		c, err := s.pool.Acquire(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
	}
	for _, c := range conns {
		c.Release()
	}
}
