package notify

import (
	"bytes"
	"encoding/base64"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/mail"
	"testing"
	"time"
)

// TestFormatCalendar: a message with a calendar part is
// multipart/alternative with the text first and the calendar, decoded,
// byte for byte as given, with its method; Reply-To is set; a method or
// Reply-To that could break the header is refused.
func TestFormatCalendar(t *testing.T) {
	from := &mail.Address{Name: "Almanac", Address: "calendar@example.com"}
	cal := []byte("BEGIN:VCALENDAR\r\nMETHOD:REQUEST\r\nX-LONG:" + string(bytes.Repeat([]byte("é"), 100)) + "\r\nEND:VCALENDAR\r\n")
	_, raw, err := format(Message{To: "guest@outside.test", Subject: "Invitation: Sync", Text: "Alice invites you.",
		ReplyTo: "Alice <alice@example.com>", Calendar: cal, CalendarMethod: "REQUEST"}, from, time.Unix(0, 0))
	if err != nil {
		t.Fatal(err)
	}
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	if got := msg.Header.Get("Auto-Submitted"); got != "auto-generated" {
		t.Errorf("Auto-Submitted = %q", got)
	}
	if got := msg.Header.Get("Reply-To"); got != `"Alice" <alice@example.com>` {
		t.Errorf("Reply-To = %q", got)
	}
	mt, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/alternative" {
		t.Fatalf("Content-Type %q: %v", msg.Header.Get("Content-Type"), err)
	}
	mr := multipart.NewReader(msg.Body, params["boundary"])
	var types []string
	for {
		p, err := mr.NextPart() // decodes quoted-printable
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		types = append(types, p.Header.Get("Content-Type"))
		body, _ := io.ReadAll(p)
		if p.Header.Get("Content-Transfer-Encoding") == "base64" {
			var dec []byte
			if dec, err = io.ReadAll(base64Reader(body)); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(dec, cal) {
				t.Errorf("calendar part:\n%q\nwant\n%q", dec, cal)
			}
		}
		for _, line := range bytes.Split(body, []byte("\r\n")) {
			if len(line) > 78 {
				t.Errorf("line of %d bytes", len(line))
			}
		}
	}
	want := []string{"text/plain; charset=utf-8", "text/calendar; charset=utf-8; method=REQUEST"}
	if len(types) != 2 || types[0] != want[0] || types[1] != want[1] {
		t.Errorf("parts %q, want %q", types, want)
	}
	for _, bad := range []Message{
		{To: "a@example.com", Calendar: cal, CalendarMethod: "REQUEST\r\nBcc: x@example.com"},
		{To: "a@example.com", Calendar: cal, CalendarMethod: ""},
		{To: "a@example.com", ReplyTo: "x@example.com\r\nBcc: y@example.com"},
		{To: "a@example.com", ReplyTo: "two@example.com, three@example.com"},
	} {
		if _, _, err := format(bad, from, time.Unix(0, 0)); !errors.Is(err, ErrInvalidMessage) {
			t.Errorf("format(%+v) = %v, want ErrInvalidMessage", bad, err)
		}
	}
}

func base64Reader(b []byte) io.Reader {
	return base64.NewDecoder(base64.StdEncoding, bytes.NewReader(b))
}
