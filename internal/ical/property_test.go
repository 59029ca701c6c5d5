package ical

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	goical "github.com/emersion/go-ical"
)

// The property test compares Instances with an independent implementation
// of RFC 5545 recurrence: Debian's python3-recurring-ical-events 2.0.1
// (on python3-icalendar 4.0.3, python3-dateutil and pytz), driven by
// testdata/oracle.py. A generator builds random recurring VEVENTs from a
// seed; both sides list the instances in a multi-year window; the lists
// must be equal as UTC instants (start, end, cancelled).
//
//	go test ./internal/ical -run TestInstances_Oracle                       # 300 cases, seed 1
//	go test ./internal/ical -run TestInstances_Oracle -prop.n=20000 -prop.seed=7
//	go test ./internal/ical -run TestInstances_Oracle -prop.seed=7 -prop.case=1234 -v
//
// Where the oracle and RFC 5545 disagree, the generator leaves that shape
// out, or the comparison corrects the oracle's answer, each time with a
// comment naming the RFC section (search for "ORACLE:" below):
//
//   - ORACLE: repeated local times. pytz's localize(is_dst=False) reads a
//     wall-clock time that occurs twice (the hour repeated when daylight
//     saving time ends) as the second occurrence; RFC 5545 3.3.5 says the
//     first. TZID values avoid each zone's repeated hour (01:xx in New
//     York, 02:xx in Europe and Sydney, where it is also the skipped hour).
//     New York's skipped hour, 02:xx, is generated: there the oracle
//     follows RFC 5545 3.3.5 (the offset before the gap). Hand-checked
//     cases for both rules in all three zones are in realworld_test.go.
//   - ORACLE: UNTIL across a DST change. dateutil compares UNTIL with
//     instances that still carry DTSTART's UTC offset (pytz fixed offsets
//     are re-localized only afterwards), so an instance whose offset differs
//     from DTSTART's is dropped or kept wrongly when UNTIL lies within that
//     difference of it. RFC 5545 3.3.10 makes UNTIL inclusive of the
//     instance it names. TZID series put UNTIL on an instance only when its
//     offset is DTSTART's, and otherwise six hours away from any instance.
//   - ORACLE: UNTIL before DTSTART. The library drops DTSTART when it is
//     after UNTIL; RFC 5545 3.8.5.3 keeps it ("The "DTSTART" property
//     value always counts as the first occurrence"), and so does
//     Instances. UNTIL is never generated before DTSTART.
//   - ORACLE: nominal DURATION in a zone. The library adds DURATION as an
//     exact timedelta; RFC 5545 3.3.6 and 3.8.5.3 make days and weeks
//     nominal (P1D across a DST change is 23 or 25 hours). TZID series use
//     DURATIONs without days or weeks; UTC, floating and all-day series,
//     which have no DST, use all forms.
//   - ORACLE: all-day events without DTEND or DURATION last no time in the
//     library; RFC 5545 3.6.1 says one day. The comparison expects
//     start + 1 day for them, and their windows start and end at midnight
//     UTC, where a day-long and an instant's overlap agree.
//   - ORACLE: the library matches a RECURRENCE-ID to an instance by its
//     local date, not its date-time (RFC 5545 3.8.4.4). The generator
//     overrides instances of the set (or, sometimes, an excluded one: both
//     sides yield such an override at its own time) and puts RDATEs on
//     dates no other instance has.
//   - ORACLE: one RRULE per component (the library refuses several;
//     RFC 5545 3.6.1 says SHOULD NOT occur more than once anyway).
//
// Shapes RFC 5545 leaves undefined are generated and compared too, since
// both sides follow the same convention (that of python-dateutil, which
// rrule-go ports): a DTSTART that the rule does not produce is still the
// first instance and COUNT counts the rule's own instances (RFC 5545
// 3.8.5.3 calls such a set "undefined").
var (
	propN    = flag.Int("prop.n", 300, "number of random recurring events TestInstances_Oracle compares")
	propSeed = flag.Uint64("prop.seed", 1, "seed of TestInstances_Oracle's generator")
	propOnly = flag.Int("prop.case", -1, "run only this case of TestInstances_Oracle (with -prop.seed)")
)

// propMax is the instance cap the comparison asks for; no generated case
// comes near it, and the test checks that the answer was not truncated.
const propMax = 20000

const propPython = "/usr/bin/python3"

// propRequireOracle skips the test when the oracle is not installed, or fails
// it when ALMANAC_INTEROP=1 (CI installs it, see .ci/run), like
// internal/interop's requireTool.
func propRequireOracle(t *testing.T) {
	t.Helper()
	msg := ""
	if _, err := os.Stat(propPython); err != nil {
		msg = propPython + " not installed; install with apt-get install python3"
	} else if out, err := propPythonCmd("-c", "import recurring_ical_events, icalendar").CombinedOutput(); err != nil {
		msg = fmt.Sprintf("python3-recurring-ical-events not importable (%v: %s); install with apt-get install python3-recurring-ical-events", err, bytes.TrimSpace(out))
	}
	if msg == "" {
		return
	}
	if os.Getenv("ALMANAC_INTEROP") == "1" {
		t.Fatal("oracle: " + msg + " (ALMANAC_INTEROP=1 makes this test mandatory)")
	}
	t.Skip("oracle: " + msg)
}

