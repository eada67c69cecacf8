package gcpace

import "strings"

// floor is the object Floor made; it lives as long as the process.
var floor *strings.Builder

// Floor makes the heap goal at least about (1+GOGC/100) × n bytes however
// small the live heap is, for as long as the process runs: it keeps an
// object of n bytes that nothing writes to. The runtime offers a ceiling
// (GOMEMLIMIT) but no floor, and its goal is the heap marked at the last
// cycle times 1+GOGC/100 (runtime/mgcpacer.go): a batch, whose live heap is
// the few jobs in flight (5-9 MB, GODEBUG=gctrace=1 on bench-out's jobs),
// collects every few megabytes of garbage, and each cycle has costs that do
// not shrink with the heap (the mark phase's write barriers, sweeping,
// clearing reused spans). The object is counted in the marked heap, so the
// goal keeps room for n bytes of garbage, while a large live heap L still
// peaks near (1+GOGC/100) × L, as without it.
//
// The object costs address space, not memory: it is made without zeroing
// (strings.Builder grows through the runtime's MakeNoZero) and never
// written, so none of its pages is faulted in, and it holds no pointers,
// so marking it is one bit. Call Floor first, before the heap has used and
// freed any memory the object could land on. Only the first call acts; it
// reports whether it did.
func Floor(n int) bool {
	state.Lock()
	defer state.Unlock()
	if n <= 0 || floor != nil {
		return false
	}
	floor = new(strings.Builder)
	floor.Grow(n)
	return true
}
