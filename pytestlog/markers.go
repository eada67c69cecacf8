package pytestlog

import (
	"strconv"
	"strings"
)

// endMarker is a line (or the tail of a line) that says how the run ended:
// a shell's job-status message, a CI runner's verdict, a crash banner.
// Shells and runners write to a different stream than pytest, so the marker
// is often glued onto pytest's unfinished line (PYTEST-CI.md §1.7): start is
// where the marker begins, and the text before it is still pytest's.
type endMarker struct {
	// lettersPrefix is the length of progress letters that may be glued to
	// the front of a job-status line's script path; the parser decides from
	// context whether they are pytest's.
	lettersPrefix int
	weak          bool
	// certain markers name their cause in the words of whoever ended the
	// run (a CI runner's cancel or time-limit message, pytest-timeout's
	// banner, faulthandler's), not by an exit status or signal name that
	// has other senders.
	certain bool
	// oomKilled is set when a container runtime or Kubernetes, relayed by
	// the CI runner, says the container was OOMKilled.
	oomKilled bool
	start     int
	kind      string // an End* kind, or "" when only an exit code is known
	exit      int
	hasExit   bool
	pid       int
	cmd       string
	text      string
}

type markerRule struct {
	// needle is a literal every match contains: most lines hold none, and a
	// substring search is far cheaper than 27 regexp scans.
	needle string
	re     *lazyRegexp
	// weak rules also match ordinary test output, so they are not trusted
	// inside FAILURES/ERRORS/PASSES sections (captured output lives there).
	weak bool
	// fn fills the marker from the submatches.
	fn func(m []string, e *endMarker)
}

func exitKind(code int) string {
	switch code {
	case 137, -9:
		return EndSIGKILL
	case 143, -15:
		return EndCancelled
	case 139, -11, 134, -6, 135, -7:
		return EndCrash
	case 124:
		return EndTimeout // coreutils timeout(1)
	}
	return ""
}

func setExit(e *endMarker, s string) {
	if n, err := strconv.Atoi(s); err == nil {
		e.exit, e.hasExit = n, true
		e.kind = exitKind(n)
	}
}

// exitedWithRe is tox 3's "(exited with code -9)" and nox's "failed with
// exit code -9"; every match holds "exited with " or "failed with ".
var exitedWithRe = lazyRe(`((?:exited|failed) with (?:exit )?code (-?\d+)\b.*)$`)

