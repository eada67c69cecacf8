package correlate

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/oomlens/oomlens/diagnostics"
	"github.com/oomlens/oomlens/dmesg"
	"github.com/oomlens/oomlens/elfcore"
	"github.com/oomlens/oomlens/kube"
	"github.com/oomlens/oomlens/pytestlog"
	"github.com/oomlens/oomlens/record/manifest"
	"github.com/oomlens/oomlens/weathercop"
)

// Evidence is everything read from one job, as the parsers gave it.
type Evidence struct {
	Inputs      []Input // path, kinds, warnings (filled by the caller)
	Kernel      []KernelInput
	Pytest      []PytestInput
	JUnit       []JUnitInput
	Collect     []string // node ids from collection lists, in collection order
	Diagnostics []DiagnosticsInput
	Weathercop  []WeathercopInput
	Cores       []CoreInput
	Records     []RecordInput  // record.json of `oomlens record`
	Cgroups     []CgroupInput  // memory cgroup files (confirm.go)
	Kube        []KubeInput    // Kubernetes pod status and events (confirm.go)
	Collected   []CollectInput // collect.json of `oomlens collect`
}

// KernelInput is one kernel log (dmesg, kern.log, journalctl -k, kmsg).
type KernelInput struct {
	Path string
	Log  *dmesg.Log
}

// PytestInput is one pytest or CI log.
type PytestInput struct {
	Path string
	Log  *pytestlog.Log
}

// JUnitInput is one JUnit XML report.
type JUnitInput struct {
	Path  string
	JUnit *pytestlog.JUnit
}

// DiagnosticsInput is one oomlens diagnostics file (or `oomlens record`
// output).
type DiagnosticsInput struct {
	Path string
	// Diag is the file as parsed: by diagnostics.Parse, its records in
	// Records, or by diagnostics.Stream with its records converted as they
	// were read (DiagnosticsStream.Input) and none kept.
	Diag   *diagnostics.Log
	stream *DiagnosticsStream
}

// WeathercopInput is one weathercop test_memory.log.
type WeathercopInput struct {
	Path string
	// Log is the log as parsed: by weathercop.Parse, its records in
	// Records, or by weathercop.Stream with its records converted as they
	// were read (WeathercopStream.Input) and none kept.
	Log    *weathercop.Log
	stream *WeathercopStream
}

// RecordInput is one record.json that `oomlens record` wrote into its job
// folder.
type RecordInput struct {
	Path     string
	Manifest manifest.Manifest
}

// KubeInput is one kubectl output: pod status or events.
type KubeInput struct {
	Path string
	Doc  *kube.Doc
}

// CoreInput is one ELF core dump.
type CoreInput struct {
	Path string
	Core *elfcore.Core
}

// Analyze correlates everything read from one job into a Report. It returns
// an error only when ev is nil; missing or partial evidence becomes
// warnings in the report.
func Analyze(ev *Evidence, opts Options) (*Report, error) {
	if ev == nil {
		return nil, errors.New("correlate: no evidence")
	}
	for i := range ev.Diagnostics {
		if st := ev.Diagnostics[i].stream; st != nil {
			if st.analysed {
				return nil, fmt.Errorf("correlate: %s was analysed before: a streamed input is for one analysis", st.path)
			}
			st.analysed = true
		}
	}
	for i := range ev.Weathercop {
		if st := ev.Weathercop[i].stream; st != nil {
			if st.analysed {
				return nil, fmt.Errorf("correlate: %s was analysed before: a streamed input is for one analysis", st.path)
			}
			st.analysed = true
		}
	}
	j := normalise(ev, opts)
	// The job is this analysis's own: its steps can go once read.
	j.dropSteps = true
	return analyze(j, opts), nil
}

// normaliser holds what the conversion needs across inputs.
type normaliser struct {
	ev   *Evidence
	opts Options
	j    *job
	// order is every node id known, in the order tests ran when a log says
	// so (pytest log, diagnostics), then collection order.
	order   []string
	seen    map[string]bool
	ordered bool // order is built (nodeOrder)
	// byFile indexes the collection list and order by file, built on first
	// use: [0] collection order, [1] run order.
	byFile [2]map[string][]string
	// naiveProcs are processes whose stamps carry no zone and were read as
	// UTC for want of Options.Location.
	naiveProcs []*proc
	// diag are the diagnostics inputs' streams (diagStream).
	diag []*DiagnosticsStream
}

// diagStream is the stream of diagnostics input i, converted once per
// analysis.
func (n *normaliser) diagStream(i int) *DiagnosticsStream {
	if n.diag == nil {
		n.diag = make([]*DiagnosticsStream, len(n.ev.Diagnostics))
	}
	if n.diag[i] == nil {
		n.diag[i] = n.ev.Diagnostics[i].streamOf()
	}
	return n.diag[i]
}

func normalise(ev *Evidence, opts Options) *job {
	n := &normaliser{ev: ev, opts: opts, j: &job{Inputs: ev.Inputs}, seen: map[string]bool{}}
	n.diagnostics()
	n.weathercop()
	n.pytest()
	n.alignNaive()
	n.junit()
	n.kernel()
	n.cores()
	n.records()
	n.confirmations()
	return n.j
}

// records keeps the record.json manifests, and their boot time as a clock
// hint (AlignRecordBootTime).
func (n *normaliser) records() {
	for _, r := range n.ev.Records {
		n.j.Records = append(n.j.Records, r)
		if r.Manifest.BootTime > 0 {
			n.j.Clocks = append(n.j.Clocks, clockHint{Method: AlignRecordBootTime, BootUnix: float64(r.Manifest.BootTime), UncertaintyS: 1, Source: r.Path})
		}
	}
}

func (n *normaliser) warnf(format string, args ...any) {
	n.j.Warnings = append(n.j.Warnings, fmt.Sprintf(format, args...))
}

func pos(path string, line int) string {
	if line <= 0 {
		return path
	}
	return path + ":" + strconv.Itoa(line)
}

func (n *normaliser) addID(id string) {
	if id == "" || strings.Contains(id, "::#") || strings.HasPrefix(id, "#") || n.seen[id] {
		return
	}
	n.seen[id] = true
	n.order = append(n.order, id)
}

// nodeOrder builds order on first use: only weathercop's bare names and
// pytest's positions need it, and on a file of a million records its set
// is the largest thing built.
func (n *normaliser) nodeOrder() {
	if n.ordered {
		return
	}
	n.ordered = true
	// Size the set for the largest input (the others name mostly the same
	// tests): a diagnostics file has a start and an end record per test.
	size := len(n.ev.Collect)
	for _, in := range n.ev.Pytest {
		if in.Log != nil {
			k := 0
			for _, s := range in.Log.Sessions {
				k += len(s.Tests) + len(s.InFlight)
			}
			size = max(size, k)
		}
	}
	for i := range n.ev.Diagnostics {
		if in := &n.ev.Diagnostics[i]; in.Diag != nil {
			size = max(size, len(n.diagStream(i).ids))
		}
	}
	if len(n.seen) == 0 {
		n.seen = make(map[string]bool, size)
	}
	n.order = slices.Grow(n.order, size)
	for _, in := range n.ev.Pytest {
		if in.Log == nil {
			continue
		}
		for _, s := range in.Log.Sessions {
			for _, t := range s.Tests {
				n.addID(t.NodeID)
			}
			for _, f := range s.InFlight {
				n.addID(f.Test)
			}
		}
	}
	for i := range n.ev.Diagnostics {
		if in := &n.ev.Diagnostics[i]; in.Diag != nil {
			for _, id := range n.diagStream(i).ids {
				n.addID(id)
			}
		}
	}
	for _, id := range n.ev.Collect {
		n.addID(id)
	}
}

// resolvePosition turns a progress-mode position "path/test_x.py::#3" into
// the third test of that file: in collection order when a collection list
// was given, else in the order another input (diagnostics) names the tests
// of that file. It returns the position unchanged when neither knows.
func (n *normaliser) resolvePosition(p string) string {
	i := strings.Index(p, "::#")
	if i < 0 {
		return p
	}
	file := p[:i]
	k, err := strconv.Atoi(p[i+3:])
	if err != nil || k < 1 {
		return p
	}
	n.nodeOrder()
	if n.byFile[0] == nil {
		n.byFile = [2]map[string][]string{{}, {}}
		for i, list := range [][]string{n.ev.Collect, n.order} {
			for _, id := range list {
				n.byFile[i][nodeFile(id)] = append(n.byFile[i][nodeFile(id)], id)
			}
		}
	}
	for _, m := range n.byFile {
		if ids := m[file]; k <= len(ids) {
			return ids[k-1]
		}
	}
	return p
}

