package correlate

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/oomlens/oomlens/dmesg"
	"github.com/oomlens/oomlens/elfcore"
	"github.com/oomlens/oomlens/pytestlog"
	"github.com/oomlens/oomlens/weathercop"
)

func corpus(parts ...string) string {
	return filepath.Join(append([]string{"..", "testdata"}, parts...)...)
}

func readPytest(t *testing.T, path string) PytestInput {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	l, err := pytestlog.Parse(f, pytestlog.Options{Name: path})
	if err != nil {
		t.Fatal(err)
	}
	return PytestInput{Path: filepath.Base(path), Log: l}
}

func readKernel(t *testing.T, path string, opts dmesg.Options) KernelInput {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	opts.Name = path
	l, err := dmesg.Parse(f, opts)
	if err != nil {
		t.Fatal(err)
	}
	return KernelInput{Path: filepath.Base(path), Log: l}
}

func readWeathercop(t *testing.T, path string) WeathercopInput {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	l, err := weathercop.Parse(f, weathercop.Options{Name: path})
	if err != nil {
		t.Fatal(err)
	}
	return WeathercopInput{Path: filepath.Base(path), Log: l}
}

// TestCorpusPytestLogs: the shared pytest samples carry no memory evidence:
// the test in flight is named (checked by hand against each sample), the run
// end is the log's, and no leak or hog is ever invented.
func TestCorpusPytestLogs(t *testing.T) {
	cases := []struct {
		file     string
		runEnd   string
		inFlight string // first in-flight test, "-" none
		worker   string
		verdict  string // prefix
	}{
		{"01-gha-raw-timestamps-killed-during-first-test.log", "sigkill", "test/test_performance.py::test_pandas", "", "Killed (SIGKILL), cause unconfirmed (no kernel log was read)"},
		{"02-gha-ui-copy-cov-killed-dots.log", "sigkill", "testing/test_full.py::#8", "", "Killed (SIGKILL), cause unconfirmed"},
		{"03-docker-entrypoint-verbose-killed-at-52pct.log", "sigkill", "src/test/unit/test_manage_users.py::test_integration_try_actions[action_and_inputs0]", "", "Killed (SIGKILL)"},
		{"06-travis-killed-during-collection.log", "sigkill", "", "", "Killed (SIGKILL)"},
		{"08-make-killed-parametrized-id.log", "sigkill", "test/models/px/test_sfno.py::test_sfno_package[cpu]", "", "Killed (SIGKILL)"},
		{"10-xdist-verbose-node-down-replacing-worker.log", "unknown", "test_dist_tests_with_crash.py::test_crash", "gw0", "The run stopped without pytest's final line"},
		{"14-gha-ui-paste-xdist-crash-in-failures-section.log", "unknown", "echopype/tests/visualize/test_plot.py::test_plot_mvbs[filepath1-EK60-None-range_kwargs1]", "gw3", "The run stopped"},
		{"15-circleci-verbose-dangling-nodeid-agent-kill.log", "sigkill", "tests/cli/test_singularity.py::test_singularity_command_dry_run", "", "Killed (SIGKILL)"},
		{"17-rpm-build-verbose-no-progress-killed.log", "sigkill", "tests/test_patroni.py::TestPatroni::test_run", "", "Killed (SIGKILL)"},
		{"18-gha-runner-shutdown-signal-137.log", "cancelled", "-", "", "Cancelled: the CI stopped the job (\"The runner has received a shutdown signal."},
		{"19-progress-dots-memoryerror-not-sigkill.log", "memoryerror", "tests/test_main.py::#6", "", "MemoryError inside Python (an allocation failed; no kill)"},
	}
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			in := readPytest(t, corpus("corpus", "pytest", c.file))
			rep, err := Analyze(&Evidence{Pytest: []PytestInput{in}}, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if len(rep.Leaks) != 0 || len(rep.Hogs) != 0 || len(rep.Unclosed) != 0 {
				t.Fatalf("invented from a log alone: leaks %+v hogs %+v unclosed %+v", rep.Leaks, rep.Hogs, rep.Unclosed)
			}
			if rep.RunEnd.Kind != c.runEnd {
				t.Errorf("run end %q, want %q", rep.RunEnd.Kind, c.runEnd)
			}
			if c.inFlight == "-" {
				if len(rep.InFlight) != 0 {
					t.Errorf("in flight %+v, want none", rep.InFlight)
				}
			} else if len(rep.InFlight) == 0 || rep.InFlight[0].Test != c.inFlight || rep.InFlight[0].Worker != c.worker {
				t.Errorf("in flight %+v, want %q on %q", rep.InFlight, c.inFlight, c.worker)
			}
			if !strings.HasPrefix(rep.Verdict, c.verdict) || !strings.Contains(rep.Verdict, "no per-test memory evidence") {
				t.Errorf("verdict %q", rep.Verdict)
			}
			if !strings.Contains(strings.Join(rep.Warnings, "\n"), "no per-test memory evidence") {
				t.Errorf("warnings %q", rep.Warnings)
			}
		})
	}
}