var markerRules = []markerRule{
	// bash/sh job status: "/x.sh: line 1:  1950 Killed                  pytest"
	// (the pid is padded to 5; sample 17 quotes it lower-case).
	{": line ", lazyRe(`(?:^|\s)(\S+: line \d+:\s+(\d+) ([Kk]illed|Segmentation fault|Terminated|Aborted|Bus error)(?: \(core dumped\))?)(?:\s+(.*?))?\s*$`), false,
		func(m []string, e *endMarker) {
			// progress letters glued to an absolute script path
			// ("....sxF../tmp/run.sh: line 1: ..."): see lettersPrefix.
			// or a -v result's "[ 50%]" ("...[ 50%]/x.sh: line 1: ...",
			// killed before the next test's echo).
			if i := strings.IndexByte(m[1], '/'); i > 0 && isAllLetters(m[1][:i]) {
				e.lettersPrefix = i
			} else if i > 0 && strings.HasSuffix(m[1][:i], "%]") {
				e.start += i
			}
			e.pid, _ = strconv.Atoi(m[2])
			e.cmd = m[4]
			switch strings.ToLower(m[3]) {
			case "killed":
				e.kind = EndSIGKILL
			case "terminated":
				e.kind = EndCancelled
			default:
				e.kind = EndCrash
			}
		}},
	// zsh: "zsh: killed     pytest tests/x.py"
	{"zsh: ", lazyRe(`(zsh: (killed|terminated|segmentation fault|bus error|abort))(?:\s+(.*?))?\s*$`), false,
		func(m []string, e *endMarker) {
			e.cmd = m[3]
			switch m[2] {
			case "killed":
				e.kind = EndSIGKILL
			case "terminated":
				e.kind = EndCancelled
			default:
				e.kind = EndCrash
			}
		}},
	// make: "make: *** [Makefile:40: pytest] Killed" / "... Error 137"
	{"make", lazyRe(`(make(?:\[\d+\])?: \*\*\* \[.+?\] (Killed|Error (-?\d+)|Segmentation fault|Terminated))`), false,
		func(m []string, e *endMarker) {
			switch {
			case m[2] == "Killed":
				e.kind = EndSIGKILL
			case m[2] == "Terminated":
				e.kind = EndCancelled
			case m[2] == "Segmentation fault":
				e.kind = EndCrash
			default:
				setExit(e, m[3])
			}
		}},
	// GitHub Actions raw "##[error]Process completed with exit code 137.", the
	// web UI's "Error: Process completed ...", sample 18's bare form.
	{"Process completed", lazyReFast(`((?:##\[error\]|Error: )?Process completed with exit code (-?\d+)\.?)`, readProcessCompleted), false,
		func(m []string, e *endMarker) { setExit(e, m[2]) }},
	// Azure Pipelines: "##[error]Bash exited with code '137'."
	{"exited with code '", lazyRe(`(##\[error\]\S+ exited with code '(-?\d+)'\.?)`), false,
		func(m []string, e *endMarker) { setExit(e, m[2]) }},
	// Other runner errors that name an exit code ("##[error]Script failed
	// with exit code: 137").
	{"##[error]", lazyReFast(`(##\[error\].*?exit code:? '?(-?\d+)'?.*)$`, readErrorExitCode), false,
		func(m []string, e *endMarker) { setExit(e, m[2]) }},
	// GitLab: "ERROR: Job failed: exit code 137", k8s "... command terminated with exit code 137".
	{"ERROR: Job failed", lazyRe(`(ERROR: Job failed: (?:command terminated with )?exit code (-?\d+))`), false,
		func(m []string, e *endMarker) { setExit(e, m[2]) }},
	{"ERROR: Job failed", lazyRe(`(ERROR: Job failed: execution took longer than .*)$`), false,
		func(m []string, e *endMarker) { e.certain = true; e.kind = EndTimeout }},
	{"ERROR: Job failed", lazyRe(`(ERROR: Job failed: canceled.*)$`), false,
		func(m []string, e *endMarker) { e.certain = true; e.kind = EndCancelled }},
	// CircleCI: "Exited with code exit status 137", the agent-kill paragraph,
	// `Received "killed" signal`, the no-output timeout.
	{"Exited with code", lazyRe(`(Exited with code (?:exit status )?(-?\d+))`), false,
		func(m []string, e *endMarker) { setExit(e, m[2]) }},
	{"CircleCI agent", lazyRe(`(CircleCI agent received a kill signal.*)$`), false,
		func(m []string, e *endMarker) { e.kind = EndSIGKILL }},
	{"Received \"killed\"", lazyRe(`(Received "killed" signal.*)$`), false,
		func(m []string, e *endMarker) { e.kind = EndSIGKILL }},
	{"Too long with no output", lazyRe(`(Too long with no output \(exceeded [^)]*\).*)$`), false,
		func(m []string, e *endMarker) { e.certain = true; e.kind = EndTimeout }},
	// Jenkins pipeline sh step.
	{"script returned exit code", lazyRe(`(script returned exit code (-?\d+))`), false,
		func(m []string, e *endMarker) { setExit(e, m[2]) }},
	// Travis.
	{"The command \"", lazyRe(`(The command "(.*)" exited with (-?\d+)\.)`), false,
		func(m []string, e *endMarker) { e.cmd = m[2]; setExit(e, m[3]) }},
	{"No output has been received", lazyRe(`(No output has been received in the last .*)$`), false,
		func(m []string, e *endMarker) { e.certain = true; e.kind = EndTimeout }},
	// tox 4 "py311: exit -9 (12.34 seconds) ...", tox 3 "(exited with code -9)",
	// nox "failed with exit code -9".
	{": exit ", lazyRe(`(: exit (-?\d+) \(\d.*)$`), false,
		func(m []string, e *endMarker) { setExit(e, m[2]) }},
	// (one expression under two needles: "ed with " alone also let through
	// GitHub's "Process completed with exit code", and the expression cost
	// 2 us a batch job failing to match it.)
	{"exited with ", exitedWithRe, true, func(m []string, e *endMarker) { setExit(e, m[2]) }},
	{"failed with ", exitedWithRe, true, func(m []string, e *endMarker) { setExit(e, m[2]) }},
	// GitLab's Kubernetes executor relays the pod's container status:
	// "ERROR: Job failed (system failure): Error in container build: exit
	// code: 137, reason: 'OOMKilled'" (kubernetes/kubernetes#135490).
	{"OOMKilled", lazyRe(`(ERROR: Job failed(?: \(system failure\))?: .*?exit code: (-?\d+), reason: '?OOMKilled'?.*)$`), false,
		func(m []string, e *endMarker) { setExit(e, m[2]); e.kind = EndSIGKILL; e.oomKilled = true }},
	// Docker / Kubernetes status words relayed in a log: "reason: OOMKilled",
	// docker inspect's "OOMKilled": true.
	{"OOMKilled", lazyRe(`((?:[Rr]eason:?\s*'?OOMKilled|"?OOMKilled"?:\s*true|\bOOMKilled\b\W*(?:exit(?:ed)? (?:with )?(?:code|status):? 137)).*)$`), false,
		func(m []string, e *endMarker) { e.kind = EndSIGKILL; e.oomKilled = strings.Contains(m[1], "OOMKilled") }},
	{"OOMKilled", lazyRe(`(\bOOMKilled\b.*)$`), false,
		func(m []string, e *endMarker) { e.kind = EndSIGKILL }},
	// GitHub runner lost or stopped (sample 18; scalar-jepsen #218).
	// The runner was told to stop (a cancel, a spot instance reclaimed):
	// it signals the job and reports it; the job did not die by itself.
	{"The runner has received", lazyRe(`(The runner has received a shutdown signal.*)$`), false,
		func(m []string, e *endMarker) { e.certain = true; e.kind = EndCancelled }},
	{"lost communication", lazyRe(`(The (?:hosted|self-hosted) runner.* lost communication with the server.*)$`), false,
		func(m []string, e *endMarker) { e.kind = EndSIGKILL }},
	{"The operation was canceled", lazyRe(`(##\[error\]The operation was canceled\..*)$`), false,
		func(m []string, e *endMarker) { e.certain = true; e.kind = EndCancelled }},
	{"The job running on runner", lazyRe(`(The job running on runner .* has exceeded the maximum execution time.*)$`), false,
		func(m []string, e *endMarker) { e.certain = true; e.kind = EndTimeout }},
	// pytest-timeout banner (stderr, so it can follow an unfinished node id).
	{" Timeout ", lazyRe(`(\+{3,} Timeout \+{3,})\s*$`), true,
		func(m []string, e *endMarker) { e.certain = true; e.kind = EndTimeout }},
	// faulthandler / the C runtime.
	{"Fatal Python error: ", lazyRe(`(Fatal Python error: .*)$`), true,
		func(m []string, e *endMarker) { e.certain = true; e.kind = EndCrash }},
	{"Segmentation fault", lazyRe(`(?:^|\s)(Segmentation fault(?: \(core dumped\))?)\s*$`), true,
		func(m []string, e *endMarker) { e.kind = EndCrash }},
	// A bare "Killed" (dash, sh), alone or glued after pytest's unfinished
	// output; must be the end of the line.
	{"Killed", lazyReFast(`(?:^|[\s.A-Z\]]|[sx])(Killed)\s*$`, readKilled), false,
		func(m []string, e *endMarker) { e.kind = EndSIGKILL }},
	// Python-level allocation failure (sample 19): not a kill.
	{"MemoryError", lazyRe(`^(?:INTERNALERROR>\s*)?((?:\w+\.)*MemoryError\b.*)$`), true,
		func(m []string, e *endMarker) { e.kind = EndMemoryError }},
}

