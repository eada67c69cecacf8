package report

import (
	"bytes"
	"encoding/json"
	"math"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/oomlens/oomlens/correlate"
)

// hostile is a report in which every string from the inputs is s and every
// byte count is n: what a fuzzer controls in a real report.
func hostile(s string, n int64, share float64) *correlate.Report {
	ev := []string{s, "ok"}
	return &correlate.Report{
		Inputs: []correlate.Input{{Path: s, Kinds: []string{s}, Warnings: []string{s}}},
		Kills: []correlate.Kill{{Kind: s, PID: 1, Comm: s, Time: &s, TimeBasis: s, Constraint: s, OOMMemcg: s, TaskMemcg: s,
			AnonRSSBytes: &n, TotalVMBytes: &n, MemcgLimitBytes: &n, EndedRun: true, Source: s, KeyLines: []string{s, s}}},
		RunEnd:    correlate.RunEnd{Kind: s, Evidence: ev},
		Alignment: correlate.Alignment{Method: s, BootTime: &s},
		InFlight:  []correlate.InFlight{{Test: s, Worker: s, Basis: s, AddedBytesEstimate: &n, Evidence: ev}},
		Leaks: []correlate.Leak{{Test: s, Worker: s, RetainedBytes: n, ShareOfKill: &share,
			OpenObjects: map[string]int{s: 1, "x": 2}, Confidence: s, Evidence: ev}},
		Unclosed:     []correlate.Unclosed{{Test: s, Worker: s, OpenObjects: map[string]int{s: 3}, Evidence: ev}},
		Hogs:         []correlate.Hog{{Test: s, Worker: s, PeakBytes: n, RetainedBytes: -n, Evidence: ev}},
		FixturesHeld: []correlate.FixtureHeld{{Fixture: s, Scope: s, SetUpBy: s, Worker: s, HeldBytes: n}},
		Timeline: []correlate.TestSpan{
			{Test: s, Worker: s, Start: &s, End: &s, Outcome: s, RSSBeforeBytes: &n, RSSAfterBytes: &n, PeakBytes: &n},
			{Test: "x", Worker: s, Outcome: "in-flight", RSSBeforeBytes: &n},
		},
		Cores:    []correlate.CoreDump{{Path: s, Comm: s, Signal: s, LargestRegions: []correlate.CoreRegion{{Start: s, SizeBytes: n, Perms: s}}}},
		Verdict:  s,
		Warnings: []string{s},
		Samples:  []correlate.RSSSample{{Time: s, Worker: s, RSSBytes: n}},
	}
}

// renderAll renders r in each of formats (every format when none is
// given).
func renderAll(t *testing.T, r *correlate.Report, formats ...string) map[string]string {
	t.Helper()
	if len(formats) == 0 {
		formats = Formats()
	}
	out := map[string]string{}
	for _, f := range formats {
		var buf bytes.Buffer
		if err := Render(&buf, r, f, Options{Color: f == "text"}); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		out[f] = buf.String()
	}
	return out
}

// renderShape is what FuzzRender compares between a report and the same
// report with a harmless string: the lines of the text and the Markdown,
// and the count of each tag of htmlTags in the HTML.
type renderShape struct {
	textLines, markdownLines int
	htmlTags                 [7]int
}

var htmlTags = [7]string{"<script", "</script", "<style", "</style", "<section", "<table", "<tr"}

func shapeOfRender(out map[string]string) renderShape {
	sh := renderShape{textLines: strings.Count(out["text"], "\n"), markdownLines: strings.Count(out["markdown"], "\n")}
	// Tags in any case ("<ScRiPt" is a script to a browser), counted at
	// each '<' rather than over a lowered copy of the page (uPlot alone
	// is 51 KB).
	html := out["html"]
	for i := strings.IndexByte(html, '<'); i >= 0; {
		for k, tag := range htmlTags {
			if len(html)-i >= len(tag) && strings.EqualFold(html[i:i+len(tag)], tag) {
				sh.htmlTags[k]++
			}
		}
		j := strings.IndexByte(html[i+1:], '<')
		if j < 0 {
			break
		}
		i += 1 + j
	}
	return sh
}

