package report

import (
	"bufio"
	"fmt"
	"io"
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
	w     *bufio.Writer
	color bool
}

func (t *textWriter) paint(style, s string) string {
	if !t.color || s == "" {
		return s
	}
	return style + s + ansiReset
}

func (t *textWriter) line(format string, args ...any) {
	fmt.Fprintf(t.w, format+"\n", args...)
}

// heading writes a section title, with a count when n >= 0 and a note.
func (t *textWriter) heading(title string, n int, note string) {
	t.w.WriteString("\n")
	if n >= 0 {
		title = fmt.Sprintf("%s (%d)", title, n)
	}
	if note != "" {
		title += ": " + note
	}
	t.line("%s", t.paint(ansiBold+ansiCyan, title))
}

// table writes rows as aligned columns, indented by two spaces, two spaces
// between columns. It does what text/tabwriter does, except that it
// measures a cell by its width on a terminal (displayWidth): tabwriter counts
// runes, so a node id with CJK characters or emoji would push its row out of
// line, and colour escapes would count as text.
func (t *textWriter) table(rows [][]string) {
	var widths []int
	for _, row := range rows {
		for i, cell := range row {
			if i == len(widths) {
				widths = append(widths, 0)
			}
			widths[i] = max(widths[i], displayWidth(cell))
		}
	}
	for _, row := range rows {
		t.w.WriteString("  ")
		for i, cell := range row {
			t.w.WriteString(cell)
			if i < len(row)-1 {
				t.w.WriteString(strings.Repeat(" ", widths[i]-displayWidth(cell)+2))
			}
		}
		t.w.WriteString("\n")
	}
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

func (t *textWriter) evidence(indent string, lines []string) {
	for _, e := range lines {
		t.line("%s%s", indent, t.paint(ansiDim, "- "+printable(e)))
	}
}

func (t *textWriter) confidence(c string) string {
	switch c {
	case "high":
		return t.paint(ansiBold+ansiRed, c)
	case "medium":
		return t.paint(ansiYellow, c)
	}
	return orDash(c)
}

func renderText(w io.Writer, r *correlate.Report, opts Options) error {
	t := &textWriter{w: bufio.NewWriter(w), color: opts.Color}

	verdict := printable(r.Verdict)
	if verdict == "" {
		verdict = "no verdict"
	}
	style := ansiBold + ansiGreen
	switch {
	case len(r.Leaks) > 0:
		style = ansiBold + ansiRed
	case len(r.Kills) > 0 || r.RunEnd.Kind != "complete":
		style = ansiBold + ansiYellow
	}
	t.line("%s %s", t.paint(ansiBold, "Verdict:"), t.paint(style, verdict))

	t.heading("Leaks", len(r.Leaks), "tests that added memory still held at the kill, most first")
	if len(r.Leaks) == 0 {
		t.line("  none found")
	} else {
		rows := [][]string{{"#", "TEST", "WORKER", "PID", "RETAINED", "SHARE OF KILL", "CONFIDENCE"}}
		for i, l := range r.Leaks {
			rows = append(rows, []string{fmt.Sprint(i + 1), testName(leakName(l)), orDash(l.Worker), pidString(l.PID),
				FormatBytes(l.RetainedBytes), share(l.ShareOfKill), t.confidence(l.Confidence)})
		}
		t.table(rows)
		for i, l := range r.Leaks {
			t.line("")
			t.line("  %d. %s", i+1, t.paint(ansiBold, testName(l.Test)))
			if g := groupWords(l.Group); g != "" {
				t.line("     %s", g)
			}
			if o := openObjects(l.OpenObjects); o != "" {
				t.line("     open objects: %s", o)
			}
			t.evidence("     ", l.Evidence)
		}
	}

	if a := r.MemoryAtKill; a != nil {
		t.heading("Memory at the kill", -1, accountTitle(a))
		rows := [][]string{{"PART", "SIZE", "SHARE", "BASIS"}}
		for _, row := range accountRows(a) {
			rows = append(rows, []string{row[0], row[1], row[2], printable(row[3])})
		}
		t.table(rows)
	}

	t.heading("In flight", len(r.InFlight), "running when the process died")
	if len(r.InFlight) == 0 {
		t.line("  none known")
	} else {
		rows := [][]string{{"TEST", "WORKER", "PID", "ADDED (EST.)", "BASIS"}}
		for _, f := range r.InFlight {
			rows = append(rows, []string{testName(f.Test), orDash(f.Worker), pidString(f.PID),
				optBytes(f.AddedBytesEstimate), orDash(f.Basis)})
		}
		t.table(rows)
		for _, f := range r.InFlight {
			if len(f.Evidence) > 0 {
				t.line("")
				t.line("  %s", t.paint(ansiBold, testName(f.Test)))
				t.evidence("     ", f.Evidence)
			}
		}
	}

	t.heading("Hogs", len(r.Hogs), "high peak, nothing lasting retained, highest rise first")
	t.line("  %s", printable(hogRuleWords(r.HogRule)))
	if len(r.Hogs) == 0 {
		t.line("  none found")
	} else {
		rows := [][]string{{"TEST", "WORKER", "RISE", "PEAK", "RETAINED"}}
		for _, h := range r.Hogs {
			rows = append(rows, []string{testName(h.Test), orDash(h.Worker), FormatBytes(h.RiseBytes), FormatBytes(h.PeakBytes), FormatBytes(h.RetainedBytes)})
		}
		t.table(rows)
		for _, h := range r.Hogs {
			if len(h.Evidence) > 0 {
				t.line("")
				t.line("  %s", t.paint(ansiBold, testName(h.Test)))
				t.evidence("     ", h.Evidence)
			}
		}
	}

	t.heading("Unclosed", len(r.Unclosed), "objects left open, below the noise floor")
	if len(r.Unclosed) == 0 {
		t.line("  none found")
	} else {
		rows := [][]string{{"TEST", "WORKER", "OPEN OBJECTS"}}
		for _, u := range r.Unclosed {
			rows = append(rows, []string{testName(u.Test), orDash(u.Worker), orDash(openObjects(u.OpenObjects))})
		}
		t.table(rows)
		for _, u := range r.Unclosed {
			if len(u.Evidence) > 0 {
				t.line("")
				t.line("  %s", t.paint(ansiBold, testName(u.Test)))
				t.evidence("     ", u.Evidence)
			}
		}
	}

	if len(r.FixturesHeld) > 0 {
		t.heading("Fixtures held", len(r.FixturesHeld), "live fixtures' memory, not leaked by a test")
		rows := [][]string{{"FIXTURE", "SCOPE", "SET UP BY", "WORKER", "PID", "HELD"}}
		for _, f := range r.FixturesHeld {
			rows = append(rows, []string{orDash(f.Fixture), orDash(f.Scope), testName(f.SetUpBy), orDash(f.Worker),
				pidString(f.PID), FormatBytes(f.HeldBytes)})
		}
		t.table(rows)
	}

	t.heading("Kills", len(r.Kills), "")
	if len(r.Kills) == 0 {
		t.line("  no kill record found")
	}
	for i := range r.Kills {
		k := &r.Kills[i]
		title := fmt.Sprintf("%s of pid %s (%s)", orDash(k.Kind), pidString(k.PID), orDash(k.Comm))
		if k.EndedRun {
			title += t.paint(ansiBold+ansiRed, ", ended the run")
		}
		if k.Partial {
			title += ", record partial"
		}
		t.line("  %s", title)
		rows := [][]string{
			{"time", killTime(k)},
			{"constraint", orDash(k.Constraint)},
			{"memcg", memcg(k)},
			{"anon-rss", FormatBytes(k.AnonRSSBytes)},
			{"file-rss", FormatBytes(k.FileRSSBytes)},
			{"shmem-rss", FormatBytes(k.ShmemRSSBytes)},
			{"total-vm", FormatBytes(k.TotalVMBytes)},
			{"memcg usage", optBytes(k.MemcgUsageBytes)},
			{"memcg limit", limit(k)},
			{"source", orDash(k.Source)},
		}
		for i := range rows {
			rows[i][0] = "  " + rows[i][0]
		}
		t.table(rows)
	}

	t.heading("Core dumps", len(r.Cores), "")
	if len(r.Cores) == 0 {
		t.line("  none read")
	} else {
		rows := [][]string{{"PATH", "PID", "COMM", "SIGNAL", "ANON", "FILE", "LARGEST REGION"}}
		for _, c := range r.Cores {
			largest := "-"
			if len(c.LargestRegions) > 0 {
				g := c.LargestRegions[0]
				largest = FormatBytes(g.SizeBytes) + " at " + orDash(g.Start) + " " + orDash(g.Perms)
			}
			rows = append(rows, []string{orDash(c.Path), pidString(c.PID), orDash(c.Comm), orDash(c.Signal),
				FormatBytes(c.AnonBytes), FormatBytes(c.FileBytes), largest})
		}
		t.table(rows)
	}

	t.heading("Run end", -1, "")
	t.line("  %s", runEnd(r.RunEnd))
	t.evidence("  ", r.RunEnd.Evidence)

	t.heading("Clock alignment", -1, "")
	t.line("  %s", alignment(r.Alignment))

	t.heading("Timeline", -1, "")
	t.line("  %s, %s (the html format charts them)", plural(len(r.Timeline), "test", "tests"),
		plural(len(r.Samples), "RSS sample", "RSS samples"))

	t.heading("Warnings", len(r.Warnings), "")
	if len(r.Warnings) == 0 {
		t.line("  none")
	}
	for _, w := range r.Warnings {
		t.line("  %s", t.paint(ansiYellow, "! "+printable(w)))
	}

	t.heading("Inputs", len(r.Inputs), "")
	if len(r.Inputs) == 0 {
		t.line("  none")
	} else {
		rows := [][]string{{"PATH", "KINDS"}}
		for _, in := range r.Inputs {
			kinds := make([]string, len(in.Kinds))
			for i, k := range in.Kinds {
				kinds[i] = printable(k)
			}
			rows = append(rows, []string{orDash(in.Path), orDash(strings.Join(kinds, ", "))})
		}
		t.table(rows)
		for _, in := range r.Inputs {
			for _, w := range in.Warnings {
				// oomlens's own loader writes "path:line: text"; name the
				// input only where a warning does not start with it.
				if !strings.HasPrefix(w, in.Path+":") {
					w = orDash(in.Path) + ": " + w
				}
				t.line("  %s", t.paint(ansiYellow, "! "+printable(w)))
			}
		}
	}
	return t.w.Flush()
}
