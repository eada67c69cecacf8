package job

import (
	"fmt"
	"math"
	"path"
	"sort"
	"strings"
	"time"

	"github.com/oomlens/oomlens/correlate"
)

// One job is one run: the inputs of two runs must never be merged into one
// verdict (the kill of one run's process blamed on the leaks of the other).
// Runs finds the runs the inputs of a job come from, by this rule:
//
//   - Only test sessions make runs: a pytest log with a session in it, a
//     diagnostics file whose session_start is not an xdist worker's, a
//     record.json of `oomlens record`.
//   - An xdist worker's diagnostics belong to their controller's run, and
//     make none of their own (the controller writes no file).
//   - Kernel logs never make a run: one host's log holds many boots and
//     other processes, and two renderings of one log (dmesg, journalctl)
//     are one. JUnit XML, collection lists, cores and weathercop logs make
//     none either.
//   - Inputs of different kinds are of one run when nothing in them says
//     otherwise: their wall-clock spans overlap (with runSlack to spare),
//     their boot times agree, and the tests a pytest log reports come in
//     the order its diagnostics started them (one list a prefix of the
//     other). So one run spread over two folders is one run.
//   - Two inputs of one kind are two runs: two pytest logs (two runs of a
//     deterministic suite print the same log byte for byte, so the content
//     cannot tell one run rendered twice from two runs), two diagnostics
//     files of different processes (pid; the same pid and boot are one
//     process), two record.json files of different starts.

// runSlack is how far apart the wall-clock spans of two inputs of one run
// may be: a CI runner stamps a line when it arrives, a buffered log lags
// behind the diagnostics file, fsync'd line by line.
const runSlack = 2 * time.Minute

// Run is one test run among the inputs of a job.
type Run struct {
	// Inputs are the paths of the inputs that make the run, in the order
	// the job lists them.
	Inputs []string
}

// Folders are the folders of the run's inputs (the archive, for members of
// one), each once, in the order of the inputs.
func (r Run) Folders() []string {
	var out []string
	seen := map[string]bool{}
	for _, p := range r.Inputs {
		d := path.Dir(p)
		if !seen[d] {
			seen[d] = true
			out = append(out, d)
		}
	}
	return out
}

// RunsError is the refusal of the inputs of more than one run.
type RunsError struct {
	Runs []Run
}

func (e *RunsError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "the inputs are of %d runs, and one job is one run:", len(e.Runs))
	for i, r := range e.Runs {
		fmt.Fprintf(&b, "\n  run %d: %s", i+1, describeRun(r))
	}
	return b.String()
}

// describeRun names a run's inputs folder by folder: "dir/ (a.log, b.jsonl)".
func describeRun(r Run) string {
	var parts []string
	for _, d := range r.Folders() {
		var names []string
		for _, p := range r.Inputs {
			if path.Dir(p) == d {
				names = append(names, path.Base(p))
			}
		}
		parts = append(parts, fmt.Sprintf("%s/ (%s)", strings.TrimSuffix(d, "/"), strings.Join(names, ", ")))
	}
	return strings.Join(parts, "; ")
}

// maker kinds, in the order runs are seeded: the inputs that carry a
// process identity first.
const (
	makerRecord = iota
	makerDiagnostics
	makerPytest
)

// maker is an input that makes a run, with what identifies it.
type maker struct {
	path       string
	order      int // the input's place in the job
	kind       int
	pid        int     // diagnostics: the process
	bootTime   float64 // Unix seconds, 0 when unknown
	from, to   time.Time
	hasSpan    bool
	tests      []string // distinct node ids, in the order the input saw them
	xdist      bool     // a pytest log of an xdist run: results come in worker order
	recordFrom string   // record.json: its start, as written
}

// Runs groups the run-making inputs of ev into runs (see the rule above).
// Evidence with no run-making input is one run of no inputs (nil).
func Runs(ev *correlate.Evidence) []Run {
	order := map[string]int{}
	for i, in := range ev.Inputs {
		order[in.Path] = i
	}
	var makers []*maker
	for _, r := range ev.Records {
		m := &maker{path: r.Path, order: order[r.Path], kind: makerRecord, bootTime: float64(r.Manifest.BootTime), recordFrom: r.Manifest.Start}
		from, err1 := time.Parse(time.RFC3339Nano, r.Manifest.Start)
		to, err2 := time.Parse(time.RFC3339Nano, r.Manifest.End)
		if err1 == nil {
			if err2 != nil || to.Before(from) {
				to = from
			}
			m.from, m.to, m.hasSpan = from, to, true
		}
		makers = append(makers, m)
	}
	for _, d := range ev.Diagnostics {
		if m := diagnosticsMaker(d); m != nil {
			m.order = order[d.Path]
			makers = append(makers, m)
		}
	}
	for _, p := range ev.Pytest {
		if p.Log == nil || len(p.Log.Sessions) == 0 {
			continue
		}
		m := &maker{path: p.Path, order: order[p.Path], kind: makerPytest}
		seen := map[string]bool{}
		for _, s := range p.Log.Sessions {
			m.xdist = m.xdist || s.Workers != nil || strings.HasPrefix(s.Mode, "xdist")
			for _, t := range s.Tests {
				if t.NodeID != "" && !seen[t.NodeID] {
					seen[t.NodeID] = true
					m.tests = append(m.tests, t.NodeID)
				}
				for _, st := range [2]struct {
					at  time.Time
					has bool
				}{{t.Start, t.HasStart}, {t.End, t.HasEnd}} {
					if st.has {
						m.widen(st.at)
					}
				}
			}
		}
		makers = append(makers, m)
	}
	sort.SliceStable(makers, func(i, j int) bool {
		if makers[i].kind != makers[j].kind {
			return makers[i].kind < makers[j].kind
		}
		return makers[i].order < makers[j].order
	})
	runs := group(makers)
	out := make([]Run, len(runs))
	for i, run := range runs {
		sort.SliceStable(run, func(a, b int) bool { return run[a].order < run[b].order })
		for _, m := range run {
			out[i].Inputs = append(out[i].Inputs, m.path)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return order[out[i].Inputs[0]] < order[out[j].Inputs[0]] })
	return out
}

