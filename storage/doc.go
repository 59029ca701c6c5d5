// Package storage defines almanac's domain-level persistence interface:
// accounts, collections (calendars and address books), the objects inside
// them and the per-collection change log that sync-collection (RFC 6578)
// reads. Backends live in sub-packages (storage/bolt, the embedded
// default; storage/postgres, for several servers on one database, not yet
// selectable by serve) and must pass the conformance suite in
// storage/storagetest.
//
// Beyond Store a backend may offer optional roles, which the server
// finds by type assertion: Observable (monitoring), and for several
// servers on one store Throttle (failure counts of secret checks),
// Exclusive (work one server does at a time), Signals (telling the
// others of a change) and Stash (short-lived values any server may
// take). bolt serves one process and offers Observable
// only; storagetest covers Store alone, and each backend tests the roles
// it offers.
//
// Rules every backend keeps (DESIGN.md §4):
//
//   - Object bytes are stored exactly as the client sent them and served back
//     unchanged; the ETag is a strong hash of those bytes (see ETagOf).
//   - One write transaction performs the precondition check, the
//     per-collection UID checks, the object write, the collection sequence
//     bump and the change record. Nothing is ever half-written. The UID
//     checks are RFC 4791 5.3.2.1's and RFC 6352 6.3.2.1's no-uid-conflict:
//     no two members of a collection share a UID, and a member's UID never
//     changes (a Put or Transfer replacing it with another UID fails with
//     *UIDConflictError naming it). PutBatch (a file import) keeps these
//     rules for many objects in one transaction: each gets its own
//     sequence step and change record, and one that fails its checks
//     fails the batch with nothing written.
//   - Collection.Seq is the single counter behind both getctag and the sync
//     token. Every member change bumps it by one and records the member name
//     under the new value; deletes leave tombstones in that log.
//   - A change log request for a sequence older than the pruned horizon, or
//     newer than the collection has reached, or from another incarnation of
//     the collection, fails with ErrInvalidSyncToken; never a silent reset.
//   - Every change is dated by its write. PruneChanges forgets history
//     older than a cutoff, moving the horizon only over changes written
//     before it, so a position handed out after the cutoff stays valid and
//     the retention the caller chooses is how long a token lives.
//   - Collections are never created implicitly: writing into a collection
//     that does not exist is ErrNotFound.
//   - A renamed collection (MoveCollection) is the same collection: it
//     keeps its incarnation, sequence and change log, so a sync token
//     stays valid, and its grants and links follow it. A new collection
//     under the old name is a new incarnation.
//   - A Snapshot (Maintenance) is the whole store at one moment and does
//     not hold writers up; Check reads one consistent state and names
//     each broken invariant in words. storagetest.RunMaintenance checks
//     both, and that a store written through its methods checks clean.
package storage
