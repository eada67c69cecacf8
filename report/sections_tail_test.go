package report

import (
	"strings"
	"testing"

	"github.com/oomlens/oomlens/correlate"
)

// TestTimelineTail: a timeline the analysis cut to its last tests
// (correlate.Options.TimelineTail) is counted and numbered as the whole one,
// and the text report reads the same as from the whole timeline.
func TestTimelineTail(t *testing.T) {
	whole := &correlate.Report{Schema: correlate.SchemaV1}
	for _, id := range []string{"t.py::a", "t.py::b", "t.py::c", "t.py::d", "t.py::e"} {
		whole.Timeline = append(whole.Timeline, correlate.TestSpan{Test: id, Outcome: "passed"})
	}
	cut := *whole
	cut.Timeline, cut.TimelineTotal = whole.Timeline[3:], 5

	opts := Options{Top: 2}
	if n := TimelineRows("text", opts); n != 2 {
		t.Fatalf("TimelineRows(text, top 2) = %d", n)
	}
	s := buildView(&cut, opts).section("timeline")
	if s.Total != 5 || len(s.Rows) != 2 || s.Rows[0].Cells[0].Text != "4" || s.Rows[1].Cells[0].Text != "5" {
		t.Fatalf("timeline section: total %d, rows %+v", s.Total, s.Rows)
	}
	var a, b strings.Builder
	if err := Render(&a, whole, "text", opts); err != nil {
		t.Fatal(err)
	}
	if err := Render(&b, &cut, "text", opts); err != nil {
		t.Fatal(err)
	}
	if a.String() != b.String() {
		t.Errorf("text from the cut timeline:\n%s\nfrom the whole:\n%s", b.String(), a.String())
	}
	for _, c := range []struct {
		format string
		top    int
		want   int
	}{{"text", 0, DefaultTop}, {"markdown", 7, 7}, {"text", All, 0}, {"json", 3, 0}, {"html", 3, 0}} {
		if got := TimelineRows(c.format, Options{Top: c.top}); got != c.want {
			t.Errorf("TimelineRows(%s, top %d) = %d, want %d", c.format, c.top, got, c.want)
		}
	}
}
