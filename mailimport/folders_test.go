package mailimport

import (
	"reflect"
	"strings"
	"testing"
)

func f(name string, attrs ...string) folder { return folder{Name: name, Delim: '/', Attrs: attrs} }

func d(name string, attrs ...string) folder { return folder{Name: name, Delim: '.', Attrs: attrs} }

// dovecotDest is a destination like almanac's Dovecot: "." delimiter,
// no prefix, special folders that exist.
var dovecotDest = []folder{
	d("INBOX"), d("Sent", useSent), d("Drafts", useDrafts), d("Trash", useTrash), d("Junk", useJunk), d("Archive", useArchive),
}

var dotNS = namespace{Delim: '.'}

func TestPlanFoldersGmail(t *testing.T) {
	src := []folder{
		f("INBOX"),
		f("Work"),
		f("Work/Projects/2024"), // "Work/Projects" does not exist: a ghost on the source
		f("[Gmail]", attrNoSelect),
		f("[Gmail]/All Mail", useAll),
		f("[Gmail]/Drafts", useDrafts),
		f("[Gmail]/Important", attrImportant),
		f("[Gmail]/Sent Mail", useSent),
		f("[Gmail]/Spam", useJunk),
		f("[Gmail]/Starred", useFlagged),
		f("[Gmail]/Trash", useTrash),
		f("v1.2"),
	}
	p := planFolders(src, namespace{Delim: '/'}, dovecotDest, dotNS)
	want := plan{
		Folders: []planned{
			{Source: "INBOX", Dest: "INBOX"},
			{Source: "Work", Dest: "Work"},
			{Source: "Work/Projects/2024", Dest: "Work.Projects.2024"},
			{Source: "[Gmail]/Drafts", Dest: "Drafts", Use: useDrafts},
			{Source: "[Gmail]/Sent Mail", Dest: "Sent", Use: useSent},
			{Source: "[Gmail]/Spam", Dest: "Junk", Use: useJunk},
			{Source: "[Gmail]/Trash", Dest: "Trash", Use: useTrash},
			{Source: "v1.2", Dest: "v1_2"},
			{Source: "[Gmail]/All Mail", Dest: "Archive", Use: useAll},
		},
		// The missing parent is created as a real folder.
		Create: []string{"Work", "Work.Projects", "Work.Projects.2024", "v1_2"},
	}
	if !reflect.DeepEqual(p, want) {
		t.Errorf("plan\n%+v\nwant\n%+v", p, want)
	}
}

func TestPlanFoldersByName(t *testing.T) {
	// A server without SPECIAL-USE, with Courier's "INBOX." prefix.
	src := []folder{
		d("INBOX"), d("INBOX.Sent Items"), d("INBOX.Deleted Items"), d("INBOX.Junk E-mail"),
		d("INBOX.Drafts"), d("INBOX.Archive"), d("INBOX.Sent Items.2019"), d("INBOX.Clients.Acme"),
	}
	// A destination without special folders yet, and a ghost parent.
	dst := []folder{d("INBOX"), d("Clients", attrNoSelect), d("Clients.Other")}
	p := planFolders(src, namespace{Prefix: "INBOX.", Delim: '.'}, dst, dotNS)
	want := plan{
		Folders: []planned{
			{Source: "INBOX", Dest: "INBOX"},
			{Source: "INBOX.Sent Items", Dest: "Sent", Use: useSent},
			{Source: "INBOX.Deleted Items", Dest: "Trash", Use: useTrash},
			{Source: "INBOX.Junk E-mail", Dest: "Junk", Use: useJunk},
			{Source: "INBOX.Drafts", Dest: "Drafts", Use: useDrafts},
			{Source: "INBOX.Archive", Dest: "Archive", Use: useArchive},
			{Source: "INBOX.Sent Items.2019", Dest: "Sent.2019"},
			{Source: "INBOX.Clients.Acme", Dest: "Clients.Acme"},
		},
		// Clients exists only as a ghost: it is created for real.
		Create: []string{"Sent", "Trash", "Junk", "Drafts", "Archive", "Sent.2019", "Clients", "Clients.Acme"},
	}
	if !reflect.DeepEqual(p, want) {
		t.Errorf("plan\n%+v\nwant\n%+v", p, want)
	}
}

