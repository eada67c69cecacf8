package job

import (
	"math/rand"
	"os"
	"path/filepath"
	"testing"

	"github.com/oomlens/oomlens/correlate"
	"github.com/oomlens/oomlens/discover"
	"github.com/oomlens/oomlens/internal/cputime"
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

// BenchmarkBatchJobsReadLoad is the reading (discover.Walk into reused
// Buffers, as batch reads a job), sniffing and parsing (Load) of 40 jobs of
// scripts/bench-batch.sh's bench-out/jobs-10000-first1000, zipped and
// folders apart; skipped when they are absent. cpu-ns/job is the process's
// CPU time, system calls included: steadier than the wall time on a
// shared machine.
func BenchmarkBatchJobsReadLoad(b *testing.B) {
	const dir = "../bench-out/jobs-10000-first1000"
	entries, err := os.ReadDir(dir)
	if err != nil {
		b.Skip(err)
	}
	var zips, dirs []string
	for _, e := range entries[:min(len(entries), 40)] {
		if e.IsDir() {
			dirs = append(dirs, filepath.Join(dir, e.Name()))
		} else {
			zips = append(zips, filepath.Join(dir, e.Name()))
		}
	}
	for _, c := range []struct {
		name string
		jobs []string
	}{{"zip", zips}, {"folder", dirs}} {
		b.Run(c.name, func(b *testing.B) {
			var bufs discover.Buffers
			b.ReportAllocs()
			cpu := cputime.Process(b)
			for b.Loop() {
				for _, p := range c.jobs {
					set, err := discover.Walk([]string{p}, discover.Options{Label: filepath.Base(p), Buffers: &bufs})
					if err != nil {
						b.Fatal(err)
					}
					if _, err := Load(set, Options{}); err != nil {
						b.Fatal(err)
					}
					set.Cleanup()
					bufs.Release()
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(c.jobs)), "ns/job")
			b.ReportMetric(float64(cputime.Process(b)-cpu)/float64(b.N*len(c.jobs)), "cpu-ns/job")
		})
	}
}
