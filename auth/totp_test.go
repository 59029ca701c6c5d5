package auth

import (
	"encoding/base32"
	"net/url"
	"strings"
	"testing"
	"time"
)

// rfcSecret is the RFC 4226/6238 SHA1 test key, ASCII "12345678901234567890",
// in base32.
var rfcSecret = base32.StdEncoding.EncodeToString([]byte("12345678901234567890"))

func TestTOTP_RFCSecretEncoding(t *testing.T) {
	if rfcSecret != "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ" {
		t.Fatalf("rfcSecret = %q", rfcSecret)
	}
}

// RFC 4226 appendix D: HOTP values for counters 0..9.
func TestTOTP_HOTPVectors(t *testing.T) {
	want := []string{"755224", "287082", "359152", "969429", "338314",
		"254676", "287922", "162583", "399871", "520489"}
	key := []byte("12345678901234567890")
	for c, w := range want {
		if got := hotp(key, uint64(c), 6); got != w {
			t.Errorf("hotp(counter %d) = %s, want %s", c, got, w)
		}
	}
}

// RFC 6238 appendix B, SHA1 rows: 8-digit values from the HOTP core, and
// our 6-digit codes must be their last six digits.
func TestTOTP_RFC6238Vectors(t *testing.T) {
	key := []byte("12345678901234567890")
	for _, tc := range []struct {
		unix int64
		step int64
		code string
	}{
		{59, 0x1, "94287082"},
		{1111111109, 0x23523EC, "07081804"},
		{1111111111, 0x23523ED, "14050471"},
		{1234567890, 0x273EF07, "89005924"},
		{2000000000, 0x3F940AA, "69279037"},
		{20000000000, 0x27BC86AA, "65353130"},
	} {
		at := time.Unix(tc.unix, 0)
		if s := totpStep(at); s != tc.step {
			t.Errorf("totpStep(%d) = %#x, want %#x", tc.unix, s, tc.step)
		}
		if got := hotp(key, uint64(tc.step), 8); got != tc.code {
			t.Errorf("8-digit code at %d = %s, want %s", tc.unix, got, tc.code)
		}
		six := tc.code[2:]
		if got := TOTPCode(rfcSecret, at); got != six {
			t.Errorf("TOTPCode at %d = %s, want %s", tc.unix, got, six)
		}
		step, ok := VerifyTOTP(rfcSecret, six, at, 0)
		if !ok || step != tc.step {
			t.Errorf("VerifyTOTP(%s at %d) = %d, %v; want %d, true", six, tc.unix, step, ok, tc.step)
		}
	}
}

func TestTOTP_StepFloorsBeforeEpoch(t *testing.T) {
	for _, tc := range []struct{ unix, step int64 }{
		{0, 0}, {29, 0}, {30, 1}, {-1, -1}, {-30, -1}, {-31, -2},
	} {
		if s := totpStep(time.Unix(tc.unix, 0)); s != tc.step {
			t.Errorf("totpStep(%d) = %d, want %d", tc.unix, s, tc.step)
		}
	}
	if c := TOTPCode(rfcSecret, time.Unix(-1, 0)); c != "" {
		t.Errorf("TOTPCode before 1970 = %q, want \"\"", c)
	}
	if _, ok := VerifyTOTP(rfcSecret, TOTPCode(rfcSecret, time.Unix(0, 0)), time.Unix(-100, 0), -10); ok {
		t.Error("VerifyTOTP accepted a code before 1970")
	}
}

func TestTOTP_Window(t *testing.T) {
	now := time.Unix(1111111111, 0)
	cur := totpStep(now)
	codes := map[int64]string{}
	for d := int64(-2); d <= 2; d++ {
		codes[cur+d] = TOTPCode(rfcSecret, time.Unix((cur+d)*totpPeriod, 0))
	}
	seen := map[string]int64{}
	for s, c := range codes {
		if o, dup := seen[c]; dup {
			t.Fatalf("steps %d and %d share code %s; pick another time", s, o, c)
		}
		seen[c] = s
	}
	for d := int64(-1); d <= 1; d++ {
		step, ok := VerifyTOTP(rfcSecret, codes[cur+d], now, 0)
		if !ok || step != cur+d {
			t.Errorf("step now%+d: got %d, %v; want %d, true", d, step, ok, cur+d)
		}
	}
	for _, d := range []int64{-2, 2} {
		if step, ok := VerifyTOTP(rfcSecret, codes[cur+d], now, 0); ok {
			t.Errorf("step now%+d accepted (matched %d)", d, step)
		}
	}
	// The window is about steps, not seconds: at the last second of a step
	// the next step's code is still within it, two steps ahead is not.
	end := time.Unix((cur+1)*totpPeriod-1, 0)
	if _, ok := VerifyTOTP(rfcSecret, codes[cur+1], end, 0); !ok {
		t.Error("next step refused at the end of the current one")
	}
	if _, ok := VerifyTOTP(rfcSecret, codes[cur+2], end, 0); ok {
		t.Error("step +2 accepted at the end of the current one")
	}
}

func TestTOTP_Replay(t *testing.T) {
	now := time.Unix(1234567890, 0)
	cur := totpStep(now)
	code := TOTPCode(rfcSecret, now)
	step, ok := VerifyTOTP(rfcSecret, code, now, 0)
	if !ok || step != cur {
		t.Fatalf("first use: %d, %v", step, ok)
	}
	// The same code again, even a few seconds later, is refused.
	if _, ok := VerifyTOTP(rfcSecret, code, now.Add(5*time.Second), step); ok {
		t.Error("replayed code accepted")
	}
	// An older code within the window is refused after a newer one was used.
	prev := TOTPCode(rfcSecret, now.Add(-totpPeriod*time.Second))
	if _, ok := VerifyTOTP(rfcSecret, prev, now, step); ok {
		t.Error("code older than lastStep accepted")
	}
	// The next step's code is fine.
	next := TOTPCode(rfcSecret, now.Add(totpPeriod*time.Second))
	if s, ok := VerifyTOTP(rfcSecret, next, now.Add(totpPeriod*time.Second), step); !ok || s != cur+1 {
		t.Errorf("next code: %d, %v; want %d, true", s, ok, cur+1)
	}
	// lastStep in the future (clock went back) refuses everything up to it.
	if _, ok := VerifyTOTP(rfcSecret, code, now, cur+5); ok {
		t.Error("code accepted with lastStep ahead of it")
	}
}

func TestTOTP_CodeInput(t *testing.T) {
	now := time.Unix(1111111111, 0)
	code := TOTPCode(rfcSecret, now) // "050471"
	if code != "050471" {
		t.Fatalf("code = %s", code)
	}
	for _, in := range []string{"050471", "050 471", " 050471 ", "0 5 0 4 7 1", "050   471"} {
		if _, ok := VerifyTOTP(rfcSecret, in, now, 0); !ok {
			t.Errorf("%q refused", in)
		}
	}
	for _, in := range []string{
		"", "      ", "50471", "0504711", "00050471", "05047a", "050-471",
		"050\t471", "+50471", "-50471", "０５０４７１", "050471\n", "05o471",
		"050471\x00", strings.Repeat(" ", 100) + "050471",
	} {
		if _, ok := VerifyTOTP(rfcSecret, in, now, 0); ok {
			t.Errorf("%q accepted", in)
		}
	}
}

func TestTOTP_SecretInput(t *testing.T) {
	now := time.Unix(1111111111, 0)
	const code = "050471"
	for _, s := range []string{
		rfcSecret,
		strings.ToLower(rfcSecret),
		"GEZD GNBV GY3T QOJQ GEZD GNBV GY3T QOJQ",
		"GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ====",
	} {
		if _, ok := VerifyTOTP(s, code, now, 0); !ok {
			t.Errorf("secret %q refused", s)
		}
	}
	// 128 bits is the floor (RFC 4226 R6).
	if TOTPCode(base32.StdEncoding.EncodeToString(make([]byte, 16)), now) == "" {
		t.Error("128-bit secret refused")
	}
	if TOTPCode(base32.StdEncoding.EncodeToString(make([]byte, 15)), now) != "" {
		t.Error("120-bit secret accepted")
	}
	// A padded secret (length not a multiple of 40 bits) decodes too.
	padded := base32.StdEncoding.EncodeToString([]byte("0123456789abcdefg")) // 17 bytes
	if !strings.HasSuffix(padded, "=") {
		t.Fatalf("test secret %q has no padding", padded)
	}
	if TOTPCode(padded, now) == "" || TOTPCode(strings.TrimRight(padded, "="), now) != TOTPCode(padded, now) {
		t.Error("padded and unpadded secrets differ")
	}
	for _, s := range []string{
		"", "GEZDGNBV", // 40 bits
		"GEZDGNBVGY3TQOJQ",                 // 80 bits, valid base32: below the 128-bit floor
		"GEZDGNBVGY3TQOJQGEZDGNB",          // 112 bits
		"GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJ1", // '1' is not base32
		"GEZDGNBVGY3TQOJQ\nGEZDGNBVGY3TQOJQ", "GEZDGNBVGY3TQOJQ-GEZDGNBVGY3TQOJQ",
		strings.Repeat("A", 1000),
	} {
		if _, ok := VerifyTOTP(s, code, now, 0); ok {
			t.Errorf("secret %q accepted", s)
		}
		if c := TOTPCode(s, now); c != "" {
			t.Errorf("TOTPCode(%q) = %q, want \"\"", s, c)
		}
	}
}

