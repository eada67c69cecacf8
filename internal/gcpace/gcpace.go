// Package gcpace puts off the Go collector's next cycle while a model that
// stays live is built.
//
// Why: `oomlens analyze` builds one job's model from its inputs, and nearly
// everything it allocates stays live until the report is written. At the
// default GOGC=100 the collector runs each time the heap doubles, marks the
// whole model so far and frees next to nothing: on a 100,000-test weathercop
// log (bench-out/wc-100k.log, 61 MB) two cycles over a heap that ends at
// 52 MB, on a 1M-record diagnostics JSONL two over one of 245 MB
// (GODEBUG=gctrace=1), ~10% of the run each time (issue 18,
// scripts/bench-analyze.sh).
//
// How: Defer raises GOGC (debug.SetGCPercent) so that the next cycle's heap
// goal (runtime/mgcpacer.go: the heap marked at the last cycle, plus that
// heap, the stacks and the globals times GOGC/100) is about the heap in use
// plus the growth expected, and a cleanup (runtime.AddCleanup) on an object
// dropped at once sets GOGC back when that cycle runs: a model that outgrows
// the estimate is collected at the estimate, and from then on as before.
package gcpace

import (
	"os"
	"runtime"
	"runtime/debug"
	"sync/atomic"
)

// minBaseBytes is the runtime's smallest heap goal at GOGC=100
// (runtime/mgcpacer.go, defaultHeapMinimum), which it scales with GOGC: a
// base under it would raise that floor past the goal meant.
const minBaseBytes = 4 << 20

// active is set while a Defer waits for its cycle: one at a time.
var active atomic.Bool

// setBack is sent to, without waiting, each time a Defer's GOGC is set
// back: tests wait on it.
var setBack = make(chan struct{}, 1)

// Defer lets the heap grow by about growBytes over what the last cycle
// marked before the collector runs again, then sets GOGC back. It does
// nothing when the environment sets GOGC (the user's choice), when the
// collector is off, when a Defer is already waiting, or when the pace it
// would set is no later than the current one. It reports whether it acted.
func Defer(growBytes int64) bool {
	if os.Getenv("GOGC") != "" || growBytes <= 0 || !active.CompareAndSwap(false, true) {
		return false
	}
	base := max(heapBaseBytes(), minBaseBytes)
	percent := int(min(growBytes*100/base, 1<<30))
	prev := debug.SetGCPercent(percent)
	if prev < 0 || prev >= percent {
		debug.SetGCPercent(prev)
		active.Store(false)
		return false
	}
	back := func(int) {
		// Set back unless something else set GOGC since.
		if cur := debug.SetGCPercent(prev); cur != percent {
			debug.SetGCPercent(cur)
		}
		active.Store(false)
		select {
		case setBack <- struct{}{}:
		default:
		}
	}
	// The object is unreachable at once: the next cycle runs its cleanup.
	// It holds a pointer, so it is not one of the tiny allocations that
	// share a block (whose cleanups may wait for the block's other
	// objects).
	dropped := &struct{ p *int }{}
	runtime.AddCleanup(dropped, back, 0)
	return true
}

// heapBaseBytes is about what GOGC multiplies into the next heap goal: the
// heap in use (right after a collection, as after hugeheap.Reserve, what it
// marked live; later, some garbage too, which only sets an earlier pace)
// and the stacks. runtime/metrics has the figures exactly, at 0.4-0.8 ms of
// every start for its init (GODEBUG=inittrace=1); ReadMemStats stops the
// world for microseconds.
func heapBaseBytes() int64 {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return int64(m.HeapAlloc + m.StackInuse)
}
