package clientsetup

import (
	"fmt"
	"io"
	"net"
	"net/url"
	"strconv"
	"strings"
)

// DNSTTL is the TTL of the records DNSRecords suggests: an hour, so
// that a change of server reaches clients the same day.
const DNSTTL = 3600

// Record is one resource record in zone-file terms: an absolute owner
// name, a type and its data.
type Record struct {
	Name, Type, Data string
}

// DNSRecords are the records an operator publishes in domain so that
// clients find its servers by the address alone, with notes (zone-file
// comments) on what could not be suggested and why:
//
//   - RFC 6186 SRV: _imaps._tcp (implicit TLS) or _imap._tcp (STARTTLS),
//     and RFC 8314 5.1 _submissions._tcp or RFC 6186 _submission._tcp,
//     for the configured endpoints;
//   - RFC 6764 SRV and TXT path=: _caldavs._tcp and _carddavs._tcp (or
//     _caldav/_carddav for a plain http public URL) at the public URL's
//     host and port, with its path to /dav/;
//   - autoconfig.<domain> and autodiscover.<domain>, the host names
//     Thunderbird and Outlook try, as CNAMEs of the public host (A or
//     AAAA for an IP address), and Outlook's _autodiscover._tcp SRV.
//
// public is the server's external base URL; nil leaves the DAV and
// discovery records out.
func DNSRecords(domain string, imap, submission Endpoint, public *url.URL) (records []Record, notes []string) {
	owner := func(label string) string { return label + "." + domain + "." }
	srv := func(port int, host string) string { return "0 1 " + strconv.Itoa(port) + " " + host + "." }
	switch {
	case !imap.Configured():
		notes = append(notes, "no IMAP server is configured (-imap-host): no IMAP record")
	case imap.Security == SecurityTLS:
		records = append(records, Record{owner("_imaps._tcp"), "SRV", srv(imap.Port, imap.Host)})
	default:
		records = append(records, Record{owner("_imap._tcp"), "SRV", srv(imap.Port, imap.Host)})
	}
	switch {
	case !submission.Configured():
		notes = append(notes, "no submission server is configured (-submission-host): no submission record")
	case submission.Security == SecurityTLS:
		records = append(records, Record{owner("_submissions._tcp"), "SRV", srv(submission.Port, submission.Host)})
	default:
		records = append(records, Record{owner("_submission._tcp"), "SRV", srv(submission.Port, submission.Host)})
	}
	if imap.Security == SecurityNone || submission.Security == SecurityNone {
		notes = append(notes, "a mail server is configured without TLS (security none): passwords would cross the network in the clear")
	}
	if public == nil {
		return records, append(notes, "no public URL (-public-url): no CalDAV, CardDAV, autoconfig or Autodiscover records")
	}
	host := public.Hostname()
	port := public.Port()
	tls := public.Scheme == "https"
	if port == "" {
		port = "80"
		if tls {
			port = "443"
		}
	}
	p, _ := strconv.Atoi(port)
	path := strings.TrimSuffix(public.EscapedPath(), "/") + "/dav/"
	if ip := net.ParseIP(host); ip != nil {
		notes = append(notes, "the public URL names an IP address: SRV records need a host name, so there are no CalDAV or CardDAV records")
		typ := "A"
		if ip.To4() == nil {
			typ = "AAAA"
		}
		records = append(records, Record{owner("autoconfig"), typ, host}, Record{owner("autodiscover"), typ, host})
		return records, notes
	}
	caldav, carddav := "_caldavs._tcp", "_carddavs._tcp"
	if !tls {
		caldav, carddav = "_caldav._tcp", "_carddav._tcp"
		notes = append(notes, "the public URL is http: calendar and contacts passwords would cross the network in the clear")
	}
	records = append(records,
		Record{owner(caldav), "SRV", srv(p, host)},
		Record{owner(caldav), "TXT", strconv.Quote("path=" + path)},
		Record{owner(carddav), "SRV", srv(p, host)},
		Record{owner(carddav), "TXT", strconv.Quote("path=" + path)})
	for _, name := range []string{"autoconfig", "autodiscover"} {
		if name+"."+domain != host {
			records = append(records, Record{owner(name), "CNAME", host + "."})
		}
	}
	if tls {
		records = append(records, Record{owner("_autodiscover._tcp"), "SRV", srv(p, host)})
		notes = append(notes, fmt.Sprintf("autoconfig.%s and autodiscover.%s must reach almanac by HTTPS with a certificate for those names", domain, domain))
	} else {
		notes = append(notes, "Outlook asks Autodiscover over https only: no _autodiscover._tcp record for an http public URL")
	}
	return records, notes
}

// WriteZone writes records as zone-file lines under a comment heading
// (one line, "; heading"), their owner names aligned, then the notes as
// comments.
func WriteZone(w io.Writer, heading string, records []Record, notes []string) error {
	width := 0
	for _, r := range records {
		width = max(width, len(r.Name))
	}
	var b strings.Builder
	b.WriteString("; " + heading + "\n")
	for _, r := range records {
		fmt.Fprintf(&b, "%-*s %d IN %-5s %s\n", width, r.Name, DNSTTL, r.Type, r.Data)
	}
	for _, n := range notes {
		b.WriteString("; " + n + "\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}
