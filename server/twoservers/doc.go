// Package twoservers holds the tests of several almanac servers on one
// PostgreSQL database: two server.Server values, each with a store of its
// own (its own connection pool, as two processes would have) on one
// database and one link key, built in process. They check what
// storage/postgres's doc.go (# Several servers) promises: whatever one
// server keeps in memory holds across all of them.
package twoservers
