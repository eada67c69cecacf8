package dmesg

import (
	"fmt"
	"time"
)

// Event kinds. A kernel OOM-killer record is KindKernelOOMKill; the other
// kinds come from userspace killers and from systemd, which never print the
// kernel's lines (KERNEL-OOM.md §6, §7).
const (
	// KindKernelOOMKill is one record printed by mm/oom_kill.c
	// (dump_header, dump_oom_victim, __oom_kill_process) or any surviving
	// part of it.
	KindKernelOOMKill = "kernel-oom-kill"
	// KindSystemdOOMDKill is `systemd-oomd[N]: Killed <cgroup> due to …`
	// or systemd's `<unit>: systemd-oomd killed N process(es) in this unit.`
	KindSystemdOOMDKill = "systemd-oomd-kill"
	// KindEarlyOOMKill is earlyoom's `sending SIGTERM|SIGKILL to process …`.
	KindEarlyOOMKill = "earlyoom-kill"
	// KindSystemdUnitOOM is systemd's `<unit>: Failed with result
	// 'oom-kill'.` or `<unit>: A process of this unit has been killed by
	// the OOM killer.` (from memory.events, not from the kernel log).
	KindSystemdUnitOOM = "systemd-unit-oom"
)

// Outcome values (see Event.Outcome); mm/oom_kill.c out_of_memory,
// check_panic_on_oom.
const (
	OutcomeKilled     = "killed"
	OutcomePanic      = "panic"
	OutcomeNoKillable = "no-killable-process"
)

// TimeBasis values: what Event.Time was read from. See the package comment.
const (
	BasisNone             = ""                    // no stamp on the anchor line
	BasisUptime           = "uptime"              // only `[seconds since boot]`; Time unset
	BasisKmsgUptime       = "kmsg-uptime"         // /dev/kmsg record, microseconds since boot; Time unset
	BasisSyslog           = "syslog"              // `Jan  5 15:19:27`, Options.Year and Options.Location given
	BasisSyslogAssumedUTC = "syslog-assumed-UTC"  // as above, Options.Location nil: read as UTC
	BasisSyslogNoYear     = "syslog-no-year"      // Options.Year 0: Time has year 0, month/day/time kept
	BasisDmesgT           = "dmesg-T"             // `[Wed Dec  6 23:54:11 2017]` read in Options.Location
	BasisDmesgTAssumedUTC = "dmesg-T-assumed-UTC" // as above, Options.Location nil
	BasisISOWithZone      = "iso-with-zone"       // RFC 3339 / ISO 8601 with an offset (dmesg --time-format iso, rsyslog, short-iso)
	BasisISOAssumedUTC    = "iso-assumed-UTC"     // ISO stamp without offset, Options.Location nil
	BasisISO              = "iso"                 // ISO stamp without offset read in Options.Location
	BasisUnix             = "unix"                // journalctl -o short-unix seconds since the epoch
	BasisJournalJSON      = "journal-json"        // journalctl -o json __REALTIME_TIMESTAMP
	BasisTimeOfDayOnly    = "time-of-day-only"    // only hh:mm:ss could be read (unknown month name, or no date); Time is year 0, January 1
)

// Options tells Parse what the log itself cannot say.
type Options struct {
	// Name is the file name used in warnings and errors.
	Name string
	// Location is the zone for stamps that carry none (syslog, dmesg -T,
	// ISO without offset). nil means UTC, and TimeBasis says "assumed-UTC".
	Location *time.Location
	// Year is the year for syslog stamps without one. 0 means unknown:
	// Time keeps month, day and time of day in year 0, TimeBasis is
	// "syslog-no-year".
	Year int
	// PageSizeBytes converts page counts (task table, first Mem-Info block,
	// `N pages RAM`) to bytes. 0 means 4096, and a warning says so when a
	// page count was converted.
	PageSizeBytes int64
	// SizeHintBytes is the input's size when known (0 when not): the first
	// read is then no bigger than the input (a 64 KiB buffer, cleared,
	// for a job's 9 KB log was a share of batch's CPU).
	SizeHintBytes int64
}

