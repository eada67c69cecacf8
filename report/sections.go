package report

import (
	"path/filepath"
	"strconv"
	"strings"

	"github.com/oomlens/oomlens/correlate"
)

// The sections of a report are built here once, as rows, and the text,
// Markdown and HTML renderers only lay those rows out (as pprof's report
// builds TextItems once for its text and web views): the names, the order,
// the columns, the top-N cut and the "and N more" note are the same in every
// format by construction.

// DefaultTop is how many rows a section shows when Options.Top is 0.
const DefaultTop = 10

// All, as Options.Top, shows every row of every section.
const All = -1

// detailLines bounds the evidence lines shown under one row when the rows
// are cut to a top N; --top all shows them all.
const detailLines = 5

// Layout says how a section's rows are laid out.
type Layout uint8

const (
	// Table: a table with a header row.
	Table Layout = iota
	// Pairs: rows of a name and a value (run end, clock alignment).
	Pairs
	// List: one line per row (warnings).
	List
)

// Tone colours a cell in the terminal and classes it in HTML.
type Tone uint8

const (
	Plain  Tone = iota
	Bad         // red: high confidence, the kill that ended the run
	Warn        // yellow: medium confidence, a warning
	Muted       // grey: low confidence
	Strong      // bold: the kind of the kill that ended the run
)

// Column is one column of a table section.
type Column struct {
	Name  string
	Right bool // numbers, right-aligned
}

// Cell is one value of a row, already formatted (FormatBytes, "-" for
// unknown) and made printable.
type Cell struct {
	Text string
	// Code marks a value shown literally: a node id, a path, a command
	// name. Markdown puts it in a code span, HTML in <code>.
	Code bool
	// ID marks a node id: HTML lets it break anywhere (overflow-wrap),
	// since ids have no spaces; other cells break only between words.
	ID bool
	// Ticks marks oomlens's own sentences (warnings), in which `x` is a
	// code span (tickSpans).
	Ticks bool
	Tone  Tone
}

// tickSpan is a part of a sentence: code (between backticks) or not.
type tickSpan struct {
	text string
	code bool
}

// tickSpans splits one of oomlens's own sentences at its backticks: "run
// it under `oomlens record`" holds a code span. A sentence with an odd
// number of backticks (one that quotes an input) is left whole.
func tickSpans(s string) []tickSpan {
	parts := strings.Split(s, "`")
	if len(parts)%2 == 0 || len(parts) == 1 {
		return []tickSpan{{text: s}}
	}
	out := make([]tickSpan, 0, len(parts))
	for i, p := range parts {
		if p != "" {
			out = append(out, tickSpan{text: p, code: i%2 == 1})
		}
	}
	return out
}

// Detail is a labelled list of lines under a row: the evidence of a leak,
// its open objects, the kernel record of a kill.
type Detail struct {
	Label string   // "" for evidence
	Lines []string // printable
	Code  bool     // each line shown literally (evidence: "file:line: text")
	Block bool     // a preformatted block (the kernel record's key lines)
	Ticks bool     // oomlens's own sentences, with `code` spans (tickSpans)
	// Hidden is how many lines the top-N cut left out.
	Hidden int
}

// Row is one entry of a section.
type Row struct {
	Cells []Cell
	// Name is what the row's details are listed under: the node id of a
	// test, the pid of a kill.
	Name Cell
	// Rank numbers the row in its details (the leaks: 1., 2., …); 0 for
	// none.
	Rank int
	// Class marks a row in HTML: "leak", "in-flight" or "".
	Class   string
	Details []Detail
}

// HasDetails reports whether the row has a detail line to show.
func (r *Row) HasDetails() bool {
	for _, d := range r.Details {
		if len(d.Lines) > 0 || d.Hidden > 0 {
			return true
		}
	}
	return false
}

// Section is one part of the report: a heading, and rows.
type Section struct {
	ID      string // stable anchor: leaks, in-flight, hogs, …
	Title   string // "Leaks", the same in every format
	Note    string // what the section holds, after the title
	Layout  Layout
	Columns []Column
	Rows    []Row
	// Total is the number of entries in the model; Rows holds the first
	// Top of them (the last ones for the timeline).
	Total int
	// Counted sections show Total after their title.
	Counted bool
	// Empty is the sentence shown when Total is 0.
	Empty string
	// Last says Rows are the last entries, not the first (the timeline:
	// the tests nearest the end of the run).
	Last bool
	// Bar is the section drawn as one stacked bar (the memory account):
	// parts in order, summing to the total. HTML draws it above the rows;
	// the rows hold the same figures for the other formats.
	Bar *Bar
}

// Bar is a whole split into parts, each drawn in proportion to its size.
type Bar struct {
	Parts      []BarPart
	TotalBytes int64
	Total      string // FormatBytes(TotalBytes)
}

// BarPart is one part of a Bar.
type BarPart struct {
	Name  string // the account's row name: "baseline", "in flight", …
	Bytes int64
	Size  string // FormatBytes(Bytes)
	Share string // of the total, as the account's rows say it: "34.5%"
	// Percent is Bytes over the total, unrounded, for the part's width.
	Percent float64
}

// accountBar is the memory account as a stacked bar: baseline, leaks,
// groups, fixtures, in flight, unexplained. Nil when the account cannot be
// drawn honestly: a total that is not positive, a negative part, or parts
// that do not add up to the total (the model promises they do; a bar that
// does not reach its end would show a figure nobody computed).
func accountBar(a *correlate.MemoryAccount) *Bar {
	if a == nil || a.TotalBytes <= 0 {
		return nil
	}
	b := &Bar{TotalBytes: a.TotalBytes, Total: FormatBytes(a.TotalBytes)}
	var sum int64
	for _, p := range []struct {
		name string
		n    int64
	}{
		{"baseline", a.BaselineBytes}, {"leaks", a.LeaksBytes}, {"groups", a.GroupsBytes},
		{"fixtures", a.FixturesBytes}, {"in flight", a.InFlightBytes}, {"unexplained", a.UnexplainedBytes},
	} {
		if p.n < 0 {
			return nil
		}
		sum += p.n
		b.Parts = append(b.Parts, BarPart{Name: p.name, Bytes: p.n, Size: FormatBytes(p.n),
			Share: accountShare(p.n, a.TotalBytes), Percent: float64(p.n) * 100 / float64(a.TotalBytes)})
	}
	if sum != a.TotalBytes {
		return nil
	}
	return b
}

// Hidden is the number of entries the top-N cut left out.
func (s *Section) Hidden() int { return s.Total - len(s.Rows) }

// view is what the human formats print: the verdict and the sections, built
// once from the model.
type view struct {
	Verdict string
	Tone    Tone // Bad when leaks were named, Warn when killed, Plain when complete
	// Sections in the order every format prints them.
	Sections []*Section
	// Top is the number of rows a section shows (All: every row).
	Top int
}

// section returns the section with the given id, or nil.
func (v *view) section(id string) *Section {
	for _, s := range v.Sections {
		if s.ID == id {
			return s
		}
	}
	return nil
}

// pathRel rewrites the paths of the inputs for the human formats: relative
// to the working directory when Options.WorkDir is set, so that a report
// pasted into an issue does not carry the analysing machine's folders.
type pathRel struct {
	dir     string
	replace *strings.Replacer
}

func newPathRel(r *correlate.Report, dir string) *pathRel {
	p := &pathRel{dir: dir}
	if dir == "" || !filepath.IsAbs(dir) {
		return p
	}
	var pairs []string
	for _, in := range r.Inputs {
		if rel := p.path(in.Path); rel != in.Path {
			pairs = append(pairs, in.Path, rel)
		}
	}
	for _, c := range r.Cores {
		if rel := p.path(c.Path); rel != c.Path {
			pairs = append(pairs, c.Path, rel)
		}
	}
	pairs = append(pairs, strings.TrimSuffix(dir, "/")+"/", "")
	p.replace = strings.NewReplacer(pairs...)
	return p
}

// path makes one absolute path relative to the working directory.
func (p *pathRel) path(s string) string {
	if p.dir == "" || !filepath.IsAbs(s) {
		return s
	}
	rel, err := filepath.Rel(p.dir, s)
	if err != nil {
		return s
	}
	return rel
}

// text rewrites the paths inside a free-text line (evidence, warnings).
func (p *pathRel) text(s string) string {
	if p.replace == nil {
		return s
	}
	return p.replace.Replace(s)
}

// buildView builds the sections of r, each cut to its top opts.Top rows.
func buildView(r *correlate.Report, opts Options) *view {
	top := opts.top()
	b := &viewBuilder{r: r, top: top, rel: newPathRel(r, opts.WorkDir)}
	v := &view{Top: top, Verdict: printable(b.rel.text(r.Verdict))}
	if v.Verdict == "" {
		v.Verdict = "No verdict."
	}
	switch {
	case len(r.Leaks) > 0:
		v.Tone = Bad
	case len(r.Kills) > 0 || r.RunEnd.Kind != "complete":
		v.Tone = Warn
	}
	v.Sections = []*Section{
		b.leaks(), b.memoryAtKill(), b.inFlight(), b.hogs(), b.unclosed(), b.fixturesHeld(), b.kills(),
		b.cores(), b.runEnd(), b.timeline(), b.warnings(), b.inputs(),
	}
	kept := v.Sections[:0]
	for _, s := range v.Sections {
		if s != nil {
			kept = append(kept, s)
		}
	}
	v.Sections = kept
	return v
}

type viewBuilder struct {
	r   *correlate.Report
	top int
	rel *pathRel
}

// n is how many of total entries a section shows.
func (b *viewBuilder) n(total int) int {
	if b.top < 0 || total < b.top {
		return total
	}
	return b.top
}

func (b *viewBuilder) evidence(lines []string) Detail {
	d := Detail{Code: true}
	n := len(lines)
	if b.top >= 0 && n > detailLines {
		n = detailLines
		d.Hidden = len(lines) - n
	}
	d.Lines = make([]string, n)
	for i, l := range lines[:n] {
		d.Lines[i] = printable(b.rel.text(l))
	}
	return d
}

func text(s string) Cell         { return Cell{Text: orDash(s)} }
func code(s string) Cell         { return Cell{Text: orDash(s), Code: s != "" && s != "-"} }
func testCell(s string) Cell     { return Cell{Text: testName(s), Code: s != "", ID: s != ""} }
func pathCell(s string) Cell     { c := code(s); c.ID = c.Code; return c }
func num(s string) Cell          { return Cell{Text: s} }
func bytesCell(n int64) Cell     { return Cell{Text: FormatBytes(n)} }
func optBytesCell(n *int64) Cell { return Cell{Text: optBytes(n)} }

func confidenceCell(c string) Cell {
	cell := text(c)
	switch c {
	case "high":
		cell.Tone = Bad
	case "medium":
		cell.Tone = Warn
	case "low":
		cell.Tone = Muted
	}
	return cell
}

func openObjectsDetail(m map[string]int) []Detail {
	if o := openObjects(m); o != "" {
		return []Detail{{Label: "open objects", Lines: []string{o}}}
	}
	return nil
}

func (b *viewBuilder) leaks() *Section {
	s := &Section{ID: "leaks", Title: "Leaks", Note: "tests that added memory still held at the kill, most first",
		Counted: true, Total: len(b.r.Leaks), Empty: "None found.",
		Columns: []Column{{"#", true}, {"Test", false}, {"Worker", false}, {"PID", true}, {"Retained", true},
			{"Share of kill", true}, {"Confidence", false}}}
	for i, l := range b.r.Leaks[:b.n(len(b.r.Leaks))] {
		s.Rows = append(s.Rows, Row{
			Cells: []Cell{num(strconv.Itoa(i + 1)), testCell(l.Test), text(l.Worker), num(pidString(l.PID)),
				bytesCell(l.RetainedBytes), num(share(l.ShareOfKill)), confidenceCell(l.Confidence)},
			Name:    testCell(l.Test),
			Rank:    i + 1,
			Class:   "leak",
			Details: append(append(groupDetail(l.Group), openObjectsDetail(l.OpenObjects)...), b.evidence(l.Evidence)),
		})
	}
	return s
}

