package correlate

import (
	"strings"
	"testing"
	"time"
)

const (
	KiB = int64(1) << 10
	MiB = int64(1) << 20
	GiB = int64(1) << 30
)

// t0 is the hand-built jobs' first second.
const t0 = 1_764_150_000.0

func rss(b int64) mem     { return mem{RSSBytes: b} }
func anon(r, a int64) mem { return mem{RSSBytes: r, AnonBytes: a, HasAnon: true} }
func start(id string, at float64, m mem) step {
	s := newStep(stepStart, id, t0+at, m, true, 0)
	s.setSource("diag.jsonl:" + id)
	return s
}
func end(id string, at float64, m mem) step {
	s := newStep(stepEnd, id, t0+at, m, true, 0)
	s.setSource("diag.jsonl:" + id)
	s.setOutcome("passed")
	return s
}
func teardown(fixture, scope string, at float64, before, after mem) step {
	s := newStep(stepFixture, "", t0+at, before, true, 0)
	s.More = &stepMore{Fixture: fixture, Scope: scope, After: after}
	return s
}

// fixtureSetup is a fixture_setup record of test id at Unix time tm.
func fixtureSetup(id, fixture, scope string, tm float64, before, after mem) step {
	s := newStep(stepFixtureSetup, id, tm, before, true, 0)
	s.More = &stepMore{Fixture: fixture, Scope: scope, After: after}
	return s
}

// withPeak is s with its own peak figure p.
func withPeak(s step, p int64) step {
	s.setPeakRSS(p)
	return s
}

// memcgKill is a memcg OOM kill of pid at the given second since t0, with
// its wall clock known.
func memcgKill(pid int, at float64, anonRSS, usage int64) kill {
	return kill{Kind: "kernel-oom-kill", PID: pid, Comm: "python", Wall: t0 + at, HasWall: true, WallBasis: "iso-with-zone",
		MemcgOOM: true, OOMMemcg: "/ci/job", TaskMemcg: "/ci/job", Constraint: "CONSTRAINT_MEMCG",
		AnonRSSBytes: anonRSS, TotalVMBytes: anonRSS * 2, MemcgUsageBytes: usage, MemcgLimitBytes: usage, HasMemcgUsage: true,
		Source: "dmesg.log:10", LastBoot: true}
}

func leakNames(r *Report) []string {
	var s []string
	for _, l := range r.Leaks {
		s = append(s, l.Test)
	}
	return s
}

func findLeak(r *Report, test string) *Leak {
	for i := range r.Leaks {
		if r.Leaks[i].Test == test {
			return &r.Leaks[i]
		}
	}
	return nil
}

func findHog(r *Report, test string) *Hog {
	for i := range r.Hogs {
		if r.Hogs[i].Test == test {
			return &r.Hogs[i]
		}
	}
	return nil
}

func eqStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestFixtureTeardownCreditsTheSetter is the rule the tool must get right:
// a module fixture set up by test 1 (300 MiB) and torn down after test 3
// (−300 MiB), with test 2 leaking 250 MiB. Test 2 is the leak; tests 1 and 3
// are not. A plain LIFO would take the fixture's 300 MiB off test 2 first.
func TestFixtureTeardownCreditsTheSetter(t *testing.T) {
	const f = "tests/test_io.py::"
	p := &proc{PID: 4242, Steps: []step{
		start(f+"test_1", 0, anon(200*MiB, 150*MiB)),
		end(f+"test_1", 10, anon(500*MiB, 450*MiB)),
		start(f+"test_2", 11, anon(500*MiB, 450*MiB)),
		end(f+"test_2", 20, anon(750*MiB, 700*MiB)),
		start(f+"test_3", 21, anon(750*MiB, 700*MiB)),
		teardown("big_frame", "module", 29, rss(752*MiB), rss(452*MiB)),
		end(f+"test_3", 30, anon(452*MiB, 400*MiB)),
		start("tests/test_other.py::test_4", 31, anon(452*MiB, 400*MiB)),
	}}
	j := &job{Procs: []*proc{p}, Kills: []kill{memcgKill(4242, 40, 1500*MiB, 1600*MiB)}}
	rep := analyze(j, Options{})
	if got := leakNames(rep); !eqStrings(got, []string{f + "test_2"}) {
		t.Fatalf("leaks = %v, want only test_2; report: %+v", got, rep.Leaks)
	}
	l := rep.Leaks[0]
	if l.RetainedBytes != 250*MiB {
		t.Errorf("test_2 retained %s, want 250.0 MiB", FormatBytes(l.RetainedBytes))
	}
	if l.Confidence != ConfidenceHigh {
		t.Errorf("confidence %q, want high (anonymous RSS)", l.Confidence)
	}
	if l.ShareOfKill == nil || *l.ShareOfKill != 0.167 {
		t.Errorf("share of kill = %v, want 250/1500 = 0.167", l.ShareOfKill)
	}
	if !strings.Contains(l.Evidence[0], "anonymous RSS +250.0 MiB over the test (450.0 MiB → 700.0 MiB), still held at the kill, 2 tests later") {
		t.Errorf("evidence %q", l.Evidence[0])
	}
	h := findHog(rep, f+"test_1")
	if h == nil {
		t.Fatalf("test_1 (set up the fixture, gave it back) is not a hog: %+v", rep.Hogs)
	}
	if h.RetainedBytes != 0 || h.PeakBytes != 500*MiB {
		t.Errorf("test_1 hog = %+v", h)
	}
	if !strings.Contains(strings.Join(h.Evidence, " "), "module fixture big_frame") {
		t.Errorf("hog evidence does not name the fixture: %q", h.Evidence)
	}
	if len(rep.InFlight) != 1 || rep.InFlight[0].Test != "tests/test_other.py::test_4" || rep.InFlight[0].Basis != "diagnostics" {
		t.Fatalf("in flight = %+v", rep.InFlight)
	}
	if e := rep.InFlight[0].AddedBytesEstimate; e == nil || *e != 1100*MiB {
		t.Errorf("victim's added estimate = %v, want 1500 − 400 = 1100 MiB", e)
	}
	want := "OOM kill of pid 4242 (python) in memcg /ci/job: 1 test retained 250.0 MiB that was never released (tests/test_io.py::test_2 250.0 MiB); tests/test_other.py::test_4 was only running when the limit was hit; this explains 100% of the 1.5 GiB at the kill."
	if rep.Verdict != want {
		t.Errorf("verdict\n got %q\nwant %q", rep.Verdict, want)
	}
	if rep.RunEnd.Kind != "oom-kill" || len(rep.Kills) != 1 || !rep.Kills[0].EndedRun {
		t.Errorf("run end %+v, kills %+v", rep.RunEnd, rep.Kills)
	}
}

// TestLedgerRules checks the attribution rules one at a time.
func TestLedgerRules(t *testing.T) {
	type want struct {
		retained map[string]int64 // test → retained bytes
	}
	cases := []struct {
		name  string
		steps []step
		want  map[string]int64
	}{
		{
			// A drop inside a later test, with no fixture to explain it,
			// gives back the most recent increments first.
			name: "drop inside a later test is LIFO",
			steps: []step{
				start("a.py::t1", 0, rss(100*MiB)), end("a.py::t1", 1, rss(600*MiB)),
				start("a.py::t2", 2, rss(600*MiB)), end("a.py::t2", 3, rss(700*MiB)),
				start("a.py::t3", 4, rss(700*MiB)), end("a.py::t3", 5, rss(550*MiB)),
			},
			want: map[string]int64{"a.py::t1": 450 * MiB, "a.py::t2": 0, "a.py::t3": 0},
		},
		{
			// Growth between tests is owned by no test; a drop between
			// tests gives back LIFO too.
			name: "between tests",
			steps: []step{
				start("a.py::t1", 0, rss(100*MiB)), end("a.py::t1", 1, rss(300*MiB)),
				start("a.py::t2", 2, rss(400*MiB)), end("a.py::t2", 3, rss(400*MiB)),
				start("a.py::t3", 4, rss(350*MiB)), end("a.py::t3", 5, rss(350*MiB)),
			},
			want: map[string]int64{"a.py::t1": 200 * MiB, "a.py::t2": 0, "a.py::t3": 0},
		},
		{
			// A function fixture torn down inside the test is that test's
			// own business: its net is what counts.
			name: "function fixture",
			steps: []step{
				start("a.py::t1", 0, rss(100*MiB)), end("a.py::t1", 1, rss(200*MiB)),
				start("a.py::t2", 2, rss(200*MiB)),
				teardown("tmp", "function", 2.5, rss(600*MiB), rss(210*MiB)),
				end("a.py::t2", 3, rss(210*MiB)),
			},
			want: map[string]int64{"a.py::t1": 100 * MiB, "a.py::t2": 10 * MiB},
		},
		{
			// A class fixture set up by the first test of the class and torn
			// down after the last: the test of another class before it is
			// not touched.
			name: "class fixture",
			steps: []step{
				start("a.py::A::t1", 0, rss(100*MiB)), end("a.py::A::t1", 1, rss(200*MiB)),
				start("a.py::B::t1", 2, rss(200*MiB)), end("a.py::B::t1", 3, rss(600*MiB)),
				start("a.py::B::t2", 4, rss(600*MiB)), end("a.py::B::t2", 5, rss(700*MiB)),
				teardown("conn", "class", 5.5, rss(700*MiB), rss(300*MiB)),
			},
			want: map[string]int64{"a.py::A::t1": 100 * MiB, "a.py::B::t1": 0, "a.py::B::t2": 100 * MiB},
		},
		{
			// A fixture drop larger than its scope's tests added: the rest
			// is given back LIFO.
			name: "fixture drop beyond its scope",
			steps: []step{
				start("a.py::t1", 0, rss(100*MiB)), end("a.py::t1", 1, rss(300*MiB)),
				start("b.py::t1", 2, rss(300*MiB)), end("b.py::t1", 3, rss(400*MiB)),
				start("b.py::t2", 4, rss(400*MiB)),
				teardown("m", "module", 4.5, rss(400*MiB), rss(250*MiB)),
				end("b.py::t2", 5, rss(250*MiB)),
			},
			want: map[string]int64{"a.py::t1": 150 * MiB, "b.py::t1": 0, "b.py::t2": 0},
		},
		{
			// A fixture_setup record names the test that made the fixture:
			// its teardown gives back the fixture's growth, not the
			// earlier leak of the module's first test (which scope FIFO
			// alone would have taken).
			name: "fixture setup names the setter",
			steps: []step{
				start("a.py::t1", 0, rss(100*MiB)), end("a.py::t1", 1, rss(200*MiB)),
				start("a.py::t2", 2, rss(200*MiB)),
				fixtureSetup("a.py::t2", "table", "module", t0+2.5, rss(200*MiB), rss(500*MiB)),
				end("a.py::t2", 3, rss(510*MiB)),
				start("a.py::t3", 4, rss(510*MiB)),
				teardown("table", "module", 4.5, rss(510*MiB), rss(210*MiB)),
				end("a.py::t3", 5, rss(210*MiB)),
			},
			want: map[string]int64{"a.py::t1": 100 * MiB, "a.py::t2": 10 * MiB, "a.py::t3": 0},
		},
		{
			// A gc in a later test does not free a live fixture.
			name: "LIFO skips a live fixture",
			steps: []step{
				start("a.py::t1", 0, rss(100*MiB)), end("a.py::t1", 1, rss(200*MiB)),
				start("a.py::t2", 2, rss(200*MiB)),
				fixtureSetup("a.py::t2", "table", "module", t0+2.5, rss(200*MiB), rss(500*MiB)),
				end("a.py::t2", 3, rss(500*MiB)),
				start("a.py::t3", 4, rss(500*MiB)), end("a.py::t3", 5, rss(450*MiB)),
			},
			want: map[string]int64{"a.py::t1": 50 * MiB, "a.py::t2": 0, "a.py::t3": 0},
		},
		{
			// An end with no start (its start record was lost) takes the
			// previous reading as its start.
			name: "end without start",
			steps: []step{
				start("a.py::t1", 0, rss(100*MiB)), end("a.py::t1", 1, rss(100*MiB)),
				end("a.py::t2", 3, rss(180*MiB)),
			},
			want: map[string]int64{"a.py::t1": 0, "a.py::t2": 80 * MiB},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := runLedger(&proc{PID: 1, Steps: c.steps})
			got := map[string]int64{}
			for _, tm := range r.Tests {
				got[tm.Test] = tm.Retained
			}
			for k, v := range c.want {
				if got[k] != v {
					t.Errorf("%s retained %s, want %s", k, FormatBytes(got[k]), FormatBytes(v))
				}
			}
			if len(got) != len(c.want) {
				t.Errorf("tests %v, want %v", got, c.want)
			}
		})
	}
}

