// Package dmesg reads kernel logs (dmesg, kern.log, /var/log/messages,
// journalctl in any output format, /dev/kmsg) and returns the OOM kills in
// them as Events: one per kernel OOM-killer record, and one per kill
// reported by a userspace killer (systemd-oomd, earlyoom) or by systemd
// for a unit (`Failed with result 'oom-kill'`).
//
// # Sources of truth
//
// The record shapes come from the kernel's own printk calls, read in the
// trees named in ../shared/reference/KERNEL-OOM.md:
//
//   - mm/oom_kill.c: dump_header (`<comm> invoked oom-killer: gfp_mask=…,
//     order=…, oom_score_adj=…`; `oomkilladj=` ≤2.6.2x, `oom_adj=` 2.6.31–3.x,
//     `nodemask=` ~4.8–4.19), dump_tasks (the task table; `Tasks state`
//     header and wider pid column since 4.19, pgtables_bytes since 4.15,
//     rss_anon/rss_file/rss_shmem in 6.x), dump_oom_victim
//     (`oom-kill:constraint=…` since 4.19/5.0), __oom_kill_process (`Killed
//     process …`; shmem-rss 4.5, UID/pgtables/oom_score_adj 5.4, the
//     `Out of memory:` prefix moved onto it in 5.1, RHEL6's `Killed process
//     N, UID N, (x)`), oom_kill_process (`Kill process … score … or
//     sacrifice child` 2.6.36–5.0, `kill process … or a child` before),
//     oom_reaper (`oom_reaper: reaped process …`, 4.6).
//   - mm/memcontrol.c: mem_cgroup_print_oom_context (v1 `Task in A killed
//     as a result of limit of B` before 4.19/5.0), mem_cgroup_print_oom_meminfo
//     (`memory:`/`memory+swap:`/`swap:`/`kmem:` usage lines, `Memory cgroup
//     stats for …` one line in KB before 5.3, one key per line since 5.3),
//     mem_cgroup_print_oom_group (`Tasks in … memory.oom.group`, 4.19).
//   - mm/show_mem.c (mm/page_alloc.c before 6.1): __show_mem (Mem-Info).
//
// Lines are recognised by their shape, never by a kernel version: vendor
// kernels mix eras.
//
// # Model
//
// A kernel record opens at any of its key lines (header, `Task in`, usage
// line, task table header, summary, `Kill process`, `Killed process`;
// when no record is open, only as described under Speed) and
// takes every following line until its `Killed process` line, the next
// record, a boot marker, 400 lines without a key line, or a key line more
// than 10 s of uptime (30 s of wall clock) after the record's last line.
// The Killed line joins the open record only if it agrees with it: the
// summary's pid, else any pid after a `Kill process` line (a child may be
// sacrificed, ≤5.0), else a pid of the task table; otherwise the open
// record is closed as Partial and the Killed line makes its own event
// (ratelimited kills print only that line). An oom_reaper line attaches to
// the latest kill of its pid; `memory.oom.group` kills add GroupKill pids.
// A `Task in` or usage line that repeats a key line of the open (or just
// closed) record word for word at the same stamp is a repeat of the paste
// and folds into it. A `Memory cgroup stats for` line with no record open
// opens one that is kept only if a key line (a task table header…) joins
// it. A task-table row that syslog mangled is skipped and the table goes
// on; rows after a lost table header keep the record alive. The banner
// that panic() prints after `Kernel panic - not syncing` names the invoker
// of a panic or no-killable record that lost its header.
// A record without its Killed line is kept, Partial, with PartialReason
// saying why (cut off at the end of input → also a Warning; next record
// began; grep-filtered…). A record without the header is Partial too.
// Copy/paste hard wraps (a line without a stamp after a stamped one, not
// indented, not starting with '[', holding no needle) are joined to the
// line before; the oom-kill summary split by
// a missing KERN_CONT (4.19-rc) is joined.
//
// Event.Line is the anchor: the Killed process line when present, else
// the first present of `Kill process`, summary, header, `Task in`, usage
// line, reaper line, task table header. Boot counts boot segments from 0:
// a new one starts at a boot marker (`Linux version …`, journalctl `--
// Boot …`; an old `-- Reboot --` only when read) that is not the input's
// first content line, or when an
// event's kernel uptime is lower than the previous event's.
//
// A log without any OOM record is not an error: Log.Events is empty.
// Binary input (NUL bytes or mostly control bytes in the first 64 KiB)
// is an error wrapping ErrBinary. Lines longer than 1 MiB are truncated
// with a warning.
//
// # Units
//
// Every size is in bytes. kB/KB values (Killed line, usage lines, zone
// lines, v1 one-line memcg stats) are ×1024; page counts (task table
// total_vm, rss, rss_*, swapents, nr_ptes/nr_pmds; the first Mem-Info
// block; `N pages …` lines) are × Options.PageSizeBytes, 4096 when not
// given, which Log.PageSizeAssumed then says (unless the log names an x86
// kernel, whose pages are always 4 KiB); pgtables_bytes and v2 memory.stat are
// bytes already (v2 event counters stay counts). MemcgCounter.LimitBytes
// is -1 for "unlimited" (≥9007199254740988kB, 18014398509481983kB, max).
// Process names keep spaces and parentheses: the comm runs to the last ')'
// before ` total-vm:` (or the end of the line).
//
// # Time
//
// Every event keeps the kernel stamp of its anchor line (UptimeS, seconds
// since boot, HasUptime) and, when the prefix gives one, the wall clock
// (Time, HasTime). Stamps without a zone are read in Options.Location (UTC
// when nil). TimeBasis says where Time came from:
//
//	""                     no stamp at all
//	"uptime"               only a kernel `[seconds]` stamp; Time unset
//	"kmsg-uptime"          /dev/kmsg microseconds since boot; Time unset
//	"syslog"               `Jan  5 15:19:27` with Options.Year and Options.Location
//	"syslog-assumed-UTC"   the same, Options.Location nil
//	"syslog-no-year"       Options.Year 0: Time is in year 0, month/day/time kept
//	"dmesg-T"              `[Wed Dec  6 23:54:11 2017]` (any locale) in Options.Location
//	"dmesg-T-assumed-UTC"  the same, Options.Location nil
//	"iso-with-zone"        ISO 8601 with offset: dmesg --time-format iso, rsyslog RFC 3339, journalctl short-iso
//	"iso"                  ISO 8601 without offset, in Options.Location
//	"iso-assumed-UTC"      the same, Options.Location nil
//	"unix"                 journalctl -o short-unix
//	"journal-json"         journalctl -o json __REALTIME_TIMESTAMP (UptimeS from _SOURCE_MONOTONIC_TIMESTAMP)
//	"time-of-day-only"     only hh:mm:ss was readable (unknown month name, with a Warning, or a bare
//	                       `19:46:58 prog:` line): Time is 0000-01-01 at that time
//
// `dmesg -T` stamps are computed from the boot time and drift after a
// suspend; syslog stamps are receive times. Both are kept as printed.
//
// # Speed
//
// Parse is one line loop (parse in read.go): each line is offered to the
// record state machine (parser.push), which takes it or drops it. While
// no record is open, a line is taken only if it holds one of a few
// needles (see needles in parse.go: "Kill", "oom-kill", "OOM killer",
// "-oomd", "kB, limit ", "kB, file-rss:", "sending SIG", "Linux version ",
// "-- Boot ", "Kernel panic", "Out of memory and no killable"); when one
// arrives, the look-back (up to 64 untaken lines, 16 KiB, just before it)
// is offered first, so that `Task in …`, task tables and old `kill
// process` lines still open the record the needle line continues; the
// end of the input does the same. The reader keeps the look-back in its
// own buffer (lineReader). ParseBytes reads an input already in memory
// that fits in the first block in place, as that block (a batch job's
// logs: BenchmarkParseBytesJob; TestParseBytesAgrees and FuzzParseBytes
// hold it to Parse).
//
// Two fast paths, each needed by scripts/bench-kernel.sh (a 1 GiB
// kern.log, 324 records planted; goal ≤ 1.00x `LC_ALL=C grep -c "Killed
// process"` wall time, ≤ 32 MiB):
//
//   - while nothing is open, the reader skips to the next needle line,
//     found by the scanner: it searches each block once, with
//     bytes.IndexByte, for a few search bytes chosen from the input's
//     first block to cover every needle with few hits (on the benchmark
//     log 6 bytes and ~10,100 hits per MiB), and counts the block's
//     newlines, so that the loop neither reads nor counts the lines it
//     skips: feeding every line to the state machine took 3.6 s of CPU
//     against grep's 0.6 s. (When the first read holds the whole input,
//     as for a batch job's logs, a sixteenth of it chooses the bytes:
//     see scanSample, BenchmarkParseJob and BenchmarkParseJobPytest; the
//     bytes chosen never change the lines found);
//   - two goroutines besides the loop (blockReader) read the blocks
//     after the first in turns and each indexes the block it read, while
//     the other reads and indexes the next and the loop consumes the one
//     before: the reads (a copy out of the page cache, ~0.2 s of system
//     CPU per GiB) and the search (~0.35 s of CPU per GiB) run on both
//     cores, the loop keeps ~0.1 s. With one goroutine reading ahead and
//     the loop searching, analyze took 1.53x grep's wall time (0.84 s
//     against 0.55 s, idle machine); with the second half of each block
//     searched on a goroutine as well, 1.13x (0.61 s against 0.54 s),
//     the loop still counting the lines skipped and the reads on one
//     core. With the blockReader, in `REPS=5 scripts/bench-kernel.sh`
//     at a load of 3.3 on the 2 cores: analyze 0.88x grep (0.57 s
//     against 0.65 s), dmesg.Parse 0.80x; the same script on the code
//     before, run right after: 1.13x and 1.04x (2026-12, shared 2-core
//     EPYC). On a machine with no core to spare both take their CPU
//     time (cpu_s: analyze ~1.35x grep's). Blocks of 512 KiB: at 128
//     or 256 KiB the hand-overs cost more CPU (0.93 and 0.83 s against
//     0.80 s for Parse), at 1 MiB the CPU is the same and the peak RSS
//     1.5 MiB higher.
//
// A batch job's two logs are small and mostly look-back: up to 64 lines
// before each needle line (the kernel.log's OOM header, the pytest.log's
// `Killed`) and at the end go through the whole line path. Three fast
// paths keep that cheap, each a local audit of what it skips
// (BenchmarkParseBytesJob, instructions per parse under cachegrind with
// the GC off, kernel.log / pytest.log: 554k / 523k before, 374k / 385k
// with all three, 2026-12):
//
//   - a message that can neither open a record nor be an event while
//     none is open (mayOpen: it starts with none of 12 bytes and holds no
//     "ill") skips the boot-marker, userspace and keyLine tests and does
//     only their bookkeeping (-95k / -77k);
//   - cutPrefix offers a line starting with '[' only to the stamps that
//     can start with '[' (cutBracketClock) and reads its kernel stamp
//     once, and its layers fail most lines before searching them
//     (-68k / -14k);
//   - sniff skips the 32-byte pieces whose only bytes below 0x20 are
//     newlines (textRun), not only those without any (-17k / -47k).
//
// The tests compare Parse with an independent reading (every line through
// push and the full state machine without mayOpen's path, the look-back
// in a ring, the binary check a byte at a time: parseReference in
// fast_test.go) on every
// sample, every prefix style, every byte-prefix, generated inputs with
// tiny buffers, records cut by block seams at every byte, and the fuzz
// target on arbitrary input; cutPrefix is compared with the reading
// before its fast paths (prefix_ref_test.go) on every distinct line of
// the samples and by FuzzCutPrefix, feedMsg's fast path with its full
// path by TestMayOpen and FuzzMayOpen.
//
// Consequence: lines that are only ever attached to an open record
// (Mem-Info, `Tasks state`, the `<comm> cpuset=` line, `Memory cgroup
// stats for`, memory.stat lines, the stack trace, `oom_reaper: unable to
// reap`) further than 64 lines from any needle line or the end of input
// do not make an event on their own.
package dmesg
