package correlate

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/oomlens/oomlens/diagnostics"
	"github.com/oomlens/oomlens/dmesg"
	"github.com/oomlens/oomlens/pytestlog"
	"github.com/oomlens/oomlens/weathercop"
)

func readDiagnostics(t *testing.T, path string) DiagnosticsInput {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	d, err := diagnostics.Parse(f, diagnostics.Options{Name: path})
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
	// The module fixture's 96 MiB is the fixture's: the test that made it
	// is no hog. The failed test's locals, kept by its traceback until the
	// next test, are a 32.5 MiB peak given back.
	if findHog(rep, f+"test_uses_reference_table") != nil {
		t.Errorf("the fixture's setter is a hog: %+v", rep.Hogs)
	}
	// Its 32.5 MiB peak is under a tenth of the highest RSS on record
	// (467 MiB): no hog by the rule, only counted.
	if findHog(rep, f+"test_fails_after_allocating") != nil || rep.HogRule.TestsBelow != 1 {
		t.Errorf("hogs = %+v, rule %+v", rep.Hogs, rep.HogRule)
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
	want := "The records stop without a session end, cause unknown: 2 tests retained 128.0 MiB that was never released (" +
		f + "test_leaks_first 64.0 MiB, " + f + "test_leaks_second 64.0 MiB); " + f + "test_killed_while_allocating was running when the process died; this explains 80% of the 303.1 MiB at the last reading."
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

// TestPositionsResolvedByCollectList: a progress-mode log names tests by
// their place in the file ("tests/test_beta.py::#2"); the collection list
// gives the node id.
func TestPositionsResolvedByCollectList(t *testing.T) {
	py := readPytest(t, corpus("pytest", "progress-killed.log"))
	f, err := os.Open(corpus("pytest", "suite.collect.txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	ids, err := pytestlog.ParseCollectList(f, "suite.collect.txt")
	if err != nil {
		t.Fatal(err)
	}
	rep, _ := Analyze(&Evidence{Pytest: []PytestInput{py}}, Options{})
	if len(rep.InFlight) != 1 || rep.InFlight[0].Test != "tests/test_beta.py::#2" {
		t.Fatalf("without the list: in flight %+v", rep.InFlight)
	}
	rep, _ = Analyze(&Evidence{Pytest: []PytestInput{py}, Collect: ids}, Options{})
	if len(rep.InFlight) != 1 || rep.InFlight[0].Test != "tests/test_beta.py::test_sleeper" || rep.InFlight[0].Basis != "dots-position" {
		t.Fatalf("with the list: in flight %+v", rep.InFlight)
	}
	if len(rep.Timeline) != 10 || rep.Timeline[6].Test != "tests/test_alpha.py::test_fails" || rep.Timeline[6].Outcome != "failed" {
		t.Errorf("timeline %+v", rep.Timeline)
	}
	if rep.RunEnd.Kind != "sigkill" || !strings.Contains(strings.Join(rep.RunEnd.Evidence, "\n"), "11062 Killed") {
		t.Errorf("run end %+v", rep.RunEnd)
	}
}

// TestJUnitXdistCrash: the controller survived a worker's kill and wrote
// JUnit XML; xdist's synthetic error names the test the worker was running.
func TestJUnitXdistCrash(t *testing.T) {
	path := corpus("pytest", "xdist-verbose-worker-killed.junit.xml")
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	ju, err := pytestlog.ParseJUnit(f, path)
	if err != nil {
		t.Fatal(err)
	}
	rep, _ := Analyze(&Evidence{JUnit: []JUnitInput{{Path: "w.junit.xml", JUnit: ju}}}, Options{})
	if len(rep.InFlight) != 1 || rep.InFlight[0].Test != "tests/test_beta.py::test_sleeper" || rep.InFlight[0].Worker != "gw1" || rep.InFlight[0].Basis != "xdist-crash" {
		t.Fatalf("in flight %+v", rep.InFlight)
	}
	if len(rep.Timeline) != 14 {
		t.Errorf("timeline has %d tests, want 13 + the crashed one", len(rep.Timeline))
	}
	// With the pytest log: the controller completed the run.
	py := readPytest(t, corpus("pytest", "xdist-verbose-worker-killed.log"))
	rep, _ = Analyze(&Evidence{Pytest: []PytestInput{py}, JUnit: []JUnitInput{{Path: "w.junit.xml", JUnit: ju}}}, Options{})
	want := "The run completed, but a worker died, cause unconfirmed (no kernel log was read): no per-test memory evidence, so no leaking test can be named; tests/test_beta.py::test_sleeper (gw1) was running when its worker died."
	if rep.Verdict != want || len(rep.InFlight) != 1 || rep.InFlight[0].Worker != "gw1" {
		t.Errorf("verdict %q\nin flight %+v", rep.Verdict, rep.InFlight)
	}
}

// TestBareNamesJoined: weathercop names tests by request.node.name; the
// k-th occurrence of a name is the k-th node id with that last part, in the
// order the pytest log ran them.
func TestBareNamesJoined(t *testing.T) {
	ts := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	rec := func(line int, ev, name string, sec int, rssMiB int64, open int) weathercop.Record {
		return weathercop.Record{Line: line, Event: ev, Test: name, Time: ts.Add(time.Duration(sec) * time.Second),
			VmRSSBytes: rssMiB * MiB, HasVmRSS: true, OpenXarrayDatasets: open}
	}
	wc := &weathercop.Log{Records: []weathercop.Record{
		rec(1, weathercop.SessionStart, "pytest", 0, 100, 0),
		rec(2, weathercop.TestStart, "test_phase_randomization", 1, 100, 0),
		rec(3, weathercop.TestEnd, "test_phase_randomization", 2, 900, 1),
		rec(4, weathercop.TestStart, "test_fit[clayton]", 3, 900, 0),
		rec(5, weathercop.TestEnd, "test_fit[clayton]", 4, 900, 1),
		rec(6, weathercop.TestStart, "test_phase_randomization", 5, 900, 0),
		rec(7, weathercop.TestEnd, "test_phase_randomization", 6, 1000, 1),
		rec(8, weathercop.TestStart, "test_sim", 7, 1000, 0),
	}}
	// The CI log's stamps are UTC; weathercop's are Berlin's local time,
	// an hour ahead.
	utc := func(sec int) time.Time { return ts.Add(time.Duration(sec)*time.Second - time.Hour) }
	py := &pytestlog.Log{Sessions: []pytestlog.Session{{
		Tests: []pytestlog.Test{
			{NodeID: "tests/test_multisite.py::TestMultisite::test_phase_randomization", Outcome: "passed", Line: 10, End: utc(2), HasEnd: true},
			{NodeID: "tests/test_copulae.py::test_fit[clayton]", Outcome: "passed", Line: 11, End: utc(4), HasEnd: true},
			{NodeID: "tests/test_multisite_conditional.py::test_phase_randomization", Outcome: "passed", Line: 12, End: utc(6), HasEnd: true},
		},
		InFlight: []pytestlog.InFlight{{Test: "tests/test_multisite.py::TestMultisite::test_sim", Basis: pytestlog.BasisVerboseLog, Line: 13}},
		End:      pytestlog.RunEnd{Kind: pytestlog.EndSIGKILL, KilledPID: 4242},
	}}}
	k := &dmesg.Log{Boots: 1, Events: []dmesg.Event{{Kind: dmesg.KindKernelOOMKill, PID: 4242, Comm: "python3", AnonRSSBytes: 1200 * MiB, HasKilledLine: true, Line: 3}}}
	ev := &Evidence{
		Pytest:     []PytestInput{{Path: "ci.log", Log: py}},
		Weathercop: []WeathercopInput{{Path: "test_memory.log", Log: wc}},
		Kernel:     []KernelInput{{Path: "dmesg.txt", Log: k}},
	}
	rep, _ := Analyze(ev, Options{})
	if got := leakNames(rep); !eqStrings(got, []string{"tests/test_multisite.py::TestMultisite::test_phase_randomization", "tests/test_multisite_conditional.py::test_phase_randomization"}) {
		t.Fatalf("leaks %v", got)
	}
	l := rep.Leaks[0]
	if l.RetainedBytes != 800*MiB || l.PID != 4242 || l.OpenObjects["xarray.Dataset"] != 1 || l.ShareOfKill == nil || *l.ShareOfKill != 0.667 {
		t.Errorf("leak %+v", l)
	}
	if len(rep.InFlight) != 1 || rep.InFlight[0].Test != "tests/test_multisite.py::TestMultisite::test_sim" || rep.InFlight[0].PID != 4242 {
		t.Fatalf("in flight %+v", rep.InFlight)
	}
	if e := rep.InFlight[0].AddedBytesEstimate; e == nil || *e != 200*MiB {
		t.Errorf("estimate %v", e)
	}
	if rep.RunEnd.Kind != "oom-kill" || !rep.Kills[0].EndedRun {
		t.Errorf("run end %+v", rep.RunEnd)
	}
	if len(rep.Unclosed) != 0 {
		t.Errorf("test_fit saw the count and did not raise it: unclosed %+v", rep.Unclosed)
	}
	if !strings.Contains(strings.Join(rep.Warnings, "\n"), "test_memory.log: its local stamps are UTC+01:00") {
		t.Errorf("warnings %q", rep.Warnings)
	}
	if s := rep.Timeline[0]; s.End == nil || *s.End != "2026-11-26T09:00:02Z" {
		t.Errorf("timeline %+v", rep.Timeline[0])
	}
}

// TestKernelWallCompleted: a syslog stamp gets its year from the other
// inputs (across New Year), a time-of-day-only stamp its day.
func TestKernelWallCompleted(t *testing.T) {
	n := &normaliser{opts: Options{}}
	ref := time.Date(2027, 1, 1, 0, 5, 0, 0, time.UTC)
	noYear := time.Date(0, 12, 31, 23, 59, 0, 0, time.UTC)
	got, ok, naive := n.kernelWall(noYear, dmesg.BasisSyslogNoYear, ref, true, time.UTC)
	if !ok || !naive || !got.Equal(time.Date(2026, 12, 31, 23, 59, 0, 0, time.UTC)) {
		t.Errorf("syslog across New Year: %v %v", got, ok)
	}
	if _, ok, _ := n.kernelWall(noYear, dmesg.BasisSyslogNoYear, time.Time{}, false, time.UTC); ok {
		t.Errorf("a syslog stamp with no year and no other input was placed")
	}
	tod := time.Date(0, 1, 1, 23, 58, 0, 0, time.UTC)
	got, ok, _ = n.kernelWall(tod, dmesg.BasisTimeOfDayOnly, ref, true, time.UTC)
	if !ok || !got.Equal(time.Date(2026, 12, 31, 23, 58, 0, 0, time.UTC)) {
		t.Errorf("time of day: %v", got)
	}
	n.opts.Year = 2020
	got, _, _ = n.kernelWall(noYear, dmesg.BasisSyslogNoYear, ref, true, time.UTC)
	if got.Year() != 2020 {
		t.Errorf("Options.Year: %v", got)
	}
}