// TestProcessWideCounter: weathercop's "Open xarray datasets: N" is a count
// of every live dataset in the process. The test during which it rose (and
// never came down) left one open; later tests that still see it did not.
func TestProcessWideCounter(t *testing.T) {
	ends := func(id string, at float64, r int64, n int) step {
		s := end(id, at, rss(r))
		if n > 0 {
			s.more().OpenCounter = map[string]int{"xarray.Dataset": n}
		} else {
			s.more().OpenCounter = map[string]int{}
		}
		return s
	}
	p := &proc{Steps: []step{
		start("test_small_ensemble_generation", 0, rss(100*MiB)), ends("test_small_ensemble_generation", 1, 110*MiB, 1),
		start("test_ensemble_returns_valid_data", 2, rss(110*MiB)), ends("test_ensemble_returns_valid_data", 3, 112*MiB, 1),
		start("test_memory_optimization_flag", 4, rss(112*MiB)), ends("test_memory_optimization_flag", 5, 112*MiB, 1),
		start("test_phase_randomization", 6, rss(112*MiB)), ends("test_phase_randomization", 7, 900*MiB, 2),
		start("test_sim", 8, rss(900*MiB)), ends("test_sim", 9, 900*MiB, 2),
		start("test_sim_gradual", 10, rss(900*MiB)),
	}}
	rep := analyze(&job{Procs: []*proc{p}}, Options{})
	if got := leakNames(rep); !eqStrings(got, []string{"test_phase_randomization"}) {
		t.Fatalf("leaks = %v", got)
	}
	l := rep.Leaks[0]
	if l.OpenObjects["xarray.Dataset"] != 1 || l.Confidence != ConfidenceHigh {
		t.Errorf("leak %+v", l)
	}
	if !strings.Contains(strings.Join(l.Evidence, " "), "the process-wide count rose 1 → 2 during this test") {
		t.Errorf("evidence %q", l.Evidence)
	}
	if len(rep.Unclosed) != 1 || rep.Unclosed[0].Test != "test_small_ensemble_generation" || rep.Unclosed[0].OpenObjects["xarray.Dataset"] != 1 {
		t.Errorf("unclosed = %+v, want only test_small_ensemble_generation", rep.Unclosed)
	}
	if l.ShareOfKill != nil {
		t.Errorf("share of kill with no kill record = %v, want nil", *l.ShareOfKill)
	}
	if !strings.Contains(l.Evidence[0], "still held at the end of the record") {
		t.Errorf("no kill, evidence says %q", l.Evidence[0])
	}
}

