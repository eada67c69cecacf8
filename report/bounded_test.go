package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"html"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/oomlens/oomlens/correlate"
)

// hugeReport is a run of n tests on 4 xdist workers that is as hard on the
// size limits as a report gets: a fifth of the tests leak, a third are
// hogs, a tenth leave objects open, each with 30 lines of evidence; 50
// kills with their kernel records, 500 warnings, 400 inputs with
// warnings, a sample per worker per test. Node ids hold backticks and
// pipes, as parametrised ids can.
func hugeReport(n int) *correlate.Report {
	t0 := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	stamp := func(ms int) *string {
		s := t0.Add(time.Duration(ms) * time.Millisecond).Format(time.RFC3339Nano)
		return &s
	}
	limit := int64(448) * mib
	r := &correlate.Report{Schema: correlate.SchemaV1,
		Verdict: "tests/test_mod000.py::test_case[`0`|a] leaked most; tests/test_mod000.py::test_case[`3`|a] was only running.",
		RunEnd:  correlate.RunEnd{Kind: "oom-kill", Evidence: make([]string, 40)}}
	for i := range r.RunEnd.Evidence {
		r.RunEnd.Evidence[i] = fmt.Sprintf("pytest.log:%d: line %d of the end", i+1, i)
	}
	evidence := func(i int) []string {
		ev := make([]string, 30)
		for j := range ev {
			ev[j] = fmt.Sprintf("diag.gw%d.jsonl:%d: test_end rss %d MiB (+%d MiB), `open` | objects", i%4, 10*i+j, 300+i/40, j)
		}
		return ev
	}
	for i := 0; i < n; i++ {
		id := fmt.Sprintf("tests/test_mod%03d.py::test_case[`%d`|a]", i/1000, i)
		before, after := int64(300+i/400)*mib, int64(300+i/400+1)*mib
		r.Timeline = append(r.Timeline, correlate.TestSpan{Test: id, Worker: fmt.Sprintf("gw%d", i%4), PID: 5000 + i%4,
			Start: stamp(10 * i), End: stamp(10*i + 9), Outcome: "passed", RSSBeforeBytes: &before, RSSAfterBytes: &after, PeakBytes: &after})
		r.Samples = append(r.Samples, correlate.RSSSample{Time: *stamp(10*i + 5), PID: 5000 + i%4, Worker: fmt.Sprintf("gw%d", i%4), RSSBytes: before})
		switch {
		case i%5 == 0:
			r.Leaks = append(r.Leaks, correlate.Leak{Test: id, Worker: fmt.Sprintf("gw%d", i%4), PID: 5000 + i%4, RetainedBytes: int64(n-i) * kib,
				Confidence: "medium", OpenObjects: map[string]int{"xarray.Dataset": 1}, Evidence: evidence(i)})
		case i%3 == 0:
			r.Hogs = append(r.Hogs, correlate.Hog{Test: id, Worker: "gw0", PeakBytes: gib, Evidence: evidence(i)})
		case i%10 == 1:
			r.Unclosed = append(r.Unclosed, correlate.Unclosed{Test: id, Worker: "gw1", OpenObjects: map[string]int{"file": 2}, Evidence: evidence(i)})
		}
	}
	for w := 0; w < 4; w++ {
		r.InFlight = append(r.InFlight, correlate.InFlight{Test: r.Timeline[n-4+w].Test, Worker: fmt.Sprintf("gw%d", w), PID: 5000 + w,
			Basis: "diagnostics", Evidence: evidence(w)})
	}
	for k := 0; k < 50; k++ {
		r.Kills = append(r.Kills, correlate.Kill{Kind: "kernel-oom-kill", PID: 5000 + k, Comm: "python3", Time: stamp(10 * n),
			EndedRun: k == 0, AnonRSSBytes: ptr[int64](440 * mib), MemcgLimitBytes: &limit, Source: fmt.Sprintf("kern.log:%d", k),
			KeyLines: []string{"python3 invoked oom-killer: gfp_mask=0xcc0(GFP_KERNEL), order=0", "memory: usage 458752kB, limit 458752kB, failcnt 12",
				"Memory cgroup out of memory: Killed process 5000 (python3) total-vm:1000kB, anon-rss:450560kB"}})
	}
	for w := 0; w < 500; w++ {
		r.Warnings = append(r.Warnings, fmt.Sprintf("kern.log:%d: a warning that names `dmesg` and goes on for a while", w))
	}
	for in := 0; in < 400; in++ {
		r.Inputs = append(r.Inputs, correlate.Input{Path: fmt.Sprintf("/home/ci/job/diag.%d.jsonl", in), Kinds: []string{"diagnostics-jsonl"},
			Warnings: []string{"line 1: unknown event", "line 2: unknown event", "line 3: unknown event", "line 4: unknown event", "line 5: x", "line 6: y"}})
	}
	return r
}

