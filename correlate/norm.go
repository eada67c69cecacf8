package correlate

// This file is the normalised model the attribution runs on. Every input kind
// (oomlens diagnostics, weathercop logs, `oomlens record` samples, pytest and
// kernel logs) is first turned into these few types by evidence.go, so the
// rules in ledger.go, clock.go and kill.go see one shape and can be tested
// with hand-built jobs.

import "math"

// mem is one memory reading of one process.
type mem struct {
	RSSBytes  int64 // VmRSS
	AnonBytes int64 // RssAnon, when HasAnon
	HasAnon   bool
}

// delta is b − a, in anonymous RSS when both readings have it (file-backed
// pages come and go with the page cache, anonymous ones only with the
// process), else in RSS.
func delta(a, b mem) int64 {
	if a.HasAnon && b.HasAnon {
		return b.AnonBytes - a.AnonBytes
	}
	return b.RSSBytes - a.RSSBytes
}

// anonOrRSS is the anonymous RSS when known, else RSS.
func (m mem) anonOrRSS() int64 {
	if m.HasAnon {
		return m.AnonBytes
	}
	return m.RSSBytes
}

type stepKind uint8

const (
	stepStart        stepKind = iota // a test started: Mem is the reading before its setup
	stepEnd                          // a test ended: Mem is the reading after its teardown
	stepFixture                      // a fixture was finalized: Mem before, After after
	stepFixtureSetup                 // a fixture was made during Test: Mem before, After after
)

// openObject is one object a test left alive (diagnostics open_object_details).
type openObject struct {
	Type        string
	FileBacked  bool
	Closed      bool
	NBytes      int64
	Description string
}

// step is one memory event of one process, in the order the process wrote it.
// A job holds one per start and end record (a million for the largest
// suites), so the fields most steps have come first, their flags packed in
// one byte, and what few steps have is behind More (issue 18: the step was
// 280 bytes, then 128, then 104, then 72: its reading without mem's
// padding, its input its process's, its line 32 bits, its peak and VmHWM
// one field; now 64, its anonymous RSS and tracemalloc peak one field).
type step struct {
	Test string  // node id (or bare name when nothing resolved it)
	Time float64 // Unix seconds; 0 when unknown
	// rss and anon are the reading (Mem, setMem); anon only with stepAnon.
	// anon holds the tracemalloc peak instead (TracemallocPeakBytes) when
	// the step has one and no anonymous RSS (anon 0 and no stepAnon): no
	// input gives both (diagnostics records anonymous RSS, weathercop and
	// summaries a tracemalloc peak); a step with both keeps its
	// tracemalloc peak in More.Tracemalloc (stepTracemallocInMore).
	rss, anon int64

	// peakOrHWM is the test's own peak (PeakRSSBytes) when stepHasPeak,
	// else the process's VmHWM (HWMBytes) when stepHasHWM: no input gives
	// both (diagnostics records a peak, weathercop a VmHWM); a step with
	// both keeps its VmHWM in More.HWM.
	peakOrHWM int64
	// More is what few steps have (fixture steps, open objects, counters,
	// record mode's sharing, an input other than the process's); nil when
	// they have none of it. It may be shared by steps (weathercop's
	// counters, the steps of a merged process), so it is read only once
	// made.
	More *stepMore

	// line is the line of the input the step was read at (see at):
	// lineInMore when it does not fit, then in More.Line.
	line int32
	Kind stepKind
	// outcome is the test's outcome (stepEnd only), see setOutcome.
	outcome stepOutcome
	flags   stepFlags
	// tracemallocInMore: the tracemalloc peak is in More, not in anon.
	tracemallocInMore bool
}

// newStep is a step of kind k of test id at time t, read at line of its
// process's input, with the reading m when hasMem.
func newStep(k stepKind, id string, t float64, m mem, hasMem bool, line int) step {
	var s step
	s.fill(k, id, t, m, hasMem, line)
	return s
}

// addStep appends newStep's step to p's steps, made in place (a step is
// 64 bytes: copied in, it was written twice, and its pointers marked for
// the collector as a block).
func (p *proc) addStep(k stepKind, id string, t float64, m mem, hasMem bool, line int) {
	p.Steps = append(p.Steps, step{})
	p.Steps[len(p.Steps)-1].fill(k, id, t, m, hasMem, line)
}

// fill sets a zero step as newStep makes it.
func (s *step) fill(k stepKind, id string, t float64, m mem, hasMem bool, line int) {
	s.Kind, s.Test, s.Time, s.rss, s.anon = k, id, t, m.RSSBytes, m.AnonBytes
	if m.HasAnon {
		s.flags = stepAnon
	}
	if hasMem {
		s.flags |= stepHasMem
	}
	if line >= 0 && line <= math.MaxInt32 {
		s.line = int32(line)
	} else {
		s.setLine(line)
	}
}

// stepFlags are a step's yes/no facts, one bit each.
type stepFlags uint8

const (
	stepAnon stepFlags = 1 << iota // the reading has anonymous RSS
	// stepHasMem: the step has a reading (Mem).
	stepHasMem
	stepHasPeak
	stepHasHWM
	stepHasTracemalloc
	// stepTracebackKept: a failed test's traceback (sys.last_traceback)
	// held its frames, and so their locals, when the end reading was
	// taken.
	stepTracebackKept
	// stepCoarse: the reading was taken from periodic samples, not written
	// by the test hooks (`oomlens record`).
	stepCoarse
	// stepOwnSource: the step was read from More.Source, not from its
	// process's input (proc.Source).
	stepOwnSource
)

// lineInMore is a step's line when it is in More.Line.
const lineInMore = -1

func (s *step) has(f stepFlags) bool { return s.flags&f != 0 }

// set sets or clears flag f.
func (s *step) set(f stepFlags, on bool) {
	if on {
		s.flags |= f
	} else {
		s.flags &^= f
	}
}

func (s *step) HasMem() bool         { return s.has(stepHasMem) }
func (s *step) HasPeak() bool        { return s.has(stepHasPeak) }
func (s *step) HasHWM() bool         { return s.has(stepHasHWM) }
func (s *step) HasTracemalloc() bool { return s.has(stepHasTracemalloc) }
func (s *step) TracebackKept() bool  { return s.has(stepTracebackKept) }
func (s *step) Coarse() bool         { return s.has(stepCoarse) }

// PeakRSSBytes is the highest RSS seen during this one test (with HasPeak).
func (s *step) PeakRSSBytes() int64 {
	if s.has(stepHasPeak) {
		return s.peakOrHWM
	}
	return 0
}

// HWMBytes is the process's high-water RSS (VmHWM) at this point (with
// HasHWM): it is monotonic since the process started, so it only tells the
// test's peak when it rose during the test.
func (s *step) HWMBytes() int64 {
	switch {
	case !s.has(stepHasHWM):
		return 0
	case s.has(stepHasPeak):
		return s.More.HWM
	}
	return s.peakOrHWM
}

// setPeakRSS sets the test's own peak (HasPeak); a VmHWM set before moves
// to More.
func (s *step) setPeakRSS(v int64) {
	if s.has(stepHasHWM) && !s.has(stepHasPeak) {
		m := *s.extra()
		m.HWM = s.peakOrHWM
		s.More = &m
	}
	s.peakOrHWM = v
	s.set(stepHasPeak, true)
}

// setHWM sets the process's VmHWM at the step (HasHWM), in More when the
// step has its own peak.
func (s *step) setHWM(v int64) {
	if s.has(stepHasPeak) {
		m := *s.extra()
		m.HWM = v
		s.More = &m
	} else {
		s.peakOrHWM = v
	}
	s.set(stepHasHWM, true)
}

// Mem is the step's reading (with HasMem).
func (s *step) Mem() mem {
	m := mem{RSSBytes: s.rss, AnonBytes: s.anon, HasAnon: s.has(stepAnon)}
	if s.tracemallocInAnon() {
		m.AnonBytes = 0 // as it was when the peak took its place
	}
	return m
}

// setMem sets the step's reading to m (HasMem is apart).
func (s *step) setMem(m mem) {
	if s.tracemallocInAnon() {
		s.moveTracemalloc()
	}
	s.rss, s.anon = m.RSSBytes, m.AnonBytes
	s.set(stepAnon, m.HasAnon)
}

