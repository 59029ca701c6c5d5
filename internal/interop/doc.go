// Package interop holds almanac's interoperability tests: real CalDAV and
// CardDAV clients talking to the full application (package server) over HTTP on
// a temporary bbolt store.
//
//   - go-webdav's caldav.Client, end to end (always runs).
//   - vdirsyncer two-way sync against a local filesystem storage, with
//     the calendar URL given and with discovery from the bare server
//     address (Debian package vdirsyncer).
//   - python3-caldav 0.11 driving MKCALENDAR, PUT, sync tokens and
//     DELETE through testdata/caldav_scenario.py, run with
//     /usr/bin/python3 (Debian package python3-caldav).
//   - Golden transcripts of an Apple-style discovery (PROPFIND on
//     /.well-known/caldav, the principal and the calendar home) under
//     testdata/golden, and of a scheduled meeting (sched-*.txt: Apple
//     Calendar's and Thunderbird's requests, with the server's mail going
//     to an SMTP listener in the test, the outside guest's REPLY and
//     COUNTER through the deliver path, the organizer's DECLINECOUNTER);
//     rewrite them with go test ./internal/interop -run Golden -args -update.
//   - The calendar engine through both clients (engine_test.go,
//     testdata/caldav_engine.py): time-range searches on a weekly series
//     with an EXDATE and a moved override across a DST change, all-day and
//     overnight events; server-side expand and free-busy as raw REPORTs,
//     since go-webdav cannot send them and python-caldav expands on the
//     client when the server does not.
//   - Real-world data the server accepts and stores as sent
//     (ingest_test.go): objects with a UTF-8 BOM, DURATION:P1DT, bare LF
//     and RFC 6868 parameters are found by python3-caldav's search() and
//     parsed by python-icalendar and python-vobject, which both refuse a
//     BOM inside calendar-data.
//   - Responses generic clients rely on when they probe (405 with Allow).
//   - CardDAV, raw (carddav_raw_test.go, always runs): a client's
//     conversation with net/http only — discovery from
//     /.well-known/carddav to the address-book home, extended MKCOL and
//     PROPPATCH, PUT of 3.0 and 4.0 cards and groups with their
//     preconditions (If-None-Match, no-uid-conflict, valid- and
//     supported-address-data), addressbook-query with non-ASCII
//     case-insensitive text-match, partial address-data and a limit (507),
//     addressbook-multiget converting to 4.0, GET negotiation (Accept,
//     Vary, 406) and sync-collection with a deletion.
//   - CardDAV with go-webdav's carddav.Client (carddav_gowebdav_test.go):
//     discovery, FindAddressBooks, Put/Get of go-vcard 3.0 and 4.0 cards,
//     QueryAddressBook, MultiGetAddressBook, SyncCollection, RemoveAll, and
//     a second address book by raw extended MKCOL (the client cannot make
//     one; its plain MKCOL is refused with 403 valid-resourcetype). Always
//     runs.
//   - CardDAV with vdirsyncer (vdirsyncer_carddav_test.go): a "carddav"
//     storage discovered from the bare server address paired with a .vcf
//     vdir, creations, edits and deletions both ways, then syncs that
//     change nothing (Debian package vdirsyncer).
//   - Sharing between accounts (sharing_test.go): a second account, bob,
//     gets alice's default calendar through /api/v1/shares. Two
//     vdirsyncer setups, alice on her calendar and bob on the share's URL
//     in his home, exchange creations, edits and deletions while the
//     share is read-write; read-only, bob's upload fails with 403
//     need-privileges and the server copy is unchanged; revoked, the URL
//     answers 404 and vdirsyncer reports Not Found. Raw requests check a
//     read-only sharee's view: PROPFIND, GET, calendar-query and
//     sync-collection hide CLASS:PRIVATE events and show CLASS:CONFIDENTIAL
//     ones as busy with their own ETag, an event made private leaves an
//     incremental sync as a 404, and show_private lifts the redaction.
//   - Pruned change history (prune_test.go): vdirsyncer syncs, the
//     server changes, deletes and prunes its whole change log, and the
//     next sync still converges (vdirsyncer 0.19 lists ETags rather than
//     using sync tokens, so the pruning is invisible to it); python-caldav
//     keeps a sync token across the pruning, gets AuthorizationError
//     "Forbidden" for it (0.11's rendering of 403 valid-sync-token), and
//     a full sync without token then lists exactly the server's events
//     (testdata/caldav_prune.py).
//   - A calendar export imported through /api/v1 (fileimport_test.go):
//     vdirsyncer gets one item per UID, the recurring event with its
//     moved instance and time zone, nothing new after an import of the
//     next export where only DTSTAMP moved, and the changed series in the
//     item it had (Debian package vdirsyncer).
//   - README.md, followed as a new user would (readme_test.go): its
//     ```sh blocks run in order in one bash session, with curl and jq,
//     against the full server on a fresh store and the almanac binary
//     built from ./cmd/almanac; each command must succeed, get no HTTP
//     error its shown output does not name, and print what the comment
//     lines under it show. The rules head readme_test.go (Debian
//     packages curl, jq).
//   - The deployment files of docs/deploy (deploy_test.go): the systemd
//     unit passes systemd-analyze verify without a finding, rates at most
//     2.0 on systemd-analyze security's exposure scale and sets only
//     ALMANAC_* variables almanac serve reads; the nginx server blocks
//     pass nginx -t; the Caddyfile passes caddy validate and is as caddy
//     fmt writes it (Debian packages systemd, nginx, caddy).
//   - Two servers on one PostgreSQL database (servers_test.go): two
//     `almanac serve -db` processes built from ./cmd/almanac, with data
//     directories of their own and one link key, on a database of
//     internal/pgtest. vdirsyncer syncing through one gets a PUT made
//     through the other, and what it uploads is read through the first
//     with the same ETag; a feed has one ETag and Last-Modified on both
//     and a conditional GET with either's validator answers 304 on the
//     other; a link revoked or a password changed through one is refused
//     by the other at once; ten failed passwords split over both reach
//     the login's limit, and the next attempt on either is 429.
//   - The database stopped and started under load (fault_test.go): four
//     clients PUT new objects through two such servers while a cluster
//     of the test's own (pgtest.Cluster) is stopped with pg_ctl stop -m
//     fast, or crashes (-m immediate), and is started again. Each request is tagged with the phase of
//     the database when it was sent and answered, so what must have
//     failed is known from the order of events, not from timing: every
//     PUT answered 2xx is there afterwards with its ETag, through the
//     other server; every other answer is 503 with Retry-After and no
//     internals; a request made entirely while the database was down
//     never succeeds; /readyz is 503 meanwhile and /healthz 200; and both
//     servers, not restarted, take writes again once it is back (within
//     a bounded number of attempts). Each PUT creates a new object, since
//     a PUT refused because its answer was lost may still have been
//     stored, and must not make a later state of the same object look
//     like a lost write.
//
// Tests that need an external tool skip when it is missing, unless
// ALMANAC_INTEROP=1 is set (CI, see .ci/run), in which case they fail.
//
// The package has no non-test code.
package interop