func TestNewTOTPSecret(t *testing.T) {
	seen := map[string]bool{}
	for range 50 {
		s := NewTOTPSecret()
		if len(s) != 32 || strings.ContainsAny(s, "=") {
			t.Fatalf("secret %q: want 32 base32 chars without padding", s)
		}
		key, err := base32.StdEncoding.DecodeString(s)
		if err != nil || len(key) != 20 {
			t.Fatalf("secret %q decodes to %d bytes, %v", s, len(key), err)
		}
		if seen[s] {
			t.Fatalf("duplicate secret %q", s)
		}
		seen[s] = true
		now := time.Now()
		if _, ok := VerifyTOTP(s, TOTPCode(s, now), now, 0); !ok {
			t.Fatalf("round trip failed for %q", s)
		}
	}
}

func TestTOTPURI(t *testing.T) {
	secret := "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
	uri := TOTPURI("Almanac Cal", "jane doe@example.com", secret)
	want := "otpauth://totp/Almanac%20Cal:jane%20doe@example.com?secret=" + secret +
		"&issuer=Almanac%20Cal&algorithm=SHA1&digits=6&period=30"
	if uri != want {
		t.Errorf("TOTPURI =\n%s\nwant\n%s", uri, want)
	}
	u, err := url.Parse(uri)
	if err != nil {
		t.Fatal(err)
	}
	if u.Scheme != "otpauth" || u.Host != "totp" || u.Path != "/Almanac Cal:jane doe@example.com" || u.User != nil {
		t.Errorf("parsed: scheme %q host %q path %q user %v", u.Scheme, u.Host, u.Path, u.User)
	}
	q := u.Query()
	for k, v := range map[string]string{
		"secret": secret, "issuer": "Almanac Cal", "algorithm": "SHA1", "digits": "6", "period": "30",
	} {
		if got := q[k]; len(got) != 1 || got[0] != v {
			t.Errorf("param %s = %q, want %q", k, got, v)
		}
	}
	if len(q) != 5 {
		t.Errorf("params %v", q)
	}
	if strings.Contains(uri, "+") {
		t.Errorf("spaces encoded as '+': %s", uri)
	}
}

func TestTOTPURI_Escaping(t *testing.T) {
	issuer := "A&B #1? 100%/x+y"
	account := "jö+tag@example.com"
	uri := TOTPURI(issuer, account, "gezdgnbv gy3tqojq gezdgnbv gy3tqojq")
	u, err := url.Parse(uri)
	if err != nil {
		t.Fatal(err)
	}
	if u.Fragment != "" || u.Host != "totp" {
		t.Errorf("fragment %q host %q", u.Fragment, u.Host)
	}
	if label := strings.TrimPrefix(u.Path, "/"); label != issuer+":"+account {
		t.Errorf("label %q", label)
	}
	q := u.Query()
	if q.Get("issuer") != issuer || q.Get("secret") != "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ" {
		t.Errorf("query %v", q)
	}

	// A colon inside issuer or account cannot be mistaken for the separator.
	uri = TOTPURI("a:b", "c:d@example.com", rfcSecret)
	if !strings.HasPrefix(uri, "otpauth://totp/a%3Ab:c%3Ad@example.com?") {
		t.Errorf("colon not escaped: %s", uri)
	}

	// No issuer: label is the account alone, no issuer parameter.
	uri = TOTPURI("", "jane@example.com", rfcSecret)
	u, err = url.Parse(uri)
	if err != nil {
		t.Fatal(err)
	}
	if u.Path != "/jane@example.com" || u.Query().Has("issuer") {
		t.Errorf("no-issuer URI %s", uri)
	}
}

func FuzzVerifyTOTP(f *testing.F) {
	f.Add(rfcSecret, "287082", int64(59), int64(0))
	f.Add(rfcSecret, "050 471", int64(1111111111), int64(-1))
	f.Add("gezdgnbvgy3tqojq", "123456", int64(-45), int64(-9))
	f.Add("", "", int64(0), int64(0))
	f.Add("=====", "１２３４５６", int64(1<<62), int64(-1<<63))
	f.Fuzz(func(t *testing.T, secret, code string, unix, lastStep int64) {
		now := time.Unix(unix, 0)
		step, ok := VerifyTOTP(secret, code, now, lastStep)
		if !ok {
			return
		}
		cur := totpStep(now)
		if step < cur-1 || step > cur+1 || step <= lastStep || step < 0 {
			t.Fatalf("matched step %d outside window around %d or <= lastStep %d", step, cur, lastStep)
		}
		norm, _ := totpNormaliseCode(code)
		if got := TOTPCode(secret, time.Unix(step*totpPeriod, 0)); got != string(norm) {
			t.Fatalf("matched step %d has code %s, input %q", step, got, code)
		}
	})
}
