package record

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/oomlens/oomlens/record/manifest"
)

// The test binary re-executed as a recorder: TestMain runs Run with the
// folder, command and grace these variables give, and exits with its status,
// so that a test can signal or SIGKILL a recorder that is not itself.
const (
	envRecorderDir   = "OOMLENS_TEST_RECORDER_DIR"
	envRecorderCmd   = "OOMLENS_TEST_RECORDER_CMD" // JSON array
	envRecorderGrace = "OOMLENS_TEST_RECORDER_GRACE"
)

func TestMain(m *testing.M) {
	if dir := os.Getenv(envRecorderDir); dir != "" {
		os.Exit(recorderMain(dir))
	}
	os.Exit(m.Run())
}

func recorderMain(dir string) int {
	var command []string
	if err := json.Unmarshal([]byte(os.Getenv(envRecorderCmd)), &command); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	grace, _ := time.ParseDuration(os.Getenv(envRecorderGrace))
	res, err := Run(Options{Dir: dir, Command: command, Interval: 20 * time.Millisecond, KillGrace: grace,
		Stdout: os.Stdout, Stderr: os.Stderr})
	if err != nil {
		fmt.Fprintln(os.Stderr, "recorder:", err)
	}
	if res == nil {
		return 2
	}
	return res.Status
}

// recorderProc is a recorder running in a process of its own, with the
// command's stdout read line by line.
type recorderProc struct {
	cmd   *exec.Cmd
	dir   string
	lines chan string
}

func startRecorder(t *testing.T, grace time.Duration, command ...string) *recorderProc {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmdJSON, _ := json.Marshal(command)
	r := &recorderProc{dir: t.TempDir(), lines: make(chan string, 16)}
	r.cmd = exec.Command(exe, "-test.run=^$")
	r.cmd.Env = append(os.Environ(), envRecorderDir+"="+r.dir, envRecorderCmd+"="+string(cmdJSON), envRecorderGrace+"="+grace.String())
	r.cmd.Stderr = os.Stderr
	out, err := r.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := r.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		defer close(r.lines)
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			r.lines <- sc.Text()
		}
		io.Copy(io.Discard, out)
	}()
	t.Cleanup(func() {
		r.cmd.Process.Kill()
		r.cmd.Wait()
	})
	return r
}

// line waits for the command's next output line.
func (r *recorderProc) line(t *testing.T) string {
	t.Helper()
	select {
	case l, ok := <-r.lines:
		if !ok {
			t.Fatal("the recorder's output ended")
		}
		return l
	case <-time.After(60 * time.Second):
		t.Fatal("no output from the command within 60 s")
	}
	return ""
}

// manifestOf reads record.json; it must be whole at any moment.
func manifestOf(t *testing.T, dir string) *manifest.Manifest {
	t.Helper()
	f, err := os.Open(filepath.Join(dir, ManifestFile))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	m, err := manifest.Parse(f, ManifestFile)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// eventually waits (polling, up to 30 s) for cond.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("not within 30 s: %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func pids(t *testing.T, fields []string) []int {
	t.Helper()
	var out []int
	for _, f := range fields {
		n, err := strconv.Atoi(f)
		if err != nil {
			t.Fatalf("pid %q: %v", f, err)
		}
		out = append(out, n)
	}
	return out
}

// TestKillEscalated: a command that ignores SIGTERM (and so do its
// children, SIG_IGN is inherited) is killed KillGrace after the recorder
// forwarded SIGTERM, children included, and record.json says so.
func TestKillEscalated(t *testing.T) {
	r := startRecorder(t, 300*time.Millisecond, "/bin/sh", "-c", `trap '' TERM; sleep 300 & echo ready $!; wait; wait`)
	f := strings.Fields(r.line(t))
	if len(f) != 2 || f[0] != "ready" {
		t.Fatalf("command printed %q", f)
	}
	sleeper := pids(t, f[1:])[0]
	if err := r.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- r.cmd.Wait() }()
	var err error
	select {
	case err = <-done:
	case <-time.After(60 * time.Second):
		t.Fatal("the recorder did not end within 60 s of SIGTERM")
	}
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 128+int(syscall.SIGKILL) {
		t.Errorf("recorder ended with %v, want status 137 (the command killed)", err)
	}
	m := manifestOf(t, r.dir)
	if !m.Escalated || m.Running || m.Signal == nil || *m.Signal != "killed" {
		t.Errorf("record.json: escalated %v, running %v, signal %v; want escalated, not running, killed", m.Escalated, m.Running, m.Signal)
	}
	if len(m.ForwardedSignals) != 1 || m.ForwardedSignals[0] != "terminated" {
		t.Errorf("forwarded_signals = %q", m.ForwardedSignals)
	}
	if !zombie(sleeper) {
		t.Errorf("the command's child %d (ignoring SIGTERM) outlived the recorder", sleeper)
	}
}

