package report

import (
	"io"
	"sort"
	"strconv"
	"strings"
	"unicode"

	"github.com/oomlens/oomlens/correlate"
)

// The Markdown format is GitHub Flavored Markdown meant to be pasted into a
// bug report as it is. Everything that comes from the inputs (node ids, log
// lines, paths) is shown literally: node ids and evidence in code spans,
// free text with its Markdown punctuation backslash-escaped, so a pytest id
// such as test_f[<lambda>|x] survives GitHub's renderer and its HTML
// sanitiser unchanged.

// mdCode returns s as an inline code span, with a fence longer than any run
// of backticks in s (CommonMark §6.1). Inside a table cell, | is written \|
// (GFM tables split cells before parsing code spans, and turn \| back into |).
func mdCode(s string, inTable bool) string {
	s = printable(s)
	if s == "" {
		return ""
	}
	fence := strings.Repeat("`", backtickRun(s)+1)
	if inTable {
		s = strings.ReplaceAll(s, "|", `\|`)
	}
	// A span that starts or ends with a backtick or a space needs one space
	// of padding on both sides; CommonMark strips exactly one each side.
	if strings.HasPrefix(s, "`") || strings.HasSuffix(s, "`") ||
		(strings.HasPrefix(s, " ") && strings.HasSuffix(s, " ") && strings.Trim(s, " ") != "") {
		s = " " + s + " "
	}
	return fence + s + fence
}

// mdMaybeCode is mdCode in a table cell, or "-" when s is empty or "-".
func mdMaybeCode(s string) string {
	if s == "" || s == "-" {
		return "-"
	}
	return mdCode(s, true)
}

// mdTest shows a node id as a code span, or a placeholder when unknown.
func mdTest(s string, inTable bool) string {
	if s == "" {
		return "(unknown test)"
	}
	return mdCode(s, inTable)
}

// mdText escapes free text for inline Markdown: every ASCII punctuation
// character that could start emphasis, a link, an HTML tag, an entity, a
// code span, a table cell or strike-through is backslash-escaped.
//
// An underscore between two letters or digits is left alone: GFM never
// opens or closes emphasis inside a word with _, so test_memory.log stays
// readable in the raw text.
func mdText(s string) string {
	rs := []rune(printable(s))
	var b strings.Builder
	for i, c := range rs {
		escape := strings.ContainsRune("\\`*_[]<>|~&#!", c)
		if c == '_' && i > 0 && i < len(rs)-1 && isWordRune(rs[i-1]) && isWordRune(rs[i+1]) {
			escape = false
		}
		if escape {
			b.WriteByte('\\')
		}
		b.WriteRune(c)
	}
	return b.String()
}

func isWordRune(c rune) bool { return unicode.IsLetter(c) || unicode.IsDigit(c) }

// mdCell is mdText for a table cell, "-" when empty.
func mdCell(s string) string {
	if s == "" {
		return "-"
	}
	return mdText(s)
}

// mdLimit is the most characters the Markdown holds: the size of a GitHub
// issue or comment body (and of a job summary step's, 1 MiB, well above).
// It is measured in bytes, which are never fewer than the characters
// GitHub counts.
const mdLimit = 65536

// mdVerdict writes the verdict as free text in which the node ids the
// report names are code spans, shown as they are.
func mdVerdict(v string, ids []string) string {
	var found []string
	for _, id := range ids {
		if id != "" && strings.Contains(v, id) {
			found = append(found, id)
		}
	}
	sort.Slice(found, func(i, j int) bool { return len(found[i]) > len(found[j]) })
	var b strings.Builder
	plain := 0
	for i := 0; i < len(v); {
		match := ""
		for _, id := range found {
			if strings.HasPrefix(v[i:], id) {
				match = id
				break
			}
		}
		if match == "" {
			i++
			continue
		}
		b.WriteString(mdText(v[plain:i]))
		b.WriteString(mdCode(match, false))
		i += len(match)
		plain = i
	}
	b.WriteString(mdText(v[plain:]))
	return b.String()
}

func mdCellOf(c Cell) string {
	var s string
	switch {
	case c.Code:
		s = mdCode(c.Text, true)
	case c.Text == "":
		s = "-"
	default:
		s = mdText(c.Text)
	}
	if c.Tone == Bad || c.Tone == Strong {
		s = "**" + s + "**"
	}
	return s
}

// mdTicks is mdText for oomlens's own sentences (warnings), in which
// `command` marks a code span: those become code spans, the rest is
// escaped.
func mdTicks(s string) string {
	var b strings.Builder
	for _, p := range tickSpans(s) {
		if p.code {
			b.WriteString(mdCode(p.text, false))
		} else {
			b.WriteString(mdText(p.text))
		}
	}
	return b.String()
}

func mdInline(c Cell) string {
	if c.Code {
		return mdCode(c.Text, false)
	}
	return mdText(c.Text)
}

