package interop

import (
	"os"
	"testing"

	"almanac/internal/pgtest"
)

// TestMain stops the PostgreSQL cluster the README's examples start.
func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }
