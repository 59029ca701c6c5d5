package bolt

import (
	"os"
	"path/filepath"
	"testing"

	"almanac/storage"
	"almanac/storage/storagetest"
)

func TestMaintenanceConformance(t *testing.T) {
	storagetest.RunMaintenance(t, func(t *testing.T) storage.Store {
		db, _ := openTemp(t)
		return db
	}, func(t *testing.T, snapshot []byte) storage.Store {
		path := filepath.Join(t.TempDir(), "restored.db")
		if err := os.WriteFile(path, snapshot, 0o600); err != nil {
			t.Fatal(err)
		}
		db, err := Open(path, Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return db
	})
}
