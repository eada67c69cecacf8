package main

import (
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"golang.org/x/term"

	"github.com/oomlens/oomlens/correlate"
	"github.com/oomlens/oomlens/discover"
	"github.com/oomlens/oomlens/job"
	"github.com/oomlens/oomlens/report"
)

// analyzeOptions are the flags that shape an analysis, shared by analyze,
// batch and record.
type analyzeOptions struct {
	format     string
	out        string
	failOnLeak bool
	tz         string
	year       int
	bootTime   string
	thisHost   bool
	noiseFloor string
	collect    string
	pageSize   int64
	color      string
	top        string

	// formatSet says --format was given (else -o's extension decides).
	formatSet bool
	// stdout is where the report goes without -o: standard output, or for
	// record standard error.
	stdout io.Writer

	job job.Options // the parsers' and the correlator's (job.Options.Correlate)
}

func defaultAnalyzeOptions() analyzeOptions {
	return analyzeOptions{noiseFloor: "32MiB", color: "auto", top: "10"}
}

// addFlags declares the flags that shape the analysis itself.
func (o *analyzeOptions) addFlags(f *pflag.FlagSet) {
	f.StringVar(&o.tz, "tz", "", "time zone of stamps that carry none (syslog, dmesg -T, weathercop logs), e.g. Europe/Berlin; default UTC")
	f.IntVar(&o.year, "year", 0, "year of syslog stamps, which carry none (default: from another input)")
	f.StringVar(&o.bootTime, "boot-time", "", "boot time of the host that was killed (RFC 3339 or Unix seconds), to put kernel uptime stamps on the wall clock")
	f.BoolVar(&o.thisHost, "this-host", false, "the kill happened on this machine since its last boot: take the boot time from it")
	f.StringVar(&o.noiseFloor, "noise-floor", o.noiseFloor, "retention below this is not named a leak unless open objects back it (e.g. 32MiB, 100MB; 0 names every retention)")
	f.StringVar(&o.collect, "collect", "", "output of 'pytest --collect-only -q', to turn dots-mode positions into node ids")
	f.Int64Var(&o.pageSize, "page-size", 0, "page size of the killed host in bytes, for values the kernel prints in pages (default 4096)")
}

// resolve checks the flags and fills job.
func (o *analyzeOptions) resolve() error {
	o.job = job.Options{Year: o.year, PageSizeBytes: o.pageSize, Correlate: correlate.Options{Year: o.year, ThisHost: o.thisHost}}
	if o.pageSize == 0 && o.thisHost {
		// The kill happened on this machine: its page size is known, and
		// no note about an assumed one is due.
		o.job.PageSizeBytes = int64(os.Getpagesize())
	}
	// Syslog stamps carry no year; Linux (1991) to the last year a
	// four-digit stamp can print. Anything else would print dates that
	// never were (--year 99999 printed 1793).
	if o.year != 0 && (o.year < 1991 || o.year > 9999) {
		return usageError{fmt.Errorf("--year %d: want a four-digit year from 1991 on", o.year)}
	}
	if o.tz != "" {
		loc, err := time.LoadLocation(o.tz)
		if err != nil {
			return usageError{fmt.Errorf("--tz %q: %v", o.tz, err)}
		}
		o.job.Correlate.Location, o.job.Location = loc, loc
	}
	if o.bootTime != "" {
		t, err := parseTimeFlag(o.bootTime)
		if err != nil {
			return usageError{fmt.Errorf("--boot-time %q: %v", o.bootTime, err)}
		}
		o.job.Correlate.BootTime = &t
	}
	floor, err := parseSize(o.noiseFloor)
	if err != nil {
		return usageError{fmt.Errorf("--noise-floor %q: %v", o.noiseFloor, err)}
	}
	o.job.Correlate.NoiseFloorBytes = floor
	if floor == 0 {
		o.job.Correlate.NoiseFloorBytes = -1 // the correlator's "no floor"; its 0 means the default
	}
	if o.pageSize < 0 || (o.pageSize != 0 && o.pageSize&(o.pageSize-1) != 0) {
		return usageError{fmt.Errorf("--page-size %d: want a power of two such as 4096 or 65536", o.pageSize)}
	}
	if o.collect != "" {
		o.job.CollectFile = o.collect
	}
	return nil
}

func newAnalyzeCmd() *cobra.Command {
	o := defaultAnalyzeOptions()
	cmd := &cobra.Command{
		Use:   "analyze [flags] PATH...",
		Short: "Analyse the files of one failed job (files, folders, - for stdin)",
		Long: `Analyse what one OOM-killed job left behind and name the tests that leaked.

PATH is a file, a folder (walked) or - for standard input: kernel logs (dmesg,
kern.log, journalctl, also .gz/.zst/.xz), the pytest or CI log, oomlens
diagnostics, weathercop memory logs, JUnit XML, 'pytest --collect-only -q'
output, core files. What each input is comes from its content.

` + exitCodesHelp,
		Example: `  # the files a killed CI job left behind, in one folder
  oomlens analyze job-1234/

  # the kernel log from dmesg, and the pytest log
  sudo dmesg -T | oomlens analyze - pytest.log

  # a Markdown report to paste into an issue (the format from the extension)
  oomlens analyze -o report.md job-1234/

  # every row of every section, and exit 3 when a test leaked
  oomlens analyze --top all --fail-on-leak job-1234/`,
		Args: usageArgs(cobra.MinimumNArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.formatSet = cmd.Flags().Changed("format")
			return analyzeAndRender(cmd, args, &o)
		},
	}
	f := cmd.Flags()
	f.StringVarP(&o.out, "output", "o", "", "write the report to FILE instead of standard output")
	f.BoolVar(&o.failOnLeak, "fail-on-leak", false, "exit 3 when leaks were named")
	addReportFlags(cmd, &o)
	o.addFlags(f)
	return cmd
}

