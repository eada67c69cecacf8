package dmesg

import (
	"bytes"
	"reflect"
	"strings"
	"testing"
)

// sameFromBytes fails unless ParseBytes of data gives what Parse of a
// reader over it gives (the size hint job.Load passes, and none), leaves
// data as it was, and keeps nothing of it: the Log is the same after data
// is overwritten, as the worker's buffer is by the next job of a batch.
func sameFromBytes(t *testing.T, what string, data []byte) {
	t.Helper()
	held := bytes.Clone(data)
	got, gerr := ParseBytes(held, Options{Name: what})
	if !bytes.Equal(held, data) {
		t.Fatalf("%s: ParseBytes wrote into its input", what)
	}
	clear(held)
	for _, hint := range []int64{int64(len(data)), 0} {
		want, werr := Parse(bytes.NewReader(data), Options{Name: what, SizeHintBytes: hint})
		if (gerr == nil) != (werr == nil) || gerr != nil && gerr.Error() != werr.Error() {
			t.Fatalf("%s (hint %d): errors differ: ParseBytes %v, Parse %v", what, hint, gerr, werr)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("%s (hint %d): ParseBytes and Parse differ:\n%s", what, hint, diffLogs(got, want))
		}
	}
}

// TestParseBytesAgrees holds ParseBytes to Parse on every real sample, the
// files of generated jobs, and inputs at the edge of the first block, where
// ParseBytes stops reading in place.
func TestParseBytesAgrees(t *testing.T) {
	for name, data := range realSamples(t) {
		sameFromBytes(t, name, data)
	}
	for seed := int64(1); seed <= 3; seed++ {
		for _, name := range []string{"kernel.log", "pytest.log", "diagnostics.jsonl"} {
			sameFromBytes(t, name, jobFile(seed, name))
		}
	}
	record := jobFile(1, "kernel.log")
	for _, n := range []int{startBytes - 1, startBytes, startBytes + 1} {
		// noise, then the record ending exactly at the edge or past it
		pad := bytes.Repeat([]byte("x"), max(0, n-len(record)-1))
		sameFromBytes(t, "edge", append(append(pad, '\n'), record...)[:n])
		sameFromBytes(t, "edge, no record", bytes.Repeat([]byte("abcdefg\n"), n/8+1)[:n])
	}
	for _, data := range []string{"", "\n", "no newline", "\x00binary", strings.Repeat("\x01", 40), strings.Repeat("y", 70000)} {
		sameFromBytes(t, "edge case", []byte(data))
	}
}

func FuzzParseBytes(f *testing.F) {
	for _, data := range realSamples(f) {
		if len(data) < 8<<10 {
			f.Add(data)
		}
	}
	f.Add(jobFile(1, "kernel.log"))
	f.Fuzz(func(t *testing.T, data []byte) {
		sameFromBytes(t, "fuzz", data)
	})
}
