package pytestlog

import (
	"bytes"

	"github.com/oomlens/oomlens/internal/content"
)

// Sniff reports whether head, the first bytes of an input (a byte order mark
// removed), holds pytest terminal output or a CI log around it: a line that
// only pytest, pytest-xdist or a CI runner reporting a killed test process
// prints. A `pytest --collect-only -q` list (SniffCollect) is not one.
//
// A CI log may show pytest only after megabytes of setup output, so a head
// that shows none does not rule it out: Parse finds the sessions.
func Sniff(head []byte) bool {
	// isPytest first: it stops at the first pytest line, often the first
	// line, and rules a kernel log out before SniffCollect scans it.
	return isPytest(head) && !SniffCollect(head)
}

// SniffJUnit reports whether head starts like a JUnit XML report
// (ParseJUnit): an XML declaration or a <testsuite(s)> element, with a
// <testsuite in the head.
func SniffJUnit(head []byte) bool {
	b := bytes.TrimLeft(head, " \t\r\n")
	if !bytes.HasPrefix(b, []byte("<?xml")) && !bytes.HasPrefix(b, []byte("<testsuite")) {
		return false
	}
	return bytes.Contains(b, []byte("<testsuite"))
}

var (
	reXdistResult = lazyRe(`^\[gw\d+\] (?:\[\s*\d+%\] )?(?:PASSED|FAILED|ERROR|SKIPPED)`)
	reProgress    = lazyRe(`\S+\.py [.FEsxX]+ +\[\s*\d+%\]`)
	reShellKilled = lazyRe(`(?:^|\s)\d+ Killed +\S`)
	reExit137     = lazyRe(`exit(?:ed with)? (?:code|status) (?:exit status )?137\b|Process completed with exit code \d+`)
)

// pytestLine reports a line that only pytest, pytest-xdist or a CI runner
// reporting a killed test process prints. Literal checks come first; a
// regular expression runs only on a line that holds its literal.
func pytestLine(line []byte) bool {
	has := func(s string) bool { return bytes.Contains(line, []byte(s)) }
	pre := func(s string) bool { return bytes.HasPrefix(line, []byte(s)) }
	switch {
	case has(" test session starts "), has("crashed while running '"), pre("bringing up nodes..."),
		has("replacing crashed worker gw"), has("] node down: "):
		return true
	case pre("platform ") && has(" -- Python ") && has(", pytest-"):
		return true
	case pre("collected ") || pre("collecting "):
		rest := bytes.TrimLeft(line[bytes.IndexByte(line, ' ')+1:], " ")
		return len(rest) > 0 && rest[0] >= '0' && rest[0] <= '9' && (has(" item") || has(" items"))
	case has(".py::"):
		i := bytes.Index(line, []byte(".py::"))
		return i > 0 && line[i-1] != ' ' && i+5 < len(line) && line[i+5] != ' '
	case pre("[gw"):
		return reXdistResult.Match(line)
	case has(".py ") && has("%]"):
		return reProgress.Match(line)
	case has(" Killed "):
		return shellKilled(line)
	case has("137") || has("Process completed"):
		return reExit137.Match(line)
	}
	return false
}

// pytestPrefixes start the lines of pytestLine's cases that test the
// line's start (pre); the lines of its other cases each hold one of the
// triggers of triggerScans: "crashed w" is in both crashed-worker messages,
// ".py" in ".py::" and ".py ", "xit" in the exit-137 case's expression's
// "exit" (or it needs "Process completed"). isPytest looks only at the
// lines that start with a prefix or hold a trigger.
var pytestPrefixes = []string{"platform ", "collect", "bringing up", "[gw"}

// triggerScan is a byte and the triggers that hold it once, each at off:
// one search of the head for the byte finds them all.
type triggerScan struct {
	c        byte
	triggers []anchoredNeedle
}

