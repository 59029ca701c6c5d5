package vcard

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

// keepNames is a ParseSelected keep function for names, in any case.
func keepNames(names ...string) func(string) bool {
	return func(n string) bool {
		return slices.ContainsFunc(names, func(k string) bool { return strings.EqualFold(k, n) })
	}
}

// propNames lists the names (and groups) of a card's properties.
func propNames(c *Card) string {
	var out []string
	for _, p := range c.Props {
		n := p.Name
		if p.Group != "" {
			n = p.Group + "." + n
		}
		out = append(out, n+"="+p.Value)
	}
	return strings.Join(out, " ")
}

func TestParseSelected(t *testing.T) {
	const head, tail = "BEGIN:VCARD\r\nVERSION:4.0\r\n", "END:VCARD\r\n"
	tests := []struct {
		name, data string
		keep       []string
		want       string // kept properties; "error" for a refusal
	}{
		{"keeps the named", head + "FN:Jane\r\nEMAIL:j@x\r\nNOTE:n\r\n" + tail, []string{"email"}, "EMAIL=j@x"},
		{"any case, in order", head + "email:a\r\nFN:Jane\r\nEmail:b\r\n" + tail, []string{"EMAIL"}, "EMAIL=a EMAIL=b"},
		{"grouped", head + "item1.EMAIL;TYPE=work:a\r\nitem1.X-ABLABEL:w\r\n" + tail, []string{"EMAIL"}, "item1.EMAIL=a"},
		{"folded name", head + "EM\r\n AIL:a\r\nF\r\n N:b\r\n" + tail, []string{"EMAIL"}, "EMAIL=a"},
		{"none kept", head + "FN:Jane\r\n" + tail, nil, ""},
		{"skips a broken line of another property", head + "NOTE;X=\"open:x\r\nFN:Jane\r\n" + tail, []string{"FN"}, "FN=Jane"},
		{"refuses a broken kept line", head + "FN;X=\"open:x\r\n" + tail, []string{"FN"}, "error"},
		{"refuses a line without colon", head + "NOTE no colon\r\n" + tail, []string{"FN"}, "error"},
		{"refuses a property before BEGIN", "NOTE:x\r\n" + head + tail, []string{"FN"}, "error"},
		{"refuses data after END", head + tail + "NOTE:x\r\n", []string{"FN"}, "error"},
		{"refuses no END", head + "NOTE:x\r\n", []string{"FN"}, "error"},
		{"refuses bad UTF-8 anywhere", head + "NOTE:\xff\r\n" + tail, []string{"FN"}, "error"},
		{"refuses nested cards", head + "BEGIN:VCARD\r\n" + tail + tail, []string{"FN"}, "error"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := ParseSelected([]byte(tc.data), keepNames(tc.keep...))
			got := "error"
			if err == nil {
				got = propNames(c)
			} else if ve := (*ValidationError)(nil); !errors.As(err, &ve) {
				t.Fatalf("error of type %T: %v", err, err)
			}
			if got != tc.want {
				t.Fatalf("got %q (%v), want %q", got, err, tc.want)
			}
		})
	}
}

// FuzzParseSelected: whatever Parse accepts, ParseSelected accepts, and
// keeps exactly Parse's properties of the names kept, in order.
func FuzzParseSelected(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s, "FN,EMAIL")
	}
	f.Add([]byte("BEGIN:VCARD\r\nitem1.EMAIL:a\r\nE\r\n MAIL:b\r\nEND:VCARD\r\n"), "email")
	f.Fuzz(func(t *testing.T, data []byte, names string) {
		keep := keepNames(strings.Split(names, ",")...)
		sel, serr := ParseSelected(data, keep)
		if serr != nil {
			var ve *ValidationError
			if !errors.As(serr, &ve) {
				t.Fatalf("error of type %T: %v", serr, serr)
			}
		}
		full, err := Parse(data)
		if err != nil {
			return
		}
		if serr != nil {
			t.Fatalf("Parse accepts what ParseSelected refuses: %v", serr)
		}
		want := &Card{}
		for _, p := range full.Props {
			if keep(p.Name) {
				want.Props = append(want.Props, p)
			}
		}
		if propNames(sel) != propNames(want) {
			t.Fatalf("kept %q, Parse's of those names %q", propNames(sel), propNames(want))
		}
	})
}
