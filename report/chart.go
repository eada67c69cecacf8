package report

import (
	"math"
	"sort"
	"strconv"
	"time"

	"github.com/oomlens/oomlens/correlate"
)

// chartData is what the HTML report's RSS chart draws, computed here so that
// the page's script only hands it to uPlot. Its JSON form is private to the
// HTML page (it is not part of the report contract).
type chartData struct {
	// Mode is "time" (X is seconds since T0, the start of the session) or
	// "order" (X is the position of a test in the timeline: test i runs
	// from i to i+1).
	Mode string `json:"mode"`
	// T0 is the Unix time (UTC) of x = 0 in time mode, for the wall clock
	// in the tooltip.
	T0 float64 `json:"t0"`
	// Unit is the unit of every Y value: "GiB", "MiB", "KiB" or "B".
	Unit string `json:"unit"`
	// X holds every x value, ascending; each series has one value per x
	// (null where it has none).
	X      []float64     `json:"x"`
	Series []chartSeries `json:"series"`
	// Bands shade the tests that leaked and the tests in flight.
	Bands []chartBand `json:"bands"`
	// Kill marks the kill that ended the run, when it can be placed: a
	// point at the kernel's figure of the killed process's RSS when it is
	// known; OtherKills the kills that did not end it (an xdist worker
	// that was replaced), in time mode.
	Kill       *chartMark  `json:"kill"`
	OtherKills []chartMark `json:"other_kills"`
	// Limit is the memory cgroup's limit at the kill that ended the run,
	// drawn as a line; null when there was none or it is not known.
	Limit *chartLimit `json:"limit"`
	// XMin and XMax are the range of the x axis.
	XMin float64 `json:"x_min"`
	XMax float64 `json:"x_max"`
	// Tests names the test of each slot in order mode (empty when the
	// chart was downsampled: the tooltip then shows the position).
	Tests []string `json:"tests"`
	// Columns is the number of columns the series were downsampled to
	// (min and max per column), 0 when every reading is drawn.
	Columns int `json:"columns"`
}

type chartSeries struct {
	Label  string     `json:"label"`
	Color  string     `json:"color"`
	Peaks  bool       `json:"peaks"` // drawn as points, not a line
	Values []*float64 `json:"values"`
}

type chartBand struct {
	From  float64 `json:"from"`
	To    float64 `json:"to"`
	Kind  string  `json:"kind"` // leak, in-flight
	Label string  `json:"label"`
}

type chartMark struct {
	X     float64  `json:"x"`
	Y     *float64 `json:"y"` // the kernel's figure, in Unit; null when not known
	Label string   `json:"label"`
}

type chartLimit struct {
	Y     float64 `json:"y"`
	Label string  `json:"label"`
}

// chartColumns is the most x columns a chart draws: about one per pixel of
// the widest chart. A longer run is downsampled to the smallest and the
// largest reading of each series in each column, so that no peak is lost
// and the page stays small and quick at 100,000 tests.
const chartColumns = 1200

// palette colours the processes; red is kept for leaks and the kill.
var palette = []string{"#2563eb", "#059669", "#7c3aed", "#d97706", "#0891b2", "#db2777", "#4b5563", "#65a30d"}

// rfc3339 parses a model time; ok is false for null or an unparsable time.
func rfc3339(s *string) (float64, bool) {
	if s == nil || *s == "" {
		return 0, false
	}
	t, err := time.Parse(time.RFC3339Nano, *s)
	if err != nil {
		return 0, false
	}
	return float64(t.UnixNano()) / 1e9, true
}

// processKey groups spans and samples into one series per process: the
// xdist worker when there is one, else the pid.
func processKey(worker string, pid int) string {
	if worker != "" {
		if pid > 0 {
			return worker + " (pid " + strconv.Itoa(pid) + ")"
		}
		return worker
	}
	if pid > 0 {
		return "pid " + strconv.Itoa(pid)
	}
	return "process"
}

type point struct{ x, y float64 }

