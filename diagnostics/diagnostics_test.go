package diagnostics

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"testing/iotest"
)

const diagMiB = 1 << 20

var diagnosticsSamples = []string{
	"../testdata/diagnostics/killed-leak.jsonl",
	"../testdata/diagnostics/fixture-teardown.jsonl",
	"../testdata/diagnostics/xdist/diag.gw0.jsonl",
	"../testdata/diagnostics/xdist/diag.gw1.jsonl",
}

func diagParseString(t *testing.T, name, in string) (*Log, error) {
	t.Helper()
	return Parse(strings.NewReader(in), Options{Name: name})
}

func mustParseFile(t *testing.T, path string) *Log {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	d, err := Parse(f, Options{Name: path})
	if err != nil {
		t.Fatalf("Parse(%s): %v", path, err)
	}
	return d
}

// diagExtras renders Extra as strings for comparison.
func diagExtras(m map[string]json.RawMessage) map[string]string {
	if m == nil {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = string(v)
	}
	return out
}

// diagSameRecord compares two records, Extra by its text.
func diagSameRecord(t *testing.T, what string, got, want Record) {
	t.Helper()
	ge, we := diagExtras(got.Extra), diagExtras(want.Extra)
	got.Extra, want.Extra = nil, nil
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s:\n got %+v\nwant %+v", what, got, want)
	}
	if !reflect.DeepEqual(ge, we) {
		t.Errorf("%s Extra:\n got %v\nwant %v", what, ge, we)
	}
}

func diagRaw(s string) json.RawMessage { return json.RawMessage(s) }

// TestParseDiagnosticsKilledLeak reads the real file of a run killed by
// SIGKILL (testdata/diagnostics/README.md). Expected values are copied from
// the file by hand.
func TestParseDiagnosticsKilledLeak(t *testing.T) {
	d := mustParseFile(t, "../testdata/diagnostics/killed-leak.jsonl")
	if d.Format != FormatJSONL || d.Schema != SchemaV1 {
		t.Errorf("Format, Schema = %q, %q", d.Format, d.Schema)
	}
	if len(d.Warnings) != 0 {
		t.Errorf("Warnings = %v, want none: the kill fell between records", d.Warnings)
	}
	if len(d.Records) != 29 {
		t.Fatalf("%d records, want 29 (one per line)", len(d.Records))
	}
	counts := map[string]int{}
	for i, r := range d.Records {
		counts[r.Event]++
		if r.Line != i+1 || r.PID != 18346 || r.Worker != "" {
			t.Errorf("record %d: Line %d PID %d Worker %q", i, r.Line, r.PID, r.Worker)
		}
	}
	wantCounts := map[string]int{"session_start": 1, "sample": 9, "test_start": 9, "test_end": 8, "fixture_setup": 2}
	if !reflect.DeepEqual(counts, wantCounts) {
		t.Errorf("events %v, want %v", counts, wantCounts)
	}
	diagSameRecord(t, "line 1", d.Records[0], Record{
		Event: "session_start", Time: 1795692433.7214627, PID: 18346, Line: 1,
		RSSBytes: 31436800, RSSAnonBytes: 21135360, HasRSS: true, HasRSSAnon: true,
		BootTime: 1795691885, Monotonic: 548.272792331, HasBootTime: true, HasMonotonic: true,
		Extra: map[string]json.RawMessage{
			"python": diagRaw(`"3.11.2"`),
			"argv":   diagRaw(`["-q","-p","oomlens_diagnostics","-p","no:cacheprovider","--oomlens-diagnostics=../killed-leak.jsonl","test_killed_leak.py"]`),
		},
	})
	diagSameRecord(t, "line 4", d.Records[3], Record{
		Event: "test_end", Time: 1795692434.0021458, PID: 18346, Line: 4,
		NodeID: "test_killed_leak.py::test_leaks_first", Outcome: "passed", DurationS: 0.005122,
		RSSBytes: 156332032, RSSAnonBytes: 130633728, PeakRSSBytes: 156332032,
		HasRSS: true, HasRSSAnon: true, HasPeak: true, PeakSource: "vmhwm",
		OpenObjects: map[string]int{},
	})
	// test_leaks_first kept 64 MiB: 156332032 - 89214976 = 67117056 (64.0 MiB + 12 KiB).
	if kept := d.Records[3].RSSBytes - d.Records[2].RSSBytes; kept != 67117056 {
		t.Errorf("test_leaks_first kept %d bytes", kept)
	}
	diagSameRecord(t, "line 13", d.Records[12], Record{
		Event: "test_end", Time: 1795692434.8302817, PID: 18346, Line: 13,
		NodeID: "test_killed_leak.py::test_leaves_dataset_open", Outcome: "passed", DurationS: 0.123403,
		RSSBytes: 187387904, RSSAnonBytes: 149602304, PeakRSSBytes: 187387904,
		HasRSS: true, HasRSSAnon: true, HasPeak: true, PeakSource: "vmhwm",
		OpenObjects: map[string]int{"xarray.Dataset": 1},
		OpenObjectDetails: []OpenObject{{
			Type: "xarray.Dataset", FileBacked: true, Closed: false, NBytes: 1048576,
			Description: "/tmp/pytest-of-root/pytest-9/test_leaves_dataset_open0/weather.nc (time: 2048, station: 64)",
		}},
	})
	diagSameRecord(t, "line 15", d.Records[14], Record{
		Event: "fixture_setup", Time: 1795692434.8384259, PID: 18346, Line: 15,
		NodeID: "test_killed_leak.py::test_uses_reference_table", Fixture: "reference_table", Scope: "module",
		RSSBeforeBytes: 187392000, RSSAfterBytes: 288059392, RSSAnonBytes: 250273792, HasRSSAnon: true,
	})
	diagSameRecord(t, "line 20", d.Records[19], Record{
		Event: "test_end", Time: 1795692435.0589952, PID: 18346, Line: 20,
		NodeID: "test_killed_leak.py::test_fails_after_allocating", Outcome: "failed", DurationS: 0.075009,
		RSSBytes: 389308416, RSSAnonBytes: 351424512, PeakRSSBytes: 389308416,
		HasRSS: true, HasRSSAnon: true, HasPeak: true, PeakSource: "vmhwm", TracebackKept: true,
		OpenObjects: map[string]int{},
	})
	// The victim: a test_start with no test_end, then samples only.
	last := d.Records[25]
	if last.Event != "test_start" || last.NodeID != "test_killed_leak.py::test_killed_while_allocating" || last.RSSBytes != 355749888 {
		t.Errorf("line 26 = %+v", last)
	}
	diagSameRecord(t, "line 29", d.Records[28], Record{
		Event: "sample", Time: 1795692435.8193648, PID: 18346, Line: 29,
		NodeID:   "test_killed_leak.py::test_killed_while_allocating",
		RSSBytes: 489971712, RSSAnonBytes: 452087808, HasRSS: true, HasRSSAnon: true,
	})
	// It held 128 MiB when killed: 489971712 - 355749888 = 134221824.
	if held := d.Records[28].RSSBytes - last.RSSBytes; held != 134221824 {
		t.Errorf("victim held %d bytes", held)
	}
}

// TestParseDiagnosticsFixtureTeardown reads a real run that ended normally
// with a module and a session fixture torn down. Values copied by hand.
func TestParseDiagnosticsFixtureTeardown(t *testing.T) {
	d := mustParseFile(t, "../testdata/diagnostics/fixture-teardown.jsonl")
	if len(d.Warnings) != 0 || len(d.Records) != 16 {
		t.Fatalf("%d records, warnings %v", len(d.Records), d.Warnings)
	}
	first := d.Records[0]
	if first.Extra == nil || string(first.Extra["comm"]) != `"python3"` ||
		!strings.HasPrefix(string(first.Extra["cmdline"]), `"/usr/bin/python3 -m pytest -q -p oomlens_diagnostics`) {
		t.Errorf("session_start Extra %v", diagExtras(first.Extra))
	}
	diagSameRecord(t, "line 5", d.Records[4], Record{
		Event: "fixture_setup", Time: 1795693778.5894907, PID: 24775, Line: 5,
		NodeID: "test_fixture_teardown.py::test_reads_grid", Fixture: "session_cache", Scope: "session",
		RSSBeforeBytes: 47403008, RSSAfterBytes: 97738752,
		RSSAnonBeforeBytes: 29786112, HasRSSAnonBefore: true, RSSAnonBytes: 80121856, HasRSSAnon: true,
	})
	diagSameRecord(t, "line 12", d.Records[11], Record{
		Event: "fixture_teardown", Time: 1795693779.0085957, PID: 24775, Line: 12,
		NodeID: "test_fixture_teardown.py::test_after_failure", Fixture: "grid", Scope: "module",
		RSSBeforeBytes: 198676480, RSSAfterBytes: 98009088,
		RSSAnonBeforeBytes: 180961280, HasRSSAnonBefore: true, RSSAnonBytes: 80293888, HasRSSAnon: true,
	})
	// The 96 MiB module fixture: 198676480 - 98009088 = 100667392 (96.0 MiB + 4 KiB).
	if drop := d.Records[11].RSSBeforeBytes - d.Records[11].RSSAfterBytes; drop != 100667392 {
		t.Errorf("grid gave back %d", drop)
	}
	diagSameRecord(t, "line 14", d.Records[13], Record{
		Event: "fixture_teardown", Time: 1795693779.0225797, PID: 24775, Line: 14,
		NodeID: "test_fixture_teardown.py::test_after_failure", Fixture: "session_cache", Scope: "session",
		RSSBeforeBytes: 98009088, RSSAfterBytes: 47673344,
		RSSAnonBeforeBytes: 80293888, HasRSSAnonBefore: true, RSSAnonBytes: 29958144, HasRSSAnon: true,
	})
	diagSameRecord(t, "line 16", d.Records[15], Record{
		Event: "session_end", Time: 1795693779.0530648, PID: 24775, Line: 16,
		RSSBytes: 47865856, HasRSS: true, RSSAnonBytes: 29954048, HasRSSAnon: true,
		Extra: map[string]json.RawMessage{"exitstatus": diagRaw("1")},
	})
}

func TestParseDiagnosticsXdistWorkers(t *testing.T) {
	pids := map[int]string{}
	var nodeids []string
	for _, w := range []string{"gw0", "gw1"} {
		d := mustParseFile(t, "../testdata/diagnostics/xdist/diag."+w+".jsonl")
		if len(d.Warnings) != 0 || d.Format != FormatJSONL {
			t.Errorf("%s: Format %q Warnings %v", w, d.Format, d.Warnings)
		}
		if first, last := d.Records[0], d.Records[len(d.Records)-1]; first.Event != EventSessionStart || last.Event != EventSessionEnd {
			t.Errorf("%s: first %q last %q", w, first.Event, last.Event)
		}
		for _, r := range d.Records {
			if r.Worker != w {
				t.Errorf("%s line %d: Worker %q", w, r.Line, r.Worker)
			}
			pids[r.PID] = w
			if r.Event == EventTestEnd {
				nodeids = append(nodeids, r.NodeID)
			}
		}
	}
	if len(pids) != 2 {
		t.Errorf("pids %v, want one per worker", pids)
	}
	sort.Strings(nodeids)
	var want []string
	for i := range 6 {
		want = append(want, fmt.Sprintf("test_xdist.py::test_case[%d]", i))
	}
	if !reflect.DeepEqual(nodeids, want) {
		t.Errorf("nodeids %v", nodeids)
	}
	// gw0 line 4, copied by hand.
	d := mustParseFile(t, "../testdata/diagnostics/xdist/diag.gw0.jsonl")
	diagSameRecord(t, "gw0 line 4", d.Records[3], Record{
		Event: "test_end", Time: 1795692436.408226, PID: 18393, Worker: "gw0", Line: 4,
		NodeID: "test_xdist.py::test_case[2]", Outcome: "passed", DurationS: 0.00266,
		RSSBytes: 47484928, RSSAnonBytes: 29818880, PeakRSSBytes: 72495104,
		HasRSS: true, HasRSSAnon: true, HasPeak: true, PeakSource: "vmhwm",
	})
}

