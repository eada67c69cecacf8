package batch

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"

	json "github.com/goccy/go-json"

	"github.com/oomlens/oomlens/correlate"
)

// SummarySchema names the summary's JSON format (docs/batch-format.md).
const SummarySchema = "oomlens/batch-summary/v2"

// MaxJobsListed is how many jobs a summary lists by name (unreadable ones,
// ones read in part); the rest are counted.
const MaxJobsListed = 20

// JobLine is one line of a batch's JSON Lines output: the job's report (the
// "oomlens/report/v1" keys) with the job's name, or its error.
type JobLine struct {
	Job       string   `json:"job"`
	Error     string   `json:"error,omitempty"`
	JobErrors []string `json:"job_warnings,omitempty"` // what reading the job skipped or found cut off
	*correlate.Report
}

// jobView is the part of a JobLine the summary reads. Aggregating decoded
// lines and aggregating the reports of a live batch go through this one
// shape, so that the two give the same summary byte for byte.
type jobView struct {
	Job         string   `json:"job"`
	Schema      string   `json:"schema"`
	Error       string   `json:"error"`
	JobWarnings []string `json:"job_warnings"`
	Leaks       []struct {
		Test          string `json:"test"`
		RetainedBytes int64  `json:"retained_bytes"`
	} `json:"leaks"`
	InFlight []struct {
		Test string `json:"test"`
	} `json:"in_flight"`
	Kills []struct {
		Time     *string `json:"time"`
		EndedRun bool    `json:"ended_run"`
	} `json:"kills"`
	RunEnd struct {
		Kind string `json:"kind"`
	} `json:"run_end"`
}

// time is the wall-clock time of the kill that ended the job's run (or of
// its first kill), "" when unknown.
func (v *jobView) time() string {
	for _, k := range v.Kills {
		if k.EndedRun && k.Time != nil {
			return *k.Time
		}
	}
	if len(v.Kills) > 0 && v.Kills[0].Time != nil {
		return *v.Kills[0].Time
	}
	return ""
}

// Summary ranks the tests of many jobs.
type Summary struct {
	Schema        string        `json:"schema"`
	Jobs          int           `json:"jobs"`
	JobsFailed    int           `json:"jobs_failed"`  // could not be read or analysed
	JobsPartial   int           `json:"jobs_partial"` // analysed from what could be read (an archive cut off, members skipped)
	JobsWithLeaks int           `json:"jobs_with_leaks"`
	RunEnds       []CountOf     `json:"run_ends"` // how the jobs' runs ended, by kind
	Tests         []TestSummary `json:"tests"`
	FailedJobs    []JobNote     `json:"failed_jobs"` // the first MaxJobsListed by name, with the reason
	MoreFailed    int           `json:"more_failed_jobs"`
	PartialJobs   []JobNote     `json:"partial_jobs"` // the first MaxJobsListed by name, with the first warning
	MorePartial   int           `json:"more_partial_jobs"`
	// Warnings are about the summary itself: a job given twice, a figure
	// that reached the largest int64, a cut line of an aggregated file.
	Warnings []string `json:"warnings"`
}

// CountOf is a count by name.
type CountOf struct {
	Name  string `json:"name"`
	Count int    `json:"count"`
}

// JobNote is a job and why it is listed.
type JobNote struct {
	Job    string `json:"job"`
	Reason string `json:"reason"`
}

// TestSummary is one test across jobs. Retained bytes are not summed across
// jobs (memory held in 300 jobs is not held at once anywhere): the median
// and the largest of the jobs that named the test a leaker say how much it
// typically keeps, and how much at worst.
type TestSummary struct {
	Test                string `json:"test"`
	LeakJobs            int    `json:"leak_jobs"`             // jobs that named it as a leaker
	VictimJobs          int    `json:"victim_jobs"`           // jobs in which it was in flight at the kill
	MedianRetainedBytes int64  `json:"median_retained_bytes"` // over its leak jobs; 0 when none
	MaxRetainedBytes    int64  `json:"max_retained_bytes"`
	FirstJob            string `json:"first_job"` // the first and last job naming it, by job name (the order batch reads jobs in)
	LastJob             string `json:"last_job"`
	FirstTime           string `json:"first_time"` // the earliest and latest kill time of those jobs, "" when none is known
	LastTime            string `json:"last_time"`
}

