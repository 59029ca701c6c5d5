package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"almanac/storage"
)

// Methods not yet implemented on PostgreSQL: each fails with
// errors.ErrUnsupported naming it (doc.go: where the work stands).

func unsupported(method string) error {
	return fmt.Errorf("storage/postgres: %s: %w", method, errors.ErrUnsupported)
}

func (s *Store) Between(_ context.Context, _, _ string, _ storage.TimeQuery, _ func(*storage.ObjectMeta) error) error {
	return unsupported("Between")
}

func (s *Store) Timeline(_ context.Context, _, _, _ string) (storage.Timeline, error) {
	return storage.Timeline{}, unsupported("Timeline")
}

func (s *Store) DueTimelines(_ context.Context, _ time.Time, _ func(storage.TimelineDue) error) error {
	return unsupported("DueTimelines")
}

func (s *Store) SetTimelines(_ context.Context, _, _ string, _ []storage.TimelineSet) (int, error) {
	return 0, unsupported("SetTimelines")
}
