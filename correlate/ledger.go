package correlate

import (
	"math"
	"path"
	"sort"
)

// testMem is what the ledger concluded about one test on one process. A
// job holds one per test (half a million in the largest suites), so its
// flags sit together at the end, and what can be derived (added) or is
// needed only while the test runs (ledger.activeStartHWM) is not kept, and
// what few tests have is in testRare: 152 bytes, 216, 200 then 176 before
// (issue 18).
type testMem struct {
	Test  string
	Proc  *proc
	Start float64
	End   float64

	// Where its start and end records were read (sources lists them): a
	// test has at most one of each, nearly always in its process's input
	// (Proc.Source), so that path is not kept per test; srcOther holds both
	// paths when one differs (processes merged from several files, record
	// mode's formatted positions).
	// A line past 32 bits goes in MoreSources (and every later one).
	srcLine  [2]int32
	srcOther *[2]string

	// before and after are the readings at its start and end (Before,
	// After: with HasBefore, HasAfter), without mem's padding.
	before, after memBytes
	// Net is the test's own increment: the readings' change over the test,
	// less what fixture teardowns inside it gave back (those are credited
	// to the tests that set the fixtures up).
	Net int64
	// Retained is what of the test's entry on the ledger (added) is still
	// there at the end of the record.
	Retained int64

	PeakRSSBytes int64

	TracemallocPeakBytes int64

	// testRare is what few tests have, read through its promoted fields;
	// never nil: &noRare until the ledger gives the test one (own).
	*testRare

	Seq int32 // order of its start on the process, from 0
	// TestsLater is the number of tests started on the process after this
	// one ended (the in-flight one included).
	TestsLater int32
	srcN       uint8     // how many of srcLine are set
	PeakBasis  peakBasis // what PeakRSSBytes was read from
	// outcome is pytest's word for how it ended (outcomeText), a byte as
	// in step.
	outcome stepOutcome

	HasBefore, HasAfter   bool
	beforeAnon, afterAnon bool // the readings have anonymous RSS
	HasNet                bool
	HasPeak               bool
	HasTracemalloc        bool
	Coarse                bool
	TracebackKept         bool
	Anon                  bool // Net was measured in anonymous RSS
	InFlight              bool
	// Grouped is set when the test is a member of a group named as a leak.
	Grouped bool
	// timelined is set by timelineOf once the test has its span.
	timelined bool
}

// peakBasis is what a test's peak was read from.
type peakBasis uint8

const (
	peakNone     peakBasis = iota
	peakRSSPeak            // the test's own peak figure (diagnostics peak_rss_bytes)
	peakSamples            // the highest sample between its start and end
	peakVmHWM              // a rise of VmHWM over the test
	peakReadings           // the readings at its start and end
)

// words says how the peak was read, for the evidence.
func (b peakBasis) words() string {
	switch b {
	case peakRSSPeak:
		return "its peak RSS"
	case peakSamples:
		return "the highest sample during it"
	case peakVmHWM:
		return "VmHWM, which rose during it"
	case peakReadings:
		return "its end reading"
	}
	return ""
}

// memBytes is a mem's figures, its HasAnon kept apart.
type memBytes struct{ RSSBytes, AnonBytes int64 }

// Before is the reading at the test's start (with HasBefore).
func (t *testMem) Before() mem {
	return mem{RSSBytes: t.before.RSSBytes, AnonBytes: t.before.AnonBytes, HasAnon: t.beforeAnon}
}

// After is the reading at the test's end (with HasAfter).
func (t *testMem) After() mem {
	return mem{RSSBytes: t.after.RSSBytes, AnonBytes: t.after.AnonBytes, HasAnon: t.afterAnon}
}

// setBefore takes m as the reading at the test's start.
func (t *testMem) setBefore(m mem) {
	t.before, t.beforeAnon, t.HasBefore = memBytes{m.RSSBytes, m.AnonBytes}, m.HasAnon, true
}

// setAfter takes m as the reading at the test's end.
func (t *testMem) setAfter(m mem) {
	t.after, t.afterAnon, t.HasAfter = memBytes{m.RSSBytes, m.AnonBytes}, m.HasAnon, true
}

// added is what the test put on the ledger: Net when positive (finish).
func (t *testMem) added() int64 { return max(t.Net, 0) }

