package pytestlog

import (
	"bytes"
	"math/bits"

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

// triggerScan is a byte and the triggers that hold it once, each at off:
// one search of the head for the byte finds them all.
type triggerScan struct {
	c        byte
	triggers []anchoredNeedle
	// before[x] has bit k set when trigger k may lie around a c that
	// follows the byte x: its byte before c is x, or c starts it; starts
	// has the bits of the triggers c starts, the only ones that can lie
	// around a c at the head's start.
	before [256]uint8
	starts uint8
}

// newTriggerScan is the scan of c for triggers (at most eight).
func newTriggerScan(c byte, triggers ...anchoredNeedle) triggerScan {
	if len(triggers) > 8 {
		panic("pytestlog: more than eight triggers in a scan")
	}
	sc := triggerScan{c: c, triggers: triggers}
	for k, t := range triggers {
		if t.off == 0 {
			sc.starts |= 1 << k
		}
		for x := range sc.before {
			if t.off == 0 || t.s[t.off-1] == byte(x) {
				sc.before[x] |= 1 << k
			}
		}
	}
	return sc
}

// triggerScans hold a trigger in every line pytestLine accepts, case by
// case: " test session starts " holds "session starts"; "crashed while
// running '" and "replacing crashed worker gw" hold "crashed w"; "] node
// down: " holds "node down: "; a line starting "bringing up nodes...",
// "platform " or "[gw" holds that start; one starting "collected " or
// "collecting " is accepted only holding " item"; ".py::" and ".py " hold
// ".py"; " Killed " holds "Killed "; reExit137 matches "exit" (which holds
// "xit") or "Process completed". So isPytest need only look at the lines
// that hold a trigger. The triggers are grouped by bytes rare in a kernel
// log, whose head is most of what Sniff rules out: 'i' is the rarest byte
// of "session starts" in the kernel logs of the shared corpus
// (../shared/corpus/kernel beside the repository), and "xit", "Killed "
// and " item" hold it too; 'w' is among its rarest letters; 'p' is in
// ".py", "Process completed", "platform " and "bringing up" (the rarer 'y'
// of ".py" is in every line of a batch job's kernel log: "link becomes
// ready"). Three searches, where one for each trigger by its first byte
// stopped at most bytes of a kernel log's lines ("eth0: renamed from
// veth0d381a6; link becomes ready").
var triggerScans = []triggerScan{
	newTriggerScan('i', anchoredNeedle{"session starts", 4}, anchoredNeedle{"xit", 1}, anchoredNeedle{"Killed ", 1}, anchoredNeedle{" item", 1}),
	newTriggerScan('w', anchoredNeedle{"crashed w", 8}, anchoredNeedle{"node down: ", 7}, anchoredNeedle{"[gw", 2}),
	newTriggerScan('p', anchoredNeedle{".py", 1}, anchoredNeedle{"Process completed", 11}, anchoredNeedle{"platform ", 0}, anchoredNeedle{"bringing up", 10}),
}

// isPytest reports whether a line of b is one pytestLine accepts: it tries
// the lines that hold a trigger of triggerScans. Searching b for twelve
// literals in turn took 15 µs of a batch job's kernel log head
// (BenchmarkSniffKernel), which job.SniffNamed sniffs as it sniffs every
// input; trying first every line that started with one of the four line
// starts pytestLine looks for, then the triggers of the other cases, cost
// 102,000 instructions a call on it (BenchmarkSniffJob/kernel-Sniff,
// cachegrind), two thirds of them comparing the triggers at each 'i';
// the triggers alone, filtered by the byte before (triggerScan.next),
// 31,000. TestSniffHelpers holds it to the line-by-line reading.
func isPytest(b []byte) bool {
	for k := range triggerScans {
		sc := &triggerScans[k]
		for off := 0; ; {
			at, _ := sc.next(b, off)
			if at < 0 {
				break
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

// next finds, from b[off:], the first c of b that one of sc's triggers
// lies around: its index at in b and the trigger's index k in sc.triggers,
// at -1 when there is none. The byte before each c found rules most
// triggers out (sc.before), most often all of them, without a call:
// comparing each trigger at each c was two thirds of isPytest's cost.
func (sc *triggerScan) next(b []byte, off int) (at, k int) {
	for off < len(b) {
		i := bytes.IndexByte(b[off:], sc.c)
		if i < 0 {
			break
		}
		at = off + i
		off = at + 1
		may := sc.starts
		if at > 0 {
			may = sc.before[b[at-1]]
		}
		for ; may != 0; may &= may - 1 {
			k = bits.TrailingZeros8(may)
			t := &sc.triggers[k]
			if q := at - t.off; q >= 0 && q+len(t.s) <= len(b) && string(b[q:q+len(t.s)]) == t.s {
				return at, k
			}
		}
	}
	return -1, -1
}

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
	if collectSummary(b) && reCollectFinal.Match(b) {
		return true
	}
	items, other := 0, 0
	content.EachLine(b, func(line []byte) bool {
		if len(line) == 0 {
			return true
		}
		// hasResultWord first: on a -v result line it stops at the word
		// after the node id, where isCollectItem reads the whole id.
		if bytes.Contains(line, []byte(".py::")) && !hasResultWord(line) && isCollectItem(line) {
			items++
		} else {
			other++
		}
		return other <= content.SniffLines/10
	})
	return items >= 2 && other*10 <= items
}

// collectScan finds the two literals of collectSummary by their 'i'.
var collectScan = newTriggerScan('i', anchoredNeedle{"test session starts", 9}, anchoredNeedle{"collected in ", 10})

// collectSummary reports whether b holds "collected in ", which
// reCollectFinal needs, and not "test session starts", which starts a
// pytest log: both are found by one search of b for their 'i' (the
// rarest byte of "session starts" in the shared corpus's kernel logs, see
// triggerScans). A search for each in turn, through all of a kernel log
// that holds neither, cost 51,000 of the 63,000 instructions of
// SniffCollect of a batch job's kernel log (BenchmarkSniffJob, cachegrind).
func collectSummary(b []byte) bool {
	found := false
	for off := 0; ; {
		at, k := collectScan.next(b, off)
		switch k {
		case -1:
			return found
		case 0:
			return false
		}
		found = true
		off = at + 1
	}
}
