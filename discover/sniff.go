package discover

import (
	"bytes"
	"regexp"
	"unicode/utf8"

	"github.com/oomlens/oomlens/diagnostics"
	"github.com/oomlens/oomlens/elfcore"
)

// Sniff names the kinds the head of an input shows, in the order of the Kind
// constants, or KindUnrecognized alone. It never reads past head.
func Sniff(head []byte) []string {
	var kinds []string
	// The formats that belong to one parser are recognised by that parser's
	// own check, so that sniffing and parsing agree on what they accept.
	if elfcore.Sniff(head) {
		return []string{KindCore}
	}
	if looksBinary(head) {
		return []string{KindUnrecognized}
	}
	text := bytes.TrimPrefix(head, []byte("\xef\xbb\xbf"))
	trimmed := bytes.TrimLeft(text, " \t\r\n")
	switch {
	case isJUnit(trimmed):
		return []string{KindJUnitXML}
	case diagnostics.Sniff(trimmed):
		return []string{KindDiagnostics}
	case looksJSON(trimmed):
		// Other JSON: `journalctl -o json` carries kernel records in its
		// MESSAGE fields; any other document (a CI step's metadata, a
		// scenario's expectations) is neither a log nor a pytest run, even
		// where its strings quote node ids.
		if reRecordManifest.Match(trimmed) {
			return []string{KindRecordManifest}
		}
		if bytes.Contains(trimmed, []byte(`"MESSAGE"`)) && bytes.Contains(trimmed, []byte(`"__REALTIME_TIMESTAMP"`)) && isKernel(text) {
			return []string{KindKernelLog}
		}
		return []string{KindUnrecognized}
	case isWeathercop(text):
		return []string{KindWeathercop}
	}
	if isKernel(text) {
		kinds = append(kinds, KindKernelLog)
	}
	if isCollectList(text) {
		kinds = append(kinds, KindCollectList)
	} else if isPytest(text) {
		kinds = append(kinds, KindPytestLog)
	}
	if len(kinds) == 0 {
		return []string{KindUnrecognized}
	}
	return kinds
}

// LookedFor says, for an unrecognised input, what sniffing looked for.
const LookedFor = "looked for: kernel OOM-killer records (`invoked oom-killer`, `Killed process`, `oom-kill:`, " +
	"dmesg/syslog/journal/kmsg prefixes), pytest output (`test session starts`, `nodeid PASSED`, progress dots, xdist `[gwN]`), " +
	"oomlens diagnostics JSON (`\"event\": \"test_end\"`…), a weathercop memory log (`[ts] TEST_START: name`), " +
	"JUnit XML (`<testsuite`), a `pytest --collect-only -q` list, an ELF core file, an `oomlens record` record.json"

// looksBinary reports content that is not text: a NUL byte, or mostly
// invalid UTF-8, in the head. A NUL-filled file is binary.
func looksBinary(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	if bytes.IndexByte(b, 0) >= 0 {
		return true
	}
	if utf8.Valid(b) {
		return false
	}
	bad := 0
	for i := 0; i < len(b); {
		r, size := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && size == 1 && len(b)-i >= utf8.UTFMax {
			bad++
		}
		i += size
	}
	return bad*10 > len(b)
}

func isJUnit(b []byte) bool {
	if !bytes.HasPrefix(b, []byte("<?xml")) && !bytes.HasPrefix(b, []byte("<testsuite")) {
		return false
	}
	return bytes.Contains(b, []byte("<testsuite"))
}

var (
	reRecordManifest = regexp.MustCompile(`^\{\s*"schema"\s*:\s*"oomlens/record/v\d+"`)
	reWeathercop     = regexp.MustCompile(`(?m)^\[\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?\] (?:SESSION_START|TEST_START|TEST_END|SESSION_END): `)
)

// isWeathercop looks for a record header; the literal search first keeps
// the regular expression off inputs that cannot match.
func isWeathercop(b []byte) bool {
	if hasWeathercopEvent(b) {
		return reWeathercop.Match(b)
	}
	return false
}

// hasWeathercopEvent reports "] SESSION_START: ", "] TEST_START: ",
// "] TEST_END: " or "] SESSION_END: " in b: two searches for the ends of
// the words, which are rarer than the ']' every progress line holds.
func hasWeathercopEvent(b []byte) bool {
	for _, end := range [][]byte{[]byte("_START: "), []byte("_END: ")} {
		for rest, at := b, 0; ; {
			i := bytes.Index(rest, end)
			if i < 0 {
				break
			}
			before := b[:at+i]
			if bytes.HasSuffix(before, []byte("] SESSION")) || bytes.HasSuffix(before, []byte("] TEST")) {
				return true
			}
			rest, at = rest[i+1:], at+i+1
		}
	}
	return false
}

// looksJSON reports a JSON object or array of objects or strings. A dmesg
// line (`[  12.5] …`) and a weathercop header (`[2026-…`) start with a
// bracket too, followed by a digit or a space and a digit.
func looksJSON(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	if b[0] == '{' {
		return true
	}
	if b[0] != '[' {
		return false
	}
	rest := bytes.TrimLeft(b[1:], " \t\r\n")
	return len(rest) > 0 && (rest[0] == '{' || rest[0] == ']' || rest[0] == '"' || rest[0] == '[')
}

// Literal anchors of kernel OOM records and userspace killers, searched with
// bytes.Contains (vectorised) before any per-line work.
var kernelAnchors = [][]byte{
	[]byte("invoked oom-killer"), []byte("Killed process "), []byte("oom-kill:constraint="), []byte("Out of memory"),
	[]byte("oom_reaper: "), []byte("Memory cgroup out of memory"), []byte("systemd-oomd"), []byte("earlyoom"),
	[]byte("Failed with result 'oom-kill'"), []byte("killed as a result of limit of"),
}

