package dmesg

import (
	"bytes"
	"fmt"
	"io/fs"
	"math/rand"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/oomlens/oomlens/internal/content"
)

// sniffBytewise is the definition sniff implements, a byte at a time (as
// sniff was written before it read 8 bytes at a time): the reference
// reading (parseReference) uses it.
func sniffBytewise(name string, b []byte) error {
	if len(b) == 0 {
		return nil
	}
	ctrl := 0
	for i, c := range b {
		if c == 0 {
			return fmt.Errorf("%s: byte offset %d: NUL byte: %w (a journal file? use journalctl -o json or -o short-precise)", displayName(name), i, ErrBinary)
		}
		if c < 0x20 && c != '\n' && c != '\r' && c != '\t' && c != '\f' && c != '\v' && c != 0x1b {
			ctrl++
		}
	}
	if ctrl*10 > len(b) {
		return fmt.Errorf("%s: %d of the first %d bytes are control bytes: %w", displayName(name), ctrl, len(b), ErrBinary)
	}
	return nil
}

// realSamples returns every file under testdata/ and the shared corpus
// (../shared/corpus beside the repository, when present), by path.
func realSamples(t testing.TB) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	for _, root := range []string{"../testdata", "../../shared/corpus"} {
		filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return nil
			}
			if b, err := os.ReadFile(p); err == nil {
				out[p] = b
			}
			return nil
		})
	}
	if len(out) == 0 {
		t.Fatal("no samples")
	}
	return out
}

func sameSniff(t *testing.T, what string, b []byte) {
	t.Helper()
	got, want := sniff("x", b), sniffBytewise("x", b)
	if (got == nil) != (want == nil) || got != nil && got.Error() != want.Error() {
		t.Fatalf("%s: sniff %v, bytewise %v", what, got, want)
	}
}

// TestControlBytes: controlBytes marks exactly the bytes below 0x20,
// inControlRange exactly those in 1..0x1f, and textRun stops at a piece
// with a byte below 0x20 other than '\n', for every byte value in every
// position among every other value.
func TestControlBytes(t *testing.T) {
	for c := range 256 {
		for other := range 256 {
			var b [32]byte
			for i := range b {
				b[i] = byte(other)
			}
			for pos := range b {
				b[pos] = byte(c)
				ctrl := func(x int) bool { return x < 0x20 && x != '\n' }
				if got, want := textRun(b[:], 0) == 0, ctrl(c) || ctrl(other); got != want {
					t.Fatalf("%q: %v, want %v", b, got, want)
				}
				b[pos] = byte(other)
			}
		}
	}
	for c := range 256 {
		for other := range 256 {
			for pos := range 8 {
				var w [8]byte
				for i := range w {
					w[i] = byte(other)
				}
				w[pos] = byte(c)
				var want uint64
				for i, x := range w {
					if x < 0x20 {
						want |= 0x80 << (8 * i)
					}
				}
				if got := controlBytes(word(w[:], 0)); got != want {
					t.Fatalf("%q: %#x, want %#x", w, got, want)
				}
				want = 0
				for i, x := range w {
					if x >= 1 && x < 0x20 {
						want |= 0x80 << (8 * i)
					}
				}
				if got := inControlRange(word(w[:], 0)) & eachHigh; got != want {
					t.Fatalf("inControlRange(%q): %#x, want %#x", w, got, want)
				}
			}
		}
	}
}

// TestSniffEqualsBytewise: sniff = sniffBytewise on every real sample (and
// its first sniffBytes), every length up to 40 of its start, and random
// bytes with control bytes planted.
func TestSniffEqualsBytewise(t *testing.T) {
	for p, b := range realSamples(t) {
		sameSniff(t, p, b)
		sameSniff(t, p, b[:min(len(b), sniffBytes)])
		for n := range min(len(b), 40) {
			sameSniff(t, p, b[:n])
			sameSniff(t, p, b[n:min(len(b), n+100)])
		}
	}
	r := rand.New(rand.NewSource(1))
	for range 20000 {
		b := make([]byte, r.Intn(80))
		for i := range b {
			b[i] = byte(' ' + r.Intn(95))
			if r.Intn(8) == 0 {
				b[i] = byte(r.Intn(0x20))
			}
			if r.Intn(8) == 0 {
				b[i] = byte(0x80 + r.Intn(0x80))
			}
		}
		sameSniff(t, fmt.Sprintf("%q", b), b)
	}
}

// FuzzSniff: sniff = sniffBytewise on any input.
func FuzzSniff(f *testing.F) {
	for _, b := range realSamples(f) {
		f.Add(b[:min(len(b), 4096)])
	}
	f.Add([]byte("a\x00b"))
	f.Add([]byte("\x01\x02\x03\x1b[0m\x7f\x80\xff\n"))
	f.Fuzz(func(t *testing.T, b []byte) { sameSniff(t, "fuzz", b) })
}

// BenchmarkSniffBinaryCheck is sniff on a job's pytest.log.
func BenchmarkSniffBinaryCheck(b *testing.B) {
	data := jobFile(1, "pytest.log")
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if sniff("x", data) != nil {
			b.Fatal("binary")
		}
	}
}

// TestScanChoiceFindsSameLines: the scanner finds the same lines (and
// counts the same newlines) whatever sample chose its search bytes, on
// every real sample and the job logs: scanSample may count less of a
// small input without changing what Parse finds.
func TestScanChoiceFindsSameLines(t *testing.T) {
	inputs := realSamples(t)
	for seed := int64(1); seed <= 3; seed++ {
		for _, name := range []string{"kernel.log", "pytest.log", "diagnostics.jsonl"} {
			inputs[fmt.Sprint(seed, name)] = jobFile(seed, name)
		}
	}
	otherBytes, found := 0, 0
	for p, b := range inputs {
		b = b[:min(len(b), 4<<20)]
		var want blockIndex
		first := newScanner(scanSample(b, false))
		first.index(b, &want)
		found += len(want.hits)
		for _, sample := range [][]byte{nil, b, scanSample(b, true), b[len(b)/2:], []byte(strings.Join(needles, ""))} {
			var got blockIndex
			sc := newScanner(sample)
			if chosenBytes(sc) != chosenBytes(first) {
				otherBytes++
			}
			sc.index(b, &got)
			if !slices.Equal(got.hits, want.hits) || got.newlines != want.newlines || got.wholeEnd != want.wholeEnd {
				t.Fatalf("%s: a scanner chosen from %d bytes finds %d lines, from the first block's %d: %d", p, len(sample), len(got.hits), len(scanSample(b, false)), len(want.hits))
			}
		}
	}
	if otherBytes == 0 || found == 0 {
		t.Fatalf("the samples chose other search bytes %d times, %d lines found: nothing tested", otherBytes, found)
	}
	t.Logf("%d inputs, %d lines found, %d scanners with other search bytes", len(inputs), found, otherBytes)
}

func chosenBytes(sc *scanner) string {
	var b []byte
	for _, g := range sc.groups {
		b = append(b, g.b)
	}
	return string(b)
}

// sniffBefore is Sniff as it was before its searches were made cheaper
// (keys "of memory" and "illed ", " kernel: " searched in every line):
// TestSniffEqualsBefore and FuzzSniffEqualsBefore hold Sniff to it.
func sniffBefore(head []byte) bool {
	if content.JSON(head) {
		journal := bytes.Contains(head, []byte(`"MESSAGE"`)) && bytes.Contains(head, []byte(`"__REALTIME_TIMESTAMP"`))
		return (journal || bytes.Contains(head, []byte(`"textPayload"`))) && isKernelBefore(head)
	}
	return isKernelBefore(head)
}

func isKernelBefore(b []byte) bool {
	anchors := kernelAnchors
	if !containsAny(b, [][]byte{[]byte("oom"), []byte("of memory"), []byte("illed ")}) {
		anchors = nil
	}
	for _, a := range anchors {
		for rest := b; ; {
			i := bytes.Index(rest, a)
			if i < 0 {
				break
			}
			line, next := lineAround(rest, i)
			if reKernelAnchor.Match(line) {
				return true
			}
			rest = next
		}
	}
	lines, hits := 0, 0
	content.EachLine(b, func(line []byte) bool {
		lines++
		if reKernelLine.Match(line) {
			hits++
		}
		return true
	})
	return hits >= 3 && hits*2 >= lines
}

