package report

import (
	"fmt"
	"html"
	"math"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/oomlens/oomlens/correlate"
)

// TestHTMLReadable: no CSS rule breaks words anywhere but node ids and
// paths; oomlens's own `code` spans are <code>, never literal backticks;
// the chart has the memory limit, the kill at the kernel's figure, and x
// in seconds since the session started.
func TestHTMLReadable(t *testing.T) {
	r := memcgTwoLeaks()
	r.Warnings = append(r.Warnings, "no kernel log was read: add the job's `dmesg` or run it under `oomlens record`")
	page := render(t, r, "html", Options{})
	if strings.Contains(page, "break-all") {
		t.Error("the page breaks words anywhere (word-break: break-all)")
	}
	for _, rule := range regexp.MustCompile(`(?m)^[^{}\n]*\{[^}]*overflow-wrap:\s*anywhere[^}]*\}`).FindAllString(page, -1) {
		if !strings.HasPrefix(rule, "code.id {") {
			t.Errorf("overflow-wrap: anywhere outside node ids: %s", rule)
		}
	}
	if !strings.Contains(page, "<code>dmesg</code> or run it under <code>oomlens record</code>") {
		t.Error("the warning's backticks are not code spans")
	}
	if strings.Contains(page, "`dmesg`") {
		t.Error("the page shows backticks literally")
	}

	c, _ := buildChart(normalize(r), len(r.Leaks), len(r.InFlight))
	if c.Limit == nil || c.Limit.Y != 8 || c.Unit != "GiB" {
		t.Errorf("memory limit line = %+v (unit %s), want 8 GiB", c.Limit, c.Unit)
	}
	k := r.Kills[0]
	var rss int64
	for _, part := range []*int64{k.AnonRSSBytes, k.FileRSSBytes, k.ShmemRSSBytes} {
		if part != nil {
			rss += *part
		}
	}
	if want := round3(float64(rss) / float64(gib)); c.Kill == nil || c.Kill.Y == nil || *c.Kill.Y != want {
		t.Errorf("kill mark = %+v, want a point at the kernel's RSS (anon+file+shmem) %v GiB", c.Kill, want)
	}
	if c.T0 == 0 || c.X[0] != 0 || c.XMax > 600 {
		t.Errorf("x axis: t0 %v, x from %v to %v; want seconds since the session started", c.T0, c.X[0], c.XMax)
	}

	md := render(t, r, "markdown", Options{})
	if !strings.Contains(md, "- no kernel log was read: add the job's `dmesg` or run it under `oomlens record`\n") {
		t.Error("the Markdown warning does not keep its code spans")
	}
}

// TestChartDownsampled: past 2 × chartColumns x values the chart holds
// the smallest and the largest reading of each column, so the highest
// peak survives.
func TestChartDownsampled(t *testing.T) {
	r := normalize(hugeReport(20000))
	big := int64(5000) * mib
	r.Timeline[12345].PeakBytes = &big
	c, notes := buildChart(r, DefaultTop, DefaultTop)
	if c.Columns != chartColumns || len(c.X) != 2*chartColumns {
		t.Fatalf("%d columns, %d x values; want %d, %d", c.Columns, len(c.X), chartColumns, 2*chartColumns)
	}
	for _, s := range c.Series {
		if len(s.Values) != len(c.X) {
			t.Fatalf("%s: %d values for %d x", s.Label, len(s.Values), len(c.X))
		}
	}
	found := false
	for _, s := range c.Series {
		for _, v := range s.Values {
			found = found || (v != nil && *v == round3(5000.0/1024))
		}
	}
	if !found {
		t.Error("the highest peak was lost in the downsampling")
	}
	if len(notes) == 0 || !strings.Contains(notes[len(notes)-1], "smallest and the largest") {
		t.Errorf("no note says the chart is downsampled: %q", notes)
	}
	if len(c.Tests) != 0 {
		t.Errorf("the downsampled chart carries %d test names", len(c.Tests))
	}
}

