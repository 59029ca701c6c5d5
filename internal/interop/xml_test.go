package interop

import (
	"encoding/xml"
	"net/http"
	"sort"
	"strings"
	"testing"
)

// multistatus is just enough of RFC 4918 14.16 to check REPORT answers
// independently of any DAV client library.
type multistatus struct {
	XMLName   xml.Name     `xml:"DAV: multistatus"`
	Responses []msResponse `xml:"DAV: response"`
	SyncToken string       `xml:"DAV: sync-token"`
}

type msResponse struct {
	Href      string       `xml:"DAV: href"`
	Status    string       `xml:"DAV: status"`
	Propstats []msPropstat `xml:"DAV: propstat"`
}

type msPropstat struct {
	Status string `xml:"DAV: status"`
	Prop   struct {
		ETag         string `xml:"DAV: getetag"`
		CalendarData string `xml:"urn:ietf:params:xml:ns:caldav calendar-data"`
	} `xml:"DAV: prop"`
}

// ok returns the first propstat with a 200 status.
func (r msResponse) ok() (msPropstat, bool) {
	for _, ps := range r.Propstats {
		if strings.Contains(ps.Status, " 200 ") {
			return ps, true
		}
	}
	return msPropstat{}, false
}

// report sends a REPORT and decodes its 207 answer.
func (e *env) report(t *testing.T, path, depth, body string) multistatus {
	t.Helper()
	hdr := map[string]string{"Content-Type": "application/xml; charset=utf-8"}
	if depth != "" {
		hdr["Depth"] = depth
	}
	resp, b := e.do(t, "REPORT", path, hdr, body)
	if resp.StatusCode != http.StatusMultiStatus {
		t.Fatalf("REPORT %s: status %d, want 207; request:\n%s\nresponse:\n%s", path, resp.StatusCode, body, b)
	}
	var ms multistatus
	if err := xml.Unmarshal(b, &ms); err != nil {
		t.Fatalf("REPORT %s: decode multistatus: %v\n%s", path, err, b)
	}
	return ms
}

// hrefs lists the response hrefs, sorted.
func (ms multistatus) hrefs() []string {
	var out []string
	for _, r := range ms.Responses {
		out = append(out, r.Href)
	}
	sort.Strings(out)
	return out
}
