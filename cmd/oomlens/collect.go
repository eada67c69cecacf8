package main

import (
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/oomlens/oomlens/collect"
)

func newCollectCmd() *cobra.Command {
	var (
		out    string
		since  string
		logs   []string
		cgroup string
	)
	cmd := &cobra.Command{
		Use:   "collect --out DIR [--since TIME] [--log FILE]... [--cgroup PATH]",
		Short: "Gather the kernel log, the job's memory cgroup files, host facts and logs into a job folder",
		Long: `collect runs on the machine where a job ran (a CI step after the failure)
and writes a job folder that 'oomlens analyze' and 'oomlens batch' read:

  kernel.log    the kernel log since --since (or since boot), from /dev/kmsg,
                else dmesg, else journalctl -k: the first that works
  cgroup/       the job's memory cgroup files (v1 memory.oom_control,
                memory.max_usage_in_bytes, memory.limit_in_bytes,
                memory.failcnt, memory.stat…; v2 memory.events, memory.peak,
                memory.max, memory.current, memory.stat, memory.pressure…),
                from the cgroup /proc/self/cgroup names or --cgroup
  logs/         copies of the --log files
  collect.json  where each came from, the host (kernel, page size, memory,
                boot time), and what could not be read and why

A memory cgroup's oom_kill count confirms an OOM kill even where the kernel
log cannot be read (a container, a hosted runner). --cgroup takes a
directory of the cgroup's files or its path as /proc/self/cgroup prints it.
--since takes RFC 3339 ("2026-11-26T10:00:00Z") or a duration back from now
("2h").`,
		Example: `  # a CI step after a failed test step: gather, then analyse
  oomlens collect --out job --since 2h --log pytest.log
  oomlens analyze job

  # a cgroup other than this process's own (the job's container)
  oomlens collect --out job --cgroup /sys/fs/cgroup/ci/job-42`,
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, args []string) error {
			if out == "" {
				return usageError{fmt.Errorf("--out DIR is required")}
			}
			opts := collect.Options{Out: out, Logs: logs, Cgroup: cgroup}
			if since != "" {
				t, err := parseSince(since, time.Now())
				if err != nil {
					return usageError{err}
				}
				opts.Since = t
			}
			m, err := collect.Collect(cmd.Context(), opts)
			if err != nil {
				return err
			}
			w := cmd.OutOrStdout()
			fmt.Fprintf(w, "wrote %s\n", out)
			if m.KernelLog != nil {
				fmt.Fprintf(w, "  kernel log: %d records from %s\n", m.KernelLog.Records, m.KernelLog.Source)
			}
			if m.Cgroup != nil {
				fmt.Fprintf(w, "  memory cgroup v%d %s: %s\n", m.Cgroup.Version, m.Cgroup.Dir, strings.Join(m.Cgroup.Files, ", "))
			}
			for _, l := range m.Logs {
				fmt.Fprintf(w, "  log: %s\n", l.From)
			}
			for _, u := range m.Unread {
				fmt.Fprintf(w, "  not read: %s: %s\n", u.What, u.Why)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&out, "out", "", "the job folder to write")
	f.StringVar(&since, "since", "", "keep the kernel log from this time (RFC 3339, or a duration back from now)")
	f.StringArrayVar(&logs, "log", nil, "a log of the job to copy (repeatable)")
	f.StringVar(&cgroup, "cgroup", "", "the job's memory cgroup: a directory, or its path in /proc/self/cgroup (default: this process's own)")
	return cmd
}

// parseSince reads --since: RFC 3339 or a duration back from now.
func parseSince(s string, now time.Time) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	if d, err := time.ParseDuration(s); err == nil && d > 0 {
		return now.Add(-d), nil
	}
	return time.Time{}, fmt.Errorf("--since %q: want RFC 3339 (2026-11-26T10:00:00Z) or a duration (2h)", s)
}
