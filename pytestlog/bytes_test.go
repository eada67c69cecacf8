package pytestlog

import (
	"bytes"
	"io/fs"
	"math/rand"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/oomlens/oomlens/internal/jobgen"
)

// sameFromBytes fails unless ParseBytes of data gives what Parse of a
// reader over it gives, leaves data as it was, and keeps nothing of it:
// the Log is the same after data is overwritten, as a batch worker's
// buffer is by its next job.
func sameFromBytes(t *testing.T, what string, data []byte, opts Options) {
	t.Helper()
	held := bytes.Clone(data)
	got := ParseBytes(held, opts)
	if !bytes.Equal(held, data) {
		t.Fatalf("%s: ParseBytes wrote into its input", what)
	}
	clear(held)
	want, err := Parse(bytes.NewReader(data), opts)
	if err != nil {
		t.Fatalf("%s: Parse: %v", what, err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%s: ParseBytes and Parse differ:\nParseBytes %+v\nParse      %+v", what, got, want)
	}
}

// TestParseBytesAgrees holds ParseBytes to Parse on every sample, a batch
// job's log, and lines at the edges of Parse's buffer (64 KiB) and of
// MaxLineBytes, with and without a final newline.
func TestParseBytesAgrees(t *testing.T) {
	collect := suiteCollect(t)
	for _, f := range sampleFiles(t) {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		sameFromBytes(t, f, data, Options{Name: f})
		sameFromBytes(t, f+" with the collect list", data, Options{Name: f, Collect: collect})
	}
	for _, f := range jobgen.Job(rand.New(rand.NewSource(1)), 500) {
		sameFromBytes(t, f.Name, f.Data, Options{Name: f.Name})
	}
	for name, data := range realInputs(t) {
		sameFromBytes(t, name, data, Options{Name: name})
	}
	head := "============================= test session starts ==============================\n"
	for _, n := range []int{copyBlockBytes - 2, copyBlockBytes - 1, copyBlockBytes, copyBlockBytes + 1, 64<<10 - 1, 64 << 10, 64<<10 + 1, MaxLineBytes - 1, MaxLineBytes, MaxLineBytes + 1, MaxLineBytes + 2, 3 * MaxLineBytes / 2} {
		long := "tests/test_a.py::test_" + strings.Repeat("x", n-len("tests/test_a.py::test_"))
		for _, tail := range []string{"", "\n", " PASSED\n", "\ntests/test_a.py::test_b PASSED\n"} {
			sameFromBytes(t, "long line", []byte(head+long+tail), Options{})
		}
	}
	for _, data := range []string{"", "\n", "\n\n", "no newline", "a\r\nb\r\n", "\x00\xff"} {
		sameFromBytes(t, "edge case", []byte(data), Options{})
	}
	job := jobPytestLog()
	for _, tail := range []string{"a\rtests/t.py::x PASSED\n", "\x1b[31mtests/t.py::x FAILED\x1b[0m\n", "tests/t.py::x PASSED\r\n"} {
		// a '\r' or an escape in the last block only, at a block's edge
		for _, at := range []int{0, copyBlockBytes - len(job)%copyBlockBytes} {
			data := append(append(bytes.Clone(job), bytes.Repeat([]byte{'\n'}, at)...), tail...)
			sameFromBytes(t, "escape in a later block", data, Options{})
		}
	}
	// around blockInputBytes: in blocks, then line by line.
	for _, n := range []int{blockInputBytes, blockInputBytes + 1} {
		data := bytes.Repeat(job, n/len(job)+1)[:n]
		sameFromBytes(t, "input at blockInputBytes", data, Options{})
	}
}

// realInputs are whole inputs beside testdata's: the shared corpus beside
// the repository and twenty generated batch jobs (bench-out, git-ignored),
// when present.
func realInputs(t testing.TB) map[string][]byte {
	t.Helper()
	return readRoots(t, "../../shared/corpus", "../bench-out/jobs-1000-unzipped")
}

// readRoots reads every regular file under roots (a root that is absent
// gives nothing), of the batch jobs (folders named job-*) the first twenty
// of each root.
func readRoots(t testing.TB, roots ...string) map[string][]byte {
	t.Helper()
	inputs := map[string][]byte{}
	for _, root := range roots {
		jobs := 0
		filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return nil // an absent root
			}
			if d.IsDir() && strings.HasPrefix(d.Name(), "job-") {
				if jobs++; jobs > 20 {
					return filepath.SkipDir
				}
			}
			if !d.Type().IsRegular() {
				return nil
			}
			b, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			inputs[p] = b
			return nil
		})
	}
	return inputs
}

func FuzzParseBytes(f *testing.F) {
	for _, name := range sampleFiles(f) {
		if data, err := os.ReadFile(name); err == nil && len(data) < 16<<10 {
			f.Add(data)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		sameFromBytes(t, "fuzz", data, Options{})
		if len(data) < copyBlockBytes {
			// after a line that puts the edge of ParseBytes's first block
			// in its middle
			pad := append(bytes.Repeat([]byte{'x'}, copyBlockBytes-len(data)/2-1), '\n')
			sameFromBytes(t, "fuzz, across a block's edge", append(pad, data...), Options{})
		}
	})
}