// groupDetail says what a group leak is made of: its kind, member count and
// the range of what each member kept.
func groupDetail(g *correlate.Group) []Detail {
	if g == nil {
		return nil
	}
	return []Detail{{Label: "group", Lines: []string{groupWords(g)}}}
}

// memoryAtKill is the account of the killed process's memory at the kill:
// each part, its share and its basis, summing to the total.
func (b *viewBuilder) memoryAtKill() *Section {
	a := b.r.MemoryAtKill
	if a == nil {
		return nil
	}
	s := &Section{ID: "memory-at-kill", Title: "Memory at the kill", Note: accountTitle(a), Bar: accountBar(a),
		Columns: []Column{{"Part", false}, {"Size", true}, {"Share", true}, {"Basis", false}}}
	for _, row := range accountRows(a) {
		s.Rows = append(s.Rows, Row{Cells: []Cell{text(row[0]), num(row[1]), num(row[2]), text(row[3])}})
	}
	return s
}

func (b *viewBuilder) inFlight() *Section {
	s := &Section{ID: "in-flight", Title: "In flight", Note: "running when the process died",
		Counted: true, Total: len(b.r.InFlight), Empty: "None known.",
		Columns: []Column{{"Test", false}, {"Worker", false}, {"PID", true}, {"Added (estimate)", true}, {"Basis", false}}}
	for _, f := range b.r.InFlight[:b.n(len(b.r.InFlight))] {
		s.Rows = append(s.Rows, Row{
			Cells: []Cell{testCell(f.Test), text(f.Worker), num(pidString(f.PID)), optBytesCell(f.AddedBytesEstimate), text(f.Basis)},
			Name:  testCell(f.Test), Class: "in-flight",
			Details: []Detail{b.evidence(f.Evidence)},
		})
	}
	return s
}

func (b *viewBuilder) hogs() *Section {
	s := &Section{ID: "hogs", Title: "Hogs", Note: "high peak, nothing lasting retained, highest rise first; " + hogRuleWords(b.r.HogRule),
		Counted: true, Total: len(b.r.Hogs), Empty: "None found.",
		Columns: []Column{{"Test", false}, {"Worker", false}, {"Rise", true}, {"Peak", true}, {"Retained", true}}}
	for _, h := range b.r.Hogs[:b.n(len(b.r.Hogs))] {
		s.Rows = append(s.Rows, Row{
			Cells: []Cell{testCell(h.Test), text(h.Worker), bytesCell(h.RiseBytes), bytesCell(h.PeakBytes), bytesCell(h.RetainedBytes)},
			Name:  testCell(h.Test), Details: []Detail{b.evidence(h.Evidence)},
		})
	}
	return s
}

func (b *viewBuilder) unclosed() *Section {
	s := &Section{ID: "unclosed", Title: "Unclosed", Note: "objects left open, below the noise floor",
		Counted: true, Total: len(b.r.Unclosed), Empty: "None found.",
		Columns: []Column{{"Test", false}, {"Worker", false}, {"Open objects", false}}}
	for _, u := range b.r.Unclosed[:b.n(len(b.r.Unclosed))] {
		s.Rows = append(s.Rows, Row{
			Cells: []Cell{testCell(u.Test), text(u.Worker), text(openObjects(u.OpenObjects))},
			Name:  testCell(u.Test), Details: []Detail{b.evidence(u.Evidence)},
		})
	}
	return s
}

