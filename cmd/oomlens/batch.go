package main

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"os"
	"runtime"
	"runtime/debug"

	sysinfo "github.com/elastic/go-sysinfo"
	json "github.com/goccy/go-json"
	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/oomlens/oomlens/batch"
	"github.com/oomlens/oomlens/discover"
	"github.com/oomlens/oomlens/internal/gcpace"
	"github.com/oomlens/oomlens/internal/hugeheap"
	"github.com/oomlens/oomlens/report"
)

type batchOptions struct {
	analyze     analyzeOptions
	format      string
	out         string
	jsonl       string
	shard       string
	parquet     string
	workers     int
	maxJobBytes int64
}

func newBatchCmd() *cobra.Command {
	o := &batchOptions{analyze: defaultAnalyzeOptions()}
	cmd := &cobra.Command{
		Use:   "batch PATH...",
		Short: "Analyse many archived jobs and rank the tests that keep leaking",
		Long: `Analyse many failed jobs at once. A job is a folder of input files or an archive
of one (.zip, .tar, .tar.gz/.tgz, .tar.zst, .tar.xz; members may be
.gz/.zst/.xz too). A PATH that holds input files and no folders or archives
is one job; otherwise each of its folders and archives is a job, named by its
path relative to PATH, and a file beside them is skipped with a warning. A
GitHub Actions run-logs zip is one job per job of the run. An archive that
cannot be read is an unreadable job, listed with its reason.

Every job is analysed as 'oomlens analyze' would, in parallel. --jsonl writes
one JSON line per job (the report, "oomlens/report/v1", plus "job"); the
summary (--format json: "oomlens/batch-summary/v2") ranks tests by how many
jobs named them as leakers and as victims, with the median and largest
memory they kept. --parquet DIR writes jobs.parquet and findings.parquet for
an engine that queries many batches (docs/batch-format.md).
Output order is the same whatever the parallelism. The Go collector runs at
GOGC=100 over a 64 MiB heap floor, with a soft memory limit of half the
machine's memory: a batch peaks near 110 MB however many jobs it reads, and
collects less often than at the default (~10% less CPU); set GOGC (which also
drops the floor) or GOMEMLIMIT to choose otherwise.

To spread the work over machines, run each with --shard i/n (or --shard auto
in a Kubernetes Indexed Job) and --jsonl or --parquet, then merge the lines
with 'oomlens aggregate' (the merged summary equals the unsharded one byte for
byte) or query the Parquet files of every shard together.

` + exitCodesHelp,
		Example: `  # every job under archive/, the summary as Markdown
  oomlens batch --format markdown archive/

  # one JSON line per job as well
  oomlens batch --jsonl jobs.jsonl archive/

  # on two machines, then merged
  oomlens batch --shard 1/2 --jsonl a.jsonl archive/
  oomlens batch --shard 2/2 --jsonl b.jsonl archive/
  oomlens aggregate a.jsonl b.jsonl`,
		Args: usageArgs(cobra.MinimumNArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error { return runBatch(cmd, args, o) },
	}
	f := cmd.Flags()
	f.StringVar(&o.format, "format", "text", "summary format: text, markdown, json or csv")
	f.StringVarP(&o.out, "output", "o", "", "write the summary to FILE instead of standard output")
	cmd.RegisterFlagCompletionFunc("format", completeValues(batch.SummaryFormats()...))
	f.StringVar(&o.jsonl, "jsonl", "", "write one JSON line per job to FILE (- for standard output)")
	f.StringVar(&o.parquet, "parquet", "", "write jobs.parquet and findings.parquet into DIR (created if missing), for DuckDB, BigQuery or Spark")
	f.StringVar(&o.shard, "shard", "", "take only shard i of n (i/n, 1 <= i <= n), chosen by a hash of the job name; auto: from a Kubernetes Indexed Job's JOB_COMPLETION_INDEX and OOMLENS_SHARDS")
	f.BoolVar(&o.analyze.failOnLeak, "fail-on-leak", false, "exit 3 when any job named leaks")
	f.IntVarP(&o.workers, "jobs", "j", runtime.NumCPU(), "jobs analysed in parallel")
	f.Int64Var(&o.maxJobBytes, "max-job-bytes", discover.DefaultMaxArchiveBytes, "cap on the bytes decompressed for one archived job (against decompression bombs)")
	o.analyze.addFlags(f)
	return cmd
}

func runBatch(cmd *cobra.Command, args []string, o *batchOptions) error {
	if err := checkFormat(o.format, batch.SummaryFormats()); err != nil {
		return err
	}
	tuneGC()
	if err := o.analyze.resolve(); err != nil {
		return err
	}
	shardI, shardN := 1, 1
	if o.shard != "" {
		var err error
		if shardI, shardN, err = batch.ParseShard(o.shard, os.Getenv); err != nil {
			return usageError{err}
		}
	}
	stderr := cmd.ErrOrStderr()
	all, warnings, err := batch.FindJobs(args)
	if err != nil {
		return err
	}
	for _, w := range warnings {
		fmt.Fprintf(stderr, "oomlens: warning: %s\n", w)
	}
	jobs := all
	if shardN > 1 {
		jobs = nil
		for _, j := range all {
			if batch.InShard(j.Name, shardI, shardN) {
				jobs = append(jobs, j)
			}
		}
	}

	var lines *bufio.Writer
	var enc *json.Encoder
	if o.jsonl != "" {
		w, closeFn, err := createOutput(cmd, o.jsonl)
		if err != nil {
			return err
		}
		defer closeFn()
		lines = bufio.NewWriterSize(w, 1<<20)
		// Encode writes what Marshal returns (HTML-escaped, UTF-8
		// normalised) and a newline, from a pooled buffer: no copy per line.
		enc = json.NewEncoder(lines)
	}
	var pq *batch.ParquetWriter
	if o.parquet != "" {
		if pq, err = batch.NewParquetWriter(o.parquet, version); err != nil {
			return err
		}
	}
	bar := newProgress(cmd.ErrOrStderr(), len(jobs))
	agg := batch.NewAggregator()
	analyzeOpts := o.analyze.job
	// Only the JSON lines print a job's report; the summary and the Parquet
	// files need no timeline.
	analyzeOpts.Correlate.OmitTimeline = o.jsonl == ""
	err = batch.Run(cmd.Context(), jobs, batch.Options{Workers: o.workers, MaxJobBytes: o.maxJobBytes, Analyze: analyzeOpts}, func(r batch.Result) error {
		if bar != nil {
			bar.Add(1)
		}
		agg.AddResult(r)
		if r.Err != nil {
			// A corrupt or unreadable job is a warning in its own line; the batch goes on.
			if bar != nil {
				bar.Clear()
			}
			fmt.Fprintf(stderr, "oomlens: warning: job %s: %v\n", r.Job.Name, r.Err)
		}
		if pq != nil {
			if err := pq.Add(r); err != nil {
				return err
			}
		}
		if lines == nil {
			return nil
		}
		line := batch.JobLine{Job: r.Job.Name, Report: r.Report, JobErrors: r.Warnings}
		if r.Err != nil {
			line.Error = r.Err.Error()
		}
		return enc.Encode(line)
	})
	if bar != nil {
		bar.Finish()
		fmt.Fprintln(stderr)
	}
	if err != nil {
		if pq != nil {
			pq.Abort()
		}
		return err
	}
	if pq != nil {
		if err := pq.Close(); err != nil {
			return err
		}
	}
	if lines != nil {
		if err := lines.Flush(); err != nil {
			return err
		}
	}
	if err := writeSummary(cmd, agg.Summary(), o.format, o.out); err != nil {
		return err
	}
	if o.analyze.failOnLeak && agg.HasLeaks() {
		return exitCodeError{exitLeak}
	}
	return nil
}

func newAggregateCmd() *cobra.Command {
	var format, out string
	cmd := &cobra.Command{
		Use:   "aggregate FILE...",
		Short: "Merge the JSON lines of batch shards into one summary",
		Long: `Merge the --jsonl output of several 'oomlens batch --shard i/n' runs (or of
any batches) into one summary, the same as one unsharded batch would print.
Each job counts once (a job given again is a warning in the summary); lines
of another report schema are refused; a last line cut off (the writer was
stopped) is skipped with a warning and the lines before it count. For many
machines' batches, query their --parquet files with an engine instead.

` + exitCodesHelp,
		Example: `  oomlens aggregate shard-1.jsonl shard-2.jsonl
  cat shard-*.jsonl | oomlens aggregate --format markdown -`,
		Args: usageArgs(cobra.MinimumNArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkFormat(format, batch.SummaryFormats()); err != nil {
				return err
			}
			agg := batch.NewAggregator()
			for _, p := range args {
				if err := aggregateFile(cmd, agg, p); err != nil {
					return err
				}
			}
			return writeSummary(cmd, agg.Summary(), format, out)
		},
	}
	cmd.Flags().StringVar(&format, "format", "text", "summary format: text, markdown, json or csv")
	cmd.Flags().StringVarP(&out, "output", "o", "", "write the summary to FILE instead of standard output")
	cmd.RegisterFlagCompletionFunc("format", completeValues(batch.SummaryFormats()...))
	return cmd
}

func aggregateFile(cmd *cobra.Command, agg *batch.Aggregator, p string) error {
	var r io.Reader = cmd.InOrStdin()
	if p != "-" {
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		defer f.Close()
		r = f
	}
	return agg.AddLines(r, p)
}

func writeSummary(cmd *cobra.Command, s *batch.Summary, format, out string) error {
	w, closeFn, err := createOutput(cmd, out)
	if err != nil {
		return err
	}
	if err := batch.RenderSummary(w, s, format, report.FormatBytes); err != nil {
		closeFn()
		return err
	}
	return closeFn()
}

// batchGCPercent is the collector's GOGC for a batch, and batchFloorBytes
// the heap floor under it (see tuneGC).
const (
	batchGCPercent  = 100
	batchFloorBytes = 64 << 20
)

// batchHeapBytes is the heap a batch reserves huge pages for.
const batchHeapBytes = 256 << 20

// tuneGC sets the Go collector for a batch, unless GOGC says otherwise. A
// batch keeps a small live heap (the jobs in flight: 5-9 MB in
// GODEBUG=gctrace=1 over bench-out/jobs-10000) and allocates ~0.5 MB per
// job through it, so at the default pace the collector ran every few
// megabytes, and each cycle has costs that do not shrink with the heap.
// Raising GOGC helped (100 -> 200 -> 300 over two rounds of issue 18) but
// scales the peak of a large job with it: a job whose live heap is L
// peaks near (1+GOGC/100) × L. A floor (gcpace.Floor) gives the small
// heap room without that: at GOGC=100 with a 64 MiB floor the goal is
// about 2 × (L + 64 MiB), so a batch of small jobs collects every ~70 MB
// of garbage and a large job still peaks near 2L.
// Alternating runs over bench-out/jobs-10000 (2026-12-06, after a round
// that cut what a job allocates from ~0.7 MB): GOGC=300 without a floor
// against GOGC=100 with 64 MiB, ten each, 4.03 -> 3.59 s wall (median),
// 7.50 -> 6.76 s user+sys, 64 -> 109 MiB; seven each, 3.93 -> 3.55 s; a
// third set of five showed no difference (3.53 s both). A 96 MiB floor
// (141 MiB) and GOGC=150 or 200 over 32-64 MiB floors were no faster.
// The soft memory limit, half the machine's memory, makes the collector
// work harder instead of letting a large job push the host toward an OOM
// kill.
//
// The heap a batch runs in is also put in huge pages (package hugeheap): a
// job's model is garbage a few milliseconds later and its pages are used
// again, but the runtime gives free pages back to the kernel as the heap
// goal moves, and each comes back as a fault (~10 µs on a VM). On 1,000
// jobs of bench-out/jobs-10000: 16,200 -> 7,500 faults, 1.40 -> 1.05 s.
// batchHeapBytes covers the workers' heaps at the default -j. The floor is
// made first, on memory the heap has not used (see gcpace.Floor).
func tuneGC() {
	if os.Getenv("GOGC") == "" {
		gcpace.Floor(batchFloorBytes)
		debug.SetGCPercent(batchGCPercent)
	}
	hugeheap.Reserve(batchHeapBytes)
	if os.Getenv("GOMEMLIMIT") != "" {
		return
	}
	h, err := sysinfo.Host()
	if err != nil {
		return
	}
	if mem, err := h.Memory(); err == nil && mem.Total > 0 {
		debug.SetMemoryLimit(int64(min(mem.Total/2, math.MaxInt64)))
	}
}

// newProgress returns a progress bar on w when w is a terminal, else nil.
func newProgress(w io.Writer, total int) *progressbar.ProgressBar {
	f, ok := w.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return nil
	}
	return progressbar.NewOptions(total, progressbar.OptionSetWriter(w), progressbar.OptionSetDescription("jobs"),
		progressbar.OptionShowCount(), progressbar.OptionSetPredictTime(true), progressbar.OptionThrottle(100_000_000))
}
