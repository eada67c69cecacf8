package main

import (
	"errors"
	"fmt"
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
	)
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

Exit status: CMD's, or 128+N when signal N ended it, as a shell reports it;
127 when CMD is not found, 126 when it cannot be run.`,
		Args: usageArgs(cobra.MinimumNArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			if interval < time.Millisecond {
				return usageError{fmt.Errorf("--interval %v: must be at least 1ms", interval)}
			}
			if killGrace < time.Millisecond {
				return usageError{fmt.Errorf("--kill-grace %v: must be at least 1ms", killGrace)}
			}
			if out == "" {
				out = "oomlens-record-" + time.Now().UTC().Format("20060102T150405Z")
			}
			if err := record.PrepareDir(out, force); err != nil {
				if errors.Is(err, record.ErrDirNotEmpty) {
					return usageError{err}
				}
				return err
			}
			res, err := record.Run(record.Options{
				Dir:       out,
				Command:   args,
				Interval:  interval,
				KillGrace: killGrace,
				Stdin:     cmd.InOrStdin(),
				Stdout:    cmd.OutOrStdout(),
				Stderr:    cmd.ErrOrStderr(),
			})
			var se *record.StartError
			if errors.As(err, &se) {
				fmt.Fprintf(cmd.ErrOrStderr(), "oomlens: record: %v\n", err)
				return exitCodeError{se.Status}
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
			fmt.Fprintf(cmd.ErrOrStderr(), "oomlens: record: %s %s; recorded into %s\n",
				strings.Join(args, " "), how, out)
			if m.KernelLog == nil {
				fmt.Fprintf(cmd.ErrOrStderr(), "oomlens: record: no kernel log: %s\n", m.KernelLogUnavailable)
			}

			// The verdict, exactly as `oomlens analyze DIR` prints it. The
			// recording ran on this host since its last boot, so the kernel's
			// uptime stamps are put on the wall clock with this boot time.
			// The command's status stays the exit status whatever the
			// analysis says.
			ao := defaultAnalyzeOptions()
			ao.thisHost = true
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
	// Everything after CMD belongs to CMD: `oomlens record pytest -x` works
	// without `--`.
	cmd.Flags().SetInterspersed(false)
	return cmd
}