// propPythonCmd runs the system interpreter with only Debian's packages
// (-s -E: no user site, no PYTHON* variables) in UTC: the library reads
// naive values through datetime.timestamp(), which uses the local zone.
func propPythonCmd(args ...string) *exec.Cmd {
	cmd := exec.Command(propPython, append([]string{"-s", "-E"}, args...)...)
	var env []string
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); k == "TZ" || strings.HasPrefix(k, "PYTHON") {
			continue
		}
		env = append(env, kv)
	}
	cmd.Env = append(env, "TZ=UTC", "PYTHONDONTWRITEBYTECODE=1", "LC_ALL=C.UTF-8")
	return cmd
}

func TestInstances_Oracle(t *testing.T) {
	propRequireOracle(t)
	dir := t.TempDir()
	var cases []*propEvent
	var manifest []map[string]string
	indexes := make([]int, 0, *propN)
	if *propOnly >= 0 {
		indexes = append(indexes, *propOnly)
	} else {
		for i := range *propN {
			indexes = append(indexes, i)
		}
	}
	for _, i := range indexes {
		c := propGenerate(t, *propSeed, i)
		if _, err := ValidateObject(c.data); err != nil {
			t.Fatalf("case %d: the generator built an object ValidateObject refuses: %v\n%s", i, err, c.data)
		}
		file := fmt.Sprintf("case%05d.ics", i)
		if err := os.WriteFile(filepath.Join(dir, file), c.data, 0o644); err != nil {
			t.Fatal(err)
		}
		cases = append(cases, c)
		manifest = append(manifest, map[string]string{
			"id": fmt.Sprint(i), "file": file, "from": propTime(c.from), "to": propTime(c.to),
		})
	}
	mf, err := json.Marshal(manifest)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "cases.json"), mf, 0o644); err != nil {
		t.Fatal(err)
	}
	script, err := filepath.Abs(filepath.Join("testdata", "oracle.py"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := propPythonCmd(script, dir)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	began := time.Now()
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("oracle.py: %v\n%s", err, stderr.Bytes())
	}
	oracleTook := time.Since(began)
	var answer struct {
		Versions map[string]string `json:"versions"`
		Results  []struct {
			ID     string      `json:"id"`
			All    [][3]string `json:"all"`
			Master [][3]string `json:"master"`
			Error  string      `json:"error"`
		} `json:"results"`
	}
	if err := json.Unmarshal(out, &answer); err != nil {
		t.Fatalf("oracle.py output: %v\n%.2000s", err, out)
	}
	if len(answer.Results) != len(cases) {
		t.Fatalf("oracle.py answered %d cases, want %d", len(answer.Results), len(cases))
	}
	t.Logf("oracle %v; seed %d, %d cases", answer.Versions, *propSeed, len(cases))

	failed, instances := 0, 0
	for k, c := range cases {
		res := answer.Results[k]
		if res.ID != fmt.Sprint(c.idx) {
			t.Fatalf("oracle result %d is for case %s, want %d", k, res.ID, c.idx)
		}
		var problems []string
		if res.Error != "" {
			problems = append(problems, "the oracle failed: "+res.Error)
		} else {
			for _, part := range []struct {
				name       string
				masterOnly bool
				oracle     [][3]string
			}{{"whole object", false, res.All}, {"master alone", true, res.Master}} {
				want := c.expected(part.oracle)
				got, err := c.ours(part.masterOnly)
				if err != nil {
					problems = append(problems, fmt.Sprintf("%s: Instances: %v", part.name, err))
					continue
				}
				instances += len(got)
				if d := propDiff(got, want); d != "" {
					problems = append(problems, part.name+":\n"+d)
				}
			}
		}
		if len(problems) == 0 {
			continue
		}
		failed++
		if failed > 5 {
			t.Errorf("case %d differs too: %s", c.idx, strings.Join(c.shape, ", "))
		} else {
			t.Errorf("case %d (reproduce: -prop.seed=%d -prop.case=%d) %s\nwindow [%s, %s)\n%s\n%s",
				c.idx, *propSeed, c.idx, strings.Join(c.shape, ", "), propTime(c.from), propTime(c.to),
				strings.Join(problems, "\n"), c.data)
		}
	}
	if failed > 0 {
		t.Errorf("%d of %d cases differ from the oracle", failed, len(cases))
	}
	t.Logf("%d instances compared; the oracle took %v", instances, oracleTook.Round(time.Millisecond))
}

// propInst is one instance as both sides report it.
type propInst struct {
	Start, End time.Time
	Cancelled  bool
}

func (i propInst) String() string {
	s := propTime(i.Start) + "/" + propTime(i.End)
	if i.Cancelled {
		s += " CANCELLED"
	}
	return s
}

func propSort(list []propInst) {
	slices.SortFunc(list, func(a, b propInst) int {
		if c := a.Start.Compare(b.Start); c != 0 {
			return c
		}
		if c := a.End.Compare(b.End); c != 0 {
			return c
		}
		if a.Cancelled == b.Cancelled {
			return 0
		}
		if a.Cancelled {
			return 1
		}
		return -1
	})
}