func render(t testing.TB, r *correlate.Report, format string, opts Options) string {
	t.Helper()
	var b bytes.Buffer
	if err := Render(&b, r, format, opts); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// TestBoundedOnHugeRuns: at 20,000 and 100,000 tests, the text stays within
// 400 lines and the Markdown within 65,536 characters (also with --top
// all), both keep the verdict and every leak the top N shows, the HTML stays
// under 3,000,000 bytes, and the JSON is complete.
func TestBoundedOnHugeRuns(t *testing.T) {
	for _, n := range []int{20000, 100000} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			r := hugeReport(n)
			text := render(t, r, "text", Options{})
			if lines := strings.Count(text, "\n"); lines > textLines {
				t.Errorf("text: %d lines, want at most %d", lines, textLines)
			}
			if !strings.HasPrefix(text, "Verdict: "+r.Verdict+"\n") {
				t.Errorf("text does not start with the verdict: %.200q", text)
			}
			for _, l := range r.Leaks[:DefaultTop] {
				if !strings.Contains(text, "  "+l.Test+"  ") {
					t.Errorf("text lacks the leak %s", l.Test)
				}
			}
			if !strings.Contains(text, fmt.Sprintf("… and %d more (--top all, or --format json)", len(r.Leaks)-DefaultTop)) {
				t.Error("text does not say how many leaks are not shown")
			}

			for _, top := range []int{0, All} {
				md := render(t, r, "markdown", Options{Top: top})
				if len(md) > mdLimit {
					t.Errorf("markdown --top %d: %d bytes, want at most %d", top, len(md), mdLimit)
				}
				if !strings.HasPrefix(md, "**") || !strings.Contains(md[:300], "leaked most") {
					t.Errorf("markdown --top %d does not start with the verdict: %.200q", top, md)
				}
				out := cmarkGFM(t, []byte(md))
				checkTables(t, out)
				for _, l := range r.Leaks[:DefaultTop] {
					if !strings.Contains(out, "<td><code>"+html.EscapeString(l.Test)+"</code></td>") {
						t.Errorf("markdown --top %d: GitHub does not show the leak %s as it is", top, l.Test)
					}
				}
				if top == All && !strings.Contains(md, "left out to stay within GitHub's 65,536-character limit") {
					t.Error("markdown --top all: no note says what was cut")
				}
			}

			page := render(t, r, "html", Options{})
			if len(page) >= 3_000_000 {
				t.Errorf("html: %d bytes, want under 3,000,000", len(page))
			}

			if n > 20000 {
				return // the JSON holds every test; 20,000 show it as well
			}
			var back correlate.Report
			if err := json.Unmarshal([]byte(render(t, r, "json", Options{})), &back); err != nil {
				t.Fatal(err)
			}
			if len(back.Timeline) != n || len(back.Leaks) != len(r.Leaks) || len(back.Samples) != n || len(back.Leaks[0].Evidence) != 30 {
				t.Errorf("json is not complete: %d tests, %d leaks, %d samples", len(back.Timeline), len(back.Leaks), len(back.Samples))
			}
		})
	}
}

