package main

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/oomlens/oomlens/batch"
)

// scenarioJobs lays the real scenarios out as a folder of job archives and
// folders, with a stray file beside them.
func scenarioJobs(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for i, s := range scenarios(t) {
		if i%2 == 0 {
			archiveOf(t, s, filepath.Join(dir, filepath.Base(s)+".zip"))
			continue
		}
		archiveOf(t, s, filepath.Join(dir, filepath.Base(s)+".tar.gz"))
	}
	os.WriteFile(filepath.Join(dir, "README.txt"), []byte("this week's failures\n"), 0o644)
	return dir
}

func TestBatchOutputs(t *testing.T) {
	dir := scenarioJobs(t)
	jsonl := filepath.Join(t.TempDir(), "jobs.jsonl")
	pq := filepath.Join(t.TempDir(), "new", "parquet")
	code, out, stderr := oomlens(t, "", "batch", "--format", "json", "--jsonl", jsonl, "--parquet", pq, "--fail-on-leak", dir)
	if code != exitLeak {
		t.Fatalf("--fail-on-leak with leaks named: exit %d, want %d\n%s", code, exitLeak, stderr)
	}
	if !strings.Contains(stderr, "README.txt: not a job") {
		t.Errorf("no warning of the stray file:\n%s", stderr)
	}
	var s batch.Summary
	if err := json.Unmarshal([]byte(out), &s); err != nil {
		t.Fatalf("--format json: %v\n%s", err, out)
	}
	// Every scenario is a job; all but verbose-nodiag (no per-test memory)
	// and victim-only (no leak) name leaks.
	jobs := len(scenarios(t))
	if s.Schema != batch.SummarySchema || s.Jobs != jobs || s.JobsWithLeaks != jobs-2 || s.Tests[0].Test != "test_1_io.py::test_open_cached_dataset" {
		t.Errorf("summary: %+v", s)
	}
	f, err := os.Open(jsonl)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 16<<20)
	n := 0
	for sc.Scan() {
		var line map[string]json.RawMessage
		if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
			t.Fatal(err)
		}
		for _, k := range []string{"job", "schema", "leaks", "kills", "in_flight", "verdict"} {
			if _, ok := line[k]; !ok {
				t.Errorf("line %d has no %q", n+1, k)
			}
		}
		n++
	}
	if n != jobs {
		t.Errorf("%d lines, want one per job (%d)", n, jobs)
	}
	for _, name := range []string{batch.JobsParquet, batch.FindingsParquet} {
		if st, err := os.Stat(filepath.Join(pq, name)); err != nil || st.Size() == 0 {
			t.Errorf("%s: %v", name, err)
		}
	}
	// The aggregate of the lines is the batch's summary.
	code, agg, stderr := oomlens(t, "", "aggregate", "--format", "json", jsonl)
	if code != exitOK || agg != out {
		t.Errorf("aggregate: exit %d, %s\n%s\nwant\n%s", code, stderr, agg, out)
	}
	// No leaks, no exit 3.
	code, _, stderr = oomlens(t, "", "batch", "--fail-on-leak", filepath.Join("testdata/scenarios/verbose-nodiag"))
	if code != exitOK {
		t.Errorf("--fail-on-leak without leaks: exit %d\n%s", code, stderr)
	}
}

func TestBatchShardAuto(t *testing.T) {
	dir := scenarioJobs(t)
	all := map[string]bool{}
	for i := 0; i < 3; i++ {
		t.Setenv("JOB_COMPLETION_INDEX", string(rune('0'+i)))
		t.Setenv("OOMLENS_SHARDS", "3")
		jsonl := filepath.Join(t.TempDir(), "shard.jsonl")
		code, _, stderr := oomlens(t, "", "batch", "--shard", "auto", "--jsonl", jsonl, dir)
		if code != exitOK {
			t.Fatalf("shard %d: exit %d\n%s", i, code, stderr)
		}
		b, _ := os.ReadFile(jsonl)
		for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
			if l == "" {
				continue
			}
			var v struct{ Job string }
			json.Unmarshal([]byte(l), &v)
			if all[v.Job] {
				t.Errorf("%s in two shards", v.Job)
			}
			all[v.Job] = true
		}
	}
	if want := len(scenarios(t)); len(all) != want {
		t.Errorf("the shards hold %d jobs, want %d", len(all), want)
	}
	t.Setenv("OOMLENS_SHARDS", "")
	code, _, stderr := oomlens(t, "", "batch", "--shard", "auto", dir)
	if code != exitUsage || !strings.Contains(stderr, "OOMLENS_SHARDS") {
		t.Errorf("no shard count: exit %d, %s", code, stderr)
	}
}