func TestParseDiagnosticsShapes(t *testing.T) {
	type rec struct { // the fields each case checks
		Event, NodeID string
		Line          int
		Peak          int64
		HasPeak       bool
		Open          map[string]int
		Extra         map[string]string
	}
	tests := []struct {
		name     string
		in       string
		format   string
		schema   string
		records  []rec
		warnings []string
		extra    map[string]string // Log.Extra
	}{
		{
			name:   "jsonl",
			in:     `{"event":"session_start","time":1.5,"pid":7,"schema":"oomlens/diagnostics/v1","rss_bytes":1}` + "\n" + `{"event":"test_end","time":2,"pid":7,"nodeid":"t.py::a","peak_rss_bytes":300}` + "\n",
			format: FormatJSONL, schema: SchemaV1,
			records: []rec{{Event: "session_start", Line: 1}, {Event: "test_end", NodeID: "t.py::a", Line: 2, Peak: 300, HasPeak: true}},
		},
		{
			name:   "jsonl without schema, CRLF and blank lines",
			in:     "\r\n" + `{"event":"test_start","nodeid":"a"}` + "\r\n\r\n" + `{"event":"test_end","nodeid":"a"}` + "\r\n",
			format: FormatJSONL, schema: SchemaV1,
			records: []rec{{Event: "test_start", NodeID: "a", Line: 2}, {Event: "test_end", NodeID: "a", Line: 4}},
		},
		{
			name:   "json array over lines",
			in:     "[\n  {\"event\": \"test_start\", \"nodeid\": \"a\"},\n  {\"event\": \"test_end\", \"nodeid\": \"a\",\n   \"peak_rss_bytes\": 5}\n]\n",
			format: FormatJSONArray, schema: SchemaV1,
			records: []rec{{Event: "test_start", NodeID: "a", Line: 2}, {Event: "test_end", NodeID: "a", Line: 3, Peak: 5, HasPeak: true}},
		},
		{
			name:   "empty json array",
			in:     "[]",
			format: FormatJSONArray, schema: SchemaV1,
		},
		{
			name: "summary in MiB with name and unclosed_datasets",
			in: `{"tests": [{"name": "test_small_ensemble_generation", "peak_memory_mb": 10638.4, "unclosed_datasets": 1},` +
				`{"name": "test_fit", "peak_memory_mb": 0.0}], "machine": "128 GB"}`,
			format: FormatSummary, schema: SchemaV1,
			records: []rec{
				// 10638.4 MiB = 10638.4 × 1048576 = 11155170918.4 bytes, rounded.
				{Event: "test_end", NodeID: "test_small_ensemble_generation", Line: 1, Peak: 11155170918, HasPeak: true, Open: map[string]int{"xarray.Dataset": 1}},
				{Event: "test_end", NodeID: "test_fit", Line: 1, Peak: 0, HasPeak: true},
			},
			extra: map[string]string{"machine": `"128 GB"`},
		},
		{
			name: "summary pretty-printed, test / peak_mb / open_datasets",
			in: "{\n  \"tests\": [\n    {\"test\": \"test_sim\", \"peak_mb\": 2,\n     \"open_datasets\": 3, \"note\": \"x\"},\n" +
				"    {\"nodeid\": \"p.py::test_b\", \"name\": \"test_b\", \"peak_rss_bytes\": 1024}\n  ]\n}\n",
			format: FormatSummary, schema: SchemaV1,
			records: []rec{
				{Event: "test_end", NodeID: "test_sim", Line: 3, Peak: 2 * diagMiB, HasPeak: true, Open: map[string]int{"xarray.Dataset": 3}, Extra: map[string]string{"note": `"x"`}},
				{Event: "test_end", NodeID: "p.py::test_b", Line: 5, Peak: 1024, HasPeak: true},
			},
		},
		{
			name:   "legacy open_datasets in jsonl",
			in:     `{"event":"test_end","nodeid":"a","open_datasets":2}` + "\n",
			format: FormatJSONL, schema: SchemaV1,
			records: []rec{{Event: "test_end", NodeID: "a", Line: 1, Open: map[string]int{"xarray.Dataset": 2}}},
		},
		{
			name:   "open_objects wins over open_datasets",
			in:     `{"event":"test_end","open_objects":{"xarray.Dataset":1,"h5py.File":2},"open_datasets":9}` + "\n",
			format: FormatJSONL, schema: SchemaV1,
			records: []rec{{Event: "test_end", Line: 1, Open: map[string]int{"xarray.Dataset": 1, "h5py.File": 2}}},
		},
		{
			name:   "unknown fields and events kept, nulls read as missing",
			in:     `{"event":"gc_pause","pid":1,"gen":2,"info":{"a":[1,2]}}` + "\n" + `{"event":"test_end","rss_anon_bytes":null,"peak_rss_bytes":null,"nodeid":"b","x":null}`,
			format: FormatJSONL, schema: SchemaV1,
			records: []rec{
				{Event: "gc_pause", Line: 1, Extra: map[string]string{"gen": "2", "info": `{"a":[1,2]}`}},
				{Event: "test_end", NodeID: "b", Line: 2, Extra: map[string]string{"x": "null"}},
			},
		},
		{
			name:   "cut-off last line",
			in:     `{"event":"test_start","nodeid":"a"}` + "\n" + `{"event":"test_end","nodeid":"a","rss_by`,
			format: FormatJSONL, schema: SchemaV1,
			records:  []rec{{Event: "test_start", NodeID: "a", Line: 1}},
			warnings: []string{"line 2: last line cut off (40 bytes, not whole JSON): the writer was killed while writing it"},
		},
		{
			name:   "only line cut off",
			in:     `{"event":"session_st`,
			format: FormatJSONL, schema: SchemaV1,
			warnings: []string{"line 1: last line cut off (20 bytes, not whole JSON): the writer was killed while writing it"},
		},
		{
			name:   "NUL tail left by a crash",
			in:     `{"event":"test_start"}` + "\n" + "\x00\x00\x00\x00",
			format: FormatJSONL, schema: SchemaV1,
			records:  []rec{{Event: "test_start", Line: 1}},
			warnings: []string{"line 2: line of 4 NUL bytes skipped: blocks allocated but never written before the crash"},
		},
		{
			name:   "cut-off array",
			in:     "[{\"event\":\"test_start\",\"nodeid\":\"a\"},\n{\"event\":\"test_end\",\"nod",
			format: FormatJSONArray, schema: SchemaV1,
			records:  []rec{{Event: "test_start", NodeID: "a", Line: 1}},
			warnings: []string{"line 2: JSON document cut off at the end of the input inside an array element: the writer was killed while writing it"},
		},
		{
			name:   "unknown schema",
			in:     `{"event":"session_start","schema":"oomlens/diagnostics/v2"}` + "\n",
			format: FormatJSONL, schema: "oomlens/diagnostics/v2",
			records:  []rec{{Event: "session_start", Line: 1}},
			warnings: []string{`line 1: unknown schema "oomlens/diagnostics/v2", read as oomlens/diagnostics/v1`},
		},
		{
			name:   "byte order mark",
			in:     "\xEF\xBB\xBF" + `{"event":"test_start"}` + "\n",
			format: FormatJSONL, schema: SchemaV1,
			records: []rec{{Event: "test_start", Line: 1}},
		},
		{
			name:   "empty file",
			in:     "",
			format: FormatJSONL, schema: SchemaV1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// One byte at a time, too: results must not depend on how the
			// reader splits its input.
			for _, r := range []io.Reader{strings.NewReader(tt.in), iotest.OneByteReader(strings.NewReader(tt.in))} {
				d, err := Parse(r, Options{Name: "in.jsonl"})
				if err != nil {
					t.Fatal(err)
				}
				if d.Format != tt.format || d.Schema != tt.schema {
					t.Errorf("Format, Schema = %q, %q; want %q, %q", d.Format, d.Schema, tt.format, tt.schema)
				}
				var got []rec
				for _, r := range d.Records {
					got = append(got, rec{r.Event, r.NodeID, r.Line, r.PeakRSSBytes, r.HasPeak, r.OpenObjects, diagExtras(r.Extra)})
				}
				if !reflect.DeepEqual(got, tt.records) {
					t.Errorf("records\n got %+v\nwant %+v", got, tt.records)
				}
				var warns []string
				for _, w := range d.Warnings {
					warns = append(warns, w.String())
				}
				if !reflect.DeepEqual(warns, tt.warnings) {
					t.Errorf("warnings\n got %q\nwant %q", warns, tt.warnings)
				}
				if !reflect.DeepEqual(diagExtras(d.Extra), tt.extra) {
					t.Errorf("Extra %v, want %v", diagExtras(d.Extra), tt.extra)
				}
			}
		})
	}
}

// TestParseDiagnosticsErrors: a line that is not JSON (other than the last)
// is an error naming file:line.
func TestParseDiagnosticsErrors(t *testing.T) {
	tests := []struct {
		name, in, want string
		line           int
		field          string
	}{
		{"bad json line", "{\"event\":\"a\"}\n{\"event\":\"b\",}\n{\"event\":\"c\"}\n", `run.jsonl:2: not a JSON object`, 2, ""},
		{"joined files", "{\"event\":\"a\"}\n{\"event\":\"test_st{\"event\":\"session_start\"}\n", `run.jsonl:2: not a JSON object: `, 2, ""},
		{"not an object", "{\"event\":\"a\"}\n[1]\n{\"event\":\"c\"}\n", `run.jsonl:2: not a JSON object`, 2, ""},
		{"object without tests", "{\n \"event\": \"x\",\n \"pid\": \n1}\n", `run.jsonl:4: JSON object without a "tests" array`, 4, ""},
		{"text", "[2025-10-25T17:52:41.208113] TEST_END: test_sim\n", `run.jsonl:1: not a JSON object`, 1, ""},
		{"plain text", "hello\n", `run.jsonl:1: not a diagnostics file: starts with 'h'`, 1, ""},
		{"data after document", "[{\"event\":\"a\"}]\n[]\n", `run.jsonl:2: unexpected '['`, 2, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := diagParseString(t, "run.jsonl", tt.in)
			if err == nil {
				t.Fatalf("no error; records %+v warnings %v", d.Records, d.Warnings)
			}
			if !strings.HasPrefix(err.Error(), tt.want) {
				t.Errorf("error %q\nwant prefix %q", err, tt.want)
			}
			var de *ParseError
			if !errors.As(err, &de) {
				t.Fatalf("error %T is not a *ParseError", err)
			}
			if de.Name != "run.jsonl" || de.Line != tt.line || de.Field != tt.field {
				t.Errorf("ParseError{Name %q Line %d Field %q}, want line %d field %q", de.Name, de.Line, de.Field, tt.line, tt.field)
			}
		})
	}
}

func TestParseDiagnosticsLongLine(t *testing.T) {
	long := `{"event":"test_end","nodeid":"` + strings.Repeat("x", 300) + `"}`
	in := `{"event":"test_start"}` + "\n" + long + "\n" + `{"event":"sample"}` + "\n"
	d, err := Parse(strings.NewReader(in), Options{Name: "f", MaxLineBytes: 100})
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Records) != 2 || d.Records[1].Event != "sample" || d.Records[1].Line != 3 {
		t.Errorf("records %+v", d.Records)
	}
	if len(d.Warnings) != 1 || d.Warnings[0].String() != "line 2: line longer than 100 bytes skipped" {
		t.Errorf("warnings %v", d.Warnings)
	}
	// In an array, the long element is skipped the same way.
	d, err = Parse(strings.NewReader("[\n"+long+",\n{\"event\":\"a\"}]"), Options{MaxLineBytes: 100})
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Records) != 1 || d.Records[0].Line != 3 || len(d.Warnings) != 1 || d.Warnings[0].Line != 2 {
		t.Errorf("array: records %+v warnings %v", d.Records, d.Warnings)
	}
	// A first line over the limit: skipped, and the rest read as JSON Lines.
	d, err = Parse(strings.NewReader(long+"\n"+`{"event":"sample"}`+"\n"), Options{MaxLineBytes: 100})
	if err != nil {
		t.Fatal(err)
	}
	if d.Format != FormatJSONL || len(d.Records) != 1 || d.Records[0].Line != 2 ||
		len(d.Warnings) != 1 || d.Warnings[0].String() != "line 1: line longer than 100 bytes skipped" {
		t.Errorf("long first line: err %v format %q records %+v warnings %v", err, d.Format, d.Records, d.Warnings)
	}
	// The default limit takes a 1 MiB line.
	big := `{"event":"test_end","nodeid":"` + strings.Repeat("y", 1<<20) + `"}` + "\n"
	d, err = Parse(strings.NewReader(big), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Records) != 1 || len(d.Records[0].NodeID) != 1<<20 {
		t.Errorf("1 MiB line: %d records", len(d.Records))
	}
}

