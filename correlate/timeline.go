package correlate

// This file is the timeline stage: every test's span, and the samples for
// the charts.

import (
	"sort"
	"time"
	"unsafe"
)

// timelineOf lists every test: the log's order first, each merged with its
// memory readings, then tests only the memory records name; by start time
// when every test has one. With tail > 0 only the last tail tests are
// written out as spans (the text and Markdown reports show no more), and
// total is how many the whole timeline has.
func timelineOf(j *job, results []*procResult, tail int) (spans []TestSpan, total int) {
	refs, total, unsorted := timelineRefs(j, results, tail)
	if unsorted {
		if len(refs) < total { // only the last were kept: sorting needs all
			refs, _, _ = timelineRefs(j, results, 0)
		}
		// A stable sort: sorted refs would stay as they are.
		sort.SliceStable(refs, func(a, b int) bool { return refs[a].start < refs[b].start })
	}
	if tail > 0 && len(refs) > tail {
		refs = refs[len(refs)-tail:]
	}
	spans = make([]TestSpan, len(refs))
	sw := spanWriter{left: len(refs)}
	for i := range refs {
		spans[i] = sw.span(j, &refs[i])
		sw.left--
	}
	return spans, total
}

// timelineRef is one test of the timeline before its span is written: a
// span (stamps as text, values behind pointers: ~200 bytes a test) is made
// only for the rows a report shows (issue 18).
type timelineRef struct {
	start float64
	t     *testMem // the memory records' test; nil when they have none
	log   int32    // index in j.Tests, -1 when none
	// flight is the index in j.InFlight of an in-flight test no other row
	// shows, -1 otherwise.
	flight int32
}

// outcome is the span's outcome, without writing the span.
func (r *timelineRef) outcome(j *job) string {
	switch {
	case r.flight >= 0:
		return "in-flight"
	case r.t != nil && r.t.InFlight:
		return "in-flight"
	case r.t != nil && r.t.outcome != 0:
		return r.t.outcomeText()
	case r.log >= 0:
		return j.Tests[r.log].Outcome
	}
	return ""
}

// name is the span's test and worker.
func (r *timelineRef) name(j *job) (test, worker string) {
	switch {
	case r.flight >= 0:
		f := &j.InFlight[r.flight]
		return f.Test, f.Worker
	case r.t != nil:
		return r.t.Test, r.t.Proc.Worker
	}
	ti := &j.Tests[r.log]
	return ti.ID, ti.Worker
}

// refList gathers the timeline's refs in the order they are made: every
// one, or with tail > 0 only the last tail; in both cases how many there
// are, whether all have a start and whether the starts are in order, and
// the in-flight ones (for the in-flight records no row shows yet).
type refList struct {
	tail   int
	refs   []timelineRef
	n      int
	all    bool // every ref has a start
	sorted bool // the starts never go back
	last   float64
	flying []timelineRef
}

func (l *refList) add(j *job, r timelineRef) {
	if r.start == 0 {
		l.all = false
	}
	if l.n > 0 && r.start < l.last {
		l.sorted = false
	}
	l.last = r.start
	l.n++
	if r.outcome(j) == "in-flight" {
		l.flying = append(l.flying, r)
	}
	if l.tail > 0 && len(l.refs) == 2*l.tail {
		l.refs = l.refs[:copy(l.refs, l.refs[l.tail:])]
	}
	l.refs = append(l.refs, r)
}

// timelineRefs puts the timeline's tests in the order they come (see
// timelineOf): all of them when tail is 0, else at least the last tail;
// total counts them all, and unsorted says that they must be sorted by
// start.
func timelineRefs(j *job, results []*procResult, tail int) (refs []timelineRef, total int, unsorted bool) {
	nMem := 0
	for _, r := range results {
		nMem += len(r.Tests)
	}
	l := refList{tail: tail, all: true, sorted: true}
	if tail > 0 {
		l.refs = make([]timelineRef, 0, 2*tail)
	} else {
		// A ref per test of the log, per memory test the log does not
		// name, per in-flight test no row shows: the logs and the memory
		// records mostly name the same tests, so room for the log's and
		// the memory tests beyond them (an append grows it when they
		// differ). Room for both, it was half unused on batch's jobs.
		l.refs = make([]timelineRef, 0, len(j.Tests)+max(nMem-len(j.Tests), 0)+len(j.InFlight))
	}
	m := newLogMatcher(results, nMem, len(j.Tests) > 0)
	for i := range j.Tests {
		ti := &j.Tests[i]
		ref := timelineRef{start: ti.Start, log: int32(i), flight: -1}
		if t := m.take(ti.ID, ti.Worker); t != nil {
			ref.t = t
			if t.Start != 0 {
				ref.start = t.Start
			}
		}
		l.add(j, ref)
	}
	for _, r := range results {
		for _, t := range r.Tests {
			if t.timelined {
				continue
			}
			t.timelined = true
			l.add(j, timelineRef{start: t.Start, t: t, log: -1, flight: -1})
		}
	}
	for fi := range j.InFlight {
		f := &j.InFlight[fi]
		found := false
		for i := range l.flying {
			if test, worker := l.flying[i].name(j); test == f.Test || (f.Worker != "" && worker == f.Worker) {
				found = true
			}
		}
		if !found && f.Test != "" {
			l.add(j, timelineRef{start: f.Start, log: -1, flight: int32(fi)})
		}
	}
	return l.refs, l.n, l.all && !l.sorted
}

// spanWriter writes spans. A test's start is often the previous one's end,
// so the last stamp's text is kept. Each *string and *int64 is a value of
// its own, never shared by two spans, in a chunk that never grows
// (valueChunk): one allocation per thousand, not one per value. A chunk
// is sized by what the spans left to write can use at most (left), so
// that a timeline of a few hundred tests does not take a thousand's
// (batch's jobs: 95 KB of chunks for 441 spans, then 48 KB).
type spanWriter struct {
	left     int // the spans still to write, the current one included
	last     float64
	lastText string
	strs     valueChunk[string]
	nums     valueChunk[int64]
	texts    stampArena
}

// A span has at most two stamps (start, end) and three figures.
const (
	stampsPerSpan  = 2
	figuresPerSpan = 3
)

func (w *spanWriter) stamp(s float64) *string {
	if s == 0 {
		return nil
	}
	if s != w.last || w.lastText == "" {
		w.last, w.lastText = s, w.texts.text(s, stampsPerSpan*w.left)
	}
	return w.strs.ptr(w.lastText, stampsPerSpan*w.left)
}

// num is a pointer to a value v of its own.
func (w *spanWriter) num(v int64) *int64 { return w.nums.ptr(v, figuresPerSpan*w.left) }

// span writes the span of r: its test, worker and outcome as r says them
// (name, outcome), its figures from the memory records' test, its stamps
// from that test or else the log's.
func (w *spanWriter) span(j *job, r *timelineRef) TestSpan {
	test, worker := r.name(j)
	s := TestSpan{Test: test, Worker: worker, Outcome: r.outcome(j)}
	if r.flight >= 0 {
		f := &j.InFlight[r.flight]
		s.PID, s.Start = f.PID, w.stamp(f.Start)
		return s
	}
	var ti *testInfo
	if r.log >= 0 {
		ti = &j.Tests[r.log]
	}
	t := r.t
	if t == nil {
		s.PID, s.Start, s.End = ti.PID, w.stamp(ti.Start), w.stamp(ti.End)
		return s
	}
	s.PID, s.Start, s.End = t.Proc.PID, w.stamp(t.Start), w.stamp(t.End)
	if t.HasBefore {
		s.RSSBeforeBytes = w.num(t.before.RSSBytes)
	}
	if t.HasAfter {
		s.RSSAfterBytes = w.num(t.after.RSSBytes)
	}
	if t.HasPeak {
		s.PeakBytes = w.num(t.PeakRSSBytes)
	}
	if ti != nil {
		if s.Start == nil {
			s.Start = w.stamp(ti.Start)
		}
		if s.End == nil {
			s.End = w.stamp(ti.End)
		}
	}
	return s
}

// stampArena formats stamps as rfc3339 does into chunks of at most 64
// KiB, each text a string over its bytes, never written again: one
// allocation per two thousand stamps, not two per stamp (the timeline has
// two per test).
type stampArena struct{ buf []byte }

// stampRoom is the room a stamp takes at most in a year of four digits:
// unixTime is in UTC to the microsecond, "2006-01-02T15:04:05.999999Z".
// (A longer one only starts its chunk sooner: a chunk is made when fewer
// than 64 bytes are left.)
const stampRoom = 27

// text is s as rfc3339 formats it; left is how many stamps may still
// come, this one included, which a new chunk is sized for.
func (a *stampArena) text(s float64, left int) string {
	if cap(a.buf)-len(a.buf) < 64 {
		a.buf = make([]byte, 0, min(max(left, 1)*stampRoom+64, 64<<10))
	}
	start := len(a.buf)
	a.buf = unixTime(s).AppendFormat(a.buf, time.RFC3339Nano)
	b := a.buf[start:]
	return unsafe.String(unsafe.SliceData(b), len(b))
}

// valueChunk hands out pointers to values of their own, allocated at
// most a thousand at a time: the chunk never grows, so no pointer moves.
type valueChunk[T any] struct{ buf []T }

// ptr is a pointer to a value v of its own; left is how many values may
// still be asked for, this one included, which a new chunk is sized for.
func (c *valueChunk[T]) ptr(v T, left int) *T {
	if len(c.buf) == cap(c.buf) {
		c.buf = make([]T, 0, min(max(left, 1), 1024))
	}
	c.buf = append(c.buf, v)
	return &c.buf[len(c.buf)-1]
}

// maxSamplesPerProc bounds the samples per process handed to the charts.
const maxSamplesPerProc = 2000

// samplesOf thins each process's samples to at most maxSamplesPerProc,
// keeping the highest reading of each bucket so no peak is lost.
func samplesOf(j *job) []RSSSample {
	var out []RSSSample
	for _, p := range j.Procs {
		n := len(p.Samples)
		if n == 0 {
			continue
		}
		bucket := (n + maxSamplesPerProc - 1) / maxSamplesPerProc
		for i := 0; i < n; i += bucket {
			best := i
			for k := i; k < min(n, i+bucket); k++ {
				if p.Samples[k].Mem.RSSBytes > p.Samples[best].Mem.RSSBytes {
					best = k
				}
			}
			s := p.Samples[best]
			if s.Time == 0 {
				continue
			}
			out = append(out, RSSSample{Time: *rfc3339(s.Time), PID: p.PID, Worker: p.Worker, RSSBytes: s.Mem.RSSBytes})
		}
	}
	return out
}

// logMatcher finds the memory records' test of each test a log lists: the
// first of that name, in the order of the processes' results, that no row
// took yet and that ran on the log's worker when both say one (take).
//
// The log and the memory records nearly always list the same tests in the
// same order (batch's jobs: all but the in-flight one). So while every
// test before a cursor is taken, the test at the cursor, when it has the
// name and the worker, is the one take looks for: nothing before it is
// left. The first test that is not so builds the general path's index, a
// chain of each name's tests (one map entry a name, no slice a test), and
// every later one takes that path (TestLogMatcherAgrees holds the two to
// each other).
type logMatcher struct {
	named  []*testMem // every memory test, in the order of the results
	cursor int        // named[:cursor] are all taken, while byName is nil
	byName map[string]nameChain
	next   []int32 // the next test of the same name in named, -1 none
	// general skips the cursor (the tests' general path).
	general bool
}

// newLogMatcher clears every test's timelined mark; the matcher lists the
// results' nMem tests only when a log has tests to look up (logged).
func newLogMatcher(results []*procResult, nMem int, logged bool) *logMatcher {
	m := &logMatcher{}
	if logged {
		m.named = make([]*testMem, 0, nMem)
	}
	for _, r := range results {
		for _, t := range r.Tests {
			t.timelined = false
			if logged {
				m.named = append(m.named, t)
			}
		}
	}
	return m
}

// nameChain is where the tests of one name are in named: the first and
// the last, linked through next.
type nameChain struct{ first, last int32 }

// compatible: t ran on the log's worker, or one of them does not say.
func compatible(t *testMem, worker string) bool {
	return worker == "" || t.Proc.Worker == "" || t.Proc.Worker == worker
}

// take is the memory test of the log's test id on worker, marked taken;
// nil when none is left.
func (m *logMatcher) take(id, worker string) *testMem {
	if m.byName == nil && !m.general {
		if m.cursor == len(m.named) {
			return nil // every test is taken
		}
		if t := m.named[m.cursor]; t.Test == id && compatible(t, worker) {
			m.cursor++
			t.timelined = true
			return t
		}
	}
	if m.byName == nil {
		m.index()
	}
	c, ok := m.byName[id]
	if !ok {
		return nil
	}
	for i := c.first; i >= 0; i = m.next[i] {
		t := m.named[i]
		if t.timelined || !compatible(t, worker) {
			continue
		}
		t.timelined = true
		return t
	}
	return nil
}

// index chains the tests of each name.
func (m *logMatcher) index() {
	m.byName = make(map[string]nameChain, len(m.named))
	m.next = make([]int32, len(m.named))
	for k, t := range m.named {
		i := int32(k)
		m.next[i] = -1
		if c, ok := m.byName[t.Test]; ok {
			m.next[c.last] = i
			m.byName[t.Test] = nameChain{c.first, i}
		} else {
			m.byName[t.Test] = nameChain{i, i}
		}
	}
}
