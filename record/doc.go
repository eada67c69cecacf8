// Package record runs a test command and records what an out-of-memory
// post-mortem needs into a job folder that `oomlens analyze` reads, for suites
// that write no diagnostics of their own: nothing in the user's code changes.
//
// Run writes four files into Options.Dir:
//
//   - output.log: the command's stdout and stderr, merged in the order their
//     lines ended, every line prefixed with the UTC wall-clock time its
//     newline arrived, as the GitHub Actions runner stamps its raw logs
//     (StampLayout, `2026-11-26T10:11:12.1234567Z `; PYTEST-CI.md §1.9), so
//     the pytestlog parser strips the prefix and keeps it as a time source.
//     A chunk's lines are stamped with the time its read returned. Each pipe
//     is read by a thread of its own blocked in poll(2) on it (rawPipe), so
//     the kernel wakes it as the child writes: measured under the e2e
//     harness, stamps come about 10 µs after pytest's write (through Go's
//     network poller they came up to 5 ms late). The lines are handed to a
//     writer goroutine as they come (asyncWriter: a write stalled in the
//     memory cgroup's reclaim must not delay the next read); a last line
//     without a newline is stamped and ended when the command's output
//     closes. A line longer than 1 MiB is stamped when it passes that size
//     and written on as it comes (one stamp per line, constant memory).
//     Both streams are also passed through, unchanged, to Options.Stdout and
//     Stderr. The command's environment gets PYTHONUNBUFFERED=1 unless it
//     has that variable already (record.json env_added says so), so a
//     Python program writes each line when it prints it rather than when an
//     8 KiB pipe buffer fills; pytest flushes its own result lines either
//     way. Pipes, not a pty: a pty would merge the two streams and make
//     isatty() true, which changes what pytest and other programs print.
//
//   - diagnostics.jsonl: oomlens/diagnostics/v1 (docs/diagnostics-format.md)
//     for every process of the command's tree, sampled every
//     Options.Interval (DefaultInterval, 50 ms): a session_start record once
//     two ticks in a row saw a process with the same comm and command line,
//     so that one caught between fork and exec is described after its exec
//     (time, pid, ppid, rss_bytes, rss_anon_bytes, boot_time, monotonic,
//     comm, cmdline, worker), then a sample record each tick (time, pid,
//     rss_bytes, rss_anon_bytes, worker once known). Each record's time is
//     when that process was read, not when the tick began. Besides the
//     periodic ticks, a tick is taken as soon as an output line naming a
//     pytest node id ("::") ends (LineTickBurst at once, then one per
//     LineTickSpacing): under pytest -v such a line ends as the next test
//     starts, so the memory between two tests is read within a fraction of
//     a millisecond of the boundary, however long the interval. The records
//     are handed to a writer goroutine after each tick. Records of many
//     processes share the file; pid tells them apart. There are no
//     test_start/test_end records: per-test figures come from lining samples
//     up with output.log's stamps.
//
//   - kernel.log: the kernel log records appended while the command ran, as
//     `dmesg` prints them (`[ uptime] message`), read with package kmsg; may
//     be empty. Missing when the kernel log cannot be read; record.json
//     then says why.
//
//   - record.json: the Manifest (ManifestSchema): the command, start and end
//     (RFC 3339), exit_code or signal ("killed" for SIGKILL, in Go's words),
//     the shell-style status, forwarded signals, boot time, host facts from
//     go-sysinfo, the kernel log's fate, the oom_score_adj values, the
//     recorder's CPU priority, the variables added to the command's
//     environment and the sampler's own cost.
//
// # The process tree
//
// Each tick walks the tree down from the command through
// /proc/<pid>/task/<tid>/children (CONFIG_PROC_CHILDREN), or, on kernels
// without it, by reading the parent pid of every /proc/<pid>/stat. A
// descendant whose parent exits is reparented out of the tree and is no
// longer sampled; a process that lives less than two intervals may go
// unrecorded.
// Memory comes from /proc/<pid>/statm: resident is VmRSS and resident minus
// shared is RssAnon (task_statm in fs/proc/task_mmu.c sums the same mm
// counters that /proc/<pid>/status prints), one short read per process. This
// is about four times cheaper in CPU time than go-sysinfo's Process(pid).Memory(), which
// parses all of /proc/<pid>/stat and has no RssAnon (see the benchmarks in
// sampler_bench_test.go). A zombie (statm all zeros) gets no sample.
//
// pytest-xdist sets PYTEST_XDIST_WORKER in the worker after it has started,
// so a worker's own /proc/<pid>/environ lacks it while the processes it starts
// have it. A process's worker is taken from its environ; and when a process
// with a worker id is the child of a tracked process without one, that parent
// is the worker, and its samples from then on carry the id. A worker whose
// tests start no process stays unnamed; the `[gwN]` lines of `pytest -v` in
// output.log still name its tests.
//
// # Signals and the OOM killer
//
// The command runs in a process group of its own and, where the recorder can
// make one, in a child cgroup of the recorder's own (v1: under its memory
// cgroup, as package harness does; v2: a child of a delegated cgroup), which
// no descendant can leave, whatever its group or session. SIGINT, SIGTERM,
// SIGHUP and SIGQUIT reaching the recorder are forwarded to that group and
// cgroup (once per process); when the command has not ended
// Options.KillGrace (DefaultKillGrace, 10 s) after the first of them, it
// gets SIGKILL (record.json "escalated"). When the command itself ends, the
// processes it left running get SIGTERM, then SIGKILL after KillGrace
// ("leftover_processes"), and Run returns, with every file written and
// closed and the cgroup removed, only when nothing of the command is left.
// A program that reads a terminal from the command stops there (SIGTTIN),
// as a background job would.
//
// If the recorder itself dies (SIGKILL, a crash), the kernel kills the
// command's direct child (PR_SET_PDEATHSIG) and a watchdog shell started
// beside the command (the reaper: its own process group, signals of the
// terminal ignored, the recorder's oom_score_adj) sees its pipe from the
// recorder close without the recorder's "done": it kills the process group
// and everything in the cgroup, and removes the cgroup. record.json is
// written before the command starts and rewritten whole (temporary file and
// rename) as the run goes: a recorder killed at any point leaves a valid
// record.json, whose "running": true says that the end is unknown.
//
// The command is started first and inherits the recorder's oom_score_adj;
// the recorder then sets its own to -1000 (OOM_SCORE_ADJ_MIN) so that the
// kernel kills the suite rather than the recorder. Lowering it needs
// CAP_SYS_RESOURCE; without it the recorder stays as it was and record.json
// says why. Run restores its own value before it returns.
//
// For the same reason the recorder asks for nice -10 (setpriority(2), on
// every thread of its own, after the command was started, so the command
// keeps the caller's value): it uses little CPU, but its stamps and readings
// are only as timely as its wakeups, which on CPUs the tests keep busy would
// otherwise wait their turn. Without CAP_SYS_NICE it keeps its value, and
// record.json says why.
//
// The kernel log is read with a time bound (KernelLogTimeout): it is a side
// channel and must neither delay the command indefinitely nor keep the
// folder from being finished.
package record
