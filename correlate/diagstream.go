package correlate

// This file turns the records of one diagnostics file into the model as the
// parser reads them (diagnostics.Stream): a file of a million records is
// never held whole, only its steps (scripts/bench-analyze.sh, issue 18: the
// 1M-record file took 12.9 s and 1.16 GB while its records were kept and
// then copied into steps).

import (
	"fmt"

	"github.com/oomlens/oomlens/diagnostics"
)

// DiagnosticsStream takes the records of one diagnostics file as they are
// read: give Add to diagnostics.Stream, then Input to the evidence.
type DiagnosticsStream struct {
	path string
	// procs are the file's processes, one per (pid, worker), in the order
	// of their first record.
	procs   []*proc
	byKey   map[diagProcKey]*proc
	last    *proc // the process of the previous record, the likely next
	lastKey diagProcKey
	// started holds, per process, the tests whose test_start was read and
	// whose test_end was not, with the start's time: an end without its
	// start is never paired with a neighbour's. The latest start is held
	// apart, in pending, until another start comes: a test's end nearly
	// always follows its own start, and the map's insert, lookup and
	// delete for every test were 2.5% of a batch's CPU.
	started map[*proc]map[string]float64
	pending pendingStart
	// warnings about records, in record order; clocks the hints of
	// session_start records.
	warnings []string
	clocks   []clockHint
	// ids are the node ids of test_start and test_end records in file
	// order (a repeat of the one before left out): the run order other
	// inputs' bare names and positions are resolved with.
	ids []string
	// comm and session end seen, per process (merged across files: the
	// last one wins, as when the records of all files were read in turn).
	commSet, endSet map[*proc]bool
	session         DiagnosticsSession
	sessionState    int8 // 0 looking for the first session_start, 1 found, -1 none (xdist worker)
	// sessionIDs is the number of the session's tests, while they are
	// ids[:sessionIDs] (in a file of one process, always): session.Tests
	// is then empty, and the list not held twice. sessionOwn is set once
	// they differ and session.Tests holds them.
	sessionIDs int
	sessionOwn bool
	// firstSteps is the list reserved for the steps of the file's first
	// process (sizeHint), nil when its size is unknown.
	firstSteps []step
	// analysed is set once an analysis took the stream's processes over:
	// the analysis changes them, so a stream is analysed once.
	analysed bool
}

type diagProcKey struct {
	pid    int
	worker string // only when pid is 0
}

// diagProcOf is the key of the process of pid and worker: the worker
// tells processes apart only when no pid does.
func diagProcOf(pid int, worker string) diagProcKey {
	if pid == 0 {
		return diagProcKey{worker: worker}
	}
	return diagProcKey{pid: pid}
}

// DiagnosticsSession is what a diagnostics file says of the run it
// belongs to: its first session_start and, from it on, the span of that
// process's records and the tests it started (job.Runs tells runs apart
// with it).
type DiagnosticsSession struct {
	PID         int
	BootTime    float64
	HasBootTime bool
	// FromUnix and ToUnix are the earliest and latest record times (Unix
	// seconds) of the process from its session_start on; HasSpan is false
	// when none had one.
	FromUnix, ToUnix float64
	HasSpan          bool
	// Tests are the node ids of its test_start records in order (repeats
	// included).
	Tests []string
}

// NewDiagnosticsStream starts the stream of the file at path.
// sizeHintBytes is its size when known (0 when not): the steps of its
// process are then reserved at once rather than grown and copied.
func NewDiagnosticsStream(path string, sizeHintBytes int64) *DiagnosticsStream {
	// A start or end record of the plugin is about 180 bytes.
	room := int(min(sizeHintBytes/160, 1<<26))
	st := &DiagnosticsStream{path: path}
	if room > 0 {
		st.firstSteps = hugeList[step](room)
	}
	// The list of node ids gets one a test (half the records) in a file
	// of one process: reserved too, since grown by append (1.25x at that
	// size) it allocated five times its size (85 MB for 16 MB on the
	// 1M-record JSONL, issue 18). The session's tests are most often the
	// same list (sessionIDs).
	st.ids = hugeList[string](room / 2)
	return st
}

func (st *DiagnosticsStream) get(pid int, worker string) *proc {
	if p := st.last; p != nil && pid != 0 && pid == st.lastKey.pid {
		// The process of the record before (a key with a pid has no
		// worker): nearly every record.
		if p.Worker == "" && worker != "" {
			p.Worker = worker
		}
		return p
	}
	k := diagProcOf(pid, worker)
	p := st.last
	if p == nil || k != st.lastKey {
		p = st.byKey[k]
	}
	if p != nil {
		if p.Worker == "" && worker != "" {
			p.Worker = worker
		}
	} else {
		p = &proc{PID: pid, Worker: worker, Source: st.path}
		if len(st.procs) == 0 {
			// One process per file is the usual case: its first
			// process gets room for the file's records.
			p.Steps, st.firstSteps = st.firstSteps, nil
		}
		if st.byKey == nil {
			st.byKey = map[diagProcKey]*proc{}
		}
		st.byKey[k] = p
		st.procs = append(st.procs, p)
	}
	st.last, st.lastKey = p, k
	return p
}

func (st *DiagnosticsStream) warnf(format string, args ...any) {
	st.warnings = append(st.warnings, fmt.Sprintf(format, args...))
}

// Add converts one record. format is the file's (diagnostics.Log.Format):
// a summary's entries have no readings, only peaks.
func (st *DiagnosticsStream) Add(format string, r *diagnostics.Record) {
	if r.Event == diagnostics.EventTestStart || r.Event == diagnostics.EventTestEnd {
		if n := len(st.ids); r.NodeID != "" && (n == 0 || st.ids[n-1] != r.NodeID) {
			st.ids = append(st.ids, r.NodeID)
		}
	}
	st.trackSession(r) // after ids: its test is then most often ids' last
	summary := format == diagnostics.FormatSummary
	path := st.path
	p := st.get(r.PID, r.Worker)
	m := mem{RSSBytes: r.RSSBytes, AnonBytes: r.RSSAnonBytes, HasAnon: r.HasRSSAnon}
	switch r.Event {
	case diagnostics.EventSessionStart:
		p.Comm, p.Cmdline = extraString(r.Extra, "comm"), extraString(r.Extra, "cmdline")
		if st.commSet == nil {
			st.commSet = map[*proc]bool{}
		}
		st.commSet[p] = true
		if r.HasBootTime && r.BootTime > 0 {
			st.clocks = append(st.clocks, clockHint{Method: AlignDiagnosticsBootTime, BootUnix: r.BootTime, UncertaintyS: 1, Source: pos(path, r.Line)})
		}
		if r.HasMonotonic && r.Time > 0 {
			st.clocks = append(st.clocks, clockHint{Method: AlignDiagnosticsMonotonic, BootUnix: r.Time - r.Monotonic, UncertaintyS: 0.05, Source: pos(path, r.Line)})
		}
		if r.HasRSS && r.Time > 0 {
			p.Samples = append(p.Samples, sample{Time: r.Time, Mem: m, Source: path, SourceLine: r.Line})
		}
	case diagnostics.EventSessionEnd:
		p.Ended, p.EndedTime = pos(path, r.Line), r.Time
		if st.endSet == nil {
			st.endSet = map[*proc]bool{}
		}
		st.endSet[p] = true
	case diagnostics.EventSample:
		if r.HasRSS && r.Time > 0 {
			p.Samples = append(p.Samples, sample{Time: r.Time, Mem: m, Source: path, SourceLine: r.Line})
		}
	case diagnostics.EventTestStart:
		st.start(p, r.NodeID, r.Time)
		p.addStep(stepStart, r.NodeID, r.Time, m, r.HasRSS, r.Line)
	case diagnostics.EventTestEnd:
		st.end(p, r, m, summary)
	case diagnostics.EventFixtureTeardown, diagnostics.EventFixtureSetup:
		before := mem{RSSBytes: r.RSSBeforeBytes}
		after := mem{RSSBytes: r.RSSAfterBytes, AnonBytes: r.RSSAnonBytes, HasAnon: r.HasRSSAnon}
		if after.HasAnon {
			// Only the anonymous RSS after is written: the file-backed
			// part is taken as unchanged over the finalizer.
			before.AnonBytes, before.HasAnon = r.RSSBeforeBytes-(r.RSSAfterBytes-r.RSSAnonBytes), true
		}
		kind := stepFixture
		if r.Event == diagnostics.EventFixtureSetup {
			kind = stepFixtureSetup
		}
		s := newStep(kind, r.NodeID, r.Time, before, r.RSSBeforeBytes > 0 || r.RSSAfterBytes > 0, r.Line)
		s.More = &stepMore{Fixture: r.Fixture, Scope: r.Scope, After: after, Line: s.extra().Line}
		p.Steps = append(p.Steps, s)
	}
}

// end converts a test_end record.
func (st *DiagnosticsStream) end(p *proc, r *diagnostics.Record, m mem, summary bool) {
	path := st.path
	s := newStep(stepEnd, r.NodeID, r.Time, m, r.HasRSS, r.Line)
	s.set(stepTracebackKept, r.TracebackKept)
	s.setOutcome(r.Outcome)
	if summary {
		s.set(stepHasMem, false)
		if r.HasPeak {
			s.setTracemalloc(r.PeakRSSBytes)
		}
	} else if r.HasPeak {
		s.setPeakRSS(r.PeakRSSBytes)
	}
	if len(r.OpenObjects) > 0 {
		s.more().Open = r.OpenObjects
	}
	for _, o := range r.OpenObjectDetails {
		m := s.more()
		m.OpenDetails = append(m.OpenDetails, openObject{Type: o.Type, FileBacked: o.FileBacked, Closed: o.Closed, NBytes: o.NBytes, Description: o.Description})
	}
	if summary && !r.HasPeak {
		return
	}
	if !summary {
		start, ok := st.startOf(p, r.NodeID)
		switch {
		case !ok:
			st.warnf("%s: test_end of %s (pid %d) with no test_start before it: no figure is derived for it", pos(path, r.Line), r.NodeID, r.PID)
			return
		case start > 0 && r.Time > 0 && r.Time < start:
			st.warnf("%s: test_end of %s (pid %d) is %.3f s before its test_start: no figure is derived for it", pos(path, r.Line), r.NodeID, r.PID, start-r.Time)
			st.ended(p, r.NodeID)
			for k := len(p.Steps) - 1; k >= 0; k-- {
				if p.Steps[k].Kind == stepStart && p.Steps[k].Test == r.NodeID {
					p.Steps = append(p.Steps[:k], p.Steps[k+1:]...)
					break
				}
			}
			return
		}
		st.ended(p, r.NodeID)
	}
	if summary {
		// A summary entry stands alone: give it a start so the ledger
		// sees a test (with no readings).
		p.addStep(stepStart, r.NodeID, 0, mem{}, false, r.Line)
	}
	p.Steps = append(p.Steps, s)
}

// pendingStart is the latest test_start of a DiagnosticsStream (see
// started): its process, node id and time, when ok.
type pendingStart struct {
	p    *proc
	id   string
	time float64
	ok   bool
}

func (ps pendingStart) is(p *proc, id string) bool { return ps.ok && ps.p == p && ps.id == id }

// start records that p started test id at time t (a start of a test
// already started replaces it).
func (st *DiagnosticsStream) start(p *proc, id string, t float64) {
	if ps := st.pending; ps.ok && !ps.is(p, id) {
		if st.started == nil {
			st.started = map[*proc]map[string]float64{}
		}
		if st.started[ps.p] == nil {
			st.started[ps.p] = map[string]float64{}
		}
		st.started[ps.p][ps.id] = ps.time
	}
	st.pending = pendingStart{p: p, id: id, time: t, ok: true}
}

// startOf is the time p started test id, ok false when it did not (or its
// end was read).
func (st *DiagnosticsStream) startOf(p *proc, id string) (t float64, ok bool) {
	if st.pending.is(p, id) {
		return st.pending.time, true
	}
	t, ok = st.started[p][id]
	return t, ok
}

// ended forgets p's start of test id.
func (st *DiagnosticsStream) ended(p *proc, id string) {
	if st.pending.is(p, id) {
		st.pending = pendingStart{}
	}
	if m := st.started[p]; len(m) > 0 {
		delete(m, id)
	}
}

// trackSession follows the file's first session_start (Session).
func (st *DiagnosticsStream) trackSession(r *diagnostics.Record) {
	s := &st.session
	switch st.sessionState {
	case -1:
		return
	case 0:
		if r.Event != diagnostics.EventSessionStart {
			return
		}
		if r.Worker != "" {
			st.sessionState = -1
			return
		}
		st.sessionState = 1
		s.PID = r.PID
		if r.HasBootTime {
			s.BootTime, s.HasBootTime = r.BootTime, true
		}
	}
	if r.PID != s.PID && r.PID != 0 {
		return // another process's records merged into the file
	}
	if t := r.Time; t > 0 && t < 1<<40 {
		if !s.HasSpan {
			s.FromUnix, s.ToUnix, s.HasSpan = t, t, true
		}
		// Compared, not min and max: t is neither NaN nor -0, which they
		// order at a cost on every record (1% of a batch job's analysis).
		if t < s.FromUnix {
			s.FromUnix = t
		}
		if t > s.ToUnix {
			s.ToUnix = t
		}
	}
	if r.Event == diagnostics.EventTestStart && r.NodeID != "" {
		st.addSessionTest(r.NodeID)
	}
}

// addSessionTest appends id to the session's tests: they stay ids[:n]
// while the next of ids is id (sessionIDs), else are copied out of it.
func (st *DiagnosticsStream) addSessionTest(id string) {
	if !st.sessionOwn {
		if n := st.sessionIDs; n < len(st.ids) && st.ids[n] == id {
			st.sessionIDs++
			return
		}
		// Room as the list of ids had (the file's size).
		st.session.Tests = append(make([]string, 0, max(cap(st.ids), st.sessionIDs+1)), st.ids[:st.sessionIDs]...)
		st.sessionOwn = true
	}
	st.session.Tests = append(st.session.Tests, id)
}

// sessionOf is the session, its tests as they are held.
func (st *DiagnosticsStream) sessionOf() DiagnosticsSession {
	s := st.session
	if !st.sessionOwn && st.sessionIDs > 0 {
		s.Tests = st.ids[:st.sessionIDs:st.sessionIDs]
	}
	return s
}

// Input is the file's input for Evidence: d is what diagnostics.Stream
// returned (its warnings, format), with no records. The input is for one
// analysis: Analyze takes its processes over.
func (st *DiagnosticsStream) Input(d *diagnostics.Log) DiagnosticsInput {
	return DiagnosticsInput{Path: st.path, Diag: d, stream: st}
}

// streamOf is in's stream: the one it was read with, else its records
// converted now (each time: the conversion is the analysis's own, so that
// evidence parsed whole can be analysed again).
func (in *DiagnosticsInput) streamOf() *DiagnosticsStream {
	if in.stream != nil {
		return in.stream
	}
	st := NewDiagnosticsStream(in.Path, 0)
	st.firstSteps = make([]step, 0, len(in.Diag.Records))
	for i := range in.Diag.Records {
		st.Add(in.Diag.Format, &in.Diag.Records[i])
	}
	return st
}

// Session is the run the file's first session_start opened; false when
// it has none (cut before it, a summary of another tool) or it is an xdist
// worker's.
func (in DiagnosticsInput) Session() (DiagnosticsSession, bool) {
	if in.Diag == nil && in.stream == nil {
		return DiagnosticsSession{}, false
	}
	st := in.streamOf()
	return st.sessionOf(), st.sessionState == 1
}
