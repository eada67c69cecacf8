package job

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/oomlens/oomlens/discover"
)

// manyLogs writes n copies of a real pytest log (and kernel logs after the
// first nPytest) into a fresh folder.
func manyLogs(tb testing.TB, n, nPytest int) string {
	tb.Helper()
	pytest, err := os.ReadFile("../testdata/scenarios/verbose-plugin/pytest.log")
	if err != nil {
		tb.Fatal(err)
	}
	kernel, err := os.ReadFile("../testdata/scenarios/verbose-plugin/kernel.log")
	if err != nil {
		tb.Fatal(err)
	}
	dir := tb.TempDir()
	for i := range n {
		name, data := fmt.Sprintf("pytest-%05d.log", i), pytest
		if i >= nPytest {
			name, data = fmt.Sprintf("kern-%05d.log", i), kernel
		}
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			tb.Fatal(err)
		}
	}
	return dir
}

func analyzeDir(tb testing.TB, dir string) error {
	tb.Helper()
	set, err := discover.Walk([]string{dir}, discover.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	defer set.Cleanup()
	_, err = Analyze(set, Options{})
	return err
}

// TestManyPytestLogs: a folder of 2,000 pytest logs is 2,000 runs, refused
// with a message that lists the first maxListedRuns and counts the rest
// (grouping them was cubic: 885 s and 3.1 GB for 10,000; the time is
// BenchmarkRunsManyPytestLogs's).
func TestManyPytestLogs(t *testing.T) {
	const n = 2000
	err := analyzeDir(t, manyLogs(t, n, n))
	var runs *RunsError
	if !errors.As(err, &runs) {
		t.Fatalf("Analyze: %v, want a RunsError", err)
	}
	if len(runs.Runs) != n {
		t.Errorf("%d runs, want %d", len(runs.Runs), n)
	}
	for i, r := range runs.Runs {
		if want := fmt.Sprintf("pytest-%05d.log", i); len(r.Inputs) != 1 || filepath.Base(r.Inputs[0]) != want {
			t.Fatalf("run %d: %q, want only %s", i+1, r.Inputs, want)
		}
	}
	msg := err.Error()
	lines := strings.Split(msg, "\n")
	if len(lines) != maxListedRuns+2 {
		t.Errorf("the message has %d lines, want %d:\n%s", len(lines), maxListedRuns+2, msg)
	}
	for _, want := range []string{
		fmt.Sprintf("the inputs are of %d runs", n),
		"run 1: " + filepath.Dir(runs.Runs[0].Inputs[0]) + "/ (pytest-00000.log)",
		fmt.Sprintf("run %d: ", maxListedRuns),
		fmt.Sprintf("and %d more runs (%d inputs)", n-maxListedRuns, n-maxListedRuns),
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("the message lacks %q:\n%s", want, msg)
		}
	}
}

// TestManyInputsOfOneRun: one pytest log and 1,999 kernel logs are one run,
// analysed.
func TestManyInputsOfOneRun(t *testing.T) {
	if err := analyzeDir(t, manyLogs(t, 2000, 1)); err != nil {
		t.Fatalf("Analyze: %v", err)
	}
}

// TestDescribeRunBounded: a run of many inputs is named by its first
// maxListedInputs, folder by folder, and a count of the rest.
func TestDescribeRunBounded(t *testing.T) {
	var r Run
	for i := range 25 {
		r.Inputs = append(r.Inputs, fmt.Sprintf("d%d/f%d.log", i%2, i))
	}
	got := describeRun(r)
	want := "d0/ (f0.log, f2.log, f4.log, f6.log, f8.log); d1/ (f1.log, f3.log, f5.log, f7.log, f9.log); and 15 more inputs"
	if got != want {
		t.Errorf("describeRun = %q, want %q", got, want)
	}
}

// BenchmarkRunsManyPytestLogs times Runs over the evidence of 10,000 pytest
// logs in one folder (loading them is not timed).
func BenchmarkRunsManyPytestLogs(b *testing.B) {
	dir := manyLogs(b, 10000, 10000)
	set, err := discover.Walk([]string{dir}, discover.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer set.Cleanup()
	ev, err := Load(set, Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		if n := len(Runs(ev)); n != 10000 {
			b.Fatalf("%d runs", n)
		}
	}
}

// BenchmarkGroupAllFit is the costly shape for group: 5,000 diagnostics
// files of 5,000 processes and 5,000 pytest logs of one suite with no
// stamps, each of which fits every run (only the folder tells them apart):
// 25M pairs, each checked in constant time.
func BenchmarkGroupAllFit(b *testing.B) {
	const n = 5000
	tests := []string{"t::a", "t::b", "t::c"}
	base := time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC)
	for b.Loop() {
		b.StopTimer()
		var makers []*maker
		for i := range n {
			at := base.Add(time.Duration(i) * time.Hour)
			makers = append(makers,
				&maker{path: fmt.Sprintf("run%d/diag.jsonl", i), order: 2 * i, kind: makerDiagnostics, pid: i + 1, key: fmt.Sprint(i + 1), from: at, to: at, hasSpan: true, tests: tests},
				&maker{path: fmt.Sprintf("run%d/pytest.log", i), order: 2*i + 1, kind: makerPytest, tests: tests})
		}
		sortMakers(makers)
		b.StartTimer()
		if runs := group(makers); len(runs) != n {
			b.Fatalf("%d runs", len(runs))
		}
	}
}
