package report

import (
	_ "embed"
	"html/template"
	"io"
	"strings"

	"github.com/oomlens/oomlens/correlate"
)

// The HTML format is one self-contained page: uPlot (report/assets, MIT,
// vendored from its npm package) and the page's own CSS and script are
// inlined, and a Content-Security-Policy of default-src 'none' forbids the
// page any network request, so it opens the same from an archive, a mail or
// a disconnected laptop.

//go:embed assets/uPlot.iife.min.js
var uPlotJS string

//go:embed assets/uPlot.min.css
var uPlotCSS string

//go:embed html.tmpl
var htmlTemplate string

var pageTemplate = template.Must(template.New("report").Funcs(template.FuncMap{
	"bytes":        FormatBytes,
	"group":        groupWords,
	"accountRows":  accountRows,
	"accountTitle": accountTitle,
	"hogRule":      func(r correlate.HogRule) string { return upperFirst(hogRuleWords(r)) },
	"optBytes":     optBytes,
	"share":        share,
	"test":         testName,
	"dash":         orDash,
	"pid":          pidString,
	"killTime":     func(k correlate.Kill) string { return killTime(&k) },
	"memcg":        func(k correlate.Kill) string { return memcg(&k) },
	"limit":        func(k correlate.Kill) string { return limit(&k) },
	"open":         openObjects,
	"runEnd":       runEnd,
	"alignment":    alignment,
	"optString":    optString,
	"printable":    printable,
	"join":         func(s []string) string { return printable(strings.Join(s, ", ")) },
	"inc":          func(i int) int { return i + 1 },
	"leakClass":    func(c string) string { return "conf-" + confidenceClass(c) },
	"spanClass":    spanClass,
	"uplotScript":  func() template.JS { return template.JS(uPlotJS) },
	"uplotStyle":   func() template.CSS { return template.CSS(uPlotCSS) },
}).Parse(htmlTemplate))

func confidenceClass(c string) string {
	switch c {
	case "high", "medium", "low":
		return c
	}
	return "unknown"
}

type htmlPage struct {
	R          *correlate.Report
	Chart      *chartData
	ChartNotes []string
	Leaky      map[string]bool // node id + "\x00" + worker of each leak
	InFlight   map[string]bool
}

// spanClass is the CSS class of a timeline row: leak, in-flight or none.
func spanClass(p *htmlPage, s correlate.TestSpan) string {
	switch {
	case p.Leaky[s.Test+"\x00"+s.Worker] || p.Leaky[s.Test+"\x00"]:
		return "leak"
	case p.InFlight[s.Test+"\x00"+s.Worker] || p.InFlight[s.Test+"\x00"] || s.Outcome == "in-flight":
		return "in-flight"
	}
	return ""
}

func renderHTML(w io.Writer, r *correlate.Report, _ Options) error {
	p := &htmlPage{R: r, Leaky: map[string]bool{}, InFlight: map[string]bool{}}
	p.Chart, p.ChartNotes = buildChart(r)
	for _, l := range r.Leaks {
		p.Leaky[l.Test+"\x00"+l.Worker] = true
	}
	for _, f := range r.InFlight {
		p.InFlight[f.Test+"\x00"+f.Worker] = true
	}
	return pageTemplate.Execute(w, p)
}
