// Package report renders the correlator's conclusions (correlate.Report)
// for people and programs. It prints; it never decides: every figure and
// every sentence comes from the model, so the four formats cannot disagree.
//
//   - text: for the terminal. The verdict first, then the leaks, the tests
//     in flight, hogs, unclosed objects, fixtures held, the kills, core
//     dumps, the run end, clock alignment, warnings and inputs, in columns
//     aligned with text/tabwriter. ANSI colour only when Options.Color is
//     set, and only around whole lines or the last cell of a row, so that
//     colour never shifts a column.
//   - markdown: GitHub Flavored Markdown to paste into a bug report as it
//     is: the verdict in bold, a table of suspects with their evidence, the
//     tests in flight, hogs, unclosed, the kernel record's key lines in a
//     fenced block, the run end and the warnings. Node ids are code spans
//     (| escaped in tables, the fence longer than any backtick run inside),
//     free text is backslash-escaped.
//   - json: the stable contract "oomlens/report/v1", the model's JSON tags
//     with every list present, two-space indent, sorted map keys. Its keys,
//     units and nulls are in docs/report-format.md; docs/report.schema.json
//     is its JSON Schema, and the tests validate every fixture against it.
//   - html: one self-contained page (no network request: a
//     Content-Security-Policy of default-src 'none' forbids it) with a chart
//     of RSS per process over the wall clock, or over test order when no
//     time is known, the leaks and the tests in flight shaded and the kill
//     that ended the run as a dashed line; the chart is uPlot, vendored in
//     assets/ (MIT) and inlined.
//
// Everything that comes from the inputs (node ids, log lines, paths) may
// hold anything: control characters are shown as \xNN in every format but
// JSON, so a node id cannot send escape sequences to a terminal or break a
// table row, and the HTML is escaped by html/template.
//
// FormatBytes is exported for other summaries (binary units, one decimal).
package report