// TestCorpusDockerPair: sample 03 (the pytest log, the shell reports pid 8
// Killed inside the container) with sample 05 (the host's dmesg -T: Killed
// process 62045 (pytest)), the same incident. Container and host pids differ
// and the pytest log has no stamps to place the kill against: the only kill
// of a Python process is tied to the job by its name, and the verdict says
// so.
func TestCorpusDockerPair(t *testing.T) {
	py := readPytest(t, corpus("corpus", "pytest", "03-docker-entrypoint-verbose-killed-at-52pct.log"))
	k := readKernel(t, corpus("corpus", "pytest", "05-dmesg-T-localized-oom-kill-pytest.log"), dmesg.Options{})
	rep, err := Analyze(&Evidence{Pytest: []PytestInput{py}, Kernel: []KernelInput{k}}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Kills) != 1 || rep.Kills[0].PID != 62045 || !rep.Kills[0].EndedRun || rep.Kills[0].AnonRSSBytes == nil || *rep.Kills[0].AnonRSSBytes != 8866584*1024 {
		t.Fatalf("kills %+v", rep.Kills)
	}
	if rep.RunEnd.Kind != "oom-kill" || !strings.HasPrefix(rep.Verdict, "OOM kill of pid 62045 (pytest) (system-wide out of memory), tied to the job by its process name only: ") {
		t.Errorf("run end %q, verdict %q", rep.RunEnd.Kind, rep.Verdict)
	}
	if !strings.Contains(strings.Join(rep.Warnings, "\n"), "the kill of pid 62045 (pytest) is tied to the job by its process name alone") {
		t.Errorf("warnings %q", rep.Warnings)
	}
	// The pytest log of another job (sample 01, GitHub stamps from 2021)
	// can be compared in time, and the kill does not fit: no match.
	other := readPytest(t, corpus("corpus", "pytest", "01-gha-raw-timestamps-killed-during-first-test.log"))
	rep, _ = Analyze(&Evidence{Pytest: []PytestInput{other}, Kernel: []KernelInput{k}}, Options{})
	if rep.Kills[0].EndedRun || rep.RunEnd.Kind != "sigkill" {
		t.Errorf("a kill at another time was taken: %+v", rep.Kills)
	}
	if rep.Kills[0].TimeBasis != dmesg.BasisDmesgTAssumedUTC || *rep.Kills[0].Time != "2021-11-16T13:11:26Z" {
		t.Errorf("kill time %v basis %q", rep.Kills[0].Time, rep.Kills[0].TimeBasis)
	}
	// With the zone given (the job ran in Berlin), the wall clock moves.
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Skip("no tz database")
	}
	rep, _ = Analyze(&Evidence{Pytest: []PytestInput{py}, Kernel: []KernelInput{k}}, Options{Location: berlin})
	if *rep.Kills[0].Time != "2021-11-16T12:11:26Z" {
		t.Errorf("kill time in Berlin %v", *rep.Kills[0].Time)
	}
}

