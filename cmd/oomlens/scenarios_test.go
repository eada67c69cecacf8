package main

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/oomlens/oomlens/correlate"
)

// expectation is a scenario's true verdict, known because the leaking suite
// was written for it (testdata/scenarios/README.md).
type expectation struct {
	Leaks []struct {
		Test                string `json:"test"`
		RetainedBytesApprox int64  `json:"retained_bytes_approx"`
		Worker              string `json:"worker"`
		// Group is set for a creep: the leak is the group of that kind,
		// with that many retaining members.
		Group *struct {
			Kind             string `json:"kind"`
			RetainingMembers int    `json:"retaining_members"`
		} `json:"group"`
	} `json:"leaks"`
	// MaxUnexplainedShare, when set, bounds memory_at_kill's
	// unexplained_bytes over its total_bytes.
	MaxUnexplainedShare float64  `json:"max_unexplained_share"`
	NotNamed            []string `json:"not_named"`
	InFlight            []struct {
		Test   string `json:"test"`
		Worker string `json:"worker"`
	} `json:"in_flight"`
	KilledPID  int    `json:"killed_pid"`
	KilledComm string `json:"killed_comm"`
	RunEnd     string `json:"run_end"`
}

// scenarios lists the capture folders that have an expectation.
func scenarios(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob("testdata/scenarios/*.expect.json")
	if err != nil {
		t.Fatal(err)
	}
	var dirs []string
	for _, f := range files {
		dirs = append(dirs, strings.TrimSuffix(f, ".expect.json"))
	}
	sort.Strings(dirs)
	if len(dirs) < 6 {
		t.Fatalf("found %d scenarios with an expectation, want the 6 of testdata/scenarios/README.md", len(dirs))
	}
	return dirs
}

func analyzeJSON(t *testing.T, args ...string) *correlate.Report {
	t.Helper()
	code, out, stderr := oomlens(t, "", append([]string{"analyze", "--format", "json"}, args...)...)
	if code != exitOK {
		t.Fatalf("analyze %v: exit %d\n%s", args, code, stderr)
	}
	var rep correlate.Report
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("analyze %v: %v", args, err)
	}
	return &rep
}

// TestScenariosMatchTheTruth checks every real capture's verdict against what
// the suite is known to do, so that a wrong verdict cannot hide in a golden
// file.
func TestScenariosMatchTheTruth(t *testing.T) {
	for _, dir := range scenarios(t) {
		name := filepath.Base(dir)
		t.Run(name, func(t *testing.T) {
			b, err := os.ReadFile(dir + ".expect.json")
			if err != nil {
				t.Fatal(err)
			}
			var want expectation
			if err := json.Unmarshal(b, &want); err != nil {
				t.Fatalf("%s.expect.json: %v", dir, err)
			}
			rep := analyzeJSON(t, dir)
			defer func() {
				if t.Failed() {
					_, text, _ := oomlens(t, "", "analyze", dir)
					t.Logf("the report:\n%s", text)
				}
			}()
			leaks := map[string]correlate.Leak{}
			for _, l := range rep.Leaks {
				leaks[l.Test] = l
			}
			for _, w := range want.Leaks {
				got, ok := leaks[w.Test]
				if !ok {
					t.Errorf("leak %s not named", w.Test)
					continue
				}
				if w.Worker != "" && got.Worker != w.Worker {
					t.Errorf("leak %s named on worker %q, want %q", w.Test, got.Worker, w.Worker)
				}
				if off := math.Abs(float64(got.RetainedBytes-w.RetainedBytesApprox)) / float64(w.RetainedBytesApprox); off > 0.2 {
					t.Errorf("leak %s retained %d bytes, want %d within 20%%", w.Test, got.RetainedBytes, w.RetainedBytesApprox)
				}
				switch g := got.Group; {
				case w.Group == nil && g != nil:
					t.Errorf("leak %s named as a %s group, want a test", w.Test, g.Kind)
				case w.Group != nil && g == nil:
					t.Errorf("leak %s named as a test, want a %s group", w.Test, w.Group.Kind)
				case w.Group != nil && (g.Kind != w.Group.Kind || g.RetainingMembers != w.Group.RetainingMembers):
					t.Errorf("leak %s: group %+v, want kind %s with %d retaining members", w.Test, *g, w.Group.Kind, w.Group.RetainingMembers)
				}
			}
			if len(rep.Leaks) != len(want.Leaks) {
				t.Errorf("%d leaks named, want %d", len(rep.Leaks), len(want.Leaks))
			}
			for _, n := range want.NotNamed {
				if _, ok := leaks[n]; ok {
					t.Errorf("%s named as a leak; it must not be", n)
				}
			}
			inFlight := map[string]string{}
			for _, f := range rep.InFlight {
				inFlight[f.Test] = f.Worker
			}
			for _, w := range want.InFlight {
				worker, ok := inFlight[w.Test]
				if !ok {
					t.Errorf("in-flight test %s not named (got %v)", w.Test, inFlight)
				} else if w.Worker != "" && worker != w.Worker {
					t.Errorf("in-flight %s on worker %q, want %q", w.Test, worker, w.Worker)
				}
			}
			if a := rep.MemoryAtKill; want.MaxUnexplainedShare > 0 {
				if a == nil || a.TotalBytes <= 0 {
					t.Errorf("no memory_at_kill, want one explaining all but %.0f%%", want.MaxUnexplainedShare*100)
				} else if s := float64(a.UnexplainedBytes) / float64(a.TotalBytes); s > want.MaxUnexplainedShare {
					t.Errorf("memory_at_kill leaves %.1f%% unexplained, want at most %.0f%%: %+v", s*100, want.MaxUnexplainedShare*100, a)
				}
			}
			if want.RunEnd != "" && rep.RunEnd.Kind != want.RunEnd {
				t.Errorf("run end %q, want %q", rep.RunEnd.Kind, want.RunEnd)
			}
			if want.KilledPID != 0 {
				if len(rep.Kills) == 0 || !rep.Kills[0].EndedRun || rep.Kills[0].PID != want.KilledPID {
					t.Errorf("the kill that ended the run: %+v, want pid %d", rep.Kills, want.KilledPID)
				} else if want.KilledComm != "" && rep.Kills[0].Comm != want.KilledComm {
					t.Errorf("killed comm %q, want %q", rep.Kills[0].Comm, want.KilledComm)
				}
			}
		})
	}
}

// goldenInputs are the jobs whose reports are kept as golden files: every
// scenario folder and every sample of the shared corpus, each analysed alone.
func goldenInputs(t *testing.T) map[string][]string {
	t.Helper()
	in := map[string][]string{}
	for _, dir := range scenarios(t) {
		in["scenarios/"+filepath.Base(dir)] = []string{dir}
	}
	// Jobs written by `oomlens record` around real OOM kills (their figures
	// are checked by hand in correlate/record_test.go).
	records, err := filepath.Glob("correlate/testdata/record-*")
	if err != nil {
		t.Fatal(err)
	}
	for _, dir := range records {
		in["record/"+filepath.Base(dir)] = []string{dir}
	}
	for _, group := range []string{"kernel", "pytest", "weathercop"} {
		files, err := filepath.Glob(filepath.Join("testdata/corpus", group, "*"))
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range files {
			if strings.HasSuffix(f, ".md") {
				continue
			}
			base := strings.TrimSuffix(filepath.Base(f), filepath.Ext(f))
			in["corpus/"+group+"/"+base] = []string{f}
		}
	}
	return in
}

var goldenExt = map[string]string{"text": "txt", "markdown": "md", "json": "json", "html": "html"}

// compileReportSchema compiles docs/report.schema.json with formats checked.
func compileReportSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	f, err := os.Open("docs/report.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.AssertFormat()
	if err := c.AddResource("report.schema.json", doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile("report.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestGoldenReports renders every scenario and corpus sample in every format
// and compares with its golden file; the JSON of each must also match the
// published schema, so that real reports, not only hand-built fixtures, keep
// the contract.
func TestGoldenReports(t *testing.T) {
	schema := compileReportSchema(t)
	inputs := goldenInputs(t)
	names := make([]string, 0, len(inputs))
	for n := range inputs {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, name := range names {
		for _, format := range []string{"text", "markdown", "json", "html"} {
			t.Run(name+"."+format, func(t *testing.T) {
				args := append([]string{"analyze", "--color", "never", "--format", format}, inputs[name]...)
				code, out, stderr := oomlens(t, "", args...)
				if code != exitOK {
					t.Fatalf("exit %d: %s", code, stderr)
				}
				golden(t, name+"."+goldenExt[format], out)
				if format == "json" {
					v, err := jsonschema.UnmarshalJSON(strings.NewReader(out))
					if err != nil {
						t.Fatal(err)
					}
					if err := schema.Validate(v); err != nil {
						t.Errorf("the report does not match docs/report.schema.json:\n%v", err)
					}
				}
			})
		}
	}
}
