package pytestlog

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"
)

// digest is the part of a Session the table tests pin down, as strings a
// reader can check against the sample by eye.
type digest struct {
	Mode     string
	Tests    []string // "<node id or position> <outcome>[ @worker]"
	InFlight []string // "<test> | <worker> | <basis> | line N"
	End      string   // "<kind> exit=<code|-> pid=<pid> evidence=<lines>"
	Workers  []string // "<id> crashed=<while|-|no> replaced=<id> down=<reason>"
	Complete bool
}

func digestOf(s Session) digest {
	d := digest{Mode: s.Mode, Complete: s.Complete}
	for _, t := range s.Tests {
		id := t.NodeID
		if id == "" {
			id = t.Position
		}
		e := id + " " + t.Outcome
		if t.Worker != "" {
			e += " @" + t.Worker
		}
		d.Tests = append(d.Tests, e)
	}
	for _, f := range s.InFlight {
		d.InFlight = append(d.InFlight, fmt.Sprintf("%s | %s | %s | line %d", f.Test, f.Worker, f.Basis, f.Line))
	}
	exit := "-"
	if s.End.HasExitCode {
		exit = strconv.Itoa(s.End.ExitCode)
	}
	var lines []string
	for _, e := range s.End.Evidence {
		lines = append(lines, strconv.Itoa(e.Line))
	}
	d.End = fmt.Sprintf("%s exit=%s pid=%d evidence=%s", s.End.Kind, exit, s.End.KilledPID, strings.Join(lines, ","))
	for _, w := range s.Workers {
		crashed := "no"
		if w.Crashed {
			crashed = w.CrashedWhile
			if crashed == "" {
				crashed = "-"
			}
		}
		d.Workers = append(d.Workers, fmt.Sprintf("%s crashed=%s replaced=%s down=%s", w.ID, crashed, w.ReplacedBy, w.NodeDown))
	}
	return d
}

func parseFile(t testing.TB, path string, opts Options) *Log {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if opts.Name == "" {
		opts.Name = filepath.Base(path)
	}
	l, err := Parse(f, opts)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return l
}

func checkDigest(t *testing.T, got Session, want digest) {
	t.Helper()
	g := digestOf(got)
	if !reflect.DeepEqual(g.Tests, want.Tests) {
		t.Errorf("tests:\n got %q\nwant %q", g.Tests, want.Tests)
	}
	if !reflect.DeepEqual(g.InFlight, want.InFlight) {
		t.Errorf("in flight:\n got %q\nwant %q", g.InFlight, want.InFlight)
	}
	if !reflect.DeepEqual(g.Workers, want.Workers) {
		t.Errorf("workers:\n got %q\nwant %q", g.Workers, want.Workers)
	}
	if g.Mode != want.Mode || g.End != want.End || g.Complete != want.Complete {
		t.Errorf("mode/end/complete: got %q / %q / %v, want %q / %q / %v", g.Mode, g.End, g.Complete, want.Mode, want.End, want.Complete)
	}
}

func mustTime(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	return t
}

const corpusDir = "../testdata/corpus/pytest"

