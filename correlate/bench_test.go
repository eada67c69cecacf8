package correlate

import (
	"fmt"
	"strings"
	"testing"

	"github.com/oomlens/oomlens/diagnostics"
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
			p.Steps = append(p.Steps, step{Kind: stepFixtureSetup, Test: id, Fixture: "f", Scope: "module", Time: t0 + at, Mem: anon(r+10*MiB, r), After: anon(r+20*MiB, r+10*MiB), HasMem: true})
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
