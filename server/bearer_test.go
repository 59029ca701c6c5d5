package server

import (
	"strings"
	"testing"
)

func TestBearerToken_RFC6750_2_1(t *testing.T) {
	const tok = "mF_9.B5f-4.1JqM+/~="
	for _, tc := range []struct {
		name   string
		values []string
		want   string // "" for refused
	}{
		{"plain", []string{"Bearer " + tok}, tok},
		{"scheme in any case", []string{"bEaReR " + tok}, tok},
		{"spaces around", []string{"  Bearer   " + tok + " \t"}, tok},
		{"padding", []string{"Bearer abc=="}, "abc=="},
		{"no header", nil, ""},
		{"two headers", []string{"Bearer " + tok, "Bearer " + tok}, ""},
		{"empty", []string{""}, ""},
		{"scheme only", []string{"Bearer"}, ""},
		{"scheme and space", []string{"Bearer "}, ""},
		{"basic", []string{"Basic dXNlcjpwYXNz"}, ""},
		{"other scheme with the name inside", []string{"XBearer " + tok}, ""},
		{"padding only", []string{"Bearer =="}, ""},
		{"padding inside", []string{"Bearer ab=c"}, ""},
		{"space inside", []string{"Bearer ab c"}, ""},
		{"comma", []string{"Bearer ab,c"}, ""},
		{"quote", []string{`Bearer "abc"`}, ""},
		{"control character", []string{"Bearer ab\x00c"}, ""},
		{"non-ASCII", []string{"Bearer abcé"}, ""},
		{"tab separator", []string{"Bearer\t" + tok}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := bearerToken(tc.values)
			if tc.want == "" {
				if err == nil {
					t.Errorf("accepted %q as %q", tc.values, got)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Errorf("%q: %q %v, want %q", tc.values, got, err, tc.want)
			}
		})
	}
}

func TestCheckMetricsToken(t *testing.T) {
	for _, tc := range []struct {
		token, problem string
	}{
		{"0123456789abcdef", ""},
		{"bm90IGEgcmVhbCB0b2tlbiBidXQgbG9uZw==", ""},
		{"0123456789abcde", "shorter than 16"},
		{"", "shorter than 16"},
		{"0123456789 abcdef", "cannot carry"},
		{"0123456789abcdef\n", "cannot carry"},
		{"=0123456789abcdef", "cannot carry"},
	} {
		err := CheckMetricsToken(tc.token)
		switch {
		case tc.problem == "" && err != nil:
			t.Errorf("%q refused: %v", tc.token, err)
		case tc.problem != "" && (err == nil || !strings.Contains(err.Error(), tc.problem)):
			t.Errorf("%q: %v, want %q", tc.token, err, tc.problem)
		}
	}
}

// FuzzBearerToken: whatever the header, a token is returned only when it
// has the token68 syntax and is what the header carries after the scheme.
func FuzzBearerToken(f *testing.F) {
	for _, s := range []string{"Bearer abc", "bearer a=", "Basic x", "Bearer  a b", "Bearer", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, h string) {
		tok, err := bearerToken([]string{h})
		if err != nil {
			return
		}
		if !isToken68(tok) || !strings.Contains(h, tok) || strings.ContainsAny(tok, " \t\r\n") {
			t.Fatalf("%q gave token %q", h, tok)
		}
		if scheme, _, _ := strings.Cut(strings.TrimLeft(h, " \t"), " "); !strings.EqualFold(scheme, "Bearer") {
			t.Fatalf("%q: scheme %q accepted", h, scheme)
		}
	})
}
