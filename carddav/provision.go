package carddav

import (
	"context"
	"errors"
	"fmt"

	"almanac/internal/dav"
	"almanac/storage"
)

// DefaultAddressBook is the member name of the address book an account
// gets, so that a client that never creates address books (DAVx5,
// vdirsyncer, Apple Contacts) has somewhere to put contacts.
const DefaultAddressBook = "contacts"

// Provision gives an account its default address book when it has no
// address book at all. It is idempotent, and so safe to run for every
// account at every start: accounts created before address books existed
// get one, and, as in Nextcloud, an account never has none — a user who
// deletes the last one finds an empty "Contacts" after the next restart.
func Provision(ctx context.Context, store storage.DAV, acc *storage.Account) error {
	colls, err := store.ListCollections(ctx, acc.ID)
	if err != nil {
		return fmt.Errorf("carddav: provision default address book: %w", err)
	}
	for _, c := range colls {
		if c.Kind == storage.KindAddressBook {
			return nil
		}
	}
	err = store.CreateCollection(ctx, &storage.Collection{
		Owner: acc.ID,
		Name:  DefaultAddressBook,
		Kind:  storage.KindAddressBook,
		Props: map[string]string{dav.Clark(pDisplayName): "Contacts"},
	})
	if err != nil && !errors.Is(err, storage.ErrExists) {
		return fmt.Errorf("carddav: provision default address book: %w", err)
	}
	return nil
}