// propDiff lists what is missing from got and what is extra in it.
func propDiff(got, want []propInst) string {
	propSort(got)
	propSort(want)
	var missing, extra []string
	i, j := 0, 0
	for i < len(got) || j < len(want) {
		switch {
		case i < len(got) && j < len(want) && got[i] == want[j]:
			i++
			j++
		case j < len(want) && (i >= len(got) || propLess(want[j], got[i])):
			missing = append(missing, want[j].String())
			j++
		default:
			extra = append(extra, got[i].String())
			i++
		}
	}
	if len(missing) == 0 && len(extra) == 0 {
		return ""
	}
	cut := func(l []string) string {
		if len(l) > 8 {
			return fmt.Sprintf("%v and %d more", l[:8], len(l)-8)
		}
		return fmt.Sprint(l)
	}
	return fmt.Sprintf("  %d instances, oracle %d\n  missing (oracle has, we do not): %s\n  extra (we have, oracle does not): %s",
		len(got), len(want), cut(missing), cut(extra))
}

func propLess(a, b propInst) bool {
	l := []propInst{a, b}
	propSort(l)
	return l[0] == a && a != b
}

func propTime(t time.Time) string { return t.UTC().Format("20060102T150405Z") }

// ours expands the case with Instances, reading floating and DATE values
// in UTC as the oracle does.
func (c *propEvent) ours(masterOnly bool) ([]propInst, error) {
	cal, err := Parse(c.data)
	if err != nil {
		return nil, err
	}
	if masterOnly {
		cal.Children = slices.DeleteFunc(cal.Children, func(comp *goical.Component) bool {
			return comp.Props.Get(goical.PropRecurrenceID) != nil
		})
	}
	var out []propInst
	truncated, err := Instances(cal, InstanceOptions{Floating: time.UTC, From: c.from, To: c.to, Max: propMax}, func(in Instance) bool {
		out = append(out, propInst{Start: in.Start.UTC(), End: in.End.UTC(), Cancelled: in.Cancelled})
		return true
	})
	if err != nil {
		return nil, err
	}
	if truncated {
		return nil, fmt.Errorf("truncated at %d instances", propMax)
	}
	return out, nil
}

// expected turns the oracle's answer into what Instances must yield.
func (c *propEvent) expected(oracle [][3]string) []propInst {
	var out []propInst
	for _, o := range oracle {
		s, err1 := time.Parse("20060102T150405Z", o[0])
		e, err2 := time.Parse("20060102T150405Z", o[1])
		if err := errors.Join(err1, err2); err != nil {
			panic(err)
		}
		if c.allDay && !c.hasEnd {
			// ORACLE: RFC 5545 3.6.1: "For cases where a "VEVENT"
			// calendar component specifies a "DTSTART" property with a
			// DATE value type but no "DTEND" nor "DURATION" property,
			// the event's duration is taken to be one day." The
			// library makes it an instant.
			if !e.Equal(s) {
				panic(fmt.Sprintf("case %d: the oracle gave an all-day event without DTEND a length", c.idx))
			}
			e = s.AddDate(0, 0, 1)
		}
		out = append(out, propInst{Start: s, End: e, Cancelled: o[2] == "CANCELLED"})
	}
	return out
}

// ---------------------------------------------------------------------
// The generator.

type propZoneKind int

const (
	propUTC      propZoneKind = iota // DTSTART:...Z
	propFloating                     // DTSTART:... (read as UTC)
	propDate                         // DTSTART;VALUE=DATE:...
	propTZID                         // DTSTART;TZID=...:... with a VTIMEZONE
)

// propZone is a TZID the generator uses, with the VTIMEZONE a producer
// would send and the IANA rules it stands for.
type propZone struct {
	tzid     string
	iana     string
	repeated int // the local hour that occurs twice when DST ends
	vtz      []string
}

