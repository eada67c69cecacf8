package correlate

import (
	"bytes"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/oomlens/oomlens/internal/jobgen"
	"github.com/oomlens/oomlens/pytestlog"
	"github.com/oomlens/oomlens/weathercop"
)

// checkLogMatcher holds logMatcher's cursor to its general path on the
// tests of ev: both give each test the log lists the same memory test (or
// none), and leave the same tests taken. cursor is how many tests the
// cursor took before the general path took over.
func checkLogMatcher(t testing.TB, name string, ev *Evidence) (cursor int) {
	t.Helper()
	j := normalise(ev, Options{})
	var results []*procResult
	nMem := 0
	for _, p := range j.Procs {
		r := runLedger(p)
		results = append(results, r)
		nMem += len(r.Tests)
	}
	run := func(general bool) (got []*testMem, taken []bool) {
		m := newLogMatcher(results, nMem, len(j.Tests) > 0)
		m.general = general
		for i := range j.Tests {
			got = append(got, m.take(j.Tests[i].ID, j.Tests[i].Worker))
		}
		if !general {
			cursor = m.cursor
		}
		for _, r := range results {
			for _, tm := range r.Tests {
				taken = append(taken, tm.timelined)
			}
		}
		return got, taken
	}
	fast, fastTaken := run(false)
	general, generalTaken := run(true)
	for i := range fast {
		if fast[i] != general[i] {
			t.Fatalf("%s: log test %d %s: cursor took %s, general path %s", name, i, j.Tests[i].ID, testName(fast[i]), testName(general[i]))
		}
	}
	if fmt.Sprint(fastTaken) != fmt.Sprint(generalTaken) {
		t.Fatalf("%s: taken %v, general path %v", name, fastTaken, generalTaken)
	}
	return cursor
}

func testName(t *testMem) string {
	if t == nil {
		return "none"
	}
	return fmt.Sprintf("%s (%s, seq %d)", t.Test, t.Proc.Worker, t.Seq)
}

// sharedCorpus is a path in the shared corpus, beside the repository when
// it is there (../shared/corpus; as dmesg's tests find it).
func sharedCorpus(parts ...string) string {
	return filepath.Join(append([]string{"..", "..", "shared", "corpus"}, parts...)...)
}

// matcherLogs are every pytest log of the repository's test data and the
// shared corpus, parsed.
func matcherLogs(t testing.TB) []PytestInput {
	var paths []string
	for _, g := range []string{"pytest/*.log", "pytest/stacks/*.log", "scenarios/*/pytest.log", "scenarios/*/ci.log"} {
		ps, _ := filepath.Glob(corpus(g))
		paths = append(paths, ps...)
	}
	ps, _ := filepath.Glob(sharedCorpus("pytest", "*.log"))
	paths = append(paths, ps...)
	var out []PytestInput
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if l, err := pytestlog.Parse(bytes.NewReader(data), pytestlog.Options{Name: p}); err == nil {
			out = append(out, PytestInput{Path: p, Log: l})
		}
	}
	if len(out) < 10 {
		t.Fatalf("%d pytest samples", len(out))
	}
	return out
}

// matcherMemory are the memory inputs of the test data (every diagnostics
// file, every weathercop log, a batch job's diagnostics), one evidence
// each, and each scenario's inputs together.
func matcherMemory(t testing.TB) (mem []*Evidence, scenarios map[string]*Evidence) {
	for _, p := range diagnosticsSamples(t) {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if ev, ok := diagnosticsEvidence(p, data); ok {
			mem = append(mem, ev)
		}
	}
	logs, _ := filepath.Glob(corpus("weathercop", "*.log"))
	for _, p := range logs {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if l, err := weathercop.Parse(bytes.NewReader(data), weathercop.Options{Name: p}); err == nil {
			mem = append(mem, &Evidence{Weathercop: []WeathercopInput{{Path: p, Log: l}}})
		}
	}
	for _, f := range jobgen.Job(rand.New(rand.NewSource(1)), 500) {
		if f.Name == "diagnostics.jsonl" {
			if ev, ok := diagnosticsEvidence(f.Name, f.Data); ok {
				mem = append(mem, ev)
			}
		}
	}
	scenarios = map[string]*Evidence{}
	dirs, _ := filepath.Glob(corpus("scenarios", "*"))
	for _, dir := range dirs {
		if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
			continue
		}
		diags, _ := filepath.Glob(filepath.Join(dir, "*.jsonl"))
		ev := &Evidence{}
		for _, p := range diags {
			data, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			if d, ok := diagnosticsEvidence(p, data); ok {
				ev.Diagnostics = append(ev.Diagnostics, d.Diagnostics...)
			}
		}
		scenarios[dir] = ev
	}
	return mem, scenarios
}

