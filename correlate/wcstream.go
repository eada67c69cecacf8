package correlate

// This file turns the records of one weathercop log into one process's
// steps as the parser reads them (weathercop.Stream): the records are
// never held (scripts/bench-analyze.sh, issue 18: on a 100k-test log the
// records, copied once into one slice and again into steps, were most of
// the time and twice the memory).

import (
	"sort"
	"time"

	"github.com/oomlens/oomlens/weathercop"
)

// WeathercopStream takes the records of one weathercop log as they are
// read: give Add to weathercop.Stream, then Input to the evidence.
type WeathercopStream struct {
	path string
	loc  *time.Location // Options.Location
	p    *proc
	// n counts the records; starts maps the record index of each
	// TEST_START to its step, for the log's unfinished tests.
	n      int
	starts []wcStart
	naive  bool // a record had a stamp (naive local time)
	// counters are the steps' More with an OpenCounter, one per count,
	// shared by the steps (read only): no map per record.
	counters map[int]*stepMore
	// analysed is set once an analysis took the process over: the
	// analysis changes it, so a stream is analysed once.
	analysed bool
}

type wcStart struct {
	record, step int
}

// NewWeathercopStream starts the stream of the log at path. loc is
// Options.Location, the zone of its naive stamps; sizeHintBytes its size
// when known (0 when not): room for its steps is then reserved at once.
func NewWeathercopStream(path string, loc *time.Location, sizeHintBytes int64) *WeathercopStream {
	// A record of the logger is about 300 bytes.
	room := int(min(sizeHintBytes/256, 1<<26))
	// starts gets one a test, half the steps: reserved too (grown by
	// append, it allocated five times its size).
	return &WeathercopStream{path: path, loc: loc, p: &proc{Source: path, Steps: hugeList[step](room)}, starts: hugeList[wcStart](room / 2)}
}

// Add converts one record; its test keeps the bare name the log gives
// until the normaliser resolves it.
func (st *WeathercopStream) Add(r *weathercop.Record) {
	idx := st.n
	st.n++
	p := st.p
	t := localTime(r.Time, st.loc)
	if !r.Time.IsZero() {
		st.naive = true
	}
	m := mem{RSSBytes: r.VmRSSBytes}
	switch r.Event {
	case weathercop.SessionEnd:
		p.Ended, p.EndedTime = pos(st.path, r.Line), t
	case weathercop.SessionStart:
		if r.HasVmRSS {
			p.Samples = append(p.Samples, sample{Time: t, Mem: m, Source: st.path, SourceLine: r.Line})
		}
	case weathercop.TestStart:
		s := newStep(stepStart, r.Test, t, m, r.HasVmRSS, r.Line)
		if r.HasVmHWM {
			s.setHWM(r.VmHWMBytes)
		}
		st.starts = append(st.starts, wcStart{record: idx, step: len(p.Steps)})
		p.Steps = append(p.Steps, s)
	case weathercop.TestEnd:
		s := newStep(stepEnd, r.Test, t, m, r.HasVmRSS, 0)
		// The logger prints the line only when the count is not 0.
		s.More = st.counter(r.OpenXarrayDatasets)
		// After More: what goes in More goes in a copy of it.
		if r.HasVmHWM {
			s.setHWM(r.VmHWMBytes)
		}
		if r.HasTracemallocPeak {
			s.setTracemalloc(int64(r.TracemallocPeakMiB * float64(mibBytes)))
		}
		s.setLine(r.Line)
		p.Steps = append(p.Steps, s)
	}
}

// counter is the shared More of a TEST_END with n open datasets.
func (st *WeathercopStream) counter(n int) *stepMore {
	c, ok := st.counters[n]
	if !ok {
		c = &stepMore{OpenCounter: map[string]int{}}
		if n > 0 {
			c.OpenCounter["xarray.Dataset"] = n
		}
		if st.counters == nil {
			st.counters = map[int]*stepMore{}
		}
		st.counters[n] = c
	}
	return c
}

// Input is the log's input for Evidence: l is what weathercop.Stream
// returned (warnings, interleaving, unfinished tests), with no records.
// The input is for one analysis: Analyze takes its process over.
func (st *WeathercopStream) Input(l *weathercop.Log) WeathercopInput {
	return WeathercopInput{Path: st.path, Log: l, stream: st}
}

// streamOf is in's stream: the one it was read with, else its records
// converted now with loc (each time, so that evidence parsed whole can be
// analysed again).
func (in *WeathercopInput) streamOf(loc *time.Location) *WeathercopStream {
	if in.stream != nil {
		return in.stream
	}
	st := NewWeathercopStream(in.Path, loc, 0)
	st.p.Steps = make([]step, 0, len(in.Log.Records))
	for i := range in.Log.Records {
		st.Add(&in.Log.Records[i])
	}
	return st
}

// startStep is the step of the TEST_START record at index record, or -1.
func (st *WeathercopStream) startStep(record int) int {
	i := sort.Search(len(st.starts), func(i int) bool { return st.starts[i].record >= record })
	if i < len(st.starts) && st.starts[i].record == record {
		return st.starts[i].step
	}
	return -1
}

// localTime reads a naive stamp (parsed as UTC or in the parser's zone) in
// loc (Options.Location).
func localTime(t time.Time, loc *time.Location) float64 {
	if t.IsZero() {
		return 0
	}
	if loc != nil && t.Location() == time.UTC {
		t = time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), loc)
	}
	return unixSeconds(t)
}