// anchorKeys are substrings shared by the anchors: every anchor holds one
// (TestAnchorKeys), so a head holding none of them holds no anchor, and the
// ten anchor searches become three on the many inputs that are not kernel
// logs.
var anchorKeys = [][]byte{[]byte("oom"), []byte("of memory"), []byte("illed ")}

var (
	reKernelAnchor = regexp.MustCompile(`invoked oom-killer|Killed process \d|oom-kill:constraint=|Out of memory|oom_reaper: |Memory cgroup out of memory|systemd-oomd\[\d+\]: Killed|earlyoom|Failed with result 'oom-kill'|killed as a result of limit of`)
	// Lines as dmesg, syslog, journalctl and /dev/kmsg print the kernel's.
	reKernelLine = regexp.MustCompile(`^(?:<\d>)?\[\s*\d+\.\d+\] |^\S+ +\d+ \d\d:\d\d:\d\d(?:\.\d+)? (?:\S+ )?kernel: |^\d{4}-\d\d-\d\dT\S+ \S+ kernel: |^\d+,\d+,\d+,[-c];`)
)

func containsAny(b []byte, subs [][]byte) bool {
	for _, s := range subs {
		if bytes.Contains(b, s) {
			return true
		}
	}
	return false
}

// lineAround returns the line of b that holds byte i, and what follows it.
func lineAround(b []byte, i int) (line, rest []byte) {
	start := bytes.LastIndexByte(b[:i], '\n') + 1
	end := bytes.IndexByte(b[i:], '\n')
	if end < 0 {
		return b[start:], nil
	}
	return b[start : i+end], b[i+end+1:]
}

// sniffLines is how many lines of the head the per-line checks look at.
const sniffLines = 200

// eachLine calls fn on the first sniffLines lines of b until it returns false.
func eachLine(b []byte, fn func(line []byte) bool) {
	for n := 0; n < sniffLines && len(b) > 0; n++ {
		i := bytes.IndexByte(b, '\n')
		line := b
		if i >= 0 {
			line, b = b[:i], b[i+1:]
		} else {
			b = nil
		}
		if !fn(bytes.TrimRight(line, "\r")) {
			return
		}
	}
}

func isKernel(b []byte) bool {
	anchors := kernelAnchors
	if !containsAny(b, anchorKeys) {
		anchors = nil
	}
	for _, a := range anchors {
		for rest := b; ; {
			i := bytes.Index(rest, a)
			if i < 0 {
				break
			}
			line, next := lineAround(rest, i)
			if reKernelAnchor.Match(line) {
				return true
			}
			rest = next
		}
	}
	lines, hits := 0, 0
	eachLine(b, func(line []byte) bool {
		lines++
		if looksKernelLine(line) {
			hits++
		}
		return true
	})
	return hits >= 3 && hits*2 >= lines
}

// looksKernelLine checks the cheap necessary condition of each prefix shape
// before the regular expression.
func looksKernelLine(line []byte) bool {
	if len(line) == 0 {
		return false
	}
	switch c := line[0]; {
	case c == '[' || c == '<':
	case c >= '0' && c <= '9':
		if bytes.IndexByte(line, ';') < 0 && !bytes.Contains(line, []byte(" kernel: ")) {
			return false
		}
	default:
		if !bytes.Contains(line, []byte(" kernel: ")) {
			return false
		}
	}
	return reKernelLine.Match(line)
}

var (
	reXdistResult = regexp.MustCompile(`^\[gw\d+\] (?:\[\s*\d+%\] )?(?:PASSED|FAILED|ERROR|SKIPPED)`)
	reProgress    = regexp.MustCompile(`\S+\.py [.FEsxX]+ +\[\s*\d+%\]`)
	reShellKilled = regexp.MustCompile(`(?:^|\s)\d+ Killed +\S`)
	reExit137     = regexp.MustCompile(`exit(?:ed with)? (?:code|status) (?:exit status )?137\b|Process completed with exit code \d+`)
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
		return reShellKilled.Match(line)
	case has("137") || has("Process completed"):
		return reExit137.Match(line)
	}
	return false
}

func isPytest(b []byte) bool {
	found := false
	for rest := b; len(rest) > 0 && !found; {
		i := bytes.IndexByte(rest, '\n')
		line := rest
		if i >= 0 {
			line, rest = rest[:i], rest[i+1:]
		} else {
			rest = nil
		}
		found = pytestLine(bytes.TrimRight(line, "\r"))
	}
	return found
}

var (
	reCollectItem  = regexp.MustCompile(`^\S+\.py::\S`)
	reResultWord   = regexp.MustCompile(` (?:PASSED|FAILED|ERROR|SKIPPED|XFAIL|XPASS)\b|\[\s*\d+%\]`)
	reCollectFinal = regexp.MustCompile(`(?m)^\d+ tests? collected in \d`)
)

func isSpaceRE(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\f' || c == '\r'
}

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

// isCollectList recognises `pytest --collect-only -q` output: node ids one
// per line, then "N tests collected in T".
func isCollectList(b []byte) bool {
	if bytes.Contains(b, []byte(" collected in ")) && reCollectFinal.Match(b) && !bytes.Contains(b, []byte("test session starts")) {
		return true
	}
	items, other := 0, 0
	eachLine(b, func(line []byte) bool {
		if len(line) == 0 {
			return true
		}
		if bytes.Contains(line, []byte(".py::")) && isCollectItem(line) && !hasResultWord(line) {
			items++
		} else {
			other++
		}
		return other <= sniffLines/10
	})
	return items >= 2 && other*10 <= items
}
