package correlate

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/oomlens/oomlens/heap"
)

func readDiagnostics(t *testing.T, path string) DiagnosticsInput {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	d, err := heap.ParseDiagnostics(f, heap.DiagnosticsOptions{Name: path})
	if err != nil {
		t.Fatal(err)
	}
	return DiagnosticsInput{Path: path, Diag: d}
}

// TestRealDiagnosticsKilledLeak runs the plugin's own output of
// testdata/diagnostics/suites/test_killed_leak.py (see its README): two
// tests leak 64 MiB each, one peaks at +160 MiB and gives it back, one
// leaves a file-backed Dataset open (18 MiB kept: under the floor), a
// module fixture holds 96 MiB, a failed test's 32 MiB is held by its
// traceback until the next test, and the last test is killed.
func TestRealDiagnosticsKilledLeak(t *testing.T) {
	in := readDiagnostics(t, filepath.Join("..", "testdata", "diagnostics", "killed-leak.jsonl"))
	rep, err := Analyze(&Evidence{Diagnostics: []DiagnosticsInput{in}}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	const f = "test_killed_leak.py::"
	if got := leakNames(rep); !eqStrings(got, []string{f + "test_leaks_first", f + "test_leaks_second"}) {
		t.Fatalf("leaks = %v", got)
	}
	for _, l := range rep.Leaks {
		if l.RetainedBytes < 64*MiB || l.RetainedBytes > 64*MiB+MiB || l.Confidence != ConfidenceHigh || l.PID != 18346 {
			t.Errorf("leak %+v", l)
		}
		if l.ShareOfKill != nil {
			t.Errorf("share of kill without a kernel record: %v", *l.ShareOfKill)
		}
	}
	if h := findHog(rep, f+"test_clean_peak"); h == nil || h.PeakBytes != 324108288 {
		t.Errorf("hogs = %+v", rep.Hogs)
	}
	if len(rep.Unclosed) != 1 || rep.Unclosed[0].Test != f+"test_leaves_dataset_open" || rep.Unclosed[0].OpenObjects["xarray.Dataset"] != 1 {
		t.Errorf("unclosed = %+v", rep.Unclosed)
	}
	if len(rep.FixturesHeld) != 1 || rep.FixturesHeld[0].Fixture != "reference_table" || rep.FixturesHeld[0].SetUpBy != f+"test_uses_reference_table" ||
		rep.FixturesHeld[0].HeldBytes != 288059392-187392000 {
		t.Errorf("fixtures held = %+v", rep.FixturesHeld)
	}
	if len(rep.InFlight) != 1 || rep.InFlight[0].Test != f+"test_killed_while_allocating" || rep.InFlight[0].PID != 18346 || rep.InFlight[0].AddedBytesEstimate != nil {
		t.Errorf("in flight = %+v", rep.InFlight)
	}
	if rep.RunEnd.Kind != "unknown" || len(rep.Kills) != 0 {
		t.Errorf("run end %+v kills %+v", rep.RunEnd, rep.Kills)
	}
	want := "The run stopped without pytest's final line, cause unknown: 2 tests retained 128.0 MiB that was never released (" +
		f + "test_leaks_first 64.0 MiB, " + f + "test_leaks_second 64.0 MiB); " + f + "test_killed_while_allocating was running when the process died."
	if rep.Verdict != want {
		t.Errorf("verdict\n got %q\nwant %q", rep.Verdict, want)
	}
	// The session_start's boot_time and monotonic give the alignment, even
	// with no kernel log to align.
	if rep.Alignment.Method != AlignDiagnosticsMonotonic || rep.Alignment.BootTime == nil {
		t.Errorf("alignment %+v", rep.Alignment)
	}
	if len(rep.Samples) == 0 || len(rep.Timeline) != 9 || rep.Timeline[8].Outcome != "in-flight" {
		t.Errorf("samples %d, timeline %+v", len(rep.Samples), rep.Timeline)
	}
	if !strings.Contains(strings.Join(rep.Warnings, "\n"), "no kernel log was read") {
		t.Errorf("warnings %q", rep.Warnings)
	}
}
