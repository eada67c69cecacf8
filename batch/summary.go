package batch

import (
	"bufio"
	"encoding/csv"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"

	json "github.com/goccy/go-json"

	"github.com/oomlens/oomlens/correlate"
)

// SummarySchema names the summary's JSON format.
const SummarySchema = "oomlens/batch-summary/v1"

// MaxJobsListed is how many job names a summary row lists; the rest are
// counted.
const MaxJobsListed = 20

// JobLine is one line of a batch's JSON Lines output: the job's report (the
// "oomlens/report/v1" keys) with the job's name, or its error.
type JobLine struct {
	Job       string   `json:"job"`
	Error     string   `json:"error,omitempty"`
	JobErrors []string `json:"job_warnings,omitempty"`
	*correlate.Report
}

// jobView is the part of a JobLine the summary reads. Aggregating decoded
// lines and aggregating the reports of a live batch go through this one
// shape, so that the two give the same summary byte for byte.
type jobView struct {
	Job   string `json:"job"`
	Error string `json:"error"`
	Leaks []struct {
		Test          string `json:"test"`
		RetainedBytes int64  `json:"retained_bytes"`
	} `json:"leaks"`
	InFlight []struct {
		Test string `json:"test"`
	} `json:"in_flight"`
	RunEnd struct {
		Kind string `json:"kind"`
	} `json:"run_end"`
}

// Summary ranks the tests of many jobs.
type Summary struct {
	Schema        string        `json:"schema"`
	Jobs          int           `json:"jobs"`
	JobsFailed    int           `json:"jobs_failed"` // could not be read or analysed
	JobsWithLeaks int           `json:"jobs_with_leaks"`
	RunEnds       []CountOf     `json:"run_ends"` // how the jobs' runs ended, by kind
	Tests         []TestSummary `json:"tests"`
	FailedJobs    []string      `json:"failed_jobs"` // the first MaxJobsListed by name
	MoreFailed    int           `json:"more_failed_jobs"`
}

// CountOf is a count by name.
type CountOf struct {
	Name  string `json:"name"`
	Count int    `json:"count"`
}

// TestSummary is one test across jobs.
type TestSummary struct {
	Test          string   `json:"test"`
	LeakJobs      int      `json:"leak_jobs"`   // jobs that named it as a leaker
	VictimJobs    int      `json:"victim_jobs"` // jobs in which it was in flight at the kill
	RetainedBytes int64    `json:"retained_bytes"`
	Jobs          []string `json:"jobs"` // the first MaxJobsListed by name
	MoreJobs      int      `json:"more_jobs"`
}

// Aggregator builds a Summary from jobs added in any order; its memory grows
// with the number of distinct tests, not of jobs.
type Aggregator struct {
	jobs, failed, withLeaks int
	runEnds                 map[string]int
	tests                   map[string]*testAgg
	failedJobs              nameSet
}

type testAgg struct {
	leak, victim int
	retained     int64
	jobs         nameSet
}

// nameSet keeps the MaxJobsListed smallest names and counts the rest.
type nameSet struct {
	names []string
	total int
}

func (s *nameSet) add(name string) {
	i := sort.SearchStrings(s.names, name)
	if i < len(s.names) && s.names[i] == name {
		return
	}
	s.total++
	if i >= MaxJobsListed {
		return
	}
	s.names = append(s.names, "")
	copy(s.names[i+1:], s.names[i:])
	s.names[i] = name
	if len(s.names) > MaxJobsListed {
		s.names = s.names[:MaxJobsListed]
	}
}

// NewAggregator returns an empty aggregator.
func NewAggregator() *Aggregator {
	return &Aggregator{runEnds: map[string]int{}, tests: map[string]*testAgg{}}
}

// AddResult adds a live batch's result.
func (a *Aggregator) AddResult(r Result) {
	v := jobView{Job: r.Job.Name}
	if r.Err != nil {
		v.Error = r.Err.Error()
	} else if r.Report != nil {
		for _, l := range r.Report.Leaks {
			v.Leaks = append(v.Leaks, struct {
				Test          string `json:"test"`
				RetainedBytes int64  `json:"retained_bytes"`
			}{l.Test, l.RetainedBytes})
		}
		for _, f := range r.Report.InFlight {
			v.InFlight = append(v.InFlight, struct {
				Test string `json:"test"`
			}{f.Test})
		}
		v.RunEnd.Kind = r.Report.RunEnd.Kind
	}
	a.add(v)
}

