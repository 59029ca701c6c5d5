package mailimport

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"almanac/notify"
	"almanac/storage"
)

// recipients are the addresses a job's confirmation goes to: its
// sources and its destination, each once.
func recipients(j *storage.ImportJob) []string {
	var out []string
	seen := map[string]bool{}
	for _, a := range append(sourceAddresses(j), j.Destination) {
		if k := strings.ToLower(a); !seen[k] {
			seen[k] = true
			out = append(out, a)
		}
	}
	return out
}

func sourceAddresses(j *storage.ImportJob) []string {
	var out []string
	for _, s := range j.Sources {
		out = append(out, s.Address)
	}
	return out
}

// subjects of the confirmation, by how the job ended.
var subjects = map[string]string{
	storage.ImportDone:      "Your mail import into %s is complete",
	storage.ImportPartial:   "Your mail import into %s finished with problems",
	storage.ImportFailed:    "Your mail import into %s failed",
	storage.ImportCancelled: "Your mail import into %s was cancelled",
}

// totals sums a source's folders.
type totals struct {
	Found, Copied, Skipped, Failed int
	Bytes                          int64
}

func (t *totals) add(f storage.ImportFolder) {
	t.Found += f.Found
	t.Copied += f.Copied
	t.Skipped += f.Skipped
	t.Failed += f.Failed
	t.Bytes += f.Bytes
}

func sourceTotals(s storage.ImportSource) totals {
	var t totals
	for _, f := range s.Folders {
		t.add(f)
	}
	return t
}

// confirmation is the mail that tells to one address how job went: per
// source, the messages copied, already there and not copied in each
// folder, what went wrong in words, and that nothing was deleted.
func confirmation(j *storage.ImportJob, to string) notify.Message {
	var b strings.Builder
	switch j.State {
	case storage.ImportDone:
		fmt.Fprintf(&b, "Hello,\n\nthe mail of %s has been copied into %s.\n", strings.Join(sourceAddresses(j), " and "), j.Destination)
	case storage.ImportPartial:
		fmt.Fprintf(&b, "Hello,\n\nthe copy of the mail of %s into %s has finished, but not everything could be copied: see below.\n", strings.Join(sourceAddresses(j), " and "), j.Destination)
	case storage.ImportFailed:
		fmt.Fprintf(&b, "Hello,\n\nthe mail of %s could not be copied into %s: see below.\n", strings.Join(sourceAddresses(j), " and "), j.Destination)
	case storage.ImportCancelled:
		fmt.Fprintf(&b, "Hello,\n\nthe copy of the mail of %s into %s was cancelled. What was copied before stays in %s.\n", strings.Join(sourceAddresses(j), " and "), j.Destination, j.Destination)
	}
	var all totals
	for _, s := range j.Sources {
		t := sourceTotals(s)
		all.Copied += t.Copied
		fmt.Fprintf(&b, "\nFrom %s (%s):\n", s.Address, s.Host)
		if len(s.Folders) > 0 {
			rows := [][]string{{"Folder", "Into", "Copied", "Already there", "Not copied"}}
			for _, f := range s.Folders {
				rows = append(rows, []string{f.Name, f.Destination, strconv.Itoa(f.Copied), strconv.Itoa(f.Skipped), strconv.Itoa(f.Failed)})
			}
			rows = append(rows, []string{"In all", "", strconv.Itoa(t.Copied), strconv.Itoa(t.Skipped), strconv.Itoa(t.Failed)})
			table(&b, rows, 2)
			fmt.Fprintf(&b, "  %s copied, %s.\n", plural(t.Copied, "message"), size(t.Bytes))
		}
		if s.Error != "" {
			fmt.Fprintf(&b, "  Problem: %s.\n", s.Error)
		}
		for _, f := range s.Folders {
			for _, e := range f.Errors {
				fmt.Fprintf(&b, "  In %s: %s.\n", f.Name, e)
			}
			if extra := f.Failed - countMessageErrors(f); extra > 0 {
				fmt.Fprintf(&b, "  In %s: %s more not copied.\n", f.Name, plural(extra, "message"))
			}
		}
	}
	fmt.Fprintf(&b, "\n%s copied in all. Nothing was deleted from %s. "+
		"Messages already in %s were not copied again, so importing again copies only what is new.\n",
		plural(all.Copied, "message"), strings.Join(sourceAddresses(j), " or "), j.Destination)
	if to != j.Destination {
		fmt.Fprintf(&b, "\nYou get this mail because %s took part in the import.\n", to)
	}
	return notify.Message{To: to, Subject: fmt.Sprintf(subjects[j.State], j.Destination), Text: b.String()}
}

// table writes rows indented by two spaces, the first left columns
// aligned left and the others right.
func table(b *strings.Builder, rows [][]string, left int) {
	widths := make([]int, len(rows[0]))
	for _, r := range rows {
		for i, c := range r {
			widths[i] = max(widths[i], utf8.RuneCountInString(c))
		}
	}
	for _, r := range rows {
		line := ""
		for i, c := range r {
			pad := strings.Repeat(" ", widths[i]-utf8.RuneCountInString(c))
			if i < left {
				line += "  " + c + pad
			} else {
				line += "  " + pad + c
			}
		}
		b.WriteString(strings.TrimRight(line, " ") + "\n")
	}
}

// countMessageErrors counts the folder's errors that name a message.
func countMessageErrors(f storage.ImportFolder) int {
	n := 0
	for _, e := range f.Errors {
		if strings.HasPrefix(e, "the message ") {
			n++
		}
	}
	return n
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// size is a byte count for people: 0 bytes, 512 bytes, 12.3 MB.
func size(n int64) string {
	switch {
	case n < 1000:
		return plural(int(n), "byte")
	case n < 1000*1000:
		return fmt.Sprintf("%.1f kB", float64(n)/1000)
	case n < 1000*1000*1000:
		return fmt.Sprintf("%.1f MB", float64(n)/1e6)
	}
	return fmt.Sprintf("%.1f GB", float64(n)/1e9)
}
