package correlate

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/oomlens/oomlens/diagnostics"
	"github.com/oomlens/oomlens/dmesg"
	"github.com/oomlens/oomlens/pytestlog"
	"github.com/oomlens/oomlens/record/manifest"
)

// TestRecordModeThroughParsers is a job folder as `oomlens record` writes
// it, built by hand: output.log with GitHub Actions-style stamps (pytest -v),
// diagnostics.jsonl with a session_start per process (the shell and
// python) and one sample a second, and kernel.log in dmesg format. test_2
// takes 300 MiB for good, test_3 spikes to 2 GiB and gives it back, test_4
// climbs until the kernel kills python (pid 501) 10.5 s after it started.
func TestRecordModeThroughParsers(t *testing.T) {
	const t0 = 1795687200 // 2026-11-26T10:00:00Z
	const boot = t0 - 1000
	output := strings.Join([]string{
		"2026-11-26T10:00:00.0000000Z ============================= test session starts ==============================",
		"2026-11-26T10:00:00.1000000Z platform linux -- Python 3.11.2, pytest-7.2.1, pluggy-1.0.0 -- /usr/bin/python3",
		"2026-11-26T10:00:00.2000000Z collecting ... collected 4 items",
		"2026-11-26T10:00:00.3000000Z ",
		"2026-11-26T10:00:10.0000000Z tests/test_a.py::test_1 PASSED                                    [ 25%]",
		"2026-11-26T10:00:20.0000000Z tests/test_a.py::test_2 PASSED                                    [ 50%]",
		"2026-11-26T10:00:30.0000000Z tests/test_a.py::test_3 PASSED                                    [ 75%]",
		"2026-11-26T10:00:41.0000000Z tests/test_a.py::test_4 /bin/sh: line 1:   501 Killed                  python3 -m pytest -v tests",
		"",
	}, "\n")
	var diag strings.Builder
	fmt.Fprintf(&diag, `{"event":"session_start","time":%d.05,"pid":500,"ppid":1,"schema":"oomlens/diagnostics/v1","rss_bytes":4194304,"rss_anon_bytes":1048576,"boot_time":%d,"monotonic":1000.05,"comm":"sh","cmdline":"/bin/sh -c python3 -m pytest -v tests"}`+"\n", t0, boot)
	fmt.Fprintf(&diag, `{"event":"session_start","time":%d.06,"pid":501,"ppid":500,"schema":"oomlens/diagnostics/v1","rss_bytes":20971520,"rss_anon_bytes":10485760,"boot_time":%d,"monotonic":1000.06,"comm":"python3","cmdline":"python3 -m pytest -v tests"}`+"\n", t0, boot)
	for s := 0; s <= 40; s++ {
		r := 100 * MiB
		switch {
		case s > 12 && s <= 20:
			r = 400 * MiB
		case s > 20 && s <= 30:
			r = 400 * MiB
			if s == 25 {
				r = 2 * GiB
			}
		case s > 30:
			r = 400*MiB + int64(s-30)*100*MiB
		}
		fmt.Fprintf(&diag, `{"event":"sample","time":%d.25,"pid":500,"rss_bytes":4194304,"rss_anon_bytes":1048576}`+"\n", t0+s)
		fmt.Fprintf(&diag, `{"event":"sample","time":%d.25,"pid":501,"rss_bytes":%d,"rss_anon_bytes":%d}`+"\n", t0+s, r+20*MiB, r)
	}
	kernel := "[ 1040.900000] Out of memory: Killed process 501 (python3) total-vm:4000000kB, anon-rss:1536000kB, file-rss:1000kB, shmem-rss:0kB, UID:1000 pgtables:3000kB oom_score_adj:0\n"

	py, err := pytestlog.Parse(strings.NewReader(output), pytestlog.Options{Name: "output.log"})
	if err != nil {
		t.Fatal(err)
	}
	d, err := diagnostics.Parse(strings.NewReader(diag.String()), diagnostics.Options{Name: "diagnostics.jsonl"})
	if err != nil {
		t.Fatal(err)
	}
	k, err := dmesg.Parse(strings.NewReader(kernel), dmesg.Options{Name: "kernel.log"})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := Analyze(&Evidence{
		Pytest:      []PytestInput{{Path: "output.log", Log: py}},
		Diagnostics: []DiagnosticsInput{{Path: "diagnostics.jsonl", Diag: d}},
		Kernel:      []KernelInput{{Path: "kernel.log", Log: k}},
	}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got := leakNames(rep); !eqStrings(got, []string{"tests/test_a.py::test_2"}) {
		t.Fatalf("leaks %v (timeline %+v)", got, rep.Timeline)
	}
	if l := rep.Leaks[0]; l.RetainedBytes != 300*MiB || l.Confidence != ConfidenceLow || l.PID != 501 || l.ShareOfKill == nil || *l.ShareOfKill != 0.2 {
		t.Errorf("leak %+v share %v", l, l.ShareOfKill)
	}
	if h := findHog(rep, "tests/test_a.py::test_3"); h == nil || h.PeakBytes != 2*GiB+20*MiB {
		t.Errorf("hogs %+v", rep.Hogs)
	}
	if len(rep.InFlight) != 1 || rep.InFlight[0].Test != "tests/test_a.py::test_4" || rep.InFlight[0].Basis != "record" || rep.InFlight[0].PID != 501 {
		t.Fatalf("in flight %+v", rep.InFlight)
	}
	if e := rep.InFlight[0].AddedBytesEstimate; e == nil || *e != 1500*MiB-400*MiB {
		t.Errorf("added estimate %v", e)
	}
	if len(rep.Kills) != 1 || !rep.Kills[0].EndedRun || *rep.Kills[0].Time != "2026-11-26T10:00:40.9Z" {
		t.Errorf("kills %+v", rep.Kills)
	}
	if rep.Alignment.Method != AlignDiagnosticsMonotonic || rep.RunEnd.Kind != "oom-kill" {
		t.Errorf("alignment %+v run end %+v", rep.Alignment, rep.RunEnd)
	}
	want := "OOM kill of pid 501 (python3) (system-wide out of memory): 1 test retained 300.0 MiB that was never released (tests/test_a.py::test_2 300.0 MiB); tests/test_a.py::test_4 was only running when the limit was hit; this explains 94% of the 1.5 GiB at the kill."
	if rep.Verdict != want {
		t.Errorf("verdict\n got %q\nwant %q", rep.Verdict, want)
	}
}

// recordJob reads a job folder as `oomlens record` writes it, named as an
// analysis of the folder names its files (relative paths), with record.json
// decoded as package job does.
func recordJob(t *testing.T, dir string) *Evidence {
	t.Helper()
	ev := &Evidence{
		Pytest:      []PytestInput{readPytest(t, filepath.Join(dir, "output.log"))},
		Diagnostics: []DiagnosticsInput{readDiagnostics(t, filepath.Join(dir, "diagnostics.jsonl"))},
		Kernel:      []KernelInput{readKernel(t, filepath.Join(dir, "kernel.log"), dmesg.Options{})},
		Records:     []RecordInput{{Path: "record.json", Manifest: readManifest(t, filepath.Join(dir, "record.json"))}},
	}
	ev.Diagnostics[0].Path = "diagnostics.jsonl"
	ev.Inputs = []Input{
		{Path: "diagnostics.jsonl", Kinds: []string{"diagnostics-jsonl"}},
		{Path: "kernel.log", Kinds: []string{"kernel-log"}},
		{Path: "output.log", Kinds: []string{"pytest-log"}},
		{Path: "record.json", Kinds: []string{"record-manifest"}},
	}
	return ev
}

// readManifest reads a record.json as job does.
func readManifest(t *testing.T, path string) manifest.Manifest {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	m, err := manifest.Parse(f, path)
	if err != nil {
		t.Fatal(err)
	}
	return *m
}

// TestRealRecordJobs analyses real `oomlens record` folders (see each
// folder's README.md; the expected figures were checked by hand against the
// samples that follow the stamps of the result lines): the e2e suite killed
// in a memory cgroup, sampled every 50 ms and every 10 ms, and a run that a
// watchdog killed with SIGKILL (no OOM record in the kernel log read during
// the run). The leaks are named with their exact retention, the hog is a
// hog, the module fixture of test_2_models.py is neither (its 48 MiB is
// given back at the file's end), and the run's end comes from record.json.
func TestRealRecordJobs(t *testing.T) {
	type leak struct {
		test  string
		bytes int64
	}
	for _, tc := range []struct {
		dir      string
		pid      int
		leaks    []leak
		hog      string
		hogPeak  int64
		inFlight string
		added    int64 // the in-flight test's estimate, 0 for none
		runEnd   string
		evidence []string
		verdict  string
		warnings []string
		notNamed []string
		interval string
	}{
		{
			dir: "record-memcg-50ms", pid: 23047,
			leaks: []leak{{"test_1_io.py::test_open_cached_dataset", 182132736 - 81461248}, {"test_3_registry.py::test_register_dataset", 250044416 - 182931456}},
			hog:   "test_2_models.py::test_resample_hog", hogPeak: 386392064,
			inFlight: "test_3_registry.py::test_merge_all", added: 453184*1024 - 253194240,
			runEnd:   "oom-kill",
			evidence: []string{`record.json: the command was ended by signal "killed" (status 137)`, "kernel.log:90: kernel-oom-kill of pid 23047 (python3), matched by a pid of the test processes"},
			verdict:  "OOM kill of pid 23047 (python3) in memcg /oomlens-record-memcg-50ms: 2 tests retained 160.0 MiB that was never released (test_1_io.py::test_open_cached_dataset 96.0 MiB, test_3_registry.py::test_register_dataset 64.0 MiB); test_3_registry.py::test_merge_all was only running when the limit was hit; this explains 84% of the 442.6 MiB at the kill.",
			warnings: []string{"record mode: pid 23047: per-test memory was read from samples every 50 ms and as result lines ended, not written by the tests: 15 of 15 test ends had a sample within 2.0 ms after their result line"},
			notNamed: []string{"test_2_models.py::test_climatology_mean", "test_2_models.py::test_anomaly", "test_1_io.py::test_write_small_file", "test_3_registry.py::test_memo_small"},
			interval: "samples every 50 ms",
		},
		{
			dir: "record-memcg-10ms", pid: 23193,
			leaks: []leak{{"test_1_io.py::test_open_cached_dataset", 182132736 - 81453056}, {"test_3_registry.py::test_register_dataset", 250040320 - 182927360}},
			hog:   "test_2_models.py::test_resample_hog", hogPeak: 388694016,
			inFlight: "test_3_registry.py::test_merge_all", added: 453080*1024 - 253190144,
			runEnd:   "oom-kill",
			evidence: []string{`record.json: the command was ended by signal "killed" (status 137)`, "kernel.log:80: kernel-oom-kill of pid 23193 (python3), matched by a pid of the test processes"},
			verdict:  "OOM kill of pid 23193 (python3) in memcg /oomlens-record-memcg-10ms: 2 tests retained 160.0 MiB that was never released (test_1_io.py::test_open_cached_dataset 96.0 MiB, test_3_registry.py::test_register_dataset 64.0 MiB); test_3_registry.py::test_merge_all was only running when the limit was hit; this explains 82% of the 442.5 MiB at the kill.",
			warnings: []string{"record mode: pid 23193: per-test memory was read from samples every 10 ms and as result lines ended, not written by the tests: 15 of 15 test ends had a sample within 2.0 ms after their result line"},
			notNamed: []string{"test_2_models.py::test_climatology_mean", "test_2_models.py::test_anomaly", "test_1_io.py::test_write_small_file", "test_3_registry.py::test_memo_small"},
			interval: "samples every 10 ms",
		},
		{
			dir: "record-watchdog-sigkill", pid: 23536,
			leaks:    []leak{{"test_watchdog.py::test_cache_table", 70893568 - 28946432}},
			inFlight: "test_watchdog.py::test_wait_for_service",
			runEnd:   "sigkill",
			evidence: []string{`record.json: the command was ended by signal "killed" (status 137)`},
			verdict:  "Killed (SIGKILL), cause unconfirmed (no kernel OOM record matches the job): 1 test retained 40.0 MiB that was never released (test_watchdog.py::test_cache_table 40.0 MiB); test_watchdog.py::test_wait_for_service was running when the process died; this explains 67% of the 67.6 MiB at the last reading.",
			warnings: []string{"record.json: the kernel log was read during the run (kernel.log) and holds no OOM record: a SIGKILL without one was sent by something else (a CI timeout, a watchdog, a cgroup with the kernel's kill disabled)"},
			notNamed: []string{"test_watchdog.py::test_parse_header"},
			interval: "samples every 10 ms",
		},
	} {
		t.Run(tc.dir, func(t *testing.T) {
			rep, err := Analyze(recordJob(t, filepath.Join("testdata", tc.dir)), Options{})
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, l := range tc.leaks {
				names = append(names, l.test)
			}
			if got := leakNames(rep); !eqStrings(got, names) {
				t.Fatalf("leaks %v, want %v", got, names)
			}
			for i, want := range tc.leaks {
				l := rep.Leaks[i]
				if l.RetainedBytes != want.bytes || l.PID != tc.pid || l.Confidence != ConfidenceLow {
					t.Errorf("leak %s: retained %d pid %d confidence %s; want %d, %d, low", l.Test, l.RetainedBytes, l.PID, l.Confidence, want.bytes, tc.pid)
				}
				if ev := strings.Join(l.Evidence, "\n"); !strings.Contains(ev, "read from "+tc.interval+" and as result lines ended; its start read ") {
					t.Errorf("leak %s: evidence does not give the sampling: %q", l.Test, ev)
				}
			}
			if tc.hog != "" {
				if h := findHog(rep, tc.hog); h == nil || h.PeakBytes != tc.hogPeak || h.RetainedBytes != 0 {
					t.Errorf("hog %s: %+v", tc.hog, h)
				}
			}
			if (tc.hog == "" && len(rep.Hogs) != 0) || (tc.hog != "" && len(rep.Hogs) != 1) {
				t.Errorf("hogs %+v, want only %q", rep.Hogs, tc.hog)
			}
			for _, n := range tc.notNamed {
				if findLeak(rep, n) != nil || findHog(rep, n) != nil {
					t.Errorf("%s named (leaks %v, hogs %+v)", n, leakNames(rep), rep.Hogs)
				}
			}
			if len(rep.InFlight) != 1 || rep.InFlight[0].Test != tc.inFlight || rep.InFlight[0].PID != tc.pid || rep.InFlight[0].Basis != "record" {
				t.Fatalf("in flight %+v", rep.InFlight)
			}
			if e := rep.InFlight[0].AddedBytesEstimate; (tc.added == 0) != (e == nil) || (e != nil && *e != tc.added) {
				t.Errorf("in flight added %v, want %d", e, tc.added)
			}
			if rep.RunEnd.Kind != tc.runEnd || rep.RunEnd.ExitCode == nil || *rep.RunEnd.ExitCode != 137 || !eqStrings(rep.RunEnd.Evidence, tc.evidence) {
				t.Errorf("run end %+v (exit %v)", rep.RunEnd, rep.RunEnd.ExitCode)
			}
			if rep.Verdict != tc.verdict {
				t.Errorf("verdict\n got %q\nwant %q", rep.Verdict, tc.verdict)
			}
			all := strings.Join(rep.Warnings, "\n")
			for _, w := range tc.warnings {
				if !strings.Contains(all, w) {
					t.Errorf("no warning %q in\n%s", w, all)
				}
			}
			for _, bad := range []string{"no kernel log was read", "cannot be told apart", "given to no test"} {
				if strings.Contains(all, bad) {
					t.Errorf("warning %q in\n%s", bad, all)
				}
			}
			if rep.Alignment.Method != AlignDiagnosticsMonotonic {
				t.Errorf("alignment %+v", rep.Alignment)
			}
		})
	}
}

// synthRecord builds a record-mode job from -v result lines (node id and
// stamp in seconds after t0; an empty outcome is the test in flight) and
// samples of pid 700 (seconds after t0, anonymous RSS in MiB), parsed as the
// real files are.
func synthRecord(t *testing.T, lines []synthLine, samples [][2]float64, records ...RecordInput) *Evidence {
	t.Helper()
	const t0 = 1795687200.0 // 2026-11-26T10:00:00Z
	stamp := func(s float64) string {
		return time.Unix(0, int64((t0+s)*1e9)).UTC().Format("2006-01-02T15:04:05.0000000Z")
	}
	var out strings.Builder
	fmt.Fprintf(&out, "%s ============================= test session starts ==============================\n", stamp(0))
	fmt.Fprintf(&out, "%s collecting ... collected %d items\n", stamp(0.1), len(lines))
	fmt.Fprintf(&out, "%s \n", stamp(0.2))
	for _, l := range lines {
		if l.outcome == "" {
			fmt.Fprintf(&out, "%s %s \n", stamp(l.at), l.id)
			continue
		}
		fmt.Fprintf(&out, "%s %s %s\n", stamp(l.at), l.id, l.outcome)
	}
	var diag strings.Builder
	fmt.Fprintf(&diag, `{"event":"session_start","schema":"oomlens/diagnostics/v1","time":%.6f,"pid":700,"ppid":1,"rss_bytes":%d,"rss_anon_bytes":%d,"comm":"python3","cmdline":"python3 -m pytest -v"}`+"\n",
		t0+0.05, 40*MiB, 20*MiB)
	for _, s := range samples {
		fmt.Fprintf(&diag, `{"event":"sample","time":%.6f,"pid":700,"rss_bytes":%d,"rss_anon_bytes":%d}`+"\n",
			t0+s[0], int64(s[1]*float64(MiB))+20*MiB, int64(s[1]*float64(MiB)))
	}
	py, err := pytestlog.Parse(strings.NewReader(out.String()), pytestlog.Options{Name: "output.log"})
	if err != nil {
		t.Fatal(err)
	}
	d, err := diagnostics.Parse(strings.NewReader(diag.String()), diagnostics.Options{Name: "diagnostics.jsonl"})
	if err != nil {
		t.Fatal(err)
	}
	return &Evidence{
		Pytest:      []PytestInput{{Path: "output.log", Log: py}},
		Diagnostics: []DiagnosticsInput{{Path: "diagnostics.jsonl", Diag: d}},
		Records:     records,
	}
}

type synthLine struct {
	id      string
	at      float64
	outcome string
}

// TestRecordBurst: two result lines read together (one stamp) leave their
// tests without readings; what changed between the readings around them is
// given to no test, and the warnings say so.
func TestRecordBurst(t *testing.T) {
	lines := []synthLine{
		{"a.py::t1", 1.000, "PASSED"},
		{"a.py::t2", 1.010, "PASSED"},
		{"a.py::t3", 1.010, "PASSED"},
		{"a.py::t4", 1.020, "PASSED"},
		{"a.py::t5", 1.030, ""},
	}
	samples := [][2]float64{{0.2001, 100}, {1.0001, 100}, {1.0101, 180}, {1.0201, 180}, {1.0301, 180}}
	rep, err := Analyze(synthRecord(t, lines, samples), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Leaks) != 0 {
		t.Errorf("leaks %v: a burst's change was given to a test", leakNames(rep))
	}
	all := strings.Join(rep.Warnings, "\n")
	for _, w := range []string{
		"record mode: pid 700: the result lines of a.py::t2 … a.py::t3 (2 tests) reached the recorder together, so their ends were not read; memory changed by +80.0 MiB between the readings around them (the next test's start included), which is given to no test",
		"pid 700: 80.0 MiB grew between tests and was never released; no test owns it",
		"2 of 4 test ends had a sample within 2.0 ms after their result line",
		// t2 and t3 share their ends, and t4 starts from the burst.
		"record mode: 3 tests started or ended between the same two samples as another test",
	} {
		if !strings.Contains(all, w) {
			t.Errorf("no warning %q in\n%s", w, all)
		}
	}
}

// TestRecordModuleTeardown: a drop over the last test of a file is read as
// the teardown of its module fixtures and given back to the growth of the
// file's first test, which is then neither a leak nor a hog; the same drop
// inside a file is a plain release (most recent growth first), and the test
// that grew is a hog that gave its memory back.
func TestRecordModuleTeardown(t *testing.T) {
	samples := [][2]float64{{0.2001, 100}, {1.0001, 150}, {1.0101, 150}, {1.0201, 100}, {1.0301, 100}}
	for _, tc := range []struct {
		name   string
		second string // the file of the second test
		hog    bool
	}{
		{"end of file", "b.py", false},
		{"inside a file", "a.py", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			lines := []synthLine{
				{"a.py::setter", 1.000, "PASSED"},
				{"a.py::user", 1.010, "PASSED"},
				{"a.py::last", 1.020, "PASSED"},
				{tc.second + "::next", 1.030, "PASSED"},
				{tc.second + "::victim", 1.040, ""},
			}
			rep, err := Analyze(synthRecord(t, lines, append(samples, [2]float64{1.0401, 100})), Options{})
			if err != nil {
				t.Fatal(err)
			}
			if len(rep.Leaks) != 0 {
				t.Errorf("leaks %v", leakNames(rep))
			}
			h := findHog(rep, "a.py::setter")
			if (h != nil) != tc.hog {
				t.Fatalf("setter named a hog: %v, want %v (%+v)", h != nil, tc.hog, rep.Hogs)
			}
			if h != nil && !strings.Contains(strings.Join(h.Evidence, "\n"), "given back later (50.0 MiB during a.py::last)") {
				t.Errorf("hog evidence %q", h.Evidence)
			}
		})
	}
}

