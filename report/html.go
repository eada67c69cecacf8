package report

import (
	_ "embed"
	"html"
	"html/template"
	"io"
	"strconv"
	"strings"
	"sync"

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

// pageTemplate is parsed on first use: parsed at start, it was 0.6 ms of
// every command's start (GODEBUG=inittrace=1), most of which never writes
// HTML.
var pageTemplate = sync.OnceValue(func() *template.Template {
	return template.Must(template.New("report").Funcs(template.FuncMap{
		"cell":        htmlCell,
		"details":     htmlDetails,
		"bar":         htmlBar,
		"ticks":       htmlTicks,
		"more":        func(n int) string { return moreText(n, "") },
		"uplotScript": func() template.JS { return template.JS(uPlotJS) },
		"uplotStyle":  func() template.CSS { return template.CSS(uPlotCSS) },
	}).Parse(htmlTemplate))
})

type htmlPage struct {
	View       *view
	Schema     string
	Chart      *chartData
	ChartNotes []string
}

// Layout tests for the template.
func (s *Section) IsTable() bool { return s.Layout == Table }
func (s *Section) IsPairs() bool { return s.Layout == Pairs }
func (s *Section) IsList() bool  { return s.Layout == List }

func toneClass(t Tone) string {
	switch t {
	case Bad:
		return "tone-bad"
	case Warn:
		return "tone-warn"
	case Muted:
		return "tone-muted"
	case Strong:
		return "tone-strong"
	}
	return ""
}

// htmlCell writes one table cell: numbers right-aligned, node ids and
// paths in <code class="id"> (the one place a line may break inside a
// word), other values as text.
func htmlCell(s *Section, i int, c Cell) template.HTML {
	var classes []string
	if i < len(s.Columns) && s.Columns[i].Right {
		classes = append(classes, "num")
	}
	if tc := toneClass(c.Tone); tc != "" {
		classes = append(classes, tc)
	}
	var b strings.Builder
	b.WriteString("<td")
	if len(classes) > 0 {
		b.WriteString(` class="` + strings.Join(classes, " ") + `"`)
	}
	b.WriteString(">")
	b.WriteString(htmlInline(c))
	b.WriteString("</td>")
	return template.HTML(b.String())
}

func htmlInline(c Cell) string {
	switch {
	case c.ID:
		return `<code class="id">` + html.EscapeString(c.Text) + "</code>"
	case c.Code:
		return "<code>" + html.EscapeString(c.Text) + "</code>"
	case c.Ticks:
		return string(htmlTicks(c.Text))
	}
	return html.EscapeString(c.Text)
}

// htmlTicks writes one of oomlens's own sentences with its `code` spans as
// <code>, never as literal backticks.
func htmlTicks(s string) template.HTML {
	var b strings.Builder
	for _, p := range tickSpans(s) {
		if p.code {
			b.WriteString("<code>" + html.EscapeString(p.text) + "</code>")
		} else {
			b.WriteString(html.EscapeString(p.text))
		}
	}
	return template.HTML(b.String())
}

// htmlDetails writes the details of a row: labelled lines, the evidence
// list, the kernel record's block.
func htmlDetails(r Row) template.HTML {
	var b strings.Builder
	var ev []string
	flush := func(hidden int) {
		if len(ev) == 0 && hidden == 0 {
			return
		}
		b.WriteString(`<ul class="evidence">`)
		for _, l := range ev {
			b.WriteString("<li>" + l + "</li>")
		}
		if hidden > 0 {
			b.WriteString(`<li class="none">… and ` + html.EscapeString(plural(hidden, "more line", "more lines")) + "</li>")
		}
		b.WriteString("</ul>")
		ev = ev[:0]
	}
	for _, d := range r.Details {
		switch {
		case d.Block:
			b.WriteString(`<div class="label">` + html.EscapeString(d.Label) + ":</div><pre>")
			for _, l := range d.Lines {
				b.WriteString(html.EscapeString(l) + "\n")
			}
			b.WriteString("</pre>")
		case d.Label != "":
			for _, l := range d.Lines {
				b.WriteString(`<div><span class="label">` + html.EscapeString(d.Label) + ":</span> ")
				b.WriteString(htmlInline(Cell{Text: l, Code: d.Code, Ticks: d.Ticks}) + "</div>")
			}
			if d.Hidden > 0 {
				b.WriteString(`<div class="none">… and ` + html.EscapeString(plural(d.Hidden, "more", "more")) + "</div>")
			}
		default:
			for _, l := range d.Lines {
				ev = append(ev, html.EscapeString(l))
			}
			flush(d.Hidden)
		}
	}
	flush(0)
	return template.HTML(b.String())
}

// barClass is the CSS class of a bar part: "bar-in-flight".
func barClass(name string) string { return "bar-" + strings.ReplaceAll(name, " ", "-") }

// htmlBar draws a stacked bar in HTML and CSS alone (no script, no request):
// one segment per part larger than zero, its flex-grow its share of the
// total so the segments fill the bar exactly, each labelled inside (cut
// with an ellipsis when narrow) and in its tooltip; the key below labels
// every part with its size and share, whatever its width.
func htmlBar(b *Bar) template.HTML {
	var desc []string
	for _, p := range b.Parts {
		if p.Bytes > 0 {
			desc = append(desc, p.Name+" "+p.Size+" ("+p.Share+")")
		}
	}
	var s strings.Builder
	s.WriteString(`<div class="bar" role="img" aria-label="` +
		html.EscapeString(strings.Join(desc, ", ")+"; total "+b.Total) + `">`)
	for _, p := range b.Parts {
		if p.Bytes == 0 {
			continue
		}
		label := p.Name + " " + p.Size + " · " + p.Share
		s.WriteString(`<div class="seg ` + barClass(p.Name) + `" style="flex: ` +
			strconv.FormatFloat(p.Percent, 'f', 4, 64) + ` 1 0"` +
			` data-part="` + html.EscapeString(p.Name) + `" data-bytes="` + strconv.FormatInt(p.Bytes, 10) + `"` +
			` title="` + html.EscapeString(p.Name+": "+p.Size+", "+p.Share+" of "+b.Total) + `">` +
			html.EscapeString(label) + `</div>`)
	}
	s.WriteString(`</div><ul class="bar-key">`)
	for _, p := range b.Parts {
		if p.Bytes == 0 {
			continue
		}
		s.WriteString(`<li class="` + barClass(p.Name) + `"><span class="name">` + html.EscapeString(p.Name) +
			`</span> ` + html.EscapeString(p.Size) + ` <span class="share">(` + html.EscapeString(p.Share) + `)</span></li>`)
	}
	var zero []string
	for _, p := range b.Parts {
		if p.Bytes == 0 {
			zero = append(zero, p.Name)
		}
	}
	if len(zero) > 0 {
		s.WriteString(`<li class="bar-zero">` + html.EscapeString(strings.Join(zero, ", ")) + `: 0 B</li>`)
	}
	s.WriteString(`<li class="bar-total"><span class="name">total</span> ` +
		html.EscapeString(b.Total) + ` <span class="share">(100%)</span></li></ul>`)
	return template.HTML(s.String())
}

func renderHTML(w io.Writer, r *correlate.Report, opts Options) error {
	p := &htmlPage{View: buildView(r, opts), Schema: r.Schema}
	leaks, inFlight := len(r.Leaks), len(r.InFlight)
	if s := p.View.section("leaks"); s != nil {
		leaks = len(s.Rows)
	}
	if s := p.View.section("in-flight"); s != nil {
		inFlight = len(s.Rows)
	}
	p.Chart, p.ChartNotes = buildChart(r, leaks, inFlight)
	return pageTemplate().Execute(w, p)
}
