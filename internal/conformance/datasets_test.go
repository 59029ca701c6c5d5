package conformance

import (
	"path/filepath"
	"strings"
	"testing"
)

// appendixBFixes correct RFC 4791 Appendix B's listing where the
// section 7 examples that it serves show more of the same objects.
var appendixBFixes = []edit{
	{
		why: "abcd2.ics has a second overridden instance (RECURRENCE-ID 20060106T120000, \"Event #2 bis bis\"): " +
			"7.8.1 and 7.8.8 return it, and 7.8.2 says the resource has a second override that its range leaves out; " +
			"Appendix B's listing omits it",
		old: "SUMMARY:Event #2 bis\nUID:00959BC664CA650E933C892C@example.com\nEND:VEVENT\nEND:VCALENDAR",
		new: "SUMMARY:Event #2 bis\nUID:00959BC664CA650E933C892C@example.com\nEND:VEVENT\n" +
			"BEGIN:VEVENT\nDTSTAMP:20060206T001121Z\nDTSTART;TZID=US/Eastern:20060106T140000\nDURATION:PT1H\n" +
			"RECURRENCE-ID;TZID=US/Eastern:20060106T120000\nSUMMARY:Event #2 bis bis\n" +
			"UID:00959BC664CA650E933C892C@example.com\nEND:VEVENT\nEND:VCALENDAR",
	},
	{
		why: "abcd3.ics has the property X-ABC-GUID:E1CX5Dr-0007ym-Hz@example.com: 7.8.2, 7.8.3, 7.8.6, 7.8.7 and 7.8.8 " +
			"return it and 7.8.10 queries it; Appendix B's listing omits it",
		old: "UID:DC6C50A017428C5216A2F1CD@example.com\nEND:VEVENT",
		new: "UID:DC6C50A017428C5216A2F1CD@example.com\nX-ABC-GUID:E1CX5Dr-0007ym-Hz@example.com\nEND:VEVENT",
	},
}