// Log is everything Parse found in one input.
type Log struct {
	// Events in input order (by anchor line).
	Events []Event
	// Warnings about partial or unreadable evidence, with their line.
	Warnings []Warning
	// PageSizeAssumed is set when page counts were converted to bytes with
	// the default page size (Options.PageSizeBytes 0) and the log does not
	// show an architecture whose page size is always 4 KiB (x86: an
	// `x86_64`/`i686` kernel release, an `RIP:`/`EIP:` register dump). The
	// caller says so once (a --page-size hint), not per input.
	PageSizeAssumed bool
	// Boots is the number of boot segments seen (0 for an empty input).
	Boots int
	// Lines is the number of lines read.
	Lines int
}

// Warning is a problem with the input that did not stop parsing.
type Warning struct {
	Name    string // Options.Name
	Line    int    // 1-based; 0 = whole input
	Message string
}

// String renders "name:line: message".
func (w Warning) String() string {
	name := w.Name
	if name == "" {
		name = "<input>"
	}
	if w.Line <= 0 {
		return fmt.Sprintf("%s: %s", name, w.Message)
	}
	return fmt.Sprintf("%s:%d: %s", name, w.Line, w.Message)
}

// MemcgCounter is one `memory:` / `memory+swap:` / `swap:` / `kmem:` usage
// line printed by mem_cgroup_print_oom_meminfo() (mm/memcontrol.c):
// `memory: usage 524288kB, limit 524288kB, failcnt 0`.
type MemcgCounter struct {
	UsageBytes int64
	// LimitBytes is -1 when the limit is the "unlimited" sentinel
	// (9007199254740988kB = PAGE_COUNTER_MAX on 64-bit,
	// 18014398509481983kB = RES_COUNTER_MAX on ≤3.x, or `max`).
	LimitBytes int64
	Failcnt    int64
}

// Task is one row of the task table printed by dump_tasks() (mm/oom_kill.c).
// Page counts are converted to bytes with the page size.
type Task struct {
	PID, UID, TGID int
	TotalVMBytes   int64
	RSSBytes       int64 // `rss` column (anon + file + shmem)
	RSSAnonBytes   int64 // `rss_anon` (6.x), else 0
	RSSFileBytes   int64 // `rss_file` (6.x), else 0
	RSSShmemBytes  int64 // `rss_shmem` (6.x), else 0
	// PgtablesBytes is `pgtables_bytes` (≥4.15) or `nr_ptes`(+`nr_pmds`)
	// page-table pages times the page size (≤4.14).
	PgtablesBytes int64
	SwapentsBytes int64 // `swapents` pages times the page size
	OOMScoreAdj   int   // `oom_score_adj`, or old `oom_adj`/`oomkilladj` when that is all there is
	Name          string
	Line          int
	// Extra keeps columns without a field (`cpu`, `oom_adj`, `nr_pmds`…),
	// by header name, verbatim.
	Extra map[string]string
}

// Reap is `oom_reaper: reaped process 517 (clamd), now anon-rss:0kB,
// file-rss:0kB, shmem-rss:0kB` (mm/oom_kill.c oom_reap_task, ≥4.6).
type Reap struct {
	PID           int
	Comm          string
	AnonRSSBytes  int64
	FileRSSBytes  int64
	ShmemRSSBytes int64
	Line          int
	UptimeS       float64
	HasUptime     bool
	// Unable is true for `oom_reaper: unable to reap pid:N (comm)`.
	Unable bool
}