// AddLines adds every job line of a batch's JSON Lines output; name is used
// in errors.
func (a *Aggregator) AddLines(r io.Reader, name string) error {
	br := bufio.NewReaderSize(r, 1<<20)
	for line := 1; ; line++ {
		b, err := br.ReadBytes('\n')
		if len(strings.TrimSpace(string(b))) > 0 {
			var v jobView
			if jerr := json.Unmarshal(b, &v); jerr != nil {
				return fmt.Errorf("%s:%d: not a batch job line: %v", name, line, jerr)
			}
			if v.Job == "" {
				return fmt.Errorf("%s:%d: not a batch job line: no \"job\" key", name, line)
			}
			a.add(v)
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
	}
}

func (a *Aggregator) add(v jobView) {
	a.jobs++
	if v.Error != "" {
		a.failed++
		a.failedJobs.add(v.Job)
		return
	}
	if v.RunEnd.Kind != "" {
		a.runEnds[v.RunEnd.Kind]++
	}
	seenLeak := map[string]bool{}
	for _, l := range v.Leaks {
		t := a.test(l.Test)
		t.retained += l.RetainedBytes
		if !seenLeak[l.Test] { // one job names a test once, even on two workers
			seenLeak[l.Test] = true
			t.leak++
		}
		t.jobs.add(v.Job)
	}
	if len(v.Leaks) > 0 {
		a.withLeaks++
	}
	seenVictim := map[string]bool{}
	for _, f := range v.InFlight {
		if f.Test == "" || seenVictim[f.Test] {
			continue
		}
		seenVictim[f.Test] = true
		t := a.test(f.Test)
		t.victim++
		t.jobs.add(v.Job)
	}
}

func (a *Aggregator) test(name string) *testAgg {
	t := a.tests[name]
	if t == nil {
		t = &testAgg{}
		a.tests[name] = t
	}
	return t
}

// Summary ranks the tests: most jobs naming them as leakers first, then as
// victims, then most retained, then by name.
func (a *Aggregator) Summary() *Summary {
	s := &Summary{Schema: SummarySchema, Jobs: a.jobs, JobsFailed: a.failed, JobsWithLeaks: a.withLeaks,
		RunEnds: []CountOf{}, Tests: []TestSummary{}, FailedJobs: append([]string{}, a.failedJobs.names...),
		MoreFailed: a.failedJobs.total - len(a.failedJobs.names)}
	for k, n := range a.runEnds {
		s.RunEnds = append(s.RunEnds, CountOf{k, n})
	}
	sort.Slice(s.RunEnds, func(i, j int) bool {
		if s.RunEnds[i].Count != s.RunEnds[j].Count {
			return s.RunEnds[i].Count > s.RunEnds[j].Count
		}
		return s.RunEnds[i].Name < s.RunEnds[j].Name
	})
	for name, t := range a.tests {
		s.Tests = append(s.Tests, TestSummary{Test: name, LeakJobs: t.leak, VictimJobs: t.victim, RetainedBytes: t.retained,
			Jobs: append([]string{}, t.jobs.names...), MoreJobs: t.jobs.total - len(t.jobs.names)})
	}
	sort.Slice(s.Tests, func(i, j int) bool {
		x, y := s.Tests[i], s.Tests[j]
		switch {
		case x.LeakJobs != y.LeakJobs:
			return x.LeakJobs > y.LeakJobs
		case x.VictimJobs != y.VictimJobs:
			return x.VictimJobs > y.VictimJobs
		case x.RetainedBytes != y.RetainedBytes:
			return x.RetainedBytes > y.RetainedBytes
		}
		return x.Test < y.Test
	})
	return s
}

// SummaryFormats are the formats RenderSummary writes.
func SummaryFormats() []string { return []string{"text", "markdown", "json", "csv"} }

// RenderSummary writes s in format.
func RenderSummary(w io.Writer, s *Summary, format string, sizeOf func(int64) string) error {
	switch format {
	case "json":
		b, err := json.MarshalIndent(s, "", "  ")
		if err != nil {
			return err
		}
		_, err = w.Write(append(b, '\n'))
		return err
	case "csv":
		cw := csv.NewWriter(w)
		cw.Write([]string{"test", "leak_jobs", "victim_jobs", "retained_bytes", "jobs", "more_jobs"})
		for _, t := range s.Tests {
			cw.Write([]string{t.Test, strconv.Itoa(t.LeakJobs), strconv.Itoa(t.VictimJobs),
				strconv.FormatInt(t.RetainedBytes, 10), strings.Join(t.Jobs, " "), strconv.Itoa(t.MoreJobs)})
		}
		cw.Flush()
		return cw.Error()
	case "text":
		return renderSummaryText(w, s, sizeOf)
	case "markdown":
		return renderSummaryMarkdown(w, s, sizeOf)
	}
	return fmt.Errorf("unknown summary format %q (want one of %s)", format, strings.Join(SummaryFormats(), ", "))
}

func summaryHeadline(s *Summary) string {
	var ends []string
	for _, e := range s.RunEnds {
		ends = append(ends, fmt.Sprintf("%s %d", e.Name, e.Count))
	}
	h := fmt.Sprintf("%d jobs, %d with leaks named, %d unreadable", s.Jobs, s.JobsWithLeaks, s.JobsFailed)
	if len(ends) > 0 {
		h += "; runs ended: " + strings.Join(ends, ", ")
	}
	return h
}

func jobsCell(t TestSummary) string {
	j := strings.Join(t.Jobs, ", ")
	if t.MoreJobs > 0 {
		j += fmt.Sprintf(" (+%d more)", t.MoreJobs)
	}
	return j
}

func renderSummaryText(w io.Writer, s *Summary, sizeOf func(int64) string) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintln(bw, summaryHeadline(s))
	if len(s.Tests) == 0 {
		fmt.Fprintln(bw, "No test was named as a leaker or a victim.")
	} else {
		fmt.Fprintln(bw)
		tw := tabwriter.NewWriter(bw, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "LEAKER IN\tVICTIM IN\tRETAINED\tTEST\tJOBS")
		for _, t := range s.Tests {
			fmt.Fprintf(tw, "%d\t%d\t%s\t%s\t%s\n", t.LeakJobs, t.VictimJobs, sizeOf(t.RetainedBytes), t.Test, jobsCell(t))
		}
		tw.Flush()
	}
	if s.JobsFailed > 0 {
		fmt.Fprintf(bw, "\nUnreadable jobs: %s", strings.Join(s.FailedJobs, ", "))
		if s.MoreFailed > 0 {
			fmt.Fprintf(bw, " (+%d more)", s.MoreFailed)
		}
		fmt.Fprintln(bw)
	}
	return bw.Flush()
}

