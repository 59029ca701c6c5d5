package server_test

import (
	"os"
	"testing"

	"almanac/internal/pgtest"
)

// TestMain stops the PostgreSQL cluster the tests on that backend start.
func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }
