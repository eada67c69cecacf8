package correlate

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/oomlens/oomlens/dmesg"
	"github.com/oomlens/oomlens/pytestlog"
)

// checkTestsSummary holds the summary of the pytest logs' tests that
// normalise keeps instead of their list (OmitTimeline, keepTests) to the
// list: the summary of the list is the same, and so is the whole report
// but for the timeline it omits.
func checkTestsSummary(t testing.TB, name string, ev *Evidence) {
	t.Helper()
	opts := Options{hostBoot: noHostBoot}
	listed := normalise(ev, opts)
	omit := opts
	omit.OmitTimeline = true
	summed := normalise(ev, omit)
	if listed.logTests != nil {
		t.Fatalf("%s: the tests were summarised with the timeline on", name)
	}
	if s := summed.logTests; s != nil {
		want := &testsSummary{}
		for i := range listed.Tests {
			ti := &listed.Tests[i]
			want.add(ti.Start, ti.End, ti.PID)
		}
		if len(summed.Tests) != 0 || !reflect.DeepEqual(s, want) {
			t.Fatalf("%s: summary %+v of %d tests; the list's %+v", name, s, len(summed.Tests), want)
		}
	}
	if a, b := spanOf(listed), spanOf(summed); !reflect.DeepEqual(a, b) {
		t.Fatalf("%s: span %+v; the list's %+v", name, b, a)
	}
	ra, oka := (&normaliser{j: listed}).refTime()
	rb, okb := (&normaliser{j: summed}).refTime()
	if !ra.Equal(rb) || oka != okb {
		t.Fatalf("%s: reference time %v %v; the list's %v %v", name, rb, okb, ra, oka)
	}
	a, b := analyze(listed, opts), analyze(summed, omit)
	a.Timeline, a.TimelineTotal, a.Samples = []TestSpan{}, 0, nil
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	if !bytes.Equal(ja, jb) {
		t.Fatalf("%s: reports differ:\n%s\n%s", name, ja, jb)
	}
}

func noHostBoot() (time.Time, error) { return time.Time{}, errors.New("no host in tests") }

// kernelSamples are the kernel logs of the scenarios and the shared
// corpus, parsed.
func kernelSamples(t testing.TB) []KernelInput {
	var paths []string
	for _, g := range []string{corpus("scenarios", "*", "kernel.log"), corpus("scenarios", "*", "journalctl-k.log"), sharedCorpus("kernel", "*.log")} {
		ps, _ := filepath.Glob(g)
		paths = append(paths, ps...)
	}
	var out []KernelInput
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if l, err := dmesg.Parse(bytes.NewReader(data), dmesg.Options{Name: p}); err == nil {
			out = append(out, KernelInput{Path: p, Log: l})
		}
	}
	return out
}

// TestTestsSummaryAgrees runs checkTestsSummary on every pytest sample
// with every memory sample, on each scenario (its own log, memory records
// and kernel log, and every kernel sample), and on a batch job.
func TestTestsSummaryAgrees(t *testing.T) {
	logs := matcherLogs(t)
	mem, scenarios := matcherMemory(t)
	kernels := kernelSamples(t)
	for _, l := range logs {
		for _, ev := range append(mem, mapValues(scenarios)...) {
			e := *ev
			e.Pytest = []PytestInput{l}
			checkTestsSummary(t, l.Path, &e)
		}
	}
	for _, l := range logs {
		for _, k := range kernels {
			checkTestsSummary(t, l.Path+" "+k.Path, &Evidence{Pytest: []PytestInput{l}, Kernel: []KernelInput{k}})
		}
	}
	for dir, ev := range scenarios {
		for _, l := range logs {
			if !strings.HasPrefix(l.Path, dir+string(filepath.Separator)) {
				continue
			}
			for _, k := range kernels {
				e := *ev
				e.Pytest, e.Kernel = []PytestInput{l}, []KernelInput{k}
				checkTestsSummary(t, dir+" "+k.Path, &e)
			}
		}
	}
	ev, _ := batchEvidence(t)
	checkTestsSummary(t, "batch job", ev)
}

// FuzzTestsSummary holds checkTestsSummary over any pytest log (seeded
// with the real ones) with each scenario's memory records and kernel log.
func FuzzTestsSummary(f *testing.F) {
	for _, l := range matcherLogs(f) {
		if data, err := os.ReadFile(l.Path); err == nil && len(data) <= 64<<10 {
			f.Add(data)
		}
	}
	_, scenarios := matcherMemory(f)
	kernels := kernelSamples(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		l, err := pytestlog.Parse(bytes.NewReader(data), pytestlog.Options{Name: "fuzz.log"})
		if err != nil {
			return
		}
		for dir, ev := range scenarios {
			e := *ev
			e.Pytest = []PytestInput{{Path: "fuzz.log", Log: l}}
			for _, k := range kernels {
				if strings.HasPrefix(k.Path, dir+string(filepath.Separator)) {
					e.Kernel = []KernelInput{k}
				}
			}
			checkTestsSummary(t, dir, &e)
		}
	})
}
