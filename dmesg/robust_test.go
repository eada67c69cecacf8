package dmesg

import (
	"bytes"
	"errors"
	"io"
	"math/rand"
	"strings"
	"testing"
	"testing/iotest"
)

// FuzzParse: Parse never panics, and it equals the reference reading.
func FuzzParse(f *testing.F) {
	for _, data := range corpus(f) {
		f.Add(data)
	}
	// The public corpus (issue 12). File 01 is 3.8 MB: its seed is the
	// window with the rows rsyslog mangled and the lost table header
	// (lines 14850–16300), which the whole file only repeats.
	for _, pf := range loadPublicCorpus(f) {
		data := pf.data
		if len(data) > 1<<20 {
			data = lineWindow(data, 14850, 16300)
		}
		f.Add(data)
	}
	f.Add([]byte("Out of memory: Killed process 1 (x) total-vm:1kB\n-- Boot x --\nLinux version 6\n[ 1.0] Tasks in /a are going to be killed due to memory.oom.group set"))
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, lim := range []limits{defaultLimits, {blockBytes: 64, maxLineBytes: 32}} {
			fast, ferr := parse(bytes.NewReader(data), Options{Name: "fuzz"}, lim)
			ref, rerr := parseReference(data, Options{Name: "fuzz"}, lim)
			if (ferr == nil) != (rerr == nil) {
				t.Fatalf("errors differ: %v / %v", ferr, rerr)
			}
			if ferr == nil && !deepEqual(fast, ref) {
				t.Fatalf("Parse and the reference reading differ:\n%s", diffLogs(fast, ref))
			}
		}
		// A size hint, right or short (the file grew after its stat),
		// changes the first read only.
		ref, rerr := parseReference(data, Options{Name: "fuzz"}, defaultLimits)
		for _, hint := range []int64{int64(len(data)), int64(len(data)/3) + 1} {
			hinted, herr := parse(bytes.NewReader(data), Options{Name: "fuzz", SizeHintBytes: hint}, defaultLimits)
			if (herr == nil) != (rerr == nil) {
				t.Fatalf("size hint %d: errors differ: %v / %v", hint, herr, rerr)
			}
			if herr == nil && !deepEqual(hinted, ref) {
				t.Fatalf("size hint %d: Parse and the reference reading differ:\n%s", hint, diffLogs(hinted, ref))
			}
		}
	})
}

// TestEveryBytePrefix parses every byte-prefix of every sample: no panic,
// and Parse = the reference reading.
func TestEveryBytePrefix(t *testing.T) {
	for name, data := range corpus(t) {
		step := 1
		if testing.Short() {
			step = 7
		}
		for n := 0; n <= len(data); n += step {
			lg, err := Parse(bytes.NewReader(data[:n]), Options{Name: name})
			if err != nil || lg == nil {
				t.Fatalf("%s[:%d]: %v", name, n, err)
			}
			if n%97 == 0 {
				sameLog(t, name, data[:n], Options{Name: name}, limits{blockBytes: 128, maxLineBytes: 128})
			}
		}
	}
}

func TestBadInput(t *testing.T) {
	t.Run("NUL-filled", badInputNulFilled)
	t.Run("binary", badInputBinary)
	t.Run("control bytes", badInputControlBytes)
	t.Run("10 MB line", badInput10MbLine)
	t.Run("random text", badInputRandomText)
	t.Run("no OOM records is not an error", badInputNoOomRecordsIsNotAnError)
	t.Run("read error", badInputReadError)
	t.Run("one byte at a time", badInputOneByteAtATime)
}

func badInputNulFilled(t *testing.T) {
	_, err := Parse(bytes.NewReader(make([]byte, 1<<20)), Options{Name: "zeros.log"})
	if !errors.Is(err, ErrBinary) || !strings.Contains(err.Error(), "zeros.log: byte offset 0") {
		t.Fatalf("err = %v", err)
	}
}

func badInputBinary(t *testing.T) {
	b := make([]byte, 100000)
	rand.New(rand.NewSource(3)).Read(b)
	_, err := Parse(bytes.NewReader(b), Options{Name: "core.bin"})
	if !errors.Is(err, ErrBinary) || !strings.Contains(err.Error(), "core.bin") {
		t.Fatalf("err = %v", err)
	}
}

func badInputControlBytes(t *testing.T) {
	b := bytes.Repeat([]byte{1, 2, 3, 'a'}, 1000)
	if _, err := Parse(bytes.NewReader(b), Options{Name: "ctl"}); !errors.Is(err, ErrBinary) {
		t.Fatalf("err = %v", err)
	}
}

