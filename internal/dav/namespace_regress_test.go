package dav

import (
	"encoding/xml"
	"net/http"
	"strings"
	"testing"
)

// Namespaces in XML 1.0 (third edition) constraints that encoding/xml
// does not check. Each bad document is one a namespace-aware parser
// (libxml2, NSXMLParser, Java's SAX) refuses.
var namespaceCases = []struct {
	name string
	doc  string
	ok   bool
}{
	{"DeclaredPrefix", `<D:a xmlns:D="DAV:"><D:b/></D:a>`, true},
	{"PrefixFromAncestor", `<D:a xmlns:D="DAV:" xmlns:z="urn:z"><D:b><z:c z:at="1"/></D:b></D:a>`, true},
	{"PrefixRedeclared", `<p:a xmlns:p="urn:1"><p:b xmlns:p="urn:2"/><p:c/></p:a>`, true},
	{"DefaultUndeclared", `<a xmlns="urn:a"><b xmlns=""/></a>`, true},
	{"XMLPrefixPredeclared", `<a xml:lang="en" xml:space="preserve"/>`, true},
	{"XMLPrefixDeclaredRightly", `<a xmlns:xml="http://www.w3.org/XML/1998/namespace" xml:lang="en"/>`, true},
	{"UnprefixedAttrs", `<D:a xmlns:D="DAV:" b="1"/>`, true},
	{"PrefixStartingWithXml", `<xmlfoo:a xmlns:xmlfoo="urn:x"/>`, true},

	// Section 5, "No Prefix Undeclaring" (XML 1.1 only allows it).
	{"PrefixUndeclared", `<D:a xmlns:D="DAV:" xmlns:bar=""><D:b/></D:a>`, false},
	{"PrefixUndeclaredInside", `<bar:a xmlns:bar="urn:b"><bar:b xmlns:bar=""/></bar:a>`, false},
	{"PrefixUndeclaredOnProperty", `<D:propertyupdate xmlns:D="DAV:"><D:set><D:prop><bar:x xmlns:bar="">v</bar:x></D:prop></D:set></D:propertyupdate>`, false},
	// Section 5, "Prefix Declared".
	{"ElementPrefixUndeclared", `<D:a xmlns:D="DAV:"><undecl:b/></D:a>`, false},
	{"RootPrefixUndeclared", `<D:propfind><D:allprop/></D:propfind>`, false},
	{"AttrPrefixUndeclared", `<D:a xmlns:D="DAV:" q:b="1"/>`, false},
	{"PrefixOutOfScope", `<r><p:a xmlns:p="urn:p"/><p:b/></r>`, false},
	{"PrefixFromSibling", `<r><a xmlns:p="urn:p"/><b p:at="1"/></r>`, false},
	// Section 3, "Reserved Prefixes and Namespace Names".
	{"XMLNSPrefixDeclared", `<a xmlns:xmlns="urn:x"/>`, false},
	{"XMLPrefixRebound", `<a xmlns:xml="urn:x"/>`, false},
	{"OtherPrefixForXMLNamespace", `<a xmlns:l="http://www.w3.org/XML/1998/namespace"/>`, false},
	{"DefaultIsXMLNamespace", `<a xmlns="http://www.w3.org/XML/1998/namespace"/>`, false},
	{"PrefixForXMLNSNamespace", `<a xmlns:n="http://www.w3.org/2000/xmlns/"/>`, false},
	{"DefaultIsXMLNSNamespace", `<a xmlns="http://www.w3.org/2000/xmlns/"/>`, false},
	{"ElementWithXMLNSPrefix", `<xmlns:a/>`, false},
}

func TestCheckXML_Namespaces(t *testing.T) {
	for _, tt := range namespaceCases {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckXML([]byte(tt.doc))
			if tt.ok {
				if err != nil {
					t.Fatalf("CheckXML(%q): %v", tt.doc, err)
				}
				return
			}
			e := wantError(t, err, http.StatusBadRequest, xmlNameZero)
			if !strings.HasPrefix(e.Message, "malformed XML: ") {
				t.Fatalf("message %q does not say what is wrong", e.Message)
			}
		})
	}
}

// An accepted document is namespace-well-formed: every prefix it uses is
// bound, in scope, to a non-empty name. The oracle keeps its own scopes
// and walks RawToken and Token in step.
func FuzzCheckXMLNamespaces(f *testing.F) {
	for _, c := range namespaceCases {
		f.Add([]byte(c.doc))
	}
	for _, c := range checkXMLCases {
		f.Add([]byte(c.doc))
	}
	f.Fuzz(func(t *testing.T, doc []byte) {
		if err := CheckXML(doc); err != nil {
			mustDavError(t, err)
			return
		}
		raw := xml.NewDecoder(strings.NewReader(string(doc)))
		cooked := xml.NewDecoder(strings.NewReader(string(doc)))
		var scopes []map[string]string
		lookup := func(p string) (string, bool) {
			for i := len(scopes) - 1; i >= 0; i-- {
				if v, ok := scopes[i][p]; ok {
					return v, true
				}
			}
			return "", false
		}
		for {
			rt, err := raw.RawToken()
			if err != nil {
				return
			}
			ct, err := cooked.Token()
			if err != nil {
				t.Fatalf("accepted document fails to decode: %v", err)
			}
			switch r := rt.(type) {
			case xml.StartElement:
				c := ct.(xml.StartElement)
				scope := map[string]string{}
				for _, a := range r.Attr {
					if a.Name.Space == "xmlns" {
						if a.Value == "" {
							t.Fatalf("accepted xmlns:%s=\"\" in %q", a.Name.Local, doc)
						}
						scope[a.Name.Local] = a.Value
					}
				}
				scopes = append(scopes, scope)
				check := func(prefix, got string) {
					if prefix == "" || prefix == "xmlns" {
						return
					}
					want, ok := lookup(prefix)
					if prefix == "xml" && !ok {
						want, ok = xmlNamespace, true
					}
					if !ok || got != want {
						t.Fatalf("prefix %q resolved to %q, bound to %q (%v) in %q", prefix, got, want, ok, doc)
					}
				}
				check(r.Name.Space, c.Name.Space)
				for i, a := range r.Attr {
					check(a.Name.Space, c.Attr[i].Name.Space)
				}
			case xml.EndElement:
				scopes = scopes[:len(scopes)-1]
			}
		}
	})
}
