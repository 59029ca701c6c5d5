// Package sharing holds what opens a collection to someone other than its
// owner: grants between accounts and public links.
//
// Grants (SharesAPI, JSON under /api/v1/shares; the DAV side is in
// internal/davtree):
//
//   - The owner shares a calendar or address book with another account by
//     login, read or read-write, and may let a read-only sharee see
//     private events (show_private). Sharing again updates the grant; a
//     PATCH changes access; DELETE /shares/{collection}/{sharee} revokes.
//     Only the owner sees or changes a grant: anyone else gets 404.
//   - The collection appears in the sharee's home under a mount name: its
//     own name when the sharee has nothing called that, else
//     "{owner}-{name}" (then with a number). A sharee leaves a share with
//     DELETE /shares/received/{owner}/{collection} or a DAV DELETE of the
//     mount; the owner's collection stays.
//   - A sharee cannot share or publish what was shared with them: grants
//     and links name the caller's own collections only.
//   - A grant is in effect at once, as in Nextcloud's user shares, however
//     it was made (JSON API or Apple Calendar's CalendarServer sharing,
//     internal/davtree share.go). The sharee still gets an invite in their
//     notification collection: accepting keeps the share, declining
//     removes it, deleting the invite just dismisses it.
//
// Public links (RFC-free, following what Google Calendar and Nextcloud
// offer):
//
//   - A link has an ID of 128 bits from crypto/rand, stored with its
//     settings (storage.Link). Its URL token is the ID followed by an
//     HMAC-SHA256 of it under a key kept outside the database (the
//     -link-key file, created on first start): base64url, 43 characters,
//     so feed URLs stay far below the 256 characters Google Calendar
//     accepts. A copy of the database alone opens no feed; the owner can
//     be shown a link's URL at any time. Decoding is strict, so one link
//     has one token spelling.
//   - LinksAPI (JSON under /api/v1/links, owner only; other accounts'
//     links answer 404): create (collection, label, tier full/limited/
//     busy, components, window in days around each fetch, expiry), list,
//     show, update (settings only; the version bump changes the feed's
//     ETag), rotate (one transaction: the old ID is deleted and a new one
//     with the same settings created, so the old URL is dead at once) and
//     revoke. Each calendar link lists subscribe URLs: webcal://, Google
//     Calendar's calendar/r?cid=, Outlook.com's and Office 365's
//     addfromweb form, and the jCal URL.
//   - Address-book links publish every card in full; tier, components and
//     window do not apply.
//   - An account has at most 100 links; deleting a collection or an
//     account deletes its links.
package sharing
