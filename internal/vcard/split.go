package vcard

import (
	"crypto/sha256"
	"encoding/base32"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"almanac/internal/contentline"
)

// Part is one vCard cut from a file by Split.
type Part struct {
	UID string // as written, "" when the card has none it could use
	// Line is the line of the file where the card begins.
	Line int
	// UIDAssigned: the card had no UID, and UID was derived from its
	// content (DeriveUID) and added to it.
	UIDAssigned bool
	// Data is the card's bytes as the file has them, from its BEGIN to
	// the line end after its END, with the UID line added before END
	// when one was assigned.
	Data []byte
}

// Refusal is a card of a file that Split could make no object of, with
// the reason, written for the file's owner.
type Refusal struct {
	Line   int // where the card begins
	UID    string
	Reason string
}

// SplitResult is a file cut into cards.
type SplitResult struct {
	Parts   []Part
	Refused []Refusal
	// Duplicates counts cards dropped because the same bytes came
	// earlier in the file.
	Duplicates int
}

// Split cuts a vCard file (an export: one card after another) into
// address object resources (RFC 6352 5.1), one per card, each the
// card's own bytes. It checks the file's structure and every content
// line of a card with Parse's rules. What breaks the file as a whole
// (it is not vCard, a BEGIN:VCARD without END:VCARD, a card inside a
// card) is a *ValidationError naming the line. A card with a line that
// does not parse is a Refusal naming the line (a vCard 2.1 card, whose
// quoted-printable lines often do not, is refused for its version, as
// Validate does), and the rest of the file is still cut. Whether a card
// is a valid address object is not checked here: that is Validate's
// work, as for a PUT.
//
// A card without a UID gets one derived from its content (DeriveUID):
// CardDAV needs one (RFC 6352 5.1), and importing the same file again
// then finds the card. A card that repeats an earlier one byte for byte
// is dropped and counted; cards that differ but carry one UID are all
// refused, as only one object may have it and which is meant is unknown.
func Split(data []byte) (*SplitResult, error) {
	text := string(data)
	r := contentline.NewReader(text)
	type card struct {
		line       int
		start, end int // of its bytes in text
		endLine    int // offset of its END line
		uid        string
		hasUID     bool
		lines      []string
		version    string
		bad        string
	}
	var (
		cards []*card
		cur   *card
	)
	for {
		at := r.Offset()
		line, num, ok := r.Next()
		if !ok {
			break
		}
		if cur == nil {
			if strings.TrimSpace(line) == "" {
				continue
			}
			p, err := parseSplitLine(line)
			if err != nil {
				return nil, dataErr("line %d: %s", num, err)
			}
			if p.Name != "BEGIN" || p.Group != "" || len(p.Params) > 0 || !strings.EqualFold(strings.TrimSpace(p.Value), "VCARD") {
				return nil, dataErr("line %d: a vCard file holds vCards (BEGIN:VCARD), not %s", num, quote(line))
			}
			cur = &card{line: num, start: at, lines: []string{line}}
			continue
		}
		if strings.TrimSpace(line) == "" {
			continue
		}
		cur.lines = append(cur.lines, line)
		p, err := parseSplitLine(line)
		if err != nil {
			if cur.bad == "" {
				cur.bad = fmt.Sprintf("line %d: %s", num, err)
			}
			continue
		}
		switch p.Name {
		case "BEGIN":
			return nil, dataErr("line %d: BEGIN:%s inside the vCard that begins on line %d; nested vCards are not supported", num, quote(p.Value), cur.line)
		case "END":
			if !strings.EqualFold(strings.TrimSpace(p.Value), "VCARD") {
				return nil, dataErr("line %d: END:%s does not close the BEGIN:VCARD of line %d", num, quote(p.Value), cur.line)
			}
			if cur.bad == "" && (p.Group != "" || len(p.Params) > 0) {
				cur.bad = fmt.Sprintf("line %d: END must have no group or parameters", num)
			}
			cur.endLine, cur.end = at, r.Offset()
			cards = append(cards, cur)
			cur = nil
		case "UID":
			if !cur.hasUID {
				cur.uid, cur.hasUID = p.Value, true
			}
		case "VERSION":
			if cur.version == "" {
				cur.version = strings.TrimSpace(p.Value)
			}
		}
	}
	if cur != nil {
		return nil, dataErr("line %d: the file ends before the END:VCARD of the vCard that begins on line %d", r.Line(), cur.line)
	}
	if len(cards) == 0 {
		return nil, dataErr("the file holds no vCard (BEGIN:VCARD)")
	}

	res := &SplitResult{}
	type entry struct {
		card *card
		part Part
	}
	var kept []entry
	byUID := map[string][]int{} // indices into kept
	seen := map[string]bool{}
	for _, c := range cards {
		if c.bad != "" {
			if c.version != "" && c.version != Version3 && c.version != Version4 {
				c.bad = versionErr(c.version).Reason
			}
			res.Refused = append(res.Refused, Refusal{Line: c.line, UID: c.uid, Reason: c.bad})
			continue
		}
		p := Part{UID: c.uid, Line: c.line, Data: []byte(text[c.start:c.end])}
		if !c.hasUID {
			p.UID, p.UIDAssigned = DeriveUID(c.lines), true
			p.Data = []byte(text[c.start:c.endLine] + "UID:" + p.UID + "\r\n" + text[c.endLine:c.end])
		}
		if seen[string(p.Data)] {
			res.Duplicates++
			continue
		}
		seen[string(p.Data)] = true
		if strings.TrimSpace(p.UID) != "" {
			byUID[p.UID] = append(byUID[p.UID], len(kept))
		}
		kept = append(kept, entry{c, p})
	}
	for _, e := range kept {
		same := byUID[e.part.UID]
		if len(same) < 2 {
			res.Parts = append(res.Parts, e.part)
			continue
		}
		lines := make([]string, len(same))
		for j, k := range same {
			lines[j] = fmt.Sprint(kept[k].card.line)
		}
		res.Refused = append(res.Refused, Refusal{Line: e.card.line, UID: e.part.UID,
			Reason: fmt.Sprintf("UID %s is used by %d different vCards of the file (lines %s); only one may have it", quote(e.part.UID), len(same), strings.Join(lines, ", "))})
	}
	slices.SortStableFunc(res.Refused, func(a, b Refusal) int { return a.Line - b.Line })
	return res, nil
}

// parseSplitLine is parseContentLine with Parse's UTF-8 rule.
func parseSplitLine(line string) (*Prop, error) {
	if !utf8.ValidString(line) {
		return nil, fmt.Errorf("not valid UTF-8")
	}
	return parseContentLine(line)
}

// DeriveUID makes a UID for a card that has none from its content
// lines: the same card gets the same UID, so that a file imported again
// updates what the first import made instead of doubling it. REV is left
// out, as exports may set it to the time of the export.
func DeriveUID(lines []string) string {
	h := sha256.New()
	for _, l := range lines {
		name := l
		if i := strings.IndexAny(l, ";:"); i >= 0 {
			name = l[:i]
		}
		if dot := strings.IndexByte(name, '.'); dot >= 0 {
			name = name[dot+1:]
		}
		if strings.EqualFold(name, "REV") {
			continue
		}
		h.Write([]byte(l))
		h.Write([]byte{'\n'})
	}
	return "almanac-import-" + strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(h.Sum(nil)[:16]))
}
