package main

import (
	"runtime/debug"
	"strings"
	"sync"
)

// version, when set at build time with -ldflags "-X main.version=…", is
// the version oomlens reports; otherwise it comes from the build
// information.
var version = ""

// versionString is the version of this binary: the -ldflags version, else
// the module version `go install …@v1.2.3` recorded, else the VCS revision
// (12 hex digits) and commit time a build inside a clone recorded, with
// "+dirty" for uncommitted changes, else "dev".
var versionString = sync.OnceValue(func() string {
	if version != "" {
		return version
	}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "dev"
	}
	return versionFromBuildInfo(bi)
})

func versionFromBuildInfo(bi *debug.BuildInfo) string {
	if v := bi.Main.Version; v != "" && v != "(devel)" && !strings.Contains(v, "+dirty") {
		return v
	}
	var rev, when string
	dirty := false
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.time":
			when = s.Value
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	if len(rev) < 7 {
		if v := bi.Main.Version; v != "" && v != "(devel)" {
			return v // a pseudo-version with +dirty
		}
		return "dev"
	}
	v := rev[:min(12, len(rev))]
	if dirty {
		v += "+dirty"
	}
	if when != "" {
		v += " (" + when + ")"
	}
	return v
}
