package correlate

import (
	"fmt"
	"math"
	"path"
	"sort"
	"strings"
)

// Record mode reads per-test memory off periodic samples and the stamps of
// pytest -v result lines (`oomlens record`). What the two clocks mean:
//
//   - A -v result line ends (its newline is written) when the next test
//     starts: pytest's terminal reporter writes the newline in
//     pytest_runtest_logstart of the next test, after the previous test's
//     teardown (module and class fixtures of a file included), and flushes
//     it. So a line's stamp is the boundary between two tests. It is stamped
//     when the recorder read it: at or after the boundary, late by the
//     recorder's wakeup (usually a tenth of a millisecond, a few under a
//     busy CPU). Lines read together share a stamp (a burst): their
//     boundaries lie somewhere before it.
//   - A sample is stamped when it was read (recorders from 2026-11 on; older
//     ones stamped the tick's start). `oomlens record` reads the tree as soon
//     as a -v line ends, so a boundary usually has a sample within a
//     fraction of a millisecond after its stamp, and more every interval.
//
// Reading at a boundary, in that order:
//
//   - a sample at most recordReadWindowS after the stamp is the memory
//     there (it may hold the first instants of the next test);
//   - a stamp shared with other tests' boundaries (a burst) gets no reading:
//     the memory between the reading before the burst and the one after it
//     changed while those tests ran and the next one started, and the
//     samples cannot say which did it. The ledger keeps such a change as
//     growth between tests, owned by no test, or a release of earlier
//     growth (most recent first); the test after the burst starts from the
//     sample after it;
//   - otherwise the memory is interpolated between the samples around the
//     stamp (a change seen between two samples is shared by time among the
//     tests that ran then), and the test is marked as sharing its figures.
//
// Module and class teardowns: a file's (or class's) last test also runs the
// teardown of the module- (class-) scoped fixtures, and a drop over that test
// is read as theirs. It is given back to the growth of the file's tests,
// earliest first (a fixture is set up by the first test that uses it: see
// runLedger's fixture rule), rather than to the test itself.
//
// recordReadWindowS is the window in which a sample after a stamp reads the
// boundary.
const recordReadWindowS = 0.002

// recordTeardownFixture names the fixture of a drop at the end of a file or
// class in record mode: the fixtures themselves are not known.
const recordTeardownFixture = "(read from a drop at its end)"

// recordSteps turns periodic samples into test readings for the processes
// that have samples and no per-test records: a job run under `oomlens
// record`, whose pytest log carries a wall-clock stamp on every line. Each
// test's start and end get the reading at its boundary stamps (see above),
// marked Coarse; setPeak later takes the highest sample in between. It
// reports whether any process was filled this way, and warnings.
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
		intervalS, lineTicks := recordSampling(j)
		if intervalS > 0 {
			p.RecordSampling = fmt.Sprintf("samples every %s", msWords(intervalS))
		} else if g := sampleGap(p.Samples); g > 0 {
			intervalS = g
			p.RecordSampling = fmt.Sprintf("samples about %s apart", msWords(g))
		}
		if lineTicks {
			p.RecordSampling += " and as result lines ended"
		}
		bursts := recordFill(p, tests, fl, intervalS)
		warns = append(warns, bursts...)
		warns = append(warns, recordSummary(p)...)
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

// recordSampling is the recorder's sampling period from record.json (0 when
// unknown), and whether it also read the memory as result lines ended.
func recordSampling(j *job) (float64, bool) {
	for _, r := range j.Records {
		if r.Manifest.Sampler.IntervalMS > 0 {
			return r.Manifest.Sampler.IntervalMS / 1000, r.Manifest.Sampler.LineTicks > 0
		}
	}
	return 0, false
}

// recordSummary says how the process's test boundaries were read.
func recordSummary(p *proc) []string {
	read, all := 0, 0
	for i := range p.Steps {
		s := &p.Steps[i]
		if s.Kind != stepEnd {
			continue
		}
		all++
		if s.HasMem() && readAt(p.Samples, s.Time) {
			read++
		}
	}
	if all == 0 {
		return nil
	}
	w := fmt.Sprintf("record mode: %s: per-test memory was read from %s, not written by the tests: %d of %d test ends had a sample within %s after their result line",
		procName(p), p.RecordSampling, read, all, msWords(recordReadWindowS))
	if read < all {
		w += "; the others are interpolated between samples or, in a burst of lines, not read: a test shorter than the sampling interval may show no change of its own"
	}
	return []string{w}
}