// TestParseDiagnosticsEveryPrefix cuts each real file at every byte, as a
// kill in the middle of a write() would: never a panic, never an error, the
// whole lines before the cut read as records, and a cut inside a line is one
// warning.
func TestParseDiagnosticsEveryPrefix(t *testing.T) {
	for _, path := range diagnosticsSamples {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		for n := 0; n <= len(data); n++ {
			prefix := data[:n]
			d, err := Parse(bytes.NewReader(prefix), Options{Name: path})
			if err != nil {
				t.Fatalf("%s cut at %d: %v", path, n, err)
			}
			whole := bytes.Count(prefix, []byte{'\n'})
			tail := prefix[bytes.LastIndexByte(prefix, '\n')+1:]
			wantRecords, wantWarnings := whole, 0
			switch {
			case len(tail) == 0:
			case json.Valid(tail): // cut right after the closing brace
				wantRecords++
			default:
				wantWarnings = 1
			}
			if len(d.Records) != wantRecords || len(d.Warnings) != wantWarnings {
				t.Fatalf("%s cut at %d: %d records %d warnings, want %d and %d: %v",
					path, n, len(d.Records), len(d.Warnings), wantRecords, wantWarnings, d.Warnings)
			}
			if wantWarnings == 1 && d.Warnings[0].Line != whole+1 {
				t.Fatalf("%s cut at %d: warning on line %d, want %d", path, n, d.Warnings[0].Line, whole+1)
			}
		}
	}
	// Other shapes: every prefix without a panic.
	for _, in := range []string{
		"[\n  {\"event\": \"test_start\", \"nodeid\": \"a\\\"]\"},\n  {\"event\": \"test_end\"}\n]\n",
		"{\n  \"tests\": [\n    {\"test\": \"test_sim\", \"peak_mb\": 2},\n    {\"name\": \"b\", \"peak_memory_mb\": 1e3}\n  ], \"m\": [1, {\"x\": \"}\"}]\n}\n",
	} {
		for n := 0; n <= len(in); n++ {
			Parse(strings.NewReader(in[:n]), Options{})
		}
	}
}

func FuzzParseDiagnostics(f *testing.F) {
	for _, path := range diagnosticsSamples {
		data, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte(`{"tests": [{"name": "t", "peak_memory_mb": 1.5, "unclosed_datasets": 1}]}`))
	f.Add([]byte("[\n{\"event\":\"test_end\",\"open_object_details\":[{\"type\":\"x\",\"nbytes\":1e3}]}\n]"))
	f.Add([]byte("{\n\"tests\": [\n{\"test\": \"a\"}\n]\n}"))
	f.Fuzz(func(t *testing.T, data []byte) {
		d, err := Parse(bytes.NewReader(data), Options{Name: "fuzz", MaxLineBytes: 4096})
		// Small lines (the records are read in place in the reader's buffer
		// and reserved for by the size hint) read the same.
		hinted, herr := Parse(iotest.OneByteReader(bytes.NewReader(data)), Options{Name: "fuzz", MaxLineBytes: 4096, SizeHintBytes: int64(len(data))})
		if fmt.Sprint(err) != fmt.Sprint(herr) || !reflect.DeepEqual(d, hinted) {
			t.Fatalf("with a size hint and one-byte reads: %+v, %v; want %+v, %v", hinted, herr, d, err)
		}
		// Read in place (StreamBytes' path), the same, and none of the
		// input held.
		held := bytes.Clone(data)
		inPlace, perr := parseSource(diagSource{data: held}, Options{Name: "fuzz", MaxLineBytes: 4096}, nil, false)
		clear(held)
		if fmt.Sprint(err) != fmt.Sprint(perr) || !reflect.DeepEqual(d, inPlace) {
			t.Fatalf("in place: %+v, %v; want %+v, %v", inPlace, perr, d, err)
		}
		if err != nil {
			var de *ParseError
			if !errors.As(err, &de) || de.Line < 1 {
				t.Fatalf("error without a position: %v", err)
			}
			return
		}
		for _, r := range d.Records {
			if r.Event == "" || r.Line < 1 || r.RSSBytes < 0 || r.PeakRSSBytes < 0 {
				t.Fatalf("bad record %+v", r)
			}
		}
		for _, w := range d.Warnings {
			if w.Line < 1 {
				t.Fatalf("warning without a line: %v", w)
			}
		}
		Sniff(data)
		diagCheckDecodeObject(t, data)
	})
}

// diagCheckDecodeObject compares decodeObject's split of a JSON object with
// encoding/json's reading of it.
func diagCheckDecodeObject(t *testing.T, data []byte) {
	var want map[string]json.RawMessage
	stdErr := json.Unmarshal(data, &want)
	p := &diagParser{}
	got, err := p.decodeObject(data)
	if (stdErr == nil && want != nil) != (err == nil) {
		t.Fatalf("decodeObject(%q): err %v, encoding/json err %v", data, err, stdErr)
	}
	if err != nil {
		return
	}
	for k, v := range want {
		g, ok := got.get(k)
		var a, b bytes.Buffer
		json.Compact(&a, g)
		json.Compact(&b, v)
		if !ok || a.String() != b.String() {
			t.Fatalf("decodeObject(%q)[%q] = %q, encoding/json %q", data, k, g, v)
		}
	}
	keys := map[string]bool{}
	for _, m := range got {
		keys[m.key] = true
	}
	if len(keys) != len(want) {
		t.Fatalf("decodeObject(%q): keys %v, encoding/json %d", data, keys, len(want))
	}
}

func TestDecodeObject(t *testing.T) {
	for _, in := range []string{
		`{}`, ` { "a" : 1 , "b":[1,{"c":"}"}], "d\"e":"x\u00e9\n", "f":{"g":null}, "a":true } `,
		`{"s":"\\"}`, `{"n":-1.5e+3}`, `[1]`, `"x"`, `null`, `{"a":1,}`, `{"a"}`, `{`, ``, "{\"k\":\"\xff\"}",
	} {
		diagCheckDecodeObject(t, []byte(in))
	}
}

func TestLooksLikeDiagnostics(t *testing.T) {
	for _, path := range diagnosticsSamples {
		data, _ := os.ReadFile(path)
		if !Sniff(data) {
			t.Errorf("%s: not recognised", path)
		}
	}
	yes := []string{
		`{"tests": [{"name": "t", "peak_memory_mb": 1.5}]}`,
		"[\n {\"event\": \"test_end\", \"nodeid\": \"a\"}]",
		`{"event":"session_start","schema":"oomlens/diagnostics/v1","rss_by`, // cut off
	}
	for _, s := range yes {
		if !Sniff([]byte(s)) {
			t.Errorf("%q: not recognised", s)
		}
	}
	no := []string{
		`{"properties": {"event": {"type": "string"}, "schema": {"description": "oomlens/diagnostics/v1"}}, "tests": [], "peak_mb": {}}`,
		"[2025-10-25T17:52:41.208113] TEST_END: test_small_ensemble_generation\n  Elapsed: 2711.4s\n",
		`{"$report_type": "TestReport", "nodeid": "a.py::t", "when": "call"}`,
		`{"pytest_version": "8.0.0", "$report_type": "SessionStart"}`,
		"[   12.345678] Out of memory: Killed process 1234 (python3)",
		"",
		`{"tests": [{"nodeid": "a", "outcome": "passed"}]}`, // pytest-json-report: no memory
	}
	for _, s := range no {
		if Sniff([]byte(s)) {
			t.Errorf("%q: recognised", s)
		}
	}
	if data, err := os.ReadFile("../docs/diagnostics.schema.json"); err == nil && Sniff(data) {
		t.Error("the JSON Schema is recognised as diagnostics")
	}
	for _, dir := range []string{"../testdata/corpus/kernel", "../testdata/corpus/pytest", "../testdata/corpus/weathercop"} {
		paths, _ := filepath.Glob(dir + "/*")
		for _, p := range paths {
			data, err := os.ReadFile(p)
			if err != nil {
				continue
			}
			if Sniff(data) {
				t.Errorf("%s: recognised as diagnostics", p)
			}
		}
	}
}

func TestWarningString(t *testing.T) {
	for _, tt := range []struct {
		w    Warning
		want string
	}{
		{Warning{Line: 3, Message: "m"}, "line 3: m"},
		{Warning{Offset: 4096, Message: "m"}, "offset 4096: m"},
		{Warning{Message: "m"}, "m"},
	} {
		if got := tt.w.String(); got != tt.want {
			t.Errorf("%+v: %q, want %q", tt.w, got, tt.want)
		}
	}
}

// TestPluginLive runs contrib/pytest/oomlens_diagnostics.py for real under
// /usr/bin/python3 and reads what it wrote. It is skipped when Python, pytest
// or numpy are missing, and fails instead when CI=true.
func TestPluginLive(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: runs Python")
	}
	python := "/usr/bin/python3"
	missing := func(why string) {
		t.Helper()
		if os.Getenv("CI") == "true" {
			t.Fatalf("CI=true and %s", why)
		}
		t.Skip(why)
	}
	if _, err := os.Stat(python); err != nil {
		missing("no " + python)
	}
	if out, err := exec.Command(python, "-c", "import pytest, numpy").CombinedOutput(); err != nil {
		missing(fmt.Sprintf("%s cannot import pytest and numpy (apt-get install python3-pytest python3-numpy): %s", python, out))
	}
	hasXarray := exec.Command(python, "-c", "import xarray, netCDF4").Run() == nil
	hasXdist := exec.Command(python, "-c", "import xdist").Run() == nil
	if os.Getenv("CI") == "true" && (!hasXarray || !hasXdist) {
		t.Fatal("CI=true and python3-xarray, python3-netcdf4 or python3-pytest-xdist missing")
	}
	plugin, err := filepath.Abs("../contrib/pytest")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	suite := `
import numpy as np
import pytest

KEPT = []

@pytest.fixture(scope="module")
def held():
    yield np.ones(150 * 2**20, dtype=np.uint8)

def test_keeps_100mib():
    KEPT.append(np.ones(100 * 2**20, dtype=np.uint8))

def test_frees_200mib():
    data = np.ones(200 * 2**20, dtype=np.uint8)
    del data

def test_uses_module_fixture(held):
    assert held[0] == 1
`
	if hasXarray {
		suite += `
def test_leaves_dataset_open(tmp_path):
    import xarray as xr
    xr.Dataset({"v": ("t", np.arange(1000.0))}).to_netcdf(tmp_path / "d.nc")
    KEPT.append(xr.open_dataset(tmp_path / "d.nc"))
`
	}
	if err := os.WriteFile(filepath.Join(dir, "test_live.py"), []byte(suite), 0o644); err != nil {
		t.Fatal(err)
	}
	run := func(out string, extra ...string) {
		t.Helper()
		args := append([]string{"-m", "pytest", "-q", "-p", "oomlens_diagnostics", "-p", "no:cacheprovider",
			"--oomlens-diagnostics=" + out, "test_live.py"}, extra...)
		cmd := exec.Command(python, args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "PYTHONPATH="+plugin, "PYTEST_ADDOPTS=", "OOMLENS_DIAGNOSTICS=")
		if b, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("pytest: %v\n%s", err, b)
		}
	}
	run("diag.jsonl")
	d := mustParseFile(t, filepath.Join(dir, "diag.jsonl"))
	if len(d.Warnings) != 0 || d.Schema != SchemaV1 || d.Records[0].Event != EventSessionStart || !d.Records[0].HasBootTime {
		t.Fatalf("warnings %v schema %q first %+v", d.Warnings, d.Schema, d.Records[0])
	}
	start := map[string]Record{}
	end := map[string]Record{}
	var teardown *Record
	for _, r := range d.Records {
		_, short, _ := strings.Cut(r.NodeID, "::")
		switch r.Event {
		case EventTestStart:
			start[short] = r
		case EventTestEnd:
			end[short] = r
		case EventFixtureTeardown:
			if r.Fixture == "held" {
				teardown = &r
			}
		}
	}
	const tolerance = 12 * diagMiB
	near := func(what string, got, want int64) {
		t.Helper()
		if got < want-tolerance || got > want+tolerance {
			t.Errorf("%s = %.1f MiB, want %.0f ± %d MiB", what, float64(got)/diagMiB, float64(want)/diagMiB, tolerance/diagMiB)
		} else {
			t.Logf("%s = %.1f MiB", what, float64(got)/diagMiB)
		}
	}
	near("test_keeps_100mib kept", end["test_keeps_100mib"].RSSBytes-start["test_keeps_100mib"].RSSBytes, 100*diagMiB)
	near("test_frees_200mib kept", end["test_frees_200mib"].RSSBytes-start["test_frees_200mib"].RSSBytes, 0)
	if peak := end["test_frees_200mib"].PeakRSSBytes - start["test_frees_200mib"].RSSBytes; peak < 200*diagMiB-tolerance {
		t.Errorf("test_frees_200mib peak over start %.1f MiB, want ≥ 200", float64(peak)/diagMiB)
	}
	if teardown == nil {
		t.Fatal("no fixture_teardown for the module fixture")
	}
	if teardown.Scope != "module" {
		t.Errorf("scope %q", teardown.Scope)
	}
	near("module fixture gave back", teardown.RSSBeforeBytes-teardown.RSSAfterBytes, 150*diagMiB)
	if !teardown.HasRSSAnonBefore || !teardown.HasRSSAnon {
		t.Errorf("fixture_teardown without RssAnon before and after: %+v", *teardown)
	} else {
		near("module fixture gave back (RssAnon)", teardown.RSSAnonBeforeBytes-teardown.RSSAnonBytes, 150*diagMiB)
	}
	if hasXarray {
		e := end["test_leaves_dataset_open"]
		want := []OpenObject{{Type: "xarray.Dataset", FileBacked: true, Closed: false, NBytes: 8000}}
		if len(e.OpenObjectDetails) == 1 {
			want[0].Description = e.OpenObjectDetails[0].Description
		}
		if !reflect.DeepEqual(e.OpenObjects, map[string]int{"xarray.Dataset": 1}) || !reflect.DeepEqual(e.OpenObjectDetails, want) {
			t.Errorf("open objects %v %+v", e.OpenObjects, e.OpenObjectDetails)
		}
		if !strings.Contains(e.OpenObjectDetails[0].Description, "d.nc") {
			t.Errorf("description %q", e.OpenObjectDetails[0].Description)
		}
	}
	if hasXdist {
		run("x.jsonl", "-n", "2")
		if _, err := os.Stat(filepath.Join(dir, "x.jsonl")); err == nil {
			t.Error("the xdist controller wrote a file")
		}
		pids := map[int]bool{}
		for _, w := range []string{"gw0", "gw1"} {
			d := mustParseFile(t, filepath.Join(dir, "x."+w+".jsonl"))
			for _, r := range d.Records {
				if r.Worker != w {
					t.Errorf("x.%s.jsonl line %d: worker %q", w, r.Line, r.Worker)
				}
				pids[r.PID] = true
			}
		}
		if len(pids) != 2 {
			t.Errorf("pids %v", pids)
		}
	}
}

