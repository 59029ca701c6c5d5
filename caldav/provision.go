package caldav

import (
	"context"
	"errors"
	"fmt"

	"almanac/internal/dav"
	"almanac/storage"
)

// DefaultCalendar is the member name of the calendar every new account
// gets, so a client that never creates calendars (DAVx5 with default
// settings, vdirsyncer) has somewhere to put events.
const DefaultCalendar = "default"

// Provision creates the default calendar of a new account. It is
// idempotent: an existing default calendar is left alone.
func Provision(ctx context.Context, store storage.DAV, acc *storage.Account) error {
	err := store.CreateCollection(ctx, &storage.Collection{
		Owner:      acc.ID,
		Name:       DefaultCalendar,
		Kind:       storage.KindCalendar,
		Components: []string{"VEVENT", "VTODO"},
		Props: map[string]string{
			dav.Clark(pDisplayName): "Calendar",
		},
	})
	if err != nil && !errors.Is(err, storage.ErrExists) {
		return fmt.Errorf("caldav: provision default calendar: %w", err)
	}
	return nil
}
