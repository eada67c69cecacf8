// Package pytestlog reads what is left of a pytest run after it was killed:
// the partial terminal output (often inside a CI log), the collection order
// of `pytest --collect-only -q`, and JUnit XML reports.
//
// After a SIGKILL pytest prints nothing more: no short summary, no final
// "=== N passed in Xs ===" line, no JUnit XML (junitxml.py writes it in
// pytest_sessionfinish). Parse therefore rebuilds the run from the lines that
// were already out: which tests reported which outcome, which test was
// running, how the run ended and, under pytest-xdist, what each worker ran.
//
// # Model
//
// A Log holds one Session per pytest run ("test session starts", or the
// first pytest line of a log that starts later; a run after a completed one
// is a new session: tox envs, reruns). A Session has:
//
//   - Header: terminal.py pytest_sessionstart / pytest_report_header /
//     report_collect (platform line, rootdir/configfile/testpaths in the
//     comma-joined form of pytest < 7.3 and the one-per-line form after,
//     "inifile:" before 6.1, plugins, "collected N items / ..."), and xdist's
//     status lines (dsession.py: "created: 8/8 workers",
//     "8 workers [1234 items]", the older "gw0 [318] / gw1 [318]",
//     "bringing up nodes...", "scheduling tests via ...").
//   - Mode and Tests: -v lines ("nodeid WORD (reason) [ NN%]", count style
//     "[ 3/10]", " <- other.py" of -vv) in ModeVerbose; the letters of the
//     default and -q output ("path ..F.s [ 40%]", wrapped continuation lines,
//     no file names with -q) in ModeProgress, where a test is a Position
//     "path::#n" (n-th letter of that file, rerun letters "R" not counted)
//     or "#n" (n-th of the run, -q) until Options.Collect or the short
//     summary names it; "[gwN] [ NN%] WORD nodeid" in ModeXdistVerbose;
//     letters only in ModeXdistProgress (xdist sets showfspath = False).
//   - InFlight: the test that started and never reported. In -v mode it is
//     the node id pytest_runtest_logstart wrote with no result word (the
//     shell's "Killed" can be glued after it, or arrive before it: both are
//     handled). In progress mode it is the next letter's position. Under
//     xdist it is each dead worker's test ("worker 'gwN' crashed while
//     running", or the [gwN] FAILED report that follows "[gwN] node down"),
//     and, when the controller itself was killed, the echoed node ids with
//     no result (the worker is named only when exactly one worker fell
//     silent after the echo). Killed before collection finished, it is
//     BasisCollection with no test.
//   - Workers: per xdist worker, the node ids it reported in order, whether
//     and while running what it crashed, the "node down" reason, and the
//     replacement worker (xdist numbers replacements above every id so far).
//   - End: how the run ended (complete, sigkill, timeout, crash, cancelled,
//     memoryerror, unknown) with the lines that show it: shell job status
//     ("x.sh: line 1:  1950 Killed  pytest", pid kept), zsh, dash, make,
//     tox/nox exit -9, OOMKilled, the CI verdicts of GitHub Actions, Azure,
//     GitLab, CircleCI, Jenkins and Travis, runner shutdown or loss,
//     pytest-timeout's banner, faulthandler's "Fatal Python error", and a
//     MemoryError inside Python (an allocation failed; not a kill). The
//     final line wins; then timeout > crash > sigkill > cancelled >
//     memoryerror. "sigkill" means a SIGKILL was seen, not that the kernel's
//     OOM killer sent it: only the kernel log can say that.
//
// # Input
//
// CI prefixes are removed before reading: GitHub Actions and Azure ISO-8601
// stamps with 7 fractional digits, Jenkins "[...Z] " (also doubled, or with a
// container name and a tab inside), Buildkite's APC escape, GitLab section
// markers, ANSI escapes, "\r" rewrites (each segment is read), a UTF-8 BOM,
// and the line anchors of a GitHub web-UI copy. The outermost stamp is kept
// (UTC): a runner stamps a line when its newline arrives, so a -v result
// line's stamp is its test's end and the next test's start; under xdist it
// is an upper bound, since the line ends only when the next event is written.
//
// Lines longer than MaxLineBytes are truncated with a Warning; memory grows
// with the number of tests, not with the input size (a kept string keeps at
// most its own line; of ParseBytes's input of up to 1 MiB, the block of up
// to 32 KiB of lines it was copied in). Parse never fails on content: what it cannot read is
// skipped, and partial evidence (a log that stops inside an unrecognised
// line, a result line cut inside its node id) is a Warning with its line.
//
// # Speed
//
// Every line passes through many regular expressions; literal checks run
// first (prefilter.go, held to the expressions by TestPrefiltersOnSamples
// and FuzzPrefilters). The plain -v result line, most of a -v log, is read
// at once when a few string checks show that no other reader could take it
// (plain.go: BenchmarkParseVerbose, BenchmarkParseJob; TestPlainResult and
// FuzzPlainResult parse logs both ways and compare). The header's lines and
// the common end markers, which each ran an expression as costly as a dozen
// result lines, are read by hand when their shape is plain (fast.go, held
// to the expressions by TestFastReaders and FuzzFastReaders). ParseBytes
// reads an input already in memory in place, without Parse's copy through a
// buffer: it copies its lines a block at a time, and asks each block, not
// each line, whether it holds a '\r' or an escape (BenchmarkParseBytesJob;
// TestParseBytesAgrees and FuzzParseBytes hold it to Parse).
//
// # Limits
//
// In progress mode a teardown error prints a second letter for the same test
// ("." then "E"), which shifts later positions in that file; verbose mode
// does not have this problem. A progress line closed at a file boundary whose
// letters reach exactly the wrapping column reads as wrapped. Under xdist
// without -v the log never says what was running when the controller died
// (only crashed workers' tests are known). Output a test prints with -s lands
// on its echo line: with Options.Collect the node id is the longest collected
// prefix, without it the text up to the first space outside brackets (wrong
// for plugin items whose names hold spaces). A kill between two -v tests (in
// teardown, or before the next echo) leaves nothing in flight.
//
// # Sources
//
// Shapes were checked against pytest's src/_pytest/terminal.py (7.2.1, Debian
// python3-pytest, and tag 7.3.0 for the header change), junitxml.py
// (mangle_test_address, reversed by ParseJUnit), python.py
// (_ascii_escaped_by_config: non-ASCII ids print as "\xe9"/"\u65e5"),
// pytest-xdist's dsession.py and plugin.py (3.1.0, Debian python3-pytest-xdist;
// 2.5 for the older status line), pytest-timeout's pytest_timeout.py, the
// public samples in testdata/corpus/pytest (see SOURCES.md there), and logs
// made with the real pytest 7.2.1 / xdist 3.1.0 by scripts/make-pytest-logs.sh
// (testdata/pytest). The line catalogue is ../shared/reference/PYTEST-CI.md.
package pytestlog
