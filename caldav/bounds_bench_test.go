package caldav_test

import (
	"strings"
	"testing"

	"almanac/caldav"
)

// BenchmarkProppatchRepeatedInstructions: a half-MiB PROPPATCH that
// removes one property and sets another 6,000 times over. Each name is
// tracked once, so the work grows with the body, not with its square.
func BenchmarkProppatchRepeatedInstructions(b *testing.B) {
	e := newEnv(b, caldav.Options{})
	body := `<D:propertyupdate xmlns:D="DAV:" xmlns:X="urn:x">` +
		strings.Repeat(`<D:remove><D:prop><X:y/></D:prop></D:remove><D:set><D:prop><X:x>1</X:x></D:prop></D:set>`, 6000) +
		`</D:propertyupdate>`
	for b.Loop() {
		if rec := e.do(req{method: "PROPPATCH", path: e.cal("default"), body: body}); rec.Code != 207 {
			b.Fatalf("PROPPATCH: %d %s", rec.Code, rec.Body)
		}
	}
}
