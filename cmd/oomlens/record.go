package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/oomlens/oomlens/record"
)

func newRecordCmd() *cobra.Command {
	var (
		out       string
		interval  time.Duration
		killGrace time.Duration
		force     bool
		quiet     bool
		reportTo  string
	)
	ao := defaultAnalyzeOptions()
	cmd := &cobra.Command{
		Use:   "record [--out DIR] [--interval 50ms] -- CMD [ARGS...]",
		Short: "Run a test command and record its output, per-process memory and kernel OOM records",
		Long: `record runs CMD with its stdin, passes its stdout and stderr through, and
writes a job folder that 'oomlens analyze' reads:

  output.log         every output line, prefixed with its UTC arrival time
                     as GitHub Actions stamps it (2026-11-26T10:11:12.1234567Z )
  diagnostics.jsonl  RSS and anonymous RSS of every process of CMD's tree,
                     sampled every --interval and as each line naming a test
                     (pytest -v) ends (oomlens/diagnostics/v1)
  kernel.log         the kernel log records appended while CMD ran (dmesg format)
  record.json        the command, start and end, exit status or signal, host

CMD's environment gets PYTHONUNBUFFERED=1 unless it is set already, so that
Python writes each output line when it prints it and the line is stamped then
(record.json "env_added" says so); CMD's output stays on pipes, not a terminal.

The recorder sets its own oom_score_adj to -1000 (when permitted) so that the
kernel kills the suite rather than the recorder, and its own nice value to -10
(when permitted) so that its stamps and readings are not late on busy CPUs;
CMD keeps the original values.
CMD runs in a process group of its own and, where a child cgroup can be
made (cgroup v1 memory, or a delegated v2 cgroup), in a cgroup of its own.
SIGINT, SIGTERM, SIGHUP and SIGQUIT are forwarded to both; CMD gets SIGKILL
when it has not ended --kill-grace after the first. What CMD leaves running
when it exits gets SIGTERM, then SIGKILL after --kill-grace. If record
itself is killed, a watchdog kills CMD's processes; record.json is written
at the start and kept whole throughout ("running": true until the end).
A program that reads a terminal (a debugger prompt) stops there, as a
background job would.

When CMD has ended, the report of 'oomlens analyze DIR' is written to standard
error, on a line of its own after CMD's output (or to --report FILE, or not at
all with --quiet), so that CMD's standard output stays CMD's.

Exit status: CMD's, or 128+N when signal N ended it, as a shell reports it;
127 when CMD is not found, 126 when it cannot be run (then no folder is left
behind).`,
		Example: `  # record a suite; the report follows on standard error
  oomlens record -- pytest -v tests/

  # into a named folder, the report as a page, nothing printed after the run
  oomlens record --out job --report job/report.html --quiet -- pytest -v tests/

  # analyse the folder again later, in another format
  oomlens analyze --format markdown job`,
		Args: usageArgs(cobra.MinimumNArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			if interval < time.Millisecond {
				return usageError{fmt.Errorf("--interval %v: must be at least 1ms", interval)}
			}
			if killGrace < time.Millisecond {
				return usageError{fmt.Errorf("--kill-grace %v: must be at least 1ms", killGrace)}
			}
			ao.formatSet = cmd.Flags().Changed("format")
			if _, err := outputFormat(ao.format, ao.formatSet, reportTo); err != nil {
				return err
			}
			if err := checkColor(ao.color); err != nil {
				return err
			}
			if _, err := parseTop(ao.top); err != nil {
				return err
			}
			// A command that cannot start leaves nothing behind: no folder
			// of empty files.
			if status, err := checkCommand(args[0]); err != nil {
				fmt.Fprintf(cmd.ErrOrStderr(), "oomlens: record: %v\n", err)
				return exitCodeError{status}
			}
			if out == "" {
				out = "oomlens-record-" + time.Now().UTC().Format("20060102T150405Z")
			}
			_, statErr := os.Stat(out)
			created := errors.Is(statErr, os.ErrNotExist)
			if err := record.PrepareDir(out, force); err != nil {
				if errors.Is(err, record.ErrDirNotEmpty) {
					return usageError{err}
				}
				return err
			}
			stdout := &lastByte{w: cmd.OutOrStdout()}
			stderr := &lastByte{w: cmd.ErrOrStderr()}
			res, err := record.Run(record.Options{
				Dir:       out,
				Command:   args,
				Interval:  interval,
				KillGrace: killGrace,
				Stdin:     cmd.InOrStdin(),
				Stdout:    stdout,
				Stderr:    stderr,
			})
			var se *record.StartError
			if errors.As(err, &se) {
				if created {
					os.RemoveAll(out)
				}
				fmt.Fprintf(cmd.ErrOrStderr(), "oomlens: record: %v\n", err)
				return exitCodeError{se.Status}
			}
			if stdout.midLine() || stderr.midLine() {
				// CMD's last line was cut off (a kill mid-line): what
				// follows starts on a line of its own.
				fmt.Fprintln(cmd.ErrOrStderr())
			}
			if res == nil {
				return err
			}
			if err != nil {
				// The command ran; a file of the record is incomplete.
				fmt.Fprintf(cmd.ErrOrStderr(), "oomlens: record: %v\n", err)
			}
			m := res.Manifest
			how := fmt.Sprintf("exited with status %d", res.Status)
			if m.Signal != nil {
				how = fmt.Sprintf("was ended by signal %d (%s), status %d", *m.SignalNumber, *m.Signal, res.Status)
			}
			if !quiet {
				fmt.Fprintf(cmd.ErrOrStderr(), "oomlens: record: %s %s; recorded into %s\n",
					strings.Join(args, " "), how, out)
			}
			if m.KernelLog == nil && !quiet {
				fmt.Fprintf(cmd.ErrOrStderr(), "oomlens: record: no kernel log: %s\n", m.KernelLogUnavailable)
			}

			// The verdict, exactly as `oomlens analyze DIR` prints it. The
			// recording ran on this host since its last boot, so the kernel's
			// uptime stamps are put on the wall clock with this boot time.
			// The command's status stays the exit status whatever the
			// analysis says.
			if quiet && reportTo == "" {
				if res.Status != 0 {
					return exitCodeError{res.Status}
				}
				return nil
			}
			ao.thisHost = true
			ao.out = reportTo
			ao.stdout = cmd.ErrOrStderr()
			if aerr := analyzeAndRender(cmd, []string{out}, &ao); aerr != nil {
				var ec exitCodeError
				if !errors.As(aerr, &ec) {
					fmt.Fprintf(cmd.ErrOrStderr(), "oomlens: analyze %s: %v\n", out, aerr)
				}
			}

			if res.Status != 0 {
				return exitCodeError{res.Status}
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&out, "out", "", "job folder to write (default oomlens-record-<UTC time> in the current folder)")
	cmd.Flags().DurationVar(&interval, "interval", record.DefaultInterval, "memory sampling period")
	cmd.Flags().DurationVar(&killGrace, "kill-grace", record.DefaultKillGrace, "how long CMD's processes get after SIGTERM before SIGKILL")
	cmd.Flags().BoolVar(&force, "force", false, "write into an existing non-empty --out folder")
	cmd.Flags().StringVar(&reportTo, "report", "", "write the report to FILE instead of standard error (its extension picks the format)")
	cmd.Flags().BoolVarP(&quiet, "quiet", "q", false, "print no report (the folder still holds everything; --report FILE still writes one)")
	addReportFlags(cmd, &ao)
	// Everything after CMD belongs to CMD: `oomlens record pytest -x` works
	// without `--`.
	cmd.Flags().SetInterspersed(false)
	return cmd
}

// checkCommand finds CMD as the recorder would run it, before any folder is
// made: 127 when it is not found, 126 when it is found and cannot be run,
// as a shell says.
func checkCommand(name string) (int, error) {
	path, err := exec.LookPath(name)
	if err == nil {
		return 0, nil
	}
	if errors.Is(err, exec.ErrNotFound) || errors.Is(err, os.ErrNotExist) {
		return 127, fmt.Errorf("%s: command not found", name)
	}
	if path == "" {
		path = name
	}
	return 126, fmt.Errorf("%s: cannot run: %v", path, err)
}