// BenchmarkParseDiagnostics reads the killed-leak sample repeated to ~6 MB
// (its last, unterminated line given a newline so the copies stay whole).
func BenchmarkParseDiagnostics(b *testing.B) {
	one, err := os.ReadFile("../testdata/diagnostics/killed-leak.jsonl")
	if err != nil {
		b.Fatal(err)
	}
	if one[len(one)-1] != '\n' {
		one = append(one, '\n')
	}
	data := bytes.Repeat(one, 1000)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		d, err := Parse(bytes.NewReader(data), Options{})
		if err != nil || len(d.Records) != 29000 {
			b.Fatal(err)
		}
	}
}

func TestParseDiagnosticsJoinedFiles(t *testing.T) {
	// cat of a killed worker's file (no final newline) and another file.
	gw0, _ := os.ReadFile("../testdata/diagnostics/killed-leak.jsonl")
	gw1, _ := os.ReadFile("../testdata/diagnostics/xdist/diag.gw1.jsonl")
	cut := gw0[:bytes.LastIndexByte(gw0[:len(gw0)-1], '\n')+40]
	_, err := Parse(bytes.NewReader(append(append([]byte(nil), cut...), gw1...)), Options{Name: "all.jsonl"})
	want := "all.jsonl:29: not a JSON object: "
	if err == nil || !strings.HasPrefix(err.Error(), want) || !strings.Contains(err.Error(), "a second record starts at byte 40: was a cut-off file concatenated with another?") {
		t.Errorf("error %v", err)
	}
}

// TestParseDiagnosticsSizeHint: a size hint, right or wrong, changes how
// Records is grown, never what is read; a right one reserves the room at
// once.
func TestParseDiagnosticsSizeHint(t *testing.T) {
	one, err := os.ReadFile("../testdata/diagnostics/killed-leak.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	if one[len(one)-1] != '\n' {
		one = append(one, '\n')
	}
	data := bytes.Repeat(one, 100)
	for _, path := range diagnosticsSamples {
		sample, _ := os.ReadFile(path)
		want, wantErr := Parse(bytes.NewReader(sample), Options{Name: path})
		for _, hint := range []int64{1, int64(len(sample)) / 2, int64(len(sample)), int64(len(sample)) * 3, 1 << 40} {
			got, err := Parse(bytes.NewReader(sample), Options{Name: path, SizeHintBytes: hint})
			if fmt.Sprint(err) != fmt.Sprint(wantErr) || !reflect.DeepEqual(got, want) {
				t.Fatalf("%s with hint %d: differs from no hint (err %v, want %v)", path, hint, err, wantErr)
			}
		}
	}
	d, err := Parse(bytes.NewReader(data), Options{SizeHintBytes: int64(len(data))})
	if err != nil || len(d.Records) != 2900 {
		t.Fatalf("%v, %d records", err, len(d.Records))
	}
	if c := cap(d.Records); c < 2900 || c > 2900*11/10 {
		t.Errorf("cap %d for 2900 records read with a right hint, want at most 10%% more", c)
	}
	huge, err := Parse(bytes.NewReader(data), Options{SizeHintBytes: 1 << 40})
	if err != nil || !reflect.DeepEqual(huge.Records, d.Records) {
		t.Fatalf("a huge hint: %v", err)
	}
}

// BenchmarkParseDiagnosticsSizeHint is BenchmarkParseDiagnostics with the
// input's size given, as the job loader gives a file's.
func BenchmarkParseDiagnosticsSizeHint(b *testing.B) {
	one, err := os.ReadFile("../testdata/diagnostics/killed-leak.jsonl")
	if err != nil {
		b.Fatal(err)
	}
	if one[len(one)-1] != '\n' {
		one = append(one, '\n')
	}
	data := bytes.Repeat(one, 1000)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		d, err := Parse(bytes.NewReader(data), Options{SizeHintBytes: int64(len(data))})
		if err != nil || len(d.Records) != 29000 {
			b.Fatal(err)
		}
	}
}

func TestDiagKeyIndex(t *testing.T) {
	for i, k := range diagKnownKeys {
		if id, ok := diagKeyIndex(k); !ok || id != diagKeyID(i) {
			t.Errorf("%q: id %d, %v; want %d", k, id, ok, i)
		}
		if name, id := diagKey([]byte(`"` + k + `"`)); name != k || id != diagKeyID(i) {
			t.Errorf("%q read as %q, %d", k, name, id)
		}
	}
	for _, k := range []string{"", "events", "Event", "tim", "rss", "extra"} {
		if id, ok := diagKeyIndex(k); ok {
			t.Errorf("%q known as %d", k, id)
		}
	}
	if name, id := diagKey([]byte(`"ev\u0065nt"`)); name != "event" || id != kEvent {
		t.Errorf("escaped key read as %q, %d", name, id)
	}
	if !kTracebackKept.recordField() || kName.recordField() || !kPeakMB.summaryField() || kTests.summaryField() || kTests.recordField() {
		t.Error("field classes")
	}
}

// TestParseDiagnosticsBadField: a record with a known field of the wrong type
// or out of range, or without an event, is a warning naming its line and the
// field; that record is skipped and every other record kept.
func TestParseDiagnosticsBadField(t *testing.T) {
	const before, after = `{"event":"test_start","nodeid":"t.py::a","rss_bytes":100}` + "\n", `{"event":"test_end","nodeid":"t.py::a","rss_bytes":200}` + "\n"
	tests := []struct {
		name, bad, want string
	}{
		{"negative rss", `{"event":"sample","rss_bytes":-1}`, `line 2: field "rss_bytes": negative byte count -1; this record skipped, the others kept`},
		{"string for bytes", `{"event":"sample","rss_bytes":"abc"}`, `line 2: field "rss_bytes": want a byte count, got string "abc"; this record skipped, the others kept`},
		{"huge bytes", `{"event":"sample","peak_rss_bytes":1e300}`, `line 2: field "peak_rss_bytes": byte count 1e+300 out of range; this record skipped, the others kept`},
		{"number for nodeid", `{"event":"test_end","nodeid":12}`, `line 2: field "nodeid": want a string, got number 12; this record skipped, the others kept`},
		{"fractional pid", `{"event":"test_end","pid":1.5}`, `line 2: field "pid": want an integer, got number 1.5; this record skipped, the others kept`},
		{"pid out of range", `{"event":"test_end","pid":99999999999}`, `line 2: field "pid": integer 99999999999 out of range; this record skipped, the others kept`},
		{"bad open_objects count", `{"event":"test_end","open_objects":{"xarray.Dataset":"one"}}`, `line 2: field "open_objects.xarray.Dataset": want an integer, got string "one"; this record skipped, the others kept`},
		{"bad detail", `{"event":"test_end","open_object_details":[{"closed":"no"}]}`, `line 2: field "open_object_details[0].closed": want true or false, got string "no"; this record skipped, the others kept`},
		{"missing event", `{"pid":1}`, `line 2: field "event": missing: every record names its event; this record skipped, the others kept`},
		{"empty event", `{"event":""}`, `line 2: field "event": empty: every record names its event; this record skipped, the others kept`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, shape := range []string{"jsonl", "array"} {
				in := before + tt.bad + "\n" + after
				if shape == "array" {
					in = "[" + strings.TrimSuffix(before, "\n") + ",\n" + tt.bad + ",\n" + strings.TrimSuffix(after, "\n") + "]\n"
				}
				d, err := diagParseString(t, "run.jsonl", in)
				if err != nil {
					t.Fatalf("%s: %v", shape, err)
				}
				if len(d.Records) != 2 || d.Records[0].Line != 1 || d.Records[0].RSSBytes != 100 || d.Records[1].Line != 3 || d.Records[1].RSSBytes != 200 {
					t.Errorf("%s: records %+v, want lines 1 and 3 kept", shape, d.Records)
				}
				if len(d.Warnings) != 1 || d.Warnings[0].String() != tt.want {
					t.Errorf("%s: warnings %q\nwant [%q]", shape, d.Warnings, tt.want)
				}
			}
		})
	}
	t.Run("summary", func(t *testing.T) {
		in := "{\n \"tests\": [\n  {\"name\": \"t\", \"peak_memory_mb\": 1},\n  {\"name\": 3},\n  {\"name\": \"u\", \"peak_memory_mb\": \"big\"},\n  {\"name\": \"v\", \"peak_memory_mb\": 2}\n ]\n}"
		d, err := diagParseString(t, "run.json", in)
		if err != nil {
			t.Fatal(err)
		}
		if len(d.Records) != 2 || d.Records[0].NodeID != "t" || d.Records[1].NodeID != "v" || d.Records[1].PeakRSSBytes != 2<<20 {
			t.Errorf("records %+v, want t and v", d.Records)
		}
		want := []string{
			`line 4: field "name": want a string, got number 3; this test entry skipped, the others kept`,
			`line 5: field "peak_memory_mb": want a number, got string "big"; this test entry skipped, the others kept`,
		}
		if len(d.Warnings) != 2 || d.Warnings[0].String() != want[0] || d.Warnings[1].String() != want[1] {
			t.Errorf("warnings %q\nwant %q", d.Warnings, want)
		}
	})
}