// TestFloorHogsUnclosed: the noise floor, open objects backing a small
// retention, and hogs.
func TestFloorHogsUnclosed(t *testing.T) {
	withOpen := func(s step, n int, nbytes int64) step {
		m := s.more()
		m.Open = map[string]int{"xarray.Dataset": n}
		for i := 0; i < n; i++ {
			m.OpenDetails = append(m.OpenDetails, openObject{Type: "xarray.Dataset", FileBacked: true, NBytes: nbytes / int64(n)})
		}
		return s
	}
	peak := withPeak
	p := &proc{PID: 7, Steps: []step{
		start("a.py::import_numpy", 0, rss(30*MiB)), end("a.py::import_numpy", 1, rss(50*MiB)), // 20 MiB: under the floor
		start("a.py::small_open", 2, rss(50*MiB)), withOpen(end("a.py::small_open", 3, rss(60*MiB)), 2, 1*MiB),
		start("a.py::backed_open", 4, rss(60*MiB)), withOpen(end("a.py::backed_open", 5, rss(80*MiB)), 1, 200*MiB),
		start("a.py::hog", 6, rss(80*MiB)), peak(end("a.py::hog", 7, rss(90*MiB)), 2*GiB),
		start("a.py::leak", 8, rss(90*MiB)), end("a.py::leak", 9, rss(190*MiB)),
	}}
	rep := analyze(&job{Procs: []*proc{p}}, Options{})
	if got := leakNames(rep); !eqStrings(got, []string{"a.py::leak", "a.py::backed_open"}) {
		t.Fatalf("leaks = %v", got)
	}
	if l := findLeak(rep, "a.py::leak"); l.Confidence != ConfidenceMedium {
		t.Errorf("RSS alone, 100 MiB ≥ 2 × floor: confidence %q, want medium", l.Confidence)
	}
	if l := findLeak(rep, "a.py::backed_open"); l.Confidence != ConfidenceHigh || l.RetainedBytes != 20*MiB {
		t.Errorf("backed_open leak %+v", l)
	}
	if len(rep.Unclosed) != 1 || rep.Unclosed[0].Test != "a.py::small_open" {
		t.Errorf("unclosed = %+v", rep.Unclosed)
	}
	if !strings.Contains(rep.Unclosed[0].Evidence[0], "2 xarray.Dataset left open (file-backed, not closed, 1.0 MiB of data)") {
		t.Errorf("unclosed evidence %q", rep.Unclosed[0].Evidence)
	}
	if len(rep.Hogs) != 1 || rep.Hogs[0].Test != "a.py::hog" || rep.Hogs[0].PeakBytes != 2*GiB || rep.Hogs[0].RetainedBytes != 10*MiB {
		t.Errorf("hogs = %+v", rep.Hogs)
	}
	// No floor: every retention is named, the 10 MiB hog included.
	rep = analyze(&job{Procs: []*proc{{PID: 7, Steps: p.Steps}}}, Options{NoiseFloorBytes: -1})
	if got := leakNames(rep); !eqStrings(got, []string{"a.py::leak", "a.py::backed_open", "a.py::import_numpy", "a.py::hog", "a.py::small_open"}) {
		t.Errorf("no floor: leaks = %v", got)
	}
	// A higher floor drops the 100 MiB leak.
	rep = analyze(&job{Procs: []*proc{{PID: 7, Steps: p.Steps}}}, Options{NoiseFloorBytes: 128 * MiB})
	if got := leakNames(rep); !eqStrings(got, []string{"a.py::backed_open"}) {
		t.Errorf("floor 128 MiB: leaks = %v", got)
	}
}

