package publish

import (
	"slices"
	"strings"
	"testing"

	"github.com/emersion/go-ical"

	aical "almanac/internal/ical"
	"almanac/sharing"
	"almanac/storage"
)

// fuzzClass reads the CLASS of a component independently of
// internal/ical: the most restrictive of its CLASS values, unknown ones
// private (RFC 5545 3.8.1.3). 0 public, 1 confidential, 2 private.
func fuzzClass(c *ical.Component) int {
	class := 0
	for _, p := range c.Props["CLASS"] {
		switch v := strings.TrimSpace(p.Value); {
		case isASCII(v) && strings.EqualFold(v, "PUBLIC"):
		case isASCII(v) && strings.EqualFold(v, "CONFIDENTIAL"):
			class = max(class, 1)
		default:
			class = 2
		}
	}
	return class
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// FuzzRenderPrivacy: for every object ValidateObject accepts, each tier's
// feed parses and shows each component no more than its class and its
// master's allow: private ones and the overrides of private masters not
// at all, confidential ones as busy events only, the limited tier only
// its allowlist, no tier an alarm.
func FuzzRenderPrivacy(f *testing.F) {
	for _, o := range []*storage.Object{
		obj("a.ics", "VEVENT", event("a", "CLASS:CONFIDENTIAL", "LOCATION:x", "BEGIN:VALARM", "ACTION:DISPLAY", "TRIGGER:-PT5M", "END:VALARM")...),
		obj("s.ics", "VEVENT", append(event("s", "RRULE:FREQ=DAILY", "CLASS:CONFIDENTIAL"),
			"BEGIN:VEVENT", "UID:s", "RECURRENCE-ID:20260311T100000Z", "DTSTART:20260311T120000Z", "SUMMARY:moved", "CLASS:PUBLIC", "END:VEVENT")...),
		obj("p.ics", "VEVENT", append(event("p", "RRULE:FREQ=DAILY", "CLASS:X-SECRET"),
			"BEGIN:VEVENT", "UID:p", "RECURRENCE-ID:20260311T100000Z", "DTSTART:20260311T120000Z", "SUMMARY:moved", "END:VEVENT")...),
		obj("t.ics", "VTODO", "BEGIN:VTODO", "UID:t", "DTSTAMP:20260101T000000Z", "SUMMARY:task", "CLASS:confidential", "END:VTODO"),
		obj("v.ics", "VEVENT", event("v", "cl", " ass:priv", " ate", "BEGIN:PARTICIPANT", "UID:x", "END:PARTICIPANT")...),
	} {
		f.Add(o.Data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if _, err := aical.ValidateObject(data); err != nil {
			return
		}
		cal, err := aical.Parse(data)
		if err != nil {
			t.Fatal(err)
		}
		// The class each (UID, RECURRENCE-ID) may be shown with.
		key := func(c *ical.Component) string {
			k := ""
			for _, name := range []string{"UID", "RECURRENCE-ID"} {
				if p := c.Props.Get(name); p != nil {
					k += p.Value
				}
				k += "\x00"
			}
			return k
		}
		masters := map[string]int{}
		for _, c := range cal.Children {
			if c.Name != aical.CompTimezone && c.Props.Get("RECURRENCE-ID") == nil {
				masters[c.Props.Get("UID").Value] = fuzzClass(c)
			}
		}
		allowed := map[string]int{}
		for _, c := range cal.Children {
			if c.Name != aical.CompTimezone {
				allowed[key(c)] = max(fuzzClass(c), masters[c.Props.Get("UID").Value])
			}
		}
		o := &storage.Object{Data: data}
		for _, tier := range sharing.Tiers {
			out, err := (&Feed{Tier: tier, Now: fixed}).Render(func(fn func(*storage.Object) error) error { return fn(o) })
			if err != nil {
				t.Fatal(err)
			}
			feed, err := aical.Parse(out)
			if err != nil {
				t.Fatalf("%s feed does not parse: %v\n%s", tier, err, out)
			}
			for _, c := range feed.Children {
				if c.Name == aical.CompTimezone {
					continue
				}
				class, ok := allowed[key(c)]
				if !ok || class == 2 {
					t.Fatalf("%s feed shows a private or unknown %s:\n%q\n%s", tier, c.Name, data, out)
				}
				busy := class == 1 || tier == sharing.TierBusy
				for _, sub := range c.Children {
					if sub.Name == "VALARM" || busy || tier == sharing.TierLimited {
						t.Fatalf("%s feed keeps a %s in a %s:\n%q\n%s", tier, sub.Name, c.Name, data, out)
					}
				}
				keep := []string(nil)
				switch {
				case busy:
					if c.Name != aical.CompEvent {
						t.Fatalf("%s feed shows a %s as busy time", tier, c.Name)
					}
					if s := c.Props["SUMMARY"]; len(s) != 1 || s[0].Value != "Busy" {
						t.Fatalf("%s feed: busy %s with SUMMARY %v", tier, c.Name, s)
					}
					keep = append(slices.Clone(timeProps), "SUMMARY")
				case tier == sharing.TierLimited:
					keep = limitedProps
				}
				for name := range c.Props {
					if keep != nil && !slices.Contains(keep, name) {
						t.Fatalf("%s feed keeps %s of a %s (class %d):\n%q\n%s", tier, name, c.Name, class, data, out)
					}
				}
			}
		}
	})
}
