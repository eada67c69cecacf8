package pytestlog

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func parseJUnitFile(t *testing.T, path string) *JUnit {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	j, err := ParseJUnit(f, filepath.Base(path))
	if err != nil {
		t.Fatal(err)
	}
	return j
}

// TestJUnitXdistWorkerKilled reads the report the controller wrote after a
// worker was killed (xunit2, pytest 7.2.1 / xdist 3.1.0): classname+name give
// the node ids, and the crash is an error naming worker and test.
func TestJUnitXdistWorkerKilled(t *testing.T) {
	j := parseJUnitFile(t, filepath.Join(genDir, "xdist-verbose-worker-killed.junit.xml"))
	if len(j.Suites) != 1 {
		t.Fatalf("%d suites", len(j.Suites))
	}
	s := j.Suites[0]
	if s.Name != "pytest" || s.Tests != 14 || s.Errors != 1 || s.Failures != 1 || s.Skipped != 2 || s.Hostname != "oomlens-host" || !s.HasTime || s.TimeHasZone {
		t.Errorf("suite %+v", s)
	}
	got := map[string]string{}
	for _, tt := range j.Tests {
		got[tt.NodeID] = tt.Outcome + " " + tt.Worker
	}
	want := map[string]string{
		"tests/test_alpha.py::test_one": "passed ", "tests/test_alpha.py::test_param[1]": "passed ", "tests/test_alpha.py::test_param[2]": "passed ",
		"tests/test_alpha.py::test_param[3]": "passed ", "tests/test_alpha.py::test_skipped": "skipped ", "tests/test_alpha.py::test_xfail": "xfailed ",
		"tests/test_alpha.py::test_fails": "failed ", "tests/test_alpha.py::TestGroup::test_method": "passed ",
		"tests/test_beta.py::test_before_sleep": "passed ", "tests/test_beta.py::test_sleeper": "error gw1", "tests/test_beta.py::test_after_sleep": "passed ",
		"tests/test_gamma.py::test_gamma[small]": "passed ", "tests/test_gamma.py::test_gamma[large]": "passed ", "tests/test_gamma.py::test_gamma_last": "passed ",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("tests\n got %v\nwant %v", got, want)
	}
	for _, c := range j.Cases {
		if c.Name == "test_sleeper" && (c.CrashedWorker != "gw1" || !c.NodeIDExact || c.Classname != "tests.test_beta") {
			t.Errorf("crash case %+v", c)
		}
		if c.Name == "test_method" && (c.NodeID != "tests/test_alpha.py::TestGroup::test_method" || c.NodeIDExact) {
			t.Errorf("class case %+v (guessed from classname)", c)
		}
	}
}

// TestJUnitXunit1HostileIDs: with junit_family=xunit1 the file attribute
// makes the node ids exact, hostile parameter ids included.
func TestJUnitXunit1HostileIDs(t *testing.T) {
	j := parseJUnitFile(t, filepath.Join(genDir, "hostile-ids.xunit1.junit.xml"))
	want := readCollect(t, filepath.Join(genDir, "hostile-ids.collect.txt"))
	var got []string
	for _, c := range j.Cases {
		got = append(got, c.NodeID)
		if !c.NodeIDExact || c.File != "hostile/test_hostile_ids.py" {
			t.Errorf("case %+v", c)
		}
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("node ids\n got %q\nwant %q", got, want)
	}
	if c := j.Cases[len(j.Cases)-1]; c.Outcome != OutcomeSkipped || c.Message != "skip reason with PASSED [ 10%] inside" {
		t.Errorf("skip case %+v", c)
	}
}

func TestJUnitShapes(t *testing.T) {
	x := `<?xml version="1.0" encoding="utf-8"?>
<testsuites name="pytest tests"><testsuite name="pytest" errors="0" failures="1" skipped="0" tests="2" time="1.5" timestamp="2026-01-05T10:11:12.123456+01:00" hostname="ci">
<testcase classname="pkg.sub.test_m.TestOuter.TestInner" name="test_x[a.b-c]" time="0.25"><failure message="worker 'gw0' crashed while running 'pkg/sub/test_m.py::TestOuter::TestInner::test_x[a.b-c]'">boom</failure></testcase>
<testcase classname="pkg.test_n" name="test_y" time="1.0"><skipped type="pytest.xfail" message="flaky" /></testcase>
</testsuite></testsuites>`
	j, err := ParseJUnit(strings.NewReader(x), "r.xml")
	if err != nil {
		t.Fatal(err)
	}
	if j.Name != "pytest tests" || !j.Suites[0].TimeHasZone || !j.Suites[0].Time.Equal(mustTime("2026-01-05T09:11:12.123456Z")) {
		t.Errorf("report %+v", j.Suites[0])
	}
	c := j.Cases[0]
	if c.NodeID != "pkg/sub/test_m.py::TestOuter::TestInner::test_x[a.b-c]" || c.CrashedWorker != "gw0" || c.Outcome != OutcomeFailed || c.DurationS != 0.25 || c.Line != 3 {
		t.Errorf("case 0 %+v", c)
	}
	if id, exact := junitNodeID("pkg.sub.test_m.TestOuter.TestInner", "test_x[a.b-c]", ""); id != c.NodeID || exact {
		t.Errorf("rebuilt %q %v", id, exact)
	}
	if c := j.Cases[1]; c.NodeID != "pkg/test_n.py::test_y" || c.Outcome != OutcomeXfailed || c.Message != "flaky" {
		t.Errorf("case 1 %+v", c)
	}
	// cut short: the cases so far, and an error with the file and line.
	j, err = ParseJUnit(strings.NewReader(x[:strings.Index(x, "<testcase classname=\"pkg.test_n\"")+20]), "cut.xml")
	var pe *ParseError
	if !errors.As(err, &pe) || pe.Name != "cut.xml" || pe.Line != 4 || len(j.Cases) != 1 {
		t.Errorf("cut report: %v, %d cases", err, len(j.Cases))
	}
	if _, err := ParseJUnit(strings.NewReader("<html><body/></html>"), "page.html"); err == nil || !strings.Contains(err.Error(), "page.html:1: ") {
		t.Errorf("not junit: %v", err)
	}
}

