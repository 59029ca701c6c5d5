package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"almanac/storage"
	"almanac/storage/bolt"
)

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}

// envInt reads an integer environment variable; a missing or unparsable
// value means def.
func envInt(key string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(key)); err == nil {
		return v
	}
	return def
}

// envDuration reads a duration environment variable; a missing or
// unparsable value means def.
func envDuration(key string, def time.Duration) time.Duration {
	if v, err := time.ParseDuration(os.Getenv(key)); err == nil {
		return v
	}
	return def
}

func newFlagSet(name string, stderr io.Writer) (*flag.FlagSet, *string) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	data := fs.String("data", envOr("ALMANAC_DATA", "./almanac-data"), "data directory (env ALMANAC_DATA)")
	return fs, data
}

// lockWait is how long a command waits for the database lock before
// telling the user another process holds it (the issue asks for a clear
// answer within 2 s, never a hang).
const lockWait = 1500 * time.Millisecond

func openStore(dataDir string) (*bolt.DB, error) {
	path := filepath.Join(dataDir, "almanac.db")
	db, err := bolt.Open(path, bolt.Options{Timeout: lockWait})
	if errors.Is(err, storage.ErrLocked) {
		return nil, fmt.Errorf("database %s is in use by another almanac process (is the server running? stop it first)", path)
	}
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	return db, nil
}
