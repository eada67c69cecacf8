// Package gcpace changes the Go collector's pace while a job's model is
// built: off for a moment (Off), then put off until the model is built
// (Defer). It is the one place that changes GOGC while either is in
// effect, so that they compose across goroutines (batch's workers); other
// code sets GOGC only before (cmd/oomlens, at a command's start).
//
// Why Defer: `oomlens analyze` builds one job's model from its inputs, and
// nearly everything it allocates stays live until the report is written. At
// the default pace the collector runs each time the heap doubles, marks the
// whole model so far and frees next to nothing: on a 100,000-test
// weathercop log (bench-out/wc-100k.log, 61 MB) two cycles over a heap that
// ends at 52 MB, on a 1M-record diagnostics JSONL two over one of 245 MB
// (GODEBUG=gctrace=1), ~10% of the run each time (issue 18,
// scripts/bench-analyze.sh).
//
// Why Off: a stream's list of records is made large at once (24 MB for
// wc-100k), and its size started a cycle, which read the list before it was
// advised huge pages (hugeheap) and which hugeheap.Reserve's own collection
// then waited for: 8-16 ms of wc-100k's start.
//
// How Defer works: it raises GOGC (debug.SetGCPercent) so that the next
// cycle's heap goal (runtime/mgcpacer.go: the heap marked at the last
// cycle, plus that heap, the stacks and the globals times GOGC/100) is
// about the heap in use plus the growth expected, and a cleanup
// (runtime.AddCleanup) on an object dropped at once sets GOGC back when
// that cycle runs: a model that outgrows the estimate is collected at the
// estimate, and from then on as before.
package gcpace

import (
	"os"
	"runtime"
	"runtime/debug"
	"sync"
)

// minBaseBytes is the runtime's smallest heap goal at GOGC=100
// (runtime/mgcpacer.go, defaultHeapMinimum), which it scales with GOGC: a
// base under it would raise that floor past the goal meant.
const minBaseBytes = 4 << 20

// state is what this package has done to GOGC.
var state struct {
	sync.Mutex
	offs   int   // Offs not yet turned on again
	pace   *pace // the Defer waiting for its cycle, nil when none
	before int   // GOGC before the first Off or Defer in effect
}

// setBack is sent to, without waiting, each time a Defer's wait ends:
// tests wait on it.
var setBack = make(chan struct{}, 1)

// pace is one Defer's wait.
type pace struct {
	percent int // GOGC while it lasts
}

// Off turns the collector off until on is called (once). Offs nest and may
// overlap across goroutines; a cycle running when the first is called
// finishes first (debug.SetGCPercent).
func Off() (on func()) {
	state.Lock()
	defer state.Unlock()
	if state.offs == 0 && state.pace == nil {
		state.before = debug.SetGCPercent(-1)
	}
	state.offs++
	apply()
	var once sync.Once
	return func() {
		once.Do(func() {
			state.Lock()
			defer state.Unlock()
			state.offs--
			apply()
		})
	}
}

// Defer lets the heap grow by about growBytes over what is in use now
// before the collector runs again, then sets GOGC back. Called while an Off
// is in effect, the wait begins when the last is turned on. It does nothing
// when the environment sets GOGC (the user's choice), when the collector is
// off otherwise, when a Defer is already waiting, or when the pace it would
// set is no later than the current one. It reports whether it acted.
func Defer(growBytes int64) bool {
	if os.Getenv("GOGC") != "" || growBytes <= 0 {
		return false
	}
	state.Lock()
	defer state.Unlock()
	if state.pace != nil {
		return false
	}
	if state.offs == 0 {
		state.before = debug.SetGCPercent(-1)
		defer apply()
	}
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	inUse := int64(m.HeapAlloc + m.StackInuse)
	percent := int(min(growBytes*100/max(inUse, minBaseBytes), 1<<30))
	if state.before < 0 || state.before >= percent {
		return false
	}
	p := &pace{percent: percent}
	state.pace = p
	// The object is unreachable at once: the next cycle runs its cleanup.
	// It holds a pointer, so it is not one of the tiny allocations that
	// share a block (whose cleanups may wait for the block's other
	// objects).
	runtime.AddCleanup(&struct{ p *int }{}, (*pace).collected, p)
	return true
}

// collected ends the wait after its cycle.
func (p *pace) collected() {
	state.Lock()
	defer state.Unlock()
	if state.pace != p {
		return
	}
	state.pace = nil
	apply()
	select {
	case setBack <- struct{}{}:
	default:
	}
}

// apply sets GOGC to what is in effect: off while an Off is, else the
// Defer's, else what it was before.
func apply() {
	switch {
	case state.offs > 0:
		debug.SetGCPercent(-1)
	case state.pace != nil:
		debug.SetGCPercent(state.pace.percent)
	default:
		debug.SetGCPercent(state.before)
	}
}