// rspan is one test of a process in record mode, with its boundary stamps
// and readings.
type rspan struct {
	id, source, outcome string
	startSource         string  // the line whose stamp is its start: the previous test's result line
	start, end          float64 // 0 unknown
	inFlight            bool
	before, after       mem
	hasBefore, hasAfter bool
	shared              int // other tests between the samples around its start or end
}

// recordFill puts the start and end steps of p's tests (and its test in
// flight) on p, read off its samples, and returns warnings about the bursts
// of lines whose changes no test can be given.
func recordFill(p *proc, tests []testInfo, fl []inflight, intervalS float64) []string {
	var spans []*rspan
	prevEnd, prevSource := 0.0, ""
	startSource := func(start float64, own string) string {
		if start == prevEnd && prevSource != "" {
			return prevSource
		}
		return own
	}
	for _, t := range tests {
		start := t.Start
		if start == 0 {
			start = prevEnd
		}
		if t.End == 0 && start == 0 {
			continue
		}
		src := t.Source.String()
		spans = append(spans, &rspan{id: t.ID, source: src, startSource: startSource(start, src), outcome: t.Outcome, start: start, end: t.End})
		if t.End > 0 {
			prevEnd, prevSource = t.End, src
		}
	}
	for _, f := range fl {
		start := f.Start
		if start == 0 {
			start = prevEnd
		}
		spans = append(spans, &rspan{id: f.Test, source: f.Source, startSource: startSource(start, f.Source), start: start, inFlight: true})
	}
	// A stamp that ends more than one test is a burst.
	ends := map[float64]int{}
	for _, s := range spans {
		if !s.inFlight && s.end > 0 {
			ends[s.end]++
		}
	}
	burst := func(t float64) bool { return ends[t] > 1 }
	for _, s := range spans {
		// The test that starts at a burst and ends after it (or runs on)
		// starts from the sample after the burst; the others of the burst
		// get no reading.
		if s.start > 0 && !(burst(s.start) && !s.inFlight && s.end == s.start) {
			s.before, s.hasBefore = boundaryMem(p.Samples, s.start)
		}
		if !s.inFlight && s.end > 0 && !burst(s.end) {
			s.after, s.hasAfter = boundaryMem(p.Samples, s.end)
		}
	}
	markShared(spans, p.Samples, burst)
	gapS := intervalS
	if gapS <= 0 {
		gapS = sampleGap(p.Samples)
	}

	// The steps, with a drop at the end of a file or class read as the
	// teardown of its fixtures.
	var warns []string
	var cur mem // the last reading put on the steps
	hasCur := false
	groupFrom := -1        // the first test of a burst: its end and the next ones have no reading
	endAt := map[int]int{} // test index → index of its end step in p.Steps
	for i, s := range spans {
		if s.hasBefore && groupFrom >= 0 && hasCur {
			// The end of a burst: what changed over it is no test's (see
			// the comment at the top), except that a drop over a burst
			// that holds the end of a file or class is read as the
			// teardown of its fixtures, during its last test.
			if w := burstWords(p, spans[groupFrom:i], cur, s.before); w != "" {
				warns = append(warns, w)
			}
			if delta(s.before, cur) > 0 {
				for m := groupFrom; m < i; m++ {
					k, ended := endAt[m]
					if scope := lastOfScope(spans, m); scope != "" && ended {
						p.Steps = append(p.Steps[:k], append([]step{teardownStep(spans[m], scope, cur, s.before)}, p.Steps[k:]...)...)
						cur = s.before
						break
					}
				}
			}
			groupFrom = -1
		}
		st := newStep(stepStart, s.id, s.start, s.before, s.hasBefore, 0)
		st.set(stepCoarse, true)
		st.setSource(s.startSource)
		p.Steps = append(p.Steps, st)
		if s.hasBefore {
			cur, hasCur = s.before, true
		}
		if s.inFlight {
			continue
		}
		if scope := lastOfScope(spans, i); scope != "" && s.hasBefore && s.hasAfter && delta(s.before, s.after) < 0 {
			p.Steps = append(p.Steps, teardownStep(s, scope, s.before, s.after))
		}
		endAt[i] = len(p.Steps)
		en := newStep(stepEnd, s.id, s.end, s.after, s.hasAfter && s.hasBefore, 0)
		en.More = &stepMore{SharedWith: s.shared, SampleGapS: gapS, Source: s.source}
		en.set(stepCoarse|stepOwnSource, true)
		en.setOutcome(s.outcome)
		p.Steps = append(p.Steps, en)
		if en.HasMem() {
			cur, hasCur = s.after, true
		} else if groupFrom < 0 && burst(s.end) {
			groupFrom = i
		}
	}
	return warns
}

