package mailimport

import (
	"slices"
	"strings"
)

// RFC 6154 special-use attributes, and the IMAP4 ones LIST reports.
const (
	useAll       = `\All`
	useArchive   = `\Archive`
	useDrafts    = `\Drafts`
	useFlagged   = `\Flagged`
	useJunk      = `\Junk`
	useSent      = `\Sent`
	useTrash     = `\Trash`
	attrNoSelect = `\Noselect`
	attrNonExist = `\NonExistent`
	// Gmail marks its "Important" view with this attribute of its own.
	attrImportant = `\Important`
)

// copiedUses are the roles whose folders are copied into the
// destination's folder of the same role; \All is copied into the
// destination's \Archive, keeping only messages no other folder has.
var copiedUses = []string{useSent, useDrafts, useTrash, useJunk, useArchive, useAll}

// defaultNames are the folder names created for a role the destination
// has no folder for.
var defaultNames = map[string]string{
	useSent: "Sent", useDrafts: "Drafts", useTrash: "Trash", useJunk: "Junk", useArchive: "Archive",
}

// knownNames are the names servers without SPECIAL-USE give their
// special folders (case-insensitive, after the personal namespace's
// prefix), Gmail's and Outlook's included.
var knownNames = map[string]string{
	"sent": useSent, "sent items": useSent, "sent messages": useSent, "sent mail": useSent,
	"[gmail]/sent mail": useSent, "[google mail]/sent mail": useSent,
	"drafts": useDrafts, "draft": useDrafts, "[gmail]/drafts": useDrafts, "[google mail]/drafts": useDrafts,
	"trash": useTrash, "deleted items": useTrash, "deleted messages": useTrash, "bin": useTrash,
	"[gmail]/trash": useTrash, "[gmail]/bin": useTrash, "[google mail]/trash": useTrash, "[google mail]/bin": useTrash,
	"junk": useJunk, "junk e-mail": useJunk, "junk email": useJunk, "spam": useJunk, "bulk mail": useJunk,
	"[gmail]/spam": useJunk, "[google mail]/spam": useJunk,
	"archive": useArchive, "archives": useArchive,
	"[gmail]/all mail": useAll, "[google mail]/all mail": useAll,
	"[gmail]/starred": useFlagged, "[google mail]/starred": useFlagged,
	"[gmail]/important": attrImportant, "[google mail]/important": attrImportant,
}

// folder is a mailbox as LIST reports it.
type folder struct {
	Name  string
	Delim rune // 0: the server has no hierarchy
	Attrs []string
}

func (f folder) has(attr string) bool {
	return slices.ContainsFunc(f.Attrs, func(a string) bool { return strings.EqualFold(a, attr) })
}

// namespace is the personal namespace (RFC 2342): the prefix of the
// user's folders and its hierarchy delimiter.
type namespace struct {
	Prefix string
	Delim  rune
}

// planned is one source folder and where it goes.
type planned struct {
	Source, Dest string
	// Use is the role it was mapped by ("" for an ordinary folder);
	// \All is copied without what the other folders hold.
	Use string
}

// plan is what copying a mailbox's folders takes: the folders in the
// order to copy them (\All last, so that it can leave out what the
// others brought) and the destination folders to create first, parents
// before children.
type plan struct {
	Folders []planned
	Create  []string
}

