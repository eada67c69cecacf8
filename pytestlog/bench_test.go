package pytestlog

import (
	"bytes"
	"fmt"
	"io"
	"testing"
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
		if _, err := Parse(io.LimitReader(repeatReader(line), int64(len(line)*n)), Options{Name: "bench"}); err != nil {
			b.Fatal(err)
		}
	}
}

type repeatReader []byte

func (r repeatReader) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		n += copy(p[n:], r)
	}
	return n, nil
}
