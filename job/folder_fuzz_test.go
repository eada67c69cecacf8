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
	f.Fuzz(func(t *testing.T, data []byte) {
		dir := t.TempDir()
		var names []string
		for i := 0; i+4 <= len(data) && i < 32; i += 4 {
			s := samples[int(data[i])%len(samples)]
			b := append([]byte(nil), s[:len(s)*int(data[i+1])/255]...)
			switch data[i+2] % 5 {
			case 1:
				b = append(b, 0, 0, 0, 0)
			case 2:
				if len(b) > 0 {
					b[int(data[i+3])*len(b)/256] ^= 0x80
				}
			case 3, 4:
				var gz bytes.Buffer
				zw := gzip.NewWriter(&gz)
				zw.Write(b)
				zw.Close()
				b = gz.Bytes()
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
