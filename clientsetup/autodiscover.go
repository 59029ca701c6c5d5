package clientsetup

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"strconv"
	"strings"
	"time"
)

// Namespaces of POX Autodiscover (MS-OXDSCLI 2.2.3, 2.2.4).
const (
	// Requests name their provider between these (outlook, mobilesync).
	adRequestNSPrefix = "http://schemas.microsoft.com/exchange/autodiscover/"
	adRequestNSSuffix = "/requestschema/2006"
	adOutlookResponse = "http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a"
)

// MaxAutodiscoverRequest is the most of a request body read: an
// Autodiscover request is an address and a schema name, a few hundred
// bytes.
const MaxAutodiscoverRequest = 16 << 10

// Autodiscover error codes (MS-OXDSCLI 2.2.4.1.1.3.1).
const (
	// ADNotFound: the address is not one this server configures.
	ADNotFound = 500
	// ADNoSettings: the address is known but has nothing to configure
	// (no mail server is set for its domain).
	ADNoSettings = 501
	// ADInvalidRequest: the request is not the XML it should be.
	ADInvalidRequest = 600
	// ADNoProvider: the client asked for a response schema other than
	// Outlook's (an ActiveSync client, say).
	ADNoProvider = 601
	// ADInternal: the server failed.
	ADInternal = 603
)

var adMessages = map[int]string{
	ADNotFound:       "The email address cannot be found.",
	ADNoSettings:     "The email address has no mail settings.",
	ADInvalidRequest: "Invalid Request",
	ADNoProvider:     "The requested response schema is not available.",
	ADInternal:       "Internal error.",
}

// ADRequest is a POX Autodiscover request.
type ADRequest struct {
	EMailAddress string
	// AcceptableResponseSchema is the schema the client reads; "" when
	// it did not say (read as Outlook's).
	AcceptableResponseSchema string
}

// OutlookSchema reports whether the client accepts the Outlook response
// schema, the only one served.
func (r ADRequest) OutlookSchema() bool {
	return r.AcceptableResponseSchema == "" || r.AcceptableResponseSchema == adOutlookResponse
}

// ErrADRequest is the error of every request ParseADRequest refuses as
// malformed; ErrADTooLarge of one longer than MaxAutodiscoverRequest.
var (
	ErrADRequest  = errors.New("not an Autodiscover request")
	ErrADTooLarge = errors.New("the Autodiscover request is too large")
)

type adRequestXML struct {
	XMLName xml.Name `xml:"Autodiscover"`
	Request []struct {
		EMailAddress             []string `xml:"EMailAddress"`
		AcceptableResponseSchema []string `xml:"AcceptableResponseSchema"`
	} `xml:"Request"`
}

// ParseADRequest reads a POX Autodiscover request (MS-OXDSCLI 2.2.3):
// the root element Autodiscover of a provider's request schema namespace
// (Outlook's, or another such as ActiveSync's mobilesync, which then
// gets ADNoProvider from its AcceptableResponseSchema), with
// one Request holding one EMailAddress and at most one
// AcceptableResponseSchema. It reads at most MaxAutodiscoverRequest
// bytes of r. Go's XML decoder expands no entities but the five
// predefined ones, so a document type cannot make it do more work; the
// caller parses the address (ParseAddress).
func ParseADRequest(r io.Reader) (ADRequest, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxAutodiscoverRequest+1))
	if err != nil {
		return ADRequest{}, fmt.Errorf("read autodiscover request: %w", err)
	}
	if len(data) > MaxAutodiscoverRequest {
		return ADRequest{}, fmt.Errorf("%w: longer than %d bytes", ErrADTooLarge, MaxAutodiscoverRequest)
	}
	var x adRequestXML
	dec := xml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&x); err != nil {
		return ADRequest{}, fmt.Errorf("%w: %v", ErrADRequest, err)
	}
	// Whatever follows the root element must be comments or space: a
	// second document would be a request the client did not mean.
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return ADRequest{}, fmt.Errorf("%w: %v", ErrADRequest, err)
		}
		switch t := tok.(type) {
		case xml.Comment, xml.ProcInst:
		case xml.CharData:
			if len(bytes.TrimSpace(t)) != 0 {
				return ADRequest{}, fmt.Errorf("%w: text after the document", ErrADRequest)
			}
		default:
			return ADRequest{}, fmt.Errorf("%w: more than one root element", ErrADRequest)
		}
	}
	switch {
	case !strings.HasPrefix(x.XMLName.Space, adRequestNSPrefix) || !strings.HasSuffix(x.XMLName.Space, adRequestNSSuffix):
		return ADRequest{}, fmt.Errorf("%w: the root element is not in the request schema's namespace", ErrADRequest)
	case len(x.Request) != 1:
		return ADRequest{}, fmt.Errorf("%w: %d Request elements, want one", ErrADRequest, len(x.Request))
	case len(x.Request[0].EMailAddress) != 1:
		return ADRequest{}, fmt.Errorf("%w: %d EMailAddress elements, want one", ErrADRequest, len(x.Request[0].EMailAddress))
	case len(x.Request[0].AcceptableResponseSchema) > 1:
		return ADRequest{}, fmt.Errorf("%w: more than one AcceptableResponseSchema", ErrADRequest)
	}
	req := ADRequest{EMailAddress: strings.TrimSpace(x.Request[0].EMailAddress[0])}
	if s := x.Request[0].AcceptableResponseSchema; len(s) == 1 {
		req.AcceptableResponseSchema = strings.TrimSpace(s[0])
	}
	if req.EMailAddress == "" {
		return ADRequest{}, fmt.Errorf("%w: EMailAddress is empty", ErrADRequest)
	}
	return req, nil
}

