// Package fileimport imports calendars and contacts from files: an
// iCalendar file (RFC 5545; an export, a feed) into a calendar with POST
// /api/v1/calendars/{collection}/import, a vCard file (RFC 6350, RFC
// 2426) into an address book with POST
// /api/v1/addressbooks/{collection}/import. The file is the body
// (text/calendar, text/vcard, ...), or a JSON body {"url": ...} names
// where to fetch it (internal/fetch). JSON answers; docs/openapi.yaml
// has the details.
//
// # From file to objects
//
// internal/ical Split cuts an iCalendar file into calendar object
// resources (RFC 4791 4.1) by UID, master and overrides together, with
// the calendar's properties but METHOD (a stored object is no iTIP
// message) and a copy of each VTIMEZONE the components name (RFC 5545
// 3.2.19): an Outlook invitation or a Google export becomes what a CalDAV
// client would PUT. internal/vcard Split cuts a vCard file into its
// cards, each kept byte for byte. Each object is then checked by the DAV
// tree's Ingest, the checks of a PUT (davtree, caldav and carddav Ingest:
// size, syntax, RFC 4791 4.1 and RFC 6352 5.1 rules, supported
// components, min/max date-time, the recurrence work budget), so an
// import stores nothing a client could not have PUT. A refused object is
// reported with the PUT's reason and precondition name, and with the
// line of the file where it begins.
//
// A component or card without a UID (RFC 5545 requires one, CardDAV
// needs one; phones' and old tools' exports omit it) gets one derived
// from a hash of its content (DTSTAMP or REV left out), so that importing
// the same file again finds it instead of doubling it. Components
// repeated line for line and cards repeated byte for byte are imported
// once and counted as duplicates; different cards carrying one UID are
// refused, as only one object may have it (RFC 6352 6.3.2.1) and which
// is meant is unknown.
//
// # Created, updated, skipped
//
// An object whose UID the collection holds replaces that member under
// its name, whoever named it, unless the two say the same: their content
// lines match one for one after unfolding, DTSTAMP (vCard: REV) left out,
// as exports stamp every object with the time of the export. Then it is
// skipped and the collection, and its sync token, do not move. A new UID
// becomes a member named after it: the UID with .ics (.vcf) when it is at
// most 100 letters, digits and ".-_@", not starting with a dot, which
// is how clients name members too; else, or when that name is held by a
// member of another UID, 26 base32 characters of its SHA-256.
//
// # Never half-imported
//
// Every object is whole or not there: its components are checked and
// stored together. The file is whole too: what is to be written is
// written by one storage.PutBatch, in one transaction, with the
// preconditions of a PUT (If-None-Match: * for a new member, If-Match for
// one it replaces) and a sync-token step and change record per object,
// as PUTs would leave them. A file with any refused object imports
// nothing by default: the answer is 422 objects_refused with the report,
// so that a file is never imported in part by surprise; skip_refused=true
// imports the rest on purpose. When a client changes the collection
// between the plan and the write (a precondition or a UID check fails),
// the import plans again, three times at most, then answers 409. A dry
// run (dry_run=true) plans against what the collection holds and answers
// what the import would, its status included, writing nothing.
//
// # Whose collections
//
// Only the caller's own: another account's collection, and one shared
// with the caller even read-write, is 404 like one that does not exist.
// An import is the owner's bulk change, which sharees make one object at
// a time over CalDAV/CardDAV.
//
// # Limits
//
//   - A file, uploaded or fetched, is at most 32 MiB (server.Config
//     ImportMaxFile): a ten-year export of a busy calendar is a few MB.
//     Only these routes take more than a JSON body's 64 KiB
//     (api.Router.HandleUpload), once the caller is authenticated.
//   - At most 50,000 objects a file (422 too_many_objects): each is
//     checked under a PUT's work budget, so the cap bounds the request's
//     CPU time as the size cap bounds its memory.
//   - The objects cut from a file take at most 4 times the file cap
//     together (128 MiB by default; 422 objects_too_large), checked
//     before they are made: each object gets a copy of the VTIMEZONEs it
//     names, so a 140 KB file with a 64 KB zone named by 1,000 events
//     would make 66 MB. Real exports (a zone of 1 to 3 KB, events of a
//     few hundred bytes) stay far below.
//   - Two imports are cut, checked and written at a time; others wait
//     for a turn. A file is held whole, with its objects, meanwhile.
//     The upload is read, or the URL fetched, before the turn is taken,
//     so that a slow sender holds up no one else's import.
//   - URLs: http, https and webcal, 30 s for the whole fetch, at most 5
//     redirects, the size cap while reading; addresses of private and
//     local networks are refused (400 url_not_allowed: loopback, RFC
//     1918, link-local with the cloud metadata service, ...; see
//     internal/fetch) unless serve runs with -import-allow-private.
package fileimport
