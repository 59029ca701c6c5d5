package interop

import (
	"os"
	"testing"

	"almanac/internal/pgtest"
)

// TestMain stops the PostgreSQL cluster the tests on PostgreSQL start.
func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }
