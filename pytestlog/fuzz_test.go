package pytestlog

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

func sampleFiles(t testing.TB) []string {
	t.Helper()
	var files []string
	for _, g := range []string{filepath.Join(corpusDir, "*.log"), filepath.Join(genDir, "*.log"), filepath.Join(genDir, "*.txt"), filepath.Join(genDir, "*.xml")} {
		m, err := filepath.Glob(g)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, m...)
	}
	if len(files) < 30 {
		t.Fatalf("only %d sample files", len(files))
	}
	return files
}

// TestEveryPrefix parses every byte-prefix of every sample (a log cut at any
// byte, as a kill or an excerpt leaves it) with every reader: no panic, and
// the line count never goes backwards.
func TestEveryPrefix(t *testing.T) {
	collect := suiteCollect(t)
	for _, f := range sampleFiles(t) {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		prevLines := 0
		for n := 0; n <= len(data); n++ {
			l, err := Parse(bytes.NewReader(data[:n]), Options{Name: f, Collect: collect})
			if err != nil {
				t.Fatalf("%s[:%d]: %v", f, n, err)
			}
			if l.Lines < prevLines {
				t.Fatalf("%s[:%d]: %d lines after %d", f, n, l.Lines, prevLines)
			}
			prevLines = l.Lines
			for _, s := range l.Sessions {
				if s.FirstLine < 1 || s.LastLine < s.FirstLine || s.LastLine > l.Lines {
					t.Fatalf("%s[:%d]: session lines %d..%d of %d", f, n, s.FirstLine, s.LastLine, l.Lines)
				}
			}
			_, _ = ParseJUnit(bytes.NewReader(data[:n]), f)
			_, _ = ParseCollectList(bytes.NewReader(data[:n]), f)
			Sniff(data[:n])
			SniffCollect(data[:n])
		}
	}
}

// FuzzParse feeds arbitrary bytes to every reader, seeded with the samples.
func FuzzParse(f *testing.F) {
	stacks, _ := filepath.Glob(filepath.Join(stacksDir, "*.log"))
	for _, file := range append(sampleFiles(f), stacks...) {
		data, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	collect := []string{"tests/t.py::test_a", `tests/t.py::test_b[caf\xe9]`, "tests/u.py::test_c"}
	f.Fuzz(func(t *testing.T, data []byte) {
		l, err := Parse(bytes.NewReader(data), Options{Name: "fuzz", Collect: collect})
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range l.Sessions {
			if s.End.Kind == "" {
				t.Fatal("session without an end kind")
			}
			if s.Complete != (s.End.Kind == EndComplete) {
				t.Fatalf("complete %v, end %q", s.Complete, s.End.Kind)
			}
			for _, in := range s.InFlight {
				if in.Basis == "" {
					t.Fatal("in-flight entry without a basis")
				}
			}
		}
		_, _ = ParseJUnit(bytes.NewReader(data), "fuzz")
		_, _ = ParseCollectList(bytes.NewReader(data), "fuzz")
		Sniff(data)
		SniffCollect(data)
	})
}
