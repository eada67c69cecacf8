package correlate

import (
	"fmt"
	"testing"
)

// TestTimelineStamps: every span carries its own start and end, formatted,
// whatever mix of log tests, ledger tests and in-flight records makes the
// timeline; no two spans share a *string or *int64 (a pointer into a
// pre-sized slice that later grew once printed "" here).
func TestTimelineStamps(t *testing.T) {
	p := &proc{PID: 7}
	j := &job{Procs: []*proc{p}}
	want := map[string][2]string{}
	stampOf := func(s float64) string {
		if s == 0 {
			return ""
		}
		return *rfc3339(s)
	}
	const n = 300
	for i := 0; i < n; i++ {
		id := fmt.Sprintf("tests/test_a.py::test_%d", i)
		at := float64(2 * i)
		switch i % 3 {
		case 0: // on the ledger and in the log, the ledger's times win
			p.Steps = append(p.Steps, start(id, at, rss(100*MiB)), end(id, at+1, rss(100*MiB)))
			j.Tests = append(j.Tests, testInfo{ID: id, Start: t0 + at + 0.25, End: t0 + at + 1.25, Outcome: "passed"})
			want[id] = [2]string{stampOf(t0 + at), stampOf(t0 + at + 1)}
		case 1: // in the log only; its end is the next test's start
			j.Tests = append(j.Tests, testInfo{ID: id, Start: t0 + at, End: t0 + at + 2, Outcome: "passed"})
			want[id] = [2]string{stampOf(t0 + at), stampOf(t0 + at + 2)}
		case 2: // on the ledger with no times: the log's times fill in
			s, e := start(id, 0, rss(100*MiB)), end(id, 0, rss(100*MiB))
			s.Time, e.Time = 0, 0
			p.Steps = append(p.Steps, s, e)
			j.Tests = append(j.Tests, testInfo{ID: id, Start: t0 + at + 0.5, End: t0 + at + 1.5, Outcome: "passed"})
			want[id] = [2]string{stampOf(t0 + at + 0.5), stampOf(t0 + at + 1.5)}
		}
	}
	// Tests only the ledger names, and one only the log shows in flight.
	for i := n; i < n+50; i++ {
		id := fmt.Sprintf("tests/test_b.py::test_%d", i)
		at := float64(2 * i)
		p.Steps = append(p.Steps, start(id, at, rss(100*MiB)), end(id, at+1, rss(100*MiB)))
		want[id] = [2]string{stampOf(t0 + at), stampOf(t0 + at + 1)}
	}
	j.InFlight = []inflight{{Test: "tests/test_c.py::test_big", Basis: "verbose-log", Start: t0 + 5000}}
	want["tests/test_c.py::test_big"] = [2]string{stampOf(t0 + 5000), ""}

	results := []*procResult{runLedger(p)}
	spans, total := timelineOf(j, results, 0)
	if total != len(spans) {
		t.Fatalf("total %d of %d spans", total, len(spans))
	}
	// The tail the text report asks for is the whole timeline's end, in
	// values.
	for _, tail := range []int{1, 10, 349, 350, 351, 1000} {
		got, gotTotal := timelineOf(j, results, tail)
		from := max(len(spans)-tail, 0)
		if gotTotal != len(spans) || len(got) != len(spans)-from {
			t.Fatalf("tail %d: %d spans of %d, want %d of %d", tail, len(got), gotTotal, len(spans)-from, len(spans))
		}
		for i := range got {
			if a, b := spanText(got[i]), spanText(spans[from+i]); a != b {
				t.Errorf("tail %d: span %d = %s, want %s", tail, i, a, b)
			}
		}
	}
	if len(spans) != len(want) {
		t.Fatalf("%d spans, want %d", len(spans), len(want))
	}
	strs := map[*string]string{}
	ints := map[*int64]string{}
	for _, s := range spans {
		w, ok := want[s.Test]
		if !ok {
			t.Fatalf("unexpected span %s", s.Test)
		}
		for k, got := range []*string{s.Start, s.End} {
			g := ""
			if got != nil {
				g = *got
				if o, dup := strs[got]; dup {
					t.Errorf("%s shares a stamp with %s", s.Test, o)
				}
				strs[got] = s.Test
			}
			if g != w[k] {
				t.Errorf("%s stamp %d = %q, want %q", s.Test, k, g, w[k])
			}
		}
		for _, v := range []*int64{s.RSSBeforeBytes, s.RSSAfterBytes, s.PeakBytes} {
			if v == nil {
				continue
			}
			if o, dup := ints[v]; dup {
				t.Errorf("%s shares a figure with %s", s.Test, o)
			}
			ints[v] = s.Test
			if *v != 100*MiB {
				t.Errorf("%s figure %d", s.Test, *v)
			}
		}
	}
}

// spanText is a span's values, for comparing spans made apart.
func spanText(s TestSpan) string {
	str := func(p *string) string {
		if p == nil {
			return "-"
		}
		return *p
	}
	num := func(p *int64) string {
		if p == nil {
			return "-"
		}
		return fmt.Sprint(*p)
	}
	return fmt.Sprintf("%s|%s|%d|%s|%s|%s|%s|%s|%s", s.Test, s.Worker, s.PID, str(s.Start), str(s.End), s.Outcome,
		num(s.RSSBeforeBytes), num(s.RSSAfterBytes), num(s.PeakBytes))
}

// TestTimelineTailSorted: the tail of a timeline that must be sorted (two
// processes whose tests interleave in time, some at the same moment) is the
// end of the whole sorted timeline, ties kept in their order.
func TestTimelineTailSorted(t *testing.T) {
	a, b := &proc{PID: 1, Worker: "gw0"}, &proc{PID: 2, Worker: "gw1"}
	for i := 0; i < 40; i++ {
		at := float64(2 * i)
		a.Steps = append(a.Steps, start(fmt.Sprintf("t.py::a%d", i), at, rss(100*MiB)), end(fmt.Sprintf("t.py::a%d", i), at+1, rss(100*MiB)))
		if i%5 == 0 {
			at++ // b's test starts between two of a's, else with one
		}
		b.Steps = append(b.Steps, start(fmt.Sprintf("t.py::b%d", i), at, rss(100*MiB)), end(fmt.Sprintf("t.py::b%d", i), at+1, rss(100*MiB)))
	}
	j := &job{Procs: []*proc{a, b}}
	results := []*procResult{runLedger(a), runLedger(b)}
	whole, total := timelineOf(j, results, 0)
	if total != 80 || len(whole) != 80 {
		t.Fatalf("%d spans of %d", len(whole), total)
	}
	for i := 1; i < len(whole); i++ {
		if *whole[i].Start < *whole[i-1].Start {
			t.Fatalf("span %d starts before span %d", i, i-1)
		}
	}
	for _, tail := range []int{1, 3, 10, 79, 80, 200} {
		got, n := timelineOf(j, results, tail)
		from := max(len(whole)-tail, 0)
		if n != 80 || len(got) != len(whole)-from {
			t.Fatalf("tail %d: %d spans of %d", tail, len(got), n)
		}
		for i := range got {
			if x, y := spanText(got[i]), spanText(whole[from+i]); x != y {
				t.Errorf("tail %d: span %d = %s, want %s", tail, i, x, y)
			}
		}
	}
}