func badInput10MbLine(t *testing.T) {
	var b bytes.Buffer
	b.WriteString("[ 1.000000] Out of memory: Killed process 7 (a) total-vm:4kB, anon-rss:4kB " + strings.Repeat("x", 10<<20) + "\n")
	b.WriteString("[ 2.000000] Out of memory: Killed process 8 (b (c) d) total-vm:8kB, anon-rss:4kB, file-rss:0kB\n")
	lg, err := Parse(&b, Options{Name: "long.log"})
	if err != nil {
		t.Fatal(err)
	}
	if len(lg.Events) != 2 || lg.Events[0].PID != 7 || lg.Events[1].Comm != "b (c) d" || lg.Lines != 2 {
		t.Fatalf("%+v", lg)
	}
	if len(lg.Warnings) != 1 || lg.Warnings[0].String() != "long.log:1: line longer than 1048576 bytes: truncated" {
		t.Fatalf("warnings %v", lg.Warnings)
	}
	if lg.Events[0].TotalVMBytes != 4*kB {
		t.Errorf("%+v", lg.Events[0])
	}
}

func badInputRandomText(t *testing.T) {
	r := rand.New(rand.NewSource(4))
	words := strings.Fields("the kernel oom Killed process memory usage limit Task in killed invoked [ ] ( ) : , 123 0x1f kB pages")
	var b strings.Builder
	for b.Len() < 1<<20 {
		b.WriteString(words[r.Intn(len(words))])
		if r.Intn(8) == 0 {
			b.WriteByte('\n')
		} else {
			b.WriteByte(' ')
		}
	}
	lg, err := Parse(strings.NewReader(b.String()), Options{Name: "words"})
	if err != nil {
		t.Fatal(err)
	}
	sameLog(t, "random text", []byte(b.String()), Options{Name: "words"}, limits{blockBytes: 1000, maxLineBytes: 500})
	_ = lg
}

func badInputNoOomRecordsIsNotAnError(t *testing.T) {
	lg, err := Parse(strings.NewReader("[    0.000000] Linux version 6.1.0\n[    1.0] usb 1-1: new device\n"), Options{})
	if err != nil || len(lg.Events) != 0 || lg.Lines != 2 || lg.Boots != 1 {
		t.Fatalf("%+v %v", lg, err)
	}
	lg, err = Parse(strings.NewReader(""), Options{})
	if err != nil || len(lg.Events) != 0 || lg.Lines != 0 || lg.Boots != 0 {
		t.Fatalf("%+v %v", lg, err)
	}
}

func badInputReadError(t *testing.T) {
	r := io.MultiReader(strings.NewReader("[ 1.000000] Out of memory: Killed process 7 (a) total-vm:4kB\n"), iotest.ErrReader(errors.New("disk on fire")))
	lg, err := Parse(r, Options{Name: "broken.log"})
	if err == nil || !strings.Contains(err.Error(), "broken.log: line 1: disk on fire") || lg == nil || len(lg.Events) != 1 {
		t.Fatalf("%v %+v", err, lg)
	}
}

func badInputOneByteAtATime(t *testing.T) {
	data := corpus(t)["14-rhel8-4.18-memcg-v1-k8s-no-tasklist-two-events.log"]
	a, err := Parse(iotest.OneByteReader(bytes.NewReader(data)), Options{})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := Parse(bytes.NewReader(data), Options{})
	if !deepEqual(a, b) {
		t.Fatal("one-byte reads differ")
	}
}

// lineWindow returns lines from..to (1-based, inclusive) of data.
func lineWindow(data []byte, from, to int) []byte {
	lines := bytes.SplitAfter(data, []byte("\n"))
	from = min(max(from, 1), len(lines))
	to = min(to, len(lines))
	return bytes.Join(lines[from-1:to], nil)
}

// endReader is an input that must not be read again once it returned an
// error: a terminal (or a pipe kept open) would wait for more input.
type endReader struct {
	t     *testing.T
	r     io.Reader
	ended bool
}

func (e *endReader) Read(p []byte) (int, error) {
	if e.ended {
		e.t.Error("read again after the end of input")
		return 0, io.EOF
	}
	n, err := e.r.Read(p)
	e.ended = err != nil
	return n, err
}

// TestNoReadAfterEnd: Parse reads its input until the first error (io.EOF)
// and no further, whether the input ends inside a block or on its edge.
func TestNoReadAfterEnd(t *testing.T) {
	recs := recordLines(t)
	r := rand.New(rand.NewSource(7))
	lim := limits{blockBytes: 64, maxLineBytes: 64}
	first := min(lim.blockBytes+lookbackBytes+lim.maxLineBytes, startBytes)
	for i := 0; i < 200; i++ {
		data := generate(r, recs, first+r.Intn(4000))
		if i%2 == 0 && len(data) > first {
			data = data[:first+(len(data)-first)/lim.blockBytes*lim.blockBytes] // ends on a block's edge
		}
		if _, err := parse(&endReader{t: t, r: bytes.NewReader(data)}, Options{Name: "gen"}, lim); err != nil {
			t.Fatal(err)
		}
	}
}
