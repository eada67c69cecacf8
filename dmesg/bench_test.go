package dmesg

import (
	"bytes"
	"fmt"
	"math/rand"
	"os"
	"testing"

	"github.com/oomlens/oomlens/internal/jobgen"
)

// BenchmarkParse parses 64 MiB of generated kernel log (noise with real
// records spliced in); set DMESG_BENCH_FILE to parse a file instead (for
// example the 1 GiB file of scripts/bench-kernel.sh).
func BenchmarkParse(b *testing.B) {
	var data []byte
	if f := os.Getenv("DMESG_BENCH_FILE"); f != "" {
		var err error
		if data, err = os.ReadFile(f); err != nil {
			b.Fatal(err)
		}
	} else {
		recs := recordLines(b)
		r := rand.New(rand.NewSource(1))
		var buf bytes.Buffer
		for buf.Len() < 64<<20 {
			buf.Write(generateNoise(r, 1<<20))
			rec := recs[r.Intn(len(recs))]
			for _, l := range rec {
				buf.WriteString(l)
				buf.WriteByte('\n')
			}
		}
		data = buf.Bytes()
	}
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := Parse(bytes.NewReader(data), Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkParseSmall is the per-call cost on a one-record log.
func BenchmarkParseSmall(b *testing.B) {
	data := corpus(b)["26-npd-issue480-4.19-vs-5.4-kill-lines.log"]
	for i := 0; i < b.N; i++ {
		if _, err := Parse(bytes.NewReader(data), Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

// jobFile returns the file called name of the CI job internal/jobgen makes
// from seed (500 tests).
func jobFile(seed int64, name string) []byte {
	for _, f := range jobgen.Job(rand.New(rand.NewSource(seed)), 500) {
		if f.Name == name {
			return f.Data
		}
	}
	return nil
}

// TestJobLogs checks Parse on the inputs batch gives it for every job (the
// input of BenchmarkParseJob among them) against the reference reading,
// and that a job's kernel log makes its one kill.
func TestJobLogs(t *testing.T) {
	for seed := int64(1); seed <= 5; seed++ {
		for _, name := range []string{"kernel.log", "pytest.log", "diagnostics.jsonl"} {
			data := jobFile(seed, name)
			what := fmt.Sprintf("job %d %s", seed, name)
			sameLog(t, what, data, Options{Name: name}, defaultLimits)
			sameLog(t, what+", small blocks", data, Options{Name: name}, limits{blockBytes: 512, maxLineBytes: 300})
		}
		lg, err := Parse(bytes.NewReader(jobFile(seed, "kernel.log")), Options{SizeHintBytes: int64(len(jobFile(seed, "kernel.log")))})
		if err != nil || len(lg.Events) != 1 || !lg.Events[0].HasKilledLine || lg.Events[0].Partial {
			t.Fatalf("job %d kernel.log: %v, %+v", seed, err, lg)
		}
	}
}

// BenchmarkParseJob is the per-job cost in batch: the kernel.log of one
// generated CI job (internal/jobgen: ~142 lines, ~9.5 KB, one memcg OOM
// record after noise), with the size hint batch gives for a file.
func BenchmarkParseJob(b *testing.B) {
	data := jobFile(1, "kernel.log")
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(bytes.NewReader(data), Options{SizeHintBytes: int64(len(data))}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkParseJobPytest is batch's other call per job: the pytest.log of
// the same job (~38 KB of `nodeid PASSED [ 87%]` lines ending in a
// `Killed` line and the runner's exit code 137), which Parse reads because
// a CI log may hold dmesg output pasted into it. It has no kernel record;
// its `Killed` line is a needle, so the look-back before it is read.
func BenchmarkParseJobPytest(b *testing.B) {
	data := jobFile(1, "pytest.log")
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(bytes.NewReader(data), Options{SizeHintBytes: int64(len(data))}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSniffJob is job.SniffNamed's call of Sniff on the heads (the
// whole file: discover.HeadBytes is 64 KiB) of the job's two text logs.
func BenchmarkSniffJob(b *testing.B) {
	for _, name := range []string{"kernel.log", "pytest.log"} {
		data := jobFile(1, name)
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				Sniff(data)
			}
		})
	}
}

func generateNoise(r *rand.Rand, n int) []byte {
	var b bytes.Buffer
	up := 100.0
	for b.Len() < n {
		up += r.Float64() / 100
		line := noise[r.Intn(6)]
		b.WriteString("Jul 11 05:57:14 host01 kernel: [")
		b.WriteString(formatUptime(up))
		b.WriteString("] ")
		b.WriteString(line)
		b.WriteByte('\n')
	}
	return b.Bytes()
}

func formatUptime(up float64) string {
	s := []byte("            ")
	v := int64(up * 1e6)
	i := len(s) - 1
	for d := 0; d < 6; d++ {
		s[i] = byte('0' + v%10)
		v /= 10
		i--
	}
	s[i] = '.'
	i--
	for v > 0 || i == len(s)-8 {
		s[i] = byte('0' + v%10)
		v /= 10
		i--
	}
	return string(s)
}

// BenchmarkParseBytesJob is BenchmarkParseJob and BenchmarkParseJobPytest
// read in place (ParseBytes), as job.Load reads a file it holds whole.
func BenchmarkParseBytesJob(b *testing.B) {
	for _, name := range []string{"kernel.log", "pytest.log"} {
		data := jobFile(1, name)
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := ParseBytes(data, Options{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