// markerMasks[i] is maskOf(markerRules[i].needle): a line whose bytes do not
// cover it cannot hold the needle.
var markerMasks = func() []byteMask {
	ms := make([]byteMask, len(markerRules))
	for i, r := range markerRules {
		ms[i] = maskOf(r.needle)
	}
	return ms
}()

// findEndMarker returns the earliest end marker in s.
func findEndMarker(s string) (endMarker, bool) {
	best := endMarker{start: -1}
	have := maskOf(s)
	for i, r := range markerRules {
		if !have.holds(markerMasks[i]) || !strings.Contains(s, r.needle) {
			continue
		}
		loc := r.re.FindStringSubmatchIndex(s)
		if loc == nil {
			continue
		}
		start := loc[2] // group 1 is the marker text
		if best.start >= 0 && start >= best.start {
			continue
		}
		m := make([]string, len(loc)/2)
		for i := range m {
			if loc[2*i] >= 0 {
				m[i] = s[loc[2*i]:loc[2*i+1]]
			}
		}
		e := endMarker{start: start, weak: r.weak}
		r.fn(m, &e)
		e.text = strings.TrimSpace(s[e.start:])
		best = e
	}
	return best, best.start >= 0
}

func isAllLetters(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isLetter(s[i]) {
			return false
		}
	}
	return s != ""
}
