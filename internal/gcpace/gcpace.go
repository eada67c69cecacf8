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
// the estimate is collected at the estimate, and from then on as before. A
// forced cycle (runtime.GC) does not end the wait: the cleanup paces the
// rest of the growth and drops another object.
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

// Defer lets the heap grow by about growBytes over what is in use now
// before the collector runs again, then sets GOGC back. A collection forced
// meanwhile (runtime.GC: hugeheap.Reserve frees its room so) leaves the
// wait in place, paced anew for the rest of the growth. It does nothing
// when the environment sets GOGC (the user's choice), when the collector is
// off, when a Defer is already waiting, or when the pace it would set is no
// later than the current one. It reports whether it acted.
func Defer(growBytes int64) bool {
	if os.Getenv("GOGC") != "" || growBytes <= 0 || !active.CompareAndSwap(false, true) {
		return false
	}
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	p := &pace{targetBytes: int64(m.HeapAlloc) + growBytes}
	p.percent = p.percentAt(&m)
	p.prev = debug.SetGCPercent(p.percent)
	if p.prev < 0 || p.prev >= p.percent {
		debug.SetGCPercent(p.prev)
		active.Store(false)
		return false
	}
	p.arm(&m)
	return true
}

// pace is one Defer's wait.
type pace struct {
	targetBytes int64 // the heap in use at which the wait ends
	prev        int   // GOGC before Defer
	percent     int   // GOGC while the wait lasts
	// cycles and forced are the runtime's counts of collections, all and
	// forced, when the wait was last armed.
	cycles, forced uint32
}

// percentAt is the GOGC that puts the next heap goal (runtime/mgcpacer.go:
// the heap marked, plus that heap, the stacks and the globals times
// GOGC/100) at the target, from the heap and stacks in use in m.
func (p *pace) percentAt(m *runtime.MemStats) int {
	inUse := int64(m.HeapAlloc + m.StackInuse)
	return int(min(max(p.targetBytes-inUse, 0)*100/max(inUse, minBaseBytes), 1<<30))
}

// arm drops an object whose cleanup runs after the next collection.
func (p *pace) arm(m *runtime.MemStats) {
	p.cycles, p.forced = m.NumGC, m.NumForcedGC
	// It holds a pointer, so it is not one of the tiny allocations that
	// share a block (whose cleanups may wait for the block's other
	// objects).
	dropped := &struct{ p *int }{}
	runtime.AddCleanup(dropped, (*pace).collected, p)
}

// collected follows a collection. Forced ones only since the wait was
// armed, and the heap short of the target, the wait goes on; else GOGC is
// set back. Either way, a GOGC something else set since stays.
func (p *pace) collected() {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	onlyForced := m.NumGC-p.cycles == m.NumForcedGC-p.forced
	if percent := p.percentAt(&m); onlyForced && percent > p.prev {
		cur := debug.SetGCPercent(percent)
		if cur == p.percent {
			p.percent = percent
			p.arm(&m)
			return
		}
		debug.SetGCPercent(cur)
	} else if cur := debug.SetGCPercent(p.prev); cur != p.percent {
		debug.SetGCPercent(cur)
	}
	p.done()
}

// done ends the wait.
func (p *pace) done() {
	active.Store(false)
	select {
	case setBack <- struct{}{}:
	default:
	}
}
