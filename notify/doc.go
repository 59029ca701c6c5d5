// Package notify sends the server's outbound messages: email (password
// resets, invitations, share notices) and SMS (one-time codes).
//
// Two implementations are provided:
//
//   - [NewSMTP] returns a [Mailer] that submits each message over its own
//     SMTP connection using net/smtp: STARTTLS (the default, port 587, and
//     refused outright if the server does not offer it: there is no
//     plaintext fallback), implicit TLS ("tls", port 465), or plain SMTP
//     ("none", meant for a relay on localhost and for tests). AUTH PLAIN is
//     used when a username is configured. Every call is bounded by the
//     context's deadline and by SMTPConfig.Timeout, so a silent or stalled
//     server cannot hang the caller.
//
//   - [NewOutbox] returns an [Outbox], a [Mailer] and [Texter] that writes
//     every message as a file into a directory (mail as RFC 5322 .eml, SMS as
//     .txt). It is the fallback when no mail server or SMS gateway is
//     configured, so a fresh machine works out of the box: the operator
//     opens the file (any mail client opens .eml) and follows the link or
//     reads the code. The directory is created 0700 and the files 0600
//     because the messages carry secrets.
//
// Both format email the same way: RFC 5322 headers with CRLF line
// endings, an RFC 2047 encoded Subject when it is not plain ASCII, a random
// Message-ID in the From address's domain, and a text/plain UTF-8 body in
// quoted-printable, so the message is 7-bit clean with short lines whatever
// the text. Header injection is impossible by construction: a To or Subject
// containing CR or LF, or a To that is not exactly one address, is refused
// with an error wrapping [ErrInvalidMessage] before anything is sent.
//
// Message bodies are never logged. They exist to carry a secret — a
// password-reset or invitation link, a one-time code — and logs are kept
// longer, copied further and read by more people than the mailbox the
// message was meant for. The outbox logs one line a message with the
// recipient, the subject and the file name; the body is only in the 0600
// file.
package notify
