package report

import (
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/oomlens/oomlens/correlate"
)

// Options tune a rendering.
type Options struct {
	// Color turns on ANSI colour in the text format; the other formats
	// ignore it. The caller sets it when stdout is a terminal.
	Color bool
	// Top is how many rows each section shows in text, Markdown and
	// HTML: 0 means DefaultTop, All every row. JSON is always complete.
	Top int
	// WorkDir, when set, is the folder the paths of the inputs are shown
	// relative to in text, Markdown and HTML (the analysing machine's
	// absolute paths mean nothing in a bug report). JSON keeps them as
	// given.
	WorkDir string
}

// top is how many rows each section shows: Top, or DefaultTop for 0 (All,
// below 0, is every row).
func (o Options) top() int {
	if o.Top == 0 {
		return DefaultTop
	}
	return o.Top
}

// formats maps each format name to its renderer, in the order Formats lists
// them.
var formats = []struct {
	name   string
	render func(io.Writer, *correlate.Report, Options) error
	// tail is set for a format that shows only the last Top tests of the
	// timeline (the others show or chart every test).
	tail bool
}{
	{"text", renderText, true},
	{"markdown", renderMarkdown, true},
	{"json", renderJSON, false},
	{"html", renderHTML, false},
}

// TimelineRows is how many of the timeline's last tests the format shows
// with opts, 0 when it shows every test: an analysis made for that one
// rendering can keep only those (correlate.Options.TimelineTail).
func TimelineRows(format string, opts Options) int {
	for _, f := range formats {
		if f.name != format || !f.tail {
			continue
		}
		return max(opts.top(), 0) // All: every test
	}
	return 0
}

// Formats returns the names Render accepts: text, markdown, json, html.
func Formats() []string {
	names := make([]string, len(formats))
	for i, f := range formats {
		names[i] = f.name
	}
	return names
}

// Render writes r to w in the named format. An unknown format is an error
// that lists the valid ones. Render does not modify r.
func Render(w io.Writer, r *correlate.Report, format string, opts Options) error {
	if r == nil {
		return fmt.Errorf("report: nil report")
	}
	for _, f := range formats {
		if f.name == format {
			return f.render(w, normalize(r), opts)
		}
	}
	return fmt.Errorf("report: unknown format %q (valid formats: %s)", format, strings.Join(Formats(), ", "))
}

// FormatBytes formats a byte count in binary units with one decimal, as
// every oomlens output does (correlate.FormatBytes, the one implementation).
func FormatBytes(n int64) string { return correlate.FormatBytes(n) }

