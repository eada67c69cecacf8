package correlate

import (
	"fmt"
	"sort"
	"strings"
)

// recordSteps turns periodic samples into test readings for the processes
// that have samples and no per-test records: a job run under `oomlens
// record`, whose pytest log carries a wall-clock stamp on every line. For
// each test, the reading before it is the sample at or just before its
// start stamp, the reading after it the sample at or just before its end
// stamp (the stamp of its result line under -v); setPeak later takes the
// highest sample in between. The readings are marked Coarse. It reports
// whether any process was filled this way.
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
			if m, ok := sampleAt(p.Samples, start); ok && start > 0 {
				st.Mem, st.HasMem = m, true
			}
			en := step{Kind: stepEnd, Test: t.ID, Time: t.End, Outcome: t.Outcome, Source: t.Source, Coarse: true}
			if m, ok := sampleAt(p.Samples, t.End); ok && t.End > 0 {
				en.Mem, en.HasMem = m, true
			}
			p.Steps = append(p.Steps, st, en)
			if t.End > 0 {
				prevEnd = t.End
			}
		}
		for _, f := range fl {
			start := f.Start
			if start == 0 {
				start = prevEnd
			}
			st := step{Kind: stepStart, Test: f.Test, Time: start, Source: f.Source, Coarse: true}
			if m, ok := sampleAt(p.Samples, start); ok && start > 0 {
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

// sampleAt is the sample at or just before t.
func sampleAt(s []sample, t float64) (mem, bool) {
	i := sort.Search(len(s), func(i int) bool { return s[i].Time > t })
	if i == 0 {
		return mem{}, false
	}
	return s[i-1].Mem, true
}
