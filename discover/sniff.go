package discover

import (
	"bytes"
	"encoding/binary"
	"regexp"
	"unicode/utf8"
)

// Sniff names the kinds the head of an input shows, in the order of the Kind
// constants, or KindUnrecognized alone. It never reads past head.
func Sniff(head []byte) []string {
	var kinds []string
	if isCore(head) {
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
	case isDiagnostics(trimmed):
		return []string{KindDiagnostics}
	case reWeathercop.Match(text):
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
	"JUnit XML (`<testsuite`), a `pytest --collect-only -q` list, an ELF core file"

// isCore reports an ELF header whose e_type is ET_CORE (4), in either byte
// order (System V ABI, ELF header: e_ident[EI_DATA] at 5, e_type at 16).
func isCore(b []byte) bool {
	if len(b) < 18 || !bytes.HasPrefix(b, []byte("\x7fELF")) {
		return false
	}
	var bo binary.ByteOrder = binary.LittleEndian
	if b[5] == 2 {
		bo = binary.BigEndian
	}
	return bo.Uint16(b[16:18]) == 4
}

// looksBinary reports content that is not text: a NUL byte, or mostly
// invalid UTF-8, in the head. A NUL-filled file is binary.
func looksBinary(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	if bytes.IndexByte(b, 0) >= 0 {
		return true
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
	reDiagEvent   = regexp.MustCompile(`"event"\s*:\s*"(session_start|test_start|test_end|fixture_teardown|sample)"`)
	reDiagSummary = regexp.MustCompile(`^\{\s*"tests"\s*:\s*\[`)
	reWeathercop  = regexp.MustCompile(`(?m)^\[\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?\] (?:SESSION_START|TEST_START|TEST_END|SESSION_END): `)
)

func isDiagnostics(b []byte) bool {
	if len(b) == 0 || (b[0] != '{' && b[0] != '[') {
		return false
	}
	return reDiagEvent.Match(b) || reDiagSummary.Match(b)
}

var (
	reKernelAnchor = regexp.MustCompile(`invoked oom-killer|Killed process \d|oom-kill:constraint=|Out of memory|oom_reaper: |Memory cgroup out of memory|systemd-oomd\[\d+\]: Killed|earlyoom|Failed with result 'oom-kill'|killed as a result of limit of`)
	// Lines as dmesg, syslog, journalctl and /dev/kmsg print the kernel's.
	reKernelLine = regexp.MustCompile(`(?m)^(?:<\d>)?\[\s*\d+\.\d+\] |^\S+ +\d+ \d\d:\d\d:\d\d(?:\.\d+)? (?:\S+ )?kernel: |^\d{4}-\d\d-\d\dT\S+ \S+ kernel: |^\d+,\d+,\d+,[-c];`)
)

func isKernel(b []byte) bool {
	if reKernelAnchor.Match(b) {
		return true
	}
	lines := bytes.Count(b, []byte("\n")) + 1
	hits := len(reKernelLine.FindAllIndex(b, -1))
	return hits >= 3 && hits*2 >= lines
}

var rePytest = regexp.MustCompile(`(?m)=+ test session starts =+|^platform \S+ -- Python \S+, pytest-|^collect(?:ed|ing) \d+ items?|\.py::\S.* (?:PASSED|FAILED|ERROR|SKIPPED|XFAIL|XPASS)\b|^\[gw\d+\] (?:\[\s*\d+%\] )?(?:PASSED|FAILED|ERROR|SKIPPED)|\S+\.py [.FEsxX]+ +\[\s*\d+%\]|crashed while running '|^bringing up nodes\.\.\.|replacing crashed worker gw\d|\[gw\d+\] node down: |(?:^|\s)\S+\.py::\S|(?:^|\s)\d+ Killed +\S|exit(?:ed with)? (?:code|status) (?:exit status )?137\b|Process completed with exit code \d+`)

func isPytest(b []byte) bool { return rePytest.Match(b) }

var (
	reCollectItem  = regexp.MustCompile(`^\S+\.py::\S`)
	reResultWord   = regexp.MustCompile(` (?:PASSED|FAILED|ERROR|SKIPPED|XFAIL|XPASS)\b|\[\s*\d+%\]`)
	reCollectFinal = regexp.MustCompile(`(?m)^\d+ tests? collected in \d`)
)

// isCollectList recognises `pytest --collect-only -q` output: node ids one
// per line, then "N tests collected in T".
func isCollectList(b []byte) bool {
	if reCollectFinal.Match(b) && !bytes.Contains(b, []byte("test session starts")) {
		return true
	}
	items, other := 0, 0
	for _, line := range bytes.Split(b, []byte("\n")) {
		line = bytes.TrimRight(line, "\r")
		if len(line) == 0 {
			continue
		}
		if reCollectItem.Match(line) && !reResultWord.Match(line) {
			items++
		} else {
			other++
		}
	}
	return items >= 2 && other*10 <= items
}