// diagnostics turns oomlens diagnostics records into processes, one per
// (pid, worker), merged across files: the processes of each file
// (DiagnosticsStream) in file order, those of one pid (or, without a pid,
// one worker id) joined, since a pid is one process (`oomlens record`
// writes the worker id on the session_start only).
func (n *normaliser) diagnostics() {
	procs := map[diagProcKey]*proc{}
	for i := range n.ev.Diagnostics {
		in := &n.ev.Diagnostics[i]
		d := in.Diag
		if d == nil {
			continue
		}
		st := n.diagStream(i)
		for _, w := range d.Warnings {
			n.warnf("%s: %s", pos(in.Path, w.Line), w.Message)
		}
		if d.Format == diagnostics.FormatSummary {
			n.warnf("%s: a summary of per-test peaks (no RSS before and after each test): it can show hogs, never a leak; its peaks are read as allocation peaks, in the writer's own meaning", in.Path)
		}
		n.j.Warnings = append(n.j.Warnings, st.warnings...)
		n.j.Clocks = append(n.j.Clocks, st.clocks...)
		for _, sp := range st.procs {
			k := diagProcOf(sp.PID, sp.Worker)
			p := procs[k]
			if p == nil {
				procs[k] = sp
				n.j.Procs = append(n.j.Procs, sp)
				continue
			}
			if p.Worker == "" {
				p.Worker = sp.Worker
			}
			if st.commSet[sp] {
				p.Comm, p.Cmdline = sp.Comm, sp.Cmdline
			}
			if st.endSet[sp] {
				p.Ended, p.EndedTime = sp.Ended, sp.EndedTime
			}
			p.takeSteps(sp)
			p.Samples = append(p.Samples, sp.Samples...)
			sp.Steps, sp.Samples = nil, nil // now p's
		}
	}
	for _, p := range n.j.Procs {
		sort.SliceStable(p.Samples, func(a, b int) bool { return p.Samples[a].Time < p.Samples[b].Time })
	}
}

// extraString is an unknown field of a diagnostics record that holds a
// JSON string, or "".
func extraString(extra map[string]json.RawMessage, key string) string {
	var s string
	if v, ok := extra[key]; ok && json.Unmarshal(v, &s) == nil {
		return s
	}
	return ""
}

// weathercop turns weathercop logs into one process each (they carry no
// pid), with bare test names matched to node ids.
func (n *normaliser) weathercop() {
	for i := range n.ev.Weathercop {
		in := &n.ev.Weathercop[i]
		l := in.Log
		if l == nil {
			continue
		}
		for _, w := range l.Warnings {
			n.warnf("%s: %s", pos(in.Path, w.Line), w.Message)
		}
		st := in.streamOf(n.opts.Location)
		p := st.p
		if l.Interleaved {
			p.LowConfidence = true
			n.warnf("%s: records of several processes interleave (xdist workers share the file and write no pid): the per-test RSS figures may mix workers, so every leak read from it has low confidence", in.Path)
		}
		// The bare names of the unfinished tests, before they are
		// resolved.
		var unfinished []int // steps
		var bare []string
		if l.Interleaved {
			for _, r := range l.UnfinishedTests {
				if k := st.startStep(r); k >= 0 {
					unfinished = append(unfinished, k)
					bare = append(bare, p.Steps[k].Test)
				}
			}
		}
		open := n.resolveBareNames(p)
		for k, si := range unfinished {
			s := &p.Steps[si]
			id := bare[k]
			if v, ok := open[bare[k]]; ok {
				id = v
			}
			n.j.InFlight = append(n.j.InFlight, inflight{Test: id, Basis: "diagnostics", Start: s.Time, Source: pos(in.Path, s.at(p).Line)})
		}
		if st.naive {
			n.j.NaiveTimes = append(n.j.NaiveTimes, in.Path+" (weathercop's local time)")
		}
		n.j.Procs = append(n.j.Procs, p)
		if st.naive && n.opts.Location == nil {
			n.naiveProcs = append(n.naiveProcs, p)
		}
	}
}

