package correlate

import (
	"fmt"
	"sort"
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
	noWorker := 0
	for _, p := range cands {
		if p.Worker == "" {
			noWorker++
		}
	}
	for _, p := range cands {
		sort.SliceStable(p.Samples, func(a, b int) bool { return p.Samples[a].Time < p.Samples[b].Time })
		var tests []testInfo
		for _, t := range j.Tests {
			if p.Worker != "" && t.Worker != p.Worker {
				continue
			}
			if p.Worker == "" && (t.Worker != "" || noWorker > 1) {
				continue
			}
			tests = append(tests, t)
		}
		var fl []inflight
		for _, f := range j.InFlight {
			if (p.Worker != "" && f.Worker == p.Worker) || (p.Worker == "" && f.Worker == "" && noWorker == 1) {
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
	if filled {
		for _, p := range cands {
			if len(p.Steps) == 0 && len(cands) > 1 {
				warns = append(warns, fmt.Sprintf("record mode: the samples of pid %d could not be tied to any test (no xdist worker id on them)", p.PID))
			}
		}
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
