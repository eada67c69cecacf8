package correlate

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/oomlens/oomlens/cgroupfs"
	"github.com/oomlens/oomlens/kube"
	"github.com/oomlens/oomlens/pytestlog"
)

const killedLog = "============================= test session starts ==============================\n" +
	"collected 3 items\n\n" +
	"tests/test_io.py::test_read PASSED                                       [ 33%]\n" +
	"tests/test_io.py::test_decode_stream \n"

func pytestOf(t *testing.T, text string) PytestInput {
	t.Helper()
	l, err := pytestlog.Parse(strings.NewReader(text), pytestlog.Options{Name: "job.log"})
	if err != nil {
		t.Fatal(err)
	}
	return PytestInput{Path: "job.log", Log: l}
}

func cgroupOf(t *testing.T, dir string) []CgroupInput {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []CgroupInput
	for _, e := range ents {
		p := filepath.Join(dir, e.Name())
		f, err := os.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		c, err := cgroupfs.Parse(f, p)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, CgroupInput{Path: "job/cgroup/" + e.Name(), File: c})
	}
	return out
}

func kubeOf(t *testing.T, name string) KubeInput {
	t.Helper()
	p := filepath.Join("..", "testdata", "kube", name)
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	d, err := kube.Parse(f, p)
	if err != nil {
		t.Fatal(err)
	}
	return KubeInput{Path: name, Doc: d}
}

// TestConfirmedWithoutKernel: each source other than a kernel record that
// says the job was OOM-killed makes the run end oom-kill, says which source
// and that it is weaker, and never "cause unconfirmed".
func TestConfirmedWithoutKernel(t *testing.T) {
	for _, c := range []struct {
		name   string
		ev     Evidence
		by     string
		verd   []string
		exit   int
		figure string
	}{
		{
			name: "v1 cgroup files of a real memcg kill, bash's Killed line",
			ev:   Evidence{Pytest: []PytestInput{pytestOf(t, killedLog+"/home/runner/work/_temp/x.sh: line 1:  2231 Killed                  pytest -v\n")}, Cgroups: cgroupOf(t, "../testdata/cgroup/v1-memcg-kill")},
			by:   ByCgroupOOM,
			verd: []string{"OOM kill in the job's memory cgroup at limit 64.0 MiB, peak 64.0 MiB, confirmed by the job's memory cgroup's oom_kill count (weaker than a kernel record: no victim pid, no per-process figures)",
				"tests/test_io.py::test_decode_stream was running when the limit was hit"},
			figure: "memory.oom_control oom_kill 1",
		},
		{
			name: "v2 cgroup files, the log just stops",
			ev:   Evidence{Pytest: []PytestInput{pytestOf(t, killedLog)}, Cgroups: cgroupOf(t, "../testdata/cgroup/v2-root/sys/fs/cgroup/ci/job-4242")},
			by:   ByCgroupOOM,
			verd: []string{"limit 600.0 MiB, peak 600.0 MiB"},
			exit: -1, figure: "memory.events oom_kill 1",
		},
		{
			name: "pod status json and the container's log",
			ev:   Evidence{Pytest: []PytestInput{pytestOf(t, killedLog)}, Kube: []KubeInput{kubeOf(t, "pod-oomkilled.json")}},
			by:   ByPodStatus,
			verd: []string{"OOM kill of the job's container at limit 600.0 MiB, confirmed by Kubernetes' pod status (OOMKilled)"},
			exit: 137, figure: "container build of pod runner-t3ltvvny-project-4711-concurrent-0-8x2kq terminated OOMKilled",
		},
		{
			name: "kubectl describe",
			ev:   Evidence{Pytest: []PytestInput{pytestOf(t, killedLog)}, Kube: []KubeInput{kubeOf(t, "describe-oomkilled.txt")}},
			by:   ByPodStatus,
			verd: []string{"limit 1.0 GiB"},
			exit: 137, figure: "lastState, exit code 137",
		},
		{
			name: "node-problem-detector's OOMKilling event",
			ev:   Evidence{Pytest: []PytestInput{pytestOf(t, killedLog)}, Kube: []KubeInput{kubeOf(t, "events-oomkilling.json")}},
			by:   ByPodEvent,
			verd: []string{"OOM kill (pid 48213, python), confirmed by a Kubernetes OOM event (weaker than a kernel record here: no per-process figures)"},
			exit: -1, figure: "Killed process 48213 (python)",
		},
		{
			name: "GitLab's Kubernetes executor line",
			ev:   Evidence{Pytest: []PytestInput{pytestOf(t, killedLog+"ERROR: Job failed (system failure): Error in container build: exit code: 137, reason: 'OOMKilled'\n")}},
			by:   ByCIOOMKilled,
			verd: []string{"OOM kill of the job's container, confirmed by the CI runner's report of Kubernetes' OOMKilled"},
			exit: 137, figure: "reason: 'OOMKilled'",
		},
	} {
		t.Run(c.name, func(t *testing.T) {
			rep, err := Analyze(&c.ev, Options{})
			if err != nil {
				t.Fatal(err)
			}
			re := rep.RunEnd
			if re.Kind != "oom-kill" || re.ConfirmedBy != c.by || re.Strength != StrengthMedium {
				t.Fatalf("run end %+v", re)
			}
			if c.exit != 0 && (c.exit == -1) != (re.ExitCode == nil) || c.exit > 0 && *re.ExitCode != c.exit {
				t.Errorf("exit code %v, want %d", re.ExitCode, c.exit)
			}
			if strings.Contains(rep.Verdict, "unconfirmed") {
				t.Errorf("verdict %q", rep.Verdict)
			}
			for _, v := range c.verd {
				if !strings.Contains(rep.Verdict, v) {
					t.Errorf("verdict %q\nlacks %q", rep.Verdict, v)
				}
			}
			if !strings.Contains(strings.Join(re.Evidence, "\n"), c.figure) {
				t.Errorf("evidence %q lacks %q", re.Evidence, c.figure)
			}
			if !strings.Contains(strings.Join(rep.Warnings, "\n"), "not by a kernel record: the victim's pid and its memory figures are not known") {
				t.Errorf("warnings %q", rep.Warnings)
			}
		})
	}
}