// tracemallocInAnon: anon holds the tracemalloc peak.
func (s *step) tracemallocInAnon() bool {
	return s.has(stepHasTracemalloc) && !s.tracemallocInMore
}

// TracemallocPeakBytes is Python's tracemalloc peak during the test
// (weathercop's "Peak memory"; with HasTracemalloc): allocations, not RSS.
func (s *step) TracemallocPeakBytes() int64 {
	switch {
	case !s.has(stepHasTracemalloc):
		return 0
	case s.tracemallocInMore:
		return s.More.Tracemalloc
	}
	return s.anon
}

// setTracemalloc sets the test's tracemalloc peak (HasTracemalloc): in
// anon when it holds nothing, else in More.
func (s *step) setTracemalloc(v int64) {
	if s.tracemallocInAnon() || (s.anon == 0 && !s.has(stepAnon) && !s.tracemallocInMore) {
		s.anon = v
	} else {
		m := *s.extra()
		m.Tracemalloc = v
		s.More, s.tracemallocInMore = &m, true
	}
	s.set(stepHasTracemalloc, true)
}

// moveTracemalloc moves the tracemalloc peak from anon to More, anon back
// to 0.
func (s *step) moveTracemalloc() {
	m := *s.extra()
	m.Tracemalloc = s.anon
	s.More, s.tracemallocInMore, s.anon = &m, true, 0
}

// setLine keeps the line of the input the step was read at.
func (s *step) setLine(n int) {
	if n >= 0 && n <= math.MaxInt32 {
		s.line = int32(n)
		return
	}
	m := *s.extra()
	m.Line = n
	s.More, s.line = &m, lineInMore
}

// setSource says the step was read at path, not from its process's input
// (a position already formatted when its line is 0).
func (s *step) setSource(path string) {
	m := *s.extra()
	m.Source = path
	s.More = &m
	s.set(stepOwnSource, true)
}

// stepOutcome is pytest's outcome of a test as a byte: its own words
// (TestReport.outcome and the terminal's), or stepOutcomeOther with the
// word in More.
type stepOutcome uint8

var stepOutcomes = [...]string{"", "passed", "failed", "skipped", "error", "xfailed", "xpassed"}

const stepOutcomeOther = stepOutcome(len(stepOutcomes))

// setOutcome keeps o: a byte for pytest's own words, else in More (a More
// of its own: it may have been shared).
func (s *step) setOutcome(o string) {
	for k, w := range stepOutcomes {
		if w == o {
			s.outcome = stepOutcome(k)
			return
		}
	}
	m := *s.extra()
	m.Outcome = o
	s.More, s.outcome = &m, stepOutcomeOther
}

// outcomeText is the outcome setOutcome kept.
func (s *step) outcomeText() string {
	if s.outcome == stepOutcomeOther {
		return s.extra().Outcome
	}
	return stepOutcomes[s.outcome]
}

// stepMore is what few steps have.
type stepMore struct {
	// Outcome is a stepEnd's outcome when it is not one of pytest's own
	// words (stepOutcomes).
	Outcome string
	// stepFixture and stepFixtureSetup only.
	Fixture string
	Scope   string
	After   mem
	// OpenCounter is a process-wide count of live objects at this point
	// (weathercop's "Open xarray datasets: N"); a missing type counts 0.
	OpenCounter map[string]int
	// Open counts, by type, the objects made during this test and still
	// alive after it (oomlens diagnostics).
	Open        map[string]int
	OpenDetails []openObject
	// SharedWith counts (record mode) the other tests that ran between
	// the samples around this test's start or end, and SampleGapS is the
	// samples' spacing.
	SharedWith int
	SampleGapS float64
	// Source is the step's input when it is not its process's
	// (stepOwnSource), and Line its line when it does not fit in step.line.
	Source string
	Line   int
	// HWM is the step's VmHWM when it has its own peak as well (see
	// step.peakOrHWM).
	HWM int64
	// Tracemalloc is the step's tracemalloc peak when it has anonymous
	// RSS as well (see step.anon).
	Tracemalloc int64
}