func TestPlanFoldersAnnouncedUseWins(t *testing.T) {
	// The server announces special use: a folder named "Spam" without
	// the attribute is an ordinary folder, and \Flagged is a view.
	src := []folder{f("INBOX"), f("Spam"), f("Bulk", useJunk), f("Flagged", useFlagged), f("INBOX/Sub")}
	dst := []folder{d("INBOX"), d("Junk", useJunk), d("Spam")}
	p := planFolders(src, namespace{Delim: '/'}, dst, namespace{Prefix: "", Delim: '.'})
	want := plan{
		Folders: []planned{
			{Source: "INBOX", Dest: "INBOX"},
			{Source: "Spam", Dest: "Spam"},
			{Source: "Bulk", Dest: "Junk", Use: useJunk},
			{Source: "INBOX/Sub", Dest: "INBOX.Sub"},
		},
		Create: []string{"INBOX.Sub"},
	}
	if !reflect.DeepEqual(p, want) {
		t.Errorf("plan\n%+v\nwant\n%+v", p, want)
	}
}

func TestPlanFoldersDestinationPrefix(t *testing.T) {
	src := []folder{f("INBOX"), f("a/b"), f("Sent", useSent)}
	dst := []folder{{Name: "INBOX", Delim: '/'}}
	p := planFolders(src, namespace{Delim: '/'}, dst, namespace{Prefix: "INBOX/", Delim: '/'})
	want := plan{
		Folders: []planned{{Source: "INBOX", Dest: "INBOX"}, {Source: "a/b", Dest: "INBOX/a/b"}, {Source: "Sent", Dest: "INBOX/Sent", Use: useSent}},
		Create:  []string{"INBOX/a", "INBOX/a/b", "INBOX/Sent"},
	}
	if !reflect.DeepEqual(p, want) {
		t.Errorf("plan\n%+v\nwant\n%+v", p, want)
	}
}

func TestWithParents(t *testing.T) {
	for _, tc := range []struct {
		name  string
		ns    namespace
		delim rune
		want  []string
	}{
		{"a.b.c", namespace{}, '.', []string{"a", "a.b", "a.b.c"}},
		{"a", namespace{}, '.', []string{"a"}},
		{"INBOX.x.y", namespace{Prefix: "INBOX."}, '.', []string{"INBOX.x", "INBOX.x.y"}},
		{"INBOX.x", namespace{}, '.', []string{"INBOX.x"}},
		{"a/b", namespace{}, 0, []string{"a/b"}},
	} {
		if got := withParents(tc.name, tc.ns, tc.delim); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("withParents(%q) = %q, want %q", tc.name, got, tc.want)
		}
	}
}

// FuzzPlanFolders feeds folder lists a source server could send and
// checks what the plan promises: every planned destination is INBOX or
// created with all its parents before it, and no destination name has
// an empty component.
func FuzzPlanFolders(f *testing.F) {
	f.Add("INBOX\nWork/Projects/2024\n[Gmail]/All Mail\n[Gmail]/Sent Mail", byte('/'), "INBOX.", byte('.'))
	f.Add("a//b\n/x\ny/\nINBOX/INBOX", byte('/'), "", byte('.'))
	f.Add("Sent Items\nsent items/x\n..", byte('.'), "", byte('/'))
	f.Fuzz(func(t *testing.T, names string, srcDelim byte, dstPrefix string, dstDelim byte) {
		if srcDelim == 0 || dstDelim == 0 || srcDelim > 127 || dstDelim > 127 {
			return
		}
		var src []folder
		for i, n := range strings.Split(names, "\n") {
			if n == "" {
				continue
			}
			var attrs []string
			if i%3 == 1 {
				attrs = []string{copiedUses[i%len(copiedUses)]}
			}
			src = append(src, folder{Name: n, Delim: rune(srcDelim), Attrs: attrs})
		}
		dstNS := namespace{Prefix: dstPrefix, Delim: rune(dstDelim)}
		p := planFolders(src, namespace{Delim: rune(srcDelim)}, []folder{{Name: "INBOX", Delim: rune(dstDelim)}}, dstNS)
		made := map[string]int{}
		for i, c := range p.Create {
			made[c] = i
		}
		for _, pl := range p.Folders {
			if strings.EqualFold(pl.Dest, "INBOX") {
				continue
			}
			i, ok := made[pl.Dest]
			if !ok {
				t.Fatalf("%q goes to %q, which is not created", pl.Source, pl.Dest)
			}
			for _, parent := range withParents(pl.Dest, dstNS, rune(dstDelim)) {
				if j, ok := made[parent]; !ok || j > i {
					t.Fatalf("%q: parent %q of %q is not created before it (%v)", pl.Source, parent, pl.Dest, p.Create)
				}
			}
		}
	})
}
