package pgtest

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// A Cluster stopped or crashed refuses connections; started again, the
// URLs of before work and a committed row is still there.
func TestCluster_StopStart(t *testing.T) {
	for name, halt := range map[string]func(*Cluster, testing.TB){"stop": (*Cluster).Stop, "crash": (*Cluster).Crash} {
		t.Run(name, func(t *testing.T) {
			cl := NewCluster(t)
			u := cl.URL(t)
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			conn, err := pgx.Connect(ctx, u)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := conn.Exec(ctx, "CREATE TABLE x (v int); INSERT INTO x VALUES (42)"); err != nil {
				t.Fatal(err)
			}
			halt(cl, t)
			if err := conn.Ping(ctx); err == nil {
				t.Error("a connection of before the stop still answers")
			}
			conn.Close(ctx)
			if c, err := pgx.Connect(ctx, u); err == nil {
				c.Close(ctx)
				t.Fatal("connected to a stopped cluster")
			}
			cl.Start(t)
			conn, err = pgx.Connect(ctx, u)
			if err != nil {
				t.Fatalf("connect after Start: %v", err)
			}
			defer conn.Close(ctx)
			var v int
			if err := conn.QueryRow(ctx, "SELECT v FROM x").Scan(&v); err != nil || v != 42 {
				t.Fatalf("row after the restart: %d, %v", v, err)
			}
		})
	}
}