// TestRecorderKilled: the recorder itself is SIGKILLed while the command
// runs. Its record.json is whole (it says the recorder was still running),
// and where a cgroup was made nothing of the command is left: not the
// direct child (PR_SET_PDEATHSIG), not a background child in its group,
// not one that left the group with setsid (the reaper empties the cgroup),
// and the cgroup is removed.
func TestRecorderKilled(t *testing.T) {
	parent, _, _, err := ownCgroup()
	if err == nil {
		var c *cgroup
		if c, err = newCgroup(); err == nil {
			c.remove()
		}
	}
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("no cgroup for the command: %v", err)
		}
		t.Skipf("no cgroup for the command: %v", err)
	}
	r := startRecorder(t, 10*time.Second, "/bin/sh", "-c", `sleep 300 & a=$!; setsid sleep 300 & b=$!; echo ready $a $b; wait`)
	f := strings.Fields(r.line(t))
	if len(f) != 3 || f[0] != "ready" {
		t.Fatalf("command printed %q", f)
	}
	procs := pids(t, f[1:])
	var m *manifest.Manifest
	eventually(t, "record.json names the command's cgroup", func() bool {
		m = manifestOf(t, r.dir)
		return m.Cgroup != "" || m.CgroupUnavailable != ""
	})
	if m.Cgroup == "" {
		t.Fatalf("no cgroup: %s", m.CgroupUnavailable)
	}
	procs = append(procs, m.PID)
	cgdir := filepath.Join(parent, path.Base(m.Cgroup))
	if _, err := os.Stat(cgdir); err != nil {
		t.Fatalf("the command's cgroup: %v", err)
	}
	if err := r.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	r.cmd.Wait()
	eventually(t, "every process of the command gone", func() bool {
		for _, p := range procs {
			if !zombie(p) {
				return false
			}
		}
		return true
	})
	eventually(t, "the cgroup removed", func() bool {
		_, err := os.Stat(cgdir)
		return errors.Is(err, os.ErrNotExist)
	})
	m = manifestOf(t, r.dir)
	if !m.Running || m.Start == "" || m.PID == 0 {
		t.Errorf("record.json after SIGKILL: running %v, start %q, pid %d", m.Running, m.Start, m.PID)
	}
	left, _ := filepath.Glob(filepath.Join(r.dir, ".record.json.*"))
	if len(left) > 0 {
		t.Errorf("temporary files left: %q", left)
	}
}

// TestLeftoversEnded: processes the command left running when it exited
// get SIGTERM, and SIGKILL when they ignore it; Run returns without waiting
// for them.
func TestLeftoversEnded(t *testing.T) {
	for _, tc := range []struct {
		script, signal string
	}{
		{`sleep 300 & echo $!`, "terminated"},
		{`trap '' TERM; sleep 300 & echo $!`, "killed"},
	} {
		t.Run(tc.signal, func(t *testing.T) {
			var out strings.Builder
			res, err := Run(Options{Dir: t.TempDir(), Interval: 20 * time.Millisecond, KillGrace: 200 * time.Millisecond,
				Command: []string{"/bin/sh", "-c", tc.script}, Stdout: &out})
			if err != nil {
				t.Fatal(err)
			}
			m := res.Manifest
			if m.LeftoverProcesses != 1 || m.LeftoverSignal != tc.signal {
				t.Errorf("leftover_processes %d, leftover_signal %q; want 1, %q", m.LeftoverProcesses, m.LeftoverSignal, tc.signal)
			}
			if p, err := strconv.Atoi(strings.TrimSpace(out.String())); err != nil || !zombie(p) {
				t.Errorf("the background sleep (%q) outlived Run", out.String())
			}
		})
	}
}