// resolveBareNames turns the bare names of a weathercop process's steps
// into the node ids other inputs give (pytest logs, diagnostics,
// collection lists), in run order: the k-th start of a name is the k-th
// node id of that name, its end the id its start got. It returns the
// starts left open, by bare name. Without node ids the names stay bare.
func (n *normaliser) resolveBareNames(p *proc) map[string]string {
	n.nodeOrder()
	if len(n.order) == 0 {
		return nil // every name resolves to itself
	}
	byName := map[string][]string{} // bare name → node ids with it, in order
	for _, id := range n.order {
		byName[nodeName(id)] = append(byName[nodeName(id)], id)
	}
	used := map[string]int{} // bare name → node ids of that name already used
	open := map[string]string{}
	resolve := func(name string) string {
		ids := byName[name]
		if k := used[name]; k < len(ids) {
			used[name] = k + 1
			return ids[k]
		}
		return name
	}
	for i := range p.Steps {
		s := &p.Steps[i]
		switch s.Kind {
		case stepStart:
			id := resolve(s.Test)
			open[s.Test] = id
			s.Test = id
		case stepEnd:
			id, ok := open[s.Test]
			if !ok {
				id = resolve(s.Test)
			}
			delete(open, s.Test)
			s.Test = id
		}
	}
	return open
}

// alignNaive finds the zone of naive local stamps (weathercop's) when
// Options.Location is not given: the same tests' end stamps in a CI log are
// UTC, so the median difference, rounded to a quarter hour, is the zone's
// offset.
func (n *normaliser) alignNaive() {
	if len(n.naiveProcs) == 0 {
		return
	}
	ends := map[string]float64{}
	for i := range n.j.Tests {
		t := &n.j.Tests[i] // by index: a testInfo is 96 bytes
		if t.End > 0 {
			ends[t.ID] = t.End
		}
	}
	for _, p := range n.naiveProcs {
		var d []float64
		for i := range p.Steps {
			if s := &p.Steps[i]; s.Kind == stepEnd && s.Time > 0 {
				if e, ok := ends[s.Test]; ok {
					d = append(d, s.Time-e)
				}
			}
		}
		if len(d) == 0 {
			continue
		}
		sort.Float64s(d)
		off := math.Round(d[len(d)/2]/900) * 900
		if off == 0 || math.Abs(off) > 14*3600 {
			continue
		}
		for i := range p.Steps {
			if p.Steps[i].Time > 0 {
				p.Steps[i].Time -= off
			}
		}
		for i := range p.Samples {
			p.Samples[i].Time -= off
		}
		sign := "+"
		if off < 0 {
			sign = "-"
		}
		a := int(math.Abs(off))
		n.warnf("%s: its local stamps are UTC%s%02d:%02d by the CI log's stamps of the same tests, and are read so (pass --tz to say otherwise)", p.Source, sign, a/3600, a%3600/60)
		kept := n.j.NaiveTimes[:0]
		for _, s := range n.j.NaiveTimes {
			if !strings.HasPrefix(s, p.Source+" (") {
				kept = append(kept, s)
			}
		}
		n.j.NaiveTimes = kept
	}
}

// mibBytes is one MiB.
const mibBytes = 1 << 20

// keepTests says whether the analysis reads the pytest logs' tests one by
// one: the timeline lists them, record mode cuts the samples of a process
// with no per-test records by their times (proc.sampledOnly), JUnit's
// tests are added unless the log has them, naive local stamps are aligned
// with theirs. Otherwise (batch's jobs without --jsonl) they are not
// listed, a 96-byte testInfo each, only summarised (testsSummary).
func (n *normaliser) keepTests() bool {
	if !n.opts.OmitTimeline || len(n.naiveProcs) > 0 || n.hasJUnitCases() {
		return true
	}
	for _, p := range n.j.Procs {
		if p.sampledOnly() {
			return true
		}
	}
	return false
}

// pytestTests counts the tests of the pytest logs, to reserve their list
// once rather than grow it (a copy and a collection's work at each growth).
func (n *normaliser) pytestTests() int {
	count := 0
	for _, in := range n.ev.Pytest {
		if in.Log != nil {
			for si := range in.Log.Sessions {
				count += len(in.Log.Sessions[si].Tests)
			}
		}
	}
	return count
}