// TestSniffEqualsBefore: Sniff = sniffBefore on every real sample's head,
// every line of it, and the job logs.
func TestSniffEqualsBefore(t *testing.T) {
	inputs := realSamples(t)
	for seed := int64(1); seed <= 3; seed++ {
		for _, name := range []string{"kernel.log", "pytest.log", "diagnostics.jsonl"} {
			inputs[fmt.Sprint(seed, name)] = jobFile(seed, name)
		}
	}
	kernel := 0
	for p, b := range inputs {
		b = b[:min(len(b), 64<<10)] // discover.HeadBytes
		if got, want := Sniff(b), sniffBefore(b); got != want {
			t.Fatalf("%s: Sniff %v, before %v", p, got, want)
		} else if got {
			kernel++
		}
		for _, line := range bytes.SplitAfter(b[:min(len(b), 8<<10)], []byte("\n")) {
			if got, want := Sniff(line), sniffBefore(line); got != want {
				t.Fatalf("%s: %q: Sniff %v, before %v", p, line, got, want)
			}
		}
	}
	t.Logf("%d inputs, %d kernel logs", len(inputs), kernel)
}

func FuzzSniffEqualsBefore(f *testing.F) {
	for _, b := range realSamples(f) {
		f.Add(b[:min(len(b), 4096)])
	}
	f.Add([]byte("Jan  5 15:19:27 h kernel: x\n1,2,3,-;x\n1 kernel: y\n[ 1.0] z\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		if got, want := Sniff(b), sniffBefore(b); got != want {
			t.Fatalf("%q: Sniff %v, before %v", b, got, want)
		}
	})
}

// TestLastNewline: lastNewline = bytes.LastIndexByte(b, '\n') with every
// byte value around newlines at every position, and on real samples.
func TestLastNewline(t *testing.T) {
	for n := range 40 {
		for c := range 256 {
			b := bytes.Repeat([]byte{byte(c)}, n)
			for pos := -1; pos < n; pos++ {
				if pos >= 0 {
					b[pos] = '\n'
				}
				if got, want := lastNewline(b), bytes.LastIndexByte(b, '\n'); got != want {
					t.Fatalf("%q: %d, want %d", b, got, want)
				}
				if pos >= 0 {
					b[pos] = byte(c)
				}
			}
		}
	}
	for p, b := range realSamples(t) {
		b = b[:min(len(b), 1<<16)]
		for end := len(b); end > 0; end = bytes.LastIndexByte(b[:end], '\n') {
			if got, want := lastNewline(b[:end]), bytes.LastIndexByte(b[:end], '\n'); got != want {
				t.Fatalf("%s[:%d]: %d, want %d", p, end, got, want)
			}
			if end < len(b)-(1<<12) {
				break
			}
		}
	}
}

func FuzzLastNewline(f *testing.F) {
	f.Add([]byte("a\nb\n\x8a\x0a\xff"))
	f.Add([]byte("0123456789\n0123456789abcdef"))
	f.Fuzz(func(t *testing.T, b []byte) {
		if got, want := lastNewline(b), bytes.LastIndexByte(b, '\n'); got != want {
			t.Fatalf("%q: %d, want %d", b, got, want)
		}
	})
}

// TestGuards: the guards of containsGuarded and cutTalosNode are parts of
// what they guard, so they change no result; checked on every line of the
// real samples as well.
func TestGuards(t *testing.T) {
	pairs := [][2]string{{"killer: ", " invoked oom-killer: "}, {"killed ", ": systemd-oomd killed "}, {"kern:", ": kern:"}}
	for _, g := range pairs {
		if !strings.Contains(g[1], g[0]) {
			t.Fatalf("guard %q is not part of %q", g[0], g[1])
		}
	}
	for p, b := range realSamples(t) {
		for _, line := range strings.Split(string(b[:min(len(b), 1<<20)]), "\n") {
			for _, g := range pairs {
				if containsGuarded(line, g[0], g[1]) != strings.Contains(line, g[1]) {
					t.Fatalf("%s: %q: guard %q", p, line, g[0])
				}
			}
		}
	}
}