// TestRecordInterpolated: with samples 50 ms apart and no reading after the
// result lines (an older recorder), the memory at a stamp is interpolated
// between the samples around it, and a test between the same two samples as
// another is said to share its figures.
func TestRecordInterpolated(t *testing.T) {
	lines := []synthLine{
		{"a.py::t1", 1.000, "PASSED"},
		{"a.py::grow", 1.125, "PASSED"},
		{"a.py::t3", 1.130, "PASSED"},
		{"a.py::t4", 1.300, ""},
	}
	// 100 MiB until 1.05, 200 from 1.10 on: between the samples around the
	// start of grow (1.000) and its end (1.125) the rise is seen whole.
	samples := [][2]float64{{0.95, 100}, {1.05, 100}, {1.10, 200}, {1.15, 200}, {1.20, 200}, {1.25, 200}}
	rep, err := Analyze(synthRecord(t, lines, samples), Options{})
	if err != nil {
		t.Fatal(err)
	}
	l := findLeak(rep, "a.py::grow")
	if l == nil || l.RetainedBytes != 100*MiB || l.Confidence != ConfidenceLow {
		t.Fatalf("leak %+v (leaks %v)", l, leakNames(rep))
	}
	ev := strings.Join(l.Evidence, "\n")
	for _, w := range []string{"read from samples about 50 ms apart; its start interpolated between samples 100 ms apart; its end interpolated between samples 50 ms apart",
		// t1 around its start; t3 and t4 (in flight) around its end.
		"the samples are 50 ms apart, and 3 other tests ran between the samples around its start or end"} {
		if !strings.Contains(ev, w) {
			t.Errorf("no %q in evidence\n%s", w, ev)
		}
	}
}

func intp(v int) *int       { return &v }
func strp(s string) *string { return &s }

// TestRecordRunEnd maps record.json's exit status or signal to the run's
// end when the pytest log does not say (a recorded run prints no shell
// line).
func TestRecordRunEnd(t *testing.T) {
	lines := []synthLine{{"a.py::t1", 1.0, "PASSED"}, {"a.py::t2", 1.1, ""}}
	samples := [][2]float64{{0.2001, 100}, {1.0001, 100}, {1.1001, 100}}
	for _, tc := range []struct {
		m        manifest.Manifest
		kind     string
		evidence string
	}{
		{manifest.Manifest{Signal: strp("killed"), Status: 137}, "sigkill", `record.json: the command was ended by signal "killed" (status 137)`},
		{manifest.Manifest{Signal: strp("terminated"), Status: 143}, "cancelled", `record.json: the command was ended by signal "terminated" (status 143)`},
		{manifest.Manifest{Signal: strp("interrupt"), Status: 130}, "cancelled", `record.json: the command was ended by signal "interrupt" (status 130)`},
		{manifest.Manifest{Signal: strp("segmentation fault"), Status: 139}, "crash", `record.json: the command was ended by signal "segmentation fault" (status 139)`},
		{manifest.Manifest{ExitCode: intp(137), Status: 137}, "sigkill", "record.json: the command exited with status 137"},
		{manifest.Manifest{ExitCode: intp(0), Status: 0}, "complete", "record.json: the command exited with status 0"},
		{manifest.Manifest{ExitCode: intp(1), Status: 1}, "complete", "record.json: the command exited with status 1"},
		{manifest.Manifest{ExitCode: intp(3), Status: 3}, "crash", "record.json: the command exited with status 3"},
		// pytest's "interrupted" (Ctrl-C, or errors with -x): the status is
		// said, the kind is not guessed.
		{manifest.Manifest{ExitCode: intp(2), Status: 2}, "unknown", "record.json: the command exited with status 2"},
	} {
		rep, err := Analyze(synthRecord(t, lines, samples, RecordInput{Path: "record.json", Manifest: tc.m}), Options{})
		if err != nil {
			t.Fatal(err)
		}
		re := rep.RunEnd
		if re.Kind != tc.kind {
			t.Errorf("%+v: run end %q, want %q", tc.m, re.Kind, tc.kind)
		}
		if !eqStrings(re.Evidence, []string{tc.evidence}) || re.ExitCode == nil || *re.ExitCode != tc.m.Status {
			t.Errorf("%+v: evidence %q exit %v", tc.m, re.Evidence, re.ExitCode)
		}
	}
}

