package batch

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/parquet-go/parquet-go"

	"github.com/oomlens/oomlens/correlate"
)

func TestParquetRoundTrip(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "out", "shard-1") // created if missing
	w, err := NewParquetWriter(dir, "v1.2.3")
	if err != nil {
		t.Fatal(err)
	}
	when := "2026-11-26T12:02:36.123456Z"
	limit := int64(448 << 20)
	exit := 137
	rep := &correlate.Report{Schema: correlate.SchemaV1, RunEnd: correlate.RunEnd{Kind: "oom-kill", ExitCode: &exit}, Verdict: "test_a leaked",
		Kills:    []correlate.Kill{{PID: 7, Comm: "python3", Time: &when, Constraint: "CONSTRAINT_MEMCG", OOMMemcg: "/ci/job", TaskMemcg: "/ci/job", AnonRSSBytes: ptr(int64(400 << 20)), MemcgLimitBytes: &limit, EndedRun: true}},
		Leaks:    []correlate.Leak{{Test: "t::a", RetainedBytes: 96 << 20, Confidence: "high", Worker: "gw1", PID: 9}},
		InFlight: []correlate.InFlight{{Test: "t::victim"}},
		Hogs:     []correlate.Hog{{Test: "t::hog", PeakBytes: 128 << 20, RetainedBytes: 1 << 20}},
		Unclosed: []correlate.Unclosed{{Test: "t::open"}},
	}
	for _, r := range []Result{
		{Job: Job{Name: "a.zip"}, Report: rep, Warnings: []string{"a.zip: member cut off"}},
		{Job: Job{Name: "b.zip"}, Err: errors.New("b.zip: zip: not a valid zip file")},
	} {
		if err := w.Add(r); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, JobsParquet)); err == nil {
		t.Fatal("jobs.parquet exists before Close: an engine could read half a batch")
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	jobs, err := parquet.ReadFile[JobRow](filepath.Join(dir, JobsParquet))
	if err != nil {
		t.Fatal(err)
	}
	if len(jobs) != 2 || jobs[0].Job != "a.zip" || !jobs[0].Partial || *jobs[0].KillPID != 7 || *jobs[0].KillMemcg != "/ci/job" ||
		jobs[0].KillTime.Format("15:04:05.000000") != "12:02:36.123456" || *jobs[0].ExitCode != 137 || jobs[0].ToolVersion != "v1.2.3" {
		t.Errorf("job a: %+v", jobs[0])
	}
	if *jobs[1].Error != "b.zip: zip: not a valid zip file" || jobs[1].KillPID != nil || jobs[1].RunEnd != nil {
		t.Errorf("job b: %+v", jobs[1])
	}
	findings, err := parquet.ReadFile[FindingRow](filepath.Join(dir, FindingsParquet))
	if err != nil {
		t.Fatal(err)
	}
	var roles []string
	for _, f := range findings {
		roles = append(roles, f.Role+" "+f.Test)
	}
	want := []string{"leak t::a", "victim t::victim", "hog t::hog", "unclosed t::open"}
	if len(roles) != len(want) {
		t.Fatalf("findings %q, want %q", roles, want)
	}
	for i := range want {
		if roles[i] != want[i] {
			t.Errorf("finding %d: %q, want %q", i, roles[i], want[i])
		}
	}
	if l := findings[0]; *l.RetainedBytes != 96<<20 || *l.Confidence != "high" || *l.Worker != "gw1" || *l.PID != 9 || l.PeakBytes != nil {
		t.Errorf("leak row %+v", l)
	}
	if v := findings[1]; v.Worker != nil || v.RetainedBytes != nil {
		t.Errorf("victim row %+v", v)
	}
}

// TestFindingRowsGroup: a leak that is a group is a row of role group, its
// test the group id; a leak of one test stays a leak.
func TestFindingRowsGroup(t *testing.T) {
	rep := &correlate.Report{Leaks: []correlate.Leak{
		{Test: "tests/t.py::test_big", RetainedBytes: 64 << 20},
		{Test: "tests/t.py::test_state[*]", RetainedBytes: 430 << 20,
			Group: &correlate.Group{Kind: "parametrize", Members: 36, RetainingMembers: 36, MedianMemberBytes: 12 << 20}},
	}}
	rows := findingRows(nil, "job1", rep)
	if len(rows) != 2 || rows[0].Role != RoleLeak || rows[1].Role != RoleGroup || rows[1].Test != "tests/t.py::test_state[*]" || *rows[1].RetainedBytes != 430<<20 {
		t.Fatalf("rows %+v", rows)
	}
}
