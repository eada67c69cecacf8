package batch

import (
	"context"
	"runtime"
	"sync"

	"github.com/oomlens/oomlens/correlate"
	"github.com/oomlens/oomlens/discover"
	"github.com/oomlens/oomlens/job"
)

// Result is the outcome of one job.
type Result struct {
	Job      Job
	Report   *correlate.Report // nil when Err is set
	Warnings []string          // from reading the job (archive members skipped, …)
	Err      error             // the job could not be read or analysed
}

// Options tunes Run.
type Options struct {
	Workers     int   // parallel jobs; 0 = the number of CPUs
	MaxJobBytes int64 // per-job decompression cap; 0 = discover.DefaultMaxArchiveBytes
	// Analyze tunes the analysis of each job, as `oomlens analyze` flags do.
	Analyze job.Options
}

// analyze is the analysis of one job; tests replace it to hold jobs back or
// make one fail.
var analyze = job.Analyze

// Run analyses jobs in parallel, each as `oomlens analyze` would
// (job.Analyze), and calls emit once per job, in the order of
// jobs whatever the parallelism, so that output is deterministic. At most a
// few jobs per worker are held between analysis and emission, so memory does
// not grow with the number of jobs. An error from emit stops the run; a job
// that fails is a Result with Err, and the run goes on.
func Run(ctx context.Context, jobs []Job, opts Options, emit func(Result) error) error {
	workers := opts.Workers
	if workers <= 0 {
		workers = runtime.NumCPU()
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	// window bounds the jobs dispatched but not yet emitted. Job i's result
	// goes to slots[i%len(slots)]: job i is dispatched only once job
	// i-len(slots) has been emitted, so its slot is free, and memory stays
	// the same whatever the number of jobs.
	window := make(chan struct{}, 4*workers)
	todo := make(chan int)
	slots := make([]chan Result, cap(window))
	for i := range slots {
		slots[i] = make(chan Result, 1)
	}
	go func() {
		defer close(todo)
		for i := range jobs {
			select {
			case window <- struct{}{}:
			case <-ctx.Done():
				return
			}
			select {
			case todo <- i:
			case <-ctx.Done():
				return
			}
		}
	}()
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Each job is read into the memory of the worker's job before
			// it (discover.Buffers): the report holds none of it.
			var bufs discover.Buffers
			for i := range todo {
				slots[i%len(slots)] <- runOne(jobs[i], opts, &bufs)
			}
		}()
	}
	defer wg.Wait()
	for i := range jobs {
		var r Result
		select {
		case r = <-slots[i%len(slots)]:
		case <-ctx.Done():
			return ctx.Err()
		}
		// The slot is given back once the result is emitted, not before:
		// then no more than cap(window) jobs are ever analysed ahead of the
		// emitted ones, as the window promises.
		err := emit(r)
		<-window
		if err != nil {
			return err
		}
	}
	return nil
}

// runOne analyses job j, read into bufs, which it releases: nothing of the
// result is in them (the parsers copy what they keep out of what they
// read).
func runOne(j Job, opts Options, bufs *discover.Buffers) (res Result) {
	res.Job = j
	defer bufs.Release()
	set, err := load(j, opts.MaxJobBytes, bufs)
	if err != nil {
		res.Err = err
		return res
	}
	defer set.Cleanup()
	res.Warnings = set.Warnings
	defer func() {
		// One bad job must not take the batch down: an internal failure is
		// that job's error, with the job named.
		if p := recover(); p != nil {
			res.Report = nil
			res.Err = panicError{p}
		}
	}()
	res.Report, res.Err = analyze(set, opts.Analyze)
	return res
}

type panicError struct{ v any }

func (e panicError) Error() string { return "internal error: " + toString(e.v) }

func toString(v any) string {
	if err, ok := v.(error); ok {
		return err.Error()
	}
	if s, ok := v.(string); ok {
		return s
	}
	return "panic"
}
