package report

import (
	"io"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/oomlens/oomlens/correlate"
)

// ANSI SGR sequences used by the text format when Options.Color is set.
const (
	ansiReset  = "\x1b[0m"
	ansiBold   = "\x1b[1m"
	ansiDim    = "\x1b[2m"
	ansiRed    = "\x1b[31m"
	ansiGreen  = "\x1b[32m"
	ansiYellow = "\x1b[33m"
	ansiCyan   = "\x1b[36m"
)

// textWriter writes the text format. Colour escapes take no width in
// table, so the columns stay aligned with and without colour.
type textWriter struct {
	color bool
}

func (t *textWriter) paint(style, s string) string {
	if !t.color || s == "" {
		return s
	}
	return style + s + ansiReset
}

// table lays rows out as aligned columns, indented by two spaces, two
// spaces between columns, one string per row. It does what text/tabwriter
// does, except that it measures a cell by its width on a terminal
// (displayWidth): tabwriter counts runes, so a node id with CJK characters
// or emoji would push its row out of line, and colour escapes would count as
// text.
func table(rows [][]string, indent string) []string {
	var widths []int
	for _, row := range rows {
		for i, cell := range row {
			if i == len(widths) {
				widths = append(widths, 0)
			}
			widths[i] = max(widths[i], displayWidth(cell))
		}
	}
	out := make([]string, len(rows))
	var b strings.Builder
	for n, row := range rows {
		b.Reset()
		b.WriteString(indent)
		for i, cell := range row {
			b.WriteString(cell)
			if i < len(row)-1 {
				b.WriteString(strings.Repeat(" ", widths[i]-displayWidth(cell)+2))
			}
		}
		b.WriteString("\n")
		out[n] = b.String()
	}
	return out
}

// displayWidth is the number of terminal columns s takes: ANSI SGR
// sequences take none, nor do combining marks and format characters; East
// Asian wide and fullwidth characters and emoji take two (the ranges of
// Unicode's EastAsianWidth.txt W and F classes, condensed).
func displayWidth(s string) int {
	w := 0
	for i := 0; i < len(s); {
		if s[i] == 0x1b && i+1 < len(s) && s[i+1] == '[' {
			j := i + 2
			for j < len(s) && (s[j] < 0x40 || s[j] > 0x7e) {
				j++
			}
			i = j + 1
			continue
		}
		c, size := utf8.DecodeRuneInString(s[i:])
		i += size
		switch {
		case unicode.In(c, unicode.Mn, unicode.Me, unicode.Cf):
		case isWide(c):
			w += 2
		default:
			w++
		}
	}
	return w
}

func isWide(c rune) bool {
	switch {
	case c < 0x1100:
		return false
	case c <= 0x115f, // Hangul Jamo
		c >= 0x2e80 && c <= 0x303e, // CJK radicals, punctuation
		c >= 0x3041 && c <= 0x33ff, // kana, CJK compatibility
		c >= 0x3400 && c <= 0x4dbf, // CJK extension A
		c >= 0x4e00 && c <= 0x9fff, // CJK unified ideographs
		c >= 0xa000 && c <= 0xa4cf, // Yi
		c >= 0xac00 && c <= 0xd7a3, // Hangul syllables
		c >= 0xf900 && c <= 0xfaff, // CJK compatibility ideographs
		c >= 0xfe30 && c <= 0xfe4f, // CJK compatibility forms
		c >= 0xff00 && c <= 0xff60, // fullwidth forms
		c >= 0xffe0 && c <= 0xffe6,
		c >= 0x1f300 && c <= 0x1f64f, // emoji
		c >= 0x1f900 && c <= 0x1f9ff,
		c >= 0x20000 && c <= 0x3fffd: // CJK extensions B and later
		return true
	}
	return false
}

// textLines is the most lines the text format prints with the default
// --top: a report read on a terminal, not scrolled through.
const textLines = 400

func (t *textWriter) tone(c Cell) string {
	switch c.Tone {
	case Bad:
		return t.paint(ansiBold+ansiRed, c.Text)
	case Warn:
		return t.paint(ansiYellow, c.Text)
	case Strong:
		return t.paint(ansiBold, c.Text)
	}
	return c.Text
}

