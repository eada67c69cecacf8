package correlate

import (
	"bytes"
	"fmt"
	"math/rand"
	"strings"
	"testing"

	"github.com/oomlens/oomlens/diagnostics"
	"github.com/oomlens/oomlens/dmesg"
	"github.com/oomlens/oomlens/internal/jobgen"
	"github.com/oomlens/oomlens/pytestlog"
	"github.com/oomlens/oomlens/weathercop"
)

// bigJob is 100,000 tests in 2,000 modules of 50, each module's first test
// setting up a 10 MiB module fixture torn down at its last, every 7th test
// keeping 1 MiB, every 13th giving back 2 MiB, and 1,000,000 samples.
func bigJob() *job {
	p := &proc{PID: 1}
	r := int64(100 * MiB)
	at := 0.0
	for i := 0; i < 100_000; i++ {
		id := fmt.Sprintf("tests/test_m%04d.py::test_%d", i/50, i)
		p.Steps = append(p.Steps, start(id, at, anon(r+10*MiB, r)))
		if i%50 == 0 {
			p.Steps = append(p.Steps, fixtureSetup(id, "f", "module", t0+at, anon(r+10*MiB, r), anon(r+20*MiB, r+10*MiB)))
			r += 10 * MiB
		}
		if i%7 == 0 {
			r += MiB
		}
		if i%13 == 0 && r > 200*MiB {
			r -= 2 * MiB
		}
		if i%50 == 49 {
			p.Steps = append(p.Steps, teardown("f", "module", at+0.5, anon(r+10*MiB, r), anon(r, r-10*MiB)))
			r -= 10 * MiB
		}
		p.Steps = append(p.Steps, end(id, at+1, anon(r+10*MiB, r)))
		at += 1
	}
	for i := 0; i < 1_000_000; i++ {
		p.Samples = append(p.Samples, sample{Time: t0 + float64(i)/10, Mem: rss(int64(i % 1000))})
	}
	return &job{Procs: []*proc{p}, Kills: []kill{memcgKill(1, at+10, 2*GiB, 2*GiB)}}
}

func BenchmarkAnalyzeLarge(b *testing.B) {
	for b.Loop() {
		b.StopTimer()
		j := bigJob()
		b.StartTimer()
		analyze(j, Options{})
	}
}

// TestLargeJobLinear: 100,000 tests and a million samples are analysed in
// well under the time a quadratic walk would take.
func TestLargeJobLinear(t *testing.T) {
	if testing.Short() {
		t.Skip("large")
	}
	rep := analyze(bigJob(), Options{})
	if len(rep.Timeline) != 100_000 || len(rep.Samples) > maxSamplesPerProc {
		t.Fatalf("timeline %d samples %d", len(rep.Timeline), len(rep.Samples))
	}
	if len(rep.FixturesHeld) != 0 {
		t.Errorf("fixtures held %+v", rep.FixturesHeld)
	}
}

// BenchmarkNormaliseDiagnostics turns a 20,000-test diagnostics file of one
// process into the model: the per-record work of every batch job.
func BenchmarkNormaliseDiagnostics(b *testing.B) {
	var sb strings.Builder
	sb.WriteString(`{"event":"session_start","time":1771803094.000,"pid":8612,"rss_bytes":94371840,"rss_anon_bytes":62914560,"boot_time":1771801805,"monotonic":1289.000}` + "\n")
	for i := 0; i < 20_000; i++ {
		fmt.Fprintf(&sb, `{"event":"test_start","time":%d.000,"pid":8612,"nodeid":"tests/test_m.py::test_%d","rss_bytes":188743680,"rss_anon_bytes":157286400}`+"\n", 1771803094+i, i)
		fmt.Fprintf(&sb, `{"event":"test_end","time":%d.500,"pid":8612,"nodeid":"tests/test_m.py::test_%d","outcome":"passed","rss_bytes":188743680,"rss_anon_bytes":157286400,"peak_rss_bytes":189373178}`+"\n", 1771803094+i, i)
	}
	d, err := diagnostics.Parse(strings.NewReader(sb.String()), diagnostics.Options{Name: "diagnostics.jsonl"})
	if err != nil {
		b.Fatal(err)
	}
	ev := &Evidence{Diagnostics: []DiagnosticsInput{{Path: "diagnostics.jsonl", Diag: d}}}
	for b.Loop() {
		j := normalise(ev, Options{})
		if len(j.Procs) != 1 || len(j.Procs[0].Steps) != 40_000 {
			b.Fatalf("procs %d", len(j.Procs))
		}
	}
}

