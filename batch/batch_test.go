package batch

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	json "github.com/goccy/go-json"
	"github.com/klauspost/compress/zstd"

	"github.com/oomlens/oomlens/correlate"
	"github.com/oomlens/oomlens/discover"
	"github.com/oomlens/oomlens/internal/jobgen"
	"github.com/oomlens/oomlens/job"
)

const kernelLine = "[ 5864.708440] Out of memory: Killed process 996 (python) total-vm:2991716kB, anon-rss:122228kB, file-rss:0kB, shmem-rss:0kB\n"
const pytestLine = "tests/test_a.py::test_one PASSED [ 50%]\ntests/test_a.py::test_two "

func gz(t *testing.T, b []byte) []byte {
	var buf bytes.Buffer
	w := gzip.NewWriter(&buf)
	w.Write(b)
	w.Close()
	return buf.Bytes()
}

type member struct {
	name string
	data []byte
	link bool
}

func writeTar(t *testing.T, path string, comp string, members []member) {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, m := range members {
		h := &tar.Header{Name: m.name, Mode: 0o644, Size: int64(len(m.data)), Typeflag: tar.TypeReg}
		if m.link {
			h = &tar.Header{Name: m.name, Linkname: "/etc/passwd", Typeflag: tar.TypeSymlink}
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if !m.link {
			tw.Write(m.data)
		}
	}
	tw.Close()
	out := buf.Bytes()
	switch comp {
	case "gz":
		out = gz(t, out)
	case "zst":
		var zb bytes.Buffer
		zw, _ := zstd.NewWriter(&zb)
		zw.Write(out)
		zw.Close()
		out = zb.Bytes()
	}
	if err := os.WriteFile(path, out, 0o644); err != nil {
		t.Fatal(err)
	}
}

func writeZip(t *testing.T, path string, members []member) {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, m := range members {
		h := &zip.FileHeader{Name: m.name, Method: zip.Deflate}
		if m.link {
			h.SetMode(os.ModeSymlink | 0o777)
		}
		w, err := zw.CreateHeader(h)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(m.data)
	}
	zw.Close()
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestFindJobs(t *testing.T) {
	root := t.TempDir()
	os.MkdirAll(filepath.Join(root, "b-folder"), 0o755)
	os.WriteFile(filepath.Join(root, "b-folder", "kern.log"), []byte(kernelLine), 0o644)
	writeTar(t, filepath.Join(root, "a.tgz"), "gz", []member{{name: "kern.log", data: []byte(kernelLine)}})
	writeZip(t, filepath.Join(root, "c.zip"), []member{{name: "kern.log", data: []byte(kernelLine)}})
	os.WriteFile(filepath.Join(root, "d-corrupt.zip"), []byte("PK\x03\x04 cut"), 0o644)
	os.WriteFile(filepath.Join(root, "e-random.tgz"), []byte("not gzip at all"), 0o644)
	os.WriteFile(filepath.Join(root, "README.txt"), []byte("these are the jobs of November\n"), 0o644)
	os.WriteFile(filepath.Join(root, "kern.log"), []byte(kernelLine), 0o644)
	os.MkdirAll(filepath.Join(root, ".hidden"), 0o755)
	jobs, warnings, err := FindJobs([]string{root})
	if err != nil {
		t.Fatal(err)
	}
	want := []Job{
		{Name: "a.tgz", Path: filepath.Join(root, "a.tgz"), Archive: true},
		{Name: "b-folder", Path: filepath.Join(root, "b-folder")},
		{Name: "c.zip", Path: filepath.Join(root, "c.zip"), Archive: true},
		{Name: "d-corrupt.zip", Path: filepath.Join(root, "d-corrupt.zip"), Archive: true},
		{Name: "e-random.tgz", Path: filepath.Join(root, "e-random.tgz"), Archive: true},
	}
	if !reflect.DeepEqual(jobs, want) {
		t.Fatalf("jobs = %+v\nwant %+v", jobs, want)
	}
	// The stray files are warnings, not a reason to take root as one job.
	if len(warnings) != 2 || !strings.Contains(warnings[0], "README.txt: not a job") || !strings.Contains(warnings[1], "kern.log: not a job") {
		t.Errorf("warnings %q", warnings)
	}
	// A PATH that holds input files and no jobs is one job.
	jobs, warnings, err = FindJobs([]string{filepath.Join(root, "b-folder")})
	if err != nil || len(jobs) != 1 || jobs[0].Name != "b-folder" || jobs[0].Archive || len(warnings) != 0 {
		t.Fatalf("direct folder: %+v, %q, %v", jobs, warnings, err)
	}
	if _, _, err := FindJobs([]string{filepath.Join(root, "missing")}); err == nil {
		t.Fatal("missing path: no error")
	}
}

// TestFindJobsGitHubRunLogs: a workflow run's logs zip is each job of the
// run a job, read from its top-level log or, when that is missing, from its
// step logs.
func TestFindJobsGitHubRunLogs(t *testing.T) {
	root := t.TempDir()
	p := filepath.Join(root, "logs_4242.zip")
	writeZip(t, p, []member{
		{name: "0_lint.txt", data: []byte("2026-11-26T12:00:00.0000000Z ok\n")},
		{name: "1_test (3.11).txt", data: []byte(kernelLine)},
		{name: "test (3.11)/1_Set up job.txt", data: []byte("x\n")},
		{name: "test (3.11)/4_Run tests.txt", data: []byte(kernelLine)},
		{name: "test (3.12)/4_Run tests.txt", data: []byte(kernelLine)},
	})
	jobs, _, err := FindJobs([]string{root})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, j := range jobs {
		names = append(names, j.Name)
	}
	if want := []string{"logs_4242.zip/lint", "logs_4242.zip/test (3.11)", "logs_4242.zip/test (3.12)"}; !reflect.DeepEqual(names, want) {
		t.Fatalf("jobs %q, want %q", names, want)
	}
	for _, tc := range []struct {
		job   Job
		input string
	}{
		{jobs[1], "logs_4242.zip/1_test (3.11).txt"},
		{jobs[2], "logs_4242.zip/test (3.12)/4_Run tests.txt"},
	} {
		set, err := Load(tc.job, 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(set.Inputs) != 1 || set.Inputs[0].Path != tc.input {
			t.Errorf("%s: inputs %+v, want only %s", tc.job.Name, set.Inputs, tc.input)
		}
	}
}

// TestFindJobsFourHundredArchivesWithStrays is the case: 400
// archived jobs with stray files beside them are 400 jobs, each read.
func TestFindJobsFourHundredArchivesWithStrays(t *testing.T) {
	root := t.TempDir()
	for i := 0; i < 400; i++ {
		name := filepath.Join(root, fmt.Sprintf("job-%03d", i))
		m := []member{{name: "kern.log", data: []byte(kernelLine)}, {name: "pytest.log", data: []byte(pytestLine)}}
		if i%2 == 0 {
			writeZip(t, name+".zip", m)
		} else {
			writeTar(t, name+".tar.gz", "gz", m)
		}
	}
	os.WriteFile(filepath.Join(root, "README.txt"), []byte("November's failures\n"), 0o644)
	os.WriteFile(filepath.Join(root, "index.html"), []byte("<html></html>\n"), 0o644)
	os.WriteFile(filepath.Join(root, "job-400.zip"), []byte("PK\x03\x04 truncated download"), 0o644)
	jobs, warnings, err := FindJobs([]string{root})
	if err != nil {
		t.Fatal(err)
	}
	if len(jobs) != 401 || len(warnings) != 2 {
		t.Fatalf("%d jobs (want 400 and the corrupt one), %d warnings %q", len(jobs), len(warnings), warnings)
	}
	// The files are told apart in parallel (fileJobs); the jobs and the
	// warnings still come in the order of their names.
	for i, j := range jobs {
		if want := fmt.Sprintf("job-%03d.", i); !strings.HasPrefix(j.Name, want) {
			t.Fatalf("job %d is %s, want %s…", i, j.Name, want)
		}
	}
	if !strings.Contains(warnings[0], "README.txt") || !strings.Contains(warnings[1], "index.html") {
		t.Fatalf("warnings out of order: %q", warnings)
	}
	agg := NewAggregator()
	err = Run(context.Background(), jobs, Options{Workers: 2}, func(r Result) error {
		agg.AddResult(r)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	s := agg.Summary()
	if s.Jobs != 401 || s.JobsFailed != 1 || s.FailedJobs[0].Job != "job-400.zip" || !strings.Contains(s.FailedJobs[0].Reason, "zip") {
		t.Fatalf("summary: %d jobs, %d failed %+v", s.Jobs, s.JobsFailed, s.FailedJobs)
	}
}

func TestRunIsOrderedWhateverTheParallelism(t *testing.T) {
	dir := t.TempDir()
	var jobs []Job
	for i := 0; i < 60; i++ {
		p := filepath.Join(dir, fmt.Sprintf("job%03d", i))
		os.MkdirAll(p, 0o755)
		os.WriteFile(filepath.Join(p, "kern.log"), []byte(kernelLine), 0o644)
		jobs = append(jobs, Job{Name: filepath.Base(p), Path: p})
	}
	jobs = append(jobs, Job{Name: "zz-missing", Path: filepath.Join(dir, "zz-missing")})
	replaceAnalyze(t, func(set *discover.Set, _ job.Options) (*correlate.Report, error) {
		time.Sleep(time.Duration(rand.Intn(3)) * time.Millisecond)
		name := jobName(set)
		if name == "job007" {
			panic("boom")
		}
		return &correlate.Report{Verdict: name + " " + job.Sniff(set.Inputs[0].Head)[0]}, nil
	})
	var got []string
	err := Run(context.Background(), jobs, Options{Workers: 8}, func(r Result) error {
		switch {
		case r.Err != nil:
			got = append(got, r.Job.Name+" error")
		default:
			got = append(got, r.Report.Verdict)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(jobs) {
		t.Fatalf("%d results for %d jobs", len(got), len(jobs))
	}
	for i, j := range jobs {
		want := j.Name + " kernel-log"
		if j.Name == "job007" || j.Name == "zz-missing" {
			want = j.Name + " error"
		}
		if got[i] != want {
			t.Fatalf("result %d = %q, want %q", i, got[i], want)
		}
	}
}

func report(leaks map[string]int64, inFlight ...string) *correlate.Report {
	r := &correlate.Report{Schema: correlate.SchemaV1, RunEnd: correlate.RunEnd{Kind: "oom-kill"}}
	for test, b := range leaks {
		r.Leaks = append(r.Leaks, correlate.Leak{Test: test, RetainedBytes: b})
	}
	for _, f := range inFlight {
		r.InFlight = append(r.InFlight, correlate.InFlight{Test: f})
	}
	return r
}

func TestShardsAggregateToTheUnshardedSummary(t *testing.T) {
	var results []Result
	for i := 0; i < 300; i++ {
		name := fmt.Sprintf("job-%04d.zip", i)
		r := Result{Job: Job{Name: name}}
		switch {
		case i%17 == 0:
			r.Err = errors.New("zip: not a valid zip file")
		case i%3 == 0:
			r.Report = report(map[string]int64{"tests/a.py::test_cache": 1 << 30, "tests/b.py::test_list": int64(i) << 20}, "tests/c.py::test_big")
		default:
			r.Report = report(map[string]int64{"tests/b.py::test_list": 1 << 20}, "tests/a.py::test_cache")
		}
		results = append(results, r)
	}
	whole := NewAggregator()
	for _, r := range results {
		whole.AddResult(r)
	}
	var want bytes.Buffer
	if err := RenderSummary(&want, whole.Summary(), "json", nil); err != nil {
		t.Fatal(err)
	}
	const n = 4
	merged := NewAggregator()
	for i := n; i >= 1; i-- { // any order of shards
		var lines bytes.Buffer
		for _, r := range results {
			if !InShard(r.Job.Name, i, n) {
				continue
			}
			line := JobLine{Job: r.Job.Name, Report: r.Report}
			if r.Err != nil {
				line.Error = r.Err.Error()
			}
			b, err := json.Marshal(line)
			if err != nil {
				t.Fatal(err)
			}
			lines.Write(append(b, '\n'))
		}
		if err := merged.AddLines(&lines, fmt.Sprintf("shard-%d.jsonl", i)); err != nil {
			t.Fatal(err)
		}
	}
	var got bytes.Buffer
	RenderSummary(&got, merged.Summary(), "json", nil)
	if got.String() != want.String() {
		t.Fatalf("sharded summary differs:\n%s\nwant\n%s", got.String(), want.String())
	}
	s := whole.Summary()
	if s.Jobs != 300 || s.JobsFailed != 18 || len(s.FailedJobs) != 18 || s.MoreFailed != 0 || s.FailedJobs[1].Job != "job-0017.zip" {
		t.Errorf("counts: %+v", s)
	}
	top := s.Tests[0]
	if top.Test != "tests/b.py::test_list" || top.LeakJobs != 300-18 || top.FirstJob != "job-0001.zip" || top.LastJob != "job-0299.zip" {
		t.Errorf("top test: %+v", top)
	}
}

func TestShardsPartitionJobs(t *testing.T) {
	for i := 0; i < 1000; i++ {
		name := fmt.Sprintf("j%d", i)
		hits := 0
		for s := 1; s <= 5; s++ {
			if InShard(name, s, 5) {
				hits++
			}
		}
		if hits != 1 {
			t.Fatalf("%s is in %d shards of 5", name, hits)
		}
	}
	for _, bad := range []string{"0/3", "4/3", "1/0", "a/b", "1/3x", "-1/3"} {
		if _, _, err := ParseShard(bad, os.Getenv); err == nil {
			t.Errorf("ParseShard(%q): no error", bad)
		}
	}
	if i, n, err := ParseShard("2/8", os.Getenv); err != nil || i != 2 || n != 8 {
		t.Errorf("ParseShard(2/8) = %d, %d, %v", i, n, err)
	}
	// auto: a Kubernetes Indexed Job's 0-based JOB_COMPLETION_INDEX, and the
	// completion count the Job's spec passes down.
	for _, tc := range []struct {
		env  map[string]string
		i, n int
		err  string
	}{
		{map[string]string{"JOB_COMPLETION_INDEX": "0", "OOMLENS_SHARDS": "4"}, 1, 4, ""},
		{map[string]string{"JOB_COMPLETION_INDEX": "3", "JOB_COMPLETIONS": "4"}, 4, 4, ""},
		{map[string]string{"JOB_COMPLETION_INDEX": "4", "OOMLENS_SHARDS": "4"}, 0, 0, "want 0 <= index < count"},
		{map[string]string{"OOMLENS_SHARDS": "4"}, 0, 0, "JOB_COMPLETION_INDEX is not set"},
		{map[string]string{"JOB_COMPLETION_INDEX": "1"}, 0, 0, "OOMLENS_SHARDS or JOB_COMPLETIONS"},
		{map[string]string{"JOB_COMPLETION_INDEX": "x", "OOMLENS_SHARDS": "4"}, 0, 0, `JOB_COMPLETION_INDEX="x"`},
	} {
		i, n, err := ParseShard("auto", func(k string) string { return tc.env[k] })
		if tc.err == "" && (err != nil || i != tc.i || n != tc.n) || tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)) {
			t.Errorf("auto with %v: %d/%d, %v; want %d/%d, %q", tc.env, i, n, err, tc.i, tc.n, tc.err)
		}
	}
}

func TestAddLinesErrorsNamePosition(t *testing.T) {
	a := NewAggregator()
	err := a.AddLines(strings.NewReader("{\"job\":\"a\",\"schema\":\"oomlens/report/v1\"}\nnot json\n"), "shard.jsonl")
	if err == nil || !strings.Contains(err.Error(), "shard.jsonl:2") {
		t.Fatalf("err = %v", err)
	}
}

// TestRunWindow: results come in order through a ring of 4×workers slots,
// and no more jobs than that are ever analysed ahead of the emitted ones,
// whatever the number of jobs.
func TestRunWindow(t *testing.T) {
	dir := t.TempDir()
	var jobs []Job
	for i := 0; i < 200; i++ {
		p := filepath.Join(dir, fmt.Sprintf("job%03d", i))
		os.MkdirAll(p, 0o755)
		os.WriteFile(filepath.Join(p, "kern.log"), []byte(kernelLine), 0o644)
		jobs = append(jobs, Job{Name: filepath.Base(p), Path: p})
	}
	for _, workers := range []int{1, 2, 3} {
		var mu sync.Mutex
		started, emitted, most := 0, 0, 0
		replaceAnalyze(t, func(set *discover.Set, _ job.Options) (*correlate.Report, error) {
			mu.Lock()
			started++
			most = max(most, started-emitted)
			mu.Unlock()
			time.Sleep(time.Duration(rand.Intn(200)) * time.Microsecond)
			return &correlate.Report{Verdict: jobName(set)}, nil
		})
		i := 0
		err := Run(context.Background(), jobs, Options{Workers: workers}, func(r Result) error {
			if r.Err != nil || r.Report.Verdict != jobs[i].Name {
				t.Fatalf("workers %d: result %d is %+v, want %s", workers, i, r, jobs[i].Name)
			}
			i++
			mu.Lock()
			emitted++
			mu.Unlock()
			return nil
		})
		if err != nil || i != len(jobs) {
			t.Fatalf("workers %d: %v after %d results", workers, err, i)
		}
		if most > 4*workers {
			t.Errorf("workers %d: %d jobs analysed ahead of the emitted ones, want at most %d", workers, most, 4*workers)
		}
	}
}

// replaceAnalyze makes Run analyse with fn for the rest of the test.
func replaceAnalyze(t *testing.T, fn func(*discover.Set, job.Options) (*correlate.Report, error)) {
	t.Helper()
	saved := analyze
	analyze = fn
	t.Cleanup(func() { analyze = saved })
}

// jobName is the folder of a test job's one kern.log.
func jobName(set *discover.Set) string {
	return filepath.Base(filepath.Dir(set.Inputs[0].Path))
}

// TestRunAnalyzes: without a replacement, Run analyses each job with
// job.Analyze and the job's options, and adds what reading the job warned
// of to the report's warnings.
func TestRunAnalyzes(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "job.zip")
	writeZip(t, p, []member{{name: "kern.log", data: []byte(kernelLine)}, {name: "../evil", data: []byte("x")}})
	var got []Result
	err := Run(context.Background(), []Job{{Name: "job.zip", Path: p, Archive: true}}, Options{Workers: 1}, func(r Result) error {
		got = append(got, r)
		return nil
	})
	if err != nil || len(got) != 1 || got[0].Err != nil {
		t.Fatalf("run: %v, results %+v", err, got)
	}
	rep := got[0].Report
	if len(rep.Kills) != 1 || rep.Kills[0].PID != 996 {
		t.Errorf("kills %+v, want pid 996", rep.Kills)
	}
	if len(rep.Inputs) != 1 || !slices.Equal(rep.Inputs[0].Kinds, []string{job.KindKernelLog}) {
		t.Errorf("inputs %+v", rep.Inputs)
	}
	if w := strings.Join(rep.Warnings, "\n"); !strings.Contains(w, `"../evil" escapes`) {
		t.Errorf("reading's warning not in the report's:\n%s", w)
	}
}

// TestOmitTimelineKeepsTheSummary runs the same jobs with and without the
// timeline (cmd batch omits it unless --jsonl prints the reports): the
// summary is the same byte for byte, and only the timeline and samples
// are gone from the reports.
func TestOmitTimelineKeepsTheSummary(t *testing.T) {
	dir := t.TempDir()
	rng := rand.New(rand.NewSource(3))
	for i := 0; i < 6; i++ {
		if err := jobgen.WriteJob(dir, i, i%2 == 0, jobgen.Job(rng, 60)); err != nil {
			t.Fatal(err)
		}
	}
	jobs, _, err := FindJobs([]string{dir})
	if err != nil {
		t.Fatal(err)
	}
	run := func(omit bool) (string, []*correlate.Report) {
		var opts Options
		opts.Analyze.Correlate.OmitTimeline = omit
		agg := NewAggregator()
		var reps []*correlate.Report
		err := Run(context.Background(), jobs, opts, func(r Result) error {
			if r.Err != nil {
				return r.Err
			}
			agg.AddResult(r)
			reps = append(reps, r.Report)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		if err := RenderSummary(&b, agg.Summary(), "json", nil); err != nil {
			t.Fatal(err)
		}
		return b.String(), reps
	}
	full, fullReps := run(false)
	omitted, omittedReps := run(true)
	if full != omitted {
		t.Errorf("summary without the timeline differs:\n%s\nwith it:\n%s", omitted, full)
	}
	for i, r := range omittedReps {
		if len(r.Timeline) != 0 || len(r.Samples) != 0 {
			t.Errorf("job %d: %d spans and %d samples with OmitTimeline", i, len(r.Timeline), len(r.Samples))
		}
		f := *fullReps[i]
		if len(f.Timeline) == 0 {
			t.Errorf("job %d: no timeline without OmitTimeline", i)
		}
		f.Timeline, f.Samples = r.Timeline, r.Samples
		a, _ := json.Marshal(&f)
		b, _ := json.Marshal(r)
		if !bytes.Equal(a, b) {
			t.Errorf("job %d: the report differs beyond its timeline:\n%s\n%s", i, a, b)
		}
	}
}

// TestRunReusesNoReportMemory: the workers read each job into the memory of
// their job before (discover.Buffers), released when its report is made.
// Every report of a batch of different jobs, zipped and not, compared once
// the batch has ended (each worker's buffers overwritten many times since),
// is the report of the job analysed alone in memory of its own: a report
// holds nothing of what its job was read into.
func TestRunReusesNoReportMemory(t *testing.T) {
	dir := t.TempDir()
	rng := rand.New(rand.NewSource(5))
	for i := 0; i < 12; i++ {
		if err := jobgen.WriteJob(dir, i, i%3 == 0, jobgen.Job(rng, 40+rng.Intn(200))); err != nil {
			t.Fatal(err)
		}
	}
	jobs, _, err := FindJobs([]string{dir})
	if err != nil {
		t.Fatal(err)
	}
	var got []Result
	err = Run(context.Background(), jobs, Options{Workers: 2}, func(r Result) error {
		got = append(got, r)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for i, j := range jobs {
		set, err := Load(j, 0)
		if err != nil {
			t.Fatal(err)
		}
		want, err := job.Analyze(set, job.Options{})
		set.Cleanup()
		if err != nil || got[i].Err != nil {
			t.Fatalf("%s: alone: %v, in the batch: %v", j.Name, err, got[i].Err)
		}
		a, _ := json.Marshal(got[i].Report)
		b, _ := json.Marshal(want)
		if !bytes.Equal(a, b) {
			t.Errorf("%s: the report in the batch differs from the job's alone:\n%s\n%s", j.Name, a, b)
		}
	}
}