// Event is one OOM kill (or the surviving part of one record).
type Event struct {
	Kind string

	// Line is the anchor: the `Killed process` line for kernel kills when
	// present, else the first of: `Kill process`, `oom-kill:`, header,
	// `Task in`, usage line, reaper line. FirstLine/LastLine bound the
	// record's lines that were attached.
	Line, FirstLine, LastLine int
	// Boot is the 0-based boot segment (see package comment).
	Boot int
	// Host is the host that logged the record, as a syslog prefix names
	// it ("Jan  5 15:19:27 HOST kernel: "), "" when the log names none.
	// A syslog that several hosts write to has each host's records
	// assembled from its own lines.
	Host string

	// UptimeS is the anchor line's kernel stamp in seconds since boot.
	UptimeS   float64
	HasUptime bool
	// Time is the anchor line's wall clock, in the zone of the stamp (or
	// Options.Location, UTC by default). TimeBasis says where it came from.
	Time      time.Time
	HasTime   bool
	TimeBasis string

	// Outcome is how the record ended: OutcomeKilled (a Killed process
	// line), OutcomePanic (`Kernel panic - not syncing: Out of memory: …
	// panic_on_oom`), OutcomeNoKillable (`Out of memory and no killable
	// processes...`, then the panic `System is deadlocked on memory`), or
	// "" when the input does not say (cut off, ratelimited, filtered).
	Outcome string
	// Panic is the text of the `Kernel panic - not syncing: …` line.
	Panic string

	// Partial is true when part of the record is missing; PartialReason
	// says which part and why (cut off, ratelimited, filtered).
	Partial       bool
	PartialReason string

	// Header `<comm> invoked oom-killer: gfp_mask=…, order=N, oom_score_adj=N`
	// (dump_header). Old kernels print oomkilladj= or oom_adj=; that value
	// lands in TriggerOOMScoreAdj when oom_score_adj is absent.
	TriggerComm        string
	TriggerPID         int // from the `CPU: N PID: P Comm:` / `Pid: P, comm:` banner
	GFPMask            string
	Order              int
	TriggerOOMScoreAdj int
	HasHeader          bool

	// Summary `oom-kill:constraint=…` (dump_oom_victim ≥4.19/5.0), or v1
	// `Task in A killed as a result of limit of B` (TaskMemcg=A, OOMMemcg=B)
	// and the separate `<comm> cpuset=… mems_allowed=…` line.
	Constraint  string
	Nodemask    string
	Cpuset      string
	MemsAllowed string
	OOMMemcg    string
	TaskMemcg   string
	GlobalOOM   bool

	// Victim, from the `Killed process` line (__oom_kill_process); the
	// sizes there are kB, converted to bytes.
	PID               int
	Comm              string
	UID               int
	HasUID            bool
	TotalVMBytes      int64
	AnonRSSBytes      int64
	FileRSSBytes      int64
	ShmemRSSBytes     int64
	PgtablesBytes     int64
	KilledOOMScoreAdj int
	HasKilledLine     bool
	// SacrificedPID and Score are from the old `Kill process N (x) score S
	// or sacrifice child` / `kill process N (x) score S or a child` line
	// (≤5.0); the Killed pid may differ (a child was sacrificed).
	SacrificedPID  int
	SacrificedComm string
	Score          int64
	// KilledPrefix is the message prefix on the Killed line: "Out of
	// memory", "Memory cgroup out of memory", "Out of memory
	// (oom_kill_allocating_task)", or "" (≤5.0 bare `Killed process`).
	KilledPrefix string

	// MemcgOOM is true for a `Memory cgroup out of memory` prefix or
	// constraint CONSTRAINT_MEMCG or a v1 `Task in` line.
	MemcgOOM bool
	// Memcg keys: "memory", "memory+swap", "swap", "kmem".
	Memcg map[string]MemcgCounter
	// MemcgStatsPath is the cgroup of the first `Memory cgroup stats for`.
	MemcgStatsPath string
	// MemcgStats: v1 one-line `cache:…KB` values ×1024, v2 multi-line
	// values as printed (bytes for sizes, counts for events). Only the
	// first stats block (the OOM cgroup itself) is kept here.
	MemcgStats map[string]int64
	// MemInfo: the Mem-Info block (mm/show_mem.c). First block keys are
	// pages ×page size; `Free swap`/`Total swap` kB ×1024; `N pages RAM` →
	// "pages_ram" etc. ×page size; `total_pagecache_pages`,
	// `pages_in_swap_cache` ×page size.
	MemInfo map[string]int64

	Tasks []Task
	// TaskColumns is the task table header as printed, e.g.
	// ["pid" "uid" "tgid" "total_vm" "rss" "pgtables_bytes" "swapents"
	// "oom_score_adj" "name"].
	TaskColumns []string

	Reaped *Reap
	// GroupKill holds the extra pids killed because of memory.oom.group
	// (`Tasks in /x are going to be killed due to memory.oom.group set`).
	GroupKill []int

	// KeyLines are the record's key lines, prefix stripped, in order.
	KeyLines []string
	// Extra keeps fields without a field of their own, verbatim: from the
	// header as "header.<key>" (e.g. "header.oom_adj"), from the summary
	// as "oom-kill.<key>", from the Killed line as "killed.<key>"; the
	// userspace killers' figures under their own names ("badness",
	// "oom_score", "signal", "cmdline", "processes").
	Extra map[string]string

	// Userspace killers and systemd.
	Cgroup     string // systemd-oomd: the killed cgroup
	Unit       string // systemd: the unit name
	Reason     string // the killer's message text
	VmRSSBytes int64  // earlyoom `VmRSS N MiB`
}
