// Package web serves the server-rendered pages: sign-in and recovery,
// calendars and address books with their public links and shares, the
// account, linked mailboxes and their managers' pages, and the public
// agenda of a calendar link.
//
// # One set of rules
//
// The pages write no rule of their own. Every change is one request to
// the /api/v1 router or the DAV tree, made in process (call.go): the
// page's session cookie and the session's CSRF token go with it, the
// client address stays the page's, so the API's validation, rights,
// throttles and error codes apply unchanged, and a change to a rule
// reaches the pages without touching them. Calendars and address books
// have no JSON API: the pages send MKCALENDAR, extended MKCOL
// (RFC 5689), PROPPATCH and DELETE to the DAV tree as the session's
// account, as a DAV client would. The pages read the caller's own
// collections from the store for lists and for the confirmation that
// names what a deletion loses; every read is scoped to the session's
// account, so another account's calendar answers exactly like a missing
// one (404). A service's page also reads who is linked to its
// mailboxes, which no API route lists, after the API has let the caller
// list the mailboxes (that is, the caller manages the service).
//
// # Out-of-office replies
//
// A mailbox's replies have one set of pages under two paths: the user's
// (/mail/{address}/responders, through the link and its responder right)
// and the manager's (/manage/services/{service}/mailboxes/{local}/
// responders); each page calls the matching API path, so the API alone
// decides who may (another account's mailbox is 404, a right taken is
// 403 naming the manager). The editor sends every field on each save,
// so that clearing a date or the exclusions clears it; dates are
// datetime-local inputs read as wall-clock times in the zone the form
// names (empty: the API's default, the zone of the default calendar);
// a textarea's CRLF line ends become LF. "From" offers the mailbox,
// its aliases and the caller's confirmed sending addresses, the ones
// the API accepts; the sending addresses are added and confirmed (code
// mailed by the API) on the same page. Reset and delete are confirmed;
// so is applying a service's template, whose form is its confirmation
// (activating the copies turns off the replies active before).
//
// # Imports
//
// /calendars/{name}/import sends a file (multipart/form-data, RFC 7578)
// or its URL to fileimport's route as a dry run first: the page lists
// what would be created, updated, left unchanged and refused, with the
// reasons, and nothing is written until the import is confirmed. So
// that what is imported is the file previewed without choosing it
// again, the upload is held for its session under a random token, for
// 15 minutes, one file a session (a new preview replaces it), 4 times
// the file cap in all, the oldest dropped first: in memory, or in the
// store when several servers share one (Options.Stash), so that the
// confirmation may reach another server than the preview; a
// confirmation that finds it gone is 409 and asks for the file again. A
// URL is fetched again by the API on confirmation. A file with refused
// objects imports nothing unless "import the others" is ticked (the
// API's skip_refused). The upload is read only after the session is
// checked: the server raises its small cap on a page's body to the
// import's (Options.AllowBody), as it does for the API's route.
//
// # Mail imports
//
// /mail/{address}/imports starts mailimport's copy of another
// provider's mailbox into a linked one (the API tries the source's login
// first, so a wrong password is shown next to its field) and lists the
// imports into it; an import's page shows its progress per source and
// folder. While an import runs, app.js fetches the page again every 5
// seconds and puts its progress in place (CSP connect-src 'self'),
// until the import has ended; without JavaScript an "update" link does
// it. A meta refresh would need no script, but reloading a page under a
// reader's feet is what WCAG 2.2.1 forbids (axe: meta-refresh).
// Stopping one is confirmed. A service's managers send a CSV of imports
// (mailimport's template, offered for download) on the service's
// imports page and follow the imports they started into its mailboxes
// there.
//
// # Setting up apps
//
// /mail/{address}/setup and /account/setup show clientsetup's settings
// (servers, ports, security, user names, which password) and pass its
// configuration profile through as a download: GET as the API answers
// it, POST (a form, with the CSRF token) with a new app password in the
// file, which the API makes; the password is in the file only. A
// service's page shows its managers where its users are told to connect
// for mail, and its owner may name servers of its own there (a host left
// empty takes the server's again).
//
// # Sessions and CSRF
//
// The pages use the API's sessions: the login form posts to the API's
// session login, which sets the cookie (HttpOnly, SameSite=Strict,
// Secure over HTTPS); auth.Authenticator.Session is the one check of the
// cookie for pages and API alike. Every form of a signed-in page carries
// the session's CSRF token in a hidden field, compared in constant time
// with auth.CSRFMatches, the comparison the API makes on X-CSRF-Token; a
// form posted from another site has no token (and, SameSite=Strict, no
// cookie) and changes nothing. After a change the browser is redirected
// (303) to a page that says what was done; secrets that are shown once
// (app passwords, the TOTP key, recovery codes) are rendered in the
// answer to the POST that made them and never put in a URL.
//
// The forms without a session (login, recovery) have no token; they
// refuse what the browser says another site posted (Sec-Fetch-Site, or
// Origin against Host: net/http's CrossOriginProtection), so that a
// forged login cannot sign a victim into someone else's account.
//
// Two-factor sign-in is a second form that asks for the password again
// with the code: the API takes both in one request and no half-made
// session is kept on the server.
//
// # Errors
//
// A page handler returns its error; one renderer (Handler.act and
// Handler.finish) reads it as api.Classify does for JSON — the same
// status, code, message and field. An error about a field is shown next
// to that field (aria-invalid, aria-describedby) in the form again, with
// what was typed except secrets; any other 4xx above the form; a 5xx as
// a page without internal text, logged. A throttled attempt is a 429
// with Retry-After, like the API's.
//
// # Language and time
//
// English and French (messages.go). The language is the browser's
// setting (cookie almanac_lang, set on the account page), else the best
// of Accept-Language (RFC 9110 12.5.4), else English. The API's error
// messages are English; the catalogue translates the codes it knows.
// Dates are shown in the reader's zone (cookie almanac_tz, an IANA
// name), UTC without one. Both are preferences of a browser, not of an
// account, so that the sign-in pages honour them too.
//
// # Security headers
//
// Content-Security-Policy: default-src 'none'; scripts, styles and
// images from 'self' only (images also data:), fetches to 'self' only
// (connect-src), no inline script or style, form-action 'self',
// frame-ancestors 'none' — except for the
// public agenda page (/ics/{token}.html), which websites embed and which
// therefore allows any frame ancestor. Colours are drawn with SVG fill
// attributes, not style attributes. JavaScript (static/app.js) only
// shows copy buttons and updates a running import's progress; every
// page works without it.
//
// # The public agenda
//
// /ics/{token}.html lists the next AgendaDays (28) days of a calendar
// link, read from the link's own feed in process so that its tier,
// window, expiry and revocation apply exactly as to the feed, and the
// view is counted as a fetch. Recurrences are expanded with
// internal/ical under one request budget, at most 500 instances; ?tz=
// chooses the zone (the embed snippet on the link's page sets the
// owner's).
//
// # QR codes
//
// github.com/skip2/go-qrcode computes the modules (it is the QR encoder
// on the module proxy most used, small, without dependencies); the pages
// draw them as inline SVG.
package web