func (n *normaliser) pytest() {
	workerPID := map[string]int{}
	for _, p := range n.j.Procs {
		if p.Worker != "" && p.PID > 0 {
			workerPID[p.Worker] = p.PID
		}
	}
	var last *pytestlog.Session
	var lastPath string
	keep := n.keepTests()
	if keep {
		n.j.Tests = slices.Grow(n.j.Tests, n.pytestTests())
	} else {
		n.j.logTests = &testsSummary{}
	}
	for _, in := range n.ev.Pytest {
		if in.Log == nil {
			continue
		}
		for _, w := range in.Log.Warnings {
			n.warnf("%s: %s", pos(in.Path, w.Line), w.Message)
		}
		for si := range in.Log.Sessions {
			s := &in.Log.Sessions[si]
			for k := range s.Tests {
				t := &s.Tests[k] // by index: a pytestlog.Test is 184 bytes
				var start, end float64
				if t.HasStart {
					start = unixSeconds(t.Start)
				}
				if t.HasEnd {
					end = unixSeconds(t.End)
				}
				pid := 0
				if t.Worker != "" { // (workerPID has no "")
					pid = workerPID[t.Worker]
				}
				if !keep {
					n.j.logTests.add(start, end, pid)
					continue
				}
				id := t.NodeID
				if id == "" {
					id = n.resolvePosition(t.Position)
				}
				n.j.Tests = append(n.j.Tests, testInfo{ID: id, Worker: t.Worker, PID: pid, Start: start, End: end, Outcome: t.Outcome, Source: srcPos{in.Path, t.Line}})
			}
			for _, f := range s.InFlight {
				fl := inflight{Test: n.resolvePosition(f.Test), Worker: f.Worker, PID: workerPID[f.Worker], Basis: f.Basis, Source: pos(in.Path, f.Line)}
				if f.HasStart {
					fl.Start = unixSeconds(f.Start)
				}
				if strings.Contains(fl.Test, "::#") {
					n.warnf("%s: the test in flight is known only by its position %s; a collection list (`pytest --collect-only -q`) or pytest -v would name it", pos(in.Path, f.Line), fl.Test)
				}
				n.j.InFlight = append(n.j.InFlight, fl)
			}
			last, lastPath = s, in.Path
		}
	}
	if last == nil {
		return
	}
	e := last.End
	n.j.HasRunEnd = true
	n.j.RunEnd = runEndInfo{Kind: e.Kind, ExitCode: e.ExitCode, HasExitCode: e.HasExitCode, KilledPID: e.KilledPID, Certain: e.Certain, Decisive: e.Decisive}
	if e.OOMKilled != "" {
		n.j.Confirm.OOM = append(n.j.Confirm.OOM, oomConfirm{By: ByCIOOMKilled, Source: pos(lastPath, e.OOMKilledLine),
			Words: "the CI runner relays Kubernetes' OOMKilled (" + e.OOMKilled + ")"})
	}
	if e.HasTime {
		n.j.RunEnd.Time = unixSeconds(e.Time)
	}
	for _, x := range e.Evidence {
		n.j.RunEnd.Evidence = append(n.j.RunEnd.Evidence, fmt.Sprintf("%s: %s", pos(lastPath, x.Line), x.Text))
	}
}

// hasJUnitCases reports a JUnit input with test cases.
func (n *normaliser) hasJUnitCases() bool {
	for _, in := range n.ev.JUnit {
		if in.JUnit != nil && len(in.JUnit.Cases) > 0 {
			return true
		}
	}
	return false
}

// junit adds the tests of JUnit reports that no pytest log listed.
func (n *normaliser) junit() {
	if !n.hasJUnitCases() {
		return // most jobs: no map of every test for nothing
	}
	have := map[string]bool{}
	for i := range n.j.Tests {
		t := &n.j.Tests[i] // by index: a testInfo is 96 bytes
		have[t.ID] = true
	}
	inFlight := map[string]bool{}
	for _, f := range n.j.InFlight {
		inFlight[f.Test] = true
	}
	for _, in := range n.ev.JUnit {
		if in.JUnit == nil {
			continue
		}
		for _, c := range in.JUnit.Cases {
			if c.NodeID == "" {
				continue
			}
			if c.CrashedWorker != "" {
				// xdist's synthetic report for a worker that died: the
				// controller survived and wrote the file.
				if !inFlight[c.NodeID] {
					inFlight[c.NodeID] = true
					n.j.InFlight = append(n.j.InFlight, inflight{Test: c.NodeID, Worker: c.CrashedWorker, Basis: "xdist-crash", Source: pos(in.Path, c.Line)})
				}
				continue
			}
			if have[c.NodeID] {
				continue
			}
			have[c.NodeID] = true
			n.j.Tests = append(n.j.Tests, testInfo{ID: c.NodeID, Outcome: c.Outcome, Source: srcPos{in.Path, c.Line}})
		}
	}
}