// checkTables fails when a table row of GitHub's HTML has another number of
// cells than its header.
func checkTables(t *testing.T, out string) {
	t.Helper()
	for _, table := range strings.Split(out, "<table>")[1:] {
		table = table[:strings.Index(table, "</table>")]
		rows := tableRow.FindAllStringSubmatch(table, -1)
		want := len(cellTag.FindAllString(rows[0][1], -1))
		for _, row := range rows[1:] {
			if n := len(cellTag.FindAllString(row[1], -1)); n != want {
				t.Errorf("a row has %d cells, the header %d: %s", n, want, row[1])
			}
		}
	}
}

// TestTopAll: --top all shows every row in text.
func TestTopAll(t *testing.T) {
	r := hugeReport(200)
	text := render(t, r, "text", Options{Top: All})
	for _, l := range r.Leaks {
		if !strings.Contains(text, "  "+l.Test+"  ") {
			t.Fatalf("--top all: the text lacks the leak %s", l.Test)
		}
	}
	if strings.Contains(text, "more (") {
		t.Error("--top all: the text still says rows are left out")
	}
	three := render(t, r, "text", Options{Top: 3})
	if !strings.Contains(three, fmt.Sprintf("… and %d more (--top all, or --format json)", len(r.Leaks)-3)) {
		t.Error("--top 3: no note of the leaks left out")
	}
}

// TestSameRowsInEveryFormat: the section names and the rows shown are the
// same in text, Markdown and HTML.
func TestSameRowsInEveryFormat(t *testing.T) {
	r := normalize(hugeReport(300))
	// Small enough that no size limit cuts a row: only the top N does.
	r.Kills, r.Warnings, r.Inputs, r.RunEnd.Evidence = r.Kills[:2], r.Warnings[:3], r.Inputs[:3], nil
	for i := range r.Leaks {
		r.Leaks[i].Evidence = r.Leaks[i].Evidence[:1]
	}
	for i := range r.Hogs {
		r.Hogs[i].Evidence = nil
	}
	for i := range r.Unclosed {
		r.Unclosed[i].Evidence = nil
	}
	for i := range r.InFlight {
		r.InFlight[i].Evidence = nil
	}
	v := buildView(r, Options{})
	text := render(t, r, "text", Options{})
	md := render(t, r, "markdown", Options{})
	page := render(t, r, "html", Options{})
	for _, s := range v.Sections {
		if !strings.Contains(text, "\n"+s.Title+" (") && !strings.Contains(text, "\n"+s.Title+"\n") {
			t.Errorf("text has no section %q", s.Title)
		}
		if !strings.Contains(md, "\n### "+s.Title) {
			t.Errorf("markdown has no section %q", s.Title)
		}
		if !strings.Contains(page, "<h2>"+html.EscapeString(s.Title)) {
			t.Errorf("html has no section %q", s.Title)
		}
		for _, row := range s.Rows {
			for _, c := range row.Cells {
				if !c.ID {
					continue
				}
				if !strings.Contains(text, c.Text) || !strings.Contains(md, strings.ReplaceAll(c.Text, "|", `\|`)) || !strings.Contains(page, html.EscapeString(c.Text)) {
					t.Errorf("section %s: %q is not in every format", s.ID, c.Text)
				}
			}
		}
	}
	for _, old := range []string{"Suspects", "In flight when killed"} {
		if strings.Contains(md+page, old) {
			t.Errorf("a format still calls a section %q", old)
		}
	}
}

// TestWriteHugeReports writes the reports of hugeReport(20000) and
// hugeReport(100000) in every format into $OOMLENS_BENCH_OUT, for
// scripts/bench-report.sh; it skips when that is not set.
func TestWriteHugeReports(t *testing.T) {
	dir := os.Getenv("OOMLENS_BENCH_OUT")
	if dir == "" {
		t.Skip("OOMLENS_BENCH_OUT is not set (scripts/bench-report.sh sets it)")
	}
	for _, n := range []int{20000, 100000} {
		r := hugeReport(n)
		for _, f := range Formats() {
			out := render(t, r, f, Options{})
			if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("huge-%d.%s", n, f)), []byte(out), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
}
