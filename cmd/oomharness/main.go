// Command oomharness runs a command under a memory limit in a child memory
// cgroup of its own (package harness) so that the real kernel OOM-kills it,
// and saves what a CI job would leave behind: the command's combined output
// (optionally with GitHub Actions per-line timestamps added as the lines
// arrive) and the kernel lines of the run (as dmesg or `journalctl -k -o
// short-iso` prints them).
//
//	oomharness -limit 448M -log pytest.log -kernel-log kernel.log -result run.json -- python3 -m pytest -v
//
// It exits with the command's exit code, or 128+signal when a signal ended it
// (137 after an OOM kill), or 3 with the reason when the harness cannot work
// on this machine (no cgroup memory controller, no kernel log).
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/oomlens/oomlens/harness"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("oomharness", flag.ContinueOnError)
	fs.SetOutput(stderr)
	limit := fs.String("limit", "", "memory limit of the child cgroup (bytes, or with K/M/G suffix, powers of 1024)")
	logPath := fs.String("log", "", "write the command's stdout and stderr, combined, to this file (default: our stdout)")
	stamps := fs.String("timestamps", "", `prefix each output line as it arrives: "gha" = GitHub Actions "2006-01-02T15:04:05.0000000Z "`)
	kernelPath := fs.String("kernel-log", "", "write the kernel lines of the run to this file")
	kernelFormat := fs.String("kernel-format", "dmesg", `"dmesg" ([ uptime] msg) or "journal" (journalctl -k -o short-iso)`)
	hostname := fs.String("hostname", "", "host name for -kernel-format journal (default: this host's)")
	resultPath := fs.String("result", "", "write the run's facts (pid, exit, signal, cgroup, oom kills, peak) as JSON to this file")
	dir := fs.String("dir", "", "working directory of the command")
	timeout := fs.Duration("timeout", 0, "kill everything in the cgroup after this long (0 = no limit)")
	check := fs.Bool("check", false, "only say whether the harness can work here (exit 0) or why not (exit 3)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if err := harness.Available(); err != nil {
		fmt.Fprintf(stderr, "oomharness: cannot work here: %v\n", err)
		return 3
	}
	if *check {
		fmt.Fprintln(stdout, "oomharness: available")
		return 0
	}
	if fs.NArg() == 0 || *limit == "" {
		fmt.Fprintln(stderr, "usage: oomharness -limit SIZE [flags] -- COMMAND [ARGS...]")
		fs.PrintDefaults()
		return 2
	}
	limitBytes, err := parseSize(*limit)
	if err != nil {
		fmt.Fprintf(stderr, "oomharness: -limit: %v\n", err)
		return 2
	}
	if *kernelFormat != "dmesg" && *kernelFormat != "journal" {
		fmt.Fprintf(stderr, "oomharness: -kernel-format %q: want dmesg or journal\n", *kernelFormat)
		return 2
	}
	if *stamps != "" && *stamps != "gha" {
		fmt.Fprintf(stderr, "oomharness: -timestamps %q: want gha\n", *stamps)
		return 2
	}
	var out io.Writer = stdout
	if *logPath != "" {
		f, err := os.Create(*logPath)
		if err != nil {
			fmt.Fprintf(stderr, "oomharness: %v\n", err)
			return 2
		}
		defer f.Close()
		out = f
	}
	var sink io.Writer = &lockedWriter{w: out}
	if *stamps == "gha" {
		sink = harness.NewStampWriter(sink, nil)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if *timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, *timeout)
		defer cancel()
	}
	res, err := harness.Run(ctx, harness.Spec{
		LimitBytes: limitBytes,
		Dir:        *dir,
		Args:       fs.Args(),
		Stdout:     sink,
		Stderr:     sink,
	})
	if err != nil {
		fmt.Fprintf(stderr, "oomharness: %v\n", err)
		if res.PID == 0 {
			return 3
		}
	}
	if res.KernelLogGap != nil {
		fmt.Fprintf(stderr, "oomharness: warning: %v\n", res.KernelLogGap)
	}
	if *kernelPath != "" {
		klog := res.KernelLog
		if *kernelFormat == "journal" {
			host := *hostname
			if host == "" {
				host, _ = os.Hostname()
			}
			boot, err := harness.BootTime()
			if err != nil {
				fmt.Fprintf(stderr, "oomharness: %v\n", err)
				return 3
			}
			klog = harness.ToJournal(klog, boot, host)
		}
		if err := os.WriteFile(*kernelPath, klog, 0o644); err != nil {
			fmt.Fprintf(stderr, "oomharness: %v\n", err)
			return 3
		}
	}
	if *resultPath != "" {
		facts := map[string]any{
			"pid":             res.PID,
			"exit_code":       res.ExitCode,
			"signal":          int(res.Signal),
			"cgroup_path":     res.CgroupPath,
			"cgroup_version":  res.CgroupVersion,
			"oom_kills":       res.OOMKills,
			"max_usage_bytes": res.MaxUsageBytes,
			"limit_bytes":     limitBytes,
			"start":           res.Start.UTC().Format(time.RFC3339Nano),
			"end":             res.End.UTC().Format(time.RFC3339Nano),
		}
		b, _ := json.MarshalIndent(facts, "", "  ")
		if err := os.WriteFile(*resultPath, append(b, '\n'), 0o644); err != nil {
			fmt.Fprintf(stderr, "oomharness: %v\n", err)
			return 3
		}
	}
	fmt.Fprintf(stderr, "oomharness: pid %d exit %d signal %d oom_kills %d peak %d bytes (limit %d) cgroup %s\n",
		res.PID, res.ExitCode, int(res.Signal), res.OOMKills, res.MaxUsageBytes, limitBytes, res.CgroupPath)
	if res.Signal != 0 {
		return 128 + int(res.Signal)
	}
	return res.ExitCode
}

// parseSize reads 448M, 1G, 65536 (suffixes are powers of 1024).
func parseSize(s string) (int64, error) {
	s = strings.TrimSpace(s)
	mult := int64(1)
	if n := len(s); n > 0 {
		switch strings.ToUpper(s[n-1:]) {
		case "K":
			mult, s = 1<<10, s[:n-1]
		case "M":
			mult, s = 1<<20, s[:n-1]
		case "G":
			mult, s = 1<<30, s[:n-1]
		}
	}
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil || v <= 0 {
		return 0, fmt.Errorf("bad size %q", s)
	}
	return v * mult, nil
}

// lockedWriter serialises stdout and stderr writes into one file.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