func (b *viewBuilder) fixturesHeld() *Section {
	if len(b.r.FixturesHeld) == 0 {
		return nil
	}
	s := &Section{ID: "fixtures-held", Title: "Fixtures held", Note: "live fixtures' memory, not leaked by a test",
		Counted: true, Total: len(b.r.FixturesHeld),
		Columns: []Column{{"Fixture", false}, {"Scope", false}, {"Set up by", false}, {"Worker", false}, {"PID", true}, {"Held", true}}}
	for _, f := range b.r.FixturesHeld[:b.n(len(b.r.FixturesHeld))] {
		s.Rows = append(s.Rows, Row{Cells: []Cell{code(f.Fixture), text(f.Scope), testCell(f.SetUpBy), text(f.Worker),
			num(pidString(f.PID)), bytesCell(f.HeldBytes)}})
	}
	return s
}

func (b *viewBuilder) kills() *Section {
	s := &Section{ID: "kills", Title: "Kills", Note: "the kill that ended the run first",
		Counted: true, Total: len(b.r.Kills), Empty: "No kill record found.",
		Columns: []Column{{"Kill", false}, {"PID", true}, {"Comm", false}, {"Time", false}, {"Constraint", false},
			{"Memcg", false}, {"anon-rss", true}, {"Memcg usage", true}, {"Limit", true}}}
	if len(b.r.Kills) < 2 {
		s.Note = ""
	}
	for i := range b.r.Kills[:b.n(len(b.r.Kills))] {
		k := &b.r.Kills[i]
		kind := text(k.Kind)
		if k.EndedRun {
			kind.Text += ", ended the run"
			kind.Tone = Bad
		}
		if k.Partial {
			kind.Text += " (partial record)"
		}
		more := "file-rss " + knownBytes(k.FileRSSBytes) + ", shmem-rss " + knownBytes(k.ShmemRSSBytes) +
			", total-vm " + knownBytes(k.TotalVMBytes)
		details := []Detail{
			{Label: "outcome", Lines: []string{killOutcome(k)}},
			{Label: "invoked by", Lines: []string{killInvoker(k)}},
			{Label: "also", Lines: []string{more}},
			{Label: "source", Lines: []string{orDash(b.rel.text(k.Source))}, Code: k.Source != ""},
		}
		if len(k.KeyLines) > 0 {
			// The kernel record is a few lines; it is kept whole.
			lines := make([]string, len(k.KeyLines))
			for i, l := range k.KeyLines {
				lines[i] = printable(l)
			}
			details = append(details, Detail{Label: "kernel record", Lines: lines, Code: true, Block: true})
		}
		s.Rows = append(s.Rows, Row{
			Cells: []Cell{kind, num(knownPID(k.PID)), code(orUnknown(k.Comm)), text(killTime(k)), text(k.Constraint),
				pathCell(memcg(k)), num(knownBytes(k.AnonRSSBytes)), optBytesCell(k.MemcgUsageBytes), num(limit(k))},
			Name:    Cell{Text: killVictim(k)},
			Details: details,
		})
		if k.EndedRun {
			s.Rows[len(s.Rows)-1].Class = "leak"
		}
	}
	return s
}

func (b *viewBuilder) cores() *Section {
	if len(b.r.Cores) == 0 {
		return nil
	}
	s := &Section{ID: "cores", Title: "Core dumps", Counted: true, Total: len(b.r.Cores),
		Columns: []Column{{"Core", false}, {"PID", true}, {"Comm", false}, {"Signal", false}, {"Anon", true},
			{"File", true}, {"Largest region", false}}}
	for _, c := range b.r.Cores[:b.n(len(b.r.Cores))] {
		largest := "-"
		if len(c.LargestRegions) > 0 {
			g := c.LargestRegions[0]
			largest = FormatBytes(g.SizeBytes) + " at " + orDash(g.Start) + " " + orDash(g.Perms)
		}
		s.Rows = append(s.Rows, Row{Cells: []Cell{pathCell(b.rel.path(c.Path)), num(pidString(c.PID)), code(c.Comm),
			text(c.Signal), bytesCell(c.AnonBytes), bytesCell(c.FileBytes), text(largest)}})
	}
	return s
}

