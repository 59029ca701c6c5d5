package clientsetup

import (
	"bytes"
	"encoding/xml"
)

// Placeholders mail clients replace in autoconfig usernames
// (config-v1.1: the address typed, and its part before the @).
const (
	PlaceholderAddress   = "%EMAILADDRESS%"
	PlaceholderLocalPart = "%EMAILLOCALPART%"
)

// MailAccount is what the discovery documents describe: a mail domain's
// (or one mailbox's) servers and the logins to use.
type MailAccount struct {
	// Domains are the Mail Service's domain, then its alias domains; the
	// first names the provider.
	Domains []string
	// Username is the IMAP and submission login: the mailbox's address,
	// or a pattern of placeholders when no mailbox was named.
	Username         string
	IMAP, Submission Endpoint
	// DAVURL is the CalDAV and CardDAV server URL clients discover the
	// collections from; DAVUsername the account login there ("" in
	// public documents, which cannot know it: PlaceholderAddress is
	// given). No DAVURL leaves calendars and contacts out.
	DAVURL, DAVUsername string
}

// Autoconfig element names and values of Mozilla's clientConfig 1.1
// (the config-v1.1.xml Thunderbird, K-9 Mail / Thunderbird for Android,
// Evolution, KMail and FairEmail read).
type acConfig struct {
	XMLName     xml.Name    `xml:"clientConfig"`
	Version     string      `xml:"version,attr"`
	Provider    acProvider  `xml:"emailProvider"`
	AddressBook *acDAVEntry `xml:"addressBook,omitempty"`
	Calendar    *acDAVEntry `xml:"calendar,omitempty"`
}

type acProvider struct {
	ID               string   `xml:"id,attr"`
	Domains          []string `xml:"domain"`
	DisplayName      string   `xml:"displayName"`
	DisplayShortName string   `xml:"displayShortName"`
	Incoming         acServer `xml:"incomingServer"`
	Outgoing         acServer `xml:"outgoingServer"`
}

type acServer struct {
	Type           string `xml:"type,attr"`
	Hostname       string `xml:"hostname"`
	Port           int    `xml:"port"`
	SocketType     string `xml:"socketType"`
	Username       string `xml:"username"`
	Authentication string `xml:"authentication"`
}

type acDAVEntry struct {
	Type           string `xml:"type,attr"`
	Username       string `xml:"username"`
	Authentication string `xml:"authentication"`
	ServerURL      string `xml:"serverURL"`
}

// acSocketType is config-v1.1's name of a security mode.
func acSocketType(security string) string {
	switch security {
	case SecurityTLS:
		return "SSL"
	case SecurityStartTLS:
		return "STARTTLS"
	}
	return "plain"
}

// Autoconfig renders m as a clientConfig 1.1 document. The passwords
// are the ones Dovecot and Postfix check against what almanac exports,
// sent over the connection's TLS: "password-cleartext" (AUTH PLAIN or
// LOGIN) is the method. Calendars and contacts are the top-level
// addressBook and calendar entries, with HTTP Basic.
func Autoconfig(m MailAccount) []byte {
	c := acConfig{
		Version: "1.1",
		Provider: acProvider{
			ID:               m.Domains[0],
			Domains:          m.Domains,
			DisplayName:      m.Domains[0],
			DisplayShortName: m.Domains[0],
			Incoming: acServer{Type: "imap", Hostname: m.IMAP.Host, Port: m.IMAP.Port,
				SocketType: acSocketType(m.IMAP.Security), Username: m.Username, Authentication: "password-cleartext"},
			Outgoing: acServer{Type: "smtp", Hostname: m.Submission.Host, Port: m.Submission.Port,
				SocketType: acSocketType(m.Submission.Security), Username: m.Username, Authentication: "password-cleartext"},
		},
	}
	if m.DAVURL != "" {
		user := m.DAVUsername
		if user == "" {
			user = PlaceholderAddress
		}
		c.AddressBook = &acDAVEntry{Type: "carddav", Username: user, Authentication: "http-basic", ServerURL: m.DAVURL}
		c.Calendar = &acDAVEntry{Type: "caldav", Username: user, Authentication: "http-basic", ServerURL: m.DAVURL}
	}
	return marshalXML(c)
}

// marshalXML renders v with the XML declaration and two-space indents.
// The documents are built from checked values, so encoding cannot fail;
// a failure would be a programming error.
func marshalXML(v any) []byte {
	var b bytes.Buffer
	b.WriteString(xml.Header)
	enc := xml.NewEncoder(&b)
	enc.Indent("", "  ")
	if err := enc.Encode(v); err != nil {
		panic("clientsetup: encode XML: " + err.Error())
	}
	b.WriteByte('\n')
	return b.Bytes()
}
