package report

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/oomlens/oomlens/correlate"
)

// TestJSONTimelineRowByRow: the report written with its timeline a row at
// a time is byte for byte one Encode of it, for no row, one, and rows with
// nulls, HTML characters and a test name that spells the timeline's key.
func TestJSONTimelineRowByRow(t *testing.T) {
	s := func(v string) *string { return &v }
	n := func(v int64) *int64 { return &v }
	for _, tl := range [][]correlate.TestSpan{
		{},
		{{Test: "a.py::t", Start: s("2026-11-26T10:00:00Z"), RSSBeforeBytes: n(1)}},
		{
			{Test: "a.py::t[<&>]", Worker: "gw0", PID: 7, Outcome: "passed", PeakBytes: n(3)},
			{Test: "\n  \"timeline\": []", End: s("2026-11-26T10:00:01.5Z")},
			{},
		},
	} {
		r := &correlate.Report{Schema: correlate.SchemaV1, Timeline: tl, Verdict: "x <y>", Warnings: []string{"\n  \"timeline\": []"}}
		var want bytes.Buffer
		enc := json.NewEncoder(&want)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		if err := enc.Encode(r); err != nil {
			t.Fatal(err)
		}
		var got bytes.Buffer
		if err := renderJSON(&got, r, Options{}); err != nil {
			t.Fatal(err)
		}
		if got.String() != want.String() {
			t.Errorf("%d rows: got\n%s\nwant\n%s", len(tl), got.String(), want.String())
		}
	}
}
