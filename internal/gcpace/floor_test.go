package gcpace

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"strconv"
	"testing"
)

// floorChild names the environment variable under which TestFloor's body
// runs in a process of its own: the floor lasts as long as the process,
// and would change the heap every other test of the package sees.
const floorChild = "GCPACE_FLOOR_CHILD"

// heapGoal is the runtime's heap goal now.
func heapGoal() uint64 {
	s := []metrics.Sample{{Name: "/gc/heap/goal:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

// rssBytes is this process's resident set (VmRSS), or -1 where there is
// no /proc/self/status.
func rssBytes(t *testing.T) int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return -1
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		if f := bytes.Fields(sc.Bytes()); len(f) == 3 && string(f[0]) == "VmRSS:" {
			kb, err := strconv.ParseInt(string(f[1]), 10, 64)
			if err != nil {
				t.Fatalf("VmRSS %q: %v", f[1], err)
			}
			return kb << 10
		}
	}
	t.Fatal("/proc/self/status has no VmRSS line")
	return -1
}

// TestFloor: a floor of 64 MiB raises the heap goal at GOGC=100 by about
// twice that, and the process's resident memory by next to nothing.
func TestFloor(t *testing.T) {
	if os.Getenv(floorChild) == "" {
		cmd := exec.Command(os.Args[0], "-test.run=^TestFloor$", "-test.v")
		cmd.Env = append(os.Environ(), floorChild+"=1", "GOGC=", "GOMEMLIMIT=")
		out, err := cmd.CombinedOutput()
		if err != nil || !bytes.Contains(out, []byte("--- PASS: TestFloor")) {
			t.Fatalf("the floor's own process: %v\n%s", err, out)
		}
		t.Logf("%s", out)
		return
	}
	const n = 64 << 20
	debug.SetGCPercent(100)
	runtime.GC()
	before, rss0 := heapGoal(), rssBytes(t)
	if !Floor(n) {
		t.Fatal("Floor(64 MiB) = false on its first call")
	}
	if Floor(n) {
		t.Error("Floor(64 MiB) = true on its second call")
	}
	runtime.GC()
	after, rss1 := heapGoal(), rssBytes(t)
	t.Logf("heap goal %d -> %d bytes; VmRSS %d -> %d bytes", before, after, rss0, rss1)
	if after < before+2*n-(4<<20) {
		t.Errorf("heap goal %d -> %d bytes: want it raised by about %d", before, after, 2*n)
	}
	if rss0 >= 0 && rss1-rss0 > n/4 {
		t.Errorf("VmRSS %d -> %d bytes: the floor's %d bytes were faulted in", rss0, rss1, n)
	}
}