var propZones = []propZone{
	{"Europe/Zurich", "Europe/Zurich", 2, []string{
		"BEGIN:VTIMEZONE", "TZID:Europe/Zurich", "X-LIC-LOCATION:Europe/Zurich",
		"BEGIN:DAYLIGHT", "TZOFFSETFROM:+0100", "TZOFFSETTO:+0200", "TZNAME:CEST", "DTSTART:19700329T020000",
		"RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU", "END:DAYLIGHT",
		"BEGIN:STANDARD", "TZOFFSETFROM:+0200", "TZOFFSETTO:+0100", "TZNAME:CET", "DTSTART:19701025T030000",
		"RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU", "END:STANDARD",
		"END:VTIMEZONE"}},
	{"America/New_York", "America/New_York", 1, []string{
		"BEGIN:VTIMEZONE", "TZID:America/New_York",
		"BEGIN:DAYLIGHT", "TZOFFSETFROM:-0500", "TZOFFSETTO:-0400", "TZNAME:EDT", "DTSTART:20070311T020000",
		"RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=2SU", "END:DAYLIGHT",
		"BEGIN:STANDARD", "TZOFFSETFROM:-0400", "TZOFFSETTO:-0500", "TZNAME:EST", "DTSTART:20071104T020000",
		"RRULE:FREQ=YEARLY;BYMONTH=11;BYDAY=1SU", "END:STANDARD",
		"END:VTIMEZONE"}},
	{"Australia/Sydney", "Australia/Sydney", 2, []string{
		"BEGIN:VTIMEZONE", "TZID:Australia/Sydney",
		"BEGIN:STANDARD", "TZOFFSETFROM:+1100", "TZOFFSETTO:+1000", "TZNAME:AEST", "DTSTART:20080406T030000",
		"RRULE:FREQ=YEARLY;BYMONTH=4;BYDAY=1SU", "END:STANDARD",
		"BEGIN:DAYLIGHT", "TZOFFSETFROM:+1000", "TZOFFSETTO:+1100", "TZNAME:AEDT", "DTSTART:20081005T020000",
		"RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=1SU", "END:DAYLIGHT",
		"END:VTIMEZONE"}},
	// Outlook's name and VTIMEZONE: both sides must map the Windows name
	// (icalendar has its own table, we use CLDR's windowsZones).
	{"W. Europe Standard Time", "Europe/Berlin", 2, []string{
		"BEGIN:VTIMEZONE", "TZID:W. Europe Standard Time",
		"BEGIN:STANDARD", "DTSTART:16010101T030000", "TZOFFSETFROM:+0200", "TZOFFSETTO:+0100",
		"RRULE:FREQ=YEARLY;INTERVAL=1;BYDAY=-1SU;BYMONTH=10", "END:STANDARD",
		"BEGIN:DAYLIGHT", "DTSTART:16010101T020000", "TZOFFSETFROM:+0100", "TZOFFSETTO:+0200",
		"RRULE:FREQ=YEARLY;INTERVAL=1;BYDAY=-1SU;BYMONTH=3", "END:DAYLIGHT",
		"END:VTIMEZONE"}},
	// A name no table knows: only the VTIMEZONE's rules define it (icalendar
	// builds a pytz zone from them, we from our own reading).
	{"Almanac Test Central European", "Europe/Zurich", 2, []string{
		"BEGIN:VTIMEZONE", "TZID:Almanac Test Central European",
		"BEGIN:DAYLIGHT", "TZOFFSETFROM:+0100", "TZOFFSETTO:+0200", "TZNAME:CEST", "DTSTART:19810329T020000",
		"RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU", "END:DAYLIGHT",
		"BEGIN:STANDARD", "TZOFFSETFROM:+0200", "TZOFFSETTO:+0100", "TZNAME:CET", "DTSTART:19961027T030000",
		"RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU", "END:STANDARD",
		"END:VTIMEZONE"}},
}

type propEvent struct {
	idx      int
	kind     propZoneKind
	zone     *propZone
	loc      *time.Location // where wall-clock values are read: the zone, or UTC
	allDay   bool
	hasEnd   bool
	from, to time.Time
	data     []byte
	shape    []string // what the generator chose, for failure messages
}

// propGen carries the random source and the case being built.
type propGen struct {
	t     *testing.T
	r     *rand.Rand
	c     *propEvent
	walls map[int64]string // local times skipped by DST, by the instant they mean
}

func (g *propGen) p(prob float64) bool { return g.r.Float64() < prob }
func (g *propGen) n(lo, hi int) int    { return lo + g.r.IntN(hi-lo+1) } // lo..hi inclusive

func (g *propGen) note(format string, args ...any) {
	g.c.shape = append(g.c.shape, fmt.Sprintf(format, args...))
}

// value formats a DATE or DATE-TIME property (name plus ";params:value")
// the way the series' DTSTART is written.
func (g *propGen) value(name string, t time.Time) string {
	c := g.c
	switch c.kind {
	case propUTC:
		return name + ":" + propTime(t)
	case propFloating:
		return name + ":" + t.In(c.loc).Format("20060102T150405")
	case propDate:
		return name + ";VALUE=DATE:" + t.In(c.loc).Format("20060102")
	default:
		if w, ok := g.walls[t.Unix()]; ok {
			return name + ";TZID=" + c.zone.tzid + ":" + w
		}
		return name + ";TZID=" + c.zone.tzid + ":" + t.In(c.loc).Format("20060102T150405")
	}
}

// valueList formats an EXDATE or RDATE with several values.
func (g *propGen) valueList(name string, ts []time.Time) string {
	first := g.value(name, ts[0])
	for _, t := range ts[1:] {
		v := g.value(name, t)
		first += "," + v[strings.LastIndexByte(v, ':')+1:]
	}
	return first
}

// okHour says whether a local time of day is safe for the oracle.
//
// ORACLE: RFC 5545 3.3.5 reads a local time that occurs twice (the hour
// repeated when daylight saving time ends) as its first occurrence; pytz's
// localize(is_dst=False) reads it as the second. Each zone's repeated hour
// is left out of TZID values: 01:xx in New York, 02:xx in the European
// zones and Sydney, where it is also the hour skipped in spring. New
// York's skipped hour (02:xx), where the oracle follows RFC 5545 3.3.5
// ("interpreted using the UTC offset before the gap"), is generated.
// realworld_test.go checks both rules by hand in every zone.
func (g *propGen) okHour(t time.Time) bool {
	if g.c.kind != propTZID {
		return true
	}
	return t.In(g.c.loc).Hour() != g.c.zone.repeated
}

