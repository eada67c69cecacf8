package pytestlog

import "time"

// Options tunes Parse.
type Options struct {
	// Name names the input in warnings and errors (a file path, "-" for stdin).
	Name string
	// Collect is the collection order printed by `pytest --collect-only -q`
	// (see ParseCollectList). When given, progress-mode positions
	// ("path/test_x.py::#3") are resolved to node ids. May be nil.
	Collect []string
}

// Log is everything Parse found in one input.
type Log struct {
	// Sessions are the pytest sessions in the order they started (tox, reruns
	// and make targets can run several in one CI log).
	Sessions []Session
	// Warnings report partial evidence (a line cut short, an over-long line,
	// a log that ends mid-line) with the 1-based line number.
	Warnings []Warning
	// Lines is the number of lines read.
	Lines int
}

// Warning is partial or doubtful evidence; parsing carried on past it.
// Message does not repeat the input's name or the line: callers prefix them
// ("name:line: message"), as for the other parsers' warnings.
type Warning struct {
	Line    int // 1-based; 0 for a warning about the whole input
	Message string
}

// Session modes: how pytest reported results (terminal.py chooses the shape
// from the verbosity; xdist's terminal reporter prefixes results with [gwN]).
const (
	ModeVerbose       = "verbose"        // -v/-vv: "nodeid PASSED [ 10%]"
	ModeProgress      = "progress"       // default/-q: "path/test_x.py ..F. [ 40%]"
	ModeXdistVerbose  = "xdist-verbose"  // -n N -v: "[gw0] [ 10%] PASSED nodeid"
	ModeXdistProgress = "xdist-progress" // -n N: letters only, no file names
)

// Outcomes, in the words pytest's verbose mode uses, lower-cased
// (terminal.py pytest_report_teststatus / skipping.py). Plugin letters that
// have no known word are kept as the letter itself ("M", "L" ...).
const (
	OutcomePassed  = "passed"
	OutcomeFailed  = "failed"
	OutcomeError   = "error"
	OutcomeSkipped = "skipped"
	OutcomeXfailed = "xfailed"
	OutcomeXpassed = "xpassed"
	OutcomeRerun   = "rerun"  // pytest-rerunfailures
	OutcomeLeaked  = "leaked" // pytest-leaks
)

// Session is one pytest run inside the log.
type Session struct {
	// FirstLine and LastLine are the 1-based lines the session spans.
	FirstLine, LastLine int
	Header              Header
	// Mode is one of the Mode* constants, "" when no result was seen.
	Mode string
	// Tests are the results in the order pytest reported them. A test can
	// appear twice (a teardown error after a pass, reruns).
	Tests []Test
	// InFlight names what was running when the log stopped: one entry for a
	// plain run (none when it completed or nothing was pending), and under
	// xdist one per dead worker (also in a completed run) plus, when the
	// controller was killed, each echoed node id with no result.
	InFlight []InFlight
	// Workers is the xdist worker history (nil without xdist), in the order
	// the workers were first seen.
	Workers []Worker
	End     RunEnd
	// Summary holds the counts of pytest's final line ("passed": 10,
	// "failed": 1, "warnings": 2 ...), nil when the line was not printed.
	Summary map[string]int
	// DurationS is the wall time of the final line ("in 12.34s").
	DurationS float64
	// Complete is true when the final "=== N passed in Xs ===" line was seen.
	Complete bool
}

// Header is the session header pytest prints before the first result
// (terminal.py pytest_sessionstart, pytest_report_header, report_collect) and
// xdist's worker status lines (dsession.py).
type Header struct {
	// Line is where "test session starts" was (0 when the log starts later
	// or the run was -q).
	Line          int
	Platform      string // "linux", "darwin", "win32"
	PythonVersion string // "3.10.9"
	PytestVersion string // "7.2.1"
	PyVersion     string // py-x.y.z, pytest <= 6
	PluggyVersion string
	Executable    string // " -- /path/python", only with -v
	Cachedir      string
	Rootdir       string
	// Configfile is "configfile:" (pytest >= 6.1) or "inifile:" (older).
	Configfile string
	Testpaths  string
	// Plugins are "name-version" entries of the plugins: line.
	Plugins []string
	// Extra keeps header lines this parser does not model (benchmark:,
	// asyncio:, metadata: ...), verbatim.
	Extra []string

	// From "collected 227 items / 1 error / 2 deselected / 1 skipped / 224 selected".
	HasCollected bool
	Collected    int
	Errors       int
	Deselected   int
	Skipped      int
	Selected     int

	// xdist: "created: 8/8 workers", "8 workers [1234 items]", old "gw0 [318] / gw1 [318]".
	Workers    int
	Items      int
	Scheduling string // "LoadScheduling", "LoadFileScheduling" ...
}

