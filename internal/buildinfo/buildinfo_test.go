package buildinfo

import (
	"runtime"
	"runtime/debug"
	"strings"
	"testing"
)

func TestFromAndString(t *testing.T) {
	platform := " " + runtime.GOOS + "/" + runtime.GOARCH
	for _, tc := range []struct {
		name string
		bi   debug.BuildInfo
		want Info
		text string
	}{
		{"release with revision",
			debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Path: "almanac", Version: "v1.2.0"}, Settings: []debug.BuildSetting{
				{Key: "-buildmode", Value: "exe"},
				{Key: "vcs", Value: "git"},
				{Key: "vcs.revision", Value: "4f2c0a1b9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b"},
				{Key: "vcs.time", Value: "2026-01-02T03:04:05Z"},
				{Key: "vcs.modified", Value: "false"},
			}},
			Info{Version: "v1.2.0", Revision: "4f2c0a1b9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b", Time: "2026-01-02T03:04:05Z", GoVersion: "go1.26.8"},
			"almanac v1.2.0 (revision 4f2c0a1b9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b, 2026-01-02T03:04:05Z) go1.26.8" + platform},
		{"modified work tree",
			debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "v0.0.0-20260102030405-4f2c0a1b9e8d+dirty"}, Settings: []debug.BuildSetting{
				{Key: "vcs.revision", Value: "4f2c0a1b"},
				{Key: "vcs.modified", Value: "true"},
			}},
			Info{Version: "v0.0.0-20260102030405-4f2c0a1b9e8d+dirty", Revision: "4f2c0a1b", Modified: true, GoVersion: "go1.26.8"},
			"almanac v0.0.0-20260102030405-4f2c0a1b9e8d+dirty (revision 4f2c0a1b, modified) go1.26.8" + platform},
		{"no VCS information",
			debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Path: "almanac", Version: "(devel)"}},
			Info{Version: "(devel)", GoVersion: "go1.26.8"},
			"almanac (devel) (revision not recorded) go1.26.8" + platform},
		{"test binary",
			debug.BuildInfo{GoVersion: "go1.26.8"},
			Info{Version: "(devel)", GoVersion: "go1.26.8"},
			"almanac (devel) (revision not recorded) go1.26.8" + platform},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := From(&tc.bi)
			if got != tc.want {
				t.Errorf("From: %+v\nwant %+v", got, tc.want)
			}
			if s := got.String(); s != tc.text {
				t.Errorf("String: %q\nwant %q", s, tc.text)
			}
		})
	}
}

// TestRead: the running binary's information comes from the toolchain.
func TestRead(t *testing.T) {
	i := Read()
	if i.GoVersion != runtime.Version() || i.Version == "" {
		t.Errorf("Read: %+v; want the toolchain %s and a version", i, runtime.Version())
	}
	if !strings.HasPrefix(i.String(), "almanac ") {
		t.Errorf("String: %q", i.String())
	}
}
