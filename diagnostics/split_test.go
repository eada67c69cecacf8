package diagnostics

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	gojson "github.com/goccy/go-json"
)

// TestSplitPlainAgrees checks decodeObject's one-pass path against the
// validator's: whatever splitPlain accepts, json.Valid accepts too, and the
// two split it into the same members. The inputs are the lines of the
// repository's diagnostics files, each cut at every byte and with every
// byte replaced by a few that matter to JSON, and lines written to be
// tricky.
func TestSplitPlainAgrees(t *testing.T) {
	lines := [][]byte{
		[]byte(`{}`), []byte(` { } `), []byte(`{"a":1}`), []byte(`{"a":1,}`), []byte(`{"a" 1}`),
		[]byte(`{"a":01}`), []byte(`{"a":-}`), []byte(`{"a":1.}`), []byte(`{"a":.5}`), []byte(`{"a":1e}`),
		[]byte(`{"a":1e+5,"b":-0.25E-3,"c":0}`), []byte(`{"a":tru}`), []byte(`{"a":true,"b":false,"c":null}`),
		[]byte(`{"a":nulls}`), []byte(`{"a":[1,[2,{"b":[]}],{}]}`), []byte(`{"a":[1,]}`), []byte(`{"a":[,1]}`),
		[]byte(`{"a":{"b":1,}}`), []byte(`{"a":"x\"y\\z\/\b\f\n\r\t"}`), []byte(`{"a":"\u0041"}`),
		[]byte(`{"a":"\x"}`), []byte("{\"a\":\"tab\there\"}"), []byte(`{"a":"é"}`), []byte("{\"a\":\"\xff\"}"),
		[]byte(`{"ev\u0065nt":"test_end"}`), []byte(`{"ev\nent":"test_end"}`), []byte(`{"event":"a","event":"b"}`),
		[]byte(`{"a":1} x`), []byte(`{"a":1}}`), []byte(`[{"a":1}]`), []byte(`"a"`), []byte("\xef\xbb\xbf{}"),
		[]byte(`{"a":` + string(bytes.Repeat([]byte("["), 40)) + string(bytes.Repeat([]byte("]"), 40)) + `}`),
		[]byte("{\"a\":1}\r"), []byte("{\t\"a\"\n:\r1 }"), []byte(`{"a":1`), []byte(`{"a":"1`),
	}
	files, _ := filepath.Glob("../testdata/diagnostics/*.jsonl")
	more, _ := filepath.Glob("../testdata/scenarios/*/diag*.jsonl")
	files = append(files, more...)
	var real [][]byte
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for l := range bytes.SplitSeq(b, []byte("\n")) {
			if len(l) > 0 {
				real = append(real, l)
			}
		}
	}
	if len(real) < 20 {
		t.Fatalf("%d diagnostics lines found in %d files: the samples moved?", len(real), len(files))
	}
	plain := 0
	for i, l := range real {
		if _, ok := (&diagParser{}).splitPlain(l); ok {
			plain++
		}
		lines = append(lines, l)
		if i%7 != 0 { // every seventh line mutated: the test stays quick
			continue
		}
		for k := range l {
			lines = append(lines, l[:k])
			for _, c := range []byte{'"', '\\', ',', '}', ']', '0', '-', 'e', ' ', 0x01, 0x1f, 0x7f, 0xc3} {
				m := bytes.Clone(l)
				m[k] = c
				lines = append(lines, m)
			}
		}
	}
	if plain < len(real)*9/10 {
		t.Errorf("splitPlain took %d of %d lines the plugin wrote: the fast path is not taken", plain, len(real))
	}
	for _, l := range lines {
		fast, ok := (&diagParser{}).splitPlain(l)
		if !ok {
			continue
		}
		if !gojson.Valid(l) {
			t.Errorf("splitPlain accepts %q, json.Valid does not", l)
			continue
		}
		slow, err := (&diagParser{}).splitValid(l)
		if err != nil {
			t.Errorf("%q: splitValid: %v", l, err)
			continue
		}
		if len(fast) != len(slow) {
			t.Errorf("%q: %d members by splitPlain, %d by splitValid", l, len(fast), len(slow))
			continue
		}
		for i := range fast {
			if fast[i].key != slow[i].key || fast[i].id != slow[i].id || !bytes.Equal(fast[i].val, slow[i].val) {
				t.Errorf("%q: member %d: %q=%q (%d) by splitPlain, %q=%q (%d) by splitValid", l, i,
					fast[i].key, fast[i].val, fast[i].id, slow[i].key, slow[i].val, slow[i].id)
			}
		}
	}
}

