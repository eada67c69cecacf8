package dmesg

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// TestAnchorKeys: every kernel anchor holds one of the keys that stand for
// it in a first search.
func TestAnchorKeys(t *testing.T) {
	for _, a := range kernelAnchors {
		if !containsAny(a, anchorKeys) {
			t.Errorf("anchor %q holds no key", a)
		}
	}
}

// checkSniffHelpers checks that a head holding an anchor holds a key too.
func checkSniffHelpers(t *testing.T, b []byte) {
	t.Helper()
	anyAnchor := false
	for _, a := range kernelAnchors {
		anyAnchor = anyAnchor || bytes.Contains(b, a)
	}
	if anyAnchor && !containsAny(b, anchorKeys) {
		t.Fatalf("%q holds an anchor but no key", b)
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

// TestAnchorIsBranch: the anchors read as whole branches of reKernelAnchor
// are those it matches alone, and all but the two it needs more of.
func TestAnchorIsBranch(t *testing.T) {
	for _, a := range kernelAnchors {
		if anchorIsBranch[string(a)] && !reKernelAnchor.Match(a) {
			t.Errorf("%q is read as a branch but does not match", a)
		}
	}
	if len(anchorIsBranch) != len(kernelAnchors)-2 {
		t.Errorf("%d anchors are branches, want all but `Killed process ` and `systemd-oomd`: %v", len(anchorIsBranch), anchorIsBranch)
	}
}
