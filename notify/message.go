package notify

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"mime"
	"mime/quotedprintable"
	"net/mail"
	"regexp"
	"strings"
	"time"
)

// Message is one email.
type Message struct {
	To      string // one address, "jane@example.com" or "Jane <jane@example.com>"
	Subject string
	Text    string // plain text body (UTF-8)
	// ReplyTo, when set, is one address answers should go to (the
	// organizer of an invitation the server sends on their behalf).
	ReplyTo string
	// Calendar, when set, is an iTIP message (RFC 5546) sent as iMIP
	// (RFC 6047): the mail becomes multipart/alternative with Text and
	// this text/calendar part, whose method parameter is
	// CalendarMethod.
	Calendar       []byte
	CalendarMethod string
}

// Mailer sends email.
type Mailer interface {
	Send(ctx context.Context, m Message) error
}

// SMS is one text message.
type SMS struct {
	To   string // E.164: "+" then up to 15 digits, e.g. "+14155550123"
	Text string
}

// Texter sends text messages.
type Texter interface {
	SendSMS(ctx context.Context, s SMS) error
}

// ErrInvalidMessage is wrapped by the error a Mailer or Texter returns for a
// message it refuses before sending anything (bad recipient, CR or LF in a
// header). Retrying such a message is pointless.
var ErrInvalidMessage = errors.New("notify: invalid message")

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalidMessage, fmt.Sprintf(format, args...))
}

// parseRecipient checks m.To and returns it parsed.
func parseRecipient(to string) (*mail.Address, error) {
	if strings.ContainsAny(to, "\r\n") {
		return nil, invalid("recipient contains a line break")
	}
	addr, err := mail.ParseAddress(to)
	if err != nil {
		return nil, invalid("recipient %q: %v", to, err)
	}
	return addr, nil
}

func checkSubject(subject string) error {
	if strings.ContainsAny(subject, "\r\n") {
		return invalid("subject contains a line break")
	}
	return nil
}

// iTIPMethod is what a calendar method parameter may be: an iTIP
// method name (RFC 5546 1.4), upper-case letters only.
var iTIPMethod = regexp.MustCompile(`^[A-Z]{1,20}$`)

var e164 = regexp.MustCompile(`^\+[1-9][0-9]{1,14}$`)

func checkSMS(s SMS) error {
	if !e164.MatchString(s.To) {
		return invalid("SMS recipient %q is not an E.164 number", s.To)
	}
	return nil
}

// randomHex returns n random bytes in hex.
func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // never fails (crypto/rand panics instead)
	return hex.EncodeToString(b)
}

var hostname = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$`)

// messageIDDomain returns the domain of the From address, or a stand-in when
// it is not a plain ASCII host name (an IDN, an address literal).
func messageIDDomain(from *mail.Address) string {
	if i := strings.LastIndexByte(from.Address, '@'); i >= 0 {
		if d := from.Address[i+1:]; hostname.MatchString(d) {
			return d
		}
	}
	return "almanac.invalid"
}

// format renders m as an RFC 5322 message from from, with CRLF line endings
// and a quoted-printable text/plain body. It refuses (ErrInvalidMessage) a
// To or Subject that would break the header.
func format(m Message, from *mail.Address, now time.Time) (to *mail.Address, msg []byte, err error) {
	to, err = parseRecipient(m.To)
	if err != nil {
		return nil, nil, err
	}
	if err := checkSubject(m.Subject); err != nil {
		return nil, nil, err
	}
	var replyTo *mail.Address
	if m.ReplyTo != "" {
		if replyTo, err = parseRecipient(m.ReplyTo); err != nil {
			return nil, nil, err
		}
	}
	if m.Calendar != nil && !iTIPMethod.MatchString(m.CalendarMethod) {
		return nil, nil, invalid("calendar method %q", m.CalendarMethod)
	}

	var b bytes.Buffer
	header := func(name, value string) {
		b.WriteString(name)
		b.WriteString(": ")
		b.WriteString(value)
		b.WriteString("\r\n")
	}
	header("From", from.String())
	header("To", to.String())
	if replyTo != nil {
		header("Reply-To", replyTo.String())
	}
	header("Subject", fold(mime.QEncoding.Encode("utf-8", m.Subject), len("Subject: ")))
	header("Date", now.Format(time.RFC1123Z))
	header("Message-ID", "<"+randomHex(16)+"@"+messageIDDomain(from)+">")
	header("MIME-Version", "1.0")
	boundary := ""
	if m.Calendar != nil {
		// RFC 6047 2.4: the readable text and the calendar as
		// alternatives, so that a client without calendar support
		// shows the text.
		// RFC 3834: vacation responders and other robots do not
		// answer it, so an invitation cannot start a mail loop.
		header("Auto-Submitted", "auto-generated")
		boundary = "almanac-" + randomHex(12)
		header("Content-Type", `multipart/alternative; boundary="`+boundary+`"`)
		b.WriteString("\r\n--" + boundary + "\r\n")
	}
	header("Content-Type", "text/plain; charset=utf-8")
	header("Content-Transfer-Encoding", "quoted-printable")
	b.WriteString("\r\n")

	// One kind of line break, and a final one, whatever the caller wrote;
	// the quoted-printable writer emits each as CRLF.
	text := strings.ReplaceAll(m.Text, "\r\n", "\n")
	text = strings.ReplaceAll(text, "\r", "\n")
	if !strings.HasSuffix(text, "\n") {
		text += "\n"
	}
	qp := quotedprintable.NewWriter(&b)
	if _, err := qp.Write([]byte(text)); err != nil {
		return nil, nil, err
	}
	if err := qp.Close(); err != nil {
		return nil, nil, err
	}
	if m.Calendar != nil {
		b.WriteString("\r\n--" + boundary + "\r\n")
		header("Content-Type", "text/calendar; charset=utf-8; method="+m.CalendarMethod)
		// Base64 keeps the part 7-bit with short lines whatever the
		// calendar holds; its CRLFs stay the calendar's own.
		header("Content-Transfer-Encoding", "base64")
		b.WriteString("\r\n")
		enc := base64.StdEncoding.EncodeToString(m.Calendar)
		for len(enc) > 76 {
			b.WriteString(enc[:76] + "\r\n")
			enc = enc[76:]
		}
		b.WriteString(enc + "\r\n--" + boundary + "--\r\n")
	}
	return to, b.Bytes(), nil
}

// fold breaks a header value at spaces so that lines stay near 78
// characters; first is the length of the "Name: " before it. Between
// encoded-words the folding whitespace is ignored by readers, and in plain
// text unfolding gives back the single space.
func fold(value string, first int) string {
	const limit = 76
	words := strings.Split(value, " ")
	var b strings.Builder
	n := first
	for i, w := range words {
		if i > 0 {
			if n+1+len(w) > limit && n > 1 && w != "" {
				b.WriteString("\r\n ")
				n = 1
			} else {
				b.WriteByte(' ')
				n++
			}
		}
		b.WriteString(w)
		n += len(w)
	}
	return b.String()
}