// Aggregator builds a Summary from jobs added in any order. Its memory grows
// with the number of jobs (their names, to count each once) and of
// (test, leak job) pairs (the retained figures, for the median).
type Aggregator struct {
	jobs, failed, partial, withLeaks int
	seen                             map[string]bool
	runEnds                          map[string]int
	tests                            map[string]*testAgg
	failedJobs, partialJobs          noteSet
	warnings                         []string
}

type testAgg struct {
	leak, victim  int
	retained      []int64
	first, last   string
	firstT, lastT string
}

func (t *testAgg) saw(job, at string) {
	if t.first == "" || job < t.first {
		t.first = job
	}
	if job > t.last {
		t.last = job
	}
	if at != "" {
		if t.firstT == "" || at < t.firstT {
			t.firstT = at
		}
		if at > t.lastT {
			t.lastT = at
		}
	}
}

// noteSet keeps the MaxJobsListed notes of smallest job name and counts
// them all; each job is added once (the Aggregator counts jobs once).
type noteSet struct {
	notes []JobNote
	total int
}

func (s *noteSet) add(n JobNote) {
	s.total++
	i := sort.Search(len(s.notes), func(i int) bool { return s.notes[i].Job >= n.Job })
	if i >= MaxJobsListed {
		return
	}
	s.notes = slices.Insert(s.notes, i, n)
	if len(s.notes) > MaxJobsListed {
		s.notes = s.notes[:MaxJobsListed]
	}
}

// NewAggregator returns an empty aggregator.
func NewAggregator() *Aggregator {
	return &Aggregator{seen: map[string]bool{}, runEnds: map[string]int{}, tests: map[string]*testAgg{}}
}

// AddResult adds a live batch's result.
func (a *Aggregator) AddResult(r Result) {
	v := jobView{Job: r.Job.Name, JobWarnings: r.Warnings}
	if r.Err != nil {
		v.Error = r.Err.Error()
	} else if r.Report != nil {
		v.Schema = r.Report.Schema
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
		for _, k := range r.Report.Kills {
			v.Kills = append(v.Kills, struct {
				Time     *string `json:"time"`
				EndedRun bool    `json:"ended_run"`
			}{k.Time, k.EndedRun})
		}
		v.RunEnd.Kind = r.Report.RunEnd.Kind
	}
	a.add(v, r.Job.Name)
}

// AddLines adds every job line of a batch's JSON Lines output; name is used
// in errors and warnings. A line of another report schema is an error (its
// keys may mean something else); a last line cut off (no newline, not JSON:
// the writer was stopped) is a warning, and the lines before it count.
func (a *Aggregator) AddLines(r io.Reader, name string) error {
	br := bufio.NewReaderSize(r, 1<<20)
	for line := 1; ; line++ {
		b, err := br.ReadBytes('\n')
		if err != nil && err != io.EOF {
			return fmt.Errorf("%s:%d: %w", name, line, err)
		}
		if len(bytes.TrimSpace(b)) > 0 {
			var v jobView
			if jerr := json.Unmarshal(b, &v); jerr != nil {
				if err == io.EOF {
					a.warnf("%s:%d: the last line is cut off (%d bytes, no newline, not JSON): skipped, the %d lines before it counted", name, line, len(b), line-1)
					return nil
				}
				return fmt.Errorf("%s:%d: not a batch job line: %v", name, line, jerr)
			}
			if v.Job == "" {
				return fmt.Errorf("%s:%d: not a batch job line: no \"job\" key", name, line)
			}
			switch {
			case v.Schema == correlate.SchemaV1:
			case v.Schema == "" && v.Error != "":
				// an unreadable job: no report, no schema
			case v.Schema == "":
				return fmt.Errorf("%s:%d: job %q: no \"schema\" key: not a line of 'oomlens batch --jsonl'", name, line, v.Job)
			default:
				return fmt.Errorf("%s:%d: job %q: report schema %q; this oomlens reads %q: aggregate these lines with the oomlens that wrote them", name, line, v.Job, v.Schema, correlate.SchemaV1)
			}
			a.add(v, fmt.Sprintf("%s:%d", name, line))
		}
		if err == io.EOF {
			return nil
		}
	}
}

func (a *Aggregator) warnf(format string, args ...any) {
	a.warnings = append(a.warnings, fmt.Sprintf(format, args...))
}

