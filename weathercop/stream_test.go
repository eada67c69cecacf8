package weathercop

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// TestStreamMatchesParse: Stream hands over, in order, the records Parse
// keeps, and returns the same log otherwise (warnings, interleaving,
// unfinished tests by index), on every weathercop log of testdata and on
// cut and damaged variants of them.
func TestStreamMatchesParse(t *testing.T) {
	files, err := filepath.Glob("../testdata/weathercop/*.log")
	if err != nil || len(files) == 0 {
		t.Fatalf("no logs: %v", err)
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		s := string(data)
		for name, in := range map[string]string{
			"whole":     s,
			"cut":       s[:len(s)*2/3],
			"garbled":   strings.Replace(s, "VmRSS: ", "VmRSS: x", 1),
			"no-header": "  stray line\n" + s,
		} {
			want, werr := Parse(strings.NewReader(in), Options{Name: "x.log"})
			var got []Record
			log, gerr := Stream(strings.NewReader(in), Options{Name: "x.log"}, func(r *Record) { got = append(got, *r) })
			if (werr == nil) != (gerr == nil) {
				t.Fatalf("%s %s: Parse error %v, Stream error %v", f, name, werr, gerr)
			}
			if werr != nil {
				continue
			}
			if log.Records != nil {
				t.Errorf("%s %s: Stream kept %d records", f, name, len(log.Records))
			}
			if !reflect.DeepEqual(got, want.Records) {
				t.Errorf("%s %s: Stream gave %d records, Parse %d; or they differ", f, name, len(got), len(want.Records))
			}
			log.Records = want.Records
			if !reflect.DeepEqual(log, want) {
				t.Errorf("%s %s: Stream's log %+v\nParse's %+v", f, name, log, want)
			}
		}
	}
}
