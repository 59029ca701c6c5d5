package fileimport_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"almanac/fileimport"
	"almanac/server"
	"almanac/server/servertest"
)

// Time zones are copied into every object that names them, so a small
// file with one large VTIMEZONE and many events that use it would make
// objects many times its size: here 140 KB of file, 66 MB of objects,
// and 287 MB allocated to cut it. The objects of one file are capped
// together (fileimport.ObjectBytesPerFileByte times the file cap) before
// they are made, and such a file is refused whole.
func TestImport_TimeZoneCopiesAreCapped(t *testing.T) {
	env := servertest.New(t, func(c *server.Config) { c.ImportMaxFile = 256 << 10 })
	jane := env.Account("jane@example.com")
	var b strings.Builder
	b.WriteString(lines("BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//test//EN",
		"BEGIN:VTIMEZONE", "TZID:Padded", "BEGIN:STANDARD", "DTSTART:19700101T000000",
		"TZOFFSETFROM:+0100", "TZOFFSETTO:+0100", "END:STANDARD"))
	for range 1000 {
		b.WriteString("X-PAD:" + strings.Repeat("z", 58) + "\r\n") // 64 KB in all
	}
	b.WriteString("END:VTIMEZONE\r\n")
	for i := range 1000 {
		fmt.Fprintf(&b, "BEGIN:VEVENT\r\nUID:e%d\r\nDTSTART;TZID=Padded:20260105T090000\r\nEND:VEVENT\r\n", i)
	}
	b.WriteString("END:VCALENDAR\r\n")
	if b.Len() > 256<<10 {
		t.Fatalf("the file has %d bytes, more than the cap", b.Len())
	}
	for _, q := range []string{"?dry_run=true", ""} {
		r := post(t, env, importPath("default")+q, jane.Login, b.String(), "text/calendar")
		r.want(t, http.StatusUnprocessableEntity, "objects_too_large")
		want := fmt.Sprintf("the file's calendar objects, each with a copy of the time zones it uses, come to more than %d bytes; split the file", 4*(256<<10))
		if r.err.Message != want {
			t.Fatalf("message %q, want %q", r.err.Message, want)
		}
		if got := members(t, env, jane.ID, "default"); len(got) != 0 {
			t.Fatalf("stored %v", got)
		}
	}
}

// A file of more objects than an import takes is refused before any is
// checked, for calendars and address books alike.
func TestImport_TooManyObjects(t *testing.T) {
	env := servertest.New(t)
	jane := env.Account("jane@example.com")
	n := fileimport.DefaultMaxObjects + 1
	var cal, cards strings.Builder
	cal.WriteString("BEGIN:VCALENDAR\r\n")
	for i := range n {
		fmt.Fprintf(&cal, "BEGIN:VEVENT\r\nUID:%d\r\nEND:VEVENT\r\n", i)
		fmt.Fprintf(&cards, "BEGIN:VCARD\r\nFN:%d\r\nEND:VCARD\r\n", i)
	}
	cal.WriteString("END:VCALENDAR\r\n")
	r := post(t, env, importPath("default"), jane.Login, cal.String(), "text/calendar")
	r.want(t, http.StatusUnprocessableEntity, "too_many_objects")
	if want := "the file holds 50001 calendar objects, more than the 50000 one import takes; split it"; r.err.Message != want {
		t.Fatalf("message %q, want %q", r.err.Message, want)
	}
	r = post(t, env, fileimport.AddressBooksPath+"/contacts/import", jane.Login, cards.String(), "text/vcard")
	r.want(t, http.StatusUnprocessableEntity, "too_many_objects")
	if want := "the file holds 50001 vCards, more than the 50000 one import takes; split it"; r.err.Message != want {
		t.Fatalf("message %q, want %q", r.err.Message, want)
	}
}
