package auth

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha1"
	"crypto/subtle"
	"encoding/base32"
	"encoding/binary"
	"net/url"
	"strings"
	"time"
)

// TOTP (RFC 6238) parameters. These are the defaults every authenticator
// app implements (Google Authenticator ignores anything else), so they are
// fixed rather than configurable.
const (
	totpDigits     = 6
	totpPeriod     = 30 // seconds
	totpSecretLen  = 20 // bytes: 160 bits, RFC 4226 section 4 recommendation
	totpMinKeyLen  = 16 // bytes: RFC 4226 R6, "at least 128 bits"
	totpMaxSecret  = 256
	totpMaxCodeLen = 64
)

// totpEncoding is RFC 4648 base32 without padding, as the Key Uri Format
// wants it.
var totpEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// NewTOTPSecret returns a random 160-bit secret, base32 without padding
// (32 upper-case characters).
func NewTOTPSecret() string {
	var key [totpSecretLen]byte
	rand.Read(key[:]) // never fails since Go 1.24
	return totpEncoding.EncodeToString(key[:])
}

// TOTPURI is the otpauth:// URI authenticator apps read from a QR code
// (Key Uri Format: otpauth://totp/{issuer}:{account}?secret=...&issuer=...
// &algorithm=SHA1&digits=6&period=30), properly escaped.
//
// Issuer and account are percent-encoded in the label, spaces as %20 in
// both label and query (some apps show a literal '+' otherwise). A colon
// inside either is encoded as %3A so the separator stays unambiguous,
// though the format says neither should contain one. With an empty issuer
// the label is the account alone and the issuer parameter is left out.
func TOTPURI(issuer, account, secret string) string {
	var b strings.Builder
	b.WriteString("otpauth://totp/")
	if issuer != "" {
		b.WriteString(totpLabelEscape(issuer))
		b.WriteByte(':')
	}
	b.WriteString(totpLabelEscape(account))
	b.WriteString("?secret=")
	b.WriteString(totpQueryEscape(totpNormaliseSecret(secret)))
	if issuer != "" {
		b.WriteString("&issuer=")
		b.WriteString(totpQueryEscape(issuer))
	}
	b.WriteString("&algorithm=SHA1&digits=6&period=30")
	return b.String()
}

func totpLabelEscape(s string) string {
	return strings.ReplaceAll(url.PathEscape(s), ":", "%3A")
}

// totpQueryEscape is url.QueryEscape with spaces as %20. QueryEscape
// encodes a literal '+' as %2B, so every '+' left is a space.
func totpQueryEscape(s string) string {
	return strings.ReplaceAll(url.QueryEscape(s), "+", "%20")
}

// VerifyTOTP checks code against secret at now, accepting the steps now-1,
// now and now+1 (clock drift), and refusing any step <= lastStep (a code
// is usable once). It returns the matched step, which the caller stores as
// the new lastStep; an account that has never used a code passes 0 (step 0
// is the first 30 seconds of 1970).
//
// Spaces in code are ignored ("123 456"); anything else but exactly six
// ASCII digits is refused, as is a secret that is not base32 (upper or
// lower case, padding optional) of at least 128 bits. Every candidate
// step's code is computed and compared in constant time.
func VerifyTOTP(secret, code string, now time.Time, lastStep int64) (step int64, ok bool) {
	got, valid := totpNormaliseCode(code)
	if !valid {
		return 0, false
	}
	key, valid := totpDecodeSecret(secret)
	if !valid {
		return 0, false
	}
	cur := totpStep(now)
	matched := int64(-1)
	for s := cur - 1; s <= cur+1; s++ {
		if s < 0 {
			continue // before 1970: no such counter
		}
		want := hotp(key, uint64(s), totpDigits)
		eq := subtle.ConstantTimeCompare([]byte(want), got) == 1
		if eq && s > lastStep && matched < 0 {
			matched = s
		}
	}
	if matched < 0 {
		return 0, false
	}
	return matched, true
}

// TOTPCode returns the six-digit code of secret at t, or "" if secret is
// not a valid TOTP secret or t is before 1970.
func TOTPCode(secret string, t time.Time) string {
	key, ok := totpDecodeSecret(secret)
	if !ok {
		return ""
	}
	s := totpStep(t)
	if s < 0 {
		return ""
	}
	return hotp(key, uint64(s), totpDigits)
}

// totpStep is RFC 6238's T = floor((unix - T0) / X) with T0 = 0, X = 30,
// rounding down for times before 1970 too.
func totpStep(t time.Time) int64 {
	u := t.Unix()
	s := u / totpPeriod
	if u%totpPeriod < 0 {
		s--
	}
	return s
}

// hotp is RFC 4226 section 5.3: HMAC-SHA1 of the big-endian counter,
// dynamic truncation, then the low digits in decimal, zero-padded.
func hotp(key []byte, counter uint64, digits int) string {
	mac := hmac.New(sha1.New, key)
	var msg [8]byte
	binary.BigEndian.PutUint64(msg[:], counter)
	mac.Write(msg[:])
	sum := mac.Sum(nil)
	off := sum[len(sum)-1] & 0x0f
	v := binary.BigEndian.Uint32(sum[off:off+4]) & 0x7fffffff
	out := make([]byte, digits)
	for i := digits - 1; i >= 0; i-- {
		out[i] = byte('0' + v%10)
		v /= 10
	}
	return string(out)
}

// totpNormaliseCode drops spaces and requires exactly six ASCII digits.
func totpNormaliseCode(code string) ([]byte, bool) {
	if len(code) > totpMaxCodeLen {
		return nil, false
	}
	out := make([]byte, 0, totpDigits)
	for i := 0; i < len(code); i++ {
		c := code[i]
		switch {
		case c == ' ':
		case c >= '0' && c <= '9':
			if len(out) == totpDigits {
				return nil, false
			}
			out = append(out, c)
		default:
			return nil, false
		}
	}
	return out, len(out) == totpDigits
}

// totpNormaliseSecret upper-cases ASCII letters and drops spaces and '='
// padding, so secrets typed by hand or grouped for display still decode.
func totpNormaliseSecret(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == ' ' || c == '=':
		case c >= 'a' && c <= 'z':
			b.WriteByte(c - 'a' + 'A')
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// totpDecodeSecret decodes a base32 secret strictly: only A-Z and 2-7
// after normalising (the base32 decoder itself skips CR and LF), and at
// least 128 bits.
func totpDecodeSecret(secret string) ([]byte, bool) {
	if len(secret) > totpMaxSecret {
		return nil, false
	}
	s := totpNormaliseSecret(secret)
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'A' && c <= 'Z') && !(c >= '2' && c <= '7') {
			return nil, false
		}
	}
	key, err := totpEncoding.DecodeString(s)
	if err != nil || len(key) < totpMinKeyLen {
		return nil, false
	}
	return key, true
}
