package vcard

import (
	"almanac/internal/contentline"
	"encoding/base64"
	"fmt"
	"strings"
)

// Convert returns data, one vCard 3.0 or 4.0, as vCard version to (Version3
// or Version4). When data already is that version it is returned
// unchanged, the same slice. Otherwise the card is converted as doc.go
// lists and written with Encode: CRLF, folded at 75 octets. The data must
// parse and have exactly one VERSION of 3.0 or 4.0 (a *ValidationError
// otherwise); a bad target is ErrUnsupportedVersion.
func Convert(data []byte, to string) ([]byte, error) {
	if to != Version3 && to != Version4 {
		return nil, fmt.Errorf("%w: %q", ErrUnsupportedVersion, to)
	}
	card, err := Parse(data)
	if err != nil {
		return nil, err
	}
	from, err := cardVersion(card)
	if err != nil {
		return nil, err
	}
	if from == to {
		return data, nil
	}
	out, err := ConvertCard(card, to)
	if err != nil {
		return nil, err
	}
	return out.Encode(), nil
}

// ConvertCard returns a copy of card converted to version to. The input is
// not modified; properties no rule changes keep their Raw line. A card
// already of version to comes back as a plain copy.
func ConvertCard(card *Card, to string) (*Card, error) {
	if to != Version3 && to != Version4 {
		return nil, fmt.Errorf("%w: %q", ErrUnsupportedVersion, to)
	}
	from, err := cardVersion(card)
	if err != nil {
		return nil, err
	}
	out := &Card{Props: make([]*Prop, 0, len(card.Props)+1)}
	if from == to {
		for _, p := range card.Props {
			q := *p
			out.Props = append(out.Props, &q)
		}
		return out, nil
	}
	if to == Version4 {
		convertTo4(card, out)
	} else {
		convertTo3(card, out)
	}
	return out, nil
}

func cardVersion(card *Card) (string, error) {
	versions := card.All("VERSION")
	if len(versions) != 1 {
		return "", dataErr("vCard has %d VERSION properties; it must have exactly one", len(versions))
	}
	v := strings.TrimSpace(versions[0].Value)
	if v != Version3 && v != Version4 {
		return "", versionErr(v)
	}
	return v, nil
}

// binaryProps may hold inline binary data: ENCODING=b in 3.0, a data: URI
// in 4.0 (RFC 2426 3.1.4, 3.5.3, 3.6.6, 3.7.2; RFC 6350 6.2.4, 6.6.3,
// 6.7.5, 6.8.1).
var binaryProps = map[string]bool{"PHOTO": true, "LOGO": true, "SOUND": true, "KEY": true}

// Apple's 3.0 spellings of RFC 6350 KIND and MEMBER (RFC 6350 6.1.4,
// 6.6.5).
const (
	appleKind   = "X-ADDRESSBOOKSERVER-KIND"
	appleMember = "X-ADDRESSBOOKSERVER-MEMBER"
	appleOmit   = "X-APPLE-OMIT-YEAR"
	// omitYear is the year Apple writes for a birthday without one: a leap
	// year, so that --0229 survives.
	omitYear = "1604"
)

func convertTo4(in, out *Card) {
	hasKind, hasMember := in.Get("KIND") != nil, in.Get("MEMBER") != nil
	// RFC 6350 3.3: VERSION comes right after BEGIN:VCARD.
	out.Props = append(out.Props, &Prop{Name: "VERSION", Value: Version4})
	for _, p := range in.Props {
		q := *p
		changed := false
		switch {
		case q.Name == "VERSION":
			continue
		case binaryProps[q.Name]:
			changed = binaryTo4(&q)
		default:
			changed = typesTo4(&q)
		}
		switch q.Name {
		case "BDAY":
			changed = bdayTo4(&q) || changed
		case appleKind:
			if !hasKind {
				q.Name, changed = "KIND", true
			}
		case appleMember:
			if !hasMember {
				q.Name, changed = "MEMBER", true
			}
		}
		if changed {
			q.Raw = ""
		}
		out.Props = append(out.Props, &q)
	}
}

