package diagnostics

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"unsafe"
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
		// In place: the same records and log, none of it in the input.
		data := []byte(in)
		var inPlace []Record
		blog, berr := StreamBytes(data, Options{Name: "x.jsonl"}, func(format string, r *Record) {
			inPlace = append(inPlace, *r)
		})
		clear(data)
		if berr != nil || !reflect.DeepEqual(inPlace, want.Records) {
			t.Errorf("%s: StreamBytes gave %d records, Parse %d; or they differ (%v)", name, len(inPlace), len(want.Records), berr)
		}
		if blog != nil {
			blog.Records = want.Records
			if !reflect.DeepEqual(blog, want) {
				t.Errorf("%s: StreamBytes %+v\nParse %+v", name, blog, want)
			}
		}
		log.Records = want.Records
		if !reflect.DeepEqual(log, want) {
			t.Errorf("%s: Stream's log %+v\nParse's %+v", name, log, want)
		}
	}
}

// TestStreamNodeIDsKept: the node ids Stream hands over may be kept. They
// share chunks (diagSlab) rather than being allocated one by one, and
// never alias the line buffer: they read the same after the parse and
// after another parse has reused its pooled buffer.
func TestStreamNodeIDsKept(t *testing.T) {
	const tests = 5000
	data := diagBenchInput(tests)
	var ids []string
	if _, err := Stream(bytes.NewReader(data), Options{}, func(_ string, r *Record) {
		if r.Event == EventTestStart || r.Event == EventTestEnd {
			ids = append(ids, r.NodeID)
		}
	}); err != nil {
		t.Fatal(err)
	}
	other := bytes.Repeat([]byte("x"), len(data))
	copy(other, `{"event":"test_start","nodeid":"`)
	Stream(bytes.NewReader(other), Options{}, nil)
	d, err := Parse(bytes.NewReader(data), Options{})
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, r := range d.Records[1:] {
		want = append(want, strings.Clone(r.NodeID))
	}
	if !reflect.DeepEqual(ids, want) || len(ids) != 2*tests {
		t.Fatalf("%d node ids kept, differ from the %d read again", len(ids), len(want))
	}
	for i := 0; i < len(ids); i += 2 {
		if unsafe.StringData(ids[i]) != unsafe.StringData(ids[i+1]) {
			t.Fatalf("test_start and test_end of %s: two strings", ids[i])
		}
	}
	allocs := testing.AllocsPerRun(3, func() {
		Stream(bytes.NewReader(data), Options{}, func(string, *Record) {})
	})
	if allocs > tests/20 {
		t.Errorf("%.0f allocations streaming %d tests: the node ids are not shared", allocs, tests)
	}
}
