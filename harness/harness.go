// Package harness runs a command under a memory limit in a child memory
// cgroup of the caller's own, so that a real kernel makes a real OOM kill, and
// collects exactly the kernel log lines that appeared during the run.
//
// cgroup v1 (Documentation/admin-guide/cgroup-v1/memory.rst): the child gets
// memory.limit_in_bytes and, where swap accounting exists,
// memory.memsw.limit_in_bytes at the same value, so swap cannot hide the OOM.
// cgroup v2 (Documentation/admin-guide/cgroup-v2.rst): the memory controller is
// enabled in the caller's cgroup.subtree_control and the child gets memory.max
// and memory.swap.max=0. The command is started through
// `sh -c 'echo $$ > cgroup.procs; exec "$@"'`, so it is inside the cgroup
// before it allocates anything and keeps the wrapper's pid.
package harness

import (
	"github.com/oomlens/oomlens/internal/mountinfo"

	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/oomlens/oomlens/kmsg"
)

// Spec says what to run and under which limit.
type Spec struct {
	// LimitBytes is the memory limit of the child cgroup (> 0).
	LimitBytes int64
	// Dir is the working directory ("" = the caller's).
	Dir string
	// Env is the environment (nil = the caller's).
	Env []string
	// Args is the command and its arguments (Args[0] is looked up in PATH).
	Args []string
	// Stdout and Stderr receive the command's output (nil = discarded).
	Stdout, Stderr io.Writer
	// Settle is how long to wait after the run, when the cgroup saw an OOM
	// kill, before reading the kernel log, so the oom_reaper line (printed up
	// to OOM_REAPER_DELAY = 2 s after the kill, mm/oom_kill.c since 5.18)
	// is included. 0 = 2.5 s; negative = do not wait.
	Settle time.Duration
	// AfterExit, when set, is called once the command and every process
	// left in the cgroup have exited, before the cgroup is removed: the
	// cgroup's files still hold the run's counters (e.g. for `oomlens
	// collect --cgroup res.CgroupDir`). Its error is returned by Run.
	AfterExit func(res Result) error
}

// Result is what a run left behind.
type Result struct {
	// PID is the pid of the command (the kernel's `Killed process <pid>`).
	PID int
	// ExitCode is the exit status, or -1 when a signal ended the command.
	ExitCode int
	// Signal is the signal that ended the command (0 if it exited).
	Signal syscall.Signal
	// KernelLog is the kernel records appended during the run, as dmesg
	// prints them.
	KernelLog []byte
	// KernelLogGap is non-nil when kernel records were lost (kmsg.GapError).
	KernelLogGap error
	// CgroupPath is the child cgroup as the kernel prints it in OOM records
	// (`oom_memcg=`, `Task in …`), e.g. /process_api/<id>/oomlens-<n>.
	CgroupPath string
	// CgroupDir is the child cgroup's directory (removed after the run).
	CgroupDir string
	// CgroupVersion is 1 or 2.
	CgroupVersion int
	// OOMKills is the cgroup's oom_kill counter at the end of the run
	// (memory.oom_control on v1 since 4.13, memory.events on v2).
	OOMKills int
	// MaxUsageBytes is the cgroup's peak usage (v1 memory.max_usage_in_bytes,
	// v2 memory.peak); 0 when the kernel does not report it.
	MaxUsageBytes int64
	// Start and End bound the run on the wall clock.
	Start, End time.Time
}

// hierarchy is where the caller's memory cgroup lives.
type hierarchy struct {
	version int
	dir     string // filesystem directory of the caller's own memory cgroup
	path    string // its path as the kernel prints it
}

// Available returns nil when Run can work here, or why not.
func Available() error {
	if err := kmsg.Available(); err != nil {
		return err
	}
	if _, err := exec.LookPath("sh"); err != nil {
		return fmt.Errorf("harness: no sh to move the command into its cgroup: %w", err)
	}
	h, err := ownHierarchy()
	if err != nil {
		return err
	}
	dir, _, err := h.makeChild(1 << 30)
	if err != nil {
		return err
	}
	return removeCgroup(context.Background(), dir)
}