// normalize returns a deep-enough copy of r in which every nil slice is an
// empty slice and every nil map an empty map, and the schema is SchemaV1, so
// that the JSON form never holds null for a list and the renderers need not
// check. The caller's report is left untouched.
func normalize(in *correlate.Report) *correlate.Report {
	r := *in
	r.Schema = correlate.SchemaV1
	r.Inputs = cloneSlice(in.Inputs)
	for i := range r.Inputs {
		r.Inputs[i].Kinds = nonNil(r.Inputs[i].Kinds)
		r.Inputs[i].Warnings = nonNil(r.Inputs[i].Warnings)
	}
	r.Kills = cloneSlice(in.Kills)
	r.RunEnd.Evidence = nonNil(in.RunEnd.Evidence)
	// An unset kind or method means not known; the contract spells that
	// out rather than leaving an empty string.
	if r.RunEnd.Kind == "" {
		r.RunEnd.Kind = "unknown"
	}
	if r.Alignment.Method == "" {
		r.Alignment.Method = "none"
	}
	// A time is RFC 3339 or null (boot_time: absent), never "".
	r.Alignment.BootTime = nilIfEmpty(in.Alignment.BootTime)
	r.Alignment.UncertaintyS = finite(in.Alignment.UncertaintyS)
	for i := range r.Kills {
		r.Kills[i].Time = nilIfEmpty(r.Kills[i].Time)
		r.Kills[i].UptimeS = finite(r.Kills[i].UptimeS)
	}
	r.InFlight = cloneSlice(in.InFlight)
	for i := range r.InFlight {
		r.InFlight[i].Evidence = nonNil(r.InFlight[i].Evidence)
	}
	r.Leaks = cloneSlice(in.Leaks)
	for i := range r.Leaks {
		r.Leaks[i].Evidence = nonNil(r.Leaks[i].Evidence)
		r.Leaks[i].OpenObjects = nonNilMap(r.Leaks[i].OpenObjects)
		r.Leaks[i].ShareOfKill = finite(r.Leaks[i].ShareOfKill)
	}
	r.Unclosed = cloneSlice(in.Unclosed)
	for i := range r.Unclosed {
		r.Unclosed[i].Evidence = nonNil(r.Unclosed[i].Evidence)
		r.Unclosed[i].OpenObjects = nonNilMap(r.Unclosed[i].OpenObjects)
	}
	r.Hogs = cloneSlice(in.Hogs)
	for i := range r.Hogs {
		r.Hogs[i].Evidence = nonNil(r.Hogs[i].Evidence)
	}
	r.Timeline = in.Timeline
	for i := range in.Timeline {
		// A copy only when a span needs mending: the timeline holds every
		// test, and the analysis gives no empty stamps.
		if s := in.Timeline[i]; nilIfEmpty(s.Start) != s.Start || nilIfEmpty(s.End) != s.End {
			r.Timeline = cloneSlice(in.Timeline)
			for i := range r.Timeline {
				r.Timeline[i].Start = nilIfEmpty(r.Timeline[i].Start)
				r.Timeline[i].End = nilIfEmpty(r.Timeline[i].End)
			}
			break
		}
	}
	if r.Timeline == nil {
		r.Timeline = []correlate.TestSpan{}
	}
	r.Cores = cloneSlice(in.Cores)
	for i := range r.Cores {
		r.Cores[i].LargestRegions = nonNil(r.Cores[i].LargestRegions)
	}
	r.Warnings = nonNil(in.Warnings)
	// Samples is tagged omitempty in the model: an empty list is left out
	// of the JSON, so nil and empty are the same there.
	r.Samples = cloneSlice(in.Samples)
	// FixturesHeld is tagged omitempty too.
	r.FixturesHeld = cloneSlice(in.FixturesHeld)
	return &r
}

