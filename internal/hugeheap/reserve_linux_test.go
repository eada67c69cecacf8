//go:build linux

package hugeheap

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"
)

func TestTHPMode(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"always [madvise] never\n", "madvise"},
		{"[always] madvise never\n", "always"},
		{"always madvise [never]\n", "never"},
		{"always madvise never\n", ""},
		{"[always madvise never\n", ""},
		{"", ""},
	} {
		if got := thpMode(tc.in); got != tc.want {
			t.Errorf("thpMode(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestGodebugDisablesTHP(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want bool
	}{
		{"", false},
		{"disablethp=1", true},
		{"madvdontneed=1, disablethp=1", true},
		{"disablethp=1,disablethp=0", false},
		{"disablethp=0", false},
		{"xdisablethp=1", false},
	} {
		if got := godebugDisablesTHP(tc.in); got != tc.want {
			t.Errorf("godebugDisablesTHP(%q) = %v, want %v", tc.in, got, tc.want)
		}
	}
}

// TestReserveAdvises checks the outcome in the kernel's own words: after
// Reserve, the heap's next large object lies, but for the part before the
// first huge page boundary, in mappings whose VmFlags (/proc/self/smaps)
// carry "hg", MADV_HUGEPAGE's flag. Reserve acts once a process and on a
// young heap, so the check runs in a process of its own (the test binary
// again), as many times as the test is.
func TestReserveAdvises(t *testing.T) {
	if os.Getenv("HUGEHEAP_TEST_CHILD") == "1" {
		checkReserveAdvises(t)
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestReserveAdvises$", "-test.v")
	cmd.Env = append(os.Environ(), "HUGEHEAP_TEST_CHILD=1")
	out, err := cmd.CombinedOutput()
	t.Logf("child process:\n%s", out)
	switch {
	case err != nil:
		t.Fatalf("child process: %v", err)
	case bytes.Contains(out, []byte("--- SKIP")):
		t.Skip("skipped in the child process (above)")
	case !bytes.Contains(out, []byte("--- PASS")):
		t.Fatal("the child process ran no check")
	}
}

func checkReserveAdvises(t *testing.T) {
	switch reason := refusal(); {
	case reason == godebugRefusal:
		t.Skip(reason)
	case reason != "" && os.Getenv("CI") == "true":
		t.Fatal(reason + ": Reserve does nothing")
	case reason != "":
		t.Skip(reason + ": Reserve does nothing")
	}
	// The room Reserve advises is untouched: made on a young heap, on
	// memory the heap had not used, its first page is not resident.
	sb, p := room(8 << 20)
	if resident(t, p) {
		t.Error("the first page of the room Reserve makes is resident: something wrote to it, which before the advice faults its huge page in small pages")
	}
	// Kept to the end: freed, it would be a hole the object made after
	// Reserve could straddle.
	defer runtime.KeepAlive(sb)
	// A list made before Reserve, as a stream makes its list of steps, is
	// advised where it lies.
	list := make([]int64, 0, 2<<20)
	if !Advise(unsafe.Pointer(unsafe.SliceData(list)), uintptr(cap(list))*8) {
		t.Fatal("Advise of a 16 MiB list = false on a machine that allows it")
	}
	lo := uintptr(unsafe.Pointer(unsafe.SliceData(list)))
	if hg, _ := advisedBytes(t, lo, lo+uintptr(cap(list))*8); hg != uintptr(cap(list))*8 {
		t.Errorf("of a 16 MiB list given to Advise, %d bytes lie in mappings with VmFlags hg; want all, its first and last huge pages whole", hg)
	}
	runtime.KeepAlive(list)
	if !Reserve(64 << 20) {
		t.Fatal("Reserve(64 MiB) = false on a machine that allows it")
	}
	if Reserve(64 << 20) {
		t.Error("a second Reserve advised again: it acts once a process")
	}
	b := make([]byte, 16<<20)
	for i := 0; i < len(b); i += 4096 {
		b[i] = 1
	}
	lo = uintptr(unsafe.Pointer(unsafe.SliceData(b)))
	hg, anonHugeKB := advisedBytes(t, lo, lo+uintptr(len(b)))
	if hg < uintptr(len(b))-hugePageBytes {
		t.Errorf("of a 16 MiB object made after Reserve, %d bytes lie in mappings with VmFlags hg (MADV_HUGEPAGE); want all but the part before its first 2 MiB boundary", hg)
	}
	// Whether the kernel found free huge pages depends on the machine's
	// memory: reported, not required.
	t.Logf("%d of %d bytes advised; AnonHugePages of those mappings: %d kB", hg, len(b), anonHugeKB)
	runtime.KeepAlive(b)
}

// resident reports whether the page at p is in memory (mincore(2)).
func resident(t *testing.T, p unsafe.Pointer) bool {
	if p == nil {
		t.Fatal("the empty builder's string has no address: Reserve advises nothing")
	}
	var vec [1]byte
	if _, _, errno := unix.Syscall(unix.SYS_MINCORE, uintptr(p)&^4095, 4096, uintptr(unsafe.Pointer(&vec[0]))); errno != 0 {
		t.Fatalf("mincore: %v", errno)
	}
	return vec[0]&1 == 1
}

// advisedBytes sums the bytes of [lo, hi) that lie in mappings whose VmFlags
// hold hg, and the AnonHugePages of those mappings.
func advisedBytes(t *testing.T, lo, hi uintptr) (hg uintptr, anonHugeKB int) {
	f, err := os.Open("/proc/self/smaps")
	if err != nil {
		t.Skipf("no /proc/self/smaps: %v", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	var overlap uintptr
	huge := 0
	for sc.Scan() {
		line := sc.Text()
		if a, b, ok := mappingRange(line); ok {
			overlap = 0
			if a < hi && lo < b {
				overlap = min(b, hi) - max(a, lo)
			}
			huge = 0
			continue
		}
		if overlap == 0 {
			continue
		}
		if v, ok := strings.CutPrefix(line, "AnonHugePages:"); ok {
			huge, _ = strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(v), " kB"))
		}
		if v, ok := strings.CutPrefix(line, "VmFlags:"); ok && strings.Contains(" "+strings.TrimSpace(v)+" ", " hg ") {
			hg += overlap
			anonHugeKB += huge
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return hg, anonHugeKB
}

// mappingRange parses the "lo-hi perms …" line that opens a mapping.
func mappingRange(line string) (lo, hi uintptr, ok bool) {
	r, _, _ := strings.Cut(line, " ")
	a, b, ok := strings.Cut(r, "-")
	if !ok {
		return 0, 0, false
	}
	x, err1 := strconv.ParseUint(a, 16, 64)
	y, err2 := strconv.ParseUint(b, 16, 64)
	if err1 != nil || err2 != nil {
		return 0, 0, false
	}
	return uintptr(x), uintptr(y), true
}
