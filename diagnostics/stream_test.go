package diagnostics

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// TestStreamMatchesParse: Stream hands over, in order, the records Parse
// keeps, with the format known at each, and returns the same log otherwise,
// on every diagnostics file of testdata, cut and damaged variants of them,
// and the other shapes (array, summary).
func TestStreamMatchesParse(t *testing.T) {
	files, _ := filepath.Glob("../testdata/diagnostics/*.jsonl")
	more, _ := filepath.Glob("../testdata/diagnostics/*/*.jsonl")
	files = append(files, more...)
	if len(files) == 0 {
		t.Fatal("no files")
	}
	inputs := map[string]string{
		"array":   `[{"event":"session_start","time":1,"pid":1},{"event":"test_start","time":2,"pid":1,"nodeid":"a.py::t","rss_bytes":10}]`,
		"summary": `{"tests":[{"name":"t1","peak_memory_mb":12.5},{"name":"t2","peak_memory_mb":3}],"tool":"x"}`,
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		s := string(data)
		inputs[f] = s
		inputs[f+" cut"] = s[:len(s)*2/3]
		inputs[f+" wrong type"] = strings.Replace(s, `"rss_bytes":`, `"rss_bytes":"x",  "y":`, 1)
	}
	for name, in := range inputs {
		want, werr := Parse(strings.NewReader(in), Options{Name: "x.jsonl"})
		var got []Record
		log, gerr := Stream(strings.NewReader(in), Options{Name: "x.jsonl"}, func(format string, r *Record) {
			if format == "" {
				t.Errorf("%s: record before the format is known", name)
			}
			got = append(got, *r)
		})
		if (werr == nil) != (gerr == nil) {
			t.Fatalf("%s: Parse error %v, Stream error %v", name, werr, gerr)
		}
		if werr != nil {
			continue
		}
		if log.Records != nil {
			t.Errorf("%s: Stream kept %d records", name, len(log.Records))
		}
		if !reflect.DeepEqual(got, want.Records) {
			t.Errorf("%s: Stream gave %d records, Parse %d; or they differ", name, len(got), len(want.Records))
		}
		log.Records = want.Records
		if !reflect.DeepEqual(log, want) {
			t.Errorf("%s: Stream's log %+v\nParse's %+v", name, log, want)
		}
	}
}