// appendixB returns the calendar object resources of RFC 4791 Appendix
// B, read from the response of its calendar-query, in the RFC's order.
func appendixB(t *testing.T) (names, data []string) {
	t.Helper()
	tr, err := readTranscript(filepath.Join("testdata", "rfc4791", "B.txt"))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range appendixBFixes {
		if err := e.apply(tr); err != nil {
			t.Fatal(err)
		}
	}
	resp, err := parseMessage(tr.exchanges[0].response)
	if err != nil {
		t.Fatal(err)
	}
	ms, err := parseXML(resp.body, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range ms.all(nsDAV, "response") {
		cd := r.kid(nsDAV, "propstat").kid(nsDAV, "prop").kid(nsCalDAV, "calendar-data")
		names = append(names, memberName(strings.TrimSpace(r.kid(nsDAV, "href").text)))
		data = append(data, cd.text)
	}
	if len(names) != 8 {
		t.Fatalf("Appendix B lists %d resources, want 8", len(names))
	}
	return names, data
}

// bernardWork is RFC 4791 Appendix B: Bernard's calendar "work" holding
// abcd1.ics to abcd8.ics.
func bernardWork(t *testing.T) *world {
	w := newWorld(t, "bernard", nsCalDAV)
	w.paths["/bernard/work/"] = "/dav/calendars/bernard/work/"
	w.paths["/home/bernard/calendars/"] = "/dav/calendars/bernard/"
	w.paths["/principals/bernard/"] = "/dav/principals/bernard/"
	w.must(201, "MKCALENDAR", "/dav/calendars/bernard/work/", "")
	names, data := appendixB(t)
	for i := range names {
		w.putData("/dav/calendars/bernard/work/"+names[i], data[i])
	}
	return w
}

// fooHTML is Appendix B's calendar with RFC 3253 3.8.1's /foo.html
// standing for one of its calendar object resources: the example asks a
// version-controlled resource, and no resource here has versions.
func fooHTML(t *testing.T) *world {
	w := bernardWork(t)
	w.paths["/foo.html"] = "/dav/calendars/bernard/work/abcd1.ics"
	return w
}

// bernardWorkEventsAndTodos is Appendix B's calendar made with the
// supported-calendar-component-set of RFC 4791 5.2.3's example.
func bernardWorkEventsAndTodos(t *testing.T) *world {
	w := newWorld(t, "bernard", nsCalDAV)
	w.paths["/bernard/work/"] = "/dav/calendars/bernard/work/"
	w.must(201, "MKCALENDAR", "/dav/calendars/bernard/work/", `<?xml version="1.0" encoding="utf-8" ?>
<C:mkcalendar xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
  <D:set><D:prop>
    <C:supported-calendar-component-set><C:comp name="VEVENT"/><C:comp name="VTODO"/></C:supported-calendar-component-set>
  </D:prop></D:set>
</C:mkcalendar>`)
	return w
}

// lisaCalendars is the account of RFC 4791 5.3.1.2 before it makes its
// calendar.
func lisaCalendars(t *testing.T) *world {
	w := newWorld(t, "lisa", nsCalDAV)
	w.paths["/home/lisa/calendars/"] = "/dav/calendars/lisa/"
	return w
}

// lisaEvents is the account after 5.3.1.2, for 5.3.2's PUT.
func lisaEvents(t *testing.T) *world {
	w := lisaCalendars(t)
	w.must(201, "MKCALENDAR", "/dav/calendars/lisa/events/", "")
	return w
}

const mkcolAddressBook = `<?xml version="1.0" encoding="utf-8" ?>
<D:mkcol xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:carddav">
  <D:set><D:prop><D:resourcetype><D:collection/><C:addressbook/></D:resourcetype></D:prop></D:set>
</D:mkcol>`

// bernardBook is the address book of RFC 6352 8.6's examples. The RFC
// shows only the properties each query returns; the cards under
// testdata/rfc6352/cards hold those and more (so that partial retrieval
// has something to leave out), plus v103.vcf, which no example matches.
func bernardBook(t *testing.T) *world {
	w := newWorld(t, "bernard", nsCardDAV)
	book := "/dav/addressbooks/bernard/addressbook/"
	w.paths["/home/bernard/addressbook/"] = book
	w.paths["/addressbooks/users/"] = "/dav/addressbooks/bernard/"
	w.paths["/bernard/addresses/"] = "/dav/addressbooks/bernard/"
	w.paths["/principals/bernard/"] = "/dav/principals/bernard/"
	w.must(201, "MKCOL", book, mkcolAddressBook)
	for _, c := range []string{"v102.vcf", "v103.vcf", "v104.vcf"} {
		w.put(book+c, "rfc6352/cards/"+c)
	}
	return w
}

// bernardBookMultiget is the address book of RFC 6352 8.7's examples,
// which name v102.vcf's card vcf102.vcf and add vcf3.vcf.
func bernardBookMultiget(t *testing.T) *world {
	w := newWorld(t, "bernard", nsCardDAV)
	book := "/dav/addressbooks/bernard/addressbook/"
	w.paths["/home/bernard/addressbook/"] = book
	w.must(201, "MKCOL", book, mkcolAddressBook)
	w.put(book+"vcf102.vcf", "rfc6352/cards/v102.vcf")
	w.put(book+"vcf3.vcf", "rfc6352/cards/vcf3.vcf")
	return w
}

// lisaBooks is the account of RFC 6352 6.3.1.1 before it makes its
// address book.
func lisaBooks(t *testing.T) *world {
	w := newWorld(t, "lisa", nsCardDAV)
	w.paths["/home/lisa/addressbook/"] = "/dav/addressbooks/lisa/addressbook/"
	w.paths["/lisa/addressbook/"] = "/dav/addressbooks/lisa/addressbook/"
	return w
}

// lisaBook is the account after 6.3.1.1, for 6.3.2's PUT.
func lisaBook(t *testing.T) *world {
	w := lisaBooks(t)
	w.must(201, "MKCOL", "/dav/addressbooks/lisa/addressbook/", mkcolAddressBook)
	return w
}

// syncCollection is the collection of RFC 6578's examples, a calendar
// here: test.doc, vcard.vcf and calendar.ics, created in that order
// (the order 3.10 and 3.11 truncate in), hold iCalendar objects, since a
// calendar collection holds calendar object resources only (RFC 4791
// 4.2).
func syncCollection(t *testing.T) *world {
	w := newWorld(t, "cyrusdaboo", nsDAV)
	coll := "/dav/calendars/cyrusdaboo/collection/"
	w.paths["/home/cyrusdaboo/"] = coll
	w.paths["/home/cyrusdaboo/collection/"] = coll
	w.must(201, "MKCALENDAR", coll, "")
	for _, m := range []string{"test.doc", "vcard.vcf", "calendar.ics"} {
		w.put(coll+m, "rfc6578/members/"+m)
	}
	return w
}