// triggerScans group the triggers by bytes they share that are rare in a
// kernel log, whose head is most of what Sniff rules out: 'i' is the
// rarest byte of "session starts" in the kernel logs of the shared corpus
// (../shared/corpus/kernel beside the repository), and "xit"
// and "Killed " hold it too; 'w' is among its rarest letters; 'p' is in
// ".py" and "Process completed" (the rarer 'y' of ".py" is in every line
// of a batch job's kernel log: "link becomes ready"). Three searches, where
// one for each trigger by its first byte stopped at most bytes of a kernel
// log's lines ("eth0: renamed from veth0d381a6; link becomes ready").
var triggerScans = []triggerScan{
	{'i', []anchoredNeedle{{"session starts", 4}, {"xit", 1}, {"Killed ", 1}}},
	{'w', []anchoredNeedle{{"crashed w", 8}, {"node down: ", 7}}},
	{'p', []anchoredNeedle{{".py", 1}, {"Process completed", 11}}},
}

// isPytest reports whether a line of b is one pytestLine accepts: it tries
// the lines that start with one of pytestPrefixes, then those that hold a
// trigger of triggerScans. Searching b for twelve literals in turn took
// 15 µs of a batch job's kernel log head (BenchmarkSniffKernel), which
// job.SniffNamed sniffs as it sniffs every input. TestSniffHelpers holds it
// to the line-by-line reading.
func isPytest(b []byte) bool {
	for start := 0; start < len(b); {
		end := len(b)
		if j := bytes.IndexByte(b[start:], '\n'); j >= 0 {
			end = start + j
		}
		if line := b[start:end]; hasPytestPrefix(line) && pytestLine(bytes.TrimRight(line, "\r")) {
			return true
		}
		start = end + 1
	}
	for _, sc := range triggerScans {
		for off := 0; off < len(b); {
			i := bytes.IndexByte(b[off:], sc.c)
			if i < 0 {
				break
			}
			at := off + i
			off = at + 1
			if !triggerAround(b, at, sc) {
				continue
			}
			start := bytes.LastIndexByte(b[:at], '\n') + 1
			end := len(b)
			if j := bytes.IndexByte(b[at:], '\n'); j >= 0 {
				end = at + j
			}
			if pytestLine(bytes.TrimRight(b[start:end], "\r")) {
				return true
			}
			off = end + 1
		}
	}
	return false
}

// triggerAround reports whether one of sc's triggers lies in b with its
// byte sc.c at b[at].
func triggerAround(b []byte, at int, sc triggerScan) bool {
	for _, t := range sc.triggers {
		if q := at - t.off; q >= 0 && q+len(t.s) <= len(b) && string(b[q:q+len(t.s)]) == t.s {
			return true
		}
	}
	return false
}

// hasPytestPrefix reports whether b starts with one of pytestPrefixes.
func hasPytestPrefix(b []byte) bool {
	if len(b) == 0 || !prefixStarts[b[0]] {
		return false
	}
	for _, p := range pytestPrefixes {
		if len(b) >= len(p) && string(b[:len(p)]) == p {
			return true
		}
	}
	return false
}

// prefixStarts holds the first bytes of pytestPrefixes.
var prefixStarts = func() (t [256]bool) {
	for _, p := range pytestPrefixes {
		t[p[0]] = true
	}
	return t
}()

// shellKilled is reShellKilled.Match ((?:^|\s)\d+ Killed +\S) by hand: a
// " Killed " after a run of digits that starts the line or follows white
// space, then more spaces and a byte that is not white space (RE2's \s,
// isSpaceRE; any other byte, in or out of valid UTF-8, is \S). A kernel
// log's "Killed process" line, which isPytest tries, took the expression
// ~8 µs to rule out (BenchmarkSniff/kernel.log: 21 µs -> 13 µs).
func shellKilled(line []byte) bool {
	const word = " Killed "
	for off := 0; ; {
		i := bytes.Index(line[off:], []byte(word))
		if i < 0 {
			return false
		}
		at := off + i // the space before Killed
		d := at
		for d > 0 && line[d-1] >= '0' && line[d-1] <= '9' {
			d--
		}
		if d < at && (d == 0 || isSpaceRE(line[d-1])) {
			j := at + len(word)
			for j < len(line) && line[j] == ' ' {
				j++
			}
			if j < len(line) && !isSpaceRE(line[j]) {
				return true
			}
		}
		off = at + 1
	}
}

