package schedule

import (
	"bytes"
	"errors"
	"net/mail"
	"strings"
	"testing"
)

func partOf(t testing.TB, raw string) ([]byte, error) {
	msg, err := mail.ReadMessage(strings.NewReader(raw))
	if err != nil {
		return nil, err
	}
	return calendarPart(textproto(msg.Header), msg.Body, 0, new(int))
}

func TestCalendarPart(t *testing.T) {
	const cal = "BEGIN:VCALENDAR\r\nMETHOD:REPLY\r\nEND:VCALENDAR\r\n"
	nest := func(depth int) string {
		s := "Content-Type: text/calendar\r\n\r\n" + cal
		for i := range depth {
			b := "b" + string(rune('a'+i))
			s = "Content-Type: multipart/mixed; boundary=" + b + "\r\n\r\n--" + b + "\r\n" + s + "\r\n--" + b + "--\r\n"
		}
		return "From: a@example.com\r\n" + s
	}
	for _, tc := range []struct {
		name, raw string
		want      string
		err       error
	}{
		{"plain", "From: a@example.com\r\nContent-Type: text/calendar; method=REPLY\r\n\r\n" + cal, cal, nil},
		{"base64", "From: a@example.com\r\nContent-Type: text/calendar\r\nContent-Transfer-Encoding: base64\r\n\r\nQkVHSU46VkNBTEVOREFSDQpNRVRIT0Q6\r\nUkVQTFkNCkVORDpWQ0FMRU5EQVINCg==\r\n", cal, nil},
		{"quoted-printable", "From: a@example.com\r\nContent-Type: text/calendar\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nBEGIN:VCALENDAR\r\nMETHOD:REP=\r\nLY\r\nEND:VCALENDAR\r\n", cal, nil},
		{"application/ics", "From: a@example.com\r\nContent-Type: application/ics\r\n\r\n" + cal, cal, nil},
		{"nested", nest(3), cal, nil},
		{"too deep", nest(maxMIMEDepth + 1), "", ErrIMIPMalformed},
		{"text only", "From: a@example.com\r\n\r\nhello", "", ErrIMIPNoCalendar},
		{"multipart without boundary", "From: a@example.com\r\nContent-Type: multipart/mixed\r\n\r\nx", "", ErrIMIPMalformed},
		{"bad content type", "From: a@example.com\r\nContent-Type: ;;\r\n\r\nx", "", ErrIMIPMalformed},
		{"too many parts", "From: a@example.com\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n" +
			strings.Repeat("--b\r\nContent-Type: text/plain\r\n\r\nx\r\n", maxMIMEParts+1) + "--b--\r\n", "", ErrIMIPMalformed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := partOf(t, tc.raw)
			if tc.err != nil {
				if !errors.Is(err, tc.err) {
					t.Fatalf("err = %v, want %v", err, tc.err)
				}
				return
			}
			if err != nil || !bytes.Equal(bytes.ReplaceAll(got, []byte("\r\n"), []byte("\n")), []byte(strings.ReplaceAll(tc.want, "\r\n", "\n"))) {
				t.Fatalf("got %q, %v; want %q", got, err, tc.want)
			}
		})
	}
}

// FuzzCalendarPart: no message makes the inbound iMIP parsing panic or
// return more than the cap.
func FuzzCalendarPart(f *testing.F) {
	f.Add("From: a@example.com\r\nContent-Type: text/calendar\r\n\r\nBEGIN:VCALENDAR\r\nMETHOD:REPLY\r\nBEGIN:VEVENT\r\nUID:x\r\nORGANIZER:mailto:o@example.com\r\nATTENDEE;PARTSTAT=ACCEPTED:mailto:a@example.com\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")
	f.Add("From: a@example.com\r\nContent-Type: multipart/alternative; boundary=b\r\n\r\n--b\r\nContent-Type: text/calendar\r\nContent-Transfer-Encoding: base64\r\n\r\nQkVHSU46VkNBTEVOREFS\r\n--b--\r\n")
	f.Fuzz(func(t *testing.T, raw string) {
		data, err := partOf(t, raw)
		if err != nil {
			return
		}
		if len(data) > MaxIMIPBytes {
			t.Fatalf("%d bytes past the cap", len(data))
		}
		if o, err := parseObject(data); err == nil {
			for _, c := range o.comps {
				c.attendees()
				c.organizer()
			}
		}
	})
}

// FuzzFreeBusyRequest: no body makes the free-busy request parser panic,
// and what it accepts keeps its limits.
func FuzzFreeBusyRequest(f *testing.F) {
	f.Add("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\nMETHOD:REQUEST\r\nBEGIN:VFREEBUSY\r\nUID:f\r\nDTSTAMP:20260301T000000Z\r\n" +
		"DTSTART:20260310T000000Z\r\nDTEND:20260311T000000Z\r\nORGANIZER:mailto:a@example.com\r\nATTENDEE:mailto:b@example.com\r\nEND:VFREEBUSY\r\nEND:VCALENDAR\r\n")
	f.Fuzz(func(t *testing.T, body string) {
		req, err := parseFreeBusyRequest([]byte(body), 5)
		if err != nil {
			return
		}
		if len(req.recipients) == 0 || len(req.recipients) > 5 || req.org < 0 || !req.end.After(req.start) || req.end.Sub(req.start) > MaxFreeBusyRange {
			t.Fatalf("accepted %+v", req)
		}
		freeBusyReply(req.fb, req.org, req.recipients[0], nil, req.start)
	})
}