// bigWeathercop is a weathercop test_memory.log of n tests, in the text
// MemoryDiagnosticsLogger writes: RSS comes back after every test but two
// planted ones (600 and 400 MiB kept), and the last test never ends.
func bigWeathercop(n int) string {
	var sb strings.Builder
	rss, hwm := int64(300*MiB), int64(300*MiB)
	entry := func(sec int, event, test string, peak float64) {
		fmt.Fprintf(&sb, "[2026-11-26T10:%02d:%02d.%06d] %s: %s\n  Elapsed: %.1fs\n  /proc/self/status:\n    VmPeak: %d kB\n    VmSize: %d kB\n    VmHWM: %d kB\n    VmRSS: %d kB\n  Top tracemalloc allocations:\n    (tracemalloc not active)\n",
			sec/60%60, sec%60, sec%1000000, event, test, float64(sec)/10, (hwm+200*MiB)>>10, (rss+200*MiB)>>10, hwm>>10, rss>>10)
		if event == "TEST_END" {
			fmt.Fprintf(&sb, "  Peak memory: %.1f MB\n", peak)
		}
		if event != "SESSION_START" {
			sb.WriteString("  GC: collections=493, uncollectable=0\n")
		}
	}
	entry(0, "SESSION_START", "pytest", 0)
	for i := 0; i < n; i++ {
		name := fmt.Sprintf("test_unit_%d", i)
		if i%3 == 0 {
			name = fmt.Sprintf("test_fit_%d[case%d]", i/300, i%300)
		}
		entry(2*i, "TEST_START", name, 0)
		if i == n-1 {
			break
		}
		peak := int64(i%120) * MiB
		hwm = max(hwm, rss+peak)
		switch i {
		case n * 3 / 10:
			rss += 600 * MiB
		case n * 7 / 10:
			rss += 400 * MiB
		}
		entry(2*i+1, "TEST_END", name, float64(peak+20*MiB)/float64(MiB))
	}
	return sb.String()
}

// bigDiagnostics is an oomlens diagnostics JSONL of n records (n/2 tests)
// of one process, with the same planted leaks.
func bigDiagnostics(records int) string {
	n := records / 2
	var sb strings.Builder
	rss := int64(300 * MiB)
	for i := 0; i < n; i++ {
		id := fmt.Sprintf("tests/test_m%d.py::test_unit_%d", i/500, i)
		fmt.Fprintf(&sb, `{"event":"test_start","time":%d.000,"pid":4242,"nodeid":%q,"rss_bytes":%d,"rss_anon_bytes":%d}`+"\n", 1771803094+2*i, id, rss, rss-40*MiB)
		switch i {
		case n * 3 / 10:
			rss += 600 * MiB
		case n * 7 / 10:
			rss += 400 * MiB
		}
		fmt.Fprintf(&sb, `{"event":"test_end","time":%d.500,"pid":4242,"nodeid":%q,"outcome":"passed","rss_bytes":%d,"rss_anon_bytes":%d,"peak_rss_bytes":%d}`+"\n", 1771803094+2*i, id, rss, rss-40*MiB, rss+int64(i%120)*MiB)
	}
	return sb.String()
}

