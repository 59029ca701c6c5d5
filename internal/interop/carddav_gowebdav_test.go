package interop

import (
	"bytes"
	"context"
	"net/http"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-vcard"
	"github.com/emersion/go-webdav"
	gocarddav "github.com/emersion/go-webdav/carddav"

	"almanac/carddav"
	"almanac/storage"
)

// goCard builds a go-vcard card of the given version with a UID, FN and
// the other fields given as name, value pairs.
func goCard(version, uid, fn string, fields ...string) vcard.Card {
	card := vcard.Card{}
	card.SetValue(vcard.FieldVersion, version)
	card.SetValue(vcard.FieldUID, uid)
	card.SetValue(vcard.FieldFormattedName, fn)
	for i := 0; i+1 < len(fields); i += 2 {
		card.AddValue(fields[i], fields[i+1])
	}
	return card
}

func addressPaths(objs []gocarddav.AddressObject) []string {
	var out []string
	for _, o := range objs {
		out = append(out, o.Path)
	}
	sort.Strings(out)
	return out
}

// encodeCard is what go-vcard writes for card.
func encodeCard(t *testing.T, card vcard.Card) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := vcard.NewEncoder(&buf).Encode(card); err != nil {
		t.Fatalf("encode vCard: %v", err)
	}
	return buf.Bytes()
}

