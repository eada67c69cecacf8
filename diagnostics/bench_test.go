package diagnostics

import (
	"bytes"
	"fmt"
	"io"
	"math/rand"
	"os"
	"testing"

	"github.com/oomlens/oomlens/internal/jobgen"
)

// diagBenchFile is the 1M-record diagnostics file scripts/bench-analyze.sh
// generates (500,000 tests, 180 MB): the input of issue 18's goal of a
// million records analysed in 1.5 s.
const diagBenchFile = "../bench-out/diag-1m.jsonl"

// BenchmarkStreamFile streams diagBenchFile with a callback that keeps
// nothing: the parser's own cost, reading included, on the goal's input.
// It is skipped where the file was not generated (run
// scripts/bench-analyze.sh first).
func BenchmarkStreamFile(b *testing.B) {
	st, err := os.Stat(diagBenchFile)
	if err != nil {
		b.Skipf("%v: run scripts/bench-analyze.sh to generate it", err)
	}
	b.SetBytes(st.Size())
	b.ReportAllocs()
	for b.Loop() {
		f, err := os.Open(diagBenchFile)
		if err != nil {
			b.Fatal(err)
		}
		n := 0
		_, err = Stream(f, Options{Name: diagBenchFile}, func(string, *Record) { n++ })
		f.Close()
		if err != nil || n != 1_000_000 {
			b.Fatalf("%d records, %v", n, err)
		}
	}
}

// BenchmarkStreamGenerated is BenchmarkStreamFile on 20,000 tests written
// as scripts/genanalyze writes them (test_start and test_end pairs, each
// test its own node id), so that it runs anywhere.
func BenchmarkStreamGenerated(b *testing.B) {
	data := diagBenchInput(20_000)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		n := 0
		_, err := Stream(bytes.NewReader(data), Options{}, func(string, *Record) { n++ })
		if err != nil || n != 40_001 {
			b.Fatalf("%d records, %v", n, err)
		}
	}
}

// diagBenchInput writes a session of tests records the way
// scripts/genanalyze does: a session_start, then a test_start and a
// test_end per test, node ids of parametrised and plain tests.
func diagBenchInput(tests int) []byte {
	var buf bytes.Buffer
	w := io.Writer(&buf)
	const mib = 1 << 20
	t, rss := 1795687200.0, int64(300*mib)
	fmt.Fprintf(w, `{"event":"session_start","time":%.6f,"pid":%d,"rss_bytes":%d,"rss_anon_bytes":%d}`+"\n", t, 4242, rss, rss-40*mib)
	for i := range tests {
		id := fmt.Sprintf("tests/test_m%d.py::test_unit_%d", i/500, i)
		if i%3 == 0 {
			id = fmt.Sprintf("tests/test_m%d.py::test_fit_%d[case%d]", i/500, i/300, i%300)
		}
		t += 0.006
		fmt.Fprintf(w, `{"event":"test_start","time":%.6f,"pid":%d,"nodeid":%q,"rss_bytes":%d,"rss_anon_bytes":%d}`+"\n", t, 4242, id, rss, rss-40*mib)
		t += 0.017
		rss += int64(i%3) * 4096
		fmt.Fprintf(w, `{"event":"test_end","time":%.6f,"pid":%d,"nodeid":%q,"outcome":"passed","rss_bytes":%d,"rss_anon_bytes":%d,"peak_rss_bytes":%d}`+"\n", t, 4242, id, rss, rss-40*mib, rss+int64(i%7)*9*mib)
	}
	return buf.Bytes()
}

// BenchmarkStreamJob streams the diagnostics file of one CI job as
// internal/jobgen writes it for batch's benchmark (500 tests, the kill
// partway: some 800 records, 150 KB), each iteration a fresh Stream call
// as batch makes one per job, so that the per-call setup counts as it
// does there.
func BenchmarkStreamJob(b *testing.B) {
	data := diagJobInput()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		n := 0
		_, err := Stream(bytes.NewReader(data), Options{Name: "diagnostics.jsonl"}, func(string, *Record) { n++ })
		if err != nil || n < 100 {
			b.Fatalf("%d records, %v", n, err)
		}
	}
}

// diagJobInput is the diagnostics file of internal/jobgen's job of seed 1.
func diagJobInput() []byte {
	for _, f := range jobgen.Job(rand.New(rand.NewSource(1)), 500) {
		if f.Name == "diagnostics.jsonl" {
			return f.Data
		}
	}
	panic("jobgen wrote no diagnostics.jsonl")
}

// BenchmarkStreamJobInPlace is BenchmarkStreamJob of the file held in
// memory, as discover holds a small file it read whole: StreamBytes reads
// it in place, where Stream copies it into its reader's buffer.
func BenchmarkStreamJobInPlace(b *testing.B) {
	data := diagJobInput()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		n := 0
		_, err := StreamBytes(data, Options{Name: "diagnostics.jsonl"}, func(string, *Record) { n++ })
		if err != nil || n < 100 {
			b.Fatalf("%d records, %v", n, err)
		}
	}
}
