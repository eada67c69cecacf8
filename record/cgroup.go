package record

import (
	"github.com/oomlens/oomlens/internal/mountinfo"

	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// cgroup is the child cgroup the command runs in, so that every process it
// starts, whatever its process group or session, can be found and killed:
// a process cannot leave a cgroup on its own (only a writer of a
// cgroup.procs file can move it).
//
// cgroup v1 (Documentation/admin-guide/cgroup-v1/cgroups.rst): a child of
// the recorder's own memory cgroup, as package harness makes, with no limit
// of its own (the parent's limits apply to it, use_hierarchy). cgroup v2
// (Documentation/admin-guide/cgroup-v2.rst): a child of the recorder's own
// cgroup with no controllers enabled, which only needs the recorder's cgroup
// to be delegated (writable); cgroup.kill (Linux 5.14) kills it whole.
type cgroup struct {
	version int
	dir     string // its directory
	path    string // its path as /proc/<pid>/cgroup and the kernel print it
}

// newCgroup makes a child cgroup of the recorder's own, or says why it
// cannot.
func newCgroup() (*cgroup, error) {
	parent, version, cgpath, err := ownCgroup()
	if err != nil {
		return nil, err
	}
	b := make([]byte, 4)
	if _, err := rand.Read(b); err != nil {
		return nil, err
	}
	name := fmt.Sprintf("oomlens-record-%d-%s", os.Getpid(), hex.EncodeToString(b))
	dir := filepath.Join(parent, name)
	if err := os.Mkdir(dir, 0o755); err != nil {
		return nil, fmt.Errorf("cgroup: %w", err)
	}
	p := "/" + name
	if cgpath != "/" && cgpath != "" {
		p = cgpath + "/" + name
	}
	return &cgroup{version: version, dir: dir, path: p}, nil
}

// ownCgroup finds the recorder's cgroup directory: the v1 memory controller's
// when it is mounted, else the unified (v2) hierarchy's.
func ownCgroup() (dir string, version int, cgpath string, err error) {
	b, err := os.ReadFile(procRoot + "/self/cgroup")
	if err != nil {
		return "", 0, "", fmt.Errorf("cgroup: %w", err)
	}
	mounts, err := mountinfo.Read("/proc/self/mountinfo")
	if err != nil {
		return "", 0, "", err
	}
	cg, _, ok := mountinfo.MemoryCgroup(b, mounts)
	if !ok {
		return "", 0, "", errors.New("cgroup: neither a cgroup v1 memory mount nor a cgroup v2 mount is visible")
	}
	return cg.Dir, cg.Version, cg.Path, nil
}

// add moves pid into the cgroup.
func (c *cgroup) add(pid int) error {
	if err := os.WriteFile(filepath.Join(c.dir, "cgroup.procs"), []byte(strconv.Itoa(pid)), 0); err != nil {
		return fmt.Errorf("cgroup: move pid %d into %s: %w", pid, c.dir, err)
	}
	return nil
}

// procs lists the processes in the cgroup.
func (c *cgroup) procs() []int {
	b, err := os.ReadFile(filepath.Join(c.dir, "cgroup.procs"))
	if err != nil {
		return nil
	}
	var out []int
	for _, f := range strings.Fields(string(b)) {
		if n, err := strconv.Atoi(f); err == nil {
			out = append(out, n)
		}
	}
	return out
}

// signal sends sig to every process in the cgroup. A process forked while
// the list is read escapes this pass; callers repeat until it is empty.
func (c *cgroup) signal(sig syscall.Signal) {
	if sig == syscall.SIGKILL && c.version == 2 {
		if os.WriteFile(filepath.Join(c.dir, "cgroup.kill"), []byte("1"), 0) == nil {
			return
		}
	}
	for _, p := range c.procs() {
		syscall.Kill(p, sig)
	}
}

// remove removes the cgroup once it is empty; the last exits can take a
// moment to be uncharged (rmdir says EBUSY until then).
func (c *cgroup) remove() error {
	var err error
	for i := 0; i < 100; i++ {
		if err = os.Remove(c.dir); err == nil || errors.Is(err, os.ErrNotExist) {
			return nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	return fmt.Errorf("cgroup: remove %s: %w", c.dir, err)
}