// TestXdistSharedMemcg: two workers share the memory cgroup whose limit was
// hit; the leaks on both are named, per worker, and the share of the leak on
// the worker that was not killed is over the cgroup's usage.
func TestXdistSharedMemcg(t *testing.T) {
	gw0 := &proc{PID: 11, Worker: "gw0", Steps: []step{
		start("tests/a.py::t1", 0, anon(100*MiB, 90*MiB)), end("tests/a.py::t1", 5, anon(900*MiB, 890*MiB)),
		start("tests/a.py::t2", 6, anon(900*MiB, 890*MiB)),
	}}
	gw1 := &proc{PID: 12, Worker: "gw1", Steps: []step{
		start("tests/b.py::t1", 0, anon(100*MiB, 90*MiB)), end("tests/b.py::t1", 5, anon(500*MiB, 490*MiB)),
		start("tests/b.py::t2", 6, anon(500*MiB, 490*MiB)),
	}}
	j := &job{Procs: []*proc{gw0, gw1}, Kills: []kill{memcgKill(12, 20, 1*GiB, 2*GiB)},
		InFlight:  []inflight{{Test: "tests/b.py::t2", Worker: "gw1", Basis: "xdist-crash", Source: "ci.log:40"}},
		HasRunEnd: true, RunEnd: runEndInfo{Kind: "unknown"}}
	rep := analyze(j, Options{})
	if got := leakNames(rep); !eqStrings(got, []string{"tests/a.py::t1", "tests/b.py::t1"}) {
		t.Fatalf("leaks = %v", got)
	}
	a, b := rep.Leaks[0], rep.Leaks[1]
	if a.Worker != "gw0" || a.PID != 11 || a.ShareOfKill == nil || *a.ShareOfKill != 0.391 {
		t.Errorf("gw0 leak %+v (share %v), want 800 MiB / 2 GiB = 0.391", a, a.ShareOfKill)
	}
	if b.Worker != "gw1" || b.PID != 12 || b.ShareOfKill == nil || *b.ShareOfKill != 0.391 {
		t.Errorf("gw1 leak %+v (share %v), want 400 MiB / 1 GiB = 0.391", b, b.ShareOfKill)
	}
	if len(rep.InFlight) != 2 || rep.InFlight[0].Test != "tests/b.py::t2" || rep.InFlight[0].PID != 12 {
		t.Fatalf("in flight %+v: want the killed worker's test first", rep.InFlight)
	}
	if len(rep.InFlight[0].Evidence) != 3 || !strings.Contains(rep.InFlight[0].Evidence[2], "crashed while running") {
		t.Errorf("the xdist crash was not merged into the diagnostics' in-flight entry: %q", rep.InFlight[0].Evidence)
	}
	if !strings.HasSuffix(rep.Verdict, "tests/b.py::t2 (gw1) was only running when the limit was hit, and 1 more test was running on other workers; this explains 100% of the 1.0 GiB at the kill.") {
		t.Errorf("verdict %q", rep.Verdict)
	}
}

// TestWorkerLostRunCompleted: xdist replaced a worker the kernel killed and
// pytest finished: the run is complete, and the verdict says what was lost.
func TestWorkerLostRunCompleted(t *testing.T) {
	gw1 := &proc{PID: 12, Worker: "gw1", Steps: []step{
		start("tests/b.py::t1", 0, anon(100*MiB, 90*MiB)), end("tests/b.py::t1", 5, anon(500*MiB, 490*MiB)),
		start("tests/b.py::t2", 6, anon(500*MiB, 490*MiB)),
	}}
	j := &job{Procs: []*proc{gw1}, Kills: []kill{memcgKill(12, 20, 1*GiB, 2*GiB)},
		InFlight:  []inflight{{Test: "tests/b.py::t2", Worker: "gw1", Basis: "xdist-crash", Source: "ci.log:40"}},
		HasRunEnd: true, RunEnd: runEndInfo{Kind: "complete", ExitCode: 1, HasExitCode: true}}
	rep := analyze(j, Options{})
	want := "The run completed, but its xdist worker gw1 was lost to an OOM kill of pid 12 (python) in memcg /ci/job: 1 test retained 400.0 MiB that was never released (tests/b.py::t1 400.0 MiB); tests/b.py::t2 (gw1) was only running when the limit was hit; this explains 100% of the 1.0 GiB at the kill."
	if rep.Verdict != want || rep.RunEnd.Kind != "complete" || !rep.Kills[0].EndedRun {
		t.Errorf("verdict %q\nrun end %+v kills %+v", rep.Verdict, rep.RunEnd, rep.Kills)
	}
}

// TestProcessGoneBeforeKill: a worker that finished its session before the
// kill held nothing at the kill: its retention is not named.
func TestProcessGoneBeforeKill(t *testing.T) {
	gw0 := &proc{PID: 11, Worker: "gw0", EndedTime: t0 + 8, Ended: "diag.gw0.jsonl:9", Steps: []step{
		start("tests/a.py::t1", 0, anon(100*MiB, 90*MiB)), end("tests/a.py::t1", 5, anon(900*MiB, 890*MiB)),
	}}
	gw1 := &proc{PID: 12, Worker: "gw1", Steps: []step{
		start("tests/b.py::t1", 0, anon(100*MiB, 90*MiB)), end("tests/b.py::t1", 5, anon(500*MiB, 490*MiB)),
		start("tests/b.py::t2", 6, anon(500*MiB, 490*MiB)),
	}}
	rep := analyze(&job{Procs: []*proc{gw0, gw1}, Kills: []kill{memcgKill(12, 20, 1*GiB, 2*GiB)}}, Options{})
	if got := leakNames(rep); !eqStrings(got, []string{"tests/b.py::t1"}) {
		t.Errorf("leaks %v", got)
	}
	if !strings.Contains(strings.Join(rep.Warnings, "\n"), "pid 11 (gw0) ended its session (diag.gw0.jsonl:9) before the kill: the 800.0 MiB") {
		t.Errorf("warnings %q", rep.Warnings)
	}
}

