package publish

import (
	"strings"
	"testing"

	"almanac/sharing"
)

// TestRenderBusyFormDropsSubcomponents: a confidential event published
// as busy time in the full tier keeps its own time properties only, not
// those of its subcomponents (an RFC 9073 PARTICIPANT has a UID, a
// STATUS and a DTSTAMP of its own).
func TestRenderBusyFormDropsSubcomponents(t *testing.T) {
	o := obj("c.ics", "VEVENT", event("c", "CLASS:CONFIDENTIAL",
		"BEGIN:PARTICIPANT", "UID:participant-uid", "PARTICIPANT-TYPE:ACTIVE", "STATUS:NEEDS-ACTION",
		"DTSTAMP:20250101T000000Z", "CALENDAR-ADDRESS:mailto:ann@example.com", "END:PARTICIPANT")...)
	for _, tier := range sharing.Tiers {
		s := render(t, &Feed{Tier: tier}, o)
		for _, leak := range []string{"participant-uid", "NEEDS-ACTION", "20250101T000000Z", "PARTICIPANT", "ann@example.com"} {
			if strings.Contains(s, leak) {
				t.Errorf("%s tier: busy form shows %q of a subcomponent:\n%s", tier, leak, s)
			}
		}
		if !has(s, "UID:c") || !has(s, "SUMMARY:Busy") {
			t.Errorf("%s tier: no busy event:\n%s", tier, s)
		}
	}
}

// TestRenderSeriesClass: the overrides of a confidential master are busy
// time, whatever their own CLASS; an x-name class is not published; a
// private override of a public master goes, the master stays.
func TestRenderSeriesClass(t *testing.T) {
	master := func(extra ...string) []string {
		return append([]string{"BEGIN:VEVENT", "UID:s", "DTSTAMP:20260101T000000Z", "DTSTART:20260302T100000Z",
			"DTEND:20260302T110000Z", "RRULE:FREQ=WEEKLY;COUNT=4", "SUMMARY:Series"}, append(extra, "END:VEVENT")...)
	}
	override := func(rid string, extra ...string) []string {
		return append([]string{"BEGIN:VEVENT", "UID:s", "DTSTAMP:20260101T000000Z", "RECURRENCE-ID:" + rid,
			"DTSTART:" + rid, "DURATION:PT2H", "SUMMARY:Override " + rid, "LOCATION:Room " + rid}, append(extra, "END:VEVENT")...)
	}
	join := func(parts ...[]string) []string {
		var all []string
		for _, p := range parts {
			all = append(all, p...)
		}
		return all
	}
	tests := []struct {
		name      string
		obj       []string
		summaries map[string][]string // tier → SUMMARY values, in order
	}{
		{"override without CLASS of a confidential master",
			join(master("CLASS:CONFIDENTIAL"), override("20260309T100000Z")),
			map[string][]string{sharing.TierFull: {"Busy", "Busy"}, sharing.TierLimited: {"Busy", "Busy"}, sharing.TierBusy: {"Busy", "Busy"}}},
		{"CLASS:PUBLIC override of a confidential master",
			join(master("CLASS:CONFIDENTIAL"), override("20260309T100000Z", "CLASS:PUBLIC")),
			map[string][]string{sharing.TierFull: {"Busy", "Busy"}, sharing.TierLimited: {"Busy", "Busy"}, sharing.TierBusy: {"Busy", "Busy"}}},
		{"override without CLASS of a private master",
			join(master("CLASS:PRIVATE"), override("20260309T100000Z")),
			map[string][]string{}},
		{"x-name class",
			master("CLASS:X-SECRET"),
			map[string][]string{}},
		{"private override of a public master",
			join(master(), override("20260309T100000Z", "CLASS:PRIVATE")),
			map[string][]string{sharing.TierFull: {"Series"}, sharing.TierLimited: {"Series"}, sharing.TierBusy: {"Busy"}}},
		{"confidential override of a public master",
			join(master(), override("20260309T100000Z", "CLASS:confidential")),
			map[string][]string{sharing.TierFull: {"Series", "Busy"}, sharing.TierLimited: {"Series", "Busy"}, sharing.TierBusy: {"Busy", "Busy"}}},
	}
	for _, tt := range tests {
		for _, tier := range sharing.Tiers {
			t.Run(tt.name+"/"+tier, func(t *testing.T) {
				s := render(t, &Feed{Tier: tier}, obj("s.ics", "VEVENT", tt.obj...))
				var got []string
				for _, l := range unfolded(s) {
					if v, ok := strings.CutPrefix(l, "SUMMARY:"); ok {
						got = append(got, v)
					}
				}
				if want := tt.summaries[tier]; strings.Join(got, "|") != strings.Join(want, "|") {
					t.Errorf("SUMMARY %q, want %q:\n%s", got, want, s)
				}
				if strings.Contains(s, "LOCATION:Room") {
					t.Errorf("an override's LOCATION is published:\n%s", s)
				}
			})
		}
	}
}
