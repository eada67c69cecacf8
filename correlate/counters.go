package correlate

// This file is the counters stage: process-wide counts of live objects
// attributed to the tests that raised them.

// countersLedger attributes process-wide live-object counters (weathercop's
// "Open xarray datasets: N"): each rise of a count between consecutive test
// ends is put on a stack owned by the test during which it rose, each fall
// takes the most recent rises off (LIFO). What is left is what the owner
// left open; later tests that merely still see the count are not blamed.
func countersLedger(p *proc, r *procResult, lastOf func(name string) *testMem) {
	type rise struct {
		t *testMem
		n int
	}
	stacks := map[string][]rise{}
	prev := map[string]int{}
	before := map[*testMem]map[string]int{}
	// count settles type k reading n at the end of test t.
	count := func(k string, n int, t *testMem) {
		d := n - prev[k]
		if d > 0 && t != nil {
			stacks[k] = append(stacks[k], rise{t, d})
			if before[t] == nil {
				before[t] = map[string]int{}
			}
			before[t][k] = prev[k]
		}
		for d < 0 && len(stacks[k]) > 0 {
			top := &stacks[k][len(stacks[k])-1]
			take := min(top.n, -d)
			top.n -= take
			d += take
			if top.n == 0 {
				stacks[k] = stacks[k][:len(stacks[k])-1]
			}
		}
		prev[k] = n
	}
	seen := false
	ti := 0
	for i := range p.Steps {
		s := &p.Steps[i]
		if s.Kind != stepEnd || s.extra().OpenCounter == nil {
			continue
		}
		seen = true
		var t *testMem
		for ; ti < len(r.Tests); ti++ {
			if r.Tests[ti].Test == s.Test && !r.Tests[ti].InFlight {
				t = r.Tests[ti]
				ti++
				break
			}
		}
		if t == nil {
			t = lastOf(s.Test)
		}
		// Every type seen so far, then those new in this step: no set of
		// keys made per step (each key is settled on its own).
		for k := range prev {
			count(k, s.extra().OpenCounter[k], t)
		}
		for k, n := range s.extra().OpenCounter {
			if _, ok := prev[k]; !ok {
				count(k, n, t)
			}
		}
	}
	if !seen {
		return
	}
	for k, st := range stacks {
		for _, rs := range st {
			if rs.n <= 0 {
				continue
			}
			r := rs.t.own()
			if r.Open == nil {
				r.Open = map[string]int{}
			}
			r.Open[k] += rs.n
			if r.CounterRise == nil {
				r.CounterRise = map[string]string{}
			}
			b := before[rs.t][k]
			r.CounterRise[k] = itoa(b) + " → " + itoa(b+rs.n)
		}
	}
}
