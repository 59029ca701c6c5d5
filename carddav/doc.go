// Package carddav serves address books over CardDAV (RFC 6352) as a Kind
// of the shared DAV tree (internal/davtree): nothing of PROPFIND,
// PROPPATCH, conditional requests, multiget or sync-collection is written
// here; this package answers what is particular to vCards.
//
// URL layout, {user} being the stable account handle:
//
//	/dav/addressbooks/{user}/               address-book home (RFC 6352 7.1.1 addressbook-home-set)
//	/dav/addressbooks/{user}/{book}/        address book
//	/dav/addressbooks/{user}/{book}/{card}  address object resource
//
// Implemented: RFC 6352 5.1 address object resources (one vCard, one
// UID), 6.2 collection properties (addressbook-description as a writable
// property, supported-address-data listing 3.0 and 4.0, max-resource-size),
// 6.3.1 creation by RFC 5689 extended MKCOL with the addressbook
// resourcetype, 6.3.2 PUT with the 6.3.2.1 preconditions
// (valid-address-data, supported-address-data, no-uid-conflict with the
// holder's href, max-resource-size), 7.1.1 addressbook-home-set, 8.3.1
// supported-collation-set, 8.6 addressbook-query with 10.5 filters and
// 8.6.1 limit, 8.7 addressbook-multiget, 10.4 address-data partial
// retrieval, and RFC 6578 sync-collection through the tree.
//
// Choices:
//
//   - Every account has at least one address book, "contacts": created
//     with the account, and at start for accounts that have none (so
//     accounts older than CardDAV get one, and, as in Nextcloud, a user
//     who deletes the last one finds an empty one after a restart).
//   - PUT stores the client's bytes after internal/vcard validated them;
//     nothing is re-encoded on the way in, so a malformed line is a 403
//     valid-address-data naming the line, never a silently repaired card.
//     A PUT without Content-Type is accepted; text/vcard and the older
//     text/x-vcard are; anything else is 415.
//   - Versions. GET without Accept, or with one any version satisfies,
//     returns the stored bytes. Accept naming text/vcard;version=3.0 or
//     4.0 (text/x-vcard meaning 3.0) returns the card converted by
//     internal/vcard; no acceptable vCard is 406. The ETag stays the
//     stored one so that If-Match on the next PUT works, and responses
//     carry Vary: Accept. In REPORTs, CARDDAV:address-data version="..."
//     converts; RFC 6352's DTD defaults a missing version to 3.0, but a
//     missing version here means the stored version, so that a client
//     reads back what it wrote (the data-safety rule of DESIGN.md).
//   - address-data prop selections count once per name; more than
//     dav.MaxRequestProps (256) distinct ones is 413 with almanac's
//     too-many-properties condition (every card rendered is matched
//     against them).
//   - A rendering (conversion or property selection) that fails on a
//     stored card sends the stored bytes, logged, rather than a partial
//     card or a failed report.
//   - addressbook-query parses every card of the collection: vCards are
//     small and have no time index to prefilter with (measured in
//     bench_test.go on 10,000 cards). A missing or malformed filter or
//     limit is 400 (RFC 6352 defines no valid-filter precondition); an
//     unknown collation or match type is 403 supported-collation or
//     supported-filter. Without a Depth header the query is about the
//     members; Depth 0 on the collection matches nothing.
//   - limit: the first nresults matches in storage order are returned and,
//     when another card would have matched, a 507 response for the
//     request URI with DAV:number-of-matches-within-limits tells the
//     client the list is cut (RFC 6352 8.6.1, 8.6.2).
package carddav