// TestRecordKernelLogFate: what the warnings and the verdict say of the
// kernel log when record.json says it could not be read, or names a file
// that is not among the inputs.
func TestRecordKernelLogFate(t *testing.T) {
	lines := []synthLine{{"a.py::t1", 1.0, "PASSED"}, {"a.py::t2", 1.1, ""}}
	samples := [][2]float64{{0.2001, 100}, {1.0001, 100}, {1.1001, 100}}
	killed := manifest.Manifest{Signal: strp("killed"), Status: 137}

	m := killed
	m.KernelLogUnavailable = "open /dev/kmsg: permission denied"
	rep, err := Analyze(synthRecord(t, lines, samples, RecordInput{Path: "job/record.json", Manifest: m}), Options{})
	if err != nil {
		t.Fatal(err)
	}
	all := strings.Join(rep.Warnings, "\n")
	if !strings.Contains(all, "job/record.json: the kernel log could not be read during the run (open /dev/kmsg: permission denied), so an OOM kill cannot be confirmed") ||
		strings.Contains(all, "no kernel log was read") {
		t.Errorf("warnings\n%s", all)
	}
	if !strings.HasPrefix(rep.Verdict, "Killed (SIGKILL), cause unconfirmed (no kernel log was read)") {
		t.Errorf("verdict %q", rep.Verdict)
	}

	m = killed
	m.KernelLog = strp("kernel.log")
	rep, err = Analyze(synthRecord(t, lines, samples, RecordInput{Path: "job/record.json", Manifest: m}), Options{})
	if err != nil {
		t.Fatal(err)
	}
	all = strings.Join(rep.Warnings, "\n")
	if !strings.Contains(all, "job/record.json: the kernel log was read during the run into job/kernel.log, which is not among the inputs: add it, or analyse the whole folder") {
		t.Errorf("warnings\n%s", all)
	}
}