// planFolders maps the source's folders onto the destination's.
//
//   - INBOX goes to INBOX.
//   - A folder with a special use (RFC 6154; by name, Gmail's and
//     Outlook's included, when the source announces none) goes to the
//     destination folder of that use, or one of the usual name made for
//     it; \All (Gmail's "All Mail") goes to the archive, and only with
//     what no other folder holds. Views that hold copies of other
//     folders' messages (\Flagged, Gmail's "Important") are not copied:
//     their messages come with their folders, with their flags.
//   - Any other folder keeps its path: the source's namespace prefix is
//     dropped, its delimiter becomes the destination's, the
//     destination's namespace prefix is added; a destination delimiter
//     inside a name becomes "_". Below a special folder, the path
//     continues from where that folder went.
//   - Folders that cannot hold messages (\Noselect, \NonExistent) are
//     not copied, but every parent of a folder copied is created as a
//     real folder when the destination does not have one: no ghost
//     folder (a grey parent that cannot be deleted) is left.
func planFolders(src []folder, srcNS namespace, dst []folder, dstNS namespace) plan {
	srcDelim := srcNS.Delim
	dstDelim := dstNS.Delim
	announces := slices.ContainsFunc(src, func(f folder) bool {
		return slices.ContainsFunc(copiedUses, f.has) || f.has(useFlagged)
	})
	// Destination folders by role and which names exist as real folders.
	dstUse := map[string]string{}
	real := map[string]bool{}
	for _, f := range dst {
		if !f.has(attrNoSelect) && !f.has(attrNonExist) {
			real[f.Name] = true
		}
		for _, u := range copiedUses {
			if f.has(u) && dstUse[u] == "" {
				dstUse[u] = f.Name
			}
		}
	}
	useDest := func(use string) string {
		if use == useAll {
			use = useArchive
		}
		if name := dstUse[use]; name != "" {
			return name
		}
		return dstNS.Prefix + defaultNames[use]
	}

	type item struct {
		f    folder
		rel  []string // path below the namespace prefix
		use  string
		skip bool
	}
	items := make([]item, 0, len(src))
	special := map[string]string{} // source name -> destination name
	for _, f := range src {
		it := item{f: f, rel: relPath(f, srcNS, srcDelim)}
		switch {
		case f.has(useFlagged), f.has(attrImportant):
			it.skip = true
		default:
			for _, u := range copiedUses {
				if f.has(u) {
					it.use = u
					break
				}
			}
		}
		if it.use == "" && !it.skip && !announces {
			switch u := knownNames[strings.ToLower(strings.Join(it.rel, "/"))]; u {
			case useFlagged, attrImportant:
				it.skip = true
			default:
				it.use = u
			}
		}
		if it.use != "" {
			special[f.Name] = useDest(it.use)
		}
		items = append(items, it)
	}

	var out plan
	var last []planned
	created := map[string]bool{}
	for _, it := range items {
		f := it.f
		if it.skip || f.has(attrNoSelect) || f.has(attrNonExist) {
			continue
		}
		var dest string
		switch {
		case it.use != "":
			dest = special[f.Name]
		case strings.EqualFold(f.Name, "INBOX"):
			dest = "INBOX"
		default:
			dest = mapPath(f, it.rel, srcDelim, special, dstNS, dstDelim)
		}
		p := planned{Source: f.Name, Dest: dest, Use: it.use}
		if it.use == useAll {
			last = append(last, p)
		} else {
			out.Folders = append(out.Folders, p)
		}
		if strings.EqualFold(dest, "INBOX") {
			continue
		}
		for _, name := range withParents(dest, dstNS, dstDelim) {
			if !real[name] && !created[name] {
				created[name] = true
				out.Create = append(out.Create, name)
			}
		}
	}
	out.Folders = append(out.Folders, last...)
	return out
}

// relPath is a source folder's path below the personal namespace: the
// prefix dropped, split at the delimiter. A folder outside the prefix
// (another namespace, or INBOX on servers whose prefix is "INBOX.")
// keeps its whole name.
func relPath(f folder, ns namespace, delim rune) []string {
	name := f.Name
	if ns.Prefix != "" && strings.HasPrefix(name, ns.Prefix) && len(name) > len(ns.Prefix) {
		name = name[len(ns.Prefix):]
	}
	if delim == 0 {
		return []string{name}
	}
	return strings.Split(name, string(delim))
}

// mapPath is where an ordinary folder goes: below the destination of
// its nearest special ancestor, or from the top of the destination's
// namespace.
func mapPath(f folder, rel []string, srcDelim rune, special map[string]string, dstNS namespace, dstDelim rune) string {
	base, rest := "", rel
	if srcDelim != 0 {
		parts := strings.Split(f.Name, string(srcDelim))
		for i := len(parts) - 1; i > 0; i-- {
			if d, ok := special[strings.Join(parts[:i], string(srcDelim))]; ok {
				base, rest = d, parts[i:]
				break
			}
		}
	}
	clean := make([]string, 0, len(rest))
	for _, c := range rest {
		if dstDelim != 0 {
			c = strings.ReplaceAll(c, string(dstDelim), "_")
		}
		if c == "" {
			c = "_"
		}
		clean = append(clean, c)
	}
	sep := string(dstDelim)
	if base != "" {
		return base + sep + strings.Join(clean, sep)
	}
	if len(clean) > 0 && strings.EqualFold(clean[0], "INBOX") {
		// INBOX's children stay under INBOX, outside any prefix.
		clean[0] = "INBOX"
		return strings.Join(clean, sep)
	}
	return dstNS.Prefix + strings.Join(clean, sep)
}

// withParents lists name's ancestors within the namespace and name
// itself, shortest first; INBOX, which always exists, is left out.
func withParents(name string, ns namespace, delim rune) []string {
	if delim == 0 {
		return []string{name}
	}
	var out []string
	sep := string(delim)
	for i := len(ns.Prefix); i < len(name); i++ {
		if strings.HasPrefix(name[i:], sep) && i > len(ns.Prefix) {
			if parent := name[:i]; !strings.EqualFold(parent, "INBOX") {
				out = append(out, parent)
			}
		}
	}
	return append(out, name)
}
