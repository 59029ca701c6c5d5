// Package publish will serve public calendar feeds: unguessable,
// revocable /ics/{token} links (RFC 5545 text and RFC 7265 jCal) with
// privacy tiers, caching headers and conditional GET. Nothing is served
// yet; the public-feed issue builds it.
package publish