// wall returns the instant RFC 5545 3.3.5 gives the local time y-m-d h:m
// in the series' zone, and has value() write it as that local time even
// when it does not exist: a time skipped by a DST change means the same
// wall-clock time with the UTC offset before the gap. (time.Date uses the
// offset after it; repeated times are not generated, see okHour.)
func (g *propGen) wall(y int, m time.Month, d, h, min int) time.Time {
	t := time.Date(y, m, d, h, min, 0, 0, g.c.loc)
	if t.Hour() != h || t.Minute() != min {
		_, before := t.Add(-6 * time.Hour).Zone()
		t = time.Date(y, m, d, h, min, 0, 0, time.UTC).Add(-time.Duration(before) * time.Second).In(g.c.loc)
		if g.walls == nil {
			g.walls = map[int64]string{}
		}
		g.walls[t.Unix()] = fmt.Sprintf("%04d%02d%02dT%02d%02d00", y, m, d, h, min)
	}
	return t
}

func (g *propGen) timeOfDay() (int, int) {
	for {
		h := g.n(0, 23)
		if g.c.kind == propTZID && h == g.c.zone.repeated {
			continue
		}
		return h, []int{0, 15, 30, 45}[g.r.IntN(4)]
	}
}

// propDSTChanges lists the local dates of the zone's UTC offset changes in
// [2021, 2028].
func propDSTChanges(loc *time.Location) []time.Time {
	var out []time.Time
	t := time.Date(2021, 1, 1, 12, 0, 0, 0, loc)
	_, prev := t.Zone()
	for t.Year() < 2029 {
		t = t.AddDate(0, 0, 1)
		if _, off := t.Zone(); off != prev {
			out = append(out, t)
			prev = off
		}
	}
	return out
}

var propWeekdays = []string{"SU", "MO", "TU", "WE", "TH", "FR", "SA"}