// ownHierarchy finds the caller's memory cgroup: the v1 memory controller
// when mounted, else the unified (v2) hierarchy, where the memory controller
// must be delegated to it.
func ownHierarchy() (hierarchy, error) {
	b, err := os.ReadFile("/proc/self/cgroup")
	if err != nil {
		return hierarchy{}, fmt.Errorf("harness: %w", err)
	}
	mounts, err := mountinfo.Read("/proc/self/mountinfo")
	if err != nil {
		return hierarchy{}, err
	}
	cg, v1Unmounted, ok := mountinfo.MemoryCgroup(b, mounts)
	switch {
	case v1Unmounted != "":
		return hierarchy{}, fmt.Errorf("harness: /proc/self/cgroup names memory cgroup %s but no cgroup v1 memory mount is visible", v1Unmounted)
	case !ok:
		return hierarchy{}, errors.New("harness: no memory cgroup controller: neither a cgroup v1 memory mount nor cgroup v2 with the memory controller")
	case cg.Version == 2:
		ctl, err := os.ReadFile(filepath.Join(cg.Dir, "cgroup.controllers"))
		if err != nil {
			return hierarchy{}, fmt.Errorf("harness: cgroup v2: %w", err)
		}
		if !strings.Contains(" "+strings.TrimSpace(string(ctl))+" ", " memory ") {
			return hierarchy{}, fmt.Errorf("harness: cgroup v2 %s: the memory controller is not delegated to our cgroup (cgroup.controllers = %q)", cg.Dir, strings.TrimSpace(string(ctl)))
		}
	}
	return hierarchy{version: cg.Version, dir: cg.Dir, path: cg.Path}, nil
}

func writeFile(path, value string) error {
	if err := os.WriteFile(path, []byte(value), 0); err != nil {
		return fmt.Errorf("harness: write %q to %s: %w", value, path, err)
	}
	return nil
}

// makeChild creates a uniquely named child of h with the given limit.
func (h hierarchy) makeChild(limit int64) (dir, path string, err error) {
	b := make([]byte, 4)
	if _, err := rand.Read(b); err != nil {
		return "", "", err
	}
	name := fmt.Sprintf("oomlens-%d-%s", os.Getpid(), hex.EncodeToString(b))
	if h.version == 2 {
		ctl := filepath.Join(h.dir, "cgroup.subtree_control")
		cur, _ := os.ReadFile(ctl)
		if !strings.Contains(" "+strings.TrimSpace(string(cur))+" ", " memory ") {
			if err := writeFile(ctl, "+memory"); err != nil {
				return "", "", fmt.Errorf("%w (cgroup v2 allows no processes in a cgroup that delegates controllers: run the caller in a leaf of its own)", err)
			}
		}
	}
	dir = filepath.Join(h.dir, name)
	if err := os.Mkdir(dir, 0o755); err != nil {
		return "", "", fmt.Errorf("harness: make cgroup: %w", err)
	}
	fail := func(err error) (string, string, error) {
		os.Remove(dir)
		return "", "", err
	}
	lim := strconv.FormatInt(limit, 10)
	if h.version == 1 {
		if err := writeFile(filepath.Join(dir, "memory.limit_in_bytes"), lim); err != nil {
			return fail(err)
		}
		// The memory+swap limit must not be below the memory limit; it
		// exists only with swap accounting (CONFIG_MEMCG_SWAP).
		if _, err := os.Stat(filepath.Join(dir, "memory.memsw.limit_in_bytes")); err == nil {
			if err := writeFile(filepath.Join(dir, "memory.memsw.limit_in_bytes"), lim); err != nil {
				return fail(err)
			}
		}
	} else {
		if err := writeFile(filepath.Join(dir, "memory.max"), lim); err != nil {
			return fail(err)
		}
		if _, err := os.Stat(filepath.Join(dir, "memory.swap.max")); err == nil {
			if err := writeFile(filepath.Join(dir, "memory.swap.max"), "0"); err != nil {
				return fail(err)
			}
		}
	}
	return dir, path2(h.path, name), nil
}

func path2(parent, name string) string {
	if parent == "/" || parent == "" {
		return "/" + name
	}
	return parent + "/" + name
}

// procs lists the pids in a cgroup.
func procs(dir string) ([]int, error) {
	b, err := os.ReadFile(filepath.Join(dir, "cgroup.procs"))
	if err != nil {
		return nil, err
	}
	var out []int
	for _, f := range strings.Fields(string(b)) {
		if n, err := strconv.Atoi(f); err == nil {
			out = append(out, n)
		}
	}
	return out, nil
}

// removeCgroup waits until no process is left in dir (killing them once ctx
// is done), then removes it.
func removeCgroup(ctx context.Context, dir string) error {
	killed := false
	for {
		ps, err := procs(dir)
		if err != nil {
			if errors.Is(err, os.ErrNotExist) {
				return nil
			}
			return fmt.Errorf("harness: %w", err)
		}
		if len(ps) == 0 {
			break
		}
		if ctx.Err() != nil && !killed {
			for _, p := range ps {
				syscall.Kill(p, syscall.SIGKILL)
			}
			killed = true
		}
		time.Sleep(20 * time.Millisecond)
	}
	var err error
	for i := 0; i < 100; i++ { // the last exits can take a moment to be uncharged
		if err = os.Remove(dir); err == nil || errors.Is(err, os.ErrNotExist) {
			return nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	return fmt.Errorf("harness: remove cgroup: %w", err)
}

// counter reads `key N` from a flat-keyed cgroup file.
func counter(path, key string) (int64, bool) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, false
	}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) == 2 && f[0] == key {
			n, err := strconv.ParseInt(f[1], 10, 64)
			return n, err == nil
		}
	}
	return 0, false
}