// TestLogMatcherAgrees runs checkLogMatcher on each scenario's own pytest
// log and memory records, on every pytest sample with every memory sample
// (the names mostly differ: the general path then), and on a batch job.
func TestLogMatcherAgrees(t *testing.T) {
	logs := matcherLogs(t)
	mem, scenarios := matcherMemory(t)
	t.Logf("%d logs, %d memory samples, %d scenarios", len(logs), len(mem), len(scenarios))
	for dir, ev := range scenarios {
		for _, l := range logs {
			if strings.HasPrefix(l.Path, dir+string(filepath.Separator)) {
				e := *ev
				e.Pytest = []PytestInput{l}
				if n := checkLogMatcher(t, dir, &e); n == 0 {
					t.Logf("%s: the general path alone", dir)
				}
			}
		}
	}
	for _, l := range logs {
		for _, ev := range append(mem, mapValues(scenarios)...) {
			e := *ev
			e.Pytest = []PytestInput{l}
			checkLogMatcher(t, l.Path, &e)
		}
	}
	ev, _ := batchEvidence(t)
	if n := checkLogMatcher(t, "batch job", ev); n != 440 {
		t.Errorf("batch job: the cursor took %d of its 440 logged tests", n)
	}
}

func mapValues(m map[string]*Evidence) []*Evidence {
	var out []*Evidence
	for _, v := range m {
		out = append(out, v)
	}
	return out
}

// FuzzLogMatcher holds checkLogMatcher over any pytest log (seeded with
// the real ones) against each scenario's memory records, and over
// byte-coded tests: a log's and two processes' (each byte a test: its
// name, its worker, its process).
func FuzzLogMatcher(f *testing.F) {
	for _, l := range matcherLogs(f) {
		if data, err := os.ReadFile(l.Path); err == nil && len(data) <= 64<<10 {
			f.Add(data)
		}
	}
	_, scenarios := matcherMemory(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		if l, err := pytestlog.Parse(bytes.NewReader(data), pytestlog.Options{Name: "fuzz.log"}); err == nil {
			for dir, ev := range scenarios {
				e := *ev
				e.Pytest = []PytestInput{{Path: "fuzz.log", Log: l}}
				checkLogMatcher(t, dir, &e)
			}
		}
		checkCodedMatcher(t, data)
	})
}

// checkCodedMatcher reads data as tests: bytes before the first 0xff are
// the log's, the others the memory records'; a byte's low 2 bits name the
// test (a.py::t0 to t3), the next 2 its worker ("", gw0, gw1, gw2) and,
// for a memory test, bit 4 its process (worker gw0 or gw1).
func checkCodedMatcher(t *testing.T, data []byte) {
	logPart, memPart, _ := bytes.Cut(data, []byte{0xff})
	workers := []string{"", "gw0", "gw1", "gw2"}
	j := &job{}
	for _, b := range logPart {
		j.Tests = append(j.Tests, testInfo{ID: fmt.Sprintf("a.py::t%d", b&3), Worker: workers[b>>2&3]})
	}
	procs := []*proc{{PID: 1, Worker: "gw0"}, {PID: 2, Worker: "gw1"}}
	if len(data) > 0 && data[0]&0x40 != 0 {
		procs[1].Worker = "" // a process no worker is known for
	}
	results := []*procResult{{Proc: procs[0]}, {Proc: procs[1]}}
	for _, b := range memPart {
		r := results[b>>4&1]
		r.Tests = append(r.Tests, &testMem{Test: fmt.Sprintf("a.py::t%d", b&3), Proc: r.Proc, Seq: int32(len(r.Tests))})
	}
	nMem := len(results[0].Tests) + len(results[1].Tests)
	take := func(general bool) string {
		m := newLogMatcher(results, nMem, len(j.Tests) > 0)
		m.general = general
		var sb strings.Builder
		for i := range j.Tests {
			fmt.Fprintf(&sb, "%s; ", testName(m.take(j.Tests[i].ID, j.Tests[i].Worker)))
		}
		for _, r := range results {
			for _, tm := range r.Tests {
				fmt.Fprintf(&sb, "%v ", tm.timelined)
			}
		}
		return sb.String()
	}
	if fast, general := take(false), take(true); fast != general {
		t.Fatalf("coded %x: cursor %s\ngeneral path %s", data, fast, general)
	}
}
