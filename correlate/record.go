package correlate

import (
	"fmt"
	"math"
	"sort"
	"strings"
)

// recordSteps turns periodic samples into test readings for the processes
// that have samples and no per-test records: a job run under `oomlens
// record`, whose pytest log carries a wall-clock stamp on every line. A
// test's readings are the memory at its start stamp and at its end stamp
// (the stamp of its result line under -v), each interpolated between the
// two samples around it: memory is taken to change at an even rate between
// samples, so a change seen between two samples is shared among the tests
// that ran then in proportion to their time in that interval, and the end
// reading of one test is the start reading of the next. setPeak later
// takes the highest sample in between. The readings are marked Coarse. It
// reports whether any process was filled this way.
func recordSteps(j *job) (bool, []string) {
	var warns []string
	filled := false
	var cands []*proc
	for _, p := range j.Procs {
		if len(p.Steps) == 0 && len(p.Samples) > 0 {
			cands = append(cands, p)
		}
	}
	if len(cands) == 0 {
		return false, nil
	}
	// The tests without a worker id ran in one process: of the processes
	// without one, the pytest process (by its command line), else a
	// Python one, else the largest.
	var main *proc
	score := func(p *proc) (int, int64) {
		s := 0
		if strings.Contains(p.Cmdline, "pytest") || strings.Contains(p.Cmdline, "py.test") {
			s += 2
		}
		if pythonComm(p.Comm) {
			s++
		}
		var top int64
		for _, x := range p.Samples {
			top = max(top, x.Mem.RSSBytes)
		}
		return s, top
	}
	for _, p := range cands {
		if p.Worker != "" {
			continue
		}
		if main == nil {
			main = p
			continue
		}
		a, at := score(p)
		b, bt := score(main)
		if a > b || (a == b && at > bt) {
			main = p
		}
	}
	for _, p := range cands {
		if p.Worker == "" && p != main {
			continue
		}
		sort.SliceStable(p.Samples, func(a, b int) bool { return p.Samples[a].Time < p.Samples[b].Time })
		var tests []testInfo
		for _, t := range j.Tests {
			if p.Worker != "" && t.Worker != p.Worker {
				continue
			}
			if p.Worker == "" && t.Worker != "" {
				continue
			}
			tests = append(tests, t)
		}
		var fl []inflight
		for _, f := range j.InFlight {
			if f.Worker == p.Worker {
				fl = append(fl, f)
			}
		}
		if len(tests) == 0 && len(fl) == 0 {
			continue
		}
		prevEnd := 0.0
		for _, t := range tests {
			start := t.Start
			if start == 0 {
				start = prevEnd
			}
			if t.End == 0 && start == 0 {
				continue
			}
			st := step{Kind: stepStart, Test: t.ID, Time: start, Source: t.Source, Coarse: true}
			if m, ok := memAt(p.Samples, start); ok && start > 0 {
				st.Mem, st.HasMem = m, true
			}
			en := step{Kind: stepEnd, Test: t.ID, Time: t.End, Outcome: t.Outcome, Source: t.Source, Coarse: true}
			if m, ok := memAt(p.Samples, t.End); ok && t.End > 0 {
				en.Mem, en.HasMem = m, true
			}
			p.Steps = append(p.Steps, st, en)
			if t.End > 0 {
				prevEnd = t.End
			}
		}
		markShared(p.Steps, p.Samples)
		for _, f := range fl {
			start := f.Start
			if start == 0 {
				start = prevEnd
			}
			st := step{Kind: stepStart, Test: f.Test, Time: start, Source: f.Source, Coarse: true}
			if m, ok := memAt(p.Samples, start); ok && start > 0 {
				st.Mem, st.HasMem = m, true
			}
			p.Steps = append(p.Steps, st)
		}
		filled = true
	}
	if filled && main != nil && len(cands) > 1 {
		what := main.Comm
		if what == "" {
			what = "the largest"
		}
		warns = append(warns, fmt.Sprintf("record mode: the tests without an xdist worker are read against pid %d (%s), of the %d processes recorded", main.PID, what, len(cands)))
	}
	return filled, warns
}

// markShared counts, for each test's start and end, the other tests that
// ran between the two samples around it: their changes cannot be told
// apart from its own.
func markShared(steps []step, samples []sample) {
	type span struct{ from, to float64 }
	var spans []span
	for i := 0; i+1 < len(steps); i += 2 {
		spans = append(spans, span{steps[i].Time, steps[i+1].Time})
	}
	around := func(t float64) (float64, float64, bool) {
		i := sort.Search(len(samples), func(i int) bool { return samples[i].Time > t })
		if i == 0 || i == len(samples) {
			return 0, 0, false
		}
		return samples[i-1].Time, samples[i].Time, true
	}
	for k, sp := range spans {
		n := 0
		for _, t := range []float64{sp.from, sp.to} {
			lo, hi, ok := around(t)
			if !ok {
				continue
			}
			for j, o := range spans {
				if j != k && o.from < hi && o.to > lo {
					n++
				}
			}
		}
		steps[2*k+1].SharedWith = n
		if n > 0 {
			steps[2*k+1].SampleGapS = sampleGap(samples)
		}
	}
}

// sampleGap is the median time between samples.
func sampleGap(s []sample) float64 {
	if len(s) < 2 {
		return 0
	}
	d := make([]float64, 0, len(s)-1)
	for i := 1; i < len(s); i++ {
		d = append(d, s[i].Time-s[i-1].Time)
	}
	sort.Float64s(d)
	return d[len(d)/2]
}

// memAt is the memory at t, interpolated linearly between the samples
// around it; the last sample after the last one; nothing before the first.
func memAt(s []sample, t float64) (mem, bool) {
	i := sort.Search(len(s), func(i int) bool { return s[i].Time > t })
	switch {
	case i == 0:
		return mem{}, false
	case i == len(s) || s[i-1].Time == t:
		return s[i-1].Mem, true
	}
	a, b := s[i-1], s[i]
	f := (t - a.Time) / (b.Time - a.Time)
	lerp := func(x, y int64) int64 { return x + int64(math.Round(f*float64(y-x))) }
	m := mem{RSSBytes: lerp(a.Mem.RSSBytes, b.Mem.RSSBytes)}
	if a.Mem.HasAnon && b.Mem.HasAnon {
		m.AnonBytes, m.HasAnon = lerp(a.Mem.AnonBytes, b.Mem.AnonBytes), true
	}
	return m, true
}
