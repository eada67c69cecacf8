package pytestlog

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// checkSniffHelpers compares the hand-written matchers with the expressions
// they stand for.
func checkSniffHelpers(t *testing.T, b []byte) {
	t.Helper()
	if got, want := isCollectItem(b), reCollectItem.Match(b); got != want {
		t.Fatalf("isCollectItem(%q) = %v, want %v", b, got, want)
	}
	if got, want := hasResultWord(b), reResultWord.Match(b); got != want {
		t.Fatalf("hasResultWord(%q) = %v, want %v", b, got, want)
	}
	if got, want := shellKilled(b), reShellKilled.Match(b); got != want {
		t.Fatalf("shellKilled(%q) = %v, want %v", b, got, want)
	}
	if got, want := isPytest(b), isPytestByLine(b); got != want {
		t.Fatalf("isPytest(%q) = %v, want %v", b, got, want)
	}
}

// isPytestByLine is isPytest as it was, every line tried: the reference
// of TestSniffHelpers and FuzzSniffHelpers.
func isPytestByLine(b []byte) bool {
	for _, line := range bytes.Split(b, []byte("\n")) {
		if pytestLine(bytes.TrimRight(line, "\r")) {
			return true
		}
	}
	return false
}

var sniffHelperCases = []string{
	"", ".py::x", "a.py::", "a.py::x", "a.py:: x", " a.py::x", ".py::x.py::y", "a b.py::x", "a.py::x PASSED", "a.py::x PASSEDX",
	"a.py::x PASSED_", "a.py::x  [ 50%]", "a.py::x [50%", "[\t7%]", "[%]", "x [ 1 %]", "a.py::\xffx", "\xff.py::x", "a.py::x\vb",
	"[2026-01-05T10:11:12] TEST_START: t", "x] SESSION_END: ", "] TEST_END:", "]TEST_END: ", "_START: ] TEST_START: ",
	"tests/a.py::t ERROR", "tests/a.py::t XPASS(strict)", "a.py::t SKIPPED [ 5%]",
	"x\nplatform linux -- Python 3.11, pytest-7.2.1\r\n", "a platform x\ncollected 3 items", "collect\ncollected 3 items\n",
	"1 Killed pytest\n", "12 Killed  x", "12 Killed ", "12 Killed \t", "12 Killed \vx", "x12 Killed x", "\t7 Killed \xff", " Killed x",
	"a 1 Killed  Killed 2 Killed x", "9 Killed 1 Killed  \x00", "memory: Killed process 8612 (python3) total-vm:3187712kB", "job 137\nexit code 137", "[gw0] PASSED a.py::t\r", "\n\n.py::x\nb.py::y",
}

// TestTriggerScans checks that each trigger holds its scan's byte once, at
// its offset.
func TestTriggerScans(t *testing.T) {
	for _, sc := range triggerScans {
		for _, tr := range sc.triggers {
			if strings.Count(tr.s, string(sc.c)) != 1 || tr.s[tr.off] != sc.c {
				t.Errorf("trigger %q does not hold %q once at %d", tr.s, sc.c, tr.off)
			}
		}
	}
}

func TestSniffHelpers(t *testing.T) {
	files, _ := filepath.Glob("../testdata/*/*")
	more, _ := filepath.Glob("../testdata/corpus/*/*")
	for _, p := range append(files, more...) {
		b, err := os.ReadFile(p)
		if err != nil {
			continue // a folder
		}
		if len(b) > 64<<10 {
			b = b[:64<<10] // discover.HeadBytes
		}
		checkSniffHelpers(t, b)
		for _, line := range bytes.Split(b, []byte("\n")) {
			checkSniffHelpers(t, line)
		}
	}
	for _, c := range sniffHelperCases {
		checkSniffHelpers(t, []byte(c))
	}
}

func FuzzSniffHelpers(f *testing.F) {
	for _, c := range sniffHelperCases {
		f.Add([]byte(c))
	}
	f.Fuzz(func(t *testing.T, b []byte) { checkSniffHelpers(t, b) })
}