func mdCell(s string) string {
	s = strings.ReplaceAll(s, `\`, `\\`)
	s = strings.ReplaceAll(s, "|", `\|`)
	s = strings.ReplaceAll(s, "`", "\\`")
	return strings.ReplaceAll(s, "\n", " ")
}

func renderSummaryMarkdown(w io.Writer, s *Summary, sizeOf func(int64) string) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "**%s**\n\n", summaryHeadline(s))
	if len(s.Tests) == 0 {
		fmt.Fprintln(bw, "No test was named as a leaker or a victim.")
	} else {
		fmt.Fprintln(bw, "| test | leaker in | victim in | retained | jobs |")
		fmt.Fprintln(bw, "|---|---:|---:|---:|---|")
		for _, t := range s.Tests {
			fmt.Fprintf(bw, "| %s | %d | %d | %s | %s |\n", mdCell(t.Test), t.LeakJobs, t.VictimJobs, sizeOf(t.RetainedBytes), mdCell(jobsCell(t)))
		}
	}
	if s.JobsFailed > 0 {
		fmt.Fprintf(bw, "\nUnreadable jobs: %s", mdCell(strings.Join(s.FailedJobs, ", ")))
		if s.MoreFailed > 0 {
			fmt.Fprintf(bw, " (+%d more)", s.MoreFailed)
		}
		fmt.Fprintln(bw)
	}
	return bw.Flush()
}
