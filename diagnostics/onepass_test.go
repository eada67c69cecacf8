package diagnostics

import (
	"bytes"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// diagOnePassLines returns lines to hold onePass to the general path: the
// lines of the repository's diagnostics files and of a batch job's, and
// lines written to be tricky (each a field onePass declines or must read
// as the general path does).
func diagOnePassLines(t testing.TB) (tricky, real []string) {
	tricky = []string{
		`{}`, ` { } `, `{"event":"test_end"}`, `{"event":"test_end",}`, `{"event":"test_end"} x`, `{"event":"test_end"`,
		`{"event":"","time":1}`, `{"event":null,"time":1}`, `{"time":1}`, `{"event":"test_end","event":"test_start"}`,
		`{"event":"te\"st","nodeid":"a\\b","worker":"gw\/0"}`, `{"event":"test_end","nodeid":"\u0061"}`,
		`{"ev\/ent":"x","event":"y"}`, `{"event":"test_end","nodeid":"é"}`, "{\"event\":\"test_end\",\"nodeid\":\"\xff\"}",
		`{"event":"test_end","time":1e3,"duration_s":-0,"pid":-0,"rss_bytes":0}`, `{"event":"test_end","time":-0.0}`,
		`{"event":"test_end","time":1E+400}`, `{"event":"test_end","time":123456789012345678901234567890}`,
		`{"event":"test_end","time":9007199254740993}`, `{"event":"test_end","time":0.12345678901234567890123}`,
		`{"event":"test_end","pid":2147483647}`, `{"event":"test_end","pid":2147483648}`, `{"event":"test_end","pid":-2147483648}`,
		`{"event":"test_end","pid":-2147483649}`, `{"event":"test_end","pid":1.0}`, `{"event":"test_end","pid":1.5}`,
		`{"event":"test_end","pid":1e2}`, `{"event":"test_end","rss_bytes":-1}`, `{"event":"test_end","rss_bytes":1.5}`,
		`{"event":"test_end","rss_bytes":999999999999999999}`, `{"event":"test_end","rss_bytes":9999999999999999999}`,
		`{"event":"test_end","rss_bytes":99999999999999999999}`, `{"event":"test_end","rss_bytes":01}`,
		`{"event":"test_end","rss_bytes":"1"}`, `{"event":"test_end","rss_bytes":true}`, `{"event":"test_end","rss_bytes":nul}`,
		`{"event":"test_end","rss_bytes":null,"rss_anon_bytes":null,"peak_rss_bytes":null}`,
		`{"event":"test_end","nodeid":null,"outcome":null}`, `{"event":"test_end","nodeid":1}`, `{"event":"test_end","nodeid":""}`,
		`{"event":"test_end","open_datasets":2}`, `{"event":"test_end","unclosed_datasets":1,"open_objects":{"x":1}}`,
		`{"event":"test_end","open_objects":{"x":1,"y":-1}}`, `{"event":"test_end","open_objects":[]}`,
		`{"event":"test_end","open_object_details":[{"type":"t","nbytes":5,"closed":true}],"traceback_kept":true}`,
		`{"event":"test_end","open_object_details":[{"nbytes":"x"}]}`, `{"event":"test_end","traceback_kept":1}`,
		`{"event":"x","schema":"oomlens/diagnostics/v2"}`, `{"event":"x","schema":1}`, `{"event":"x","schema":"oomlens/diagnostics/v1"}`,
		`{"event":"x","name":"n","test":"t","peak_mb":3,"tests":[],"peak_memory_mb":1}`,
		`{"event":"x","extra":{"a":[1,2,{"b":null}]},"extra":"again","other":-1.5e-3}`,
		`{"event":"fixture_teardown","fixture":"f","scope":"module","rss_before_bytes":5,"rss_after_bytes":3,"rss_anon_before_bytes":2}`,
		`{"event":"session_start","boot_time":1.5,"monotonic":2,"peak_source":"vmhwm","worker":"gw1"}`,
		`{"event":"test_end","outcome":"` + strings.Repeat("x", 70) + `"}`, "{\"event\":\"test_end\",\t\"time\" : 1 ,\r\"pid\":2 }\r",
		`{"event":"test_end","nodeid":"tests/a.py::t"}`, `{"event":"test_end","nodeid":"tests/a.py::t\""}`,
		`{"event":"test_end","nodeid":"tests/a.py::t","x":1}`, `{"event":"test_end","nodeid":"tests/a.py::`,
		"\x00\x00", "  ", `[1]`, `"x"`,
		// Lines whose templates hold spaces, unknown fields, an event not
		// first, a value onePassQuick declines.
		"{\"event\":\"test_end\", \"time\" : 1.5 ,\"x\":[1,2],\"pid\":2 , \"open_objects\":{}}\r", `{"time":1.5,"event":"sample","pid":3}`,
		`{"event":"test_start","nodeid":"a\"b","rss_bytes":1}`, `{"event":"test_end","outcome":"failed","rss_bytes":12345678901234567}`,
		`{"event":"sample","rss_bytes":1234567890123456,"x":1}`, `{"event":"test_end","time":12345678.123456789012}`,
		`{"event":"test_start","very_long_unknown_key_of_thirty":1}`, `{"event":"fixture_teardown","rss_anon_before_bytes":1}`,
	}
	files, _ := filepath.Glob("../testdata/diagnostics/*.jsonl")
	more, _ := filepath.Glob("../testdata/scenarios/*/diag*.jsonl")
	xdist, _ := filepath.Glob("../testdata/diagnostics/xdist/*.jsonl")
	var data [][]byte
	for _, f := range slices.Concat(files, more, xdist) {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		data = append(data, b)
	}
	job := diagJobInput()
	for range 30 { // the head of a batch job's: its lines differ in figures only
		job = job[bytes.IndexByte(job, '\n')+1:]
	}
	data = append(data, diagJobInput()[:len(diagJobInput())-len(job)])
	for _, b := range data {
		for l := range bytes.SplitSeq(b, []byte("\n")) {
			if len(l) > 0 {
				real = append(real, string(l))
			}
		}
	}
	if len(real) < 100 {
		t.Fatalf("%d diagnostics lines found: the samples moved?", len(real))
	}
	return tricky, real
}

// diagOnePassCheck parses in with and without onePass, with it from a
// reader and in place (StreamBytes' diagSource), and reports where they
// differ from the general path: the records, warnings, schema, format and
// error. (In place, the lines onePass declines go to the general path in
// place, as do the documents of FuzzParseDiagnostics and
// TestStreamMatchesParse, which hold it to Parse from a reader.)
func diagOnePassCheck(t *testing.T, in string) {
	t.Helper()
	slow, serr := parseWith(strings.NewReader(in), Options{Name: "x.jsonl"}, nil, true)
	for _, c := range []struct {
		path    string
		general bool
		inPlace bool
	}{{"one pass", false, false}, {"one pass in place", false, true}} {
		var got *Log
		var err error
		if c.inPlace {
			data := []byte(in)
			got, err = parseSource(diagSource{data: data}, Options{Name: "x.jsonl"}, nil, c.general)
			clear(data) // the log holds none of it
		} else {
			got, err = parseWith(strings.NewReader(in), Options{Name: "x.jsonl"}, nil, c.general)
		}
		if (err == nil) != (serr == nil) || err != nil && err.Error() != serr.Error() {
			t.Fatalf("%q:\n%s error %v\ngeneral error %v", in, c.path, err, serr)
		}
		if !reflect.DeepEqual(got, slow) {
			t.Fatalf("%q:\n%s %+v\ngeneral %+v", in, c.path, got, slow)
		}
	}
}

// TestOnePassAgrees holds jsonLine's one-pass path to the general one
// (decodeObject, then addRecord): a file parsed with and without it gives
// the same log or the same error. Each input line comes after a first
// line (which onePass does not read), then records of one node (whose id
// is shared), then the line again, last, without a newline; every
// thirty-first real line is also cut at every byte and has every byte
// replaced by a few that matter.
func TestOnePassAgrees(t *testing.T) {
	tricky, real := diagOnePassLines(t)
	const first = `{"event":"session_start","time":1,"pid":1}` + "\n"
	const after = `{"event":"test_end","nodeid":"tests/a.py::t","outcome":"passed"}`
	inputs := append([]string(nil), tricky...)
	var changed [][2]string // a real line, then it changed
	for i, l := range real {
		inputs = append(inputs, l)
		if i%31 != 0 {
			continue
		}
		for k := range l {
			inputs = append(inputs, l[:k])
			changed = append(changed, [2]string{l, l[:k]})
			for _, c := range []byte{'"', '\\', ',', '}', '0', '-', '.', 'n', ' ', 'e', '9', 0x01, 0xc3} {
				m := []byte(l)
				m[k] = c
				inputs = append(inputs, string(m))
				changed = append(changed, [2]string{l, string(m)})
			}
		}
	}
	for _, l := range inputs {
		// l last: a line ending the input without a newline, perhaps cut off
		diagOnePassCheck(t, first+l+"\n"+after+"\n"+after+"\n"+l)
	}
	for _, c := range changed {
		// The changed line read by the real one's template (byTemplates),
		// in the middle and last.
		diagOnePassCheck(t, first+c[0]+"\n"+c[1]+"\n"+c[0]+"\n"+c[1])
	}
	taken := 0
	for _, l := range real {
		p := &diagParser{d: &Log{Format: FormatJSONL}, each: func(string, *Record) {}}
		if p.onePass([]byte(l), 1) {
			taken++
		}
	}
	if taken < len(real)*9/10 {
		t.Errorf("onePass took %d of %d lines the plugin wrote: the fast path is not taken", taken, len(real))
	}
}

// FuzzOnePass holds onePass to the general path on any lines following a
// first record.
func FuzzOnePass(f *testing.F) {
	tricky, real := diagOnePassLines(f)
	for _, l := range tricky {
		f.Add(l)
	}
	for i := 0; i < len(real); i += 37 {
		f.Add(real[i] + "\n" + real[min(i+1, len(real)-1)])
	}
	// Runs of lines, whose later lines byTemplates reads by the earlier
	// ones' templates: of each real file (bench-out's batch jobs when
	// generated).
	files := diagRealFiles(f, 100)
	for _, name := range slices.Sorted(maps.Keys(files)) {
		lines := strings.SplitAfter(string(files[name]), "\n")
		for i := 0; i < len(lines); i += 97 {
			f.Add(strings.Join(lines[i:min(i+5, len(lines))], ""))
		}
	}
	f.Fuzz(func(t *testing.T, lines string) {
		diagOnePassCheck(t, `{"event":"session_start","time":1,"pid":1}`+"\n"+lines)
	})
}
