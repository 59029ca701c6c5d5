package main

import (
	"io"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestCanonicalArgs: what the CLI sends the server is the command line
// as the CLI parsed it, every setting explicit (environment fallbacks
// and defaults resolved here, file names absolute), and the server,
// reading it without any environment, settles on the same values.
func TestCanonicalArgs(t *testing.T) {
	work := t.TempDir()
	t.Chdir(work)
	t.Setenv("ALMANAC_DATA", "elsewhere")
	t.Setenv("ALMANAC_DOVECOT_PASSWD", "passwd")
	abs := func(p string) string { return filepath.Join(work, p) }
	for _, tc := range []struct {
		name string
		args []string
		want []string
	}{
		{"user add", []string{"user add", "-handle", "jane", "-admin", "jane@example.com"},
			[]string{"-handle=jane", "-admin=true", "--", "jane@example.com"}},
		{"user add defaults", []string{"user add", "jane@example.com"},
			[]string{"-handle=", "-admin=", "--", "jane@example.com"}},
		{"admin false", []string{"user add", "-admin=false", "jane@example.com"},
			[]string{"-handle=", "-admin=false", "--", "jane@example.com"}},
		{"admin 1", []string{"user add", "-admin=1", "jane@example.com"},
			[]string{"-handle=", "-admin=1", "--", "jane@example.com"}},
		{"environment and relative paths", []string{"mail export", "-postfix-virtual", "./virtual"},
			[]string{"-dovecot-passwd=" + abs("passwd"), "-postfix-virtual=" + abs("virtual"), "-sieve-dir=", "--"}},
		{"argument like a flag", []string{"mail org", "-owner", "ann@example.com", "--", "-h"},
			[]string{"-owner=ann@example.com", "--", "-h"}},
		{"no settings", []string{"user list"}, []string{"--"}},
		{"two arguments", []string{"user admin", "ann@example.com", "on"}, []string{"--", "ann@example.com", "on"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cmd := dbCommands[tc.args[0]]
			c := newCmdline(cmd.name, io.Discard)
			c.dataDir()
			cmd.define(c)
			if err := c.parse(tc.args[1:], cmd.minArgs, cmd.maxArgs); err != nil {
				t.Fatal(err)
			}
			got := c.canonical("data")
			if !slices.Equal(got, tc.want) {
				t.Fatalf("canonical %q, want %q", got, tc.want)
			}
			// As the server reads it: no -data, no environment.
			s := newCmdline(cmd.name, io.Discard)
			s.getenv = func(string) string { return "" }
			cmd.define(s)
			if err := s.parse(got, cmd.minArgs, cmd.maxArgs); err != nil {
				t.Fatalf("the server cannot parse %q: %v", got, err)
			}
			if again := s.canonical(); !slices.Equal(again, got) {
				t.Fatalf("the server settles on %q, the CLI on %q", again, got)
			}
			if strings.Contains(strings.Join(got, " "), "elsewhere") {
				t.Errorf("-data is sent: %q", got)
			}
		})
	}
}