func convertTo3(in, out *Card) {
	hasKind, hasMember := in.Get(appleKind) != nil, in.Get(appleMember) != nil
	for _, p := range in.Props {
		q := *p
		changed := false
		switch {
		case q.Name == "VERSION":
			q.Value, changed = Version3, true
		case binaryProps[q.Name]:
			changed = binaryTo3(&q)
		default:
			changed = typesTo3(&q)
		}
		switch q.Name {
		case "BDAY":
			changed = bdayTo3(&q) || changed
		case "TEL":
			changed = telTo3(&q) || changed
		case "KIND":
			if !hasKind {
				q.Name, changed = appleKind, true
			}
		case "MEMBER":
			if !hasMember {
				q.Name, changed = appleMember, true
			}
		}
		if changed {
			q.Raw = ""
		}
		out.Props = append(out.Props, &q)
	}
	if in.Get("N") == nil {
		addN(in, out)
	}
}

// addN adds the N property RFC 2426 3.1.2 requires in 3.0 and RFC 6350
// made optional: "N:;;;;" for a contact, and the group's name as the
// family name for a group, which is what Apple's 3.0 groups carry.
func addN(in, out *Card) {
	n := &Prop{Name: "N", Value: ";;;;"}
	at := len(out.Props)
	for i, p := range out.Props {
		if p.Name == "FN" {
			at = i + 1
			if kind := in.Get("KIND"); kind != nil && strings.EqualFold(strings.TrimSpace(kind.Value), "group") {
				n.Value = escapeText(p.Text())
			}
			break
		}
	}
	out.Props = append(out.Props[:at], append([]*Prop{n}, out.Props[at:]...)...)
}

