package pytestlog

import (
	"bytes"
	"os"
	"path/filepath"
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
}

var sniffHelperCases = []string{
	"", ".py::x", "a.py::", "a.py::x", "a.py:: x", " a.py::x", ".py::x.py::y", "a b.py::x", "a.py::x PASSED", "a.py::x PASSEDX",
	"a.py::x PASSED_", "a.py::x  [ 50%]", "a.py::x [50%", "[\t7%]", "[%]", "x [ 1 %]", "a.py::\xffx", "\xff.py::x", "a.py::x\vb",
	"[2026-01-05T10:11:12] TEST_START: t", "x] SESSION_END: ", "] TEST_END:", "]TEST_END: ", "_START: ] TEST_START: ",
	"tests/a.py::t ERROR", "tests/a.py::t XPASS(strict)", "a.py::t SKIPPED [ 5%]",
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
