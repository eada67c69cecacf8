package diagnostics

import (
	"bytes"
	"os"
	"path/filepath"
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