// TestNoEvidenceNamesNoLeak: only a pytest log and a kernel record: the test
// in flight is named, no leak is invented, and the warnings say what would
// settle it.
func TestNoEvidenceNamesNoLeak(t *testing.T) {
	j := &job{
		Tests: []testInfo{
			{ID: "tests/test_a.py::test_1", Outcome: "passed", Start: t0, End: t0 + 5},
			{ID: "tests/test_a.py::test_2", Outcome: "passed", Start: t0 + 5, End: t0 + 9},
		},
		InFlight:  []inflight{{Test: "tests/test_b.py::test_big", Basis: "verbose-log", Start: t0 + 9, Source: "ci.log:30"}},
		HasRunEnd: true,
		RunEnd:    runEndInfo{Kind: "sigkill", ExitCode: 137, HasExitCode: true, Time: t0 + 100, Evidence: []string{"ci.log:31: Killed"}},
		Kills:     []kill{memcgKill(999, 80, 3*GiB, 3*GiB)},
	}
	rep := analyze(j, Options{})
	if len(rep.Leaks) != 0 || len(rep.Hogs) != 0 {
		t.Fatalf("leaks %+v hogs %+v from no memory evidence", rep.Leaks, rep.Hogs)
	}
	want := "OOM kill of pid 999 (python) in memcg /ci/job: no per-test memory evidence, so no leaking test can be named; tests/test_b.py::test_big was running when the limit was hit."
	if rep.Verdict != want {
		t.Errorf("verdict\n got %q\nwant %q", rep.Verdict, want)
	}
	if rep.RunEnd.Kind != "oom-kill" || *rep.RunEnd.ExitCode != 137 {
		t.Errorf("run end %+v", rep.RunEnd)
	}
	if !strings.Contains(strings.Join(rep.Warnings, "\n"), "oomlens diagnostics plugin") {
		t.Errorf("warnings do not say what would settle it: %q", rep.Warnings)
	}
	if len(rep.Timeline) != 3 || rep.Timeline[2].Outcome != "in-flight" {
		t.Errorf("timeline %+v", rep.Timeline)
	}
	// The kill matched by time: it fell after the last test start and
	// before the Killed line's stamp.
	if rep.Kills[0].EndedRun != true {
		t.Errorf("kill not matched by time: %+v", rep.Kills)
	}
}

// TestKillSelection covers how the kill that ended the run is found.
func TestKillSelection(t *testing.T) {
	other := kill{Kind: "kernel-oom-kill", PID: 555, Comm: "java", Wall: t0 + 50, HasWall: true, AnonRSSBytes: GiB, LastBoot: true, Global: true, Source: "k:1"}
	py := kill{Kind: "kernel-oom-kill", PID: 4242, Comm: "python3", Wall: t0 + 60, HasWall: true, AnonRSSBytes: GiB, LastBoot: true, Global: true, Source: "k:2"}
	late := kill{Kind: "kernel-oom-kill", PID: 777, Comm: "python3", Wall: t0 + 99999, HasWall: true, AnonRSSBytes: GiB, LastBoot: true, Global: true, Source: "k:3"}
	base := func() *job {
		return &job{Tests: []testInfo{{ID: "a.py::t", Start: t0, End: t0 + 10}},
			InFlight: []inflight{{Test: "a.py::u", Start: t0 + 10, Basis: "verbose-log"}}}
	}
	cases := []struct {
		name    string
		mod     func(j *job)
		kills   []kill
		ended   int // pid, 0 none
		runEnd  string
		verdict string
	}{
		{"shell pid", func(j *job) {
			j.HasRunEnd, j.RunEnd = true, runEndInfo{Kind: "sigkill", KilledPID: 555}
		}, []kill{other, py}, 555, "oom-kill", "OOM kill of pid 555 (java) (system-wide out of memory)"},
		{"pid of a test process", func(j *job) {
			j.Procs = []*proc{{PID: 4242, Steps: []step{start("a.py::u", 10, rss(MiB))}}}
		}, []kill{other, py, late}, 4242, "oom-kill", "OOM kill of pid 4242 (python3)"},
		{"time window prefers python", func(j *job) {
			j.HasRunEnd, j.RunEnd = true, runEndInfo{Kind: "sigkill", Time: t0 + 70}
		}, []kill{other, py, late}, 4242, "oom-kill", "OOM kill of pid 4242"},
		{"memory.oom.group member", func(j *job) {
			j.Procs = []*proc{{PID: 4343, Steps: []step{start("a.py::u", 10, rss(MiB))}}}
		}, []kill{other, func() kill {
			k := other
			k.PID, k.Comm, k.GroupPIDs, k.Wall = 556, "sh", []int{4343}, t0+99999
			return k
		}()}, 556, "oom-kill", "OOM kill of pid 556 (sh)"},
		{"nothing matches: cause unconfirmed", func(j *job) {
			j.HasRunEnd, j.RunEnd = true, runEndInfo{Kind: "sigkill", Time: t0 + 20}
		}, []kill{late}, 0, "sigkill", "Killed (SIGKILL), cause unconfirmed"},
		{"no kernel log", func(j *job) {
			j.HasRunEnd, j.RunEnd = true, runEndInfo{Kind: "sigkill"}
		}, nil, 0, "sigkill", "Killed (SIGKILL), cause unconfirmed"},
		{"memory error is no kill", func(j *job) {
			j.HasRunEnd, j.RunEnd = true, runEndInfo{Kind: "memoryerror"}
		}, nil, 0, "memoryerror", "MemoryError inside Python"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			j := base()
			c.mod(j)
			j.Kills = c.kills
			rep := analyze(j, Options{})
			got := 0
			for i, k := range rep.Kills {
				if k.EndedRun {
					got = k.PID
					if i != 0 {
						t.Errorf("the kill that ended the run is not first")
					}
				}
			}
			if got != c.ended {
				t.Errorf("ended by pid %d, want %d (%+v)", got, c.ended, rep.Kills)
			}
			if rep.RunEnd.Kind != c.runEnd {
				t.Errorf("run end %q, want %q", rep.RunEnd.Kind, c.runEnd)
			}
			if !strings.HasPrefix(rep.Verdict, c.verdict) {
				t.Errorf("verdict %q, want prefix %q", rep.Verdict, c.verdict)
			}
		})
	}
}

