package pytestlog

import (
	"bytes"
	"fmt"
	"io"
	"math/rand"
	"strings"
	"testing"

	"github.com/oomlens/oomlens/internal/jobgen"
)

// benchLog is a GitHub Actions-stamped -v run: per test a result line and
// four lines of captured output, the mix a long CI log has.
func benchLog(tests int) []byte {
	var b bytes.Buffer
	b.WriteString("2026-01-05T10:11:12.1234567Z ============================= test session starts ==============================\n")
	b.WriteString("2026-01-05T10:11:12.1234567Z collecting ... collected 1000 items\n")
	for i := range tests {
		fmt.Fprintf(&b, "2026-01-05T10:11:12.1234567Z tests/pkg/test_mod%d.py::TestClass::test_case[param-%d-x] PASSED [ %2d%%]\n", i%50, i, i%100)
		for j := range 4 {
			fmt.Fprintf(&b, "2026-01-05T10:11:12.1234567Z INFO     app.worker:worker.py:%d processed batch %d of %d in 0.%03ds\n", j, i, j, i%1000)
		}
	}
	b.WriteString("2026-01-05T10:11:12.1234567Z tests/pkg/test_last.py::test_big \n2026-01-05T10:11:13.1234567Z ##[error]Process completed with exit code 137.\n")
	return b.Bytes()
}

func BenchmarkParse(b *testing.B) {
	data := benchLog(20000)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		l, err := Parse(bytes.NewReader(data), Options{Name: "bench"})
		if err != nil || len(l.Sessions) != 1 || len(l.Sessions[0].Tests) != 20000 || l.Sessions[0].End.Kind != EndSIGKILL {
			b.Fatalf("%v %+v", err, l.Sessions)
		}
	}
}

// BenchmarkParseOutput is a log of output lines only (no results): the cost
// of the lines a multi-GB CI log is mostly made of, with no growth.
func BenchmarkParseOutput(b *testing.B) {
	line := []byte("2026-01-05T10:11:12.1234567Z INFO     app.worker:worker.py:12 processed batch 1234 of 5678 in 0.123s\n")
	const n = 100000
	b.SetBytes(int64(len(line) * n))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(io.LimitReader(&repeatReader{line: line}, int64(len(line)*n)), Options{Name: "bench"}); err != nil {
			b.Fatal(err)
		}
	}
}

// repeatReader repeats line forever, keeping its place across reads.
type repeatReader struct {
	line []byte
	off  int
}

func (r *repeatReader) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		c := copy(p[n:], r.line[r.off:])
		n += c
		r.off = (r.off + c) % len(r.line)
	}
	return n, nil
}

// BenchmarkParseStream1GiB streams 1 GiB of output lines between an
// unfinished -v test and the shell's "Killed": memory stays flat (run with
// -benchtime 1x and look at the max RSS), and both ends are still found.
func BenchmarkParseStream1GiB(b *testing.B) {
	line := []byte("2026-01-05T10:11:12.1234567Z INFO     app.worker:worker.py:12 processed batch 1234 of 5678 in 0.123s\n")
	n := int64(1<<30) / int64(len(line)) * int64(len(line))
	b.SetBytes(n)
	for b.Loop() {
		r := io.MultiReader(strings.NewReader("collected 3 items\n\ntests/a.py::t1 PASSED [ 33%]\ntests/a.py::t2 \n"),
			io.LimitReader(&repeatReader{line: line}, n), strings.NewReader("Killed\n"))
		l, err := Parse(r, Options{Name: "big"})
		if err != nil || len(l.Sessions) != 1 || l.Sessions[0].End.Kind != EndSIGKILL || len(l.Sessions[0].InFlight) != 1 || l.Sessions[0].InFlight[0].Test != "tests/a.py::t2" {
			b.Fatalf("%v %+v", err, l.Sessions)
		}
	}
}

// verboseRun is a plain `pytest -v` run (no CI prefix) with the result words
// padded to the progress column, as scripts/genjobs writes for the batch
// benchmark, killed in its last test.
func verboseRun(tests int) []byte {
	var b bytes.Buffer
	b.WriteString("============================= test session starts ==============================\n" +
		"platform linux -- Python 3.11.2, pytest-7.2.1, pluggy-1.0.0 -- /usr/bin/python3\n" +
		"cachedir: .pytest_cache\nrootdir: /builds/project\nplugins: xdist-3.1.0\n")
	fmt.Fprintf(&b, "collecting ... collected %d items\n\n", tests)
	for i := range tests - 1 {
		name := fmt.Sprintf("tests/test_mod%02d.py::test_case_%04d[param-%d]", i/40, i, i%7)
		fmt.Fprintf(&b, "%s PASSED %*s[%3d%%]\n", name, max(1, 70-len(name)), "", (i+1)*100/tests)
	}
	b.WriteString("tests/test_last.py::test_big Killed\n##[error]Process completed with exit code 137.\n")
	return b.Bytes()
}