// add counts the job of v once; where names it in the warning on a repeat.
func (a *Aggregator) add(v jobView, where string) {
	if a.seen[v.Job] {
		a.warnf("job %q given again (%s): counted once", v.Job, where)
		return
	}
	a.seen[v.Job] = true
	a.jobs++
	if v.Error != "" {
		a.failed++
		a.failedJobs.add(JobNote{v.Job, v.Error})
		return
	}
	if len(v.JobWarnings) > 0 {
		a.partial++
		a.partialJobs.add(JobNote{v.Job, v.JobWarnings[0]})
	}
	if v.RunEnd.Kind != "" {
		a.runEnds[v.RunEnd.Kind]++
	}
	at := v.time()
	// One job names a test once, even when it leaked on two workers: its
	// retained bytes are then the sum, held at once in that job.
	retained := map[string]int64{}
	var order []string
	for _, l := range v.Leaks {
		sum, ok := retained[l.Test]
		if !ok {
			order = append(order, l.Test)
		}
		s, saturated := addSaturating(sum, max(l.RetainedBytes, 0))
		if saturated {
			a.warnf("job %q: the retained bytes of %s exceed %d: counted as %d", v.Job, l.Test, int64(math.MaxInt64), int64(math.MaxInt64))
		}
		retained[l.Test] = s
	}
	for _, test := range order {
		t := a.test(test)
		t.leak++
		t.retained = append(t.retained, retained[test])
		t.saw(v.Job, at)
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
		t.saw(v.Job, at)
	}
}

// addSaturating adds two non-negative figures, stopping at the largest
// int64 instead of wrapping to a negative one.
func addSaturating(a, b int64) (int64, bool) {
	if a > math.MaxInt64-b {
		return math.MaxInt64, true
	}
	return a + b, false
}

// median of non-negative figures, without overflow: the mean of the two
// middle ones for an even count, rounded down.
func median(xs []int64) int64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	m := len(s) / 2
	if len(s)%2 == 1 {
		return s[m]
	}
	a, b := s[m-1], s[m]
	return a/2 + b/2 + (a%2+b%2)/2
}

func (a *Aggregator) test(name string) *testAgg {
	t := a.tests[name]
	if t == nil {
		t = &testAgg{}
		a.tests[name] = t
	}
	return t
}

// HasLeaks reports whether any job added named a leaker.
func (a *Aggregator) HasLeaks() bool { return a.withLeaks > 0 }

// Summary ranks the tests: most jobs naming them as leakers first, then as
// victims, then the largest retained, then by name.
func (a *Aggregator) Summary() *Summary {
	s := &Summary{Schema: SummarySchema, Jobs: a.jobs, JobsFailed: a.failed, JobsPartial: a.partial, JobsWithLeaks: a.withLeaks,
		RunEnds: []CountOf{}, Tests: []TestSummary{},
		FailedJobs: append([]JobNote{}, a.failedJobs.notes...), MoreFailed: a.failedJobs.total - len(a.failedJobs.notes),
		PartialJobs: append([]JobNote{}, a.partialJobs.notes...), MorePartial: a.partialJobs.total - len(a.partialJobs.notes),
		Warnings: append([]string{}, a.warnings...)}
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
		ts := TestSummary{Test: name, LeakJobs: t.leak, VictimJobs: t.victim, MedianRetainedBytes: median(t.retained),
			FirstJob: t.first, LastJob: t.last, FirstTime: t.firstT, LastTime: t.lastT}
		if len(t.retained) > 0 {
			ts.MaxRetainedBytes = slices.Max(t.retained)
		}
		s.Tests = append(s.Tests, ts)
	}
	sort.Slice(s.Tests, func(i, j int) bool {
		x, y := s.Tests[i], s.Tests[j]
		switch {
		case x.LeakJobs != y.LeakJobs:
			return x.LeakJobs > y.LeakJobs
		case x.VictimJobs != y.VictimJobs:
			return x.VictimJobs > y.VictimJobs
		case x.MaxRetainedBytes != y.MaxRetainedBytes:
			return x.MaxRetainedBytes > y.MaxRetainedBytes
		}
		return x.Test < y.Test
	})
	// Warnings in a fixed order, whatever the order jobs and shards came in.
	sort.Strings(s.Warnings)
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
		cw.Write([]string{"test", "leak_jobs", "victim_jobs", "median_retained_bytes", "max_retained_bytes", "first_job", "last_job", "first_time", "last_time"})
		for _, t := range s.Tests {
			cw.Write([]string{t.Test, strconv.Itoa(t.LeakJobs), strconv.Itoa(t.VictimJobs),
				strconv.FormatInt(t.MedianRetainedBytes, 10), strconv.FormatInt(t.MaxRetainedBytes, 10),
				t.FirstJob, t.LastJob, t.FirstTime, t.LastTime})
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
	h := fmt.Sprintf("%d jobs, %d with leaks named, %d unreadable, %d read in part", s.Jobs, s.JobsWithLeaks, s.JobsFailed, s.JobsPartial)
	if len(ends) > 0 {
		h += "; runs ended: " + strings.Join(ends, ", ")
	}
	return h
}