// TestCardDAVGoWebDAV drives almanac's address books with go-webdav's
// carddav.Client: discovery from /.well-known/carddav, listing address
// books, PUT of vCard 3.0 and 4.0 (as go-vcard encodes them), GET,
// addressbook-query with text-match prop-filters and a limit, multiget,
// sync-collection and DELETE. go-webdav v0.6.0 cannot create an address
// book (its Mkdir sends a plain MKCOL, which is refused), so the second
// book is made with a raw extended MKCOL.
func TestCardDAVGoWebDAV(t *testing.T) {
	e := startServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	rec := &recordingClient{c: webdav.HTTPClientWithBasicAuth(http.DefaultClient, e.Login, e.Password)}
	home := "/dav/addressbooks/" + e.User + "/"
	contacts := home + carddav.DefaultAddressBook + "/"

	// RFC 6764 bootstrap, read by hand as real clients do.
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	req, _ := http.NewRequest("PROPFIND", e.URL+"/.well-known/carddav", nil)
	req.SetBasicAuth(e.Login, e.Password)
	req.Header.Set("Depth", "0")
	resp, err := noRedirect.Do(req)
	if err != nil {
		t.Fatalf("PROPFIND /.well-known/carddav: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode/100 != 3 {
		t.Fatalf("PROPFIND /.well-known/carddav: status %d, want a redirect", resp.StatusCode)
	}
	loc, err := resp.Request.URL.Parse(resp.Header.Get("Location"))
	if err != nil || loc.Path != "/dav/" {
		t.Fatalf("/.well-known/carddav redirects to %q (%v), want /dav/", resp.Header.Get("Location"), err)
	}
	endpoint := loc.String()

	client, err := gocarddav.NewClient(rec, endpoint)
	if err != nil {
		t.Fatalf("NewClient: %v", err)
	}
	if err := client.HasSupport(ctx); err != nil {
		t.Errorf("HasSupport (OPTIONS %s, DAV: addressbook): %v", endpoint, err)
	}

	// Discovery: current-user-principal with the plain WebDAV client,
	// then the address-book home.
	principal, err := client.Client.FindCurrentUserPrincipal(ctx)
	if err != nil {
		t.Errorf("FindCurrentUserPrincipal: %v", err)
		principal = e.Principal
	}
	if principal != e.Principal {
		t.Fatalf("current-user-principal = %q, want %q", principal, e.Principal)
	}
	gotHome, err := client.FindAddressBookHomeSet(ctx, principal)
	if err != nil {
		t.Fatalf("FindAddressBookHomeSet: %v", err)
	}
	if gotHome != home {
		t.Fatalf("addressbook-home-set = %q, want %q", gotHome, home)
	}

	books, err := client.FindAddressBooks(ctx, home)
	if err != nil {
		t.Fatalf("FindAddressBooks: %v", err)
	}
	if len(books) != 1 {
		t.Fatalf("FindAddressBooks = %+v, want only the default address book", books)
	}
	def := books[0]
	if def.Path != contacts || def.Name != "Contacts" || def.Description != "" {
		t.Errorf("default address book = path %q name %q description %q, want %q, Contacts, none", def.Path, def.Name, def.Description, contacts)
	}
	if def.MaxResourceSize <= 0 {
		t.Errorf("max-resource-size = %d, want a positive limit", def.MaxResourceSize)
	}
	if want := []gocarddav.AddressDataType{{ContentType: "text/vcard", Version: "3.0"}, {ContentType: "text/vcard", Version: "4.0"}}; !slices.Equal(def.SupportedAddressData, want) {
		t.Errorf("supported-address-data = %+v, want %+v", def.SupportedAddressData, want)
	}
	if !def.SupportsAddressData("text/vcard", "4.0") || def.SupportsAddressData("text/vcard", "2.1") {
		t.Errorf("SupportsAddressData: 4.0 %v, 2.1 %v; want true, false", def.SupportsAddressData("text/vcard", "4.0"), def.SupportsAddressData("text/vcard", "2.1"))
	}

	// PUT a vCard 3.0 and a vCard 4.0 card as go-vcard encodes them.
	janePath, bobPath := contacts+"jane.vcf", contacts+"bob.vcf"
	jane := goCard("3.0", "jane@interop", "Jane Doe",
		vcard.FieldName, "Doe;Jane;;;",
		vcard.FieldEmail, "jane.doe@example.com",
		vcard.FieldTelephone, "+1-555-0100")
	jane.Get(vcard.FieldTelephone).Params = vcard.Params{vcard.ParamType: {"CELL"}}
	putJane, err := client.PutAddressObject(ctx, janePath, jane)
	if err != nil {
		t.Fatalf("PutAddressObject 3.0: %v", err)
	}
	janeSent := rec.last(t, http.MethodPut)
	if janeSent.status != http.StatusCreated {
		t.Errorf("PUT %s: status %d, want 201", janePath, janeSent.status)
	}
	// go-vcard writes BEGIN, VERSION, then the other properties sorted
	// by name, CRLF, unfolded.
	wantJane := crlf("BEGIN:VCARD\nVERSION:3.0\nEMAIL:jane.doe@example.com\nFN:Jane Doe\nN:Doe;Jane;;;\nTEL;TYPE=CELL:+1-555-0100\nUID:jane@interop\nEND:VCARD\n")
	if string(janeSent.reqBody) != wantJane {
		t.Errorf("go-vcard sent\n%q\nwant\n%q", janeSent.reqBody, wantJane)
	}
	if putJane.Path != janePath {
		t.Errorf("PutAddressObject path (from Location) = %q, want %q", putJane.Path, janePath)
	}
	if want := storage.ETagOf(janeSent.reqBody); `"`+putJane.ETag+`"` != want {
		t.Errorf("PUT ETag = %q, want the strong hash of the sent bytes %s", putJane.ETag, want)
	}

	bob := goCard("4.0", "urn:uuid:0e3a2a3c-9a51-4d5e-8b3e-1c2d3e4f5a6b", "Bob Ørsted",
		vcard.FieldEmail, "bob@example.org",
		vcard.FieldKind, "individual")
	putBob, err := client.PutAddressObject(ctx, bobPath, bob)
	if err != nil {
		t.Fatalf("PutAddressObject 4.0: %v", err)
	}
	bobSent := rec.last(t, http.MethodPut)
	if bobSent.status != http.StatusCreated {
		t.Errorf("PUT %s: status %d, want 201", bobPath, bobSent.status)
	}
	if !bytes.Equal(bobSent.reqBody, encodeCard(t, bob)) || !bytes.HasPrefix(bobSent.reqBody, []byte("BEGIN:VCARD\r\nVERSION:4.0\r\n")) {
		t.Errorf("go-vcard sent for the 4.0 card:\n%q", bobSent.reqBody)
	}

	// The stored bytes are the client's.
	for path, sent := range map[string][]byte{janePath: janeSent.reqBody, bobPath: bobSent.reqBody} {
		resp, body := e.do(t, http.MethodGet, path, nil, "")
		if resp.StatusCode != http.StatusOK || !bytes.Equal(body, sent) {
			t.Errorf("GET %s: status %d body\n%q\nwant 200 and the bytes sent\n%q", path, resp.StatusCode, body, sent)
		}
		obj, err := e.Store.Get(ctx, e.User, carddav.DefaultAddressBook, strings.TrimPrefix(path, contacts))
		if err != nil || !bytes.Equal(obj.Data, sent) {
			t.Errorf("Store.Get %s: %v, data %q, want the bytes sent", path, err, obj.Data)
		}
	}

	// GetAddressObject: go-webdav asks Accept: text/vcard (any version),
	// so each card comes back in its own version, byte for byte.
	got, err := client.GetAddressObject(ctx, bobPath)
	if err != nil {
		t.Fatalf("GetAddressObject %s: %v", bobPath, err)
	}
	if got.Path != bobPath || got.ETag != putBob.ETag || got.ContentLength != int64(len(bobSent.reqBody)) {
		t.Errorf("GetAddressObject = path %q ETag %q length %d, want %q %q %d", got.Path, got.ETag, got.ContentLength, bobPath, putBob.ETag, len(bobSent.reqBody))
	}
	if got.Card.Value(vcard.FieldVersion) != "4.0" || got.Card.Value(vcard.FieldFormattedName) != "Bob Ørsted" || got.Card.Value(vcard.FieldEmail) != "bob@example.org" {
		t.Errorf("GetAddressObject card: VERSION %q FN %q EMAIL %q", got.Card.Value(vcard.FieldVersion), got.Card.Value(vcard.FieldFormattedName), got.Card.Value(vcard.FieldEmail))
	}
	if reenc := encodeCard(t, got.Card); !bytes.Equal(reenc, bobSent.reqBody) {
		t.Errorf("fetched card re-encodes to\n%q\nwant the bytes sent\n%q", reenc, bobSent.reqBody)
	}
	got, err = client.GetAddressObject(ctx, janePath)
	if err != nil {
		t.Fatalf("GetAddressObject %s: %v", janePath, err)
	}
	if tel := got.Card.Get(vcard.FieldTelephone); got.Card.Value(vcard.FieldVersion) != "3.0" || tel == nil || tel.Value != "+1-555-0100" || !tel.Params.HasType("CELL") {
		t.Errorf("GetAddressObject %s: VERSION %q TEL %+v, want 3.0 and the CELL number", janePath, got.Card.Value(vcard.FieldVersion), tel)
	}

	// Update: a new ETag, 204.
	jane.SetValue(vcard.FieldFormattedName, "Jane Q. Doe")
	putJane2, err := client.PutAddressObject(ctx, janePath, jane)
	if err != nil {
		t.Fatalf("PutAddressObject update: %v", err)
	}
	if st := rec.last(t, http.MethodPut).status; st != http.StatusNoContent {
		t.Errorf("PUT over %s: status %d, want 204", janePath, st)
	}
	if putJane2.ETag == "" || putJane2.ETag == putJane.ETag {
		t.Errorf("ETag after update %q, before %q: want a new one", putJane2.ETag, putJane.ETag)
	}
	etags := map[string]string{janePath: putJane2.ETag, bobPath: putBob.ETag}

	// A third card, so that queries have something to leave out.
	zoePath := contacts + "zoe.vcf"
	putZoe, err := client.PutAddressObject(ctx, zoePath, goCard("4.0", "zoe@interop", "Zoë Martin", vcard.FieldEmail, "zoe@example.net", vcard.FieldTelephone, "+33 1 23 45 67 89"))
	if err != nil {
		t.Fatalf("PutAddressObject zoe: %v", err)
	}
	etags[zoePath] = putZoe.ETag

	// addressbook-query: text-match (contains, i;unicode-casemap by
	// default) on FN and EMAIL, with partial retrieval.
	query := func(q *gocarddav.AddressBookQuery) []gocarddav.AddressObject {
		t.Helper()
		objs, err := client.QueryAddressBook(ctx, contacts, q)
		if err != nil {
			t.Fatalf("QueryAddressBook %+v: %v\nrequest:\n%s", q.PropFilters, err, rec.last(t, "REPORT").reqBody)
		}
		return objs
	}
	fnZoe := gocarddav.PropFilter{Name: vcard.FieldFormattedName, TextMatches: []gocarddav.TextMatch{{Text: "ZOË"}}}
	objs := query(&gocarddav.AddressBookQuery{
		DataRequest: gocarddav.AddressDataRequest{Props: []string{vcard.FieldFormattedName, vcard.FieldEmail}},
		PropFilters: []gocarddav.PropFilter{fnZoe},
	})
	if want := []string{zoePath}; !slices.Equal(addressPaths(objs), want) {
		t.Fatalf("query FN contains ZOË = %v, want %v", addressPaths(objs), want)
	}
	if sent := rec.last(t, "REPORT").reqBody; !bytes.Contains(sent, []byte(`name="FN"`)) || !bytes.Contains(sent, []byte("ZOË")) {
		t.Errorf("go-webdav did not send the FN prop-filter:\n%s", sent)
	}
	z := objs[0]
	if z.ETag != etags[zoePath] {
		t.Errorf("query %s: ETag %q, want %q", zoePath, z.ETag, etags[zoePath])
	}
	if z.Card.Value(vcard.FieldVersion) != "4.0" || z.Card.Value(vcard.FieldFormattedName) != "Zoë Martin" || z.Card.Value(vcard.FieldEmail) != "zoe@example.net" {
		t.Errorf("query %s: VERSION %q FN %q EMAIL %q", zoePath, z.Card.Value(vcard.FieldVersion), z.Card.Value(vcard.FieldFormattedName), z.Card.Value(vcard.FieldEmail))
	}
	var fields []string
	for k := range z.Card {
		fields = append(fields, k)
	}
	sort.Strings(fields)
	if want := []string{"EMAIL", "FN", "VERSION"}; !slices.Equal(fields, want) {
		t.Errorf("query %s with address-data FN, EMAIL returned fields %v, want %v", zoePath, fields, want)
	}

	emailExample := func(text string) gocarddav.PropFilter {
		return gocarddav.PropFilter{Name: vcard.FieldEmail, TextMatches: []gocarddav.TextMatch{{Text: text}}}
	}
	all := gocarddav.AddressDataRequest{AllProp: true}
	if got, want := addressPaths(query(&gocarddav.AddressBookQuery{DataRequest: all, PropFilters: []gocarddav.PropFilter{emailExample("@EXAMPLE.")}})), []string{bobPath, janePath, zoePath}; !slices.Equal(got, want) {
		t.Errorf("query EMAIL contains @EXAMPLE. = %v, want %v", got, want)
	}
	if got, want := addressPaths(query(&gocarddav.AddressBookQuery{DataRequest: all, PropFilters: []gocarddav.PropFilter{emailExample("EXAMPLE.ORG")}})), []string{bobPath}; !slices.Equal(got, want) {
		t.Errorf("query EMAIL contains EXAMPLE.ORG = %v, want %v", got, want)
	}
	// anyof over two prop-filters; then allof, which nothing satisfies.
	two := []gocarddav.PropFilter{fnZoe, emailExample("example.org")}
	if got, want := addressPaths(query(&gocarddav.AddressBookQuery{DataRequest: all, PropFilters: two})), []string{bobPath, zoePath}; !slices.Equal(got, want) {
		t.Errorf("query FN ZOË anyof EMAIL example.org = %v, want %v", got, want)
	}
	if got := query(&gocarddav.AddressBookQuery{DataRequest: all, PropFilters: two, FilterTest: gocarddav.FilterAllOf}); len(got) != 0 {
		t.Errorf("query FN ZOË allof EMAIL example.org = %v, want none", addressPaths(got))
	}
	startsWith := gocarddav.PropFilter{Name: vcard.FieldFormattedName, TextMatches: []gocarddav.TextMatch{{Text: "jane", MatchType: gocarddav.MatchStartsWith}}}
	if got, want := addressPaths(query(&gocarddav.AddressBookQuery{DataRequest: all, PropFilters: []gocarddav.PropFilter{startsWith}})), []string{janePath}; !slices.Equal(got, want) {
		t.Errorf("query FN starts-with jane = %v, want %v", got, want)
	}
	// A limit at least the number of matches returns them all.
	if got, want := addressPaths(query(&gocarddav.AddressBookQuery{DataRequest: all, PropFilters: []gocarddav.PropFilter{emailExample("example")}, Limit: 3})), []string{bobPath, janePath, zoePath}; !slices.Equal(got, want) {
		t.Errorf("query EMAIL contains example, limit 3 = %v, want %v", got, want)
	}
	// A limit below it: the server answers one card and a 507 for the
	// address book (RFC 6352 8.6.1), which go-webdav v0.6.0 turns into an
	// error for the whole query rather than a short list.
	_, err = client.QueryAddressBook(ctx, contacts, &gocarddav.AddressBookQuery{DataRequest: all, PropFilters: []gocarddav.PropFilter{emailExample("example")}, Limit: 1})
	if sent := rec.last(t, "REPORT").reqBody; !bytes.Contains(sent, []byte("<nresults>1</nresults>")) {
		t.Errorf("go-webdav did not send the limit:\n%s", sent)
	}
	if err == nil || !strings.Contains(err.Error(), "507") {
		t.Errorf("QueryAddressBook with limit 1 of 3 matches: error %v, want go-webdav's 507 for the truncated answer", err)
	}
	ms := e.report(t, contacts, "1", `<?xml version="1.0" encoding="utf-8"?>
<CR:addressbook-query xmlns:D="DAV:" xmlns:CR="urn:ietf:params:xml:ns:carddav">
  <D:prop><D:getetag/></D:prop>
  <CR:filter><CR:prop-filter name="EMAIL"><CR:text-match>example</CR:text-match></CR:prop-filter></CR:filter>
  <CR:limit><CR:nresults>1</CR:nresults></CR:limit>
</CR:addressbook-query>`)
	if len(ms.Responses) != 2 || ms.Responses[1].Href != contacts || !strings.Contains(ms.Responses[1].Status, " 507 ") {
		t.Errorf("raw addressbook-query limit 1: %+v, want one card and a 507 for %s", ms.Responses, contacts)
	}

	// Multiget of every card, whole.
	mg, err := client.MultiGetAddressBook(ctx, contacts, &gocarddav.AddressBookMultiGet{
		Paths:       []string{janePath, bobPath, zoePath},
		DataRequest: all,
	})
	if err != nil {
		t.Fatalf("MultiGetAddressBook: %v", err)
	}
	if want := []string{bobPath, janePath, zoePath}; !slices.Equal(addressPaths(mg), want) {
		t.Fatalf("MultiGetAddressBook = %v, want %v", addressPaths(mg), want)
	}
	wantFN := map[string]string{janePath: "Jane Q. Doe", bobPath: "Bob Ørsted", zoePath: "Zoë Martin"}
	for _, o := range mg {
		if o.ETag != etags[o.Path] {
			t.Errorf("multiget %s: ETag %q, want %q", o.Path, o.ETag, etags[o.Path])
		}
		if fn := o.Card.Value(vcard.FieldFormattedName); fn != wantFN[o.Path] {
			t.Errorf("multiget %s: FN %q, want %q", o.Path, fn, wantFN[o.Path])
		}
	}

	// sync-collection: initial, then after an update and a delete.
	initial, err := client.SyncCollection(ctx, contacts, &gocarddav.SyncQuery{DataRequest: all})
	if err != nil {
		t.Fatalf("SyncCollection initial: %v", err)
	}
	if want := []string{bobPath, janePath, zoePath}; !slices.Equal(addressPaths(initial.Updated), want) || len(initial.Deleted) != 0 {
		t.Errorf("initial SyncCollection: updated %v deleted %v, want %v and none", addressPaths(initial.Updated), initial.Deleted, want)
	}
	for _, o := range initial.Updated {
		if o.ETag != etags[o.Path] {
			t.Errorf("initial SyncCollection %s: ETag %q, want %q", o.Path, o.ETag, etags[o.Path])
		}
	}
	if initial.SyncToken == "" {
		t.Fatal("initial SyncCollection: no sync token")
	}
	bob.SetValue(vcard.FieldEmail, "bob@example.com")
	putBob2, err := client.PutAddressObject(ctx, bobPath, bob)
	if err != nil {
		t.Fatalf("PutAddressObject bob update: %v", err)
	}
	if err := client.RemoveAll(ctx, zoePath); err != nil {
		t.Fatalf("RemoveAll (DELETE) %s: %v", zoePath, err)
	}
	if st := rec.last(t, http.MethodDelete).status; st != http.StatusNoContent {
		t.Errorf("DELETE %s: status %d, want 204", zoePath, st)
	}
	delta, err := client.SyncCollection(ctx, contacts, &gocarddav.SyncQuery{SyncToken: initial.SyncToken})
	if err != nil {
		t.Fatalf("SyncCollection delta: %v", err)
	}
	if want := []string{bobPath}; !slices.Equal(addressPaths(delta.Updated), want) {
		t.Errorf("SyncCollection delta updated %v, want %v", addressPaths(delta.Updated), want)
	} else if delta.Updated[0].ETag != putBob2.ETag {
		t.Errorf("SyncCollection delta %s: ETag %q, want %q", bobPath, delta.Updated[0].ETag, putBob2.ETag)
	}
	if want := []string{zoePath}; !slices.Equal(delta.Deleted, want) {
		t.Errorf("SyncCollection delta deleted %v, want %v", delta.Deleted, want)
	}
	if delta.SyncToken == "" || delta.SyncToken == initial.SyncToken {
		t.Errorf("sync token after changes %q, before %q: want a new one", delta.SyncToken, initial.SyncToken)
	}
	again, err := client.SyncCollection(ctx, contacts, &gocarddav.SyncQuery{SyncToken: delta.SyncToken})
	if err != nil {
		t.Fatalf("SyncCollection with the latest token: %v", err)
	}
	if len(again.Updated) != 0 || len(again.Deleted) != 0 || again.SyncToken != delta.SyncToken {
		t.Errorf("SyncCollection with the latest token: updated %v deleted %v token %q, want nothing and %q", addressPaths(again.Updated), again.Deleted, again.SyncToken, delta.SyncToken)
	}
	if _, err := client.GetAddressObject(ctx, zoePath); err == nil || !strings.Contains(err.Error(), "404") {
		t.Errorf("GetAddressObject %s after DELETE: %v, want a 404", zoePath, err)
	}

	// A second address book. go-webdav's Mkdir sends a plain MKCOL
	// without a body, which cannot say "address book": refused with
	// DAV:valid-resourcetype, nothing created.
	work := home + "work/"
	if err := client.Mkdir(ctx, work); err == nil || !strings.Contains(err.Error(), "403") {
		t.Errorf("Mkdir (plain MKCOL) %s: %v, want a 403", work, err)
	}
	resp, body := e.do(t, "MKCOL", work, map[string]string{"Content-Type": "application/xml; charset=utf-8"}, `<?xml version="1.0" encoding="utf-8"?>
<D:mkcol xmlns:D="DAV:" xmlns:CR="urn:ietf:params:xml:ns:carddav">
  <D:set><D:prop>
    <D:resourcetype><D:collection/><CR:addressbook/></D:resourcetype>
    <D:displayname>Work</D:displayname>
    <CR:addressbook-description>Colleagues and clients</CR:addressbook-description>
  </D:prop></D:set>
</D:mkcol>`)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("extended MKCOL %s: status %d, want 201\n%s", work, resp.StatusCode, body)
	}
	books, err = client.FindAddressBooks(ctx, home)
	if err != nil {
		t.Fatalf("FindAddressBooks after MKCOL: %v", err)
	}
	var listed []string
	for _, b := range books {
		listed = append(listed, b.Path+"|"+b.Name+"|"+b.Description)
	}
	sort.Strings(listed)
	if want := []string{contacts + "|Contacts|", work + "|Work|Colleagues and clients"}; !slices.Equal(listed, want) {
		t.Errorf("FindAddressBooks after MKCOL = %v, want %v", listed, want)
	}
	// The new book takes cards too; deleting it with RemoveAll removes
	// it from the home.
	if _, err := client.PutAddressObject(ctx, work+"carol.vcf", goCard("3.0", "carol@interop", "Carol Work", vcard.FieldName, "Work;Carol;;;")); err != nil {
		t.Fatalf("PutAddressObject into %s: %v", work, err)
	}
	if objs := query(&gocarddav.AddressBookQuery{DataRequest: all}); !slices.Equal(addressPaths(objs), []string{bobPath, janePath}) {
		t.Errorf("query of %s with an empty filter = %v, want only its own cards", contacts, addressPaths(objs))
	}
	if err := client.RemoveAll(ctx, work); err != nil {
		t.Fatalf("RemoveAll %s: %v", work, err)
	}
	books, err = client.FindAddressBooks(ctx, home)
	if err != nil {
		t.Fatalf("FindAddressBooks after RemoveAll: %v", err)
	}
	if len(books) != 1 || books[0].Path != contacts {
		t.Errorf("FindAddressBooks after RemoveAll %s = %+v, want only %s", work, books, contacts)
	}
}
