package pytestlog

import (
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

const genDir = "../testdata/pytest"

func suiteCollect(t testing.TB) []string {
	t.Helper()
	f, err := os.Open(filepath.Join(genDir, "suite.collect.txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	ids, err := ParseCollectList(f, "suite.collect.txt")
	if err != nil {
		t.Fatal(err)
	}
	return ids
}

var alphaBeta = []string{
	"tests/test_alpha.py::test_one passed", "tests/test_alpha.py::test_param[1] passed", "tests/test_alpha.py::test_param[2] passed",
	"tests/test_alpha.py::test_param[3] passed", "tests/test_alpha.py::test_skipped skipped", "tests/test_alpha.py::test_xfail xfailed",
	"tests/test_alpha.py::test_fails failed", "tests/test_alpha.py::TestGroup::test_method passed", "tests/test_beta.py::test_before_sleep passed",
}

// TestGenerated checks the logs scripts/make-pytest-logs.sh made with the
// real pytest 7.2.1 and pytest-xdist 3.1.0, each killed with SIGKILL inside
// tests/test_beta.py::test_sleeper. Expected values were read off the logs.
func TestGenerated(t *testing.T) {
	collect := suiteCollect(t)
	if len(collect) != 14 || collect[9] != "tests/test_beta.py::test_sleeper" {
		t.Fatalf("collect list %q", collect)
	}
	positions := []string{
		"tests/test_alpha.py::#1 passed", "tests/test_alpha.py::#2 passed", "tests/test_alpha.py::#3 passed", "tests/test_alpha.py::#4 passed",
		"tests/test_alpha.py::#5 skipped", "tests/test_alpha.py::#6 xfailed", "tests/test_alpha.py::#7 failed", "tests/test_alpha.py::#8 passed",
		"tests/test_beta.py::#1 passed"}
	cases := []struct {
		file    string
		collect []string
		want    digest
	}{
		{"verbose-killed.log", nil, digest{Mode: ModeVerbose, Tests: alphaBeta,
			InFlight: []string{"tests/test_beta.py::test_sleeper |  | verbose-log | line 17"},
			End:      "sigkill exit=137 pid=10988 evidence=17,18"}},
		{"progress-killed.log", nil, digest{Mode: ModeProgress, Tests: positions,
			InFlight: []string{"tests/test_beta.py::#2 |  | dots-position | line 8"},
			End:      "sigkill exit=137 pid=11062 evidence=8,9"}},
		{"progress-killed.log", collect, digest{Mode: ModeProgress, Tests: alphaBeta,
			InFlight: []string{"tests/test_beta.py::test_sleeper |  | dots-position | line 8"},
			End:      "sigkill exit=137 pid=11062 evidence=8,9"}},
		// -q prints no header and no file names: positions count the run.
		{"quiet-killed.log", nil, digest{Mode: ModeProgress,
			Tests:    []string{"#1 passed", "#2 passed", "#3 passed", "#4 passed", "#5 skipped", "#6 xfailed", "#7 failed", "#8 passed", "#9 passed"},
			InFlight: []string{"#10 |  | dots-position | line 1"},
			End:      "sigkill exit=137 pid=11112 evidence=1,2"}},
		{"quiet-killed.log", collect, digest{Mode: ModeProgress, Tests: alphaBeta,
			InFlight: []string{"tests/test_beta.py::test_sleeper |  | dots-position | line 1"},
			End:      "sigkill exit=137 pid=11112 evidence=1,2"}},
		{"gha-verbose-killed.log", nil, digest{Mode: ModeVerbose, Tests: alphaBeta,
			InFlight: []string{"tests/test_beta.py::test_sleeper |  | verbose-log | line 19"},
			End:      "sigkill exit=137 pid=11468 evidence=19,20"}},
		// the worker running test_sleeper was killed; the controller finished.
		{"xdist-verbose-worker-killed.log", nil, digest{Mode: ModeXdistVerbose,
			Tests: []string{"tests/test_alpha.py::test_one passed @gw0", "tests/test_alpha.py::test_param[2] passed @gw1", "tests/test_alpha.py::test_param[3] passed @gw1",
				"tests/test_alpha.py::test_param[1] passed @gw0", "tests/test_alpha.py::test_skipped skipped @gw0", "tests/test_alpha.py::test_xfail xfailed @gw1",
				"tests/test_alpha.py::TestGroup::test_method passed @gw1", "tests/test_alpha.py::test_fails failed @gw0", "tests/test_beta.py::test_before_sleep passed @gw0",
				"tests/test_gamma.py::test_gamma[small] passed @gw0", "tests/test_gamma.py::test_gamma[large] passed @gw0", "tests/test_gamma.py::test_gamma_last passed @gw0",
				"tests/test_beta.py::test_sleeper failed @gw1", "tests/test_beta.py::test_after_sleep passed @gw2"},
			InFlight: []string{"tests/test_beta.py::test_sleeper | gw1 | xdist-crash | line 40"},
			Workers: []string{"gw0 crashed=no replaced= down=", "gw1 crashed=tests/test_beta.py::test_sleeper replaced=gw2 down=Not properly terminated",
				"gw2 crashed=no replaced= down="},
			End: "complete exit=1 pid=0 evidence=73", Complete: true}},
		// the controller was killed: the echo with no result is in flight,
		// and only gw0 fell silent after it.
		{"xdist-verbose-main-killed.log", nil, digest{Mode: ModeXdistVerbose,
			Tests: []string{"tests/test_alpha.py::test_one passed @gw0", "tests/test_alpha.py::test_param[2] passed @gw1", "tests/test_alpha.py::test_param[1] passed @gw0",
				"tests/test_alpha.py::test_param[3] passed @gw1", "tests/test_alpha.py::test_skipped skipped @gw0", "tests/test_alpha.py::TestGroup::test_method passed @gw0",
				"tests/test_beta.py::test_before_sleep passed @gw0", "tests/test_alpha.py::test_xfail xfailed @gw1", "tests/test_alpha.py::test_fails failed @gw1",
				"tests/test_gamma.py::test_gamma[small] passed @gw1", "tests/test_gamma.py::test_gamma[large] passed @gw1", "tests/test_gamma.py::test_gamma_last passed @gw1"},
			InFlight: []string{"tests/test_beta.py::test_sleeper | gw0 | verbose-log | line 30"},
			Workers:  []string{"gw0 crashed=no replaced= down=", "gw1 crashed=no replaced= down="},
			End:      "sigkill exit=137 pid=11328 evidence=39,40"}},
		// letters only; the short summary names the two failures.
		{"xdist-progress-worker-killed.log", nil, digest{Mode: ModeXdistProgress,
			Tests: []string{"#1 passed", "#2 passed", "#3 passed", "#4 passed", "#5 skipped", "#6 passed", "#7 passed", "#8 xfailed",
				"tests/test_alpha.py::test_fails failed", "#10 passed", "#11 passed", "#12 passed", "tests/test_beta.py::test_sleeper failed", "#14 passed"},
			InFlight: []string{"tests/test_beta.py::test_sleeper | gw0 | xdist-crash | line 8"},
			Workers:  []string{"gw0 crashed=tests/test_beta.py::test_sleeper replaced= down=Not properly terminated", "gw1 crashed=no replaced= down="},
			End:      "complete exit=1 pid=0 evidence=30", Complete: true}},
	}
	for _, c := range cases {
		name := c.file
		if c.collect != nil {
			name += "+collect"
		}
		t.Run(name, func(t *testing.T) {
			l := parseFile(t, filepath.Join(genDir, c.file), Options{Collect: c.collect})
			if len(l.Sessions) != 1 {
				t.Fatalf("%d sessions", len(l.Sessions))
			}
			if len(l.Warnings) != 0 {
				t.Errorf("warnings %+v", l.Warnings)
			}
			checkDigest(t, l.Sessions[0], c.want)
		})
	}
}

// TestGeneratedTimestamps checks the GitHub Actions-stamped run: a -v result
// line's stamp is its test's end and the next test's start.
func TestGeneratedTimestamps(t *testing.T) {
	l := parseFile(t, filepath.Join(genDir, "gha-verbose-killed.log"), Options{})
	s := l.Sessions[0]
	if s.FirstLine != 3 || s.Header.Line != 3 {
		t.Errorf("session starts at %d (header %d), want 3: ##[group] lines are not pytest's", s.FirstLine, s.Header.Line)
	}
	first := s.Tests[0]
	if !first.HasStart || !first.Start.Equal(mustTime("2026-11-26T11:36:36.8775150Z")) || !first.End.Equal(mustTime("2026-11-26T11:36:36.8780480Z")) {
		t.Errorf("first test %v..%v", first.Start, first.End)
	}
	for i := 1; i < len(s.Tests); i++ {
		if !s.Tests[i].HasStart || !s.Tests[i].Start.Equal(s.Tests[i-1].End) {
			t.Errorf("test %d starts %v, previous ended %v", i, s.Tests[i].Start, s.Tests[i-1].End)
		}
	}
	in := s.InFlight[0]
	if !in.HasStart || !in.Start.Equal(s.Tests[len(s.Tests)-1].End) {
		t.Errorf("in-flight start %v", in.Start)
	}
	if !s.End.HasTime || !s.End.Time.Equal(mustTime("2026-11-26T11:36:37.2222360Z")) || s.End.Time.Location() != time.UTC {
		t.Errorf("end time %v", s.End.Time)
	}
}

func readCollect(t testing.TB, path string) []string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	ids, err := ParseCollectList(f, path)
	if err != nil {
		t.Fatal(err)
	}
	return ids
}

func verboseIDs(l *Log) []string {
	var ids []string
	for _, s := range l.Sessions {
		for _, t := range s.Tests {
			ids = append(ids, t.NodeID)
		}
	}
	return ids
}

// TestHostileIDsCaptured checks the committed -v run of the hostile-id suite
// against its committed --collect-only -q list (no Python needed).
func TestHostileIDsCaptured(t *testing.T) {
	want := readCollect(t, filepath.Join(genDir, "hostile-ids.collect.txt"))
	if len(want) != 19 {
		t.Fatalf("%d collected ids", len(want))
	}
	l := parseFile(t, filepath.Join(genDir, "hostile-ids.v.log"), Options{})
	if got := verboseIDs(l); !reflect.DeepEqual(got, want) {
		t.Errorf("node ids\n got %q\nwant %q", got, want)
	}
	if !l.Sessions[0].Complete || l.Sessions[0].Summary["passed"] != 18 || l.Sessions[0].Summary["skipped"] != 1 {
		t.Errorf("session %+v", l.Sessions[0].Summary)
	}
}

// TestHostileIDsRealPytest runs the real pytest on the hostile-id suite and
// checks that the -v node ids equal the --collect-only -q list, with -v and
// -vv, and killed in the middle of the run.
func TestHostileIDsRealPytest(t *testing.T) {
	py := "/usr/bin/python3"
	if err := exec.Command(py, "-c", "import pytest").Run(); err != nil {
		msg := "needs " + py + " with pytest (Debian python3-pytest): " + err.Error()
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	dir := t.TempDir()
	src, err := os.ReadFile(filepath.Join(genDir, "hostile", "test_hostile_ids.py"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "hostile"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "hostile", "test_hostile_ids.py"), src, 0o644); err != nil {
		t.Fatal(err)
	}
	run := func(args ...string) string {
		cmd := exec.Command(py, append([]string{"-m", "pytest", "-p", "no:cacheprovider"}, args...)...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "COLUMNS=80", "PYTHONDONTWRITEBYTECODE=1", "PYTEST_ADDOPTS=")
		out, _ := cmd.CombinedOutput() // pytest exits 1 on failures; the output is what counts
		return string(out)
	}
	want, err := ParseCollectList(strings.NewReader(run("--collect-only", "-q", "hostile")), "collect")
	if err != nil || len(want) != 19 {
		t.Fatalf("collect: %v, %d ids", err, len(want))
	}
	for _, v := range []string{"-v", "-vv"} {
		l, err := Parse(strings.NewReader(run(v, "hostile")), Options{Name: v})
		if err != nil {
			t.Fatal(err)
		}
		if got := verboseIDs(l); !reflect.DeepEqual(got, want) {
			t.Errorf("%s node ids\n got %q\nwant %q", v, got, want)
		}
	}
}

// TestRealPytestShapes runs the real pytest on the suite (test_sleeper
// returns at once without OOMLENS_MARKER) in the output shapes the parser
// must read, and checks it finds every collected test with the right
// outcome: live logging, -s output glued to the echo, count-style progress,
// -rA naming progress letters, -vv, and xdist.
func TestRealPytestShapes(t *testing.T) {
	py := "/usr/bin/python3"
	if err := exec.Command(py, "-c", "import pytest, xdist").Run(); err != nil {
		msg := "needs " + py + " with pytest and pytest-xdist (Debian python3-pytest, python3-pytest-xdist): " + err.Error()
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	dir := t.TempDir()
	if err := os.CopyFS(filepath.Join(dir, "tests"), os.DirFS(filepath.Join(genDir, "suite", "tests"))); err != nil {
		t.Fatal(err)
	}
	run := func(args ...string) string {
		cmd := exec.Command(py, append([]string{"-m", "pytest", "-p", "no:cacheprovider"}, args...)...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "COLUMNS=80", "PYTHONDONTWRITEBYTECODE=1", "PYTEST_ADDOPTS=", "OOMLENS_MARKER=")
		out, _ := cmd.CombinedOutput()
		return string(out)
	}
	collect, err := ParseCollectList(strings.NewReader(run("--collect-only", "-q", "tests")), "collect")
	if err != nil || len(collect) != 14 {
		t.Fatalf("collect: %v %q", err, collect)
	}
	outcome := map[string]string{"tests/test_alpha.py::test_skipped": OutcomeSkipped, "tests/test_alpha.py::test_xfail": OutcomeXfailed,
		"tests/test_alpha.py::test_fails": OutcomeFailed}
	for _, c := range []struct {
		args    []string
		collect bool // resolve positions with the collection list
		// the short summary folds skips ("SKIPPED [1] file:line: reason"):
		// without a collection list the skipped letter stays unnamed.
		unnamedSkip bool
	}{
		{[]string{"-v", "--log-cli-level=INFO"}, false, false},
		{[]string{"-v", "-s"}, false, false}, // "nodeid output from gammaPASSED"
		{[]string{"-v", "-s"}, true, false},
		{[]string{"-vv", "-o", "console_output_style=count"}, false, false},
		{[]string{"-o", "console_output_style=count"}, true, false},
		{[]string{"-rA"}, false, true}, // the short summary names the letters
		{[]string{"-q", "-rA"}, false, true},
		{[]string{"-q"}, true, false},
		{[]string{"-n", "2", "-v"}, false, false},
		{[]string{"-n", "2", "-rA"}, false, true},
	} {
		args := c.args
		name := strings.Join(args, " ")
		out := run(append(args, "tests")...)
		opts := Options{Name: name}
		if c.collect {
			opts.Collect = collect
			name += " +collect"
		}
		l, err := Parse(strings.NewReader(out), opts)
		if err != nil {
			t.Fatal(err)
		}
		if len(l.Sessions) != 1 || !l.Sessions[0].Complete || len(l.Sessions[0].InFlight) != 0 {
			t.Errorf("%s: sessions %+v\n%s", name, l.Sessions, out)
			continue
		}
		got := map[string]string{}
		for _, tt := range l.Sessions[0].Tests {
			got[tt.NodeID] = tt.Outcome
		}
		want := map[string]string{}
		for _, id := range collect {
			want[id] = OutcomePassed
			if o := outcome[id]; o != "" {
				want[id] = o
			}
		}
		if c.unnamedSkip {
			delete(want, "tests/test_alpha.py::test_skipped")
			want[""] = OutcomeSkipped
			for _, tt := range l.Sessions[0].Tests {
				if tt.NodeID == "" && (tt.File != "tests/test_alpha.py" || tt.Reason != "not on this host") {
					t.Errorf("%s: the folded skip gave %+v", name, tt)
				}
			}
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s:\n got %v\nwant %v\n%s", name, got, want, out)
		}
	}
}