// noMore is the More of a step that has none.
var noMore stepMore

// extra is s.More to read: never nil.
func (s *step) extra() *stepMore {
	if s.More == nil {
		return &noMore
	}
	return s.More
}

// more is s.More to fill, made when nil.
func (s *step) more() *stepMore {
	if s.More == nil {
		s.More = &stepMore{}
	}
	return s.More
}

// sample is one periodic reading of one process.
type sample struct {
	Time       float64
	Mem        mem
	Source     string // the input, "file:line" when SourceLine is 0
	SourceLine int
}

// srcPos is where a record was read: the input and its line, formatted as
// "file:line" (pos) only when evidence names it, not for every record. A
// Line of 0 leaves Path as it is (a position already formatted).
type srcPos struct {
	Path string
	Line int
}

func (s srcPos) String() string { return pos(s.Path, s.Line) }

// at is where the step of process p was read.
func (s *step) at(p *proc) srcPos {
	at := srcPos{p.Source, int(s.line)}
	if s.line == lineInMore {
		at.Line = s.More.Line
	}
	if s.has(stepOwnSource) {
		at.Path = s.More.Source
	}
	return at
}

// sourceStrings formats positions.
func sourceStrings(ps []srcPos) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.String()
	}
	return out
}

// proc is one pytest process: the main process, or one xdist worker.
type proc struct {
	PID    int // 0 when the input does not say (weathercop logs)
	Worker string
	Steps  []step
	// Samples in time order.
	Samples []sample
	Source  string // the input the records came from
	// Comm and Cmdline are what `oomlens record` saw of the process.
	Comm, Cmdline string
	// Ended is "file:line" of a session_end (SESSION_END) record: the
	// process finished its session, it was not killed.
	Ended     string
	EndedTime float64 // Unix seconds, 0 unknown
	// LowConfidence is set when the records may mix processes (weathercop
	// logs written by several xdist workers at once).
	LowConfidence bool
	// RecordSampling says, in record mode, how the samples were taken
	// ("samples every 50 ms and as result lines ended"), for the evidence.
	RecordSampling string
}

// takeSteps appends the steps of process from to p's. A step read from
// from's input says so when p's is another (one More for those of them that
// had none).
func (p *proc) takeSteps(from *proc) {
	if from.Source == p.Source {
		p.Steps = append(p.Steps, from.Steps...)
		return
	}
	var shared *stepMore
	for _, s := range from.Steps {
		switch {
		case s.has(stepOwnSource):
		case s.More == nil:
			if shared == nil {
				shared = &stepMore{Source: from.Source}
			}
			s.More = shared
		default:
			m := *s.More
			m.Source = from.Source
			s.More = &m
		}
		s.set(stepOwnSource, true)
		p.Steps = append(p.Steps, s)
	}
}

// testInfo is one test as a log reports it: for the timeline and for
// record mode, where the test times cut the samples.
type testInfo struct {
	ID      string
	Worker  string
	PID     int
	Start   float64 // Unix seconds, 0 when unknown
	End     float64
	Outcome string
	Source  srcPos // formatted only when evidence names it
}

// testsSummary is what the analysis reads of the tests a pytest log
// reports when it needs no list of them (batch without --jsonl): how many,
// and their times and pids as the clock (refTime) and the kills (spanOf)
// read them. It stands for the list exactly (TestTestsSummaryAgrees).
type testsSummary struct {
	n int
	// first is the earliest start or end above 0, 0 when none.
	first float64
	// lastStart is the latest start, lastSeen the latest start or end
	// (each at least 0).
	lastStart, lastSeen float64
	// pids are the tests' pids above 0 (an xdist worker's, when the
	// diagnostics name it): a subset of the processes' own, kept all the
	// same.
	pids map[int]bool
}

// add counts a test of that start, end and pid, compared as refTime and
// spanOf compare them.
func (s *testsSummary) add(start, end float64, pid int) {
	s.n++
	s.see(start)
	s.see(end)
	if start > s.lastStart {
		s.lastStart = start
	}
	if pid > 0 {
		if s.pids == nil {
			s.pids = map[int]bool{}
		}
		s.pids[pid] = true
	}
}

