package clientsetup

import (
	"bytes"
	"crypto/sha1"
	"encoding/xml"
	"fmt"
	"slices"
	"strconv"
)

// MobileConfigType is the media type of Apple configuration profiles:
// Safari on iOS and macOS offers to install what it gets with it.
const MobileConfigType = "application/x-apple-aspen-config"

// Profile is what an Apple configuration profile sets up: a mail
// account, and calendars and contacts.
type Profile struct {
	// Identifier is the profile's PayloadIdentifier. Apple devices
	// replace an installed profile by one with the same identifier, so
	// it must be the same for the same account (and mailbox) every time.
	Identifier string
	// DisplayName is what the device shows for the profile;
	// Organization who it comes from.
	DisplayName, Organization string
	Mail                      *ProfileMail // nil: no mail account
	DAV                       *ProfileDAV  // nil: no calendars and contacts
}

// ProfileMail is an IMAP account with its submission server.
type ProfileMail struct {
	Address string // the mailbox's address
	// Name is the sender's name mail goes out with; "" lets the device
	// ask.
	Name             string
	Username         string
	IMAP, Submission Endpoint
}

// ProfileDAV is a CalDAV and a CardDAV account on one server.
type ProfileDAV struct {
	Host         string
	Port         int
	TLS          bool
	PrincipalURL string
	Username     string
	// Password is embedded in both accounts when set; "" leaves no
	// secret in the profile: the device asks for it on installation.
	Password string
}

// MobileConfig renders p as an unsigned configuration profile (an XML
// property list) with payloads com.apple.mail.managed,
// com.apple.caldav.account and com.apple.carddav.account. Every
// identifier and UUID is derived from p.Identifier, so that the same
// profile renders to the same bytes. No mail password is embedded:
// almanac keeps only a hash of it.
func MobileConfig(p Profile) []byte {
	var content []any
	if m := p.Mail; m != nil {
		inSSL, outSSL := m.IMAP.Security != SecurityNone, m.Submission.Security != SecurityNone
		d := dict{
			"EmailAccountDescription":                m.Address,
			"EmailAccountType":                       "EmailTypeIMAP",
			"EmailAddress":                           m.Address,
			"IncomingMailServerAuthentication":       "EmailAuthPassword",
			"IncomingMailServerHostName":             m.IMAP.Host,
			"IncomingMailServerPortNumber":           m.IMAP.Port,
			"IncomingMailServerUseSSL":               inSSL,
			"IncomingMailServerUsername":             m.Username,
			"OutgoingMailServerAuthentication":       "EmailAuthPassword",
			"OutgoingMailServerHostName":             m.Submission.Host,
			"OutgoingMailServerPortNumber":           m.Submission.Port,
			"OutgoingMailServerUseSSL":               outSSL,
			"OutgoingMailServerUsername":             m.Username,
			"OutgoingPasswordSameAsIncomingPassword": true,
		}
		if m.Name != "" {
			d["EmailAccountName"] = m.Name
		}
		content = append(content, payload(d, "com.apple.mail.managed", p.Identifier+".mail", "Mail: "+m.Address))
	}
	if v := p.DAV; v != nil {
		for _, kind := range []struct{ prefix, typ, suffix, what string }{
			{"CalDAV", "com.apple.caldav.account", ".caldav", "Calendars"},
			{"CardDAV", "com.apple.carddav.account", ".carddav", "Contacts"},
		} {
			d := dict{
				kind.prefix + "AccountDescription": kind.what + " (" + v.Host + ")",
				kind.prefix + "HostName":           v.Host,
				kind.prefix + "Port":               v.Port,
				kind.prefix + "PrincipalURL":       v.PrincipalURL,
				kind.prefix + "UseSSL":             v.TLS,
				kind.prefix + "Username":           v.Username,
			}
			if v.Password != "" {
				d[kind.prefix+"Password"] = v.Password
			}
			content = append(content, payload(d, kind.typ, p.Identifier+kind.suffix, kind.what+": "+v.Username))
		}
	}
	top := dict{
		"PayloadContent":           content,
		"PayloadDescription":       "Sets up " + p.DisplayName + ".",
		"PayloadDisplayName":       p.DisplayName,
		"PayloadIdentifier":        p.Identifier,
		"PayloadOrganization":      p.Organization,
		"PayloadRemovalDisallowed": false,
		"PayloadType":              "Configuration",
		"PayloadUUID":              nameUUID(p.Identifier),
		"PayloadVersion":           1,
	}
	var b bytes.Buffer
	b.WriteString(xml.Header)
	b.WriteString(`<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">` + "\n")
	b.WriteString(`<plist version="1.0">` + "\n")
	writePlist(&b, top, 0)
	b.WriteString("</plist>\n")
	return b.Bytes()
}

func payload(d dict, typ, id, name string) dict {
	d["PayloadType"] = typ
	d["PayloadIdentifier"] = id
	d["PayloadUUID"] = nameUUID(id)
	d["PayloadVersion"] = 1
	d["PayloadDisplayName"] = name
	return d
}

// dict is a property list dictionary; its keys are written sorted, as
// plutil and Python's plistlib write them.
type dict map[string]any

// writePlist writes v (dict, []any, string, int or bool) as XML
// property list elements, one a line, tab-indented.
func writePlist(b *bytes.Buffer, v any, depth int) {
	indent := func(d int) {
		for range d {
			b.WriteByte('\t')
		}
	}
	indent(depth)
	switch v := v.(type) {
	case dict:
		b.WriteString("<dict>\n")
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			indent(depth + 1)
			b.WriteString("<key>")
			xml.EscapeText(b, []byte(k))
			b.WriteString("</key>\n")
			writePlist(b, v[k], depth+1)
		}
		indent(depth)
		b.WriteString("</dict>\n")
	case []any:
		b.WriteString("<array>\n")
		for _, e := range v {
			writePlist(b, e, depth+1)
		}
		indent(depth)
		b.WriteString("</array>\n")
	case string:
		b.WriteString("<string>")
		xml.EscapeText(b, []byte(v))
		b.WriteString("</string>\n")
	case int:
		b.WriteString("<integer>" + strconv.Itoa(v) + "</integer>\n")
	case bool:
		if v {
			b.WriteString("<true/>\n")
		} else {
			b.WriteString("<false/>\n")
		}
	default:
		panic(fmt.Sprintf("clientsetup: no property list form for %T", v))
	}
}

// urlNamespace is the RFC 9562 namespace UUID for URLs.
var urlNamespace = [16]byte{0x6b, 0xa7, 0xb8, 0x11, 0x9d, 0xad, 0x11, 0xd1, 0x80, 0xb4, 0x00, 0xc0, 0x4f, 0xd4, 0x30, 0xc8}

// nameUUID is the RFC 9562 5.5 (version 5, SHA-1) UUID of the name
// "urn:almanac:"+name, upper case as Apple writes them: stable, so that
// a profile downloaded twice is the same profile.
func nameUUID(name string) string {
	h := sha1.New()
	h.Write(urlNamespace[:])
	h.Write([]byte("urn:almanac:" + name))
	u := h.Sum(nil)[:16]
	u[6] = u[6]&0x0f | 0x50
	u[8] = u[8]&0x3f | 0x80
	return fmt.Sprintf("%X-%X-%X-%X-%X", u[0:4], u[4:6], u[6:8], u[8:10], u[10:16])
}
