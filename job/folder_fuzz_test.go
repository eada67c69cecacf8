package job

import (
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/oomlens/oomlens/discover"
)

// fuzzRoot is a folder for FuzzJobFolder's job folders: in memory where
// /dev/shm is (writing and removing eight files per input on a disk was
// half the wall time of each input), else the test's temporary folder.
func fuzzRoot(f *testing.F) string {
	if dir, err := os.MkdirTemp("/dev/shm", "oomlens-fuzz-"); err == nil {
		f.Cleanup(func() { os.RemoveAll(dir) })
		return dir
	}
	return f.TempDir()
}

// fuzzSamples are the real inputs FuzzJobFolder damages and mixes.
var fuzzSamples = []string{
	"../testdata/corpus/kernel/03-oomanalyser-archlinux-6.1.1-global.log",
	"../testdata/pytest/verbose-killed.log",
	"../testdata/diagnostics/killed-leak.jsonl",
	"../testdata/weathercop/01-reference-sample-verbatim.log",
	"../testdata/pytest/xdist-verbose-worker-killed.junit.xml",
	"../testdata/pytest/suite.collect.txt",
	"../correlate/testdata/record-memcg-50ms/record.json",
}

// FuzzJobFolder builds a job folder from the fuzzer's bytes: each group of
// four bytes picks a real sample, a cut point, a damage (NUL bytes, a byte
// flipped, gzip, gzip cut off) and where to put it; the rest of the input
// is one more file as it is. The analysis must not panic, must end without
// an error (a damaged input is a warning), and must list every file in its
// inputs or in a warning naming it.
func FuzzJobFolder(f *testing.F) {
	samples := make([][]byte, len(fuzzSamples))
	for i, p := range fuzzSamples {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		samples[i] = b
	}
	f.Add([]byte{0, 255, 2, 0, 1, 128, 3, 0, 2, 100, 1, 9})
	f.Add([]byte{4, 50, 0, 0, 5, 10, 4, 0, 6, 200, 0, 0})
	f.Add([]byte("[ 5.0] Out of memory: Killed process 1 (x)\x00\xff"))
	// One folder per fuzzing process, emptied for each input (a new
	// temporary folder per input cost more than the analysis), and each
	// cut of each sample gzipped once (a gzip writer costs a megabyte).
	root := fuzzRoot(f)
	gzipped := map[[2]int][]byte{}
	var zw *gzip.Writer
	gz := func(sample, cut int, b []byte) []byte {
		k := [2]int{sample, cut}
		if z, ok := gzipped[k]; ok {
			return z
		}
		var buf bytes.Buffer
		if zw == nil {
			zw = gzip.NewWriter(&buf)
		} else {
			zw.Reset(&buf)
		}
		zw.Write(b)
		zw.Close()
		gzipped[k] = buf.Bytes()
		return buf.Bytes()
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		dir := filepath.Join(root, "job")
		if err := os.RemoveAll(dir); err != nil {
			t.Fatal(err)
		}
		if err := os.Mkdir(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		var names []string
		for i := 0; i+4 <= len(data) && i < 32; i += 4 {
			si, cut := int(data[i])%len(samples), int(data[i+1])
			s := samples[si]
			b := s[:len(s)*cut/255]
			switch data[i+2] % 5 {
			case 1:
				b = append(b[:len(b):len(b)], 0, 0, 0, 0)
			case 2:
				if len(b) > 0 {
					b = append([]byte(nil), b...)
					b[int(data[i+3])*len(b)/256] ^= 0x80
				}
			case 3, 4:
				b = gz(si, cut, b)
				if data[i+2]%5 == 4 {
					b = b[:len(b)*int(data[i+3])/256]
				}
			}
			name := fmt.Sprintf("f%02d", i/4)
			if data[i+3]%3 == 0 {
				name = filepath.Join("sub", name)
			}
			os.MkdirAll(filepath.Join(dir, filepath.Dir(name)), 0o755)
			if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
				t.Fatal(err)
			}
			names = append(names, filepath.Join(dir, name))
		}
		if rest := len(data) - len(data)/4*4; rest > 0 || len(names) == 0 {
			p := filepath.Join(dir, "raw")
			os.WriteFile(p, data, 0o644)
			names = append(names, p)
		}
		set, err := discover.Walk([]string{dir}, discover.Options{})
		if err != nil {
			t.Fatalf("Walk: %v", err)
		}
		defer set.Cleanup()
		rep, err := Analyze(set, Options{})
		var runs *RunsError
		if errors.As(err, &runs) {
			// Two samples of two different runs in one folder: refused, with
			// a message naming each run's files (a clear error, not a merge).
			if !strings.Contains(err.Error(), "run 1:") || !strings.Contains(err.Error(), "run 2:") {
				t.Fatalf("Analyze: a runs error that names no runs: %v", err)
			}
			return
		}
		if err != nil {
			t.Fatalf("Analyze: %v", err)
		}
		listed := map[string]bool{}
		var warned strings.Builder
		for _, in := range rep.Inputs {
			listed[in.Path] = true
			for _, w := range in.Warnings {
				warned.WriteString(w + "\n")
			}
		}
		for _, w := range rep.Warnings {
			warned.WriteString(w + "\n")
		}
		for _, n := range names {
			if !listed[n] && !strings.Contains(warned.String(), n) {
				t.Errorf("%s: neither an input nor named in a warning", n)
			}
		}
	})
}
