package filter

import (
	"testing"

	"almanac/internal/vcard"
)

// BenchmarkMatch_FNOrEmail is the addressbook-query shape: FN or
// EMAIL contains a string, against one parsed card.
func BenchmarkMatch_FNOrEmail(b *testing.B) {
	c, err := vcard.Parse([]byte(card4))
	if err != nil {
		b.Fatal(err)
	}
	f := &Filter{Props: []PropFilter{text("FN", "smith", "", "", false), text("EMAIL", "smith", "", "", false)}}
	for b.Loop() {
		f.Match(c)
	}
}
