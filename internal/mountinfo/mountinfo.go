// Package mountinfo reads a process's mount table, /proc/<pid>/mountinfo
// (Documentation/filesystems/proc.rst §3.5), for what harness, record and
// collect need of it: where each cgroup hierarchy is mounted and with which
// options, so that a path of /proc/self/cgroup can be found on disk.
package mountinfo

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Mount is one line of mountinfo.
type Mount struct {
	// Root is the mount's root within its filesystem (field 4): for a
	// cgroup mount, the cgroup it shows as its top (a container's own).
	Root string
	// Point is where it is mounted (field 5).
	Point string
	// FSType is the filesystem type after the "-" separator (cgroup,
	// cgroup2, …).
	FSType string
	// Opts are the super options (after the source) and the mount options
	// (field 6): a v1 cgroup mount names its controllers among them.
	Opts []string
}

// HasOpt reports whether o is among the mount's options.
func (m Mount) HasOpt(o string) bool {
	for _, x := range m.Opts {
		if x == o {
			return true
		}
	}
	return false
}

// Join maps a cgroup path as /proc/self/cgroup prints it to a directory
// under this mount, whose root may itself be a sub-cgroup.
func (m Mount) Join(cgpath string) string {
	rel := cgpath
	if m.Root != "/" && strings.HasPrefix(cgpath, m.Root) {
		rel = strings.TrimPrefix(cgpath, m.Root)
	}
	return filepath.Join(m.Point, rel)
}

// Read reads the mountinfo file at path (/proc/self/mountinfo, or a
// fixture's).
func Read(path string) ([]Mount, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("mountinfo: %w", err)
	}
	defer f.Close()
	ms, err := Parse(f)
	if err != nil {
		return ms, fmt.Errorf("%s: %w", path, err)
	}
	return ms, nil
}

// Parse reads mountinfo lines: mount id, parent id, major:minor, root, mount
// point, mount options, optional fields up to "-", then the filesystem type,
// the source and the super options. Lines of another shape are skipped.
func Parse(r io.Reader) ([]Mount, error) {
	var out []Mount
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		sep := -1
		for i, x := range fields {
			if x == "-" {
				sep = i
				break
			}
		}
		if sep < 6 || sep+3 >= len(fields) {
			continue
		}
		out = append(out, Mount{
			Root:   unoctal(fields[3]),
			Point:  unoctal(fields[4]),
			FSType: fields[sep+1],
			Opts:   append(strings.Split(fields[sep+3], ","), strings.Split(fields[5], ",")...),
		})
	}
	return out, sc.Err()
}

// unoctal undoes mountinfo's \040-style escaping of spaces and the like.
func unoctal(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) {
			if v, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(v))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// Cgroup is a process's memory cgroup, found on disk.
type Cgroup struct {
	Version int    // 1 (the v1 memory controller) or 2 (the unified hierarchy)
	Dir     string // its directory under the mount
	Path    string // its path as /proc/self/cgroup prints it
}

// MemoryCgroup finds a process's memory cgroup from the content of its
// /proc/<pid>/cgroup (Documentation/admin-guide/cgroup-v1 and cgroup-v2:
// "id:controllers:path" lines, "0::path" for the unified hierarchy) and its
// mount table: the v1 memory controller's cgroup when one is named and
// mounted, else the unified hierarchy's. v1Unmounted is the path of a v1
// memory cgroup that is named but has no mount in sight (a caller may take
// that as an error rather than fall back to v2); ok is false when neither
// is found.
func MemoryCgroup(procCgroup []byte, mounts []Mount) (cg Cgroup, v1Unmounted string, ok bool) {
	var v2path string
	hasV2 := false
	for _, line := range strings.Split(strings.TrimSpace(string(procCgroup)), "\n") {
		parts := strings.SplitN(line, ":", 3)
		if len(parts) != 3 {
			continue
		}
		if parts[0] == "0" && parts[1] == "" {
			v2path, hasV2 = parts[2], true
			continue
		}
		for _, c := range strings.Split(parts[1], ",") {
			if c != "memory" {
				continue
			}
			for _, m := range mounts {
				if m.FSType == "cgroup" && m.HasOpt("memory") {
					return Cgroup{Version: 1, Dir: m.Join(parts[2]), Path: parts[2]}, "", true
				}
			}
			if v1Unmounted == "" {
				v1Unmounted = parts[2]
			}
		}
	}
	if hasV2 {
		for _, m := range mounts {
			if m.FSType == "cgroup2" {
				return Cgroup{Version: 2, Dir: m.Join(v2path), Path: v2path}, v1Unmounted, true
			}
		}
	}
	return Cgroup{}, v1Unmounted, false
}