// FuzzRender: whatever the strings and numbers of a report, every format
// renders without a panic; the text format holds no control character but
// newlines and its own colour; the text and Markdown have the same lines as
// for a harmless string (no string can add a line or a table row); the HTML
// has as many tags as for a harmless string (and a <script only with a
// chart), and JSON gives back the strings.
func FuzzRender(f *testing.F) {
	for _, s := range []string{
		"", "x", "tests/t.py::test[a|b]", "`", "``x``", "```\nfence", "<script>alert(1)</script>", "</script><img src=x>",
		"\x1b[31mred\x1b[0m", "a\nb\r\nc", "日本語", "\xff\xfe", "\u2028\u2029", "*_[x](y)_*", "{{.R}}", "-->",
		"2026-11-20T14:05:58Z", "\t|\t|",
	} {
		f.Add(s, int64(1<<30), 0.5)
	}
	f.Add("x", int64(-1<<63), -1.0)
	f.Add("x", int64(1<<62), 1e308)
	f.Add("x", int64(1), math.NaN())
	f.Add("x", int64(1), math.Inf(1))
	// The harmless report's shape depends on the numbers only, and the
	// fuzzer mostly mutates the string: render it once per pair of
	// numbers (half of what each input cost). One worker calls the fuzz
	// function one input at a time.
	bases := map[[2]uint64]renderShape{}
	f.Fuzz(func(t *testing.T, s string, n int64, share float64) {
		got := renderAll(t, hostile(s, n, share))
		key := [2]uint64{uint64(n), math.Float64bits(share)}
		base, ok := bases[key]
		if !ok {
			if len(bases) >= 1024 {
				clear(bases)
			}
			base = shapeOfRender(renderAll(t, hostile("x", n, share), "text", "markdown", "html"))
			bases[key] = base
		}
		shape := shapeOfRender(got)

		noColor := ansiRE.ReplaceAllString(got["text"], "")
		for i := 0; i < len(noColor); i++ {
			if c := noColor[i]; (c < 0x20 && c != '\n') || c == 0x7f {
				t.Fatalf("text holds control byte %#x", c)
			}
		}
		if g, b := shape.textLines, base.textLines; g != b {
			t.Errorf("text: %d lines, %d for a harmless string", g, b)
		}
		if g, b := shape.markdownLines, base.markdownLines; strings.Contains(got["markdown"], "left out to stay within GitHub's 65,536-character limit") {
			// A long string made the Markdown cut rows to fit an issue
			// body: fewer lines, never more, and within the limit.
			if g > b+1 || utf8.RuneCountInString(got["markdown"]) > mdLimit {
				t.Errorf("markdown cut to fit: %d lines (%d for a harmless string), %d characters", g, b, utf8.RuneCountInString(got["markdown"]))
			}
		} else if g != b {
			t.Errorf("markdown: %d lines, %d for a harmless string", g, b)
		}
		scripts := 0
		rr := normalize(hostile(s, n, share))
		if c, _ := buildChart(rr, min(len(rr.Leaks), DefaultTop), min(len(rr.InFlight), DefaultTop)); c != nil {
			scripts = 2 // uPlot and the page's chart script
		}
		for i, tag := range htmlTags {
			want := base.htmlTags[i]
			if i < 2 {
				want = scripts
			}
			if g := shape.htmlTags[i]; g != want {
				t.Errorf("html: %d %s, want %d", g, tag, want)
			}
		}
		var back correlate.Report
		if err := json.Unmarshal([]byte(got["json"]), &back); err != nil {
			t.Fatalf("json does not parse: %v", err)
		}
		if utf8.ValidString(s) && back.Verdict != s {
			t.Errorf("json verdict = %q, want %q", back.Verdict, s)
		}
	})
}