// analyzeAndRender analyses the job made of paths and writes the report, as
// `oomlens analyze` does.
func analyzeAndRender(cmd *cobra.Command, paths []string, o *analyzeOptions) error {
	format, err := outputFormat(o.format, o.formatSet, o.out)
	if err != nil {
		return err
	}
	if err := checkFormat(format, report.Formats()); err != nil {
		return err
	}
	if err := checkColor(o.color); err != nil {
		return err
	}
	top, err := parseTop(o.top)
	if err != nil {
		return err
	}
	if err := o.resolve(); err != nil {
		return err
	}
	if os.Getenv("GOGC") == "" {
		// One job's live heap is small (read buffers and the records kept),
		// so a tighter collection target costs nothing measurable: on a
		// 1 GiB kernel log with 320 records, 12 collections, and peak RSS
		// 26-28 MiB instead of ~29.5 MiB at GOGC=100 (scripts/bench-kernel.sh;
		// of it ~10 MiB is the binary's mapped pages). GOGC in the
		// environment still wins.
		debug.SetGCPercent(50)
	}
	set, err := discover.Walk(paths, discover.Options{Stdin: cmd.InOrStdin()})
	defer set.Cleanup()
	if err != nil {
		return err
	}
	// Only the timeline's rows this report shows are written out.
	jo := o.job
	jo.Correlate.TimelineTail = report.TimelineRows(format, report.Options{Top: top})
	rep, err := job.Analyze(set, jo)
	var runs *job.RunsError
	if errors.As(err, &runs) {
		return fmt.Errorf("%w\nanalyze reads one run: give it each run's inputs on their own, or give 'oomlens batch' one folder or archive per run to analyse them all and rank the tests across them", err)
	}
	if err != nil {
		return err
	}
	rep.Tool = &correlate.Tool{Name: "oomlens", Version: versionString()}
	stdout := o.stdout
	if stdout == nil {
		stdout = cmd.OutOrStdout()
	}
	var w io.Writer = stdout
	closeFn := func() error { return nil }
	if o.out != "" && o.out != "-" {
		f, err := os.Create(o.out)
		if err != nil {
			return err
		}
		w, closeFn = f, f.Close
	}
	color := useColor(o.color, w, os.Getenv)
	opts := report.Options{Color: color, Top: top, WorkDir: workDir()}
	if err := report.Render(w, rep, format, opts); err != nil {
		closeFn()
		return err
	}
	if err := closeFn(); err != nil {
		return err
	}
	if o.failOnLeak && len(rep.Leaks) > 0 {
		return exitCodeError{exitLeak}
	}
	return nil
}

func checkFormat(format string, valid []string) error {
	for _, v := range valid {
		if format == v {
			return nil
		}
	}
	return usageError{fmt.Errorf("--format %q: want one of %s", format, strings.Join(valid, ", "))}
}

// createOutput opens FILE for writing, or standard output for "" and "-".
func createOutput(cmd *cobra.Command, path string) (io.Writer, func() error, error) {
	if path == "" || path == "-" {
		return cmd.OutOrStdout(), func() error { return nil }, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, nil, err
	}
	return f, f.Close, nil
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// parseTimeFlag reads RFC 3339 or Unix seconds.
func parseTimeFlag(s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	if sec, err := strconv.ParseFloat(s, 64); err == nil && sec >= 0 && !math.IsInf(sec, 0) {
		whole := int64(sec)
		return time.Unix(whole, int64((sec-float64(whole))*1e9)).UTC(), nil
	}
	return time.Time{}, fmt.Errorf("want RFC 3339 (2026-11-26T10:00:00Z) or Unix seconds")
}

// parseSize reads a byte size: 123, 32MiB, 1.5GiB, 100MB (decimal), 64k.
func parseSize(s string) (int64, error) {
	t := strings.TrimSpace(s)
	units := []struct {
		suffix string
		mult   float64
	}{
		{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"TiB", 1 << 40},
		{"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"TB", 1e12},
		{"K", 1 << 10}, {"M", 1 << 20}, {"G", 1 << 30}, {"k", 1 << 10}, {"B", 1},
	}
	mult := 1.0
	for _, u := range units {
		if strings.HasSuffix(t, u.suffix) {
			t, mult = strings.TrimSpace(strings.TrimSuffix(t, u.suffix)), u.mult
			break
		}
	}
	v, err := strconv.ParseFloat(t, 64)
	if err != nil || v < 0 || math.IsNaN(v) || math.IsInf(v, 0) || v*mult > math.MaxInt64/2 {
		return 0, fmt.Errorf("want a size such as 32MiB, 100MB or 0")
	}
	return int64(v * mult), nil
}
