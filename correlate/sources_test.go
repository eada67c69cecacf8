package correlate

import (
	"reflect"
	"testing"
)

// TestTestSources: a test's record positions come back as they were noted,
// in its process's input or another, past the two a test has too.
func TestTestSources(t *testing.T) {
	p := &proc{Source: "diag.jsonl"}
	for _, c := range []struct {
		name string
		in   []srcPos
	}{
		{"none", nil},
		{"start", []srcPos{{"diag.jsonl", 3}}},
		{"start and end", []srcPos{{"diag.jsonl", 3}, {"diag.jsonl", 9}}},
		{"end in another input", []srcPos{{"diag.jsonl", 3}, {"other.jsonl", 1}}},
		{"formatted positions", []srcPos{{"ci.log:10", 0}, {"ci.log:12", 0}}},
		{"a third", []srcPos{{"diag.jsonl", 3}, {"diag.jsonl", 9}, {"x.jsonl", 2}}},
	} {
		tm := &testMem{Proc: p, testRare: &noRare}
		for _, at := range c.in {
			tm.addSource(at)
		}
		got := tm.sources()
		if len(c.in) == 0 && len(got) == 0 {
			continue
		}
		if !reflect.DeepEqual(got, c.in) {
			t.Errorf("%s: sources %v, want %v", c.name, got, c.in)
		}
	}
	if !reflect.DeepEqual(noRare, testRare{}) {
		t.Errorf("noRare was written: %+v", noRare)
	}
}
