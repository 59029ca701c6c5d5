package auth

import (
	"errors"
	"net/mail"
	"strings"
)

// ValidateLogin checks that a login ID is a plain email address
// (addr-spec of RFC 5322 3.4.1, no display name) with a domain part,
// and at most 254 octets (RFC 5321 4.5.3.1.3 path limit less brackets).
func ValidateLogin(login string) error {
	if login == "" {
		return errors.New("login is empty")
	}
	if len(login) > 254 {
		return errors.New("login is longer than 254 characters")
	}
	a, err := mail.ParseAddress(login)
	if err != nil || a.Address != login || a.Name != "" {
		return errors.New("login must be an email address such as jane@example.com")
	}
	at := strings.LastIndexByte(login, '@')
	if at <= 0 || at == len(login)-1 {
		return errors.New("login must be an email address such as jane@example.com")
	}
	return nil
}