// details lays out the details of one row under its name.
func (t *textWriter) details(r *Row, indent string) string {
	var b strings.Builder
	if r.Name.Text != "" {
		name := r.Name.Text
		if r.Rank > 0 {
			name = strconv.Itoa(r.Rank) + ". " + name
		}
		b.WriteString("\n" + indent + t.paint(ansiBold, name) + "\n")
	}
	for _, d := range r.Details {
		switch {
		case d.Block:
			b.WriteString(indent + "   " + d.Label + ":\n")
			for _, l := range d.Lines {
				b.WriteString(indent + "     " + t.paint(ansiDim, l) + "\n")
			}
		case d.Label != "":
			for _, l := range d.Lines {
				b.WriteString(indent + "   " + d.Label + ": " + l + "\n")
			}
		default:
			for _, l := range d.Lines {
				b.WriteString(indent + "   " + t.paint(ansiDim, "- "+l) + "\n")
			}
		}
		if d.Hidden > 0 {
			b.WriteString(indent + "   " + t.paint(ansiDim, "… and "+plural(d.Hidden, "more line", "more lines")) + "\n")
		}
	}
	return b.String()
}

func (t *textWriter) section(s *Section) *laidOut {
	title := s.Title
	if s.Counted {
		title += " (" + strconv.Itoa(s.Total) + ")"
	}
	if s.Note != "" {
		title += ": " + s.Note
	}
	l := &laidOut{head: "\n" + t.paint(ansiBold+ansiCyan, title) + "\n", total: s.Total,
		details: make([]string, len(s.Rows)),
		more: func(hidden int, reason string) string {
			return "  " + t.paint(ansiDim, moreText(hidden, reason)) + "\n"
		},
		dmore: func(hidden int, reason string) string {
			return "\n  " + t.paint(ansiDim, "… the details of "+plural(hidden, "row", "rows")+" are left out "+moreReason(reason)) + "\n"
		},
	}
	if s.Total == 0 && len(s.Rows) == 0 {
		l.head += "  " + strings.TrimSuffix(s.Empty, ".") + "\n"
		return l
	}
	switch s.Layout {
	case Table:
		header := make([]string, len(s.Columns))
		for i, c := range s.Columns {
			header[i] = strings.ToUpper(c.Name)
		}
		rows := [][]string{header}
		for _, r := range s.Rows {
			cells := make([]string, len(r.Cells))
			for i, c := range r.Cells {
				cells[i] = t.tone(c)
			}
			rows = append(rows, cells)
		}
		lines := table(rows, "  ")
		l.head += lines[0]
		l.rows = lines[1:]
	case Pairs:
		rows := make([][]string, len(s.Rows))
		for i, r := range s.Rows {
			rows[i] = []string{r.Cells[0].Text, t.tone(r.Cells[1])}
		}
		l.rows = table(rows, "  ")
	case List:
		for _, r := range s.Rows {
			l.rows = append(l.rows, "  "+t.tone(Cell{Text: "! " + r.Cells[0].Text, Tone: r.Cells[0].Tone})+"\n")
		}
	}
	for i := range s.Rows {
		r := &s.Rows[i]
		if !r.HasDetails() {
			continue
		}
		if s.Layout == Pairs {
			// Run end: its evidence right under the pairs.
			l.details[i] = strings.TrimPrefix(t.details(&Row{Details: r.Details}, ""), "\n")
			continue
		}
		l.details[i] = t.details(r, "  ")
	}
	return l
}

func renderText(w io.Writer, r *correlate.Report, opts Options) error {
	t := &textWriter{color: opts.Color}
	v := buildView(r, opts)
	style := ansiBold + ansiGreen
	switch v.Tone {
	case Bad:
		style = ansiBold + ansiRed
	case Warn:
		style = ansiBold + ansiYellow
	}
	verdict := t.paint(style, v.Verdict)
	preamble := t.paint(ansiBold, "Verdict:") + " " + verdict + "\n"
	ids := make([]string, len(v.Sections))
	parts := make([]*laidOut, len(v.Sections))
	for i, s := range v.Sections {
		ids[i], parts[i] = s.ID, t.section(s)
	}
	limit := 0
	if opts.Top != All {
		limit = textLines
	}
	_, err := io.WriteString(w, fitSections(preamble, ids, parts, limit, countLines,
		"left out to stay within "+strconv.Itoa(textLines)+" lines"))
	return err
}