// Test is one reported result.
type Test struct {
	// NodeID is exactly as pytest printed it (non-ASCII stays escaped as
	// "\u00e9" when pytest escaped it). In progress mode it is "" unless
	// Options.Collect resolved Position.
	NodeID string
	// Position is "path/test_x.py::#n" (1-based letter count within the
	// file; rerun letters do not count) in progress mode, "#n" (1-based over
	// the session) when no file names are printed (-q, xdist), "" in verbose
	// modes. Kept when the node id is resolved.
	Position string
	// File is the test file (the node id up to the first "::").
	File string
	// Outcome is one of the Outcome* constants or a plugin letter.
	Outcome string
	// Reason is the "(reason)" of SKIPPED/XFAIL lines or the " - reason" of
	// the short summary.
	Reason string
	// Worker is the xdist worker id ("gw0") when known.
	Worker string
	// Percent is the "[ NN%]" progress after this test, -1 when not printed.
	Percent int
	// Done/Total come from console_output_style=count "[ 3/10]" (0 otherwise).
	Done, Total int
	// Line is the 1-based line of the result.
	Line int
	// Start and End come from CI timestamps (UTC). A runner stamps a line
	// when its newline arrives, so a -v result line's stamp is its test's
	// end, and the previous line's stamp is its start.
	Start, End       time.Time
	HasStart, HasEnd bool
}

// InFlight bases: why this parser believes the test was running.
const (
	BasisVerboseLog   = "verbose-log"   // a -v node id with no outcome word
	BasisDotsPosition = "dots-position" // progress letters counted in a file
	BasisXdistCrash   = "xdist-crash"   // "worker 'gw0' crashed while running" / node down
	BasisCollection   = "collection"    // killed before collection finished
	BasisStack        = "stack"         // faulthandler's or pytest-timeout's stack of the running thread
)

// InFlight is a test that started and never reported a result.
type InFlight struct {
	// Test is the node id, or the position "path/test_x.py::#n" when only
	// progress letters were printed and Options.Collect could not resolve it;
	// "" during collection.
	Test string
	File string
	// Worker is the xdist worker: from the crash report, or, for an echo
	// with no result, the one worker that fell silent after it ("" when
	// unknown).
	Worker string
	Basis  string // one of the Basis* constants
	Line   int
	// Start is the CI timestamp at which it started, when the log has one.
	Start    time.Time
	HasStart bool
}

// Worker is one pytest-xdist worker (dsession.py / workermanage.py).
type Worker struct {
	ID string // "gw0"
	// Tests are the node ids this worker reported, in order (xdist -v only).
	Tests []string
	// Crashed is set by "[gwN] node down: ..." or "worker 'gwN' crashed ...".
	Crashed bool
	// CrashedWhile is the node id the worker was running when it died.
	CrashedWhile string
	// CrashLine is the line of the first crash evidence.
	CrashLine int
	// ReplacedBy is the id of the worker started after "replacing crashed
	// worker gwN" (ids keep increasing: gw6, gw7 ...).
	ReplacedBy string
	// NodeDown is the reason of "[gwN] node down: <reason>".
	NodeDown string
}

// End kinds.
const (
	EndComplete    = "complete"    // pytest printed its final line
	EndSIGKILL     = "sigkill"     // a kill marker or exit 137/-9; cause unconfirmed without dmesg
	EndTimeout     = "timeout"     // pytest-timeout banner or a CI time limit
	EndCrash       = "crash"       // Fatal Python error, segfault (exit 139)
	EndCancelled   = "cancelled"   // exit 143/-15, a CI cancel
	EndMemoryError = "memoryerror" // MemoryError inside Python: an allocation failed, no kill
	EndUnknown     = "unknown"     // the log just stops
)

// RunEnd says how the run ended and which lines show it.
type RunEnd struct {
	Kind        string // one of the End* constants
	ExitCode    int
	HasExitCode bool
	// KilledPID is the pid of a bash job-status line ("line 1:  1950 Killed"),
	// to match against the kernel's "Killed process <pid>"; 0 when unknown.
	KilledPID int
	// KilledCommand is the command of that job-status line.
	KilledCommand string
	// Certain is set when Kind comes from the words of whoever ended the
	// run (a CI runner's cancel or time-limit message, pytest-timeout's
	// banner, faulthandler's), not from an exit status or a signal's name;
	// Decisive is that line.
	Certain  bool
	Decisive string
	// OOMKilled is the line where Kubernetes or a container runtime,
	// relayed by the CI runner, says the container was OOMKilled.
	OOMKilled     string
	OOMKilledLine int
	Evidence      []Evidence
	// Time is the CI timestamp of the first evidence line, when present.
	Time    time.Time
	HasTime bool
}

// Evidence is one line that shows how the run ended (CI prefix removed).
type Evidence struct {
	Line int
	Text string
}