var (
	reCollectItem  = lazyRe(`^\S+\.py::\S`)
	reResultWord   = lazyRe(` (?:PASSED|FAILED|ERROR|SKIPPED|XFAIL|XPASS)\b|\[\s*\d+%\]`)
	reCollectFinal = lazyRe(`(?m)^\d+ tests? collected in \d`)
)

// isCollectItem is reCollectItem.Match (^\S+\.py::\S) by hand: a ".py::"
// after the line's first byte, followed by a byte that is not a space,
// with no space before it. (RE2's \s is [\t\n\f\r ]; any other byte,
// in or out of valid UTF-8, is \S.)
func isCollectItem(line []byte) bool {
	run := len(line)
	for i, c := range line {
		if isSpaceRE(c) {
			run = i
			break
		}
	}
	if run < 1 {
		return false
	}
	i := bytes.Index(line[1:run], []byte(".py::")) // \S+ takes at least one byte
	return i >= 0 && i+1+5 < run
}

// hasResultWord is reResultWord.Match by hand: a space and a result word
// ending at a word boundary, or a "[ NN%]" progress.
func hasResultWord(line []byte) bool {
	for i := bytes.IndexByte(line, ' '); i >= 0; {
		rest := line[i+1:]
		for _, w := range []string{"PASSED", "FAILED", "ERROR", "SKIPPED", "XFAIL", "XPASS"} {
			if bytes.HasPrefix(rest, []byte(w)) && (len(rest) == len(w) || !isWordByte(rest[len(w)])) {
				return true
			}
		}
		j := bytes.IndexByte(rest, ' ')
		if j < 0 {
			break
		}
		i += 1 + j
	}
	for i := bytes.IndexByte(line, '['); i >= 0; {
		j := i + 1
		for j < len(line) && isSpaceRE(line[j]) {
			j++
		}
		d := j
		for j < len(line) && line[j] >= '0' && line[j] <= '9' {
			j++
		}
		if j > d && j+1 < len(line) && line[j] == '%' && line[j+1] == ']' {
			return true
		}
		k := bytes.IndexByte(line[i+1:], '[')
		if k < 0 {
			break
		}
		i += 1 + k
	}
	return false
}

// isWordByte is RE2's \w, which \b sets against everything else.
func isWordByte(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c == '_'
}

// SniffCollect reports whether head, the first bytes of an input (a byte
// order mark removed), is `pytest --collect-only -q` output (ParseCollectList):
// node ids one per line, then "N tests collected in T", or (a head cut before
// that summary) node ids with few lines of anything else. A -v log never
// prints that summary, and its node ids carry result words.
func SniffCollect(b []byte) bool {
	// "test session starts", at a pytest log's start, is looked for first;
	// then "collected in ", which reCollectFinal needs, through the whole
	// head: searched by its first byte, without the space before it (a
	// space is every sixth byte of a kernel log: SniffCollect of a batch
	// job's kernel log took 17 µs with it, 5 µs without,
	// BenchmarkSniff/kernel.log/collect).
	if !bytes.Contains(b, []byte("test session starts")) && bytes.Contains(b, []byte("collected in ")) && reCollectFinal.Match(b) {
		return true
	}
	items, other := 0, 0
	content.EachLine(b, func(line []byte) bool {
		if len(line) == 0 {
			return true
		}
		if bytes.Contains(line, []byte(".py::")) && isCollectItem(line) && !hasResultWord(line) {
			items++
		} else {
			other++
		}
		return other <= content.SniffLines/10
	})
	return items >= 2 && other*10 <= items
}
