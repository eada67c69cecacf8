package report

import (
	"regexp"
	"strings"
	"testing"
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