func TestCollectList(t *testing.T) {
	ids := readCollect(t, filepath.Join(genDir, "suite.collect.txt"))
	if len(ids) != 14 || ids[0] != "tests/test_alpha.py::test_one" || ids[13] != "tests/test_gamma.py::test_gamma_last" {
		t.Errorf("ids %q", ids)
	}
	// a warnings section after the summary names tests too; it is not part
	// of the collection.
	x := "tests/a.py::t1\ntests/a.py::t2\n\n=== warnings summary ===\ntests/a.py::t1\n  DeprecationWarning\n\n2 tests collected in 0.01s\n"
	if ids, err := ParseCollectList(strings.NewReader(x), "c.txt"); err != nil || !reflect.DeepEqual(ids, []string{"tests/a.py::t1", "tests/a.py::t2"}) {
		t.Errorf("%q %v", ids, err)
	}
	if ids, err := ParseCollectList(strings.NewReader("\nno tests collected in 0.01s\n"), "empty.txt"); err != nil || len(ids) != 0 {
		t.Errorf("empty collection: %q %v", ids, err)
	}
	_, err := ParseCollectList(strings.NewReader("hello\nworld\n"), "x.txt")
	if !errors.Is(err, ErrNoNodeIDs) || !strings.HasPrefix(err.Error(), "x.txt:2: ") {
		t.Errorf("err %v", err)
	}
}

func TestSniffers(t *testing.T) {
	read := func(p string) []byte {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	pytestish := []string{"01-gha-raw-timestamps-killed-during-first-test.log", "02-gha-ui-copy-cov-killed-dots.log", "03-docker-entrypoint-verbose-killed-at-52pct.log",
		"04-docker-header-collecting-progress.log", "06-travis-killed-during-collection.log", "07-circleci-xdist-quiet-killed-exit-status.log",
		"09-zsh-killed-during-collection-macos.log", "10-xdist-verbose-node-down-replacing-worker.log", "11-jenkins-double-timestamp-xdist-crash-internalerror.log",
		"12-xdist-nontty-status-line-cascade-of-crashes.log", "13-gha-xdist-verbose-node-down-damaged-prefix.log",
		"14-gha-ui-paste-xdist-crash-in-failures-section.log", "15-circleci-verbose-dangling-nodeid-agent-kill.log", "19-progress-dots-memoryerror-not-sigkill.log",
		"08-make-killed-parametrized-id.log", "17-rpm-build-verbose-no-progress-killed.log",
		// No session header, but a CI runner's report of the killed test
		// process (16, 18: exit code 137) or a plugin's report naming node
		// ids (20): the analysis has read these as pytest logs all along, and
		// the kinds it reports come from this one Sniff.
		"16-gha-coverage-run-killed-exitfirst.log", "18-gha-runner-shutdown-signal-137.log", "20-custom-plugin-top5-ram-increment-report.log"}
	for _, f := range pytestish {
		if !Sniff(read(filepath.Join(corpusDir, f))) {
			t.Errorf("%s: not sniffed as pytest", f)
		}
	}
	for _, f := range []string{"verbose-killed.log", "progress-killed.log", "quiet-killed.log", "gha-verbose-killed.log", "xdist-verbose-main-killed.log",
		"xdist-verbose-worker-killed.log", "xdist-progress-worker-killed.log", "hostile-ids.v.log"} {
		if !Sniff(read(filepath.Join(genDir, f))) {
			t.Errorf("%s: not sniffed as pytest", f)
		}
	}
	// a kernel log and collect lists.
	for _, f := range []string{filepath.Join(corpusDir, "05-dmesg-T-localized-oom-kill-pytest.log"),
		filepath.Join(genDir, "suite.collect.txt"), filepath.Join(genDir, "hostile-ids.collect.txt")} {
		if Sniff(read(f)) {
			t.Errorf("%s: sniffed as pytest", f)
		}
	}
	for _, f := range []string{"suite.collect.txt", "hostile-ids.collect.txt"} {
		if !SniffCollect(read(filepath.Join(genDir, f))) {
			t.Errorf("%s: not sniffed as a collect list", f)
		}
	}
	for _, f := range []string{"verbose-killed.log", "xdist-verbose-worker-killed.log", "hostile-ids.v.log"} {
		if SniffCollect(read(filepath.Join(genDir, f))) {
			t.Errorf("%s: sniffed as a collect list", f)
		}
	}
}