// mdDetails writes the details of a row as a list under an item "marker
// name", or, for a row without a name, indented by indent.
func mdDetails(r *Row, marker, indent string) string {
	var b strings.Builder
	if r.Name.Text != "" {
		indent = strings.Repeat(" ", len(marker)+1)
		b.WriteString(marker + " " + mdInline(r.Name) + "\n")
	}
	for _, d := range r.Details {
		switch {
		case d.Block:
			longest := 0
			for _, l := range d.Lines {
				longest = max(longest, backtickRun(l))
			}
			fence := strings.Repeat("`", max(3, longest+1))
			b.WriteString(indent + "- " + mdText(d.Label) + ":\n\n")
			in := indent + "  "
			b.WriteString(in + fence + "text\n")
			for _, l := range d.Lines {
				b.WriteString(in + l + "\n")
			}
			b.WriteString(in + fence + "\n")
		default:
			for _, l := range d.Lines {
				b.WriteString(indent + "- ")
				if d.Label != "" {
					b.WriteString(mdText(d.Label) + ": ")
				}
				switch {
				case d.Code:
					b.WriteString(mdCode(l, false))
				case d.Ticks:
					b.WriteString(mdTicks(l))
				default:
					b.WriteString(mdText(l))
				}
				b.WriteString("\n")
			}
		}
		if d.Hidden > 0 {
			b.WriteString(indent + "- " + mdText("… and "+plural(d.Hidden, "more line", "more lines")) + "\n")
		}
	}
	return b.String()
}

func mdSection(s *Section) *laidOut {
	title := s.Title
	if s.Counted {
		title += " (" + strconv.Itoa(s.Total) + ")"
	}
	if s.Note != "" {
		title += ": " + s.Note
	}
	l := &laidOut{head: "\n### " + mdText(title) + "\n\n", total: s.Total, details: make([]string, len(s.Rows)),
		more: func(hidden int, reason string) string {
			return "\n" + mdText(moreText(hidden, reason)) + "\n"
		},
		dmore: func(hidden int, reason string) string {
			return "\n" + mdText("… the details of "+plural(hidden, "row", "rows")+" are left out "+moreReason(reason)) + "\n"
		},
	}
	if s.Total == 0 && len(s.Rows) == 0 {
		l.head += mdText(s.Empty) + "\n"
		return l
	}
	switch s.Layout {
	case Table:
		header := make([]string, len(s.Columns))
		seps := make([]string, len(s.Columns))
		for i, c := range s.Columns {
			header[i] = c.Name // oomlens's own words, nothing to escape
			seps[i] = "---"
			if c.Right {
				seps[i] = "---:"
			}
		}
		l.head += "| " + strings.Join(header, " | ") + " |\n|" + strings.Join(seps, "|") + "|\n"
		for _, r := range s.Rows {
			cells := make([]string, len(r.Cells))
			for i, c := range r.Cells {
				cells[i] = mdCellOf(c)
			}
			l.rows = append(l.rows, "| "+strings.Join(cells, " | ")+" |\n")
		}
		l.dhead = "\n"
		for i := range s.Rows {
			r := &s.Rows[i]
			if !r.HasDetails() {
				continue
			}
			marker := "-"
			if r.Rank > 0 {
				marker = strconv.Itoa(r.Rank) + "."
			}
			l.details[i] = mdDetails(r, marker, "")
		}
	case Pairs:
		// A name and a value per item, the details nested under it.
		for _, r := range s.Rows {
			item := "- " + mdText(r.Cells[0].Text) + ": " + mdInline(r.Cells[1]) + "\n"
			if r.HasDetails() {
				item += mdDetails(&Row{Details: r.Details}, "", "  ")
			}
			l.rows = append(l.rows, item)
		}
	case List:
		for _, r := range s.Rows {
			l.rows = append(l.rows, "- "+mdTicks(r.Cells[0].Text)+"\n")
		}
	}
	return l
}

func renderMarkdown(w io.Writer, r *correlate.Report, opts Options) error {
	v := buildView(r, opts)
	var ids []string
	for _, l := range r.Leaks {
		ids = append(ids, printable(l.Test))
	}
	for _, f := range r.InFlight {
		ids = append(ids, printable(f.Test))
	}
	preamble := "**" + mdVerdict(v.Verdict, ids) + "**\n"
	secIDs := make([]string, len(v.Sections))
	parts := make([]*laidOut, len(v.Sections))
	for i, s := range v.Sections {
		secIDs[i], parts[i] = s.ID, mdSection(s)
	}
	_, err := io.WriteString(w, fitSections(preamble, secIDs, parts, mdLimit, countBytes,
		"left out to stay within GitHub's 65,536-character limit"))
	return err
}

func backtickRun(s string) int {
	longest, run := 0, 0
	for _, c := range s {
		if c == '`' {
			run++
			longest = max(longest, run)
		} else {
			run = 0
		}
	}
	return longest
}
