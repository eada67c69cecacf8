package correlate

import (
	"path"
	"sort"
	"strings"
)

// testMem is what the ledger concluded about one test on one process.
type testMem struct {
	Test    string
	Proc    *proc
	Seq     int // order of its start on the process, from 0
	Start   float64
	End     float64
	Outcome string
	Sources []srcPos

	Before, After       mem
	HasBefore, HasAfter bool
	// Net is the test's own increment: the readings' change over the test,
	// less what fixture teardowns inside it gave back (those are credited
	// to the tests that set the fixtures up).
	Net    int64
	HasNet bool
	// Added is what the test put on the ledger (Net when positive); Retained
	// is what of it is still there at the end of the record.
	Added    int64
	Retained int64
	Releases []release

	PeakRSSBytes int64
	HasPeak      bool
	PeakBasis    string // "rss-peak", "samples", "vmhwm", "readings"

	TracemallocPeakBytes int64
	HasTracemalloc       bool

	// Open is what the test left open (counted per test, or the part of a
	// process-wide counter it raised that never came down).
	Open        map[string]int
	OpenDetails []openObject
	// CounterRise says, for a process-wide counter, "0 → 1" per type.
	CounterRise map[string]string

	// FixtureSetupBytes is what fixtures made during the test took
	// (fixture_setup records): held by the fixture, not by the test.
	FixtureSetupBytes int64

	Coarse        bool
	SharedWith    int
	SampleGapS    float64
	TracebackKept bool
	Anon          bool // Net was measured in anonymous RSS
	InFlight      bool
	// TestsLater is the number of tests started on the process after this
	// one ended (the in-flight one included).
	TestsLater int

	startHWM int64 // VmHWM at the start, when known
	// timelined is set by timelineOf once the test has its span.
	timelined bool
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
}

// heldFixture is a live fixture's memory at the end of the record.
type heldFixture struct {
	Fixture, Scope string
	Setter         *testMem // the test during whose setup it was made
	HeldBytes      int64
}

// runLedger walks one process's steps and attributes every change of memory:
//
//   - a test's own increment (after − before, less fixture teardowns inside
//     it) is put on the ledger as that test's entry when positive;
//   - a drop inside a test that no fixture explains, and a drop between
//     tests, releases the most recent entries first (LIFO): what was added
//     last is what is most likely to be given back by a later gc, cache
//     clear or teardown;
//   - a fixture teardown gives back what it can account for to the tests
//     that ran in the fixture's scope, earliest first (FIFO over the
//     contiguous run of tests sharing the fixture's module / class /
//     package, or the whole process for session scope): the first test
//     that used the fixture is the one that set it up. What the drop
//     exceeds is released LIFO;
//   - growth between tests goes on the ledger owned by no test.
//
// What is left on a test's entry at the end of the record is retained.
func runLedger(p *proc) *procResult {
	r := &procResult{Proc: p}
	var entries []*entry
	// Every start step makes one test (an end without its start makes one
	// more, allocated on its own): take them from one slice, which never
	// grows past its capacity so the pointers stay valid.
	starts := 0
	for i := range p.Steps {
		if p.Steps[i].Kind == stepStart {
			starts++
		}
	}
	mems := make([]testMem, 0, starts)
	// A test's Sources are its start and its end: two slots each of one
	// array (capped, so a third append would copy, not overwrite).
	srcs := make([]srcPos, 2*starts)
	r.Tests = make([]*testMem, 0, starts)
	byName := make(map[string]*testMem, starts)
	var cur mem
	hasCur := false
	var active *testMem
	pending := int64(0)

	lastEnded := func() *testMem {
		for i := len(r.Tests) - 1; i >= 0; i-- {
			if !r.Tests[i].InFlight && r.Tests[i] != active {
				return r.Tests[i]
			}
		}
		return nil
	}
	releaseLIFO := func(amount int64, by string) {
		defer func() {
			// Exhausted entries on top hold nothing: drop them, so a long
			// run of tests that add and give back stays linear.
			for len(entries) > 0 && entries[len(entries)-1].left == 0 {
				entries = entries[:len(entries)-1]
			}
		}()
		for i := len(entries) - 1; i >= 0 && amount > 0; i-- {
			e := entries[i]
			if e.left <= 0 || e.fixture != "" {
				// A live fixture gives its memory back only at its teardown.
				continue
			}
			take := min(e.left, amount)
			e.left -= take
			amount -= take
			if e.owner != nil {
				e.owner.Releases = append(e.owner.Releases, release{By: by, Bytes: take})
			}
		}
	}
	releaseScoped := func(amount int64, by string, s *step, at *testMem) {
		// A fixture_setup record put the fixture's own growth on the
		// ledger: its teardown gives that back first.
		for _, e := range entries {
			if amount <= 0 {
				break
			}
			if e.fixture != s.Fixture || e.left <= 0 {
				continue
			}
			take := min(e.left, amount)
			e.left -= take
			amount -= take
		}
		if amount <= 0 {
			return
		}
		cands := scopeRun(r.Tests, at, s.Scope)
		if cands != nil {
			in := map[*testMem]bool{}
			for _, t := range cands {
				in[t] = true
			}
			if active != nil && in[active] && len(cands) == 1 && pending > 0 {
				// The fixture was set up and torn down inside the running
				// test: its own growth so far pays first.
				take := min(pending, amount)
				pending -= take
				amount -= take
			}
			for _, e := range entries { // entries are in start order: FIFO
				if amount <= 0 {
					break
				}
				if e.owner == nil || !in[e.owner] || e.left <= 0 {
					continue
				}
				take := min(e.left, amount)
				e.left -= take
				amount -= take
				e.owner.Releases = append(e.owner.Releases, release{By: by, Fixture: s.Fixture, Scope: s.Scope, Bytes: take})
			}
			if active != nil && in[active] && pending > 0 && amount > 0 {
				// The running test is the last of the fixture's scope: what
				// it added since its start may be the fixture's too.
				take := min(pending, amount)
				pending -= take
				amount -= take
			}
		}
		if amount > 0 {
			releaseLIFO(amount, by)
		}
	}
	gap := func(d int64, by string) {
		switch {
		case d > 0:
			entries = append(entries, &entry{left: d})
		case d < 0:
			releaseLIFO(-d, by)
		}
	}
	finish := func(t *testMem) {
		t.Net, t.HasNet = pending, true
		if pending > 0 {
			t.Added = pending
			entries = append(entries, &entry{owner: t, left: pending})
		} else if pending < 0 {
			releaseLIFO(-pending, t.Test)
		}
		pending = 0
	}
	newTest := func(s *step) *testMem {
		var t *testMem
		if k := len(mems); k < cap(mems) {
			mems = append(mems, testMem{Sources: srcs[2*k : 2*k : 2*k+2]})
			t = &mems[k]
		} else {
			t = new(testMem)
		}
		t.Test, t.Proc, t.Seq, t.Start = s.Test, p, len(r.Tests), s.Time
		r.Tests = append(r.Tests, t)
		byName[s.Test] = t
		return t
	}

	for i := range p.Steps {
		s := &p.Steps[i]
		switch s.Kind {
		case stepStart:
			if active != nil {
				// The previous test never wrote its end: a record lost in
				// a crash. Its change cannot be told from this one's.
				active.InFlight = false
				pending = 0
			}
			t := newTest(s)
			t.Sources = append(t.Sources, s.at())
			t.Coarse = s.Coarse
			if s.HasMem {
				if hasCur {
					gap(delta(cur, s.Mem), "between tests")
				}
				cur, hasCur = s.Mem, true
				t.Before, t.HasBefore = s.Mem, true
				r.LastTime, r.LastSource = s.Time, s.at()
			}
			if s.HasHWM {
				t.startHWM = s.HWMBytes
			}
			t.InFlight = true
			active = t
			pending = 0
		case stepFixtureSetup:
			if !s.HasMem {
				continue
			}
			// A fixture made: the reading up to its setup belongs to the
			// running test as usual; the setup's own growth is the
			// fixture's, on an entry of its own until its teardown.
			if hasCur {
				d := delta(cur, s.Mem)
				if active != nil {
					pending += d
				} else {
					gap(d, "between tests")
				}
			}
			owner := active
			if owner == nil {
				owner = byName[s.Test]
			}
			if g := delta(s.Mem, s.After); g > 0 {
				entries = append(entries, &entry{owner: owner, left: g, fixture: s.Fixture, scope: s.Scope})
				if owner != nil {
					owner.FixtureSetupBytes += g
				}
			} else if active != nil {
				pending += g
			} else {
				gap(g, "between tests")
			}
			cur, hasCur = s.After, true
			r.LastTime, r.LastSource = s.Time, s.at()
		case stepFixture:
			if !s.HasMem {
				continue
			}
			if hasCur {
				d := delta(cur, s.Mem)
				if active != nil {
					pending += d
				} else {
					gap(d, "between tests")
				}
			}
			by := "between tests"
			at := active
			if at != nil {
				by = at.Test
			} else {
				at = lastEnded()
			}
			if drop := delta(s.After, s.Mem); drop > 0 {
				releaseScoped(drop, by, s, at)
			} else if drop < 0 {
				if active != nil {
					pending += -drop
				} else {
					gap(-drop, by)
				}
			}
			cur, hasCur = s.After, true
			r.LastTime, r.LastSource = s.Time, s.at()
		case stepEnd:
			t := active
			if t == nil || t.Test != s.Test {
				// An end without its start: take the reading before it as
				// its start.
				if active != nil {
					active.InFlight = false
				}
				t = newTest(s)
				active = t
				pending = 0
				if hasCur {
					t.Before, t.HasBefore = cur, true
				}
			}
			t.InFlight = false
			t.End = s.Time
			t.Outcome = s.Outcome
			t.Coarse = t.Coarse || s.Coarse
			t.TracebackKept = s.TracebackKept
			t.SharedWith, t.SampleGapS = s.SharedWith, s.SampleGapS
			t.Sources = append(t.Sources, s.at())
			if s.HasMem {
				if hasCur && t.HasBefore {
					pending += delta(cur, s.Mem)
					t.Anon = t.Before.HasAnon && s.Mem.HasAnon
				}
				cur, hasCur = s.Mem, true
				t.After, t.HasAfter = s.Mem, true
				r.LastTime, r.LastSource = s.Time, s.at()
			}
			if t.HasBefore && t.HasAfter {
				finish(t)
			} else {
				pending = 0
			}
			setPeak(t, s, t.startHWM, p.Samples)
			if s.HasTracemalloc {
				t.TracemallocPeakBytes, t.HasTracemalloc = s.TracemallocPeakBytes, true
			}
			for k, n := range s.Open {
				if n > 0 {
					if t.Open == nil {
						t.Open = map[string]int{}
					}
					t.Open[k] += n
				}
			}
			t.OpenDetails = append(t.OpenDetails, s.OpenDetails...)
			active = nil
		}
	}
	r.Active = active
	if active != nil && !active.InFlight {
		r.Active = nil
	}
	r.Last, r.HasLast = cur, hasCur
	for _, e := range entries {
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
			t.TestsLater = len(r.Tests) - 1 - t.Seq // Seq is the index
		}
	}
	countersLedger(p, r, byName)
	return r
}

// setPeak finds the highest RSS during a test: its own peak figure, the
// samples between its start and end, a rise of the process's VmHWM over the
// test, and at least the readings at its start and end.
func setPeak(t *testMem, s *step, startHWM int64, samples []sample) {
	var peak int64
	basis := ""
	if t.HasBefore {
		peak, basis = t.Before.RSSBytes, "readings"
	}
	if t.HasAfter && t.After.RSSBytes > peak {
		peak, basis = t.After.RSSBytes, "readings"
	}
	if s.HasPeak && s.PeakRSSBytes > peak {
		peak, basis = s.PeakRSSBytes, "rss-peak"
	}
	if t.Start != 0 && t.End != 0 {
		lo := sort.Search(len(samples), func(i int) bool { return samples[i].Time >= t.Start })
		for i := lo; i < len(samples) && samples[i].Time <= t.End; i++ {
			if samples[i].Mem.RSSBytes > peak {
				peak, basis = samples[i].Mem.RSSBytes, "samples"
			}
		}
	}
	if s.HasHWM && startHWM > 0 && s.HWMBytes > startHWM && s.HWMBytes > peak {
		// VmHWM rose during the test, so the process's highest RSS so far
		// was reached inside it.
		peak, basis = s.HWMBytes, "vmhwm"
	}
	if basis != "" {
		t.PeakRSSBytes, t.HasPeak, t.PeakBasis = peak, true, basis
	}
}

// countersLedger attributes process-wide live-object counters (weathercop's
// "Open xarray datasets: N"): each rise of a count between consecutive test
// ends is put on a stack owned by the test during which it rose, each fall
// takes the most recent rises off (LIFO). What is left is what the owner
// left open; later tests that merely still see the count are not blamed.
func countersLedger(p *proc, r *procResult, byName map[string]*testMem) {
	type rise struct {
		t *testMem
		n int
	}
	stacks := map[string][]rise{}
	prev := map[string]int{}
	before := map[*testMem]map[string]int{}
	seen := false
	ti := 0
	for i := range p.Steps {
		s := &p.Steps[i]
		if s.Kind != stepEnd || s.OpenCounter == nil {
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
			t = byName[s.Test]
		}
		keys := map[string]bool{}
		for k := range prev {
			keys[k] = true
		}
		for k := range s.OpenCounter {
			keys[k] = true
		}
		for k := range keys {
			d := s.OpenCounter[k] - prev[k]
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
			prev[k] = s.OpenCounter[k]
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
			if rs.t.Open == nil {
				rs.t.Open = map[string]int{}
			}
			rs.t.Open[k] += rs.n
			if rs.t.CounterRise == nil {
				rs.t.CounterRise = map[string]string{}
			}
			b := before[rs.t][k]
			rs.t.CounterRise[k] = itoa(b) + " → " + itoa(b+rs.n)
		}
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
	for i := at.Seq; i >= 0 && i < len(tests); i-- {
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

// nodeFile is the file part of a node id ("tests/test_x.py").
func nodeFile(id string) string {
	if i := strings.Index(id, "::"); i >= 0 {
		return id[:i]
	}
	return id
}

// nodeParent is the node id without its last "::" part (the class, or the
// file for a module-level test). Brackets of a parameter id are not split.
func nodeParent(id string) string {
	base := id
	if i := strings.Index(base, "["); i >= 0 {
		base = base[:i]
	}
	if i := strings.LastIndex(base, "::"); i >= 0 {
		return id[:i]
	}
	return id
}

// nodeName is the last "::" part of a node id, the parameter id included
// ("test_fit[clayton]"): what pytest's request.node.name is.
func nodeName(id string) string {
	base := id
	if i := strings.Index(base, "["); i >= 0 {
		base = base[:i]
	}
	if i := strings.LastIndex(base, "::"); i >= 0 {
		return id[i+2:]
	}
	return id
}

func itoa(n int) string {
	neg := n < 0
	if neg {
		n = -n
	}
	var b [20]byte
	i := len(b)
	for {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
		if n == 0 {
			break
		}
	}
	if neg {
		i--
		b[i] = '-'
	}
	return string(b[i:])
}
