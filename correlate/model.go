package correlate

// This file is the report model: what the correlator concludes about one
// failed job, and what every renderer in package report prints. Its JSON form
// is the stable contract "oomlens/report/v1", documented in
// docs/report-format.md and docs/report.schema.json; the JSON tags below are
// that contract, so a tag is never renamed, only added.

// SchemaV1 names the JSON report format.
const SchemaV1 = "oomlens/report/v1"

// Report is the post-mortem of one job.
type Report struct {
	Schema    string     `json:"schema"`
	Tool      *Tool      `json:"tool,omitempty"` // the program that wrote the report
	Inputs    []Input    `json:"inputs"`
	Kills     []Kill     `json:"kills"` // time order, except that the kill that ended the run comes first
	RunEnd    RunEnd     `json:"run_end"`
	Alignment Alignment  `json:"alignment"`
	InFlight  []InFlight `json:"in_flight"`
	Leaks     []Leak     `json:"leaks"` // most retained first
	Unclosed  []Unclosed `json:"unclosed"`
	Hogs      []Hog      `json:"hogs"` // every test by HogRule, highest rise first
	// MemoryAtKill accounts for the killed process's memory at the kill;
	// null when no process has a reading.
	MemoryAtKill *MemoryAccount `json:"memory_at_kill"`
	// HogRule is the rise a test's peak needs to be a hog, and how many
	// tests rose above the noise floor but below it (named nowhere).
	HogRule  HogRule    `json:"hog_rule"`
	Timeline []TestSpan `json:"timeline"`
	// TimelineTotal is how many tests the whole timeline has: more than
	// len(Timeline) when Options.TimelineTail kept only the last ones (the
	// text and Markdown reports show only those). Not in the JSON, whose
	// timeline is always whole; 0 in a report read back from it.
	TimelineTotal int         `json:"-"`
	Cores         []CoreDump  `json:"cores"`
	Verdict       string      `json:"verdict"` // one sentence
	Warnings      []string    `json:"warnings"`
	Samples       []RSSSample `json:"samples,omitempty"` // periodic RSS samples, for charts
	// FixturesHeld are module, class, package or session fixtures made
	// (fixture_setup record) and not torn down when the record ends: the
	// memory their setup took is held by them, not leaked by a test.
	FixturesHeld []FixtureHeld `json:"fixtures_held,omitempty"`
	// Cgroups are the job's memory cgroups, from their files.
	Cgroups []CgroupMemory `json:"cgroups,omitempty"`
}

// Tool names the program and version that wrote a report.
type Tool struct {
	Name    string `json:"name"`    // "oomlens"
	Version string `json:"version"` // a module version (v1.2.3), or a commit and its time, or "dev"
}

// FixtureHeld is a live fixture's memory at the end of the record.
type FixtureHeld struct {
	Fixture   string `json:"fixture"`
	Scope     string `json:"scope"`
	SetUpBy   string `json:"set_up_by"` // the test during whose setup it was made
	Worker    string `json:"worker"`
	PID       int    `json:"pid"`
	HeldBytes int64  `json:"held_bytes"`
}

// Input is one file that was read, with what it was recognised as.
type Input struct {
	Path     string   `json:"path"`
	Kinds    []string `json:"kinds"` // kernel-log, pytest-log, diagnostics-jsonl, weathercop-log, junit-xml, collect-list, core, unrecognized
	Warnings []string `json:"warnings"`
}

// Kill is one kill found in a kernel log (or by a userspace killer).
type Kill struct {
	Kind       string   `json:"kind"` // kernel-oom-kill, systemd-oomd-kill, earlyoom-kill, systemd-unit-oom
	PID        int      `json:"pid"`
	Comm       string   `json:"comm"`
	Time       *string  `json:"time"` // RFC 3339, or null when no wall clock is known
	TimeBasis  string   `json:"time_basis"`
	UptimeS    *float64 `json:"uptime_s"`
	Constraint string   `json:"constraint"`
	OOMMemcg   string   `json:"oom_memcg"`
	TaskMemcg  string   `json:"task_memcg"`
	// Outcome is how the kernel record ended: "killed", "panic"
	// (panic_on_oom), "no-killable-process" (then the deadlock panic), or
	// "" when the record does not say (cut off, ratelimited, filtered).
	Outcome string `json:"outcome"`
	// InvokerPID and InvokerComm are the task that invoked the OOM killer
	// (`<comm> invoked oom-killer:` and the stack dump's PID); it is often
	// not the victim. nil / "" when the record does not say.
	InvokerPID  *int   `json:"invoker_pid"`
	InvokerComm string `json:"invoker_comm"`
	// The Killed line's sizes; nil when the record printed none (no Killed
	// line, or a ≤2.6.2x one without sizes).
	TotalVMBytes    *int64   `json:"total_vm_bytes"`
	AnonRSSBytes    *int64   `json:"anon_rss_bytes"`
	FileRSSBytes    *int64   `json:"file_rss_bytes"`
	ShmemRSSBytes   *int64   `json:"shmem_rss_bytes"`
	MemcgUsageBytes *int64   `json:"memcg_usage_bytes"`
	MemcgLimitBytes *int64   `json:"memcg_limit_bytes"` // null when absent or unlimited
	EndedRun        bool     `json:"ended_run"`
	Source          string   `json:"source"` // "file:line" of the Killed process line
	Partial         bool     `json:"partial"`
	KeyLines        []string `json:"key_lines,omitempty"` // the kernel record's key lines, prefix stripped
	// Host is the host that logged the record, as its syslog prefix names
	// it; left out when the log names none.
	Host string `json:"host,omitempty"`
}

