package batch

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	json "github.com/goccy/go-json"

	"github.com/oomlens/oomlens/correlate"
)

// lines renders results as batch --jsonl does.
func lines(t *testing.T, results ...Result) string {
	t.Helper()
	var b bytes.Buffer
	for _, r := range results {
		line := JobLine{Job: r.Job.Name, Report: r.Report, JobErrors: r.Warnings}
		if r.Err != nil {
			line.Error = r.Err.Error()
		}
		enc, err := json.Marshal(line)
		if err != nil {
			t.Fatal(err)
		}
		b.Write(append(enc, '\n'))
	}
	return b.String()
}

func leaked(job string, leaks map[string]int64) Result {
	return Result{Job: Job{Name: job}, Report: report(leaks)}
}

// Each case of issue 16's list of what aggregate got wrong.
func TestAggregateCases(t *testing.T) {
	t.Run("the same file twice counts each job once, with a warning", func(t *testing.T) {
		f := lines(t, leaked("a", map[string]int64{"t::leak": 1 << 30}), leaked("b", map[string]int64{"t::leak": 1 << 30}))
		a := NewAggregator()
		for i := 0; i < 2; i++ {
			if err := a.AddLines(strings.NewReader(f), "shard.jsonl"); err != nil {
				t.Fatal(err)
			}
		}
		s := a.Summary()
		if s.Jobs != 2 || s.Tests[0].LeakJobs != 2 {
			t.Errorf("%d jobs, leak jobs %d; want 2 and 2", s.Jobs, s.Tests[0].LeakJobs)
		}
		if len(s.Warnings) != 2 || !strings.Contains(s.Warnings[0], `job "a" given again (shard.jsonl:1)`) {
			t.Errorf("warnings %q", s.Warnings)
		}
	})
	t.Run("figures of 2^63-1 neither wrap nor sum across jobs", func(t *testing.T) {
		// Two workers of one job: the job's figure is their sum, which
		// saturates. Two jobs: the median and max, no sum.
		one := leaked("a", nil)
		one.Report.Leaks = []correlate.Leak{{Test: "t::huge", Worker: "gw0", RetainedBytes: math.MaxInt64}, {Test: "t::huge", Worker: "gw1", RetainedBytes: math.MaxInt64}}
		a := NewAggregator()
		a.AddLines(strings.NewReader(lines(t, one, leaked("b", map[string]int64{"t::huge": math.MaxInt64}))), "x.jsonl")
		s := a.Summary()
		got := s.Tests[0]
		if got.LeakJobs != 2 || got.MedianRetainedBytes != math.MaxInt64 || got.MaxRetainedBytes != math.MaxInt64 {
			t.Errorf("test %+v", got)
		}
		if len(s.Warnings) != 1 || !strings.Contains(s.Warnings[0], `job "a": the retained bytes of t::huge exceed 9223372036854775807`) {
			t.Errorf("warnings %q", s.Warnings)
		}
		var text bytes.Buffer
		RenderSummary(&text, s, "text", func(b int64) string { return fmt.Sprint(b) })
		if !strings.Contains(text.String(), "9223372036854775807  9223372036854775807  t::huge") {
			t.Errorf("the figures are not the largest int64:\n%s", text.String())
		}
	})
	t.Run("retained is the median and max across jobs", func(t *testing.T) {
		a := NewAggregator()
		for i, mib := range []int64{100, 300, 200, 400} {
			a.AddResult(leaked(fmt.Sprintf("job-%d", i), map[string]int64{"t::cache": mib << 20}))
		}
		got := a.Summary().Tests[0]
		if got.MedianRetainedBytes != 250<<20 || got.MaxRetainedBytes != 400<<20 || got.FirstJob != "job-0" || got.LastJob != "job-3" {
			t.Errorf("test %+v", got)
		}
	})
	t.Run("counts of listed jobs are exact", func(t *testing.T) {
		var rs []Result
		for i := 0; i < MaxJobsListed+5; i++ {
			rs = append(rs, Result{Job: Job{Name: fmt.Sprintf("job-%02d", i)}, Err: fmt.Errorf("zip: not a valid zip file")})
		}
		a := NewAggregator()
		f := lines(t, rs...)
		a.AddLines(strings.NewReader(f), "a.jsonl")
		a.AddLines(strings.NewReader(f), "b.jsonl")
		s := a.Summary()
		if s.JobsFailed != MaxJobsListed+5 || len(s.FailedJobs) != MaxJobsListed || s.MoreFailed != 5 || s.FailedJobs[0].Reason != "zip: not a valid zip file" {
			t.Errorf("failed %d, listed %d, more %d", s.JobsFailed, len(s.FailedJobs), s.MoreFailed)
		}
		var text bytes.Buffer
		RenderSummary(&text, s, "text", nil)
		if !strings.Contains(text.String(), "(+5 more)") {
			t.Errorf("text:\n%s", text.String())
		}
	})
	t.Run("another schema is refused", func(t *testing.T) {
		f := strings.Replace(lines(t, leaked("a", map[string]int64{"t::x": 1})), correlate.SchemaV1, "oomlens/report/v9", 1)
		err := NewAggregator().AddLines(strings.NewReader(f), "new.jsonl")
		if err == nil || !strings.Contains(err.Error(), `new.jsonl:1: job "a": report schema "oomlens/report/v9"; this oomlens reads "oomlens/report/v1"`) {
			t.Errorf("err = %v", err)
		}
		err = NewAggregator().AddLines(strings.NewReader(`{"job":"a","leaks":[]}`+"\n"), "old.jsonl")
		if err == nil || !strings.Contains(err.Error(), `old.jsonl:1: job "a": no "schema" key`) {
			t.Errorf("err = %v", err)
		}
	})
	t.Run("a cut last line keeps the lines before it", func(t *testing.T) {
		f := lines(t, leaked("a", map[string]int64{"t::x": 1 << 30}), leaked("b", map[string]int64{"t::x": 1 << 30}))
		cut := f[:len(f)-40]
		a := NewAggregator()
		if err := a.AddLines(strings.NewReader(cut), "killed.jsonl"); err != nil {
			t.Fatal(err)
		}
		s := a.Summary()
		if s.Jobs != 1 || len(s.Warnings) != 1 || !strings.Contains(s.Warnings[0], "killed.jsonl:2: the last line is cut off") {
			t.Errorf("%d jobs, warnings %q", s.Jobs, s.Warnings)
		}
		// A bad line that is not the last is an error.
		if err := NewAggregator().AddLines(strings.NewReader(cut+"\n"+f), "mid.jsonl"); err == nil || !strings.Contains(err.Error(), "mid.jsonl:2") {
			t.Errorf("a bad middle line: %v", err)
		}
	})
	t.Run("a truncated .tar.gz is in the summary with its reason", func(t *testing.T) {
		dir := t.TempDir()
		big := bytes.Repeat([]byte("x"), 1<<20)
		full := filepath.Join(dir, "full.tar.gz")
		writeTar(t, full, "gz", []member{{name: "kern.log", data: []byte(kernelLine)}, {name: "big.log", data: big}, {name: "more.log", data: big}})
		b, _ := os.ReadFile(full)
		os.WriteFile(filepath.Join(dir, "cut.tar.gz"), b[:len(b)/2], 0o644)
		os.WriteFile(filepath.Join(dir, "empty.tar.gz"), b[:20], 0o644)
		os.Remove(full)
		jobs, _, err := FindJobs([]string{dir})
		if err != nil {
			t.Fatal(err)
		}
		a := NewAggregator()
		Run(context.Background(), jobs, Options{Workers: 1}, func(r Result) error { a.AddResult(r); return nil })
		s := a.Summary()
		if s.Jobs != 2 || s.JobsPartial != 1 || s.PartialJobs[0].Job != "cut.tar.gz" || !strings.Contains(s.PartialJobs[0].Reason, "cut off") ||
			s.JobsFailed != 1 || s.FailedJobs[0].Job != "empty.tar.gz" {
			t.Fatalf("summary %+v", s)
		}
		var text bytes.Buffer
		RenderSummary(&text, s, "text", nil)
		for _, want := range []string{"1 unreadable, 1 read in part", "Jobs read in part:\n  cut.tar.gz: ", "Unreadable jobs:\n  empty.tar.gz: "} {
			if !strings.Contains(text.String(), want) {
				t.Errorf("text does not say %q:\n%s", want, text.String())
			}
		}
	})
}