// TestCorpusKernelLogs: every shared kernel sample on its own lists its
// kills, none of which ended a run there is no job for.
func TestCorpusKernelLogs(t *testing.T) {
	files, _ := filepath.Glob(corpus("corpus", "kernel", "*.log"))
	if len(files) < 27 {
		t.Fatalf("%d kernel samples", len(files))
	}
	for _, f := range files {
		k := readKernel(t, f, dmesg.Options{})
		rep, err := Analyze(&Evidence{Kernel: []KernelInput{k}}, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if len(k.Log.Events) > 0 && len(rep.Kills) == 0 {
			t.Errorf("%s: %d events, no kills", f, len(k.Log.Events))
		}
		for _, kl := range rep.Kills {
			if kl.EndedRun || kl.Source == "" {
				t.Errorf("%s: kill %+v", f, kl)
			}
		}
		if rep.RunEnd.Kind != "unknown" || len(rep.Leaks) != 0 {
			t.Errorf("%s: run end %+v leaks %+v", f, rep.RunEnd, rep.Leaks)
		}
	}
	// A syslog stamp has no year: Options.Year gives it.
	k := readKernel(t, corpus("corpus", "kernel", "02-cadvisor-global-3.13-syslog.log"), dmesg.Options{})
	rep, _ := Analyze(&Evidence{Kernel: []KernelInput{k}}, Options{Year: 2016})
	if rep.Kills[0].Time == nil || !strings.HasPrefix(*rep.Kills[0].Time, "2016-") || rep.Alignment.Method != AlignKernelWallClock {
		t.Errorf("syslog with --year: %v, alignment %+v", rep.Kills[0].Time, rep.Alignment)
	}
}

// TestRealDiagnosticsXdist: the plugin's files of two xdist workers. With a
// 4 MiB floor, test_case[3] kept 32 MiB on gw0 and test_case[0] 8 MiB on
// gw1 (the suite keeps the arrays of i % 3 == 0); both are named with their
// worker and pid.
func TestRealDiagnosticsXdist(t *testing.T) {
	a := readDiagnostics(t, corpus("diagnostics", "xdist", "diag.gw0.jsonl"))
	b := readDiagnostics(t, corpus("diagnostics", "xdist", "diag.gw1.jsonl"))
	rep, err := Analyze(&Evidence{Diagnostics: []DiagnosticsInput{a, b}}, Options{NoiseFloorBytes: 4 * MiB})
	if err != nil {
		t.Fatal(err)
	}
	if got := leakNames(rep); !eqStrings(got, []string{"test_xdist.py::test_case[3]", "test_xdist.py::test_case[0]"}) {
		t.Fatalf("leaks %v", got)
	}
	if l := rep.Leaks[0]; l.Worker != "gw0" || l.PID != 18393 || l.RetainedBytes != 63381504-29822976 {
		t.Errorf("gw0 leak %+v", l)
	}
	if l := rep.Leaks[1]; l.Worker != "gw1" || l.PID != 18408 || l.RetainedBytes != 38215680-29810688 {
		t.Errorf("gw1 leak %+v", l)
	}
	if h := findHog(rep, "test_xdist.py::test_case[5]"); h == nil || h.PeakBytes != 105820160 {
		t.Errorf("hogs %+v", rep.Hogs)
	}
	if len(rep.InFlight) != 0 || rep.RunEnd.Kind != "complete" || len(rep.RunEnd.Evidence) != 2 {
		t.Errorf("in flight %+v, run end %+v: both sessions ended", rep.InFlight, rep.RunEnd)
	}
	if !strings.HasPrefix(rep.Verdict, "The run completed with no kill: 2 tests retained 40.0 MiB") {
		t.Errorf("verdict %q", rep.Verdict)
	}
}

// TestRealWeathercop: the logger's own output (sample 01) and the completed
// construction (02). In 01, test_small_ensemble_generation raised the
// process-wide dataset count to 1 and nothing brought it down: it left the
// dataset open (under the floor: unclosed, not a leak). In 02 the count
// falls back to 0 at test_fit[clayton]'s end, so nobody left it open.
func TestRealWeathercop(t *testing.T) {
	rep, err := Analyze(&Evidence{Weathercop: []WeathercopInput{readWeathercop(t, corpus("weathercop", "01-reference-sample-verbatim.log"))}}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Unclosed) != 1 || rep.Unclosed[0].Test != "test_small_ensemble_generation" || rep.Unclosed[0].OpenObjects["xarray.Dataset"] != 1 {
		t.Errorf("unclosed %+v", rep.Unclosed)
	}
	if len(rep.InFlight) != 2 || rep.InFlight[0].Test != "test_sim" || rep.InFlight[1].Test != "test_fit[clayton]" {
		t.Errorf("in flight %+v", rep.InFlight)
	}
	if len(rep.Leaks) != 0 {
		t.Errorf("leaks %+v", rep.Leaks)
	}
	rep, _ = Analyze(&Evidence{Weathercop: []WeathercopInput{readWeathercop(t, corpus("weathercop", "02-constructed-completed-sample.log"))}}, Options{})
	if len(rep.Unclosed) != 0 || len(rep.InFlight) != 1 || rep.InFlight[0].Test != "test_sim" {
		t.Errorf("unclosed %+v in flight %+v", rep.Unclosed, rep.InFlight)
	}
}

// TestRealCore: the core of the demo program (see testdata/cores/README.md)
// is summarised into the report with its largest anonymous regions.
func TestRealCore(t *testing.T) {
	path := corpus("cores", "oomcore-demo.core.xz")
	c, err := elfcore.ReadFile(path, elfcore.Options{Name: path})
	if err != nil {
		t.Fatal(err)
	}
	rep, _ := Analyze(&Evidence{Cores: []CoreInput{{Path: "oomcore-demo.core.xz", Core: c}}}, Options{})
	if len(rep.Cores) != 1 {
		t.Fatalf("cores %+v", rep.Cores)
	}
	cd := rep.Cores[0]
	if cd.PID != 13893 || cd.Comm != "oomcore-demo" || cd.Signal != "SIGABRT" || len(cd.LargestRegions) == 0 {
		t.Errorf("core %+v", cd)
	}
	if r := cd.LargestRegions[0]; r.SizeBytes < 8*MiB || !strings.HasPrefix(r.Start, "0x") || r.Perms != "rw-" {
		t.Errorf("largest region %+v", r)
	}
}

// TestKillsReadTwice: the same record in dmesg and in the journal is one
// kill; userspace killers are named as such.
func TestKillsReadTwice(t *testing.T) {
	a := kill{Kind: "kernel-oom-kill", PID: 9, Comm: "python", UptimeS: 100, HasUptime: true, LastBoot: true, Source: "dmesg:1", Partial: true}
	b := a
	b.Source, b.Partial, b.KeyLines = "journal:7", false, []string{"Out of memory: Killed process 9 (python)"}
	b.Wall, b.HasWall, b.WallBasis = t0, true, "iso-with-zone"
	got := dedupKills([]kill{a, b, {Kind: "earlyoom-kill", PID: 10, Comm: "rustc"}})
	if len(got) != 2 || got[0].Source != "journal:7" || !got[0].HasWall {
		t.Errorf("dedup %+v", got)
	}
	for _, c := range []struct {
		k    placedKill
		want string
	}{
		{placedKill{kill: kill{Kind: "earlyoom-kill", PID: 10, Comm: "rustc"}}, "earlyoom kill of pid 10 (rustc)"},
		{placedKill{kill: kill{Kind: "systemd-oomd-kill", Comm: "app.scope"}}, "systemd-oomd kill of app.scope"},
		{placedKill{kill: kill{Kind: "systemd-unit-oom", Comm: "ci.service"}}, "OOM kill reported by systemd for ci.service"},
		{placedKill{kill: kill{Kind: "kernel-oom-kill", PID: 3, Comm: "x", MemcgOOM: true, TaskMemcg: "/a"}}, "OOM kill of pid 3 (x) in memcg /a"},
	} {
		if got := killWords(&c.k); got != c.want {
			t.Errorf("killWords = %q, want %q", got, c.want)
		}
	}
}

// TestThisHostBootTime: go-sysinfo gives this host's boot time, in the past.
func TestThisHostBootTime(t *testing.T) {
	bt, err := sysinfoBootTime()
	if err != nil {
		t.Skipf("no boot time here: %v", err)
	}
	if !bt.Before(time.Now()) || bt.Year() < 2000 {
		t.Errorf("boot time %v", bt)
	}
}

// TestRealMemcgKill is a real OOM kill in a 420 MiB memory cgroup (see
// testdata/memcg-kill-e2e/README.md): the two leaks are named with their
// sizes and open Datasets, the module fixture and the 3 MiB memo are not,
// the hog gave its memory back, and the test that was running is only the
// victim of the kill of pid 25336.
func TestRealMemcgKill(t *testing.T) {
	dir := filepath.Join("testdata", "memcg-kill-e2e")
	py := readPytest(t, filepath.Join(dir, "pytest.log"))
	d := readDiagnostics(t, filepath.Join(dir, "diagnostics.jsonl"))
	k := readKernel(t, filepath.Join(dir, "kernel.log"), dmesg.Options{})
	rep, err := Analyze(&Evidence{Pytest: []PytestInput{py}, Diagnostics: []DiagnosticsInput{d}, Kernel: []KernelInput{k}}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := "OOM kill of pid 25336 (python3) in memcg /oomlens-corr-test: 2 tests retained 160.0 MiB that was never released " +
		"(test_1_io.py::test_open_cached_dataset 96.0 MiB, test_3_registry.py::test_register_dataset 64.0 MiB); " +
		"test_3_registry.py::test_merge_all was only running when the limit was hit; this explains 87% of the 418.3 MiB at the kill."
	if rep.Verdict != want {
		t.Errorf("verdict\n got %q\nwant %q", rep.Verdict, want)
	}
	for _, c := range []struct {
		test  string
		share float64
	}{{"test_1_io.py::test_open_cached_dataset", 0.23}, {"test_3_registry.py::test_register_dataset", 0.153}} {
		l := findLeak(rep, c.test)
		if l == nil || l.Confidence != ConfidenceHigh || l.OpenObjects["xarray.Dataset"] != 1 || l.ShareOfKill == nil || *l.ShareOfKill != c.share {
			t.Errorf("leak %s: %+v", c.test, l)
		}
	}
	if h := findHog(rep, "test_2_models.py::test_resample_hog"); h == nil || h.RetainedBytes != 0 {
		t.Errorf("hogs %+v", rep.Hogs)
	}
	for _, s := range []string{"test_2_models.py::test_climatology_mean", "test_3_registry.py::test_memo_small", "test_3_registry.py::test_merge_all"} {
		if findLeak(rep, s) != nil {
			t.Errorf("%s named", s)
		}
	}
	if len(rep.InFlight) != 1 || rep.InFlight[0].PID != 25336 || rep.InFlight[0].AddedBytesEstimate == nil ||
		*rep.InFlight[0].AddedBytesEstimate != 428332*1024-253304832 {
		t.Errorf("in flight %+v", rep.InFlight)
	}
	if len(rep.Kills) != 1 || !rep.Kills[0].EndedRun || rep.Kills[0].MemcgLimitBytes == nil || *rep.Kills[0].MemcgLimitBytes != 420*MiB ||
		rep.Alignment.Method != AlignDiagnosticsMonotonic || rep.RunEnd.Kind != "oom-kill" {
		t.Errorf("kills %+v alignment %+v run end %+v", rep.Kills, rep.Alignment, rep.RunEnd)
	}
}

// TestRealXdistMemcgKill: two xdist workers share a 520 MiB memory cgroup
// (see testdata/memcg-kill-xdist/README.md). The kernel killed gw1 in
// test_merge_all; the leak on gw0 counts too, as a share of the cgroup's
// usage. Five kills of other cgroups in the same kernel log are listed and
// not taken for this job's.
func TestRealXdistMemcgKill(t *testing.T) {
	dir := filepath.Join("testdata", "memcg-kill-xdist")
	ev := &Evidence{
		Pytest: []PytestInput{readPytest(t, filepath.Join(dir, "pytest.log"))},
		Kernel: []KernelInput{readKernel(t, filepath.Join(dir, "kernel.log"), dmesg.Options{})},
	}
	for _, w := range []string{"gw0", "gw1", "gw2"} {
		ev.Diagnostics = append(ev.Diagnostics, readDiagnostics(t, filepath.Join(dir, "diag."+w+".jsonl")))
	}
	rep, err := Analyze(ev, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got := leakNames(rep); !eqStrings(got, []string{"test_1_io.py::test_open_cached_dataset", "test_3_registry.py::test_register_dataset"}) {
		t.Fatalf("leaks %v", got)
	}
	gw0, gw1 := rep.Leaks[0], rep.Leaks[1]
	if gw0.Worker != "gw0" || gw0.PID != 27977 || gw0.ShareOfKill == nil || *gw0.ShareOfKill != 0.185 ||
		!strings.Contains(strings.Join(gw0.Evidence, " "), "the kill's task table lists it") {
		t.Errorf("gw0 leak %+v", gw0)
	}
	if gw1.Worker != "gw1" || gw1.PID != 27984 || gw1.ShareOfKill == nil || *gw1.ShareOfKill != 0.204 {
		t.Errorf("gw1 leak %+v", gw1)
	}
	if len(rep.Kills) != 6 || rep.Kills[0].PID != 27984 || !rep.Kills[0].EndedRun {
		t.Fatalf("kills %+v", rep.Kills)
	}
	for _, k := range rep.Kills[1:] {
		if k.EndedRun || !strings.HasPrefix(k.OOMMemcg, "/process_api/") {
			t.Errorf("another cgroup's kill %+v", k)
		}
	}
	if len(rep.InFlight) != 1 || rep.InFlight[0].Test != "test_3_registry.py::test_merge_all" || rep.InFlight[0].Worker != "gw1" || rep.InFlight[0].PID != 27984 {
		t.Errorf("in flight %+v", rep.InFlight)
	}
	want := "OOM kill of pid 27984 (python3) in memcg /oomlens-corr-x: 2 tests retained 160.0 MiB that was never released " +
		"(test_1_io.py::test_open_cached_dataset 96.0 MiB, test_3_registry.py::test_register_dataset 64.0 MiB); " +
		"test_3_registry.py::test_merge_all (gw1) was only running when the limit was hit; this explains 88% of the 313.0 MiB at the kill."
	if rep.Verdict != want {
		t.Errorf("verdict\n got %q\nwant %q", rep.Verdict, want)
	}
}

// TestRealRecordJob is a real `oomlens record` folder of a run killed in a
// memory cgroup (see testdata/record-memcg-kill/README.md). Its tests take
// about as long as the sampling interval: the 96 MiB leak that stands
// apart in time is named within 20%, the kill and the victim are right,
// and the tests the samples cannot separate are said to be so.
func TestRealRecordJob(t *testing.T) {
	dir := filepath.Join("testdata", "record-memcg-kill")
	ev := &Evidence{
		Pytest:      []PytestInput{readPytest(t, filepath.Join(dir, "output.log"))},
		Diagnostics: []DiagnosticsInput{readDiagnostics(t, filepath.Join(dir, "diagnostics.jsonl"))},
		Kernel:      []KernelInput{readKernel(t, filepath.Join(dir, "kernel.log"), dmesg.Options{})},
	}
	rep, err := Analyze(ev, Options{})
	if err != nil {
		t.Fatal(err)
	}
	l := findLeak(rep, "test_1_io.py::test_open_cached_dataset")
	if l == nil || l.RetainedBytes < 77*MiB || l.RetainedBytes > 115*MiB || l.Confidence != ConfidenceLow || l.PID != 12007 {
		t.Errorf("leak %+v", l)
	}
	if findLeak(rep, "test_3_registry.py::test_merge_all") != nil || findLeak(rep, "test_2_models.py::test_resample_hog") != nil {
		t.Errorf("leaks %v", leakNames(rep))
	}
	if len(rep.InFlight) != 1 || rep.InFlight[0].Test != "test_3_registry.py::test_merge_all" || rep.InFlight[0].Basis != "record" {
		t.Errorf("in flight %+v", rep.InFlight)
	}
	// The recorder also caught another program's kill in another cgroup.
	if len(rep.Kills) != 2 || rep.Kills[0].PID != 12007 || !rep.Kills[0].EndedRun || rep.Kills[1].EndedRun || rep.RunEnd.Kind != "oom-kill" {
		t.Errorf("kills %+v run end %+v", rep.Kills, rep.RunEnd)
	}
	if !strings.Contains(strings.Join(rep.Warnings, "\n"), "their figures are shared by time and cannot be told apart") {
		t.Errorf("warnings %q", rep.Warnings)
	}
	if len(rep.Samples) == 0 || len(rep.Timeline) != 16 {
		t.Errorf("samples %d timeline %d", len(rep.Samples), len(rep.Timeline))
	}
}

// TestKernelLogAloneNamesNoTest: a kernel log with no test run beside it
// gets a verdict about the kernel's kills, not about a run that "stopped".
func TestKernelLogAloneNamesNoTest(t *testing.T) {
	for _, tc := range []struct {
		sample, want string
	}{
		{"11-journalctl-memcg-v2-6.x-rss_anon-custom-cgroup.log",
			"The kernel log holds one OOM kill of pid 10233 (mem_stress) in memcg /liz; "},
		{"14-rhel8-4.18-memcg-v1-k8s-no-tasklist-two-events.log", "The kernel log holds 2 OOM records, the last: OOM kill of pid "},
		{"17-systemd-oomd-userspace-journal.log", "systemd-oomd kill of "},
	} {
		ev := &Evidence{Kernel: []KernelInput{readKernel(t, corpus("corpus", "kernel", tc.sample), dmesg.Options{})}}
		rep, err := Analyze(ev, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(rep.Verdict, tc.want) || !strings.Contains(rep.Verdict, "no test log or per-test memory evidence was given") {
			t.Errorf("%s: verdict %q, want it to contain %q", tc.sample, rep.Verdict, tc.want)
		}
		for _, w := range rep.Warnings {
			if strings.Contains(w, "the test running when the process died is not known") {
				t.Errorf("%s: warning %q about a test run there is none of", tc.sample, w)
			}
		}
	}
	rep, err := Analyze(&Evidence{}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Verdict != "No kernel OOM record, test log or per-test memory evidence was found among the inputs." {
		t.Errorf("empty job: verdict %q", rep.Verdict)
	}
}
