// Package admin is what a server admin does to accounts: create one for
// someone else, make or unmake an admin, disable and re-enable, delete,
// list. Service is the one implementation, used by the admin API
// (/api/v1/admin/accounts, registered by Routes) and by the command line
// (`almanac user ...`, in the CLI process or inside the server for a
// client of the admin socket), so that every way of making an account
// applies the same checks: the login is an email address, the handle a
// safe URL segment of at most 64 characters, the password passes the
// rule of the account settings (auth.PasswordProblem). A refused request
// stores nothing; an account whose calendar or address book cannot be
// provisioned is removed again rather than left half made.
//
// # Who is an admin
//
// storage.Account.Admin. The first account a fresh server creates is
// one; `almanac user add -admin` and `almanac user admin LOGIN on|off`
// set the flag from the command line, which is also how a database from
// before the flag existed gets its first admin (nothing is promoted
// silently on upgrade: powers are granted, not inferred).
//
// Every route is registered api.AdminOnly: to an account that is not an
// admin, each answers exactly what a path no route serves gets (404,
// "no such API endpoint"), so that a user is not told what exists for
// others. The routes are documented in docs/openapi.yaml all the same;
// hiding them is no security measure, the flag is.
//
// Through the API an admin cannot disable, demote or delete their own
// account (403 own_account): each admin can only act on others, so the
// last one always remains. The command line, run by whoever runs the
// server, can do all three.
//
// # Disabled accounts
//
// A disabled account cannot log in by any means; package auth refuses it
// on the one path every password and app password takes, and on every
// session (auth/doc.go). Disabling ends its sessions, so whoever is let
// back in logs in again; its app passwords stay (refused meanwhile), so
// that re-enabling gives the owner their devices back. Its data stays:
// calendars and contacts, links (public feeds keep serving, as they do
// for any account: a link is revoked by deleting it), shares and
// mailbox links. Mailboxes of the account's organizations are mail
// server accounts of their own and are not affected.
//
// # Generated passwords
//
// POST /api/v1/admin/accounts without a password generates one
// (auth.GeneratePassword, 140 bits) and answers it once, as the first
// start prints the first account's: the admin passes it on, and the
// user changes it in the account settings.
package admin
