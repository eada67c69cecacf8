package e2e

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/oomlens/oomlens/correlate"
	"github.com/oomlens/oomlens/report"
)

// TestRecord runs the suite with `pytest -v` and no plugin under `oomlens
// record --out DIR` (its default 50 ms sampling), the recorder itself inside
// the harness's memory cgroup, and checks the job folder it writes: the kill,
// the run's end and the victim exactly as with the plugin; the leaks as far as
// periodic samples can tell them apart (see expectRecord).
func TestRecord(t *testing.T) {
	need(t)
	p := repoPaths(t)
	ids := nodeIDs(collectList(t, p))
	bin := buildOomlens(t, p)
	v := variant{
		name: "record",
		// The recorder runs inside the cgroup too: room for it.
		spec: spec{extraBytes: 64 * mib, sizes: defaultSizes, paceS: "0", pytestArgs: []string{"-v"},
			wrap: func(jobDir string, pytest []string) []string {
				return append([]string{bin, "record", "--out", jobDir, "--"}, pytest...)
			}},
		runEnd:        []string{"oom-kill"},
		perTestMemory: true,
	}
	r := runLive(t, p, v.spec)
	died := r.diedPID(t, v.spec)
	r.checkKilled(t, v.spec, died)
	samples, recorded := recordedSamples(t, filepath.Join(r.jobDir, "diagnostics.jsonl"))
	if recorded != died {
		t.Fatalf("oomlens record's diagnostics.jsonl has pytest as pid %d; the suite's pid file says %d", recorded, died)
	}
	rep, text := analyze(t, r.jobDir)
	exp := expect(v, r, died, ids)
	exp = expectRecord(t, exp, samples[died], resultStamps(t, r.logPath))
	judge(t, rep, text, exp, r)
	keep(t, v.name, r, text)
	t.Logf("%s: %.1f s live; %s", v.name, r.elapsed.Seconds(), exp.measured(rep))
}

// expectRecord adapts the expectation to what periodic samples can show. A
// test's readings in record mode are interpolated between the samples around
// its start and end stamps (correlate's recordSteps), so memory that changed
// between two samples cannot be placed before or after a stamp that falls
// between them: the figure may be off by that change at either end. That
// slack is added to the 20 % tolerance. A true leak is required to be named
// only when a sample was taken while its test ran and its size less the
// tolerance is still above the noise floor; otherwise the samples cannot
// tell it from its neighbours (test_register_dataset runs for a few ms), and
// whether it is named is reported, not judged, as are innocent tests named
// in its place.
func expectRecord(t *testing.T, exp expectation, samples []sample, stamps map[string][2]time.Time) expectation {
	t.Helper()
	if len(samples) == 0 {
		t.Fatalf("oomlens record took no samples of pytest")
	}
	exp.InFlightBasis = "record"
	exp.SampledOnly = true
	var required []expectLeak
	for _, e := range exp.Leaks {
		se, ok := stamps[e.Test]
		if !ok {
			t.Fatalf("no -v result line with a stamp for %s in output.log", e.Test)
		}
		start, end := se[0], se[1]
		slack := slackAt(samples, start) + slackAt(samples, end)
		e.ToleranceBytes += slack
		inside := 0
		for _, s := range samples {
			if s.time.After(start) && !s.time.After(end) {
				inside++
			}
		}
		// What the samples themselves show between the test's stamps: when
		// other memory moved in the same window (a fixture's teardown being
		// unmapped while the leak grows, on a loaded machine), the samples
		// cannot show the leak as it is, whatever the analysis does.
		shown := anonAfter(samples, end) - anonBefore(samples, start)
		switch {
		case inside == 0:
			e.Why = fmt.Sprintf("no sample was taken during its %v between its stamps", end.Sub(start).Round(time.Millisecond))
			exp.Unresolved = append(exp.Unresolved, e)
		case e.RetainedBytes-e.ToleranceBytes < correlate.DefaultNoiseFloorBytes:
			e.Why = fmt.Sprintf("%s of sampling slack at its stamps leaves it indistinguishable from the noise floor", report.FormatBytes(slack))
			exp.Unresolved = append(exp.Unresolved, e)
		case abs(shown-e.RetainedBytes) > e.ToleranceBytes:
			e.Why = fmt.Sprintf("the samples around its stamps show %s, not its %s: other memory moved in the same window", report.FormatBytes(shown), report.FormatBytes(e.RetainedBytes))
			exp.Unresolved = append(exp.Unresolved, e)
		default:
			e.Why = fmt.Sprintf("20%% plus %s of sampling slack at its start and end stamps", report.FormatBytes(slack))
			required = append(required, e)
		}
	}
	exp.Leaks = required
	return exp
}

