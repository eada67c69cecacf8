package pytestlog

import (
	"bytes"
	"strings"
	"testing"

	"github.com/oomlens/oomlens/internal/content"
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
	if got, want := SniffCollect(b), sniffCollectRef(b); got != want {
		t.Fatalf("SniffCollect(%q) = %v, want %v", b, got, want)
	}
	if got, want := Sniff(b), isPytestByLine(b) && !sniffCollectRef(b); got != want {
		t.Fatalf("Sniff(%q) = %v, want %v", b, got, want)
	}
}

// sniffCollectRef is SniffCollect as it was, with the expressions that
// isCollectItem and hasResultWord stand for: the reference of
// TestSniffHelpers and FuzzSniffHelpers.
func sniffCollectRef(b []byte) bool {
	if !bytes.Contains(b, []byte("test session starts")) && bytes.Contains(b, []byte("collected in ")) && reCollectFinal.Match(b) {
		return true
	}
	items, other := 0, 0
	content.EachLine(b, func(line []byte) bool {
		if len(line) == 0 {
			return true
		}
		if reCollectItem.Match(line) && !reResultWord.Match(line) {
			items++
		} else {
			other++
		}
		return other <= content.SniffLines/10
	})
	return items >= 2 && other*10 <= items
}

// sniffSampleRoots hold the real inputs the sniffers are held to: the
// repository's samples, the shared corpus beside the repository and the
// generated batch jobs (bench-out, git-ignored), when present.
var sniffSampleRoots = []string{"../testdata", "../../shared/corpus", "../bench-out/jobs-1000-unzipped"}

// sniffSamples are the heads (discover.HeadBytes) of the files under
// sniffSampleRoots; of the batch jobs, the first twenty.
func sniffSamples(t testing.TB) map[string][]byte {
	t.Helper()
	heads := readRoots(t, sniffSampleRoots...)
	for p, b := range heads {
		heads[p] = b[:min(len(b), 64<<10)]
	}
	if len(heads) < 100 {
		t.Fatalf("only %d samples", len(heads))
	}
	return heads
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
	for _, sc := range append(triggerScans[:len(triggerScans):len(triggerScans)], collectScan) {
		for _, tr := range sc.triggers {
			if strings.Count(tr.s, string(sc.c)) != 1 || tr.s[tr.off] != sc.c {
				t.Errorf("trigger %q does not hold %q once at %d", tr.s, sc.c, tr.off)
			}
		}
	}
}

func TestSniffHelpers(t *testing.T) {
	for _, b := range sniffSamples(t) {
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
	for _, b := range sniffSamples(f) {
		if len(b) <= 16<<10 {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) { checkSniffHelpers(t, b) })
}