// Autodiscover response, Outlook schema (MS-OXDSCLI 2.2.4).
type adResponse struct {
	XMLName  xml.Name `xml:"http://schemas.microsoft.com/exchange/autodiscover/responseschema/2006 Autodiscover"`
	Response any
}

type adOutlook struct {
	XMLName xml.Name  `xml:"http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a Response"`
	Account adAccount `xml:"Account"`
}

type adAccount struct {
	AccountType string       `xml:"AccountType"`
	Action      string       `xml:"Action"`
	Protocols   []adProtocol `xml:"Protocol"`
}

type adProtocol struct {
	Type           string `xml:"Type"`
	Server         string `xml:"Server"`
	Port           int    `xml:"Port"`
	DomainRequired string `xml:"DomainRequired"`
	LoginName      string `xml:"LoginName"`
	SPA            string `xml:"SPA"`
	SSL            string `xml:"SSL"`
	Encryption     string `xml:"Encryption"`
	AuthRequired   string `xml:"AuthRequired"`
	UsePOPAuth     string `xml:"UsePOPAuth,omitempty"`
	SMTPLast       string `xml:"SMTPLast,omitempty"`
}

type adErrorResponse struct {
	XMLName xml.Name `xml:"Response"`
	Error   adError  `xml:"Error"`
}

type adError struct {
	Time      string   `xml:"Time,attr"`
	ID        string   `xml:"Id,attr"`
	ErrorCode int      `xml:"ErrorCode"`
	Message   string   `xml:"Message"`
	DebugData struct{} `xml:"DebugData"`
}

// adEncryption is the Encryption element's value of a security mode:
// SSL is implicit TLS, TLS is STARTTLS.
func adEncryption(security string) (ssl, encryption string) {
	switch security {
	case SecurityTLS:
		return "on", "SSL"
	case SecurityStartTLS:
		return "on", "TLS"
	}
	return "off", "None"
}

func adProtocolOf(typ string, e Endpoint, login string) adProtocol {
	ssl, enc := adEncryption(e.Security)
	p := adProtocol{Type: typ, Server: e.Host, Port: e.Port, DomainRequired: "off", LoginName: login,
		SPA: "off", SSL: ssl, Encryption: enc, AuthRequired: "on"}
	if typ == "SMTP" {
		// The submission server takes the same login as IMAP, and is
		// not to be tried only after the incoming one.
		p.UsePOPAuth, p.SMTPLast = "on", "off"
	}
	return p
}

// Autodiscover renders the settings response of m for Outlook: an
// "email" account with an IMAP and an SMTP Protocol, the login being
// m.Username. Outlook reads no calendar or contacts settings from POX
// Autodiscover, so DAV is left out.
func Autodiscover(m MailAccount) []byte {
	return marshalXML(adResponse{Response: adOutlook{Account: adAccount{
		AccountType: "email", Action: "settings",
		Protocols: []adProtocol{adProtocolOf("IMAP", m.IMAP, m.Username), adProtocolOf("SMTP", m.Submission, m.Username)},
	}}})
}

// AutodiscoverError renders the error response of code at now. Its Id
// is, as Exchange's, a number derived from the server's name.
func AutodiscoverError(code int, now time.Time, server string) []byte {
	return marshalXML(adResponse{Response: adErrorResponse{Error: adError{
		Time:      now.UTC().Format("15:04:05.0000000"),
		ID:        strconv.FormatUint(uint64(crc32.ChecksumIEEE([]byte(server))), 10),
		ErrorCode: code,
		Message:   adMessages[code],
	}}})
}