// group puts makers into runs, kind by kind (records, then diagnostics, then
// pytest logs). Within a kind, the input and run that share the most
// (a folder, an overlapping span, tests in one order) are joined first, so
// that a run's own log is not taken by another run's diagnostics merely for
// coming first; an input that fits no run makes one.
func group(makers []*maker) [][]*maker {
	var runs [][]*maker
	for start := 0; start < len(makers); {
		end := start
		for end < len(makers) && makers[end].kind == makers[start].kind {
			end++
		}
		todo := append([]*maker(nil), makers[start:end]...)
		for len(todo) > 0 {
			best, bestRun, bestScore := -1, -1, -1
			for i, m := range todo {
				for r, run := range runs {
					if !fits(run, m) {
						continue
					}
					if sc := score(run, m); sc > bestScore {
						best, bestRun, bestScore = i, r, sc
					}
				}
			}
			if best < 0 {
				// Nothing left fits a run: each remaining input makes one,
				// unless it is the same run as one made just before it.
				runs = append(runs, []*maker{todo[0]})
				todo = todo[1:]
				continue
			}
			runs[bestRun] = append(runs[bestRun], todo[best])
			todo = append(todo[:best], todo[best+1:]...)
		}
		start = end
	}
	return runs
}

// score counts what m shares with the inputs of run.
func score(run []*maker, m *maker) int {
	n := 0
	for _, o := range run {
		if path.Dir(o.path) == path.Dir(m.path) {
			n++
		}
		if o.hasSpan && m.hasSpan {
			n++ // fits checked that the spans overlap
		}
		if !o.xdist && !m.xdist && len(o.tests) > 0 && len(m.tests) > 0 {
			n++ // and that the tests come in one order
		}
	}
	return n
}

// diagnosticsMaker is the run a diagnostics file makes: nil for an xdist
// worker's file, or one without a session_start (cut before it, or a
// summary of another tool).
func diagnosticsMaker(d correlate.DiagnosticsInput) *maker {
	s, ok := d.Session()
	if !ok {
		return nil
	}
	m := &maker{path: d.Path, kind: makerDiagnostics, pid: s.PID}
	if s.HasBootTime {
		m.bootTime = s.BootTime
	}
	if s.HasSpan {
		for _, t := range []float64{s.FromUnix, s.ToUnix} {
			sec, frac := math.Modf(t)
			m.widen(time.Unix(int64(sec), int64(frac*1e9)))
		}
	}
	seen := map[string]bool{}
	for _, id := range s.Tests {
		if !seen[id] {
			seen[id] = true
			m.tests = append(m.tests, id)
		}
	}
	return m
}

func (m *maker) widen(t time.Time) {
	if !m.hasSpan {
		m.from, m.to, m.hasSpan = t, t, true
		return
	}
	if t.Before(m.from) {
		m.from = t
	}
	if t.After(m.to) {
		m.to = t
	}
}

// fits reports whether m can be of run: the run has no input of m's kind
// that is another run's, and nothing in m contradicts any of its inputs.
func fits(run []*maker, m *maker) bool {
	for _, o := range run {
		if o.kind == m.kind && !sameOfKind(o, m) {
			return false
		}
		if !agree(o, m) {
			return false
		}
	}
	return true
}

// sameOfKind reports two inputs of one kind that are one run rendered
// twice: the same process's diagnostics, the same record.json.
func sameOfKind(a, b *maker) bool {
	switch a.kind {
	case makerDiagnostics:
		return a.pid != 0 && a.pid == b.pid
	case makerRecord:
		return a.recordFrom != "" && a.recordFrom == b.recordFrom
	}
	return false
}

// agree reports that nothing in a and b says they are of two runs.
func agree(a, b *maker) bool {
	if a.bootTime > 0 && b.bootTime > 0 && math.Abs(a.bootTime-b.bootTime) > 2 {
		return false // boot_time is whole seconds, read at different moments
	}
	if a.hasSpan && b.hasSpan && (a.from.After(b.to.Add(runSlack)) || b.from.After(a.to.Add(runSlack))) {
		return false
	}
	if a.xdist || b.xdist || len(a.tests) == 0 || len(b.tests) == 0 {
		return true
	}
	n := min(len(a.tests), len(b.tests))
	for i := 0; i < n; i++ {
		if a.tests[i] != b.tests[i] {
			return false
		}
	}
	return true
}
