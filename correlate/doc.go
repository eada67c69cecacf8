// Package correlate is the point of oomlens: given everything read from one
// failed job (kernel OOM records, the pytest log, per-test memory records,
// cores), it says which tests leaked the memory, which test was only the
// victim, which tests were hogs that gave their memory back, and why. It
// builds a Report (model.go, the JSON contract "oomlens/report/v1"); package
// report renders it. Nothing here prints.
//
// # The model
//
// The files follow the stages of the analysis, in order: normalise
// (evidence.go, the parsers' outputs into the model of norm.go; record.go
// for `oomlens record` jobs), clocks (clock.go), kills (kill.go), the
// ledger (ledger.go), counters (counters.go), classification (classify.go:
// leaks, unclosed, hogs), groups (groups.go), in flight (inflight.go), the
// account (account.go), the timeline (timeline.go) and the verdict
// (verdict.go); analyze.go runs them.
//
// Analyze first turns the parsers' outputs (evidence.go) into a normalised
// job (norm.go). The records of diagnostics files and weathercop logs, a
// million on the largest suites, become steps as they are read
// (DiagnosticsStream, WeathercopStream: job.Load hands them Stream's
// records), so they are never held twice; the steps are let go once the
// ledger and the account have read them (scripts/bench-analyze.sh,
// issue 18). The job is:
//
//   - processes: one per pid and xdist worker (diagnostics records carry
//     both; a weathercop log is one process with no pid), each with an
//     ordered list of steps — test start (the reading before setup), test
//     end (the reading after teardown), fixture setup and fixture teardown
//     (readings before and after) — and periodic samples;
//   - tests as the pytest log reports them (node id, worker, outcome, CI
//     stamps), and the tests it shows in flight;
//   - kills from kernel logs and userspace killers;
//   - clock hints: ways to put kernel uptime on the wall clock.
//
// Tests are joined across inputs by node id. Weathercop's bare names
// (request.node.name) are matched to node ids by their last "::" part, the
// k-th occurrence of a name to the k-th node id with that name, in the order
// the pytest log (else the diagnostics, else the collection list) gives.
// Progress positions "file::#n" become the n-th test of that file in the
// collection list, else in the order the diagnostics name that file's tests.
// A faulthandler or pytest-timeout stack of the running thread names the
// test in flight by its file and function where the log shows only a
// position (basis "stack", pytestlog/stack.go).
// xdist workers are tied to pids by the diagnostics records' worker field.
//
// # Memory figures
//
// A change is measured in anonymous RSS (rss_anon_bytes) when both readings
// have it, else in RSS: file-backed pages come and go with the page cache,
// anonymous pages only with the process. A fixture record that gives the
// anonymous RSS only after its finalizer is taken to have left the
// file-backed part unchanged.
//
// # Attribution: the ledger
//
// Each process has a ledger of retained increments, walked in record order
// (ledger.go, one method per step: start, fixtureSetup, teardown, end; and
// release for rule 2):
//
//  1. A test's own increment is its end reading minus its start reading,
//     less any fixture setup growth inside it (see 4). When positive it goes
//     on the ledger as that test's entry; when negative it releases earlier
//     entries as in 2.
//  2. A drop that no fixture record explains — inside a later test, or
//     between two tests — releases the most recent entries first (LIFO): what
//     was added last is most likely what a later gc, cache clear or teardown
//     gives back. Entries held by live fixtures are skipped.
//  3. Growth between two tests (end of one, start of the next) is an entry
//     owned by no test; a warning names it when it stays above the floor.
//  4. A fixture_setup record's growth (after − before) is an entry of the
//     fixture, not of the test during which it was made. The fixture's
//     teardown gives that entry back first; what the teardown drop exceeds
//     is given back to the tests of the fixture's scope, earliest first
//     (FIFO over the contiguous run of tests, ending at the test during or
//     after which the teardown ran, that share its module (module scope),
//     its class (class), its directory (package), or all of the process's
//     tests (session)); function scope is the running test's own growth;
//     anything left, or an unknown scope, is released LIFO as in 2. The
//     first test that used a fixture is the one that set it up, hence FIFO:
//     a module fixture set up by test 1 (+300 MiB) and torn down after test
//     3 (−300 MiB) credits test 1, so test 2's 250 MiB leak stays test 2's.
//  5. What is left on a test's entry when the record ends is its retained
//     memory. What is left on a fixture's entry is listed in
//     Report.FixturesHeld: held by a live fixture, not leaked.
//
// A process-wide count of live objects (weathercop's "Open xarray datasets:
// N", a count of every dataset alive in the process at a test's end) is
// attributed the same way, per type: a rise between consecutive test ends
// is owned by the test during which it rose, a fall takes the most recent
// rises off. The owner of what is left "left it open"; later tests that
// merely still see the count are not blamed. The oomlens diagnostics'
// open_objects are already per test (objects made during this test and
// alive after it) and are taken as they are.
//
// # Classification
//
// With the noise floor F (Options.NoiseFloorBytes, 32 MiB by default: the
// first import of a big library keeps tens of MiB; a negative value means
// no floor):
//
//   - Leak: a finished test whose retained memory is ≥ F, or > 0 with open
//     objects whose reported sizes (nbytes) add up to ≥ F. Sorted by retained
//     memory, largest first. ShareOfKill is retained ÷ the killed process's
//     anon-rss at the kill when the leak is on that process, else ÷ the
//     memory cgroup's usage when the kill was a memcg OOM; when no kernel
//     record measured the kill but the job's cgroup or pod confirmed it,
//     ÷ the cgroup's peak usage, else its limit (the evidence says so);
//     null otherwise. Confidence is high with anonymous RSS readings or open
//     objects, medium with RSS readings alone and retention ≥ 2F, low when
//     the readings come from samples (record mode), from records several
//     processes may have written (interleaved weathercop log), or retention
//     is under 2F. Leaks on every process count: xdist workers share the
//     memory (and usually the cgroup) of the job, so each is named with its
//     worker and pid; but a process that wrote its session end before the
//     kill had freed everything by then, and its tests are not named (a
//     warning says what they kept).
//   - Unclosed: a test that is not a leak and left objects open.
//   - Group: creep, many tests that each keep a little (groups.go). The
//     finished tests not named on their own are grouped by parametrized
//     test (the node id with its parameters as [*]), class (path::Class::*),
//     module (path::*) and live fixture (the tests of a fixture's scope run
//     from its setter on, while it was never torn down: "fixture NAME
//     (SCOPE WHERE)"). A group is a leak when its members retain
//     consistently: at least 4 of them keep ≥ 1 MiB (F when lower) each
//     and they are at least half the members; none of them keeps more than
//     4 × their median, so one big leaker among noise is no group; and
//     together they keep ≥ F. Its retained memory is their sum. Groups are
//     tried narrowest first (fewest retaining members, then parametrize,
//     fixture, class, module, then fewest members); a group named takes its
//     members, so a wider one never counts the same bytes again. Confidence is high when every member's
//     change is in anonymous RSS, low with coarse readings, else medium.
//   - Hog: a test that is not a leak whose rise mattered: its peak RSS
//     (its own peak figure, the highest sample during it, a rise of VmHWM
//     over it, or its end reading) above its start reading, not counting
//     what fixtures made during it took (fixture_setup), or its tracemalloc
//     peak, is at least the hog threshold: F or a tenth of the memory that
//     ran out (the memory cgroup's limit when a memcg OOM ended the run,
//     else the killed process's RSS at the kill, else the highest RSS on
//     record), whichever is higher. Hogs are ranked by that rise; a test
//     that rose ≥ F but less than the threshold is no hog anywhere, and
//     Report.HogRule counts it. A test that set up a fixture later torn
//     down is a hog that gave its memory back, unless the teardown was read
//     from a drop at the end of its file or class in record mode (that
//     memory is the fixture's).
//   - In flight (the victim): a test start with no end on a process, merged
//     with the pytest log's dangling -v node id, progress position or xdist
//     crash for the same test or worker. The one on the killed pid comes
//     first. AddedBytesEstimate compares like with like: the kernel's
//     anon-rss at the kill minus the anonymous RSS at the test's start, or,
//     when the readings have no anonymous RSS, the kernel's whole RSS
//     (anon-rss + file-rss + shmem-rss) minus the VmRSS at its start (the
//     last reading on record before it began; the last reading of all when
//     its start has none): what the running test added before the kill.
//     When the kill's figure is below the start's, the estimate is
//     unknown (null), never negative. The evidence also says how far the
//     last sample was below the kill.
//
// # The account
//
// Report.MemoryAtKill splits the killed process's memory at the kill (the
// kernel's figure in the measure above; with no kill, its last reading) into
// the process at its session start (its first reading), the leaks named on
// their own, the groups, live fixtures' setup growth, what the test in
// flight added, and the rest (unexplained). Each part is taken in turn up to
// what is left of the total, so the parts add up to it exactly and none is
// negative; each says its basis, and the unexplained part what the ledger
// knows of it (retention under the floor outside groups, growth between
// tests). The verdict names the share explained.
//
// Without per-test memory evidence no leak is named, ever: the verdict names
// the test in flight and the warnings say what would settle it (the oomlens
// diagnostics plugin, `oomlens record`, pytest -v).
//
// # Record mode
//
// A job recorded by `oomlens record` has a diagnostics file with only
// session_start and sample records and a pytest log whose lines carry
// wall-clock stamps. A -v result line ends as the next test starts, so its
// stamp is the boundary between two tests, and the recorder reads the
// memory just after it (see record.go). A test's start and end readings are
// the sample at most 2 ms after its start and end stamps; without one, the
// samples around the stamp interpolated (a change between two samples is
// shared among the tests that ran then by their time, and they say so);
// lines read together (one stamp) give their tests no readings, and the
// change over them is no test's. A drop over the last test of a file or
// class is read as the teardown of its fixtures (rule 4). Its peak is the
// highest sample in between; the ledger then runs as above, every reading
// marked coarse (confidence low, the evidence saying how the readings were
// taken), and the in-flight test's basis is "record". record.json gives
// the run's end when the pytest log does not say, the kernel log's fate,
// a boot time (record-boot-time) and the sampling interval. The recorder
// samples every
// process of the command's tree: tests with an xdist worker id are read
// against that worker's process, the others against the pytest process (the
// one whose command line names pytest, else a Python one, else the largest).
//
// A failed test's end reading may include its frames' locals, which
// sys.last_traceback keeps until the next test's call (traceback_kept); the
// next test's drop then gives them back by rule 2, and a leak whose end
// reading was taken so says it.
//
// # Clocks
//
// Kernel stamps are seconds since boot. The boot time comes from, most
// trusted first: Options.BootTime (--boot-time); a diagnostics
// session_start's time − monotonic (CLOCK_MONOTONIC stops in suspend like
// printk's clock; ±0.05 s); its boot_time (btime, whole seconds; ±1 s); the
// kernel log's own wall-clock stamps (syslog, dmesg -T, journal: wall −
// uptime; ±1 s); the host oomlens runs on (Options.ThisHost, go-sysinfo).
// A kill that carries its own wall-clock stamp keeps it unless a boot time
// from the first three sources is known. Syslog stamps take their year from
// Options.Year, else from the other inputs (across a New Year if need be);
// stamps without a zone are read in Options.Location (UTC when nil, with a
// warning). Without Options.Location, weathercop's naive local stamps are
// compared with the CI log's UTC stamps of the same tests: the median
// difference, rounded to a quarter hour, is taken as their zone's offset.
// Report.Alignment names the method used for the kill that ended the run
// and its uncertainty; hints that disagree are a warning.
//
// # The kill that ended the run
//
// In order: a kill of the pid the shell reported Killed; a kill of a pid the
// job's records name (the pytest process or an xdist worker, also as a
// member of a memory.oom.group kill; the latest when several); a kill that
// falls where the log stopped — no earlier than
// the last test start on record, no later than the CI stamp of the kill
// marker (or six hours after the last record), a Python process preferred,
// the earliest such; last, when no time can be compared at all (kernel
// stamps since boot with no boot time, or a log without stamps) and the log
// does not show the run ending by itself, the only kill of a Python process
// in the kernel log's last boot, which the verdict then says is "tied to
// the job by its process name only". Such a match confirms an OOM kill:
// RunEnd.Kind becomes "oom-kill", ConfirmedBy "kernel-record", Strength
// "strong" (matched by pid), "medium" (by time) or "weak" (by name).
//
// Where no kernel record matches and the run ended by a SIGKILL or without
// saying how, other evidence of an OOM kill confirms it (confirm.go): an
// oom_kill count above 0 in the job's memory cgroup (v1 memory.oom_control,
// v2 memory.events, else memory.events.local; files of one folder are one
// cgroup), Kubernetes' OOMKilled in a container's state or lastState
// (kubectl get pod, describe pod), an OOMKilling, OOMKilled, CgroupOOM or
// SystemOOM event, or the CI runner relaying OOMKilled (GitLab's Kubernetes
// executor). Then RunEnd.Kind is "oom-kill", ConfirmedBy names the source
// and Strength is "medium": these say a process of the job's cgroup or
// container was OOM-killed, not which pid, and give no per-process figures
// (an OOMKilling event relaying the kernel's line names the pid). The
// verdict says so and gives the cgroup's limit (memory.max,
// memory.limit_in_bytes, else memory.stat hierarchical_memory_limit; the
// pod's resources.limits.memory) and peak (memory.peak,
// memory.max_usage_in_bytes) in place of the kernel's figures; it never
// says "cause unconfirmed". Such evidence beside a cancel, a timeout, a
// crash or a completed run does not override it: a warning says a process
// of the job was OOM-killed. A SIGKILL nothing confirms stays "sigkill"
// and the verdict says "cause unconfirmed".
//
// Every other end says what settled it and how sure it is: the words of
// whoever ended the run — the CI's cancel ("The operation was canceled",
// "The runner has received a shutdown signal"), its time limit,
// pytest-timeout's banner, faulthandler's "Fatal Python error" — are
// "ci-message", strong; an exit status or a signal's name (143, 124,
// Terminated) is "exit-status", medium, since others can send them. A
// cancel or a timeout is told in plain words and its verdict never names
// SIGKILL. A CI cancel outranks the exit 137 of the runner's own kill
// after it. Every
// kill is listed, in time order, the one that ended the run first with
// EndedRun set. Without a pytest log, processes whose records end with
// session_end (SESSION_END) completed the run.
//
// # The verdict
//
// One sentence: how the run ended (the kill, with its pid, comm and memory
// cgroup), which tests and groups retained how much (sizes in binary units,
// one decimal), which test was only running, and the share of the memory at
// the kill the account explains, e.g. "OOM kill of pid 4242
// (python) in memcg /ci/job: 2 tests retained 2.1 GiB that was never
// released (tests/test_io.py::test_cache 1.2 GiB, tests/test_mem.py::
// test_list 900.0 MiB); tests/test_big.py::test_alloc was only running when
// the limit was hit; this explains 93% of the 2.5 GiB at the kill."
package correlate