// buildChart lays the timeline and the samples out for the chart, and says
// in notes what could not be drawn. It returns nil when there is no RSS
// value at all to draw. Only the leaks and tests in flight the sections
// show (shown) are shaded.
func buildChart(r *correlate.Report, shownLeaks, shownInFlight int) (*chartData, []string) {
	shownLeaks, shownInFlight = min(max(shownLeaks, 0), len(r.Leaks)), min(max(shownInFlight, 0), len(r.InFlight))
	var notes []string
	timeMode := len(r.Samples) > 0
	for _, s := range r.Timeline {
		if _, ok := rfc3339(s.Start); ok {
			timeMode = true
			break
		}
		if _, ok := rfc3339(s.End); ok {
			timeMode = true
			break
		}
	}

	lines := map[string][]point{}
	peaks := map[string][]point{}
	var order []string // process keys in first-seen order
	seen := map[string]bool{}
	add := func(m map[string][]point, key string, x float64, y *int64) {
		if y == nil {
			return
		}
		if !seen[key] {
			seen[key] = true
			order = append(order, key)
		}
		m[key] = append(m[key], point{x, float64(*y)})
	}
	maxY := 0.0
	for _, s := range r.Timeline {
		for _, v := range []*int64{s.RSSBeforeBytes, s.RSSAfterBytes, s.PeakBytes} {
			if v != nil {
				maxY = math.Max(maxY, float64(*v))
			}
		}
	}
	for _, s := range r.Samples {
		maxY = math.Max(maxY, float64(s.RSSBytes))
	}
	kill := endedRunKill(r)
	var killRSS int64
	if kill != nil {
		for _, part := range []*int64{kill.AnonRSSBytes, kill.FileRSSBytes, kill.ShmemRSSBytes} {
			if part != nil {
				killRSS += *part
			}
		}
		maxY = math.Max(maxY, float64(killRSS))
		if kill.MemcgLimitBytes != nil {
			maxY = math.Max(maxY, float64(*kill.MemcgLimitBytes))
		}
	}

	c := &chartData{Mode: "order", Series: []chartSeries{}, Bands: []chartBand{}, Tests: []string{}, OtherKills: []chartMark{}}
	// span returns where test i of the timeline sits on the x axis.
	span := func(i int) (from, to float64, fromOK, toOK bool) {
		if !timeMode {
			return float64(i), float64(i + 1), true, true
		}
		from, fromOK = rfc3339(r.Timeline[i].Start)
		to, toOK = rfc3339(r.Timeline[i].End)
		return
	}
	undrawn := 0
	for i, s := range r.Timeline {
		key := processKey(s.Worker, s.PID)
		from, to, fromOK, toOK := span(i)
		if fromOK {
			add(lines, key, from, s.RSSBeforeBytes)
		}
		if toOK {
			add(lines, key, to, s.RSSAfterBytes)
		}
		switch {
		case fromOK && toOK:
			add(peaks, key, (from+to)/2, s.PeakBytes)
		case fromOK:
			add(peaks, key, from, s.PeakBytes)
		case toOK:
			add(peaks, key, to, s.PeakBytes)
		}
		if !fromOK && !toOK && (s.RSSBeforeBytes != nil || s.RSSAfterBytes != nil || s.PeakBytes != nil) {
			undrawn++
		}
	}
	if undrawn > 0 {
		notes = append(notes, plural(undrawn, "test has", "tests have")+" RSS readings but no time, and are not drawn.")
	}
	badSamples := 0
	for _, s := range r.Samples {
		t := s.Time
		x, ok := rfc3339(&t)
		if !ok {
			badSamples++
			continue
		}
		v := s.RSSBytes
		add(lines, processKey(s.Worker, s.PID), x, &v)
	}
	if badSamples > 0 {
		notes = append(notes, plural(badSamples, "RSS sample has", "RSS samples have")+" an unreadable time, and are not drawn.")
	}
	if len(order) == 0 {
		return nil, notes
	}

	if timeMode {
		c.Mode = "time"
	}
	div, unit := 1.0, "B"
	switch {
	case maxY >= float64(gibi):
		div, unit = float64(gibi), "GiB"
	case maxY >= float64(mebi):
		div, unit = float64(mebi), "MiB"
	case maxY >= float64(kibi):
		div, unit = float64(kibi), "KiB"
	}
	c.Unit = unit
	scaled := func(b int64) *float64 {
		y := math.Round(float64(b)/div*1000) / 1000
		return &y
	}

	// The spans of each test, by node id and worker and by node id alone,
	// to find the bands without a scan of the timeline per leak.
	byKey := map[string][]int{}
	for i, s := range r.Timeline {
		byKey[s.Test+"\x00"+s.Worker] = append(byKey[s.Test+"\x00"+s.Worker], i)
		if s.Worker != "" {
			byKey[s.Test+"\x00*"] = append(byKey[s.Test+"\x00*"], i)
		}
	}
	findSpans := func(test, worker string) []int {
		if worker == "" {
			return append(byKey[test+"\x00"], byKey[test+"\x00*"]...)
		}
		return byKey[test+"\x00"+worker]
	}
	killX, killOK := 0.0, false
	if kill != nil && timeMode {
		killX, killOK = rfc3339(kill.Time)
	}
	for n, l := range r.Leaks[:shownLeaks] {
		for _, i := range findSpans(l.Test, l.Worker) {
			from, to, fromOK, toOK := span(i)
			if fromOK && toOK {
				c.Bands = append(c.Bands, chartBand{From: from, To: to, Kind: "leak",
					Label: "leak #" + strconv.Itoa(n+1) + " +" + FormatBytes(l.RetainedBytes)})
			}
		}
	}
	// killAt is the time of the kill of pid, else of the kill that ended
	// the run, for the end of a test in flight.
	killAt := func(pid int) (float64, bool) {
		for i := range r.Kills {
			if r.Kills[i].PID == pid && pid > 0 {
				if x, ok := rfc3339(r.Kills[i].Time); ok {
					return x, true
				}
			}
		}
		return killX, killOK
	}
	for _, f := range r.InFlight[:shownInFlight] {
		for _, i := range findSpans(f.Test, f.Worker) {
			from, to, fromOK, toOK := span(i)
			if timeMode && fromOK && !toOK {
				pid := f.PID
				if pid == 0 {
					pid = r.Timeline[i].PID
				}
				if kx, ok := killAt(pid); ok && kx > from {
					to, toOK = kx, true
				}
			}
			if fromOK && toOK {
				c.Bands = append(c.Bands, chartBand{From: from, To: to, Kind: "in-flight", Label: "in flight"})
			}
		}
	}

	// The kill: at its wall-clock time, or in order mode at the end of
	// the slot of the test in flight on the killed process; a point at
	// the kernel's figure of the process's RSS (anon + file + shmem, as
	// mm/oom_kill.c prints it), else a line.
	if kill != nil {
		label := "kill of pid " + pidString(kill.PID)
		var y *float64
		if killRSS > 0 {
			y = scaled(killRSS)
			label += ": RSS " + FormatBytes(killRSS) + " (kernel)"
		}
		switch {
		case killOK:
			c.Kill = &chartMark{X: killX, Y: y, Label: label}
		case !timeMode:
			for _, f := range r.InFlight {
				if f.PID != 0 && f.PID != kill.PID {
					continue
				}
				if idx := findSpans(f.Test, f.Worker); len(idx) > 0 {
					c.Kill = &chartMark{X: float64(idx[len(idx)-1] + 1), Y: y, Label: label + ", during the test in flight"}
					break
				}
			}
		}
		if c.Kill == nil {
			notes = append(notes, "The time of the kill that ended the run is not known on this axis, so it is not marked.")
		}
		if kill.MemcgLimitBytes != nil {
			c.Limit = &chartLimit{Y: *scaled(*kill.MemcgLimitBytes), Label: "memory limit " + FormatBytes(*kill.MemcgLimitBytes)}
		}
	}
	if timeMode {
		for i := range r.Kills {
			k := &r.Kills[i]
			if x, ok := rfc3339(k.Time); ok && !k.EndedRun {
				c.OtherKills = append(c.OtherKills, chartMark{X: x, Label: "kill of pid " + pidString(k.PID)})
			}
		}
	}

	// The range of the x axis: every reading and every mark.
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, pts := range [2]map[string][]point{lines, peaks} {
		for _, ps := range pts {
			for _, p := range ps {
				lo, hi = math.Min(lo, p.x), math.Max(hi, p.x)
			}
		}
	}
	marks := append([]chartMark{}, c.OtherKills...)
	if c.Kill != nil {
		marks = append(marks, *c.Kill)
	}
	for _, m := range marks {
		lo, hi = math.Min(lo, m.X), math.Max(hi, m.X)
	}
	for _, b := range c.Bands {
		lo, hi = math.Min(lo, b.From), math.Max(hi, b.To)
	}
	if timeMode {
		// x is seconds since the session started: 0 at the first reading.
		c.T0 = lo
		shift := func(x float64) float64 { return math.Round((x-c.T0)*1e6) / 1e6 }
		for _, m := range [2]map[string][]point{lines, peaks} {
			for _, ps := range m {
				for i := range ps {
					ps[i].x = shift(ps[i].x)
				}
			}
		}
		for i := range c.Bands {
			c.Bands[i].From, c.Bands[i].To = shift(c.Bands[i].From), shift(c.Bands[i].To)
		}
		for i := range c.OtherKills {
			c.OtherKills[i].X = shift(c.OtherKills[i].X)
		}
		if c.Kill != nil {
			c.Kill.X = shift(c.Kill.X)
		}
		lo, hi = 0, shift(hi)
		// 2% of the span on each side (a run may last well under a
		// second); one second when everything is at one instant.
		pad := (hi - lo) * 0.02
		if pad == 0 {
			pad = 1
		}
		c.XMin, c.XMax = lo-pad, hi+pad
	} else {
		c.XMin, c.XMax = 0, float64(len(r.Timeline))
		lo, hi = c.XMin, c.XMax
	}

	// One x axis for all series: the readings' own x values, or, when
	// there are more than the chart has columns, two slots per column
	// holding each series' smallest and largest reading there, in the
	// order they came.
	xs := map[float64]bool{}
	for _, m := range [2]map[string][]point{lines, peaks} {
		for _, ps := range m {
			for _, p := range ps {
				xs[p.x] = true
			}
		}
	}
	if len(xs) > 2*chartColumns && hi > lo {
		c.Columns = chartColumns
		width := (hi - lo) / chartColumns
		col := func(x float64) int { return min(int((x-lo)/width), chartColumns-1) }
		slot := func(i int, second bool) float64 {
			x := lo + (float64(i)+0.25)*width
			if second {
				x += width / 2
			}
			return math.Round(x*1e6) / 1e6
		}
		c.X = make([]float64, 2*chartColumns)
		for i := range chartColumns {
			c.X[2*i], c.X[2*i+1] = slot(i, false), slot(i, true)
		}
		downsample := func(pts []point, peaksOnly bool) []*float64 {
			type minmax struct {
				lo, hi point
				n      int
			}
			cols := make([]minmax, chartColumns)
			for _, p := range pts {
				m := &cols[col(p.x)]
				if m.n == 0 || p.y < m.lo.y {
					m.lo = p
				}
				if m.n == 0 || p.y > m.hi.y {
					m.hi = p
				}
				m.n++
			}
			vals := make([]*float64, len(c.X))
			for i, m := range cols {
				if m.n == 0 {
					continue
				}
				hiY := round3(m.hi.y / div)
				if peaksOnly {
					vals[2*i+1] = &hiY
					continue
				}
				loY := round3(m.lo.y / div)
				if m.lo.x <= m.hi.x {
					vals[2*i], vals[2*i+1] = &loY, &hiY
				} else {
					vals[2*i], vals[2*i+1] = &hiY, &loY
				}
			}
			return vals
		}
		for n, key := range order {
			color := palette[n%len(palette)]
			if pts := lines[key]; len(pts) > 0 {
				c.Series = append(c.Series, chartSeries{Label: key + " RSS", Color: color, Values: downsample(pts, false)})
			}
			if pts := peaks[key]; len(pts) > 0 {
				c.Series = append(c.Series, chartSeries{Label: key + " peak in test", Color: color, Peaks: true, Values: downsample(pts, true)})
			}
		}
		notes = append(notes, "The chart draws the smallest and the largest reading of each process in each of "+
			strconv.Itoa(chartColumns)+" columns; the JSON report holds every reading.")
		return c, notes
	}
	if !timeMode {
		for _, s := range r.Timeline {
			c.Tests = append(c.Tests, testName(s.Test))
		}
	}
	for x := range xs {
		c.X = append(c.X, x)
	}
	sort.Float64s(c.X)
	index := make(map[float64]int, len(c.X))
	for i, x := range c.X {
		index[x] = i
	}
	column := func(pts []point) []*float64 {
		vals := make([]*float64, len(c.X))
		for _, p := range pts {
			y := round3(p.y / div)
			if old := vals[index[p.x]]; old == nil || *old < y {
				vals[index[p.x]] = &y
			}
		}
		return vals
	}
	for n, key := range order {
		color := palette[n%len(palette)]
		if pts := lines[key]; len(pts) > 0 {
			c.Series = append(c.Series, chartSeries{Label: key + " RSS", Color: color, Values: column(pts)})
		}
		if pts := peaks[key]; len(pts) > 0 {
			c.Series = append(c.Series, chartSeries{Label: key + " peak in test", Color: color, Peaks: true, Values: column(pts)})
		}
	}
	return c, notes
}

func round3(f float64) float64 { return math.Round(f*1000) / 1000 }

const (
	kibi = int64(1) << 10
	mebi = int64(1) << 20
	gibi = int64(1) << 30
)