func single(path string) int64 {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	n, _ := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
	return n
}

// wrapper moves itself into the cgroup given as $0 and execs the command.
const wrapper = `echo $$ > "$0/cgroup.procs" || exit 126; exec "$@"`

// Run runs spec.Args in a fresh child memory cgroup limited to
// spec.LimitBytes, waits for it and every process left in the cgroup, removes
// the cgroup, and returns the kernel lines that appeared during the run. When
// ctx is done, every process in the cgroup is killed.
func Run(ctx context.Context, spec Spec) (Result, error) {
	if spec.LimitBytes <= 0 {
		return Result{}, errors.New("harness: LimitBytes must be > 0")
	}
	if len(spec.Args) == 0 {
		return Result{}, errors.New("harness: no command")
	}
	h, err := ownHierarchy()
	if err != nil {
		return Result{}, err
	}
	dir, path, err := h.makeChild(spec.LimitBytes)
	if err != nil {
		return Result{}, err
	}
	res := Result{CgroupDir: dir, CgroupPath: path, CgroupVersion: h.version}
	cur, err := kmsg.Now()
	if err != nil {
		os.Remove(dir)
		return res, err
	}
	args := append([]string{"-c", wrapper, dir}, spec.Args...)
	cmd := exec.Command("sh", args...)
	cmd.Dir = spec.Dir
	cmd.Env = spec.Env
	cmd.Stdout = spec.Stdout
	cmd.Stderr = spec.Stderr
	res.Start = time.Now()
	if err := cmd.Start(); err != nil {
		os.Remove(dir)
		return res, fmt.Errorf("harness: start %s: %w", spec.Args[0], err)
	}
	res.PID = cmd.Process.Pid
	done := make(chan struct{})
	go func() {
		select {
		case <-ctx.Done():
			if ps, err := procs(dir); err == nil {
				for _, p := range ps {
					syscall.Kill(p, syscall.SIGKILL)
				}
			}
			cmd.Process.Kill()
		case <-done:
		}
	}()
	werr := cmd.Wait()
	close(done)
	res.ExitCode = -1
	if st, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); ok {
		if st.Signaled() {
			res.Signal = st.Signal()
		} else {
			res.ExitCode = st.ExitStatus()
		}
	} else if werr != nil {
		os.Remove(dir)
		return res, werr
	}
	// Wait for every process still in the cgroup (daemonised children,
	// xdist workers the controller left behind) before reading the counters.
	ps, _ := procs(dir)
	for len(ps) > 0 {
		if ctx.Err() != nil {
			for _, p := range ps {
				syscall.Kill(p, syscall.SIGKILL)
			}
		}
		time.Sleep(20 * time.Millisecond)
		ps, _ = procs(dir)
	}
	res.End = time.Now()
	if h.version == 1 {
		n, _ := counter(filepath.Join(dir, "memory.oom_control"), "oom_kill")
		res.OOMKills = int(n)
		res.MaxUsageBytes = single(filepath.Join(dir, "memory.max_usage_in_bytes"))
	} else {
		n, _ := counter(filepath.Join(dir, "memory.events"), "oom_kill")
		res.OOMKills = int(n)
		res.MaxUsageBytes = single(filepath.Join(dir, "memory.peak"))
	}
	var afterErr error
	if spec.AfterExit != nil {
		afterErr = spec.AfterExit(res)
	}
	rmErr := removeCgroup(ctx, dir)
	if res.OOMKills > 0 && spec.Settle >= 0 {
		settle := spec.Settle
		if settle == 0 {
			settle = 2500 * time.Millisecond
		}
		select {
		case <-time.After(settle):
		case <-ctx.Done():
		}
	}
	log, kerr := cur.ReadNew()
	var gap *kmsg.GapError
	if kerr != nil && !errors.As(kerr, &gap) {
		return res, kerr
	}
	res.KernelLog = log
	if gap != nil {
		res.KernelLogGap = gap
	}
	if rmErr != nil {
		return res, rmErr
	}
	if afterErr != nil {
		return res, afterErr
	}
	return res, ctx.Err()
}