// RunEnd says how the test run ended.
type RunEnd struct {
	Kind     string   `json:"kind"` // complete, oom-kill, sigkill, timeout, crash, cancelled, memoryerror, unknown
	ExitCode *int     `json:"exit_code"`
	Evidence []string `json:"evidence"` // "file:line: text"
	// ConfirmedBy names the evidence that settled Kind (confirm.go):
	// kernel-record, cgroup-oom-kill, pod-status, pod-event, ci-oomkilled,
	// ci-message, pytest-timeout, exit-status, shell, pytest, record.
	ConfirmedBy string `json:"confirmed_by,omitempty"`
	// Strength is how sure Kind is: "strong" (a kernel record matched by
	// pid, the CI's or pytest-timeout's own words), "medium" (a memory
	// cgroup's oom_kill count or Kubernetes' OOMKilled: no victim pid, no
	// per-process figures; a kernel record matched by time; an exit status
	// that has other senders), "weak" (a kernel record tied by process name
	// only; a bare SIGKILL).
	Strength string `json:"strength,omitempty"`
}

// CgroupMemory is what the job's memory cgroup files say.
type CgroupMemory struct {
	Dir          string   `json:"dir"` // the folder of the files
	Version      int      `json:"version"`
	OOMKills     *int64   `json:"oom_kills"`
	OOMKillsFrom string   `json:"oom_kills_from,omitempty"` // "memory.events oom_kill"
	LimitBytes   *int64   `json:"limit_bytes"`              // null when unlimited or not given
	PeakBytes    *int64   `json:"peak_bytes"`
	CurrentBytes *int64   `json:"current_bytes"`
	FailCount    *int64   `json:"fail_count"`
	Files        []string `json:"files"`
}

// Alignment says how the clocks of the inputs were put on one wall clock.
type Alignment struct {
	Method       string   `json:"method"` // e.g. "diagnostics-boot-time", "kernel-wall-clock", "--boot-time", "this-host", "none"
	UncertaintyS *float64 `json:"uncertainty_s"`
	BootTime     *string  `json:"boot_time,omitempty"` // RFC 3339
}

// InFlight is a test that was running when the process died.
type InFlight struct {
	Test               string   `json:"test"`
	Worker             string   `json:"worker"`
	PID                int      `json:"pid"`
	Basis              string   `json:"basis"` // verbose-log, dots-position, xdist-crash, diagnostics, record
	AddedBytesEstimate *int64   `json:"added_bytes_estimate"`
	Evidence           []string `json:"evidence"`
}

// Leak is a test that added memory still held at the kill.
type Leak struct {
	Test          string         `json:"test"`
	Worker        string         `json:"worker"`
	PID           int            `json:"pid"`
	RetainedBytes int64          `json:"retained_bytes"`
	ShareOfKill   *float64       `json:"share_of_kill"` // 0 to 1, or null
	OpenObjects   map[string]int `json:"open_objects"`
	Confidence    string         `json:"confidence"` // high, medium, low
	Evidence      []string       `json:"evidence"`
	// Group is set when the leak is a group of tests that each kept less
	// than the noise floor (Test is then the group's id).
	Group *Group `json:"group,omitempty"`
}

// Group is a creeping leak: the tests of one parametrized test, class,
// module or live fixture that each kept a little, consistently.
type Group struct {
	Kind             string `json:"kind"` // parametrize, class, module, fixture
	Members          int    `json:"members"`
	RetainingMembers int    `json:"retaining_members"`
	// MedianMemberBytes, MinMemberBytes and MaxMemberBytes are over the
	// retaining members.
	MedianMemberBytes int64  `json:"median_member_bytes"`
	MinMemberBytes    int64  `json:"min_member_bytes"`
	MaxMemberBytes    int64  `json:"max_member_bytes"`
	Fixture           string `json:"fixture,omitempty"` // kind fixture: its name and scope
	Scope             string `json:"scope,omitempty"`
}

