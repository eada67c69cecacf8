package discover

import (
	"bytes"
	"compress/gzip"
	"io"
	"math/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/oomlens/oomlens/internal/cputime"
	"github.com/oomlens/oomlens/internal/jobgen"
)

// TestBuffersReuse: a released buffer is handed out again for a need of
// about its size, not for one much smaller or larger, and what Release
// keeps is capped.
func TestBuffersReuse(t *testing.T) {
	var b Buffers
	first := b.get(100 << 10)
	if len(first) != 100<<10 || cap(first) != 100<<10 {
		t.Fatalf("get: len %d cap %d", len(first), cap(first))
	}
	b.Release()
	if again := b.get(90 << 10); &again[0] != &first[0] || cap(again) != 90<<10 {
		t.Error("a released buffer of about the size needed was not reused")
	}
	if big := b.get(300 << 10); &big[0] == &first[0] {
		t.Error("a buffer too small was handed out")
	}
	b.Release()
	if small := b.get(1 << 10); &small[0] == &first[0] {
		t.Error("a buffer much larger than needed was spent on a small need")
	}
	b.Release()
	for range 2 * maxKeptBuffers {
		b.get(1 << 20)
	}
	b.Release()
	kept := 0
	for _, f := range b.free {
		kept += cap(f)
	}
	if len(b.free) > maxKeptBuffers || kept > maxKeptBufferBytes {
		t.Errorf("kept %d buffers of %d bytes, over the caps", len(b.free), kept)
	}
	var none *Buffers
	if n := none.get(10); len(n) != 10 {
		t.Errorf("nil Buffers: len %d", len(n))
	}
	none.Release()
}

// TestSmallFilesReadWhole: a small file is read whole into memory, plain or
// compressed, and read back from there the same as from its file; one that
// holds more than its stat said (it grew) is read from its file.
func TestSmallFilesReadWhole(t *testing.T) {
	dir := t.TempDir()
	text := strings.Repeat("[ 5864.708440] Out of memory: Killed process 996 (python)\n", 2000) // > HeadBytes
	var z bytes.Buffer
	zw := gzip.NewWriter(&z)
	zw.Write([]byte(text))
	zw.Close()
	files := map[string][]byte{"plain.log": []byte(text), "small.log": []byte("x\n"), "empty.log": nil, "kern.log.gz": z.Bytes()}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, bufs := range []*Buffers{nil, {}} {
		set := &Set{}
		for name, data := range files {
			p := filepath.Join(dir, name)
			in := set.openFile(name, p, int64(len(data)), bufs)
			want := text
			if name != "plain.log" && name != "kern.log.gz" {
				want = string(data)
			}
			if in.Unreadable || in.Data() == nil || in.File() != p {
				t.Fatalf("%s: unreadable %v, data %d bytes, file %q: not read whole", name, in.Unreadable, len(in.Data()), in.File())
			}
			if !strings.HasPrefix(want, string(in.Head)) || len(in.Head) != min(len(want), HeadBytes) {
				t.Errorf("%s: head of %d bytes is not the content's", name, len(in.Head))
			}
			rc, err := in.Open()
			if err != nil {
				t.Fatal(err)
			}
			got, _ := io.ReadAll(rc)
			rc.Close()
			if string(got) != want {
				t.Errorf("%s: read back %d bytes, want %d", name, len(got), len(want))
			}
		}
		// It shrank since its stat: the first read is short of the stat's
		// size, and the reads go on to the end (readWhole).
		shrunk := set.openFile("small.log", filepath.Join(dir, "small.log"), 1000, bufs)
		if string(shrunk.Data()) != "x\n" || !shrunk.whole {
			t.Errorf("a file smaller than its stat said: data %q, whole %v", shrunk.Data(), shrunk.whole)
		}
		// It grew since its stat: read from the file, all of it.
		p := filepath.Join(dir, "plain.log")
		in := set.openFile("plain.log", p, 100, bufs)
		if in.Data() != nil {
			t.Error("a file larger than its stat said was taken whole at the stat's size")
		}
		rc, _ := in.Open()
		got, _ := io.ReadAll(rc)
		rc.Close()
		if string(got) != text {
			t.Errorf("grown file: read back %d bytes, want %d", len(got), len(text))
		}
		bufs.Release()
	}
}

// BenchmarkWalkJobFolder is the reading of one batch job's folder
// (internal/jobgen: pytest log, kernel log, diagnostics), into reused
// Buffers as batch reads it: system calls, mostly.
func BenchmarkWalkJobFolder(b *testing.B) {
	dir := b.TempDir()
	if err := jobgen.WriteDir(dir, jobgen.Job(rand.New(rand.NewSource(1)), 500)); err != nil {
		b.Fatal(err)
	}
	var bufs Buffers
	b.ReportAllocs()
	for b.Loop() {
		set, err := Walk([]string{dir}, Options{Buffers: &bufs})
		if err != nil || len(set.Inputs) != 3 {
			b.Fatalf("%v, %d inputs", err, len(set.Inputs))
		}
		set.Cleanup()
		bufs.Release()
	}
}

// batchJobsDir is scripts/bench-batch.sh's first 1,000 jobs (half zipped),
// made by scripts/genjobs; the benchmarks over them skip when it is absent.
const batchJobsDir = "../bench-out/jobs-10000-first1000"

// BenchmarkWalkBatchJobs is Walk over 100 jobs of batchJobsDir, zipped and
// folders apart, into reused Buffers as batch reads them: ns/job is per
// job read (system calls, and inflating the zipped ones).
func BenchmarkWalkBatchJobs(b *testing.B) {
	entries, err := os.ReadDir(batchJobsDir)
	if err != nil {
		b.Skip(err)
	}
	var zips, dirs []string
	for _, e := range entries[:min(len(entries), 100)] {
		p := filepath.Join(batchJobsDir, e.Name())
		if e.IsDir() {
			dirs = append(dirs, p)
		} else {
			zips = append(zips, p)
		}
	}
	for _, c := range []struct {
		name string
		jobs []string
	}{{"zip", zips}, {"folder", dirs}} {
		b.Run(c.name, func(b *testing.B) {
			var bufs Buffers
			b.ReportAllocs()
			cpu := cputime.Process(b)
			for b.Loop() {
				for _, p := range c.jobs {
					set, err := Walk([]string{p}, Options{Label: filepath.Base(p), Buffers: &bufs})
					if err != nil || len(set.Inputs) != 3 {
						b.Fatalf("%s: %v, %d inputs", p, err, len(set.Inputs))
					}
					set.Cleanup()
					bufs.Release()
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(c.jobs)), "ns/job")
			// The CPU time of the process, system calls included: on a
			// shared machine steadier than the wall time.
			b.ReportMetric(float64(cputime.Process(b)-cpu)/float64(b.N*len(c.jobs)), "cpu-ns/job")
		})
	}
}
