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
//     text/x-vcard are; anything else is 403 supported-address-data.
//   - Versions. GET without Accept, or with one any version satisfies,
//     returns the stored bytes. Accept naming text/vcard;version=3.0 or
//     4.0 (text/x-vcard meaning 3.0) returns the card converted by
//     internal/vcard; no acceptable vCard is 406 with
//     CARDDAV:supported-address-data-conversion (RFC 6352 5.1.1.1; the
//     status is HTTP's for an Accept nothing satisfies, which RFC 6352
//     leaves to the server). The ETag stays the
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
//   - addressbook-query reads every card of the collection, but parses
//     only the properties its prop-filters name (internal/vcard
//     ParseSelected: the other lines are unfolded and checked for UTF-8,
//     not split); a card that matches those is then parsed whole and
//     matched again, so the answer is exactly the full matcher's
//     (TestMatchCardEqualsFullMatch, a property test over random cards
//     and filters; run it with a large -count). No index is stored: the
//     scan costs a fraction of a full parse (bench_test.go, 10,000 and
//     100,000 cards) and stays right whatever properties a filter names.
//     A missing or invalid filter is 403
//     CARDDAV:valid-filter, which RFC 6352 does not define (carddav/filter
//     doc.go says why); an unknown collation or match type is 403
//     supported-collation or supported-filter, the latter naming the
//     prop-filters and param-filters concerned; a bad limit or malformed
//     XML is 400. Without a Depth header the query is about the members;
//     Depth 0 on the collection or the home matches nothing.
//   - On the address-book home (RFC 6352 8.2), addressbook-query with
//     Depth 1 or infinity searches every address book in it, shared ones
//     included, and answers with each card's URL in its address book;
//     addressbook-multiget takes hrefs of cards of any address book in
//     it. The limit counts matches over the whole home.
//   - limit: the first nresults matches in storage order are returned and,
//     when another card would have matched, a 507 response for the
//     request URI with DAV:number-of-matches-within-limits tells the
//     client the list is cut (RFC 6352 8.6.1, 8.6.2).
//
// # Preconditions (RFC 6352 5.1.1.1, 6.3.1, 6.3.2.1)
//
// Each answers with its element inside DAV:error, PUT, COPY, MOVE and
// MKCOL ones with 403 as RFC 4791 1.3 requires of CalDAV's (RFC 6352
// itself leaves the status to RFC 4918 16, whose usual one that is);
// TestCardDAVPreconditions walks them all. PUT, and COPY or MOVE of an
// address object resource into an address book:
//
//   - supported-address-data: a Content-Type other than text/vcard or
//     text/x-vcard, a vCard version other than 3.0 or 4.0, or a COPY or
//     MOVE of a calendar object into an address book.
//   - valid-address-data: internal/vcard's validation, a UID included
//     (5.1). A COPY or MOVE carries stored data, which passed it.
//   - no-uid-conflict, with the DAV:href of the member in the way: the UID
//     is another member's, or the write would give an existing member
//     another UID.
//   - max-resource-size: the tree's limit (and internal/vcard's, the same
//     10 MiB by default), on PUT and on what a COPY or MOVE would store.
//   - addressbook-collection-location-ok: COPY and MOVE of a whole address
//     book (davtree doc.go).
//
// Extended MKCOL (6.3.1, RFC 5689): DAV:valid-resourcetype without the
// addressbook resourcetype; addressbook-collection-location-ok inside an
// address book (5.2 forbids nesting) or on a calendar's name (names are
// unique per account); DAV:need-privileges (RFC 3744 7.1.1) inside an
// address book shared read-only; an existing collection is 405 (RFC 4918
// 9.3.1, MKCOL on a mapped URL). GET (5.1.1.1): see Versions above. A
// card that does not convert in a REPORT is sent as stored rather than
// with supported-address-data-conversion in its DAV:response (5.1.1): a
// deliberate departure, see the renderings above.
package carddav
