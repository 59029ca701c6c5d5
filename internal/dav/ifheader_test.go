package dav

import (
	"reflect"
	"strings"
	"testing"
)

const (
	uuid1 = "urn:uuid:181d4fae-7d8c-11d0-a765-00a0c91e6bf2"
	uuid2 = "urn:uuid:58f202ac-22cf-11d1-b12d-002035b29092"
)

func TestParseIf(t *testing.T) {
	tok := func(s string) IfCondition { return IfCondition{Token: s} }
	not := func(c IfCondition) IfCondition { c.Not = true; return c }
	etag := func(s string) IfCondition { return IfCondition{ETag: s} }
	for _, tc := range []struct {
		name, h string
		want    []IfList
	}{
		// The examples of RFC 4918 10.4.6 to 10.4.12.
		{"10.4.6", `(<` + uuid1 + `> ["I am an ETag"]) (["I am another ETag"])`,
			[]IfList{{Conditions: []IfCondition{tok(uuid1), etag(`"I am an ETag"`)}}, {Conditions: []IfCondition{etag(`"I am another ETag"`)}}}},
		{"10.4.7", "(Not <" + uuid1 + ">\r\n <" + uuid2 + ">)",
			[]IfList{{Conditions: []IfCondition{not(tok(uuid1)), tok(uuid2)}}}},
		{"10.4.8", "(<" + uuid1 + ">)\r\n (Not <DAV:no-lock>)",
			[]IfList{{Conditions: []IfCondition{tok(uuid1)}}, {Conditions: []IfCondition{not(tok("DAV:no-lock"))}}}},
		{"10.4.9", `</resource1> (<` + uuid1 + `> [W/"A weak ETag"]) (["strong ETag"])`,
			[]IfList{{Resource: "/resource1", Conditions: []IfCondition{tok(uuid1), etag(`W/"A weak ETag"`)}}, {Resource: "/resource1", Conditions: []IfCondition{etag(`"strong ETag"`)}}}},
		{"10.4.10", `<http://www.example.com/specs/> (<` + uuid1 + `>)`,
			[]IfList{{Resource: "http://www.example.com/specs/", Conditions: []IfCondition{tok(uuid1)}}}},
		{"10.4.11", `</specs/rfc2518.doc> (["4217"])`,
			[]IfList{{Resource: "/specs/rfc2518.doc", Conditions: []IfCondition{etag(`"4217"`)}}}},
		{"10.4.12", `</specs/rfc2518.doc> (Not ["4217"])`,
			[]IfList{{Resource: "/specs/rfc2518.doc", Conditions: []IfCondition{not(etag(`"4217"`))}}}},
		// RFC 6578 5.1: a collection's sync token on a member's PUT.
		{"RFC 6578 5.1", "</home/cyrusdaboo/collection/>\r\n  (<http://example.com/ns/sync/12345>)",
			[]IfList{{Resource: "/home/cyrusdaboo/collection/", Conditions: []IfCondition{tok("http://example.com/ns/sync/12345")}}}},
		{"two tags", `</a> (<urn:x>) </b> (<urn:y>) (["z"])`,
			[]IfList{{Resource: "/a", Conditions: []IfCondition{tok("urn:x")}}, {Resource: "/b", Conditions: []IfCondition{tok("urn:y")}}, {Resource: "/b", Conditions: []IfCondition{etag(`"z"`)}}}},
		{"no spaces, lower-case not", `(not<urn:x>["y"])`,
			[]IfList{{Conditions: []IfCondition{not(tok("urn:x")), etag(`"y"`)}}}},
		{"an etag holding brackets and parentheses", `(["a] (b)"])`,
			[]IfList{{Conditions: []IfCondition{etag(`"a] (b)"`)}}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseIf(tc.h)
			if err != nil {
				t.Fatalf("ParseIf(%q): %v", tc.h, err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("ParseIf(%q)\n got %+v\nwant %+v", tc.h, got, tc.want)
			}
		})
	}
}

func TestParseIf_Malformed(t *testing.T) {
	many := strings.Repeat("(<urn:x>)", MaxIfConditions+1)
	for _, h := range []string{
		"",
		"   ",
		"()",
		"(<urn:x>",
		"<urn:x>",                  // a tag without a list
		"</a>",                     // the same
		"(<urn:x>) </a> (<urn:y>)", // tagged after untagged
		"(Not)",
		"(Not )",
		"(<>)",
		"(<urn:x y>)",
		"(<no-scheme>)", // a state token is an absolute URI
		`(["unterminated)`,
		`([unquoted])`,
		`(["a"`,
		`(["a"x])`,
		"(urn:x)",
		"(<urn:x>) garbage",
		"<urn:x (<urn:y>)",
		many,
		"(" + strings.Repeat("<urn:x>", MaxIfConditions+1) + ")",
	} {
		if l, err := ParseIf(h); err == nil {
			t.Errorf("ParseIf(%q) = %+v, want an error", h, l)
		} else if e, ok := err.(*Error); !ok || e.Status != 400 {
			t.Errorf("ParseIf(%q): %v, want a 400", h, err)
		}
	}
}

func FuzzParseIf(f *testing.F) {
	for _, s := range []string{
		`(<` + uuid1 + `> ["I am an ETag"]) (["I am another ETag"])`,
		`</resource1> (<` + uuid1 + `> [W/"A weak ETag"]) (["strong ETag"])`,
		"(<urn:x>) (Not <DAV:no-lock>)",
		`</a> (Not ["4217"]) </b> (<urn:y>)`,
		"(<urn:x>",
		`(["a`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, h string) {
		lists, err := ParseIf(h)
		if err != nil {
			if e, ok := err.(*Error); !ok || e.Status != 400 {
				t.Fatalf("ParseIf(%q): %v, want a 400", h, err)
			}
			return
		}
		n := 0
		for _, l := range lists {
			if len(l.Conditions) == 0 {
				t.Fatalf("ParseIf(%q): an empty list", h)
			}
			n += len(l.Conditions)
			for _, c := range l.Conditions {
				if (c.Token == "") == (c.ETag == "") {
					t.Fatalf("ParseIf(%q): condition %+v is neither a token nor an entity tag", h, c)
				}
				if c.ETag != "" && !strings.HasSuffix(c.ETag, `"`) {
					t.Fatalf("ParseIf(%q): entity tag %q", h, c.ETag)
				}
			}
		}
		if n > MaxIfConditions {
			t.Fatalf("ParseIf(%q): %d conditions", h, n)
		}
	})
}
