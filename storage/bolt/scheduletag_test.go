package bolt

import (
	"errors"
	"testing"
	"time"

	"almanac/storage"
)

// TestMetaScheduleTag: a tagged record round-trips in its own format, an
// untagged one keeps the older format (so that an older binary still
// reads it), and a tagged record that is cut short, empty-tagged or
// trailed by bytes is corrupt.
func TestMetaScheduleTag(t *testing.T) {
	m := &storage.ObjectMeta{Name: "m.ics", UID: "u", Component: "VEVENT", ContentType: "text/calendar",
		ETag: storage.ETagOf([]byte("x")), Size: 10, Modified: time.Unix(1700000000, 0).UTC(), Seq: 3,
		Span:        storage.Span{Known: true, Start: time.Unix(1700000000, 0).UTC(), Open: true},
		ScheduleTag: `"tag-1"`}
	enc := encodeMeta(m)
	if enc[0] != metaFormatTagged {
		t.Fatalf("tagged record written in format %d", enc[0])
	}
	got, err := decodeMeta([]byte(m.Name), enc)
	if err != nil || *got != *m {
		t.Fatalf("round trip: %+v, %v", got, err)
	}
	untagged := *m
	untagged.ScheduleTag = ""
	if f := encodeMeta(&untagged)[0]; f != metaFormat {
		t.Errorf("untagged record written in format %d, want %d", f, metaFormat)
	}
	emptyTag := append(encodeMeta(&untagged), 0)
	emptyTag[0] = metaFormatTagged
	for name, bad := range map[string][]byte{
		"cut":      enc[:len(enc)-1],
		"trailing": append(enc[:len(enc):len(enc)], 'x'),
		"empty":    emptyTag,
		"no tag":   append([]byte{metaFormatTagged}, encodeMeta(&untagged)[1:]...),
	} {
		if _, err := decodeMeta([]byte("x"), bad); !errors.Is(err, errCorrupt) {
			t.Errorf("%s: err = %v, want errCorrupt", name, err)
		}
	}
}

// FuzzDecodeMeta: no record makes decodeMeta panic, and a record it
// accepts encodes back to one that decodes the same.
func FuzzDecodeMeta(f *testing.F) {
	m := &storage.ObjectMeta{Name: "m.ics", UID: "u", Component: "VEVENT", ContentType: "text/calendar",
		ETag: storage.ETagOf([]byte("x")), Size: 10, Modified: time.Unix(1700000000, 0).UTC(), Seq: 3,
		Span: storage.Span{Known: true, Start: time.Unix(1700000000, 0).UTC(), End: time.Unix(1700003600, 0).UTC()}}
	f.Add(encodeMeta(m))
	m.ScheduleTag = `"t"`
	f.Add(encodeMeta(m))
	f.Fuzz(func(t *testing.T, b []byte) {
		got, err := decodeMeta([]byte("m.ics"), b)
		if err != nil {
			return
		}
		again, err := decodeMeta([]byte("m.ics"), encodeMeta(got))
		if err != nil {
			t.Fatalf("re-encoded record does not decode: %v", err)
		}
		if again.ScheduleTag != got.ScheduleTag || again.UID != got.UID || again.Seq != got.Seq || again.Span.Known != got.Span.Known {
			t.Fatalf("round trip: %+v -> %+v", got, again)
		}
	})
}