// TestAlignmentMethods: kernel uptime reaches the wall clock by the most
// trusted hint, and the report says which and how sure.
func TestAlignmentMethods(t *testing.T) {
	boot := t0 - 1000
	up := kill{Kind: "kernel-oom-kill", PID: 4242, Comm: "python", UptimeS: 1010, HasUptime: true, LastBoot: true, AnonRSSBytes: GiB, Source: "k:1"}
	wall := up
	wall.Wall, wall.HasWall, wall.WallBasis = t0+12, true, "syslog"
	bt := unixTime(boot + 0.4)
	cases := []struct {
		name   string
		hints  []clockHint
		kill   kill
		opts   Options
		method string
		unc    float64
		time   string // RFC 3339 of the kill, "" none
	}{
		{"none", nil, up, Options{}, AlignNone, -1, ""},
		{"diagnostics monotonic over boot time", []clockHint{
			{Method: AlignDiagnosticsBootTime, BootUnix: boot, UncertaintyS: 1},
			{Method: AlignDiagnosticsMonotonic, BootUnix: boot + 0.2, UncertaintyS: 0.05},
			{Method: AlignDiagnosticsMonotonic, BootUnix: boot + 0.3, UncertaintyS: 0.05},
		}, up, Options{}, AlignDiagnosticsMonotonic, 0.1, "2025-11-26T09:40:10.25Z"},
		{"diagnostics boot time", []clockHint{{Method: AlignDiagnosticsBootTime, BootUnix: boot, UncertaintyS: 1}}, up, Options{},
			AlignDiagnosticsBootTime, 1, "2025-11-26T09:40:10Z"},
		{"--boot-time first", []clockHint{{Method: AlignDiagnosticsBootTime, BootUnix: boot, UncertaintyS: 1}}, up, Options{BootTime: &bt},
			AlignBootTimeOption, 1, "2025-11-26T09:40:10.4Z"},
		{"kernel wall clock", nil, wall, Options{}, AlignKernelWallClock, 1, "2025-11-26T09:40:12Z"},
		{"this host", nil, up, Options{ThisHost: true, hostBoot: func() (time.Time, error) { return unixTime(boot), nil }},
			AlignThisHost, 1, "2025-11-26T09:40:10Z"},
		{"kernel wall clock over this host", nil, wall, Options{ThisHost: true, hostBoot: func() (time.Time, error) { return unixTime(boot), nil }},
			AlignKernelWallClock, 1, "2025-11-26T09:40:12Z"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			j := &job{Clocks: c.hints, Kills: []kill{c.kill},
				Procs: []*proc{{PID: 4242, Steps: []step{start("a.py::t", 5, rss(MiB))}}}}
			rep := analyze(j, c.opts)
			if rep.Alignment.Method != c.method {
				t.Errorf("method %q, want %q", rep.Alignment.Method, c.method)
			}
			if c.unc < 0 {
				if rep.Alignment.UncertaintyS != nil {
					t.Errorf("uncertainty %v, want none", *rep.Alignment.UncertaintyS)
				}
			} else if rep.Alignment.UncertaintyS == nil || abs(*rep.Alignment.UncertaintyS-c.unc) > 1e-9 {
				t.Errorf("uncertainty %v, want %v", rep.Alignment.UncertaintyS, c.unc)
			}
			got := ""
			if rep.Kills[0].Time != nil {
				got = *rep.Kills[0].Time
			}
			if got != c.time {
				t.Errorf("kill time %q, want %q", got, c.time)
			}
			if c.method == AlignNone && !strings.Contains(strings.Join(rep.Warnings, "\n"), "clocks not aligned") {
				t.Errorf("no warning about unaligned clocks: %q", rep.Warnings)
			}
		})
	}
	// Disagreeing methods are a warning.
	c := alignClocks([]clockHint{{Method: AlignDiagnosticsMonotonic, BootUnix: boot, UncertaintyS: 0.05},
		{Method: AlignKernelWallClock, BootUnix: boot + 60, UncertaintyS: 1}}, Options{}, nil)
	if len(c.Warnings) != 1 || !strings.Contains(c.Warnings[0], "clocks disagree") {
		t.Errorf("warnings %q", c.Warnings)
	}
}