// BenchmarkAnalyzeWeathercop streams a weathercop log of 10k, 100k and 1M
// tests into the model (as job.Load does) and analyses it: the cost per
// test (ns/test) and the bytes allocated per test stay flat when the
// analysis is linear. scripts/bench-analyze.sh times the whole command.
func BenchmarkAnalyzeWeathercop(b *testing.B) {
	for _, n := range []int{10_000, 100_000, 1_000_000} {
		if n > 100_000 && testing.Short() {
			continue
		}
		b.Run(fmt.Sprintf("tests=%d", n), func(b *testing.B) {
			text := bigWeathercop(n)
			b.SetBytes(int64(len(text)))
			b.ReportAllocs()
			for b.Loop() {
				st := NewWeathercopStream("test_memory.log", nil, int64(len(text)))
				l, err := weathercop.Stream(strings.NewReader(text), weathercop.Options{Name: "test_memory.log"}, st.Add)
				if err != nil {
					b.Fatal(err)
				}
				rep, _ := Analyze(&Evidence{Weathercop: []WeathercopInput{st.Input(l)}}, Options{})
				if len(rep.Leaks) != 2 {
					b.Fatalf("leaks %v", leakNames(rep))
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/test")
		})
	}
}

// BenchmarkAnalyzeDiagnostics streams a diagnostics JSONL of 10k, 100k and
// 1M records into the model (as job.Load does) and analyses it.
func BenchmarkAnalyzeDiagnostics(b *testing.B) {
	for _, n := range []int{10_000, 100_000, 1_000_000} {
		if n > 100_000 && testing.Short() {
			continue
		}
		b.Run(fmt.Sprintf("records=%d", n), func(b *testing.B) {
			text := bigDiagnostics(n)
			b.SetBytes(int64(len(text)))
			b.ReportAllocs()
			for b.Loop() {
				st := NewDiagnosticsStream("diag.jsonl", int64(len(text)))
				d, err := diagnostics.Stream(strings.NewReader(text), diagnostics.Options{Name: "diag.jsonl"}, st.Add)
				if err != nil {
					b.Fatal(err)
				}
				rep, _ := Analyze(&Evidence{Diagnostics: []DiagnosticsInput{st.Input(d)}}, Options{})
				if len(rep.Leaks) != 2 {
					b.Fatalf("leaks %v", leakNames(rep))
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/record")
		})
	}
}

// batchEvidence is the evidence of one job of a batch (internal/jobgen, as
// scripts/genjobs writes them: pytest log, kernel log, diagnostics of 500
// tests, ~394 run), parsed as job.Load parses it, and the size of its
// diagnostics file. Its diagnostics are kept as records
// (diagnostics.Parse): batchStream converts them as job.Load's stream does.
func batchEvidence(tb testing.TB) (*Evidence, int64) {
	tb.Helper()
	ev := &Evidence{}
	var size int64
	for _, f := range jobgen.Job(rand.New(rand.NewSource(1)), 500) {
		kind := ""
		switch f.Name {
		case "pytest.log":
			l, err := pytestlog.Parse(bytes.NewReader(f.Data), pytestlog.Options{Name: f.Name})
			if err != nil {
				tb.Fatal(err)
			}
			ev.Pytest, kind = append(ev.Pytest, PytestInput{Path: f.Name, Log: l}), "pytest-log"
		case "kernel.log":
			l, err := dmesg.Parse(bytes.NewReader(f.Data), dmesg.Options{Name: f.Name})
			if err != nil {
				tb.Fatal(err)
			}
			ev.Kernel, kind = append(ev.Kernel, KernelInput{Path: f.Name, Log: l}), "kernel-log"
		case "diagnostics.jsonl":
			d, err := diagnostics.Parse(bytes.NewReader(f.Data), diagnostics.Options{Name: f.Name})
			if err != nil {
				tb.Fatal(err)
			}
			ev.Diagnostics, kind = append(ev.Diagnostics, DiagnosticsInput{Path: f.Name, Diag: d}), "diagnostics-jsonl"
			size = int64(len(f.Data))
		}
		ev.Inputs = append(ev.Inputs, Input{Path: f.Name, Kinds: []string{kind}, Warnings: []string{}})
	}
	return ev, size
}

// batchStream is ev with its diagnostics records given to a
// DiagnosticsStream as job.Load gives them (sized by the file), for one
// analysis.
func batchStream(ev *Evidence, size int64) *Evidence {
	out := *ev
	out.Diagnostics = nil
	for _, in := range ev.Diagnostics {
		st := NewDiagnosticsStream(in.Path, size)
		for i := range in.Diag.Records {
			st.Add(in.Diag.Format, &in.Diag.Records[i])
		}
		out.Diagnostics = append(out.Diagnostics, st.Input(&diagnostics.Log{Schema: in.Diag.Schema, Format: in.Diag.Format, Warnings: in.Diag.Warnings, Extra: in.Diag.Extra}))
	}
	return &out
}

// BenchmarkBatchJob is the correlator's share of one batch job: its
// diagnostics records converted into steps and the job analysed, the
// timeline omitted as batch omits it without --jsonl (job's
// BenchmarkBatchJobAnalyze adds the parsers).
func BenchmarkBatchJob(b *testing.B) {
	ev, size := batchEvidence(b)
	b.ReportAllocs()
	for b.Loop() {
		rep, err := Analyze(batchStream(ev, size), Options{OmitTimeline: true})
		if err != nil {
			b.Fatal(err)
		}
		if len(rep.Kills) != 1 || len(rep.Leaks) != 2 {
			b.Fatalf("%d kills, %d leaks", len(rep.Kills), len(rep.Leaks))
		}
	}
}

// BenchmarkBatchJobTimeline is BenchmarkBatchJob with the timeline, as
// batch --jsonl writes it.
func BenchmarkBatchJobTimeline(b *testing.B) {
	ev, size := batchEvidence(b)
	b.ReportAllocs()
	for b.Loop() {
		rep, err := Analyze(batchStream(ev, size), Options{})
		if err != nil {
			b.Fatal(err)
		}
		if len(rep.Timeline) == 0 || len(rep.Leaks) != 2 {
			b.Fatalf("%d spans, %d leaks", len(rep.Timeline), len(rep.Leaks))
		}
	}
}
