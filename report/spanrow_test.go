package report

import (
	"bytes"
	"math/rand"
	"reflect"
	"strings"
	"testing"

	"github.com/oomlens/oomlens/correlate"
)

// TestSpanRowWriter: a timeline row written by hand is byte for byte the
// encoder's at the timeline's depth, for strings of every kind (escapes,
// control characters, HTML characters, invalid UTF-8, U+2028), null and
// set pointers, and any number; and TestSpan has the fields the writer
// writes.
func TestSpanRowWriter(t *testing.T) {
	if n := reflect.TypeOf(correlate.TestSpan{}).NumField(); n != spanRowFields {
		t.Fatalf("TestSpan has %d fields, spanRowWriter writes %d: write the new ones", n, spanRowFields)
	}
	strs := []string{"", "tests/test_a.py::test_x[1-2]", "a\"b", `back\slash`, "tab\there", "nl\nx", "cr\rx", "\b\f\x00\x1f\x7f",
		"<script>&amp;</script>", "é ü 漢字", "\xff\xfe bad", "line\u2028sep\u2029", "2026-12-05T21:00:00.123456789Z", "in-flight", "x:y,z{}[]"}
	i64 := func(v int64) *int64 { return &v }
	sp := func(s string) *string { return &s }
	rng := rand.New(rand.NewSource(1))
	var spans []correlate.TestSpan
	for k := 0; k < 2000; k++ {
		s := correlate.TestSpan{Test: strs[rng.Intn(len(strs))], Worker: strs[rng.Intn(len(strs))], PID: rng.Intn(1 << 22),
			Outcome: strs[rng.Intn(len(strs))]}
		if k%3 == 0 {
			s.PID = -s.PID
		}
		if rng.Intn(2) == 0 {
			s.Start = sp(strs[rng.Intn(len(strs))])
		}
		if rng.Intn(2) == 0 {
			s.End = sp(strs[rng.Intn(len(strs))])
		}
		for _, p := range []**int64{&s.RSSBeforeBytes, &s.RSSAfterBytes, &s.PeakBytes} {
			switch rng.Intn(3) {
			case 1:
				*p = i64(rng.Int63())
			case 2:
				*p = i64(-rng.Int63n(1000))
			}
		}
		// random bytes, now and then
		if k%7 == 0 {
			b := make([]byte, rng.Intn(12))
			rng.Read(b)
			s.Test = string(b)
		}
		spans = append(spans, s)
	}
	var w spanRowWriter
	var want bytes.Buffer
	enc := newJSONEncoder(&want, "    ")
	for i := range spans {
		want.Reset()
		if err := enc.Encode(&spans[i]); err != nil {
			t.Fatal(err)
		}
		got, err := w.row(&spans[i])
		if err != nil {
			t.Fatal(err)
		}
		if w := strings.TrimSuffix(want.String(), "\n"); string(got) != w {
			t.Fatalf("span %d (%+v):\n got %q\nwant %q", i, spans[i], got, w)
		}
	}
}
