// Package backup writes and restores almanac's backup archives: one file
// holding a consistent snapshot of the store and the key files that
// belong with it, and a manifest to check them against.
//
// # Archive
//
// An archive is a tar file, gzipped when the caller asks (the command
// line does for names ending in .gz or .tgz; scheduled backups always
// do); restore recognises gzip by its magic bytes. Its entries, in order:
//
//	almanac.db      the database, as storage.Snapshot wrote it (the
//	                file name is the backend's: "bolt" writes almanac.db)
//	link.key        the key public-link tokens derive from, when given;
//	                later key kinds follow it, each under a name of its own
//	manifest.json   format "almanac-backup", version 1, creation time,
//	                the almanac version that wrote it, the store's
//	                backend, schema version and counts, and each file's
//	                name, kind, size and SHA-256 checksum
//
// The manifest comes last because it holds the checksums, which are known
// only once the snapshot is streamed: the database goes straight from the
// snapshot into the archive, with no copy on disk, and the snapshot is
// released as soon as it is written. tar was chosen over zip for that
// streaming, and because `tar tzf` shows an operator what a backup holds.
//
// # Consistency
//
// The database entry is one storage.Snapshot: for bbolt, a read
// transaction copied with Tx.WriteTo, so it is exactly the state of one
// moment, every object with its index entries and its collection's
// counter and change log as they were, while writers go on meanwhile
// (storage/bolt maps the file large enough that they never wait for the
// copy). Key files are read just before the snapshot starts; they change
// only when an operator replaces them.
//
// # Restore
//
// Restore treats the archive as untrusted input. It reads it twice. The
// first pass verifies it and writes nothing: every entry a regular file
// with one of the names above, none twice, the manifest last (at most 1
// MiB) and of a known format and version, one database of a backend this
// almanac restores, every listed file present with its size and
// checksum, nothing unlisted, and a gzip stream ending with a correct
// checksum. A damaged archive fails with ErrDamaged. Only then the
// targets are checked (the data directory missing or empty, a key file
// placed outside it not existing), and the second pass writes each file
// to a temporary file beside its destination, checking the checksums
// again, since the archive could change between the passes. After a
// caller's check of the database file (the command opens it) the files
// are linked into place, keys first and the database last, so a
// directory holding almanac.db holds a complete restore; a link, unlike
// a rename, never replaces a file that appeared meanwhile. On failure
// everything written is removed.
//
// Files written by WriteFile go the same way: a temporary file beside
// the archive, synced, then linked to its name, refusing to replace an
// existing file, and the directory synced.
package backup
