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
	// Mode is "time" (X is Unix seconds, UTC) or "order" (X is the
	// position of a test in the timeline: test i runs from i to i+1).
	Mode string `json:"mode"`
	// Unit is the unit of every Y value: "GiB", "MiB" or "KiB".
	Unit string `json:"unit"`
	// X holds every x value, ascending; each series has one value per x
	// (null where it has none).
	X      []float64     `json:"x"`
	Series []chartSeries `json:"series"`
	// Bands shade the tests that leaked and the tests in flight.
	Bands []chartBand `json:"bands"`
	// Kill marks the kill that ended the run, when it can be placed;
	// OtherKills the kills that did not end it (an xdist worker that was
	// replaced), in time mode.
	Kill       *chartMark  `json:"kill"`
	OtherKills []chartMark `json:"other_kills"`
	// XMin and XMax are the range of the x axis.
	XMin float64 `json:"x_min"`
	XMax float64 `json:"x_max"`
	// Tests names the test of each slot in order mode.
	Tests []string `json:"tests"`
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
	X     float64 `json:"x"`
	Label string  `json:"label"`
}

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

// buildChart lays the timeline and the samples out for the chart, and says
// in notes what could not be drawn. It returns nil when there is no RSS
// value at all to draw.
func buildChart(r *correlate.Report) (*chartData, []string) {
	var notes []string
	timeMode := len(r.Samples) > 0
	for _, s := range r.Timeline {
		if _, ok := rfc3339(s.Start); ok {
			timeMode = true
		}
		if _, ok := rfc3339(s.End); ok {
			timeMode = true
		}
	}

	type point struct{ x, y float64 }
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
	} else {
		for _, s := range r.Timeline {
			c.Tests = append(c.Tests, testName(s.Test))
		}
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

	// Bands: the leaks, then the tests in flight, found on the timeline
	// by node id and worker.
	findSpans := func(test, worker string) []int {
		var out []int
		for i, s := range r.Timeline {
			if s.Test == test && (worker == "" || s.Worker == worker) {
				out = append(out, i)
			}
		}
		return out
	}
	killX, killOK := 0.0, false
	kill := endedRunKill(r)
	if kill != nil && timeMode {
		killX, killOK = rfc3339(kill.Time)
	}
	for n, l := range r.Leaks {
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
	for _, f := range r.InFlight {
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
	// the slot of the test in flight on the killed process.
	if kill != nil {
		label := "kill of pid " + pidString(kill.PID)
		switch {
		case killOK:
			c.Kill = &chartMark{X: killX, Label: label}
		case !timeMode:
			for _, f := range r.InFlight {
				if f.PID != 0 && f.PID != kill.PID {
					continue
				}
				if idx := findSpans(f.Test, f.Worker); len(idx) > 0 {
					c.Kill = &chartMark{X: float64(idx[len(idx)-1] + 1), Label: label + " (during the test in flight)"}
					break
				}
			}
		}
		if c.Kill == nil {
			notes = append(notes, "The time of the kill that ended the run is not known on this axis, so it is not marked.")
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

	// One x axis for all series.
	xs := map[float64]bool{}
	for _, pts := range lines {
		for _, p := range pts {
			xs[p.x] = true
		}
	}
	for _, pts := range peaks {
		for _, p := range pts {
			xs[p.x] = true
		}
	}
	if c.Kill != nil {
		xs[c.Kill.X] = true
	}
	for _, k := range c.OtherKills {
		xs[k.X] = true
	}
	for _, b := range c.Bands {
		xs[b.From], xs[b.To] = true, true
	}
	for x := range xs {
		c.X = append(c.X, x)
	}
	sort.Float64s(c.X)
	c.XMin, c.XMax = c.X[0], c.X[len(c.X)-1]
	if !timeMode {
		c.XMin, c.XMax = 0, float64(len(r.Timeline))
	}
	if timeMode {
		// 2% of the span on each side (a run may last well under a
		// second); one second when everything is at one instant.
		pad := (c.XMax - c.XMin) * 0.02
		if pad == 0 {
			pad = 1
		}
		c.XMin, c.XMax = c.XMin-pad, c.XMax+pad
	}
	index := make(map[float64]int, len(c.X))
	for i, x := range c.X {
		index[x] = i
	}
	column := func(pts []point) []*float64 {
		vals := make([]*float64, len(c.X))
		for _, p := range pts {
			y := math.Round(p.y/div*1000) / 1000
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

const (
	kibi = int64(1) << 10
	mebi = int64(1) << 20
	gibi = int64(1) << 30
)
