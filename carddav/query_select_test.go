package carddav

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"sync/atomic"
	"testing"

	"almanac/carddav/filter"
	"almanac/internal/vcard"
)

// selectRuns numbers the runs of TestMatchCardEqualsFullMatch in one
// process, so that `go test -count=N` checks N different sets: run i
// uses seed i, which a failure names.
var selectRuns atomic.Uint64

// TestMatchCardEqualsFullMatch proves the prefilter of addressbook-query
// (matchCard: the named properties first, the whole card only if they
// match) answers exactly what parsing every card whole and matching it
// answers, over random cards (groups, parameters, escapes, folds inside
// names and values, non-ASCII text, names in any case, broken lines) and
// random filters (every match type, collation, negation, is-not-defined,
// param-filters, anyof and allof, grouped names).
func TestMatchCardEqualsFullMatch(t *testing.T) {
	seed := selectRuns.Add(1)
	rng := rand.New(rand.NewPCG(seed, 6352))
	cards := make([][]byte, 300)
	for i := range cards {
		cards[i] = randomCard(rng, i)
	}
	checks, matches, valid := 0, 0, 0
	for _, data := range cards {
		if _, err := vcard.Parse(data); err == nil {
			valid++
		}
	}
	if valid < len(cards)/2 {
		t.Fatalf("seed %d: only %d of %d random cards parse", seed, valid, len(cards))
	}
	for range 200 {
		f := randomFilter(rng, cards)
		if err := f.Validate(); err != nil {
			t.Fatalf("seed %d: generated filter %+v: %v", seed, f, err)
		}
		keep := filterProps(f)
		for _, data := range cards {
			want, wantErr := false, error(nil)
			card, err := vcard.Parse(data)
			if err == nil {
				want = f.Match(card)
			} else {
				wantErr = err
			}
			got, gotErr := matchCard(f, keep, data)
			checks++
			if want {
				matches++
			}
			if got != want || wantErr == nil && gotErr != nil {
				t.Fatalf("seed %d: filter %+v on\n%s\nprefiltered %v (%v), full parse %v (%v)", seed, f, data, got, gotErr, want, wantErr)
			}
		}
	}
	t.Logf("seed %d: %d cards (%d valid), %d checks, %d matches", seed, len(cards), valid, checks, matches)
	if matches == 0 || matches == checks {
		t.Fatal("the filters match nothing or everything; the test checks nothing")
	}
}

var cardNames = []string{"FN", "N", "EMAIL", "TEL", "NICKNAME", "ORG", "UID", "CATEGORIES", "NOTE", "X-ABLABEL", "ADR", "TITLE"}

var cardWords = []string{"Jane", "Doe", "jane@example.com", "+41 44 123", "Ärzte", "straße", "İstanbul", "work", "Müller, Hans", "a;b", "x\\,y", "line\\nbreak", "ﬀ", "ΣΊΣΥΦΟΣ", "", " spaced "}

func randomCase(rng *rand.Rand, s string) string {
	switch rng.IntN(3) {
	case 0:
		return strings.ToLower(s)
	case 1:
		b := []byte(s)
		for i := range b {
			if rng.IntN(2) == 0 && b[i] >= 'A' && b[i] <= 'Z' {
				b[i] += 'a' - 'A'
			}
		}
		return string(b)
	}
	return s
}

// randomCard writes a vCard of random lines; about one in six has a
// line Parse refuses.
func randomCard(rng *rand.Rand, i int) []byte {
	var lines []string
	lines = append(lines, randomCase(rng, "BEGIN")+":VCARD", "VERSION:"+[]string{"3.0", "4.0"}[rng.IntN(2)])
	for range 2 + rng.IntN(8) {
		name := cardNames[rng.IntN(len(cardNames))]
		line := randomCase(rng, name)
		if rng.IntN(4) == 0 {
			line = fmt.Sprintf("item%d.", 1+rng.IntN(2)) + line
		}
		switch rng.IntN(5) {
		case 0:
			line += ";TYPE=" + []string{"work", "home,voice", `"cell"`, "WORK"}[rng.IntN(4)]
		case 1:
			line += ";PREF=1;type=work"
		case 2:
			line += ";CELL" // bare parameter, vCard 2.1 style
		}
		v := cardWords[rng.IntN(len(cardWords))]
		if name == "N" || name == "ADR" {
			v += ";" + cardWords[rng.IntN(len(cardWords))] + ";;;"
		}
		lines = append(lines, line+":"+v)
	}
	switch rng.IntN(12) {
	case 0:
		lines = append(lines, "NOTE without colon")
	case 1:
		lines = append(lines, "BAD NAME:x")
	case 2:
		lines = append(lines, "EMAIL;TYPE=\"open:x")
	}
	lines = append(lines, fmt.Sprintf("UID:card-%d", i), randomCase(rng, "END")+":VCARD")
	if rng.IntN(20) == 0 {
		lines = append(lines, "FN:after the end")
	}
	var b strings.Builder
	for _, l := range lines {
		// Fold some lines at a random byte, inside the name too.
		for len(l) > 2 && rng.IntN(4) == 0 {
			at := 1 + rng.IntN(len(l)-1)
			b.WriteString(l[:at] + "\r\n ")
			l = l[at:]
		}
		b.WriteString(l + "\r\n")
	}
	return []byte(b.String())
}

// randomFilter makes a valid filter whose text-matches often hit: their
// text is cut from the cards.
func randomFilter(rng *rand.Rand, cards [][]byte) *filter.Filter {
	text := func() string {
		if rng.IntN(3) == 0 {
			return cardWords[rng.IntN(len(cardWords))]
		}
		data := cards[rng.IntN(len(cards))]
		for range 10 {
			i := rng.IntN(len(data))
			j := i + 1 + rng.IntN(6)
			if j <= len(data) {
				s := string(data[i:j])
				if !strings.ContainsAny(s, "\r\n") {
					return s
				}
			}
		}
		return "e"
	}
	tm := func() filter.TextMatch {
		return filter.TextMatch{Value: text(),
			Collation: []string{"", "default", filter.CollationASCIICasemap, filter.CollationOctet, filter.CollationUnicodeCasemap}[rng.IntN(5)],
			MatchType: []string{"", filter.MatchEquals, filter.MatchContains, filter.MatchStartsWith, filter.MatchEndsWith}[rng.IntN(5)],
			Negate:    rng.IntN(4) == 0}
	}
	tests := []string{"", filter.TestAnyOf, filter.TestAllOf}
	f := &filter.Filter{Test: tests[rng.IntN(3)]}
	for range rng.IntN(4) {
		name := randomCase(rng, cardNames[rng.IntN(len(cardNames))])
		if rng.IntN(5) == 0 {
			name = fmt.Sprintf("item%d.", 1+rng.IntN(2)) + name
		}
		pf := filter.PropFilter{Name: name, Test: tests[rng.IntN(3)]}
		switch rng.IntN(6) {
		case 0:
			pf.IsNotDefined = true
		case 1:
			// defined, nothing more
		default:
			for range 1 + rng.IntN(2) {
				pf.TextMatches = append(pf.TextMatches, tm())
			}
			if rng.IntN(3) == 0 {
				pa := filter.ParamFilter{Name: []string{"TYPE", "PREF"}[rng.IntN(2)]}
				if rng.IntN(3) == 0 {
					pa.IsNotDefined = true
				} else {
					m := tm()
					pa.TextMatch = &m
				}
				pf.Params = append(pf.Params, pa)
			}
		}
		f.Props = append(f.Props, pf)
	}
	return f
}
