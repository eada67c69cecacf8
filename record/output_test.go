package record

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// stampAll feeds data to one stream of a stamped log in chunks of chunk bytes
// and returns the file's content.
func stampAll(t testing.TB, data []byte, chunk, maxPending int) []byte {
	return stampAllTo(t, filepath.Join(t.TempDir(), "out.log"), data, chunk, maxPending)
}

// stampAllTo is stampAll writing to path (made or emptied first).
func stampAllTo(t testing.TB, path string, data []byte, chunk, maxPending int) []byte {
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	l := newStampedLog(f)
	l.maxPending = maxPending
	tick := time.Date(2026, 11, 26, 10, 11, 12, 123456700, time.UTC)
	l.now = func() time.Time { tick = tick.Add(time.Millisecond); return tick }
	s := l.stream()
	for len(data) > 0 {
		n := min(chunk, len(data))
		s.write(data[:n])
		data = data[n:]
	}
	s.close()
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// checkStamped checks that out is data with one stamp before each line and a
// newline added to a last line that had none.
func checkStamped(t testing.TB, data, out []byte) {
	want := data
	if len(want) > 0 && want[len(want)-1] != '\n' {
		want = append(append([]byte(nil), want...), '\n')
	}
	var got []byte
	var prev string
	for len(out) > 0 {
		m := stampRe.FindSubmatch(out)
		if m == nil {
			t.Fatalf("line without stamp: %q", out[:min(len(out), 80)])
		}
		if string(m[1]) < prev {
			t.Fatalf("stamp %s after %s", m[1], prev)
		}
		prev = string(m[1])
		out = out[len(m[0]):]
		nl := bytes.IndexByte(out, '\n')
		if nl < 0 {
			t.Fatalf("no newline after the last stamp")
		}
		got = append(got, out[:nl+1]...)
		out = out[nl+1:]
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("lines = %q, want %q", got, want)
	}
}

func TestStampedLogChunking(t *testing.T) {
	for _, tc := range []struct {
		data       string
		chunk      int
		maxPending int
	}{
		{"", 4, 1 << 20},
		{"one\ntwo\n", 1, 1 << 20},
		{"one\ntwo\n", 100, 1 << 20},
		{"partial", 3, 1 << 20},
		{"\n\n\n", 2, 1 << 20},
		{"a long line past the bound\nshort\n", 5, 8},
		{"a long unfinished line past the bound", 4, 8},
		{"x\r\nprogress 10%\rprogress 100%\n", 7, 1 << 20},
	} {
		checkStamped(t, []byte(tc.data), stampAll(t, []byte(tc.data), tc.chunk, tc.maxPending))
	}
	// One stamp per line: the bound-crossing line is not split.
	out := stampAll(t, []byte("0123456789abcdef\nz\n"), 3, 4)
	if c := bytes.Count(out, []byte("Z ")); c != 2 {
		t.Errorf("%d stamps, want 2: %q", c, out)
	}
}

func FuzzStampedLog(f *testing.F) {
	f.Add([]byte("one\ntwo\nthree"), 3, 8)
	f.Add([]byte("============================= test session starts ==============================\ntests/test_x.py::test_a PASSED [ 10%]\n"), 17, 1<<20)
	f.Add([]byte("\n\n\x00\xff\r\n"), 1, 1)
	// One output file per fuzzing process, emptied for each input: a
	// temporary folder made and removed per input was most of its time.
	path := filepath.Join(f.TempDir(), "out.log")
	f.Fuzz(func(t *testing.T, data []byte, chunk, maxPending int) {
		if chunk <= 0 || chunk > 1<<16 || maxPending < 0 || maxPending > 1<<20 {
			return
		}
		checkStamped(t, data, stampAllTo(t, path, data, chunk, maxPending))
	})
}

func FuzzParseStat(f *testing.F) {
	for _, s := range []string{
		"1234 (python3) S 1200 1234 1200 0 -1 4194304 100 0 0 0 5 2 0 0 20 0 1 0 98765 1000 200",
		"7 (a) b (c)) R 6 7 7 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 42 0 0",
	} {
		f.Add([]byte(s))
	}
	if b, err := os.ReadFile("/proc/self/stat"); err == nil {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		st, err := parseStat(b)
		if err == nil && !bytes.Contains(b, []byte("("+st.Comm+")")) {
			t.Errorf("comm %q not in the input", st.Comm)
		}
	})
}

// TestNodeLineKicks checks which ended lines ask the sampler for a reading:
// a line that names a pytest node id ("::"), also when the "::" or the line
// is split over chunks, and not a line without one or an unfinished line.
func TestNodeLineKicks(t *testing.T) {
	for _, tc := range []struct {
		name   string
		chunks []string
		kicks  int
	}{
		{"verbose result", []string{"test_a.py::test_x PASSED   [ 50%]\n"}, 1},
		{"newline alone ends the line", []string{"test_a.py::test_x PASSED", "\n"}, 1},
		{"next node id after the newline", []string{"[ 12%]\ntest_b.py::test_y "}, 0},
		{"then its own newline", []string{"[ 12%]\ntest_b.py::test_y ", "PASSED\n"}, 1},
		{"colons split over chunks", []string{"test_a.py:", ":test_x PASSED\n"}, 1},
		{"xdist", []string{"[gw0] [ 50%] PASSED test_a.py::test_x \n"}, 1},
		{"plain lines", []string{"collecting ... collected 2 items\n", "\n", "a: b\n"}, 0},
		{"unfinished", []string{"test_a.py::test_x "}, 0},
		{"two result lines, one chunk", []string{"a.py::x PASSED\nb.py::y PASSED\n"}, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, err := os.Create(filepath.Join(t.TempDir(), "out.log"))
			if err != nil {
				t.Fatal(err)
			}
			l := newStampedLog(f)
			kick := make(chan struct{}, 1)
			l.kick = kick
			s := l.stream()
			n := 0
			for _, c := range tc.chunks {
				s.write([]byte(c))
				select {
				case <-kick:
					n++
				default:
				}
			}
			l.Close()
			if n != tc.kicks {
				t.Errorf("%d readings asked for, want %d", n, tc.kicks)
			}
		})
	}
}

// TestStampIsReadTime checks that a chunk is stamped with the time it was
// read (writeAt), and that a chunk of another stream read a moment earlier
// but written later takes the later stamp, so stamps never go back.
func TestStampIsReadTime(t *testing.T) {
	path := filepath.Join(t.TempDir(), "out.log")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	l := newStampedLog(f)
	l.now = func() time.Time { t.Fatal("stamped with now, not the read time"); return time.Time{} }
	t0 := time.Date(2026, 11, 26, 10, 11, 12, 0, time.UTC)
	a, b := l.stream(), l.stream()
	a.writeAt([]byte("one\n"), t0.Add(5*time.Millisecond))
	b.writeAt([]byte("two\n"), t0.Add(2*time.Millisecond))
	a.writeAt([]byte("three\n"), t0.Add(9*time.Millisecond))
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(path)
	want := "2026-11-26T10:11:12.0050000Z one\n2026-11-26T10:11:12.0050000Z two\n2026-11-26T10:11:12.0090000Z three\n"
	if string(got) != want {
		t.Errorf("output.log =\n%s\nwant\n%s", got, want)
	}
}