func (s *testsSummary) see(t float64) {
	if t > 0 && (s.first == 0 || t < s.first) {
		s.first = t
	}
	if t > s.lastSeen {
		s.lastSeen = t
	}
}

// testCount is how many tests the logs report.
func (j *job) testCount() int {
	if j.logTests != nil {
		return len(j.Tests) + j.logTests.n
	}
	return len(j.Tests)
}

// sampledOnly: the process has samples and no per-test records: record
// mode (recordSteps, whose candidates these are) fills its steps from the
// samples, with the logs' tests.
func (p *proc) sampledOnly() bool { return len(p.Steps) == 0 && len(p.Samples) > 0 }

// inflight is a test a log shows running when the process died.
type inflight struct {
	Test   string
	Worker string
	PID    int
	Basis  string
	Start  float64
	Source string
}

// kill is one kill from a kernel log or a userspace killer.
type kill struct {
	Kind      string
	PID       int
	Comm      string
	UptimeS   float64
	HasUptime bool
	Boot      int // boot segment of the kernel log
	LastBoot  bool
	// Wall is the kill's own wall-clock stamp (Unix seconds) when the log
	// had one; WallBasis says what it was read from.
	Wall      float64
	HasWall   bool
	WallBasis string
	// StampBasis is the basis of a wall-clock stamp that could not be
	// completed (dmesg.BasisSyslogNoYear without a year, time of day
	// without a date): the clock warning then names what would fix it.
	StampBasis string
	Constraint string
	OOMMemcg   string
	TaskMemcg  string
	Global     bool
	MemcgOOM   bool

	TotalVMBytes, AnonRSSBytes, FileRSSBytes, ShmemRSSBytes int64
	HasSizes                                                bool // the sizes were printed

	Outcome     string // dmesg.Event.Outcome
	InvokerPID  int    // 0 unknown
	InvokerComm string

	MemcgUsageBytes int64
	MemcgLimitBytes int64 // -1 unlimited
	HasMemcgUsage   bool
	// TaskPIDs are the pids of the task table (the cgroup's tasks for a
	// memcg OOM), with their anonymous RSS.
	TaskPIDs map[int]int64
	// GroupPIDs are the other pids killed with it (memory.oom.group).
	GroupPIDs []int
	Source    string
	Partial   bool
	Reason    string
	KeyLines  []string
	Host      string // dmesg.Event.Host
}

// clockHint is one way to put kernel uptime on the wall clock.
type clockHint struct {
	Method       string
	BootUnix     float64
	UncertaintyS float64
	Source       string
}

// runEndInfo is how the pytest log says the run ended.
type runEndInfo struct {
	Kind        string
	ExitCode    int
	HasExitCode bool
	KilledPID   int
	Evidence    []string
	// Certain and Decisive: see pytestlog.RunEnd.
	Certain  bool
	Decisive string
	Time     float64 // the CI stamp of the first evidence line, 0 unknown
}

// job is everything known about one failed job, normalised.
type job struct {
	Inputs []Input
	Procs  []*proc
	// Tests are the tests the logs report (pytest log, JUnit), for the
	// timeline and for record mode. When nothing of the analysis needs
	// them one by one, the pytest log's are left out and logTests
	// summarises them (normaliser.keepTests).
	Tests    []testInfo
	logTests *testsSummary
	InFlight []inflight
	Kills    []kill
	// HasRunEnd is true when a pytest log said how the run ended.
	HasRunEnd bool
	RunEnd    runEndInfo
	Clocks    []clockHint
	Cores     []CoreDump
	Warnings  []string
	// NaiveTimes names inputs whose stamps carry no zone and were read in
	// Options.Location (UTC when not given).
	NaiveTimes []string
	// Records are the record.json manifests of `oomlens record`.
	Records []RecordInput
	// Confirm is the evidence of an OOM kill other than a kernel record
	// (confirm.go).
	Confirm confirmInfo
	// dropSteps is set when the job is the analysis's own (Analyze): the
	// processes' steps are let go once the ledger and the account have read
	// them, before the timeline and the report are built.
	dropSteps bool
}
