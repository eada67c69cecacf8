package correlate

import (
	"fmt"
	"strings"
	"testing"

	"github.com/oomlens/oomlens/dmesg"
	"github.com/oomlens/oomlens/heap"
	"github.com/oomlens/oomlens/pytestlog"
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
	d, err := heap.ParseDiagnostics(strings.NewReader(diag.String()), heap.DiagnosticsOptions{Name: "diagnostics.jsonl"})
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
	want := "OOM kill of pid 501 (python3) (system-wide out of memory): 1 test retained 300.0 MiB that was never released (tests/test_a.py::test_2 300.0 MiB); tests/test_a.py::test_4 was only running when the limit was hit."
	if rep.Verdict != want {
		t.Errorf("verdict\n got %q\nwant %q", rep.Verdict, want)
	}
}
