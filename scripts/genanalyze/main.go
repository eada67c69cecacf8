// Command genanalyze writes one big job's memory record for the analyze
// benchmark (scripts/bench-analyze.sh): a weathercop test_memory.log, in the
// exact text weathercop's MemoryDiagnosticsLogger._format_entry writes, or an
// oomlens diagnostics JSONL, of N tests of one process, or a kernel log of
// N OOM kills (-format kernel -tests N: one kill per "test"), for the cost
// per kill record. RSS wanders by a few
// MiB a test and comes back (allocate, free); two planted tests, at 30% and
// 70% of the run, keep 600 MiB and 400 MiB; the last test starts and never
// ends (killed). Every tracemalloc peak is 20-120 MiB, as in a suite where
// every test allocates.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"log"
	"math/rand"
	"os"
	"time"
)

const mib = 1 << 20

func main() {
	format := flag.String("format", "weathercop", "weathercop, diagnostics or kernel")
	n := flag.Int("tests", 100000, "number of tests")
	out := flag.String("out", "", "output file")
	seed := flag.Int64("seed", 1, "random seed")
	flag.Parse()
	if *out == "" {
		log.Fatal("-out is required")
	}
	f, err := os.Create(*out)
	if err != nil {
		log.Fatal(err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	rng := rand.New(rand.NewSource(*seed))
	g := &gen{w: w, rng: rng, t: time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC), rss: 300 * mib, hwm: 300 * mib}
	switch *format {
	case "weathercop":
		g.weathercop(*n)
	case "diagnostics":
		g.diagnostics(*n)
	case "kernel":
		g.kernel(*n)
	default:
		log.Fatalf("unknown format %q", *format)
	}
	if err := w.Flush(); err != nil {
		log.Fatal(err)
	}
	if err := f.Close(); err != nil {
		log.Fatal(err)
	}
}

type gen struct {
	w        *bufio.Writer
	rng      *rand.Rand
	t        time.Time
	elapsed  float64
	rss, hwm int64
}

// Leakers are the planted tests: index → bytes kept.
func leakers(n int) map[int]int64 { return map[int]int64{n * 3 / 10: 600 * mib, n * 7 / 10: 400 * mib} }

// name is the i-th test's bare name: every third one a parametrized case.
func name(i int) string {
	if i%3 == 0 {
		return fmt.Sprintf("test_fit_%d[case%d]", i/300, i%300)
	}
	return fmt.Sprintf("test_unit_%d", i)
}

func (g *gen) tick() {
	d := time.Duration(5+g.rng.Intn(20)) * time.Millisecond
	g.t = g.t.Add(d)
	g.elapsed += d.Seconds()
}

// step moves RSS for test i: a peak, then back to within a page or two of
// where it started, plus what the test keeps.
func (g *gen) step(i int, keep map[int]int64) (peak int64) {
	peak = g.rss + int64(g.rng.Intn(120))*mib
	g.hwm = max(g.hwm, peak)
	g.rss += keep[i] + int64(g.rng.Intn(3)-1)*4096
	return peak
}

func (g *gen) weathercop(n int) {
	keep := leakers(n)
	g.wcEntry("SESSION_START", "pytest", false, 0, -1)
	for i := 0; i < n; i++ {
		g.tick()
		g.wcEntry("TEST_START", name(i), true, 0, -1)
		if i == n-1 {
			break // killed
		}
		peak := g.step(i, keep)
		g.tick()
		g.wcEntry("TEST_END", name(i), true, float64(peak-g.rss+20*mib)/mib, int(keep[i]/(200*mib)))
	}
}

func (g *gen) wcEntry(event, test string, gc bool, peakMiB float64, xarray int) {
	w := g.w
	fmt.Fprintf(w, "[%s] %s: %s\n  Elapsed: %.1fs\n", g.t.Format("2006-01-02T15:04:05.000000"), event, test, g.elapsed)
	fmt.Fprintf(w, "  /proc/self/status:\n    VmPeak: %d kB\n    VmSize: %d kB\n    VmHWM: %d kB\n    VmRSS: %d kB\n",
		(g.hwm+200*mib)/1024, (g.rss+200*mib)/1024, g.hwm/1024, g.rss/1024)
	w.WriteString("  Top tracemalloc allocations:\n    (tracemalloc not active)\n")
	if event == "TEST_END" {
		fmt.Fprintf(w, "  Peak memory: %.1f MB\n", peakMiB)
	}
	if gc {
		fmt.Fprintf(w, "  GC: collections=%d, uncollectable=0\n", 400+g.rng.Intn(200))
	}
	if xarray > 0 {
		fmt.Fprintf(w, "  Open xarray datasets: %d\n", xarray)
	}
}

func (g *gen) diagnostics(n int) {
	keep := leakers(n)
	const pid = 4242
	w := g.w
	unix := func() float64 { return float64(g.t.UnixNano()) / 1e9 }
	fmt.Fprintf(w, `{"event":"session_start","time":%.6f,"pid":%d,"rss_bytes":%d,"rss_anon_bytes":%d}`+"\n", unix(), pid, g.rss, g.rss-40*mib)
	for i := 0; i < n; i++ {
		id := "tests/test_m" + fmt.Sprint(i/500) + ".py::" + name(i)
		g.tick()
		fmt.Fprintf(w, `{"event":"test_start","time":%.6f,"pid":%d,"nodeid":%q,"rss_bytes":%d,"rss_anon_bytes":%d}`+"\n", unix(), pid, id, g.rss, g.rss-40*mib)
		if i == n-1 {
			break
		}
		peak := g.step(i, keep)
		g.tick()
		fmt.Fprintf(w, `{"event":"test_end","time":%.6f,"pid":%d,"nodeid":%q,"outcome":"passed","rss_bytes":%d,"rss_anon_bytes":%d,"peak_rss_bytes":%d}`+"\n", unix(), pid, id, g.rss, g.rss-40*mib, peak)
	}
}

// kernel writes n OOM kills as dmesg prints them (Linux 6.x, the lines
// scripts/genhostile uses), each of its own pid, 3 s apart.
func (g *gen) kernel(n int) {
	for i := 0; i < n; i++ {
		up := 5864.708100 + 3*float64(i)
		pid := 1000 + i%30000
		fmt.Fprintf(g.w, "[%12.6f] python invoked oom-killer: gfp_mask=0x140cca(GFP_HIGHUSER_MOVABLE|__GFP_COMP), order=0, oom_score_adj=0\n", up)
		fmt.Fprintf(g.w, "[%12.6f] Out of memory: Killed process %d (python) total-vm:2991716kB, anon-rss:%dkB, file-rss:0kB, shmem-rss:0kB, UID:0 pgtables:460kB oom_score_adj:0\n",
			up+0.0003, pid, 122228+g.rng.Intn(1000))
	}
}