func BenchmarkParseVerbose(b *testing.B) {
	data := verboseRun(500)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		l, err := Parse(bytes.NewReader(data), Options{Name: "bench"})
		if err != nil || len(l.Sessions) != 1 || len(l.Sessions[0].Tests) != 499 || l.Sessions[0].End.Kind != EndSIGKILL ||
			len(l.Sessions[0].InFlight) != 1 || l.Sessions[0].InFlight[0].Test != "tests/test_last.py::test_big" {
			b.Fatalf("%v %+v", err, l.Sessions)
		}
	}
}

// BenchmarkSniff is Sniff over the inputs of a batch job (internal/jobgen):
// its pytest log, and its kernel log, which Sniff must rule out; and
// SniffCollect, which job.Sniff tries on both as well.
func BenchmarkSniff(b *testing.B) {
	files := jobgen.Job(rand.New(rand.NewSource(1)), 500)
	for _, f := range files {
		if f.Name == "diagnostics.jsonl" {
			continue // JSON: Sniff is not offered it
		}
		head := f.Data[:min(len(f.Data), 64<<10)]
		b.Run(f.Name, func(b *testing.B) {
			b.SetBytes(int64(len(head)))
			for b.Loop() {
				Sniff(head)
			}
		})
		b.Run(f.Name+"/collect", func(b *testing.B) {
			b.SetBytes(int64(len(head)))
			for b.Loop() {
				SniffCollect(head)
			}
		})
	}
}

// BenchmarkParseJob is Parse over a batch job's pytest log (internal/jobgen,
// the pytest.log of bench-out/jobs-10000*/job-00001): a -v session header,
// ~394 plain result lines padded to the progress column, killed in its
// last test. Unlike BenchmarkParseVerbose it is exactly what batch reads.
func BenchmarkParseJob(b *testing.B) {
	data := jobPytestLog()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		l, err := Parse(bytes.NewReader(data), Options{Name: "pytest.log"})
		if err != nil {
			b.Fatal(err)
		}
		checkJobLog(b, l)
	}
}

// BenchmarkParseBytesJob is BenchmarkParseJob read in place (ParseBytes),
// as job.Load reads a file it holds whole.
func BenchmarkParseBytesJob(b *testing.B) {
	data := jobPytestLog()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		checkJobLog(b, ParseBytes(data, Options{Name: "pytest.log"}))
	}
}

// jobPytestLog is the pytest.log of internal/jobgen's job of seed 1.
func jobPytestLog() []byte {
	for _, f := range jobgen.Job(rand.New(rand.NewSource(1)), 500) {
		if f.Name == "pytest.log" {
			return f.Data
		}
	}
	return nil
}

// checkJobLog fails unless l is jobPytestLog's session, killed in a test.
func checkJobLog(b *testing.B, l *Log) {
	b.Helper()
	if len(l.Sessions) != 1 || len(l.Sessions[0].InFlight) != 1 || l.Sessions[0].End.Kind != EndSIGKILL {
		b.Fatalf("%+v", l.Sessions)
	}
}

// BenchmarkSniffKernel is Sniff alone over a batch job's kernel log head
// (internal/jobgen): the head of every input that is not pytest's is
// sniffed, and Sniff must read all of it to rule it out.
func BenchmarkSniffKernel(b *testing.B) {
	var head []byte
	for _, f := range jobgen.Job(rand.New(rand.NewSource(1)), 500) {
		if f.Name == "kernel.log" {
			head = f.Data[:min(len(f.Data), 64<<10)]
		}
	}
	b.SetBytes(int64(len(head)))
	for b.Loop() {
		if Sniff(head) {
			b.Fatal("Sniff takes a kernel log")
		}
	}
}

// BenchmarkSniffJob is what job.SniffNamed asks of this package for each
// batch job (internal/jobgen): Sniff and SniffCollect of its kernel log's
// head and of its pytest log's head (the diagnostics JSONL is claimed by
// diagnostics.Sniff before them). Each sub-benchmark is one of the four.
func BenchmarkSniffJob(b *testing.B) {
	heads := map[string][]byte{}
	for _, f := range jobgen.Job(rand.New(rand.NewSource(1)), 500) {
		heads[f.Name] = f.Data[:min(len(f.Data), 64<<10)]
	}
	for _, c := range []struct {
		name  string
		sniff func([]byte) bool
		head  []byte
		want  bool
	}{
		{"kernel-Sniff", Sniff, heads["kernel.log"], false},
		{"kernel-SniffCollect", SniffCollect, heads["kernel.log"], false},
		{"pytest-Sniff", Sniff, heads["pytest.log"], true},
		{"pytest-SniffCollect", SniffCollect, heads["pytest.log"], false},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(int64(len(c.head)))
			for b.Loop() {
				if c.sniff(c.head) != c.want {
					b.Fatalf("%s is not %v", c.name, c.want)
				}
			}
		})
	}
}
