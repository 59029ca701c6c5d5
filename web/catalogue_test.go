package web

import (
	"strings"
	"testing"
)

// TestCataloguesComplete: every text has its French, and French has no
// text English lacks (a key misspelt in one of them) but the
// translations of the API's error codes, whose English is the API's.
func TestCataloguesComplete(t *testing.T) {
	for k := range en {
		if _, ok := fr[k]; !ok {
			t.Errorf("fr lacks %q", k)
		}
	}
	for k := range fr {
		if _, ok := en[k]; !ok && !strings.HasPrefix(k, "err.") {
			t.Errorf("en lacks %q", k)
		}
	}
}