// addSource notes where one of the test's records was read.
func (t *testMem) addSource(at srcPos) {
	if int(t.srcN) == len(t.srcLine) || at.Line < 0 || at.Line > math.MaxInt32 || len(t.MoreSources) > 0 {
		// A test has a start and an end record (ledger.start, ledger.end);
		// a kind of record added one day goes here rather than be lost, and
		// so does a line past 32 bits (and those after it, in order).
		r := t.own()
		r.MoreSources = append(r.MoreSources, at)
		return
	}
	k := t.srcN
	t.srcN++
	t.srcLine[k] = int32(at.Line)
	if t.srcOther == nil && at.Path == t.Proc.Source {
		return
	}
	if t.srcOther == nil {
		t.srcOther = &[2]string{t.Proc.Source, t.Proc.Source}
	}
	t.srcOther[k] = at.Path
}

// sources lists where the test's records were read, start first.
func (t *testMem) sources() []srcPos {
	out := make([]srcPos, t.srcN)
	for k := range out {
		path := t.Proc.Source
		if t.srcOther != nil {
			path = t.srcOther[k]
		}
		out[k] = srcPos{path, int(t.srcLine[k])}
	}
	return append(out, t.testRare.MoreSources...)
}

// outcomeText is how the test ended in pytest's words, "" when unknown.
func (t *testMem) outcomeText() string {
	if t.outcome == stepOutcomeOther {
		return t.testRare.Outcome
	}
	return stepOutcomes[t.outcome]
}

// testRare is what few tests have: open objects, counters, fixtures made
// for them, record mode's sharing, later releases: 128 bytes, made only
// for a test that has one of them (issue 18).
type testRare struct {
	// Outcome is the outcome when it is not one of pytest's own words.
	Outcome string
	// MoreSources are the positions of records past a start and an end.
	MoreSources []srcPos
	// Open is what the test left open (counted per test, or the part of a
	// process-wide counter it raised that never came down).
	Open        map[string]int
	OpenDetails []openObject
	// CounterRise says, for a process-wide counter, "0 → 1" per type.
	CounterRise map[string]string

	// Releases are the later drops credited against the test's increment
	// (ledger.release, releaseScoped): few tests have any (one of the ~250
	// of testdata's diagnostics and weathercop samples; none of a batch
	// job's 441), so they are here, not 24 bytes in every test (issue 18).
	Releases []release

	// FixtureSetupBytes is what fixtures made during the test took
	// (fixture_setup records): held by the fixture, not by the test.
	FixtureSetupBytes int64

	SharedWith int
	SampleGapS float64
}

// noRare is the testRare of every test that has none. It is read only:
// writes go through own (TestMain checks that it stays zero).
var noRare testRare

// own is t's testRare to write, made when t has none.
func (t *testMem) own() *testRare {
	if t.testRare == &noRare {
		t.testRare = &testRare{}
	}
	return t.testRare
}

// release is a later drop that was credited against a test's increment.
type release struct {
	By      string // the test (or "between tests") during which it happened
	Fixture string // the fixture whose teardown it was, if any
	Scope   string
	Bytes   int64
}

// entry is one retained increment on a process's ledger.
type entry struct {
	owner *testMem // nil: growth between tests, owned by no test
	left  int64
	// fixture is set for the growth of a fixture_setup record: memory the
	// fixture holds, not the test's own.
	fixture, scope string
}

// procResult is the ledger's outcome for one process.
type procResult struct {
	Proc  *proc
	Tests []*testMem // in start order
	// Active is the test that started and never ended (the in-flight one).
	Active *testMem
	// Last is the last reading on record, LastTime its time.
	Last     mem
	HasLast  bool
	LastTime float64
	// LastSource is where Last was read.
	LastSource srcPos
	// Unowned is what growth between tests is still on the ledger.
	Unowned int64
	// Fixtures are the fixtures made (fixture_setup) and not torn down by
	// the end of the record, with what of their setup growth they hold.
	Fixtures []heldFixture
	// Live are the fixtures set up (fixture_setup) and never torn down,
	// whether their setup grew the process or not: what their tests add
	// may be theirs (groups.go).
	Live []heldFixture
}