// TestInOrderAgrees checks addRecord's two decoders against each other:
// whatever record inOrder decodes, inFixedOrder decodes the same, without
// a warning. The inputs are the lines of the repository's diagnostics
// files with each field's value replaced by values of other types, null,
// or repeated, and records written to be tricky.
func TestInOrderAgrees(t *testing.T) {
	lines := []string{
		`{"event":"test_end","nodeid":"a","open_datasets":2}`, `{"event":"test_end","unclosed_datasets":1,"open_objects":{"x":1}}`,
		`{"event":"test_end","rss_bytes":1,"rss_bytes":2}`, `{"event":null,"time":1}`, `{"event":"","time":1}`, `{"time":1}`,
		`{"event":"x","schema":"oomlens/diagnostics/v2","nodeid":null}`, `{"event":"x","name":"n","test":"t","peak_mb":3,"tests":[]}`,
		`{"event":"test_end","open_object_details":[{"type":"t","nbytes":5,"closed":true}],"traceback_kept":true}`,
	}
	files, _ := filepath.Glob("../testdata/diagnostics/*.jsonl")
	more, _ := filepath.Glob("../testdata/scenarios/*/diag*.jsonl")
	for _, f := range append(files, more...) {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for l := range bytes.SplitSeq(b, []byte("\n")) {
			lines = append(lines, string(l))
		}
	}
	values := []string{`null`, `"s"`, `""`, `-1`, `1.5`, `1e3`, `99999999999999999999`, `true`, `{}`, `{"a":-1}`, `[]`, `[{"nbytes":"x"}]`}
	var inputs []string
	for _, l := range lines {
		inputs = append(inputs, l)
		ms, err := (&diagParser{}).decodeObject([]byte(l))
		if err != nil {
			continue
		}
		for i, m := range ms {
			start := strings.Index(l, m.key+`":`) + len(m.key) + 2
			if start < len(m.key)+2 || !strings.HasPrefix(l[start:], string(m.val)) {
				continue
			}
			end := start + len(m.val)
			for _, v := range values {
				inputs = append(inputs, l[:start]+v+l[end:])
			}
			inputs = append(inputs, l[:len(l)-1]+`,"`+m.key+`":`+string(m.val)+`}`) // repeated
			if i == 0 {
				inputs = append(inputs, `{"event":"test_end",`+l[1:]) // event repeated
			}
		}
	}
	taken := 0
	for _, in := range inputs {
		p := &diagParser{}
		fields, err := p.decodeObject([]byte(in))
		if err != nil {
			continue
		}
		fast := Record{Line: 1}
		d := diagFieldDecoder{p: p, line: 1}
		if !d.inOrder(&fast, fields) {
			continue
		}
		taken++
		slow := Record{Line: 1}
		ds := diagFieldDecoder{p: p, line: 1}
		ds.inFixedOrder(&slow, fields, false)
		if ds.err != nil || d.err != nil || ds.schema != d.schema || !reflect.DeepEqual(fast, slow) {
			t.Errorf("%s:\ninOrder     %+v (%v, schema %q)\ninFixedOrder %+v (%v, schema %q)", in, fast, d.err, d.schema, slow, ds.err, ds.schema)
		}
	}
	if taken < len(lines)/2 {
		t.Errorf("inOrder took %d of %d inputs", taken, len(inputs))
	}
}
