// Package bolt implements storage.Store on a single bbolt file.
//
// # File layout
//
//	schema/version                    "6"; Open upgrades "1" to "5" in
//	                                  place (upgradeTimelines,
//	                                  upgradeBounds, upgradePlain) and
//	                                  refuses others
//	accounts/<id>                     JSON account record (security fields included)
//	logins/<lowercased login>         account id (case-insensitive uniqueness)
//	collections/<owner>/<name>/       one nested bucket per collection:
//	    info                          JSON: kind, components, props, created
//	    state                         binary: seq, pruned, modified, incarnation
//	    meta/<member>                 binary ObjectMeta (all but the name, span included)
//	    data/<member>                 the exact bytes the client sent
//	    uids/<UID>                    member name holding that UID
//	    changes/<8-byte BE seq>       flag byte (deleted, timed), write time
//	                                  (varint UnixNano) when timed, member name
//	    tombs/<member>                8-byte seq of the member's deletion
//	    timelines/<member>            calendars only: the member's timeline
//	    when/<8-byte slot><member>    tag, ETag, the timeline's pieces in that week
//	    loose/<member>                bounds of a timeline that does not
//	                                  answer for every range
//	    bounds/<kind>[<secs>]<member> empty: the loose members by what
//	                                  bounds them (u: unknown; e, s: Until,
//	                                  From as 8-byte seconds)
//	links/<id>                        JSON public link record (links.go)
//	linkowners/<owner>/<id>           collection name: index of owner's links
//	grants/<owner>/<coll>/<sharee>    JSON grant record (grants.go)
//	mounts/<sharee>/<mount>           uvarint len(owner), owner, coll: the
//	                                  sharee's mount names, index of grants to it
//	apppasswords/<id>                 JSON app password record (security.go)
//	apppasswordowners/<owner>/<id>    empty: index of owner's app passwords
//	sessions/<id>                     JSON session record; id is the cookie's hash
//	sessionaccounts/<account>/<id>    empty: index of account's sessions
//	tokens/<hash>                     JSON one-time token record
//	tokenaccounts/<account>/<hash>    purpose: index of account's tokens
//	orgs/<id>                         JSON organization record (mail.go)
//	orgmembers/<org>/<account>        JSON member record (role)
//	accountorgs/<account>/<org>       empty: index of account's organizations
//	mailservices/<id>                 JSON mail service record
//	orgservices/<org>/<id>            empty: index of org's services
//	maildomains/<domain>              service id, for primary and alias domains
//	mailboxes/<service>/<local>       JSON mailbox record (key lower case)
//	mailaliases/<service>/<alias>     the mailbox's lower-cased local part
//	mailboxlinks/<service>/<local>/<account>
//	                                  JSON mailbox link record
//	accountmailboxlinks/<account>/<service>/<local>
//	                                  empty: index of account's mailbox links
//	importjobs/<id>                   JSON import job record (jobs.go)
//	accountimportjobs/<account>/<id>  empty: index of account's import jobs
//
// Metadata is kept apart from data so that List, PROPFIND and the
// time-range queries of calendar-query (Between, below) never read
// object bytes, and state apart from info so that a write rewrites a few
// dozen bytes rather than the collection's properties. Deleting an account
// or a collection is one DeleteBucket, plus deleting its links found
// through linkowners and its grants: grants/<owner>/<coll> (or
// grants/<owner>) goes as a bucket after the mounts entries its records
// name, and a deleted account's own mounts lead to the grants made to it.
// A collection name and a mount name share the account's home: each of
// CreateCollection, PutGrant and MoveCollection checks the other's tree
// with one Get. MoveCollection (a rename) creates collections/<owner>/<to>,
// re-parents the member buckets (five, eight with a time index) into it with bbolt's MoveBucket (no
// member is copied, whatever the collection's size), copies info and
// state, and drops the old bucket; grants/<owner>/<coll> is rewritten
// under the new name with its mounts entries, and the links found through
// linkowners name the new collection.
// App passwords, sessions and tokens go by walking the account's bucket
// in each of their indexes; an index bucket is dropped when it empties.
// A mail domain is unique store-wide through maildomains, one Get for
// MailServiceByDomain and ResolveAddress; a local part or alias is free in
// a service when neither mailboxes/<service> nor mailaliases/<service>
// holds it. Deleting an organization, service or mailbox cascades through
// these indexes in its transaction; DeleteAccount walks accountorgs and
// accountmailboxlinks of the account.
// Expired sessions and tokens read as missing and are removed when met
// (TakeToken, DeleteSession) and by the account's next CreateSession or
// CreateToken, so they do not pile up under an account that logs in
// again.
//
// Account fields added after the first release (recovery contacts, TOTP
// state, recovery code hashes, PasswordChanged) are omitted from the JSON
// when zero, so older records decode with zero values and no migration is
// needed. AccountsByMobile decodes every account record: there is no
// mobile index.
//
// # Records
//
// meta and state records are binary with a leading format byte
// (encoding.go). Object meta format 2 is: format, Seq (uvarint), Size
// (varint), Modified (varint UnixNano), UID, Component, ContentType and
// ETag (each uvarint length + bytes), then the span: a flag byte (known,
// open, has nanoseconds) and for a known span the start in Unix seconds
// (varint), unless open the length in seconds (varint), and nanoseconds
// of start and end (uvarint) only when either has any. Seconds keep every
// iCalendar year (UnixNano ends in 2262); an unknown span costs one byte,
// a known one eight to ten. Format 1, written before spans, has no
// span bytes and decodes as Span{Known: false}, so old objects are
// candidates of every time-range query until written again; no migration
// is needed. Format 3 is format 2 followed by the schedule tag (uvarint
// length, at least one byte); it is written only for objects that have
// one (scheduling object resources, RFC 6638), so every other record
// stays in format 2 and a binary from before schedule tags reads it.
//
// # Scheduling
//
// WriteBatch runs the transaction bodies of Put and Delete one after
// another in one group-commit call; an op that fails rolls the whole
// transaction back, and the committer then runs the batch alone, as for
// any failing writer, so its answer is final. FindUID walks the
// account's collection buckets and asks each UID index once: a few Gets
// per collection, never object data. A scheduling inbox is a collection
// bucket like the others (kind schedule-inbox) whose members are written
// without UID, so its uids bucket stays empty.
//
// # Timelines
//
// A calendar collection indexes its members by time (storage.Timeline,
// which the calendar layer computes on every write). timelines/<member>
// holds the whole timeline: flag byte (known, renew, has From, has
// Until), From and Until in Unix seconds (varint) when set, the tag, the
// number of periods (uvarint), and the periods, each its start (the
// first in Unix seconds, later ones in seconds after the one before, as
// they are sorted) and its length in seconds. Its periods are split at
// week boundaries (slots of 604,800 seconds from the Unix epoch) into
// when/<slot><member>, the slot a big-endian uint64 with the sign bit
// flipped so that slots before 1970 sort first; the value is the tag
// with its high bit set, the member's ETag (a length byte and the
// bytes), and each piece as seconds after the slot's start and length
// (uvarints). The ETag lets a query that asks for ETags alone, which is
// how clients ask for a time range, answer from the entries it reads
// without looking up each member's metadata: at 100,000 events a week's
// answer names thousands of members, and those lookups were most of its
// cost. From schema 6 an entry carries the ETag only when the member's
// name and ETag need no escaping (storage.PlainMember: the UUID-based
// names most clients pick), so that Between hands them to TimeQuery.ETags
// without checking each byte, which was a fifth of that answer's cost;
// the others are answered from their metadata. Entries written by schema
// 3 have no ETag (high bit clear); they stay valid, Between reads those
// members' metadata, and the member's next write or timeline renewal
// rewrites them.
// A piece of an instant is the instant; the pieces of a period partition
// it, so a range overlaps the period exactly when it overlaps a piece.
// loose/<member> holds the flags and bounds of every timeline that is
// unknown or bounded (From, Until); bounds/ holds the same members keyed
// by what bounds them: u<member> for an unknown timeline, e<Until><member>
// and s<From><member> (seconds as 8 bytes, big-endian, sign bit flipped,
// so that they sort in time), so that the members a range goes past are
// a prefix (u), a run from the start (e, Until before To) and a run to the
// end (s, From after the range's From).
//
// Between reads the slots from the one holding From to the one holding
// the last second before To as one walk in member name order (a cursor
// per slot, merged) together with the members whose timelines leave part
// of the range unanswered (the u keys of bounds as a run of their own, the
// e and s keys the range goes past read and sorted; in a file not yet
// upgraded to schema 5, every loose entry is read and tested instead), so
// that a member's entries in every slot and its being incomplete come
// together: it offers the member's pieces that overlap the range to the
// caller's Want until Want takes it, then, if it is incomplete, the member
// itself, and reports it once without keeping a set of the members seen.
// It never reads meta for a member Want passes over, nor for one the
// caller wants the ETag of alone (the entry has it), nor any object
// bytes: a query over one month of 100,000 events reads the month's five
// or six slots and the few loose members the month goes past. Put,
// PutBatch, Transfer, Delete and SetTimelines keep the four buckets in
// the transaction that changes the member; Check verifies that they hold
// exactly what the timelines call for.
//
// Bounded per object: at most storage.MaxTimelinePeriods (1024) periods
// touching at most 256 slots (five years of a weekly series); past
// either, the timeline is cut like a walk stopped at the first period
// left out (Until) and not renewed. So what one object costs the index
// depends on the server's limits, not on what its rules or a query ask
// for.
//
// Files of schema 1 and 2 have no time index. Open read-only reads them
// as they are: Between then reports every member of such a calendar as
// incomplete, which makes the caller read them all, as it did before.
// The first read-write Open adds the buckets to every calendar, with a
// timelines and a loose entry per member marking its timeline unknown
// and to be renewed (one write transaction, about a second per 100,000
// members); DueTimelines then offers them to the server, which computes
// their timelines in the background.
//
// # Change log
//
// The log keeps at most one record per member name: a write deletes the
// record of the name's previous write (its seq is in meta, or in tombs if
// the name was deleted) before adding the new one. Changes after a
// position is then a cursor seek plus a walk over exactly the records it
// returns, so an incremental sync costs the same at 1,000 or 10,000
// members. Initial sync (position 0) lists meta instead, sorted by seq so
// a limited answer can be continued.
//
// Each record carries the time of its write. PruneChanges (prune.go)
// raises Collection.Pruned to the newest record that, like every record
// before it, was written before the cutoff, and drops the tombstones up to
// it; positions below it are answered with storage.ErrInvalidSyncToken.
// Live members keep their records (one per member, never read again below
// Pruned), so a pass writes only the garbage it drops. Records written
// before they carried a time have no timed flag and need no migration: a
// live member's is dated by its meta Modified, a tombstone as no later than
// the next dated record or, at the end of the log, the collection's
// Modified.
//
// A pass reads at most 256 collections per read transaction to find the
// horizons (from Pruned on, so a pass reads what was written since the
// last) and drops tombstones in write transactions of at most 1024
// examined records: about 8 ms each against 2-4 ms for a PUT's commit
// (BenchmarkPrune10kTombstones, BenchmarkPut), where 4096 took 25 ms for
// the same total. A collection with a longer history takes several, with
// Pruned stopping below the first record left, so a pass interrupted
// between transactions leaves every position exact.
//
// # Writes
//
// Put, PutBatch, Delete and Transfer go through a group commit (commit.go) rather
// than bbolt's DB.Batch: a write starts a transaction at once when none is
// running, writes arriving during a commit share the next one, and a pause
// for returning writers happens only after a commit that carried several.
// Every write returns after the fsync that made it durable; NoSync stays
// off. Domain failures (not found, precondition, UID conflict) are decided
// before the first write of a transaction function and reported through
// its closure, so they never roll back the writers that share the
// transaction. The freelist is a hash map and not synced: commits write
// fewer pages, at the cost of a freelist rebuild on Open.
//
// Accounts, collections, links, grants, app passwords, sessions, tokens
// and the mail records change rarely and use plain transactions; so do AddFetches, which the
// caller calls only to flush fetch counters it keeps in memory, and
// TouchAppPassword, which the caller should throttle likewise. TakeToken,
// AcceptTOTPStep and UseRecoveryCode read and write in one write
// transaction; bbolt runs those one at a time, so of racing callers
// exactly one succeeds. AddAlias checks the alias limit the same way.
//
// # Monitoring
//
// Every committed write transaction, of the group commit or plain, is
// reported to the observer ObserveCommits installs (the server's
// metrics) with its duration and number of writes; one that rolls back
// is not a commit and is not reported. Stats counts accounts, links, collections and the objects of each
// collection from the leaf page headers of their buckets (bbolt's
// Bucket.Stats): no record is decoded and no object data read, so a
// metrics scrape costs about 75 µs per 10,000 objects in one read
// transaction (BenchmarkStats10kObjects). Counters kept in the write path
// would cost every PUT a write for the sake of a scrape.
//
// # Reads
//
// Get and Stat copy what they return. List and Walk copy members out in
// chunks (1024 members or 1 MiB of data) and call back with no transaction
// open: a callback usually streams to a client, and a read transaction
// held for a slow client would block bbolt from growing its mmap and so
// stall every writer. Each chunk is a consistent snapshot; across chunks a
// walk reports every member that exists throughout exactly once, in name
// order, and stops with storage.ErrNotFound if the collection is deleted
// or replaced meanwhile.
//
// # Snapshots and checks
//
// Snapshot (storage.Maintenance) is a read transaction; its WriteTo is
// bbolt's Tx.WriteTo, which copies the pages that transaction sees with
// its meta page rewritten, so the copy is the database of that moment.
// bbolt keeps those pages from reuse while the transaction is open, and
// writers go on. They would wait only for a remap of the file, which
// waits for every read transaction: Open therefore maps 1 GiB up front
// (address space, not memory; 64-bit builds only), so that below that
// size no commit ever needs one while a backup is being copied.
//
// Export (export.go) hands every record, decoded, to a storage.Sink from
// one read transaction, for almanac migrate: the records only, since a
// target keeps its own indexes. Change records from before they carried
// their time are dated as PruneChanges dates them, and the members of a
// calendar without timelines (a schema 1 or 2 file opened read-only) go
// out as to be renewed, as the first read-write Open would mark them.
//
// Check runs bbolt's page check (Tx.Check) and then walks every part of
// the layout above for the invariants the methods keep: every object in
// meta, data and the UID index, and every index entry pointing back;
// each calendar member's timeline and exactly the when and loose entries
// it calls for;
// every change record at or below the collection counter, each live
// member's record at its Seq and each tombstone's at its deletion, one
// record per name, Pruned at most the counter and no tombstone at or
// below it; every link's collection present and indexed under its owner;
// every grant's collection and sharee present and mounted, and every
// mount pointing back; app passwords, sessions and tokens indexed under
// existing accounts; members, services, domains, mailboxes, aliases and
// mailbox links present in both directions; import jobs indexed under
// existing accounts, and none that has ended still holding a source
// password. Each problem is reported in
// words naming the record. Tx.Check is safe only while nothing writes,
// so a file opened read-only (CheckFile, the offline command) is checked
// in place and an open server's database through a snapshot copied to a
// temporary file beside it. bbolt trusts its pages (it reads them through
// unsafe pointers, and rebuilds the free list, not synced here, on a
// goroutine of its own): a damaged page makes it fault, recurse without
// end or panic where nothing can recover, ending the process. So before
// bbolt reads anything, verifyPages (pages.go) walks the file's page
// trees with bounds-checked reads: meta pages and their checksums, every
// reachable page in the file, of a known type, identifying as itself and
// referenced once, every element inside its page, keys in order, nested
// and inline buckets in turn, at most 64 levels deep. Damage it finds is
// reported ("file: ...") and the check stops there.
//
// # Locking
//
// bbolt takes an exclusive flock on the file. Open waits Options.Timeout
// (default one second) and then fails with storage.ErrLocked, so a CLI run
// next to a running server fails fast instead of hanging.
//
// Options.ReadOnly is for commands that only read (almanac user list,
// mail export): it never creates the directory, the file or a bucket, so
// running one in the wrong directory leaves nothing behind; a missing
// file fails with fs.ErrNotExist. Its lock is shared: readers exclude a
// writer (the server) but not each other.
package bolt