// refTime is the earliest wall-clock time another input gives: the year
// and day for kernel stamps that carry none.
func (n *normaliser) refTime() (time.Time, bool) {
	best := 0.0
	see := func(t float64) {
		if t > 0 && (best == 0 || t < best) {
			best = t
		}
	}
	for _, p := range n.j.Procs {
		for i := range p.Steps { // by index: a step is 104 bytes
			see(p.Steps[i].Time)
		}
		for _, s := range p.Samples {
			see(s.Time)
		}
	}
	for i := range n.j.Tests {
		t := &n.j.Tests[i] // by index: a testInfo is 96 bytes
		see(t.Start)
		see(t.End)
	}
	if l := n.j.logTests; l != nil {
		see(l.first) // the earliest of the tests left out
	}
	see(n.j.RunEnd.Time)
	if best == 0 {
		return time.Time{}, false
	}
	return unixTime(best), true
}

// kernel turns kernel log events into kills.
func (n *normaliser) kernel() {
	ref, hasRef := n.refTime()
	loc := n.opts.Location
	if loc == nil {
		loc = time.UTC
	}
	var pageAssumed []string
	nEvents := len(n.j.Kills)
	for _, in := range n.ev.Kernel {
		if in.Log != nil {
			nEvents += len(in.Log.Events)
		}
	}
	n.j.Kills = slices.Grow(n.j.Kills, nEvents-len(n.j.Kills)) // a kill an event; grown, five times their size
	for _, in := range n.ev.Kernel {
		l := in.Log
		if l == nil {
			continue
		}
		for _, w := range l.Warnings {
			n.warnf("%s: %s", pos(in.Path, w.Line), w.Message)
		}
		assumed := false
		for _, e := range l.Events {
			k := kill{
				Kind: e.Kind, PID: e.PID, Comm: e.Comm,
				UptimeS: e.UptimeS, HasUptime: e.HasUptime,
				Boot: e.Boot, LastBoot: e.Boot >= l.Boots-1,
				Constraint: e.Constraint, OOMMemcg: e.OOMMemcg, TaskMemcg: e.TaskMemcg,
				Global:       e.GlobalOOM || e.Constraint == "CONSTRAINT_NONE",
				MemcgOOM:     e.MemcgOOM,
				TotalVMBytes: e.TotalVMBytes, AnonRSSBytes: e.AnonRSSBytes, FileRSSBytes: e.FileRSSBytes, ShmemRSSBytes: e.ShmemRSSBytes,
				Source: pos(in.Path, e.Line), Partial: e.Partial, Reason: e.PartialReason, KeyLines: e.KeyLines, Host: e.Host,
			}
			k.HasSizes = e.TotalVMBytes > 0 || e.AnonRSSBytes > 0 || e.VmRSSBytes > 0
			k.Outcome, k.InvokerPID, k.InvokerComm = e.Outcome, e.TriggerPID, e.TriggerComm
			if e.Kind != dmesg.KindKernelOOMKill {
				k.Outcome = dmesg.OutcomeKilled
			}
			if k.Comm == "" {
				k.Comm = e.Unit
				if k.Comm == "" {
					k.Comm = e.Cgroup
				}
			}
			if k.AnonRSSBytes == 0 && e.VmRSSBytes > 0 {
				k.AnonRSSBytes = e.VmRSSBytes // earlyoom reports VmRSS only
			}
			if c, ok := e.Memcg["memory"]; ok {
				k.MemcgUsageBytes, k.MemcgLimitBytes, k.HasMemcgUsage = c.UsageBytes, c.LimitBytes, true
			}
			k.GroupPIDs = e.GroupKill
			if len(e.Tasks) > 0 {
				k.TaskPIDs = map[int]int64{}
				for _, t := range e.Tasks {
					k.TaskPIDs[t.PID] = t.RSSAnonBytes
				}
			}
			if e.HasTime {
				t, ok, naive := n.kernelWall(e.Time, e.TimeBasis, ref, hasRef, loc)
				if !ok {
					k.StampBasis = e.TimeBasis // no year or no date, and no other input gives it
				}
				if ok {
					k.Wall, k.HasWall, k.WallBasis = unixSeconds(t), true, e.TimeBasis
					assumed = assumed || naive
					if e.HasUptime && k.LastBoot {
						n.j.Clocks = append(n.j.Clocks, clockHint{Method: AlignKernelWallClock, BootUnix: k.Wall - e.UptimeS, UncertaintyS: 1, Source: k.Source})
					}
				}
			}
			n.j.Kills = append(n.j.Kills, k)
		}
		if assumed {
			n.j.NaiveTimes = append(n.j.NaiveTimes, in.Path+" (kernel log stamps without a zone)")
		}
		if l.PageSizeAssumed {
			pageAssumed = append(pageAssumed, in.Path)
		}
	}
	if len(pageAssumed) > 0 {
		// once per analysis, naming the logs (dmesg.Log.PageSizeAssumed)
		n.warnf("page counts in %s were converted to bytes with an assumed page size of 4096: the log does not name its architecture (pass --page-size if the host used 16 or 64 KiB pages, as some arm64 and ppc64 kernels do)", strings.Join(pageAssumed, ", "))
	}
}

