package clientsetup

import (
	"net/url"
	"slices"
	"strings"
	"testing"
)

// A "+" in emailaddress is a plus (sub-addressing), not the space of
// HTML form encoding, whether or not the client percent-encoded it.
func TestQueryValues(t *testing.T) {
	for _, tc := range []struct {
		raw  string
		want []string
		err  bool
	}{
		{"emailaddress=anna%40domain.xyz", []string{"anna@domain.xyz"}, false},
		{"emailaddress=anna+news@domain.xyz", []string{"anna+news@domain.xyz"}, false},
		{"emailaddress=anna%2Bnews@domain.xyz", []string{"anna+news@domain.xyz"}, false},
		{"x=1&emailaddress=a@b.c&y", []string{"a@b.c"}, false},
		{"emailaddress=a@b.c&emailaddress=d@e.f", []string{"a@b.c", "d@e.f"}, false},
		{"emailaddress", []string{""}, false},
		{"%65mailaddress=a@b.c", []string{"a@b.c"}, false},
		{"", nil, false},
		{"email=a@b.c", nil, false},
		{"emailaddress=a%ZZ@b.c", nil, true},
		{"%ZZ=1&emailaddress=a@b.c", []string{"a@b.c"}, false},
	} {
		got, err := queryValues(tc.raw, "emailaddress")
		if (err != nil) != tc.err || !slices.Equal(got, tc.want) || (got == nil) != (tc.want == nil) {
			t.Errorf("queryValues(%q) = %q, %v; want %q (error %v)", tc.raw, got, err, tc.want, tc.err)
		}
	}
}

// FuzzQueryValues: queryValues never panics, and a value it returns,
// escaped again, reads back as itself.
func FuzzQueryValues(f *testing.F) {
	for _, s := range []string{"emailaddress=anna+news%40domain.xyz", "a=1&emailaddress=%ZZ", "emailaddress&emailaddress=", "=&&==", "emailaddress=%26%20+"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		got, err := queryValues(raw, "emailaddress")
		if err != nil {
			return
		}
		for _, v := range got {
			// QueryEscape writes a space as "+", which reads as a plus here.
			escaped := strings.ReplaceAll(url.QueryEscape(v), "+", "%20")
			again, err := queryValues("emailaddress="+escaped, "emailaddress")
			if err != nil || len(again) != 1 || again[0] != v {
				t.Fatalf("queryValues(%q) gave %q, which escaped reads back as %q, %v", raw, v, again, err)
			}
		}
	})
}
