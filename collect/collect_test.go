package collect_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/oomlens/oomlens/collect"
	"github.com/oomlens/oomlens/collect/collectmanifest"
	"github.com/oomlens/oomlens/correlate"
	"github.com/oomlens/oomlens/discover"
	"github.com/oomlens/oomlens/harness"
	"github.com/oomlens/oomlens/job"
)

// analyze runs the analysis pipeline over paths, as `oomlens analyze` does.
func analyze(t *testing.T, paths ...string) *correlate.Report {
	t.Helper()
	set, err := discover.Walk(paths, discover.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer set.Cleanup()
	rep, err := job.Analyze(set, job.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

// TestV2FixtureRoot collects from a cgroup v2 root under testdata (this
// machine kind has no v2 memory controller): the cgroup is found from
// proc/self/cgroup and proc/self/mountinfo, its files copied, and the
// folder's analysis confirms the OOM kill from them alone.
func TestV2FixtureRoot(t *testing.T) {
	out := t.TempDir()
	log := filepath.Join(t.TempDir(), "job.log")
	os.WriteFile(log, []byte("============================= test session starts ==============================\n"+
		"collected 2 items\n\ntests/test_big.py::test_small PASSED                                     [ 50%]\ntests/test_big.py::test_huge \n"), 0o644)
	m, err := collect.Collect(context.Background(), collect.Options{Out: out, Root: "../testdata/cgroup/v2-root", NoKernelLog: true, Logs: []string{log, filepath.Join(out, "missing.log")}})
	if err != nil {
		t.Fatal(err)
	}
	if m.Cgroup == nil || m.Cgroup.Version != 2 || m.Cgroup.Path != "/ci/job-4242" || m.Cgroup.Found != "/proc/self/cgroup" || len(m.Cgroup.Files) != 7 {
		t.Fatalf("cgroup: %+v", m.Cgroup)
	}
	if len(m.Unread) != 1 || !strings.Contains(m.Unread[0].Why, "no such file") {
		t.Errorf("unread: %+v", m.Unread)
	}
	if _, err := os.Stat(filepath.Join(out, collectmanifest.FileName)); err != nil {
		t.Fatal(err)
	}
	rep := analyze(t, out)
	re := rep.RunEnd
	if re.Kind != "oom-kill" || re.ConfirmedBy != correlate.ByCgroupOOM || re.Strength != correlate.StrengthMedium {
		t.Fatalf("run end %+v", re)
	}
	if strings.Contains(rep.Verdict, "unconfirmed") || !strings.Contains(rep.Verdict, "limit 600.0 MiB, peak 600.0 MiB") ||
		!strings.Contains(rep.Verdict, "no victim pid") || !strings.Contains(rep.Verdict, "tests/test_big.py::test_huge was running when the limit was hit") {
		t.Errorf("verdict: %s", rep.Verdict)
	}
	if len(rep.Cgroups) != 1 || *rep.Cgroups[0].OOMKills != 1 {
		t.Errorf("cgroups: %+v", rep.Cgroups)
	}
	kinds := map[string]bool{}
	for _, in := range rep.Inputs {
		for _, k := range in.Kinds {
			kinds[k] = true
		}
	}
	for _, k := range []string{job.KindCgroup, job.KindPytestLog, job.KindCollectManifest} {
		if !kinds[k] {
			t.Errorf("no input of kind %s: %+v", k, rep.Inputs)
		}
	}
	if kinds[job.KindUnrecognized] {
		t.Errorf("unrecognized inputs: %+v", rep.Inputs)
	}
}

// TestNoCgroupSaysWhy: without a memory controller the manifest says so.
func TestNoCgroupSaysWhy(t *testing.T) {
	root := t.TempDir()
	os.MkdirAll(filepath.Join(root, "proc/self"), 0o755)
	os.WriteFile(filepath.Join(root, "proc/self/cgroup"), []byte("0::/\n"), 0o644)
	os.WriteFile(filepath.Join(root, "proc/self/mountinfo"), []byte("25 1 0:23 / / rw - overlay overlay rw\n"), 0o644)
	m, err := collect.Collect(context.Background(), collect.Options{Out: t.TempDir(), Root: root, NoKernelLog: true})
	if err != nil {
		t.Fatal(err)
	}
	if m.Cgroup != nil || len(m.Unread) != 1 || m.Unread[0].What != "memory cgroup" || !strings.Contains(m.Unread[0].Why, "names no memory cgroup") {
		t.Errorf("%+v %+v", m.Cgroup, m.Unread)
	}
}

const leakingTest = `
def test_small():
    assert True

def test_grow():
    keep = []
    while True:
        keep.append(bytearray(1 << 20))
`

// TestLiveMemcgKill runs pytest under a real memory cgroup limit (package
// harness) until the kernel kills it, runs collect on that cgroup before
// it is removed, and analyses the folder without its kernel log: the
// cgroup's oom_kill count alone confirms the OOM kill.
func TestLiveMemcgKill(t *testing.T) {
	if testing.Short() {
		t.Skip("a live OOM kill; skipped under -short")
	}
	const python = "/usr/bin/python3"
	fail := func(what string, err error) {
		t.Helper()
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s required under CI=true: %v", what, err)
		}
		t.Skipf("%s not available here, skipped (CI=true makes this a failure): %v", what, err)
	}
	if err := harness.Available(); err != nil {
		fail("the harness (a memory cgroup controller and a readable kernel log)", err)
	}
	if out, err := exec.Command(python, "-c", "import pytest").CombinedOutput(); err != nil {
		fail(python+" with pytest", err)
		_ = out
	}
	work := t.TempDir()
	if err := os.WriteFile(filepath.Join(work, "test_leak.py"), []byte(leakingTest), 0o644); err != nil {
		t.Fatal(err)
	}
	logPath := filepath.Join(work, "job.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	defer logFile.Close()
	stamped := harness.NewStampWriter(logFile, nil)
	out := filepath.Join(t.TempDir(), "job")
	var m *collectmanifest.Manifest
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	res, err := harness.Run(ctx, harness.Spec{
		LimitBytes: 256 << 20,
		Dir:        work,
		Env:        append(os.Environ(), "PYTHONDONTWRITEBYTECODE=1"),
		Args:       []string{python, "-m", "pytest", "-v", "-p", "no:cacheprovider", "test_leak.py"},
		Stdout:     stamped,
		Stderr:     stamped,
		Settle:     -1,
		AfterExit: func(res harness.Result) error {
			var err error
			m, err = collect.Collect(ctx, collect.Options{Out: out, Cgroup: res.CgroupDir, Logs: []string{logPath}})
			return err
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.OOMKills == 0 {
		t.Fatalf("no OOM kill in the cgroup (exit %d, signal %v)", res.ExitCode, res.Signal)
	}
	if m.Cgroup == nil || m.Cgroup.Version != 1 || m.Cgroup.Found != "--cgroup" || m.KernelLog == nil {
		t.Fatalf("manifest: %+v %+v unread %+v", m.Cgroup, m.KernelLog, m.Unread)
	}
	// The kernel log withheld: the folder's cgroup files and the log alone.
	kernelLog := filepath.Join(out, collect.KernelLogFile)
	withheld := filepath.Join(t.TempDir(), "withheld.log")
	if err := os.Rename(kernelLog, withheld); err != nil {
		t.Fatal(err)
	}
	rep := analyze(t, out)
	re := rep.RunEnd
	t.Logf("verdict without the kernel log: %s", rep.Verdict)
	if re.Kind != "oom-kill" || re.ConfirmedBy != correlate.ByCgroupOOM {
		t.Fatalf("run end %+v\nverdict %s\nwarnings %v", re, rep.Verdict, rep.Warnings)
	}
	// With it, the kernel's record of the same kill.
	if err := os.Rename(withheld, kernelLog); err != nil {
		t.Fatal(err)
	}
	full := analyze(t, out)
	t.Logf("verdict with the kernel log: %s (%s, %s)", full.Verdict, full.RunEnd.ConfirmedBy, full.RunEnd.Strength)
	// collect.json's boot time puts the kernel's stamps on the log's clock.
	if full.RunEnd.Kind != "oom-kill" || full.RunEnd.ConfirmedBy != correlate.ByKernelRecord || full.Alignment.Method != correlate.AlignCollectBootTime {
		t.Errorf("with the kernel log: run end %+v", full.RunEnd)
	}
	if strings.Contains(rep.Verdict, "unconfirmed") || !strings.Contains(rep.Verdict, "limit 256.0 MiB") ||
		!strings.Contains(rep.Verdict, "test_leak.py::test_grow was running when the limit was hit") {
		t.Errorf("verdict: %s", rep.Verdict)
	}
}
