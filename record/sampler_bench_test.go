package record

import (
	"io"
	"os/exec"
	"runtime"
	"strconv"
	"syscall"
	"testing"
	"time"

	sysinfo "github.com/elastic/go-sysinfo"
	"golang.org/x/sys/unix"

	"github.com/oomlens/oomlens/internal/cputime"
)

// startTree starts a shell with n sleeping children (n+1 processes) and
// returns the shell's pid once the tree is exactly that: n children, each
// past its exec (comm "sleep", command line "sleep 60"). A child caught
// between fork and exec still shows the shell's comm and command line, and
// the sampler describes a process only once two ticks saw the same identity,
// so a test that started ticking earlier would depend on the scheduler.
func startTree(tb testing.TB, n int) int {
	tb.Helper()
	cmd := exec.Command("/bin/sh", "-c", "for i in $(seq "+strconv.Itoa(n)+"); do sleep 60 & done; wait")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		cmd.Wait()
	})
	s := newSampler(cmd.Process.Pid, io.Discard, 0)
	settled := func() bool {
		pids := s.discover()
		if len(pids) != n+1 {
			return false
		}
		for _, pid := range pids[1:] {
			st, err := readStat(pid, s.buf)
			if err != nil || st.Comm != "sleep" || readCmdline(pid) != "sleep 60" {
				return false
			}
		}
		return true
	}
	for deadline := time.Now().Add(30 * time.Second); !settled(); {
		if time.Now().After(deadline) {
			tb.Fatalf("after 30 s the tree has %d processes, want %d, each child running `sleep 60`", len(s.discover()), n+1)
		}
		time.Sleep(5 * time.Millisecond) // polling /proc: there is no event for "exec done"
	}
	return cmd.Process.Pid
}

// The benchmarks measure one sampler tick over a tree of 21 processes (a
// shell and 20 children), the size of a pytest-xdist run with a few workers
// and their subprocesses, and its parts.

func benchTick(b *testing.B, scan bool) {
	root := startTree(b, 20)
	s := newSampler(root, io.Discard, 0)
	s.useScan = scan
	s.tick() // first sight
	s.tick() // the session_start records
	cpu := cputime.Process(b)
	for b.Loop() {
		s.tick()
	}
	reportCPU(b, cpu)
}

func reportCPU(b *testing.B, start time.Duration) {
	b.ReportMetric(float64((cputime.Process(b)-start).Microseconds())/float64(b.N), "cpu-µs/op")
}

// BenchmarkTick21Children: discovery through /proc/<pid>/task/*/children.
func BenchmarkTick21Children(b *testing.B) { benchTick(b, false) }

// BenchmarkTick21Scan: discovery by reading every /proc/<pid>/stat.
func BenchmarkTick21Scan(b *testing.B) { benchTick(b, true) }

// BenchmarkMemory21Statm reads the 21 processes' memory from statm.
func BenchmarkMemory21Statm(b *testing.B) {
	pids := newSampler(startTree(b, 20), io.Discard, 0).discover()
	buf := make([]byte, 512)
	cpu := cputime.Process(b)
	for b.Loop() {
		for _, pid := range pids {
			if _, err := readStatm(pid, buf); err != nil {
				b.Fatal(err)
			}
		}
	}
	reportCPU(b, cpu)
}

// BenchmarkMemory21GoSysinfo reads the same with go-sysinfo's
// Process(pid).Memory() (VmRSS only: it has no RssAnon).
func BenchmarkMemory21GoSysinfo(b *testing.B) {
	pids := newSampler(startTree(b, 20), io.Discard, 0).discover()
	cpu := cputime.Process(b)
	for b.Loop() {
		for _, pid := range pids {
			p, err := sysinfo.Process(pid)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := p.Memory(); err != nil {
				b.Fatal(err)
			}
		}
	}
	reportCPU(b, cpu)
}

// TestTickCost runs the sampler over 21 processes and checks the CPU time one
// tick costs (this thread's, so that the machine's load and the test
// binary's other goroutines do not count); -v prints the figures.
func TestTickCost(t *testing.T) {
	s := newSampler(startTree(t, 20), io.Discard, 0)
	s.interval = DefaultInterval
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	threadCPU := func() time.Duration {
		var ru syscall.Rusage
		if err := syscall.Getrusage(unix.RUSAGE_THREAD, &ru); err != nil {
			t.Fatal(err)
		}
		return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	s.tick()
	s.tick()
	const ticks = 50
	cpu := threadCPU()
	for range ticks {
		s.tick()
	}
	perTick := (threadCPU() - cpu) / ticks
	st := s.Stats()
	t.Logf("%s discovery over %d processes: %v CPU per tick; wall mean %.0f µs, max %.0f µs",
		st.Discovery, st.MaxProcesses, perTick, st.MeanTickUS, st.MaxTickUS)
	if st.MaxProcesses != 21 || st.Processes != 21 {
		t.Errorf("saw %d processes (max %d at once), want 21", st.Processes, st.MaxProcesses)
	}
	if perTick > 5*time.Millisecond {
		t.Errorf("%v CPU per tick, want under 10%% of the 50 ms interval", perTick)
	}
}
