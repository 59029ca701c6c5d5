// Package carddav will serve address books over CardDAV (RFC 6352) on the
// same DAV core, storage and sync machinery as package caldav: nothing of
// PROPFIND, PROPPATCH, conditional requests or sync-collection is written
// twice. The storage layer already knows address books
// (storage.KindAddressBook); the handlers are the CardDAV issue's work and
// nothing here is served yet.
package carddav
