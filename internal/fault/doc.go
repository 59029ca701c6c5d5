// Package fault is how domain code (sharing, mailbox, account, auth) says
// why it refuses something without knowing which protocol carries the
// answer: input that is unusable, an action the caller may not take, a
// conflict with what is stored, a quota, too many attempts. Each protocol
// maps a Kind to a status in one place: internal/api for the JSON API,
// davtree.MapError for WebDAV. Storage sentinels (storage.ErrNotFound, ...)
// are mapped there as well and need no wrapping here.
//
// Message is written for the person using the client and is sent as is;
// Err, the cause, is for the log only.
package fault