func (b *viewBuilder) runEnd() *Section {
	s := &Section{ID: "run-end", Title: "Run end", Layout: Pairs, Total: 2,
		Rows: []Row{
			{Cells: []Cell{{Text: "ended by"}, {Text: runEnd(b.r.RunEnd)}}},
			{Cells: []Cell{{Text: "clock alignment"}, {Text: alignment(b.r.Alignment)}}},
		}}
	if len(b.r.RunEnd.Evidence) > 0 {
		s.Rows[0].Details = []Detail{b.evidence(b.r.RunEnd.Evidence)}
	}
	return s
}

// timeline shows the last tests before the end of the run: the ones nearest
// the kill.
func (b *viewBuilder) timeline() *Section {
	tl := b.r.Timeline
	// The analysis may have kept only the last tests (TimelineTail): they
	// are numbered as in the whole timeline.
	skipped := max(b.r.TimelineTotal-len(tl), 0)
	s := &Section{ID: "timeline", Title: "Timeline", Note: "the last tests before the end of the run; the html format charts every reading",
		Counted: true, Total: skipped + len(tl), Empty: "No test on the timeline.", Last: true,
		Columns: []Column{{"#", true}, {"Test", false}, {"Worker", false}, {"PID", true}, {"Start", false}, {"End", false},
			{"Outcome", false}, {"RSS before", true}, {"RSS after", true}, {"Peak", true}}}
	leaky, flying := map[string]bool{}, map[string]bool{}
	for _, l := range b.r.Leaks {
		leaky[l.Test+"\x00"+l.Worker] = true
	}
	for _, f := range b.r.InFlight {
		flying[f.Test+"\x00"+f.Worker] = true
	}
	first := len(tl) - b.n(len(tl))
	for i, t := range tl[first:] {
		row := Row{Cells: []Cell{num(strconv.Itoa(skipped + first + i + 1)), testCell(t.Test), text(t.Worker), num(pidString(t.PID)),
			text(optString(t.Start)), text(optString(t.End)), text(t.Outcome), optBytesCell(t.RSSBeforeBytes),
			optBytesCell(t.RSSAfterBytes), optBytesCell(t.PeakBytes)}}
		switch {
		case leaky[t.Test+"\x00"+t.Worker]:
			row.Class = "leak"
		case flying[t.Test+"\x00"+t.Worker] || t.Outcome == "in-flight":
			row.Class = "in-flight"
		}
		s.Rows = append(s.Rows, row)
	}
	return s
}

func (b *viewBuilder) warnings() *Section {
	s := &Section{ID: "warnings", Title: "Warnings", Layout: List, Counted: true, Total: len(b.r.Warnings), Empty: "None."}
	for _, w := range b.r.Warnings[:b.n(len(b.r.Warnings))] {
		s.Rows = append(s.Rows, Row{Cells: []Cell{{Text: printable(b.rel.text(w)), Tone: Warn, Ticks: true}}})
	}
	return s
}

func (b *viewBuilder) inputs() *Section {
	s := &Section{ID: "inputs", Title: "Inputs", Counted: true, Total: len(b.r.Inputs), Empty: "None.",
		Columns: []Column{{"Path", false}, {"Kinds", false}}}
	for _, in := range b.r.Inputs[:b.n(len(b.r.Inputs))] {
		kinds := make([]string, len(in.Kinds))
		for i, k := range in.Kinds {
			kinds[i] = printable(k)
		}
		path := b.rel.path(in.Path)
		row := Row{Cells: []Cell{pathCell(path), text(strings.Join(kinds, ", "))}, Name: pathCell(path)}
		if len(in.Warnings) > 0 {
			d := b.evidence(in.Warnings)
			d.Label, d.Code, d.Ticks = "warning", false, true
			row.Details = []Detail{d}
		}
		s.Rows = append(s.Rows, row)
	}
	return s
}
