//go:build linux

package hugeheap

import (
	"os"
	"runtime"
	"strings"
	"sync"
	"unsafe"

	"github.com/oomlens/oomlens/internal/gcpace"
	"golang.org/x/sys/unix"
)

// hugePageBytes is the size of a transparent huge page on x86-64 and arm64
// with 4 KiB base pages (/sys/kernel/mm/transparent_hugepage/hpage_pmd_size).
const hugePageBytes = 2 << 20

var once struct {
	sync.Mutex
	done bool
}

// Reserve advises huge pages over the next n bytes the heap grows into (at
// most a quarter of the machine's memory). It acts once in a process, and only
// where it helps and cannot harm: the kernel's transparent huge pages are
// "madvise" (under "always" the heap has them already; under "never" advice
// is ignored), GODEBUG does not say disablethp=1 (the runtime's own switch
// for the opposite), memory is not strictly accounted
// (vm.overcommit_memory 2 would charge the untouched pages) nor the address
// space limited (RLIMIT_AS). It reports whether it advised.
func Reserve(n int64) bool {
	once.Lock()
	defer once.Unlock()
	if once.done {
		return false
	}
	once.done = true
	n = min(n, totalRAMBytes()/4) &^ (hugePageBytes - 1)
	if n < 4*hugePageBytes || !allowedOnce() {
		return false
	}
	// No collection while the object lives: its size would start one at
	// once, marking for nothing (gctrace: 7 ms at a start).
	on := gcpace.Off()
	sb, p := room(int(n))
	ok := p != nil && advise(p, uintptr(n))
	runtime.KeepAlive(sb)
	sb = nil
	on()
	// Free the object now rather than at the next collection, so that
	// the heap grows into its pages from the first allocation on.
	runtime.GC()
	return ok
}

// room makes an object of n bytes and writes nothing to it: a byte written
// before the advice faults its huge page in small pages for good (the first
// 2 MiB of wc-100k's heap: 450 faults). It is made without zeroing
// (strings.Builder grows through the runtime's MakeNoZero): make([]byte, n)
// clears its memory when it lands on pages the heap used before. Its
// address is that of the empty builder's string, which the compiler leaves
// unspecified: nil then, and Reserve advises nothing.
func room(n int) (*strings.Builder, unsafe.Pointer) {
	sb := new(strings.Builder)
	sb.Grow(n)
	return sb, unsafe.Pointer(unsafe.StringData(sb.String()))
}

// Advise asks for huge pages over the n bytes at p: a large object just
// made for a big input's records (a stream's list of steps), before
// anything is written to it. Made on memory the heap had not used, the
// runtime did not clear it, so the part of it never written (room reserved
// for records that did not come) stays address space; made on memory used
// before, the runtime cleared it and the advice changes nothing. The same
// conditions as Reserve's apply; it acts every call.
func Advise(p unsafe.Pointer, n uintptr) bool {
	return n >= AdviseMinBytes && allowedOnce() && advise(p, n)
}

// advise asks for huge pages over every huge page that the n bytes at p
// touch, the parts of its first and last that lie outside them included:
// that memory is this process's heap too, and the heap grows past an
// object's end into the rest of its last huge page, which unadvised it
// faults in small pages (wc-100k: 450 faults at each end of its list of
// steps). Pages already faulted in small pages stay so.
func advise(p unsafe.Pointer, n uintptr) bool {
	lo := uintptr(p) &^ (hugePageBytes - 1)
	hi := (uintptr(p) + n + hugePageBytes - 1) &^ (hugePageBytes - 1)
	_, _, errno := unix.Syscall(unix.SYS_MADVISE, lo, hi-lo, unix.MADV_HUGEPAGE)
	runtime.KeepAlive(p)
	return errno == 0
}

// allowedOnce is whether Reserve and Advise act here, read once a process.
var allowedOnce = sync.OnceValue(func() bool { return refusal() == "" })

// refusal says why Reserve and Advise do nothing here, "" when they act.
func refusal() string {
	if godebugDisablesTHP(os.Getenv("GODEBUG")) {
		return godebugRefusal
	}
	enabled, err := os.ReadFile("/sys/kernel/mm/transparent_hugepage/enabled")
	if err != nil {
		return "no transparent huge pages here: " + err.Error()
	}
	if mode := thpMode(string(enabled)); mode != "madvise" {
		return "transparent huge pages are not \"madvise\" here (" + strings.TrimSpace(string(enabled)) + ")"
	}
	overcommit, err := os.ReadFile("/proc/sys/vm/overcommit_memory")
	if err != nil {
		return "vm.overcommit_memory cannot be read: " + err.Error()
	}
	if strings.TrimSpace(string(overcommit)) == "2" {
		return "memory is strictly accounted (vm.overcommit_memory 2)"
	}
	var as unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_AS, &as); err != nil || as.Cur != unix.RLIM_INFINITY {
		return "the address space is limited (RLIMIT_AS, ulimit -v)"
	}
	return ""
}

// godebugRefusal is refusal's answer under GODEBUG=disablethp=1.
const godebugRefusal = "GODEBUG says disablethp=1"

// thpMode is the bracketed choice of a transparent_hugepage/enabled file:
// "always [madvise] never" is "madvise".
func thpMode(enabled string) string {
	_, after, ok := strings.Cut(enabled, "[")
	if !ok {
		return ""
	}
	mode, _, ok := strings.Cut(after, "]")
	if !ok {
		return ""
	}
	return mode
}

// godebugDisablesTHP reports GODEBUG's disablethp=1 (the last setting of a
// key wins, as in the runtime's parsing).
func godebugDisablesTHP(godebug string) bool {
	off := false
	for _, kv := range strings.Split(godebug, ",") {
		if k, v, ok := strings.Cut(strings.TrimSpace(kv), "="); ok && k == "disablethp" {
			off = v == "1"
		}
	}
	return off
}

func totalRAMBytes() int64 {
	var si unix.Sysinfo_t
	if unix.Sysinfo(&si) != nil {
		return 0
	}
	return int64(si.Totalram) * int64(si.Unit)
}
