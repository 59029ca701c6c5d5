// Package remote decides, once per request, who the client is and which
// scheme and host it used: the address throttling counts and the log
// shows, and the base of the URLs the server builds (public links,
// links in account mail) and of the session cookie's Secure flag.
//
// # Trust
//
// Behind a reverse proxy every connection comes from the proxy, which
// names the client in a header. Anyone can send that header, so it is
// believed only from the networks the operator names (-trusted-proxies),
// and only the one family of headers the proxy is configured to set
// (-proxy-header): the other family, which the proxy passes through
// untouched, is ignored, since a client could otherwise choose its
// address by sending the header the proxy does not overwrite.
//
//   - x-forwarded (default; nginx, Caddy, Traefik, HAProxy, Apache):
//     X-Forwarded-For, X-Forwarded-Proto, X-Forwarded-Host.
//   - forwarded: RFC 7239's Forwarded (for=, proto=, host=; by= and
//     extensions are read and ignored).
//
// Without trusted proxies, and for any connection not from one, the
// headers are ignored: the client is the connection's peer, the scheme
// https if the connection is TLS, the host the Host header.
//
// # The client address
//
// The list of addresses is walked right to left, starting at the
// connection's peer, skipping trusted proxies; the first address that is
// not a trusted proxy is the client. Its entry was appended by a trusted
// proxy that saw it connect; everything to its left came from the client
// and is never read. If every address is trusted, the leftmost is the
// client. An entry that is not an IP address ("unknown", an RFC 7239
// obfuscated identifier, garbage) or a Forwarded line that does not
// parse ends the walk at the proxy that wrote it: such requests are
// counted under that proxy's address, which no client can choose. Empty
// list items are skipped (RFC 9110 5.6.1). Ports are dropped, zones too,
// and IPv4-mapped IPv6 addresses read as IPv4, so that one client has
// one address.
//
// A network of clients must not be listed as trusted: a client inside it
// could then name any address to its left.
//
// # Scheme and host
//
// X-Forwarded-Proto and X-Forwarded-Host are taken from their rightmost
// item, the one the nearest (trusted) proxy wrote; Forwarded's proto=
// and host= from the element that names the client, or the nearest
// element to it that has them, since that element was written by the
// proxy the client connected to. A scheme other than http or https, or a
// host that is not a DNS name, IPv4 address or bracketed IPv6 literal
// with an optional port, is ignored, so that a URL built on it cannot
// gain a path, credentials or a line break.
//
// ParseTrusted refuses a network that contains every address (0.0.0.0/0,
// ::/0): it would amount to believing every client.
package remote