// heldFixture is a live fixture's memory at the end of the record.
type heldFixture struct {
	Fixture, Scope string
	Setter         *testMem // the test during whose setup it was made
	HeldBytes      int64
}

// runLedger walks one process's steps and attributes every change of memory
// (the package comment's rules 1 to 5): one ledger method per step.
func runLedger(p *proc) *procResult {
	l := newLedger(p)
	for i := range p.Steps {
		s := &p.Steps[i]
		switch s.Kind {
		case stepStart:
			l.start(s)
		case stepFixtureSetup:
			l.fixtureSetup(s)
		case stepFixture:
			l.teardown(s)
		case stepEnd:
			l.end(s)
		}
	}
	r := l.close()
	countersLedger(p, r, l.lastOf)
	return r
}

// ledger is one process's walk: the retained increments (entries, oldest
// first), the reading so far and the running test.
//
//   - a test's own increment (after − before, less fixture teardowns inside
//     it) is put on the ledger as that test's entry when positive (end);
//   - a drop inside a test that no fixture explains, and a drop between
//     tests, releases the most recent entries first (release, LIFO): what
//     was added last is what is most likely to be given back by a later gc,
//     cache clear or teardown;
//   - a fixture's setup growth is an entry of the fixture (fixtureSetup);
//     its teardown gives that back first, then what it can account for to
//     the tests that ran in the fixture's scope, earliest first (teardown:
//     FIFO over the contiguous run of tests sharing the fixture's module /
//     class / package, or the whole process for session scope): the first
//     test that used the fixture is the one that set it up. What the drop
//     exceeds is released LIFO;
//   - growth between tests goes on the ledger owned by no test (gap).
//
// What is left on a test's entry at the end of the record is retained
// (close).
type ledger struct {
	p       *proc
	r       *procResult
	entries []*entry
	// byName is the last test of each name, built on first use (lastOf):
	// only fixtures set up between tests and counters need it.
	byName map[string]*testMem
	// chunk is where tests are allocated: as many as the process has
	// start steps when they are 1,024 or fewer, else 64 at first; then
	// twice as many each time up to 1,024 at a time, so that a process of a
	// few hundred tests does not pay for a thousand.
	chunk  []testMem
	cur    mem // the latest reading
	hasCur bool
	active *testMem // the test started and not yet ended
	// activeStartHWM is the process's VmHWM at the running test's start,
	// 0 when unknown (kept here, not per test: issue 18).
	activeStartHWM int64
	// pending is the running test's change since its start reading.
	pending int64
	// live are the fixtures set up and not yet torn down, in setup order.
	live []heldFixture
}

func newLedger(p *proc) *ledger {
	// A test nearly always begins at its start step (an end without its
	// start makes one too): the list of tests has room for one a start, at
	// least one per two steps, at once (grown, it allocated five times its
	// size; sized by half the steps alone, it grew by one on batch's jobs,
	// whose in-flight test has no end: 7 KB a job), and the first chunk
	// for those of a process of up to 1,024 tests (batch's jobs: one
	// allocation, not four).
	starts := 0
	for i := range p.Steps {
		if p.Steps[i].Kind == stepStart {
			starts++
		}
	}
	l := &ledger{p: p, r: &procResult{Proc: p, Tests: make([]*testMem, 0, max(starts, len(p.Steps)/2))}}
	if starts > 0 && starts <= 1024 {
		l.chunk = make([]testMem, 0, starts)
	}
	return l
}

// newTest puts a test on the process's list.
func (l *ledger) newTest(s *step) *testMem {
	if len(l.chunk) == cap(l.chunk) {
		n := min(max(2*cap(l.chunk), 64), 1024)
		l.chunk = make([]testMem, 0, n)
	}
	// Made in place: a chunk is zeroed when made (copied in, a test was
	// written twice and its pointers marked for the collector as a block).
	l.chunk = l.chunk[:len(l.chunk)+1]
	t := &l.chunk[len(l.chunk)-1]
	t.Test, t.Proc, t.Seq, t.Start, t.testRare = s.Test, l.p, int32(len(l.r.Tests)), s.Time, &noRare
	l.r.Tests = append(l.r.Tests, t)
	if l.byName != nil {
		l.byName[s.Test] = t
	}
	return t
}

