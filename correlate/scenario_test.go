package correlate

import (
	"encoding/json"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/oomlens/oomlens/discover"
	"github.com/oomlens/oomlens/dmesg"
	"github.com/oomlens/oomlens/heap"
	"github.com/oomlens/oomlens/pytestlog"
)

// evidenceFromDir reads every file of a job folder by the kinds discover
// sniffs, the way the command does (this test's own glue, so that the
// correlator can be checked before the command's is written).
func evidenceFromDir(t *testing.T, dir string) *Evidence {
	t.Helper()
	set, err := discover.Walk([]string{dir}, discover.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer set.Cleanup()
	ev := &Evidence{}
	for _, in := range set.Inputs {
		base := filepath.Base(in.Path)
		if base == "expect.json" || strings.HasSuffix(base, ".md") {
			continue
		}
		ev.Inputs = append(ev.Inputs, Input{Path: in.Path, Kinds: in.Kinds})
		open := func() io.ReadCloser {
			rc, err := in.Open()
			if err != nil {
				t.Fatal(err)
			}
			return rc
		}
		for _, k := range in.Kinds {
			rc := open()
			switch k {
			case discover.KindKernelLog:
				l, err := dmesg.Parse(rc, dmesg.Options{Name: in.Path})
				if err != nil {
					t.Fatalf("%s: %v", in.Path, err)
				}
				ev.Kernel = append(ev.Kernel, KernelInput{Path: in.Path, Log: l})
			case discover.KindPytestLog:
				l, err := pytestlog.Parse(rc, pytestlog.Options{Name: in.Path})
				if err != nil {
					t.Fatalf("%s: %v", in.Path, err)
				}
				ev.Pytest = append(ev.Pytest, PytestInput{Path: in.Path, Log: l})
			case discover.KindDiagnostics:
				d, err := heap.ParseDiagnostics(rc, heap.DiagnosticsOptions{Name: in.Path})
				if err != nil {
					t.Fatalf("%s: %v", in.Path, err)
				}
				ev.Diagnostics = append(ev.Diagnostics, DiagnosticsInput{Path: in.Path, Diag: d})
			case discover.KindWeathercop:
				l, err := heap.ParseWeathercop(rc, heap.WeathercopOptions{Name: in.Path})
				if err != nil {
					t.Fatalf("%s: %v", in.Path, err)
				}
				ev.Weathercop = append(ev.Weathercop, WeathercopInput{Path: in.Path, Log: l})
			case discover.KindJUnitXML:
				j, err := pytestlog.ParseJUnit(rc, in.Path)
				if err != nil {
					t.Logf("%s: %v", in.Path, err)
				}
				if j != nil {
					ev.JUnit = append(ev.JUnit, JUnitInput{Path: in.Path, JUnit: j})
				}
			case discover.KindCollectList:
				ids, err := pytestlog.ParseCollectList(rc, in.Path)
				if err != nil {
					t.Fatalf("%s: %v", in.Path, err)
				}
				ev.Collect = append(ev.Collect, ids...)
			case discover.KindCore:
				if in.File() != "" {
					c, err := heap.ReadCore(in.File(), heap.CoreOptions{Name: in.Path})
					if err == nil {
						ev.Cores = append(ev.Cores, CoreInput{Path: in.Path, Core: c})
					}
				}
			}
			rc.Close()
		}
	}
	return ev
}

// expectation is a scenario's expect.json, read leniently: each scenario
// states the true verdict of the job it holds.
type expectation struct {
	Leaks      []expectLeak
	NotNamed   []string
	InFlight   []expectLeak // test and worker
	KilledPID  int
	KilledComm string
	RunEnd     string
}

type expectLeak struct {
	Test          string
	RetainedBytes int64
	Worker        string
}

func readExpect(t *testing.T, path string) expectation {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var raw map[string]any
	if err := json.Unmarshal(b, &raw); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	var e expectation
	str := func(v any) string {
		switch x := v.(type) {
		case string:
			return x
		case map[string]any:
			for _, k := range []string{"test", "nodeid", "node_id", "name"} {
				if s, ok := x[k].(string); ok {
					return s
				}
			}
		}
		return ""
	}
	num := func(m map[string]any, keys ...string) (float64, string, bool) {
		for _, k := range keys {
			if f, ok := m[k].(float64); ok {
				return f, k, true
			}
		}
		return 0, "", false
	}
	list := func(v any) []any {
		switch x := v.(type) {
		case []any:
			return x
		case nil:
			return nil
		default:
			return []any{x}
		}
	}
	for _, v := range list(raw["leaks"]) {
		l := expectLeak{Test: str(v)}
		if m, ok := v.(map[string]any); ok {
			if f, k, ok := num(m, "retained_bytes", "retained_mib", "retained_mb"); ok {
				if k != "retained_bytes" {
					f *= float64(MiB)
				}
				l.RetainedBytes = int64(f)
			}
			l.Worker, _ = m["worker"].(string)
		}
		e.Leaks = append(e.Leaks, l)
	}
	for _, k := range []string{"not_named", "not_leaks", "victims_not_named"} {
		for _, v := range list(raw[k]) {
			e.NotNamed = append(e.NotNamed, str(v))
		}
	}
	for _, v := range list(raw["in_flight"]) {
		f := expectLeak{Test: str(v)}
		if m, ok := v.(map[string]any); ok {
			f.Worker, _ = m["worker"].(string)
		}
		e.InFlight = append(e.InFlight, f)
	}
	e.KilledComm, _ = raw["killed_comm"].(string)
	for _, k := range []string{"killed_pid", "kill_pid", "pid"} {
		if f, ok := raw[k].(float64); ok {
			e.KilledPID = int(f)
			break
		}
	}
	if s, ok := raw["run_end"].(string); ok {
		e.RunEnd = s
	} else if m, ok := raw["run_end"].(map[string]any); ok {
		e.RunEnd, _ = m["kind"].(string)
	}
	return e
}

// TestScenarios runs every job folder of testdata/scenarios through the
// parsers and Analyze and checks it against its expect.json: the leaks
// named (retained within 20%), the tests that must not be named, the test
// in flight and the killed pid.
func TestScenarios(t *testing.T) {
	dirs, _ := filepath.Glob(corpus("scenarios", "*", "expect.json"))
	if len(dirs) == 0 {
		t.Skip("no testdata/scenarios/*/expect.json yet")
	}
	for _, ex := range dirs {
		dir := filepath.Dir(ex)
		t.Run(filepath.Base(dir), func(t *testing.T) {
			want := readExpect(t, ex)
			rep, err := Analyze(evidenceFromDir(t, dir), Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer func() {
				if t.Failed() {
					t.Logf("verdict: %s", rep.Verdict)
					for _, l := range rep.Leaks {
						t.Logf("leak %s %s %s", l.Test, l.Worker, FormatBytes(l.RetainedBytes))
					}
					for _, w := range rep.Warnings {
						t.Logf("warning: %s", w)
					}
				}
			}()
			for _, wl := range want.Leaks {
				l := findLeak(rep, wl.Test)
				if l == nil {
					t.Errorf("leak %s not named", wl.Test)
					continue
				}
				if wl.RetainedBytes > 0 && math.Abs(float64(l.RetainedBytes-wl.RetainedBytes)) > 0.2*float64(wl.RetainedBytes) {
					t.Errorf("leak %s retained %s, want %s ± 20%%", wl.Test, FormatBytes(l.RetainedBytes), FormatBytes(wl.RetainedBytes))
				}
				if wl.Worker != "" && l.Worker != wl.Worker {
					t.Errorf("leak %s on %q, want %q", wl.Test, l.Worker, wl.Worker)
				}
			}
			for _, n := range want.NotNamed {
				if findLeak(rep, n) != nil {
					t.Errorf("%s named a leak; it is not one", n)
				}
			}
			for _, f := range want.InFlight {
				found := false
				for _, g := range rep.InFlight {
					if g.Test == f.Test && g.Worker == f.Worker {
						found = true
					}
				}
				if !found {
					t.Errorf("in flight %+v, want %s on %q", rep.InFlight, f.Test, f.Worker)
				}
			}
			if want.KilledPID != 0 {
				ok := false
				for _, k := range rep.Kills {
					if k.EndedRun && k.PID == want.KilledPID && (want.KilledComm == "" || k.Comm == want.KilledComm) {
						ok = true
					}
				}
				if !ok {
					t.Errorf("kills %+v: want pid %d (%s) to have ended the run", rep.Kills, want.KilledPID, want.KilledComm)
				}
			}
			if want.RunEnd != "" && rep.RunEnd.Kind != want.RunEnd {
				t.Errorf("run end %q, want %q", rep.RunEnd.Kind, want.RunEnd)
			}
		})
	}
}
