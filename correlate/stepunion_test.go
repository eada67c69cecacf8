package correlate

import (
	"math/rand"
	"testing"
)

// refStep is a step's figures as separate fields, as step kept them
// before its anonymous RSS and tracemalloc peak shared one field.
type refStep struct {
	m           mem
	tracemalloc int64
	hasTM       bool
	peak, hwm   int64
	hasPeak     bool
	hasHWM      bool
}

// checkStepUnion applies ops (a byte each: the low 3 bits the setter, the
// rest its value) to a step made with m and to refStep, and compares every
// figure after each.
func checkStepUnion(t testing.TB, m mem, ops []byte) {
	s := newStep(stepEnd, "a.py::t", 1, m, true, 7)
	ref := refStep{m: m}
	for k, op := range ops {
		v := int64(op>>3) * MiB
		switch op & 7 {
		case 0:
			s.setTracemalloc(v)
			ref.tracemalloc, ref.hasTM = v, true
		case 1:
			nm := mem{RSSBytes: v, AnonBytes: v / 2, HasAnon: op&8 != 0}
			s.setMem(nm)
			ref.m = nm
		case 2:
			s.setPeakRSS(v)
			ref.peak, ref.hasPeak = v, true
		case 3:
			s.setHWM(v)
			ref.hwm, ref.hasHWM = v, true
		case 4:
			s.setOutcome("weird")
		case 5:
			s.setLine(1 << 40)
		case 6:
			s.setSource("other.jsonl")
		case 7:
			c := s // a copy shares More, as takeSteps' copies do
			s = c
		}
		if s.Mem() != ref.m || s.HasTracemalloc() != ref.hasTM || s.TracemallocPeakBytes() != ref.tracemalloc ||
			s.HasPeak() != ref.hasPeak || s.PeakRSSBytes() != ref.peak || s.HasHWM() != ref.hasHWM || s.HWMBytes() != ref.hwm {
			t.Fatalf("m %+v ops %x, after %d: mem %+v tm %v %d peak %v %d hwm %v %d; want %+v",
				m, ops, k, s.Mem(), s.HasTracemalloc(), s.TracemallocPeakBytes(), s.HasPeak(), s.PeakRSSBytes(), s.HasHWM(), s.HWMBytes(), ref)
		}
	}
}

// TestStepUnion: the step's anonymous RSS and tracemalloc peak, in one
// field, read back as separate fields would, whatever the order they are
// set in, with anonymous RSS or without (a figure without HasAnon
// included, as a record with a negative rss_anon_bytes leaves it).
func TestStepUnion(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	mems := []mem{{}, {RSSBytes: 5 * MiB}, {RSSBytes: 5 * MiB, AnonBytes: 3 * MiB, HasAnon: true}, {RSSBytes: 5 * MiB, AnonBytes: -4}, {RSSBytes: 5 * MiB, HasAnon: true}}
	for _, m := range mems {
		for i := 0; i < 2000; i++ {
			ops := make([]byte, rng.Intn(8))
			rng.Read(ops)
			checkStepUnion(t, m, ops)
		}
	}
}

// FuzzStepUnion holds TestStepUnion over any sequence of setters.
func FuzzStepUnion(f *testing.F) {
	f.Add(byte(0), []byte{0, 1, 0})
	f.Add(byte(2), []byte{8, 3, 2, 0})
	f.Fuzz(func(t *testing.T, which byte, ops []byte) {
		mems := []mem{{}, {RSSBytes: 5 * MiB}, {RSSBytes: 5 * MiB, AnonBytes: 3 * MiB, HasAnon: true}, {RSSBytes: 5 * MiB, AnonBytes: -4}, {RSSBytes: 5 * MiB, HasAnon: true}}
		checkStepUnion(t, mems[int(which)%len(mems)], ops)
	})
}