// kernelWall completes a kernel log's wall-clock stamp: a syslog stamp has
// no year (Options.Year, else the year of the other inputs, across a New
// Year if need be), a time-of-day-only stamp has no date (the other inputs'
// day, or the day either side of it, whichever is nearest), and a stamp the
// parser read as UTC for want of a zone is read in Options.Location.
func (n *normaliser) kernelWall(t time.Time, basis string, ref time.Time, hasRef bool, loc *time.Location) (time.Time, bool, bool) {
	naive := false
	switch basis {
	case dmesg.BasisSyslogAssumedUTC, dmesg.BasisDmesgTAssumedUTC, dmesg.BasisISOAssumedUTC, dmesg.BasisSyslogNoYear, dmesg.BasisTimeOfDayOnly:
		if t.Location() == time.UTC && loc != time.UTC {
			t = time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), loc)
		}
		naive = n.opts.Location == nil
	}
	switch basis {
	case dmesg.BasisSyslogNoYear:
		year := n.opts.Year
		if year == 0 {
			if !hasRef {
				return t, false, naive
			}
			year = ref.In(loc).Year()
		}
		t = time.Date(year, t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), t.Location())
		if n.opts.Year == 0 {
			if t.Sub(ref) > 180*24*time.Hour {
				t = t.AddDate(-1, 0, 0)
			} else if ref.Sub(t) > 180*24*time.Hour {
				t = t.AddDate(1, 0, 0)
			}
		}
	case dmesg.BasisTimeOfDayOnly:
		if !hasRef {
			return t, false, naive
		}
		r := ref.In(t.Location())
		best := time.Time{}
		for _, d := range []int{-1, 0, 1} {
			day := r.AddDate(0, 0, d)
			c := time.Date(day.Year(), day.Month(), day.Day(), t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), t.Location())
			if best.IsZero() || absDur(c.Sub(r)) < absDur(best.Sub(r)) {
				best = c
			}
		}
		t = best
	}
	return t, true, naive
}

func absDur(d time.Duration) time.Duration {
	if d < 0 {
		return -d
	}
	return d
}

func (n *normaliser) cores() {
	for _, in := range n.ev.Cores {
		c := in.Core
		if c == nil {
			continue
		}
		for _, w := range c.Warnings {
			if w.Line > 0 {
				n.warnf("%s: %s", pos(in.Path, w.Line), w.Message)
			} else if w.Offset > 0 {
				n.warnf("%s: offset %d: %s", in.Path, w.Offset, w.Message)
			} else {
				n.warnf("%s: %s", in.Path, w.Message)
			}
		}
		sig := c.SignalName
		if sig == "" && c.Signal != 0 {
			sig = itoa(c.Signal)
		}
		cd := CoreDump{Path: in.Path, PID: c.PID, Comm: c.Comm, Signal: sig, AnonBytes: c.AnonBytes, FileBytes: c.FileBytes, LargestRegions: []CoreRegion{}}
		for _, r := range c.Regions {
			cd.LargestRegions = append(cd.LargestRegions, CoreRegion{Start: fmt.Sprintf("0x%x", r.Start), SizeBytes: r.SizeBytes, Perms: r.Perms})
		}
		n.j.Cores = append(n.j.Cores, cd)
	}
}