// lastOf is the last test of a name so far, nil when none.
func (l *ledger) lastOf(name string) *testMem {
	if l.byName == nil {
		l.byName = make(map[string]*testMem, len(l.r.Tests))
		for _, t := range l.r.Tests {
			l.byName[t.Test] = t
		}
	}
	return l.byName[name]
}

// read takes a reading: the change since the last one is the running
// test's, or a gap between tests.
func (l *ledger) read(m mem, by string) {
	if l.hasCur {
		d := delta(l.cur, m)
		if l.active != nil {
			l.pending += d
		} else {
			l.gap(d, by)
		}
	}
}

// now moves the reading to m, read at s.
func (l *ledger) now(m mem, s *step) {
	l.cur, l.hasCur = m, true
	l.r.LastTime, l.r.LastSource = s.Time, s.at(l.p)
}

// start is a test start: the reading before its setup.
func (l *ledger) start(s *step) {
	if l.active != nil {
		// The previous test never wrote its end: a record lost in a crash.
		// Its change cannot be told from this one's.
		l.active.InFlight = false
		l.pending = 0
	}
	t := l.newTest(s)
	t.addSource(s.at(l.p))
	t.Coarse = s.Coarse()
	if s.HasMem() {
		m := s.Mem()
		if l.hasCur {
			l.gap(delta(l.cur, m), "between tests")
		}
		l.now(m, s)
		t.setBefore(m)
	}
	l.activeStartHWM = 0
	if s.HasHWM() {
		l.activeStartHWM = s.HWMBytes()
	}
	t.InFlight = true
	l.active = t
	l.pending = 0
}

// fixtureSetup is a fixture made: the reading up to its setup belongs to
// the running test as usual; the setup's own growth is the fixture's, on
// an entry of its own until its teardown.
func (l *ledger) fixtureSetup(s *step) {
	if !s.HasMem() {
		return
	}
	fx := s.extra() // the fixture: its name, scope and the reading after
	l.read(s.Mem(), "between tests")
	owner := l.active
	if owner == nil {
		owner = l.lastOf(s.Test)
	}
	l.live = append(l.live, heldFixture{Fixture: fx.Fixture, Scope: fx.Scope, Setter: owner})
	if g := delta(s.Mem(), fx.After); g > 0 {
		l.entries = append(l.entries, &entry{owner: owner, left: g, fixture: fx.Fixture, scope: fx.Scope})
		if owner != nil {
			owner.own().FixtureSetupBytes += g
		}
	} else if l.active != nil {
		l.pending += g
	} else {
		l.gap(g, "between tests")
	}
	l.now(fx.After, s)
}

// teardown is a fixture finalized: its drop is given back to the fixture's
// entry, then to the tests of its scope (releaseScoped).
func (l *ledger) teardown(s *step) {
	fx := s.extra() // the fixture: its name, scope and the reading after
	for i := len(l.live) - 1; i >= 0; i-- {
		if l.live[i].Fixture == fx.Fixture && l.live[i].Scope == fx.Scope {
			l.live = append(l.live[:i], l.live[i+1:]...)
			break
		}
	}
	if !s.HasMem() {
		return
	}
	l.read(s.Mem(), "between tests")
	by := "between tests"
	at := l.active
	if at != nil {
		by = at.Test
	} else {
		at = l.lastEnded()
	}
	if drop := delta(fx.After, s.Mem()); drop > 0 {
		l.releaseScoped(drop, by, s, at)
	} else if drop < 0 {
		if l.active != nil {
			l.pending += -drop
		} else {
			l.gap(-drop, by)
		}
	}
	l.now(fx.After, s)
}

// end is a test end: the reading after its teardown. The test's change
// goes on the ledger (finish); its peak, tracemalloc peak and open objects
// are taken.
func (l *ledger) end(s *step) {
	t := l.active
	if t == nil || t.Test != s.Test {
		// An end without its start: take the reading before it as its
		// start.
		if l.active != nil {
			l.active.InFlight = false
		}
		t = l.newTest(s)
		l.active = t
		l.pending = 0
		l.activeStartHWM = 0
		if l.hasCur {
			t.setBefore(l.cur)
		}
	}
	t.InFlight = false
	t.End = s.Time
	if t.outcome = s.outcome; t.outcome == stepOutcomeOther {
		t.own().Outcome = s.outcomeText()
	}
	t.Coarse = t.Coarse || s.Coarse()
	t.TracebackKept = s.TracebackKept()
	if m := s.More; m != nil && (m.SharedWith != 0 || m.SampleGapS != 0 || t.testRare != &noRare) {
		r := t.own()
		r.SharedWith, r.SampleGapS = m.SharedWith, m.SampleGapS
	}
	t.addSource(s.at(l.p))
	if s.HasMem() {
		m := s.Mem()
		if l.hasCur && t.HasBefore {
			l.pending += delta(l.cur, m)
			t.Anon = t.beforeAnon && s.has(stepAnon)
		}
		l.now(m, s)
		t.setAfter(m)
	}
	if t.HasBefore && t.HasAfter {
		l.finish(t)
	} else {
		l.pending = 0
	}
	setPeak(t, s, l.activeStartHWM, l.p.Samples)
	if s.HasTracemalloc() {
		t.TracemallocPeakBytes, t.HasTracemalloc = s.TracemallocPeakBytes(), true
	}
	if m := s.More; m != nil {
		for k, n := range m.Open {
			if n > 0 {
				r := t.own()
				if r.Open == nil {
					r.Open = map[string]int{}
				}
				r.Open[k] += n
			}
		}
		if len(m.OpenDetails) > 0 {
			r := t.own()
			r.OpenDetails = append(r.OpenDetails, m.OpenDetails...)
		}
	}
	l.active = nil
}

// finish settles a test's own increment: an entry when positive, a
// release when negative.
func (l *ledger) finish(t *testMem) {
	t.Net, t.HasNet = l.pending, true
	if l.pending > 0 {
		l.entries = append(l.entries, &entry{owner: t, left: l.pending})
	} else if l.pending < 0 {
		l.release(-l.pending, t.Test)
	}
	l.pending = 0
}

// gap is a change between two tests: growth owned by no test, or a drop.
func (l *ledger) gap(d int64, by string) {
	switch {
	case d > 0:
		l.entries = append(l.entries, &entry{left: d})
	case d < 0:
		l.release(-d, by)
	}
}

// lastEnded is the last test that ended.
func (l *ledger) lastEnded() *testMem {
	for i := len(l.r.Tests) - 1; i >= 0; i-- {
		if t := l.r.Tests[i]; !t.InFlight && t != l.active {
			return t
		}
	}
	return nil
}

// release gives back amount from the most recent entries first (LIFO),
// skipping entries held by live fixtures.
func (l *ledger) release(amount int64, by string) {
	for i := len(l.entries) - 1; i >= 0 && amount > 0; i-- {
		e := l.entries[i]
		if e.left <= 0 || e.fixture != "" {
			// A live fixture gives its memory back only at its teardown.
			continue
		}
		take := min(e.left, amount)
		e.left -= take
		amount -= take
		if e.owner != nil {
			r := e.owner.own()
			r.Releases = append(r.Releases, release{By: by, Bytes: take})
		}
	}
	// Exhausted entries on top hold nothing: drop them, so a long run of
	// tests that add and give back stays linear.
	for len(l.entries) > 0 && l.entries[len(l.entries)-1].left == 0 {
		l.entries = l.entries[:len(l.entries)-1]
	}
}

// releaseScoped gives back a fixture teardown's drop: the fixture's own
// setup entry first, then the tests of its scope earliest first (FIFO),
// then LIFO.
func (l *ledger) releaseScoped(amount int64, by string, s *step, at *testMem) {
	fx := s.extra() // the fixture: its name, scope and the reading after
	for _, e := range l.entries {
		if amount <= 0 {
			break
		}
		if e.fixture != fx.Fixture || e.left <= 0 {
			continue
		}
		take := min(e.left, amount)
		e.left -= take
		amount -= take
	}
	if amount <= 0 {
		return
	}
	if cands := scopeRun(l.r.Tests, at, fx.Scope); cands != nil {
		in := make(map[*testMem]bool, len(cands))
		for _, t := range cands {
			in[t] = true
		}
		running := l.active != nil && in[l.active]
		if running && len(cands) == 1 && l.pending > 0 {
			// The fixture was set up and torn down inside the running
			// test: its own growth so far pays first.
			take := min(l.pending, amount)
			l.pending -= take
			amount -= take
		}
		for _, e := range l.entries { // entries are in start order: FIFO
			if amount <= 0 {
				break
			}
			if e.owner == nil || !in[e.owner] || e.left <= 0 {
				continue
			}
			take := min(e.left, amount)
			e.left -= take
			amount -= take
			r := e.owner.own()
			r.Releases = append(r.Releases, release{By: by, Fixture: fx.Fixture, Scope: fx.Scope, Bytes: take})
		}
		if running && l.pending > 0 && amount > 0 {
			// The running test is the last of the fixture's scope: what it
			// added since its start may be the fixture's too.
			take := min(l.pending, amount)
			l.pending -= take
			amount -= take
		}
	}
	if amount > 0 {
		l.release(amount, by)
	}
}

