package notify

import (
	"context"
	"fmt"
	"log/slog"
	"net/mail"
	"os"
	"path/filepath"
	"time"
)

// Outbox is a Mailer and Texter that writes each message as a file into a
// directory instead of sending it: mail as an RFC 5322 .eml file, SMS as a
// .txt file, named by time and a random suffix. It logs one line a message
// with the recipient, the subject and the file, never the body. It is safe
// for concurrent use.
type Outbox struct {
	dir    string
	logger *slog.Logger
	// From is the From header of the .eml files; NewOutbox sets
	// "Almanac <almanac@localhost>".
	From string
}

var (
	_ Mailer = (*Outbox)(nil)
	_ Texter = (*Outbox)(nil)
)

// NewOutbox returns an Outbox writing into dir, which is created (0700) when
// the first message is written. A nil logger means slog.Default().
func NewOutbox(dir string, logger *slog.Logger) *Outbox {
	if logger == nil {
		logger = slog.Default()
	}
	return &Outbox{dir: dir, logger: logger, From: "Almanac <almanac@localhost>"}
}

// Dir returns the directory the outbox writes into.
func (o *Outbox) Dir() string { return o.dir }

// Send writes m as an .eml file.
func (o *Outbox) Send(ctx context.Context, m Message) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("notify: outbox: %w", err)
	}
	from, err := mail.ParseAddress(o.From)
	if err != nil {
		return fmt.Errorf("notify: outbox: invalid From %q: %v", o.From, err)
	}
	now := time.Now()
	to, msg, err := format(m, from, now)
	if err != nil {
		return err
	}
	path, err := o.write(now, ".eml", msg)
	if err != nil {
		return err
	}
	o.logger.InfoContext(ctx, "outbox: mail written", "to", to.Address, "subject", m.Subject, "file", path)
	return nil
}

// SendSMS writes s as a .txt file: a To and a Date line, a blank line, and
// the text.
func (o *Outbox) SendSMS(ctx context.Context, s SMS) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("notify: outbox: %w", err)
	}
	if err := checkSMS(s); err != nil {
		return err
	}
	now := time.Now()
	body := fmt.Sprintf("To: %s\nDate: %s\n\n%s\n", s.To, now.Format(time.RFC3339), s.Text)
	path, err := o.write(now, ".txt", []byte(body))
	if err != nil {
		return err
	}
	o.logger.InfoContext(ctx, "outbox: SMS written", "to", s.To, "file", path)
	return nil
}

// write stores data under a fresh name: it writes a hidden temporary file
// and renames it, so a reader watching the directory never sees half a
// message.
func (o *Outbox) write(now time.Time, ext string, data []byte) (string, error) {
	if err := os.MkdirAll(o.dir, 0o700); err != nil {
		return "", fmt.Errorf("notify: outbox: %w", err)
	}
	name := now.UTC().Format("20060102T150405.000000000Z") + "-" + randomHex(4) + ext
	final := filepath.Join(o.dir, name)
	tmp := filepath.Join(o.dir, "."+name+".tmp")
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return "", fmt.Errorf("notify: outbox: %w", err)
	}
	_, werr := f.Write(data)
	serr := f.Sync()
	cerr := f.Close()
	if err := firstErr(werr, serr, cerr); err != nil {
		os.Remove(tmp)
		return "", fmt.Errorf("notify: outbox: %w", err)
	}
	if err := os.Rename(tmp, final); err != nil {
		os.Remove(tmp)
		return "", fmt.Errorf("notify: outbox: %w", err)
	}
	return final, nil
}

func firstErr(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