// sample is one reading of a process by oomlens record.
type sample struct {
	time         time.Time
	rssAnonBytes int64
}

// slackAt is the change in anonymous RSS between the last sample at or before
// at and the first one after it: memory the samples cannot place before or
// after that instant.
func slackAt(s []sample, at time.Time) int64 {
	i := sort.Search(len(s), func(i int) bool { return s[i].time.After(at) })
	if i == 0 || i == len(s) {
		return 0
	}
	return abs(s[i].rssAnonBytes - s[i-1].rssAnonBytes)
}

// anonBefore is the anonymous RSS of the last sample at or before at (the
// first sample if none is).
func anonBefore(s []sample, at time.Time) int64 {
	i := sort.Search(len(s), func(i int) bool { return s[i].time.After(at) })
	return s[max(i-1, 0)].rssAnonBytes
}

// anonAfter is the anonymous RSS of the first sample at or after at (the
// last sample if none is).
func anonAfter(s []sample, at time.Time) int64 {
	i := sort.Search(len(s), func(i int) bool { return !s[i].time.Before(at) })
	return s[min(i, len(s)-1)].rssAnonBytes
}

// recordedSamples reads oomlens record's diagnostics.jsonl: every process's
// samples in time order, and the pid of the one whose command line runs
// pytest.
func recordedSamples(t *testing.T, path string) (map[int][]sample, int) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("oomlens record wrote no diagnostics: %v", err)
	}
	out := map[int][]sample{}
	pytest := 0
	for _, l := range bytes.Split(b, []byte("\n")) {
		var rec struct {
			Event, Cmdline string
			PID            int
			Time           float64
			RSSAnonBytes   int64 `json:"rss_anon_bytes"`
		}
		if json.Unmarshal(l, &rec) != nil {
			continue
		}
		if rec.Event == "session_start" && pytest == 0 && strings.Contains(rec.Cmdline, "-m pytest") {
			pytest = rec.PID
		}
		if rec.Event == "sample" || rec.Event == "session_start" {
			sec := int64(rec.Time)
			ts := time.Unix(sec, int64((rec.Time-float64(sec))*1e9))
			out[rec.PID] = append(out[rec.PID], sample{ts, rec.RSSAnonBytes})
		}
	}
	if pytest == 0 {
		t.Fatalf("%s: no session_start of a pytest process", path)
	}
	for _, s := range out {
		sort.SliceStable(s, func(a, b int) bool { return s[a].time.Before(s[b].time) })
	}
	return out, pytest
}

var (
	stampRE  = regexp.MustCompile(`^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7})Z (.*)$`)
	resultRE = regexp.MustCompile(`^(\S+::\S+) (PASSED|FAILED|ERROR|SKIPPED|XFAIL|XPASS)\b`)
)

// resultStamps reads the stamped `pytest -v` log oomlens record writes: for
// each test with a result line, the stamp of the line before it (its start)
// and of its own (its end), as correlate reads them.
func resultStamps(t *testing.T, path string) map[string][2]time.Time {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string][2]time.Time{}
	var prev time.Time
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		m := stampRE.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		ts, err := time.Parse("2006-01-02T15:04:05.0000000", m[1])
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if r := resultRE.FindStringSubmatch(m[2]); r != nil && !prev.IsZero() {
			out[r[1]] = [2]time.Time{prev, ts}
		}
		prev = ts
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}
