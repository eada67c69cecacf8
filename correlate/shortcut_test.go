package correlate

import (
	"bytes"
	"math/rand"
	"os"
	"path/filepath"
	"testing"

	"github.com/oomlens/oomlens/diagnostics"
	"github.com/oomlens/oomlens/internal/jobgen"
)

// checkShortcuts holds classify's and groupLeaks' shortcuts to the general
// path on the ledger of every process of ev, at several noise floors:
//
//   - groupLeaks looks for no group when fewer than groupMinRetaining free
//     tests retain the member minimum: groupCandidates, the general path,
//     then finds none either;
//   - classify asks hogOf only of a test that is a hog at the floor alone
//     (threshold 0): no test is a hog at a threshold and not at 0.
func checkShortcuts(t testing.TB, name string, ev *Evidence) {
	t.Helper()
	j := normalise(ev, Options{})
	for _, p := range j.Procs {
		r := runLedger(p)
		for _, floor := range []int64{1, MiB, 8 * MiB, DefaultNoiseFloorBytes} {
			minBytes := min(int64(groupMemberMinBytes), floor)
			var free []*testMem
			retaining := 0
			for _, t := range r.Tests {
				if !t.InFlight && t.HasNet {
					free = append(free, t)
					if t.Retained >= minBytes {
						retaining++
					}
				}
			}
			if retaining < groupMinRetaining {
				if c := groupCandidates(r, free, minBytes); len(c) > 0 {
					t.Fatalf("%s: floor %d: %d retaining tests, yet %d group candidates (%s)", name, floor, retaining, len(c), c[0].id)
				}
			}
			for _, tm := range r.Tests {
				_, atFloor := hogFiguresOf(tm, floor, 0)
				for _, threshold := range []int64{0, floor / 2, floor, 3 * floor, 10 * floor, 200 * MiB} {
					if _, ok := hogFiguresOf(tm, floor, threshold); ok && !atFloor {
						t.Fatalf("%s: floor %d: %s is a hog at %d and not at the floor", name, floor, tm.Test, threshold)
					}
				}
			}
		}
	}
}

// diagnosticsEvidence is data parsed as a diagnostics file, as evidence.
func diagnosticsEvidence(name string, data []byte) (*Evidence, bool) {
	d, err := diagnostics.Parse(bytes.NewReader(data), diagnostics.Options{Name: name})
	if err != nil {
		return nil, false
	}
	return &Evidence{Diagnostics: []DiagnosticsInput{{Path: name, Diag: d}}}, true
}

// TestShortcutsAgree runs checkShortcuts on every diagnostics and weathercop
// sample of testdata/, a batch job and the hand-built large job.
func TestShortcutsAgree(t *testing.T) {
	for _, p := range diagnosticsSamples(t) {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		ev, ok := diagnosticsEvidence(p, data)
		if !ok {
			t.Fatalf("%s: not parsed", p)
		}
		checkShortcuts(t, p, ev)
	}
	logs, _ := filepath.Glob(corpus("weathercop", "*.log"))
	if len(logs) == 0 {
		t.Fatal("no weathercop samples")
	}
	for _, p := range logs {
		checkShortcuts(t, p, &Evidence{Weathercop: []WeathercopInput{readWeathercop(t, p)}})
	}
	for _, f := range jobgen.Job(rand.New(rand.NewSource(1)), 500) {
		if f.Name == "diagnostics.jsonl" {
			ev, _ := diagnosticsEvidence(f.Name, f.Data)
			checkShortcuts(t, "jobgen", ev)
		}
	}
	for _, text := range []string{bigDiagnostics(4000)} {
		ev, _ := diagnosticsEvidence("big.jsonl", []byte(text))
		checkShortcuts(t, "bigDiagnostics", ev)
	}
}

// FuzzShortcuts holds checkShortcuts over any diagnostics file, seeded with
// the real samples.
func FuzzShortcuts(f *testing.F) {
	addDiagnosticsSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 16<<10 {
			return // see addDiagnosticsSeeds
		}
		if ev, ok := diagnosticsEvidence("fuzz.jsonl", data); ok {
			checkShortcuts(t, "fuzz.jsonl", ev)
		}
	})
}

// addDiagnosticsSeeds seeds f with the first records of every diagnostics
// sample: the instrumented JSON decoder is slow, and the mutator works on
// small inputs best (a fuzz target skips inputs over 16 KiB).
func addDiagnosticsSeeds(f *testing.F) {
	for _, p := range diagnosticsSamples(f) {
		if data, err := os.ReadFile(p); err == nil {
			f.Add(data[:min(len(data), 2048)])
		}
	}
}
