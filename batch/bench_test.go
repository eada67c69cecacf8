package batch

import (
	"context"
	"math/rand"
	"runtime"
	"testing"

	"github.com/oomlens/oomlens/internal/jobgen"
)

// BenchmarkRun is the per-job cost of a batch (issue 18: 10,000 jobs
// within 5x ripgrep over the same jobs unzipped; scripts/bench-batch.sh
// compares the two). It runs over 40 jobs of scripts/genjobs' kind
// (~218 KB each: pytest log, kernel log, diagnostics; half zipped) with
// one worker per CPU, and reports the CPU-independent figures per job:
// ns/job of wall time, bytes and allocations per job. MB/s is the jobs'
// uncompressed bytes over wall time. For where the time goes:
//
//	go test ./batch -run - -bench Run -cpuprofile cpu.prof
func BenchmarkRun(b *testing.B) {
	const n = 40
	dir := b.TempDir()
	rng := rand.New(rand.NewSource(1))
	var bytes int64
	for i := 0; i < n; i++ {
		files := jobgen.Job(rng, 500)
		if err := jobgen.WriteJob(dir, i, i%2 == 0, files); err != nil {
			b.Fatal(err)
		}
		for _, f := range files {
			bytes += int64(len(f.Data))
		}
	}
	jobs, _, err := FindJobs([]string{dir})
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(bytes)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		kills := 0
		err := Run(context.Background(), jobs, Options{Workers: runtime.NumCPU()}, func(r Result) error {
			if r.Err != nil {
				return r.Err
			}
			kills += len(r.Report.Kills)
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
		if kills != n {
			b.Fatalf("%d kills in %d jobs, want one per job", kills, n)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/job")
}

// BenchmarkFindJobs is the cost of listing jobs, which runs alone before
// the jobs are analysed in parallel: 400 jobs, half zipped, as
// BenchmarkRun's. ns/job is per job listed.
func BenchmarkFindJobs(b *testing.B) {
	const n = 400
	dir := b.TempDir()
	rng := rand.New(rand.NewSource(1))
	files := jobgen.Job(rng, 50)
	for i := 0; i < n; i++ {
		if err := jobgen.WriteJob(dir, i, i%2 == 0, files); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		jobs, _, err := FindJobs([]string{dir})
		if err != nil || len(jobs) != n {
			b.Fatalf("%d jobs, %v", len(jobs), err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/job")
}
