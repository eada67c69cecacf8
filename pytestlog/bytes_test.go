package pytestlog

import (
	"bytes"
	"math/rand"
	"os"
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
	head := "============================= test session starts ==============================\n"
	for _, n := range []int{64<<10 - 1, 64 << 10, 64<<10 + 1, MaxLineBytes - 1, MaxLineBytes, MaxLineBytes + 1, MaxLineBytes + 2, 3 * MaxLineBytes / 2} {
		long := "tests/test_a.py::test_" + strings.Repeat("x", n-len("tests/test_a.py::test_"))
		for _, tail := range []string{"", "\n", " PASSED\n", "\ntests/test_a.py::test_b PASSED\n"} {
			sameFromBytes(t, "long line", []byte(head+long+tail), Options{})
		}
	}
	for _, data := range []string{"", "\n", "\n\n", "no newline", "a\r\nb\r\n", "\x00\xff"} {
		sameFromBytes(t, "edge case", []byte(data), Options{})
	}
}

func FuzzParseBytes(f *testing.F) {
	for _, name := range sampleFiles(f) {
		if data, err := os.ReadFile(name); err == nil && len(data) < 16<<10 {
			f.Add(data)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		sameFromBytes(t, "fuzz", data, Options{})
	})
}
