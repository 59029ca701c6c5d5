// Package davtest holds the helpers the DAV handler tests share: parsing a
// multistatus and checking a DAV:error body.
package davtest

import (
	"encoding/xml"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// Multistatus is a parsed DAV:multistatus.
type Multistatus struct {
	Responses []struct {
		Href      string `xml:"DAV: href"`
		Status    string `xml:"DAV: status"`
		Propstats []struct {
			Status string `xml:"DAV: status"`
			Prop   struct {
				Any []struct {
					XMLName xml.Name
					Inner   string `xml:",innerxml"`
					Text    string `xml:",chardata"`
				} `xml:",any"`
			} `xml:"DAV: prop"`
		} `xml:"DAV: propstat"`
	} `xml:"DAV: response"`
	SyncToken string `xml:"DAV: sync-token"`
}

func ParseMS(t testing.TB, rec *httptest.ResponseRecorder) *Multistatus {
	t.Helper()
	if rec.Code != http.StatusMultiStatus {
		t.Fatalf("status %d, want 207; body %s", rec.Code, rec.Body)
	}
	var m Multistatus
	if err := xml.Unmarshal(rec.Body.Bytes(), &m); err != nil {
		t.Fatalf("parse multistatus: %v\n%s", err, rec.Body)
	}
	return &m
}

// Prop returns the text (or inner XML) of a property with a 200 status
// in the response for href, and whether it was found.
func (m *Multistatus) Prop(href, local string) (text, inner string, ok bool) {
	for _, r := range m.Responses {
		if r.Href != href {
			continue
		}
		for _, ps := range r.Propstats {
			if !strings.Contains(ps.Status, "200") {
				continue
			}
			for _, p := range ps.Prop.Any {
				if p.XMLName.Local == local {
					return p.Text, p.Inner, true
				}
			}
		}
	}
	return "", "", false
}

// Hrefs lists the responses' hrefs in order.
func (m *Multistatus) Hrefs() []string {
	var out []string
	for _, r := range m.Responses {
		out = append(out, r.Href)
	}
	return out
}

// WantError checks status and the DAV:error condition element.
func WantError(t testing.TB, rec *httptest.ResponseRecorder, status int, cond string) {
	t.Helper()
	if rec.Code != status {
		t.Fatalf("status %d, want %d; body %s", rec.Code, status, rec.Body)
	}
	if cond == "" {
		return
	}
	var doc struct {
		XMLName xml.Name
		Any     []struct{ XMLName xml.Name } `xml:",any"`
	}
	if err := xml.Unmarshal(rec.Body.Bytes(), &doc); err != nil {
		t.Fatalf("error body is not XML: %v\n%s", err, rec.Body)
	}
	if doc.XMLName != (xml.Name{Space: "DAV:", Local: "error"}) {
		t.Fatalf("root %v, want DAV:error", doc.XMLName)
	}
	for _, a := range doc.Any {
		if a.XMLName.Local == cond {
			return
		}
	}
	t.Fatalf("condition %s missing in %s", cond, rec.Body)
}
