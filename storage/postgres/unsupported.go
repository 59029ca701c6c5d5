package postgres

import (
	"context"

	"almanac/storage"
)

// Methods not yet implemented on PostgreSQL: each fails with
// errors.ErrUnsupported naming it (doc.go: where the work stopped).

func (s *Store) Check(_ context.Context, _ func(storage.Problem)) (storage.CheckStats, error) {
	return storage.CheckStats{}, unsupported("Check")
}

func (s *Store) Snapshot(_ context.Context) (storage.Snapshot, error) {
	return nil, unsupported("Snapshot")
}
