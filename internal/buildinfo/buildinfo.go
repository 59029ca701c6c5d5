// Package buildinfo reads what the Go toolchain recorded in the binary
// (runtime/debug.ReadBuildInfo): the module version and the version
// control revision it was built from. `almanac version`, the start-up log
// line and the almanac_build_info metric show it, so that an operator can
// tell which build answers.
//
// go build records the revision, its time and whether the work tree had
// uncommitted changes when it runs in a checkout with the VCS tool
// installed (unless -buildvcs=false); since Go 1.24 it also derives the
// module version from the revision and its tags. go run, go test and
// -buildvcs=false builds record neither: the version is "(devel)" and
// the revision unknown, and this package says so rather than guess.
package buildinfo

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"
)

// Info is what a binary knows of its build.
type Info struct {
	Version   string // the main module's version: "v1.2.3", a pseudo-version, or "(devel)"
	Revision  string // VCS revision; "" when not recorded
	Time      string // the revision's commit time, RFC 3339; "" when not recorded
	Modified  bool   // the work tree had uncommitted changes
	GoVersion string // the toolchain: "go1.26.8"
}

// Read returns the running binary's build information.
func Read() Info {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return Info{Version: "(unknown)", GoVersion: runtime.Version()}
	}
	return From(bi)
}

// From extracts Info from recorded build information.
func From(bi *debug.BuildInfo) Info {
	i := Info{Version: bi.Main.Version, GoVersion: bi.GoVersion}
	if i.Version == "" {
		// A test binary has no main module version.
		i.Version = "(devel)"
	}
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			i.Revision = s.Value
		case "vcs.time":
			i.Time = s.Value
		case "vcs.modified":
			i.Modified = s.Value == "true"
		}
	}
	return i
}

// String is the version as `almanac version` prints it: the version,
// then the revision with its time and "modified" when the build recorded
// them, then the toolchain and platform.
//
//	almanac v1.2.0 (revision 4f2c…, 2026-01-02T03:04:05Z) go1.26.8 linux/amd64
func (i Info) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "almanac %s", i.Version)
	if i.Revision != "" {
		details := []string{"revision " + i.Revision}
		if i.Time != "" {
			details = append(details, i.Time)
		}
		if i.Modified {
			details = append(details, "modified")
		}
		fmt.Fprintf(&b, " (%s)", strings.Join(details, ", "))
	} else {
		b.WriteString(" (revision not recorded)")
	}
	fmt.Fprintf(&b, " %s %s/%s", i.GoVersion, runtime.GOOS, runtime.GOARCH)
	return b.String()
}
