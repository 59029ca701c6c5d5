package interop

import (
	"fmt"
	"reflect"
	"regexp"
	"strings"
	"testing"
)

// This file reads README.md the way TestREADME runs it; the rules are
// written down at the top of readme_test.go.

// readmeBlock is one fenced code block of the README.
type readmeBlock struct {
	Line  int    // line of the opening fence, 1-based
	Info  string // the fence's info string: "sh", "sh norun", "ini", ...
	Lines []string
}

// readmeStep is one command of a ```sh block and the output shown under
// it.
type readmeStep struct {
	Line int    // README line of the command's first line
	Cmd  string // the command as written, continuation lines and here-documents included
	Want []string
}

// readmeBlocks returns the fenced code blocks of a Markdown text.
func readmeBlocks(text string) ([]readmeBlock, error) {
	var blocks []readmeBlock
	var cur *readmeBlock
	for i, line := range strings.Split(text, "\n") {
		if !strings.HasPrefix(line, "```") {
			if cur != nil {
				cur.Lines = append(cur.Lines, line)
			}
			continue
		}
		if cur == nil {
			cur = &readmeBlock{Line: i + 1, Info: strings.TrimSpace(strings.TrimPrefix(line, "```"))}
			continue
		}
		if strings.TrimSpace(line) != "```" {
			return nil, fmt.Errorf("README.md:%d: a fence opens inside the block of line %d", i+1, cur.Line)
		}
		blocks = append(blocks, *cur)
		cur = nil
	}
	if cur != nil {
		return nil, fmt.Errorf("README.md:%d: the block is not closed", cur.Line)
	}
	return blocks, nil
}

// heredocStart finds a here-document's delimiter in a command line
// (<<EOF, <<'EOF', <<-"EOF"); dash reports the <<- form, whose
// terminator may be indented with tabs.
var heredocStart = regexp.MustCompile(`<<(-?)\s*(?:'([A-Za-z_][A-Za-z0-9_]*)'|"([A-Za-z_][A-Za-z0-9_]*)"|([A-Za-z_][A-Za-z0-9_]*))`)