// Unclosed is a test that left objects open holding less than the noise floor.
type Unclosed struct {
	Test        string         `json:"test"`
	Worker      string         `json:"worker"`
	OpenObjects map[string]int `json:"open_objects"`
	Evidence    []string       `json:"evidence"`
}

// Hog is a test with a high peak and no lasting retention.
type Hog struct {
	Test      string `json:"test"`
	Worker    string `json:"worker"`
	PeakBytes int64  `json:"peak_bytes"`
	// RiseBytes is the peak over the test's start reading, less what its
	// fixtures took (or its tracemalloc peak, when higher): what ranks it.
	RiseBytes     int64    `json:"rise_bytes"`
	RetainedBytes int64    `json:"retained_bytes"`
	Evidence      []string `json:"evidence"`
}

// MemoryAccount splits the killed process's memory at the kill (else its
// last reading) into parts that add up to TotalBytes exactly, none
// negative, each with its basis. All are in one measure: anonymous RSS
// when the kernel's anon-rss and the process's readings both have it, else
// RSS.
type MemoryAccount struct {
	PID              int          `json:"pid"`
	Worker           string       `json:"worker"`
	Measure          string       `json:"measure"` // "anonymous RSS" or "RSS"
	TotalBytes       int64        `json:"total_bytes"`
	BaselineBytes    int64        `json:"baseline_bytes"`    // the process at its session start
	LeaksBytes       int64        `json:"leaks_bytes"`       // tests named on their own
	GroupsBytes      int64        `json:"groups_bytes"`      // groups' members
	FixturesBytes    int64        `json:"fixtures_bytes"`    // live fixtures' setup growth
	InFlightBytes    int64        `json:"in_flight_bytes"`   // what the running test added
	UnexplainedBytes int64        `json:"unexplained_bytes"` // the rest
	ExplainedShare   float64      `json:"explained_share"`   // 1 − unexplained ÷ total, 0 to 1
	Basis            AccountBasis `json:"basis"`
}

// AccountBasis says where each part of a MemoryAccount comes from.
type AccountBasis struct {
	Total       string `json:"total_bytes"`
	Baseline    string `json:"baseline_bytes"`
	Leaks       string `json:"leaks_bytes"`
	Groups      string `json:"groups_bytes"`
	Fixtures    string `json:"fixtures_bytes"`
	InFlight    string `json:"in_flight_bytes"`
	Unexplained string `json:"unexplained_bytes"`
}

// HogRule is the rule that makes a test a hog: its rise is at least
// ThresholdBytes, the noise floor or a tenth of the memory that ran out,
// whichever is higher.
type HogRule struct {
	ThresholdBytes int64  `json:"threshold_bytes"`
	Basis          string `json:"basis"`
	// TestsBelow counts the tests that rose at least the noise floor but
	// less than the threshold: they are no hogs, and are listed nowhere.
	TestsBelow int `json:"tests_below"`
}

// TestSpan is one test on the timeline. Times are RFC 3339 or null.
type TestSpan struct {
	Test           string  `json:"test"`
	Worker         string  `json:"worker"`
	PID            int     `json:"pid"`
	Start          *string `json:"start"`
	End            *string `json:"end"`
	Outcome        string  `json:"outcome"` // as pytest says it, or "in-flight", or "" when unknown
	RSSBeforeBytes *int64  `json:"rss_before_bytes"`
	RSSAfterBytes  *int64  `json:"rss_after_bytes"`
	PeakBytes      *int64  `json:"peak_bytes"`
}

// CoreDump is the summary of one core file.
type CoreDump struct {
	Path           string       `json:"path"`
	PID            int          `json:"pid"`
	Comm           string       `json:"comm"`
	Signal         string       `json:"signal"`
	AnonBytes      int64        `json:"anon_bytes"`
	FileBytes      int64        `json:"file_bytes"`
	LargestRegions []CoreRegion `json:"largest_regions"`
}

// CoreRegion is one anonymous mapping of a core.
type CoreRegion struct {
	Start     string `json:"start"` // hex address
	SizeBytes int64  `json:"size_bytes"`
	Perms     string `json:"perms"`
}

// RSSSample is one periodic RSS reading of one process, for charts.
type RSSSample struct {
	Time     string `json:"time"` // RFC 3339
	PID      int    `json:"pid"`
	Worker   string `json:"worker"`
	RSSBytes int64  `json:"rss_bytes"`
}