// propGenerate builds case i of the given seed. Each case has its own
// random stream, so -prop.case reproduces one without the others.
func propGenerate(t *testing.T, seed uint64, i int) *propEvent {
	t.Helper()
	g := &propGen{t: t, r: rand.New(rand.NewPCG(seed, uint64(i))), c: &propEvent{idx: i, loc: time.UTC}}
	c := g.c

	switch k := g.r.IntN(10); {
	case k < 2:
		c.kind = propUTC
		g.note("UTC")
	case k < 3:
		c.kind = propFloating
		g.note("floating")
	case k < 5:
		c.kind, c.allDay = propDate, true
		g.note("all-day")
	default:
		c.kind = propTZID
		c.zone = &propZones[g.r.IntN(len(propZones))]
		loc, err := time.LoadLocation(c.zone.iana)
		if err != nil {
			t.Fatal(err)
		}
		c.loc = loc
		g.note("TZID=%s", c.zone.tzid)
	}

	// DTSTART: 2022-2026, often a few days before a DST change.
	var start time.Time
	h, min := 0, 0
	if !c.allDay {
		h, min = g.timeOfDay()
	}
	if c.kind == propTZID && g.p(0.5) {
		changes := propDSTChanges(c.loc)
		ch := changes[g.r.IntN(len(changes))]
		ch = ch.AddDate(0, 0, -g.n(0, 20))
		start = g.wall(ch.Year(), ch.Month(), ch.Day(), h, min)
		g.note("starts %s, before a DST change", g.value("DTSTART", start))
	} else {
		d := time.Date(2022, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, g.r.IntN(5*365))
		start = g.wall(d.Year(), d.Month(), d.Day(), h, min)
	}

	// The length of an instance, as DTEND, DURATION or neither.
	var endLine, durLine string
	var exact time.Duration // DTEND's exact duration (for overrides)
	switch k := g.r.IntN(10); {
	case k < 4:
		c.hasEnd = true
		var end time.Time
		if c.allDay {
			end = start.AddDate(0, 0, g.n(1, 3))
		} else {
			end = start.Add([]time.Duration{0, 30 * time.Minute, time.Hour, 90 * time.Minute, 3 * time.Hour, 26 * time.Hour}[g.r.IntN(6)])
			if c.kind == propTZID && g.p(0.3) {
				// DTEND on the next day at the same wall time: across a
				// DST change its exact length is 23 or 25 hours, which
				// every instance keeps (RFC 5545 3.8.5.3).
				end = start.AddDate(0, 0, 1)
			}
			for !g.okHour(end) {
				end = end.Add(time.Hour)
			}
		}
		exact = end.Sub(start)
		endLine = g.value("DTEND", end)
		g.note("%s", endLine)
	case k < 7:
		c.hasEnd = true
		var d string
		switch {
		case c.allDay:
			d = []string{"P1D", "P2D", "P1W"}[g.r.IntN(3)]
		case c.kind == propTZID:
			// ORACLE: the library adds DURATION as an exact timedelta;
			// RFC 5545 3.3.6 makes "P1D" a nominal day, 23 or 25 hours
			// across a DST change. In a zone only exact durations.
			d = []string{"PT0S", "PT45M", "PT1H", "PT2H30M", "PT25H"}[g.r.IntN(5)]
		default:
			d = []string{"PT0S", "PT45M", "PT1H", "PT2H30M", "P1D", "P1DT2H", "P1W"}[g.r.IntN(7)]
		}
		durLine = "DURATION:" + d
		g.note("%s", durLine)
	default:
		g.note("no DTEND or DURATION")
	}
	endOf := func(s time.Time) string { // the end line of an override starting at s
		switch {
		case endLine != "":
			e := s.Add(exact)
			for !g.okHour(e) {
				e = e.Add(time.Hour)
			}
			return g.value("DTEND", e)
		case durLine != "":
			return durLine
		}
		return ""
	}

	rule := g.rule(start)
	masterLines := []string{"UID:prop-" + fmt.Sprint(i) + "@almanac.test", "DTSTAMP:20240101T000000Z",
		g.value("DTSTART", start)}
	if endLine != "" {
		masterLines = append(masterLines, endLine)
	}
	if durLine != "" {
		masterLines = append(masterLines, durLine)
	}
	masterLines = append(masterLines, "SUMMARY:master")

	// COUNT or UNTIL, chosen against the instances of the open rule.
	switch k := g.r.IntN(3); {
	case k == 0:
		rule += fmt.Sprintf(";COUNT=%d", g.n(1, 30))
	case k == 1:
		open := g.instances(append(slices.Clone(masterLines), "RRULE:"+rule), start.AddDate(0, 0, -1), start.AddDate(6, 0, 0), 60)
		if len(open) > 0 {
			rule += ";UNTIL=" + g.until(start, open[g.r.IntN(len(open))])
		}
	}
	g.note("RRULE:%s", rule)
	masterLines = append(masterLines, "RRULE:"+rule)

	// The window: multi-year, starting before or inside the series.
	c.from = start.AddDate(0, 0, g.n(-200, 400)).Add(time.Duration(g.n(0, 23)) * time.Hour).UTC().Truncate(time.Hour)
	c.to = c.from.AddDate(0, 0, g.n(365, 4*365)).Add(time.Duration(g.n(0, 23)) * time.Hour)
	if c.allDay && !c.hasEnd {
		// ORACLE: see expected(); instants and whole days overlap a
		// window alike only when it starts and ends at midnight.
		c.from = c.from.Truncate(24 * time.Hour)
		c.to = c.to.Truncate(24 * time.Hour)
	}

	// The master's instances so far (DTSTART, RRULE): RDATEs go on other
	// dates, EXDATEs and overrides on these.
	base := g.instances(masterLines, start.AddDate(0, 0, -1), c.to.AddDate(0, 1, 0), 5000)
	busy := map[string]bool{}
	for _, s := range base {
		busy[s.In(c.loc).Format("20060102")] = true
	}

	// RDATE: DATE-TIMEs at another time of day, on dates no instance has
	// (ORACLE: overrides are matched by date), DATEs for all-day series
	// and, as midnight UTC on both sides, for UTC and floating ones.
	for range []int{0, 0, 0, 0, 0, 1, 1, 1, 2}[g.r.IntN(9)] {
		var vals []time.Time
		asDate := c.allDay || (c.kind == propUTC || c.kind == propFloating) && g.p(0.3)
		for range g.n(1, 2) {
			for try := 0; try < 50; try++ {
				d := start.AddDate(0, 0, g.n(1, 3*365))
				var v time.Time
				if asDate {
					v = time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, time.UTC)
				} else {
					hh, mm := g.timeOfDay()
					v = g.wall(d.In(c.loc).Year(), d.In(c.loc).Month(), d.In(c.loc).Day(), hh, mm)
				}
				key := v.In(c.loc).Format("20060102")
				if busy[key] {
					continue
				}
				busy[key] = true
				vals = append(vals, v)
				break
			}
		}
		if len(vals) == 0 {
			continue
		}
		var line string
		if asDate && !c.allDay {
			line = "RDATE;VALUE=DATE:" + vals[0].Format("20060102")
			for _, v := range vals[1:] {
				line += "," + v.Format("20060102")
			}
		} else {
			line = g.valueList("RDATE", vals)
		}
		masterLines = append(masterLines, line)
		g.note("%s", line)
	}

	// EXDATE: mostly instances, in one or several properties, sometimes a
	// value that is no instance.
	all := g.instances(masterLines, start.AddDate(0, 0, -1), c.to.AddDate(0, 1, 0), 5000)
	var inWindow []time.Time
	for _, s := range all {
		if !s.Before(c.from.AddDate(0, 0, -30)) && s.Before(c.to) {
			inWindow = append(inWindow, s)
		}
	}
	if len(inWindow) == 0 {
		inWindow = all
	}
	excluded := map[int64]bool{}
	var exList []time.Time
	for range []int{0, 0, 0, 0, 1, 1, 1, 2, 3}[g.r.IntN(9)] {
		var vals []time.Time
		for range g.n(1, 3) {
			if len(inWindow) == 0 || g.p(0.1) {
				vals = append(vals, start.AddDate(0, 0, g.n(1, 700)).Add(7*time.Minute)) // mostly no instance
				continue
			}
			v := inWindow[g.r.IntN(len(inWindow))]
			if !excluded[v.Unix()] {
				exList = append(exList, v)
			}
			excluded[v.Unix()] = true
			vals = append(vals, v)
		}
		var line string
		if c.kind == propTZID && g.p(0.2) {
			// RFC 5545 3.8.5.1 allows UTC values in a zoned series.
			line = "EXDATE:" + propTime(vals[0])
			for _, v := range vals[1:] {
				line += "," + propTime(v)
			}
		} else {
			line = g.valueList("EXDATE", vals)
		}
		masterLines = append(masterLines, line)
		g.note("%s", line)
	}

	// Overrides of distinct instances that are left.
	var left []time.Time
	for _, s := range inWindow {
		if !excluded[s.Unix()] {
			left = append(left, s)
		}
	}
	var overrides [][]string
	for range []int{0, 0, 0, 0, 1, 1, 1, 2, 3}[g.r.IntN(9)] {
		if len(left) == 0 {
			break
		}
		var rid time.Time
		if len(exList) > 0 && g.p(0.1) {
			// An override of an excluded instance: clients keep such
			// overrides, and both sides yield them at their own time.
			k := g.r.IntN(len(exList))
			rid = exList[k]
			exList = slices.Delete(exList, k, k+1)
		} else {
			k := g.r.IntN(len(left))
			rid = left[k]
			left = slices.Delete(left, k, k+1)
		}
		lines := []string{"UID:prop-" + fmt.Sprint(i) + "@almanac.test", "DTSTAMP:20240101T000000Z", g.value("RECURRENCE-ID", rid)}
		newStart := rid
		var what string
		switch k := g.r.IntN(10); {
		case k < 5:
			if c.allDay {
				newStart = rid.AddDate(0, 0, []int{-2, -1, 1, 2, 3, 40}[g.r.IntN(6)])
			} else {
				newStart = rid.AddDate(0, 0, []int{0, 0, -1, 1, 2, 40}[g.r.IntN(6)]).
					Add([]time.Duration{-2 * time.Hour, -30 * time.Minute, 0, time.Hour, 5 * time.Hour}[g.r.IntN(5)])
				for !g.okHour(newStart) {
					newStart = newStart.Add(time.Hour)
				}
			}
			what = "moved"
		case k < 8:
			what = "cancelled"
		default:
			what = "retitled"
		}
		lines = append(lines, g.value("DTSTART", newStart))
		if e := endOf(newStart); e != "" {
			lines = append(lines, e)
		}
		lines = append(lines, "SUMMARY:override "+what)
		if what == "cancelled" {
			lines = append(lines, "STATUS:CANCELLED")
		}
		overrides = append(overrides, lines)
		g.note("override %s %s -> %s", what, g.value("RECURRENCE-ID", rid), g.value("DTSTART", newStart))
	}

	var out []string
	out = append(out, "BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//almanac//property test//EN")
	if c.zone != nil {
		out = append(out, c.zone.vtz...)
	}
	comps := [][]string{masterLines}
	comps = append(comps, overrides...)
	if g.p(0.3) {
		// Overrides before the master: order must not matter.
		comps = append(comps[1:], comps[0])
	}
	for _, lines := range comps {
		out = append(out, "BEGIN:VEVENT")
		out = append(out, lines...)
		out = append(out, "END:VEVENT")
	}
	out = append(out, "END:VCALENDAR")
	c.data = ics(out...)
	return c
}

