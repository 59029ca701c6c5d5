package caldav_test

import (
	"os"
	"testing"

	"almanac/internal/pgtest"
)

// TestMain stops the PostgreSQL cluster BenchmarkScalePostgres started.
func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }
