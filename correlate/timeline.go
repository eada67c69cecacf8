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
// when every test has one.
func timelineOf(j *job, results []*procResult) []TestSpan {
	nMem := 0
	for _, r := range results {
		nMem += len(r.Tests)
	}
	n := nMem + len(j.Tests) + len(j.InFlight)
	spans := make([]TestSpan, 0, n)
	starts := make([]float64, 0, n)
	// stamp formats a time; a test's start is often the previous one's
	// end, so the last text is kept. Each *string and *int64 is a value of
	// its own, never shared by two spans, in a chunk that never grows
	// (valueChunk): one allocation per thousand, not one per value.
	var last float64
	var lastText string
	var strs valueChunk[string]
	var nums valueChunk[int64]
	var texts stampArena
	stamp := func(s float64) *string {
		if s == 0 {
			return nil
		}
		if s != last || lastText == "" {
			last, lastText = s, texts.text(s)
		}
		return strs.ptr(lastText)
	}
	num := nums.ptr
	// Only the tests a log lists are looked up by name. A name's tests (one
	// in most jobs, one per process or rerun otherwise) are a chain through
	// next, in the order of results: one map entry per name and no slice
	// per test.
	var byName map[string]nameChain
	var named []*testMem
	var next []int32
	if len(j.Tests) > 0 {
		byName = make(map[string]nameChain, nMem)
		named = make([]*testMem, 0, nMem)
		next = make([]int32, 0, nMem)
	}
	for _, r := range results {
		for _, t := range r.Tests {
			t.timelined = false
			if byName == nil {
				continue
			}
			i := int32(len(named))
			named, next = append(named, t), append(next, -1)
			if c, ok := byName[t.Test]; ok {
				next[c.last] = i
				byName[t.Test] = nameChain{c.first, i}
			} else {
				byName[t.Test] = nameChain{i, i}
			}
		}
	}
	take := func(id, worker string) *testMem {
		c, ok := byName[id]
		if !ok {
			return nil
		}
		for i := c.first; i >= 0; i = next[i] {
			t := named[i]
			if t.timelined || (worker != "" && t.Proc.Worker != "" && t.Proc.Worker != worker) {
				continue
			}
			t.timelined = true
			return t
		}
		return nil
	}
	span := func(t *testMem) TestSpan {
		s := TestSpan{Test: t.Test, Worker: t.Proc.Worker, PID: t.Proc.PID, Start: stamp(t.Start), End: stamp(t.End), Outcome: t.Outcome}
		if t.InFlight {
			s.Outcome = "in-flight"
		}
		if t.HasBefore {
			s.RSSBeforeBytes = num(t.Before.RSSBytes)
		}
		if t.HasAfter {
			s.RSSAfterBytes = num(t.After.RSSBytes)
		}
		if t.HasPeak {
			s.PeakBytes = num(t.PeakRSSBytes)
		}
		return s
	}
	for _, ti := range j.Tests {
		var s TestSpan
		st := ti.Start
		if t := take(ti.ID, ti.Worker); t != nil {
			s = span(t)
			if s.Outcome == "" {
				s.Outcome = ti.Outcome
			}
			if s.Start == nil {
				s.Start = stamp(ti.Start)
			} else {
				st = t.Start
			}
			if s.End == nil {
				s.End = stamp(ti.End)
			}
		} else {
			s = TestSpan{Test: ti.ID, Worker: ti.Worker, PID: ti.PID, Start: stamp(ti.Start), End: stamp(ti.End), Outcome: ti.Outcome}
		}
		spans = append(spans, s)
		starts = append(starts, st)
	}
	for _, r := range results {
		for _, t := range r.Tests {
			if t.timelined {
				continue
			}
			t.timelined = true
			spans = append(spans, span(t))
			starts = append(starts, t.Start)
		}
	}
	for _, f := range j.InFlight {
		found := false
		for i := range spans {
			if s := &spans[i]; s.Outcome == "in-flight" && (s.Test == f.Test || (f.Worker != "" && s.Worker == f.Worker)) {
				found = true
			}
		}
		if !found && f.Test != "" {
			spans = append(spans, TestSpan{Test: f.Test, Worker: f.Worker, PID: f.PID, Start: stamp(f.Start), Outcome: "in-flight"})
			starts = append(starts, f.Start)
		}
	}
	all, sorted := true, true
	for i, s := range starts {
		if s == 0 {
			all = false
		}
		if i > 0 && s < starts[i-1] {
			sorted = false
		}
	}
	if all && !sorted { // a stable sort of sorted spans leaves them as they are
		idx := make([]int, len(spans))
		for i := range idx {
			idx[i] = i
		}
		sort.SliceStable(idx, func(a, b int) bool { return starts[idx[a]] < starts[idx[b]] })
		out := make([]TestSpan, len(spans))
		for i, k := range idx {
			out[i] = spans[k]
		}
		spans = out
	}
	if spans == nil {
		spans = []TestSpan{}
	}
	return spans
}

// stampArena formats stamps as rfc3339 does into chunks of 64 KiB, each
// text a string over its bytes, never written again: one allocation per
// two thousand stamps, not two per stamp (the timeline has two per test).
type stampArena struct{ buf []byte }

func (a *stampArena) text(s float64) string {
	if cap(a.buf)-len(a.buf) < 64 { // RFC 3339 with nanoseconds is 35 bytes
		a.buf = make([]byte, 0, 64<<10)
	}
	start := len(a.buf)
	a.buf = unixTime(s).AppendFormat(a.buf, time.RFC3339Nano)
	b := a.buf[start:]
	return unsafe.String(unsafe.SliceData(b), len(b))
}

// valueChunk hands out pointers to values of their own, allocated a
// thousand at a time: the chunk never grows, so no pointer moves.
type valueChunk[T any] struct{ buf []T }

func (c *valueChunk[T]) ptr(v T) *T {
	if len(c.buf) == cap(c.buf) {
		c.buf = make([]T, 0, 1024)
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

// nameChain is where the tests of one name are in timelineOf's list: the
// first and the last, linked through next.
type nameChain struct{ first, last int32 }