func abs(f float64) float64 {
	if f < 0 {
		return -f
	}
	return f
}

// TestRecordMode: `oomlens record` leaves samples only; the pytest log's
// stamps cut them into tests.
func TestRecordMode(t *testing.T) {
	var samples []sample
	// 1 sample a second: 100 MiB until t0+10, a leak to 400 MiB during
	// test 2 (t0+10..20), a spike to 2 GiB during test 3 (t0+20..30) that
	// goes away, then test 4 runs from t0+30 and climbs.
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
		samples = append(samples, sample{Time: t0 + float64(s), Mem: anon(r+20*MiB, r)})
	}
	j := &job{
		Procs: []*proc{{PID: 321, Samples: samples, Source: "record.jsonl"}},
		Tests: []testInfo{
			{ID: "t.py::test_1", Start: t0, End: t0 + 10, Outcome: "passed", Source: srcPos{Path: "ci.log:10"}},
			{ID: "t.py::test_2", Start: t0 + 10, End: t0 + 20, Outcome: "passed", Source: srcPos{Path: "ci.log:11"}},
			{ID: "t.py::test_3", Start: t0 + 20, End: t0 + 30, Outcome: "passed", Source: srcPos{Path: "ci.log:12"}},
		},
		InFlight:  []inflight{{Test: "t.py::test_4", Start: t0 + 30, Basis: "verbose-log", Source: "ci.log:13"}},
		HasRunEnd: true, RunEnd: runEndInfo{Kind: "sigkill", KilledPID: 321},
		Kills: []kill{memcgKill(321, 41, 1500*MiB, 1600*MiB)},
	}
	rep := analyze(j, Options{})
	if got := leakNames(rep); !eqStrings(got, []string{"t.py::test_2"}) {
		t.Fatalf("leaks = %v", got)
	}
	if l := rep.Leaks[0]; l.RetainedBytes != 300*MiB || l.Confidence != ConfidenceLow {
		t.Errorf("leak %+v", l)
	}
	if h := findHog(rep, "t.py::test_3"); h == nil || h.PeakBytes != 2*GiB+20*MiB {
		t.Errorf("hogs %+v", rep.Hogs)
	}
	if len(rep.InFlight) != 1 || rep.InFlight[0].Basis != "record" || rep.InFlight[0].Test != "t.py::test_4" {
		t.Fatalf("in flight %+v", rep.InFlight)
	}
	if e := rep.InFlight[0].AddedBytesEstimate; e == nil || *e != 1500*MiB-400*MiB {
		t.Errorf("added estimate %v, want 1500 − 400 MiB (the sample before its start)", e)
	}
	if len(rep.Samples) != 41 {
		t.Errorf("%d samples in the report, want 41", len(rep.Samples))
	}
	if len(rep.Timeline) != 4 || rep.Timeline[1].RSSBeforeBytes == nil || *rep.Timeline[1].RSSBeforeBytes != 120*MiB {
		t.Errorf("timeline %+v", rep.Timeline)
	}
}

// TestSamplesThinned: no more than maxSamplesPerProc per process, and the
// highest reading of each bucket survives.
func TestSamplesThinned(t *testing.T) {
	var s []sample
	for i := 0; i < 10_000; i++ {
		r := int64(i % 7)
		if i == 4321 {
			r = 99 * GiB
		}
		s = append(s, sample{Time: t0 + float64(i)/10, Mem: rss(r)})
	}
	out := samplesOf(&job{Procs: []*proc{{PID: 1, Samples: s}}})
	if len(out) > maxSamplesPerProc {
		t.Fatalf("%d samples", len(out))
	}
	found := false
	for _, o := range out {
		if o.RSSBytes == 99*GiB {
			found = true
		}
	}
	if !found {
		t.Errorf("the peak sample was thinned away")
	}
}

func TestFormatBytes(t *testing.T) {
	for _, c := range []struct {
		n    int64
		want string
	}{
		{0, "0 B"}, {1023, "1023 B"}, {1536, "1.5 KiB"}, {900 * MiB, "900.0 MiB"},
		{1288490189, "1.2 GiB"}, {-300 * MiB, "-300.0 MiB"}, {3 << 40, "3.0 TiB"},
	} {
		if got := FormatBytes(c.n); got != c.want {
			t.Errorf("FormatBytes(%d) = %q, want %q", c.n, got, c.want)
		}
	}
}