// TestRecordBootTime: a kill with only an uptime stamp is placed on the wall
// clock with record.json's boot time when no diagnostics record gives one.
func TestRecordBootTime(t *testing.T) {
	lines := []synthLine{{"a.py::t1", 1.0, "PASSED"}, {"a.py::t2", 1.1, ""}}
	samples := [][2]float64{{0.2001, 100}, {1.0001, 100}, {1.1001, 100}}
	const boot = 1795687200 - 1000
	ev := synthRecord(t, lines, samples, RecordInput{Path: "record.json", Manifest: manifest.Manifest{Signal: strp("killed"), Status: 137, BootTime: boot, KernelLog: strp("kernel.log")}})
	k, err := dmesg.Parse(strings.NewReader("[ 1001.500000] Out of memory: Killed process 700 (python3) total-vm:400000kB, anon-rss:300000kB, file-rss:1000kB, shmem-rss:0kB, UID:1000 pgtables:800kB oom_score_adj:0\n"), dmesg.Options{Name: "kernel.log"})
	if err != nil {
		t.Fatal(err)
	}
	ev.Kernel = []KernelInput{{Path: "kernel.log", Log: k}}
	ev.Inputs = []Input{{Path: "kernel.log", Kinds: []string{"kernel-log"}}}
	rep, err := Analyze(ev, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Alignment.Method != AlignRecordBootTime || len(rep.Kills) != 1 || rep.Kills[0].Time == nil || *rep.Kills[0].Time != "2026-11-26T10:00:01.5Z" {
		t.Fatalf("alignment %+v kills %+v", rep.Alignment, rep.Kills)
	}
	if rep.RunEnd.Kind != "oom-kill" || !rep.Kills[0].EndedRun {
		t.Errorf("run end %+v", rep.RunEnd)
	}
}

// TestRecordRunEndAgrees: when the pytest log says how the run ended (the
// shell's Killed line) and record.json says the same, its words are added.
func TestRecordRunEndAgrees(t *testing.T) {
	lines := []synthLine{{"a.py::t1", 1.0, "PASSED"}, {"a.py::t2", 1.1, ""}}
	samples := [][2]float64{{0.2001, 100}, {1.0001, 100}, {1.1001, 100}}
	ev := synthRecord(t, lines, samples, RecordInput{Path: "record.json", Manifest: manifest.Manifest{ExitCode: intp(137), Status: 137}})
	py, err := pytestlog.Parse(strings.NewReader(strings.Join([]string{
		"2026-11-26T10:00:00.0000000Z ============================= test session starts ==============================",
		"2026-11-26T10:00:01.0000000Z a.py::t1 PASSED",
		"2026-11-26T10:00:02.0000000Z Killed",
		"2026-11-26T10:00:02.0000000Z a.py::t2 ",
	}, "\n")), pytestlog.Options{Name: "output.log"})
	if err != nil {
		t.Fatal(err)
	}
	ev.Pytest[0].Log = py
	rep, err := Analyze(ev, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if re := rep.RunEnd; re.Kind != "sigkill" || !eqStrings(re.Evidence, []string{"output.log:3: Killed", "record.json: the command exited with status 137"}) {
		t.Errorf("run end %+v", re)
	}
}

// analyzeRecord parses output.log and diagnostics.jsonl contents as a
// recorded job and checks that the report holds together: record-mode leaks
// are of low confidence and retain something, hogs keep less than the floor.
func analyzeRecord(t *testing.T, out, diag []byte) {
	ev := &Evidence{Records: []RecordInput{{Path: "record.json", Manifest: manifest.Manifest{Signal: strp("killed"), Status: 137, Sampler: manifest.SamplerStats{IntervalMS: 50, LineTicks: 3}, KernelLog: strp("kernel.log")}}}}
	if l, err := pytestlog.Parse(bytes.NewReader(out), pytestlog.Options{Name: "output.log"}); err == nil {
		ev.Pytest = append(ev.Pytest, PytestInput{Path: "output.log", Log: l})
	}
	if d, err := diagnostics.Parse(bytes.NewReader(diag), diagnostics.Options{Name: "diagnostics.jsonl"}); err == nil {
		ev.Diagnostics = append(ev.Diagnostics, DiagnosticsInput{Path: "diagnostics.jsonl", Diag: d})
	}
	rep, err := Analyze(ev, Options{})
	if err != nil || rep.Verdict == "" {
		t.Fatalf("err %v verdict %q", err, rep.Verdict)
	}
	for _, l := range rep.Leaks {
		if l.RetainedBytes <= 0 || l.Confidence != ConfidenceLow {
			t.Fatalf("leak %+v", l)
		}
	}
	for _, h := range rep.Hogs {
		if h.RetainedBytes >= DefaultNoiseFloorBytes {
			t.Fatalf("hog that kept %d", h.RetainedBytes)
		}
	}
}

// TestRecordJobPrefixes analyses every prefix of the real record jobs'
// output.log (with the whole diagnostics) and of their diagnostics.jsonl
// (with the whole output.log): a cut-off file is never a panic.
func TestRecordJobPrefixes(t *testing.T) {
	step := 1
	if testing.Short() {
		step = 13
	}
	for _, d := range []string{"record-memcg-50ms", "record-watchdog-sigkill"} {
		out, err1 := os.ReadFile(filepath.Join("testdata", d, "output.log"))
		diag, err2 := os.ReadFile(filepath.Join("testdata", d, "diagnostics.jsonl"))
		if err1 != nil || err2 != nil {
			t.Fatal(err1, err2)
		}
		for i := 0; i <= len(out); i += step {
			analyzeRecord(t, out[:i], diag)
		}
		for i := 0; i <= len(diag); i += 7 * step {
			analyzeRecord(t, out, diag[:i])
		}
	}
}

// FuzzRecordMode feeds output.log and diagnostics.jsonl contents, split at
// the first NUL byte, through record mode, seeded with real record jobs.
func FuzzRecordMode(f *testing.F) {
	for _, d := range []string{"record-memcg-50ms", "record-watchdog-sigkill"} {
		out, err1 := os.ReadFile(filepath.Join("testdata", d, "output.log"))
		diag, err2 := os.ReadFile(filepath.Join("testdata", d, "diagnostics.jsonl"))
		if err1 == nil && err2 == nil {
			// The first records only: the instrumented JSON decoder is
			// slow, and the mutator works on small inputs best.
			f.Add(append(append(out, 0), diag[:min(len(diag), 2048)]...))
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		out, diag := data, []byte(nil)
		if i := bytes.IndexByte(data, 0); i >= 0 {
			out, diag = data[:i], data[i+1:]
		}
		analyzeRecord(t, out, diag)
	})
}