// TestHTMLAccountBar: the memory account is drawn as one stacked bar whose
// segments are the account's non-zero parts, in its order, with its bytes,
// widths that add up to the whole, and a key that labels each part with
// its size and share; an account that does not add up gets no bar.
func TestHTMLAccountBar(t *testing.T) {
	r := memcgTwoLeaks()
	a := r.MemoryAtKill
	page := render(t, r, "html", Options{})

	want := []struct {
		name  string
		bytes int64
	}{
		{"baseline", a.BaselineBytes}, {"leaks", a.LeaksBytes}, {"groups", a.GroupsBytes},
		{"fixtures", a.FixturesBytes}, {"in flight", a.InFlightBytes}, {"unexplained", a.UnexplainedBytes},
	}
	seg := regexp.MustCompile(`<div class="seg bar-([a-z-]+)" style="flex: ([0-9.]+) 1 0" data-part="([^"]+)" data-bytes="([0-9]+)" title="([^"]*)">([^<]*)</div>`)
	got := seg.FindAllStringSubmatch(page, -1)
	var nonZero []int
	for i, w := range want {
		if w.bytes > 0 {
			nonZero = append(nonZero, i)
		}
	}
	if len(got) != len(nonZero) || len(nonZero) != 5 {
		t.Fatalf("%d bar segments, want the account's %d non-zero parts (5)", len(got), len(nonZero))
	}
	var sumBytes int64
	var sumFlex float64
	for j, i := range nonZero {
		w, g := want[i], got[j]
		bytes, _ := strconv.ParseInt(g[4], 10, 64)
		flex, _ := strconv.ParseFloat(g[2], 64)
		if g[3] != w.name || bytes != w.bytes || g[1] != strings.ReplaceAll(w.name, " ", "-") {
			t.Errorf("segment %d = %s (%s) %d bytes, want %s %d", j, g[3], g[1], bytes, w.name, w.bytes)
		}
		size := FormatBytes(w.bytes)
		pct := fmt.Sprintf("%.1f%%", float64(w.bytes)*100/float64(a.TotalBytes))
		if wantFlex := float64(w.bytes) * 100 / float64(a.TotalBytes); math.Abs(flex-wantFlex) > 1e-4 {
			t.Errorf("%s: width %v%%, want %v%%", w.name, flex, wantFlex)
		}
		if label := w.name + " " + size + " · " + pct; html.UnescapeString(g[6]) != label {
			t.Errorf("%s: label %q, want %q", w.name, html.UnescapeString(g[6]), label)
		}
		if key := `<span class="name">` + w.name + `</span> ` + size + ` <span class="share">(` + pct + `)</span>`; !strings.Contains(page, key) {
			t.Errorf("%s: the key has no %q", w.name, key)
		}
		sumBytes += bytes
		sumFlex += flex
	}
	if sumBytes != a.TotalBytes || math.Abs(sumFlex-100) > 0.01 {
		t.Errorf("the segments add up to %d bytes (%v%%), want the total %d (100%%)", sumBytes, sumFlex, a.TotalBytes)
	}
	if !strings.Contains(page, `<li class="bar-zero">groups: 0 B</li>`) {
		t.Error("the key does not say the groups' part is 0 B")
	}
	if !strings.Contains(page, `<span class="name">total</span> `+FormatBytes(a.TotalBytes)) {
		t.Error("the key does not give the total")
	}
	if strings.Index(page, `class="bar"`) > strings.Index(page, `id="in-flight"`) || strings.Index(page, `class="bar"`) < strings.Index(page, `id="memory-at-kill"`) {
		t.Error("the bar is not in the Memory at the kill section")
	}

	for name, broken := range map[string]func(*correlate.MemoryAccount){
		"parts short of the total": func(a *correlate.MemoryAccount) { a.UnexplainedBytes -= 1 },
		"a negative part": func(a *correlate.MemoryAccount) {
			a.UnexplainedBytes, a.BaselineBytes = -1, a.BaselineBytes+a.UnexplainedBytes+1
		},
		"no total": func(a *correlate.MemoryAccount) { *a = correlate.MemoryAccount{Measure: "RSS"} },
	} {
		r := memcgTwoLeaks()
		broken(r.MemoryAtKill)
		page := render(t, r, "html", Options{})
		if strings.Contains(page, `class="bar"`) {
			t.Errorf("%s: the account is drawn as a bar", name)
		}
		if !strings.Contains(page, `id="memory-at-kill"`) {
			t.Errorf("%s: the account's table is gone", name)
		}
	}
	if page := render(t, xdistTwoWorkers(), "html", Options{}); strings.Contains(page, `class="bar"`) {
		t.Error("a report with no account has a bar")
	}
}