// rule builds the RRULE (without COUNT and UNTIL) of a series starting at
// start.
func (g *propGen) rule(start time.Time) string {
	c := g.c
	wd := propWeekdays[start.In(c.loc).Weekday()]
	days := func(min, max int, ordinals []int) string {
		var picked []string
		seen := map[string]bool{}
		for range g.n(min, max) {
			d := propWeekdays[g.r.IntN(7)]
			if ordinals != nil {
				d = fmt.Sprint(ordinals[g.r.IntN(len(ordinals))]) + d
			}
			if !seen[d] {
				seen[d] = true
				picked = append(picked, d)
			}
		}
		return strings.Join(picked, ",")
	}
	months := func() string {
		var ms []string
		seen := map[int]bool{}
		for range g.n(1, 3) {
			m := g.n(1, 12)
			if !seen[m] {
				seen[m] = true
				ms = append(ms, fmt.Sprint(m))
			}
		}
		return strings.Join(ms, ",")
	}
	var parts []string
	switch k := g.r.IntN(10); {
	case k < 3:
		parts = append(parts, "FREQ=DAILY")
		if iv := []int{1, 1, 2, 3}[g.r.IntN(4)]; iv > 1 {
			parts = append(parts, fmt.Sprintf("INTERVAL=%d", iv))
		}
		if g.p(0.2) {
			parts = append(parts, "BYDAY="+days(2, 5, nil))
		}
		if g.p(0.15) {
			parts = append(parts, "BYMONTH="+months())
		}
	case k < 6:
		parts = append(parts, "FREQ=WEEKLY")
		if iv := []int{1, 1, 2, 3}[g.r.IntN(4)]; iv > 1 {
			parts = append(parts, fmt.Sprintf("INTERVAL=%d", iv))
			if g.p(0.3) {
				parts = append(parts, "WKST="+[]string{"SU", "MO", "WE"}[g.r.IntN(3)])
			}
		}
		if g.p(0.6) {
			d := days(1, 3, nil)
			if g.p(0.7) && !strings.Contains(d, wd) {
				d = wd + "," + d // usually in step with DTSTART
			}
			parts = append(parts, "BYDAY="+d)
		}
	case k < 9:
		parts = append(parts, "FREQ=MONTHLY")
		if iv := []int{1, 1, 2, 3}[g.r.IntN(4)]; iv > 1 {
			parts = append(parts, fmt.Sprintf("INTERVAL=%d", iv))
		}
		switch k := g.r.IntN(10); {
		case k < 4:
			parts = append(parts, "BYDAY="+days(1, 2, []int{1, 2, 3, 4, -1, -1, -2}))
		case k < 7:
			var md []string
			for range g.n(1, 2) {
				md = append(md, fmt.Sprint([]int{1, 10, 15, 28, 29, 30, 31, -1, -2}[g.r.IntN(9)]))
			}
			parts = append(parts, "BYMONTHDAY="+strings.Join(slices.Compact(md), ","))
		case k < 8:
			parts = append(parts, "BYDAY="+days(1, 2, nil)) // every such weekday of the month
		case k < 9:
			// Outlook's "last weekday" and "second Wednesday" forms.
			if g.p(0.5) {
				parts = append(parts, "BYDAY=MO,TU,WE,TH,FR;BYSETPOS="+[]string{"-1", "1", "-2"}[g.r.IntN(3)])
			} else {
				parts = append(parts, "BYDAY="+propWeekdays[g.r.IntN(7)]+";BYSETPOS="+[]string{"2", "-1", "1,3"}[g.r.IntN(3)])
			}
		}
		if g.p(0.15) {
			parts = append(parts, "BYMONTH="+months())
		}
	default:
		parts = append(parts, "FREQ=YEARLY")
		if g.p(0.3) {
			parts = append(parts, "INTERVAL=2")
		}
		if g.p(0.1) {
			parts = append(parts, "BYYEARDAY="+[]string{"1", "100", "-1", "60,-60", "366"}[g.r.IntN(5)])
		} else if g.p(0.6) {
			parts = append(parts, "BYMONTH="+months())
			switch g.r.IntN(3) {
			case 0:
				parts = append(parts, "BYDAY="+days(1, 1, []int{1, 2, -1}))
			case 1:
				parts = append(parts, "BYMONTHDAY="+fmt.Sprint([]int{1, 15, 29, 31, -1}[g.r.IntN(5)]))
			}
		}
	}
	return strings.Join(parts, ";")
}