// TestPlainEnds: a cancel or a timeout says what ended the job and how
// sure that is, and never names SIGKILL (not even to deny it).
func TestPlainEnds(t *testing.T) {
	for _, c := range []struct {
		tail, kind, strength, verdict string
	}{
		{"2026-11-26T10:00:02.0000000Z ##[error]The runner has received a shutdown signal. This can happen when the runner service is stopped, or a manually started runner is canceled.\n2026-11-26T10:00:03.0000000Z ##[error]The operation was canceled.\n",
			"cancelled", StrengthStrong, `Cancelled: the CI stopped the job ("The runner has received a shutdown signal.`},
		{"##[error]The operation was canceled.\n##[error]Process completed with exit code 137.\n", "cancelled", StrengthStrong, `Cancelled: the CI stopped the job ("##[error]The operation was canceled."`},
		{"Error: Process completed with exit code 143.\n", "cancelled", StrengthMedium, "Ended by SIGTERM (exit status 143): most likely a CI cancel or time limit, not an OOM kill"},
		{"+++++++++++++++++++++++++++++++++++ Timeout ++++++++++++++++++++++++++++++++++++\n", "timeout", StrengthStrong, "Timed out: pytest-timeout stopped the run (its banner is in the log, so this is sure"},
		{"ERROR: Job failed: execution took longer than 1h0m0s seconds\n", "timeout", StrengthStrong, `Timed out: the CI's time limit ended the job ("ERROR: Job failed: execution took longer than 1h0m0s seconds"`},
		{"make: *** [Makefile:12: test] Error 124\n", "timeout", StrengthMedium, "Timed out (exit status 124, as timeout(1) reports it; fairly sure"},
	} {
		rep, err := Analyze(&Evidence{Pytest: []PytestInput{pytestOf(t, killedLog+c.tail)}}, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if rep.RunEnd.Kind != c.kind || rep.RunEnd.Strength != c.strength || rep.RunEnd.ConfirmedBy == "" {
			t.Errorf("%q: run end %+v", c.tail, rep.RunEnd)
		}
		if !strings.HasPrefix(rep.Verdict, c.verdict) || strings.Contains(rep.Verdict, "SIGKILL") {
			t.Errorf("%q: verdict %q", c.tail, rep.Verdict)
		}
	}
}

// TestOtherPodsDoNotConfirm: a pod list of several pods, or an OOM event on
// another pod than the job's, is not taken as the job's kill.
func TestOtherPodsDoNotConfirm(t *testing.T) {
	pod := kubeOf(t, "pod-oomkilled.json")
	other := kubeOf(t, "pod-oomkilled.yaml")
	rep, err := Analyze(&Evidence{Pytest: []PytestInput{pytestOf(t, killedLog)}, Kube: []KubeInput{pod, other}}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if rep.RunEnd.Kind == "oom-kill" || !strings.Contains(strings.Join(rep.Warnings, "\n"), "describe 2 pods") {
		t.Errorf("two pods: %+v %q", rep.RunEnd, rep.Warnings)
	}
	desc := kubeOf(t, "describe-oomkilled.txt") // its CgroupOOM event is on its own pod
	ev := KubeInput{Path: "events.json", Doc: &kube.Doc{Events: []kube.Event{{Reason: "OOMKilling", Object: "Pod/ci/another-pod", Message: "Memory cgroup out of memory"}}}}
	rep, err = Analyze(&Evidence{Pytest: []PytestInput{pytestOf(t, killedLog)}, Kube: []KubeInput{desc, ev}}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if rep.RunEnd.ConfirmedBy != ByPodStatus || strings.Contains(strings.Join(rep.RunEnd.Evidence, "\n"), "another-pod") ||
		!strings.Contains(strings.Join(rep.Warnings, "\n"), "OOMKilling event on Pod/ci/another-pod, which is not known to be the job's pod") {
		t.Errorf("another pod's event: %+v %q", rep.RunEnd, rep.Warnings)
	}
}

// TestShareFromCgroup: a real run's diagnostics and -v log with its kernel
// log withheld and its cgroup's files (the 448 MiB limit the scenario ran
// under, reached): the leaks are the same, their share is of the cgroup's
// peak.
func TestShareFromCgroup(t *testing.T) {
	dir := t.TempDir()
	for name, v := range map[string]string{
		"memory.oom_control":        "oom_kill_disable 0\nunder_oom 0\noom_kill 1\n",
		"memory.limit_in_bytes":     "469762048\n",
		"memory.max_usage_in_bytes": "469762048\n",
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(v), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	sc := filepath.Join("..", "testdata", "scenarios", "verbose-plugin")
	ev := &Evidence{
		Pytest:      []PytestInput{readPytest(t, filepath.Join(sc, "pytest.log"))},
		Diagnostics: []DiagnosticsInput{readDiagnostics(t, filepath.Join(sc, "diag.jsonl"))},
		Cgroups:     cgroupOf(t, dir),
	}
	rep, err := Analyze(ev, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if rep.RunEnd.Kind != "oom-kill" || rep.RunEnd.ConfirmedBy != ByCgroupOOM || len(rep.Leaks) != 2 {
		t.Fatalf("run end %+v, leaks %+v", rep.RunEnd, rep.Leaks)
	}
	l := rep.Leaks[0]
	if l.Test != "test_1_io.py::test_open_cached_dataset" || l.ShareOfKill == nil || *l.ShareOfKill != 0.214 ||
		!strings.Contains(strings.Join(l.Evidence, "\n"), "share of the kill taken against the job's memory peak usage (job/cgroup/memory.max_usage_in_bytes), 448.0 MiB") {
		t.Errorf("leak %+v share %v", l, l.ShareOfKill)
	}
	if !strings.Contains(rep.Verdict, "test_3_registry.py::test_merge_all was only running when the limit was hit") {
		t.Errorf("verdict %q", rep.Verdict)
	}
}