func escapeText(s string) string {
	return strings.NewReplacer(`\`, `\\`, ",", `\,`, ";", `\;`, "\r\n", `\n`, "\n", `\n`, "\r", `\n`).Replace(s)
}

// --- TYPE and PREF (RFC 2426 3.3.1, 3.3.2, 3.2.1; RFC 6350 5.3, 5.6) ---

// typesTo4 merges every TYPE parameter into one, lower-cases its values
// and turns the value "pref" into PREF=1.
func typesTo4(p *Prop) bool {
	if !p.HasParam("TYPE") {
		return false
	}
	var values uniq
	pref := false
	for _, v := range splitValues(p.Param("TYPE")) {
		if strings.EqualFold(v, "pref") {
			pref = true
			continue
		}
		values.add(mapToken(v, strings.ToLower))
	}
	var extra []Param
	if pref && !p.HasParam("PREF") {
		extra = []Param{{Name: "PREF", Values: []string{"1"}}}
	}
	return replaceTypes(p, values.list, extra, nil)
}

// typesTo3 merges every TYPE parameter into one, upper-cases its values
// and turns PREF=1 into the value PREF. Other PREF values, which 3.0
// cannot say, stay as they are.
func typesTo3(p *Prop) bool {
	prefs := p.Param("PREF")
	pref1 := len(prefs) == 1 && strings.TrimSpace(prefs[0]) == "1"
	if !p.HasParam("TYPE") && !pref1 {
		return false
	}
	var values uniq
	for _, v := range splitValues(p.Param("TYPE")) {
		values.add(mapToken(v, strings.ToUpper))
	}
	var drop []string
	if pref1 {
		values.add("PREF")
		drop = []string{"PREF"}
	}
	return replaceTypes(p, values.list, nil, drop)
}

// replaceTypes rewrites p's parameters: one TYPE with values where the
// first TYPE (or, lacking one, the first dropped parameter) was, extra
// right after it, no other TYPE and none of the drop names. It reports
// whether anything changed.
func replaceTypes(p *Prop, values []string, extra []Param, drop []string) bool {
	out := make([]Param, 0, len(p.Params)+len(extra))
	placed := false
	place := func() {
		if placed {
			return
		}
		placed = true
		if len(values) > 0 {
			out = append(out, Param{Name: "TYPE", Values: values})
		}
		out = append(out, extra...)
	}
	for _, pa := range p.Params {
		if strings.EqualFold(pa.Name, "TYPE") || containsFold(drop, pa.Name) {
			place()
			continue
		}
		out = append(out, pa)
	}
	place()
	if paramsEqual(out, p.Params) {
		return false
	}
	p.Params = out
	return true
}

// splitValues splits parameter values at commas as well, for producers
// that quote a list (TYPE="work,voice"), and drops empty ones.
func splitValues(values []string) []string {
	var out []string
	for _, v := range values {
		for _, part := range strings.Split(v, ",") {
			if part = strings.TrimSpace(part); part != "" {
				out = append(out, part)
			}
		}
	}
	return out
}

// mapToken changes the case of a value made of token characters only, and
// leaves anything else (caret escapes, spaces) as written.
func mapToken(v string, f func(string) string) string {
	if contentline.ValidName(v) {
		return f(v)
	}
	return v
}

// uniq collects values in order, dropping case-insensitive repeats in
// constant time each: a hostile card may carry a million TYPE values.
type uniq struct {
	list []string
	seen map[string]bool
}

func (u *uniq) add(v string) {
	key := strings.ToLower(v)
	if u.seen[key] {
		return
	}
	if u.seen == nil {
		u.seen = make(map[string]bool)
	}
	u.seen[key] = true
	u.list = append(u.list, v)
}

func containsFold(list []string, v string) bool {
	for _, s := range list {
		if strings.EqualFold(s, v) {
			return true
		}
	}
	return false
}

func paramsEqual(a, b []Param) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].Name != b[i].Name || len(a[i].Values) != len(b[i].Values) {
			return false
		}
		for j := range a[i].Values {
			if a[i].Values[j] != b[i].Values[j] {
				return false
			}
		}
	}
	return true
}

// withoutParams returns params without those named in names.
func withoutParams(params []Param, names ...string) []Param {
	out := make([]Param, 0, len(params))
	for _, pa := range params {
		if !containsFold(names, pa.Name) {
			out = append(out, pa)
		}
	}
	return out
}

func firstParam(p *Prop, name string) string {
	if v := p.Param(name); len(v) > 0 {
		return strings.TrimSpace(v[0])
	}
	return ""
}

// --- PHOTO, LOGO, SOUND, KEY ---

// binaryTo4 turns 3.0 inline data (ENCODING=b or BASE64) into a data: URI
// and a 3.0 VALUE=uri into a plain 4.0 URI with MEDIATYPE. The 3.0 TYPE
// value naming the format (JPEG) becomes the media type; other TYPE values
// (work, home) stay TYPE.
func binaryTo4(p *Prop) bool {
	enc := strings.ToLower(firstParam(p, "ENCODING"))
	vtype := strings.ToLower(firstParam(p, "VALUE"))
	inline := enc == "b" || enc == "base64"
	if !inline && vtype != "uri" && vtype != "url" {
		return false // text KEY, or data 3.0 cannot read: as is
	}
	format, others := "", uniq{}
	for _, v := range splitValues(p.Param("TYPE")) {
		if format == "" && !containsFold([]string{"work", "home", "pref"}, v) {
			format = v
			continue
		}
		others.add(mapToken(v, strings.ToLower))
	}
	params := withoutParams(p.Params, "ENCODING", "VALUE", "TYPE")
	if len(others.list) > 0 {
		params = append(params, Param{Name: "TYPE", Values: others.list})
	}
	if inline {
		data := stripSpace(p.Value)
		mt := mediaType(p.Name, format)
		if mt == "" {
			mt = sniff(p.Name, data)
		}
		p.Value = "data:" + mt + ";base64," + data
	} else if mt := mediaType(p.Name, format); mt != "" && !p.HasParam("MEDIATYPE") {
		params = append(params, Param{Name: "MEDIATYPE", Values: []string{mt}})
	}
	p.Params = params
	return true
}

// binaryTo3 turns a 4.0 data: URI into ENCODING=b data with the format as
// TYPE, and any other URI into VALUE=uri (3.0's default is binary) with
// MEDIATYPE as TYPE. VALUE=text (a text KEY) and 3.0-style data with
// ENCODING, which 4.0 does not have, stay as they are.
func binaryTo3(p *Prop) bool {
	vtype := strings.ToLower(firstParam(p, "VALUE"))
	if vtype != "" && vtype != "uri" || p.HasParam("ENCODING") {
		return false
	}
	mt, data, inline := parseDataURI(p.Value)
	params := withoutParams(p.Params, "VALUE", "MEDIATYPE", "TYPE")
	if inline {
		params = append(params, Param{Name: "ENCODING", Values: []string{"b"}})
	} else {
		mt = firstParam(p, "MEDIATYPE")
		params = append(params, Param{Name: "VALUE", Values: []string{"uri"}})
	}
	// The format first, as 3.0 writers put it, then 4.0's work/home.
	var types uniq
	if f := format(p.Name, mt); f != "" {
		types.add(f)
	}
	for _, v := range splitValues(p.Param("TYPE")) {
		types.add(mapToken(v, strings.ToUpper))
	}
	if len(types.list) > 0 {
		params = append(params, Param{Name: "TYPE", Values: types.list})
	}
	p.Params = params
	if inline {
		p.Value = data
	}
	return true
}

// keyFormats are RFC 2426 3.7.1's KEY types and their media types.
var keyFormats = [][2]string{{"X509", "application/pkix-cert"}, {"PGP", "application/pgp-keys"}}

// mediaType maps a 3.0 format TYPE value to a media type: JPEG is
// image/jpeg for PHOTO and LOGO, WAVE audio/wave for SOUND, X509 and PGP
// the KEY types above; a value with "/" already is one. "" for none.
func mediaType(prop, format string) string {
	if format == "" {
		return ""
	}
	if strings.Contains(format, "/") {
		return strings.ToLower(format)
	}
	if !contentline.ValidName(format) {
		return ""
	}
	f := strings.ToLower(format)
	switch prop {
	case "PHOTO", "LOGO":
		switch f {
		case "jpg":
			f = "jpeg"
		case "svg":
			f = "svg+xml"
		}
		return "image/" + f
	case "SOUND":
		return "audio/" + f
	default:
		for _, k := range keyFormats {
			if strings.EqualFold(k[0], format) {
				return k[1]
			}
		}
		return "application/" + f
	}
}

// format is mediaType's inverse: the 3.0 TYPE value for a media type, or
// "" when 3.0 has no name for it.
func format(prop, mt string) string {
	mt = strings.ToLower(strings.TrimSpace(mt))
	if i := strings.IndexByte(mt, ';'); i >= 0 {
		mt = strings.TrimSpace(mt[:i])
	}
	typ, sub, ok := strings.Cut(mt, "/")
	if !ok {
		return ""
	}
	switch prop {
	case "PHOTO", "LOGO":
		if typ != "image" {
			return ""
		}
		switch sub {
		case "svg+xml":
			sub = "svg"
		case "jpg": // not registered, but written
			sub = "jpeg"
		}
	case "SOUND":
		if typ != "audio" {
			return ""
		}
	default:
		for _, k := range keyFormats {
			if k[1] == mt {
				return k[0]
			}
		}
		if typ != "application" || sub == "octet-stream" {
			return ""
		}
	}
	if !contentline.ValidName(sub) {
		return ""
	}
	return strings.ToUpper(sub)
}

// sniff names the media type of base64 image data by its first bytes
// (JPEG, PNG, GIF, WebP, BMP), for a 3.0 PHOTO or LOGO without TYPE.
func sniff(prop, b64 string) string {
	const unknown = "application/octet-stream"
	if prop != "PHOTO" && prop != "LOGO" {
		return unknown
	}
	head := b64[:min(len(b64), 16)]
	head = head[:len(head)/4*4]
	b, err := base64.StdEncoding.DecodeString(head)
	if err != nil {
		return unknown
	}
	s := string(b)
	switch {
	case strings.HasPrefix(s, "\xFF\xD8\xFF"):
		return "image/jpeg"
	case strings.HasPrefix(s, "\x89PNG"):
		return "image/png"
	case strings.HasPrefix(s, "GIF8"):
		return "image/gif"
	case len(s) >= 12 && s[:4] == "RIFF" && s[8:12] == "WEBP":
		return "image/webp"
	case strings.HasPrefix(s, "BM"):
		return "image/bmp"
	}
	return unknown
}

func stripSpace(s string) string {
	if !strings.ContainsAny(s, " \t") {
		return s
	}
	return strings.Map(func(r rune) rune {
		if r == ' ' || r == '\t' {
			return -1
		}
		return r
	}, s)
}

// parseDataURI reads an RFC 2397 data: URI and returns its media type
// ("" if it names none) and its data in standard base64. ok is false for
// anything else, or when the data is neither base64 nor valid
// percent-encoding.
func parseDataURI(v string) (mt, b64 string, ok bool) {
	if len(v) < 5 || !strings.EqualFold(v[:5], "data:") {
		return "", "", false
	}
	meta, data, found := strings.Cut(v[5:], ",")
	if !found {
		return "", "", false
	}
	parts := strings.Split(meta, ";")
	isBase64 := len(parts) > 1 && strings.EqualFold(strings.TrimSpace(parts[len(parts)-1]), "base64")
	if strings.Contains(parts[0], "/") {
		mt = strings.ToLower(strings.TrimSpace(parts[0]))
	}
	if isBase64 {
		data = stripSpace(data)
		for i := 0; i < len(data); i++ {
			c := data[i]
			if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '+' || c == '/' || c == '=') {
				return "", "", false
			}
		}
		return mt, data, true
	}
	raw, err := unpercent(data)
	if err != nil {
		return "", "", false
	}
	return mt, base64.StdEncoding.EncodeToString(raw), true
}

func unpercent(s string) ([]byte, error) {
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if s[i] != '%' {
			out = append(out, s[i])
			continue
		}
		if i+2 >= len(s) || unhex(s[i+1]) < 0 || unhex(s[i+2]) < 0 {
			return nil, fmt.Errorf("bad percent-encoding")
		}
		out = append(out, byte(unhex(s[i+1])<<4|unhex(s[i+2])))
		i += 2
	}
	return out, nil
}

func unhex(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c >= 'a' && c <= 'f':
		return int(c-'a') + 10
	case c >= 'A' && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}

// --- TEL ---

// telTo3 turns a 4.0 tel: URI (TEL;VALUE=uri:tel:+1-555-0100) into the
// 3.0 phone-number text. URIs with parameters (;ext=) or percent-escapes
// stay as they are rather than be half-converted.
func telTo3(p *Prop) bool {
	if !strings.EqualFold(firstParam(p, "VALUE"), "uri") {
		return false
	}
	v := p.Value
	if len(v) < 4 || !strings.EqualFold(v[:4], "tel:") || strings.ContainsAny(v[4:], ";%\\,") || len(v) == 4 {
		return false
	}
	p.Value = v[4:]
	p.Params = withoutParams(p.Params, "VALUE")
	return true
}

// --- BDAY (RFC 2426 3.1.5; RFC 6350 4.3.1, 6.2.5) ---

// bdayTo4 writes Apple's year-less 3.0 birthday
// (BDAY;X-APPLE-OMIT-YEAR=1604:1604-04-15) and the ISO 8601 truncated
// --04-15 as 4.0's --0415, and extended dates and date-times
// (1980-04-15, 1980-04-15T10:30:00Z) in RFC 6350's basic format.
func bdayTo4(p *Prop) bool {
	v := strings.TrimSpace(p.Value)
	if omit := p.Param(appleOmit); len(omit) > 0 {
		y, m, d, ok := splitDate(v)
		if !ok || y != strings.TrimSpace(omit[0]) {
			return false // a year that is not the omitted one: keep both
		}
		p.Value = "--" + m + d
		p.Params = withoutParams(p.Params, appleOmit)
		return true
	}
	if len(v) == 7 && v[:2] == "--" && v[4] == '-' && digits(v[2:4]) && digits(v[5:7]) {
		p.Value = "--" + v[2:4] + v[5:7]
		return true
	}
	if b, ok := basicDateTime(v); ok {
		p.Value = b
		return true
	}
	return false
}

// bdayTo3 writes 4.0's --0415 in Apple's form, which Apple Contacts,
// DAVx5 and other 3.0 readers understand (3.0 itself has no year-less
// dates), and basic dates and date-times in the extended format RFC 2426
// shows. Other forms (--04, ---15, VALUE=text) stay as they are.
func bdayTo3(p *Prop) bool {
	if vt := firstParam(p, "VALUE"); vt != "" && !strings.EqualFold(vt, "date") && !strings.EqualFold(vt, "date-and-or-time") && !strings.EqualFold(vt, "date-time") {
		return false
	}
	v := strings.TrimSpace(p.Value)
	if len(v) == 6 && v[:2] == "--" && digits(v[2:]) && validMonthDay(v[2:4], v[4:6]) {
		p.Value = omitYear + "-" + v[2:4] + "-" + v[4:6]
		p.Params = append(withoutParams(p.Params, appleOmit), Param{Name: appleOmit, Values: []string{omitYear}})
		if strings.EqualFold(firstParam(p, "VALUE"), "date-and-or-time") {
			p.Params = withoutParams(p.Params, "VALUE")
		}
		return true
	}
	if e, ok := extendedDateTime(v); ok {
		p.Value = e
		if strings.EqualFold(firstParam(p, "VALUE"), "date-and-or-time") {
			p.Params = withoutParams(p.Params, "VALUE")
		}
		return true
	}
	return false
}

func digits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

func validMonthDay(m, d string) bool {
	return m >= "01" && m <= "12" && d >= "01" && d <= "31"
}

// splitDate reads YYYY-MM-DD or YYYYMMDD.
func splitDate(v string) (y, m, d string, ok bool) {
	switch {
	case len(v) == 10 && v[4] == '-' && v[7] == '-':
		y, m, d = v[:4], v[5:7], v[8:10]
	case len(v) == 8:
		y, m, d = v[:4], v[4:6], v[6:8]
	default:
		return "", "", "", false
	}
	ok = digits(y) && digits(m) && digits(d) && validMonthDay(m, d)
	return y, m, d, ok
}

// basicDateTime rewrites an extended ISO 8601 date or date-time
// (YYYY-MM-DD[Thh:mm[:ss]][Z|±hh[:mm]]) in basic format; ok is false for
// anything else, including values that already are basic.
func basicDateTime(v string) (string, bool) {
	date, t, hasTime := strings.Cut(v, "T")
	if len(date) != 10 || date[4] != '-' || date[7] != '-' {
		return "", false
	}
	if _, _, _, ok := splitDate(date); !ok {
		return "", false
	}
	out := date[:4] + date[5:7] + date[8:10]
	if !hasTime {
		return out, true
	}
	clock, zone := splitZone(t)
	switch {
	case len(clock) == 5 && clock[2] == ':' && digits(clock[:2]) && digits(clock[3:]):
		out += "T" + clock[:2] + clock[3:]
	case len(clock) == 8 && clock[2] == ':' && clock[5] == ':' && digits(clock[:2]) && digits(clock[3:5]) && digits(clock[6:]):
		out += "T" + clock[:2] + clock[3:5] + clock[6:]
	default:
		return "", false
	}
	switch {
	case zone == "" || zone == "Z":
		return out + zone, true
	case len(zone) == 3 && digits(zone[1:]):
		return out + zone, true
	case len(zone) == 6 && zone[3] == ':' && digits(zone[1:3]) && digits(zone[4:]):
		return out + zone[:3] + zone[4:], true
	case len(zone) == 5 && digits(zone[1:]):
		return out + zone, true
	}
	return "", false
}

// extendedDateTime is basicDateTime's inverse: YYYYMMDD[Thhmm[ss]]
// [Z|±hh[mm]] in extended format.
func extendedDateTime(v string) (string, bool) {
	date, t, hasTime := strings.Cut(v, "T")
	if len(date) != 8 {
		return "", false
	}
	if _, _, _, ok := splitDate(date); !ok {
		return "", false
	}
	out := date[:4] + "-" + date[4:6] + "-" + date[6:8]
	if !hasTime {
		return out, true
	}
	clock, zone := splitZone(t)
	switch {
	case len(clock) == 4 && digits(clock):
		out += "T" + clock[:2] + ":" + clock[2:]
	case len(clock) == 6 && digits(clock):
		out += "T" + clock[:2] + ":" + clock[2:4] + ":" + clock[4:]
	default:
		return "", false
	}
	switch {
	case zone == "" || zone == "Z":
		return out + zone, true
	case len(zone) == 3 && digits(zone[1:]):
		return out + zone, true
	case len(zone) == 5 && digits(zone[1:]):
		return out + zone[:3] + ":" + zone[3:], true
	}
	return "", false
}

func splitZone(t string) (clock, zone string) {
	if i := strings.IndexAny(t, "Z+-"); i >= 0 {
		return t[:i], t[i:]
	}
	return t, ""
}
