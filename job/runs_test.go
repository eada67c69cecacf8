package job

import (
	"path/filepath"
	"reflect"
	"testing"

	"github.com/oomlens/oomlens/discover"
)

func runsOf(t *testing.T, paths ...string) []Run {
	t.Helper()
	set, err := discover.Walk(paths, discover.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer set.Cleanup()
	ev, err := Load(set, Options{})
	if err != nil {
		t.Fatal(err)
	}
	return Runs(ev)
}

// TestRuns checks the rule of Runs on real captures: `oomlens record`
// folders (record.json, its stamped output.log, its diagnostics.jsonl) and
// the scenarios, all of one machine and one boot.
func TestRuns(t *testing.T) {
	rec := func(name string, files ...string) []string {
		var out []string
		for _, f := range files {
			out = append(out, filepath.Join("../correlate/testdata", name, f))
		}
		return out
	}
	for _, tc := range []struct {
		name  string
		paths []string
		want  [][]string
	}{
		{"a record folder is one run", []string{"../correlate/testdata/record-memcg-10ms"},
			[][]string{rec("record-memcg-10ms", "diagnostics.jsonl", "output.log", "record.json")}},
		{"two record folders of one minute are two runs", []string{"../correlate/testdata/record-memcg-10ms", "../correlate/testdata/record-memcg-50ms"},
			[][]string{rec("record-memcg-10ms", "diagnostics.jsonl", "output.log", "record.json"), rec("record-memcg-50ms", "diagnostics.jsonl", "output.log", "record.json")}},
		{"the files of one record run given apart", append(rec("record-memcg-50ms", "output.log"), rec("record-memcg-50ms", "record.json", "diagnostics.jsonl")...),
			[][]string{append(rec("record-memcg-50ms", "output.log"), rec("record-memcg-50ms", "record.json", "diagnostics.jsonl")...)}},
		{"a kernel log alone makes no run", []string{"../testdata/scenarios/verbose-plugin/kernel.log", "../testdata/scenarios/xdist-plugin/kernel.log"}, nil},
		{"xdist workers make no run of their own", []string{"../testdata/scenarios/xdist-plugin/diag.gw0.jsonl", "../testdata/scenarios/xdist-plugin/diag.gw1.jsonl"}, nil},
		{"the same diagnostics twice are one process", []string{"../testdata/scenarios/verbose-plugin/diag.jsonl", "../testdata/scenarios/verbose-plugin/diag.jsonl"},
			[][]string{{"../testdata/scenarios/verbose-plugin/diag.jsonl", "../testdata/scenarios/verbose-plugin/diag.jsonl"}}},
		{"stamps half an hour apart are two runs", []string{"../testdata/scenarios/gha-journal/ci.log", "../correlate/testdata/record-memcg-10ms/diagnostics.jsonl"},
			[][]string{{"../testdata/scenarios/gha-journal/ci.log"}, {"../correlate/testdata/record-memcg-10ms/diagnostics.jsonl"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := runsOf(t, tc.paths...)
			var inputs [][]string
			for _, r := range got {
				inputs = append(inputs, r.Inputs)
			}
			if !reflect.DeepEqual(inputs, tc.want) {
				t.Errorf("runs %q, want %q", inputs, tc.want)
			}
		})
	}
}
