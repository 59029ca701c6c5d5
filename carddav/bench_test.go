package carddav_test

// Benchmarks of the CardDAV paths on a 10,000-contact address book.
//
//	go test ./carddav -run XXX -bench . -benchtime 10x -benchmem
//
// The address book is built once per test binary (store.Put with the
// fields the PUT handler computes, through AddressBooks.Ingest), and every
// benchmark opens its own copy of that bolt file, so no benchmark sees
// another's writes and none pays for 10,000 fsyncs. Each benchmark checks
// its response (status and, where cheap, the number of responses) once
// before the timed loop, so a broken request fails instead of being
// measured.

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"almanac/auth"
	"almanac/carddav"
	"almanac/internal/davtree"
	"almanac/storage"
	"almanac/storage/bolt"
)

const cbN = 10000 // cards in the benchmark address book

// cbRand is splitmix64: the same card for the same index on every run.
func cbRand(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

var (
	cbGiven = []string{"Anna", "Lukas", "Sofia", "Noah", "Mia", "Elias", "Emma", "Leon", "Lea", "Finn",
		"Laura", "Jonas", "Sara", "David", "Nina", "Luca", "Julia", "Samuel", "Lena", "Matteo",
		"Ingrid", "Tobias", "Chloé", "Jan", "Olivia", "Marco", "Eva", "Felix", "Alina", "Nico",
		"Hannah", "Simon", "Zoe", "Jakob", "Elena", "Tim", "Marie", "Fabian", "Lina", "Jürg"}
	cbFamily = []string{"Müller", "Meier", "Schmid", "Keller", "Weber", "Huber", "Schneider", "Meyer", "Steiner", "Fischer",
		"Gerber", "Brunner", "Baumann", "Frei", "Zimmermann", "Moser", "Widmer", "Wyss", "Graf", "Roth",
		"Lindqvist", "Baumgartner", "Suter", "Bachmann", "Kälin", "Hofmann", "Studer", "Kaufmann", "Bühler", "Lehmann",
		"Rossi", "Bernasconi", "Favre", "Dubois", "Rochat", "Blanc", "Morel", "Perrin", "Bonvin", "Fontana",
		"O'Neill", "García", "Nguyen", "Kowalski", "Andersson", "Tanaka", "Silva", "Novak", "Petrov", "Smith"}
	cbOrgs = []string{"Acme AG", "Globex GmbH", "Initech SA", "Umbrella Ltd", "Stark Industries", "Wayne Enterprises",
		"Hooli", "Vandelay Industries", "Soylent Corp", "Tyrell Corporation"}
	cbDepts   = []string{"Sales", "Engineering", "Finance", "Support", "Legal", "Marketing"}
	cbTitles  = []string{"Engineer", "Manager", "Director", "Consultant", "Analyst", "Designer"}
	cbDomains = []string{"example.com", "example.org", "mail.example.net", "corp.example", "bluewin.example"}
	cbCities  = []string{"Zürich;;8001", "Bern;;3011", "Basel;;4051", "Genève;;1201", "Luzern;;6003", "Lugano;;6900"}
)

const (
	cbFNQuery     = "ingrid lindqvist"     // FN contains, case-insensitively: a handful of cards
	cbEmailDomain = "acme-widgets.example" // EMAIL domain of about 1% of the cards
)

// cbCard is one generated contact.
type cbCard struct {
	name, uid string
	v3        bool
	photo     bool
	fn, email string // FN, and every EMAIL value joined by " "
	data      []byte
}

// cbFold folds a content line at 75 octets (RFC 6350 3.2), never inside a
// UTF-8 sequence.
func cbFold(b *strings.Builder, line string) {
	for len(line) > 75 {
		cut := 75
		for cut > 0 && line[cut]&0xC0 == 0x80 {
			cut--
		}
		b.WriteString(line[:cut])
		b.WriteString("\r\n ")
		line = line[cut:]
	}
	b.WriteString(line)
	b.WriteString("\r\n")
}

func cbASCII(s string) string {
	r := strings.NewReplacer("ü", "ue", "ä", "ae", "é", "e", "í", "i", "'", "")
	return strings.ToLower(r.Replace(s))
}

// cbNewCard generates card i: two thirds vCard 3.0, one third 4.0; FN, N,
// ORG, 1-2 EMAIL, 1-2 TEL, sometimes TITLE and ADR, every tenth a small
// PHOTO; 300-600 bytes, about 750 with the photo.
func cbNewCard(i int) *cbCard {
	h := cbRand(uint64(i))
	h2 := cbRand(h)
	c := &cbCard{
		name: fmt.Sprintf("card-%05d.vcf", i),
		uid:  fmt.Sprintf("%08x-%04x-4%03x-a%03x-%012x", uint32(h), uint16(h>>32), (h>>48)&0xfff, h2&0xfff, (h2>>12)&0xffffffffffff),
		v3:   i%3 != 0,
	}
	given, family := cbGiven[h%uint64(len(cbGiven))], cbFamily[(h>>8)%uint64(len(cbFamily))]
	c.fn = given + " " + family
	domain := cbDomains[(h>>16)%uint64(len(cbDomains))]
	if h2%100 == 0 {
		domain = cbEmailDomain
	}
	emails := []string{cbASCII(given) + "." + cbASCII(family) + "@" + domain}
	if (h>>24)%2 == 0 {
		emails = append(emails, cbASCII(given)+fmt.Sprintf("%d", (h>>28)%100)+"@"+cbDomains[(h>>34)%uint64(len(cbDomains))])
	}
	c.email = strings.Join(emails, " ")
	tels := []string{fmt.Sprintf("+41 79 %03d %02d %02d", (h>>40)%1000, (h>>50)%100, (h2>>20)%100)}
	if (h>>25)%2 == 0 {
		tels = append(tels, fmt.Sprintf("+41 44 %03d %02d %02d", (h2>>30)%1000, (h2>>40)%100, (h2>>50)%100))
	}
	org := cbOrgs[(h2>>8)%uint64(len(cbOrgs))] + ";" + cbDepts[(h2>>16)%uint64(len(cbDepts))]
	c.photo = i%10 == 0

	var b strings.Builder
	line := func(s string) { cbFold(&b, s) }
	line("BEGIN:VCARD")
	if c.v3 {
		line("VERSION:3.0")
	} else {
		line("VERSION:4.0")
	}
	line("PRODID:-//almanac//carddav bench//EN")
	line("UID:urn:uuid:" + c.uid)
	line("FN:" + c.fn)
	line("N:" + family + ";" + given + ";;;")
	line("ORG:" + org)
	if (h2>>4)%2 == 0 {
		line("TITLE:" + cbTitles[(h2>>5)%uint64(len(cbTitles))])
	}
	for k, e := range emails {
		typ := []string{"WORK", "HOME"}[k]
		if c.v3 {
			line("EMAIL;TYPE=INTERNET," + typ + ":" + e)
		} else {
			line("EMAIL;TYPE=" + strings.ToLower(typ) + ":" + e)
		}
	}
	for k, t := range tels {
		typ := []string{"CELL", "WORK,VOICE"}[k]
		if c.v3 {
			line("TEL;TYPE=" + typ + ":" + t)
		} else {
			line("TEL;VALUE=uri;TYPE=\"" + strings.ToLower(typ) + "\":tel:" + strings.ReplaceAll(t, " ", "-"))
		}
	}
	if i%3 != 1 {
		adr := fmt.Sprintf(";;%s %d;%s;Switzerland", []string{"Bahnhofstrasse", "Seestrasse", "Rue du Rhône", "Via Nassa"}[(h2>>6)%4], 1+(h2>>9)%120, cbCities[(h2>>12)%uint64(len(cbCities))])
		if c.v3 {
			line("ADR;TYPE=WORK:" + adr)
		} else {
			line("ADR;TYPE=work:" + adr)
		}
	}
	if c.photo {
		img := make([]byte, 150+i%60)
		copy(img, []byte{0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 'J', 'F', 'I', 'F', 0})
		for k := 11; k < len(img); k++ {
			img[k] = byte(cbRand(uint64(i*1000 + k)))
		}
		if c.v3 {
			line("PHOTO;ENCODING=b;TYPE=JPEG:" + base64.StdEncoding.EncodeToString(img))
		} else {
			line("PHOTO:data:image/jpeg;base64," + base64.StdEncoding.EncodeToString(img))
		}
	}
	line(fmt.Sprintf("REV:2026%02d%02dT%02d%02d00Z", 1+(h>>3)%12, 1+(h>>7)%28, (h>>11)%24, (h>>17)%60))
	line("END:VCARD")
	c.data = []byte(b.String())
	return c
}

var cbCards = sync.OnceValue(func() []*cbCard {
	cs := make([]*cbCard, cbN)
	for i := range cs {
		cs[i] = cbNewCard(i)
	}
	return cs
})

// cbTemplate is the bolt file holding the 10,000-card address book of the
// account bench@example.com, built once and kept in memory.
var cbTemplate = sync.OnceValues(func() ([]byte, error) {
	dir, err := os.MkdirTemp("", "carddav-bench-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "almanac.db")
	if err := cbBuild(path); err != nil {
		return nil, err
	}
	return os.ReadFile(path)
})

func cbBuild(path string) error {
	db, err := bolt.Open(path, bolt.Options{})
	if err != nil {
		return err
	}
	defer db.Close()
	ctx := context.Background()
	acc := &storage.Account{Login: "bench@example.com", PasswordHash: "x"}
	if err := db.CreateAccount(ctx, acc); err != nil {
		return err
	}
	if err := carddav.Provision(ctx, db, acc); err != nil {
		return err
	}
	coll, err := db.Collection(ctx, acc.ID, carddav.DefaultAddressBook)
	if err != nil {
		return err
	}
	ab := carddav.New(db, carddav.Options{})
	cards := cbCards()
	// Concurrent writers share the store's group commit: one fsync for many
	// cards instead of 10,000.
	const workers = 32
	errs := make(chan error, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < len(cards); i += workers {
				c := cards[i]
				put, err := ab.Ingest(coll, c.data) // what the PUT handler computes
				if err != nil {
					errs <- fmt.Errorf("%s: %w", c.name, err)
					return
				}
				put.Owner, put.Collection, put.Name, put.Data = acc.ID, coll.Name, c.name, c.data
				if _, _, err := db.Put(ctx, put); err != nil {
					errs <- fmt.Errorf("%s: %w", c.name, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return err
	}
	return nil
}

// cbEnv is a handler over a private copy of the 10,000-card address book.
type cbEnv struct {
	store *bolt.DB
	h     http.Handler
	acc   *storage.Account
	cards []*cbCard
	// metrics are reported after the timed loop (ResetTimer and the first
	// b.Loop drop metrics reported before it).
	metrics map[string]float64
}

// report adds the metrics check recorded; defer it in each benchmark.
func (e *cbEnv) report(b *testing.B) {
	for unit, v := range e.metrics {
		b.ReportMetric(v, unit)
	}
}

func newCBEnv(b *testing.B) *cbEnv {
	b.Helper()
	tmpl, err := cbTemplate()
	if err != nil {
		b.Fatal(err)
	}
	path := filepath.Join(b.TempDir(), "almanac.db")
	if err := os.WriteFile(path, tmpl, 0o600); err != nil {
		b.Fatal(err)
	}
	db, err := bolt.Open(path, bolt.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	acc, err := db.AccountByLogin(context.Background(), "bench@example.com")
	if err != nil {
		b.Fatal(err)
	}
	return &cbEnv{store: db, h: davtree.New(db, davtree.Options{Principal: auth.AccountFrom}, carddav.New(db, carddav.Options{})), acc: acc, cards: cbCards(), metrics: map[string]float64{}}
}

func (e *cbEnv) book() string {
	return "/dav/addressbooks/" + e.acc.ID + "/" + carddav.DefaultAddressBook + "/"
}
func (e *cbEnv) card(n string) string { return e.book() + n }

func (e *cbEnv) serve(method, path, body string, hdr ...string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(method, path, strings.NewReader(body))
	for i := 0; i+1 < len(hdr); i += 2 {
		r.Header.Set(hdr[i], hdr[i+1])
	}
	r = r.WithContext(auth.WithAccount(r.Context(), e.acc))
	rec := httptest.NewRecorder()
	e.h.ServeHTTP(rec, r)
	return rec
}

// check fails the benchmark unless rec has the status and, for a
// multistatus with responses >= 0, that many responses with want200 of
// them carrying a 200 propstat (want200 < 0: not checked).
func (e *cbEnv) check(b *testing.B, rec *httptest.ResponseRecorder, status, responses, want200 int) {
	b.Helper()
	if rec.Code != status {
		body := rec.Body.String()
		if len(body) > 2000 {
			body = body[:2000]
		}
		b.Fatalf("status %d, want %d: %s", rec.Code, status, body)
	}
	if responses >= 0 {
		if n := strings.Count(rec.Body.String(), "<response>"); n != responses {
			b.Fatalf("%d responses, want %d", n, responses)
		}
	}
	if want200 >= 0 {
		if n := strings.Count(rec.Body.String(), "<status>HTTP/1.1 200 OK</status>"); n != want200 {
			b.Fatalf("%d 200 propstats, want %d", n, want200)
		}
	}
	if rec.Body.Len() > 0 {
		e.metrics["resp-bytes"] = float64(rec.Body.Len())
	}
}

const cbNS = `xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:carddav"`

func BenchmarkPropfindDepth1_10k(b *testing.B) {
	e := newCBEnv(b)
	defer e.report(b)
	body := `<D:propfind xmlns:D="DAV:"><D:prop><D:getetag/><D:getcontenttype/></D:prop></D:propfind>`
	rec := e.serve("PROPFIND", e.book(), body, "Depth", "1")
	// The collection has no getcontenttype (404 propstat); every card has both.
	e.check(b, rec, http.StatusMultiStatus, cbN+1, -1)
	if n := strings.Count(rec.Body.String(), "<getcontenttype>text/vcard"); n != cbN {
		b.Logf("%.1500s", rec.Body)
		b.Fatalf("%d cards with getcontenttype text/vcard, want %d", n, cbN)
	}
	for b.Loop() {
		if rec := e.serve("PROPFIND", e.book(), body, "Depth", "1"); rec.Code != http.StatusMultiStatus {
			b.Fatal(rec.Code)
		}
	}
}

func BenchmarkMultiget100_10k(b *testing.B) {
	e := newCBEnv(b)
	defer e.report(b)
	var body strings.Builder
	body.WriteString(`<C:addressbook-multiget ` + cbNS + `><D:prop><D:getetag/><C:address-data/></D:prop>`)
	for k := range 100 {
		body.WriteString("<D:href>" + e.card(e.cards[(k*7919)%cbN].name) + "</D:href>")
	}
	body.WriteString(`</C:addressbook-multiget>`)
	e.check(b, e.serve("REPORT", e.book(), body.String(), "Depth", "1"), http.StatusMultiStatus, 100, 100)
	for b.Loop() {
		if rec := e.serve("REPORT", e.book(), body.String(), "Depth", "1"); rec.Code != http.StatusMultiStatus {
			b.Fatal(rec.Code)
		}
	}
}

// cbQuery runs an addressbook-query and checks it returns want responses.
func cbQuery(b *testing.B, filter, extra string, want int) {
	e := newCBEnv(b)
	defer e.report(b)
	body := `<C:addressbook-query ` + cbNS + `><D:prop><D:getetag/><C:address-data/></D:prop>` + filter + extra + `</C:addressbook-query>`
	if want < 0 {
		b.Fatal("no expected count")
	}
	e.check(b, e.serve("REPORT", e.book(), body, "Depth", "1"), http.StatusMultiStatus, want, -1)
	e.metrics["responses"] = float64(want)
	for b.Loop() {
		if rec := e.serve("REPORT", e.book(), body, "Depth", "1"); rec.Code != http.StatusMultiStatus {
			b.Fatal(rec.Code)
		}
	}
}

func cbCount(f func(*cbCard) bool) int {
	n := 0
	for _, c := range cbCards() {
		if f(c) {
			n++
		}
	}
	return n
}

func BenchmarkQueryFN_10k(b *testing.B) {
	want := cbCount(func(c *cbCard) bool { return strings.Contains(strings.ToLower(c.fn), cbFNQuery) })
	if want == 0 || want > 20 {
		b.Fatalf("generator gives %d FN matches; want a few", want)
	}
	cbQuery(b, `<C:filter><C:prop-filter name="FN"><C:text-match collation="i;unicode-casemap" match-type="contains">`+cbFNQuery+`</C:text-match></C:prop-filter></C:filter>`, "", want)
}

func BenchmarkQueryEmail_10k(b *testing.B) {
	want := cbCount(func(c *cbCard) bool { return strings.Contains(c.email, "@"+cbEmailDomain) })
	if want < cbN/200 || want > cbN/50 {
		b.Fatalf("generator gives %d EMAIL matches; want about 1%%", want)
	}
	cbQuery(b, `<C:filter><C:prop-filter name="EMAIL"><C:text-match match-type="contains">@`+cbEmailDomain+`</C:text-match></C:prop-filter></C:filter>`, "", want)
}

// BenchmarkQueryLimit_10k: every card has an FN, so the limit of 10 cuts
// the answer, which ends with a 507 response for the collection.
func BenchmarkQueryLimit_10k(b *testing.B) {
	cbQuery(b, `<C:filter><C:prop-filter name="FN"/></C:filter>`, `<C:limit><C:nresults>10</C:nresults></C:limit>`, 10+1)
}

func BenchmarkSyncInitial_10k(b *testing.B) {
	e := newCBEnv(b)
	defer e.report(b)
	body := `<D:sync-collection xmlns:D="DAV:"><D:sync-token/><D:sync-level>1</D:sync-level><D:prop><D:getetag/></D:prop></D:sync-collection>`
	e.check(b, e.serve("REPORT", e.book(), body, "Depth", "0"), http.StatusMultiStatus, cbN, cbN)
	for b.Loop() {
		if rec := e.serve("REPORT", e.book(), body, "Depth", "0"); rec.Code != http.StatusMultiStatus {
			b.Fatal(rec.Code)
		}
	}
}

// BenchmarkPutCard creates new cards (If-None-Match: *) in the 10,000-card
// address book; every iteration is a new UID and resource name.
func BenchmarkPutCard(b *testing.B) {
	e := newCBEnv(b)
	defer e.report(b)
	i := cbN
	next := func() (string, string) {
		i++
		c := cbNewCard(i) // the same shapes; generated inside the loop, a few µs
		return e.card(c.name), string(c.data)
	}
	p, d := next()
	e.check(b, e.serve("PUT", p, d, "Content-Type", "text/vcard; charset=utf-8", "If-None-Match", "*"), http.StatusCreated, -1, -1)
	for b.Loop() {
		p, d := next()
		if rec := e.serve("PUT", p, d, "Content-Type", "text/vcard; charset=utf-8", "If-None-Match", "*"); rec.Code != http.StatusCreated {
			b.Fatalf("PUT %d: %s", rec.Code, rec.Body)
		}
	}
}

// BenchmarkGetConverted GETs a 3.0 card (with ADR and PHOTO) as 4.0.
func BenchmarkGetConverted(b *testing.B) {
	e := newCBEnv(b)
	defer e.report(b)
	var c *cbCard
	for _, x := range e.cards {
		if x.v3 && x.photo && strings.Contains(string(x.data), "\r\nADR;") {
			c = x
			break
		}
	}
	if c == nil {
		b.Fatal("no 3.0 card with ADR and PHOTO")
	}
	rec := e.serve("GET", e.card(c.name), "", "Accept", "text/vcard; version=4.0")
	e.check(b, rec, http.StatusOK, -1, -1)
	if ct := rec.Header().Get("Content-Type"); !strings.Contains(ct, "version=4.0") || !strings.Contains(rec.Body.String(), "VERSION:4.0\r\n") {
		b.Fatalf("not converted: Content-Type %q\n%s", ct, rec.Body)
	}
	b.SetBytes(int64(len(c.data)))
	for b.Loop() {
		if rec := e.serve("GET", e.card(c.name), "", "Accept", "text/vcard; version=4.0"); rec.Code != http.StatusOK {
			b.Fatal(rec.Code)
		}
	}
}

// TestBenchCards keeps the generator honest: every card validates and the
// sizes stay in the intended range.
func TestBenchCards(t *testing.T) {
	ab := carddav.New(nil, carddav.Options{})
	var total, minSz, maxSz, v3, photos int
	for i, c := range cbCards() {
		if _, err := ab.Ingest(&storage.Collection{}, c.data); err != nil {
			t.Fatalf("card %d: %v\n%s", i, err, c.data)
		}
		n := len(c.data)
		total += n
		if i == 0 || n < minSz {
			minSz = n
		}
		maxSz = max(maxSz, n)
		if c.v3 {
			v3++
		}
		if c.photo {
			photos++
		}
	}
	t.Logf("%d cards: %d..%d bytes, average %d; %d vCard 3.0, %d with PHOTO", cbN, minSz, maxSz, total/cbN, v3, photos)
	if minSz < 250 || total/cbN > 650 {
		t.Errorf("sizes %d..%d, average %d: outside the intended 300-600 bytes", minSz, maxSz, total/cbN)
	}
}
