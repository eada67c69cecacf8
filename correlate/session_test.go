package correlate

import (
	"bytes"
	"io/fs"
	"math/rand"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/oomlens/oomlens/diagnostics"
	"github.com/oomlens/oomlens/internal/jobgen"
)

// sessionRef is the session of records as DiagnosticsStream kept it before
// its tests shared the list of node ids (sessionIDs): the first
// session_start of a process with no worker, and from it on the span and
// the test_start node ids of that process, every one appended to a list of
// its own.
func sessionRef(recs []diagnostics.Record) (DiagnosticsSession, bool) {
	var s DiagnosticsSession
	state := 0
	for i := range recs {
		r := &recs[i]
		if state == -1 {
			break
		}
		if state == 0 {
			if r.Event != diagnostics.EventSessionStart {
				continue
			}
			if r.Worker != "" {
				state = -1
				continue
			}
			state = 1
			s.PID = r.PID
			if r.HasBootTime {
				s.BootTime, s.HasBootTime = r.BootTime, true
			}
		}
		if r.PID != s.PID && r.PID != 0 {
			continue
		}
		if t := r.Time; t > 0 && t < 1<<40 {
			if !s.HasSpan {
				s.FromUnix, s.ToUnix, s.HasSpan = t, t, true
			}
			s.FromUnix, s.ToUnix = min(s.FromUnix, t), max(s.ToUnix, t)
		}
		if r.Event == diagnostics.EventTestStart && r.NodeID != "" {
			s.Tests = append(s.Tests, r.NodeID)
		}
	}
	return s, state == 1
}

// checkSession streams recs and compares the stream's session with
// sessionRef's.
func checkSession(t testing.TB, name, format string, recs []diagnostics.Record) {
	t.Helper()
	st := NewDiagnosticsStream(name, 0)
	for i := range recs {
		st.Add(format, &recs[i])
	}
	got, ok := st.Input(&diagnostics.Log{Format: format}).Session()
	want, wok := sessionRef(recs)
	gotTests, wantTests := got.Tests, want.Tests
	got.Tests, want.Tests = nil, nil
	if ok != wok || !reflect.DeepEqual(got, want) || !slices.Equal(gotTests, wantTests) {
		t.Fatalf("%s: session %+v %v, %d tests %.5q; want %+v %v, %d tests %.5q",
			name, got, ok, len(gotTests), gotTests, want, wok, len(wantTests), wantTests)
	}
}

// diagnosticsSamples are the diagnostics files of the repository's test
// data.
func diagnosticsSamples(t testing.TB) []string {
	var paths []string
	for _, root := range []string{"testdata", filepath.Join("..", "testdata")} {
		filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() && strings.HasSuffix(p, ".jsonl") {
				paths = append(paths, p)
			}
			return nil
		})
	}
	if len(paths) == 0 {
		t.Fatal("no diagnostics samples")
	}
	return paths
}

// TestSessionTestsAsRecords: the session's tests, shared with the list of
// node ids while they agree, are those the records give, on every real
// sample, a batch job's file, and records of several processes
// interleaved at random.
func TestSessionTestsAsRecords(t *testing.T) {
	for _, p := range diagnosticsSamples(t) {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		d, err := diagnostics.Parse(bytes.NewReader(data), diagnostics.Options{Name: p})
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		checkSession(t, p, d.Format, d.Records)
	}
	for _, f := range jobgen.Job(rand.New(rand.NewSource(1)), 500) {
		if f.Name == "diagnostics.jsonl" {
			d, err := diagnostics.Parse(bytes.NewReader(f.Data), diagnostics.Options{Name: f.Name})
			if err != nil {
				t.Fatal(err)
			}
			checkSession(t, "jobgen", d.Format, d.Records)
		}
	}
	for seed := int64(0); seed < 300; seed++ {
		checkSession(t, "random", diagnostics.FormatJSONL, randomRecords(rand.New(rand.NewSource(seed)), 40))
	}
}

// randomRecords is n records of pids 0, 1 and 2 (pid 1 opening the
// session, most often), with repeated node ids, foreign starts and ends,
// and a worker now and then.
func randomRecords(rng *rand.Rand, n int) []diagnostics.Record {
	events := []string{diagnostics.EventSessionStart, diagnostics.EventTestStart, diagnostics.EventTestEnd, diagnostics.EventSample}
	ids := []string{"a.py::t1", "a.py::t2", "b.py::t3", ""}
	recs := []diagnostics.Record{{Event: diagnostics.EventSessionStart, PID: 1, Time: 1e9}}
	for i := 0; i < n; i++ {
		r := diagnostics.Record{Event: events[rng.Intn(len(events))], PID: []int{1, 1, 1, 0, 2}[rng.Intn(5)], NodeID: ids[rng.Intn(len(ids))], Time: 1e9 + float64(rng.Intn(100)), Line: i + 2}
		if rng.Intn(20) == 0 {
			r.Worker = "gw0"
		}
		recs = append(recs, r)
	}
	if rng.Intn(4) == 0 {
		recs = recs[1:] // no session_start first
	}
	return recs
}

// FuzzSessionTests holds TestSessionTestsAsRecords over any diagnostics
// file, seeded with the real samples, and over byte-coded record sequences
// (three bytes a record: event, pid, node id).
func FuzzSessionTests(f *testing.F) {
	addDiagnosticsSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 16<<10 {
			return // see addDiagnosticsSeeds
		}
		if d, err := diagnostics.Parse(bytes.NewReader(data), diagnostics.Options{Name: "fuzz.jsonl"}); err == nil {
			checkSession(t, "fuzz.jsonl", d.Format, d.Records)
		}
		events := []string{diagnostics.EventSessionStart, diagnostics.EventTestStart, diagnostics.EventTestEnd, diagnostics.EventSample}
		ids := []string{"a.py::t1", "a.py::t2", "b.py::t3", ""}
		var recs []diagnostics.Record
		for i := 0; i+3 <= len(data) && i < 3*500; i += 3 {
			b := data[i : i+3]
			r := diagnostics.Record{Event: events[int(b[0])%len(events)], PID: int(b[1]) % 3, NodeID: ids[int(b[2])%len(ids)], Time: 1e9 + float64(i), Line: i/3 + 1}
			if b[0]&0x80 != 0 {
				r.Worker = "gw0"
			}
			recs = append(recs, r)
		}
		checkSession(t, "coded", diagnostics.FormatJSONL, recs)
	})
}
