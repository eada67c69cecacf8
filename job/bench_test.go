package job

import (
	"math/rand"
	"testing"

	"github.com/oomlens/oomlens/correlate"
	"github.com/oomlens/oomlens/discover"
	"github.com/oomlens/oomlens/internal/jobgen"
)

// batchJob is the evidence of one job of a batch (internal/jobgen, as
// scripts/genjobs writes them: pytest log, kernel log, diagnostics of 500
// tests).
func batchJob(b *testing.B) *discover.Set {
	b.Helper()
	dir := b.TempDir()
	if err := jobgen.WriteDir(dir, jobgen.Job(rand.New(rand.NewSource(1)), 500)); err != nil {
		b.Fatal(err)
	}
	set, err := discover.Walk([]string{dir}, discover.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { set.Cleanup() })
	return set
}

// BenchmarkBatchJobRuns is Runs over one batch job's evidence (a pytest
// log and a diagnostics file of one run): what grouping costs a job of
// go test ./batch -bench Run, on one core.
func BenchmarkBatchJobRuns(b *testing.B) {
	ev, err := Load(batchJob(b), Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if runs := Runs(ev); len(runs) != 1 || len(runs[0].Inputs) != 2 {
			b.Fatalf("%d runs: %v", len(runs), runs)
		}
	}
}

// BenchmarkBatchJobLoad is Load of one batch job, read already: its
// parsers, on one core.
func BenchmarkBatchJobLoad(b *testing.B) {
	set := batchJob(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Load(set, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkBatchJobSniff is SniffNamed over the heads of one batch job's
// inputs (internal/jobgen: pytest log, kernel log, diagnostics), each
// sniffer apart as well.
func BenchmarkBatchJobSniff(b *testing.B) {
	for _, f := range jobgen.Job(rand.New(rand.NewSource(1)), 500) {
		head := f.Data[:min(len(f.Data), 64<<10)]
		b.Run(f.Name, func(b *testing.B) {
			for b.Loop() {
				SniffNamed(f.Name, head)
			}
		})
		for _, fm := range formats {
			b.Run(f.Name+"/"+fm.Kind, func(b *testing.B) {
				for b.Loop() {
					fm.Sniff(head)
				}
			})
		}
	}
}

// BenchmarkBatchJobAnalyze is Analyze of one batch job, read already: its
// parsers and the correlator, on one core, the timeline omitted as batch
// omits it without --jsonl. BenchmarkBatchJobLoad is this without the
// correlator.
func BenchmarkBatchJobAnalyze(b *testing.B) {
	set := batchJob(b)
	b.ReportAllocs()
	for b.Loop() {
		rep, err := Analyze(set, Options{Correlate: correlate.Options{OmitTimeline: true}})
		if err != nil {
			b.Fatal(err)
		}
		if len(rep.Kills) != 1 {
			b.Fatalf("%d kills, want 1", len(rep.Kills))
		}
	}
}
