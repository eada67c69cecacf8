package correlate

import (
	"math"
	"reflect"
	"testing"
)

// TestStepPacking: what the 72-byte step keeps apart (its own peak and its
// VmHWM, a line past 32 bits, an input other than its process's) reads back
// as it was set, in either order, and a More shared with other steps is
// never written.
func TestStepPacking(t *testing.T) {
	shared := &stepMore{Outcome: "shared"}
	for _, peakFirst := range []bool{true, false} {
		s := newStep(stepEnd, "a.py::t", t0, anon(3*MiB, 2*MiB), true, 7)
		s.More = shared
		if peakFirst {
			s.setPeakRSS(5 * MiB)
			s.setHWM(9 * MiB)
		} else {
			s.setHWM(9 * MiB)
			s.setPeakRSS(5 * MiB)
		}
		if !s.HasPeak() || !s.HasHWM() || s.PeakRSSBytes() != 5*MiB || s.HWMBytes() != 9*MiB {
			t.Errorf("peak first %v: peak %v %d, hwm %v %d", peakFirst, s.HasPeak(), s.PeakRSSBytes(), s.HasHWM(), s.HWMBytes())
		}
		if s.Mem() != anon(3*MiB, 2*MiB) || s.extra().Outcome != "shared" {
			t.Errorf("peak first %v: mem %+v, more %+v", peakFirst, s.Mem(), s.extra())
		}
	}
	if !reflect.DeepEqual(*shared, stepMore{Outcome: "shared"}) {
		t.Errorf("shared More written: %+v", shared)
	}

	p := &proc{Source: "diag.jsonl"}
	for _, line := range []int{0, 1, math.MaxInt32, math.MaxInt32 + 1, math.MaxInt64, -1} {
		s := newStep(stepStart, "a.py::t", t0, rss(MiB), true, line)
		if at := s.at(p); at != (srcPos{"diag.jsonl", line}) {
			t.Errorf("line %d: at %v", line, at)
		}
	}

	// A process merged into another keeps its input on its steps.
	from := &proc{Source: "b.jsonl", Steps: []step{newStep(stepStart, "a.py::t", t0, rss(MiB), true, 3), newStep(stepEnd, "a.py::t", t0, rss(MiB), true, math.MaxInt64)}}
	from.Steps[1].setOutcome("weird")
	p.takeSteps(from)
	if at := p.Steps[0].at(p); at != (srcPos{"b.jsonl", 3}) {
		t.Errorf("merged start at %v", at)
	}
	if at := p.Steps[1].at(p); at != (srcPos{"b.jsonl", math.MaxInt64}) || p.Steps[1].outcomeText() != "weird" {
		t.Errorf("merged end at %v, outcome %q", at, p.Steps[1].outcomeText())
	}
}