// readmeSteps splits a ```sh block into commands. A command is a line
// with the lines a trailing backslash joins to it and, when it opens a
// here-document, the lines up to its terminator. Comment lines right
// under a command (no blank line between) show its output; other
// comments are prose.
func readmeSteps(b readmeBlock) ([]readmeStep, error) {
	var steps []readmeStep
	lines := b.Lines
	afterCmd := false
	for i := 0; i < len(lines); i++ {
		line := lines[i]
		trimmed := strings.TrimSpace(line)
		switch {
		case trimmed == "":
			afterCmd = false
			continue
		case strings.HasPrefix(trimmed, "#"):
			if afterCmd {
				w := strings.TrimPrefix(trimmed, "#")
				steps[len(steps)-1].Want = append(steps[len(steps)-1].Want, strings.TrimPrefix(w, " "))
			}
			continue
		}
		st := readmeStep{Line: b.Line + 1 + i}
		cmd := []string{line}
		for strings.HasSuffix(line, `\`) {
			i++
			if i == len(lines) {
				return nil, fmt.Errorf("README.md:%d: the block ends inside a continued line", st.Line)
			}
			line = lines[i]
			cmd = append(cmd, line)
		}
		// "<<<" is a here-string, which ends on its own line.
		for _, m := range heredocStart.FindAllStringSubmatch(strings.ReplaceAll(strings.Join(cmd, "\n"), "<<<", ""), -1) {
			delim := m[2] + m[3] + m[4]
			for {
				i++
				if i == len(lines) {
					return nil, fmt.Errorf("README.md:%d: the here-document %s is not closed", st.Line, delim)
				}
				cmd = append(cmd, lines[i])
				if lines[i] == delim || m[1] == "-" && strings.TrimLeft(lines[i], "\t") == delim {
					break
				}
			}
		}
		st.Cmd = strings.Join(cmd, "\n")
		steps = append(steps, st)
		afterCmd = true
	}
	return steps, nil
}

// matchShown checks that each shown output line appears in out, in
// order, each within one line of out, with "…" standing for anything
// (but a line break). It returns the first shown line not found, or -1.
func matchShown(out string, want []string) int {
	pos := 0
	for i, w := range want {
		w = strings.TrimSpace(w)
		if w == "" {
			continue
		}
		loc := shownPattern(w).FindStringIndex(out[pos:])
		if loc == nil {
			return i
		}
		pos += loc[1]
	}
	return -1
}

// shownPattern is the regular expression of one shown line.
func shownPattern(w string) *regexp.Regexp {
	parts := strings.Split(w, "…")
	for i, p := range parts {
		parts[i] = regexp.QuoteMeta(p)
	}
	return regexp.MustCompile(strings.Join(parts, `[^\n]*?`))
}

func TestReadmeBlocks(t *testing.T) {
	text := "# t\n\n```sh norun\ngo test ./...\n```\ntext\n```text first-start\nCreated\n```\n"
	got, err := readmeBlocks(text)
	if err != nil {
		t.Fatal(err)
	}
	want := []readmeBlock{
		{Line: 3, Info: "sh norun", Lines: []string{"go test ./..."}},
		{Line: 7, Info: "text first-start", Lines: []string{"Created"}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v\nwant %+v", got, want)
	}
	for _, bad := range []string{"```sh\necho\n", "```sh\n```ini\n```\n"} {
		if _, err := readmeBlocks(bad); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

func TestReadmeSteps(t *testing.T) {
	for _, tc := range []struct {
		name  string
		lines []string
		want  []readmeStep
	}{
		{"command and output",
			[]string{"# prose", "curl -s x", "# {\"id\":…}", "#  more"},
			[]readmeStep{{Line: 12, Cmd: "curl -s x", Want: []string{`{"id":…}`, " more"}}}},
		{"a blank line ends the output",
			[]string{"echo a", "# a", "", "# prose", "echo b"},
			[]readmeStep{{Line: 11, Cmd: "echo a", Want: []string{"a"}}, {Line: 15, Cmd: "echo b"}}},
		{"continuation lines",
			[]string{"curl -s \\", "  -d x \\", "  https://h/", "# out"},
			[]readmeStep{{Line: 11, Cmd: "curl -s \\\n  -d x \\\n  https://h/", Want: []string{"out"}}}},
		{"here-document, quoted",
			[]string{"cat > f <<'EOF'", "# not a comment", "", "EOF", "# out"},
			[]readmeStep{{Line: 11, Cmd: "cat > f <<'EOF'\n# not a comment\n\nEOF", Want: []string{"out"}}}},
		{"here-document, <<- with a tab",
			[]string{"cat <<-END", "x", "\tEND", "echo y"},
			[]readmeStep{{Line: 11, Cmd: "cat <<-END\nx\n\tEND"}, {Line: 14, Cmd: "echo y"}}},
		{"here-string is one line",
			[]string{`jq . <<<"$X"`, "echo y"},
			[]readmeStep{{Line: 11, Cmd: `jq . <<<"$X"`}, {Line: 12, Cmd: "echo y"}}},
		{"comments only", []string{"# a", "# b"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := readmeSteps(readmeBlock{Line: 10, Info: "sh", Lines: tc.lines})
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %+v\nwant %+v", got, tc.want)
			}
		})
	}
	for _, bad := range [][]string{{"curl \\"}, {"cat <<EOF", "x"}} {
		if _, err := readmeSteps(readmeBlock{Line: 1, Lines: bad}); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

func TestMatchShown(t *testing.T) {
	out := "Enter host password for user 'jane':{\"id\":\"x1\",\"tier\":\"busy\",\"url\":\"u\"}\n204\n"
	for _, tc := range []struct {
		want []string
		miss int
	}{
		{[]string{`{"id":"…","tier":"busy",…`}, -1},
		{[]string{`{"id":"…",`, ` "url":"u"}`, "204"}, -1},
		{[]string{"", "204"}, -1},
		{[]string{"204", `"id"`}, 1},                 // out of order
		{[]string{`"tier":"limited"`}, 0},            // not there
		{[]string{`{"id":…204`}, 0},                  // … stays within a line
		{[]string{`"id":"x.",`}, 0},                  // no regexp syntax
		{[]string{"host password", "…", "204…"}, -1}, // … alone is anything
	} {
		if got := matchShown(out, tc.want); got != tc.miss {
			t.Errorf("matchShown(%q) = %d; want %d", tc.want, got, tc.miss)
		}
	}
}

func TestReadmeHarnessPatterns(t *testing.T) {
	steps := []readmeStep{
		{Cmd: "curl -s -u jane@example.com x"},
		{Cmd: "curl -s -u 'jane@example.com:pw' x"},
		{Cmd: "ME=$(curl -s -u bob@example.com \\\n  https://h/ | jq -r .id)"},
		{Cmd: "curl -s -u jane@example.com y"},
	}
	if got, want := readmeLogins(steps), []string{"jane@example.com", "bob@example.com"}; !reflect.DeepEqual(got, want) {
		t.Errorf("readmeLogins = %q; want %q", got, want)
	}
	if got, want := assigned("A=$(x) B=$(y); C=plain\nD=$(z)"), []string{"A", "B", "D"}; !reflect.DeepEqual(got, want) {
		t.Errorf("assigned = %q; want %q", got, want)
	}
	if !namesStatus([]string{`{"error":…}`, "403"}, 403) || namesStatus([]string{"14035"}, 403) {
		t.Error("namesStatus: a status is named as a number of its own")
	}
	if !otpPlaceholder.MatchString(`-d '{"code":"123456"}'`) || otpPlaceholder.MatchString("echo 1234567890") {
		t.Error("otpPlaceholder: 123456 is a placeholder only as a number of its own")
	}
	if n := len(readPrompt.FindAllString("read -rsp 'P: ' PW; echo; jq .ready x", -1)); n != 1 {
		t.Errorf("readPrompt found %d prompts; want 1", n)
	}
}

// FuzzReadmeSteps: any block splits without panicking, and every line
// that is neither blank nor a comment outside a command lands in
// exactly one command, in order.
func FuzzReadmeSteps(f *testing.F) {
	f.Add("curl -s \\\n  x\n# out\n\n# prose\ncat <<'EOF'\n# in\nEOF\n")
	f.Add("a <<-X\n\tX\nb <<<\"c\"\n")
	f.Fuzz(func(t *testing.T, text string) {
		lines := strings.Split(text, "\n")
		steps, err := readmeSteps(readmeBlock{Line: 1, Info: "sh", Lines: lines})
		if err != nil {
			return
		}
		var joined []string
		last := 0
		for _, st := range steps {
			if st.Line <= last {
				t.Fatalf("step lines not increasing: %d after %d", st.Line, last)
			}
			last = st.Line
			joined = append(joined, strings.Split(st.Cmd, "\n")...)
		}
		var cmds []string
		for _, l := range lines {
			if tl := strings.TrimSpace(l); tl != "" && !strings.HasPrefix(tl, "#") {
				cmds = append(cmds, l)
			}
		}
		// Every command line is in some step, in order.
		i := 0
		for _, l := range joined {
			if i < len(cmds) && l == cmds[i] {
				i++
			}
		}
		if i != len(cmds) {
			t.Fatalf("command line %q is in no step", cmds[i])
		}
	})
}