// close ends the walk: what is left on each entry is retained by its test,
// held by its fixture, or grew between tests.
func (l *ledger) close() *procResult {
	r := l.r
	r.Active = l.active
	if l.active != nil && !l.active.InFlight {
		r.Active = nil
	}
	r.Last, r.HasLast = l.cur, l.hasCur
	r.Live = l.live
	for _, e := range l.entries {
		switch {
		case e.fixture != "":
			if e.left > 0 {
				r.Fixtures = append(r.Fixtures, heldFixture{Fixture: e.fixture, Scope: e.scope, Setter: e.owner, HeldBytes: e.left})
			}
		case e.owner != nil:
			e.owner.Retained += e.left
		default:
			r.Unowned += e.left
		}
	}
	for _, t := range r.Tests {
		if !t.InFlight {
			t.TestsLater = int32(len(r.Tests)) - 1 - t.Seq // Seq is the index
		}
	}
	return r
}

// setPeak finds the highest RSS during a test: its own peak figure, the
// samples between its start and end, a rise of the process's VmHWM over the
// test, and at least the readings at its start and end.
func setPeak(t *testMem, s *step, startHWM int64, samples []sample) {
	var peak int64
	basis := peakNone
	if t.HasBefore {
		peak, basis = t.before.RSSBytes, peakReadings
	}
	if t.HasAfter && t.after.RSSBytes > peak {
		peak, basis = t.after.RSSBytes, peakReadings
	}
	if s.HasPeak() && s.PeakRSSBytes() > peak {
		peak, basis = s.PeakRSSBytes(), peakRSSPeak
	}
	if t.Start != 0 && t.End != 0 {
		lo := sort.Search(len(samples), func(i int) bool { return samples[i].Time >= t.Start })
		for i := lo; i < len(samples) && samples[i].Time <= t.End; i++ {
			if samples[i].Mem.RSSBytes > peak {
				peak, basis = samples[i].Mem.RSSBytes, peakSamples
			}
		}
	}
	if hwm := s.HWMBytes(); s.HasHWM() && startHWM > 0 && hwm > startHWM && hwm > peak {
		// VmHWM rose during the test, so the process's highest RSS so far
		// was reached inside it.
		peak, basis = hwm, peakVmHWM
	}
	if basis != peakNone {
		t.PeakRSSBytes, t.HasPeak, t.PeakBasis = peak, true, basis
	}
}

// scopeRun is the contiguous run of tests on the process, ending at at, that
// share the fixture's scope with at: the tests that may have set the fixture
// up. nil when the scope is unknown.
func scopeRun(tests []*testMem, at *testMem, scope string) []*testMem {
	if at == nil {
		return nil
	}
	var same func(a, b string) bool
	switch scope {
	case "function":
		return []*testMem{at}
	case "class":
		same = func(a, b string) bool { return nodeParent(a) == nodeParent(b) }
	case "module":
		same = func(a, b string) bool { return nodeFile(a) == nodeFile(b) }
	case "package":
		same = func(a, b string) bool { return path.Dir(nodeFile(a)) == path.Dir(nodeFile(b)) }
	case "session":
		same = func(a, b string) bool { return true }
	default:
		return nil
	}
	var run []*testMem
	for i := int(at.Seq); i >= 0 && i < len(tests); i-- {
		if !same(tests[i].Test, at.Test) {
			break
		}
		run = append(run, tests[i])
	}
	// Earliest first.
	for i, j := 0, len(run)-1; i < j; i, j = i+1, j-1 {
		run[i], run[j] = run[j], run[i]
	}
	return run
}
