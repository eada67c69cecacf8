package report

import (
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/oomlens/oomlens/correlate"
)

// bigReport is a long xdist run: 4 workers, 20,000 tests, a sample every
// second for 5 hours on each worker (72,000 samples), 200 leaks.
func bigReport() *correlate.Report {
	r := memcgTwoLeaks()
	t0 := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	r.Timeline = nil
	r.Samples = nil
	r.Leaks = nil
	for i := 0; i < 20000; i++ {
		w := i % 4
		start := t0.Add(time.Duration(i/4) * 3600 * time.Millisecond).Format(time.RFC3339)
		end := t0.Add(time.Duration(i/4+1) * 3600 * time.Millisecond).Format(time.RFC3339)
		before, after := int64(300+i/40)*mib, int64(300+i/40+1)*mib
		r.Timeline = append(r.Timeline, correlate.TestSpan{
			Test: fmt.Sprintf("tests/test_mod%03d.py::test_case[%d]", i/100, i), Worker: fmt.Sprintf("gw%d", w), PID: 5000 + w,
			Start: ptr(start), End: ptr(end), Outcome: "passed", RSSBeforeBytes: &before, RSSAfterBytes: &after, PeakBytes: &after,
		})
		if i%100 == 0 {
			r.Leaks = append(r.Leaks, correlate.Leak{Test: r.Timeline[i].Test, Worker: r.Timeline[i].Worker, PID: 5000 + w,
				RetainedBytes: 20 * mib, Confidence: "medium", Evidence: []string{"memdiag.jsonl:1: +20 MiB"}})
		}
	}
	for s := 0; s < 18000; s++ {
		for w := 0; w < 4; w++ {
			r.Samples = append(r.Samples, correlate.RSSSample{Time: t0.Add(time.Duration(s) * time.Second).Format(time.RFC3339),
				PID: 5000 + w, Worker: fmt.Sprintf("gw%d", w), RSSBytes: int64(300+s/10) * mib})
		}
	}
	return r
}

func BenchmarkRender(b *testing.B) {
	r := bigReport()
	for _, f := range Formats() {
		b.Run(f, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				if err := Render(io.Discard, r, f, Options{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