// teardownStep is a drop from before to after at the end of test s, the last
// of its file or class, read as the teardown of that scope's fixtures.
func teardownStep(s *rspan, scope string, before, after mem) step {
	st := newStep(stepFixture, s.id, s.end, before, true, 0)
	st.More = &stepMore{Fixture: recordTeardownFixture, Scope: scope, After: after, Source: s.source}
	st.set(stepCoarse|stepOwnSource, true)
	return st
}

// lastOfScope says whether test i is the last of its file ("module") or of
// its class ("class") on the process: the next test (or the one in flight)
// is in another. The last test of all is not: its end may come long after,
// with the session's teardown.
func lastOfScope(spans []*rspan, i int) string {
	if i < 0 || i+1 >= len(spans) {
		return ""
	}
	a, b := spans[i].id, spans[i+1].id
	switch {
	case nodeFile(a) != nodeFile(b):
		return "module"
	case nodeParent(a) != nodeParent(b) && nodeParent(a) != nodeFile(a):
		return "class"
	}
	return ""
}

// burstWords says what changed over a run of tests whose lines came in a
// burst, when it is at least a MiB.
func burstWords(p *proc, run []*rspan, from, to mem) string {
	d := delta(from, to)
	if math.Abs(float64(d)) < mibBytes || len(run) == 0 {
		return ""
	}
	names := run[0].id
	if len(run) > 1 {
		names = fmt.Sprintf("%s … %s (%d tests)", run[0].id, run[len(run)-1].id, len(run))
	}
	return fmt.Sprintf("record mode: %s: the result lines of %s reached the recorder together, so their ends were not read; memory changed by %s between the readings around them (the next test's start included), which is given to no test",
		procName(p), names, signed(d))
}

// boundaryMem is the memory at the boundary stamp t: the first sample at
// most recordReadWindowS after it, else the samples around t interpolated;
// the last sample after the last one; nothing before the first.
func boundaryMem(s []sample, t float64) (mem, bool) {
	i := sort.Search(len(s), func(i int) bool { return s[i].Time >= t })
	if i < len(s) && s[i].Time-t <= recordReadWindowS {
		return s[i].Mem, true
	}
	return memAt(s, t)
}

// readAt reports whether a sample falls within recordReadWindowS after t.
func readAt(s []sample, t float64) bool {
	i := sort.Search(len(s), func(i int) bool { return s[i].Time >= t })
	return i < len(s) && s[i].Time-t <= recordReadWindowS
}

