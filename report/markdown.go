package report

import (
	"bufio"
	"fmt"
	"io"
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

type mdWriter struct{ w *bufio.Writer }

func (m *mdWriter) line(format string, args ...any) { fmt.Fprintf(m.w, format+"\n", args...) }

func (m *mdWriter) heading(title string, n int) {
	if n >= 0 {
		title = fmt.Sprintf("%s (%d)", title, n)
	}
	m.line("")
	m.line("### %s", title)
	m.line("")
}

// table writes a GFM table; align holds one of "l" or "r" per column.
func (m *mdWriter) table(align string, header []string, rows [][]string) {
	m.line("| %s |", strings.Join(header, " | "))
	seps := make([]string, len(header))
	for i := range seps {
		seps[i] = "---"
		if i < len(align) && align[i] == 'r' {
			seps[i] = "---:"
		}
	}
	m.line("|%s|", strings.Join(seps, "|"))
	for _, r := range rows {
		m.line("| %s |", strings.Join(r, " | "))
	}
}

func (m *mdWriter) evidence(indent string, lines []string) {
	for _, e := range lines {
		m.line("%s- %s", indent, mdCode(e, false))
	}
}

func renderMarkdown(w io.Writer, r *correlate.Report, _ Options) error {
	m := &mdWriter{w: bufio.NewWriter(w)}

	verdict := r.Verdict
	if verdict == "" {
		verdict = "No verdict."
	}
	m.line("**%s**", mdText(verdict))

	m.heading("Suspects: tests that leaked memory", len(r.Leaks))
	if len(r.Leaks) == 0 {
		m.line("None found.")
	} else {
		var rows [][]string
		for i, l := range r.Leaks {
			name := mdTest(l.Test, true)
			if l.Group != nil {
				name += fmt.Sprintf(" (%d tests)", l.Group.Members)
			}
			rows = append(rows, []string{fmt.Sprint(i + 1), name, mdCell(l.Worker),
				FormatBytes(l.RetainedBytes), share(l.ShareOfKill), mdCell(l.Confidence)})
		}
		m.table("rllrrl", []string{"#", "Test", "Worker", "Retained", "Share of kill", "Confidence"}, rows)
		m.line("")
		m.line("Evidence:")
		m.line("")
		for i, l := range r.Leaks {
			m.line("%d. %s (pid %s)", i+1, mdTest(l.Test, false), pidString(l.PID))
			if g := groupWords(l.Group); g != "" {
				m.line("   - %s", mdText(g))
			}
			if o := openObjects(l.OpenObjects); o != "" {
				m.line("   - open objects: %s", mdText(o))
			}
			m.evidence("   ", l.Evidence)
		}
	}

	if a := r.MemoryAtKill; a != nil {
		m.heading("Memory at the kill: "+mdText(accountTitle(a)), -1)
		var rows [][]string
		for _, row := range accountRows(a) {
			rows = append(rows, []string{mdCell(row[0]), row[1], row[2], mdCell(row[3])})
		}
		m.table("lrrl", []string{"Part", "Size", "Share", "Basis"}, rows)
	}

	m.heading("In flight when killed", len(r.InFlight))
	if len(r.InFlight) == 0 {
		m.line("None known.")
	} else {
		var rows [][]string
		for _, f := range r.InFlight {
			rows = append(rows, []string{mdTest(f.Test, true), mdCell(f.Worker), pidString(f.PID),
				optBytes(f.AddedBytesEstimate), mdCell(f.Basis)})
		}
		m.table("llrrl", []string{"Test", "Worker", "PID", "Added (estimate)", "Basis"}, rows)
		m.entryEvidence(len(r.InFlight), func(i int) (string, []string) { return r.InFlight[i].Test, r.InFlight[i].Evidence })
	}

	m.heading("Hogs: high peak, nothing retained", len(r.Hogs))
	m.line("%s.", mdText(upperFirst(hogRuleWords(r.HogRule))))
	m.line("")
	if len(r.Hogs) == 0 {
		m.line("None found.")
	} else {
		var rows [][]string
		for _, h := range r.Hogs {
			rows = append(rows, []string{mdTest(h.Test, true), mdCell(h.Worker), FormatBytes(h.RiseBytes), FormatBytes(h.PeakBytes), FormatBytes(h.RetainedBytes)})
		}
		m.table("llrrr", []string{"Test", "Worker", "Rise", "Peak", "Retained"}, rows)
		m.entryEvidence(len(r.Hogs), func(i int) (string, []string) { return r.Hogs[i].Test, r.Hogs[i].Evidence })
	}

	m.heading("Unclosed: objects left open, below the noise floor", len(r.Unclosed))
	if len(r.Unclosed) == 0 {
		m.line("None found.")
	} else {
		var rows [][]string
		for _, u := range r.Unclosed {
			rows = append(rows, []string{mdTest(u.Test, true), mdCell(u.Worker), mdCell(openObjects(u.OpenObjects))})
		}
		m.table("lll", []string{"Test", "Worker", "Open objects"}, rows)
		m.entryEvidence(len(r.Unclosed), func(i int) (string, []string) { return r.Unclosed[i].Test, r.Unclosed[i].Evidence })
	}

	if len(r.FixturesHeld) > 0 {
		m.heading("Fixtures held: live fixtures' memory, not leaked by a test", len(r.FixturesHeld))
		var rows [][]string
		for _, f := range r.FixturesHeld {
			rows = append(rows, []string{mdMaybeCode(f.Fixture), mdCell(f.Scope), mdTest(f.SetUpBy, true), mdCell(f.Worker),
				pidString(f.PID), FormatBytes(f.HeldBytes)})
		}
		m.table("llllrr", []string{"Fixture", "Scope", "Set up by", "Worker", "PID", "Held"}, rows)
	}

	m.heading("Kills", len(r.Kills))
	if len(r.Kills) == 0 {
		m.line("No kill record found.")
	} else {
		var rows [][]string
		for i := range r.Kills {
			k := &r.Kills[i]
			kind := mdCell(k.Kind)
			if k.EndedRun {
				kind = "**" + kind + "** (ended the run)"
			}
			if k.Partial {
				kind += " (partial record)"
			}
			rows = append(rows, []string{kind, pidString(k.PID), mdMaybeCode(k.Comm), mdText(killTime(k)),
				mdCell(k.Constraint), mdMaybeCode(memcg(k)), FormatBytes(k.AnonRSSBytes), mdText(limit(k))})
		}
		m.table("lrllllrr", []string{"Kill", "PID", "Comm", "Time", "Constraint", "Memcg", "anon-rss", "Limit"}, rows)
		for i := range r.Kills {
			k := &r.Kills[i]
			if len(k.KeyLines) == 0 {
				continue
			}
			m.line("")
			m.line("Kernel record of pid %s, %s:", pidString(k.PID), mdCode(orDash(k.Source), false))
			m.line("")
			lines := make([]string, len(k.KeyLines))
			longest := 0
			for i, l := range k.KeyLines {
				lines[i] = printable(l)
				longest = max(longest, backtickRun(lines[i]))
			}
			fence := strings.Repeat("`", max(3, longest+1))
			m.line("%stext", fence)
			for _, l := range lines {
				m.line("%s", l)
			}
			m.line("%s", fence)
		}
	}

	if len(r.Cores) > 0 {
		m.heading("Core dumps", len(r.Cores))
		var rows [][]string
		for _, c := range r.Cores {
			rows = append(rows, []string{mdCode(orDash(c.Path), true), pidString(c.PID), mdMaybeCode(c.Comm),
				mdCell(c.Signal), FormatBytes(c.AnonBytes), FormatBytes(c.FileBytes)})
		}
		m.table("lrllrr", []string{"Core", "PID", "Comm", "Signal", "Anon", "File"}, rows)
	}

	m.heading("Run end", -1)
	m.line("%s; clock alignment: %s.", mdText(runEnd(r.RunEnd)), mdText(alignment(r.Alignment)))
	if len(r.RunEnd.Evidence) > 0 {
		m.line("")
		m.evidence("", r.RunEnd.Evidence)
	}

	m.heading("Warnings", len(r.Warnings))
	if len(r.Warnings) == 0 {
		m.line("None.")
	}
	for _, w := range r.Warnings {
		m.line("- %s", mdText(w))
	}

	m.line("")
	m.line("<details><summary>Inputs (%d)</summary>", len(r.Inputs))
	m.line("")
	if len(r.Inputs) == 0 {
		m.line("None.")
	}
	for _, in := range r.Inputs {
		m.line("- %s: %s", mdCode(orDash(in.Path), false), mdText(orDash(strings.Join(in.Kinds, ", "))))
		for _, w := range in.Warnings {
			m.line("  - warning: %s", mdText(w))
		}
	}
	m.line("")
	m.line("</details>")
	return m.w.Flush()
}

// entryEvidence lists the evidence of each entry of a table under it.
func (m *mdWriter) entryEvidence(n int, get func(int) (string, []string)) {
	first := true
	for i := 0; i < n; i++ {
		test, ev := get(i)
		if len(ev) == 0 {
			continue
		}
		if first {
			m.line("")
			first = false
		}
		m.line("- %s", mdTest(test, false))
		m.evidence("  ", ev)
	}
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