func cloneSlice[T any](s []T) []T {
	out := make([]T, len(s))
	copy(out, s)
	return out
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// finite turns NaN and ±Inf (a division by zero upstream) into null, which
// JSON can hold and which means the same: not known.
func finite(f *float64) *float64 {
	if f == nil || math.IsNaN(*f) || math.IsInf(*f, 0) {
		return nil
	}
	return f
}

func nilIfEmpty(s *string) *string {
	if s == nil || *s == "" {
		return nil
	}
	return s
}

func nonNilMap(m map[string]int) map[string]int {
	if m == nil {
		return map[string]int{}
	}
	return m
}

// endedRunKill returns the kill that ended the run, or nil.
func endedRunKill(r *correlate.Report) *correlate.Kill {
	for i := range r.Kills {
		if r.Kills[i].EndedRun {
			return &r.Kills[i]
		}
	}
	return nil
}

// printable makes s safe to show in a terminal, a Markdown table or a web
// page: control characters (C0, DEL, C1, including ESC, CR and LF) and
// invalid UTF-8 become visible \xNN escapes, so a node id or a log line can
// neither break a table row nor send escape sequences to the terminal.
func printable(s string) string {
	clean := true
	for _, c := range s {
		if c == utf8.RuneError || c < 0x20 || (c >= 0x7f && c < 0xa0) {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		c, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case c == utf8.RuneError && size <= 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case c < 0x20 || c == 0x7f:
			fmt.Fprintf(&b, `\x%02x`, c)
		case c >= 0x80 && c < 0xa0:
			fmt.Fprintf(&b, `\u%04x`, c)
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

// testName is how a node id is shown: printable, or a placeholder when the
// test is not known.
func testName(s string) string {
	if s == "" {
		return "(unknown test)"
	}
	return printable(s)
}

// orDash shows an empty value as "-".
func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return printable(s)
}

func pidString(pid int) string {
	if pid <= 0 {
		return "-"
	}
	return strconv.Itoa(pid)
}

// share shows a fraction of the kill as a percentage with one decimal.
func share(f *float64) string {
	if f == nil {
		return "n/a"
	}
	return strconv.FormatFloat(*f*100, 'f', 1, 64) + "%"
}

// knownBytes shows a size the record did not print as "unknown".
func knownBytes(n *int64) string {
	if n == nil {
		return "unknown"
	}
	return FormatBytes(*n)
}

func knownPID(pid int) string {
	if pid <= 0 {
		return "unknown"
	}
	return strconv.Itoa(pid)
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}

// killVictim names a kill's victim: "of pid N (comm)", or what the record
// says instead when it names none.
func killVictim(k *correlate.Kill) string {
	switch {
	case k.PID > 0 && k.Comm != "":
		return "of pid " + strconv.Itoa(k.PID) + " (" + printable(k.Comm) + ")"
	case k.PID > 0:
		return "of pid " + strconv.Itoa(k.PID)
	case k.Outcome == "panic" || k.Outcome == "no-killable-process":
		return "with no victim"
	}
	return "of an unknown process"
}

// killOutcome says how the record ended.
func killOutcome(k *correlate.Kill) string {
	switch k.Outcome {
	case "killed":
		return "killed"
	case "panic":
		return "kernel panic (panic_on_oom)"
	case "no-killable-process":
		return "no killable process: kernel panic"
	}
	return "unknown (the record does not say)"
}

// killInvoker names the task that invoked the OOM killer.
func killInvoker(k *correlate.Kill) string {
	switch {
	case k.InvokerPID != nil && k.InvokerComm != "":
		return "pid " + strconv.Itoa(*k.InvokerPID) + " (" + printable(k.InvokerComm) + ")"
	case k.InvokerComm != "":
		return printable(k.InvokerComm)
	case k.InvokerPID != nil:
		return "pid " + strconv.Itoa(*k.InvokerPID)
	}
	return "unknown"
}

func optBytes(n *int64) string {
	if n == nil {
		return "n/a"
	}
	return FormatBytes(*n)
}

func optString(s *string) string {
	if s == nil || *s == "" {
		return "n/a"
	}
	return printable(*s)
}

// seconds shows a duration in seconds with up to three decimals.
func seconds(f float64) string {
	return strconv.FormatFloat(f, 'f', -1, 64) + " s"
}

// killTime shows when a kill happened: the wall clock, the uptime, or both.
func killTime(k *correlate.Kill) string {
	var parts []string
	if k.Time != nil && *k.Time != "" {
		parts = append(parts, printable(*k.Time))
	}
	if k.UptimeS != nil {
		parts = append(parts, "uptime "+strconv.FormatFloat(*k.UptimeS, 'f', 3, 64)+" s")
	}
	if len(parts) == 0 {
		return "unknown"
	}
	s := strings.Join(parts, ", ")
	if k.TimeBasis != "" && k.Time != nil && *k.Time != "" {
		s += " (" + printable(k.TimeBasis) + ")"
	}
	return s
}

// memcg shows the memory cgroup of a kill: the OOM memcg, and the task's
// when it differs.
func memcg(k *correlate.Kill) string {
	switch {
	case k.OOMMemcg == "" && k.TaskMemcg == "":
		return "-"
	case k.TaskMemcg == "" || k.TaskMemcg == k.OOMMemcg:
		return printable(k.OOMMemcg)
	case k.OOMMemcg == "":
		return "task " + printable(k.TaskMemcg)
	default:
		return printable(k.OOMMemcg) + " (task " + printable(k.TaskMemcg) + ")"
	}
}

// limit shows the memcg limit, or "none" when there is none or it is
// unknown (the model holds null for both).
func limit(k *correlate.Kill) string {
	if k.MemcgLimitBytes == nil {
		return "none or unknown"
	}
	return FormatBytes(*k.MemcgLimitBytes)
}

// openObjects shows the objects left open, most first: "netCDF4.Dataset 3,
// xarray.Dataset 1".
func openObjects(m map[string]int) string {
	if len(m) == 0 {
		return ""
	}
	type kv struct {
		k string
		v int
	}
	list := make([]kv, 0, len(m))
	for k, v := range m {
		list = append(list, kv{k, v})
	}
	sort.Slice(list, func(i, j int) bool {
		if list[i].v != list[j].v {
			return list[i].v > list[j].v
		}
		return list[i].k < list[j].k
	})
	parts := make([]string, len(list))
	for i, e := range list {
		parts[i] = printable(e.k) + " " + strconv.Itoa(e.v)
	}
	return strings.Join(parts, ", ")
}

func runEnd(e correlate.RunEnd) string {
	s := orDash(e.Kind)
	if e.Kind == "" {
		s = "unknown"
	}
	if e.ExitCode != nil {
		s += " (exit code " + strconv.Itoa(*e.ExitCode) + ")"
	}
	return s
}

func alignment(a correlate.Alignment) string {
	s := orDash(a.Method)
	if a.Method == "" {
		s = "none"
	}
	if a.UncertaintyS != nil {
		s += ", uncertainty ±" + seconds(*a.UncertaintyS)
	}
	if a.BootTime != nil && *a.BootTime != "" {
		s += ", boot time " + printable(*a.BootTime)
	}
	return s
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}

// groupWords describes a group leak for every format: "parametrize group of
// 36 tests (36 retaining), 11.9 MiB to 12.1 MiB each, median 12.0 MiB".
func groupWords(g *correlate.Group) string {
	if g == nil {
		return ""
	}
	s := fmt.Sprintf("%s group of %d %s", g.Kind, g.Members, pluralWord(g.Members, "test", "tests"))
	if g.RetainingMembers != g.Members {
		s += fmt.Sprintf(" (%d retaining)", g.RetainingMembers)
	}
	return s + fmt.Sprintf(", %s to %s each, median %s", FormatBytes(g.MinMemberBytes), FormatBytes(g.MaxMemberBytes), FormatBytes(g.MedianMemberBytes))
}

// leakName is a leak's test, with a group's member count.
func leakName(l correlate.Leak) string {
	if l.Group == nil {
		return l.Test
	}
	return fmt.Sprintf("%s (%d tests)", l.Test, l.Group.Members)
}

func pluralWord(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// accountRows are the rows of the memory account, built once for every
// format: part, bytes, share of the total, basis.
func accountRows(a *correlate.MemoryAccount) [][]string {
	if a == nil {
		return nil
	}
	row := func(name string, n int64, basis string) []string {
		return []string{name, FormatBytes(n), accountShare(n, a.TotalBytes), basis}
	}
	return [][]string{
		row("baseline", a.BaselineBytes, a.Basis.Baseline),
		row("leaks", a.LeaksBytes, a.Basis.Leaks),
		row("groups", a.GroupsBytes, a.Basis.Groups),
		row("fixtures", a.FixturesBytes, a.Basis.Fixtures),
		row("in flight", a.InFlightBytes, a.Basis.InFlight),
		row("unexplained", a.UnexplainedBytes, a.Basis.Unexplained),
		row("total", a.TotalBytes, a.Basis.Total),
	}
}

// accountShare is n as a share of the account's total: "34.5%", "-" when
// the total is not positive.
func accountShare(n, total int64) string {
	if total <= 0 {
		return "-"
	}
	return strconv.FormatFloat(float64(n)*100/float64(total), 'f', 1, 64) + "%"
}

// accountTitle heads the account: whose memory, in which measure.
func accountTitle(a *correlate.MemoryAccount) string {
	who := "pid " + pidString(a.PID)
	if a.Worker != "" {
		who += " (" + a.Worker + ")"
	}
	return fmt.Sprintf("%s, %s, %s of it explained", who, a.Measure, strconv.FormatFloat(a.ExplainedShare*100, 'f', 0, 64)+"%")
}

// hogRuleWords states the hog rule: "rise of at least 44.8 MiB (a tenth of
// …); 3 tests rose less and are not listed".
func hogRuleWords(h correlate.HogRule) string {
	s := fmt.Sprintf("a hog's peak rose at least %s over its start (%s)", FormatBytes(h.ThresholdBytes), h.Basis)
	if h.TestsBelow > 0 {
		s += fmt.Sprintf("; %d %s rose above the noise floor but less, and %s not listed", h.TestsBelow, pluralWord(h.TestsBelow, "test", "tests"), pluralWord(h.TestsBelow, "is", "are"))
	}
	return s
}

// upperFirst capitalises a sentence's first letter.
func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