// TestCorpus checks every public sample against values read off the sample
// by hand (see testdata/corpus/pytest/SOURCES.md for where each came from).
func TestCorpus(t *testing.T) {
	cases := []struct {
		file     string
		sessions int
		want     digest
		header   func(t *testing.T, h Header)
		extra    func(t *testing.T, l *Log)
	}{
		{file: "01-gha-raw-timestamps-killed-during-first-test.log", sessions: 1,
			want: digest{Mode: ModeVerbose,
				InFlight: []string{"test/test_performance.py::test_pandas |  | verbose-log | line 10"},
				End:      "sigkill exit=- pid=1950 evidence=9,11"},
			header: func(t *testing.T, h Header) {
				want := Header{Line: 1, Platform: "linux", PythonVersion: "3.10.9", PytestVersion: "7.2.1", PluggyVersion: "1.0.0",
					Executable: "/opt/hostedtoolcache/Python/3.10.9/x64/bin/python", Cachedir: ".pytest_cache",
					Rootdir: "/home/runner/work/data-processing-benchmarks/data-processing-benchmarks", Configfile: "pyproject.toml", Testpaths: "test",
					Plugins:      []string{"benchmark-4.0.0"},
					Extra:        []string{"benchmark: 4.0.0 (defaults: timer=time.perf_counter disable_gc=False min_rounds=5 min_time=0.000005 max_time=1.0 calibration_precision=10 warmup=False warmup_iterations=100000)"},
					HasCollected: true, Collected: 2}
				if !reflect.DeepEqual(h, want) {
					t.Errorf("header\n got %+v\nwant %+v", h, want)
				}
			},
			extra: func(t *testing.T, l *Log) {
				s := l.Sessions[0]
				// the test started when the line before its echo arrived
				// (the blank after "collected"), not at the Killed line.
				if f := s.InFlight[0]; !f.HasStart || !f.Start.Equal(mustTime("2023-02-14T11:40:01.7657637Z")) {
					t.Errorf("in-flight start %v %v", f.Start, f.HasStart)
				}
				if !s.End.HasTime || !s.End.Time.Equal(mustTime("2023-02-14T11:43:10.3632115Z")) || s.End.KilledCommand != "pytest" {
					t.Errorf("end %+v", s.End)
				}
			}},
		{file: "02-gha-ui-copy-cov-killed-dots.log", sessions: 1,
			want: digest{Mode: ModeProgress,
				Tests: []string{"testing/test_full.py::#1 passed", "testing/test_full.py::#2 passed", "testing/test_full.py::#3 passed",
					"testing/test_full.py::#4 passed", "testing/test_full.py::#5 passed", "testing/test_full.py::#6 passed", "testing/test_full.py::#7 passed"},
				InFlight: []string{"testing/test_full.py::#8 |  | dots-position | line 13"},
				End:      "sigkill exit=137 pid=2930 evidence=12,14"},
			header: func(t *testing.T, h Header) {
				if h.PytestVersion != "7.0.1" || h.Collected != 30 || h.Rootdir != "/home/runner/work/GaNDLF/GaNDLF" || !reflect.DeepEqual(h.Plugins, []string{"cov-3.0.0"}) || h.Line != 6 {
					t.Errorf("header %+v", h)
				}
			}},
		{file: "03-docker-entrypoint-verbose-killed-at-52pct.log", sessions: 1,
			want: digest{Mode: ModeVerbose,
				Tests: []string{
					"src/test/integration/web_interface/rest/test_rest_statistics.py::TestRestStatistics::test_rest_request_non_existent_statistic passed",
					"src/test/integration/web_interface/rest/test_rest_statistics.py::TestRestStatistics::test_rest_request_invalid_data passed",
					"src/test/unit/test_manage_users.py::test_setup_argparse passed"},
				InFlight: []string{"src/test/unit/test_manage_users.py::test_integration_try_actions[action_and_inputs0] |  | verbose-log | line 4"},
				End:      "sigkill exit=- pid=8 evidence=4"},
			extra: func(t *testing.T, l *Log) {
				for _, tt := range l.Sessions[0].Tests {
					if tt.Percent != 52 {
						t.Errorf("%s percent %d", tt.NodeID, tt.Percent)
					}
				}
				if c := l.Sessions[0].End.KilledCommand; c != "pytest $@" {
					t.Errorf("command %q", c)
				}
			}},
		{file: "04-docker-header-collecting-progress.log", sessions: 1,
			want: digest{End: "unknown exit=- pid=0 evidence="},
			header: func(t *testing.T, h Header) {
				if h.PytestVersion != "6.2.5" || h.PyVersion != "1.11.0" || h.Collected != 1313 || h.Configfile != "pytest.ini" ||
					!reflect.DeepEqual(h.Plugins, []string{"flaky-3.7.0", "cov-3.0.0"}) || h.Executable != "/usr/bin/python3" {
					t.Errorf("header %+v", h)
				}
			},
			extra: func(t *testing.T, l *Log) {
				// the excerpt stops inside a file name
				if len(l.Warnings) != 1 || l.Warnings[0].Line != 14 {
					t.Errorf("warnings %+v", l.Warnings)
				}
			}},
		{file: "05-dmesg-T-localized-oom-kill-pytest.log", sessions: 0},
		{file: "06-travis-killed-during-collection.log", sessions: 1,
			want: digest{InFlight: []string{" |  | collection | line 5"}, End: "sigkill exit=- pid=25059 evidence=5"},
			header: func(t *testing.T, h Header) {
				if h.PytestVersion != "3.3.0" || h.PyVersion != "1.5.2" || h.Configfile != "setup.cfg" || h.Rootdir != "/home/travis/build/python-lz4/python-lz4" || h.HasCollected {
					t.Errorf("header %+v", h)
				}
			}},
		{file: "07-circleci-xdist-quiet-killed-exit-status.log", sessions: 1,
			want: digest{End: "sigkill exit=137 pid=557 evidence=3,5"}},
		{file: "08-make-killed-parametrized-id.log", sessions: 1,
			want: digest{Mode: ModeVerbose,
				InFlight: []string{"test/models/px/test_sfno.py::test_sfno_package[cpu] |  | verbose-log | line 1"},
				End:      "sigkill exit=- pid=0 evidence=1"},
			extra: func(t *testing.T, l *Log) {
				if e := l.Sessions[0].End.Evidence[0].Text; e != "make: *** [Makefile:40: pytest] Killed" {
					t.Errorf("evidence %q", e)
				}
			}},
		{file: "09-zsh-killed-during-collection-macos.log", sessions: 1,
			want: digest{InFlight: []string{" |  | collection | line 5"}, End: "sigkill exit=- pid=0 evidence=5"},
			header: func(t *testing.T, h Header) {
				if h.Platform != "darwin" || h.PytestVersion != "7.1.3" || h.Configfile != "pyproject.toml" ||
					!reflect.DeepEqual(h.Plugins, []string{"hydra-core-1.3.2", "anyio-4.6.2.post1"}) {
					t.Errorf("header %+v", h)
				}
			},
			extra: func(t *testing.T, l *Log) {
				if c := l.Sessions[0].End.KilledCommand; c != "pytest tests/openadapt/test_summary.py::test_summary_empty" {
					t.Errorf("command %q", c)
				}
			}},
		{file: "10-xdist-verbose-node-down-replacing-worker.log", sessions: 1,
			want: digest{Mode: ModeXdistVerbose,
				Tests: []string{"test_dist_tests_with_crash.py::test_fail0 failed @gw0", "test_dist_tests_with_crash.py::test_fail1 failed @gw0",
					"test_dist_tests_with_crash.py::test_crash failed @gw0", "test_dist_tests_with_crash.py::test_skip skipped @gw1"},
				InFlight: []string{"test_dist_tests_with_crash.py::test_crash | gw0 | xdist-crash | line 13"},
				Workers: []string{"gw0 crashed=test_dist_tests_with_crash.py::test_crash replaced=gw1 down=Not properly terminated",
					"gw1 crashed=no replaced= down="},
				End: "unknown exit=- pid=0 evidence="},
			header: func(t *testing.T, h Header) {
				if h.Workers != 1 || h.Items != 5 || h.Scheduling != "LoadScheduling" {
					t.Errorf("header %+v", h)
				}
			},
			extra: func(t *testing.T, l *Log) {
				w := l.Sessions[0].Workers[0]
				want := []string{"test_dist_tests_with_crash.py::test_fail0", "test_dist_tests_with_crash.py::test_fail1", "test_dist_tests_with_crash.py::test_crash"}
				if !reflect.DeepEqual(w.Tests, want) {
					t.Errorf("gw0 ran %q", w.Tests)
				}
			}},
		{file: "11-jenkins-double-timestamp-xdist-crash-internalerror.log", sessions: 1,
			want: digest{Mode: ModeXdistVerbose,
				Tests:    []string{"layerwise/Mistral7b/test_model_layers_0.py::test_model_layers_0 failed @gw13"},
				InFlight: []string{"layerwise/Mistral7b/test_model_layers_0.py::test_model_layers_0 | gw13 | xdist-crash | line 3"},
				Workers:  []string{"gw13 crashed=layerwise/Mistral7b/test_model_layers_0.py::test_model_layers_0 replaced= down="},
				End:      "unknown exit=- pid=0 evidence="},
			extra: func(t *testing.T, l *Log) {
				tt := l.Sessions[0].Tests[0]
				// the inner container stamp (the line has no Jenkins stamp)
				if !tt.HasEnd || !tt.End.Equal(mustTime("2024-10-27T21:28:18Z")) || tt.Percent != 70 {
					t.Errorf("test %+v", tt)
				}
			}},
		{file: "12-xdist-nontty-status-line-cascade-of-crashes.log", sessions: 1,
			want: digest{Mode: ModeXdistProgress,
				Tests: []string{"#1 failed", "#2 failed", "#3 failed", "#4 failed", "#5 failed", "#6 failed"},
				Workers: []string{
					"gw0 crashed=- replaced=gw7 down=Not properly terminated",
					"gw1 crashed=- replaced=gw9 down=Not properly terminated",
					"gw2 crashed=- replaced=gw10 down=Not properly terminated",
					"gw3 crashed=- replaced= down=Not properly terminated",
					"gw4 crashed=- replaced=gw8 down=Not properly terminated",
					"gw5 crashed=- replaced=gw6 down=Not properly terminated",
					"gw6 crashed=no replaced= down=", "gw7 crashed=no replaced= down=", "gw8 crashed=no replaced= down=",
					"gw9 crashed=no replaced= down=", "gw10 crashed=no replaced= down="},
				End: "unknown exit=- pid=0 evidence="},
			header: func(t *testing.T, h Header) {
				if h.Workers != 6 || h.Items != 318 || h.PytestVersion != "7.1.1" || h.Testpaths != "tests/unit" {
					t.Errorf("header %+v", h)
				}
			},
			extra: func(t *testing.T, l *Log) {
				if len(l.Warnings) != 1 || l.Warnings[0].Line != 23 {
					t.Errorf("warnings %+v", l.Warnings)
				}
			}},
		{file: "13-gha-xdist-verbose-node-down-damaged-prefix.log", sessions: 1,
			want: digest{Mode: ModeXdistVerbose,
				Tests: []string{
					"tests/backtest/test_backtest_execution.py::test_get_historical_price failed @gw2",
					"tests/backtest/test_backtest_ema_crossover.py::test_ema_crossover_real_data passed @gw0",
					"tests/backtest/test_backtest_ema_crossover.py::test_start_end_automation skipped @gw0",
					"tests/backtest/test_backtest_ema_crossover.py::test_minimum_lookback_data_range skipped @gw0",
					"tests/enzyme/test_enzyme_deposit.py::test_enzyme_no_deposit passed @gw0",
					"tests/enzyme/test_enzyme_deposit.py::test_enzyme_single_deposit passed @gw0",
					"tests/enzyme/test_enzyme_deposit.py::test_enzyme_two_deposits passed @gw0",
					// the last line is cut at "[gw0] PASSED tests/": the one pending echo
					"tests/enzyme/test_enzyme_trade.py::test_enzyme_execute_open_position passed @gw0"},
				InFlight: []string{"tests/backtest/test_backtest_execution.py::test_get_historical_price | gw2 | xdist-crash | line 1"},
				Workers: []string{
					"gw2 crashed=tests/backtest/test_backtest_execution.py::test_get_historical_price replaced= down=Not properly terminated",
					"gw0 crashed=no replaced= down="},
				End: "unknown exit=- pid=0 evidence="},
			extra: func(t *testing.T, l *Log) {
				if len(l.Warnings) != 1 || l.Warnings[0].Line != 17 {
					t.Errorf("warnings %+v", l.Warnings)
				}
			}},
		{file: "14-gha-ui-paste-xdist-crash-in-failures-section.log", sessions: 1,
			want: digest{
				Tests:    []string{"echopype/tests/visualize/test_plot.py::test_plot_mvbs[filepath1-EK60-None-range_kwargs1] failed @gw3"},
				InFlight: []string{"echopype/tests/visualize/test_plot.py::test_plot_mvbs[filepath1-EK60-None-range_kwargs1] | gw3 | xdist-crash | line 7"},
				Workers:  []string{"gw3 crashed=echopype/tests/visualize/test_plot.py::test_plot_mvbs[filepath1-EK60-None-range_kwargs1] replaced= down="},
				End:      "unknown exit=- pid=0 evidence="}},
		{file: "15-circleci-verbose-dangling-nodeid-agent-kill.log", sessions: 1,
			want: digest{Mode: ModeVerbose,
				Tests: []string{"tests/test_utils_load_module.py::test_override_default_args passed", "tests/test_utils_load_module.py::test_load_obj passed",
					"tests/test_utils_load_module.py::test_sequential_model_loading passed", "tests/test_utils_recursive_parse.py::test_recursive_dict_parse passed",
					"tests/cli/test_singularity.py::test_singularity_pull_run passed"},
				InFlight: []string{"tests/cli/test_singularity.py::test_singularity_command_dry_run |  | verbose-log | line 6"},
				End:      "sigkill exit=- pid=0 evidence=8"}},
		{file: "16-gha-coverage-run-killed-exitfirst.log", sessions: 1,
			want: digest{End: "sigkill exit=137 pid=1855 evidence=1,2"}},
		{file: "17-rpm-build-verbose-no-progress-killed.log", sessions: 1,
			want: digest{Mode: ModeVerbose,
				Tests:    []string{"tests/test_patroni.py::TestPatroni::test_reload_config passed", "tests/test_patroni.py::TestPatroni::test_replicatefrom passed"},
				InFlight: []string{"tests/test_patroni.py::TestPatroni::test_run |  | verbose-log | line 3"},
				End:      "sigkill exit=- pid=385 evidence=3"},
			extra: func(t *testing.T, l *Log) {
				if p := l.Sessions[0].Tests[0].Percent; p != -1 {
					t.Errorf("percent %d, want -1 (not printed)", p)
				}
			}},
		{file: "18-gha-runner-shutdown-signal-137.log", sessions: 1,
			want: digest{End: "cancelled exit=137 pid=0 evidence=1,3"},
			extra: func(t *testing.T, l *Log) {
				// The runner's own words settle it: it was told to stop.
				if e := l.Sessions[0].End; !e.Certain || !strings.HasPrefix(e.Decisive, "The runner has received a shutdown signal") {
					t.Errorf("certain %v decisive %q", e.Certain, e.Decisive)
				}
			}},
		{file: "19-progress-dots-memoryerror-not-sigkill.log", sessions: 1,
			want: digest{Mode: ModeProgress,
				Tests: []string{"tests/test_main.py::#1 passed", "tests/test_main.py::#2 passed", "tests/test_main.py::#3 passed",
					"tests/test_main.py::#4 passed", "tests/test_main.py::#5 passed"},
				InFlight: []string{"tests/test_main.py::#6 |  | dots-position | line 5"},
				End:      "memoryerror exit=- pid=0 evidence=6"}},
		{file: "20-custom-plugin-top5-ram-increment-report.log", sessions: 0},
	}
	files, _ := filepath.Glob(filepath.Join(corpusDir, "*.log"))
	if len(files) != len(cases) {
		t.Errorf("%d samples, %d cases: every sample needs a case", len(files), len(cases))
	}
	for _, c := range cases {
		t.Run(c.file[:2], func(t *testing.T) {
			l := parseFile(t, filepath.Join(corpusDir, c.file), Options{})
			if len(l.Sessions) != c.sessions {
				t.Fatalf("%d sessions, want %d", len(l.Sessions), c.sessions)
			}
			if c.sessions == 0 {
				return
			}
			checkDigest(t, l.Sessions[0], c.want)
			if c.header != nil {
				c.header(t, l.Sessions[0].Header)
			}
			if c.extra != nil {
				c.extra(t, l)
			}
		})
	}
}