// jobsCell is "first … last" for a test seen in several jobs.
func jobsCell(t TestSummary) string {
	if t.FirstJob == t.LastJob {
		return t.FirstJob
	}
	return t.FirstJob + " … " + t.LastJob
}

// retainedCell is "median / max" of a leaker, "-" for a victim only.
func retainedCell(t TestSummary, sizeOf func(int64) string) (string, string) {
	if t.LeakJobs == 0 {
		return "-", "-"
	}
	return sizeOf(t.MedianRetainedBytes), sizeOf(t.MaxRetainedBytes)
}

// notes are the listed jobs of a summary section, with the count of the rest.
type notes struct {
	title string
	list  []JobNote
	more  int
}

func (s *Summary) notes() []notes {
	return []notes{{"Unreadable jobs", s.FailedJobs, s.MoreFailed}, {"Jobs read in part", s.PartialJobs, s.MorePartial}}
}

func renderSummaryText(w io.Writer, s *Summary, sizeOf func(int64) string) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintln(bw, summaryHeadline(s))
	if len(s.Tests) == 0 {
		fmt.Fprintln(bw, "No test was named as a leaker or a victim.")
	} else {
		fmt.Fprintln(bw)
		tw := tabwriter.NewWriter(bw, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "LEAKER IN\tVICTIM IN\tMEDIAN RETAINED\tMAX RETAINED\tTEST\tJOBS (FIRST … LAST)")
		for _, t := range s.Tests {
			med, mx := retainedCell(t, sizeOf)
			fmt.Fprintf(tw, "%d\t%d\t%s\t%s\t%s\t%s\n", t.LeakJobs, t.VictimJobs, med, mx, t.Test, jobsCell(t))
		}
		tw.Flush()
	}
	for _, n := range s.notes() {
		if len(n.list) == 0 {
			continue
		}
		fmt.Fprintf(bw, "\n%s:\n", n.title)
		for _, j := range n.list {
			fmt.Fprintf(bw, "  %s: %s\n", j.Job, oneLine(j.Reason))
		}
		if n.more > 0 {
			fmt.Fprintf(bw, "  (+%d more)\n", n.more)
		}
	}
	if len(s.Warnings) > 0 {
		fmt.Fprintln(bw, "\nWarnings:")
		for _, wn := range s.Warnings {
			fmt.Fprintf(bw, "  %s\n", oneLine(wn))
		}
	}
	return bw.Flush()
}

// oneLine keeps a multi-line reason (the runs of a refused job) on one line.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

func mdCell(s string) string {
	s = strings.ReplaceAll(s, `\`, `\\`)
	s = strings.ReplaceAll(s, "|", `\|`)
	s = strings.ReplaceAll(s, "`", "\\`")
	return oneLine(s)
}

func renderSummaryMarkdown(w io.Writer, s *Summary, sizeOf func(int64) string) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "**%s**\n\n", summaryHeadline(s))
	if len(s.Tests) == 0 {
		fmt.Fprintln(bw, "No test was named as a leaker or a victim.")
	} else {
		fmt.Fprintln(bw, "| test | leaker in | victim in | median retained | max retained | jobs (first … last) |")
		fmt.Fprintln(bw, "|---|---:|---:|---:|---:|---|")
		for _, t := range s.Tests {
			med, mx := retainedCell(t, sizeOf)
			fmt.Fprintf(bw, "| %s | %d | %d | %s | %s | %s |\n", mdCell(t.Test), t.LeakJobs, t.VictimJobs, med, mx, mdCell(jobsCell(t)))
		}
	}
	for _, n := range s.notes() {
		if len(n.list) == 0 {
			continue
		}
		fmt.Fprintf(bw, "\n%s:\n\n", n.title)
		for _, j := range n.list {
			fmt.Fprintf(bw, "- %s: %s\n", mdCell(j.Job), mdCell(j.Reason))
		}
		if n.more > 0 {
			fmt.Fprintf(bw, "- (+%d more)\n", n.more)
		}
	}
	if len(s.Warnings) > 0 {
		fmt.Fprint(bw, "\nWarnings:\n\n")
		for _, wn := range s.Warnings {
			fmt.Fprintf(bw, "- %s\n", mdCell(wn))
		}
	}
	return bw.Flush()
}