// markShared counts, for each test's start and end that no sample read (see
// boundaryMem), the other tests that ran between the two samples around it:
// their changes cannot be told apart from its own. A test's end in a burst
// shares with the other tests of the burst.
func markShared(spans []*rspan, samples []sample, burst func(float64) bool) {
	around := func(t float64) (float64, float64, bool) {
		i := sort.Search(len(samples), func(i int) bool { return samples[i].Time > t })
		if i == 0 || i == len(samples) {
			return 0, 0, false
		}
		return samples[i-1].Time, samples[i].Time, true
	}
	for k, sp := range spans {
		if sp.inFlight {
			continue
		}
		n := 0
		for _, t := range []float64{sp.start, sp.end} {
			if t == 0 {
				continue
			}
			if burst(t) {
				for j, o := range spans {
					if j != k && !o.inFlight && o.end == t {
						n++
					}
				}
				continue
			}
			if readAt(samples, t) {
				continue
			}
			lo, hi, ok := around(t)
			if !ok {
				continue
			}
			for j, o := range spans {
				oEnd := o.end
				if o.inFlight {
					oEnd = math.Inf(1)
				}
				if j != k && o.start < hi && oEnd > lo {
					n++
				}
			}
		}
		sp.shared = n
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

// What record.json says of the kernel log read during the run.
const (
	recordKernelNone        = iota // no record.json
	recordKernelRead               // read, and the file is among the inputs
	recordKernelMissing            // read, but the file is not among the inputs
	recordKernelUnavailable        // could not be read; why says why
)

// recordKernel is the fate of the kernel log of a recorded run.
type recordKernel struct {
	state  int
	source string // the record.json
	file   string // the kernel log it names, as an input path
	why    string
}

// recordKernelOf reads the kernel log's fate off the record.json manifests:
// read (the file it names is an input read as a kernel log, or was given
// as one), read but missing from the inputs, or unavailable and why.
func recordKernelOf(j *job) recordKernel {
	var out recordKernel
	for _, r := range j.Records {
		m := r.Manifest
		switch {
		case m.KernelLog != nil && *m.KernelLog != "":
			file := *m.KernelLog
			if dir := path.Dir(r.Path); dir != "." {
				file = path.Join(dir, file)
			}
			for _, in := range j.Inputs {
				if path.Clean(in.Path) == path.Clean(file) {
					for _, k := range in.Kinds {
						if k == "kernel-log" {
							return recordKernel{state: recordKernelRead, source: r.Path, file: in.Path}
						}
					}
				}
			}
			out = recordKernel{state: recordKernelMissing, source: r.Path, file: file}
		case m.KernelLogUnavailable != "" && out.state == recordKernelNone:
			out = recordKernel{state: recordKernelUnavailable, source: r.Path, why: m.KernelLogUnavailable}
		}
	}
	return out
}

// recordRunEnd is how record.json says the command ended: killed by SIGKILL
// ("sigkill": the kill that ended the run, if the kernel log has it, makes
// it "oom-kill"), ended by SIGTERM, SIGINT or SIGHUP ("cancelled"), by a
// crash signal ("crash"), exited 0, 1 or 5 (pytest's "all passed", "some
// failed", "no tests": "complete"), exited 3 (pytest's internal error:
// "crash"), exited 137 or 143 as a shell reports a child's SIGKILL or
// SIGTERM, or anything else ("unknown"). ok is false without a record.json
// that says.
func recordRunEnd(j *job) (RunEnd, bool) {
	for _, r := range j.Records {
		m := r.Manifest
		status := m.Status
		re := RunEnd{ExitCode: &status}
		switch {
		case m.Signal != nil:
			re.Evidence = []string{fmt.Sprintf("%s: the command was ended by signal %q (status %d)", r.Path, *m.Signal, m.Status)}
			switch *m.Signal {
			case "killed":
				re.Kind = "sigkill"
			case "terminated", "interrupt", "hangup":
				re.Kind = "cancelled"
			case "aborted", "segmentation fault", "bus error", "illegal instruction", "floating point exception", "quit", "trace/breakpoint trap", "bad system call":
				re.Kind = "crash"
			default:
				re.Kind = "unknown"
			}
		case m.ExitCode != nil:
			re.Evidence = []string{fmt.Sprintf("%s: the command exited with status %d", r.Path, *m.ExitCode)}
			switch *m.ExitCode {
			case 0, 1, 5:
				re.Kind = "complete"
			case 3:
				re.Kind = "crash"
			case 137:
				re.Kind = "sigkill"
			case 130, 143:
				re.Kind = "cancelled"
			default:
				re.Kind = "unknown"
			}
		default:
			continue
		}
		return re, true
	}
	return RunEnd{}, false
}

// recordFixtureBytes is what of a test's growth was given back at the end of
// its file or class, read as the teardown of that scope's fixtures.
func recordFixtureBytes(t *testMem) int64 {
	var n int64
	for _, r := range t.Releases {
		if r.Fixture == recordTeardownFixture {
			n += r.Bytes
		}
	}
	return n
}

// recordTeardownWords describes a release at the end of a file or class.
func recordTeardownWords(r release) string {
	what := nodeFile(r.By)
	if r.Scope == "class" {
		what = nodeParent(r.By)
	}
	return fmt.Sprintf("%s when %s ended, read as the teardown of its %s-scoped fixtures, during %s", FormatBytes(r.Bytes), what, r.Scope, r.By)
}

// recordReadWords says how a record-mode test's readings were taken: the
// recorder's sampling interval, and for its start and end how long after the
// stamp the sample that read it came, or that it was interpolated.
func recordReadWords(t *testMem) string {
	s := t.Proc.Samples
	part := func(what string, at float64) string {
		if at == 0 {
			return ""
		}
		i := sort.Search(len(s), func(i int) bool { return s[i].Time >= at })
		switch {
		case i < len(s) && s[i].Time-at <= recordReadWindowS:
			return fmt.Sprintf("its %s read %s after its stamp", what, msWords(s[i].Time-at))
		case i > 0 && i < len(s):
			return fmt.Sprintf("its %s interpolated between samples %s apart", what, msWords(s[i].Time-s[i-1].Time))
		}
		return "its " + what + " from the nearest sample"
	}
	out := "read from " + t.Proc.RecordSampling
	if t.Proc.RecordSampling == "" {
		out = "read from samples"
	}
	for _, p := range []string{part("start", t.Start), part("end", t.End)} {
		if p != "" {
			out += "; " + p
		}
	}
	return out
}

// msWords writes seconds as milliseconds: "0.1 ms", "2.5 ms", "50 ms".
func msWords(s float64) string {
	ms := s * 1000
	if ms < 10 {
		return fmt.Sprintf("%.1f ms", ms)
	}
	return fmt.Sprintf("%.0f ms", ms)
}