// until picks an UNTIL near instance at of the open rule, in the form
// RFC 5545 3.3.10 requires: a DATE for all-day series, floating for
// floating ones, UTC otherwise.
//
// ORACLE: never before DTSTART. The library drops a DTSTART that is after
// UNTIL (its re-check of UNTIL after re-localizing pytz values skips every
// start not among the RDATEs); RFC 5545 3.8.5.3 keeps DTSTART as the first
// instance ("The "DTSTART" property value always counts as the first
// occurrence"), and so do we (see doc.go).
func (g *propGen) until(start, at time.Time) string {
	c := g.c
	at = at.In(c.loc)
	switch c.kind {
	case propDate:
		return at.Format("20060102")
	case propFloating, propUTC:
		u := at
		if g.p(0.4) {
			u = u.Add(time.Duration(g.n(-20, 20)) * time.Hour)
		} else if g.p(0.3) {
			u = u.Add(-time.Second)
		}
		if u.Before(start) {
			u = at
		}
		if c.kind == propFloating {
			return u.Format("20060102T150405")
		}
		return propTime(u)
	}
	// ORACLE: UNTIL exactly on an instance only when that instance has
	// DTSTART's UTC offset; otherwise six hours off every instance (all
	// instances of a generated zoned rule share DTSTART's wall time).
	_, off0 := start.In(c.loc).Zone()
	_, off := at.Zone()
	if off == off0 && g.p(0.5) {
		return propTime(at)
	}
	if g.p(0.5) || at.Add(-6*time.Hour).Before(start) {
		return propTime(at.Add(6 * time.Hour))
	}
	return propTime(at.Add(-6 * time.Hour))
}

// instances lists the instance starts of a master with Instances, to
// choose EXDATE, RDATE and RECURRENCE-ID values from. Using the code under
// test here is safe: the oracle checks the master's instances on its own
// ("master alone"), so a wrong instance picked here still shows up there.
func (g *propGen) instances(masterLines []string, from, to time.Time, max int) []time.Time {
	g.t.Helper()
	var lines []string
	lines = append(lines, "BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//almanac//property test//EN")
	if g.c.zone != nil {
		lines = append(lines, g.c.zone.vtz...)
	}
	lines = append(lines, "BEGIN:VEVENT")
	lines = append(lines, masterLines...)
	lines = append(lines, "END:VEVENT", "END:VCALENDAR")
	data := ics(lines...)
	cal, err := Parse(data)
	if err != nil {
		g.t.Fatalf("case %d: generated master does not parse: %v\n%s", g.c.idx, err, data)
	}
	var out []time.Time
	_, err = Instances(cal, InstanceOptions{Floating: time.UTC, From: from, To: to, Max: max}, func(in Instance) bool {
		out = append(out, in.Start)
		return true
	})
	if err != nil {
		g.t.Fatalf("case %d: Instances of the generated master: %v\n%s", g.c.idx, err, data)
	}
	return out
}
