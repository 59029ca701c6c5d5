package auth

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestPasswordProblem(t *testing.T) {
	const login = "jane.doe1234@example.com"
	for _, tc := range []struct {
		name, password, login, want string
	}{
		{"ok", "correct horse battery staple", login, ""},
		{"ok exactly 10", "k3jd7qam2x", login, ""},
		{"empty", "", login, problemTooShort},
		{"9 chars", "k3jd7qam2", login, problemTooShort},
		{"9 runes 18 bytes", "äöüäöüäöü", login, problemTooShort},
		{"10 runes 20 bytes", "äöüäöüäöüß", login, ""},
		{"9 emoji 36 bytes", strings.Repeat("🔑", 9), login, problemTooShort},
		{"10 emoji", strings.Repeat("🔑", 10), login, ""},
		{"CJK 10", "日本語のパスワードです", login, ""},
		{"at byte limit", strings.Repeat("a", MaxPasswordLen-1) + "b", login, ""},
		{"over byte limit", strings.Repeat("a", MaxPasswordLen) + "b", login, problemTooLong},
		{"login", "jane.doe1234@example.com", login, problemLogin},
		{"login other case", "Jane.Doe1234@EXAMPLE.com", login, problemLogin},
		{"local part", "jane.doe1234", login, problemLogin},
		{"local part other case", "JANE.DOE1234", login, problemLogin},
		{"login without @", "plainlogin1", "PlainLogin1", problemLogin},
		{"contains login is fine", "jane.doe1234 is me!", login, ""},
		{"empty login", "correct horse battery staple", "", ""},
		{"common", "password123", login, problemCommon},
		{"common upper", "PASSWORD123", login, problemCommon},
		{"common mixed", "QwErTyUiOp", login, problemCommon},
		{"common digits", "1234567890", login, problemCommon},
		{"common iloveyou12", "iloveyou12", login, problemCommon},
		{"common non-ASCII upper", "CONTRASEÑA", login, problemCommon},
		{"common with suffix is fine", "password123 and more", login, ""},
		{"short common reports length", "password", login, problemTooShort},
	} {
		if got := PasswordProblem(tc.password, tc.login); got != tc.want {
			t.Errorf("%s: PasswordProblem(%q, %q) = %q, want %q", tc.name, tc.password, tc.login, got, tc.want)
		}
	}
}

func TestPasswordProblem_GeneratedPasswordsPass(t *testing.T) {
	for range 20 {
		pw, _, _ := NewAppPassword()
		if p := PasswordProblem(pw, "jane@example.com"); p != "" {
			t.Errorf("app password %q refused: %s", pw, p)
		}
		if p := PasswordProblem(GeneratePassword(), "jane@example.com"); p != "" {
			t.Errorf("generated password refused: %s", p)
		}
	}
}

func TestCommonPasswordList(t *testing.T) {
	lines := strings.Split(strings.TrimSpace(commonPasswordList), "\n")
	if len(lines) < 150 || len(lines) > 400 {
		t.Errorf("list has %d entries", len(lines))
	}
	if len(commonPasswords) != len(lines) {
		t.Errorf("%d lines but %d distinct entries", len(lines), len(commonPasswords))
	}
	for _, p := range lines {
		switch {
		case p != strings.TrimSpace(p) || p == "":
			t.Errorf("entry %q has surrounding space", p)
		case p != strings.ToLower(p):
			t.Errorf("entry %q is not lower case", p)
		case utf8.RuneCountInString(p) < MinPasswordLen:
			t.Errorf("entry %q is shorter than %d", p, MinPasswordLen)
		case PasswordProblem(p, "x@example.com") != problemCommon:
			t.Errorf("entry %q not refused as common", p)
		}
	}
}
